//! The deterministic generator of the mutation fuzz tests (`tests/fuzz_*.rs`): SplitMix64, small and the
//! same on every machine, so every run tries the same mutants and a failure reproduces.

pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
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
