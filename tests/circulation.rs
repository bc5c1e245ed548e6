//! The closed-loop 0D circulation (Regazzoni et al. 2022, `shared/benchmarks/CIRCULATION.md`) alone, before
//! it is coupled (STYLE.md, rung 5): its limit cycle against the reference implementation (PyPI
//! `circulation` 0.4.0, run once by `tests/data/circulation/reference.py`; the numbers are stored in
//! `reference.json`, so no Python is needed here), conservation of blood volume, physiological ranges,
//! the heart-rate and valve-law options, the coupling hook, errors, the integrator on problems with exact
//! solutions, and the CLI.

use cardiotwin::coupling::circulation::{
    CirculationError, CirculationParams, CirculationRun, CirculationState, Elastances,
    LimitCycleOptions, Override, ValveLaw, run_to_limit_cycle, run_to_limit_cycle_with,
};
use cardiotwin::coupling::ode::{self, OdeError, Tolerances};
use serde_json::Value;

fn reference() -> Value {
    serde_json::from_str(include_str!("data/circulation/reference.json")).expect("reference.json")
}

fn run(opts: &LimitCycleOptions) -> CirculationRun {
    run_to_limit_cycle(
        &CirculationParams::default(),
        &CirculationState::default(),
        opts,
    )
    .expect("the default circulation runs")
}

/// Largest relative difference between our summary and the reference's, over the reference's keys.
fn max_rel_diff(run: &CirculationRun) -> (f64, String) {
    let ours = serde_json::to_value(&run.summary).unwrap();
    let reference = reference();
    let mut worst = (0.0, String::new());
    for (key, want) in reference["summary"].as_object().unwrap() {
        let want = want.as_f64().unwrap();
        let got = ours[key]
            .as_f64()
            .unwrap_or_else(|| panic!("summary lacks {key}"));
        let rel = ((got - want) / want).abs();
        println!("{key:<28} ours {got:>12.6} reference {want:>12.6} rel {rel:.2e}");
        if rel > worst.0 {
            worst = (rel, key.clone());
        }
    }
    worst
}

/// Default options: the run stops when end-diastolic volumes change by < 1e-3 mL per beat. The
/// beat-to-beat change shrinks about tenfold every 14 beats (reference.json), i.e. by rho ~ 0.85 a beat,
/// so the distance left to the limit cycle is about 1e-3 / (1 - rho) ~ 7e-3 mL: 1.4e-4 of the smallest
/// volume compared (ESV ~ 49 mL), and similar for the pressures. Integrator error (rtol 1e-9 here, 1e-11
/// in the reference) is far below that. 1e-3 (0.1 %) leaves margin for both.
#[test]
fn default_limit_cycle_matches_reference_within_0_1_percent() {
    let run = run(&LimitCycleOptions::default());
    let (rel, key) = max_rel_diff(&run);
    assert!(rel < 1e-3, "{key} differs by {rel:.2e} from the reference");
}

/// Converged as tightly as the reference (1e-7 mL), what is left is integrator and interpolation error:
/// DOP853 at 1e-11 against Dormand-Prince 5(4) at 1e-9 with cubic Hermite sampling on the same 1 ms grid
/// (measured: 3e-8 at most). 1e-6 is the bound: tight enough to catch any change of the model's equations
/// (a parameter off in its fourth digit moves the summary by far more), loose enough for another platform's
/// rounding.
#[test]
fn tight_limit_cycle_matches_reference_within_1e_6() {
    let run = run(&LimitCycleOptions {
        tol_ml: 1e-7,
        max_beats: 400,
        ..LimitCycleOptions::default()
    });
    let (rel, key) = max_rel_diff(&run);
    assert!(rel < 1e-6, "{key} differs by {rel:.2e} from the reference");
    // The end-diastolic state too, component by component (flows and pressures included).
    let reference = reference();
    let ed = &reference["end_diastolic_state"];
    let ours = run.beat_starts[run.beat_starts.len() - 2];
    let names = [
        ("V_LA", ours.v_la),
        ("V_LV", ours.v_lv),
        ("V_RA", ours.v_ra),
        ("V_RV", ours.v_rv),
        ("p_AR_SYS", ours.p_ar_sys),
        ("p_VEN_SYS", ours.p_ven_sys),
        ("p_AR_PUL", ours.p_ar_pul),
        ("p_VEN_PUL", ours.p_ven_pul),
        ("Q_AR_SYS", ours.q_ar_sys),
        ("Q_VEN_SYS", ours.q_ven_sys),
        ("Q_AR_PUL", ours.q_ar_pul),
        ("Q_VEN_PUL", ours.q_ven_pul),
    ];
    for (name, got) in names {
        let want = ed[name].as_f64().unwrap();
        assert!(
            ((got - want) / want).abs() < 1e-6,
            "{name}: ours {got}, reference {want}"
        );
    }
}

