//! The coupled time loop: the explicit FE step of the ventricles and the 0D circulation, exchanging
//! cavity pressures and volumes every step.
//!
//! ## Coupling scheme: cavity stiffness (penalty) coupling
//! The blood in a FE cavity is given a finite stiffness `k` (mmHg/mL): the circulation carries the
//! cavity's blood volume `V_b` as its chamber volume (filled and emptied by the valve flows), and the
//! chamber pressure is `p = k (V_b - V_c(x))`, with `V_c` the cavity volume of the deformed mesh (closed at
//! the orifices, divergence theorem, [`Cavity`](crate::coupling::cavity::Cavity)). With the valves closed `V_b` is constant and the wall
//! can change the cavity volume only by `dp / k`: the isovolumic phases are isovolumic to that tolerance
//! (0.6 mL at 120 mmHg for the default k = 200 mmHg/mL) with no Lagrange multiplier, which an explicit
//! scheme could not carry. The extra stiffness it adds to the wall is a global volume mode with
//! `omega^2 = k A^2 / m` (A the endocardial area, m the wall's mass), period about 2 ms for the default
//! ventricle: far longer than the step, so it leaves the stable step unchanged.
//!
//! Per step n: the cavity volumes at `x_n` give the pressures applied as follower loads; the
//! mechanics advances to `x_{n+1}`; then the circulation ODE is integrated over the same interval with
//! `V_c` held at its step-n value by the error-controlled Dormand-Prince integrator (the valve time
//! constant `R_min / k` is 38 us, comparable to the step, so the 0D side must not be stepped explicitly
//! with the FE step).
//!
//! ## Backends
//! The mechanics runs on the CPU (f64, the fused step [`FusedTled`], which computes what the reference
//! [`crate::mechanics::tled::step`] does, to rounding, in about half its time) or on the GPU (f32, [`super::gpu::GpuHeart`]: the
//! step, the cavity volumes and the active tension on the GPU, one submission and one 24-byte readback
//! per step, the positions read back only for samples, fields and checkpoints); the circulation ODE runs
//! on the CPU for both, exactly as above. The preload's dynamic relaxation runs on the CPU, then the state
//! is uploaded.
//!
//! ## Preload
//! The mesh is taken as unloaded. Before the first beat the circulation alone (elastance LV) is run to its
//! limit cycle; its end-diastolic LV (and RV) pressure inflates the FE cavities by dynamic relaxation
//! to equilibrium; the circulation then starts from its end-diastolic state with the FE blood volumes
//! (`V_c + p / k`), the difference in blood volume taken from the systemic veins so the total is kept.

use glam::DVec3;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::gpu::{ExactDisplacement, GpuHeart};
use super::heart::Heart;
use super::scenario::Scenario;
use crate::backend::Backend;
use crate::coupling::circulation::{
    self, CirculationParams, CirculationState, Derived, Elastances, LimitCycleOptions, Override,
};
use crate::coupling::ode::{self, Tolerances};
use crate::error::{Error, Result};
use crate::mechanics::loads::{Constraints, Loads};
use crate::mechanics::relax::{self, RelaxOptions, RelaxReport};
use crate::mechanics::tled::{SimError, Stepping, TledState};
use crate::mechanics::{ExactNode, FusedTled};

/// kPa per mmHg.
pub const KPA_PER_MMHG: f64 = 0.133_322_387_415;

