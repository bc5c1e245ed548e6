//! The cardiac elastodynamics benchmark of Aróstica et al. 2025 (CMAME 435:117485), as defined in
//! `../shared/benchmarks/ELASTODYNAMICS.md`: benchmark 1 (the truncated-ellipsoid LV), steps 0A, 0B, 1,
//! 2A, 2B, 2C ([`benchmark1`]), and benchmark 2, the biventricle with separate LV and RV pressures
//! ([`benchmark2`]). One second of explicit dynamics (central differences) of the Holzapfel-Ogden wall
//! with Kelvin-Voigt viscosity, a Bestel-type active stress and endocardial pressures driven by their
//! ODEs ([`ActivationDriver`], [`PressureDriver`]), normal-only Robin springs on the epicardium and full
//! springs at the base, no Dirichlet condition. Both benchmarks share the drivers, the mass scaling and
//! the time loop.
//!
//! Units: the mechanics runs in mm, ms, mg, kPa ([`crate::mechanics`]); the drivers are integrated in
//! seconds and pascals as the benchmark states them; the outputs are in SI (`qoi.csv`: time in s,
//! displacements in m, volume in m^3).
//!
//! Conversions: 1 Pa = 1e-3 kPa; 1 Pa s = 1 kPa ms; 1 Pa/m = 1e-6 kPa/mm; 1 Pa s/m = 1e-3 kPa ms/mm; 1000
//! kg/m^3 = 1 mg/mm^3. Hence alpha_epi = 1e8 Pa/m = 100 kPa/mm, beta = 5e3 Pa s/m = 5 kPa ms/mm, alpha_base
//! = 1e5 Pa/m = 0.1 kPa/mm (benchmark 2: 1e6 Pa/m = 1 kPa/mm), eta = 100 Pa s = 100 kPa ms, kappa = 1e6
//! Pa = 1000 kPa.
//!
//! The drivers are advanced with the exact solution of their linear ODE over each step with the rates
//! frozen at the step's midpoint (exponential integrator; stable for any rate, second order in dt).
//! Benchmark 1's mesh is the generated ellipsoid ([`ArosticaEllipsoid`], same surfaces and tags as the
//! benchmark's gmsh mesh) with analytic fibres on a Laplace transmural coordinate, exactly the benchmark's
//! rule. Benchmark 2's is the benchmark's own coarse biventricle ([`arostica_biv`]), with its vertex fibres
//! averaged per tetrahedron ([`fibres::from_point_fields`]).
//!
//! Backends: the CPU's fused step in f64 ([`FusedTled`]), or the GPU step in f32 ([`GpuTled`]). The loads
//! change every step, but the drivers are functions of time alone, so each sample's steps have their
//! loads computed first; the GPU then runs the sample in one submission, the pressures and the tension
//! written on the device before each step ([`ScheduledSteps`]), and reads the positions back at the
//! sample (the same bits as a submission per step).

use std::fmt::Write as _;
use std::time::Instant;

use glam::DVec3;
use serde::Serialize;
use serde_json::json;

use super::{MeshSize, Outcome, VerifyOptions, with_displacement};
use crate::anatomy::arostica_biv;
use crate::anatomy::arostica_ellipsoid::ArosticaEllipsoid;
use crate::anatomy::coordinates::{VentricleSurfaces, VentricularCoordinates};
use crate::anatomy::fibres;
use crate::backend::Backend;
use crate::coupling::cavity::Cavity;
use crate::error::Result;
use crate::gpu::GpuContext;
use crate::mechanics::FusedTled;
use crate::mechanics::gpu::GpuTled;
use crate::mechanics::gpu::loads::ScheduledSteps;
use crate::mechanics::loads::{Constraints, Loads, PressureLoad, SpringLoad};
use crate::mechanics::material::{FibreFrame, HolzapfelOgden, KelvinVoigt, Material};
use crate::mechanics::tled::{Stepping, TledModel, TledState};
use crate::mesh::TetMesh;
use crate::mesh::locate::MaterialPoint;

/// Mass added by selective mass scaling, at most, as a fraction of the physical mass.
const MAX_ADDED_MASS: f64 = 0.01;

/// Safety factor on the element-wise stable step estimate: 0.8 went unstable at the apex of the coarse
/// mesh (step 0B, h = 10 mm) after 24k steps; 0.5 runs all steps.
const SAFETY: f64 = 0.5;

