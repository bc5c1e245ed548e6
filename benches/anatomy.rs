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
use cardiotwin::mesh::TetMesh;
use cardiotwin::mesh::extract::extract_regions;

fn surfaces(mesh: &TetMesh) -> VentricleSurfaces {
    let tag = |name: &str| {
        mesh.surface_names
            .iter()
            .find(|(_, n)| n.as_str() == name)
            .map(|(t, _)| *t)
            .expect("named surface")
    };
    let lv_endo = vec![tag("Left ventricle endocardium")];
    let rv_endo = vec![
        tag("Right ventricle endocardium"),
        tag("Right ventricle septum"),
    ];
    let epi = vec![
        tag("Left ventricle epicardium"),
        tag("Right ventricle epicardium"),
    ];
    let named: Vec<i32> = lv_endo
        .iter()
        .chain(&rv_endo)
        .chain(&epi)
        .copied()
        .collect();
    let mut base = mesh.surfaces().tags.clone();
    base.sort_unstable();
    base.dedup();
    base.retain(|t| !named.contains(t));
    VentricleSurfaces {
        lv_endo,
        rv_endo,
        epi,
        base,
        septum_direction: None,
    }
}

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
            let s = surfaces(&m);
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
            let s = surfaces(&v);
            cardiotwin::anatomy::annotate(&mut v, &s, LdrbAngles::default()).expect("annotate")
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
