//! The fused CPU step ([`FusedTled`], f64 and f32) against the reference step (`tled::step`, f64) on the
//! same model: every law, both volumetric treatments, both active forms, viscosity, follower pressure,
//! springs, sliding, a fixed node, gravity, damping and mass scaling, with the pressure and the tension
//! changed between two batches (the problem the GPU path is checked on, `tests/common/mechanics.rs`);
//! results independent of the number of threads (bit for bit); the neo-Hookean fast kernel on its
//! own; the Holzapfel-Ogden kernel's scalar path for large volume changes; failures reported in the model's
//! numbering (the fused step renumbers internally); loads of the
//! wrong shape refused.

mod common;

use cardiotwin::anatomy::block::Block;
use cardiotwin::mechanics::material::{Material, NeoHookean};
use cardiotwin::mechanics::tled::{
    self, Scratch, SimError, Stepping, TledModel, TledState, Volumetric,
};
use cardiotwin::mechanics::{Constraints, FusedTled, Loads, PressureLoad, Real};
use cardiotwin::mesh::TetMesh;
use common::mechanics::{
    Case, NH, PRESSURE_Z0, Setup, cases, cube, largest_gap, reference_steps, second_half, setup,
};
use glam::DVec3;

/// Steps `case` 2 x 150 steps with the reference and the fused step in `T` (pressure and tension changed
/// in between); returns (max |x_fused - x_reference|, max displacement, tolerance), mm.
fn compare<T: Real>(mesh: &TetMesh, case: &Case) -> (f64, f64, f64) {
    let n_tets = mesh.tet_count();
    let Setup {
        model,
        mut loads,
        constraints,
        stepping,
    } = setup(mesh, case);
    let mut reference = TledState::at_rest(mesh);
    let mut fused = FusedTled::<T>::new(&model, &loads, &constraints, &reference).unwrap();
    let batch = 150;
    for half in 0..2 {
        if half == 1 {
            second_half(&mut loads, n_tets);
        }
        reference_steps(
            &model,
            &mut reference,
            stepping,
            &loads,
            &constraints,
            batch,
        );
        fused.run(batch.into(), stepping, &loads).unwrap();
    }
    assert_eq!(fused.step, reference.step);
    assert!((fused.t - reference.t).abs() < 1e-12 * reference.t);
    let scale = largest_gap(&reference.x, &model.rest);
    let worst = largest_gap(&reference.x, &fused.positions());
    // The same bound as the GPU comparison (tests/tled_gpu.rs), with this precision's epsilon: the fused
    // step stores displacements, which round by up to eps x scale per update, and computes F, J and the
    // stress with a few roundings of eps each (f64 through the reference's own laws, except
    // neo-Hookean); a damped stable step adds these errors at most linearly over N steps. In f64 the
    // two computations differ only in summation order, the J - 1 formula and the logarithm.
    let eps = T::epsilon().wide();
    let tol = 8.0 * (2 * batch) as f64 * eps * (3f64.sqrt() / 2.0 + scale);
    eprintln!(
        "{:<42} {}: max |x_fused - x_ref| = {worst:.2e} mm, max displacement {scale:.3e} mm, tolerance {tol:.1e}",
        case.name,
        T::NAME
    );
    (worst, scale, tol)
}