/// Benchmark 1 steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Active stress only.
    S0a,
    /// Pressure only.
    S0b,
    S1,
    S2a,
    S2b,
    S2c,
}

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Step::S0a => "elasto-b1-step0a",
            Step::S0b => "elasto-b1-step0b",
            Step::S1 => "elasto-b1-step1",
            Step::S2a => "elasto-b1-step2a",
            Step::S2b => "elasto-b1-step2b",
            Step::S2c => "elasto-b1-step2c",
        }
    }

    /// Stiffness parameters a, a_f, a_s, a_fs (Pa) and sigma0 (Pa) of the step (section 7).
    fn parameters(self) -> ([f64; 4], f64) {
        match self {
            Step::S2a => ([177.0, 55416.0, 7443.0, 648.0], 2e5),
            Step::S2b => ([295.0, 92360.0, 12405.0, 1080.0], 1e5),
            Step::S2c => ([19.0, 6157.0, 827.0, 72.0], 2e5),
            _ => ([59.0, 18472.0, 2481.0, 216.0], 1.5e5),
        }
    }

    fn active(self) -> bool {
        self != Step::S0b
    }

    fn pressure(self) -> bool {
        self != Step::S0a
    }
}

/// S+(d) = (1 + tanh(d / gamma)) / 2, S-(d) = (1 - tanh(d / gamma)) / 2.
fn s_plus(d: f64, gamma: f64) -> f64 {
    0.5 * (1.0 + (d / gamma).tanh())
}

fn s_minus(d: f64, gamma: f64) -> f64 {
    0.5 * (1.0 - (d / gamma).tanh())
}

/// y' = -|r| y + c over `dt` with r and c frozen: the exact update.
pub fn exponential_step(y: f64, rate: f64, source: f64, dt: f64) -> f64 {
    let k = rate.abs();
    if k * dt < 1e-12 {
        return y + source * dt;
    }
    let decay = (-k * dt).exp();
    y * decay + source / k * (1.0 - decay)
}

/// The Bestel-type active stress driver of section 5: tau' = -|a| tau + sigma0 max(a, 0), tau(0) = 0, with
/// a = alpha_max f + alpha_min (1 - f), f = S+(t - t_sys) S-(t - t_dias). Times in s, stresses in Pa,
/// rates in 1/s.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ActivationDriver {
    pub t_sys: f64,
    pub t_dias: f64,
    pub gamma: f64,
    pub alpha_max: f64,
    pub alpha_min: f64,
    pub sigma0: f64,
}

impl ActivationDriver {
    /// The constants of both benchmarks with the peak drive `sigma0` (Pa; 1.5e5 but in steps 2A-2C).
    pub const fn benchmark(sigma0: f64) -> Self {
        ActivationDriver {
            t_sys: 0.16,
            t_dias: 0.484,
            gamma: 0.005,
            alpha_max: 5.0,
            alpha_min: -30.0,
            sigma0,
        }
    }

    /// (rate, source) at `t_s`: the ODE is tau' = -|rate| tau + source.
    pub fn rates(&self, t_s: f64) -> (f64, f64) {
        let f = s_plus(t_s - self.t_sys, self.gamma) * s_minus(t_s - self.t_dias, self.gamma);
        let a = self.alpha_max * f + self.alpha_min * (1.0 - f);
        (a, self.sigma0 * a.max(0.0))
    }
}

/// The endocardial pressure driver of section 6: p' = -|b| p + sigma_mid max(b, 0) + sigma_pre
/// max(g_pre, 0), p(0) = 0, with b = a_pre + alpha_pre g_pre + alpha_mid, a_pre = alpha_max f_pre +
/// alpha_min (1 - f_pre), f_pre = S+(t - t_sys) S-(t - t_dias), g_pre = S-(t - t_dias). Times in s,
/// pressures in Pa, rates in 1/s.
///
/// Away from the switches (|t - t_sys|, |t - t_dias| >> gamma) the rates are constant and p relaxes
/// exponentially, at the rate |b|, towards sigma_pre / |b| before systole (b = alpha_min + alpha_pre +
/// alpha_mid < 0) and sigma_mid + sigma_pre / b in systole (b = alpha_max + alpha_pre + alpha_mid > 0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PressureDriver {
    pub t_sys: f64,
    pub t_dias: f64,
    pub gamma: f64,
    pub alpha_max: f64,
    pub alpha_min: f64,
    pub alpha_pre: f64,
    pub alpha_mid: f64,
    pub sigma_pre: f64,
    pub sigma_mid: f64,
}

