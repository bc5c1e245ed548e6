//! Dynamic relaxation on the GPU (`mechanics::gpu::relax`, `shaders/mech_relax.wgsl`: the load ramp and
//! kinetic damping on the device, f32) against the CPU's (`mechanics::relax`, f64): the same equilibrium on
//! a cube with every kind of load it ramps, through a callback that is not linear; a ramp of anything else
//! refused; and the verification cases `uniaxial-nh` (exact) and `land-lv-active` (Land 2015 problem 3) on
//! both backends. Times on 2 cores with lavapipe: cube 9 s (most of it the stalled run), uniaxial 12 s,
//! ventricle 9 s (GPU) + 4 s (CPU).

mod common;

use cardiotwin::backend::Backend;
use cardiotwin::mechanics::gpu::relax::relax as gpu_relax;
use cardiotwin::mechanics::material::{Material, NeoHookean};
use cardiotwin::mechanics::relax::{RelaxOptions, relax};
use cardiotwin::mechanics::tled::{TledModel, TledState};
use cardiotwin::mechanics::{Constraints, Loads, PressureLoad};
use cardiotwin::verify::{self, VerifyOptions};
use common::mechanics::{PRESSURE_Z0, SLIDING_X0, cube, skew_frames, tension};
use common::num;
use glam::DVec3;

/// The cube clamped on x = 0, 2 kPa of follower pressure on z = 0 and an active tension of about 5 kPa
/// along skew fibres, both set by a callback as the square of the load fraction; relaxed on the CPU to
/// 1e-8 of the force scale and on the GPU to 5e-5 (its f32 floor: `mechanics::gpu::relax`). The GPU ramps
/// linearly between the callback's ends, the CPU follows the square: the equilibria must agree all the
/// same. Measured on lavapipe: worst node 2.0e-6 mm of a largest displacement of 0.28 mm (GPU 1,400 steps,
/// residual 1.3e-5; CPU 1,800 steps). Bound: 1e-4 of the largest displacement (a residual at the tolerance,
/// 5e-5 of the force scale, with a factor two for the softest direction), 14x the measured. Then the
/// same with a tolerance it cannot reach (it stops as stalled), and a ramp of gravity (refused).
#[test]
fn gpu_relaxation_reaches_the_cpus_equilibrium() {
    let Some(ctx) = common::gpu("relax_gpu") else {
        return;
    };
    let mesh = cube();
    let nh = NeoHookean {
        mu: 10.0,
        lambda: 100.0,
    };
    let frames = skew_frames(mesh.tet_count());
    let ta = tension(mesh.tet_count(), 5.0);
    let model = TledModel::new(&mesh, Material::NeoHookean(nh), 1.0, Some(frames)).unwrap();
    let mut constraints = Constraints::default();
    constraints.clamp_surfaces(&mesh, &[SLIDING_X0]).unwrap();
    let loads = Loads {
        pressures: vec![PressureLoad::on_surfaces(&mesh, &[PRESSURE_Z0], 0.0).unwrap()],
        active_tension: vec![0.0; mesh.tet_count()],
        ..Loads::default()
    };
    let squared = |f: f64, l: &mut Loads| {
        l.pressures[0].pressure = 2.0 * f * f;
        for (t, v) in l.active_tension.iter_mut().zip(&ta) {
            *t = v * f * f;
        }
    };
    let options = |tolerance| RelaxOptions {
        safety: 0.3,
        ramp_steps: 1000,
        max_steps: 200_000,
        tolerance,
        check_every: 200,
    };

    let (mut cpu_model, mut cpu_state, mut cpu_loads) =
        (model.clone(), TledState::at_rest(&mesh), loads.clone());
    let cpu = relax(
        &mut cpu_model,
        &mut cpu_state,
        &mut cpu_loads,
        squared,
        &constraints,
        options(1e-8),
    )
    .unwrap();
    let (mut gpu_model, mut gpu_state, mut gpu_loads) =
        (model.clone(), TledState::at_rest(&mesh), loads.clone());
    let gpu = gpu_relax(
        &ctx,
        &mut gpu_model,
        &mut gpu_state,
        &mut gpu_loads,
        squared,
        &constraints,
        options(5e-5),
    )
    .unwrap();
    eprintln!("CPU {cpu:?}\nGPU {gpu:?}");
    assert!(cpu.converged && gpu.converged);
    assert!(
        gpu.resets > 0,
        "the kinetic damping never stopped the motion"
    );
    assert!(gpu.kinetic_energy.is_finite());
    // The callback's end loads, as the CPU's.
    assert_eq!(gpu_loads.pressures[0].pressure, 2.0);
    assert_eq!(gpu_loads.active_tension, cpu_loads.active_tension);

    let displacement = |s: &TledState, i: usize| s.x[i] - DVec3::from_array(mesh.nodes()[i]);
    let (mut worst, mut scale) = (0.0f64, 0.0f64);
    for i in 0..mesh.node_count() {
        scale = scale.max(displacement(&cpu_state, i).length());
        worst = worst.max((gpu_state.x[i] - cpu_state.x[i]).length());
    }
    eprintln!("worst node {worst:.3e} mm of a largest displacement {scale:.3e} mm");
    assert!(scale > 0.05, "the cube barely moved: {scale} mm");
    assert!(worst < 1e-4 * scale, "GPU vs CPU: {worst} mm");

    // A tolerance below the f32 floor: the residual stops halving, and the run stops after 60 checks
    // (12,000 steps here), reported as stalled, not converged, with the floor it reached.
    let (mut model, mut state, mut loads) =
        (model.clone(), TledState::at_rest(&mesh), loads.clone());
    let floor = gpu_relax(
        &ctx,
        &mut model,
        &mut state,
        &mut loads,
        squared,
        &constraints,
        options(1e-12),
    )
    .unwrap();
    eprintln!("below the floor: {floor:?}");
    assert!(floor.stalled && !floor.converged, "{floor:?}");
    assert!(floor.steps < 50_000 && floor.residual < 1e-4, "{floor:?}");

    // Gravity cannot be ramped on the device: refused, saying what it ramps.
    let mut state = TledState::at_rest(&mesh);
    let err = gpu_relax(
        &ctx,
        &mut model,
        &mut state,
        &mut loads,
        |f, l| l.gravity = DVec3::new(0.0, 0.0, -9.81e-3 * f),
        &constraints,
        options(5e-5),
    )
    .expect_err("a ramp of gravity is refused");
    assert!(
        err.to_string()
            .contains("ramps pressures and active tension only"),
        "{err}"
    );
}