/// Same criterion, same beat count as the reference's recorded beat-to-beat changes (one beat of slack
/// for a change that sits at the threshold).
#[test]
fn beats_to_converge_match_reference() {
    let run = run(&LimitCycleOptions::default());
    let reference = reference();
    let history = reference["beat_to_beat_change_ml"].as_array().unwrap();
    let want = 1 + history
        .iter()
        .position(|c| c.as_f64().unwrap() < 1e-3)
        .unwrap() as u32;
    let got = run.summary.beats_to_converge.expect("converges");
    println!("beats to converge: ours {got}, reference {want}");
    assert!(got.abs_diff(want) <= 1, "ours {got}, reference {want}");
    assert!(run.summary.last_beat_change_ml < 1e-3);
}

/// d/dt of (sum V_chambers + sum C p) is zero exactly; Runge-Kutta keeps linear invariants, so only
/// rounding remains: 1e-9 mL over 150 beats of 5125 mL (2e-13 relative; measured ~1e-11).
#[test]
fn blood_volume_is_conserved_over_many_beats() {
    let params = CirculationParams::default();
    let run = run(&LimitCycleOptions {
        tol_ml: 1e-300,
        max_beats: 150,
        ..LimitCycleOptions::default()
    });
    assert_eq!(run.summary.beats_to_converge, None);
    assert_eq!(run.beat_starts.len(), 151);
    let v0 = CirculationState::default().total_volume_ml(&params);
    assert_eq!(v0, 5125.0);
    let worst = run
        .beat_starts
        .iter()
        .map(|s| (s.total_volume_ml(&params) - v0).abs())
        .fold(0.0, f64::max);
    println!("largest drift of the total blood volume: {worst:.3e} mL");
    assert!(worst < 1e-9, "total volume drifted by {worst} mL");
    // Inside the last beat as well (interpolated samples: Hermite keeps linear invariants too).
    for s in &run.last_beat {
        assert!((s.state.total_volume_ml(&params) - v0).abs() < 1e-9);
    }
}

/// The reference agrees with physiology for this parameter set; both are checked here.
#[test]
fn limit_cycle_is_physiological() {
    let s = run(&LimitCycleOptions::default()).summary;
    assert!((0.4..0.7).contains(&s.lv_ef), "LV EF {}", s.lv_ef);
    assert!((0.4..0.7).contains(&s.rv_ef), "RV EF {}", s.rv_ef);
    assert!(
        (105.0..140.0).contains(&s.aortic_systolic_mmhg),
        "{}",
        s.aortic_systolic_mmhg
    );
    assert!(
        (65.0..90.0).contains(&s.aortic_diastolic_mmhg),
        "{}",
        s.aortic_diastolic_mmhg
    );
    assert!(
        (4.0..7.0).contains(&s.cardiac_output_l_min),
        "{}",
        s.cardiac_output_l_min
    );
    // Closed loop: both ventricles eject the same volume per beat on the limit cycle.
    assert!((s.lv_sv_ml - s.rv_sv_ml).abs() < 0.05 * s.lv_sv_ml);
    assert!(s.lv_peak_pressure_mmhg >= s.aortic_systolic_mmhg);
}

/// The last beat is sampled on the uniform grid, from end-diastole to the next, and ends where the
/// next beat starts.
#[test]
fn last_beat_trace_spans_one_period() {
    let opts = LimitCycleOptions::default();
    let run = run(&opts);
    let trace = &run.last_beat;
    assert_eq!(trace.len(), opts.samples + 1);
    for (j, s) in trace.iter().enumerate() {
        let want = j as f64 / opts.samples as f64;
        assert!((s.t_s - want).abs() < 1e-9, "sample {j} at {}", s.t_s);
    }
    let last = trace.last().unwrap().state;
    let next_start = *run.beat_starts.last().unwrap();
    assert_eq!(last, next_start);
    // The volume the LV loses through the aortic valve over a beat equals the volume it gains through the
    // mitral valve (a limit cycle), to the trapezoid rule's accuracy on 1 ms.
    let integral = |f: &dyn Fn(usize) -> f64| {
        (1..trace.len())
            .map(|j| 0.5 * (f(j) + f(j - 1)) * (trace[j].t_s - trace[j - 1].t_s))
            .sum::<f64>()
    };
    let ejected = integral(&|j| trace[j].derived.q_av);
    let filled = integral(&|j| trace[j].derived.q_mv);
    assert!(
        (ejected - filled).abs() < 0.01 * ejected,
        "{ejected} vs {filled}"
    );
    assert!((ejected - run.summary.lv_sv_ml).abs() < 0.02 * ejected);
}

