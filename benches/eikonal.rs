//! The eikonal activation solve on the shipped Rodero ventricles (`meshes/rodero_ventricles.vtu`, 250,620
//! tetrahedra, LV + RV + septum), rule-based fibres, paced at the apex with the fast endocardial layer of
//! the default scenario: the time of one solve on the CPU backend. Throughput in tetrahedra.
//!
//! Run: `cargo bench --bench eikonal`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use cardiotwin::anatomy::coordinates::{VentricleSurfaces, VentricularCoordinates};
use cardiotwin::anatomy::fibres;
use cardiotwin::ep::eikonal;
use cardiotwin::heartbeat::activation;

fn bench(c: &mut Criterion) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/meshes/rodero_ventricles.vtu");
    let mesh = cardiotwin::mesh::io::read(std::path::Path::new(path)).expect("Rodero mesh");
    let surfaces = VentricleSurfaces::rodero(&mesh).expect("Rodero tags");
    let coords = VentricularCoordinates::compute(&mesh, &surfaces).expect("coordinates");
    let field = fibres::ldrb(&mesh, &coords, fibres::LdrbAngles::default());
    // The default scenario's speeds and fast endocardial layer.
    let rule = cardiotwin::heartbeat::Scenario::default().activation;
    let factor = vec![1.0; mesh.tet_count()];
    let conduction = activation::conduction(&mesh, &coords.transmural, &field, &rule, &factor);
    let stimuli = [(coords.apex as u32, 0.0)];
    let (times, report) = eikonal::solve(&mesh, &conduction, &stimuli).expect("solve");
    let last = times
        .iter()
        .copied()
        .filter(|t| t.is_finite())
        .fold(0.0, f64::max);
    eprintln!(
        "Rodero ventricles: {} tets, {} nodes; apex pacing: last activation {last:.1} ms, {} sweeps, \
         {} updates, {} unreached, {:.3} s",
        mesh.tet_count(),
        mesh.node_count(),
        report.sweeps,
        report.updates,
        report.unreached,
        report.wall_s
    );
    let mut group = c.benchmark_group("eikonal");
    group.sample_size(10);
    group.throughput(Throughput::Elements(mesh.tet_count() as u64));
    group.bench_function("solve_rodero_ventricles", |b| {
        b.iter(|| eikonal::solve(&mesh, &conduction, &stimuli).expect("solve"))
    });
    // CARDIOTWIN_BENCH_MESH=FILE: a mesh without ventricular tags too (the 331k-tet four-chamber heart
    // of ../shared/data/heart): one fibre direction (x) at the same speeds, paced at its first node.
    if let Some(path) = std::env::var_os("CARDIOTWIN_BENCH_MESH") {
        let other = cardiotwin::mesh::io::read(std::path::Path::new(&path)).expect("mesh");
        let conduction = vec![
            eikonal::Conduction {
                fibre: glam::DVec3::X,
                v_fibre: rule.fibre_speed_m_s,
                v_cross: rule.cross_fibre_speed_m_s,
            };
            other.tet_count()
        ];
        let stimuli = [(0u32, 0.0)];
        let (_, report) = eikonal::solve(&other, &conduction, &stimuli).expect("solve");
        eprintln!(
            "{}: {} tets, {} nodes: {} sweeps, {} unreached, {:.3} s",
            path.to_string_lossy(),
            other.tet_count(),
            other.node_count(),
            report.sweeps,
            report.unreached,
            report.wall_s
        );
        group.throughput(Throughput::Elements(other.tet_count() as u64));
        group.bench_function("solve_other_mesh", |b| {
            b.iter(|| eikonal::solve(&other, &conduction, &stimuli).expect("solve"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