impl PressureDriver {
    /// Benchmark 1 (the LV): peak about 16.07 kPa.
    pub const BENCHMARK1: PressureDriver = PressureDriver::benchmark(5.0, 1.0, 7000.0, 16000.0);
    /// Benchmark 2, the LV: peak 16,489 Pa.
    pub const BIV_LV: PressureDriver = PressureDriver::benchmark(5.0, 15.0, 12000.0, 16000.0);
    /// Benchmark 2, the RV: peak 4,162 Pa.
    pub const BIV_RV: PressureDriver = PressureDriver::benchmark(1.0, 10.0, 3000.0, 4000.0);

    /// The benchmark's switch times and rates (t_sys 0.17 s, t_dias 0.484 s, gamma 5 ms, alpha_max 5,
    /// alpha_min -30 1/s) with the given alpha_pre, alpha_mid (1/s), sigma_pre and sigma_mid (Pa).
    pub const fn benchmark(alpha_pre: f64, alpha_mid: f64, sigma_pre: f64, sigma_mid: f64) -> Self {
        PressureDriver {
            t_sys: 0.17,
            t_dias: 0.484,
            gamma: 0.005,
            alpha_max: 5.0,
            alpha_min: -30.0,
            alpha_pre,
            alpha_mid,
            sigma_pre,
            sigma_mid,
        }
    }

    /// (rate, source) at `t_s`: the ODE is p' = -|rate| p + source.
    pub fn rates(&self, t_s: f64) -> (f64, f64) {
        let f_pre = s_plus(t_s - self.t_sys, self.gamma) * s_minus(t_s - self.t_dias, self.gamma);
        let g_pre = s_minus(t_s - self.t_dias, self.gamma);
        let a = self.alpha_max * f_pre + self.alpha_min * (1.0 - f_pre);
        let b = a + self.alpha_pre * g_pre + self.alpha_mid;
        (
            b,
            self.sigma_mid * b.max(0.0) + self.sigma_pre * g_pre.max(0.0),
        )
    }
}

/// A driver's values at t = 0, dt, 2 dt, ... up to `t_end_s`, from 0, advanced as the cases do: the exact
/// update with the rates frozen at each step's midpoint ([`exponential_step`]). `rates` is
/// [`ActivationDriver::rates`] or [`PressureDriver::rates`]; times in s.
pub fn driver_trace(rates: impl Fn(f64) -> (f64, f64), dt_s: f64, t_end_s: f64) -> Vec<f64> {
    let steps = (t_end_s / dt_s).round().max(0.0) as usize;
    let mut y = 0.0;
    let mut out = Vec::with_capacity(steps + 1);
    out.push(y);
    for k in 0..steps {
        let (rate, source) = rates((k as f64 + 0.5) * dt_s);
        y = exponential_step(y, rate, source, dt_s);
        out.push(y);
    }
    out
}

/// The benchmarks' sampling interval of `qoi.csv`, ms.
const SAMPLE_MS: f64 = 10.0;

/// The benchmarks' end time, ms.
const END_MS: f64 = 1000.0;

/// Selective mass scaling: viscosity limits the explicit step quadratically in the element size, so a few
/// small elements would set it for all; they are lifted to the largest step that adds at most
/// [`MAX_ADDED_MASS`] of the mass. Returns (stable step without scaling, stable step, added mass
/// fraction), ms.
fn scale_mass(model: &mut TledModel) -> (f64, f64, f64) {
    let dt_physical = model.stable_time_step();
    let (dt, added) = model.scale_mass_within(MAX_ADDED_MASS);
    (dt_physical, dt, added)
}

