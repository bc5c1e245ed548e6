//! The GPU explicit mechanics step (f32, `shaders/mech_*.wgsl`) against the CPU reference (f64) on the same
//! model: a neo-Hookean cube pulled to a 5% stretch at once and left to ring down under damping, compared
//! node by node after many steps; and an inverted element reported, not turned into NaN.

mod common;

use cardiotwin::anatomy::block::Block;
use cardiotwin::mechanics::gpu::GpuTled;
use cardiotwin::mechanics::material::{Material, NeoHookean};
use cardiotwin::mechanics::tled::{self, Scratch, Stepping, TledModel, TledState, Volumetric};
use cardiotwin::mechanics::{Constraints, Loads};
use glam::DVec3;

const NH: NeoHookean = NeoHookean {
    mu: 10.0,
    lambda: 100.0,
};

#[test]
fn gpu_steps_match_the_cpu_reference() {
    let Some(ctx) = common::gpu("tled_gpu") else {
        return;
    };
    let mesh = Block::cube(4, 1.0).with_jitter(0.1, 3).build().unwrap();
    let model = TledModel::new(&mesh, Material::NeoHookean(NH), 1.0, None)
        .unwrap()
        .with_volumetric(Volumetric::Element);
    let dt = 0.4 * tled::stable_time_step(&mesh, NH.lambda + 2.0 * NH.mu, 1.0);
    let (alpha, gravity) = (5.0, DVec3::new(0.0, 0.0, -9.81e-3));
    let mut constraints = Constraints::default();
    let prescribed = &mut constraints.fixed;
    for (i, p) in mesh.nodes().iter().enumerate() {
        for (k, &c) in p.iter().enumerate() {
            if c == 0.0 {
                prescribed.push((i as u32, k, 0.0));
            }
        }
        if p[0] == 1.0 {
            prescribed.push((i as u32, 0, 1.05));
        }
    }
    let mut cpu = TledState::at_rest(&mesh);
    let mut gpu = GpuTled::new(&ctx, &model, &cpu, &constraints).unwrap();
    let mut scratch = Scratch::default();
    let loads = Loads {
        gravity,
        ..Loads::default()
    };
    let steps = 400;
    for _ in 0..steps {
        let stepping = Stepping { dt, damping: alpha };
        tled::step(
            &model,
            &mut cpu,
            stepping,
            &loads,
            &constraints,
            &mut scratch,
        )
        .unwrap();
    }
    gpu.run(&ctx, steps, dt, alpha, gravity).unwrap();
    let x_gpu = gpu.positions(&ctx).unwrap();
    let rest: Vec<DVec3> = mesh.nodes().iter().map(|&p| DVec3::from_array(p)).collect();
    let scale = cpu
        .x
        .iter()
        .zip(&rest)
        .map(|(x, r)| (*x - *r).length())
        .fold(0.0, f64::max);
    let worst = cpu
        .x
        .iter()
        .zip(&x_gpu)
        .map(|(a, b)| (*a - *b).length())
        .fold(0.0, f64::max);
    eprintln!(
        "{steps} steps of {dt:.4} ms: max |x_gpu - x_cpu| = {worst:.2e} mm, max displacement {scale:.3e} mm"
    );
    assert!(scale > 0.04, "the cube did not move: {scale}");
    // f32 positions of O(1 mm) carry 6e-8 mm of rounding per step; over 400 damped steps the reference
    // allows 1e-4 of the largest displacement.
    assert!(
        worst < 1e-4 * scale,
        "GPU and CPU differ by {worst} mm (displacement scale {scale})"
    );
}

#[test]
fn gpu_reports_an_inverted_element() {
    let Some(ctx) = common::gpu("tled_gpu_inverted") else {
        return;
    };
    let mesh = Block::cube(2, 1.0).build().unwrap();
    let model = TledModel::new(&mesh, Material::NeoHookean(NH), 1.0, None)
        .unwrap()
        .with_volumetric(Volumetric::Element);
    let mut state = TledState::at_rest(&mesh);
    // Crush one node through the body.
    state.x[0] = DVec3::new(2.0, 2.0, 2.0);
    state.x_prev[0] = state.x[0];
    let mut gpu = GpuTled::new(&ctx, &model, &state, &Constraints::default()).unwrap();
    let err = gpu.run(&ctx, 1, 1e-4, 0.0, DVec3::ZERO).unwrap_err();
    assert!(err.to_string().contains("inverted"), "{err}");
}
