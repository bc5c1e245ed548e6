//! The CPU reference of the explicit total-Lagrangian stepping: element checks (rigid motion, equilibrium,
//! patch test) and a quasi-static uniaxial stretch of a compressible neo-Hookean block by dynamic
//! relaxation against the analytic solution of `../shared/benchmarks/ANALYTIC.md`.

use cardiotwin::anatomy::block::Block;
use cardiotwin::mechanics::material::{Material, NeoHookean};
use cardiotwin::mechanics::tled::{self, Scratch, SimError, Stepping, TledModel, TledState};
use cardiotwin::mechanics::{Constraints, Loads};
use glam::{DMat3, DQuat, DVec3};

const NH: NeoHookean = NeoHookean {
    mu: 10.0,
    lambda: 100.0,
};

fn jittered() -> cardiotwin::TetMesh {
    Block {
        size: [1.0, 1.0, 1.0],
        cells: [3, 3, 3],
        jitter: 0.12,
        seed: 4,
    }
    .build()
    .unwrap()
}

fn positions(mesh: &cardiotwin::TetMesh, map: impl Fn(DVec3) -> DVec3) -> Vec<DVec3> {
    mesh.nodes()
        .iter()
        .map(|&p| map(DVec3::from_array(p)))
        .collect()
}

#[test]
fn rigid_motion_gives_no_force_and_forces_balance() {
    let mesh = jittered();
    let model = TledModel::new(&mesh, Material::NeoHookean(NH), 1.0, None).unwrap();
    let r = DQuat::from_axis_angle(DVec3::new(1.0, 2.0, 3.0).normalize(), 0.7);
    let x = positions(&mesh, |p| r * p + DVec3::new(5.0, -2.0, 1.0));
    let f = model.internal_forces(&x, &[]).unwrap();
    let worst = f.iter().map(|v| v.length()).fold(0.0, f64::max);
    // Force scale: mu times a face area of about (1/3 mm)^2 = 1.1 mN.
    assert!(worst < 1e-12, "rigid motion force {worst} mN");

    // Any deformation: internal forces sum to zero (and their moments too).
    let x = positions(&mesh, |p| {
        p + DVec3::new(0.1 * p.y * p.y, 0.05 * p.x * p.z, -0.08 * p.x)
    });
    let f = model.internal_forces(&x, &[]).unwrap();
    let sum: DVec3 = f.iter().sum();
    let moment: DVec3 = f.iter().zip(&x).map(|(fi, xi)| xi.cross(*fi)).sum();
    assert!(
        sum.length() < 1e-12 && moment.length() < 1e-12,
        "{sum} {moment}"
    );
}

/// Patch test: a uniform deformation F0 gives uniform stress, so every interior node is in equilibrium,
/// and the nodes of one half of the block carry minus the traction P N of its outer face x = 1.
#[test]
fn uniform_deformation_passes_the_patch_test() {
    let mesh = jittered();
    let model = TledModel::new(&mesh, Material::NeoHookean(NH), 1.0, None).unwrap();
    let f0 = DMat3::from_cols(
        DVec3::new(1.2, 0.05, -0.02),
        DVec3::new(0.1, 0.9, 0.03),
        DVec3::new(0.0, -0.04, 1.1),
    );
    let x = positions(&mesh, |p| f0 * p);
    let f = model.internal_forces(&x, &[]).unwrap();
    let on_face = |p: [f64; 3], k: usize| p[k] < 1e-12 || p[k] > 1.0 - 1e-12;
    for (i, p) in mesh.nodes().iter().enumerate() {
        if !(0..3).any(|k| on_face(*p, k)) {
            assert!(f[i].length() < 1e-12, "interior node {i}: {}", f[i]);
        }
    }
    // The nodes beyond x = 1/2 (grid planes at 1/3 and 2/3, jitter 0.04 at most) carry the internal force of
    // the part of the block they span: minus the traction P N integrated over its boundary, where the
    // y and z faces cancel pairwise (opposite normals, equal areas) and the face x = 1 (area 1) remains.
    let c = f0.transpose() * f0;
    let p = f0 * Material::NeoHookean(NH).pk2(c, &Default::default());
    let cut: DVec3 = mesh
        .nodes()
        .iter()
        .zip(&f)
        .filter(|(p, _)| p[0] > 0.5)
        .map(|(_, fi)| *fi)
        .sum();
    let expected = -(p * DVec3::X);
    assert!(
        (cut - expected).length() < 1e-9,
        "force beyond the cut {cut} vs -P e_x {expected}"
    );
}

