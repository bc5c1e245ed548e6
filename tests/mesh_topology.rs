//! Mesh data and topology: node -> (tet, corner) CSR, outward boundary faces, closedness, components,
//! fields and tagged surfaces, on generated meshes where the answers are known exactly.

use cardiotwin::anatomy::block::Block;
use cardiotwin::anatomy::land_ellipsoid::{self, LandEllipsoid};
use cardiotwin::mesh::topology::{NodeTets, boundary_faces, components, is_closed};
use cardiotwin::mesh::{Field, MeshError, Surfaces, TetMesh};
use glam::DVec3;

fn p(mesh: &TetMesh, n: u32) -> DVec3 {
    DVec3::from_array(mesh.nodes()[n as usize])
}

#[test]
fn node_tets_lists_every_corner_once_in_tet_order() {
    let mesh = Block::cube(5, 1.0).with_jitter(0.1, 2).build().unwrap();
    let adj = NodeTets::build(&mesh);
    assert_eq!(adj.offsets.len(), mesh.node_count() + 1);
    assert_eq!(adj.entries.len(), 4 * mesh.tet_count());
    for n in 0..mesh.node_count() {
        let e = adj.of(n);
        assert!(
            e.windows(2).all(|w| w[0][0] < w[1][0]),
            "node {n} not in tet order"
        );
        for &[t, c] in e {
            assert_eq!(mesh.tets()[t as usize][c as usize], n as u32);
        }
    }
}

/// For a closed outward-oriented boundary, sum(area vectors) = 0 and the divergence theorem gives the
/// volume: V = sum over faces of (centroid . n A) / 3.
#[test]
fn boundary_faces_are_outward_and_closed() {
    let (nx, ny, nz) = (3, 4, 5);
    let mesh = Block {
        size: [1.0, 2.0, 3.0],
        cells: [nx, ny, nz],
        jitter: 0.1,
        seed: 5,
    }
    .build()
    .unwrap();
    let (faces, over) = boundary_faces(&mesh);
    assert_eq!(over, 0);
    assert_eq!(faces.len(), 4 * (nx * ny + ny * nz + nx * nz));
    assert!(is_closed(faces.iter().map(|f| f.nodes)));
    let mut area_sum = DVec3::ZERO;
    let mut volume = 0.0;
    for f in &faces {
        let [a, b, c] = f.nodes.map(|n| p(&mesh, n));
        let an = 0.5 * (b - a).cross(c - a);
        area_sum += an;
        volume += ((a + b + c) / 3.0).dot(an) / 3.0;
    }
    assert!(area_sum.length() < 1e-12, "{area_sum}");
    assert!((volume - 6.0).abs() < 1e-12, "{volume}");
    // An open set of triangles is not closed.
    assert!(!is_closed(faces.iter().skip(1).map(|f| f.nodes)));
}

#[test]
fn components_counts_disjoint_pieces() {
    let a = Block::cube(2, 1.0).build().unwrap();
    assert_eq!(components(&a), 1);
    let offset = a.node_count() as u32;
    let mut nodes = a.nodes().to_vec();
    nodes.extend(a.nodes().iter().map(|q| [q[0] + 5.0, q[1], q[2]]));
    let mut tets = a.tets().to_vec();
    tets.extend(a.tets().iter().map(|t| t.map(|n| n + offset)));
    assert_eq!(components(&TetMesh::new(nodes, tets).unwrap()), 2);
}

#[test]
fn land_surfaces_are_tagged_by_layer() {
    let spec = LandEllipsoid::with_element_size(1.5);
    let mesh = spec.build().unwrap();
    let s = mesh.surfaces();
    assert!(is_closed(s.triangles.iter().copied()));
    for (tri, &tag) in s.triangles.iter().zip(&s.tags) {
        let c = tri.map(|n| p(&mesh, n));
        let centroid = (c[0] + c[1] + c[2]) / 3.0;
        match tag {
            land_ellipsoid::BASE => assert!(c.iter().all(|q| (q.z - 5.0).abs() < 1e-9)),
            land_ellipsoid::ENDO | land_ellipsoid::EPI => {
                let (rs, rl) = if tag == land_ellipsoid::ENDO {
                    (7.0, 17.0)
                } else {
                    (10.0, 20.0)
                };
                // Vertices lie on the ellipsoid; the centroid slightly inside it.
                for q in c {
                    let r = (q.x / rs).powi(2) + (q.y / rs).powi(2) + (q.z / rl).powi(2);
                    assert!(
                        (r - 1.0).abs() < 1e-9,
                        "tag {tag}: vertex off the ellipsoid ({r})"
                    );
                }
                let r = (centroid.x / rs).powi(2)
                    + (centroid.y / rs).powi(2)
                    + (centroid.z / rl).powi(2);
                assert!(r < 1.0 && r > 0.98, "tag {tag}: centroid {r}");
            }
            other => panic!("unexpected tag {other}"),
        }
    }
    let count = |t: i32| s.tags.iter().filter(|&&x| x == t).count();
    let (nt, nu, nv) = (spec.transmural, spec.longitudinal, spec.circumferential);
    assert_eq!(count(land_ellipsoid::ENDO), nv + 2 * nv * (nu - 1));
    assert_eq!(count(land_ellipsoid::EPI), nv + 2 * nv * (nu - 1));
    assert_eq!(count(land_ellipsoid::BASE), 2 * nt * nv);
    assert_eq!(mesh.surface_names[&land_ellipsoid::ENDO], "endocardium");
    assert!(
        mesh.regions()
            .iter()
            .all(|&r| r == land_ellipsoid::MYOCARDIUM)
    );
}

