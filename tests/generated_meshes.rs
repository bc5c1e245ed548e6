//! Meshes generated in code: the benchmark geometries at any resolution, checked against their
//! definitions (../shared/benchmarks/): surfaces on the exact analytic surfaces, tags, volumes.

use cardiotwin::anatomy::arostica_ellipsoid::ArosticaEllipsoid;
use cardiotwin::anatomy::block::land_beam;
use cardiotwin::anatomy::sphere_shell::{self, SphereShell};
use cardiotwin::inspect::MeshInfo;
use cardiotwin::mesh::TetMesh;

fn tagged_nodes(mesh: &TetMesh, tag: i32) -> Vec<[f64; 3]> {
    let s = mesh.surfaces();
    let mut n: Vec<u32> = s
        .triangles
        .iter()
        .zip(&s.tags)
        .filter(|(_, t)| **t == tag)
        .flat_map(|(tri, _)| *tri)
        .collect();
    n.sort_unstable();
    n.dedup();
    n.iter().map(|&i| mesh.nodes()[i as usize]).collect()
}

#[test]
fn land_beam_has_the_benchmark_tags() {
    let mesh = land_beam(0.25).unwrap();
    let info = MeshInfo::of(&mesh);
    assert!((info.volume_mm3 - 10.0).abs() < 1e-12);
    assert_eq!(info.degenerate, 0);
    assert_eq!(info.inverted_repaired, 0);
    assert!(tagged_nodes(&mesh, 1).iter().all(|p| p[0] == 0.0));
    assert!(tagged_nodes(&mesh, 2).iter().all(|p| p[2] == 0.0));
    let area = |tag| {
        info.surfaces
            .iter()
            .find(|s| s.tag == tag)
            .unwrap()
            .area_mm2
    };
    assert!((area(1) - 1.0).abs() < 1e-12 && (area(2) - 10.0).abs() < 1e-12);
}

#[test]
fn sphere_shell_lies_on_its_spheres_and_converges_in_volume() {
    let mut errors = Vec::new();
    for h in [2.0, 1.0, 0.5] {
        let spec = SphereShell::with_element_size(h);
        let mesh = spec.build().unwrap();
        let info = MeshInfo::of(&mesh);
        assert_eq!((info.degenerate, info.components), (0, 1));
        assert!(info.closed_boundary);
        assert!(
            info.quality.min > 0.1,
            "h {h}: quality {}",
            info.quality.min
        );
        for (tag, r) in [(sphere_shell::INNER, 10.0), (sphere_shell::OUTER, 15.0)] {
            for p in tagged_nodes(&mesh, tag) {
                let len = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
                assert!((len - r).abs() < 1e-9, "tag {tag}: radius {len}");
            }
        }
        errors.push((info.volume_mm3 - spec.exact_volume()) / spec.exact_volume());
    }
    assert!(errors[2].abs() < 2e-3, "{errors:?}");
    for w in errors.windows(2) {
        let rate = (w[0] / w[1]).log2();
        assert!((1.7..2.3).contains(&rate), "rate {rate}: {errors:?}");
    }
}

/// Aróstica et al. 2025: endo/epi on their ellipsoids (long axis x), apexes at x = -90 and -97 mm, and the
/// base on the straight cone between the rims at (26.4706, 23.8942) and (24.25, 33.8886) mm.
#[test]
fn arostica_ellipsoid_matches_its_definition() {
    let mesh = ArosticaEllipsoid::with_element_size(4.0).build().unwrap();
    let info = MeshInfo::of(&mesh);
    assert_eq!(
        (info.degenerate, info.inverted_repaired, info.components),
        (0, 0, 1)
    );
    assert!(info.closed_boundary);
    let on = |p: [f64; 3], rs: f64, rl: f64| {
        (p[0] / rl).powi(2) + (p[1] * p[1] + p[2] * p[2]) / (rs * rs) - 1.0
    };
    for p in tagged_nodes(&mesh, 1) {
        assert!(on(p, 25.0, 90.0).abs() < 1e-9, "{p:?}");
    }
    for p in tagged_nodes(&mesh, 2) {
        assert!(on(p, 35.0, 97.0).abs() < 1e-9, "{p:?}");
    }
    assert!((info.bbox.min[0] + 97.0).abs() < 1e-9);
    let (a, b) = ((26.470_588_2, 23.894_2), (24.25, 33.888_6));
    for p in tagged_nodes(&mesh, 3) {
        let r = (p[1] * p[1] + p[2] * p[2]).sqrt();
        // Distance from the segment's line, in mm (the rims are given to 1e-4 mm).
        let (dx, dr) = (b.0 - a.0, b.1 - a.1);
        let dist = ((p[0] - a.0) * dr - (r - a.1) * dx).abs() / dx.hypot(dr);
        assert!(dist < 2e-4, "base node {p:?} is {dist} mm off the cone");
        assert!(r >= a.1 - 1e-3 && r <= b.1 + 1e-3);
    }
    // Volume converges: 4 mm and 2 mm meshes agree within 1%.
    let fine = MeshInfo::of(&ArosticaEllipsoid::with_element_size(2.0).build().unwrap());
    let rel = (fine.volume_mm3 - info.volume_mm3) / fine.volume_mm3;
    assert!(rel.abs() < 0.01 && rel > 0.0, "{rel}");
}

/// The idealised biventricle: one piece, watertight, every surface tagged, its volume within 2% of the
/// exact geometry's (estimated by sampling the defining inequalities: 1e6 points, 0.2% standard error), and
/// ventricular coordinates and fibres computable on it.
#[test]
fn ideal_biventricle_is_sound_and_has_the_right_volume() {
    use cardiotwin::anatomy::biventricle::{self, IdealBiventricle};
    use cardiotwin::anatomy::coordinates::VentricleSurfaces;
    let mut mesh = IdealBiventricle::with_element_size(2.5).build().unwrap();
    let info = MeshInfo::of(&mesh);
    assert_eq!((info.components, info.degenerate), (1, 0));
    assert!(info.closed_boundary);
    for tag in 1..=5 {
        assert!(
            info.surfaces
                .iter()
                .any(|s| s.tag == tag && s.triangles > 100),
            "surface {tag}"
        );
    }
    let (lo, hi) = ([-33.0, -33.0, -76.0], [33.0, 56.0, 0.0]);
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let n = 1_000_000;
    let mut inside = 0;
    for _ in 0..n {
        let p: [f64; 3] = std::array::from_fn(|k| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            lo[k] + (hi[k] - lo[k]) * ((state >> 11) as f64 / (1u64 << 53) as f64)
        });
        inside += usize::from(IdealBiventricle::contains(p));
    }
    let exact = inside as f64 / n as f64 * 66.0 * 89.0 * 76.0;
    let rel = (info.volume_mm3 - exact) / exact;
    assert!(
        rel.abs() < 0.02,
        "mesh {} vs exact {exact}: {rel}",
        info.volume_mm3
    );

    let s = VentricleSurfaces {
        lv_endo: vec![biventricle::LV_ENDO],
        rv_endo: vec![biventricle::RV_ENDO, biventricle::RV_SEPTUM],
        epi: vec![biventricle::EPI],
        base: vec![biventricle::BASE],
        septum_direction: None,
    };
    let report = cardiotwin::anatomy::annotate(&mut mesh, &s, Default::default()).unwrap();
    assert_eq!(report.degenerate_frames, 0);
    assert!(
        report.segment_volumes_mm3[0] > 0.0,
        "RV free wall outside the AHA segments"
    );
}
