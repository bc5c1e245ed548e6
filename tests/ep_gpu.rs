//! The monodomain step on the GPU (f32, `shaders/ep_monodomain.wgsl` and `shaders/ep_tp06.wgsl`) against
//! the CPU reference (f64): activation times of the Niederer slab with Mitchell-Schaeffer and with ten
//! Tusscher-Panfilov 2006 cells, node by node.

mod common;

use cardiotwin::ep::gpu::{GpuCell, GpuMonodomain};
use cardiotwin::ep::monodomain::Stimulus;
use cardiotwin::ep::monodomain::{Membrane, MitchellSchaeffer, Monodomain};
use cardiotwin::ep::tp06::Tp06;
use cardiotwin::gpu::GpuContext;
use cardiotwin::verify::ep;

/// The largest |CPU - GPU| time (ms) over the nodes with a time; a node with a time on one backend only
/// fails the test, named by `what` and its index.
fn worst_difference(what: &str, cpu: &[f64], gpu: &[f64]) -> f64 {
    assert_eq!(cpu.len(), gpu.len(), "{what}");
    let mut worst = 0.0f64;
    for (i, (a, b)) in cpu.iter().zip(gpu).enumerate() {
        assert_eq!(a.is_finite(), b.is_finite(), "{what} node {i}: {a} vs {b}");
        if a.is_finite() {
            worst = worst.max((a - b).abs());
        }
    }
    worst
}

/// Uploads `reference` to the GPU, then steps both `steps` steps of `dt` under `stim`: the GPU problem,
/// its activation times and the GPU's stepping time, s.
fn step_both<C: GpuCell>(
    ctx: &GpuContext,
    reference: &mut Monodomain<C>,
    stim: &Stimulus,
    dt: f64,
    steps: usize,
) -> (GpuMonodomain, Vec<f64>, f64) {
    let stimuli = std::slice::from_ref(stim);
    let mut gpu = GpuMonodomain::new(ctx, reference, stimuli, dt).unwrap();
    reference.run(steps, dt, stimuli).unwrap();
    let start = std::time::Instant::now();
    gpu.run(ctx, steps).unwrap();
    let seconds = start.elapsed().as_secs_f64();
    let on_gpu = gpu.activation_ms(ctx).unwrap();
    (gpu, on_gpu, seconds)
}

/// The benchmark slab at dx 0.5 mm, its tissue and its corner stimulus.
fn slab() -> (
    cardiotwin::TetMesh,
    Vec<cardiotwin::ep::monodomain::Tissue>,
    cardiotwin::ep::monodomain::Stimulus,
) {
    let mesh = ep::slab(0.5).unwrap();
    let (tissue, stim) = (ep::tissue(&mesh), ep::stimulus(&mesh));
    (mesh, tissue, stim)
}

