//! Deterministic mutation fuzzing of the Gmsh MSH reader: from each seed file (Gmsh-written, text and
//! binary, MSH 2.2 and 4.1), thousands of mutants (truncations, byte flips, deleted, duplicated and swapped
//! lines, numbers replaced by huge, negative, zero or non-finite values, binary words overwritten with
//! extreme values, inserted junk), each read inside `catch_unwind`. The invariant: the reader returns a
//! mesh or an error, and never panics. Inputs that once crashed it live in `tests/data/fuzz/gmsh/` and are
//! read on every run. Every error must name a line or byte offset. No external tools: a fixed-seed
//! generator makes every run the same.
//!
//! A panic fails the test and writes the input to `target/tmp/fuzz_gmsh/` so that it can be added to the
//! regression folder.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use cardiotwin::mesh::io::{ImportError, gmsh};

mod common;
use common::fuzz::Rng;

/// Mutants per seed file (small seeds get more: mutations reach every section of them), times
/// `CARDIOTWIN_FUZZ_SCALE` (default 1) for longer campaigns.
const MUTANTS_SMALL: usize = 20_000;
const MUTANTS_LARGE: usize = 2_500;

fn scale() -> usize {
    std::env::var("CARDIOTWIN_FUZZ_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

/// Start and end (past the newline) of the line around `pos`.
fn line_around(b: &[u8], pos: usize) -> (usize, usize) {
    let start = b[..pos]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |i| i + 1);
    let end = b[pos..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |i| pos + i + 1);
    (start, end)
}

/// Start and end of the whitespace-free token around `pos`.
fn token_around(b: &[u8], pos: usize) -> (usize, usize) {
    let start = b[..pos]
        .iter()
        .rposition(u8::is_ascii_whitespace)
        .map_or(0, |i| i + 1);
    let end = b[pos..]
        .iter()
        .position(u8::is_ascii_whitespace)
        .map_or(b.len(), |i| pos + i);
    (start, end)
}

const NUMBERS: [&str; 16] = [
    "0",
    "-1",
    "-2147483648",
    "2147483647",
    "2147483648",
    "4294967296",
    "18446744073709551615",
    "99999999999999999999999",
    "nan",
    "inf",
    "-inf",
    "1e308",
    "1e999",
    "0.5",
    "",
    "\"",
];

/// Extreme binary words: all ones, sign bits, NaN, infinity, a large count.
const WORDS: [u64; 8] = [
    u64::MAX,
    0x8000_0000_0000_0000,
    0x7FF8_0000_0000_0000, // NaN
    0x7FF0_0000_0000_0000, // +inf
    0xFFFF_FFFF,
    0x8000_0000,
    1 << 40,
    0,
];

/// One random mutant of `seed`: one to three mutations in a row.
fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..1 + rng.below(3) {
        if b.is_empty() {
            break;
        }
        mutate_once(&mut b, rng);
    }
    b
}

/// One mutation of the non-empty `b`.
fn mutate_once(b: &mut Vec<u8>, rng: &mut Rng) {
    let pos = rng.below(b.len());
    match rng.below(9) {
        0 => b.truncate(pos),
        1 => {
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(b.len());
                b[i] = rng.next() as u8;
            }
        }
        2 => {
            let (s, e) = line_around(b, pos);
            b.drain(s..e);
        }
        3 => {
            let (s, e) = line_around(b, pos);
            let line = b[s..e].to_vec();
            b.splice(s..s, line);
        }
        4 => {
            let (s1, e1) = line_around(b, pos);
            let (s2, e2) = line_around(b, rng.below(b.len()));
            if e1 <= s2 {
                let (first, second) = (b[s1..e1].to_vec(), b[s2..e2].to_vec());
                b.splice(s2..e2, first);
                b.splice(s1..e1, second);
            }
        }
        5 | 6 => {
            let (s, e) = token_around(b, pos);
            b.splice(s..e, rng.pick(&NUMBERS).bytes());
        }
        7 => {
            let word = rng.pick(&WORDS).to_le_bytes();
            let width = *rng.pick(&[4, 8]);
            let at = pos.min(b.len().saturating_sub(width));
            let end = (at + width).min(b.len());
            b[at..end].copy_from_slice(&word[..end - at]);
        }
        _ => {
            let junk: Vec<u8> = (0..1 + rng.below(16)).map(|_| rng.next() as u8).collect();
            b.splice(pos..pos, junk);
        }
    }
}

/// An error kind that does not say where in the file the fault is: the test fails on these.
const UNPLACED: &str = "unplaced";

/// What reading a mutant gave: a mesh (`None`) or an error of some kind.
fn outcome(result: &Result<cardiotwin::mesh::TetMesh, ImportError>) -> Option<&'static str> {
    match result {
        Ok(_) => None,
        Err(ImportError::Parse { .. }) => Some("parse (line)"),
        Err(ImportError::Binary { .. }) => Some("binary (offset)"),
        Err(e @ ImportError::Unsupported { .. }) => {
            let msg = e.to_string();
            let placed = msg.contains(": line ") || msg.contains(": byte ");
            Some(if placed { "unsupported" } else { UNPLACED })
        }
        Err(_) => Some(UNPLACED),
    }
}