/// Uniaxial stretch lambda = 1.2 of a unit cube (symmetry planes x = 0, y = 0, z = 0; x = 1 moved; other
/// faces free), relaxed dynamically to equilibrium: the lateral stretch solves
/// mu (lt^2 - 1) + Lambda ln(lambda lt^2) = 0 and the reaction on x = 1 is P11 = J sigma11 / lambda.
#[test]
fn uniaxial_stretch_relaxes_to_the_analytic_solution() {
    let mesh = Block::cube(3, 1.0).with_jitter(0.1, 8).build().unwrap();
    let model = TledModel::new(&mesh, Material::NeoHookean(NH), 1.0, None).unwrap();
    let stretch = 1.2;
    let dt = 0.4 * tled::stable_time_step(&mesh, NH.lambda + 2.0 * NH.mu, 1.0);
    let ramp = 1.0; // ms
    let mut state = TledState::at_rest(&mesh);
    let mut scratch = Scratch::default();
    let nodes = mesh.nodes().to_vec();
    let mut constraints = Constraints::default();
    let mut steps = 0;
    while state.t < 10.0 {
        let s = 1.0 + (stretch - 1.0) * (state.t / ramp).min(1.0);
        constraints.fixed.clear();
        for (i, p) in nodes.iter().enumerate() {
            for (k, &c) in p.iter().enumerate() {
                if c == 0.0 {
                    constraints.fixed.push((i as u32, k, 0.0));
                }
            }
            if p[0] == 1.0 {
                constraints.fixed.push((i as u32, 0, s));
            }
        }
        let stepping = Stepping { dt, damping: 20.0 };
        tled::step(
            &model,
            &mut state,
            stepping,
            &Loads::default(),
            &constraints,
            &mut scratch,
        )
        .unwrap();
        steps += 1;
    }
    // Analytic lateral stretch by Newton.
    let (mu, la) = (NH.mu, NH.lambda);
    let mut lt = 0.95f64;
    for _ in 0..50 {
        let g = mu * (lt * lt - 1.0) + la * (stretch * lt * lt).ln();
        let dg = 2.0 * mu * lt + 2.0 * la / lt;
        lt -= g / dg;
    }
    let j = stretch * lt * lt;
    let p11 = j * (mu / j * (stretch * stretch - lt * lt)) / stretch;
    // Every node of the free face y = 1 sits at y = lt (uniform deformation).
    let mut worst = 0.0f64;
    for (i, p) in nodes.iter().enumerate() {
        if p[1] == 1.0 {
            worst = worst.max((state.x[i].y - lt).abs());
        }
    }
    let f = model.internal_forces(&state.x, &[]).unwrap();
    let reaction: f64 = nodes
        .iter()
        .zip(&f)
        .filter(|(p, _)| p[0] == 1.0)
        .map(|(_, fi)| -fi.x)
        .sum();
    eprintln!(
        "{steps} steps of {dt:.4} ms: lateral stretch error {worst:.2e} (lt = {lt:.6}), reaction {reaction:.6} mN vs P11 A = {p11:.6}"
    );
    assert!(worst < 1e-6, "lateral stretch off by {worst}");
    assert!(
        (reaction - p11).abs() < 1e-5 * p11,
        "reaction {reaction} vs {p11}"
    );
}

#[test]
fn an_inverted_element_stops_the_step_with_a_diagnosis() {
    let mesh = jittered();
    let model = TledModel::new(&mesh, Material::NeoHookean(NH), 1.0, None).unwrap();
    let x = positions(&mesh, |p| DVec3::new(-p.x, p.y, p.z));
    match model.internal_forces(&x, &[]) {
        Err(SimError::Inverted { j, .. }) => assert!(j < 0.0),
        other => panic!("{other:?}"),
    }
}