/// 75 bpm: the activation durations stay, the period shortens, so diastolic filling is shorter: a smaller
/// EDV. This model has no baroreflex, and its cardiac output falls (5.3 -> 4.8 L/min) rather than rises.
#[test]
fn heart_rate_option_changes_the_period() {
    let base = run(&LimitCycleOptions::default()).summary;
    let params = CirculationParams::default().with_heart_rate_bpm(75.0);
    assert!((params.period_s() - 0.8).abs() < 1e-15);
    let fast = run_to_limit_cycle(
        &params,
        &CirculationState::default(),
        &LimitCycleOptions::default(),
    )
    .unwrap();
    let s = fast.summary;
    println!("75 bpm: {s:?}");
    assert!(s.beats_to_converge.is_some());
    assert_eq!(s.heart_rate_bpm, 75.0);
    assert!((fast.last_beat.last().unwrap().t_s - 0.8).abs() < 1e-12);
    assert!(s.lv_edv_ml < base.lv_edv_ml);
    assert!((4.0..7.0).contains(&s.cardiac_output_l_min));
    assert!((0.4..0.7).contains(&s.lv_ef));
}

/// The paper's ideal diode (discontinuous right-hand side, resolved by step rejection) gives nearly the
/// same limit cycle as the reference's smooth diode: within 1 % (the smooth law leaks a little near
/// zero pressure difference).
#[test]
fn ideal_valves_reach_nearly_the_same_limit_cycle() {
    let smooth = run(&LimitCycleOptions::default());
    let mut params = CirculationParams::default();
    params.valves.law = ValveLaw::Ideal;
    let ideal = run_to_limit_cycle(
        &params,
        &CirculationState::default(),
        &LimitCycleOptions::default(),
    )
    .expect("ideal valves run");
    let (a, b) = (&smooth.summary, &ideal.summary);
    println!(
        "ideal valves: {} steps, {} rejected (smooth: {}, {})",
        ideal.stats.accepted, ideal.stats.rejected, smooth.stats.accepted, smooth.stats.rejected
    );
    println!("ideal: {b:?}");
    assert!(b.beats_to_converge.is_some());
    for (name, x, y) in [
        ("lv_edv_ml", a.lv_edv_ml, b.lv_edv_ml),
        ("lv_esv_ml", a.lv_esv_ml, b.lv_esv_ml),
        (
            "aortic_systolic_mmhg",
            a.aortic_systolic_mmhg,
            b.aortic_systolic_mmhg,
        ),
        (
            "aortic_diastolic_mmhg",
            a.aortic_diastolic_mmhg,
            b.aortic_diastolic_mmhg,
        ),
        (
            "cardiac_output_l_min",
            a.cardiac_output_l_min,
            b.cardiac_output_l_min,
        ),
    ] {
        assert!(((x - y) / x).abs() < 0.01, "{name}: smooth {x}, ideal {y}");
    }
    let total = CirculationState::default().total_volume_ml(&params);
    assert!((b.total_volume_final_ml - total).abs() < 1e-9);
}

/// The coupling hook: an LV (and RV) pressure law given from outside that equals the elastance gives the
/// same run, bit for bit.
#[test]
fn outside_chamber_pressure_reproduces_the_elastance() {
    let params = CirculationParams::default();
    let (lv, rv, period) = (params.lv, params.rv, params.period_s());
    let hook = Override {
        lv: Some(Box::new(move |t, v| lv.pressure(t, period, v))),
        rv: Some(Box::new(move |t, v| rv.pressure(t, period, v))),
    };
    let opts = LimitCycleOptions {
        max_beats: 5,
        ..LimitCycleOptions::default()
    };
    let init = CirculationState::default();
    let a = run_to_limit_cycle_with(&params, &Elastances, &init, &opts).unwrap();
    let b = run_to_limit_cycle_with(&params, &hook, &init, &opts).unwrap();
    assert_eq!(a.beat_starts, b.beat_starts);
    // And a stiffer LV changes the result: the hook is used.
    let stiff = Override {
        lv: Some(Box::new(move |t, v| 1.5 * lv.pressure(t, period, v))),
        rv: None,
    };
    let c = run_to_limit_cycle_with(&params, &stiff, &init, &opts).unwrap();
    assert!(c.summary.lv_esv_ml < a.summary.lv_esv_ml);
}