#[test]
fn fields_and_tags_are_validated() {
    let mut mesh = Block::cube(1, 1.0).build().unwrap();
    let (n, t) = (mesh.node_count(), mesh.tet_count());
    mesh.add_point_field(Field::new("temperature", 1, vec![1.0; n]))
        .unwrap();
    mesh.add_cell_field(Field::new("fiber", 3, vec![0.5; 3 * t]))
        .unwrap();
    assert_eq!(
        mesh.cell_field("fiber").unwrap().get(t - 1),
        &[0.5, 0.5, 0.5]
    );
    // Replacing by name keeps one copy.
    mesh.add_point_field(Field::new("temperature", 1, vec![2.0; n]))
        .unwrap();
    assert_eq!(mesh.point_fields().len(), 1);
    assert!(matches!(
        mesh.add_cell_field(Field::new("fiber", 3, vec![0.5; 3 * t - 1])),
        Err(MeshError::LengthMismatch { .. })
    ));
    let mut bad = vec![0.0; n];
    bad[3] = f64::NAN;
    assert!(matches!(
        mesh.add_point_field(Field::new("p", 1, bad)),
        Err(MeshError::NonFiniteField { index: 3, .. })
    ));
    let surfaces = Surfaces {
        triangles: vec![[0, 1, n as u32]],
        tags: vec![1],
    };
    assert!(matches!(
        mesh.clone().with_surfaces(surfaces),
        Err(MeshError::SurfaceNodeOutOfRange {
            tri: 0,
            corner: 2,
            ..
        })
    ));
    assert!(matches!(
        mesh.with_regions(vec![1; t + 1]),
        Err(MeshError::LengthMismatch { .. })
    ));
}

/// Extracting one region of a two-region block keeps its volume, fields and the original tags on its
/// outer faces, and tags the cut face as asked.
#[test]
fn extract_regions_keeps_fields_and_tags_the_cut() {
    use cardiotwin::inspect::MeshInfo;
    use cardiotwin::mesh::extract::extract_regions;
    let block = Block {
        size: [2.0, 1.0, 1.0],
        cells: [4, 2, 2],
        jitter: 0.0,
        seed: 1,
    }
    .build()
    .unwrap();
    let centroid_x =
        |m: &TetMesh, t: usize| m.tet_points(t).iter().map(|p| p[0]).sum::<f64>() / 4.0;
    let regions: Vec<i32> = (0..block.tet_count())
        .map(|t| if centroid_x(&block, t) < 1.0 { 1 } else { 2 })
        .collect();
    let mut mesh = block.with_regions(regions).unwrap();
    mesh.region_names.insert(1, "left".into());
    // Tag the x = 0 face as surface 7.
    let (faces, _) = boundary_faces(&mesh);
    let mut s = Surfaces::default();
    for f in faces {
        if f.nodes.iter().all(|&n| mesh.nodes()[n as usize][0] == 0.0) {
            s.triangles.push(f.nodes);
            s.tags.push(7);
        }
    }
    let mut mesh = mesh.with_surfaces(s).unwrap();
    mesh.surface_names.insert(7, "x0".into());
    let t = mesh.tet_count();
    let n = mesh.node_count();
    mesh.add_cell_field(Field::new("id", 1, (0..t).map(|i| i as f64).collect()))
        .unwrap();
    mesh.add_point_field(Field::new(
        "x",
        1,
        mesh.nodes().iter().map(|p| p[0]).collect::<Vec<_>>(),
    ))
    .unwrap();
    assert_eq!(n, mesh.point_field("x").unwrap().len());

    let left = extract_regions(&mesh, &[1], Some((9, "cut"))).unwrap();
    let info = MeshInfo::of(&left);
    assert!((info.volume_mm3 - 1.0).abs() < 1e-12);
    assert!(info.closed_boundary);
    assert_eq!(left.tet_count(), t / 2);
    for (i, p) in left.nodes().iter().enumerate() {
        assert_eq!(left.point_field("x").unwrap().get(i), &[p[0]]);
    }
    for k in 0..left.tet_count() {
        let id = left.cell_field("id").unwrap().get(k)[0] as usize;
        assert!(centroid_x(&mesh, id) < 1.0);
    }
    let area = |tag| {
        info.surfaces
            .iter()
            .find(|s| s.tag == tag)
            .map(|s| s.area_mm2)
    };
    assert_eq!(area(7), Some(1.0));
    assert_eq!(
        area(9).map(|a| (a - 5.0).abs() < 1e-12),
        Some(true),
        "cut + 4 sides = 5 mm^2"
    );
    assert_eq!(left.surface_names[&9], "cut");
    assert_eq!(left.region_names[&1], "left");
    assert!(extract_regions(&mesh, &[42], None).is_err());
}
