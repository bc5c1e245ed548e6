//! The monodomain step on the GPU (f32): twin of [`super::monodomain::Monodomain`], built from the CPU
//! problem (same operator, masses, states, cells), with either cell model: Mitchell-Schaeffer
//! (`shaders/ep_monodomain.wgsl`) or ten Tusscher-Panfilov 2006 (`shaders/ep_tp06.wgsl`). Diffusion and
//! clock kernels are shared; only the reaction kernel and its state differ ([`GpuCell`]). A problem with
//! several cells ([`Monodomain::with_cells`], [`AnyCell`]) runs one reaction dispatch per cell over that
//! cell's node list.
//!
//! Everything stays on the GPU between steps, the time included (a clock buffer the `ep_tick` kernel
//! advances), so a batch records many steps and nothing is read back until the activation times are
//! wanted. Deterministic: row gathers in a fixed order, no atomics.

use bytemuck::{Pod, Zeroable};

use super::AnyCell;
use super::monodomain::{
    CellModel, Mass, MitchellSchaeffer, Monodomain, MonodomainError, Stimulus,
};
use super::tp06::{self, Tp06, Tp06Layer};
use crate::gpu::shaders::{EP_MONODOMAIN, EP_TP06};
use crate::gpu::{Access, Batch, BoundDispatch, GpuBuffer, GpuContext, GpuError, Kernel, Range};

/// `EpStep` of `ep_monodomain.wgsl`: what the stimulus, diffusion and clock kernels share.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct EpStep {
    /// dt (ms), activation and repolarisation thresholds (mV), the clock at step 0 (ms).
    dt_thresholds_start: [f32; 4],
    /// Stimuli in use, unused x3.
    counts: [u32; 4],
}
const _: () = assert!(size_of::<EpStep>() == 32);

/// `MsParams` of `ep_monodomain.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct MsParams {
    taus: [f32; 4],
    gate_rest_peak_dt: [f32; 4],
}
const _: () = assert!(size_of::<MsParams>() == 32);

/// The most stimuli a GPU problem takes (a bit each in the per-node mask).
pub const MAX_STIMULI: usize = 32;

/// The repolarisation threshold that means "not tracked" (the CPU's negative infinity).
const NOT_TRACKED_MV: f32 = -1e30;

/// `Tp06Params` of `ep_tp06.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct Tp06Params {
    g0: [f32; 4],
    g1: [f32; 4],
    g2: [f32; 4],
    /// k_NaCa, dt, Na_i0, K_i0.
    g3: [f32; 4],
    nodes: [u32; 4],
}
const _: () = assert!(size_of::<Tp06Params>() == 80);

/// A cell model with a GPU reaction kernel: Mitchell-Schaeffer, TP06 and either ([`AnyCell`]).
pub trait GpuCell: CellModel {
    /// The reaction of the listed `nodes` on the GPU from the CPU states (`STATES` per node, potential
    /// first): its kernel, parameters, node list and every unknown but the potential.
    fn gpu_reaction(
        &self,
        ctx: &GpuContext,
        states: &[f64],
        nodes: &[u32],
        dt: f64,
    ) -> Result<GpuReaction, GpuError> {
        self.gpu_reaction_strided(ctx, states, Self::STATES, nodes, dt)
    }

    /// [`GpuCell::gpu_reaction`] from states `stride` apart (a mixed problem's state is wider than a
    /// cell's own).
    fn gpu_reaction_strided(
        &self,
        ctx: &GpuContext,
        states: &[f64],
        stride: usize,
        nodes: &[u32],
        dt: f64,
    ) -> Result<GpuReaction, GpuError>;
}

/// A cell model's reaction resident on the GPU (see [`GpuCell`]).
pub struct GpuReaction {
    kernel: Kernel,
    params: CellParams,
    /// Every unknown but the potential, of the listed nodes.
    state: GpuBuffer<f32>,
    nodes: GpuBuffer<u32>,
    count: usize,
}

enum CellParams {
    MitchellSchaeffer(GpuBuffer<MsParams>),
    Tp06(GpuBuffer<Tp06Params>),
}

impl CellParams {
    fn whole(&self) -> Range<'_> {
        match self {
            CellParams::MitchellSchaeffer(b) => b.whole(),
            CellParams::Tp06(b) => b.whole(),
        }
    }
}

