//! Deterministic mutation fuzzing of the VTK readers: no input may make them panic.
//!
//! From each seed in `tests/data/fuzz/vtk/seeds/` (small VTK-written files: XML ascii, binary, binary+zlib,
//! appended raw, appended raw+zlib, appended base64+zlib; legacy ASCII and BINARY) the test derives
//! [`MUTANTS_PER_SEED`] mutants (20,000; `CARDIOTWIN_FUZZ_MUTANTS=n` for more) with a fixed-seed generator: truncations, byte flips, deleted lines,
//! numbers (attribute values and header counts) replaced by huge, negative or zero values, and spliced
//! ranges. Each is parsed inside `catch_unwind`; an `Err` is fine, a panic fails the test and the input is
//! written to the test's temporary folder, to be kept in `tests/data/fuzz/vtk/` as a regression input.
//! Every file directly in `tests/data/fuzz/vtk/` is parsed first.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use cardiotwin::mesh::io::vtk::{read_legacy, read_vtu};

mod common;
use common::fuzz::Rng;

/// Mutants per seed; `CARDIOTWIN_FUZZ_MUTANTS` overrides it for longer local runs.
const MUTANTS_PER_SEED: usize = 20_000;

fn mutants_per_seed() -> usize {
    std::env::var("CARDIOTWIN_FUZZ_MUTANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(MUTANTS_PER_SEED)
}

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz/vtk")
}

const NASTY_NUMBERS: [&str; 9] = [
    "0",
    "-1",
    "-2147483648",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "18446744073709551615",
    "99999999999999999999999",
    "1e308",
];

/// Byte ranges of runs of ASCII digits (with a leading '-').
fn number_spans(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = if i > 0 && bytes[i - 1] == b'-' {
                i - 1
            } else {
                i
            };
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            spans.push((start, i));
        } else {
            i += 1;
        }
    }
    spans
}

/// Spans of numbers in places that steer the parser: XML attribute values and legacy keyword lines.
fn structural_numbers(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (s, e) in number_spans(bytes) {
        let before = &bytes[s.saturating_sub(1)..s];
        let line_start = bytes[..s]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let keyword_line = bytes
            .get(line_start)
            .is_some_and(|b| b.is_ascii_uppercase());
        if before == b"\"" || keyword_line {
            out.push((s, e));
        }
    }
    out
}

/// One to three stacked mutations of `seed`.
fn mutants(seed: &[u8], numbers: &[(usize, usize)], rng: &mut Rng) -> Vec<u8> {
    let mut m = seed.to_vec();
    for _ in 0..1 + rng.below(3) {
        // Number spans index the seed; after a first mutation they may be off: still a mutation.
        m = mutate(&m, numbers, rng);
        if m.is_empty() {
            break;
        }
    }
    m
}

fn mutate(seed: &[u8], numbers: &[(usize, usize)], rng: &mut Rng) -> Vec<u8> {
    let mut m = seed.to_vec();
    if m.is_empty() {
        return m;
    }
    match rng.below(6) {
        0 => m.truncate(rng.below(seed.len())),
        1 => {
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(m.len());
                m[i] = rng.next() as u8;
            }
        }
        2 => {
            let starts: Vec<usize> = std::iter::once(0)
                .chain(
                    m.iter()
                        .enumerate()
                        .filter(|(_, b)| **b == b'\n')
                        .map(|(i, _)| i + 1),
                )
                .collect();
            let k = rng.below(starts.len());
            let end = starts.get(k + 1).copied().unwrap_or(m.len());
            m.drain(starts[k]..end);
        }
        3 | 4 if !numbers.is_empty() => {
            let (s, e) = numbers[rng.below(numbers.len())];
            let (s, e) = (s.min(m.len()), e.min(m.len()));
            let nasty = NASTY_NUMBERS[rng.below(NASTY_NUMBERS.len())];
            m.splice(s..e, nasty.bytes());
        }
        _ => {
            let a = rng.below(m.len());
            let len = rng.below(64).min(m.len() - a);
            let chunk = m[a..a + len].to_vec();
            let at = rng.below(m.len());
            m.splice(at..at, chunk);
        }
    }
    m
}

/// Parses `bytes` as the seed's format: whether it gave a mesh, or `Err(())` if the reader panicked.
fn parse_without_panic(legacy: bool, bytes: &[u8]) -> Result<bool, ()> {
    let path = Path::new(if legacy { "fuzz.vtk" } else { "fuzz.vtu" });
    catch_unwind(AssertUnwindSafe(|| {
        if legacy {
            read_legacy(path, bytes).is_ok()
        } else {
            read_vtu(path, bytes).is_ok()
        }
    }))
    .map_err(|_| ())
}

fn is_legacy(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "vtk")
}

#[test]
fn regression_inputs_do_not_panic() {
    let mut n = 0;
    for entry in std::fs::read_dir(fuzz_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() && path.extension().is_some_and(|e| e == "vtk" || e == "vtu") {
            let bytes = std::fs::read(&path).unwrap();
            // Regression inputs are for both readers: the extension only says which one found it.
            for legacy in [true, false] {
                let ok = parse_without_panic(legacy, &bytes).is_ok();
                assert!(ok, "{} panics (legacy reader: {legacy})", path.display());
            }
            let own = if is_legacy(&path) {
                read_legacy(&path, &bytes).map(|_| ())
            } else {
                read_vtu(&path, &bytes).map(|_| ())
            };
            match own {
                Ok(()) => eprintln!("{}: read as a mesh", path.display()),
                Err(e) => eprintln!("{e}"),
            }
            n += 1;
        }
    }
    eprintln!("fuzz_vtk: {n} regression inputs parsed without panic");
}

#[test]
fn mutants_of_every_seed_do_not_panic() {
    let mut seeds: Vec<PathBuf> = std::fs::read_dir(fuzz_dir().join("seeds"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    seeds.sort();
    assert!(seeds.len() >= 8, "seeds missing: {seeds:?}");
    let start = Instant::now();
    let mut inputs = 0usize;
    let mut accepted = 0usize;
    let mut crashers = Vec::new();
    for (k, seed_path) in seeds.iter().enumerate() {
        let seed = std::fs::read(seed_path).unwrap();
        let legacy = is_legacy(seed_path);
        assert!(
            parse_without_panic(legacy, &seed).is_ok(),
            "seed {}",
            seed_path.display()
        );
        let numbers = structural_numbers(&seed);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (k as u64 + 1));
        for i in 0..mutants_per_seed() {
            let mutant = mutants(&seed, &numbers, &mut rng);
            inputs += 1;
            let outcome = parse_without_panic(legacy, &mutant);
            accepted += usize::from(outcome == Ok(true));
            if outcome.is_err() {
                let name = format!(
                    "crash-{}-{i}.{}",
                    seed_path.file_stem().unwrap().to_string_lossy(),
                    if legacy { "vtk" } else { "vtu" }
                );
                let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(&name);
                std::fs::write(&out, &mutant).unwrap();
                crashers.push(out);
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "fuzz_vtk: {inputs} mutants of {} seeds in {secs:.2} s ({:.0} inputs/s), {accepted} read as \
         meshes, the rest rejected with errors, {} panics",
        seeds.len(),
        inputs as f64 / secs,
        crashers.len()
    );
    assert!(
        crashers.is_empty(),
        "panicking inputs (copy them to tests/data/fuzz/vtk/): {crashers:#?}"
    );
}
