//! The elastodynamics benchmark of Aróstica et al. 2025 (`cardiotwin verify elasto-b1-*`, `elasto-b2`):
//! the compiled-in coarse biventricle (counts, tags, fibres), the activation and pressure drivers against
//! their closed forms between the switches and against the benchmark's peak pressures, and short runs of
//! both benchmarks through the library (`VerifyOptions::end_time_ms`), and benchmark 1 on the GPU against
//! the CPU. The full one-second runs are the CLI's (`cardiotwin verify elasto-b2 --out DIR`).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use cardiotwin::anatomy::{arostica_biv, fibres};
use cardiotwin::verify::elastodynamics::{ActivationDriver, PressureDriver, driver_trace};
use cardiotwin::verify::{self, VerifyOptions};
use glam::DVec3;

fn num(v: &serde_json::Value, path: &[&str]) -> f64 {
    let mut x = v;
    for k in path {
        x = &x[*k];
    }
    x.as_f64()
        .unwrap_or_else(|| panic!("{path:?} missing or not a number in {v}"))
}

#[test]
fn biv_mesh_has_the_benchmark_counts_tags_and_fields() {
    let mesh = arostica_biv::coarse().unwrap();
    assert_eq!(mesh.node_count(), 11_444);
    assert_eq!(mesh.tet_count(), 45_304);
    let mut counts = BTreeMap::new();
    for &tag in &mesh.surfaces().tags {
        *counts.entry(tag).or_insert(0usize) += 1;
    }
    let expected = BTreeMap::from([
        (arostica_biv::BASE, 1160),
        (arostica_biv::RV_ENDO, 4134),
        (arostica_biv::LV_ENDO, 2908),
        (arostica_biv::EPI, 6992),
    ]);
    assert_eq!(counts, expected);
    assert_eq!(
        mesh.surface_names
            .get(&arostica_biv::LV_ENDO)
            .map(String::as_str),
        Some("lv_endo")
    );
    for name in ["fiber", "sheet", "sheet_normal"] {
        let f = mesh.point_field(name).unwrap_or_else(|| panic!("{name}"));
        assert_eq!((f.components, f.len()), (3, 11_444), "{name}");
    }
    // Millimetres: base plane x = 0, apex near x = 80.
    let b = mesh.bbox();
    assert!(
        b.min[0].abs() < 1e-9 && (b.max[0] - 79.95).abs() < 0.01,
        "{b:?}"
    );
    // The file in the repository is the compiled-in one.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(arostica_biv::PATH);
    let from_file = cardiotwin::mesh::io::read(&path).unwrap();
    assert_eq!(from_file.nodes(), mesh.nodes());
    assert_eq!(from_file.tets(), mesh.tets());
}

/// The tetrahedra's frames are orthonormal and right-handed, and their fibre is close, as an axis, to
/// the corners' fibres (a plain mean would cancel where the corners' signs disagree).
#[test]
fn biv_fibre_frames_are_orthonormal_mean_axes() {
    let mesh = arostica_biv::coarse().unwrap();
    let field = fibres::from_point_fields(&mesh, "fiber", "sheet").unwrap();
    assert_eq!(field.fiber.len(), mesh.tet_count());
    assert_eq!(field.degenerate, 0);
    let corner = mesh.point_field("fiber").unwrap();
    let (mut agreement, mut worst_orthonormality) = (0.0, 0.0f64);
    for t in 0..mesh.tet_count() {
        let (f, s, n) = (
            DVec3::from_array(field.fiber[t]),
            DVec3::from_array(field.sheet[t]),
            DVec3::from_array(field.normal[t]),
        );
        for e in [
            f.length() - 1.0,
            s.length() - 1.0,
            f.dot(s),
            (f.cross(s) - n).length(),
        ] {
            worst_orthonormality = worst_orthonormality.max(e.abs());
        }
        agreement += mesh.tets()[t]
            .iter()
            .map(|&c| f.dot(DVec3::from_slice(corner.get(c as usize))).abs())
            .sum::<f64>()
            / 4.0;
    }
    let agreement = agreement / mesh.tet_count() as f64;
    eprintln!("mean |f . f_corner| = {agreement:.4}");
    assert!(worst_orthonormality < 1e-12, "{worst_orthonormality}");
    assert!(agreement > 0.85, "{agreement}");
}

/// y(t2) = y* + (y(t1) - y*) exp(-k (t2 - t1)) where the rates are constant (k = |rate|, y* =
/// source / k): between the switches, 30 ms (6 gamma) or more from them, the tanh tails are below 1e-5.
fn relaxes(trace: &[f64], dt: f64, t1: f64, t2: f64, k: f64, target: f64) -> (f64, f64) {
    let at = |t: f64| trace[(t / dt).round() as usize];
    let expected = target + (at(t1) - target) * (-k * (t2 - t1)).exp();
    (at(t2), expected)
}