/// What the preload did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PreloadReport {
    /// End-diastolic pressures the cavities were inflated to, mmHg.
    pub lv_pressure_mmhg: f64,
    pub rv_pressure_mmhg: Option<f64>,
    /// Cavity volumes after inflation, mL.
    pub lv_volume_ml: f64,
    pub rv_volume_ml: Option<f64>,
    /// The 0D model's own end-diastolic LV volume at that pressure, mL (the elastance chamber's).
    pub circulation_lv_edv_ml: f64,
    pub beats_to_limit_cycle: Option<u32>,
    /// Blood moved from (+) or to (-) the systemic veins to fill the FE cavities, mL.
    pub blood_from_veins_ml: f64,
    pub relaxation_steps: u64,
    pub relaxation_residual: f64,
    /// The out-of-balance work at the end of the relaxation ([`RelaxReport::work_residual`]): about the
    /// relative error of the inflation's amplitude. Converged means it and the residual are below the
    /// tolerance. (0 in checkpoints written before it was reported.)
    #[serde(default)]
    pub relaxation_work: f64,
    pub relaxation_converged: bool,
    pub wall_s: f64,
}

/// The state that a checkpoint stores: everything the loop reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoopState {
    pub x: Vec<[f64; 3]>,
    pub x_prev: Vec<[f64; 3]>,
    /// Mechanics time, ms, and steps taken since the first beat started.
    pub t_ms: f64,
    pub step: u64,
    pub circulation: CirculationState,
    /// Step size the ODE integrator proposed last, s.
    pub ode_h_s: f64,
    /// GPU backend: the nodes whose f32 displacements `x` and `x_prev` would not give back exactly
    /// (rare; see [`super::gpu`]), so that a resumed GPU run continues bit for bit. Empty on the CPU.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gpu_exact: Vec<ExactDisplacement>,
    /// CPU backend: the same for its f64 displacements ([`FusedTled::round_trip_exceptions`]). Empty
    /// on the GPU.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpu_exact: Vec<ExactNode>,
}

/// The displacements a resume writes back over those its positions give (see [`LoopState`]).
#[derive(Debug, Clone, Copy, Default)]
struct Exceptions<'a> {
    gpu: &'a [ExactDisplacement],
    cpu: &'a [ExactNode],
}

/// One row of `metrics.csv`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Sample {
    pub time_s: f64,
    pub lv_volume_ml: f64,
    pub lv_pressure_mmhg: f64,
    pub aortic_pressure_mmhg: f64,
    pub la_volume_ml: f64,
    pub la_pressure_mmhg: f64,
    pub rv_volume_ml: f64,
    pub rv_pressure_mmhg: f64,
    pub ra_volume_ml: f64,
    pub ra_pressure_mmhg: f64,
    pub pulmonary_artery_pressure_mmhg: f64,
    pub mitral_flow_ml_s: f64,
    pub aortic_flow_ml_s: f64,
    pub tricuspid_flow_ml_s: f64,
    pub pulmonary_flow_ml_s: f64,
    /// Largest Cauchy stress along the deformed fibre over the tetrahedra, kPa.
    pub max_fibre_stress_kpa: f64,
    /// Its 99th percentile over the tetrahedra, kPa: the maximum is one element, often at the cut base
    /// where the mesh's stress is least reliable.
    pub p99_fibre_stress_kpa: f64,
    /// Volume-weighted mean active tension, kPa.
    pub mean_active_tension_kpa: f64,
}

/// Column names of `metrics.csv`, in [`Sample::row`] order.
pub const METRICS_COLUMNS: [&str; 19] = [
    "time_s",
    "beat",
    "lv_volume_ml",
    "lv_pressure_mmhg",
    "aortic_pressure_mmhg",
    "la_volume_ml",
    "la_pressure_mmhg",
    "rv_volume_ml",
    "rv_pressure_mmhg",
    "ra_volume_ml",
    "ra_pressure_mmhg",
    "pulmonary_artery_pressure_mmhg",
    "mitral_flow_ml_s",
    "aortic_flow_ml_s",
    "tricuspid_flow_ml_s",
    "pulmonary_flow_ml_s",
    "max_fibre_stress_kpa",
    "p99_fibre_stress_kpa",
    "mean_active_tension_kpa",
];

