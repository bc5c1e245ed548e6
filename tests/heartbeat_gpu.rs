//! The heartbeat on the GPU backend (f32 mechanics, cavity volumes and active tension on wgpu; lavapipe on
//! CI) against the CPU backend (f64) on the coarse ellipsoidal LV, sample by sample; resume of a GPU run
//! byte for byte; the active tension kernel against the CPU twitch. Skipped loudly without an adapter
//! (a failure with `CARDIOTWIN_REQUIRE_GPU=1`).
//!
//! The scenario is `tests/data/heartbeat/quick.toml` at 240 bpm, its twitch and activation shortened to
//! fit the 250 ms period: 4,625 steps per beat, so that CI on 2 cores runs it in seconds even on
//! lavapipe, whose cost is about 0.1 ms per dispatch whatever the mesh (BENCHMARKS.md). It still ejects
//! (EF about 45%) with the valves opening and closing every beat.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cardiotwin::backend::BackendChoice;
use cardiotwin::heartbeat::gpu::ActiveTension;
use cardiotwin::heartbeat::heart::Heart;
use cardiotwin::heartbeat::simulation::METRICS_COLUMNS;
use cardiotwin::heartbeat::{RunOptions, RunSummary, Scenario, run};

/// The quick scenario at 240 bpm (module docs), two beats, fields every 50 ms.
fn fast() -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/heartbeat/quick.toml");
    let mut s = Scenario::from_file(&path).unwrap();
    s.heart_rate_bpm = 240.0;
    s.beats = 2;
    s.contraction.rise_ms = 30.0;
    s.contraction.decay_ms = 35.0;
    s.contraction.duration_ms = 170.0;
    s.activation.transmural_ms = 10.0;
    s.activation.apicobasal_ms = 30.0;
    s.outputs.field_interval_ms = 50.0;
    s.validate("fast").unwrap();
    s
}

fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn options(out: &Path, backend: BackendChoice) -> RunOptions {
    RunOptions {
        out: out.to_path_buf(),
        beats: None,
        resume: false,
        backend,
        adapter: std::env::var("CARDIOTWIN_ADAPTER").ok(),
        progress: false,
        stop_after: None,
    }
}

/// `metrics.csv` as numbers, after checking the header.
fn metrics(dir: &Path) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), METRICS_COLUMNS.join(","));
    lines
        .map(|l| l.split(',').map(|v| v.parse::<f64>().unwrap()).collect())
        .collect()
}

fn column(name: &str) -> usize {
    METRICS_COLUMNS.iter().position(|c| *c == name).unwrap()
}

/// The uninterrupted two-beat GPU run, shared by the tests that need it (run once per process), with
/// the adapter's name; `None` (after the loud notice) without an adapter.
fn straight_gpu_run() -> Option<&'static (PathBuf, RunSummary, String)> {
    static RUN: OnceLock<Option<(PathBuf, RunSummary, String)>> = OnceLock::new();
    RUN.get_or_init(|| {
        let adapter = common::gpu("heartbeat_gpu")?.report.name;
        let dir = out_dir("heartbeat-gpu-straight");
        let summary = run(Some(fast()), &options(&dir, BackendChoice::Gpu)).unwrap();
        Some((dir, summary, adapter))
    })
    .as_ref()
}

