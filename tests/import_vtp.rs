//! VTK XML PolyData surfaces (`.vtp`, written by VTK 9.7 in `tests/data/vtp/`): triangles and polygons,
//! ASCII, inline binary and appended zlib, checked against VTK's own counts, area and volume.

use std::path::Path;

use cardiotwin::mesh::io::vtu::read_vtp;
use glam::DVec3;

fn load(name: &str) -> (Vec<[f64; 3]>, Vec<[u32; 3]>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/vtp")
        .join(name);
    let bytes = std::fs::read(&path).unwrap();
    let s = read_vtp(&path, &bytes).unwrap();
    (s.vertices, s.triangles)
}

fn area_volume(v: &[[f64; 3]], t: &[[u32; 3]]) -> (f64, f64) {
    t.iter().fold((0.0, 0.0), |(a, vol), tri| {
        let [p, q, r] = tri.map(|i| DVec3::from_array(v[i as usize]));
        (
            a + 0.5 * (q - p).cross(r - p).length(),
            vol + p.dot(q.cross(r)) / 6.0,
        )
    })
}

#[test]
fn sphere_in_every_encoding_matches_vtk() {
    let ascii = load("sphere_r10_ascii.vtp");
    let zlib = load("sphere_r10_appended_zlib.vtp");
    assert_eq!(ascii.1, zlib.1);
    assert_eq!(ascii.0.len(), zlib.0.len());
    // VTK's reader and vtkMassProperties on this file: 2210 points, 4416 polygons, volume 4172.174 mm^3,
    // area 1254.143 mm^2 (the file stores Float32 points, hence the tolerance).
    assert_eq!((ascii.0.len(), ascii.1.len()), (2210, 4416));
    let (area, volume) = area_volume(&ascii.0, &ascii.1);
    assert!((volume - 4172.174).abs() < 0.01, "{volume}");
    assert!((area - 1254.143).abs() < 0.01, "{area}");
}

#[test]
fn quadrilaterals_are_triangulated() {
    let (v, t) = load("cube_quads_binary.vtp");
    assert_eq!((v.len(), t.len()), (24, 12));
    let (area, _) = area_volume(&v, &t);
    assert!((area - 2400.0).abs() < 1e-3, "{area}");
}

#[test]
fn malformed_polydata_is_an_error() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/vtp/sphere_r10_ascii.vtp");
    let text = std::fs::read_to_string(&path).unwrap();
    for cut in [10, 400, text.len() / 2, text.len() - 20] {
        assert!(
            read_vtp(&path, &text.as_bytes()[..cut]).is_err(),
            "truncated at {cut}"
        );
    }
    let unstructured = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/vtk/land_vtk_ascii.vtu"),
    )
    .unwrap();
    let e = read_vtp(Path::new("x.vtp"), &unstructured).unwrap_err();
    assert!(e.to_string().contains("PolyData"), "{e}");
}

#[test]
fn a_vtp_surface_is_tetrahedralised() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/vtp/sphere_r10_appended_zlib.vtp");
    let mesh = cardiotwin::mesh::io::read(&path).unwrap();
    let info = cardiotwin::inspect::MeshInfo::of(&mesh);
    assert!(info.closed_boundary && info.degenerate == 0);
    let rel = (info.volume_mm3 - 4172.174) / 4172.174;
    assert!(rel.abs() < 0.02, "{rel}");
}