impl Sample {
    /// The CSV row (no newline); `beat` counts from 1.
    pub fn row(&self, beat: u32) -> String {
        let v = [
            self.lv_volume_ml,
            self.lv_pressure_mmhg,
            self.aortic_pressure_mmhg,
            self.la_volume_ml,
            self.la_pressure_mmhg,
            self.rv_volume_ml,
            self.rv_pressure_mmhg,
            self.ra_volume_ml,
            self.ra_pressure_mmhg,
            self.pulmonary_artery_pressure_mmhg,
            self.mitral_flow_ml_s,
            self.aortic_flow_ml_s,
            self.tricuspid_flow_ml_s,
            self.pulmonary_flow_ml_s,
            self.max_fibre_stress_kpa,
            self.p99_fibre_stress_kpa,
            self.mean_active_tension_kpa,
        ];
        let mut s = format!("{:.6},{beat}", self.time_s);
        for x in v {
            s.push_str(&format!(",{x:.6}"));
        }
        s
    }
}

/// The mechanics of a [`Simulation`]: its backend and state.
enum Mechanics {
    Cpu {
        fused: Box<FusedTled<f64>>,
        /// Positions after the last step, mm (the fused step keeps displacements in its own numbering).
        x: Vec<DVec3>,
    },
    Gpu(Box<GpuHeart>),
}

/// The running coupled simulation.
pub struct Simulation<'h> {
    heart: &'h Heart,
    params: CirculationParams,
    /// Cavity stiffness, mmHg/mL.
    k: f64,
    period_ms: f64,
    loads: Loads,
    mechanics: Mechanics,
    circulation: CirculationState,
    ode_h: f64,
    tolerances: Tolerances,
    /// The scenario's circulation table, which [`Settings`] scale.
    scenario_params: CirculationParams,
    /// Start of the current beat, ms: 0 until [`Simulation::schedule`] changes the settings; the twitch
    /// and the circulation's elastances run on the time since it.
    beat_start_ms: f64,
    settings: Settings,
    /// Settings that take effect when the current beat ends.
    pending: Option<Settings>,
}

/// What may change while a simulation runs (the live viewer's controls): one scale of the scenario's
/// contractility and one of its afterload, and the heart rate. They take effect at the start of a beat.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Beats per minute: the period of the twitch and of the circulation's chamber timings.
    pub heart_rate_bpm: f64,
    /// Multiplier of every element's active tension (1: the scenario's).
    pub contractility: f64,
    /// Multiplier of the systemic arterial resistance (1: the scenario's).
    pub afterload: f64,
}

