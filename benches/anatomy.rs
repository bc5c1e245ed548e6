//! Patient-mesh preparation, end to end: reading the CT-derived Rodero meshes, cutting the ventricles out
//! of the four-chamber heart, and computing ventricular coordinates, fibres and AHA segments
//! (`cardiotwin::anatomy::annotate`). Goal (mesh issue): the 331k-tet four-chamber heart loaded and
//! annotated in under 10 s on 2 cores.
//!
//! Run: `cargo bench --bench anatomy`. The four-chamber heart lives in `../shared/data/heart/` (not in a
//! fresh clone): without it that case is skipped with a notice.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use cardiotwin::anatomy::coordinates::VentricleSurfaces;
use cardiotwin::anatomy::fibres::LdrbAngles;
use cardiotwin::mesh::extract::extract_regions;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("anatomy");
    group.sample_size(10);
    let shipped = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/meshes/rodero_ventricles.vtu"
    ));
    let ventricles = cardiotwin::mesh::io::read(shipped).expect("shipped ventricles");
    group.throughput(Throughput::Elements(ventricles.tet_count() as u64));
    group.bench_function("read_ventricles_250k", |b| {
        b.iter(|| cardiotwin::mesh::io::read(shipped).expect("read"))
    });
    group.bench_function("annotate_ventricles_250k", |b| {
        b.iter(|| {
            let mut m = ventricles.clone();
            let s = VentricleSurfaces::rodero(&m).expect("surfaces");
            cardiotwin::anatomy::annotate(&mut m, &s, LdrbAngles::default()).expect("annotate")
        })
    });
    let heart = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/heart/rodero_01_fullheart_2.0mm.vtu"
    ));
    if !heart.exists() {
        eprintln!(
            "!!! four-chamber heart not found at {}: skipped",
            heart.display()
        );
        return;
    }
    group.throughput(Throughput::Elements(331_365));
    group.bench_function("four_chamber_331k_read_cut_annotate", |b| {
        b.iter(|| {
            let full = cardiotwin::mesh::io::read(heart).expect("read");
            let regions: Vec<i32> = ["Left ventricle", "Right ventricle", "Septum"]
                .iter()
                .map(|n| {
                    *full
                        .region_names
                        .iter()
                        .find(|(_, v)| v.as_str() == *n)
                        .expect("region")
                        .0
                })
                .collect();
            let mut v = extract_regions(&full, &regions, Some((9, "base"))).expect("cut");
            let s = VentricleSurfaces::rodero(&v).expect("surfaces");
            cardiotwin::anatomy::annotate(&mut v, &s, LdrbAngles::default()).expect("annotate")
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
