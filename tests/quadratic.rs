//! Quadratic tetrahedra (`cardiotwin::mechanics::quadratic`): the shape functions reproduce quadratic
//! fields, a homogeneous deformation passes the patch test, the nodal forces are minus the gradient of the
//! element's energy (Guccione with fibres, PK2 active tension, both volumetric treatments), the 6-node follower
//! pressure integrates exactly (flat triangles, closed surfaces), Dirichlet conditions reach the edge
//! nodes, and the relaxation reports an inversion instead of writing it. Exact checks: small jittered
//! blocks lose nothing.

mod common;

use cardiotwin::TetMesh;
use cardiotwin::anatomy::block::Block;
use cardiotwin::mechanics::loads::PressureLoad;
use cardiotwin::mechanics::material::{
    ActiveStress, FibreFrame, Guccione, Material, NeoHookean, Penalty,
};
use cardiotwin::mechanics::quadratic::{
    self, EDGES, QuadraticLoads, QuadraticModel, QuadraticVolumetric, shape_gradients10,
    shape_values,
};
use cardiotwin::mechanics::relax::RelaxOptions;
use cardiotwin::mechanics::{Constraints, SimError};
use cardiotwin::mesh::Surfaces;
use cardiotwin::mesh::locate::MaterialPoint;
use cardiotwin::mesh::topology::boundary_faces;
use common::fuzz::Rng;
use glam::{DMat3, DVec3};

/// A jittered unit cube of `n^3` cells with every boundary triangle tagged 1 (outward, as the
/// tetrahedra see them).
fn block(n: usize) -> TetMesh {
    let mesh = Block::cube(n, 1.0).with_jitter(0.1, 5).build().unwrap();
    let mut surfaces = Surfaces::default();
    for f in boundary_faces(&mesh).0 {
        surfaces.triangles.push(f.nodes);
        surfaces.tags.push(1);
    }
    mesh.with_surfaces(surfaces).unwrap()
}

fn guccione() -> Material {
    Material::Guccione(Guccione {
        penalty: Penalty::default(),
        ..Guccione::default()
    })
}

/// Rotated fibre frames, different per tetrahedron.
fn frames(mesh: &TetMesh, rng: &mut Rng) -> Vec<FibreFrame> {
    (0..mesh.tet_count())
        .map(|_| {
            let f0 = (DVec3::X + 0.5 * rng.vec3()).normalize();
            let s0 = f0.any_orthonormal_vector();
            FibreFrame {
                f0,
                s0,
                n0: f0.cross(s0),
            }
        })
        .collect()
}

#[test]
fn shape_functions_reproduce_quadratic_fields() {
    let mut rng = Rng(1);
    let corners = [
        DVec3::new(0.1, 0.0, 0.2),
        DVec3::new(1.3, 0.2, -0.1),
        DVec3::new(0.2, 1.1, 0.3),
        DVec3::new(-0.1, 0.3, 1.2),
    ];
    let mut nodes = corners.to_vec();
    for [i, j] in EDGES {
        nodes.push(0.5 * (corners[i] + corners[j]));
    }
    // A quadratic vector field and its gradient.
    let (a, b, c) = (
        rng.vec3(),
        DMat3::from_cols(rng.vec3(), rng.vec3(), rng.vec3()),
        rng.vec3(),
    );
    let field = |p: DVec3| a + b * p + c * (p.x * p.y - 0.5 * p.z * p.z);
    let gradient = |p: DVec3| b + DMat3::from_cols(c * p.y, c * p.x, -c * p.z);
    // Linear gradients grad L_i from the inverse of the edge matrix.
    let dm = DMat3::from_cols(
        corners[1] - corners[0],
        corners[2] - corners[0],
        corners[3] - corners[0],
    );
    let inv_t = dm.inverse().transpose();
    let (g1, g2, g3) = (inv_t.x_axis, inv_t.y_axis, inv_t.z_axis);
    let g = [-(g1 + g2 + g3), g1, g2, g3];
    for _ in 0..20 {
        let (w1, w2, w3) = (
            0.5 * (rng.signed() + 1.0),
            0.5 * (rng.signed() + 1.0),
            0.5 * (rng.signed() + 1.0),
        );
        let sum = 1.0 + w1 + w2 + w3;
        let l = [1.0 / sum, w1 / sum, w2 / sum, w3 / sum];
        let p: DVec3 = corners.iter().zip(l).map(|(c, w)| *c * w).sum();
        let n = shape_values(l);
        assert!((n.iter().sum::<f64>() - 1.0).abs() < 1e-14);
        let value: DVec3 = nodes.iter().zip(n).map(|(x, w)| field(*x) * w).sum();
        assert!(
            (value - field(p)).length() < 1e-13,
            "{value} vs {}",
            field(p)
        );
        let grads = shape_gradients10(&g, l);
        let mut h = DMat3::ZERO;
        for (x, gn) in nodes.iter().zip(grads) {
            let v = field(*x);
            h += DMat3::from_cols(v * gn.x, v * gn.y, v * gn.z);
        }
        let error = (h - gradient(p)).to_cols_array();
        assert!(error.iter().all(|e| e.abs() < 1e-12), "{error:?}");
    }
}