/// `uniaxial-nh` on the GPU: a homogeneous deformation, exact on any mesh up to the relaxation's
/// tolerance. Measured: largest relative error 2.2e-6 (the CPU's, at its tolerance of 1e-6: 1e-13).
/// Bound: 5e-5, the GPU's tolerance on the force residual, which the error in the stretches follows.
#[test]
fn uniaxial_stretch_is_exact_on_the_gpu() {
    let Some(ctx) = common::gpu("relax_gpu_uniaxial") else {
        return;
    };
    let v = verify::run(
        "uniaxial-nh",
        VerifyOptions::default(),
        &Backend::Gpu(Box::new(ctx)),
    )
    .unwrap()
    .json;
    let err = num(&v, "max_relative_error");
    eprintln!(
        "uniaxial-nh on the GPU: {err:.2e} ({} s)",
        v["solve"]["wall_s"]
    );
    assert_eq!(v["solve"]["backend"], "gpu");
    assert_eq!(v["solve"]["precision"], "f32");
    assert_eq!(v["solve"]["converged"], true);
    assert_eq!(v["pass"], true);
    assert!(err < 5e-5, "relative error {err}");
}

/// Quadratic tetrahedra run on the CPU only: asking for them on the GPU is refused, not run on the CPU
/// behind the user's back.
#[test]
fn quadratic_tetrahedra_are_refused_on_the_gpu() {
    let Some(ctx) = common::gpu("relax_gpu_tet10") else {
        return;
    };
    let options = VerifyOptions {
        element: verify::Element::Tet10,
        ..VerifyOptions::default()
    };
    let err = match verify::run("land-beam", options, &Backend::Gpu(Box::new(ctx))) {
        Ok(o) => panic!("tet10 on the GPU should be refused, gave {}", o.json),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("--backend cpu"), "{err}");
}

/// Land problem 3 (PK2 active stress, h = 1.5 mm, 7,560 tetrahedra) relaxed on both backends. Measured:
/// the apex points differ by 2.9e-5 mm (endo -12.07552 vs -12.07549 mm, epi -15.48576 vs -15.48573) after
/// 6,500 GPU steps and 7,000 CPU ones. Bound: 1e-3 mm, 30x the measured and 1% of the reference's own
/// uncertainty (figure readings, 0.1 mm).
#[test]
fn land_lv_active_on_the_gpu_matches_the_cpu() {
    let Some(ctx) = common::gpu("relax_gpu_land") else {
        return;
    };
    let run = |backend: &Backend| {
        verify::run("land-lv-active", VerifyOptions::default(), backend)
            .unwrap()
            .json
    };
    let cpu = run(&Backend::Cpu);
    let gpu = run(&Backend::Gpu(Box::new(ctx)));
    assert_eq!(gpu["solve"]["converged"], true);
    assert_eq!(cpu["solve"]["converged"], true);
    for key in ["endo_apex_z_mm", "epi_apex_z_mm"] {
        let (c, g) = (num(&cpu, key), num(&gpu, key));
        eprintln!("{key}: CPU {c:.5}, GPU {g:.5}, difference {:.2e}", g - c);
        assert!((g - c).abs() < 1e-3, "{key}: GPU {g} vs CPU {c}");
    }
}