/// Reads `input`; on a panic, saves it and returns its path.
fn survives(input: &[u8], label: &str) -> Result<Option<&'static str>, PathBuf> {
    match catch_unwind(AssertUnwindSafe(|| {
        gmsh::read(Path::new("mutant.msh"), input)
    })) {
        Ok(result) => Ok(outcome(&result)),
        Err(_) => {
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz_gmsh");
            let _ = std::fs::create_dir_all(&dir);
            let file = dir.join(format!("{label}.msh"));
            let _ = std::fs::write(&file, input);
            Err(file)
        }
    }
}

/// What a fuzz run did.
#[derive(Default)]
struct Tally {
    inputs: usize,
    /// Mutants that still read as a mesh.
    meshes: usize,
    /// Errors by kind.
    errors: std::collections::BTreeMap<&'static str, usize>,
    /// The longest single read, s.
    slowest: f64,
    crashers: Vec<PathBuf>,
}

/// Fuzzes each seed with `mutants` mutants.
fn fuzz(seeds: &[(&str, usize)], rng_seed: u64) -> Tally {
    let mut rng = Rng(rng_seed);
    let mut tally = Tally::default();
    for &(name, mutants) in seeds {
        let mutants = mutants * scale();
        let seed = std::fs::read(data(&format!("gmsh/{name}"))).expect("seed file");
        let stem = name.trim_end_matches(".msh");
        for i in 0..mutants {
            let input = mutate(&seed, &mut rng);
            let t = Instant::now();
            match survives(&input, &format!("{stem}_{i}")) {
                Ok(None) => tally.meshes += 1,
                Ok(Some(kind)) => *tally.errors.entry(kind).or_default() += 1,
                Err(file) => tally.crashers.push(file),
            }
            tally.slowest = tally.slowest.max(t.elapsed().as_secs_f64());
            tally.inputs += 1;
        }
    }
    tally
}

fn run(label: &str, seeds: &[(&str, usize)], rng_seed: u64) {
    let t = Instant::now();
    let tally = fuzz(seeds, rng_seed);
    eprintln!(
        "[{label}] {} mutants in {:.2} s (slowest read {:.1} ms): {} still read as meshes, errors {:?}, \
         {} panics",
        tally.inputs,
        t.elapsed().as_secs_f64(),
        tally.slowest * 1e3,
        tally.meshes,
        tally.errors,
        tally.crashers.len()
    );
    let crashers = &tally.crashers;
    assert!(crashers.is_empty(), "panicking inputs saved: {crashers:#?}");
    assert!(
        !tally.errors.contains_key(UNPLACED),
        "errors that name no line or byte offset"
    );
}

#[test]
fn fuzz_small_text_seeds() {
    run(
        "text 2.2 + 4.1",
        &[
            ("tiny_box_v2.msh", MUTANTS_SMALL),
            ("tiny_box_v4.msh", MUTANTS_SMALL),
            ("tiny_box_v4_parametric.msh", MUTANTS_SMALL / 2),
            ("land_lv_coarse_v4.msh", MUTANTS_LARGE),
            ("land_lv_coarse_v2.msh", MUTANTS_LARGE),
            ("beam_v4.msh", MUTANTS_LARGE),
            ("sphere_shell_v2.msh", MUTANTS_LARGE / 5),
        ],
        1,
    );
}

#[test]
fn fuzz_small_binary_seeds() {
    run(
        "binary 2.2 + 4.1",
        &[
            ("tiny_box_v2_bin.msh", MUTANTS_SMALL),
            ("tiny_box_v4_bin.msh", MUTANTS_SMALL),
            ("tiny_box_v4_parametric_bin.msh", MUTANTS_SMALL / 2),
            ("land_lv_coarse_v4_bin.msh", MUTANTS_LARGE),
            ("land_lv_coarse_v2_bin.msh", MUTANTS_LARGE),
            ("beam_v2_bin.msh", MUTANTS_LARGE),
            ("sphere_shell_v4_bin.msh", MUTANTS_LARGE / 5),
        ],
        2,
    );
}

/// Inputs that once made the reader panic (none so far: the folder holds a README) read without one.
#[test]
fn past_crashers_do_not_panic() {
    let dir = data("fuzz/gmsh");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/data/fuzz/gmsh") {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|e| e == "msh") {
            let bytes = std::fs::read(&path).expect("regression input");
            let label = path.file_stem().unwrap().to_string_lossy().to_string();
            if let Err(saved) = survives(&bytes, &label) {
                panic!(
                    "{} panics again (saved as {})",
                    path.display(),
                    saved.display()
                );
            }
            n += 1;
        }
    }
    eprintln!("[regressions] {n} past crashers read without a panic");
}