/// One elastodynamics run: the model (mass scaled), its loads and their drivers, what is recorded.
struct Dynamics<'a> {
    mesh: &'a TetMesh,
    model: TledModel,
    /// `loads.pressures[i]` follows `pressures[i]`; every tetrahedron's active tension follows
    /// `activation` (zero without one).
    loads: Loads,
    pressures: Vec<PressureDriver>,
    activation: Option<ActivationDriver>,
    /// `qoi.csv` column and cavity.
    cavities: Vec<(&'static str, Cavity)>,
    /// Name (the `qoi.csv` columns NAME_ux_m, ...) and material point.
    probes: Vec<(&'static str, MaterialPoint)>,
    /// Stable step after mass scaling, ms.
    dt_stable: f64,
    /// End time, ms.
    end_ms: f64,
}

/// Smallest, largest and initial value of a series.
#[derive(Debug, Clone, Copy)]
struct Range {
    initial: f64,
    min: f64,
    max: f64,
}

impl Range {
    fn new(v: f64) -> Self {
        Range {
            initial: v,
            min: v,
            max: v,
        }
    }

    fn add(&mut self, v: f64) {
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }
}

/// What a run recorded.
struct Trace {
    csv: String,
    state: TledState,
    /// Time step, ms.
    dt: f64,
    /// Cavity volumes, mm^3, in the order of [`Dynamics::cavities`].
    volumes: Vec<Range>,
    /// Largest displacement magnitude of each probe, mm.
    u_max: Vec<f64>,
    /// Peak active stress and pressures (in the order of [`Dynamics::pressures`]), Pa.
    tau_max: f64,
    p_max: Vec<f64>,
}

/// The explicit steps of a run on either backend.
enum Stepper<'a> {
    Cpu(Box<FusedTled<f64>>),
    Gpu(&'a GpuContext, Box<(GpuTled, ScheduledSteps)>),
}

impl<'a> Stepper<'a> {
    /// A stepper for runs of up to `steps` steps at a time ([`Stepper::run`]).
    fn new(
        backend: &'a Backend,
        model: &TledModel,
        loads: &Loads,
        state: &TledState,
        steps: usize,
    ) -> Result<Self> {
        let free = Constraints::default();
        Ok(match backend {
            Backend::Cpu => Stepper::Cpu(Box::new(FusedTled::new(model, loads, &free, state)?)),
            Backend::Gpu(ctx) => {
                let gpu = GpuTled::new(ctx, model, state, loads, &free)?;
                let tension = !loads.active_tension.is_empty();
                let schedule = ScheduledSteps::new(ctx, &gpu, steps, tension)?;
                Stepper::Gpu(ctx, Box::new((gpu, schedule)))
            }
        })
    }

    /// `tension.len()` steps, step k under active tension `tension[k]` (kPa, every tetrahedron; ignored
    /// when `loads` has none) and pressures `pressures[k P..(k + 1) P]` (kPa, in the order of
    /// `loads.pressures`); the rest of `loads` as uploaded. The CPU sets `loads` and steps once per step;
    /// the GPU runs them all in one submission, the loads written on the device (`ScheduledSteps`).
    fn run(
        &mut self,
        stepping: Stepping,
        loads: &mut Loads,
        tension: &[f64],
        pressures: &[f64],
    ) -> Result<()> {
        let with_tension = !loads.active_tension.is_empty();
        match self {
            Stepper::Cpu(fused) => {
                let p = loads.pressures.len();
                for (k, &ta) in tension.iter().enumerate() {
                    for (j, load) in loads.pressures.iter_mut().enumerate() {
                        load.pressure = pressures[k * p + j];
                    }
                    loads.active_tension.iter_mut().for_each(|t| *t = ta);
                    fused.step(stepping, loads)?;
                }
            }
            Stepper::Gpu(ctx, gpu) => {
                let (gpu, schedule) = &mut **gpu;
                let tension = if with_tension { tension } else { &[] };
                schedule.run(ctx, gpu, stepping, tension, pressures)?;
            }
        }
        Ok(())
    }

    /// Time, ms.
    fn t(&self) -> f64 {
        match self {
            Stepper::Cpu(fused) => fused.t,
            Stepper::Gpu(_, gpu) => gpu.0.t,
        }
    }

    fn state(&self) -> Result<TledState> {
        Ok(match self {
            Stepper::Cpu(fused) => fused.state(),
            Stepper::Gpu(ctx, gpu) => gpu.0.state(ctx)?,
        })
    }
}

impl Dynamics<'_> {
    /// Runs to the end time with samples every 10 ms (or one sample at the end time if that is shorter)
    /// on `backend`: a time step that divides the sample interval, at most [`SAFETY`] times the stable
    /// step. Loads at step n use the drivers at t_n; the drivers are then advanced over the step. Logs the
    /// progress (info) every 100 ms of simulated time.
    fn run(mut self, backend: &Backend) -> Result<Trace> {
        let (mesh, model) = (self.mesh, &self.model);
        let samples = (self.end_ms / SAMPLE_MS).ceil().max(1.0) as u64;
        let sample_ms = self.end_ms / samples as f64;
        let per_sample = (sample_ms / (SAFETY * self.dt_stable)).ceil().max(1.0) as u64;
        let dt = sample_ms / per_sample as f64;
        let decimals = if (sample_ms - SAMPLE_MS).abs() < 1e-9 {
            2
        } else {
            6
        };
        let stepping = Stepping { dt, damping: 0.0 };
        let clock = Instant::now();
        let mut state = TledState::at_rest(mesh);
        let mut stepper = Stepper::new(backend, model, &self.loads, &state, per_sample as usize)?;
        let mut csv = String::from("time_s");
        for (name, _) in &self.probes {
            let _ = write!(csv, ",{name}_ux_m,{name}_uy_m,{name}_uz_m");
        }
        for (column, _) in &self.cavities {
            let _ = write!(csv, ",{column}");
        }
        csv.push('\n');
        let record = |state: &TledState, t_s: f64, csv: &mut String| -> (Vec<f64>, Vec<f64>) {
            let _ = write!(csv, "{t_s:.decimals$}");
            let mut u_len = Vec::with_capacity(self.probes.len());
            for (_, p) in &self.probes {
                let u = p.interpolate(mesh, &state.x) - p.interpolate(mesh, &model.rest);
                let _ = write!(
                    csv,
                    ",{:.9e},{:.9e},{:.9e}",
                    u.x * 1e-3,
                    u.y * 1e-3,
                    u.z * 1e-3
                );
                u_len.push(u.length());
            }
            let volumes: Vec<f64> = self
                .cavities
                .iter()
                .map(|(_, c)| c.volume(&state.x))
                .collect();
            for v in &volumes {
                let _ = write!(csv, ",{:.9e}", v * 1e-9);
            }
            csv.push('\n');
            (volumes, u_len)
        };
        let (v0, _) = record(&state, 0.0, &mut csv);
        let mut volumes: Vec<Range> = v0.into_iter().map(Range::new).collect();
        let mut u_max = vec![0.0f64; self.probes.len()];
        let mut tau = 0.0f64; // Pa
        let mut p = vec![0.0f64; self.pressures.len()]; // Pa
        let (mut tau_max, mut p_max) = (0.0f64, vec![0.0f64; self.pressures.len()]);
        let mut tensions = Vec::with_capacity(per_sample as usize); // kPa
        let mut step_pressures = Vec::with_capacity(per_sample as usize * p.len()); // kPa
        for sample in 1..=samples {
            // The drivers are functions of time alone: the loads of the sample's steps are known before
            // the steps run.
            let t_start = stepper.t();
            tensions.clear();
            step_pressures.clear();
            for k in 0..per_sample {
                tensions.push(tau * 1e-3);
                step_pressures.extend(p.iter().map(|p| p * 1e-3));
                let (t0, dt_s) = ((t_start + k as f64 * dt) * 1e-3, dt * 1e-3);
                let mid = t0 + 0.5 * dt_s;
                if let Some(driver) = &self.activation {
                    let (rate, source) = driver.rates(mid);
                    tau = exponential_step(tau, rate, source, dt_s);
                    tau_max = tau_max.max(tau);
                }
                for ((driver, p), p_max) in self.pressures.iter().zip(&mut p).zip(&mut p_max) {
                    let (rate, source) = driver.rates(mid);
                    *p = exponential_step(*p, rate, source, dt_s);
                    *p_max = p_max.max(*p);
                }
            }
            stepper.run(stepping, &mut self.loads, &tensions, &step_pressures)?;
            state = stepper.state()?;
            let (v, u) = record(&state, sample as f64 * sample_ms * 1e-3, &mut csv);
            if sample % 10 == 0 || sample == samples {
                let volumes: Vec<String> = v.iter().map(|v| format!("{:.2}", v * 1e-3)).collect();
                let pressures: Vec<String> = p.iter().map(|p| format!("{:.3}", p * 1e-3)).collect();
                log::info!(
                    "t = {:.0} of {:.0} ms ({} steps, {:.0} s): cavity volumes [{}] mL, pressures [{}] kPa, \
                     active stress {:.2} kPa",
                    state.t,
                    self.end_ms,
                    state.step,
                    clock.elapsed().as_secs_f64(),
                    volumes.join(", "),
                    pressures.join(", "),
                    tau * 1e-3
                );
            }
            for (range, v) in volumes.iter_mut().zip(v) {
                range.add(v);
            }
            for (m, u) in u_max.iter_mut().zip(u) {
                *m = m.max(u);
            }
        }
        Ok(Trace {
            csv,
            state,
            dt,
            volumes,
            u_max,
            tau_max,
            p_max,
        })
    }
}

