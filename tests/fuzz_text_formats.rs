//! Deterministic mutation fuzzing of the openCARP, TetGen and Abaqus readers: thousands of mutants of
//! valid files (truncations, byte flips, deleted and duplicated lines, numbers replaced by extreme values)
//! must each parse or fail with an error, never panic. Crashers found once are kept in
//! `tests/data/fuzz/text/` and replayed.

use std::path::Path;
use std::time::Instant;

use cardiotwin::mesh::io::{abaqus, opencarp, tetgen};

mod common;
use common::fuzz::Rng;

const EXTREMES: [&str; 8] = [
    "-1",
    "0",
    "4294967296",
    "18446744073709551616",
    "nan",
    "inf",
    "-1e308",
    "1e400",
];

fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    common::fuzz::mutate(seed, rng, &EXTREMES, false)
}

/// Runs `parse` on `n` mutants of each seed inside catch_unwind; returns (inputs, ok, errors).
fn fuzz(name: &str, seeds: &[&[u8]], n: usize, parse: impl Fn(&[u8]) -> bool) -> (usize, usize) {
    let mut rng = Rng(0xC0FFEE ^ name.len() as u64);
    let (mut inputs, mut ok) = (0, 0);
    let start = Instant::now();
    let dir = common::fuzz::folder_path("text");
    let corpus = common::fuzz::corpus("text", name, seeds, n, &mut rng, mutate);
    for input in &corpus {
        inputs += 1;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parse(input))) {
            Ok(true) => ok += 1,
            Ok(false) => {}
            Err(_) => {
                let _ = std::fs::create_dir_all(&dir);
                let file = dir.join(format!("{name}-{inputs}.crash"));
                let _ = std::fs::write(&file, input);
                panic!(
                    "{name}: the reader panicked on an input, saved to {}",
                    file.display()
                );
            }
        }
    }
    eprintln!(
        "fuzz {name}: {inputs} inputs ({ok} parsed, {} rejected) in {:.2} s",
        inputs - ok,
        start.elapsed().as_secs_f64()
    );
    (inputs, ok)
}

const PTS: &[u8] = b"5\n0 0 0\n1000 0 0\n0 1000 0\n0 0 1000\n1000 1000 1000\n";
const ELEM: &[u8] = b"3\nTt 0 1 2 3 1\nTt 1 2 3 4 2\nTr 0 1 2 5\n";
const LON: &[u8] = b"2\n1 0 0 0 1 0\n0 1 0 0 0 1\n1 0 0 0 1 0\n";

#[test]
fn opencarp_readers_never_panic() {
    let p = Path::new("fuzz.pts");
    let (n, ok) = fuzz("opencarp-pts", &[PTS], 20_000, |b| {
        opencarp::parse_pts(p, b).is_ok()
    });
    assert!(ok > 0 && ok < n);
    let (n, ok) = fuzz("opencarp-elem", &[ELEM], 20_000, |b| {
        opencarp::parse_elem(p, b, 5).is_ok()
    });
    assert!(ok > 0 && ok < n);
    fuzz("opencarp-lon", &[LON], 20_000, |b| {
        opencarp::parse_lon(p, b, 3).is_ok()
    });
    fuzz(
        "opencarp-surf",
        &[b"2\nTr 0 1 2\nTr 1 2 3\n"],
        10_000,
        |b| opencarp::parse_surf(p, b, 5).is_ok(),
    );
    fuzz("opencarp-vtx", &[b"2\nintra\n0\n4\n"], 10_000, |b| {
        opencarp::parse_vtx(p, b, 5).is_ok()
    });
}

const NODE: &[u8] =
    b"5 3 1 1\n1 0 0 0 0.5 1\n2 1 0 0 0.5 1\n3 0 1 0 0.5 1\n4 0 0 1 0.5 1\n5 1 1 1 0.5 0\n";
const ELE: &[u8] = b"2 4 1\n1 1 2 3 4 3\n2 2 3 4 5 8\n";
const FACE: &[u8] = b"2 1\n1 1 2 3 -1\n2 2 3 5 -2\n";

#[test]
fn tetgen_reader_never_panics() {
    let (n, e, f) = (Path::new("f.node"), Path::new("f.ele"), Path::new("f.face"));
    for (which, seed) in [
        ("tetgen-node", NODE),
        ("tetgen-ele", ELE),
        ("tetgen-face", FACE),
    ] {
        let (inputs, ok) = fuzz(which, &[seed], 20_000, |b| {
            let (node, ele, face) = match which {
                "tetgen-node" => (b, ELE, FACE),
                "tetgen-ele" => (NODE, b, FACE),
                _ => (NODE, ELE, b),
            };
            tetgen::parse((n, node), (e, ele), Some((f, face))).is_ok()
        });
        assert!(ok > 0 && ok < inputs, "{which}: {ok} of {inputs}");
    }
}

const INP: &[u8] = b"*Heading\n*Node, nset=all\n1, 0, 0, 0\n2, 1, 0, 0\n3, 1, 1, 0\n4, 0, 1, 0\n5, 0, 0, 1\n6, 1, 0, 1\n7, 1, 1, 1\n8, 0, 1, 1\n9, 2, 0, 0\n*Element, type=C3D8, elset=hex\n1, 1, 2, 3, 4,\n5, 6, 7, 8\n*Element, type=C3D4, elset=tet\n2, 2, 9, 3, 6\n*Nset, nset=gen, generate\n1, 8, 2\n*Surface, type=ELEMENT, name=s\nhex, S1\n2, S2\n";

#[test]
fn abaqus_reader_never_panics() {
    let p = Path::new("f.inp");
    let (n, ok) = fuzz("abaqus", &[INP], 50_000, |b| abaqus::parse(p, b).is_ok());
    assert!(ok > 0 && ok < n, "{ok} of {n}");
}
