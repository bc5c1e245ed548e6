//! The CPU mechanics beyond the plain element: averaged nodal pressure (forces are minus the gradient of
//! its energy), follower pressure (closed surfaces, the volume gradient, hydrostatic compression), Robin
//! springs (weight balance, normal-only sliding), in-plane sliding constraints and the reports and errors
//! of dynamic relaxation. Small jittered blocks throughout: every check here is exact up to rounding or
//! the relaxation tolerance, so coarse meshes lose nothing.

mod common;

use cardiotwin::TetMesh;
use cardiotwin::anatomy::block::Block;
use cardiotwin::anatomy::land_ellipsoid::{self, LandEllipsoid};
use cardiotwin::coupling::cavity::Cavity;
use cardiotwin::mechanics::loads::tagged_faces;
use cardiotwin::mechanics::material::{FibreFrame, Guccione, Material, NeoHookean, Penalty};
use cardiotwin::mechanics::relax::{RelaxOptions, balance, relax};
use cardiotwin::mechanics::tled::{self, Scratch, SimError, Stepping, TledModel, TledState};
use cardiotwin::mechanics::{Constraints, Loads, PressureLoad, SpringLoad, Volumetric};
use cardiotwin::mesh::Surfaces;
use cardiotwin::mesh::topology::boundary_faces;
use common::fuzz::Rng;
use glam::{DMat3, DQuat, DVec3};

const NH: NeoHookean = NeoHookean {
    mu: 10.0,
    lambda: 100.0,
};

/// Surface tags of the faces of a block [0, 1]^3: x = 0 -> 1, x = 1 -> 2, y = 0 -> 3, y = 1 -> 4,
/// z = 0 -> 5, z = 1 -> 6.
fn face_tag(axis: usize, high: bool) -> i32 {
    1 + 2 * axis as i32 + high as i32
}

/// A jittered unit cube of `n^3` cells with its six faces tagged ([`face_tag`]). The jitter moves interior
/// nodes only, so the faces stay flat.
fn block(n: usize, seed: u64) -> TetMesh {
    let mesh = Block::cube(n, 1.0).with_jitter(0.1, seed).build().unwrap();
    let mut surfaces = Surfaces::default();
    for f in boundary_faces(&mesh).0 {
        let on = |axis: usize, value: f64| {
            f.nodes
                .iter()
                .all(|&i| (mesh.nodes()[i as usize][axis] - value).abs() < 1e-12)
        };
        let (axis, high) = (0..3)
            .flat_map(|a| [(a, false), (a, true)])
            .find(|&(a, high)| on(a, if high { 1.0 } else { 0.0 }))
            .expect("a boundary face of the block lies in one of its faces");
        surfaces.triangles.push(f.nodes);
        surfaces.tags.push(face_tag(axis, high));
    }
    mesh.with_surfaces(surfaces).unwrap()
}

fn rest(mesh: &TetMesh) -> Vec<DVec3> {
    mesh.nodes().iter().map(|&p| DVec3::from_array(p)).collect()
}

/// A general affine map plus a random displacement of every node of up to `noise` mm per axis.
fn deform(x0: &[DVec3], noise: f64, seed: u64) -> Vec<DVec3> {
    let mut rng = Rng(seed);
    let f0 = DMat3::from_cols(
        DVec3::new(1.1, 0.05, -0.04),
        DVec3::new(0.08, 0.92, 0.03),
        DVec3::new(-0.02, 0.06, 1.05),
    );
    x0.iter()
        .map(|&p| f0 * p + DVec3::new(0.3, -0.2, 0.1) + rng.vec3() * noise)
        .collect()
}

fn max_len(v: &[DVec3]) -> f64 {
    v.iter().map(|f| f.length()).fold(0.0, f64::max)
}

fn max_diff(a: &[DVec3], b: &[DVec3]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(p, q)| (*p - *q).length())
        .fold(0.0, f64::max)
}

// ---------------------------------------------------------------------------------------------------
// 1. Averaged nodal pressure

/// The volumetric part U(J) of a law (what nodal averaging moves to the nodes), kPa.
fn volumetric_energy(m: &Material, j: f64) -> f64 {
    match m {
        Material::NeoHookean(nh) => 0.5 * nh.lambda * j.ln() * j.ln(),
        Material::Guccione(g) => g.penalty.energy_of_j(j),
        Material::HolzapfelOgden(h) => h.penalty.energy_of_j(j),
    }
}

