//! openCARP, TetGen and Abaqus readers: counts, tags, fields, units, hexahedra split conformingly with
//! their volume kept, round trips, and malformed files that must fail with the line named.

use std::path::{Path, PathBuf};

use cardiotwin::anatomy::land_ellipsoid::LandEllipsoid;
use cardiotwin::inspect::MeshInfo;
use cardiotwin::mesh::io::{self, ImportError, abaqus, tetgen};
use cardiotwin::mesh::{Field, TetMesh};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cardiotwin-io-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn land() -> TetMesh {
    let mut m = LandEllipsoid::with_element_size(2.0).build().unwrap();
    let t = m.tet_count();
    let fib: Vec<f64> = (0..t).flat_map(|i| [1.0, 0.0, i as f64 * 1e-3]).collect();
    m.add_cell_field(Field::new("fiber", 3, fib)).unwrap();
    m.add_cell_field(Field::new("sheet", 3, [0.0, 1.0, 0.0].repeat(t)))
        .unwrap();
    m
}

#[test]
fn opencarp_round_trip_keeps_geometry_fibres_and_surfaces() {
    let mesh = land();
    let dir = scratch("opencarp");
    let written = io::write(&dir.join("lv.pts"), &mesh).unwrap();
    assert_eq!(written.len(), 2 + 1 + 3, "{written:?}");
    // Coordinates are micrometres on disk.
    let pts = std::fs::read_to_string(dir.join("lv.pts")).unwrap();
    let apex_z: f64 = pts
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(apex_z, -17000.0);

    let back = io::read(&dir.join("lv.elem")).unwrap();
    assert_eq!(back.node_count(), mesh.node_count());
    assert_eq!(back.tets(), mesh.tets());
    assert_eq!(back.inverted_repaired(), 0);
    for (a, b) in back.nodes().iter().zip(mesh.nodes()) {
        for k in 0..3 {
            assert!((a[k] - b[k]).abs() < 1e-12, "{a:?} vs {b:?}");
        }
    }
    assert_eq!(back.regions(), mesh.regions());
    assert_eq!(back.cell_field("fiber"), mesh.cell_field("fiber"));
    assert_eq!(back.cell_field("sheet"), mesh.cell_field("sheet"));
    // Surfaces come back by name (tags are renumbered in name order: .surf files carry no tag).
    let by_name = |m: &TetMesh, name: &str| {
        let tag = m
            .surface_names
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(t, _)| *t)
            .unwrap();
        let mut tris: Vec<[u32; 3]> = m
            .surfaces()
            .triangles
            .iter()
            .zip(&m.surfaces().tags)
            .filter(|(_, t)| **t == tag)
            .map(|(tri, _)| *tri)
            .collect();
        tris.sort();
        tris
    };
    for name in ["endocardium", "epicardium", "base"] {
        assert_eq!(by_name(&back, name), by_name(&mesh, name), "{name}");
    }
}

#[test]
fn opencarp_vtx_and_triangles_in_elem() {
    let dir = scratch("opencarp-vtx");
    std::fs::write(
        dir.join("t.pts"),
        "4\n0 0 0\n1000 0 0\n0 1000 0\n0 0 1000\n",
    )
    .unwrap();
    std::fs::write(dir.join("t.elem"), "2\nTt 0 2 1 3 7\nTr 0 1 2 4\n").unwrap();
    std::fs::write(dir.join("t.stim.vtx"), "2\nintra\n0\n3\n").unwrap();
    let m = io::read(&dir.join("t.pts")).unwrap();
    assert_eq!((m.node_count(), m.tet_count()), (4, 1));
    assert_eq!(
        m.inverted_repaired(),
        1,
        "openCARP order 0 2 1 3 is inverted here"
    );
    assert_eq!(m.regions(), &[7]);
    assert_eq!(m.surfaces().tags, vec![4]);
    assert_eq!(
        m.point_field("vtx:stim").unwrap().data,
        vec![1.0, 0.0, 0.0, 1.0]
    );
    assert!((MeshInfo::of(&m).volume_mm3 - 1.0 / 6.0).abs() < 1e-12);
}

fn expect_parse_error(result: Result<TetMesh, ImportError>, line: usize, words: &str) {
    match result {
        Err(ImportError::Parse { line: l, msg, .. }) => {
            assert_eq!(l, line, "{msg}");
            assert!(msg.contains(words), "{msg:?} lacks {words:?}");
        }
        other => panic!("expected a parse error at line {line}, got {other:?}"),
    }
}

