//! The monodomain step with Mitchell-Schaeffer cells on the GPU (f32): the kernels of
//! `shaders/ep_monodomain.wgsl`, twin of [`super::monodomain::Monodomain`] with
//! [`MitchellSchaeffer`] cells, built from the CPU problem (same operator, masses, states).
//!
//! Everything stays on the GPU between steps, the time included (a clock buffer the `ep_tick` kernel
//! advances), so a batch records many steps and nothing is read back until the activation times are
//! wanted. Deterministic: row gathers in a fixed order, no atomics.

use bytemuck::{Pod, Zeroable};

use super::monodomain::{CellModel, MitchellSchaeffer, Monodomain, MonodomainError, Stimulus};
use crate::gpu::shaders::EP_MONODOMAIN;
use crate::gpu::{Access, Batch, GpuBuffer, GpuContext, GpuError, Kernel};

/// `EpParams` of the shader.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct EpParams {
    taus: [f32; 4],
    gate_rest_peak_dt: [f32; 4],
    stim_start_end_threshold: [f32; 4],
}
const _: () = assert!(size_of::<EpParams>() == 48);

/// Why a GPU monodomain run failed.
#[derive(Debug, thiserror::Error)]
pub enum GpuMonodomainError {
    #[error(transparent)]
    Gpu(#[from] GpuError),
    #[error(transparent)]
    Setup(#[from] MonodomainError),
}

/// A Mitchell-Schaeffer monodomain problem resident on the GPU.
pub struct GpuMonodomain {
    reaction: Kernel,
    diffusion: Kernel,
    tick: Kernel,
    params: GpuBuffer<EpParams>,
    clock: GpuBuffer<f32>,
    /// V ping-pong: `v[current]` holds the potential at the clock's time.
    v: [GpuBuffer<f32>; 2],
    current: usize,
    h: GpuBuffer<f32>,
    v_old: GpuBuffer<f32>,
    stim_mask: GpuBuffer<u32>,
    row_ptr: GpuBuffer<u32>,
    cols: GpuBuffer<u32>,
    vals: GpuBuffer<f32>,
    inv_mass: GpuBuffer<f32>,
    activation: GpuBuffer<f32>,
    nodes: usize,
    dt: f64,
    stable: f64,
}

impl GpuMonodomain {
    /// Uploads `cpu` (its current state) with one `stimulus` and time step `dt` (ms); the activation
    /// threshold is the CPU problem's.
    pub fn new(
        ctx: &GpuContext,
        cpu: &Monodomain<MitchellSchaeffer>,
        stimulus: &Stimulus,
        dt: f64,
    ) -> Result<Self, GpuMonodomainError> {
        let stable = cpu.stable_step();
        if dt > stable {
            return Err(MonodomainError::Unstable { dt, limit: stable }.into());
        }
        let access = |n: usize, last_rw: &[usize]| -> Vec<Access> {
            (0..n)
                .map(|i| {
                    if i == 0 {
                        Access::Uniform
                    } else if last_rw.contains(&i) {
                        Access::ReadWrite
                    } else {
                        Access::Read
                    }
                })
                .collect()
        };
        let reaction = Kernel::new(ctx, &EP_MONODOMAIN, "ep_reaction", &access(6, &[2, 3, 4]))?;
        let diffusion = Kernel::new(ctx, &EP_MONODOMAIN, "ep_diffusion", &access(10, &[8, 9]))?;
        let tick = Kernel::new(ctx, &EP_MONODOMAIN, "ep_tick", &access(2, &[1]))?;
        let c = &cpu.cell;
        let params = EpParams {
            taus: [c.tau_in, c.tau_out, c.tau_open, c.tau_close].map(|x| x as f32),
            gate_rest_peak_dt: [c.v_gate, c.v_rest, c.v_peak, dt].map(|x| x as f32),
            stim_start_end_threshold: [
                stimulus.strength,
                stimulus.start_ms,
                stimulus.start_ms + stimulus.duration_ms,
                cpu.threshold_mv,
            ]
            .map(|x| x as f32),
        };
        let n = cpu.node_count();
        let ns = MitchellSchaeffer::STATES;
        let v: Vec<f32> = (0..n).map(|i| cpu.states[i * ns] as f32).collect();
        let h: Vec<f32> = (0..n).map(|i| cpu.states[i * ns + 1] as f32).collect();
        let mut mask = vec![0u32; n];
        for &i in &stimulus.nodes {
            if let Some(m) = mask.get_mut(i as usize) {
                *m = 1;
            }
        }
        let (k, mass) = cpu.operator();
        let activation: Vec<f32> = cpu
            .activation_ms
            .iter()
            .map(|&t| if t.is_finite() { t as f32 } else { -1.0 })
            .collect();
        Ok(GpuMonodomain {
            reaction,
            diffusion,
            tick,
            params: GpuBuffer::uniform(ctx, "ep params", &params)?,
            clock: GpuBuffer::from_slice(ctx, "ep clock", &[cpu.t_ms as f32])?,
            v: [
                GpuBuffer::from_slice(ctx, "ep v a", &v)?,
                GpuBuffer::zeroed(ctx, "ep v b", n)?,
            ],
            current: 0,
            h: GpuBuffer::from_slice(ctx, "ep h", &h)?,
            v_old: GpuBuffer::zeroed(ctx, "ep v old", n)?,
            stim_mask: GpuBuffer::from_slice(ctx, "ep stimulus mask", &mask)?,
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
            activation: GpuBuffer::from_slice(ctx, "ep activation", &activation)?,
            nodes: n,
            dt,
            stable,
        })
    }

    /// The stable explicit step of the operator, ms.
    pub fn stable_step(&self) -> f64 {
        self.stable
    }

    /// Advances `steps` steps of the time step given to [`Self::new`], in one submission.
    pub fn run(&mut self, ctx: &GpuContext, steps: usize) -> Result<(), GpuError> {
        let mut batch = Batch::new(ctx, "monodomain steps");
        let n = self.nodes as u32;
        for _ in 0..steps {
            let (a, b) = (self.current, 1 - self.current);
            batch.dispatch(
                &self.reaction,
                &[
                    self.params.whole(),
                    self.clock.whole(),
                    self.v[a].whole(),
                    self.h.whole(),
                    self.v_old.whole(),
                    self.stim_mask.whole(),
                ],
                n,
                0,
            )?;
            batch.dispatch(
                &self.diffusion,
                &[
                    self.params.whole(),
                    self.clock.whole(),
                    self.row_ptr.whole(),
                    self.cols.whole(),
                    self.vals.whole(),
                    self.inv_mass.whole(),
                    self.v[a].whole(),
                    self.v_old.whole(),
                    self.v[b].whole(),
                    self.activation.whole(),
                ],
                n,
                0,
            )?;
            batch.dispatch(&self.tick, &[self.params.whole(), self.clock.whole()], 1, 0)?;
            self.current = b;
        }
        batch.submit()?;
        Ok(())
    }

    /// Activation times read back, ms (infinite where not activated).
    pub fn activation_ms(&self, ctx: &GpuContext) -> Result<Vec<f64>, GpuError> {
        Ok(self
            .activation
            .read(ctx)?
            .into_iter()
            .map(|t| if t < 0.0 { f64::INFINITY } else { t as f64 })
            .collect())
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
