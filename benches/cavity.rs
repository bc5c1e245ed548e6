//! Cavity volume and gradient on the Rodero ventricles (`meshes/rodero_ventricles.vtu`): CPU f64 volume
//! and dV/dx of the LV and RV, and the GPU volume from positions already on the GPU (record + submit +
//! one-value readback: what a coupled time step costs), on whatever adapter exists.
//!
//! Run: `cargo bench --bench cavity`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use glam::DVec3;

use cardiotwin::anatomy::coordinates::VentricleSurfaces;
use cardiotwin::coupling::cavity::Cavity;
use cardiotwin::coupling::cavity_gpu::GpuCavity;
use cardiotwin::gpu::{GpuBuffer, GpuContext};

fn bench(c: &mut Criterion) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/meshes/rodero_ventricles.vtu");
    let mesh = cardiotwin::mesh::io::read(std::path::Path::new(path)).expect("Rodero mesh");
    let s = VentricleSurfaces::rodero(&mesh).expect("Rodero tags");
    let x: Vec<DVec3> = mesh.nodes().iter().map(|&p| DVec3::from_array(p)).collect();
    let cavities: Vec<Cavity> = [("LV", &s.lv_endo), ("RV", &s.rv_endo)]
        .into_iter()
        .map(|(name, tags)| Cavity::new(&mesh, name, tags).expect("cavity"))
        .collect();
    let mut group = c.benchmark_group("cavity");
    let mut g = vec![DVec3::ZERO; x.len()];
    for cavity in &cavities {
        group.throughput(Throughput::Elements(cavity.wall().len() as u64));
        group.bench_function(BenchmarkId::new("cpu_volume", cavity.name()), |b| {
            b.iter(|| cavity.volume(&x))
        });
        group.bench_function(BenchmarkId::new("cpu_gradient", cavity.name()), |b| {
            b.iter(|| cavity.volume_gradient(&x, &mut g))
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
    let origin = x.iter().sum::<DVec3>() / x.len() as f64;
    let rel: Vec<[f32; 4]> = x
        .iter()
        .map(|&p| {
            let q = p - origin;
            [q.x as f32, q.y as f32, q.z as f32, 0.0]
        })
        .collect();
    let buf = GpuBuffer::from_slice(&ctx, "positions", &rel).expect("upload");
    for cavity in &cavities {
        let gpu = GpuCavity::new(&ctx, cavity, origin, cavity.reference_centroid(&mesh))
            .expect("GPU cavity");
        group.throughput(Throughput::Elements(cavity.wall().len() as u64));
        group.bench_function(BenchmarkId::new("gpu_volume", cavity.name()), |b| {
            b.iter(|| gpu.volume(&ctx, &buf).expect("volume"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