impl<'h> Simulation<'h> {
    /// Preloads the heart (module docs) on the CPU and returns the simulation at the start of the first
    /// beat, its state on `backend`.
    pub fn start(
        heart: &'h Heart,
        scenario: &Scenario,
        backend: Backend,
    ) -> Result<(Self, PreloadReport)> {
        let clock = std::time::Instant::now();
        let params = scenario.circulation_at_rate();
        let k = scenario.coupling.cavity_stiffness_mmhg_per_ml;
        let limit = circulation::run_to_limit_cycle(
            &params,
            &CirculationState::default(),
            &LimitCycleOptions {
                samples: 10,
                ..LimitCycleOptions::default()
            },
        )?;
        let circ = *limit
            .beat_starts
            .last()
            .ok_or_else(|| Error::Invalid("the circulation ran no beat".into()))?;
        let ed = circulation::derived(&params, &Elastances, 0.0, &circ);
        let p_lv = scenario.coupling.preload_mmhg.unwrap_or(ed.p_lv);
        let p_rv = heart.rv.as_ref().map(|_| ed.p_rv);

        // Inflate the FE cavities to the end-diastolic pressures, at equilibrium.
        let mut model = heart.model.clone();
        model.viscosity = None;
        let mut state = TledState::at_rest(&heart.mesh);
        let mut loads = heart.loads.clone();
        let targets = [Some(p_lv), p_rv];
        let report: RelaxReport = relax::relax(
            &mut model,
            &mut state,
            &mut loads,
            |fraction, loads| {
                for (load, p) in loads.pressures.iter_mut().zip(targets) {
                    load.pressure = fraction * p.unwrap_or(0.0) * KPA_PER_MMHG;
                }
            },
            &Constraints::default(),
            RelaxOptions {
                ramp_steps: 3000,
                max_steps: 60_000,
                tolerance: 1e-5,
                ..RelaxOptions::default()
            },
        )
        .map_err(|e| heart.in_input_numbering(e))?;
        if !report.converged {
            log::warn!(
                "preload: dynamic relaxation stopped at residual {:.2e}, out-of-balance work {:.2e}, after {} \
                 steps (not converged)",
                report.residual,
                report.work_residual,
                report.steps
            );
        }
        state.t = 0.0;
        state.step = 0;
        state.x_prev = state.x.clone();
        let mut sim = Self::assemble(
            heart,
            scenario,
            state,
            circ,
            1e-5,
            backend,
            Exceptions::default(),
        )?;
        // The blood volumes from the backend's own cavity volumes, so the first step sees the pressures
        // of the preload.
        let (v_lv, v_rv) = sim.cavity_volumes();
        let circ = &mut sim.circulation;
        let edv_0d = circ.v_lv;
        let mut moved = 0.0;
        let blood_lv = v_lv + p_lv / k;
        moved += blood_lv - circ.v_lv;
        circ.v_lv = blood_lv;
        if let (Some(v), Some(p)) = (v_rv, p_rv) {
            let blood = v + p / k;
            moved += blood - circ.v_rv;
            circ.v_rv = blood;
        }
        circ.p_ven_sys -= moved / sim.params.systemic.c_ven;
        let preload = PreloadReport {
            lv_pressure_mmhg: p_lv,
            rv_pressure_mmhg: p_rv,
            lv_volume_ml: v_lv,
            rv_volume_ml: v_rv,
            circulation_lv_edv_ml: edv_0d,
            beats_to_limit_cycle: limit.summary.beats_to_converge,
            blood_from_veins_ml: moved,
            relaxation_steps: report.steps,
            relaxation_residual: report.residual,
            relaxation_work: report.work_residual,
            relaxation_converged: report.converged,
            wall_s: clock.elapsed().as_secs_f64(),
        };
        Ok((sim, preload))
    }

    /// The simulation at a checkpointed state (the heart and scenario must be the ones it came from), on
    /// `backend`.
    pub fn resume(
        heart: &'h Heart,
        scenario: &Scenario,
        saved: &LoopState,
        backend: Backend,
    ) -> Result<Self> {
        let n = heart.mesh.node_count();
        if saved.x.len() != n || saved.x_prev.len() != n {
            return Err(Error::Invalid(format!(
                "checkpoint has {} nodes, the scenario's mesh {n}: not this scenario's checkpoint",
                saved.x.len()
            )));
        }
        let mut state = TledState::at_rest(&heart.mesh);
        state.x = saved.x.iter().map(|p| DVec3::from_array(*p)).collect();
        state.x_prev = saved.x_prev.iter().map(|p| DVec3::from_array(*p)).collect();
        state.t = saved.t_ms;
        state.step = saved.step;
        Self::assemble(
            heart,
            scenario,
            state,
            saved.circulation,
            saved.ode_h_s,
            backend,
            Exceptions {
                gpu: &saved.gpu_exact,
                cpu: &saved.cpu_exact,
            },
        )
    }

