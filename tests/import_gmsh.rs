//! Gmsh MSH import and export (`cardiotwin::mesh::io::gmsh`): third-party files written by Gmsh 4.15
//! (`tests/data/gmsh/SOURCE.md`) import with the counts, tags, names and geometry their writer recorded;
//! text and binary, 2.2 and 4.1 versions of one mesh import identically; our MSH 4.1 output reads back
//! exactly; and malformed files give errors of the right kind that name the line or byte offset.

use std::collections::BTreeMap;
use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use cardiotwin::geometry::cpu::rest_geometry;
use cardiotwin::mesh::TetMesh;
use cardiotwin::mesh::io::ImportError;
use cardiotwin::mesh::io::gmsh;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/gmsh")
        .join(name)
}

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(data(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn load(name: &str) -> TetMesh {
    gmsh::read(&data(name), &bytes(name)).unwrap_or_else(|e| panic!("{e}"))
}

fn read_err(bytes: &[u8]) -> ImportError {
    match gmsh::read(Path::new("bad.msh"), bytes) {
        Ok(m) => panic!("expected an error, read {} tets", m.tet_count()),
        Err(e) => e,
    }
}

fn volume(mesh: &TetMesh) -> f64 {
    rest_geometry(mesh).iter().map(|g| g.volume).sum()
}

fn count_tags(tags: &[i32]) -> BTreeMap<i32, usize> {
    let mut out = BTreeMap::new();
    for &t in tags {
        *out.entry(t).or_default() += 1;
    }
    out
}

fn names(pairs: &[(i32, &str)]) -> BTreeMap<i32, String> {
    pairs.iter().map(|&(t, n)| (t, n.to_string())).collect()
}

/// Every corner of every triangle tagged `tag` satisfies `on(p)`.
fn surface_nodes_satisfy(mesh: &TetMesh, tag: i32, on: impl Fn([f64; 3]) -> bool) -> usize {
    let s = mesh.surfaces();
    let mut n = 0;
    for (tri, _) in s.triangles.iter().zip(&s.tags).filter(|(_, t)| **t == tag) {
        for &v in tri {
            let p = mesh.nodes()[v as usize];
            assert!(on(p), "surface {tag}: node {v} at {p:?} is off the surface");
        }
        n += 1;
    }
    n
}

/// The first index where two lists differ, for a short failure message.
fn assert_list_eq<T: PartialEq + std::fmt::Debug>(a: &[T], b: &[T], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    if let Some(i) = (0..a.len()).find(|&i| a[i] != b[i]) {
        panic!("{what}: entry {i} differs: {:?} vs {:?}", a[i], b[i]);
    }
}

/// Nodes, tetrahedra, regions, surfaces and names all equal.
fn assert_same(a: &TetMesh, b: &TetMesh, what: &str) {
    assert_list_eq(a.nodes(), b.nodes(), &format!("{what}: nodes"));
    assert_list_eq(a.tets(), b.tets(), &format!("{what}: tets"));
    assert_list_eq(a.regions(), b.regions(), &format!("{what}: regions"));
    let (sa, sb) = (a.surfaces(), b.surfaces());
    assert_list_eq(&sa.triangles, &sb.triangles, &format!("{what}: triangles"));
    assert_list_eq(&sa.tags, &sb.tags, &format!("{what}: surface tags"));
    assert_eq!(a.region_names, b.region_names, "{what}: region names");
    assert_eq!(a.surface_names, b.surface_names, "{what}: surface names");
}

// ---------------------------------------------------------------------------------------------------------
// Third-party files

const LV_FILES: [&str; 4] = [
    "land_lv_coarse_v4.msh",
    "land_lv_coarse_v2.msh",
    "land_lv_coarse_v4_bin.msh",
    "land_lv_coarse_v2_bin.msh",
];

#[test]
fn land_lv_counts_tags_names_in_every_version() {
    for name in LV_FILES {
        let m = load(name);
        assert_eq!(m.node_count(), 776, "{name}");
        assert_eq!(m.tet_count(), 2262, "{name}");
        assert!(m.regions().iter().all(|&r| r == 10), "{name}: region 10");
        let tags = count_tags(&m.surfaces().tags);
        assert_eq!(
            tags.keys().copied().collect::<Vec<_>>(),
            [1, 2, 3],
            "{name}"
        );
        assert_eq!(m.region_names, names(&[(10, "myocardium")]), "{name}");
        assert_eq!(
            m.surface_names,
            names(&[(1, "endo"), (2, "epi"), (3, "base")]),
            "{name}"
        );
        assert!(rest_geometry(&m).iter().all(|g| g.volume > 0.0), "{name}");
    }
}

#[test]
fn land_lv_surfaces_lie_on_their_ellipsoids_and_volume_matches() {
    let m = load("land_lv_coarse_v4.msh");
    // Endocardium rs=7, rl=17; epicardium rs=10, rl=20; base plane z=5 (SOURCE.md).
    let ellipsoid = |rs: f64, rl: f64| {
        move |p: [f64; 3]| {
            ((p[0] * p[0] + p[1] * p[1]) / (rs * rs) + p[2] * p[2] / (rl * rl) - 1.0).abs() < 1e-6
        }
    };
    assert!(surface_nodes_satisfy(&m, 1, ellipsoid(7.0, 17.0)) > 0);
    assert!(surface_nodes_satisfy(&m, 2, ellipsoid(10.0, 20.0)) > 0);
    assert!(surface_nodes_satisfy(&m, 3, |p| (p[2] - 5.0).abs() < 1e-9) > 0);
    // Truncated ellipsoid volume: pi rs^2 [(h + rl) - (h^3 + rl^3) / (3 rl^2)], h = 5.
    let cap =
        |rs: f64, rl: f64| PI * rs * rs * ((5.0 + rl) - (125.0 + rl.powi(3)) / (3.0 * rl * rl));
    let exact = cap(10.0, 20.0) - cap(7.0, 17.0);
    let v = volume(&m);
    assert!(
        ((v - exact) / exact).abs() < 0.05,
        "LV wall volume {v} vs {exact}"
    );
}

#[test]
fn beam_counts_faces_and_volume() {
    for name in ["beam_v4.msh", "beam_v2_bin.msh"] {
        let m = load(name);
        assert_eq!(m.node_count(), 1089, "{name}");
        assert_eq!(m.tet_count(), 3646, "{name}");
        assert_eq!(m.region_names, names(&[(10, "beam")]), "{name}");
        assert_eq!(
            m.surface_names,
            names(&[(1, "fixed_x0"), (2, "bottom_z0")]),
            "{name}"
        );
        let x0 = surface_nodes_satisfy(&m, 1, |p| p[0] == 0.0);
        let z0 = surface_nodes_satisfy(&m, 2, |p| p[2] == 0.0);
        assert!(
            x0 > 0 && z0 > 0,
            "{name}: {x0} triangles on x=0, {z0} on z=0"
        );
        // The faces' triangles cover the faces: x=0 is 1 x 1, z=0 is 10 x 1.
        assert!((face_area(&m, 1) - 1.0).abs() < 1e-9, "{name}");
        assert!((face_area(&m, 2) - 10.0).abs() < 1e-9, "{name}");
        assert!(
            (volume(&m) - 10.0).abs() < 1e-9,
            "{name}: volume {}",
            volume(&m)
        );
    }
}

fn face_area(mesh: &TetMesh, tag: i32) -> f64 {
    let s = mesh.surfaces();
    s.triangles
        .iter()
        .zip(&s.tags)
        .filter(|(_, t)| **t == tag)
        .map(|(tri, _)| {
            let [a, b, c] = tri.map(|v| glam::DVec3::from_array(mesh.nodes()[v as usize]));
            0.5 * (b - a).cross(c - a).length()
        })
        .sum()
}

#[test]
fn sphere_shell_counts_radii_and_volume() {
    for name in ["sphere_shell_v2.msh", "sphere_shell_v4_bin.msh"] {
        let m = load(name);
        assert_eq!(m.tet_count(), 15552, "{name}");
        assert_eq!(m.region_names, names(&[(10, "wall")]), "{name}");
        assert_eq!(
            m.surface_names,
            names(&[(1, "inner"), (2, "outer")]),
            "{name}"
        );
        let radius = |p: [f64; 3]| glam::DVec3::from_array(p).length();
        assert!(surface_nodes_satisfy(&m, 1, |p| (radius(p) - 10.0).abs() < 1e-6) > 0);
        assert!(surface_nodes_satisfy(&m, 2, |p| (radius(p) - 15.0).abs() < 1e-6) > 0);
        let exact = 4.0 / 3.0 * PI * (15f64.powi(3) - 10f64.powi(3));
        let v = volume(&m);
        assert!(
            ((v - exact) / exact).abs() < 0.03,
            "{name}: volume {v} vs {exact}"
        );
    }
}

#[test]
fn binary_and_text_versions_read_identically() {
    let lv = load("land_lv_coarse_v4.msh");
    for name in &LV_FILES[1..] {
        assert_same(&lv, &load(name), name);
    }
    assert_same(&load("beam_v4.msh"), &load("beam_v2_bin.msh"), "beam");
    assert_same(
        &load("sphere_shell_v2.msh"),
        &load("sphere_shell_v4_bin.msh"),
        "sphere shell",
    );
    let tiny = load("tiny_box_v4.msh");
    assert_eq!((tiny.node_count(), tiny.tet_count()), (14, 24));
    assert!((volume(&tiny) - 1.0).abs() < 1e-12);
    assert!(surface_nodes_satisfy(&tiny, 1, |p| p[0] == 0.0) > 0);
    assert!(surface_nodes_satisfy(&tiny, 2, |p| p[2] == 0.0) > 0);
    for name in [
        "tiny_box_v2.msh",
        "tiny_box_v2_bin.msh",
        "tiny_box_v4_bin.msh",
        "tiny_box_v4_parametric.msh",
        "tiny_box_v4_parametric_bin.msh",
    ] {
        assert_same(&tiny, &load(name), name);
    }
}

#[test]
fn windows_line_endings_read_the_same() {
    for name in ["tiny_box_v2.msh", "tiny_box_v4.msh"] {
        let crlf = String::from_utf8(bytes(name))
            .unwrap()
            .replace('\n', "\r\n");
        let m =
            gmsh::read(Path::new("crlf.msh"), crlf.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_same(&load(name), &m, name);
    }
}

// ---------------------------------------------------------------------------------------------------------
// Writer

#[test]
fn write_then_read_is_exact() {
    for name in [
        "land_lv_coarse_v4.msh",
        "beam_v4.msh",
        "sphere_shell_v2.msh",
    ] {
        let m = load(name);
        let text = gmsh::write(&m);
        let back = gmsh::read(Path::new("written.msh"), &text).unwrap_or_else(|e| panic!("{e}"));
        assert_same(&m, &back, name);
        assert_eq!(back.inverted_repaired(), 0, "{name}");
    }
}

#[test]
fn write_keeps_interleaved_regions_untagged_elements_and_awkward_numbers() {
    let nodes = vec![
        [0.0, 0.0, 0.0],
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
        [1e-300, 1e300, -0.1],
        [1.0 / 3.0, -2.5e-7, 123456789.125],
    ];
    let tets = vec![[0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5], [0, 1, 2, 5]];
    let mut m = TetMesh::new(nodes, tets)
        .and_then(|m| m.with_regions(vec![7, 0, 7, -3]))
        .and_then(|m| {
            m.with_surfaces(cardiotwin::mesh::Surfaces {
                triangles: vec![[0, 1, 2], [1, 2, 3], [3, 4, 5]],
                tags: vec![0, 5, 0],
            })
        })
        .unwrap();
    m.orient_positive();
    m.region_names = names(&[(7, "left wall"), (-3, "odd")]);
    m.surface_names = names(&[(5, "lid")]);
    let text = gmsh::write(&m);
    let back = gmsh::read(Path::new("written.msh"), &text).unwrap_or_else(|e| panic!("{e}"));
    assert_same(&m, &back, "hand-made mesh");
}

/// Gmsh's and meshio's own readers accept our output (run where `python3 -c 'import gmsh, meshio'` works;
/// a loud skip elsewhere). The script is `tests/data/gmsh/check_written.py`.
#[test]
fn gmsh_and_meshio_read_what_we_write() {
    let have = std::process::Command::new("python3")
        .args(["-c", "import gmsh, meshio"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        eprintln!(
            "!!! SKIPPED gmsh_and_meshio_read_what_we_write: python3 with gmsh and meshio not found"
        );
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("gmsh_written");
    std::fs::create_dir_all(&dir).unwrap();
    let m = load("land_lv_coarse_v4.msh");
    let file = dir.join("land_lv_written.msh");
    std::fs::write(&file, gmsh::write(&m)).unwrap();
    let out = std::process::Command::new("python3")
        .arg(data("check_written.py"))
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // gmsh: nodes, tets, triangles; meshio: the same counts from its own reader.
    let expected = format!(
        "gmsh 776 2262 {t}\nmeshio 776 2262 {t}\n",
        t = m.surfaces().triangles.len()
    );
    assert!(
        stdout.ends_with(&expected),
        "got:\n{stdout}expected:\n{expected}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Hand-made files: sparse tags, second order, skipped sections, byte order

/// One tetrahedron and one triangle (MSH 2.2 text) on sparse node tags 10, 20, 30, 40.
const SPARSE_V2: &str = "$MeshFormat\n2.2 0 8\n$EndMeshFormat\n\
$Nodes\n4\n40 0 0 1\n10 0 0 0\n30 0 1 0\n20 1 0 0\n$EndNodes\n\
$Elements\n3\n7 15 2 0 1 10\n8 2 2 3 1 10 20 30\n9 4 2 5 1 10 20 30 40\n$EndElements\n";

#[test]
fn sparse_node_tags_map_to_file_order() {
    let m = gmsh::read(Path::new("s.msh"), SPARSE_V2.as_bytes()).unwrap();
    // Tags 10, 20, 30, 40 become indices 0, 1, 2, 3, whatever order the file lists them in.
    assert_eq!(
        m.nodes(),
        [
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 0.0, 1.0]
        ]
    );
    assert_eq!(m.tets(), [[0, 1, 2, 3]]);
    assert_eq!(m.regions(), [5]);
    assert_eq!(m.surfaces().triangles, [[0, 1, 2]]);
    assert_eq!(m.surfaces().tags, [3]);
}

#[test]
fn inverted_tetrahedra_are_repaired_and_counted() {
    let swapped = SPARSE_V2.replace("1 10 20 30 40", "1 10 30 20 40");
    let m = gmsh::read(Path::new("s.msh"), swapped.as_bytes()).unwrap();
    assert_eq!(m.inverted_repaired(), 1);
    assert!(volume(&m) > 0.0);
}

#[test]
fn second_order_elements_keep_their_corners() {
    let text = "$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$Nodes\n10\n\
1 0 0 0\n2 2 0 0\n3 0 2 0\n4 0 0 2\n5 1 0 0\n6 1 1 0\n7 0 1 0\n8 0 0 1\n9 0 1 1\n10 1 0 1\n$EndNodes\n\
$Elements\n2\n1 9 2 4 1 1 2 3 5 6 7\n2 11 2 6 1 1 2 3 4 5 6 7 8 9 10\n$EndElements\n";
    let m = gmsh::read(Path::new("q.msh"), text.as_bytes()).unwrap();
    assert_eq!(m.tets(), [[0, 1, 2, 3]]);
    assert_eq!(m.regions(), [6]);
    assert_eq!(m.surfaces().triangles, [[0, 1, 2]]);
    assert!((volume(&m) - 8.0 / 6.0).abs() < 1e-12);
}

#[test]
fn unknown_sections_are_skipped() {
    let text = String::from_utf8(bytes("land_lv_coarse_v4.msh")).unwrap();
    let extra = "$Comments\n$Nodes is not a header here\n$EndComments\n\
$NodeData\n1\n\"t\"\n1\n0.0\n3\n0\n1\n1\n1 0.5\n$EndNodeData\n";
    let with = text.replacen("$Entities", &format!("{extra}$Entities"), 1) + extra;
    let m = gmsh::read(Path::new("x.msh"), with.as_bytes()).unwrap();
    assert_same(&m, &load("land_lv_coarse_v4.msh"), "with extra sections");
    // In a binary file, skipped sections may hold any bytes.
    let mut bin = bytes("land_lv_coarse_v4_bin.msh");
    bin.extend_from_slice(b"$Foo\n\x00\xff\x01$\n\x00$EndFoo\n");
    gmsh::read(Path::new("x.msh"), &bin).unwrap();
}

/// A one-tetrahedron MSH 4.1 binary file, built byte by byte, in either byte order.
fn binary_v41(big_endian: bool) -> Vec<u8> {
    let mut b = b"$MeshFormat\n4.1 1 8\n".to_vec();
    let int = |b: &mut Vec<u8>, v: i32| {
        b.extend(if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        })
    };
    let size = |b: &mut Vec<u8>, v: u64| {
        b.extend(if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        })
    };
    let double = |b: &mut Vec<u8>, v: f64| {
        b.extend(if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        })
    };
    int(&mut b, 1);
    b.extend(b"\n$EndMeshFormat\n$Entities\n");
    for n in [0, 0, 0, 1] {
        size(&mut b, n);
    }
    int(&mut b, 4); // volume tag
    for v in [0.0, 0.0, 0.0, 1.0, 1.0, 1.0] {
        double(&mut b, v);
    }
    size(&mut b, 1);
    int(&mut b, 42); // physical tag
    size(&mut b, 0);
    b.extend(b"\n$EndEntities\n$Nodes\n");
    for n in [1, 4, 1, 4] {
        size(&mut b, n);
    }
    for v in [3, 4, 0] {
        int(&mut b, v);
    }
    size(&mut b, 4);
    for tag in 1..=4 {
        size(&mut b, tag);
    }
    for p in [
        [0.0, 0.0, 0.0],
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
    ] {
        for c in p {
            double(&mut b, c);
        }
    }
    b.extend(b"\n$EndNodes\n$Elements\n");
    for n in [1, 1, 1, 1] {
        size(&mut b, n);
    }
    for v in [3, 4, 4] {
        int(&mut b, v);
    }
    size(&mut b, 1);
    for v in [1, 1, 2, 3, 4] {
        size(&mut b, v);
    }
    b.extend(b"\n$EndElements\n");
    b
}

#[test]
fn hand_built_binary_in_both_byte_orders() {
    for big in [false, true] {
        let m = gmsh::read(Path::new("b.msh"), &binary_v41(big)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.tets(), [[0, 1, 2, 3]], "big endian: {big}");
        assert_eq!(m.regions(), [42], "big endian: {big}");
    }
}

// ---------------------------------------------------------------------------------------------------------
// Malformed input: the error kind, and where

fn parse_line(e: &ImportError) -> usize {
    match e {
        ImportError::Parse { line, .. } => *line,
        other => panic!("expected a parse error with a line, got {other:?}"),
    }
}

fn binary_offset(e: &ImportError) -> u64 {
    match e {
        ImportError::Binary { offset, .. } => *offset,
        other => panic!("expected a binary error with an offset, got {other:?}"),
    }
}

/// `text` with its 1-based line `n` replaced.
fn replace_line(text: &str, n: usize, new: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == n { new } else { l })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The 1-based number of the first line after `after` (a line number) that satisfies `pred`.
fn find_line(text: &str, after: usize, pred: impl Fn(&str) -> bool) -> usize {
    text.lines()
        .enumerate()
        .skip(after)
        .find(|(_, l)| pred(l))
        .map(|(i, _)| i + 1)
        .expect("line not found")
}

fn lv_v2() -> String {
    String::from_utf8(bytes("land_lv_coarse_v2.msh")).unwrap()
}

/// The first tetrahedron line of the MSH 2.2 text file.
fn first_tet_line(text: &str) -> usize {
    let elements = find_line(text, 0, |l| l == "$Elements");
    find_line(text, elements + 1, |l| l.split(' ').nth(1) == Some("4"))
}

#[test]
fn truncation_anywhere_is_an_error_never_a_partial_mesh() {
    // Every cut of the small files, every 97th byte of the large ones (and every cut of their end).
    let files = [
        ("tiny_box_v2.msh", 1),
        ("tiny_box_v4.msh", 1),
        ("tiny_box_v2_bin.msh", 1),
        ("tiny_box_v4_bin.msh", 1),
    ]
    .into_iter()
    .chain(LV_FILES.map(|name| (name, 97)));
    for (name, step) in files {
        let b = bytes(name);
        // The files end in "$EndElements\n": any shorter cut loses part of that marker or more.
        let last = b.len() - "$EndElements\n".len();
        let cuts = (0..b.len() - 1).step_by(step).chain(last..b.len() - 1);
        let mut n = 0;
        for cut in cuts {
            let e = read_err(&b[..cut]);
            let placed = match &e {
                ImportError::Parse { .. } | ImportError::Binary { .. } => true,
                ImportError::Unsupported { msg, .. } => {
                    msg.contains("line ") || msg.contains("byte ")
                }
                _ => false,
            };
            assert!(placed, "{name} cut at {cut}: {e}");
            n += 1;
        }
        assert!(n > 900, "{name}: {n} cuts");
    }
}

#[test]
fn truncated_text_names_the_last_line() {
    let text = lv_v2();
    let nodes_end = find_line(&text, 0, |l| l == "$EndNodes");
    let cut: String = text
        .lines()
        .take(nodes_end - 10)
        .map(|l| format!("{l}\n"))
        .collect();
    let e = read_err(cut.as_bytes());
    assert_eq!(parse_line(&e), nodes_end - 9, "{e}");
    assert!(
        e.to_string()
            .contains("expected a node tag, found the end of the file"),
        "{e}"
    );
    let whole_nodes: String = text
        .lines()
        .take(nodes_end)
        .map(|l| format!("{l}\n"))
        .collect();
    let e = read_err(whole_nodes.as_bytes());
    assert!(
        e.to_string()
            .contains("the file ends without a $Elements section"),
        "{e}"
    );
}

#[test]
fn wrong_counts_are_reported_where_they_show() {
    let text = lv_v2();
    let count_line = find_line(&text, 0, |l| l == "$Nodes") + 1;
    // One node too many declared: the end marker is read as a node tag.
    let e = read_err(replace_line(&text, count_line, "777").as_bytes());
    assert_eq!(parse_line(&e), count_line + 777, "{e}");
    assert!(
        e.to_string()
            .contains("expected a node tag, found `$EndNodes`"),
        "{e}"
    );
    // One too few: a node is left where the end marker should be.
    let e = read_err(replace_line(&text, count_line, "775").as_bytes());
    assert_eq!(parse_line(&e), count_line + 776, "{e}");
    assert!(
        e.to_string().contains("expected $EndNodes, found `776`"),
        "{e}"
    );

    let v4 = String::from_utf8(bytes("land_lv_coarse_v4.msh")).unwrap();
    let header = find_line(&v4, 0, |l| l == "$Nodes") + 1;
    let e = read_err(replace_line(&v4, header, "12 777 1 776").as_bytes());
    assert_eq!(parse_line(&e), header, "{e}");
    assert!(
        e.to_string()
            .contains("declares 777 nodes but its blocks hold 776"),
        "{e}"
    );
    let header = find_line(&v4, 0, |l| l == "$Elements") + 1;
    let old = v4.lines().nth(header - 1).unwrap();
    let bumped: Vec<String> = old
        .split(' ')
        .enumerate()
        .map(|(i, w)| {
            if i == 1 {
                (w.parse::<u64>().unwrap() + 1).to_string()
            } else {
                w.to_string()
            }
        })
        .collect();
    let e = read_err(replace_line(&v4, header, &bumped.join(" ")).as_bytes());
    assert_eq!(parse_line(&e), header, "{e}");
    assert!(e.to_string().contains("$Elements header declares"), "{e}");
}

#[test]
fn unknown_node_reference_names_element_and_line() {
    let text = lv_v2();
    let n = first_tet_line(&text);
    let line = text.lines().nth(n - 1).unwrap();
    let mut words: Vec<&str> = line.split(' ').collect();
    let tag = words[0].to_string();
    *words.last_mut().unwrap() = "99999";
    let e = read_err(replace_line(&text, n, &words.join(" ")).as_bytes());
    assert_eq!(parse_line(&e), n, "{e}");
    let expected = format!("element {tag} refers to node 99999, which $Nodes does not define");
    assert!(e.to_string().contains(&expected), "{e}");
}

#[test]
fn duplicate_node_tags_are_errors() {
    let text = lv_v2();
    let first = find_line(&text, 0, |l| l == "$Nodes") + 2;
    let second = text.lines().nth(first).unwrap().replacen("2 ", "1 ", 1);
    let e = read_err(replace_line(&text, first + 1, &second).as_bytes());
    assert_eq!(parse_line(&e), first + 1, "{e}");
    assert!(e.to_string().contains("node tag 1 is defined twice"), "{e}");
}

#[test]
fn non_finite_coordinates_are_errors() {
    let text = lv_v2();
    let n = find_line(&text, 0, |l| l == "$Nodes") + 5;
    for bad in ["nan", "inf", "-inf", "1e999"] {
        let e = read_err(replace_line(&text, n, &format!("4 0 {bad} 0")).as_bytes());
        assert_eq!(parse_line(&e), n, "{e}");
        assert!(
            e.to_string()
                .contains("expected a y coordinate (a finite number)"),
            "{bad}: {e}"
        );
    }
    // Binary: a NaN in place of the first node's x (MSH 2.2: after the count line, 4 bytes of tag).
    let mut b = bytes("land_lv_coarse_v2_bin.msh");
    let at = find(&b, b"$Nodes\n776\n") + "$Nodes\n776\n".len() + 4;
    b[at..at + 8].copy_from_slice(&f64::NAN.to_le_bytes());
    let e = read_err(&b);
    assert_eq!(binary_offset(&e), at as u64, "{e}");
    assert!(
        e.to_string()
            .contains("expected an x coordinate (a finite number), found NaN"),
        "{e}"
    );
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("marker not found")
}

#[test]
fn garbage_is_an_error_at_the_start() {
    for junk in [
        &b""[..],
        b"\xff\xfe\x00garbage",
        b"hello world",
        b"\x00\x00\x00\x00",
    ] {
        let e = read_err(junk);
        assert_eq!(parse_line(&e), 1, "{e}");
        assert!(e.to_string().contains("expected $MeshFormat"), "{e}");
    }
    let e = read_err(b"$MeshFormat\n");
    assert_eq!(parse_line(&e), 2, "{e}");
    assert!(
        e.to_string()
            .contains("expected the MSH version (2.2 or 4.1), found the end of the file"),
        "{e}"
    );
    let e = read_err(b"$MeshFormat\n2.2 0 8\n$EndMeshFormat\n\x00\x01\x02 junk\n");
    assert_eq!(parse_line(&e), 4, "{e}");
    assert!(e.to_string().contains("expected a section header"), "{e}");
}

#[test]
fn unsupported_element_type_names_it_and_the_line() {
    let text = lv_v2();
    let n = first_tet_line(&text);
    let line = text.lines().nth(n - 1).unwrap().replacen(" 4 ", " 5 ", 1);
    let e = read_err(replace_line(&text, n, &line).as_bytes());
    assert!(matches!(e, ImportError::Unsupported { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("line {n}: element type 5 (8-node hexahedron)")),
        "{msg}"
    );

    // The same in MSH 4.1 binary: the type of the first element block.
    let mut b = bytes("land_lv_coarse_v4_bin.msh");
    let at = find(&b, b"$Elements\n") + "$Elements\n".len() + 4 * 8 + 4 + 4;
    b[at..at + 4].copy_from_slice(&6i32.to_le_bytes());
    let msg = read_err(&b).to_string();
    assert!(
        msg.contains(&format!("byte {at}: element type 6 (6-node prism)")),
        "{msg}"
    );
}

#[test]
fn bad_endianness_word_is_a_binary_error() {
    for name in ["land_lv_coarse_v4_bin.msh", "land_lv_coarse_v2_bin.msh"] {
        let mut b = bytes(name);
        let at = find(&b, b" 1 8\n") + " 1 8\n".len();
        b[at..at + 4].copy_from_slice(&[2, 0, 0, 0]);
        let e = read_err(&b);
        assert_eq!(binary_offset(&e), at as u64, "{e}");
        assert!(
            e.to_string().contains("expected the endianness word 1"),
            "{e}"
        );
    }
}

#[test]
fn unsupported_versions_and_data_sizes() {
    let e = read_err(b"$MeshFormat\n4.0 0 8\n$EndMeshFormat\n");
    assert!(e.to_string().contains("line 2: MSH version 4"), "{e}");
    let e = read_err(b"$NOD\n4\n");
    assert!(e.to_string().contains("line 1: MSH version 1"), "{e}");
    let e = read_err(b"$MeshFormat\n2.2 0 4\n$EndMeshFormat\n");
    assert!(e.to_string().contains("data size 4"), "{e}");
}

#[test]
fn partitioned_meshes_are_unsupported() {
    let text = String::from_utf8(bytes("tiny_box_v4.msh")).unwrap();
    let text = text.replacen(
        "$Nodes",
        "$PartitionedEntities\n2\n0\n$EndPartitionedEntities\n$Nodes",
        1,
    );
    let e = read_err(text.as_bytes());
    assert!(matches!(e, ImportError::Unsupported { .. }), "{e:?}");
    assert!(e.to_string().contains("partitioned mesh"), "{e}");
}

#[test]
fn no_tetrahedra_is_an_error() {
    let text = SPARSE_V2
        .replace("3\n7 15", "2\n7 15")
        .replace("9 4 2 5 1 10 20 30 40\n", "");
    let e = read_err(text.as_bytes());
    assert_eq!(parse_line(&e), 11, "{e}"); // the $Elements line
    assert!(e.to_string().contains("no tetrahedra"), "{e}");
}

#[test]
fn missing_entity_in_v41_is_an_error() {
    let v4 = String::from_utf8(bytes("land_lv_coarse_v4.msh")).unwrap();
    let elements = find_line(&v4, 0, |l| l == "$Elements");
    let n = find_line(&v4, elements + 1, |l| l.starts_with("3 1 4 "));
    let line = v4
        .lines()
        .nth(n - 1)
        .unwrap()
        .replacen("3 1 4 ", "3 9 4 ", 1);
    let e = read_err(replace_line(&v4, n, &line).as_bytes());
    assert_eq!(parse_line(&e), n, "{e}");
    assert!(
        e.to_string()
            .contains("entity (3, 9), which $Entities does not list"),
        "{e}"
    );
}