/// The TP06 slab at dx 0.5 mm, dt 0.05 ms, stepped 60 ms (the wave crosses the slab along the fibres)
/// on both backends: activation times node by node and the potential at the end. f32 against f64 on the
/// same operator and integrator: the CPU's Rush-Larsen and Euler updates in f32 differ by rounding
/// (~1e-5 mV a step in V), which moves a 0 mV crossing by a small fraction of a step (0.05 ms) while the
/// upstroke rises at ~100 mV/ms; 0.01 ms bounds it. The potential compared away from upstrokes: where V
/// changes slowly, 0.05 mV.
#[test]
fn tp06_on_the_gpu_matches_the_cpu_reference() {
    let Some(ctx) = common::gpu("ep_gpu::tp06") else {
        return;
    };
    let (mesh, tissue, stim) = slab();
    let mut reference =
        Monodomain::new(&mesh, &tissue, Membrane::NIEDERER, Tp06::default(), 0.0).unwrap();
    let (dt, steps) = (0.05, 1200);
    let (gpu, on_gpu, _) = step_both(&ctx, &mut reference, &stim, dt, steps);
    let worst = worst_difference("activation", &reference.activation_ms, &on_gpu);
    let activated = reference
        .activation_ms
        .iter()
        .filter(|t| t.is_finite())
        .count();
    println!(
        "TP06: {activated} of {} nodes activated by {} ms; worst activation difference {worst:.2e} ms",
        mesh.node_count(),
        steps as f64 * dt
    );
    // The test means something only if the wave has gone a good way.
    assert!(activated > mesh.node_count() / 3, "{activated}");
    assert!(worst < 0.01, "{worst}");
    let v = gpu.potentials(&ctx).unwrap();
    let (mut worst_v, mut compared) = (0.0f64, 0);
    for (i, v) in v.iter().enumerate() {
        let t = reference.activation_ms[i];
        // Resting nodes and nodes in the plateau (activated over 5 ms ago).
        if t.is_infinite() || steps as f64 * dt - t > 5.0 {
            worst_v = worst_v.max((v - reference.potential(i)).abs());
            compared += 1;
        }
    }
    println!("worst potential difference over {compared} nodes: {worst_v:.2e} mV");
    assert!(worst_v < 0.05, "{worst_v}");
}

#[test]
fn gpu_activation_times_match_the_cpu_reference() {
    let Some(ctx) = common::gpu("ep_gpu") else {
        return;
    };
    let (mesh, tissue, stim) = slab();
    let cpu = || {
        Monodomain::new(
            &mesh,
            &tissue,
            Membrane::NIEDERER,
            MitchellSchaeffer::default(),
            0.0,
        )
        .unwrap()
    };
    let (dt, steps) = (0.05, 2000);
    let mut reference = cpu();
    let (gpu, on_gpu, gpu_s) = step_both(&ctx, &mut reference, &stim, dt, steps);
    println!(
        "{} nodes x {steps} steps on the GPU in {gpu_s:.2} s",
        mesh.node_count()
    );
    let worst = worst_difference("activation", &reference.activation_ms, &on_gpu);
    let last = reference.activation_ms.iter().copied().fold(0.0, f64::max);
    println!("worst activation difference {worst:.2e} ms (last activation {last:.1} ms)");
    // f32 potentials (rounding ~1e-5 mV per step) shift a crossing by a small fraction of the step.
    assert!(worst < 0.01, "{worst}");
    let v = gpu.potentials(&ctx).unwrap();
    let worst_v = v
        .iter()
        .enumerate()
        .map(|(i, v)| (v - reference.potential(i)).abs())
        .fold(0.0, f64::max);
    println!(
        "worst potential difference at {} ms: {worst_v:.2e} mV",
        steps as f64 * dt
    );
    assert!(worst_v < 0.05, "{worst_v}");
}

