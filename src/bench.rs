//! Timing of the explicit mechanics step ([`crate::mechanics::tled::step`] on the CPU,
//! [`crate::mechanics::gpu::GpuTled::run`] on the GPU): the workloads, the runner behind
//! `cardiotwin bench`, and the traffic count that turns a step rate into an effective bandwidth.
//!
//! ## Workloads
//! - [`Workload::Heart`], "the whole step": Holzapfel-Ogden with its defaults (St91 penalty, kappa = 1000
//!   kPa), averaged nodal pressure ([`Volumetric::NodalAverage`]), density 1 mg/mm^3; fibres from the
//!   Aróstica analytic rule on the generated `arostica-lv*` meshes ([`arostica_frames`]), else the axis
//!   frame (the cost of a step does not depend on the fibre directions); follower pressure of 1 kPa on every
//!   boundary surface whose name contains "endo" or "cavity" (none when there is no such surface); the
//!   surface named "base", if any, clamped; damping 1/ms; dt = 0.5 x the model's stable estimate.
//! - [`Workload::PeerNh`], a standard comparison workload: compressible neo-Hookean
//!   psi = mu/2 (I1 - 3) - mu ln J + lambda/2 (ln J)^2 with E = 10 kPa, nu = 0.45 (per-element volumetric
//!   term, [`Volumetric::Element`]), density 1 mg/mm^3, gravity (0, 0, -9.81e-3) mm/ms^2, mass-proportional
//!   damping 1/ms, every node with z > max_z - 0.1 mm fixed, dt = 0.4 min over tets of
//!   (3 V / largest face area) / sqrt((lambda + 2 mu) / rho), from rest.
//!
//! Units: mm, mg, ms (kPa, mN). The CPU backend times the fused step in f32 by default
//! ([`CpuStep`]: also the fused step in f64, or the f64 reference [`tled::step`]); the GPU backend is f32.
//!
//! ## What is timed
//! Model and upload are not timed. [`run`] first takes `warmup_steps` steps (on the GPU this compiles the
//! pipelines), then times `steps` steps: on the CPU the loop of step calls ([`CpuStep`]); on
//! the GPU one [`GpuTled::run`] (all steps recorded in one submission, then the 16-byte status word read
//! back, which waits for the GPU to finish).
//!
//! ## Bytes per tet-step ([`GpuTraffic`])
//! The logical traffic of the GPU step: every load and store the kernels issue, counted once per access
//! (no cache reuse assumed, so a gathered node position counts every time it is gathered), f32 layouts as
//! on the GPU. Uniforms, the material table (a few entries, always cache-resident), the status word and the
//! writes of constrained nodes are not counted. Per tetrahedron (`mat3x3<f32>` takes 48 bytes):
//!
//! | pass | reads | writes | bytes |
//! |---|---|---|---|
//! | V0 P (`element_pass`) | tets 16, tet data 64, material index 4, frame 48, tension 4, 4 positions 64, (nodal: 4 J_n 16) | V0 P 48 | 248 (+16) |
//! | V0 J (`tet_jacobian`, nodal only) | tets 16, tet data 64, 4 positions 64 | V0 J 4 | 148 |
//! | J_n (`node_jacobian`, nodal only) | per (tet, corner) entry: entry 8, V0 J 4 | | 48 |
//! | node pass, gathers | per entry: entry 8, V0 P 48, gradient 16 | | 288 |
//!
//! Per node: node pass 136 (offset 4, node data 64, x 16, x_prev 16, face offset 4; writes x_next 16,
//! forces 16), plus 12 when nodal (offset 4, 1/volume 4, J_n written 4). Per pressure triangle: face pass 80
//! (triangle 16, 3 positions 48, force written 16) and its 3 gathers in the node pass 60. Bytes per
//! tet-step = per tet + per node x nodes / tets + per triangle x triangles / tets; 790-810 for the heart
//! workload and 565-571 for peer-nh on the meshes of BENCHMARKS.md. The CPU backend moves more (f64, 3x3
//! matrices unpadded, F kept between passes); its effective bandwidth uses the same count, so that the two
//! rates compare as rates of the same work.

use std::time::Instant;

use glam::DVec3;
use serde::{Deserialize, Serialize};

use crate::anatomy::arostica_ellipsoid::ArosticaEllipsoid;
use crate::anatomy::land_ellipsoid::LandEllipsoid;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::gpu::GpuContext;
use crate::mechanics::gpu::GpuTled;
use crate::mechanics::tled::{self, Scratch, SimError, Stepping, TledModel, TledState, Volumetric};
use crate::mechanics::{
    Constraints, FibreFrame, HolzapfelOgden, Loads, Material, NeoHookean, PressureLoad,
};
use crate::mechanics::{FusedTled, Real};
use crate::mesh::TetMesh;