fn check_every_case<T: Real>() {
    let mesh = cube();
    let mut failures = Vec::new();
    for case in &cases() {
        let (worst, scale, tol) = compare::<T>(&mesh, case);
        assert!(
            scale > 1e-3,
            "{}: the cube did not move: {scale}",
            case.name
        );
        if worst.is_nan() || worst > tol {
            failures.push(format!(
                "{} ({}): fused and reference differ by {worst:.2e} mm > {tol:.2e} (displacement {scale:.2e})",
                case.name,
                T::NAME
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn fused_f64_matches_the_reference_for_every_law_and_load() {
    check_every_case::<f64>();
}

#[test]
fn fused_f32_matches_the_reference_for_every_law_and_load() {
    check_every_case::<f32>();
}

/// A block of `n`^3 hexahedra (6 n^3 tetrahedra) under gravity with its top fixed: the peer-nh workload
/// of `cardiotwin bench` in small, which the fast neo-Hookean kernel takes.
fn hanging_block(n: usize, volumetric: Volumetric) -> (TledModel, Loads, Constraints, Stepping) {
    let mesh = Block::cube(n, 10.0).with_jitter(0.15, 7).build().unwrap();
    let nh = NeoHookean {
        mu: 3.45,
        lambda: 31.0,
    };
    let model = TledModel::new(&mesh, Material::NeoHookean(nh), 1.0, None)
        .unwrap()
        .with_volumetric(volumetric);
    let mut constraints = Constraints::default();
    for (i, p) in mesh.nodes().iter().enumerate() {
        if p[2] > 10.0 - 1e-9 {
            for (axis, &value) in p.iter().enumerate() {
                constraints.fixed.push((i as u32, axis, value));
            }
        }
    }
    let loads = Loads {
        gravity: DVec3::new(0.0, 0.0, -9.81e-2),
        ..Loads::default()
    };
    let dt = 0.4 * model.stable_time_step();
    (model, loads, constraints, Stepping { dt, damping: 1.0 })
}

#[test]
fn the_neo_hookean_kernel_matches_the_reference_in_both_precisions() {
    for volumetric in [Volumetric::Element, Volumetric::NodalAverage] {
        let (model, loads, constraints, stepping) = hanging_block(5, volumetric);
        let mut reference = reference_at_rest(&model);
        let steps = 400;
        reference_steps(
            &model,
            &mut reference,
            stepping,
            &loads,
            &constraints,
            steps,
        );
        let scale = largest_gap(&reference.x, &model.rest);
        assert!(scale > 1e-2, "the block barely moved: {scale}");
        let gap = |fused: Vec<DVec3>| largest_gap(&reference.x, &fused);
        let mut f64_step =
            FusedTled::<f64>::new(&model, &loads, &constraints, &reference_at_rest(&model))
                .unwrap();
        f64_step.run(steps.into(), stepping, &loads).unwrap();
        let mut f32_step =
            FusedTled::<f32>::new(&model, &loads, &constraints, &reference_at_rest(&model))
                .unwrap();
        f32_step.run(steps.into(), stepping, &loads).unwrap();
        let (e64, e32) = (gap(f64_step.positions()), gap(f32_step.positions()));
        // Bounds as in `compare`, with R = the block's half-diagonal, 8.7 mm.
        let bound = |eps: f64| 8.0 * steps as f64 * eps * (8.7 + scale);
        eprintln!(
            "neo-Hookean kernel, {volumetric:?}: f64 {e64:.2e} mm, f32 {e32:.2e} mm (displacement {scale:.3e} mm)"
        );
        assert!(e64 <= bound(f64::EPSILON), "{volumetric:?} f64: {e64:e}");
        assert!(
            e32 <= bound(f32::EPSILON as f64),
            "{volumetric:?} f32: {e32:e}"
        );
    }
}

fn reference_at_rest(model: &TledModel) -> TledState {
    TledState {
        x: model.rest.clone(),
        x_prev: model.rest.clone(),
        t: 0.0,
        step: 0,
    }
}

/// The fused step of a test setup, from rest.
fn fused_at_rest<T: Real>(s: &Setup) -> FusedTled<T> {
    FusedTled::new(
        &s.model,
        &s.loads,
        &s.constraints,
        &reference_at_rest(&s.model),
    )
    .unwrap()
}

/// `f` on a rayon pool of `threads` threads.
fn on_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    // The team of threads splits nodes, tetrahedra and triangles in ranges; every sum keeps its order, so
    // the result is the same to the bit. Both kernels, with pressure (the triangle pass) in the second.
    let (model, loads, constraints, stepping) = hanging_block(6, Volumetric::NodalAverage);
    let run = |threads: usize, loads: &Loads| {
        on_threads(threads, || {
            let mut f =
                FusedTled::<f32>::new(&model, loads, &constraints, &reference_at_rest(&model))
                    .unwrap();
            f.run(120, stepping, loads).unwrap();
            f.state()
        })
    };
    let one = run(1, &loads);
    for threads in [2, 3, 5] {
        let many = run(threads, &loads);
        assert_eq!(one.x, many.x, "{threads} threads");
        assert_eq!(one.x_prev, many.x_prev, "{threads} threads");
    }
    let mesh_case = cube();
    let case = &cases()[6];
    let s = setup(&mesh_case, case);
    let run = |threads: usize| {
        on_threads(threads, || {
            let mut f = fused_at_rest::<f64>(&s);
            f.run(60, s.stepping, &s.loads).unwrap();
            f.positions()
        })
    };
    assert_eq!(run(1), run(3), "{}", case.name);
}

#[test]
fn an_inverted_element_is_reported_in_the_model_numbering() {
    let mesh = Block::cube(3, 1.0).build().unwrap();
    let model = TledModel::new(&mesh, Material::NeoHookean(NH), 1.0, None)
        .unwrap()
        .with_volumetric(Volumetric::Element);
    let mut state = reference_at_rest(&model);
    // Crush node 0 through the body.
    state.x[0] = DVec3::new(2.0, 2.0, 2.0);
    state.x_prev[0] = state.x[0];
    let stepping = Stepping {
        dt: 1e-4,
        damping: 0.0,
    };
    let mut reference = state.clone();
    let expected = tled::step(
        &model,
        &mut reference,
        stepping,
        &Loads::default(),
        &Constraints::default(),
        &mut Scratch::default(),
    )
    .unwrap_err();
    for threads in [1, 2] {
        let err = on_threads(threads, || {
            let mut f =
                FusedTled::<f32>::new(&model, &Loads::default(), &Constraints::default(), &state)
                    .unwrap();
            let err = f.run(3, stepping, &Loads::default()).unwrap_err();
            assert_eq!(f.step, 0, "the state stays at the failed step");
            err
        });
        let SimError::Inverted {
            step, tet, nodes, ..
        } = err.clone()
        else {
            panic!("{err}")
        };
        assert_eq!(step, 0);
        assert_eq!(nodes, model.tets[tet], "{err}");
        assert!(
            nodes.contains(&0),
            "tet {tet} ({nodes:?}) does not hold node 0"
        );
        assert!(err.to_string().contains("inverted"), "{err}");
        // The reference may name another of the inverted tetrahedra around node 0, but not another kind
        // of failure.
        assert!(
            matches!(expected, SimError::Inverted { step: 0, .. }),
            "{expected}"
        );
    }
}

#[test]
fn a_non_finite_position_is_reported_in_the_model_numbering() {
    let mesh = Block::cube(2, 1.0).build().unwrap();
    let model = TledModel::new(&mesh, Material::NeoHookean(NH), 1.0, None).unwrap();
    let stepping = Stepping {
        dt: 1e-3,
        damping: 0.0,
    };
    // Two sane steps, then an infinite body force along x on every node but the fixed node 5.
    let mut constraints = Constraints::default();
    for axis in 0..3 {
        constraints.fixed.push((5, axis, mesh.nodes()[5][axis]));
    }
    let mut fused = FusedTled::<f64>::new(
        &model,
        &Loads::default(),
        &constraints,
        &reference_at_rest(&model),
    )
    .unwrap();
    fused.run(2, stepping, &Loads::default()).unwrap();
    let loads = Loads {
        gravity: DVec3::new(f64::INFINITY, 0.0, 0.0),
        ..Loads::default()
    };
    let err = fused.run(5, stepping, &loads).unwrap_err();
    let SimError::NonFinite { step, node, .. } = err else {
        panic!("{err}")
    };
    assert_eq!(step, 2);
    // The first free node in the model's numbering (node 5 is held).
    assert_eq!(node, 0, "{err}");
    assert_eq!(fused.step, 2);
}

#[test]
fn loads_of_another_shape_are_refused() {
    let mesh = cube();
    let model = TledModel::new(&mesh, Material::NeoHookean(NH), 1.0, None).unwrap();
    let state = reference_at_rest(&model);
    let loads = Loads {
        pressures: vec![PressureLoad::on_surfaces(&mesh, &[PRESSURE_Z0], 1.0).unwrap()],
        ..Loads::default()
    };
    let mut fused = FusedTled::<f32>::new(&model, &loads, &Constraints::default(), &state).unwrap();
    let stepping = Stepping {
        dt: 1e-4,
        damping: 0.0,
    };
    let err = fused.run(1, stepping, &Loads::default()).unwrap_err();
    assert!(err.to_string().contains("pressure triangles"), "{err}");
    let wrong_tension = Loads {
        active_tension: vec![1.0; 3],
        ..loads.clone()
    };
    let err = fused.run(1, stepping, &wrong_tension).unwrap_err();
    assert!(err.to_string().contains("active tension"), "{err}");
    assert_eq!(fused.step, 0);
    fused.run(1, stepping, &loads).unwrap();
}

#[test]
fn a_state_saved_with_its_exceptions_resumes_bit_for_bit() {
    // A checkpoint keeps f64 positions X + u; building a step from them recomputes u = x - X, which can
    // differ from the stored u in its last bit. With the exceptions written back, the resumed step
    // continues exactly; without them, it would drift by rounding (the check below that some exist is
    // what makes this test see the difference in f64).
    fn resume<T: Real>() {
        let mesh = cube();
        let case = &cases()[5];
        let s = setup(&mesh, case);
        let mut a = fused_at_rest::<T>(&s);
        a.run(80, s.stepping, &s.loads).unwrap();
        let exact = a.round_trip_exceptions();
        // In f32 here, X + u is exact in f64 (u is not below 2^-29 |X|, so its 24 bits fit beside X's
        // 53): nothing is lost. In f64 the sum rounds.
        assert_eq!(
            exact.is_empty(),
            T::NAME == "f32",
            "{}: {} exceptions",
            T::NAME,
            exact.len()
        );
        let mut b = FusedTled::<T>::new(&s.model, &s.loads, &s.constraints, &a.state()).unwrap();
        b.restore_exact(&exact).unwrap();
        assert!(b.round_trip_exceptions() == exact);
        a.run(40, s.stepping, &s.loads).unwrap();
        b.run(40, s.stepping, &s.loads).unwrap();
        assert_eq!(a.positions(), b.positions(), "{}", T::NAME);
        assert_eq!(a.step, b.step);
        let bad = [cardiotwin::mechanics::ExactNode {
            node: 1_000_000,
            u: [0.0; 3],
            du: [0.0; 3],
        }];
        let err = b.restore_exact(&bad).unwrap_err();
        assert!(err.to_string().contains("out of range"), "{err}");
    }
    resume::<f64>();
    resume::<f32>();
}

#[test]
fn large_volume_changes_take_the_scalar_holzapfel_ogden_path_and_still_match() {
    // The block Holzapfel-Ogden kernel computes ln J by a series valid for |J - 1| <= 0.1 and recomputes
    // any tetrahedron beyond it with the library's logarithm. A soft penalty makes the cube change volume
    // by more than that, so that this path runs, and it must still match the reference.
    let mesh = cube();
    let case = &cases()[4]; // Holzapfel-Ogden, element, PK2, viscous
    let mut s = setup(&mesh, case);
    let soft = cardiotwin::mechanics::HolzapfelOgden {
        penalty: cardiotwin::mechanics::Penalty::St91 { kappa: 2.0 },
        ..cardiotwin::mechanics::HolzapfelOgden::default()
    };
    s.model.materials = vec![Material::HolzapfelOgden(soft)];
    s.stepping.dt *= 0.5;
    let steps = 400;
    let mut reference = reference_at_rest(&s.model);
    reference_steps(
        &s.model,
        &mut reference,
        s.stepping,
        &s.loads,
        &s.constraints,
        steps,
    );
    let largest = (0..mesh.tet_count())
        .map(|t| (s.model.deformation_gradient(t, &reference.x).determinant() - 1.0).abs())
        .fold(0.0, f64::max);
    assert!(
        largest > 0.1,
        "largest |J - 1| = {largest}: the scalar path did not run"
    );
    let mut fused = fused_at_rest::<f64>(&s);
    fused.run(steps.into(), s.stepping, &s.loads).unwrap();
    let scale = largest_gap(&reference.x, &s.model.rest);
    let worst = largest_gap(&reference.x, &fused.positions());
    let tol = 8.0 * steps as f64 * f64::EPSILON * (3f64.sqrt() / 2.0 + scale);
    eprintln!(
        "largest |J - 1| {largest:.3}: fused vs reference {worst:.2e} mm (displacement {scale:.3e}, tolerance {tol:.1e})"
    );
    assert!(worst <= tol, "{worst:e} > {tol:e}");
}

/// The fused f32 step keeps the state as the displacement and the last increment (as the GPU does), not
/// as two displacements: with a step 20 times below the stable one, a step's change of motion dt^2 f / m
/// falls below one unit in the last place of u after a few thousand steps, and
/// u_next = u + (u - u_prev) + dt^2 f / m would round it away. The hanging block, released from rest, over 10,000 such steps:
/// f32 must follow f64 to f32's precision of the displacement. Measured: 3.6e-6 mm of 0.41 mm (9e-6);
/// the former (u, u_prev) state gave 3.2e-3 mm (8e-3) and fails this bound.
#[test]
fn fused_f32_keeps_a_motion_below_one_ulp_of_the_displacement_per_step() {
    let (model, loads, constraints, stepping) = hanging_block(4, Volumetric::Element);
    let stepping = Stepping {
        dt: stepping.dt / 20.0,
        ..stepping
    };
    let steps = 10_000u64;
    let at_rest = reference_at_rest(&model);
    let mut wide = FusedTled::<f64>::new(&model, &loads, &constraints, &at_rest).unwrap();
    let mut narrow = FusedTled::<f32>::new(&model, &loads, &constraints, &at_rest).unwrap();
    wide.run(steps, stepping, &loads).unwrap();
    narrow.run(steps, stepping, &loads).unwrap();
    let reference = wide.positions();
    let scale = largest_gap(&reference, &model.rest);
    let gap = largest_gap(&reference, &narrow.positions());
    eprintln!("f32 vs f64 after {steps} small steps: {gap:.3e} mm of {scale:.3e} mm");
    assert!(scale > 1e-2, "the block barely moved: {scale}");
    assert!(gap < 1e-4 * scale, "{gap:e} of {scale:e}");
}