/// `cardiotwin verify niederer --backend gpu`: the benchmark's points on the GPU within 0.01 ms of the
/// CPU's with both cell models (f32 against f64 on the same operator: see the tests above); the
/// consistent-mass diffusion and eikonal-slab refused on the GPU.
#[test]
fn verify_niederer_runs_on_the_gpu_backend() {
    if common::gpu("ep_gpu::verify_niederer").is_none() {
        return;
    }
    let run = |backend: &str, cell: &str| {
        common::cardiotwin(
            &[
                "--backend",
                backend,
                "verify",
                "niederer",
                "--dx",
                "0.5",
                "--dt",
                "0.05",
                "--end-ms",
                "150",
                "--cell",
                cell,
                "--json",
            ],
            &[],
        )
    };
    let json = |o: &std::process::Output| -> serde_json::Value {
        assert!(o.status.success(), "{}", common::text(o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    for cell in ["mitchell-schaeffer", "tp06"] {
        let gpu = json(&run("gpu", cell));
        let cpu = json(&run("cpu", cell));
        assert_eq!(gpu["backend"], "gpu");
        assert_eq!(cpu["backend"], "cpu");
        assert_eq!(gpu["cell_model"], cpu["cell_model"]);
        for (name, _) in ep::POINTS {
            let (g, c) = (
                gpu["activation_ms"][name].as_f64(),
                cpu["activation_ms"][name].as_f64(),
            );
            match (g, c) {
                (Some(g), Some(c)) => {
                    assert!((g - c).abs() < 0.01, "{cell} {name}: GPU {g} CPU {c} ms")
                }
                (None, None) => {}
                _ => panic!("{cell} {name}: GPU {g:?} CPU {c:?}"),
            }
        }
    }
    // More stimuli than the per-node mask has bits: refused, saying what to do.
    let (mesh, tissue, stim) = slab();
    let md = Monodomain::new(
        &mesh,
        &tissue,
        Membrane::NIEDERER,
        MitchellSchaeffer::default(),
        0.0,
    )
    .unwrap();
    let many = vec![stim; cardiotwin::ep::gpu::MAX_STIMULI + 1];
    let ctx = common::gpu("ep_gpu::verify_niederer::stimuli").unwrap();
    let e = GpuMonodomain::new(&ctx, &md, &many, 0.05)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("at most 32") && e.contains("--backend cpu"),
        "{e}"
    );
    let o = common::cardiotwin(
        &[
            "--backend",
            "gpu",
            "verify",
            "niederer",
            "--mass",
            "consistent",
        ],
        &[],
    );
    assert!(!o.status.success());
    assert!(
        common::text(&o).contains("--backend cpu"),
        "{}",
        common::text(&o)
    );
    let o = common::cardiotwin(&["--backend", "gpu", "verify", "eikonal-slab"], &[]);
    assert!(!o.status.success());
    assert!(
        common::text(&o).contains("CPU backend"),
        "{}",
        common::text(&o)
    );
}

/// Cells mixed per node on the dx 0.5 mm slab: TP06 epicardial cells for x < 7 mm, endocardial below
/// z = 1.5 mm and M cells above for 7 <= x < 14 mm, Mitchell-Schaeffer beyond: four node lists on the GPU,
/// three reaction dispatches of the TP06 kernel (one with the endocardial s gate) and one of the
/// Mitchell-Schaeffer kernel on a 19-unknown state. Activation (at -30 mV, which every upstroke crosses)
/// node by node against the CPU, as above; the wave has to cross all four kinds of tissue.
#[test]
fn mixed_cells_on_the_gpu_match_the_cpu_reference() {
    use cardiotwin::ep::{AnyCell, Cell};
    let Some(ctx) = common::gpu("ep_gpu::mixed") else {
        return;
    };
    let (mesh, tissue, stim) = slab();
    let cells: Vec<AnyCell> = [
        Cell::Tp06,
        Cell::Tp06Endo,
        Cell::Tp06Mid,
        Cell::MitchellSchaeffer,
    ]
    .into_iter()
    .map(Cell::model)
    .collect();
    let cell_of: Vec<u16> = mesh
        .nodes()
        .iter()
        .map(|p| match (p[0], p[2]) {
            (x, _) if x < 7.0 => 0,
            (x, z) if x < 14.0 && z < 1.5 => 1,
            (x, _) if x < 14.0 => 2,
            _ => 3,
        })
        .collect();
    let threshold = -30.0;
    let mut reference = Monodomain::new(
        &mesh,
        &tissue,
        Membrane::NIEDERER,
        Cell::Tp06.model(),
        threshold,
    )
    .unwrap()
    .with_cells(cells, cell_of.clone())
    .unwrap();
    let (dt, steps) = (0.05, 1600);
    let (gpu, on_gpu, _) = step_both(&ctx, &mut reference, &stim, dt, steps);
    let worst = worst_difference("activation", &reference.activation_ms, &on_gpu);
    let mut activated = [0usize; 4];
    for (t, &c) in reference.activation_ms.iter().zip(&cell_of) {
        if t.is_finite() {
            activated[c as usize] += 1;
        }
    }
    println!(
        "mixed cells: activated per cell {activated:?} by {} ms; worst activation difference {worst:.2e} ms",
        steps as f64 * dt
    );
    assert!(activated.iter().all(|&n| n > 50), "{activated:?}");
    assert!(worst < 0.01, "{worst}");
    // Potentials away from upstrokes, per cell: the plateau and notch depend on each cell's own currents
    // and gates (the endocardial s gate included).
    let v = gpu.potentials(&ctx).unwrap();
    let mut worst_v = [0.0f64; 4];
    for (i, v) in v.iter().enumerate() {
        let t = reference.activation_ms[i];
        if t.is_infinite() || steps as f64 * dt - t > 5.0 {
            let c = cell_of[i] as usize;
            worst_v[c] = worst_v[c].max((v - reference.potential(i)).abs());
        }
    }
    println!("worst potential difference per cell: {worst_v:.3?} mV");
    assert!(worst_v.iter().all(|&w| w < 0.05), "{worst_v:?}");
}

/// An S1-S2 protocol on the GPU: two stimuli at two sites (the stimulus corner at 0 ms, the far end x >=
/// 18.5 mm at 400 ms, after the S1 action potential has ended there: a stimulus while a node's potential
/// is still near the threshold makes an extra crossing a matter of rounding), repolarisation tracked:
/// first and latest activation and repolarisation node by node against the CPU. The repolarisation
/// crossing is slow (|dV/dt| ~1 mV/ms at -70 mV against ~100 mV/ms in the upstroke), and the S2 wave
/// travels through tissue not fully recovered (slower upstrokes) after 400 ms of f32 rounding, so f32
/// moves those two more: 0.05 ms (measured 0.025 and 0.014 ms).
#[test]
fn s1_s2_with_repolarisation_matches_the_cpu_reference() {
    let Some(ctx) = common::gpu("ep_gpu::s1s2") else {
        return;
    };
    let (mesh, tissue, s1) = slab();
    let far: Vec<u32> = (0..mesh.node_count() as u32)
        .filter(|&i| mesh.nodes()[i as usize][0] >= 18.5)
        .collect();
    let s2 = cardiotwin::ep::monodomain::Stimulus {
        nodes: far,
        start_ms: 400.0,
        ..s1.clone()
    };
    let stimuli = [s1, s2];
    let ms = MitchellSchaeffer::default();
    let mut reference = Monodomain::new(&mesh, &tissue, Membrane::NIEDERER, ms, -30.0)
        .unwrap()
        .with_repolarisation(-70.0);
    let (dt, steps) = (0.05, 14_000);
    let mut gpu = GpuMonodomain::new(&ctx, &reference, &stimuli, dt).unwrap();
    reference.run(steps, dt, &stimuli).unwrap();
    for chunk in [5000, 9000] {
        gpu.run(&ctx, chunk).unwrap();
    }
    assert!((gpu.t_ms() - reference.t_ms).abs() < 1e-3);
    let compare = |name: &str, a: &[f64], b: &[f64], tol: f64| {
        let worst = worst_difference(name, a, b);
        println!("{name}: worst difference {worst:.2e} ms");
        assert!(worst < tol, "{name}: {worst}");
    };
    let (first, last, rep) = (
        gpu.activation_ms(&ctx).unwrap(),
        gpu.last_activation_ms(&ctx).unwrap(),
        gpu.repolarisation_ms(&ctx).unwrap(),
    );
    compare("activation", &reference.activation_ms, &first, 0.01);
    compare(
        "latest activation",
        &reference.last_activation_ms,
        &last,
        0.05,
    );
    compare("repolarisation", &reference.repolarisation_ms, &rep, 0.05);
    // The protocol did what it is for: every node fired twice and repolarised in between.
    let twice = (0..mesh.node_count())
        .filter(|&i| last[i] > rep[i] && rep[i] > first[i])
        .count();
    assert_eq!(twice, mesh.node_count());
}

/// `cardiotwin ep --backend gpu`: the S1-S2 scenario of `tests/electrophysiology.rs` for 400 ms (S1
/// wave, its repolarisation, the S2 stimulus at 350 ms) on both backends: the same nodes activated,
/// repolarised and activated again, total activation and APD90 statistics within 0.05 ms, the same
/// potential frames.
#[test]
fn cardiotwin_ep_runs_on_the_gpu_backend() {
    if common::gpu("ep_gpu::cardiotwin_ep").is_none() {
        return;
    }
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/heartbeat/ep_s1s2.toml"
    );
    let run = |backend: &str| -> serde_json::Value {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("ep-{backend}"));
        let _ = std::fs::remove_dir_all(&dir);
        let o = common::cardiotwin(
            &[
                "--backend",
                backend,
                "ep",
                scenario,
                "--duration",
                "400",
                "--vm-interval",
                "100",
                "--out",
                dir.to_str().unwrap(),
            ],
            &[],
        );
        assert!(o.status.success(), "{}", common::text(&o));
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap()
    };
    let (cpu, gpu) = (run("cpu"), run("gpu"));
    assert_eq!(cpu["backend"], "cpu");
    assert_eq!(gpu["backend"], "gpu");
    for key in [
        "activated_nodes",
        "repolarised_nodes",
        "reactivated_nodes",
        "vm_frames",
        "steps",
    ] {
        assert_eq!(cpu[key], gpu[key], "{key}");
    }
    assert!(cpu["repolarised_nodes"].as_u64().unwrap() > 0);
    for key in [
        "total_activation_ms",
        "apd90_mean_ms",
        "apd90_min_ms",
        "apd90_max_ms",
        "duration_ms",
    ] {
        let (c, g) = (cpu[key].as_f64().unwrap(), gpu[key].as_f64().unwrap());
        println!("{key}: CPU {c:.4}, GPU {g:.4}");
        assert!((c - g).abs() < 0.05, "{key}: CPU {c}, GPU {g}");
    }
}