/// The node order a bench steps a mesh in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum NodeOrder {
    /// Renumbered in space ([`crate::mesh::renumber::spatially_ordered`]), as `cardiotwin run` numbers a
    /// scenario's mesh.
    #[default]
    Morton,
    /// The mesh file's own order (to measure what the renumbering gains).
    File,
}

/// The mesh a bench steps: `mesh` reduced to the nodes its tetrahedra use (the Rodero four-chamber heart
/// has some that none uses, on its valve caps: a mechanics model would give them no mass), with the
/// surface triangles that bound them, and numbered in `order`.
pub fn stepped_mesh(mesh: &TetMesh, order: NodeOrder) -> Result<TetMesh> {
    let compacted = crate::mesh::extract::without_unused_nodes(mesh)?;
    if let Some(c) = &compacted {
        log::info!(
            "{} nodes used by no tetrahedron dropped",
            mesh.node_count() - c.node_count()
        );
    }
    let mesh = compacted.as_ref().unwrap_or(mesh);
    Ok(match order {
        NodeOrder::Morton => crate::mesh::renumber::spatially_ordered(mesh).0,
        NodeOrder::File => mesh.clone(),
    })
}

/// Which problem is stepped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
    /// The whole step of a heart simulation: Holzapfel-Ogden, nodal pressure, endocardial pressure.
    #[default]
    Heart,
    /// The compressible neo-Hookean comparison workload (module docs).
    PeerNh,
}

impl Workload {
    pub fn name(self) -> &'static str {
        match self {
            Workload::Heart => "heart",
            Workload::PeerNh => "peer-nh",
        }
    }
}

/// Built-in generated meshes of the benchmarks: (name, default element size in mm, description).
pub const BUILTIN_MESHES: [(&str, f64, &str); 3] = [
    (
        "arostica-lv",
        5.0,
        "Aróstica 2025 ellipsoid LV, 5 mm (11,628 tets)",
    ),
    (
        "arostica-lv-100k",
        2.4,
        "Aróstica 2025 ellipsoid LV, 2.4 mm (about 100k tets)",
    ),
    ("land-lv", 1.0, "Land 2015 truncated-ellipsoid LV, 1 mm"),
];

/// The built-in benchmark mesh `name`, with elements of `element_size` mm instead of its default; `None`
/// when `name` is not one of [`BUILTIN_MESHES`].
pub fn builtin_mesh(name: &str, element_size: Option<f64>) -> Option<Result<TetMesh>> {
    let &(_, default, _) = BUILTIN_MESHES.iter().find(|(n, _, _)| *n == name)?;
    let h = element_size.unwrap_or(default);
    if !(h.is_finite() && h > 0.0) {
        return Some(Err(Error::Invalid(format!(
            "element size {h} mm must be finite and > 0"
        ))));
    }
    Some(if name.starts_with("arostica-lv") {
        ArosticaEllipsoid::with_element_size(h)
            .build()
            .map_err(Error::from)
    } else {
        LandEllipsoid::with_element_size(h)
            .build()
            .map_err(Error::from)
    })
}

/// A workload ready to step: model, initial state, loads, constraints and time step.
pub struct BenchProblem {
    pub workload: Workload,
    /// The mesh's name or path, for the report.
    pub mesh: String,
    /// The order its nodes are stepped in.
    pub node_order: NodeOrder,
    pub model: TledModel,
    pub state: TledState,
    pub loads: Loads,
    pub constraints: Constraints,
    pub stepping: Stepping,
}

impl BenchProblem {
    /// `workload` on [`stepped_mesh`]`(mesh, order)` (named `name`); the Aróstica fibres when `name`
    /// starts with `arostica-lv`.
    pub fn new(workload: Workload, mesh: &TetMesh, name: &str, order: NodeOrder) -> Result<Self> {
        let mesh = &stepped_mesh(mesh, order)?;
        let problem = match workload {
            Workload::PeerNh => peer_nh(mesh, name),
            Workload::Heart => {
                let frames = name
                    .starts_with("arostica-lv")
                    .then(|| arostica_frames(mesh));
                heart(mesh, name, frames)
            }
        }?;
        Ok(BenchProblem {
            node_order: order,
            ..problem
        })
    }

    /// Triangles under follower pressure.
    pub fn pressure_triangles(&self) -> usize {
        self.loads.pressures.iter().map(|p| p.faces.len()).sum()
    }

