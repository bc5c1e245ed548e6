//! VTK import and export on third-party files: the Land et al. LV written by meshio and VTK in every
//! flavour (`tests/data/vtk/`, see `SOURCE.md`), the Rodero LV that ships in `meshes/`, a subset of the
//! bi-ventricular benchmark; VTU round trip and PVD output; malformed inputs give located errors.

use std::path::{Path, PathBuf};

use cardiotwin::mesh::io::ImportError;
use cardiotwin::mesh::io::vtk::{read_legacy, read_vtu, write_pvd, write_vtu};
use cardiotwin::mesh::{Field, Surfaces, TetMesh, signed_volume};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/vtk")
        .join(name)
}

fn read(path: &Path) -> Result<TetMesh, ImportError> {
    let bytes = std::fs::read(path).unwrap();
    if path.extension().is_some_and(|e| e == "vtk") {
        read_legacy(path, &bytes)
    } else {
        read_vtu(path, &bytes)
    }
}

const LAND_VARIANTS: [&str; 17] = [
    "land_meshio_ascii.vtu",
    "land_meshio_binary.vtu",
    "land_meshio_zlib.vtu",
    "land_vtk_ascii.vtu",
    "land_vtk_appended_raw.vtu",
    "land_vtk_appended_raw_zlib64.vtu",
    "land_vtk_appended_base64.vtu",
    "land_vtk_appended_base64_zlib.vtu",
    "land_vtk_binary_zlib_bigendian.vtu",
    "land_vtk_appended_raw_bigendian.vtu",
    "land_meshio_ascii.vtk",
    "land_meshio_binary.vtk",
    "land_vtk42_ascii.vtk",
    "land_vtk42_binary.vtk",
    "land_vtk51_binary.vtk",
    "land_vtk42_attributes_ascii.vtk",
    "land_vtk42_attributes_binary.vtk",
];

fn assert_positive(mesh: &TetMesh, what: &str) {
    for t in 0..mesh.tet_count() {
        let v = signed_volume(&mesh.tet_points(t));
        assert!(v > 0.0, "{what}: tet {t} has volume {v}");
    }
}

#[test]
fn original_meshio_land_lv_imports() {
    let mesh = read(&data("land_lv_coarse.vtu")).unwrap();
    assert_eq!((mesh.node_count(), mesh.tet_count()), (776, 2262));
    assert!(mesh.regions().iter().all(|&r| r == 0));
    assert_positive(&mesh, "land_lv_coarse.vtu");
}