/// The GPU backend computes what the CPU backend computes, to f32 accuracy, sample by sample.
///
/// Tolerances, from the measured differences (`cargo test --release --test heartbeat_gpu -- --nocapture`
/// prints them). The GPU's positions carry f32 rounding, eps 6e-8 of coordinates of tens of mm; the
/// volume of a 170 mL cavity so carries about 1e-5 mL per step, which the explicit dynamics carries on
/// and the cavity stiffness (200 mmHg/mL) turns into pressure; the largest pressure differences come at
/// the steepest upstroke (about 5e3 mmHg/s), where any tiny shift shows. Measured on lavapipe over the two
/// beats (9,250 steps): LV volume 2.7e-4 mL (1.6e-6 of the volume), LV pressure 1.3e-2 mmHg, EF 1e-7,
/// peak LV pressure 1.1e-3 mmHg. The bounds are 5 to 10 times those, for another adapter's rounding
/// (fused multiply-adds, other reduction orders), and still far below anything physiological: 2e-3 mL,
/// 0.06 mmHg (0.03% of the peak), EF 1e-6, peak 6e-3 mmHg.
#[test]
fn gpu_beats_match_the_cpu_sample_by_sample() {
    let Some((gpu_dir, gpu, adapter)) = straight_gpu_run() else {
        return;
    };
    assert_eq!(gpu.status, "finished");
    assert_eq!(gpu.run.backend, "gpu");
    assert!(
        gpu.run.backend_reason.contains("--backend gpu"),
        "{}",
        gpu.run.backend_reason
    );
    assert_eq!(gpu.run.adapter.as_deref(), Some(adapter.as_str()));
    let cpu_dir = out_dir("heartbeat-gpu-vs-cpu");
    let cpu = run(Some(fast()), &options(&cpu_dir, BackendChoice::Cpu)).unwrap();
    assert_eq!(cpu.run.backend, "cpu");
    assert!(cpu.run.adapter.is_none());
    assert_eq!(gpu.run.steps, cpu.run.steps);
    // The same preload (on the CPU), up to the f32 volume of the uploaded state.
    assert!((gpu.preload.lv_volume_ml - cpu.preload.lv_volume_ml).abs() < 1e-3);

    let (g, c) = (metrics(gpu_dir), metrics(&cpu_dir));
    assert_eq!(g.len(), 251, "one row per 2 ms over two 250 ms beats");
    assert_eq!(g.len(), c.len());
    let (vol, pres) = (column("lv_volume_ml"), column("lv_pressure_mmhg"));
    let (mut dv, mut dp, mut differ) = (0.0f64, 0.0f64, false);
    for (a, b) in g.iter().zip(&c) {
        assert_eq!(a[0], b[0], "sample times");
        assert!(a.iter().all(|v| v.is_finite()));
        dv = dv.max((a[vol] - b[vol]).abs());
        dp = dp.max((a[pres] - b[pres]).abs());
        differ |= a[vol] != b[vol];
    }
    println!(
        "GPU ({adapter}) vs CPU over {} samples: LV volume {dv:.2e} mL, LV pressure {dp:.2e} mmHg",
        g.len()
    );
    // f32 on the GPU: the traces are close, not equal (the GPU really ran).
    assert!(
        differ,
        "GPU and CPU traces are identical: was the GPU used?"
    );
    assert!(dv < 2e-3, "LV volume differs by {dv} mL");
    assert!(dp < 0.06, "LV pressure differs by {dp} mmHg");

    assert_eq!(gpu.beats.len(), 2);
    for (a, b) in gpu.beats.iter().zip(&cpu.beats) {
        let (d_ef, d_peak) = (
            (a.ef - b.ef).abs(),
            (a.peak_lv_pressure_mmhg - b.peak_lv_pressure_mmhg).abs(),
        );
        println!(
            "beat {}: EF {:.5} vs {:.5} ({d_ef:.1e}), peak LV {:.4} vs {:.4} mmHg ({d_peak:.1e})",
            a.beat, a.ef, b.ef, a.peak_lv_pressure_mmhg, b.peak_lv_pressure_mmhg
        );
        assert!(b.ef > 0.3, "the test beat ejects: {b:?}");
        assert!(d_ef < 1e-6, "beat {}: EF {} vs {}", a.beat, a.ef, b.ef);
        assert!(d_peak < 6e-3, "beat {}: peak {d_peak} mmHg apart", a.beat);
    }
}

/// Interrupted after one beat and resumed, a GPU run writes the files of the uninterrupted GPU run,
/// byte for byte: the checkpoint carries the GPU state exactly.
#[test]
fn gpu_resume_reproduces_the_uninterrupted_run_byte_for_byte() {
    let Some((straight, summary, _)) = straight_gpu_run() else {
        return;
    };
    let dir = out_dir("heartbeat-gpu-resumed");
    let mut stop = options(&dir, BackendChoice::Gpu);
    stop.stop_after = Some(1);
    let partial = run(Some(fast()), &stop).unwrap();
    assert_eq!(
        (partial.status.as_str(), partial.beats.len()),
        ("running", 1)
    );
    let mut resume = options(&dir, BackendChoice::Gpu);
    resume.resume = true;
    let resumed = run(None, &resume).unwrap();
    assert_eq!(resumed.status, "finished");
    assert_eq!(resumed.run.backend, "gpu");
    let bytes = |d: &Path, f: &str| std::fs::read(d.join(f)).unwrap();
    assert!(
        bytes(&dir, "metrics.csv") == bytes(straight, "metrics.csv"),
        "resumed metrics.csv differs from the uninterrupted GPU run"
    );
    for f in ["fields.pvd", "fields/000125.vtu", "fields/000250.vtu"] {
        assert!(bytes(&dir, f) == bytes(straight, f), "{f} differs");
    }
    let strip = |s: &RunSummary| -> Vec<String> {
        s.beats
            .iter()
            .map(|b| {
                let mut b = b.clone();
                b.wall_s = 0.0;
                serde_json::to_string(&b).unwrap()
            })
            .collect()
    };
    assert_eq!(strip(&resumed), strip(summary));
}

