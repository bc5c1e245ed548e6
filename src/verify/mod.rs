//! Verification problems with known answers, behind `cardiotwin verify CASE`: the analytic mechanics
//! checks of `../shared/benchmarks/ANALYTIC.md` and the Land et al. 2015 benchmark
//! (`../shared/benchmarks/LAND2015.md`), and the elastodynamics benchmark of Aróstica et al. 2025
//! (`../shared/benchmarks/ELASTODYNAMICS.md`). Each case builds its mesh in code (benchmark 2 reads the
//! compiled-in biventricle), solves, and returns a JSON
//! object with its quantities of interest, the reference values and how they were judged, the mesh size,
//! time stepping and wall time; [`write_outputs`] stores it with the deformed mesh.

pub mod elastodynamics;
pub mod ep;
pub mod mechanics;

use std::path::Path;

use glam::DVec3;
use serde::Serialize;

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::mechanics::quadratic::QuadraticVolumetric;
use crate::mechanics::tled::Volumetric;
use crate::mesh::{Field, TetMesh};

/// The cases `cardiotwin verify` knows besides `circulation-0d`.
pub const CASES: [&str; 12] = [
    "uniaxial-nh",
    "lame-sphere",
    "land-beam",
    "land-lv-passive",
    "land-lv-active",
    "elasto-b1-step0a",
    "elasto-b1-step0b",
    "elasto-b1-step1",
    "elasto-b1-step2a",
    "elasto-b1-step2b",
    "elasto-b1-step2c",
    "elasto-b2",
];

/// How a case is run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VerifyOptions {
    /// Mesh refinement factor: element sizes are the case's default divided by this (> 0).
    pub refine: f64,
    /// Land problem 2 and 3: base in-plane sliding instead of fixed.
    pub sliding_base: bool,
    /// Land problem 3: the active stress as a Cauchy stress along the deformed fibre instead of PK2.
    pub cauchy_active: bool,
    /// The volumetric treatment (nodal averaging by default; `Element` shows the locking it avoids).
    pub volumetric: Volumetric,
    /// Elastodynamics cases: stop at this time (ms) instead of the benchmark's 1000 ms, for quick checks
    /// (`qoi.csv` then has one sample at the end if it is under 10 ms).
    pub end_time_ms: Option<f64>,
    /// The Land cases: the element (linear, the product's; or quadratic, on the CPU, to separate the
    /// linear element's bending error from the physics).
    pub element: Element,
    /// Quadratic tetrahedra: where the volumetric term is evaluated (`None`: the default,
    /// [`QuadraticVolumetric::GaussPoint`]; refused with linear tetrahedra).
    pub tet10_volumetric: Option<QuadraticVolumetric>,
}

/// The finite element of a quasi-static case. Serialised as `"tet4"` or `"tet10"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Element {
    /// Linear tetrahedra (TLED, either backend), with the chosen [`Volumetric`] treatment.
    #[default]
    Tet4,
    /// Quadratic tetrahedra with mean dilatation ([`crate::mechanics::quadratic`]), CPU only.
    Tet10,
}

/// The cases that run on quadratic tetrahedra (`--element tet10`).
pub const TET10_CASES: [&str; 3] = ["land-beam", "land-lv-passive", "land-lv-active"];

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            refine: 1.0,
            sliding_base: false,
            cauchy_active: false,
            volumetric: Volumetric::NodalAverage,
            end_time_ms: None,
            element: Element::Tet4,
            tet10_volumetric: None,
        }
    }
}

/// Mesh size of a run, for every JSON.
#[derive(Debug, Clone, Serialize)]
pub struct MeshSize {
    pub nodes: usize,
    pub tets: usize,
    /// The target element size, mm.
    pub element_size_mm: f64,
}

impl MeshSize {
    pub fn of(mesh: &TetMesh, h: f64) -> Self {
        MeshSize {
            nodes: mesh.node_count(),
            tets: mesh.tet_count(),
            element_size_mm: h,
        }
    }
}

/// A finished case: its JSON, the deformed mesh (displacement as a point field) and, for the
/// elastodynamics cases, the time series `qoi.csv`.
pub struct Outcome {
    pub json: serde_json::Value,
    pub deformed: Option<TetMesh>,
    pub csv: Option<String>,
}

