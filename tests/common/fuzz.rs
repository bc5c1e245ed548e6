//! The deterministic generator of the mutation fuzz tests (`tests/fuzz_*.rs`), also the random source of
//! the other tests: SplitMix64, small and the same on every machine, so every run tries the same mutants
//! and a failure reproduces.

pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1), on a grid of 2^-52.
    pub fn signed(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }

    /// A vector of three [`Self::signed`] numbers.
    pub fn vec3(&mut self) -> glam::DVec3 {
        glam::DVec3::new(self.signed(), self.signed(), self.signed())
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// One of `items` (which must not be empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// `tests/data/fuzz/<folder>/`: where regression inputs live and crashers are saved.
pub fn folder_path(folder: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fuzz")
        .join(folder)
}

/// The inputs of one fuzz run: the regression files of `tests/data/fuzz/<folder>/` whose name starts with
/// `name`, then each seed followed by `n` of its mutants.
pub fn corpus(
    folder: &str,
    name: &str,
    seeds: &[&[u8]],
    n: usize,
    rng: &mut Rng,
    mut mutate: impl FnMut(&[u8], &mut Rng) -> Vec<u8>,
) -> Vec<Vec<u8>> {
    let dir = folder_path(folder);
    let mut corpus: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(name))
        .filter_map(|e| std::fs::read(e.path()).ok())
        .collect();
    for seed in seeds {
        corpus.push(seed.to_vec());
        for _ in 0..n {
            corpus.push(mutate(seed, rng));
        }
    }
    corpus
}

/// One mutant of `seed`: a truncation, a few bit flips, (with `binary_words`) a 4-byte word overwritten
/// by an interesting value (0, 1, u32::MAX, NaN, inf, -f32::MAX), a line deleted or duplicated, or a
/// number replaced by one of `extremes`.
pub fn mutate(seed: &[u8], rng: &mut Rng, extremes: &[&str], binary_words: bool) -> Vec<u8> {
    let mut b = seed.to_vec();
    let choice = rng.below(if binary_words { 7 } else { 6 });
    // Without word overwrites the later kinds move down by one.
    let kind = if binary_words || choice < 2 {
        choice
    } else {
        choice + 1
    };
    match kind {
        0 => b.truncate(rng.below(b.len() + 1)),
        1 => {
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(b.len());
                if let Some(x) = b.get_mut(i) {
                    *x ^= 1 << rng.below(8);
                }
            }
        }
        2 => {
            let words: [u32; 6] = [0, 1, u32::MAX, 0x7fc0_0000, 0x7f80_0000, 0xff7f_ffff];
            let i = rng.below(b.len().saturating_sub(3));
            if i + 4 <= b.len() {
                b[i..i + 4].copy_from_slice(&words[rng.below(words.len())].to_le_bytes());
            }
        }
        3 | 4 => {
            let text = String::from_utf8_lossy(&b).into_owned();
            let mut lines: Vec<&str> = text.lines().collect();
            let i = rng.below(lines.len());
            if rng.below(2) == 0 && !lines.is_empty() {
                lines.remove(i.min(lines.len() - 1));
            } else if let Some(l) = lines.get(i).copied() {
                lines.insert(i, l);
            }
            b = lines.join("\n").into_bytes();
        }
        _ => {
            let text = String::from_utf8_lossy(&b).into_owned();
            let starts: Vec<usize> = text
                .match_indices(|c: char| c.is_ascii_digit())
                .map(|(i, _)| i)
                .collect();
            if let Some(&at) = starts.get(rng.below(starts.len())) {
                let end = text[at..]
                    .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == 'e' || c == '-'))
                    .map_or(text.len(), |e| at + e);
                let ext = extremes[rng.below(extremes.len())];
                b = format!("{}{}{}", &text[..at], ext, &text[end..]).into_bytes();
            }
        }
    }
    b
}