    /// The GPU traffic of one step of this problem.
    pub fn traffic(&self) -> GpuTraffic {
        GpuTraffic::of(
            self.model.volumetric == Volumetric::NodalAverage,
            self.model.viscosity.is_some(),
        )
    }

    /// [`GpuTraffic::bytes_per_tet_step`] for this problem's counts.
    pub fn bytes_per_tet_step(&self) -> f64 {
        self.traffic().bytes_per_tet_step(
            self.model.tets.len(),
            self.model.node_count(),
            self.pressure_triangles(),
        )
    }
}

/// The peer-nh workload on `mesh`, numbered as given (module docs).
pub fn peer_nh(mesh: &TetMesh, name: &str) -> Result<BenchProblem> {
    let (e, nu, rho) = (10.0, 0.45, 1.0);
    let mu = e / (2.0 * (1.0 + nu));
    let lambda = e * nu / ((1.0 + nu) * (1.0 - 2.0 * nu));
    let model = TledModel::new(
        mesh,
        Material::NeoHookean(NeoHookean { mu, lambda }),
        rho,
        None,
    )?
    .with_volumetric(Volumetric::Element);
    let top = mesh.bbox().max[2] - 0.1;
    let mut constraints = Constraints::default();
    for (n, p) in mesh.nodes().iter().enumerate() {
        if p[2] > top {
            for (axis, &value) in p.iter().enumerate() {
                constraints.fixed.push((n as u32, axis, value));
            }
        }
    }
    let dt = 0.4 * tled::stable_time_step(mesh, lambda + 2.0 * mu, rho);
    Ok(BenchProblem {
        workload: Workload::PeerNh,
        mesh: name.to_string(),
        node_order: NodeOrder::File,
        state: TledState::at_rest(mesh),
        model,
        loads: Loads {
            gravity: DVec3::new(0.0, 0.0, -9.81e-3),
            ..Loads::default()
        },
        constraints,
        stepping: Stepping { dt, damping: 1.0 },
    })
}

/// The heart workload on `mesh`, numbered as given, with fibre `frames` (`None`: the axis frame); module
/// docs.
pub fn heart(mesh: &TetMesh, name: &str, frames: Option<Vec<FibreFrame>>) -> Result<BenchProblem> {
    let model = TledModel::new(
        mesh,
        Material::HolzapfelOgden(HolzapfelOgden::default()),
        1.0,
        frames,
    )?
    .with_volumetric(Volumetric::NodalAverage);
    let tags_named = |pred: &dyn Fn(&str) -> bool| -> Vec<i32> {
        mesh.surface_names
            .iter()
            .filter(|(_, n)| pred(&n.to_ascii_lowercase()))
            .map(|(t, _)| *t)
            .collect()
    };
    let endo = tags_named(&|n| n.contains("endo") || n.contains("cavity"));
    let base = tags_named(&|n| n == "base");
    let mut loads = Loads::default();
    if !endo.is_empty() {
        loads
            .pressures
            .push(PressureLoad::on_surfaces(mesh, &endo, 1.0)?);
    }
    let mut constraints = Constraints::default();
    if !base.is_empty() {
        constraints.clamp_surfaces(mesh, &base)?;
    }
    let dt = 0.5 * model.stable_time_step();
    Ok(BenchProblem {
        workload: Workload::Heart,
        mesh: name.to_string(),
        node_order: NodeOrder::File,
        state: TledState::at_rest(mesh),
        model,
        loads,
        constraints,
        stepping: Stepping { dt, damping: 1.0 },
    })
}