/// The `solve` object of the JSON.
fn solve_json(
    trace: &Trace,
    tets: usize,
    (dt_physical, dt_stable, added_mass): (f64, f64, f64),
    start: Instant,
    backend: &Backend,
) -> serde_json::Value {
    let steps = trace.state.step;
    let wall = start.elapsed().as_secs_f64();
    let (name, precision, adapter) = super::backend_fields(backend);
    json!({
        "backend": name,
        "precision": precision,
        "adapter": adapter,
        "method": "explicit central differences, backward-velocity viscosity",
        "end_time_ms": trace.state.t,
        "time_step_ms": trace.dt,
        "stable_time_step_ms": dt_stable,
        "stable_time_step_without_mass_scaling_ms": dt_physical,
        "added_mass_fraction": added_mass,
        "steps": steps,
        "tet_steps_per_s": (steps as f64 * tets as f64) / wall,
        "wall_s": wall,
    })
}

/// Volumes (mL) and ejection fraction (max - min) / max of a cavity's range.
fn volume_json(r: &Range) -> (serde_json::Value, f64) {
    (
        json!({"initial": r.initial * 1e-3, "min": r.min * 1e-3, "max": r.max * 1e-3}),
        (r.max - r.min) / r.max,
    )
}

/// The benchmark's Holzapfel-Ogden wall with stiffnesses a, a_f, a_s, a_fs (Pa) and the other constants
/// of section 3 (the library's defaults), in kPa.
fn material(a: [f64; 4]) -> Material {
    let [a, a_f, a_s, a_fs] = a.map(|x| x * 1e-3);
    Material::HolzapfelOgden(HolzapfelOgden {
        a,
        a_f,
        a_s,
        a_fs,
        ..HolzapfelOgden::default()
    })
}