/// A homogeneous deformation: every Gauss point sees the same F, the stress is uniform, and the internal
/// forces vanish at every node not on the boundary.
#[test]
fn homogeneous_deformation_passes_the_patch_test() {
    let mesh = block(3);
    let model = QuadraticModel::new(
        &mesh,
        Material::NeoHookean(NeoHookean {
            mu: 10.0,
            lambda: 100.0,
        }),
        None,
        ActiveStress::Pk2,
    )
    .unwrap();
    let a = DMat3::from_cols(
        DVec3::new(1.2, 0.05, -0.1),
        DVec3::new(0.1, 0.9, 0.02),
        DVec3::new(-0.05, 0.1, 1.1),
    );
    let x: Vec<DVec3> = model.rest.iter().map(|p| a * *p).collect();
    let f = model.internal_forces(&x, &[]).unwrap();
    let scale = f.iter().map(|v| v.length()).fold(0.0, f64::max);
    assert!(scale > 0.1, "force scale {scale}");
    let interior = |p: DVec3| p.min_element() > 1e-9 && p.max_element() < 1.0 - 1e-9;
    let mut checked = 0;
    for (p, f) in model.rest.iter().zip(&f) {
        if interior(*p) {
            assert!(f.length() < 1e-12 * scale, "interior node at {p}: {f}");
            checked += 1;
        }
    }
    // Every node of a 3^3 block: 64 corners of which 8 interior, and interior edge nodes.
    assert!(checked > 8, "{checked}");
    // The forces balance.
    assert!(f.iter().sum::<DVec3>().length() < 1e-12 * scale);
}

/// f = -dE/dx by central differences on a randomly deformed block with fibres and active tension.
#[test]
fn forces_are_minus_the_gradient_of_the_energy() {
    for volumetric in [
        QuadraticVolumetric::GaussPoint,
        QuadraticVolumetric::MeanDilatation,
    ] {
        forces_match_the_energy(volumetric);
    }
}

fn forces_match_the_energy(volumetric: QuadraticVolumetric) {
    let mesh = block(2);
    let mut rng = Rng(7);
    let material = guccione();
    let model = QuadraticModel::new(
        &mesh,
        material,
        Some(frames(&mesh, &mut rng)),
        ActiveStress::Pk2,
    )
    .unwrap()
    .with_volumetric(volumetric);
    let x: Vec<DVec3> = model.rest.iter().map(|p| *p + 0.04 * rng.vec3()).collect();
    let ta: Vec<f64> = (0..mesh.tet_count())
        .map(|_| 30.0 + 10.0 * rng.signed())
        .collect();
    let Material::Guccione(law) = material else {
        unreachable!()
    };
    let u = |j: f64| law.penalty.energy_of_j(j);
    let f = model.internal_forces(&x, &ta).unwrap();
    let scale = f.iter().map(|v| v.length()).fold(0.0, f64::max);
    let h = 1e-6;
    for node in (0..model.node_count()).step_by(7) {
        for axis in 0..3 {
            let mut xp = x.clone();
            xp[node][axis] += h;
            let mut xm = x.clone();
            xm[node][axis] -= h;
            let de = (model.energy(&xp, &ta, u) - model.energy(&xm, &ta, u)) / (2.0 * h);
            let error = (f[node][axis] + de).abs();
            assert!(
                error < 1e-6 * scale,
                "{volumetric:?}, node {node} axis {axis}: force {} vs -dE/dx {}",
                f[node][axis],
                -de
            );
        }
    }
}

