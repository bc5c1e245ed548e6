//! Loads that change from step to step inside one batch of GPU steps (`shaders/mech_loads.wgsl`), so that a
//! batch needs no writes between its steps and no wait: a linear ramp between two load states (dynamic
//! relaxation, [`super::relax`]) or a table of the batch's steps, for loads known ahead
//! ([`ScheduledSteps`]: the elastodynamics benchmark, whose activation and pressures are functions of time
//! alone). Pressures and active tension in kPa.

use bytemuck::{Pod, Zeroable};

use super::{GpuTled, PendingSteps, check_len};
use crate::error::{Error, Result};
use crate::gpu::shaders::MECH_LOADS;
use crate::gpu::{Access, Batch, BoundDispatch, GpuBuffer, GpuContext, Kernel};
use crate::mechanics::tled::Stepping;

/// `LoadParams` of `shaders/mech_loads.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct LoadParams {
    mode: u32,
    first: u32,
    ramp: u32,
    tensions: u32,
    pressures: u32,
    _pad: [u32; 3],
}
const _: () = assert!(size_of::<LoadParams>() == 32);

const RAMP: u32 = 0;
const SCHEDULE: u32 = 1;

/// The load pass of a [`GpuTled`], bound to its tension and pressure buffers and its step clock.
pub(super) struct StepLoads {
    kernel: Kernel,
    /// `None` when there is nothing to write.
    pass: Option<BoundDispatch>,
    params: GpuBuffer<LoadParams>,
    tension_src: GpuBuffer<f32>,
    pressure_src: GpuBuffer<f32>,
    /// Tetrahedra whose tension is written (0 or all) and pressure loads.
    tensions: u32,
    pressures: u32,
}

impl StepLoads {
    /// A pass that ramps the tension of every tetrahedron (`tension`: one (start, end) pair each, or
    /// empty to leave it) and the pressures (`pressure`: one pair per load of `gpu`); the batch's place on
    /// the ramp is set by [`Self::set_ramp`].
    pub(super) fn ramp(
        ctx: &GpuContext,
        gpu: &GpuTled,
        tension: &[[f32; 2]],
        pressure: &[[f32; 2]],
    ) -> Result<Self> {
        if !tension.is_empty() {
            check_len("tension ends", tension.len(), gpu.tets.len(), "tetrahedra")?;
        }
        check_len(
            "pressure ends",
            pressure.len(),
            gpu.pressure_values.len(),
            "pressure loads",
        )?;
        Self::new(
            ctx,
            gpu,
            tension.as_flattened(),
            pressure.as_flattened(),
            (tension.len() as u32, pressure.len() as u32),
        )
    }

    /// A pass that writes, at step k of a batch, a uniform tension (when `tension`) and the pressures from
    /// a table of up to `steps` steps ([`Self::set_schedule`]).
    pub(super) fn schedule(
        ctx: &GpuContext,
        gpu: &GpuTled,
        steps: usize,
        tension: bool,
    ) -> Result<Self> {
        let p = gpu.pressure_values.len();
        let tensions = if tension { gpu.tets.len() as u32 } else { 0 };
        let table = |per_step: usize| vec![0.0f32; steps * per_step];
        let loads = Self::new(
            ctx,
            gpu,
            &table(tension as usize),
            &table(p),
            (tensions, p as u32),
        )?;
        loads.params.write(
            ctx,
            &[LoadParams {
                mode: SCHEDULE,
                ..loads.base_params()
            }],
        );
        Ok(loads)
    }

    fn new(
        ctx: &GpuContext,
        gpu: &GpuTled,
        tension_src: &[f32],
        pressure_src: &[f32],
        (tensions, pressures): (u32, u32),
    ) -> Result<Self> {
        use Access::{Read, ReadWrite, Uniform};
        let kernel = Kernel::new(
            ctx,
            &MECH_LOADS,
            "step_loads",
            &[Uniform, Read, Read, ReadWrite, ReadWrite, ReadWrite],
        )?;
        // A runtime-sized array binding must hold at least one element.
        let buffer = |label: &str, v: &[f32]| {
            if v.is_empty() {
                GpuBuffer::from_slice(ctx, label, &[0.0f32])
            } else {
                GpuBuffer::from_slice(ctx, label, v)
            }
        };
        let tension_src = buffer("tension source", tension_src)?;
        let pressure_src = buffer("pressure source", pressure_src)?;
        let params = GpuBuffer::uniform(ctx, "load params", &LoadParams::zeroed())?;
        let items = tensions.max(pressures);
        let pass = (items > 0)
            .then(|| {
                kernel.bind(
                    ctx,
                    &[
                        params.whole(),
                        tension_src.whole(),
                        pressure_src.whole(),
                        gpu.active.whole(),
                        gpu.pressures.whole(),
                        gpu.status.whole(),
                    ],
                    items,
                    0,
                )
            })
            .transpose()?;
        Ok(StepLoads {
            kernel,
            pass,
            params,
            tension_src,
            pressure_src,
            tensions,
            pressures,
        })
    }

