//! Deterministic mutation fuzzing of the STL (binary and ASCII) and OBJ readers, and of the mesher behind
//! them: thousands of mutants of valid files (truncations, byte flips, deleted and duplicated lines,
//! numbers replaced by extreme values, rewritten triangle counts) must each parse or fail with an error,
//! never panic. Every mutant that parses is also meshed (element size 1/8 of its bounding-box diagonal),
//! which must likewise succeed or fail with an error. Crashers are saved to `tests/data/fuzz/surface/`
//! and replayed on every run.

use std::path::Path;
use std::time::Instant;

use cardiotwin::mesh::io::surface::{TriSurface, parse_obj, parse_stl};
use cardiotwin::mesh::volume_mesher::tetrahedralise;

mod common;
use common::fuzz::Rng;

const EXTREMES: [&str; 9] = [
    "-1",
    "0",
    "4294967296",
    "-2147483649",
    "nan",
    "inf",
    "-1e308",
    "1e400",
    "1e39",
];

fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    common::fuzz::mutate(seed, rng, &EXTREMES, true)
}

/// Parses (and, if that works, meshes) `n` mutants of each seed inside catch_unwind; returns
/// (inputs, parsed, meshed).
fn fuzz(
    name: &str,
    seeds: &[&[u8]],
    n: usize,
    parse: impl Fn(&[u8]) -> Option<TriSurface>,
) -> (usize, usize, usize) {
    let mut rng = Rng(0x5EED ^ name.len() as u64);
    let (mut inputs, mut parsed, mut meshed) = (0, 0, 0);
    let start = Instant::now();
    let dir = common::fuzz::folder_path("surface");
    let corpus = common::fuzz::corpus("surface", name, seeds, n, &mut rng, mutate);
    for input in &corpus {
        inputs += 1;
        let run = || {
            let surface = parse(input)?;
            let h = surface.bbox().diagonal() / 8.0;
            Some(tetrahedralise(&surface, h).is_ok())
        };
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
            Ok(Some(ok)) => {
                parsed += 1;
                meshed += ok as usize;
            }
            Ok(None) => {}
            Err(_) => {
                let _ = std::fs::create_dir_all(&dir);
                let file = dir.join(format!("{name}-{inputs}.crash"));
                let _ = std::fs::write(&file, input);
                panic!(
                    "{name}: the reader or mesher panicked on an input, saved to {}",
                    file.display()
                );
            }
        }
    }
    eprintln!(
        "fuzz {name}: {inputs} inputs ({parsed} parsed, {meshed} meshed, {} rejected) in {:.2} s",
        inputs - parsed,
        start.elapsed().as_secs_f64()
    );
    (inputs, parsed, meshed)
}

/// A regular-ish tetrahedron's surface, outward.
const TET: [[f32; 3]; 4] = [
    [0.0, 0.0, 0.0],
    [10.0, 0.0, 0.0],
    [0.0, 10.0, 0.0],
    [0.0, 0.0, 10.0],
];
const TET_FACES: [[usize; 3]; 4] = [[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]];

fn binary_stl() -> Vec<u8> {
    let mut b = vec![b' '; 80];
    b.extend_from_slice(&4u32.to_le_bytes());
    for f in TET_FACES {
        b.extend_from_slice(&[0u8; 12]);
        for v in f {
            for x in TET[v] {
                b.extend_from_slice(&x.to_le_bytes());
            }
        }
        b.extend_from_slice(&[0, 0]);
    }
    b
}

fn ascii_stl() -> Vec<u8> {
    let mut s = String::from("solid tet\n");
    for f in TET_FACES {
        s += "facet normal 0 0 0\n outer loop\n";
        for v in f {
            let p = TET[v];
            s += &format!("  vertex {} {} {}\n", p[0], p[1], p[2]);
        }
        s += " endloop\nendfacet\n";
    }
    s += "endsolid tet\n";
    s.into_bytes()
}

/// A cube of quads (triangulated by the reader), with a comment, a group and negative indices.
const CUBE_OBJ: &[u8] =
    b"# cube\no cube\nv 0 0 0\nv 4 0 0\nv 4 4 0\nv 0 4 0\nv 0 0 4\nv 4 0 4\nv 4 4 4\nv 0 4 4\n\
g sides\nf 1 4 3 2\nf 5 6 7 8\nf 1 2 6 5\nf 2 3 7 6\nf 3 4 8 7\nf -8 -4 -1 -5\n";

#[test]
fn stl_readers_never_panic() {
    let p = Path::new("fuzz.stl");
    let bin = binary_stl();
    let (n, parsed, meshed) = fuzz("stl-binary", &[&bin], 8_000, |b| parse_stl(p, b).ok());
    assert!(
        parsed > 0 && parsed < n && meshed > 0,
        "{parsed} {meshed} of {n}"
    );
    let ascii = ascii_stl();
    let (n, parsed, meshed) = fuzz("stl-ascii", &[&ascii], 8_000, |b| parse_stl(p, b).ok());
    assert!(
        parsed > 0 && parsed < n && meshed > 0,
        "{parsed} {meshed} of {n}"
    );
}

#[test]
fn obj_reader_never_panics() {
    let p = Path::new("fuzz.obj");
    let (n, parsed, meshed) = fuzz("obj", &[CUBE_OBJ], 8_000, |b| parse_obj(p, b).ok());
    assert!(
        parsed > 0 && parsed < n && meshed > 0,
        "{parsed} {meshed} of {n}"
    );
}