fn close(what: &str, (got, expected): (f64, f64), tol: f64) {
    eprintln!("{what}: {got:.4} (closed form {expected:.4})");
    assert!(
        (got - expected).abs() <= tol * expected.abs().max(1.0),
        "{what}: {got} vs {expected}"
    );
}

#[test]
fn drivers_match_their_closed_forms_and_peaks() {
    let dt = 1e-5;
    for (name, d) in [
        ("benchmark 1", PressureDriver::BENCHMARK1),
        ("BiV LV", PressureDriver::BIV_LV),
        ("BiV RV", PressureDriver::BIV_RV),
    ] {
        let p = driver_trace(|t| d.rates(t), dt, 1.0);
        // Before systole: p = (sigma_pre / k) (1 - exp(-k t)), k = |alpha_min + alpha_pre + alpha_mid|.
        let k_pre = (d.alpha_min + d.alpha_pre + d.alpha_mid).abs();
        close(
            &format!("{name} preload at 0.13 s"),
            relaxes(&p, dt, 0.0, 0.13, k_pre, d.sigma_pre / k_pre),
            1e-6,
        );
        // Systole: towards sigma_mid + sigma_pre / b at the rate b = alpha_max + alpha_pre + alpha_mid.
        let b = d.alpha_max + d.alpha_pre + d.alpha_mid;
        close(
            &format!("{name} systole 0.2 -> 0.45 s"),
            relaxes(&p, dt, 0.2, 0.45, b, d.sigma_mid + d.sigma_pre / b),
            1e-6,
        );
        // Diastole: decay at |alpha_min + alpha_mid|, no source.
        let k_dia = (d.alpha_min + d.alpha_mid).abs();
        close(
            &format!("{name} diastole 0.52 -> 0.6 s"),
            relaxes(&p, dt, 0.52, 0.6, k_dia, 0.0),
            1e-6,
        );
        let peak = p.iter().copied().fold(0.0, f64::max);
        let expected = match name {
            "benchmark 1" => 16_070.0,
            "BiV LV" => 16_489.0,
            _ => 4_162.0,
        };
        eprintln!("{name}: peak {peak:.1} Pa");
        assert!(
            (peak - expected).abs() < 0.002 * expected,
            "{name}: {peak} vs {expected}"
        );
    }
    let a = ActivationDriver::benchmark(1.5e5);
    let tau = driver_trace(|t| a.rates(t), dt, 1.0);
    // Zero until systole (a < 0, no source), then towards sigma0 at the rate alpha_max, then decay at
    // |alpha_min|.
    assert_eq!(tau[(0.15 / dt) as usize], 0.0);
    close(
        "tau systole 0.2 -> 0.45 s",
        relaxes(&tau, dt, 0.2, 0.45, a.alpha_max, a.sigma0),
        1e-6,
    );
    close(
        "tau diastole 0.52 -> 0.6 s",
        relaxes(&tau, dt, 0.52, 0.6, -a.alpha_min, 0.0),
        1e-6,
    );
}

/// A few hundred steps of benchmark 2 (1.5 ms): finite, moving outward under the preload, cavity
/// volumes of a human heart, all three probes inside the mesh.
#[test]
fn biv_case_runs_briefly() {
    let outcome = verify::run(
        "elasto-b2",
        VerifyOptions {
            end_time_ms: Some(1.5),
            ..VerifyOptions::default()
        },
        &cardiotwin::Backend::Cpu,
    )
    .unwrap();
    let v = &outcome.json;
    let steps = num(v, &["solve", "steps"]);
    let (lv, rv) = (
        num(v, &["cavity_volume_ml", "lv", "initial"]),
        num(v, &["cavity_volume_ml", "rv", "initial"]),
    );
    eprintln!(
        "elasto-b2 to 1.5 ms: {steps} steps of {} ms, added mass {:.4}, {:.1} s; LV {lv:.2} mL, RV {rv:.2} mL",
        num(v, &["solve", "time_step_ms"]),
        num(v, &["solve", "added_mass_fraction"]),
        num(v, &["solve", "wall_s"]),
    );
    assert!((50.0..2000.0).contains(&steps), "{steps}");
    assert!(
        (40.0..250.0).contains(&lv) && (40.0..250.0).contains(&rv),
        "{lv} {rv}"
    );
    assert!(num(v, &["solve", "added_mass_fraction"]) <= 0.0100001);
    assert_eq!(
        v["probes_outside_mesh"].as_array().map(Vec::len),
        Some(0),
        "{v}"
    );
    for p in ["p0", "p1", "p2"] {
        let u = num(v, &["max_displacement_mm", p]);
        assert!(u > 0.0 && u < 0.1, "{p}: {u}");
    }
    // The preload inflates both cavities a little.
    for c in ["lv", "rv"] {
        let r = &v["cavity_volume_ml"][c];
        assert!(num(r, &["max"]) > num(r, &["initial"]), "{c}: {r}");
    }
    let csv = outcome.csv.as_deref().unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "time_s,p0_ux_m,p0_uy_m,p0_uz_m,p1_ux_m,p1_uy_m,p1_uz_m,p2_ux_m,p2_uy_m,p2_uz_m,\
         cavity_volume_m3,rv_cavity_volume_m3"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    for line in &lines[1..] {
        let values: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
        assert_eq!(values.len(), 12);
        assert!(values.iter().all(|x| x.is_finite()), "{line}");
        // Volumes in m^3.
        assert!(values[10] > 40e-6 && values[11] > 40e-6, "{line}");
    }
    assert!(outcome.deformed.is_some());
}