/// Pressure on 6-node triangles: nothing at the corners and a third of p A at each edge node of a flat
/// triangle; on a closed surface the forces sum to zero whatever the (quadratic) deformation, since the
/// integral of n da over a closed surface vanishes and the 6-point rule integrates it exactly.
#[test]
fn follower_pressure_is_integrated_exactly() {
    let mesh = block(2);
    let model = QuadraticModel::new(&mesh, guccione(), None, ActiveStress::Pk2).unwrap();
    let load = PressureLoad::on_surfaces(&mesh, &[1], 2.0).unwrap();
    let pressure = model.pressure(&load).unwrap();
    let face = pressure.faces[0];
    let one = quadratic::QuadraticPressure {
        faces: vec![face],
        pressure: 2.0,
    };
    let mut f = vec![DVec3::ZERO; model.node_count()];
    one.add_forces(&model.rest, &mut f);
    let p = |k: usize| model.rest[face[k] as usize];
    let area = (p(1) - p(0)).cross(p(2) - p(0)) * 0.5;
    for k in 0..3 {
        assert!(f[face[k] as usize].length() < 1e-15, "corner {k}");
    }
    for k in 3..6 {
        let expected = -2.0 * area / 3.0;
        assert!(
            (f[face[k] as usize] - expected).length() < 1e-14,
            "edge node {k}"
        );
    }
    // The whole boundary, deformed.
    let mut rng = Rng(11);
    let x: Vec<DVec3> = model.rest.iter().map(|p| *p + 0.1 * rng.vec3()).collect();
    let mut f = vec![DVec3::ZERO; model.node_count()];
    pressure.add_forces(&x, &mut f);
    let total = f.iter().sum::<DVec3>();
    let scale = f.iter().map(|v| v.length()).sum::<f64>();
    assert!(total.length() < 1e-14 * scale, "net force {total}");
    // Pressure pushes into the body: on the undeformed cube, the face x = 0 is pushed towards +x.
    let mut f = vec![DVec3::ZERO; model.node_count()];
    pressure.add_forces(&model.rest, &mut f);
    let on_x0: DVec3 = (0..model.node_count())
        .filter(|&n| model.rest[n].x.abs() < 1e-12)
        .map(|n| f[n])
        .sum();
    assert!((on_x0.x - 2.0).abs() < 1e-12, "{on_x0}");
}

#[test]
fn dirichlet_conditions_reach_the_edge_nodes() {
    let mesh = block(2);
    let model = QuadraticModel::new(&mesh, guccione(), None, ActiveStress::Pk2).unwrap();
    let mut linear = Constraints::default();
    for (n, p) in mesh.nodes().iter().enumerate() {
        if p[0] == 0.0 {
            linear.fixed.push((n as u32, 0, 0.0));
            linear.sliding.push((n as u32, DVec3::Z));
        }
        if p[0] == 1.0 {
            linear.fixed.push((n as u32, 0, 1.5));
        }
    }
    let constraints = model.constraints(&linear);
    let fixed_x = |n: usize| {
        constraints
            .fixed
            .iter()
            .find(|&&(m, axis, _)| m as usize == n && axis == 0)
            .map(|c| c.2)
    };
    for n in model.corners..model.node_count() {
        let p = model.rest[n];
        let expected = if p.x.abs() < 1e-12 {
            Some(0.0)
        } else if (p.x - 1.0).abs() < 1e-12 {
            Some(1.5)
        } else {
            None
        };
        assert_eq!(fixed_x(n), expected, "edge node {n} at {p}");
        let slides = constraints.sliding.iter().any(|&(m, _)| m as usize == n);
        assert_eq!(slides, p.x.abs() < 1e-12, "edge node {n} at {p}");
    }
}

/// A point located on the linear mesh is interpolated with the quadratic functions: exact for a
/// quadratic deformation.
#[test]
fn material_points_interpolate_quadratically() {
    let mesh = block(2);
    let model = QuadraticModel::new(&mesh, guccione(), None, ActiveStress::Pk2).unwrap();
    let map = |p: DVec3| p + DVec3::new(0.1 * p.y * p.y, -0.2 * p.x * p.z, 0.05 * p.x);
    let x: Vec<DVec3> = model.rest.iter().map(|p| map(*p)).collect();
    for q in [DVec3::new(0.3, 0.6, 0.2), DVec3::new(0.77, 0.1, 0.9)] {
        let point = MaterialPoint::locate(&mesh, q).unwrap();
        assert!((model.interpolate(&point, &x) - map(q)).length() < 1e-14);
    }
}

/// Crushing a block inverts an element: the relaxation stops with the step and the tetrahedron.
#[test]
fn an_inversion_is_reported_not_written() {
    let mesh = block(2);
    let model = QuadraticModel::new(&mesh, guccione(), None, ActiveStress::Pk2).unwrap();
    let mut x = model.rest.clone();
    x[model.corners] += DVec3::new(5.0, -3.0, 4.0);
    let mut loads = QuadraticLoads::default();
    let error = quadratic::relax(
        &model,
        &mut x,
        &mut loads,
        |_, _| {},
        &Constraints::default(),
        RelaxOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(error, SimError::Inverted { step: 0, .. }),
        "{error}"
    );
}
