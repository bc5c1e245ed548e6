//! Per-tetrahedron rest geometry: the f64 CPU reference against exact values, and the f32 GPU kernel
//! against the reference element by element on a mesh of more than a million tetrahedra.

mod common;

use cardiotwin::anatomy::block::Block;
use cardiotwin::anatomy::land_ellipsoid::LandEllipsoid;
use cardiotwin::geometry::gpu::{RestGeometryGpu, RestGeometryKernel};
use cardiotwin::geometry::{GeometryStats, RestGeometry, cpu};
use cardiotwin::gpu::{Batch, GpuBuffer, GpuMesh};
use cardiotwin::mesh::{MeshError, TetMesh};

const REGULAR: [[f64; 3]; 4] = [
    [1.0, 1.0, 1.0],
    [1.0, -1.0, -1.0],
    [-1.0, -1.0, 1.0],
    [-1.0, 1.0, -1.0],
];

#[test]
fn regular_tet_has_unit_quality_and_exact_volume() {
    let g = cpu::tet_geometry(&REGULAR);
    // Edge 2*sqrt(2): V = a^3 / (6 sqrt 2) = 8/3.
    assert!((g.volume - 8.0 / 3.0).abs() < 1e-14, "{}", g.volume);
    assert!((g.quality - 1.0).abs() < 1e-14, "{}", g.quality);
}

#[test]
fn dm_inverse_inverts_and_gives_shape_function_gradients() {
    let p = [
        [0.3, 0.1, -0.2],
        [2.0, 0.4, 0.1],
        [0.5, 1.7, 0.3],
        [0.2, 0.6, 1.9],
    ];
    let g = cpu::tet_geometry(&p);
    let dm = cpu::edge_matrix(&p);
    // Dm^-1 Dm = I.
    for r in 0..3 {
        for c in 0..3 {
            let v: f64 = (0..3).map(|k| g.dm_inv[r][k] * dm.col(c)[k]).sum();
            assert!((v - f64::from(r == c)).abs() < 1e-13, "({r},{c}) = {v}");
        }
    }
    // A linear field phi(x) = a.x + b has gradient sum_i phi(x_i) grad N_i = a.
    let a = [0.7, -1.3, 2.1];
    let phi = |x: [f64; 3]| a[0] * x[0] + a[1] * x[1] + a[2] * x[2] + 4.0;
    for (k, &a_k) in a.iter().enumerate() {
        let grad: f64 = (0..3)
            .map(|i| (phi(p[i + 1]) - phi(p[0])) * g.dm_inv[i][k])
            .sum();
        assert!((grad - a_k).abs() < 1e-12, "component {k}: {grad}");
    }
}

#[test]
fn inverted_and_flat_tets_are_reported_not_nan() {
    let mut inverted = REGULAR;
    inverted.swap(2, 3);
    let g = cpu::tet_geometry(&inverted);
    assert!((g.volume + 8.0 / 3.0).abs() < 1e-14);
    assert!(
        g.quality > 0.999,
        "quality ignores orientation: {}",
        g.quality
    );

    let flat = [[0.0; 3], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0]];
    let g = cpu::tet_geometry(&flat);
    assert_eq!(g.volume, 0.0);
    assert_eq!(g.quality, 0.0);
    assert!(g.dm_inv.iter().flatten().all(|v| v.is_finite()));
    let s = GeometryStats::of(&[cpu::tet_geometry(&REGULAR), cpu::tet_geometry(&inverted), g]);
    assert_eq!((s.inverted, s.degenerate, s.worst_tet), (1, 1, 2));
}

#[test]
fn mesh_construction_names_the_bad_element() {
    let nodes = REGULAR.to_vec();
    match TetMesh::new(nodes.clone(), vec![[0, 1, 2, 3], [0, 1, 2, 9]]) {
        Err(MeshError::NodeOutOfRange {
            tet: 1,
            corner: 3,
            node: 9,
            nodes: 4,
        }) => {}
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        TetMesh::new(nodes.clone(), vec![[0, 1, 1, 3]]),
        Err(MeshError::RepeatedNode {
            tet: 0,
            node: 1,
            ..
        })
    ));
    let mut bad = nodes.clone();
    bad[2][1] = f64::NAN;
    assert!(matches!(
        TetMesh::new(bad, vec![[0, 1, 2, 3]]),
        Err(MeshError::NonFinite { node: 2, .. })
    ));
    assert!(matches!(
        TetMesh::new(nodes.clone(), vec![]),
        Err(MeshError::Empty)
    ));
    let mut m = TetMesh::new(nodes, vec![[0, 1, 3, 2], [0, 1, 2, 3]]).unwrap();
    assert_eq!(m.orient_positive(), 1);
    assert_eq!(m.orient_positive(), 0);
}

#[test]
fn block_volume_is_exact_and_positive() {
    let mesh = Block {
        size: [2.0, 3.0, 5.0],
        cells: [4, 5, 6],
        jitter: 0.12,
        seed: 7,
    }
    .build()
    .unwrap();
    assert_eq!(mesh.tet_count(), 6 * 4 * 5 * 6);
    let s = GeometryStats::of(&cpu::rest_geometry(&mesh));
    assert_eq!((s.inverted, s.degenerate), (0, 0));
    // Jitter moves interior nodes only, so the tets still tile the box exactly.
    assert!((s.volume_mm3 - 30.0).abs() < 1e-11, "{}", s.volume_mm3);
}