/// Parameters are serde: the defaults round-trip through JSON, and a partial file fills in the defaults.
#[test]
fn parameters_round_trip_through_json() {
    let p = CirculationParams::default();
    let text = serde_json::to_string(&p).unwrap();
    let back: CirculationParams = serde_json::from_str(&text).unwrap();
    assert_eq!(p, back);
    let partial: CirculationParams = serde_json::from_str(r#"{"heart_rate_hz": 1.25}"#).unwrap();
    assert_eq!(partial.period_s(), 0.8);
    assert_eq!(partial.lv, p.lv);
    assert!(serde_json::from_str::<CirculationParams>(r#"{"heart_rate": 1.0}"#).is_err());
}

#[test]
fn bad_parameters_are_reported() {
    let mut p = CirculationParams::default();
    p.systemic.c_ar = 0.0;
    let err = run_to_limit_cycle(
        &p,
        &CirculationState::default(),
        &LimitCycleOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, CirculationError::InvalidParameter { name, .. } if name == "systemic.c_ar"),
        "{err}"
    );

    // 120 bpm: a 0.5 s period, shorter than the LV's 0.34 + 0.17 s of activation.
    let p = CirculationParams::default().with_heart_rate_bpm(120.0);
    let err = run_to_limit_cycle(
        &p,
        &CirculationState::default(),
        &LimitCycleOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            CirculationError::ActivationTooLong { chamber: "lv", .. }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("lower the heart rate"), "{err}");
}

#[test]
fn non_finite_state_names_the_variable() {
    let init = CirculationState {
        p_ven_pul: f64::NAN,
        ..CirculationState::default()
    };
    let err = run_to_limit_cycle(
        &CirculationParams::default(),
        &init,
        &LimitCycleOptions::default(),
    )
    .unwrap_err();
    match &err {
        CirculationError::NonFinite { beat, variable, .. } => {
            assert_eq!(*beat, 1);
            assert_eq!(*variable, "p_ven_pul");
        }
        other => panic!("expected NonFinite, got {other}"),
    }
}

#[test]
fn step_size_underflow_is_an_error_not_a_panic() {
    let opts = LimitCycleOptions {
        tolerances: Tolerances {
            h_min: 0.05,
            h_max: 0.05,
            ..LimitCycleOptions::default().tolerances
        },
        ..LimitCycleOptions::default()
    };
    let err = run_to_limit_cycle(
        &CirculationParams::default(),
        &CirculationState::default(),
        &opts,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            CirculationError::Integrator {
                source: OdeError::StepUnderflow { .. },
                ..
            }
        ),
        "{err}"
    );
}

/// The integrator alone: a harmonic oscillator over ten periods, against the exact solution, at two
/// tolerances; the error follows the tolerance.
#[test]
fn dormand_prince_meets_its_tolerance_on_an_oscillator() {
    let omega = 2.0 * std::f64::consts::PI;
    let f = |_t: f64, y: &[f64; 2]| [y[1], -omega * omega * y[0]];
    for rtol in [1e-6, 1e-10] {
        let tol = Tolerances {
            rtol,
            atol: rtol,
            h_max: 1.0,
            ..Tolerances::default()
        };
        let mut max_interp_err: f64 = 0.0;
        let (y, _, stats) = ode::integrate(f, 0.0, 10.0, [1.0, 0.0], 1e-3, &tol, |step| {
            let tm = 0.5 * (step.t0 + step.t1);
            let ym = ode::hermite(&step, tm);
            max_interp_err = max_interp_err.max((ym[0] - (omega * tm).cos()).abs());
        })
        .unwrap();
        let err = (y[0] - 1.0).abs().max(y[1].abs() / omega);
        println!(
            "rtol {rtol:e}: end error {err:.2e}, Hermite midpoint error {max_interp_err:.2e}, {stats:?}"
        );
        assert!(err < 200.0 * rtol, "end error {err} at rtol {rtol}");
        assert!(max_interp_err < 1e3 * rtol.powf(0.8));
    }
}

/// `cardiotwin verify circulation-0d --json` prints the summary with the keys the issue names.
#[test]
fn cli_prints_the_summary_json() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cardiotwin"))
        .args(["verify", "circulation-0d", "--json", "--heart-rate", "60"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "lv_edv_ml",
        "lv_esv_ml",
        "lv_sv_ml",
        "lv_ef",
        "lv_peak_pressure_mmhg",
        "aortic_systolic_mmhg",
        "aortic_diastolic_mmhg",
        "cardiac_output_l_min",
        "beats_to_converge",
        "rv_edv_ml",
        "rv_esv_ml",
        "rv_sv_ml",
        "rv_ef",
        "rv_peak_pressure_mmhg",
    ] {
        assert!(v[key].is_number(), "{key} missing in {v}");
    }
    // The last beat as CSV.
    let csv = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("circulation_0d_trace.csv");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cardiotwin"))
        .args(["verify", "circulation-0d", "--trace"])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 1001);
    assert!(lines[0].starts_with("t_s,v_la,v_lv,"));
    assert!(lines.iter().all(|l| l.split(',').count() == 21));
    // Too few beats: a clear failure, not a panic.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cardiotwin"))
        .args(["verify", "circulation-0d", "--beats", "3"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("raise --beats"), "{err}");
}
