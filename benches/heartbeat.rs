//! One step of the coupled heartbeat on the default scenario (the Rodero LV, 24,206 tetrahedra): cavity
//! volume, pressure and active tension update, the explicit mechanics step and the circulation ODE over
//! the step, on the CPU backend (f64) and on the GPU backend (f32; one submission and one 24-byte
//! readback per step, the positions staying on the GPU). Throughput in tetrahedron-steps. Starts from the
//! unloaded heart at rest at the beat's start (no preload: the cost of a step does not depend on the
//! load), and the twitch switches on as in a beat while the bench steps on. (Starting in systole, with
//! the full tension applied at once to the heart at rest, throws the wall around until an element
//! inverts within a few steps.) Without a GPU adapter the GPU case is skipped with a loud notice (a
//! failure with `CARDIOTWIN_REQUIRE_GPU=1`).
//!
//! Run: `cargo bench --bench heartbeat`.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use cardiotwin::backend::Backend;
use cardiotwin::coupling::circulation::CirculationState;
use cardiotwin::gpu::GpuContext;
use cardiotwin::heartbeat::Scenario;
use cardiotwin::heartbeat::heart::Heart;
use cardiotwin::heartbeat::simulation::{LoopState, Simulation};
use cardiotwin::mechanics::Constraints;
use cardiotwin::mechanics::gpu::GpuTled;
use cardiotwin::mechanics::tled::{Stepping, TledState};

/// Steps per submission of the mechanics-alone case.
const STEPS: u32 = 10;

fn bench(c: &mut Criterion) {
    let scenario = Scenario::default();
    let heart = Heart::build(&scenario).expect("default heart");
    let rest: Vec<[f64; 3]> = heart.mesh.nodes().to_vec();
    let circulation = CirculationState {
        v_lv: heart.report.lv_unloaded_volume_ml,
        ..CirculationState::default()
    };
    let state = LoopState {
        x: rest.clone(),
        x_prev: rest,
        t_ms: 0.0,
        step: 0,
        circulation,
        ode_h_s: 1e-5,
        gpu_exact: Vec::new(),
        cpu_exact: Vec::new(),
    };
    let dt = heart.dt;
    let name = format!("rodero_lv_{}", heart.report.tets);
    let mut group = c.benchmark_group("heartbeat_coupled_step");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements(heart.report.tets as u64));

    let mut sim =
        Simulation::resume(&heart, &scenario, &state, Backend::Cpu).expect("CPU simulation");
    group.bench_function(BenchmarkId::new("cpu_f64", &name), |b| {
        b.iter(|| sim.step(dt).expect("CPU step"))
    });

    let ctx = match GpuContext::headless(std::env::var("CARDIOTWIN_ADAPTER").ok().as_deref()) {
        Ok(ctx) => ctx,
        Err(e) => {
            if std::env::var("CARDIOTWIN_REQUIRE_GPU").as_deref() == Ok("1") {
                panic!("CARDIOTWIN_REQUIRE_GPU=1 but no GPU device: {e}");
            }
            eprintln!();
            eprintln!(
                "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
            );
            eprintln!("!!! GPU heartbeat bench skipped: {e}");
            eprintln!(
                "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
            );
            group.finish();
            return;
        }
    };
    eprintln!("GPU adapter: {}", ctx.report.describe());
    // The mechanics step alone, STEPS per submission with only the status read back: what the coupling
    // (the tension and volume passes, one submission and one wait per step) adds to it.
    let at_rest = TledState::at_rest(&heart.mesh);
    let mut alone = GpuTled::new(
        &ctx,
        &heart.model,
        &at_rest,
        &heart.loads,
        &Constraints::default(),
    )
    .expect("GPU mechanics");
    let stepping = Stepping { dt, damping: 0.0 };
    alone.run(&ctx, 1, stepping).expect("GPU warm-up steps");
    let mut gpu = Simulation::resume(&heart, &scenario, &state, Backend::Gpu(Box::new(ctx)))
        .expect("GPU simulation");
    // Warm up: the first dispatch of each pipeline compiles it.
    gpu.step(dt).expect("GPU warm-up step");
    group.bench_function(BenchmarkId::new("gpu_f32", &name), |b| {
        b.iter(|| gpu.step(dt).expect("GPU step"))
    });
    group.finish();

    let mut group = c.benchmark_group("heartbeat_mechanics_alone");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements(
            heart.report.tets as u64 * STEPS as u64,
        ));
    let ctx = gpu.gpu_context().expect("the GPU simulation's device");
    group.bench_function(
        BenchmarkId::new(format!("gpu_f32_{STEPS}_steps_per_submission"), &name),
        |b| b.iter(|| alone.run(ctx, STEPS, stepping).expect("GPU steps")),
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