#[test]
fn every_land_variant_gives_the_same_mesh() {
    let reference = read(&data("land_lv_coarse.vtu")).unwrap();
    for name in LAND_VARIANTS {
        let mesh = read(&data(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(mesh.node_count(), 776, "{name}");
        assert_eq!(mesh.tet_count(), 2262, "{name}");
        assert_eq!(mesh.tets(), reference.tets(), "{name}: connectivity");
        for (a, b) in mesh.nodes().iter().zip(reference.nodes()) {
            // ASCII writers round to 9 to 16 significant digits.
            for k in 0..3 {
                assert!((a[k] - b[k]).abs() < 1e-9, "{name}: {a:?} vs {b:?}");
            }
        }
        assert!(
            mesh.regions().iter().all(|&r| r == 10),
            "{name}: region tags"
        );
        assert_eq!(mesh.inverted_repaired(), 0, "{name}");
        assert_positive(&mesh, name);
        let fibre = mesh
            .point_field("fibre")
            .unwrap_or_else(|| panic!("{name}: fibre"));
        assert_eq!((fibre.components, fibre.len()), (3, 776), "{name}");
        for (i, p) in mesh.nodes().iter().enumerate() {
            let r = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
            for (f, c) in fibre.get(i).iter().zip(p) {
                assert!((f - c / r).abs() < 1e-6, "{name}: fibre {i}");
            }
        }
        let quality = mesh
            .cell_field("quality")
            .unwrap_or_else(|| panic!("{name}: quality"));
        assert_eq!(quality.components, 1, "{name}");
        let expected: Vec<f64> = (0..2262).map(|t| (t % 7) as f64 / 8.0).collect();
        assert_eq!(quality.data, expected, "{name}: quality");
        assert!(
            mesh.cell_field("gmsh:physical").is_none(),
            "{name}: tags are not a field"
        );
    }
}

#[test]
fn rodero_lv_imports_with_surfaces_and_uvc() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("meshes/rodero_lv.vtu");
    let mesh = read(&path).unwrap();
    assert_eq!(mesh.node_count(), 5442);
    assert_eq!(mesh.tet_count(), 24206);
    let s = mesh.surfaces();
    assert_eq!(s.triangles.len(), 7437);
    assert_eq!(s.tags.len(), 7437);
    assert!(
        s.tags.iter().all(|&t| t > 0),
        "every triangle has a _surface-id"
    );
    assert!(s.tags.contains(&1001) && s.tags.contains(&1002));
    assert!(mesh.regions().iter().all(|&r| r == 1), "_volume-id is 1");
    assert!(mesh.cell_field("_surface-id").is_none());
    assert!(mesh.cell_field("_volume-id").is_none());
    let uvc = mesh.point_field("uvc_longitudinal").unwrap();
    assert_eq!((uvc.components, uvc.len()), (1, 5442));
    assert!(uvc.data.iter().any(|&v| v != uvc.data[0]));
    assert_eq!(mesh.cell_field("fiber").unwrap().components, 3);
    assert_eq!(mesh.inverted_repaired(), 0);
    assert_positive(&mesh, "rodero_lv.vtu");
}

#[test]
fn biventricular_subset_imports_with_fibres() {
    let mesh = read(&data("biv_fibers_small.vtk")).unwrap();
    assert_eq!((mesh.node_count(), mesh.tet_count()), (1669, 3000));
    for name in ["f0", "s0", "n0"] {
        let f = mesh.point_field(name).unwrap();
        assert_eq!((f.components, f.len()), (3, 1669));
        let n = f.get(0).iter().map(|x| x * x).sum::<f64>().sqrt();
        assert!((n - 1.0).abs() < 1e-3, "{name} is a unit vector: {n}");
    }
    assert_positive(&mesh, "biv_fibers_small.vtk");
}

/// Hand-written legacy file: a tetrahedron, a quadratic tetrahedron, a triangle, a vertex and a line;
/// SCALARS with and without LOOKUP_TABLE, NORMALS, VECTORS, an escaped name.
const MIXED_LEGACY: &str = "# vtk DataFile Version 3.0
mixed cells
ASCII
DATASET UNSTRUCTURED_GRID
POINTS 11 float
0 0 0  1 0 0  0 1 0  0 0 1
2 0 0  3 0 0  2 1 0  2 0 1
2.5 0 0  2.5 0.5 0  2 0.5 0
CELLS 5 25
4 0 1 2 3
10 4 5 6 7 8 9 10 4 5 6
3 0 1 2
1 3
2 0 3
CELL_TYPES 5
10
24
5
1
3
CELL_DATA 5
SCALARS medit:ref int 1
LOOKUP_TABLE default
4 5 6 0 0
SCALARS damage%20index double 2
0.5 1 0.25 2 9 9 9 9 9 9
VECTORS flow float
1 0 0 0 1 0 0 0 0 0 0 0 0 0 0
POINT_DATA 11
NORMALS n float
0 0 1 0 0 1 0 0 1 0 0 1 0 0 1 0 0 1 0 0 1 0 0 1 0 0 1 0 0 1 0 0 1
";

#[test]
fn legacy_attributes_and_mixed_cells() {
    let mesh = read_legacy(Path::new("mixed.vtk"), MIXED_LEGACY.as_bytes()).unwrap();
    assert_eq!((mesh.node_count(), mesh.tet_count()), (11, 2));
    assert_eq!(
        mesh.tets()[1],
        [4, 5, 6, 7],
        "quadratic tet keeps its corners"
    );
    assert_eq!(mesh.regions(), [4, 5]);
    assert_eq!(mesh.surfaces().triangles, vec![[0, 1, 2]]);
    assert_eq!(mesh.surfaces().tags, vec![6]);
    let damage = mesh.cell_field("damage index").unwrap();
    assert_eq!(
        (damage.components, damage.data.clone()),
        (2, vec![0.5, 1.0, 0.25, 2.0])
    );
    assert_eq!(
        mesh.cell_field("flow").unwrap().data,
        vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    );
    assert_eq!(mesh.point_field("n").unwrap().len(), 11);
    assert!(mesh.cell_field("medit:ref").is_none());
}

/// A small mesh with every kind of data the writer must carry.
fn rich_mesh() -> TetMesh {
    let nodes = vec![
        [0.0, 0.0, 0.0],
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
        [1.0, 1.0, 1.0],
    ];
    let tets = vec![[0, 1, 2, 3], [1, 2, 3, 4]];
    let mut mesh = TetMesh::new(nodes, tets)
        .unwrap()
        .with_regions(vec![7, -3])
        .unwrap()
        .with_surfaces(Surfaces {
            triangles: vec![[0, 1, 2], [1, 2, 4], [0, 2, 3]],
            tags: vec![1, 2, 2_000_000_000],
        })
        .unwrap();
    mesh.orient_positive();
    mesh.add_point_field(Field::new(
        "pressure <kPa> & \"x\"",
        1,
        vec![0.1, 1.0 / 3.0, -2.5e-300, 7.0, 1e300],
    ))
    .unwrap();
    mesh.add_point_field(Field::new(
        "fibre",
        3,
        (0..15).map(|i| i as f64 / 7.0).collect(),
    ))
    .unwrap();
    mesh.add_cell_field(Field::new(
        "stress",
        9,
        (0..18).map(|i| (i as f64).sqrt()).collect(),
    ))
    .unwrap();
    mesh.add_cell_field(Field::new("volume", 1, vec![std::f64::consts::PI, -0.0]))
        .unwrap();
    mesh.region_names.insert(7, "left ventricle".into());
    mesh.region_names.insert(-3, "scar".into());
    mesh.surface_names.insert(1, "endo".into());
    mesh.surface_names
        .insert(2_000_000_000, "base plane".into());
    mesh
}

#[test]
fn vtu_round_trip_keeps_every_field_and_tag_exactly() {
    let mesh = rich_mesh();
    let bytes = write_vtu(&mesh);
    // Left for checking with other readers (ParaView, VTK, meshio): see tests/data/vtk/SOURCE.md.
    std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("rich_mesh.vtu"),
        &bytes,
    )
    .unwrap();
    let back = read_vtu(Path::new("round_trip.vtu"), &bytes).unwrap();
    assert_same_geometry_and_fields(&back, &mesh);
    assert_eq!(back.region_names, mesh.region_names);
    assert_eq!(back.surface_names, mesh.surface_names);
    assert_eq!(back.inverted_repaired(), 0);
}

