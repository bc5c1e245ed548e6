//! The main job of `cardiotwin run` on the built-in default.
//!
//! Until the heartbeat lands, the main job is what the project can do end to end: generate the Land 2015
//! left ventricle at a chosen element size, compute every tetrahedron's rest geometry on the chosen
//! backend (the precomputation all mechanics kernels will start from), check the mesh against the exact
//! geometry, and write `summary.json`. On the GPU backend the CPU f64 reference runs too and the largest
//! deviation is reported.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::anatomy::land_ellipsoid::LandEllipsoid;
use crate::backend::{Backend, BackendChoice, BackendReport};
use crate::error::{Error, Result};
use crate::geometry::{self, GeometryStats, RestGeometry};

/// Options of the main job.
#[derive(Debug, Clone)]
pub struct JobOptions {
    /// Target element size of the generated ventricle, mm.
    pub element_size_mm: f64,
    pub backend: BackendChoice,
    /// Adapter name filter (case-insensitive substring).
    pub adapter: Option<String>,
}

impl Default for JobOptions {
    fn default() -> Self {
        JobOptions {
            element_size_mm: 1.0,
            backend: BackendChoice::Auto,
            adapter: None,
        }
    }
}

/// What `summary.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct JobSummary {
    pub cardiotwin_version: &'static str,
    pub job: &'static str,
    pub mesh: MeshSummary,
    pub backend: BackendReport,
    pub geometry: GeometryStats,
    /// Exact wall volume of the curved ventricle, mm^3.
    pub exact_wall_volume_mm3: f64,
    /// (mesh volume - exact) / exact: the straight-edge discretisation error, negative (under-fill).
    pub wall_volume_rel_error: f64,
    /// Exact cavity volume, ml.
    pub exact_cavity_volume_ml: f64,
    /// On the GPU backend: the largest deviation from the CPU f64 reference, relative to each quantity's
    /// scale (Dm^-1 entries to the row norm, volume and quality to themselves).
    pub gpu_vs_cpu_max_rel_diff: Option<f64>,
    /// Seconds for the rest-geometry computation (upload, kernel and readback on the GPU).
    pub compute_s: f64,
    /// GPU time of the kernel alone, from timestamps, when the adapter has them.
    pub gpu_kernel_s: Option<f64>,
    /// Tetrahedra per second of `compute_s`.
    pub tets_per_s: f64,
    pub wall_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct MeshSummary {
    pub name: &'static str,
    pub element_size_mm: f64,
    pub transmural: usize,
    pub longitudinal: usize,
    pub circumferential: usize,
    pub nodes: usize,
    pub tets: usize,
}

/// Runs the job. Errors (no adapter for `--backend gpu`, a broken mesh) are returned, never panicked.
pub fn run(opts: &JobOptions) -> Result<JobSummary> {
    let start = Instant::now();
    if !(opts.element_size_mm.is_finite() && opts.element_size_mm >= 0.05) {
        return Err(Error::Invalid(format!(
            "element size {} mm: expected a number of at least 0.05 mm",
            opts.element_size_mm
        )));
    }
    let (backend, backend_report) = opts.backend.resolve(opts.adapter.as_deref())?;
    let spec = LandEllipsoid::with_element_size(opts.element_size_mm);
    let mesh = spec.build()?;
    log::info!(
        "Land 2015 ventricle: {} nodes, {} tets",
        mesh.node_count(),
        mesh.tet_count()
    );

    let t0 = Instant::now();
    let (result, gpu_kernel_s) = match &backend {
        Backend::Cpu => (geometry::cpu::rest_geometry(&mesh), None),
        Backend::Gpu(ctx) => {
            let kernel = geometry::gpu::RestGeometryKernel::new(ctx)?;
            let (g, timing) = kernel.run(ctx, &mesh)?;
            (g, timing.gpu.map(|d| d.as_secs_f64()))
        }
    };
    let compute_s = t0.elapsed().as_secs_f64();
    let gpu_vs_cpu_max_rel_diff = backend
        .is_gpu()
        .then(|| max_rel_diff(&result, &geometry::cpu::rest_geometry(&mesh)));

    let stats = GeometryStats::of(&result);
    let exact = LandEllipsoid::exact_wall_volume();
    Ok(JobSummary {
        cardiotwin_version: env!("CARGO_PKG_VERSION"),
        job: "rest-geometry of the Land 2015 left ventricle",
        mesh: MeshSummary {
            name: "land2015-ellipsoid (generated)",
            element_size_mm: opts.element_size_mm,
            transmural: spec.transmural,
            longitudinal: spec.longitudinal,
            circumferential: spec.circumferential,
            nodes: mesh.node_count(),
            tets: mesh.tet_count(),
        },
        backend: backend_report,
        wall_volume_rel_error: (stats.volume_mm3 - exact) / exact,
        geometry: stats,
        exact_wall_volume_mm3: exact,
        exact_cavity_volume_ml: LandEllipsoid::exact_cavity_volume() / 1000.0,
        gpu_vs_cpu_max_rel_diff,
        compute_s,
        gpu_kernel_s,
        tets_per_s: mesh.tet_count() as f64 / compute_s.max(1e-12),
        wall_s: start.elapsed().as_secs_f64(),
    })
}

/// The largest relative deviation between two rest-geometry sets (see [`JobSummary`]).
pub fn max_rel_diff(a: &[RestGeometry], b: &[RestGeometry]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let mut worst: f64 = 0.0;
            for r in 0..3 {
                let scale = y.dm_inv[r]
                    .iter()
                    .map(|v| v * v)
                    .sum::<f64>()
                    .sqrt()
                    .max(1e-300);
                for c in 0..3 {
                    worst = worst.max((x.dm_inv[r][c] - y.dm_inv[r][c]).abs() / scale);
                }
            }
            worst = worst.max((x.volume - y.volume).abs() / y.volume.abs().max(1e-300));
            worst.max((x.quality - y.quality).abs() / y.quality.abs().max(1e-300))
        })
        .fold(0.0, f64::max)
}

/// Writes `summary.json` into `dir` (created if missing) atomically: a finished result is never left
/// half-written. Returns the path.
pub fn write_summary(dir: &Path, summary: &JobSummary) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let path = dir.join("summary.json");
    let tmp = dir.join(".summary.json.tmp");
    let text = serde_json::to_string_pretty(summary)
        .map_err(|e| Error::Invalid(format!("serialising the summary: {e}")))?;
    std::fs::write(&tmp, text + "\n")
        .map_err(|e| Error::io(format!("writing {}", tmp.display()), e))?;
    std::fs::rename(&tmp, &path).map_err(|e| {
        Error::io(
            format!("renaming {} to {}", tmp.display(), path.display()),
            e,
        )
    })?;
    Ok(path)
}