#[test]
fn opencarp_errors_name_the_line() {
    let dir = scratch("opencarp-bad");
    let cases: [(&str, &str, usize, &str); 5] = [
        (
            "4\n0 0 0\n1 0 0\n0 1 0\n",
            "1\nTt 0 1 2 3\n",
            4,
            "end of file",
        ),
        (
            "4\n0 0 0\n1 0 0\n0 1 0\n0 0 nan\n",
            "1\nTt 0 1 2 3\n",
            5,
            "not finite",
        ),
        (
            "4\n0 0 0\n1 0 0\n0 1 0\n0 0 1\n",
            "1\nTt 0 1 2 9\n",
            2,
            "out of range",
        ),
        (
            "4\n0 0 0\n1 0 0\n0 1 0\n0 0 1\n",
            "1\nHx 0 1 2 3 0 1 2 3\n",
            2,
            "not supported",
        ),
        (
            "4\n0 0 0\n1 0 0\n0 1 0\n0 0 1\n",
            "2\nTt 0 1 2 3\n",
            2,
            "end of file",
        ),
    ];
    for (i, (pts, elem, line, words)) in cases.iter().enumerate() {
        let base = dir.join(format!("c{i}"));
        std::fs::write(base.with_extension("pts"), pts).unwrap();
        std::fs::write(base.with_extension("elem"), elem).unwrap();
        expect_parse_error(io::read(&base.with_extension("pts")), *line, words);
    }
    assert!(matches!(
        io::read(&dir.join("missing.pts")),
        Err(ImportError::Io { .. })
    ));
}

const NODE: &str = "# a tetgen file\n5 3 1 1\n1 0 0 0 0.5 1\n2 1 0 0 0.5 1\n3 0 1 0 0.5 1\n4 0 0 1 0.5 1\n5 1 1 1 0.5 0\n";
const ELE: &str = "2 4 1\n1 1 2 3 4 3\n2 2 3 4 5 8\n";
const FACE: &str = "2 1\n1 1 2 3 -1\n2 2 3 5 -2\n";

#[test]
fn tetgen_reads_attributes_regions_and_faces() {
    let p = |s: &str| PathBuf::from(format!("m.{s}"));
    let m = tetgen::parse(
        (&p("node"), NODE.as_bytes()),
        (&p("ele"), ELE.as_bytes()),
        Some((&p("face"), FACE.as_bytes())),
    )
    .unwrap();
    assert_eq!((m.node_count(), m.tet_count()), (5, 2));
    assert_eq!(m.regions(), &[3, 8]);
    assert_eq!(m.surfaces().tags, vec![-1, -2]);
    assert_eq!(m.surfaces().triangles[1], [1, 2, 4]);
    assert_eq!(m.point_field("attribute0").unwrap().data, vec![0.5; 5]);
    let bad_ele = "2 4 1\n1 1 2 3 4 3\n2 2 3 4 6 8\n";
    expect_parse_error(
        tetgen::parse(
            (&p("node"), NODE.as_bytes()),
            (&p("ele"), bad_ele.as_bytes()),
            None,
        ),
        3,
        "out of range",
    );
    let bad_node = NODE.replace("3 0 1 0 0.5 1", "7 0 1 0 0.5 1");
    expect_parse_error(
        tetgen::parse(
            (&p("node"), bad_node.as_bytes()),
            (&p("ele"), ELE.as_bytes()),
            None,
        ),
        5,
        "consecutively",
    );
}

/// A structured block of n^3 C3D8 hexahedra written as an Abaqus file, with an element set per half,
/// a node set, and a surface on the face z = 0.
fn hex_block_inp(n: usize, skew: f64) -> String {
    let mut s = String::from("*Heading\n** generated\n*Node, nset=all\n");
    let id = |i: usize, j: usize, k: usize| 1 + i + (n + 1) * (j + (n + 1) * k);
    for k in 0..=n {
        for j in 0..=n {
            for i in 0..=n {
                let (x, y, z) = (i as f64, j as f64, k as f64);
                // A shear keeps faces planar and the volume n^3.
                s += &format!("{}, {}, {}, {}\n", id(i, j, k), x + skew * z, y, z);
            }
        }
    }
    s += "*Element, type=C3D8H, elset=lower\n";
    let mut e = 1;
    let mut bottom = Vec::new();
    for k in 0..n {
        if k == n / 2 {
            s += "*Element, type=C3D8, elset=upper\n";
        }
        for j in 0..n {
            for i in 0..n {
                let c = [
                    id(i, j, k),
                    id(i + 1, j, k),
                    id(i + 1, j + 1, k),
                    id(i, j + 1, k),
                    id(i, j, k + 1),
                    id(i + 1, j, k + 1),
                    id(i + 1, j + 1, k + 1),
                    id(i, j + 1, k + 1),
                ];
                // Split the connectivity over two lines, as Abaqus writers do for long elements.
                s += &format!(
                    "{e}, {}, {}, {}, {},\n{}, {}, {}, {}\n",
                    c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]
                );
                if k == 0 {
                    bottom.push(e);
                }
                e += 1;
            }
        }
    }
    s += "*Elset, elset=bottom\n";
    for b in &bottom {
        s += &format!("{b},\n");
    }
    s += "*Nset, nset=corner, generate\n1, 1, 1\n*Surface, type=ELEMENT, name=floor\nbottom, S1\n";
    s += "*Material, name=x\n*Elastic\n1.0, 0.3\n";
    s
}