#[test]
fn vtu_round_trip_of_the_rodero_lv() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("meshes/rodero_lv.vtu");
    let mesh = read(&path).unwrap();
    let bytes = write_vtu(&mesh);
    std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("rodero_lv.vtu"),
        &bytes,
    )
    .unwrap();
    let back = read_vtu(Path::new("rodero_again.vtu"), &bytes).unwrap();
    assert_same_geometry_and_fields(&back, &mesh);
}

/// Nodes, tetrahedra, region tags, tagged surfaces and every field are identical.
fn assert_same_geometry_and_fields(back: &TetMesh, mesh: &TetMesh) {
    assert_eq!(back.nodes(), mesh.nodes());
    assert_eq!(back.tets(), mesh.tets());
    assert_eq!(back.regions(), mesh.regions());
    assert_eq!(back.surfaces(), mesh.surfaces());
    assert_eq!(back.point_fields(), mesh.point_fields());
    assert_eq!(back.cell_fields(), mesh.cell_fields());
}

#[test]
fn pvd_lists_the_entries_in_well_formed_xml() {
    let entries = vec![
        (0.0, "out/beat_0000.vtu".to_string()),
        (0.001, "out/beat_0001.vtu".to_string()),
        (1.5, "a&b <c>.vtu".to_string()),
    ];
    let bytes = write_pvd(&entries);
    let mut reader = quick_xml::Reader::from_reader(bytes.as_slice());
    let mut seen = Vec::new();
    let mut depth = 0i32;
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(_) => depth += 1,
            quick_xml::events::Event::End(_) => depth -= 1,
            quick_xml::events::Event::Empty(e) if e.name().as_ref() == b"DataSet" => {
                let get = |k: &[u8]| {
                    let a = e.try_get_attribute(k).unwrap().unwrap();
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .unwrap()
                        .into_owned()
                };
                seen.push((get(b"timestep").parse::<f64>().unwrap(), get(b"file")));
            }
            _ => {}
        }
    }
    assert_eq!(depth, 0, "every element closed");
    assert_eq!(seen, entries);
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("<VTKFile type=\"Collection\""));
}