/// Access of bindings 1..=n: 1 uniform, the listed ones read-write, the rest read-only.
fn access(n: usize, read_write: &[usize]) -> Vec<Access> {
    (1..=n)
        .map(|i| {
            if i == 1 {
                Access::Uniform
            } else if read_write.contains(&i) {
                Access::ReadWrite
            } else {
                Access::Read
            }
        })
        .collect()
}

/// Bindings of both reaction kernels: 1 params, 2 v, 3 state, 4 v_old, 5 stimulus, 6 node list.
fn reaction_access() -> Vec<Access> {
    access(6, &[2, 3, 4])
}

/// Gathers the unknowns `1..states_used` of the listed nodes (stride `stride` in `states`), unknown j
/// of listed node k at `(j - 1) * listed + k`, minus `origin(j)`.
fn gather(
    states: &[f64],
    stride: usize,
    states_used: usize,
    nodes: &[u32],
    origin: impl Fn(usize) -> f64,
) -> Vec<f32> {
    let m = nodes.len();
    let mut out = vec![0f32; (states_used - 1) * m];
    for j in 1..states_used {
        let o = origin(j);
        for (k, &i) in nodes.iter().enumerate() {
            out[(j - 1) * m + k] = (states[i as usize * stride + j] - o) as f32;
        }
    }
    out
}

impl GpuCell for MitchellSchaeffer {
    fn gpu_reaction_strided(
        &self,
        ctx: &GpuContext,
        states: &[f64],
        stride: usize,
        nodes: &[u32],
        dt: f64,
    ) -> Result<GpuReaction, GpuError> {
        let h = gather(states, stride, Self::STATES, nodes, |_| 0.0);
        Ok(GpuReaction {
            kernel: Kernel::new(ctx, &EP_MONODOMAIN, "ep_reaction", &reaction_access())?,
            params: CellParams::MitchellSchaeffer(GpuBuffer::uniform(
                ctx,
                "ep mitchell-schaeffer params",
                &MsParams {
                    taus: [self.tau_in, self.tau_out, self.tau_open, self.tau_close]
                        .map(|x| x as f32),
                    gate_rest_peak_dt: [self.v_gate, self.v_rest, self.v_peak, dt]
                        .map(|x| x as f32),
                },
            )?),
            state: GpuBuffer::from_slice(ctx, "ep h", &h)?,
            nodes: GpuBuffer::from_slice(ctx, "ep mitchell-schaeffer nodes", nodes)?,
            count: nodes.len(),
        })
    }
}

impl GpuCell for Tp06 {
    fn gpu_reaction_strided(
        &self,
        ctx: &GpuContext,
        states: &[f64],
        stride: usize,
        nodes: &[u32],
        dt: f64,
    ) -> Result<GpuReaction, GpuError> {
        let rest = self.initial();
        let (na0, k0) = (rest[tp06::NA_I], rest[tp06::K_I]);
        // Na_i and K_i as deviations from rest (see the shader).
        let state = gather(states, stride, Self::STATES, nodes, |j| match j {
            tp06::NA_I => na0,
            tp06::K_I => k0,
            _ => 0.0,
        });
        let p = self;
        let params = Tp06Params {
            g0: [p.g_na, p.g_k1, p.g_kr, p.g_ks].map(|x| x as f32),
            g1: [p.g_to, p.g_cal, p.g_bna, p.g_bca].map(|x| x as f32),
            g2: [p.g_pca, p.g_pk, p.p_kna, p.p_nak].map(|x| x as f32),
            g3: [p.k_naca, dt, na0, k0].map(|x| x as f32),
            nodes: [
                nodes.len() as u32,
                u32::from(p.layer == Tp06Layer::Endocardial),
                0,
                0,
            ],
        };
        Ok(GpuReaction {
            kernel: Kernel::new(ctx, &EP_TP06, "ep_reaction_tp06", &reaction_access())?,
            params: CellParams::Tp06(GpuBuffer::uniform(ctx, "ep tp06 params", &params)?),
            state: GpuBuffer::from_slice(ctx, "ep tp06 state", &state)?,
            nodes: GpuBuffer::from_slice(ctx, "ep tp06 nodes", nodes)?,
            count: nodes.len(),
        })
    }
}

impl GpuCell for AnyCell {
    fn gpu_reaction_strided(
        &self,
        ctx: &GpuContext,
        states: &[f64],
        stride: usize,
        nodes: &[u32],
        dt: f64,
    ) -> Result<GpuReaction, GpuError> {
        match self {
            AnyCell::MitchellSchaeffer(c) => c.gpu_reaction_strided(ctx, states, stride, nodes, dt),
            AnyCell::Tp06(c) => c.gpu_reaction_strided(ctx, states, stride, nodes, dt),
        }
    }
}