/// The end time of a run, ms.
fn end_ms(options: &VerifyOptions) -> f64 {
    options.end_time_ms.unwrap_or(END_MS)
}

/// Runs benchmark 1 step `step`; the outcome carries `qoi.csv`.
pub fn benchmark1(step: Step, options: VerifyOptions, backend: &Backend) -> Result<Outcome> {
    let start = Instant::now();
    // The benchmark's own mesh was made at 5 mm.
    let h = 5.0 / options.refine;
    let mesh = ArosticaEllipsoid::with_element_size(h).build()?;
    let surfaces = VentricleSurfaces {
        lv_endo: vec![1],
        rv_endo: vec![],
        epi: vec![2],
        base: vec![3],
        septum_direction: None,
    };
    let coords = VentricularCoordinates::compute(&mesh, &surfaces).map_err(|e| {
        crate::Error::Invalid(format!("transmural coordinate of the benchmark LV: {e}"))
    })?;
    let field = fibres::arostica_ellipsoid(&mesh, &coords.transmural);
    let (stiffness, sigma0) = step.parameters();
    let material = material(stiffness);
    let mut model = TledModel::new(&mesh, material, 1.0, Some(FibreFrame::from_field(&field)))?
        .with_viscosity(Some(KelvinVoigt { eta: 100.0 }));
    let scaling = scale_mass(&mut model);
    let loads = Loads {
        pressures: if step.pressure() {
            vec![PressureLoad::on_surfaces(&mesh, &[1], 0.0)?]
        } else {
            vec![]
        },
        springs: vec![
            SpringLoad::on_surfaces(&mesh, &[2], 100.0, 5.0, true)?,
            SpringLoad::on_surfaces(&mesh, &[3], 0.1, 5.0, false)?,
        ],
        active_tension: vec![0.0; mesh.tet_count()],
        ..Loads::default()
    };
    let probes = [
        MaterialPoint::locate(&mesh, DVec3::new(25.0, 30.0, 0.0)),
        MaterialPoint::locate(&mesh, DVec3::new(0.0, 30.0, 0.0)),
    ];
    let [Some(p0), Some(p1)] = probes else {
        return Err(crate::Error::Invalid(
            "the benchmark points p0 (25, 30, 0) mm and p1 (0, 30, 0) mm must lie in the mesh"
                .into(),
        ));
    };
    let trace = Dynamics {
        mesh: &mesh,
        model,
        loads,
        pressures: if step.pressure() {
            vec![PressureDriver::BENCHMARK1]
        } else {
            vec![]
        },
        activation: step.active().then_some(ActivationDriver::benchmark(sigma0)),
        cavities: vec![("cavity_volume_m3", Cavity::new(&mesh, "LV", &[1])?)],
        probes: vec![("p0", p0), ("p1", p1)],
        dt_stable: scaling.1,
        end_ms: end_ms(&options),
    }
    .run(backend)?;
    let (volume, ejection_fraction) = volume_json(&trace.volumes[0]);
    Ok(Outcome {
        json: json!({
            "case": step.name(),
            "qoi_file": "qoi.csv",
            "cavity_volume_ml": volume,
            "ejection_fraction": ejection_fraction,
            "max_displacement_mm": {"p0": trace.u_max[0], "p1": trace.u_max[1]},
            "peak_active_stress_kpa": trace.tau_max * 1e-3,
            "peak_pressure_kpa": trace.p_max.first().copied().unwrap_or(0.0) * 1e-3,
            "material": material,
            "reference": "the ten solvers' curves of Arostica et al. 2025 are not distributed with the \
                          benchmark definition here; compare qoi.csv with them (figures 5-9 of the paper)",
            "mesh": MeshSize::of(&mesh, h),
            "solve": solve_json(&trace, mesh.tet_count(), scaling, start, backend),
        }),
        deformed: Some(with_displacement(&mesh, &trace.state.x)?),
        csv: Some(trace.csv),
    })
}

