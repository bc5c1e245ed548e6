//! The monodomain step on the Niederer slab at dx = 0.2 mm (58,176 nodes, 315,000 tetrahedra): CPU with
//! Mitchell-Schaeffer and with ten Tusscher-Panfilov 2006 cells (TP06 also with the consistent-mass
//! implicit diffusion), and the GPU (both cells, f32) on whatever adapter exists. Throughput in node-steps (one step of dt = 0.01 ms per iteration).
//!
//! Run: `cargo bench --bench monodomain`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use cardiotwin::ep::gpu::GpuMonodomain;
use cardiotwin::ep::monodomain::{Mass, Membrane, MitchellSchaeffer, Monodomain};
use cardiotwin::ep::tp06::Tp06;
use cardiotwin::gpu::GpuContext;
use cardiotwin::verify::ep;

fn bench(c: &mut Criterion) {
    let mesh = ep::slab(0.2).expect("slab");
    let tissue = ep::tissue(&mesh);
    let stim = ep::stimulus(&mesh);
    let dt = 0.01;
    let mut group = c.benchmark_group("monodomain");
    group.throughput(Throughput::Elements(mesh.node_count() as u64));
    let mut ms = Monodomain::new(
        &mesh,
        &tissue,
        Membrane::NIEDERER,
        MitchellSchaeffer::default(),
        0.0,
    )
    .expect("problem");
    group.bench_function("cpu_mitchell_schaeffer_step", |b| {
        b.iter(|| ms.run(1, dt, std::slice::from_ref(&stim)).expect("step"))
    });
    let mut tp =
        Monodomain::new(&mesh, &tissue, Membrane::NIEDERER, Tp06::default(), 0.0).expect("problem");
    group.bench_function("cpu_tp06_step", |b| {
        b.iter(|| tp.run(1, dt, std::slice::from_ref(&stim)).expect("step"))
    });
    // The consistent-mass implicit diffusion (CG) instead of the lumped explicit step.
    let mut tpc = Monodomain::new(&mesh, &tissue, Membrane::NIEDERER, Tp06::default(), 0.0)
        .expect("problem")
        .with_mass(&mesh, Mass::Consistent);
    group.bench_function("cpu_tp06_consistent_mass_step", |b| {
        b.iter(|| tpc.run(1, dt, std::slice::from_ref(&stim)).expect("step"))
    });
    match GpuContext::headless(None) {
        Ok(ctx) => {
            eprintln!("GPU adapter: {}", ctx.report.describe());
            let cpu = Monodomain::new(
                &mesh,
                &tissue,
                Membrane::NIEDERER,
                MitchellSchaeffer::default(),
                0.0,
            )
            .expect("problem");
            let mut gpu = GpuMonodomain::new(&ctx, &cpu, std::slice::from_ref(&stim), dt)
                .expect("GPU problem");
            // 100 steps per submission, as a run records them; throughput per step.
            group.throughput(Throughput::Elements(100 * mesh.node_count() as u64));
            group.bench_function("gpu_mitchell_schaeffer_100_steps", |b| {
                b.iter(|| gpu.run(&ctx, 100).expect("steps"))
            });
            let cpu = Monodomain::new(&mesh, &tissue, Membrane::NIEDERER, Tp06::default(), 0.0)
                .expect("problem");
            let mut gpu = GpuMonodomain::new(&ctx, &cpu, std::slice::from_ref(&stim), dt)
                .expect("GPU problem");
            group.bench_function("gpu_tp06_100_steps", |b| {
                b.iter(|| gpu.run(&ctx, 100).expect("steps"))
            });
        }
        Err(e) => eprintln!("!!! GPU bench skipped: {e}"),
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