/// The total strain energy of the model at `x` (uJ): sum_e V0_e W_e(C_e) for the element treatment, and
/// sum_e V0_e W_dev,e + sum_n sum_{e at n} V0_e/4 U_e(J_n) with J_n the V0-weighted mean of J around n for
/// the nodal average (module docs of `mechanics::tled`). Built from public pieces only.
fn total_energy(model: &TledModel, x: &[DVec3]) -> f64 {
    let (mut j_sum, mut v_sum) = (vec![0.0; x.len()], vec![0.0; x.len()]);
    let mut energy = 0.0;
    let fs: Vec<DMat3> = (0..model.tets.len())
        .map(|t| model.deformation_gradient(t, x))
        .collect();
    for (t, f) in fs.iter().enumerate() {
        let (c, j, m) = (f.transpose() * *f, f.determinant(), model.material(t));
        assert!(j > 0.0, "tet {t} inverted in the energy check");
        energy += model.volume0[t] * m.energy(c, &model.frames[t]);
        if model.volumetric == Volumetric::NodalAverage {
            energy -= model.volume0[t] * volumetric_energy(m, j);
            for &n in &model.tets[t] {
                j_sum[n as usize] += model.volume0[t] * j;
                v_sum[n as usize] += model.volume0[t];
            }
        }
    }
    if model.volumetric == Volumetric::NodalAverage {
        for t in 0..model.tets.len() {
            let m = model.material(t);
            for &n in &model.tets[t] {
                let jn = j_sum[n as usize] / v_sum[n as usize];
                energy += 0.25 * model.volume0[t] * volumetric_energy(m, jn);
            }
        }
    }
    energy
}

/// -dE/dx by central differences, every node and axis.
fn fd_forces(model: &TledModel, x: &[DVec3], h: f64) -> Vec<DVec3> {
    let mut xp = x.to_vec();
    let mut out = vec![DVec3::ZERO; x.len()];
    for i in 0..x.len() {
        for k in 0..3 {
            let x_i = xp[i];
            xp[i][k] = x_i[k] + h;
            let e_plus = total_energy(model, &xp);
            xp[i][k] = x_i[k] - h;
            let e_minus = total_energy(model, &xp);
            xp[i] = x_i;
            out[i][k] = -(e_plus - e_minus) / (2.0 * h);
        }
    }
    out
}

/// Random orthonormal fibre frames, one per tetrahedron (so that Guccione's anisotropy is not aligned
/// with the grid).
fn random_frames(n: usize, seed: u64) -> Vec<FibreFrame> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| {
            let axis = (rng.vec3() + DVec3::splat(0.01)).normalize();
            let r = DMat3::from_quat(DQuat::from_axis_angle(axis, 3.0 * rng.signed()));
            FibreFrame {
                f0: r.x_axis,
                s0: r.y_axis,
                n0: r.z_axis,
            }
        })
        .collect()
}