    fn base_params(&self) -> LoadParams {
        LoadParams {
            mode: RAMP,
            first: 0,
            ramp: 0,
            tensions: self.tensions,
            pressures: self.pressures,
            _pad: [0; 3],
        }
    }

    /// A ramp's next batch starts at step `first` of a ramp of `ramp` steps (queued write).
    pub(super) fn set_ramp(&self, ctx: &GpuContext, first: u64, ramp: u64) {
        let clamp = |v: u64| v.min(u32::MAX as u64) as u32;
        self.params.write(
            ctx,
            &[LoadParams {
                first: clamp(first),
                ramp: clamp(ramp),
                ..self.base_params()
            }],
        );
    }

    /// A schedule's next batch: `tension[k]` (when the pass writes tension) and `pressures[k P..(k + 1) P]`
    /// for its step k (queued writes).
    pub(super) fn set_schedule(&self, ctx: &GpuContext, tension: &[f32], pressures: &[f32]) {
        if !tension.is_empty() {
            self.tension_src.write(ctx, tension);
        }
        if !pressures.is_empty() {
            self.pressure_src.write(ctx, pressures);
        }
    }

    /// Records the pass (before a step's own passes).
    pub(super) fn record(&self, batch: &mut Batch<'_>) {
        if let Some(pass) = &self.pass {
            batch.dispatch_bound(&self.kernel, pass);
        }
    }
}

/// Steps whose loads are known ahead, run in one submission each batch: step k of a batch under active
/// tension `tension[k]` (kPa, the same in every tetrahedron) and pressures `pressures[k P..(k + 1) P]`
/// (kPa, in the order of the model's pressure loads, P of them), written on the device before the step
/// (`mech_loads.wgsl`). The same steps as setting the loads and calling [`GpuTled::run`] once per step,
/// bit for bit, without a submission and a wait per step.
pub struct ScheduledSteps {
    loads: StepLoads,
    capacity: usize,
    tension: bool,
}

impl ScheduledSteps {
    /// Room for batches of up to `steps` steps of `gpu`; `tension`: whether the schedule sets the active
    /// tension (else the tension stays as it is).
    pub fn new(ctx: &GpuContext, gpu: &GpuTled, steps: usize, tension: bool) -> Result<Self> {
        if steps == 0 {
            return Err(Error::Invalid(
                "a load schedule needs room for at least one step".into(),
            ));
        }
        Ok(ScheduledSteps {
            loads: StepLoads::schedule(ctx, gpu, steps, tension)?,
            capacity: steps,
            tension,
        })
    }

    /// Runs `tension.len()` steps of `gpu` (or `pressures.len() / P` without tension) under the loads
    /// given per step. Failures as [`GpuTled::run`]. The host's record of the pressures is left at the
    /// last step's, as if it had been set with [`GpuTled::set_pressure`].
    pub fn run(
        &self,
        ctx: &GpuContext,
        gpu: &mut GpuTled,
        stepping: Stepping,
        tension: &[f64],
        pressures: &[f64],
    ) -> Result<()> {
        let p = gpu.pressure_values.len();
        let steps = match (self.tension, p) {
            (true, _) => tension.len(),
            (false, 0) => {
                return Err(Error::Invalid(
                    "a load schedule without tension or pressures has nothing to schedule".into(),
                ));
            }
            (false, p) => pressures.len() / p,
        };
        if steps > self.capacity {
            return Err(Error::Invalid(format!(
                "{steps} scheduled steps, room for {}",
                self.capacity
            )));
        }
        if !self.tension && !tension.is_empty() {
            return Err(Error::Invalid(
                "a tension schedule given to a schedule built without tension".into(),
            ));
        }
        check_len(
            "scheduled pressures",
            pressures.len(),
            steps * p,
            "steps x loads",
        )?;
        if steps == 0 {
            return Ok(());
        }
        let f32s = |v: &[f64]| -> Vec<f32> { v.iter().map(|&x| x as f32).collect() };
        self.loads
            .set_schedule(ctx, &f32s(tension), &f32s(pressures));
        gpu.begin(ctx, stepping)?;
        let mut batch = Batch::new(ctx, "scheduled mechanics steps");
        for _ in 0..steps {
            self.loads.record(&mut batch);
            gpu.record_step(&mut batch);
        }
        batch.submit()?;
        let status = gpu.status.read(ctx)?;
        if let Some(last) = pressures.get((steps - 1) * p..) {
            gpu.pressure_values.copy_from_slice(last);
        }
        gpu.finish(
            PendingSteps {
                steps: steps as u32,
                dt: stepping.dt,
            },
            &status,
        )
    }
}
