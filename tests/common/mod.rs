//! Shared test helpers: running the binary, getting a GPU (or a loud skip), and the f32-aware comparison
//! of GPU results with the f64 CPU reference.
#![allow(dead_code)]

pub mod display;
pub mod fuzz;
pub mod mechanics;

use std::process::{Command, Output};

use cardiotwin::geometry::RestGeometry;
use cardiotwin::geometry::cpu::edge_matrix;
use cardiotwin::gpu::GpuContext;
use cardiotwin::mesh::TetMesh;

/// Runs the `cardiotwin` binary with `args`, the backend and log variables of the caller's environment
/// removed and `env` set.
pub fn cardiotwin(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cardiotwin"));
    cmd.args(args)
        .env_remove("CARDIOTWIN_BACKEND")
        .env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("cardiotwin runs")
}

/// Exit status, stdout and stderr of a run, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The number at `key` of a verification JSON; panics, naming the key and the JSON, when there is none.
pub fn num(v: &serde_json::Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

/// A device on whatever adapter exists (lavapipe on CI). Without one: a loud skip notice and `None`, or a
/// failure when `CARDIOTWIN_REQUIRE_GPU=1` (as in `.ci/run`).
pub fn gpu(test: &str) -> Option<GpuContext> {
    match GpuContext::headless(std::env::var("CARDIOTWIN_ADAPTER").ok().as_deref()) {
        Ok(ctx) => {
            eprintln!("[{test}] GPU adapter: {}", ctx.report.describe());
            Some(ctx)
        }
        Err(e) => {
            if std::env::var("CARDIOTWIN_REQUIRE_GPU").as_deref() == Ok("1") {
                panic!("[{test}] CARDIOTWIN_REQUIRE_GPU=1 but no GPU device: {e}");
            }
            eprintln!();
            eprintln!(
                "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
            );
            eprintln!("!!! SKIPPED GPU TEST {test}: {e}");
            eprintln!("!!! set CARDIOTWIN_REQUIRE_GPU=1 to make this a failure");
            eprintln!(
                "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
            );
            None
        }
    }
}

/// How far an f32 GPU result may be from the f64 reference for one tetrahedron, relative to the scale of
/// each quantity.
///
/// The GPU gets coordinates rounded to f32 relative to the mesh centre: each edge vector carries an error
/// of about eps * |x| (|x| the largest corner distance from the centre), i.e. a relative error of
/// eps * |x| / e_min on Dm. Inverting a matrix amplifies a relative perturbation by at most its condition
/// number kappa; the kernel's own arithmetic adds a few eps * kappa. Hence
/// `tol = C * eps * kappa * (1 + |x| / e_min)` with a safety factor C = 16 for the handful of operations.
pub fn tolerance(p: &[[f64; 3]; 4], origin: [f64; 3]) -> f64 {
    let dm = edge_matrix(p);
    let kappa = frobenius(dm) * frobenius(dm.inverse());
    let reach = p
        .iter()
        .map(|x| {
            ((x[0] - origin[0]).powi(2) + (x[1] - origin[1]).powi(2) + (x[2] - origin[2]).powi(2))
                .sqrt()
        })
        .fold(0.0, f64::max);
    let mut e_min = f64::INFINITY;
    for i in 0..4 {
        for j in i + 1..4 {
            let d = (0..3)
                .map(|k| (p[i][k] - p[j][k]).powi(2))
                .sum::<f64>()
                .sqrt();
            e_min = e_min.min(d);
        }
    }
    16.0 * f32::EPSILON as f64 * kappa * (1.0 + reach / e_min)
}

fn frobenius(m: glam::DMat3) -> f64 {
    m.to_cols_array().iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// Relative deviation of one tet's GPU result from the reference: Dm^-1 entries against their row norm,
/// volume and quality against themselves.
pub fn deviation(gpu: &RestGeometry, cpu: &RestGeometry) -> f64 {
    let mut worst: f64 = 0.0;
    for r in 0..3 {
        let scale = cpu.dm_inv[r].iter().map(|v| v * v).sum::<f64>().sqrt();
        for c in 0..3 {
            worst = worst.max((gpu.dm_inv[r][c] - cpu.dm_inv[r][c]).abs() / scale);
        }
    }
    worst = worst.max((gpu.volume - cpu.volume).abs() / cpu.volume.abs());
    worst.max((gpu.quality - cpu.quality).abs() / cpu.quality)
}

/// Compares every tetrahedron; panics naming the first that is out of tolerance. Returns the largest
/// deviation and the largest deviation/tolerance ratio.
pub fn assert_matches_reference(
    mesh: &TetMesh,
    gpu: &[RestGeometry],
    cpu: &[RestGeometry],
) -> (f64, f64) {
    assert_eq!(gpu.len(), mesh.tet_count());
    assert_eq!(cpu.len(), mesh.tet_count());
    let origin = mesh.bbox().centre();
    let (mut worst, mut worst_ratio) = (0.0f64, 0.0f64);
    for t in 0..mesh.tet_count() {
        let d = deviation(&gpu[t], &cpu[t]);
        let tol = tolerance(&mesh.tet_points(t), origin);
        assert!(
            d.is_finite() && d <= tol,
            "tet {t}: GPU {:?} vs CPU {:?}: deviation {d:.3e} > tolerance {tol:.3e}",
            gpu[t],
            cpu[t]
        );
        worst = worst.max(d);
        worst_ratio = worst_ratio.max(d / tol);
    }
    (worst, worst_ratio)
}

/// The inverted tetrahedron an instability message names, and its nodes as the message lists them:
/// `... tetrahedron T (region R, nodes [a, b, c, d]) inverted ...`.
pub fn inverted_element(err: &str) -> (usize, Vec<u32>) {
    let after = |key: &str| {
        err.split(key)
            .nth(1)
            .unwrap_or_else(|| panic!("no {key:?} in: {err}"))
    };
    let tet = after("tetrahedron ")
        .split(' ')
        .next()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no tetrahedron index in: {err}"));
    let nodes = after("nodes [")
        .split(']')
        .next()
        .unwrap_or_default()
        .split(", ")
        .map(|n| n.parse().unwrap_or_else(|_| panic!("node {n:?} in: {err}")))
        .collect();
    (tet, nodes)
}
