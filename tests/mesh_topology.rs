//! Mesh data and topology: node -> (tet, corner) CSR, outward boundary faces, closedness, components,
//! fields and tagged surfaces, spatial renumbering and the mesh fingerprint, on generated meshes where the
//! answers are known exactly.

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

/// `mesh` with its nodes and tetrahedra in a pseudo-random order (a seeded Fisher-Yates shuffle): what a
/// mesh file numbered in no spatial order looks like.
fn shuffled(mesh: &TetMesh, seed: u64) -> TetMesh {
    let mut s = seed;
    let mut perm = |n: usize| -> Vec<u32> {
        let mut v: Vec<u32> = (0..n as u32).collect();
        for i in (1..n).rev() {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            v.swap(i, (s >> 33) as usize % (i + 1));
        }
        v
    };
    let node_old = perm(mesh.node_count());
    let tet_old = perm(mesh.tet_count());
    let mut node_new = vec![0u32; node_old.len()];
    for (new, &old) in node_old.iter().enumerate() {
        node_new[old as usize] = new as u32;
    }
    let nodes = node_old.iter().map(|&o| mesh.nodes()[o as usize]).collect();
    let tets = tet_old
        .iter()
        .map(|&t| mesh.tets()[t as usize].map(|n| node_new[n as usize]))
        .collect();
    let s = mesh.surfaces();
    let surfaces = Surfaces {
        triangles: s
            .triangles
            .iter()
            .map(|f| f.map(|n| node_new[n as usize]))
            .collect(),
        tags: s.tags.clone(),
    };
    let mut out = TetMesh::new(nodes, tets)
        .unwrap()
        .with_regions(
            tet_old
                .iter()
                .map(|&t| mesh.regions()[t as usize])
                .collect(),
        )
        .unwrap()
        .with_surfaces(surfaces)
        .unwrap();
    out.surface_names = mesh.surface_names.clone();
    out
}

/// Mean |i - j| over the edges of the tetrahedra: how far apart in memory the nodes a kernel gathers
/// together are.
fn mean_edge_span(mesh: &TetMesh) -> f64 {
    let sum: f64 = mesh
        .tets()
        .iter()
        .flat_map(|t| {
            (0..4).flat_map(move |a| ((a + 1)..4).map(move |b| t[a].abs_diff(t[b]) as f64))
        })
        .sum();
    sum / (6 * mesh.tet_count()) as f64
}

/// The spatial renumbering keeps the mesh (positions, orientation, volumes, tagged surfaces, fields
/// following their nodes and tetrahedra), does not depend on the order it was given, changes nothing
/// the second time, and brings the nodes of a tetrahedron together in memory.
#[test]
fn spatial_renumbering_keeps_the_mesh_and_gathers_neighbours() {
    use cardiotwin::inspect::MeshInfo;
    use cardiotwin::mesh::renumber::spatially_ordered;
    let mesh = LandEllipsoid::with_element_size(1.0).build().unwrap();
    let mut mixed = shuffled(&mesh, 7);
    let t = mixed.tet_count();
    mixed
        .add_cell_field(Field::new("id", 1, (0..t).map(|i| i as f64).collect()))
        .unwrap();
    let x: Vec<f64> = mixed.nodes().iter().map(|p| p[0]).collect();
    mixed.add_point_field(Field::new("x", 1, x)).unwrap();

    let (ordered, how) = spatially_ordered(&mixed);
    assert!(!how.is_identity());
    for (new, &old) in how.node_old.iter().enumerate() {
        assert_eq!(ordered.nodes()[new], mixed.nodes()[old as usize]);
        assert_eq!(how.node_new[old as usize] as usize, new);
        assert_eq!(
            ordered.point_field("x").unwrap().get(new),
            &[mixed.nodes()[old as usize][0]]
        );
    }
    for (new, &old) in how.tet_old.iter().enumerate() {
        // The same corners in the same order: the same signed volume.
        let corners = mixed.tets()[old as usize].map(|n| how.node_new[n as usize]);
        assert_eq!(ordered.tets()[new], corners);
        assert_eq!(ordered.cell_field("id").unwrap().get(new), &[old as f64]);
        assert_eq!(ordered.regions()[new], mixed.regions()[old as usize]);
    }
    let (a, b) = (MeshInfo::of(&mixed), MeshInfo::of(&ordered));
    assert!((a.volume_mm3 - b.volume_mm3).abs() <= 1e-12 * a.volume_mm3);
    assert_eq!(a.closed_boundary, b.closed_boundary);
    assert_eq!(a.surfaces.len(), b.surfaces.len());
    for (s, r) in a.surfaces.iter().zip(&b.surfaces) {
        assert_eq!((s.tag, s.triangles), (r.tag, r.triangles));
        assert!((s.area_mm2 - r.area_mm2).abs() <= 1e-12 * s.area_mm2);
    }
    assert_eq!(ordered.surface_names, mixed.surface_names);

    // From the file's order or a shuffle of it: the same node order (positions alone decide it).
    assert_eq!(spatially_ordered(&mesh).0.nodes(), ordered.nodes());
    assert!(spatially_ordered(&ordered).1.is_identity());

    // The shuffle scatters a tetrahedron's nodes over the whole array (a mean span of about N/3); a
    // space-filling curve keeps them within O(N^(2/3)) (measured: 1917 shuffled, 182 renumbered at 5,728
    // nodes; deterministic).
    let (before, after) = (mean_edge_span(&mixed), mean_edge_span(&ordered));
    println!(
        "{} nodes: mean edge span {before:.0} shuffled, {after:.0} renumbered, {:.0} as generated",
        mesh.node_count(),
        mean_edge_span(&mesh)
    );
    assert!(before > 8.0 * after, "{before} vs {after}");
}

/// The mesh fingerprint is a fixed function of the nodes and tetrahedra in order (checkpoints rely on it
/// being the same in every build): it sees a renumbering and a moved node.
#[test]
fn fingerprint_is_stable_and_sees_the_numbering() {
    let mesh = TetMesh::new(
        vec![
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 0.0, 1.0],
        ],
        vec![[0, 1, 2, 3]],
    )
    .unwrap();
    // FNV-1a 64 of the 96 coordinate bytes (f64, little-endian) and the 16 index bytes (u32), as computed
    // independently (Python, `struct.pack`).
    assert_eq!(format!("{:016x}", mesh.fingerprint()), "6d9f38c0795dd4d8");
    let land = LandEllipsoid::with_element_size(3.0).build().unwrap();
    assert_eq!(land.fingerprint(), land.clone().fingerprint());
    assert_ne!(land.fingerprint(), shuffled(&land, 3).fingerprint());
    let moved = land
        .transformed(|p| {
            if p == land.nodes()[5] {
                [p[0], p[1], p[2] + 1e-9]
            } else {
                p
            }
        })
        .unwrap();
    assert_ne!(land.fingerprint(), moved.fingerprint());
}
