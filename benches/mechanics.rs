//! Throughput of the explicit mechanics step (tet-steps/s) on the CPU (the f64 reference `tled::step`
//! and the fused step `FusedTled` in f64 and f32, rayon's threads) and the GPU backend (wgpu, f32) on
//! whatever adapter exists, for the two workloads of [`cardiotwin::bench`]: `heart` (Holzapfel-Ogden,
//! averaged nodal pressure, endocardial follower pressure, the Aróstica fibres) and `peer-nh`
//! (compressible neo-Hookean under gravity: the fused step's vectorised kernel), on the generated
//! Aróstica LV (`arostica-lv`, 5 mm, 11,628 tets).
//!
//! One iteration is `STEPS` steps: on the CPU `STEPS` calls of `tled::step` or one `FusedTled::run`; on
//! the GPU one `GpuTled::run` of `STEPS` steps (one submission, one 20-byte readback), and apart from it
//! the host's cost of recording those steps (`gpu_record_only`: no submission). The state keeps advancing
//! across iterations and samples (a few hundred microseconds of simulated time at 1 kPa: far from
//! any instability).
//!
//! Run: `cargo bench --bench mechanics`; the larger meshes and the peer-nh workload: `cardiotwin bench`.
//! Results and machine in BENCHMARKS.md. Under `cargo test --benches` every benchmark runs once. Without a
//! GPU the GPU benchmark is skipped loudly, unless `CARDIOTWIN_REQUIRE_GPU=1`, which makes that a failure.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use cardiotwin::bench::{BenchProblem, NodeOrder, Workload, builtin_mesh};
use cardiotwin::gpu::{Batch, GpuContext};
use cardiotwin::mechanics::gpu::GpuTled;
use cardiotwin::mechanics::tled::{self, Scratch};
use cardiotwin::mechanics::{FusedTled, Real};

const STEPS: u32 = 10;

/// The fused step in `T` on `p`, `STEPS` steps per iteration.
fn fused<T: Real>(
    group: &mut criterion::BenchmarkGroup<criterion::measurement::WallTime>,
    p: &BenchProblem,
    name: &str,
) {
    let mut f = FusedTled::<T>::new(&p.model, &p.loads, &p.constraints, &p.state).expect("fused");
    let id = BenchmarkId::new(format!("cpu_fused_{}", T::NAME), name);
    group.bench_function(id, |b| {
        b.iter(|| {
            f.run(STEPS.into(), p.stepping, &p.loads)
                .expect("fused run")
        })
    });
}

fn bench(c: &mut Criterion) {
    let mesh = builtin_mesh("arostica-lv", None)
        .expect("built-in")
        .expect("arostica mesh");
    let ctx = match GpuContext::headless(std::env::var("CARDIOTWIN_ADAPTER").ok().as_deref()) {
        Ok(ctx) => {
            eprintln!("GPU adapter: {}", ctx.report.describe());
            Some(ctx)
        }
        Err(e) => {
            if std::env::var("CARDIOTWIN_REQUIRE_GPU").as_deref() == Ok("1") {
                panic!("CARDIOTWIN_REQUIRE_GPU=1 but no GPU device: {e}");
            }
            eprintln!("!!! GPU benches skipped: {e}");
            None
        }
    };
    let mut group = c.benchmark_group("mechanics_step");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(mesh.tet_count() as u64 * STEPS as u64));
    for workload in [Workload::Heart, Workload::PeerNh] {
        let p =
            BenchProblem::new(workload, &mesh, "arostica-lv", NodeOrder::Morton).expect("problem");
        let name = format!("{}_arostica_lv_{}", workload.name(), mesh.tet_count());

        let mut state = p.state.clone();
        let mut scratch = Scratch::default();
        group.bench_function(BenchmarkId::new("cpu_reference_f64", &name), |b| {
            b.iter(|| {
                for _ in 0..STEPS {
                    tled::step(
                        &p.model,
                        &mut state,
                        p.stepping,
                        &p.loads,
                        &p.constraints,
                        &mut scratch,
                    )
                    .expect("cpu step");
                }
            })
        });
        fused::<f64>(&mut group, &p, &name);
        fused::<f32>(&mut group, &p, &name);

        if let Some(ctx) = &ctx {
            let mut gpu =
                GpuTled::new(ctx, &p.model, &p.state, &p.loads, &p.constraints).expect("upload");
            // Warm up: the first dispatch of each pipeline compiles it.
            gpu.run(ctx, 1, p.stepping).expect("warm-up");
            group.bench_function(BenchmarkId::new("gpu_f32", &name), |b| {
                b.iter(|| gpu.run(ctx, STEPS, p.stepping).expect("gpu run"))
            });
            // The host's share alone: recording the steps' dispatches into a batch that is then
            // dropped unsubmitted. On a hardware GPU a step cannot take less wall time than this.
            group.bench_function(BenchmarkId::new("gpu_record_only", &name), |b| {
                b.iter(|| {
                    let mut batch = Batch::new(ctx, "recorded, not submitted");
                    gpu.record(ctx, &mut batch, STEPS, p.stepping)
                        .expect("gpu record")
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
