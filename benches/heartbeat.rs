//! One step of the coupled heartbeat on the default scenario (the Rodero LV, 24,206 tetrahedra): cavity
//! volume, pressure and active tension update, the explicit mechanics step and the circulation ODE over
//! the step, on the CPU backend. Throughput in tetrahedron-steps. Starts from the unloaded heart (no
//! preload: the cost of a step does not depend on the load), in systole (t = 200 ms: every element's
//! twitch is on).
//!
//! Run: `cargo bench --bench heartbeat`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use cardiotwin::backend::Backend;
use cardiotwin::coupling::circulation::CirculationState;
use cardiotwin::heartbeat::Scenario;
use cardiotwin::heartbeat::heart::Heart;
use cardiotwin::heartbeat::simulation::{LoopState, Simulation};

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
        t_ms: 200.0,
        step: 0,
        circulation,
        ode_h_s: 1e-5,
        gpu_exact: Vec::new(),
    };
    let mut sim = Simulation::resume(&heart, &scenario, &state, Backend::Cpu).expect("simulation");
    let dt = heart.dt;
    let mut group = c.benchmark_group("heartbeat");
    group.throughput(Throughput::Elements(heart.report.tets as u64));
    group.bench_function("coupled_step_rodero_lv", |b| {
        b.iter(|| sim.step(dt).expect("step"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