/// Why a GPU monodomain run failed.
#[derive(Debug, thiserror::Error)]
pub enum GpuMonodomainError {
    #[error(transparent)]
    Gpu(#[from] GpuError),
    #[error(transparent)]
    Setup(#[from] MonodomainError),
    #[error(
        "{count} stimuli (pacing sites and their times): the GPU problem takes at most {MAX_STIMULI}; \
         use --backend cpu"
    )]
    TooManyStimuli { count: usize },
    #[error(
        "the consistent-mass (implicit) diffusion runs on the CPU backend only: use --backend cpu, or \
         the lumped mass"
    )]
    ConsistentMass,
}

/// A monodomain problem resident on the GPU.
pub struct GpuMonodomain {
    stimulus: Kernel,
    /// One per cell with nodes.
    reactions: Vec<GpuReaction>,
    diffusion: Kernel,
    tick: Kernel,
    step: GpuBuffer<EpStep>,
    clock: GpuBuffer<f32>,
    steps: GpuBuffer<u32>,
    /// V ping-pong: `v[current]` holds the potential at the clock's time.
    v: [GpuBuffer<f32>; 2],
    current: usize,
    v_old: GpuBuffer<f32>,
    stimuli: GpuBuffer<[f32; 4]>,
    stim_mask: GpuBuffer<u32>,
    stim: GpuBuffer<f32>,
    row_ptr: GpuBuffer<u32>,
    cols: GpuBuffer<u32>,
    vals: GpuBuffer<f32>,
    inv_mass: GpuBuffer<f32>,
    activation: GpuBuffer<f32>,
    last_activation: GpuBuffer<f32>,
    repolarisation: GpuBuffer<f32>,
    nodes: usize,
    dt: f64,
    stable: f64,
    /// The step's dispatches, bound once for each parity of the V ping-pong (`bound[current]`).
    bound: [Vec<(Slot, BoundDispatch)>; 2],
    /// The clock at step 0 and the steps recorded since (the GPU's clock, known here too), the stimulus
    /// windows (ms), and whether the stimulus buffer may hold non-zero values: the stimulus pass is
    /// recorded only for steps in or just after a window.
    start_ms: f64,
    steps_recorded: u64,
    windows: Vec<(f64, f64)>,
    stim_dirty: bool,
}

/// Which kernel a bound dispatch belongs to.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Stimulus,
    Reaction(usize),
    Diffusion,
    Tick,
}

/// Times to the GPU's convention: -1 where none.
fn times_f32(times: &[f64]) -> Vec<f32> {
    times
        .iter()
        .map(|&t| if t.is_finite() { t as f32 } else { -1.0 })
        .collect()
}

/// Times from the GPU's convention: infinite where none.
fn times_f64(times: Vec<f32>) -> Vec<f64> {
    times
        .into_iter()
        .map(|t| if t < 0.0 { f64::INFINITY } else { t as f64 })
        .collect()
}