    fn assemble(
        heart: &'h Heart,
        scenario: &Scenario,
        state: TledState,
        circulation: CirculationState,
        ode_h: f64,
        backend: Backend,
        exact: Exceptions,
    ) -> Result<Self> {
        let mut loads = heart.loads.clone();
        loads.active_tension.fill(0.0);
        let period_ms = scenario.period_ms();
        let mechanics = match backend {
            Backend::Cpu => {
                let mut fused =
                    FusedTled::new(&heart.model, &loads, &Constraints::default(), &state)?;
                fused.restore_exact(exact.cpu)?;
                let mut x = state.x;
                fused.positions_into(&mut x);
                Mechanics::Cpu {
                    fused: Box::new(fused),
                    x,
                }
            }
            Backend::Gpu(ctx) => Mechanics::Gpu(Box::new(GpuHeart::new(
                ctx, heart, &state, &loads, period_ms, exact.gpu,
            )?)),
        };
        Ok(Simulation {
            heart,
            params: scenario.circulation_at_rate(),
            k: scenario.coupling.cavity_stiffness_mmhg_per_ml,
            period_ms,
            loads,
            mechanics,
            circulation,
            ode_h,
            tolerances: Tolerances {
                rtol: 1e-8,
                atol: 1e-8,
                ..Tolerances::default()
            },
            beat_start_ms: 0.0,
            settings: Settings {
                heart_rate_bpm: scenario.heart_rate_bpm,
                contractility: 1.0,
                afterload: 1.0,
            },
            pending: None,
            scenario_params: scenario.circulation.clone(),
        })
    }