// ---- malformed inputs -------------------------------------------------------------------------------

fn land_bytes(name: &str) -> Vec<u8> {
    std::fs::read(data(name)).unwrap()
}

fn vtu_err(bytes: &[u8]) -> ImportError {
    match read_vtu(Path::new("bad.vtu"), bytes) {
        Ok(m) => panic!("expected an error, got a mesh of {} tets", m.tet_count()),
        Err(e) => e,
    }
}

fn legacy_err(bytes: &[u8]) -> ImportError {
    match read_legacy(Path::new("bad.vtk"), bytes) {
        Ok(m) => panic!("expected an error, got a mesh of {} tets", m.tet_count()),
        Err(e) => e,
    }
}

fn replace_once(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    assert!(text.contains(from), "{from:?} not in the file");
    text.replacen(from, to, 1).into_bytes()
}

/// The error is located: a byte offset, or a line.
fn assert_located(e: &ImportError) {
    let s = e.to_string();
    assert!(
        matches!(e, ImportError::Binary { .. } | ImportError::Parse { .. }),
        "not located: {s}"
    );
    assert!(s.contains("byte ") || s.contains(".vtk:"), "{s}");
}

#[test]
fn truncated_files_give_located_errors() {
    for name in [
        "land_meshio_ascii.vtu",
        "land_meshio_zlib.vtu",
        "land_vtk_appended_raw.vtu",
        "land_vtk_appended_base64_zlib.vtu",
        "land_vtk42_ascii.vtk",
        "land_vtk51_binary.vtk",
    ] {
        let bytes = land_bytes(name);
        for k in 1..40 {
            let cut = bytes.len() * k / 40;
            let result = if name.ends_with(".vtk") {
                read_legacy(Path::new("bad.vtk"), &bytes[..cut])
            } else {
                read_vtu(Path::new("bad.vtu"), &bytes[..cut])
            };
            let e = match result {
                Err(e) => e,
                Ok(_) => panic!(
                    "{name} cut at {cut} of {} read as a whole mesh",
                    bytes.len()
                ),
            };
            let s = e.to_string();
            assert!(
                matches!(
                    e,
                    ImportError::Binary { .. }
                        | ImportError::Parse { .. }
                        | ImportError::Invalid { .. }
                ),
                "{name} cut at {cut}: {s}"
            );
            assert!(
                s.contains("byte ") || s.contains(".vtk:") || s.contains("no tetrahedra"),
                "{name} at {cut}: {s}"
            );
        }
    }
}

#[test]
fn wrong_number_of_points_or_cells_is_reported_at_the_array() {
    let bytes = land_bytes("land_meshio_binary.vtu");
    let e = vtu_err(&replace_once(
        &bytes,
        "NumberOfPoints=\"776\"",
        "NumberOfPoints=\"777\"",
    ));
    assert_located(&e);
    assert!(e.to_string().contains("777"), "{e}");
    let e = vtu_err(&replace_once(
        &bytes,
        "NumberOfCells=\"2262\"",
        "NumberOfCells=\"2261\"",
    ));
    assert_located(&e);
    assert!(e.to_string().contains("NumberOfCells=\"2261\""), "{e}");
    let e = vtu_err(&replace_once(
        &bytes,
        "NumberOfPoints=\"776\"",
        "NumberOfPoints=\"-5\"",
    ));
    assert_located(&e);
    assert!(e.to_string().contains("NumberOfPoints=\"-5\""), "{e}");
    let legacy = land_bytes("land_vtk42_ascii.vtk");
    let e = legacy_err(&replace_once(&legacy, "POINTS 776", "POINTS 900"));
    assert_located(&e);
    let e = legacy_err(&replace_once(&legacy, "CELL_TYPES 2262", "CELL_TYPES 2263"));
    assert_located(&e);
}

