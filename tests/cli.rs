//! The command line as a user meets it: `gpu-info`, the main job on each backend, and clear failures
//! (non-zero exit, a message that says what to do, never a panic) when no GPU driver is reachable.

mod common;

use common::{cardiotwin, text};

/// Hides every Vulkan driver and the GL backend: what a machine without a GPU driver looks like.
const NO_DRIVER: &[(&str, &str)] = &[
    ("VK_ICD_FILENAMES", "/nonexistent"),
    ("VK_DRIVER_FILES", "/nonexistent"),
    ("WGPU_BACKEND", "vulkan"),
];

#[test]
fn without_a_driver_gpu_commands_fail_clearly() {
    for args in [
        vec!["gpu-info"],
        vec!["gpu-info", "--json"],
        vec![
            "--backend",
            "gpu",
            "geometry",
            "--out",
            "/nonexistent/never-written",
        ],
        // The heartbeat fails before it builds the heart or writes anything.
        vec![
            "--backend",
            "gpu",
            "run",
            "--out",
            "/nonexistent/never-written",
        ],
    ] {
        let o = cardiotwin(&args, NO_DRIVER);
        let all = text(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {all}");
        assert!(all.contains("no GPU adapter found"), "{args:?}: {all}");
        assert!(
            all.contains("mesa-vulkan-drivers"),
            "{args:?}: no fix named: {all}"
        );
        assert!(!all.contains("panicked"), "{args:?}: {all}");
    }
}

#[test]
fn without_a_driver_auto_runs_on_the_cpu() {
    let dir = tempdir("auto-no-driver");
    let o = cardiotwin(&["geometry", "--out", dir.to_str().unwrap()], NO_DRIVER);
    assert!(o.status.success(), "{}", text(&o));
    let s = summary(&dir);
    assert_eq!(s["backend"]["kind"], "cpu");
    assert_eq!(s["backend"]["reason"], "no GPU adapter found");
}

#[test]
fn without_a_driver_the_heartbeat_runs_on_the_cpu_and_says_why() {
    let dir = tempdir("heartbeat-auto-no-driver");
    let quick = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/heartbeat/quick.toml"
    );
    // Preload only: stopped before the first beat.
    let o = cardiotwin(
        &[
            "run",
            quick,
            "--out",
            dir.to_str().unwrap(),
            "--stop-after",
            "0",
        ],
        NO_DRIVER,
    );
    assert!(o.status.success(), "{}", text(&o));
    let s = summary(&dir);
    assert_eq!(s["status"], "running");
    assert_eq!(s["run"]["backend"], "cpu");
    assert_eq!(s["run"]["backend_reason"], "no GPU adapter found");
    assert!(s["run"]["adapter"].is_null());
}