/// Straight-edged tets under-fill the curved wall; the error must fall at second order in h.
#[test]
fn land_ellipsoid_volume_converges_at_second_order() {
    let exact = LandEllipsoid::exact_wall_volume();
    let mut errors = Vec::new();
    for h in [2.0, 1.0, 0.5] {
        let spec = LandEllipsoid::with_element_size(h);
        let mesh = spec.build().unwrap();
        assert_eq!(mesh.tet_count(), spec.tet_count());
        let s = GeometryStats::of(&cpu::rest_geometry(&mesh));
        assert_eq!((s.inverted, s.degenerate), (0, 0), "h = {h}");
        let z = mesh.bbox();
        assert!((z.max[2] - 5.0).abs() < 1e-12 && (z.min[2] + 20.0).abs() < 1e-12);
        errors.push((s.volume_mm3 - exact) / exact);
    }
    assert!(errors.iter().all(|&e| e < 0.0), "{errors:?}");
    assert!(errors[2].abs() < 1e-3, "{errors:?}");
    for w in errors.windows(2) {
        let rate = (w[0] / w[1]).log2();
        assert!((1.7..2.3).contains(&rate), "rate {rate} from {errors:?}");
    }
}

/// Land ventricle: every face is shared by at most two tets and the seam of the periodic grid and the apex
/// prisms are conforming: the boundary area equals endocardium + epicardium + base ring, with no hidden
/// internal boundary from a mismatched diagonal.
#[test]
fn land_ellipsoid_is_conforming() {
    use std::collections::HashMap;
    let mesh = LandEllipsoid::with_element_size(1.5).build().unwrap();
    let mut faces: HashMap<[u32; 3], u32> = HashMap::new();
    for t in mesh.tets() {
        for skip in 0..4 {
            let mut f: Vec<u32> = (0..4).filter(|&k| k != skip).map(|k| t[k]).collect();
            f.sort_unstable();
            *faces.entry([f[0], f[1], f[2]]).or_default() += 1;
        }
    }
    assert!(faces.values().all(|&c| c <= 2));
    let boundary = faces.values().filter(|&&c| c == 1).count();
    let spec = LandEllipsoid::with_element_size(1.5);
    let (nt, nu, nv) = (spec.transmural, spec.longitudinal, spec.circumferential);
    // Endo and epi: nv apex triangles + 2 nv (nu - 1) quad halves each; base: 2 nt nv.
    let expected = 2 * (nv + 2 * nv * (nu - 1)) + 2 * nt * nv;
    assert_eq!(boundary, expected);
}

/// The GPU kernel against the f64 reference on 1,053,696 jittered tets, tet by tet, both with the
/// default binding (one chunk) and with chunked bindings of 300,032 tets.
#[test]
fn gpu_matches_cpu_on_a_million_tets() {
    let Some(ctx) = common::gpu("rest_geometry_1e6") else {
        return;
    };
    let block = Block::cube_with_tets(1_000_000, 1.0).with_jitter(0.12, 3);
    let mesh = block.build().unwrap();
    assert!(mesh.tet_count() >= 1_000_000);
    let reference = cpu::rest_geometry(&mesh);
    let kernel = RestGeometryKernel::new(&ctx).unwrap();

    let (whole, timing) = kernel.run(&ctx, &mesh).unwrap();
    let (worst, ratio) = common::assert_matches_reference(&mesh, &whole, &reference);
    eprintln!(
        "1e6 tets, one chunk: max deviation {worst:.2e} ({:.3} of tolerance), GPU time {:?}",
        ratio, timing.gpu
    );

    let gpu_mesh = GpuMesh::upload(&ctx, &mesh).unwrap();
    let out =
        GpuBuffer::<RestGeometryGpu>::zeroed(&ctx, "rest geometry", mesh.tet_count()).unwrap();
    let mut batch = Batch::new(&ctx, "chunked");
    kernel
        .record_chunked(&mut batch, &gpu_mesh, &out, 300_032)
        .unwrap();
    let timing = batch.submit().unwrap();
    if ctx.timestamps {
        assert_eq!(timing.passes.len(), mesh.tet_count().div_ceil(300_032));
    }
    let chunked: Vec<RestGeometry> = out
        .read(&ctx)
        .unwrap()
        .into_iter()
        .map(RestGeometry::from)
        .collect();
    assert_eq!(chunked, whole, "chunked and single dispatch differ");
}

/// A mesh 10 m from the origin (scanner coordinates can be far off) loses no GPU accuracy: nodes are
/// re-centred before rounding to f32.
#[test]
fn gpu_accuracy_does_not_depend_on_the_origin() {
    let Some(ctx) = common::gpu("rest_geometry_far") else {
        return;
    };
    let mesh = LandEllipsoid::with_element_size(1.0).build().unwrap();
    let shifted = TetMesh::new(
        mesh.nodes()
            .iter()
            .map(|p| [p[0] + 1e4, p[1] - 1e4, p[2] + 1e4])
            .collect(),
        mesh.tets().to_vec(),
    )
    .unwrap();
    let kernel = RestGeometryKernel::new(&ctx).unwrap();
    for m in [&mesh, &shifted] {
        let (gpu, _) = kernel.run(&ctx, m).unwrap();
        let (worst, _) = common::assert_matches_reference(m, &gpu, &cpu::rest_geometry(m));
        assert!(worst < 1e-4, "max deviation {worst:.2e}");
    }
}