/// Runs `case` on `backend`: the elastodynamics cases by explicit steps, the quasi-static ones by dynamic
/// relaxation ([`crate::mechanics::relax`] on the CPU, [`crate::mechanics::gpu::relax`] on the GPU, which
/// stops at a looser tolerance: the floor of its f32 state).
pub fn run(case: &str, options: VerifyOptions, backend: &Backend) -> Result<Outcome> {
    if !(options.refine.is_finite() && options.refine > 0.0) {
        return Err(Error::Invalid(format!(
            "--refine {} must be a number > 0",
            options.refine
        )));
    }
    if let Some(t) = options.end_time_ms
        && !(t.is_finite() && t > 0.0)
    {
        return Err(Error::Invalid(format!(
            "--end-time-ms {t} must be a number > 0"
        )));
    }
    if options.element == Element::Tet10 {
        if !TET10_CASES.contains(&case) {
            return Err(Error::Invalid(format!(
                "--element tet10 is implemented for {}, not {case}",
                TET10_CASES.join(", ")
            )));
        }
        if !matches!(backend, Backend::Cpu) {
            return Err(Error::Invalid(
                "--element tet10 runs on the CPU backend only: use --backend cpu".into(),
            ));
        }
        if options.volumetric != Volumetric::NodalAverage {
            return Err(Error::Invalid(
                "--volumetric chooses the treatment of linear tetrahedra; for tet10 use \
                 --tet10-volumetric gauss-point|mean-dilatation"
                    .into(),
            ));
        }
    } else if options.tet10_volumetric.is_some() {
        return Err(Error::Invalid(
            "--tet10-volumetric applies to --element tet10 only".into(),
        ));
    }
    match case {
        "uniaxial-nh" => mechanics::uniaxial_nh(options, backend),
        "lame-sphere" => mechanics::lame_sphere(options, backend),
        "land-beam" => mechanics::land_beam(options, backend),
        "land-lv-passive" => mechanics::land_lv(options, false, backend),
        "land-lv-active" => mechanics::land_lv(options, true, backend),
        "elasto-b1-step0a" => {
            elastodynamics::benchmark1(elastodynamics::Step::S0a, options, backend)
        }
        "elasto-b1-step0b" => {
            elastodynamics::benchmark1(elastodynamics::Step::S0b, options, backend)
        }
        "elasto-b1-step1" => elastodynamics::benchmark1(elastodynamics::Step::S1, options, backend),
        "elasto-b1-step2a" => {
            elastodynamics::benchmark1(elastodynamics::Step::S2a, options, backend)
        }
        "elasto-b1-step2b" => {
            elastodynamics::benchmark1(elastodynamics::Step::S2b, options, backend)
        }
        "elasto-b1-step2c" => {
            elastodynamics::benchmark1(elastodynamics::Step::S2c, options, backend)
        }
        "elasto-b2" => elastodynamics::benchmark2(options, backend),
        other => Err(Error::Invalid(format!(
            "unknown verification case {other:?}; known: circulation-0d, {}",
            CASES.join(", ")
        ))),
    }
}

/// The backend's name, arithmetic and adapter, for the `solve` section of every JSON.
fn backend_fields(backend: &Backend) -> (&'static str, &'static str, Option<String>) {
    match backend {
        Backend::Cpu => ("cpu", "f64", None),
        Backend::Gpu(ctx) => ("gpu", "f32", Some(ctx.report.describe())),
    }
}

/// The mesh with the displacement x - X as a point field `displacement` (mm).
pub fn with_displacement(mesh: &TetMesh, x: &[DVec3]) -> Result<TetMesh> {
    let mut out = mesh.clone();
    let data = x
        .iter()
        .zip(mesh.nodes())
        .flat_map(|(p, q)| (*p - DVec3::from_array(*q)).to_array())
        .collect();
    out.add_point_field(Field::new("displacement", 3, data))?;
    Ok(out)
}

/// Writes `DIR/CASE.json`, `DIR/CASE.vtu` and, for the elastodynamics cases, `DIR/qoi.csv`; returns the
/// paths written.
pub fn write_outputs(dir: &Path, case: &str, outcome: &Outcome) -> Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
    let json_path = dir.join(format!("{case}.json"));
    let text = serde_json::to_string_pretty(&outcome.json)
        .map_err(|e| Error::Invalid(format!("serialising the result: {e}")))?;
    std::fs::write(&json_path, text + "\n")
        .map_err(|e| Error::io(json_path.display().to_string(), e))?;
    let mut written = vec![json_path];
    if let Some(csv) = &outcome.csv {
        let path = dir.join("qoi.csv");
        std::fs::write(&path, csv).map_err(|e| Error::io(path.display().to_string(), e))?;
        written.push(path);
    }
    if let Some(mesh) = &outcome.deformed {
        let path = dir.join(format!("{case}.vtu"));
        written.extend(
            crate::mesh::io::write(&path, mesh)
                .map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?,
        );
    }
    Ok(written)
}