/// The active tension kernel against `contractility * Twitch::lookup((t - t_act) mod period)` in f64,
/// for every tetrahedron at times across the beat, past the period and many beats on.
///
/// Bound: the phase and the activation times are f32 (rounding up to 1.5e-5 ms below 250 ms), and so is
/// the table position s / 0.05 ms (up to 3.4e3 intervals: rounding up to 1.2e-4 of an interval); through
/// the steepest slope of this twitch (about 5 kPa/ms: peak 160 kPa, rise 30 ms) that is up to about
/// 1e-4 kPa, plus the f32 table values (1e-5 kPa). Measured: 4e-5 kPa. Bound: 3e-4 kPa (2e-6 of the
/// peak).
#[test]
fn active_tension_kernel_matches_the_cpu_twitch() {
    let Some(ctx) = common::gpu("active_tension_kernel") else {
        return;
    };
    let scenario = fast();
    let heart = Heart::build(&scenario).unwrap();
    let period = scenario.period_ms();
    let mut kernel = ActiveTension::new(&ctx, &heart, period).unwrap();
    assert_eq!(kernel.len(), heart.report.tets);
    let out = cardiotwin::gpu::GpuBuffer::<f32>::zeroed(&ctx, "tension", kernel.len()).unwrap();
    let bound_out = cardiotwin::gpu::GpuBuffer::<f32>::zeroed(&ctx, "bound", kernel.len()).unwrap();
    let bound = kernel.bind(&ctx, &bound_out).unwrap();
    let (mut worst, mut active) = (0.0f64, 0usize);
    // As a scenario runs (beats from 0), then as the viewer's settings change it: a new beat start, a
    // longer period and half the contractility.
    for (beat_start, period, scale) in [(0.0, period, 1.0), (1234.5, 1.25 * period, 0.5)] {
        kernel.set_beat(beat_start, period, scale);
        for dt in [
            0.0,
            7.3,
            21.05,
            44.4,
            90.0,
            133.3,
            185.0,
            249.99,
            250.0 + 61.7,
            40.0 * 250.0 + 33.3,
        ] {
            let t = beat_start + dt;
            let mut batch = cardiotwin::gpu::Batch::untimed(&ctx, "tension");
            kernel.record(&ctx, &mut batch, t, &out).unwrap();
            let (gpu, _) = batch.submit_and_read(&out).unwrap();
            // The pass bound once (the heartbeat's time loop) writes the same bits.
            let mut batch = cardiotwin::gpu::Batch::untimed(&ctx, "tension, bound");
            kernel.record_bound(&ctx, &mut batch, &bound, t);
            let (again, _) = batch.submit_and_read(&bound_out).unwrap();
            assert!(
                gpu.iter()
                    .zip(&again)
                    .all(|(a, b)| a.to_bits() == b.to_bits())
            );
            for (i, &g) in gpu.iter().enumerate() {
                let s = (t - beat_start - heart.activation_ms[i]).rem_euclid(period);
                let cpu = scale * heart.contractility[i] * heart.twitch.lookup(s);
                assert!(g.is_finite());
                worst = worst.max((g as f64 - cpu).abs());
                active += (cpu > 1.0) as usize;
            }
        }
    }
    println!("active tension: largest |GPU - CPU| {worst:.2e} kPa");
    assert!(
        active > heart.report.tets,
        "the twitch was on at several times"
    );
    assert!(worst < 3e-4, "{worst} kPa");
    // A buffer of the wrong length is an error.
    let short = cardiotwin::gpu::GpuBuffer::<f32>::zeroed(&ctx, "short", 3).unwrap();
    let mut batch = cardiotwin::gpu::Batch::untimed(&ctx, "bad");
    assert!(kernel.record(&ctx, &mut batch, 0.0, &short).is_err());
    assert!(kernel.bind(&ctx, &short).is_err());
}

/// A GPU run that becomes unstable names the element as the input mesh numbers it, as the CPU's does
/// (`tests/heartbeat.rs`): the GPU reports it in the heart's numbering, renumbered in space at load.
#[test]
fn an_unstable_gpu_run_names_the_element_as_the_input_numbers_it() {
    use cardiotwin::anatomy::arostica_ellipsoid::ArosticaEllipsoid;
    if common::gpu("heartbeat_gpu: unstable run").is_none() {
        return;
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/heartbeat/quick.toml");
    let mut scenario = Scenario::from_file(&path).unwrap();
    scenario.beats = 1;
    scenario.contraction.peak_tension_kpa = 1000.0;
    let dir = out_dir("heartbeat-gpu-unstable");
    let err = run(Some(scenario), &options(&dir, BackendChoice::Gpu))
        .unwrap_err()
        .to_string();
    println!("{err}");
    let (tet, nodes) = common::inverted_element(&err);
    let source = ArosticaEllipsoid::with_element_size(10.0).build().unwrap();
    assert_eq!(nodes, source.tets()[tet].to_vec(), "{err}");
}