#[test]
fn connectivity_out_of_range_names_the_cell() {
    let ascii = land_bytes("land_meshio_ascii.vtu");
    let text = String::from_utf8(ascii).unwrap();
    let at = text.find("Name=\"connectivity\"").unwrap();
    let close = at + text[at..].find('>').unwrap() + 1;
    let mut bad = text.clone();
    bad.insert_str(close, "\n99999 ");
    // One more value shifts every cell; the first one now refers to point 99999.
    let e = vtu_err(bad.as_bytes());
    assert_located(&e);
    assert!(e.to_string().contains("99999"), "{e}");

    let legacy = String::from_utf8(land_bytes("land_vtk42_ascii.vtk")).unwrap();
    let cells = legacy.find("CELLS 2262 11310\n").unwrap() + "CELLS 2262 11310\n".len();
    let mut bad = legacy.clone();
    let line_end = cells + legacy[cells..].find('\n').unwrap();
    bad.replace_range(cells..line_end, "4 0 1 2 5000");
    let e = legacy_err(bad.as_bytes());
    assert_located(&e);
    assert!(e.to_string().contains("5000"), "{e}");
    assert!(e.to_string().contains("bad.vtk:"), "{e}");
}

/// The text with the first value of the named ASCII DataArray replaced by `value`.
fn replace_first_value(text: &str, array: &str, value: &str) -> String {
    let at = text.find(&format!("Name=\"{array}\"")).unwrap();
    let close = at + text[at..].find('>').unwrap() + 1;
    let first = close + text[close..].find(|c: char| !c.is_whitespace()).unwrap();
    let len = text[first..].find(char::is_whitespace).unwrap();
    let mut out = text.to_string();
    out.replace_range(first..first + len, value);
    out
}

#[test]
fn nan_coordinates_and_fields_name_the_array() {
    let text = String::from_utf8(land_bytes("land_vtk_ascii.vtu")).unwrap();
    let e = vtu_err(replace_first_value(&text, "Points", "nan").as_bytes());
    assert_located(&e);
    assert!(
        e.to_string().contains("Points") && e.to_string().contains("non-finite"),
        "{e}"
    );

    // A field with a non-finite value is skipped (with a warning); the mesh and its other fields import.
    let bytes = replace_first_value(&text, "quality", "inf");
    let mesh = read_vtu(Path::new("inf_field.vtu"), bytes.as_bytes()).unwrap();
    assert!(mesh.cell_field("quality").is_none());
    assert_eq!(mesh.tet_count(), 2262);

    let legacy = land_bytes("land_vtk42_ascii.vtk");
    let text = String::from_utf8(legacy).unwrap();
    let first = text.find("POINTS 776 double\n").unwrap() + "POINTS 776 double\n".len();
    let len = text[first..].find(' ').unwrap();
    let mut bad = text.clone();
    bad.replace_range(first..first + len, "NaN");
    let e = legacy_err(bad.as_bytes());
    assert_located(&e);
    assert!(e.to_string().contains("non-finite"), "{e}");
}

#[test]
fn bad_base64_is_reported_at_its_offset() {
    let bytes = land_bytes("land_meshio_zlib.vtu");
    let text = String::from_utf8(bytes).unwrap();
    let at = text.find("Name=\"Points\"").unwrap();
    let close = at + text[at..].find('>').unwrap() + 1;
    let data = close + text[close..].find(|c: char| !c.is_whitespace()).unwrap();
    let mut bad = text.clone();
    bad.replace_range(data + 30..data + 31, "!");
    let e = vtu_err(bad.as_bytes());
    assert_located(&e);
    let s = e.to_string();
    assert!(s.contains("base64") && s.contains("\"Points\""), "{s}");
    assert!(
        s.contains(&format!("byte {}", data + 30)) || s.contains(&format!("byte {data}")),
        "{s}"
    );
}