impl GpuMonodomain {
    /// Uploads `cpu` (its current state, cells, thresholds and times) with its `stimuli` (at most
    /// [`MAX_STIMULI`]) and time step `dt` (ms).
    pub fn new<C: GpuCell>(
        ctx: &GpuContext,
        cpu: &Monodomain<C>,
        stimuli: &[Stimulus],
        dt: f64,
    ) -> Result<Self, GpuMonodomainError> {
        let stable = cpu.stable_step();
        if dt > stable {
            return Err(MonodomainError::Unstable { dt, limit: stable }.into());
        }
        if cpu.mass() != Mass::Lumped {
            return Err(GpuMonodomainError::ConsistentMass);
        }
        if stimuli.len() > MAX_STIMULI {
            return Err(GpuMonodomainError::TooManyStimuli {
                count: stimuli.len(),
            });
        }
        let n = cpu.node_count();
        let mut lists = vec![Vec::new(); cpu.cells().len()];
        for i in 0..n {
            lists[cpu.cell_index(i)].push(i as u32);
        }
        let reactions = cpu
            .cells()
            .iter()
            .zip(&lists)
            .filter(|(_, nodes)| !nodes.is_empty())
            .map(|(cell, nodes)| cell.gpu_reaction(ctx, &cpu.states, nodes, dt))
            .collect::<Result<Vec<_>, _>>()?;
        let stimulus = Kernel::new(ctx, &EP_MONODOMAIN, "ep_stimulus", &access(5, &[5]))?;
        let diffusion = Kernel::new(
            ctx,
            &EP_MONODOMAIN,
            "ep_diffusion",
            &access(12, &[9, 10, 11, 12]),
        )?;
        let tick = Kernel::new(ctx, &EP_MONODOMAIN, "ep_tick", &access(3, &[2, 3]))?;
        let repolarisation = if cpu.repolarisation_mv.is_finite() {
            cpu.repolarisation_mv as f32
        } else {
            NOT_TRACKED_MV
        };
        let step = EpStep {
            dt_thresholds_start: [
                dt as f32,
                cpu.threshold_mv as f32,
                repolarisation,
                cpu.t_ms as f32,
            ],
            counts: [stimuli.len() as u32, 0, 0, 0],
        };
        let ns = C::STATES;
        let v: Vec<f32> = (0..n).map(|i| cpu.states[i * ns] as f32).collect();
        let mut mask = vec![0u32; n];
        for (s, stimulus) in stimuli.iter().enumerate() {
            for &i in &stimulus.nodes {
                if let Some(m) = mask.get_mut(i as usize) {
                    *m |= 1 << s;
                }
            }
        }
        // At least one entry: a binding may not be empty.
        let mut windows: Vec<[f32; 4]> = stimuli
            .iter()
            .map(|s| [s.start_ms, s.start_ms + s.duration_ms, s.strength, 0.0].map(|x| x as f32))
            .collect();
        if windows.is_empty() {
            windows.push([0.0; 4]);
        }
        let (k, mass) = cpu.operator();
        let mut g = GpuMonodomain {
            stimulus,
            reactions,
            diffusion,
            tick,
            step: GpuBuffer::uniform(ctx, "ep step", &step)?,
            clock: GpuBuffer::from_slice(ctx, "ep clock", &[cpu.t_ms as f32])?,
            steps: GpuBuffer::from_slice(ctx, "ep steps", &[0u32])?,
            v: [
                GpuBuffer::from_slice(ctx, "ep v a", &v)?,
                GpuBuffer::zeroed(ctx, "ep v b", n)?,
            ],
            current: 0,
            v_old: GpuBuffer::zeroed(ctx, "ep v old", n)?,
            stimuli: GpuBuffer::from_slice(ctx, "ep stimuli", &windows)?,
            stim_mask: GpuBuffer::from_slice(ctx, "ep stimulus mask", &mask)?,
            stim: GpuBuffer::zeroed(ctx, "ep stimulus", n)?,
            row_ptr: GpuBuffer::from_slice(
                ctx,
                "ep row_ptr",
                &k.row_ptr.iter().map(|&r| r as u32).collect::<Vec<_>>(),
            )?,
            cols: GpuBuffer::from_slice(ctx, "ep cols", &k.cols)?,
            vals: GpuBuffer::from_slice(
                ctx,
                "ep vals",
                &k.vals.iter().map(|&v| v as f32).collect::<Vec<_>>(),
            )?,
            inv_mass: GpuBuffer::from_slice(
                ctx,
                "ep inverse mass",
                &mass.iter().map(|&m| (1.0 / m) as f32).collect::<Vec<_>>(),
            )?,
            activation: GpuBuffer::from_slice(
                ctx,
                "ep activation",
                &times_f32(&cpu.activation_ms),
            )?,
            last_activation: GpuBuffer::from_slice(
                ctx,
                "ep last activation",
                &times_f32(&cpu.last_activation_ms),
            )?,
            repolarisation: GpuBuffer::from_slice(
                ctx,
                "ep repolarisation",
                &times_f32(&cpu.repolarisation_ms),
            )?,
            nodes: n,
            dt,
            stable,
            bound: [Vec::new(), Vec::new()],
            start_ms: cpu.t_ms,
            steps_recorded: 0,
            windows: stimuli
                .iter()
                .map(|s| (s.start_ms, s.start_ms + s.duration_ms))
                .collect(),
            stim_dirty: false,
        };
        g.bound = [g.bind_step(ctx, 0)?, g.bind_step(ctx, 1)?];
        Ok(g)
    }