/// The Aróstica et al. 2025 analytic fibres ([`crate::anatomy::fibres::arostica_ellipsoid`]) on a
/// generated `arostica-lv` mesh, with the transmural coordinate of each node taken from the
/// family of ellipsoids rs = 25 + 10 t, rl = 90 + 7 t through it (bisection) instead of a Laplace solve:
/// exact on the ellipsoidal surfaces, close enough in the wall for timing.
pub fn arostica_frames(mesh: &TetMesh) -> Vec<FibreFrame> {
    let transmural: Vec<f64> = mesh
        .nodes()
        .iter()
        .map(|p| {
            let g = |t: f64| {
                let (rs, rl) = (25.0 + 10.0 * t, 90.0 + 7.0 * t);
                (p[0] / rl).powi(2) + (p[1] * p[1] + p[2] * p[2]) / (rs * rs) - 1.0
            };
            let (mut lo, mut hi) = (0.0, 1.0);
            if g(lo) <= 0.0 {
                return 0.0;
            }
            if g(hi) >= 0.0 {
                return 1.0;
            }
            for _ in 0..40 {
                let mid = 0.5 * (lo + hi);
                if g(mid) > 0.0 {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            0.5 * (lo + hi)
        })
        .collect();
    FibreFrame::from_field(&crate::anatomy::fibres::arostica_ellipsoid(
        mesh,
        &transmural,
    ))
}

/// The logical GPU traffic of one step, bytes (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GpuTraffic {
    pub per_tet: u64,
    pub per_node: u64,
    pub per_pressure_triangle: u64,
}

impl GpuTraffic {
    /// The counts for a step with the nodal pressure average (`nodal`) and Kelvin-Voigt viscosity
    /// (`viscous`: the element pass gathers the previous positions too, 64 bytes).
    pub fn of(nodal: bool, viscous: bool) -> Self {
        let element = 16 + 64 + 4 + 48 + 4 + 64 + 48 + if nodal { 16 } else { 0 };
        let viscous = if viscous { 64 } else { 0 };
        let volume = if nodal { 148 + 48 } else { 0 };
        let gathers = 4 * (8 + 48 + 16);
        GpuTraffic {
            per_tet: element + viscous + volume + gathers,
            per_node: 136 + if nodal { 12 } else { 0 },
            per_pressure_triangle: 80 + 3 * (4 + 16),
        }
    }

    /// Bytes per tet-step of a mesh with these counts.
    pub fn bytes_per_tet_step(&self, tets: usize, nodes: usize, triangles: usize) -> f64 {
        let tets = tets.max(1) as f64;
        self.per_tet as f64
            + self.per_node as f64 * nodes as f64 / tets
            + self.per_pressure_triangle as f64 * triangles as f64 / tets
    }
}

/// Which CPU step is timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum CpuStep {
    /// The fused step in f32 ([`FusedTled<f32>`]): the fast CPU backend.
    #[default]
    FusedF32,
    /// The fused step in f64 ([`FusedTled<f64>`]).
    FusedF64,
    /// The reference step ([`tled::step`], f64, five passes).
    Reference,
}

impl CpuStep {
    /// "f32" or "f64".
    pub fn precision(self) -> &'static str {
        match self {
            CpuStep::FusedF32 => "f32",
            CpuStep::FusedF64 | CpuStep::Reference => "f64",
        }
    }

    /// "fused" or "reference".
    pub fn path(self) -> &'static str {
        match self {
            CpuStep::FusedF32 | CpuStep::FusedF64 => "fused",
            CpuStep::Reference => "reference",
        }
    }
}

/// Steps to time and to take before timing, and the CPU step to time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchOptions {
    pub steps: u32,
    pub warmup_steps: u32,
    pub cpu: CpuStep,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            steps: 100,
            warmup_steps: 10,
            cpu: CpuStep::default(),
        }
    }
}

/// One timing, as `cardiotwin bench --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    /// `heart` or `peer-nh`.
    pub workload: Workload,
    /// The mesh's name or path.
    pub mesh: String,
    /// `morton` (renumbered in space, as `run` does) or `file` (the file's order).
    pub node_order: NodeOrder,
    /// `cpu` (rayon) or `gpu` (wgpu).
    pub backend: String,
    /// `f32` or `f64`: what the step computes and stores in.
    pub precision: String,
    /// `fused` or `reference` on the CPU ([`CpuStep`]); `gpu` on the GPU.
    pub step: String,
    /// Worker threads of the CPU backend (rayon's pool); null on the GPU.
    pub threads: Option<usize>,
    /// The GPU adapter (name, wgpu backend, device type, driver); null on the CPU.
    pub adapter: Option<String>,
    pub tets: usize,
    pub nodes: usize,
    /// Timed steps.
    pub steps: u32,
    /// Steps taken before timing.
    pub warmup_steps: u32,
    /// Time step, ms.
    pub dt_ms: f64,
    /// Wall time of the timed steps, s.
    pub seconds: f64,
    /// tets x steps / seconds.
    pub tet_steps_per_s: f64,
    /// Logical GPU traffic of one tet-step ([`GpuTraffic`]), bytes.
    pub bytes_per_tet_step: f64,
    /// bytes_per_tet_step x tet_steps_per_s / 1e9, GB/s.
    pub effective_bandwidth_gb_s: f64,
}

