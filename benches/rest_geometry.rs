//! Throughput of the rest-geometry kernel (tets/s) on the CPU backend (rayon, f64) and the GPU backend
//! (wgpu, f32) on whatever adapter exists, on the generated Land ventricle and on jittered blocks.
//!
//! CPU figures: `into` writes a preallocated buffer (what a time step costs), `alloc` returns a new one.
//! GPU figures: `kernel` is record + submit + wait on a mesh already on the GPU (what a time step costs);
//! `end_to_end` adds upload and readback (what a one-off precomputation costs).
//!
//! Run: `cargo bench --bench rest_geometry`. Results and machine in BENCHMARKS.md.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use cardiotwin::anatomy::block::Block;
use cardiotwin::anatomy::land_ellipsoid::LandEllipsoid;
use cardiotwin::geometry::cpu;
use cardiotwin::geometry::gpu::{RestGeometryGpu, RestGeometryKernel};
use cardiotwin::gpu::{Batch, GpuBuffer, GpuContext, GpuMesh};
use cardiotwin::mesh::TetMesh;

fn meshes() -> Vec<(String, TetMesh)> {
    let lv = LandEllipsoid::with_element_size(0.5)
        .build()
        .expect("land mesh");
    let mut v = vec![(format!("land_lv_0.5mm_{}", lv.tet_count()), lv)];
    for n in [100_000, 1_000_000] {
        let m = Block::cube_with_tets(n, 10.0)
            .with_jitter(0.1, 1)
            .build()
            .expect("block");
        v.push((format!("block_{}", m.tet_count()), m));
    }
    v
}

fn bench(c: &mut Criterion) {
    let meshes = meshes();
    let mut group = c.benchmark_group("rest_geometry");
    group.sample_size(10);
    for (name, mesh) in &meshes {
        group.throughput(Throughput::Elements(mesh.tet_count() as u64));
        let mut out = cpu::rest_geometry(mesh);
        group.bench_function(BenchmarkId::new("cpu_f64_into", name), |b| {
            b.iter(|| cpu::rest_geometry_into(mesh, &mut out))
        });
        group.bench_with_input(BenchmarkId::new("cpu_f64_alloc", name), mesh, |b, m| {
            b.iter(|| cpu::rest_geometry(m))
        });
    }
    let ctx = match GpuContext::headless(None) {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("!!! GPU benches skipped: {e}");
            return;
        }
    };
    eprintln!("GPU adapter: {}", ctx.report.describe());
    let kernel = RestGeometryKernel::new(&ctx).expect("kernel");
    for (name, mesh) in &meshes {
        group.throughput(Throughput::Elements(mesh.tet_count() as u64));
        let gpu_mesh = GpuMesh::upload(&ctx, mesh).expect("upload");
        let out = GpuBuffer::<RestGeometryGpu>::zeroed(&ctx, "out", mesh.tet_count()).expect("out");
        // Warm up: the first dispatch compiles the pipeline.
        kernel.run(&ctx, mesh).expect("warm-up");
        group.bench_function(BenchmarkId::new("gpu_kernel", name), |b| {
            b.iter(|| {
                let mut batch = Batch::new(&ctx, "bench");
                kernel
                    .record(&ctx, &mut batch, &gpu_mesh, &out)
                    .expect("record");
                batch.submit().expect("submit")
            })
        });
        group.bench_with_input(BenchmarkId::new("gpu_end_to_end", name), mesh, |b, m| {
            b.iter(|| kernel.run(&ctx, m).expect("run"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