/// The material points of benchmark 2 (section 7 and 8), mm: p0 and p1 as in benchmark 1, and p2.
pub const BIV_PROBES: [(&str, [f64; 3]); 3] = [
    ("p0", [25.0, 30.0, 0.0]),
    ("p1", [0.0, 30.0, 0.0]),
    ("p2", [25.0, 0.0, 72.0]),
];

/// Runs benchmark 2 on the coarse biventricle ([`arostica_biv::coarse`]); the outcome carries `qoi.csv`
/// (columns time_s, then p0, p1, p2 ux, uy, uz in m, then the LV volume `cavity_volume_m3` and the RV volume
/// `rv_cavity_volume_m3`). A probe outside the mesh is left out of `qoi.csv` and listed in the JSON under
/// `probes_outside_mesh`.
pub fn benchmark2(options: VerifyOptions, backend: &Backend) -> Result<Outcome> {
    let start = Instant::now();
    if options.refine != 1.0 {
        return Err(crate::Error::Invalid(format!(
            "elasto-b2 runs the benchmark's own coarse biventricle ({}): --refine {} must be 1",
            arostica_biv::PATH,
            options.refine
        )));
    }
    // Renumbered in space, as a scenario's mesh is: the file's order gathers from scattered addresses
    // (the GPU step 1.9x faster on it, BENCHMARKS.md). Probes are located by position, so the outputs
    // do not depend on it.
    let mesh = arostica_biv::coarse()
        .map(|m| crate::mesh::renumber::spatially_ordered(&m).0)
        .map_err(|e| crate::Error::Invalid(format!("the benchmark biventricle: {e}")))?;
    let field = fibres::from_point_fields(&mesh, "fiber", "sheet").ok_or_else(|| {
        crate::Error::Invalid(format!(
            "{} lacks the point fields fiber and sheet",
            arostica_biv::PATH
        ))
    })?;
    let (stiffness, sigma0) = Step::S1.parameters();
    let material = material(stiffness);
    let mut model = TledModel::new(&mesh, material, 1.0, Some(FibreFrame::from_field(&field)))?
        .with_viscosity(Some(KelvinVoigt { eta: 100.0 }));
    let scaling = scale_mass(&mut model);
    let loads = Loads {
        pressures: vec![
            PressureLoad::on_surfaces(&mesh, &[arostica_biv::LV_ENDO], 0.0)?,
            PressureLoad::on_surfaces(&mesh, &[arostica_biv::RV_ENDO], 0.0)?,
        ],
        springs: vec![
            SpringLoad::on_surfaces(&mesh, &[arostica_biv::EPI], 100.0, 5.0, true)?,
            SpringLoad::on_surfaces(&mesh, &[arostica_biv::BASE], 1.0, 5.0, false)?,
        ],
        active_tension: vec![0.0; mesh.tet_count()],
        ..Loads::default()
    };
    let mut probes = Vec::new();
    let mut outside = Vec::new();
    for (name, p) in BIV_PROBES {
        match MaterialPoint::locate(&mesh, DVec3::from_array(p)) {
            Some(m) => probes.push((name, m)),
            None => {
                log::warn!(
                    "elasto-b2: probe {name} {p:?} mm lies outside the biventricle; skipped"
                );
                outside.push(json!({"name": name, "position_mm": p}));
            }
        }
    }
    let names: Vec<&str> = probes.iter().map(|(n, _)| *n).collect();
    let trace = Dynamics {
        mesh: &mesh,
        model,
        loads,
        pressures: vec![PressureDriver::BIV_LV, PressureDriver::BIV_RV],
        activation: Some(ActivationDriver::benchmark(sigma0)),
        cavities: vec![
            (
                "cavity_volume_m3",
                Cavity::new(&mesh, "LV", &[arostica_biv::LV_ENDO])?,
            ),
            (
                "rv_cavity_volume_m3",
                Cavity::new(&mesh, "RV", &[arostica_biv::RV_ENDO])?,
            ),
        ],
        probes,
        dt_stable: scaling.1,
        end_ms: end_ms(&options),
    }
    .run(backend)?;
    let (lv_volume, lv_ef) = volume_json(&trace.volumes[0]);
    let (rv_volume, rv_ef) = volume_json(&trace.volumes[1]);
    let max_displacement: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .zip(&trace.u_max)
        .map(|(n, u)| (n.to_string(), json!(u)))
        .collect();
    Ok(Outcome {
        json: json!({
            "case": "elasto-b2",
            "qoi_file": "qoi.csv",
            "cavity_volume_ml": {"lv": lv_volume, "rv": rv_volume},
            "ejection_fraction": {"lv": lv_ef, "rv": rv_ef},
            "max_displacement_mm": max_displacement,
            "probes_mm": BIV_PROBES.iter().map(|(n, p)| (n.to_string(), json!(p))).collect::<serde_json::Map<_, _>>(),
            "probes_outside_mesh": outside,
            "peak_active_stress_kpa": trace.tau_max * 1e-3,
            "peak_pressure_kpa": {"lv": trace.p_max[0] * 1e-3, "rv": trace.p_max[1] * 1e-3},
            "drivers": {
                "activation": ActivationDriver::benchmark(sigma0),
                "lv_pressure": PressureDriver::BIV_LV,
                "rv_pressure": PressureDriver::BIV_RV,
            },
            "springs": {
                "epi_normal_kpa_per_mm": 100.0, "epi_damping_kpa_ms_per_mm": 5.0,
                "base_kpa_per_mm": 1.0, "base_damping_kpa_ms_per_mm": 5.0,
            },
            "material": material,
            "reference": "the solvers' curves of Arostica et al. 2025 are not distributed with the \
                          benchmark definition here; compare qoi.csv with them (benchmark 2 figures of \
                          the paper)",
            "mesh": {
                "source": arostica_biv::PATH,
                "nodes": mesh.node_count(),
                "tets": mesh.tet_count(),
                "degenerate_fibre_frames": field.degenerate,
            },
            "solve": solve_json(&trace, mesh.tet_count(), scaling, start, backend),
        }),
        deformed: Some(with_displacement(&mesh, &trace.state.x)?),
        csv: Some(trace.csv),
    })
}
