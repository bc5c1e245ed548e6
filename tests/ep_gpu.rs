//! The monodomain step on the GPU (f32, `shaders/ep_monodomain.wgsl`) against the CPU reference (f64):
//! activation times of the Niederer slab with Mitchell-Schaeffer cells, node by node.

mod common;

use cardiotwin::ep::gpu::GpuMonodomain;
use cardiotwin::ep::monodomain::{Membrane, MitchellSchaeffer, Monodomain};
use cardiotwin::verify::ep;

#[test]
fn gpu_activation_times_match_the_cpu_reference() {
    let Some(ctx) = common::gpu("ep_gpu") else {
        return;
    };
    let mesh = ep::slab(0.5).unwrap();
    let tissue = ep::tissue(&mesh);
    let stim = ep::stimulus(&mesh);
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
    let mut gpu = GpuMonodomain::new(&ctx, &reference, &stim, dt).unwrap();
    reference
        .run(steps, dt, std::slice::from_ref(&stim))
        .unwrap();
    let start = std::time::Instant::now();
    gpu.run(&ctx, steps).unwrap();
    let on_gpu = gpu.activation_ms(&ctx).unwrap();
    println!(
        "{} nodes x {steps} steps on the GPU in {:.2} s",
        mesh.node_count(),
        start.elapsed().as_secs_f64()
    );
    let mut worst = 0.0f64;
    for (a, b) in reference.activation_ms.iter().zip(&on_gpu) {
        assert_eq!(a.is_finite(), b.is_finite(), "{a} vs {b}");
        if a.is_finite() {
            worst = worst.max((a - b).abs());
        }
    }
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

/// `cardiotwin verify niederer --backend gpu --cell mitchell-schaeffer`: the benchmark's points on the GPU
/// within 0.01 ms of the CPU's (f32 against f64 on the same operator: measured 7e-4 ms node by node in the
/// test above), TP06 on the GPU refused with the alternatives, eikonal-slab refused on the GPU.
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
    let gpu = json(&run("gpu", "mitchell-schaeffer"));
    let cpu = json(&run("cpu", "mitchell-schaeffer"));
    assert_eq!(gpu["backend"], "gpu");
    assert_eq!(cpu["backend"], "cpu");
    for (name, _) in ep::POINTS {
        let (g, c) = (
            gpu["activation_ms"][name].as_f64(),
            cpu["activation_ms"][name].as_f64(),
        );
        match (g, c) {
            (Some(g), Some(c)) => assert!((g - c).abs() < 0.01, "{name}: GPU {g} CPU {c} ms"),
            (None, None) => {}
            _ => panic!("{name}: GPU {g:?} CPU {c:?}"),
        }
    }
    let o = run("gpu", "tp06");
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