/// The heartbeat's monodomain activation (`activation.mode = "monodomain"`, the default Rodero LV paced
/// at the apex) built on the GPU backend: the same element activation times as on the CPU, within 0.05
/// ms (f32 against f64 as above; element times are corner means of nodal crossings), and the report says
/// where it ran.
#[test]
fn the_heartbeat_monodomain_activation_runs_on_the_gpu() {
    use cardiotwin::backend::Backend;
    use cardiotwin::heartbeat::Scenario;
    use cardiotwin::heartbeat::heart::Heart;
    use cardiotwin::heartbeat::scenario::{ActivationMode, PacingSite};
    let Some(ctx) = common::gpu("ep_gpu::heartbeat") else {
        return;
    };
    let mut s = Scenario::default();
    s.activation.mode = ActivationMode::Monodomain;
    s.activation.sites = vec![PacingSite {
        position_mm: None,
        landmark: Some("apex".into()),
        surface: Vec::new(),
        radius_mm: 3.0,
        time_ms: 0.0,
    }];
    let cpu = Heart::build(&s).unwrap();
    let gpu = Heart::build_on(&s, &Backend::Gpu(Box::new(ctx))).unwrap();
    let (rc, rg) = (
        cpu.report.monodomain.as_ref().unwrap(),
        gpu.report.monodomain.as_ref().unwrap(),
    );
    assert_eq!((rc.backend, rg.backend), ("cpu", "gpu"));
    assert_eq!(gpu.report.never_activated_tets, 0);
    let worst = cpu
        .activation_ms
        .iter()
        .zip(&gpu.activation_ms)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    println!(
        "element activation: worst difference {worst:.2e} ms of {:.1} ms; GPU run {:.1} s, CPU {:.1} s",
        cpu.report.total_activation_ms, rg.wall_s, rc.wall_s
    );
    assert!(worst < 0.05, "{worst}");
}