#[test]
fn cpu_run_writes_a_checked_summary() {
    let dir = tempdir("cpu-run");
    let o = cardiotwin(
        &[
            "--backend",
            "cpu",
            "geometry",
            "--out",
            dir.to_str().unwrap(),
            "--element-size",
            "2",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let s = summary(&dir);
    assert_eq!(s["backend"]["kind"], "cpu");
    assert_eq!(s["geometry"]["inverted"], 0);
    let err = s["wall_volume_rel_error"].as_f64().unwrap();
    assert!(err < 0.0 && err > -0.02, "{err}");
    assert!(s["tets_per_s"].as_f64().unwrap() > 0.0);
    assert!(s["gpu_vs_cpu_max_rel_diff"].is_null());
}

#[test]
fn bad_arguments_are_rejected_without_panic() {
    let o = cardiotwin(
        &["geometry", "--element-size=-1"],
        &[("CARDIOTWIN_BACKEND", "cpu")],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("element size"), "{}", text(&o));
    let o = cardiotwin(&["--backend", "quantum", "gpu-info"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = cardiotwin(&["gpu-info"], &[("CARDIOTWIN_ADAPTER", "no-such-gpu")]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("no-such-gpu"), "{}", text(&o));
    for o in [
        cardiotwin(&["geometry", "--element-size", "nan"], &[]),
        cardiotwin(
            &["geometry", "--out", "/proc/forbidden"],
            &[("CARDIOTWIN_BACKEND", "cpu")],
        ),
    ] {
        assert!(!o.status.success());
        assert!(!text(&o).contains("panicked"), "{}", text(&o));
    }
}

#[test]
fn gpu_info_names_the_adapter() {
    if common::gpu("cli_gpu_info").is_none() {
        return;
    }
    let o = cardiotwin(&["gpu-info", "--json"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    let adapters = v["adapters"].as_array().unwrap();
    assert!(!adapters.is_empty());
    let chosen = v["chosen"]["gpu"].as_u64().unwrap() as usize;
    let a = &adapters[chosen];
    assert!(!a["name"].as_str().unwrap().is_empty());
    assert!(
        a["limits"]["max_storage_buffer_binding_size"]
            .as_u64()
            .unwrap()
            >= 128 << 20
    );
    // auto takes the GPU exactly when a hardware adapter exists.
    let any_hw = adapters.iter().any(|a| a["hardware"] == true);
    assert_eq!(v["chosen"]["auto"]["backend"] == "gpu", any_hw, "{v}");
}

#[test]
fn gpu_run_agrees_with_the_cpu_reference() {
    if common::gpu("cli_gpu_run").is_none() {
        return;
    }
    let dir = tempdir("gpu-run");
    let o = cardiotwin(
        &[
            "--backend",
            "gpu",
            "geometry",
            "--out",
            dir.to_str().unwrap(),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let s = summary(&dir);
    assert_eq!(s["backend"]["kind"], "gpu");
    assert!(s["backend"]["adapter"]["name"].is_string());
    let d = s["gpu_vs_cpu_max_rel_diff"].as_f64().unwrap();
    assert!(d < 1e-4, "{d}");
}

/// `verify uniaxial-nh --json` prints one JSON object with the curve, the mesh size and how it was
/// solved; bad arguments (a refinement of 0, an unknown case, quadratic tetrahedra where they do not
/// apply) fail without a panic.
#[test]
fn verify_uniaxial_prints_json() {
    let o = cardiotwin(&["verify", "uniaxial-nh", "--json"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(v["case"], "uniaxial-nh");
    assert_eq!(v["curve"].as_array().map(Vec::len), Some(5), "{v}");
    assert!(v["mesh"]["tets"].as_u64().unwrap() > 0, "{v}");
    assert_eq!(v["solve"]["backend"], "cpu");
    assert_eq!(v["solve"]["converged"], true);
    assert!(v["max_relative_error"].as_f64().unwrap() < 1e-6, "{v}");
    let o = cardiotwin(&["verify", "uniaxial-nh", "--refine", "0"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("refine"), "{}", text(&o));
    assert!(!text(&o).contains("panicked"), "{}", text(&o));
    let o = cardiotwin(&["verify", "no-such-case"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = cardiotwin(&["verify", "uniaxial-nh", "--element", "tet10"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("land-beam"), "{}", text(&o));
    let o = cardiotwin(
        &[
            "verify",
            "land-beam",
            "--tet10-volumetric",
            "mean-dilatation",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("--element tet10"), "{}", text(&o));
}

/// `bench --json` on a small built-in: every key of the report, a positive rate.
fn check_bench(backend: &str, workload: &str) {
    let o = cardiotwin(
        &[
            "--backend",
            backend,
            "bench",
            "--mesh",
            "arostica-lv",
            "--element-size",
            "10",
            "--steps",
            "5",
            "--warmup",
            "1",
            "--workload",
            workload,
            "--json",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    let keys = [
        "workload",
        "mesh",
        "node_order",
        "backend",
        "precision",
        "step",
        "threads",
        "adapter",
        "tets",
        "nodes",
        "steps",
        "warmup_steps",
        "dt_ms",
        "seconds",
        "tet_steps_per_s",
        "bytes_per_tet_step",
        "effective_bandwidth_gb_s",
    ];
    let object = v.as_object().expect("an object");
    assert_eq!(object.len(), keys.len(), "{v}");
    for key in keys {
        assert!(object.contains_key(key), "{key} missing: {v}");
    }
    assert_eq!(v["backend"], backend, "{v}");
    // The mesh is renumbered in space by default, as `run` renumbers a scenario's.
    assert_eq!(v["node_order"], "morton", "{v}");
    // The CPU backend times its fast path by default: the fused step in f32.
    let (precision, step) = if backend == "cpu" {
        ("f32", "fused")
    } else {
        ("f32", "gpu")
    };
    assert_eq!(v["precision"], precision, "{v}");
    assert_eq!(v["step"], step, "{v}");
    assert_eq!(v["workload"], workload, "{v}");
    assert_eq!(v["steps"], 5, "{v}");
    assert!(v["tets"].as_u64().unwrap() > 0, "{v}");
    assert!(v["tet_steps_per_s"].as_f64().unwrap() > 0.0, "{v}");
    assert!(v["effective_bandwidth_gb_s"].as_f64().unwrap() > 0.0, "{v}");
    assert_eq!(v["adapter"].is_string(), backend == "gpu", "{v}");
}

#[test]
fn cpu_bench_reports_a_rate() {
    check_bench("cpu", "heart");
    check_bench("cpu", "peer-nh");
}

#[test]
fn gpu_bench_reports_a_rate() {
    if common::gpu("cli_gpu_bench").is_none() {
        return;
    }
    check_bench("gpu", "heart");
    check_bench("gpu", "peer-nh");
}

#[test]
fn bench_rejects_bad_meshes_clearly() {
    for (args, expect) in [
        (
            vec!["bench", "--mesh", "/nonexistent/heart.vtu"],
            "built-in meshes",
        ),
        (
            vec!["bench", "--mesh", "land-beam", "--element-size", "1"],
            "--element-size",
        ),
        (
            vec!["bench", "--mesh", "arostica-lv", "--element-size", "nan"],
            "element size",
        ),
        (vec!["bench", "--steps", "0"], "steps"),
    ] {
        let o = cardiotwin(&args, &[("CARDIOTWIN_BACKEND", "cpu")]);
        let all = text(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {all}");
        assert!(all.contains(expect), "{args:?}: {all}");
        assert!(!all.contains("panicked"), "{args:?}: {all}");
    }
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cardiotwin-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn summary(dir: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("summary.json")).expect("summary.json written");
    serde_json::from_str(&text).expect("summary.json is JSON")
}

#[test]
fn scenario_show_prints_a_scenario_that_checks() {
    let o = cardiotwin(&["scenario", "show"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    let shown = String::from_utf8(o.stdout).unwrap();
    assert!(
        shown.contains("[contraction]") && shown.contains("rodero-lv"),
        "{shown}"
    );
    let dir = tempdir("scenario-show");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("default.toml");
    std::fs::write(&file, &shown).unwrap();
    let o = cardiotwin(&["scenario", "check", file.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("valid"), "{}", text(&o));
}

#[test]
fn a_bad_scenario_file_is_refused_naming_file_and_key() {
    let dir = tempdir("scenario-bad");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(&file, "beats = 2\n[boundary]\nbase_kpa_per_mm = -3.0\n").unwrap();
    let o = cardiotwin(
        &[
            "run",
            file.to_str().unwrap(),
            "--out",
            dir.join("out").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let all = text(&o);
    assert!(
        all.contains("bad.toml") && all.contains("`boundary.base_kpa_per_mm`"),
        "{all}"
    );
    assert!(!all.contains("panicked"), "{all}");
    assert!(
        !dir.join("out").exists(),
        "nothing written for a refused scenario"
    );
    let o = cardiotwin(
        &[
            "run",
            "--resume",
            dir.join("nothing-here").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("scenario.toml"), "{}", text(&o));
}