fn laws() -> [(&'static str, Material); 3] {
    [
        ("neo-Hookean", Material::NeoHookean(NH)),
        ("Guccione St91", Material::Guccione(Guccione::default())),
        (
            "Guccione quadratic",
            Material::Guccione(Guccione {
                penalty: Penalty::Quadratic { kappa: 500.0 },
                ..Guccione::default()
            }),
        ),
    ]
}

/// The step's internal forces are minus the gradient of the energy the module docs state, for both
/// volumetric treatments: the nodal average is a consistent (energy-conserving) modification, not an ad
/// hoc smoothing of the pressure.
#[test]
fn nodal_average_forces_are_minus_the_energy_gradient() {
    let mesh = Block::cube(2, 1.0).with_jitter(0.1, 3).build().unwrap();
    let x = deform(&rest(&mesh), 0.04, 11);
    for (name, material) in laws() {
        for volumetric in [Volumetric::NodalAverage, Volumetric::Element] {
            let model = TledModel::new(&mesh, material, 1.0, Some(random_frames(48, 5)))
                .unwrap()
                .with_volumetric(volumetric);
            let f = model.internal_forces(&x, &[]).unwrap();
            // h = 1e-6 mm: truncation O(h^2 E''') ~ 1e-12 mN; rounding eps E / h ~ 1e-9 mN for energies
            // of order 10 uJ (kappa (J - 1)^2 V). Forces are of order 1-10 mN, so 1e-7 relative is far
            // above both and far below any modelling error (a missing factor or term is O(1)).
            let fd = fd_forces(&model, &x, 1e-6);
            let (err, scale) = (max_diff(&f, &fd), max_len(&f));
            eprintln!("{name} {volumetric:?}: |f + dE/dx| {err:.2e} of |f| {scale:.3}");
            assert!(scale > 0.1, "{name}: no forces at all ({scale})");
            assert!(
                err < 1e-7 * scale,
                "{name} {volumetric:?}: forces differ from -dE/dx by {err:.3e} (scale {scale:.3e})"
            );
        }
    }
}

/// For a uniform deformation every J_n equals the element J, so both treatments give the same forces
/// (the nodal average passes the patch test); for a non-uniform one they differ.
#[test]
fn nodal_average_equals_element_for_uniform_deformation_only() {
    let mesh = Block::cube(3, 1.0).with_jitter(0.1, 7).build().unwrap();
    let x0 = rest(&mesh);
    let uniform = deform(&x0, 0.0, 1);
    let varied = deform(&x0, 0.03, 2);
    for (name, material) in laws() {
        let frames = Some(random_frames(mesh.tet_count(), 9));
        let element = TledModel::new(&mesh, material, 1.0, frames.clone())
            .unwrap()
            .with_volumetric(Volumetric::Element);
        let nodal = TledModel::new(&mesh, material, 1.0, frames)
            .unwrap()
            .with_volumetric(Volumetric::NodalAverage);
        let forces = |m: &TledModel, x: &[DVec3]| m.internal_forces(x, &[]).unwrap();
        let (fe, fn_) = (forces(&element, &uniform), forces(&nodal, &uniform));
        let scale = max_len(&fe);
        // Rounding only: J_n is a weighted mean of equal values.
        assert!(
            max_diff(&fe, &fn_) < 1e-11 * scale,
            "{name}: uniform deformation, element and nodal forces differ by {:.3e} (scale {scale:.3e})",
            max_diff(&fe, &fn_)
        );
        let (fe, fn_) = (forces(&element, &varied), forces(&nodal, &varied));
        let (d, scale) = (max_diff(&fe, &fn_), max_len(&fe));
        eprintln!("{name}: non-uniform deformation, element vs nodal {d:.3e} of {scale:.3e}");
        // Random nodal noise of 0.03 mm on 0.33 mm cells changes element J by several per cent, and the
        // volumetric stiffness dominates: the two treatments differ at the level of the forces.
        assert!(
            d > 1e-2 * scale,
            "{name}: averaging changed nothing ({d:.3e})"
        );
    }
}

// ---------------------------------------------------------------------------------------------------
// 2. Follower pressure

fn pressure_forces(load: &PressureLoad, x: &[DVec3]) -> Vec<DVec3> {
    let mut f = vec![DVec3::ZERO; x.len()];
    load.add_forces(x, &mut f);
    f
}

/// The whole boundary of the Land ellipsoid (endocardium, epicardium, base ring) is closed: a uniform
/// follower pressure on it has zero resultant and zero moment in any configuration. On the endocardium
/// alone the nodal forces are p dV/dx of the capped cavity volume, exactly, at every node away from the
/// base opening (where the cap takes its share).
#[test]
fn follower_pressure_on_a_closed_surface_balances_and_is_the_volume_gradient() {
    let mesh = LandEllipsoid::with_element_size(2.5).build().unwrap();
    let tags = [
        land_ellipsoid::ENDO,
        land_ellipsoid::EPI,
        land_ellipsoid::BASE,
    ];
    let closed = PressureLoad::on_surfaces(&mesh, &tags, 7.5).unwrap();
    assert_eq!(
        closed.faces.len(),
        boundary_faces(&mesh).0.len(),
        "endo + epi + base is the whole boundary"
    );
    let mut rng = Rng(21);
    let x: Vec<DVec3> = rest(&mesh)
        .iter()
        .map(|&p| {
            p + DVec3::new(0.8 * (0.2 * p.z).sin(), 0.5 * (0.3 * p.x).cos(), 0.04 * p.y)
                + rng.vec3() * 0.1
        })
        .collect();
    let f = pressure_forces(&closed, &x);
    let sum: DVec3 = f.iter().sum();
    let moment: DVec3 = f.iter().zip(&x).map(|(fi, xi)| xi.cross(*fi)).sum();
    let scale: f64 = f.iter().map(|v| v.length()).sum();
    eprintln!(
        "closed surface: resultant {:.2e}, moment {:.2e} mN mm, sum |f| {scale:.1} mN",
        sum.length(),
        moment.length()
    );
    // Per triangle the lumped force is exact (the centroid rule is exact for a constant pressure on a
    // flat triangle), so both cancel up to rounding: 1e-13 of the force scale (times the radius ~ 20 mm).
    assert!(sum.length() < 1e-13 * scale, "resultant {sum}");
    assert!(moment.length() < 1e-13 * scale * 30.0, "moment {moment}");

    let p = 7.5;
    let endo = PressureLoad::on_surfaces(&mesh, &[land_ellipsoid::ENDO], p).unwrap();
    let f = pressure_forces(&endo, &x);
    let cavity = Cavity::new(&mesh, "lv", &[land_ellipsoid::ENDO]).unwrap();
    let mut grad = vec![DVec3::ZERO; x.len()];
    cavity.volume_gradient(&x, &mut grad);
    let ring: Vec<u32> = cavity.loops().iter().flatten().copied().collect();
    let mut worst = 0.0f64;
    let mut checked = 0;
    for &n in cavity.nodes() {
        if ring.contains(&n) {
            continue;
        }
        worst = worst.max((f[n as usize] - p * grad[n as usize]).length());
        checked += 1;
    }
    let scale = max_len(&f);
    eprintln!("endocardium: {checked} nodes, |f - p dV/dx| {worst:.2e} of {scale:.2e} mN");
    assert!(checked > 50);
    assert!(
        worst < 1e-12 * scale * 30.0,
        "endocardial pressure forces are not p dV/dx: {worst:.3e}"
    );
}

/// The enclosed volume of a tetrahedral body: the sum of its signed tetrahedron volumes, mm^3.
fn body_volume(tets: &[[u32; 4]], x: &[DVec3]) -> f64 {
    tets.iter()
        .map(|t| {
            let [a, b, c, d] = t.map(|n| x[n as usize]);
            (b - a).dot((c - a).cross(d - a)) / 6.0
        })
        .sum()
}

/// A pressure on every boundary face of a block, built from the topology's outward faces, gives the
/// nodal forces -p dV/dx of the body volume at every node (zero inside), in a deformed configuration.
#[test]
fn pressure_on_the_whole_boundary_is_minus_p_grad_volume() {
    let mesh = block(3, 4);
    let faces: Vec<[u32; 3]> = boundary_faces(&mesh).0.iter().map(|f| f.nodes).collect();
    let p = 3.0;
    let load = PressureLoad { faces, pressure: p };
    let x = deform(&rest(&mesh), 0.05, 8);
    let f = pressure_forces(&load, &x);
    let tets = mesh.tets();
    assert!(body_volume(tets, &x) > 0.5);
    let h = 1e-6;
    let mut xp = x.clone();
    let mut worst = 0.0f64;
    for i in 0..x.len() {
        let mut grad = DVec3::ZERO;
        for k in 0..3 {
            let xi = xp[i];
            xp[i][k] = xi[k] + h;
            let v_plus = body_volume(tets, &xp);
            xp[i][k] = xi[k] - h;
            let v_minus = body_volume(tets, &xp);
            xp[i] = xi;
            grad[k] = (v_plus - v_minus) / (2.0 * h);
        }
        worst = worst.max((f[i] + p * grad).length());
    }
    // The volume is cubic in x, so central differences are exact but for rounding: eps V / h ~ 1e-10.
    let scale = max_len(&f);
    eprintln!("|f + p dV/dx| {worst:.2e} of {scale:.3e} mN");
    assert!(worst < 1e-8 * scale, "{worst:.3e}");
}

/// The isotropic stretch s of a compressible neo-Hookean body under hydrostatic pressure p (kPa):
/// sigma = (mu (b - I) + lambda ln J I) / J = -p I with b = s^2 I and J = s^3, i.e.
/// g(s) = mu (s^2 - 1) + 3 lambda ln s + p s^3 = 0, by Newton.
fn hydrostatic_stretch(nh: NeoHookean, p: f64) -> f64 {
    let mut s = 1.0f64;
    for _ in 0..60 {
        let g = nh.mu * (s * s - 1.0) + 3.0 * nh.lambda * s.ln() + p * s.powi(3);
        let dg = 2.0 * nh.mu * s + 3.0 * nh.lambda / s + 3.0 * p * s * s;
        s -= g / dg;
    }
    s
}

/// Only the rigid motion removed, at three corners (a 3-2-1 support that takes no reaction from a
/// self-equilibrated load): the origin fixed, (1, 0, 0) held in y and z, (0, 1, 0) held in z.
fn three_two_one(mesh: &TetMesh) -> Constraints {
    let corner = |c: [f64; 3]| mesh.nodes().iter().position(|p| *p == c).unwrap() as u32;
    let mut constraints = Constraints::default();
    for axis in 0..3 {
        constraints.fixed.push((corner([0.0; 3]), axis, 0.0));
    }
    constraints.fixed.push((corner([1.0, 0.0, 0.0]), 1, 0.0));
    constraints.fixed.push((corner([1.0, 0.0, 0.0]), 2, 0.0));
    constraints.fixed.push((corner([0.0, 1.0, 0.0]), 2, 0.0));
    constraints
}

/// The jittered neo-Hookean block at rest with a follower pressure of `kpa` on all six faces.
fn pressurised_block(kpa: f64) -> (TetMesh, TledModel, TledState, Loads) {
    let mesh = block(2, 6);
    let model = TledModel::new(&mesh, Material::NeoHookean(NH), 1.0, None).unwrap();
    let state = TledState::at_rest(&mesh);
    let loads = Loads {
        pressures: vec![PressureLoad::on_surfaces(&mesh, &[1, 2, 3, 4, 5, 6], kpa).unwrap()],
        ..Loads::default()
    };
    (mesh, model, state, loads)
}

fn hydrostatic_options() -> RelaxOptions {
    RelaxOptions {
        safety: 0.3,
        ramp_steps: 500,
        max_steps: 100_000,
        tolerance: 1e-8,
        check_every: 100,
    }
}

/// A uniform follower pressure on every face of a jittered block, relaxed to equilibrium: a uniform
/// compression x = s X with s from the closed form (the deformation is homogeneous, so linear
/// tetrahedra are exact on any mesh). Also checks the relaxation report.
#[test]
fn uniform_pressure_compresses_a_block_as_the_closed_form() {
    let p = 20.0;
    let s = hydrostatic_stretch(NH, p);
    let (mesh, mut model, mut state, mut loads) = pressurised_block(0.0);
    let options = RelaxOptions {
        tolerance: 1e-11,
        ..hydrostatic_options()
    };
    let report = relax(
        &mut model,
        &mut state,
        &mut loads,
        |f, l| l.pressures[0].pressure = p * f,
        &three_two_one(&mesh),
        options,
    )
    .unwrap();
    let expected: Vec<DVec3> = rest(&mesh).iter().map(|&q| q * s).collect();
    let err = max_diff(&state.x, &expected);
    eprintln!(
        "p = {p} kPa: s = {s:.8}, max |x - s X| = {err:.2e} mm; {} steps, residual {:.2e}, {:.2} s",
        report.steps, report.residual, report.wall_s
    );
    assert!(report.converged && report.residual < options.tolerance);
    assert!(report.steps < options.max_steps);
    assert!(s < 0.95, "the load should compress visibly ({s})");
    // Measured: a residual of 1e-8 of the force scale left 5e-7 mm (the softest mode is shear, mu = 10
    // kPa, on a 27-node block); at 1e-11 the error is down by about the same factor. 1e-8 mm is 2e-7 of
    // the displacement |s - 1| X.
    assert!(err < 1e-8, "max |x - s X| = {err:.3e} mm");
}

/// The out-of-balance work (`balance().work`) that convergence also asks for: zero at the block's
/// equilibrium up to the relaxation's tolerance, and of the order of a mistake in the deformation's
/// amplitude when the displacement is 1% too large (where a soft mode hides such a mistake from the
/// residual's norm, this is what sees it: the GPU's f32 floor on the Land beam, VERIFICATION.md).
#[test]
fn out_of_balance_work_sees_a_wrong_amplitude() {
    let (mesh, mut model, mut state, mut loads) = pressurised_block(0.0);
    let constraints = three_two_one(&mesh);
    let options = hydrostatic_options();
    let report = relax(
        &mut model,
        &mut state,
        &mut loads,
        |f, l| l.pressures[0].pressure = 20.0 * f,
        &constraints,
        options,
    )
    .unwrap();
    assert!(
        report.converged && report.work_residual < options.tolerance,
        "{report:?}"
    );
    let at_rest = rest(&mesh);
    let equilibrium = balance(&model, &state, &loads, &constraints).unwrap();
    state.x = at_rest
        .iter()
        .zip(&state.x)
        .map(|(x0, x)| *x0 + (*x - *x0) * 1.01)
        .collect();
    let wrong = balance(&model, &state, &loads, &constraints).unwrap();
    eprintln!("at equilibrium {equilibrium:?}; amplitude x 1.01 {wrong:?}");
    assert!(equilibrium.work < options.tolerance, "{equilibrium:?}");
    // Homogeneous compression by 1% more: the out-of-balance work is about 1% of the stored work times
    // the ratio of tangent to secant stiffness (order 1).
    assert!((3e-3..0.1).contains(&wrong.work), "{wrong:?}");
    assert!(equilibrium.stored_work > 0.0 && wrong.stored_work > equilibrium.stored_work);
}

// ---------------------------------------------------------------------------------------------------
// 3. Springs

/// A stiff block on full springs (its face z = 0) under gravity, relaxed: the springs carry the weight
/// (sum of spring forces = rho V g exactly at equilibrium, so the area-weighted mean displacement of the
/// face is rho V g / (k A)), and gravity acts with the physical mass even though relaxation replaces the
/// masses with fictitious ones.
#[test]
fn springs_carry_the_weight() {
    let mesh = block(2, 12);
    let (rho, k, g) = (1.0, 10.0, DVec3::new(0.0, 0.0, -9.81e-3));
    let stiff = NeoHookean {
        mu: 100.0,
        lambda: 100.0,
    };
    let mut model = TledModel::new(&mesh, Material::NeoHookean(stiff), rho, None).unwrap();
    let spring = SpringLoad::on_surfaces(&mesh, &[face_tag(2, false)], k, 0.0, false).unwrap();
    let area: f64 = spring.area.iter().sum();
    assert!((area - 1.0).abs() < 1e-12, "face area {area}");
    let mut state = TledState::at_rest(&mesh);
    let mut loads = Loads {
        springs: vec![spring.clone()],
        ..Loads::default()
    };
    let options = RelaxOptions {
        tolerance: 1e-9,
        ..hydrostatic_options()
    };
    let report = relax(
        &mut model,
        &mut state,
        &mut loads,
        |f, l| l.gravity = g * f,
        &Constraints::default(),
        options,
    )
    .unwrap();
    assert!(report.converged, "{report:?}");
    let x0 = rest(&mesh);
    let mut spring_force = vec![DVec3::ZERO; x0.len()];
    let still = vec![DVec3::ZERO; x0.len()];
    spring.add_forces(&state.x, &x0, &still, &mut spring_force);
    let total: DVec3 = spring_force.iter().sum();
    let weight = g * rho * 1.0;
    let mean_u: DVec3 = spring
        .nodes
        .iter()
        .zip(&spring.area)
        .map(|(&n, &a)| (state.x[n as usize] - x0[n as usize]) * a)
        .sum::<DVec3>()
        / area;
    eprintln!(
        "spring force {total}, weight {weight}; mean face displacement {mean_u} vs {:.4e}; {} steps",
        weight.z / (k * area),
        report.steps
    );
    // Equilibrium to the relaxation tolerance (1e-9 of the internal force scale) and rounding.
    assert!(
        (total + weight).length() < 1e-6 * weight.length(),
        "springs carry {total}, weight {weight}"
    );
    assert!((mean_u.z - weight.z / (k * area)).abs() < 1e-6 * mean_u.z.abs());
    assert!(mean_u.x.abs() + mean_u.y.abs() < 1e-6 * mean_u.z.abs());
}

/// Springs on z = 0 and gravity along x: normal-only springs take no tangential load, so the block slides
/// freely (its centre of mass follows x = g t^2 / 2, exactly for central differences from rest:
/// g dt^2 n (n + 1) / 2 after n steps); full springs hold it (at most twice the static offset m g / (k A)
/// for an undamped spring).
#[test]
fn normal_only_springs_let_the_block_slide() {
    let mesh = block(2, 13);
    let (k, g) = (10.0, DVec3::new(2e-3, 0.0, 0.0));
    let model = TledModel::new(&mesh, Material::NeoHookean(NH), 1.0, None).unwrap();
    let total_mass: f64 = model.mass.iter().sum();
    let dt = 0.5 * model.stable_time_step();
    let steps = 2000u64;
    let mut mean_x = [0.0; 2];
    for (case, normal_only) in [false, true].into_iter().enumerate() {
        let spring =
            SpringLoad::on_surfaces(&mesh, &[face_tag(2, false)], k, 0.0, normal_only).unwrap();
        let loads = Loads {
            gravity: g,
            springs: vec![spring],
            ..Loads::default()
        };
        let mut state = TledState::at_rest(&mesh);
        let mut scratch = Scratch::default();
        let stepping = Stepping { dt, damping: 0.0 };
        for _ in 0..steps {
            tled::step(
                &model,
                &mut state,
                stepping,
                &loads,
                &Constraints::default(),
                &mut scratch,
            )
            .unwrap();
        }
        let x0 = rest(&mesh);
        mean_x[case] = state
            .x
            .iter()
            .zip(&x0)
            .zip(&model.mass)
            .map(|((x, p), m)| (x.x - p.x) * m)
            .sum::<f64>()
            / total_mass;
    }
    let n = steps as f64;
    let free = g.x * dt * dt * n * (n + 1.0) / 2.0;
    let held = 2.0 * total_mass * g.x / k;
    eprintln!(
        "mean x after {steps} steps of {dt:.3e} ms: full {:.3e}, normal-only {:.6e} (free {free:.6e}, held <= {held:.2e})",
        mean_x[0], mean_x[1]
    );
    // Momentum along x: internal forces sum to zero and the normal springs (normal exactly -z on a flat
    // face) add nothing along x, so the centre of mass moves as a free particle, up to rounding.
    assert!((mean_x[1] - free).abs() < 1e-9 * free, "{}", mean_x[1]);
    assert!(mean_x[0].abs() <= held * (1.0 + 1e-6), "{}", mean_x[0]);
    assert!(free > 10.0 * held, "the comparison needs free >> held");
}

// ---------------------------------------------------------------------------------------------------
// 4. Sliding

/// The lateral stretch lt of the compressible neo-Hookean uniaxial solution at axial stretch `stretch`:
/// the lateral stress vanishes, mu (lt^2 - 1) + lambda ln(stretch lt^2) = 0, by Newton.
fn lateral_stretch(nh: NeoHookean, stretch: f64) -> f64 {
    let mut lt = 1.0f64;
    for _ in 0..60 {
        let g = nh.mu * (lt * lt - 1.0) + nh.lambda * (stretch * lt * lt).ln();
        let dg = 2.0 * nh.mu * lt + 2.0 * nh.lambda / lt;
        lt -= g / dg;
    }
    lt
}

/// A block on the sliding plane z = 0, compressed to 0.8 of its height from the top (z only): the bottom
/// stays at z = 0 while it spreads freely in x and y, to the uniaxial closed form.
#[test]
fn a_block_on_a_sliding_plane_spreads_as_the_uniaxial_solution() {
    let mesh = block(2, 15);
    let stretch = 0.8;
    let lt = lateral_stretch(NH, stretch);
    let mut model = TledModel::new(&mesh, Material::NeoHookean(NH), 1.0, None).unwrap();
    let mut constraints = Constraints::default();
    constraints
        .slide_surfaces(&mesh, &[face_tag(2, false)], DVec3::Z * 3.0)
        .unwrap();
    // In-plane rigid motion: the origin held in x and y, (1, 0, 0) in y.
    let corner = |c: [f64; 3]| mesh.nodes().iter().position(|p| *p == c).unwrap() as u32;
    constraints.fixed.push((corner([0.0; 3]), 0, 0.0));
    constraints.fixed.push((corner([0.0; 3]), 1, 0.0));
    constraints.fixed.push((corner([1.0, 0.0, 0.0]), 1, 0.0));
    for (i, p) in mesh.nodes().iter().enumerate() {
        if p[2] == 1.0 {
            constraints.fixed.push((i as u32, 2, stretch));
        }
    }
    let mut state = TledState::at_rest(&mesh);
    for x in state.x.iter_mut() {
        x.z *= stretch;
    }
    state.stop();
    let report = relax(
        &mut model,
        &mut state,
        &mut Loads::default(),
        |_, _| {},
        &constraints,
        hydrostatic_options(),
    )
    .unwrap();
    assert!(report.converged, "{report:?}");
    let x0 = rest(&mesh);
    let mut worst = 0.0f64;
    for (x, p) in state.x.iter().zip(&x0) {
        if p.z == 0.0 {
            assert_eq!(x.z, 0.0, "a bottom node left the plane");
        }
        worst = worst.max((*x - DVec3::new(lt * p.x, lt * p.y, stretch * p.z)).length());
    }
    eprintln!(
        "lateral stretch {lt:.8}: max deviation {worst:.2e} mm, {} steps",
        report.steps
    );
    assert!(lt > 1.05, "compression must spread the block ({lt})");
    assert!(worst < 1e-7, "{worst:.3e} mm from the closed form");
}

// ---------------------------------------------------------------------------------------------------
// 5. Relaxation reports and errors

/// Running out of steps is a report (converged = false, the residual it reached), not an error.
#[test]
fn relaxation_out_of_steps_reports_not_converged() {
    let (mesh, mut model, mut state, mut loads) = pressurised_block(20.0);
    let options = RelaxOptions {
        ramp_steps: 0,
        max_steps: 60,
        check_every: 20,
        ..hydrostatic_options()
    };
    let report = relax(
        &mut model,
        &mut state,
        &mut loads,
        |_, _| {},
        &three_two_one(&mesh),
        options,
    )
    .unwrap();
    eprintln!("{report:?}");
    assert!(!report.converged);
    assert_eq!(report.steps, 60);
    assert!(report.residual.is_finite() && report.residual >= options.tolerance);
}

/// A load far beyond what the block can carry, applied at once, inverts an element during relaxation:
/// that is an error naming the element, not a NaN result.
#[test]
fn relaxation_reports_an_inverted_element() {
    let mesh = block(2, 6);
    let mut model = TledModel::new(&mesh, Material::NeoHookean(NH), 1.0, None).unwrap();
    let mut constraints = Constraints::default();
    constraints
        .clamp_surfaces(&mesh, &[face_tag(2, false)])
        .unwrap();
    let mut state = TledState::at_rest(&mesh);
    let mut loads = Loads {
        pressures: vec![PressureLoad::on_surfaces(&mesh, &[face_tag(2, true)], 1e5).unwrap()],
        ..Loads::default()
    };
    let options = RelaxOptions {
        ramp_steps: 0,
        ..hydrostatic_options()
    };
    match relax(
        &mut model,
        &mut state,
        &mut loads,
        |_, _| {},
        &constraints,
        options,
    ) {
        Err(SimError::Inverted { tet, j, .. }) => {
            assert!(tet < mesh.tet_count());
            assert!(j <= 0.0 || j.is_nan(), "{j}");
        }
        other => panic!("expected an inverted element, got {other:?}"),
    }
}

/// A load on a surface tag the mesh does not have names the tags it does have.
#[test]
fn an_unknown_surface_tag_names_the_known_ones() {
    let mesh = block(1, 1);
    let e = tagged_faces(&mesh, &[99]).unwrap_err().to_string();
    assert!(e.contains("99") && e.contains("[1, 2, 3, 4, 5, 6]"), "{e}");
}