#[test]
fn abaqus_hexahedra_split_conformingly_and_keep_their_volume() {
    let n = 4;
    let text = hex_block_inp(n, 0.3);
    let m = abaqus::parse(Path::new("block.inp"), text.as_bytes()).unwrap();
    assert_eq!(m.tet_count(), 12 * n * n * n);
    assert_eq!(m.node_count(), (n + 1).pow(3) + n * n * n);
    let info = MeshInfo::of(&m);
    assert!(
        (info.volume_mm3 - (n * n * n) as f64).abs() < 1e-9,
        "{}",
        info.volume_mm3
    );
    assert_eq!(info.degenerate, 0);
    assert!(info.closed_boundary, "split hexahedra do not conform");
    assert_eq!(info.boundary_triangles, 2 * 6 * n * n);
    assert_eq!(info.components, 1);
    // Regions in file order: lower (1), upper (2), bottom (3, but its elements are already in lower).
    assert_eq!(m.region_names.get(&1).map(String::as_str), Some("lower"));
    let upper = m.regions().iter().filter(|&&r| r == 2).count();
    assert_eq!(upper, 12 * n * n * (n - n / 2));
    // The floor surface: S1 of the bottom layer, two triangles per hexahedron face, all at z = 0 with
    // area n^2.
    let floor = info
        .surfaces
        .iter()
        .find(|s| s.name.as_deref() == Some("floor"))
        .unwrap();
    assert_eq!(floor.triangles, 2 * n * n);
    assert!((floor.area_mm2 - (n * n) as f64).abs() < 1e-9);
    assert_eq!(
        m.point_field("nset:corner")
            .unwrap()
            .data
            .iter()
            .sum::<f64>(),
        1.0
    );
}

#[test]
fn abaqus_tetrahedra_and_errors() {
    let ok = "*Node\n1, 0, 0, 0\n2, 1, 0, 0\n3, 0, 1, 0\n4, 0, 0, 1\n*Element, type=C3D4, elset=wall\n10, 1, 2, 3, 4\n*Surface, type=ELEMENT, name=s\n10, S1\n";
    let m = abaqus::parse(Path::new("t.inp"), ok.as_bytes()).unwrap();
    assert_eq!((m.node_count(), m.tet_count(), m.regions()[0]), (4, 1, 1));
    assert_eq!(m.surfaces().triangles, vec![[0, 1, 2]]);

    let p = Path::new("bad.inp");
    let missing_node = ok.replace("10, 1, 2, 3, 4", "10, 1, 2, 3, 5");
    expect_parse_error(abaqus::parse(p, missing_node.as_bytes()), 7, "node 5");
    let bad_type = ok.replace("C3D4", "C3D6");
    expect_parse_error(abaqus::parse(p, bad_type.as_bytes()), 6, "not supported");
    let nan = ok.replace("4, 0, 0, 1", "4, 0, 0, nan");
    expect_parse_error(abaqus::parse(p, nan.as_bytes()), 5, "not finite");
    let short = ok.replace("10, 1, 2, 3, 4", "10, 1, 2, 3");
    expect_parse_error(abaqus::parse(p, short.as_bytes()), 7, "mid-element");
    let bad_face = ok.replace("10, S1", "10, S6");
    expect_parse_error(abaqus::parse(p, bad_face.as_bytes()), 9, "no face");
    assert!(abaqus::parse(p, b"\xff\xfe garbage").is_err());
    assert!(matches!(
        abaqus::parse(p, b"*Heading\n"),
        Err(ImportError::Invalid { .. })
    ));
}