#[test]
fn corrupted_zlib_is_reported() {
    let bytes = land_bytes("land_vtk_appended_raw_zlib64.vtu");
    let start = bytes
        .windows(13)
        .position(|w| w == b"<AppendedData")
        .unwrap();
    let underscore = start + bytes[start..].iter().position(|&b| b == b'_').unwrap();
    let mut bad = bytes.clone();
    // Past the first array's 32-byte header (one block): garble its zlib stream.
    for b in &mut bad[underscore + 1 + 32 + 2..underscore + 1 + 32 + 40] {
        *b ^= 0x5a;
    }
    let e = vtu_err(&bad);
    assert_located(&e);
    assert!(e.to_string().contains("zlib"), "{e}");
}

#[test]
fn garbage_and_empty_inputs_are_errors() {
    let garbage: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    assert_located(&vtu_err(&garbage));
    assert_located(&legacy_err(&garbage));
    assert_located(&vtu_err(b""));
    assert_located(&legacy_err(b""));
    let e = vtu_err(b"<?xml version=\"1.0\"?><VTKFile type=\"PolyData\"></VTKFile>");
    assert!(matches!(e, ImportError::Unsupported { .. }), "{e}");
}

#[test]
fn unsupported_cell_types_are_named_and_counted() {
    let legacy = land_bytes("land_vtk42_ascii.vtk");
    // Two hexahedra (type 12) with four nodes each: the type is the complaint, not the node count.
    let bad = replace_once(
        &legacy,
        "CELL_TYPES 2262\n10\n10\n",
        "CELL_TYPES 2262\n12\n12\n",
    );
    let e = legacy_err(&bad);
    assert!(matches!(e, ImportError::Unsupported { .. }), "{e}");
    assert!(e.to_string().contains("type 12 (hexahedron) x 2"), "{e}");
}

#[test]
fn a_file_without_tetrahedra_is_an_error() {
    let legacy = String::from_utf8(land_bytes("land_vtk42_ascii.vtk")).unwrap();
    let types = legacy.find("CELL_TYPES 2262\n").unwrap() + "CELL_TYPES 2262\n".len();
    let end = legacy[types..].find("CELL_DATA").unwrap() + types;
    let mut bad = legacy.clone();
    bad.replace_range(types..end, &"4\n".repeat(2262));
    let e = legacy_err(bad.as_bytes());
    assert!(matches!(e, ImportError::Invalid { .. }), "{e}");
    assert!(e.to_string().contains("no tetrahedra"), "{e}");
}

// ---- larger third-party files in ../shared/data (present on developer machines and CI) -------------

fn shared(rel: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("SKIPPED: {} not found", path.display());
        None
    }
}

#[test]
fn full_biventricular_benchmark_imports() {
    let Some(path) = shared("benchmarks/biv_coarse/fibers_biv.vtk") else {
        return;
    };
    let mesh = read(&path).unwrap();
    assert_eq!((mesh.node_count(), mesh.tet_count()), (11444, 45304));
    for name in ["f0", "s0", "n0"] {
        assert_eq!(mesh.point_field(name).unwrap().len(), 11444);
    }
    assert_positive(&mesh, "fibers_biv.vtk");
}

/// The four-chamber heart (72,171 points, 331,365 tets, 101,554 surface triangles, as its SOURCE.md
/// records) imports; its ventricular coordinates are NaN outside the ventricles, so those point arrays are
/// skipped rather than carried as non-finite fields.
#[test]
fn rodero_four_chamber_heart_imports_without_its_nan_coordinates() {
    let Some(path) = shared("heart/rodero_01_fullheart_2.0mm.vtu") else {
        return;
    };
    let mesh = read(&path).unwrap();
    assert_eq!((mesh.node_count(), mesh.tet_count()), (72171, 331365));
    assert_eq!(mesh.surfaces().triangles.len(), 101554);
    assert!(mesh.point_field("apico-basal").is_none());
    assert_positive(&mesh, "rodero_01_fullheart_2.0mm.vtu");
}