    /// The dispatches of one step with `v[a]` the potential at its start.
    fn bind_step(
        &self,
        ctx: &GpuContext,
        a: usize,
    ) -> Result<Vec<(Slot, BoundDispatch)>, GpuError> {
        let (n, b) = (self.nodes as u32, 1 - a);
        let mut out = vec![(
            Slot::Stimulus,
            self.stimulus.bind(
                ctx,
                &[
                    self.step.whole(),
                    self.clock.whole(),
                    self.stimuli.whole(),
                    self.stim_mask.whole(),
                    self.stim.whole(),
                ],
                n,
                0,
            )?,
        )];
        for (i, r) in self.reactions.iter().enumerate() {
            let bindings = [
                r.params.whole(),
                self.v[a].whole(),
                r.state.whole(),
                self.v_old.whole(),
                self.stim.whole(),
                r.nodes.whole(),
            ];
            out.push((
                Slot::Reaction(i),
                r.kernel.bind(ctx, &bindings, r.count as u32, 0)?,
            ));
        }
        let bindings = [
            self.step.whole(),
            self.clock.whole(),
            self.row_ptr.whole(),
            self.cols.whole(),
            self.vals.whole(),
            self.inv_mass.whole(),
            self.v[a].whole(),
            self.v_old.whole(),
            self.v[b].whole(),
            self.activation.whole(),
            self.last_activation.whole(),
            self.repolarisation.whole(),
        ];
        out.push((Slot::Diffusion, self.diffusion.bind(ctx, &bindings, n, 0)?));
        let bindings = [self.step.whole(), self.clock.whole(), self.steps.whole()];
        out.push((Slot::Tick, self.tick.bind(ctx, &bindings, 1, 0)?));
        Ok(out)
    }

    /// The stable explicit step of the operator, ms.
    pub fn stable_step(&self) -> f64 {
        self.stable
    }

    /// Advances `steps` steps of the time step given to [`Self::new`], in one submission.
    pub fn run(&mut self, ctx: &GpuContext, steps: usize) -> Result<(), GpuError> {
        let mut batch = Batch::new(ctx, "monodomain steps");
        for _ in 0..steps {
            let t = self.start_ms + self.steps_recorded as f64 * self.dt;
            // Wider than the kernel's own test (1e-6 ms) and than the f32 clock's spacing (~1e-7 t, a
            // few units of it): the kernel decides at the edges.
            let margin = 1e-3 + 1e-6 * t.abs();
            let near = self
                .windows
                .iter()
                .any(|&(a, b)| t >= a - margin && t < b + margin);
            // Outside every window the stimulus is zero: one pass clears the buffer, later ones are
            // skipped.
            let stimulate = near || self.stim_dirty;
            self.stim_dirty = near;
            self.steps_recorded += 1;
            for (slot, bound) in &self.bound[self.current] {
                let kernel = match *slot {
                    Slot::Stimulus if !stimulate => continue,
                    Slot::Stimulus => &self.stimulus,
                    Slot::Reaction(i) => &self.reactions[i].kernel,
                    Slot::Diffusion => &self.diffusion,
                    Slot::Tick => &self.tick,
                };
                batch.dispatch_bound(kernel, bound);
            }
            self.current = 1 - self.current;
        }
        batch.submit()?;
        Ok(())
    }

    /// First activation times read back, ms (infinite where not activated).
    pub fn activation_ms(&self, ctx: &GpuContext) -> Result<Vec<f64>, GpuError> {
        Ok(times_f64(self.activation.read(ctx)?))
    }

    /// Latest activation times read back, ms (infinite where not activated).
    pub fn last_activation_ms(&self, ctx: &GpuContext) -> Result<Vec<f64>, GpuError> {
        Ok(times_f64(self.last_activation.read(ctx)?))
    }

    /// Repolarisation times read back, ms (infinite where none, or not tracked).
    pub fn repolarisation_ms(&self, ctx: &GpuContext) -> Result<Vec<f64>, GpuError> {
        Ok(times_f64(self.repolarisation.read(ctx)?))
    }

    /// The simulated time after the steps recorded so far, ms (the GPU's clock, kept here in f64: no
    /// read-back).
    pub fn t_ms(&self) -> f64 {
        self.start_ms + self.steps_recorded as f64 * self.dt
    }

    /// The potentials read back, mV.
    pub fn potentials(&self, ctx: &GpuContext) -> Result<Vec<f64>, GpuError> {
        Ok(self.v[self.current]
            .read(ctx)?
            .into_iter()
            .map(f64::from)
            .collect())
    }

    /// The time step, ms.
    pub fn dt(&self) -> f64 {
        self.dt
    }
}