impl BenchReport {
    fn new(problem: &BenchProblem, opts: BenchOptions, adapter: Option<String>, s: f64) -> Self {
        let tets = problem.model.tets.len();
        let rate = tets as f64 * opts.steps as f64 / s;
        let bytes = problem.bytes_per_tet_step();
        let gpu = adapter.is_some();
        BenchReport {
            workload: problem.workload,
            mesh: problem.mesh.clone(),
            node_order: problem.node_order,
            backend: if gpu { "gpu" } else { "cpu" }.into(),
            precision: if gpu { "f32" } else { opts.cpu.precision() }.into(),
            step: if gpu { "gpu" } else { opts.cpu.path() }.into(),
            threads: (!gpu).then(rayon::current_num_threads),
            adapter,
            tets,
            nodes: problem.model.node_count(),
            steps: opts.steps,
            warmup_steps: opts.warmup_steps,
            dt_ms: problem.stepping.dt,
            seconds: s,
            tet_steps_per_s: rate,
            bytes_per_tet_step: bytes,
            effective_bandwidth_gb_s: bytes * rate / 1e9,
        }
    }
}

/// Times `problem` on `backend` (module docs); `problem` itself is not advanced.
pub fn run(backend: &Backend, problem: &BenchProblem, opts: BenchOptions) -> Result<BenchReport> {
    match backend {
        Backend::Cpu => run_cpu(problem, opts),
        Backend::Gpu(ctx) => run_gpu(ctx, problem, opts),
    }
}

fn check(opts: BenchOptions) -> Result<()> {
    if opts.steps == 0 {
        return Err(Error::Invalid("steps must be at least 1".into()));
    }
    Ok(())
}

/// Times the CPU step `opts.cpu` (rayon on the global pool).
pub fn run_cpu(problem: &BenchProblem, opts: BenchOptions) -> Result<BenchReport> {
    run_cpu_state(problem, opts).map(|(report, _)| report)
}

/// [`run_cpu`], also returning the state after the warm-up and timed steps (`cardiotwin bench
/// --dump-positions`: the reference the Warp comparison script checks itself against).
pub fn run_cpu_state(
    problem: &BenchProblem,
    opts: BenchOptions,
) -> Result<(BenchReport, TledState)> {
    check(opts)?;
    let (s, state) = match opts.cpu {
        CpuStep::Reference => {
            let mut state = problem.state.clone();
            let mut scratch = Scratch::default();
            let mut step = || {
                tled::step(
                    &problem.model,
                    &mut state,
                    problem.stepping,
                    &problem.loads,
                    &problem.constraints,
                    &mut scratch,
                )
            };
            (time_steps(opts, &mut step)?, state)
        }
        CpuStep::FusedF32 => run_fused::<f32>(problem, opts)?,
        CpuStep::FusedF64 => run_fused::<f64>(problem, opts)?,
    };
    Ok((BenchReport::new(problem, opts, None, s), state))
}

fn run_fused<T: Real>(problem: &BenchProblem, opts: BenchOptions) -> Result<(f64, TledState)> {
    let mut fused = FusedTled::<T>::new(
        &problem.model,
        &problem.loads,
        &problem.constraints,
        &problem.state,
    )?;
    let (stepping, loads) = (problem.stepping, &problem.loads);
    fused.run(opts.warmup_steps.into(), stepping, loads)?;
    let start = Instant::now();
    fused.run(opts.steps.into(), stepping, loads)?;
    Ok((start.elapsed().as_secs_f64(), fused.state()))
}

/// Takes `opts.warmup_steps`, then times `opts.steps` steps, s; the loop runs on a rayon worker as
/// [`FusedTled::run`]'s does, so that both CPU steps fork from inside the pool.
fn time_steps(
    opts: BenchOptions,
    step: &mut (dyn FnMut() -> std::result::Result<(), SimError> + Send),
) -> Result<f64> {
    rayon::scope(|_| {
        for _ in 0..opts.warmup_steps {
            step()?;
        }
        let start = Instant::now();
        for _ in 0..opts.steps {
            step()?;
        }
        Ok(start.elapsed().as_secs_f64())
    })
}

/// Times the GPU step (f32) on `ctx`: upload, warm-up run, then one timed run.
pub fn run_gpu(
    ctx: &GpuContext,
    problem: &BenchProblem,
    opts: BenchOptions,
) -> Result<BenchReport> {
    check(opts)?;
    let mut gpu = GpuTled::new(
        ctx,
        &problem.model,
        &problem.state,
        &problem.loads,
        &problem.constraints,
    )?;
    // At least one warm-up step: the first dispatch of each pipeline compiles it.
    gpu.run(ctx, opts.warmup_steps.max(1), problem.stepping)?;
    let start = Instant::now();
    gpu.run(ctx, opts.steps, problem.stepping)?;
    let s = start.elapsed().as_secs_f64();
    let opts = BenchOptions {
        warmup_steps: opts.warmup_steps.max(1),
        ..opts
    };
    Ok(BenchReport::new(
        problem,
        opts,
        Some(ctx.report.describe()),
        s,
    ))
}