    /// The heart it runs.
    pub fn heart(&self) -> &'h Heart {
        self.heart
    }

    /// The settings in effect.
    pub fn settings(&self) -> Settings {
        self.settings
    }

    /// The fastest heart rate the twitch allows, bpm: every element's twitch (its activation time plus
    /// the twitch's duration) must end within the period.
    pub fn max_heart_rate_bpm(&self) -> f64 {
        let last = self
            .heart
            .activation_ms
            .iter()
            .copied()
            .filter(|t| t.is_finite())
            .fold(0.0, f64::max);
        60_000.0 / (last + self.heart.twitch.duration_ms())
    }

    /// Changes the settings from the start of the next beat (the current beat ends with the old ones, so
    /// no element's twitch is cut short). Out-of-range values are refused with the reason.
    pub fn schedule(&mut self, next: Settings) -> Result<()> {
        let max = self.max_heart_rate_bpm();
        if !(next.heart_rate_bpm >= 20.0 && next.heart_rate_bpm <= max) {
            return Err(Error::Invalid(format!(
                "heart rate {} bpm: must be from 20 to {max:.0} bpm (the twitch and the activation must \
                 end within the period)",
                next.heart_rate_bpm
            )));
        }
        for (what, v) in [
            ("contractility", next.contractility),
            ("afterload", next.afterload),
        ] {
            if !(0.0..=4.0).contains(&v) {
                return Err(Error::Invalid(format!(
                    "{what} scale {v}: must be from 0 to 4"
                )));
            }
        }
        self.pending = (next != self.settings).then_some(next);
        Ok(())
    }

    /// Time since the current beat started, ms.
    pub fn time_in_beat_ms(&self) -> f64 {
        (self.time_ms() - self.beat_start_ms).rem_euclid(self.period_ms)
    }

    /// Applies pending settings when the current beat has ended.
    fn start_beat_if_due(&mut self) -> Result<()> {
        let t = self.time_ms();
        if self.pending.is_none() || t - self.beat_start_ms < self.period_ms {
            return Ok(());
        }
        let Some(next) = self.pending.take() else {
            return Ok(());
        };
        let mut params =
            super::scenario::circulation_at(&self.scenario_params, next.heart_rate_bpm);
        params.systemic.r_ar *= next.afterload;
        self.params = params;
        self.period_ms = 60_000.0 / next.heart_rate_bpm;
        self.beat_start_ms = t;
        self.settings = next;
        if let Mechanics::Gpu(gpu) = &mut self.mechanics {
            gpu.set_beat(t, self.period_ms, next.contractility);
        }
        Ok(())
    }

    /// What a checkpoint stores (the GPU backend reads its state back).
    pub fn save(&self) -> Result<LoopState> {
        if self.beat_start_ms != 0.0 || self.pending.is_some() {
            return Err(Error::Invalid(
                "a simulation whose settings were changed while it ran has no checkpoint (its beats no \
                 longer follow the scenario)"
                    .into(),
            ));
        }
        let (x, x_prev, gpu_exact, cpu_exact) = match &self.mechanics {
            Mechanics::Cpu { fused, .. } => {
                let state = fused.state();
                (
                    state.x.iter().map(|p| p.to_array()).collect(),
                    state.x_prev.iter().map(|p| p.to_array()).collect(),
                    Vec::new(),
                    fused.round_trip_exceptions(),
                )
            }
            Mechanics::Gpu(gpu) => {
                let saved = gpu.save()?;
                (saved.x, saved.x_prev, saved.exact, Vec::new())
            }
        };
        Ok(LoopState {
            x,
            x_prev,
            t_ms: self.time_ms(),
            step: self.steps(),
            circulation: self.circulation,
            ode_h_s: self.ode_h,
            gpu_exact,
            cpu_exact,
        })
    }

    /// `cpu` or `gpu`: where the mechanics runs.
    pub fn backend(&self) -> &'static str {
        match self.mechanics {
            Mechanics::Cpu { .. } => "cpu",
            Mechanics::Gpu(_) => "gpu",
        }
    }

    /// The device of the GPU backend (None on the CPU).
    pub fn gpu_context(&self) -> Option<&crate::gpu::GpuContext> {
        match &self.mechanics {
            Mechanics::Cpu { .. } => None,
            Mechanics::Gpu(gpu) => Some(gpu.context()),
        }
    }

    /// Mechanics time, ms.
    pub fn time_ms(&self) -> f64 {
        match &self.mechanics {
            Mechanics::Cpu { fused, .. } => fused.t,
            Mechanics::Gpu(gpu) => gpu.time_ms(),
        }
    }

    pub fn steps(&self) -> u64 {
        match &self.mechanics {
            Mechanics::Cpu { fused, .. } => fused.step,
            Mechanics::Gpu(gpu) => gpu.steps(),
        }
    }

    /// The current positions, mm (the GPU backend reads them back, once per step).
    pub fn positions(&mut self) -> Result<&[DVec3]> {
        match &mut self.mechanics {
            Mechanics::Cpu { x, .. } => Ok(x),
            Mechanics::Gpu(gpu) => gpu.positions(),
        }
    }

    /// Every tetrahedron's active tension as of the last [`Simulation::sample`], kPa.
    pub fn active_tension(&self) -> &[f64] {
        &self.loads.active_tension
    }

    /// FE cavity volumes at the current positions, mL.
    fn cavity_volumes(&self) -> (f64, Option<f64>) {
        match &self.mechanics {
            Mechanics::Cpu { x, .. } => (
                self.heart.lv.volume(x) * 1e-3,
                self.heart.rv.as_ref().map(|c| c.volume(x) * 1e-3),
            ),
            Mechanics::Gpu(gpu) => {
                let (lv, rv) = gpu.volumes();
                (lv * 1e-3, rv.map(|v| v * 1e-3))
            }
        }
    }

    /// The chamber pressure laws with the FE volumes held.
    fn chambers(&self, v_lv: f64, v_rv: Option<f64>) -> Override<'static> {
        let k = self.k;
        Override {
            lv: Some(Box::new(move |_, v| k * (v - v_lv))),
            rv: v_rv.map(|c| -> circulation::PressureLaw<'static> {
                Box::new(move |_, v| k * (v - c))
            }),
        }
    }

    /// Advances one step of `dt` ms (module docs).
    pub fn step(&mut self, dt: f64) -> Result<()> {
        self.start_beat_if_due()?;
        let (v_lv, v_rv) = self.cavity_volumes();
        let c = &self.circulation;
        let p_lv = self.k * (c.v_lv - v_lv);
        self.loads.pressures[0].pressure = p_lv * KPA_PER_MMHG;
        if let (Some(v), Some(load)) = (v_rv, self.loads.pressures.get_mut(1)) {
            load.pressure = self.k * (c.v_rv - v) * KPA_PER_MMHG;
        }
        let t = self.time_ms();
        // Time in the beat's clock (the absolute time until the settings change): the twitch and the
        // chamber elastances are periodic in it.
        let tb = t - self.beat_start_ms;
        let heart = self.heart;
        let scale = self.settings.contractility;
        match &mut self.mechanics {
            Mechanics::Cpu { fused, x } => {
                active_tension_at(
                    heart,
                    tb,
                    self.period_ms,
                    scale,
                    &mut self.loads.active_tension,
                );
                fused
                    .step(Stepping { dt, damping: 0.0 }, &self.loads)
                    .map_err(|e| unstable(heart.in_input_numbering(e), t))?;
                fused.positions_into(x);
            }
            Mechanics::Gpu(gpu) => {
                let pressures: Vec<f64> = self.loads.pressures.iter().map(|p| p.pressure).collect();
                gpu.step(&pressures, dt).map_err(|e| match e {
                    Error::Sim(e) => unstable(heart.in_input_numbering(e), t),
                    other => other,
                })?;
            }
        }
        let chambers = self.chambers(v_lv, v_rv);
        let params = &self.params;
        let (y, h, _) = ode::integrate(
            |t, y| circulation::rhs(params, &chambers, t, &CirculationState::from_array(*y)),
            tb * 1e-3,
            (tb + dt) * 1e-3,
            self.circulation.to_array(),
            self.ode_h,
            &self.tolerances,
            |_| {},
        )
        .map_err(|e| Error::Invalid(format!("circulation at t = {t:.3} ms: {e}")))?;
        self.circulation = CirculationState::from_array(y);
        self.ode_h = h;
        Ok(())
    }

    /// The GPU backend's buffers of the current state (None on the CPU).
    pub fn gpu_nodes(&self) -> Option<super::gpu::GpuNodes> {
        match &self.mechanics {
            Mechanics::Cpu { .. } => None,
            Mechanics::Gpu(gpu) => Some(gpu.nodes()),
        }
    }

    /// The quantities of `metrics.csv` now (the GPU backend reads the positions back once).
    pub fn sample(&mut self) -> Result<Sample> {
        self.sample_with(true)
    }

    /// [`Simulation::sample`] without the stresses (NaN): volumes, pressures, flows and the active
    /// tension only, so the GPU backend reads no positions back (the live viewer's plots).
    pub fn sample_hemodynamics(&mut self) -> Result<Sample> {
        self.sample_with(false)
    }

    fn sample_with(&mut self, stresses: bool) -> Result<Sample> {
        let t = self.time_ms();
        let tb = t - self.beat_start_ms;
        active_tension_at(
            self.heart,
            tb,
            self.period_ms,
            self.settings.contractility,
            &mut self.loads.active_tension,
        );
        let (v_lv, v_rv) = self.cavity_volumes();
        let t_s = t * 1e-3;
        let c = self.circulation;
        let d: Derived =
            circulation::derived(&self.params, &self.chambers(v_lv, v_rv), tb * 1e-3, &c);
        let (max_fibre, p99_fibre, mean_ta) = if stresses {
            self.stress_summary()?
        } else {
            (f64::NAN, f64::NAN, self.mean_active_tension())
        };
        Ok(Sample {
            time_s: t_s,
            lv_volume_ml: v_lv,
            lv_pressure_mmhg: d.p_lv,
            aortic_pressure_mmhg: c.p_ar_sys,
            la_volume_ml: c.v_la,
            la_pressure_mmhg: d.p_la,
            rv_volume_ml: v_rv.unwrap_or(c.v_rv),
            rv_pressure_mmhg: d.p_rv,
            ra_volume_ml: c.v_ra,
            ra_pressure_mmhg: d.p_ra,
            pulmonary_artery_pressure_mmhg: c.p_ar_pul,
            mitral_flow_ml_s: d.q_mv,
            aortic_flow_ml_s: d.q_av,
            tricuspid_flow_ml_s: d.q_tv,
            pulmonary_flow_ml_s: d.q_pv,
            max_fibre_stress_kpa: max_fibre,
            p99_fibre_stress_kpa: p99_fibre,
            mean_active_tension_kpa: mean_ta,
        })
    }

    /// Per-tetrahedron fibre stress and von Mises stress (Cauchy, kPa) at the current state, with the
    /// active tension of the last [`Simulation::sample`].
    pub fn stresses(&mut self) -> Result<(Vec<f64>, Vec<f64>)> {
        // The mechanics borrowed alone, so the loads stay readable.
        let x: &[DVec3] = match &mut self.mechanics {
            Mechanics::Cpu { x, .. } => x,
            Mechanics::Gpu(gpu) => gpu.positions()?,
        };
        fibre_and_von_mises(&self.heart.model, x, &self.loads.active_tension)
    }

    /// (max, 99th percentile) of the fibre stress and the mean active tension, kPa.
    fn stress_summary(&mut self) -> Result<(f64, f64, f64)> {
        let (mut fibre, _) = self.stresses()?;
        let max = fibre.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let k = ((fibre.len() as f64 * 0.99) as usize).min(fibre.len().saturating_sub(1));
        let p99 = *fibre.select_nth_unstable_by(k, f64::total_cmp).1;
        Ok((max, p99, self.mean_active_tension()))
    }

    /// Volume-weighted mean active tension, kPa.
    fn mean_active_tension(&self) -> f64 {
        let v0 = &self.heart.model.volume0;
        let total: f64 = v0.iter().sum();
        self.loads
            .active_tension
            .iter()
            .zip(v0)
            .map(|(t, v)| t * v)
            .sum::<f64>()
            / total
    }
}