/// The GPU step (f32) against the CPU's fused f64 step on benchmark 1 step 2A (active stress and pressure)
/// for 10 ms: 4,598 steps of 2.2 us. A step's change of motion here is below one unit in the last place
/// of the f32 displacement, so this is where keeping u and u_prev on the GPU failed: it lost 0.5% of the
/// apex displacement by 10 ms (1.5% at 20 ms, 9% at 30 ms), as the CPU's own f32 step did. With the
/// increment u - u_prev kept instead (`shaders/mech_node.wgsl`) the difference, measured on lavapipe, is
/// 2.0e-5 and 3.8e-5 of the two probes' displacements at 10 ms (2e-6 at 20-30 ms, where they are larger)
/// and 2e-5 of the volume change. Bound: 2e-4 of each (5x the measured, for adapters that round
/// differently, fused multiply-adds; 25x below what the old state gave).
#[test]
fn benchmark1_on_the_gpu_matches_the_cpu() {
    let Some(ctx) = common::gpu("elasto_gpu") else {
        return;
    };
    let options = VerifyOptions {
        end_time_ms: Some(10.0),
        ..VerifyOptions::default()
    };
    let cpu = verify::run("elasto-b1-step2a", options, &cardiotwin::Backend::Cpu).unwrap();
    let gpu = verify::run(
        "elasto-b1-step2a",
        options,
        &cardiotwin::Backend::Gpu(Box::new(ctx)),
    )
    .unwrap();
    assert_eq!(gpu.json["solve"]["backend"], "gpu");
    assert_eq!(gpu.json["solve"]["steps"], cpu.json["solve"]["steps"]);
    let last = |o: &verify::Outcome| -> Vec<f64> {
        let csv = o.csv.as_ref().unwrap();
        let line = csv.lines().last().unwrap();
        line.split(',').map(|v| v.parse().unwrap()).collect()
    };
    let first_volume = |o: &verify::Outcome| -> f64 {
        let line = o.csv.as_ref().unwrap().lines().nth(1).unwrap();
        line.rsplit(',').next().unwrap().parse().unwrap()
    };
    let (c, g) = (last(&cpu), last(&gpu));
    assert_eq!(c[0], 0.01);
    for probe in [&c[1..4], &g[1..4], &c[4..7], &g[4..7]].chunks(2) {
        let (a, b) = (probe[0], probe[1]);
        let size = a.iter().map(|v| v * v).sum::<f64>().sqrt();
        let diff = a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - y) * (x - y))
            .sum::<f64>()
            .sqrt();
        eprintln!(
            "probe: |u| {size:.4e} m, GPU - CPU {diff:.3e} m ({:.2e})",
            diff / size
        );
        assert!(size > 5e-6, "the probe moved {size} m");
        assert!(diff < 2e-4 * size, "GPU {b:?} vs CPU {a:?}");
    }
    let v0 = first_volume(&cpu);
    let (dc, dg) = (c[7] - v0, g[7] - v0);
    eprintln!("volume change: CPU {dc:.4e}, GPU {dg:.4e} m^3");
    assert!((dg - dc).abs() < 2e-4 * dc.abs(), "{dg} vs {dc}");
}

/// Benchmark 1 through the shared time loop: the same `qoi.csv` header, one sample at the end time.
#[test]
fn benchmark1_short_run_keeps_its_columns() {
    let outcome = verify::run(
        "elasto-b1-step1",
        VerifyOptions {
            refine: 0.5,
            end_time_ms: Some(0.3),
            ..VerifyOptions::default()
        },
        &cardiotwin::Backend::Cpu,
    )
    .unwrap();
    let csv = outcome.csv.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "time_s,p0_ux_m,p0_uy_m,p0_uz_m,p1_ux_m,p1_uy_m,p1_uz_m,cavity_volume_m3"
    );
    assert_eq!(lines.len(), 3);
    assert!(lines[2].starts_with("0.000300,"), "{}", lines[2]);
    assert_eq!(outcome.json["peak_active_stress_kpa"], 0.0);
    assert!(num(&outcome.json, &["peak_pressure_kpa"]) > 0.0);
}

#[test]
fn biv_refuses_refinement_and_bad_end_times() {
    for options in [
        VerifyOptions {
            refine: 2.0,
            ..VerifyOptions::default()
        },
        VerifyOptions {
            end_time_ms: Some(-1.0),
            ..VerifyOptions::default()
        },
    ] {
        let e = verify::run("elasto-b2", options, &cardiotwin::Backend::Cpu)
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some(), "{options:?}");
        eprintln!("{}", e.unwrap());
    }
}