/// Every tetrahedron's active tension at time `t` ms of the beat clock, its contractility times `scale`: a
/// function of the time alone, so a resumed run sees the same values. The GPU backend's twin is
/// [`super::gpu::ActiveTension`].
fn active_tension_at(heart: &Heart, t: f64, period: f64, scale: f64, out: &mut [f64]) {
    out.par_iter_mut()
        .with_min_len(4096)
        .zip(&heart.activation_ms)
        .zip(&heart.contractility)
        .for_each(|((ta, &t_act), &c)| {
            // Never activated (cut off by non-conducting tissue): never contracts.
            *ta = if t_act.is_finite() {
                c * scale * heart.twitch.lookup((t - t_act).rem_euclid(period))
            } else {
                0.0
            };
        });
}

/// Fibre stress and von Mises stress (Cauchy, kPa) per tetrahedron at positions `x`.
fn fibre_and_von_mises(
    model: &crate::mechanics::tled::TledModel,
    x: &[DVec3],
    active_tension: &[f64],
) -> Result<(Vec<f64>, Vec<f64>)> {
    let sigma = model.cauchy_stresses(x, active_tension)?;
    Ok((0..sigma.len())
        .into_par_iter()
        .map(|t| {
            let s = sigma[t];
            let f = model.deformation_gradient(t, x) * model.frames[t].f0;
            let f = f.normalize_or_zero();
            let fibre = f.dot(s * f);
            let dev = s - glam::DMat3::from_diagonal(DVec3::splat(
                (s.x_axis.x + s.y_axis.y + s.z_axis.z) / 3.0,
            ));
            let j2 = 0.5
                * (dev.x_axis.length_squared()
                    + dev.y_axis.length_squared()
                    + dev.z_axis.length_squared());
            (fibre, (3.0 * j2).sqrt())
        })
        .unzip())
}

/// A mechanics failure as a diagnosis of the run.
fn unstable(e: SimError, t_ms: f64) -> Error {
    Error::Invalid(format!(
        "the simulation became unstable at t = {t_ms:.3} ms: {e}. Try a smaller numerics.safety, more \
         numerics.viscosity_kpa_ms, a smaller contraction.peak_tension_kpa, or stiffer boundary springs"
    ))
}
