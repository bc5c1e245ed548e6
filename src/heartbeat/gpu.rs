//! The heartbeat's mechanics on the GPU backend: the explicit step ([`GpuTled`], f32), the cavity volumes
//! ([`GpuCavity`]) and the active tension ([`ActiveTension`], `shaders/active_tension.wgsl`) resident on
//! the GPU, driven step by step by [`super::simulation::Simulation`], which keeps the 0D circulation on
//! the CPU.
//!
//! ## One submission and one wait per step
//! The coupled step n needs the cavity volumes at `x_n` before the mechanics step (the pressures
//! `k (V_blood - V_cavity)`), and the circulation after it needs the same volumes. So each step's batch
//! records: the active tension at `t_n` (one invocation per tetrahedron, into the tension buffer the
//! element pass reads), the mechanics step to `x_{n+1}`, then the cavity volumes of `x_{n+1}` (the ones
//! the next step needs), and copies the step's 4-word status and the volumes into one small buffer that
//! is read back with the submission's one wait ([`Batch::submit_and_read`]): 24 bytes per step cross the
//! bus. The volumes of the initial state are measured once, when the state is uploaded. Every pass is bound
//! to its buffers once, in [`GpuHeart::new`] (the tension's time is a queued write of its uniform): host
//! cost of recording a step on the default heart 11.6-12.7 us, against 30.2 us when each step made its
//! bind groups and uniforms (lavapipe, `cargo bench --bench heartbeat`, instrumented). The algorithm is
//! the CPU backend's, step for step; only the order in which the GPU computes V(x_{n+1}) (at the end of
//! step n rather than the start of step n+1) differs, which saves a second wait per step.
//!
//! The positions stay on the GPU; [`GpuHeart::positions`] reads them back (cached until the next step)
//! for samples, fields and checkpoints.
//!
//! ## Checkpoints, bit for bit
//! The GPU state is the f32 displacement `u = x - X` and the last step's increment `du = u_n - u_{n-1}`.
//! A checkpoint stores `x = X + u` and `x_prev = X + (u - du)` in f64, and a resumed run uploads
//! `f32(x - X)` and `f32(x - x_prev)`, which give `u` and `du` back exactly unless a component is so small
//! that its low bits fall below the f64 resolution of `X` (below about 2^-29 |X|, a fraction of a
//! nanometre). [`GpuHeart::save`] checks every component and lists the nodes where the round trip
//! would not be exact with their f32 values ([`ExactDisplacement`]), which the resume writes back: a
//! resumed GPU run continues from the very bits an uninterrupted one holds.

use bytemuck::{Pod, Zeroable};
use glam::DVec3;
use serde::{Deserialize, Serialize};

use super::activation::TABLE_STEP_MS;
use super::heart::Heart;
use crate::coupling::cavity_gpu::{BoundVolume, GpuCavity};
use crate::error::Result;
use crate::gpu::shaders::ACTIVE_TENSION;
use crate::gpu::{Access, Batch, BoundDispatch, GpuBuffer, GpuContext, GpuError, Kernel, Range};
use crate::mechanics::gpu::{Displacements, GpuTled, rel, wide};
use crate::mechanics::loads::{Constraints, Loads};
use crate::mechanics::tled::{Stepping, TledState};

/// `TwitchParams` of `shaders/active_tension.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct TwitchParams {
    phase: f32,
    period: f32,
    duration: f32,
    table_step: f32,
    entries: u32,
    scale: f32,
    _pad: [u32; 2],
}
const _: () = assert!(size_of::<TwitchParams>() == 32);

/// The active tension of every tetrahedron on the GPU: the twin of the CPU's
/// `contractility * Twitch::lookup((t - activation).rem_euclid(period))`, with the activation times,
/// contractilities and twitch table uploaded once and the time given per dispatch.
pub struct ActiveTension {
    kernel: Kernel,
    activation: GpuBuffer<f32>,
    contractility: GpuBuffer<f32>,
    table: GpuBuffer<f32>,
    entries: u32,
    duration: f64,
    period: f64,
    /// Start of the current beat, ms, and the multiplier of every contractility (see
    /// [`ActiveTension::set_beat`]).
    beat_start: f64,
    scale: f64,
}

impl ActiveTension {
    /// Uploads the activation times, contractilities and twitch of `heart`, beating with period
    /// `period_ms`.
    pub fn new(ctx: &GpuContext, heart: &Heart, period_ms: f64) -> Result<Self, GpuError> {
        use Access::{Read, ReadWrite, Uniform};
        let f32s = |v: &[f64]| -> Vec<f32> { v.iter().map(|&x| x as f32).collect() };
        let table = heart.twitch.table();
        Ok(ActiveTension {
            kernel: Kernel::new(
                ctx,
                &ACTIVE_TENSION,
                "active_tension",
                &[Uniform, Read, Read, Read, ReadWrite],
            )?,
            // Never-activated elements (infinite time) never contract: time 0, contractility 0, as the
            // CPU's guard does.
            activation: GpuBuffer::from_slice(
                ctx,
                "activation times",
                &f32s(
                    &heart
                        .activation_ms
                        .iter()
                        .map(|&t| if t.is_finite() { t } else { 0.0 })
                        .collect::<Vec<_>>(),
                ),
            )?,
            contractility: GpuBuffer::from_slice(
                ctx,
                "contractility",
                &f32s(
                    &heart
                        .contractility
                        .iter()
                        .zip(&heart.activation_ms)
                        .map(|(&c, &t)| if t.is_finite() { c } else { 0.0 })
                        .collect::<Vec<_>>(),
                ),
            )?,
            table: GpuBuffer::from_slice(ctx, "twitch table", &f32s(table))?,
            entries: table.len() as u32,
            duration: heart.twitch.duration_ms(),
            period: period_ms,
            beat_start: 0.0,
            scale: 1.0,
        })
    }

    /// From `beat_start_ms` on: beats of `period_ms`, every contractility times `scale` (the
    /// [`Settings`](super::simulation::Settings) of a running simulation).
    pub fn set_beat(&mut self, beat_start_ms: f64, period_ms: f64, scale: f64) {
        self.beat_start = beat_start_ms;
        self.period = period_ms;
        self.scale = scale;
    }

    /// Tetrahedra it computes.
    pub fn len(&self) -> usize {
        self.activation.len()
    }

    pub fn is_empty(&self) -> bool {
        self.activation.is_empty()
    }

    /// Records the pass that writes the tension (kPa) of every tetrahedron at time `t_ms` into `out`.
    pub fn record(
        &self,
        ctx: &GpuContext,
        batch: &mut Batch<'_>,
        t_ms: f64,
        out: &GpuBuffer<f32>,
    ) -> Result<(), GpuError> {
        self.check_output(out)?;
        // A uniform per dispatch (not a queued write into one): two records in one batch keep their
        // own times.
        let params = GpuBuffer::uniform(ctx, "twitch params", &self.params(t_ms))?;
        batch.dispatch(
            &self.kernel,
            &self.bindings(&params, out),
            self.len() as u32,
            0,
        )
    }

    /// The pass of [`Self::record`] into `out`, bound once with a uniform of its own, for a time loop
    /// that records it every step ([`Self::record_bound`]).
    pub fn bind(&self, ctx: &GpuContext, out: &GpuBuffer<f32>) -> Result<BoundTension, GpuError> {
        self.check_output(out)?;
        let params = GpuBuffer::uniform(ctx, "twitch params (bound)", &self.params(0.0))?;
        let pass = self
            .kernel
            .bind(ctx, &self.bindings(&params, out), self.len() as u32, 0)?;
        Ok(BoundTension { pass, params })
    }

    /// Records the pass of [`Self::bind`] at time `t_ms`. Its time is a queued write of the bound uniform,
    /// which runs before the next submission: one record per submission (several in one batch would all
    /// run at the last time; [`Self::record`] keeps each its own).
    pub fn record_bound(
        &self,
        ctx: &GpuContext,
        batch: &mut Batch<'_>,
        bound: &BoundTension,
        t_ms: f64,
    ) {
        bound.params.write(ctx, &[self.params(t_ms)]);
        batch.dispatch_bound(&self.kernel, &bound.pass);
    }

    fn params(&self, t_ms: f64) -> TwitchParams {
        TwitchParams {
            phase: (t_ms - self.beat_start).rem_euclid(self.period) as f32,
            period: self.period as f32,
            duration: self.duration as f32,
            table_step: TABLE_STEP_MS as f32,
            entries: self.entries,
            scale: self.scale as f32,
            _pad: [0; 2],
        }
    }

    fn bindings<'a>(
        &'a self,
        params: &'a GpuBuffer<TwitchParams>,
        out: &'a GpuBuffer<f32>,
    ) -> [Range<'a>; 5] {
        [
            params.whole(),
            self.activation.whole(),
            self.contractility.whole(),
            self.table.whole(),
            out.whole(),
        ]
    }

    fn check_output(&self, out: &GpuBuffer<f32>) -> Result<(), GpuError> {
        if out.len() == self.len() {
            return Ok(());
        }
        Err(GpuError::Validation {
            what: "recording the active tension".into(),
            message: format!(
                "the output buffer {:?} has {} entries, the heart {} tetrahedra",
                out.label(),
                out.len(),
                self.len()
            ),
        })
    }
}

/// The active-tension pass bound to its output once ([`ActiveTension::bind`]).
pub struct BoundTension {
    pass: BoundDispatch,
    params: GpuBuffer<TwitchParams>,
}

/// The GPU state of a heart, for drawing on its device: rest positions and displacements (`[f32; 4]` per
/// node, mm; the positions are `origin + rest + displacement`) and the active tension per tetrahedron
/// (f32, kPa).
#[derive(Debug, Clone)]
pub struct GpuNodes {
    pub rest: wgpu::Buffer,
    pub displacement: wgpu::Buffer,
    pub tension: wgpu::Buffer,
    pub origin: DVec3,
}

/// A node whose f32 state a checkpoint's f64 positions would not give back exactly (module docs): its
/// displacement `x - X` and last increment `x - x_prev`, mm, as the GPU held them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ExactDisplacement {
    pub node: u32,
    pub u: [f32; 3],
    pub du: [f32; 3],
}

/// The GPU's state as a checkpoint holds it: positions (f64) and the exceptions to their round trip.
pub struct SavedState {
    pub x: Vec<[f64; 3]>,
    pub x_prev: Vec<[f64; 3]>,
    pub exact: Vec<ExactDisplacement>,
}

/// Whether `f32(a - b)` gives `v` back bit for bit.
fn round_trips(a: DVec3, b: DVec3, v: [f32; 4]) -> bool {
    let r = rel(a, b);
    (0..3).all(|c| r[c].to_bits() == v[c].to_bits())
}

/// The positions `X + u` and `X + (u - du)` (f64) of the state `u`, `du` over the rest positions `rest`,
/// with the nodes whose round trip is not exact.
pub fn save_displacements(rest: &[DVec3], u: &[[f32; 4]], du: &[[f32; 4]]) -> SavedState {
    let mut saved = SavedState {
        x: Vec::with_capacity(rest.len()),
        x_prev: Vec::with_capacity(rest.len()),
        exact: Vec::new(),
    };
    for (i, ((&r, &a), &d)) in rest.iter().zip(u).zip(du).enumerate() {
        let (x, xp) = (r + wide(&a), r + (wide(&a) - wide(&d)));
        if !(round_trips(x, r, a) && round_trips(x, xp, d)) {
            saved.exact.push(ExactDisplacement {
                node: i as u32,
                u: [a[0], a[1], a[2]],
                du: [d[0], d[1], d[2]],
            });
        }
        saved.x.push(x.to_array());
        saved.x_prev.push(xp.to_array());
    }
    saved
}

/// The state a resume uploads: `u = f32(x - X)` and `du = f32(x - x_prev)` (as [`GpuTled::new`] forms
/// them), with the exceptions written back. An exception naming a node the mesh lacks is an error.
pub fn restore_displacements(
    rest: &[DVec3],
    x: &[DVec3],
    x_prev: &[DVec3],
    exact: &[ExactDisplacement],
) -> Result<(Displacements, Displacements)> {
    let mut u: Vec<[f32; 4]> = x.iter().zip(rest).map(|(&p, &r)| rel(p, r)).collect();
    let mut du: Vec<[f32; 4]> = x.iter().zip(x_prev).map(|(&p, &q)| rel(p, q)).collect();
    for e in exact {
        let n = e.node as usize;
        if n >= u.len() || n >= du.len() {
            return Err(crate::error::Error::Invalid(format!(
                "checkpoint: exact displacement of node {n}, but the mesh has {} nodes",
                u.len()
            )));
        }
        u[n] = [e.u[0], e.u[1], e.u[2], 0.0];
        du[n] = [e.du[0], e.du[1], e.du[2], 0.0];
    }
    Ok((u, du))
}

/// The passes of a heartbeat step besides the mechanics', bound once to the state's buffers.
struct BoundPasses {
    tension: BoundTension,
    lv: BoundVolume,
    rv: Option<BoundVolume>,
}

/// The heart's mechanics, resident on the GPU (module docs).
pub struct GpuHeart {
    ctx: Box<GpuContext>,
    tled: GpuTled,
    lv: GpuCavity,
    rv: Option<GpuCavity>,
    tension: ActiveTension,
    /// The per-step passes besides the mechanics', bound once to the state's buffers (a step makes no
    /// bind groups or uniforms): the tension into the element pass's input, the LV and RV volumes.
    bound: BoundPasses,
    /// Status (4 words), then the LV and RV volumes (f32 bits): what one step reads back.
    readback: GpuBuffer<u32>,
    /// Cavity volumes of the current positions, mm^3.
    volumes: (f64, Option<f64>),
    /// The current positions read back, valid while `host_valid`.
    host: Vec<DVec3>,
    host_valid: bool,
    rest: Vec<DVec3>,
}

impl GpuHeart {
    /// Uploads `heart` at `state` with `loads` (pressures and springs; the tension is computed on the GPU),
    /// beating with period `period_ms`; `exact` restores the displacements a checkpoint listed (see
    /// [`save_displacements`]). Measures the cavity volumes of the state.
    pub fn new(
        ctx: Box<GpuContext>,
        heart: &Heart,
        state: &TledState,
        loads: &Loads,
        period_ms: f64,
        exact: &[ExactDisplacement],
    ) -> Result<Self> {
        let mut tled = GpuTled::new(&ctx, &heart.model, state, loads, &Constraints::default())?;
        let rest = heart.model.rest.clone();
        if !exact.is_empty() {
            let (u, du) = restore_displacements(&rest, &state.x, &state.x_prev, exact)?;
            tled.set_displacements(&ctx, &u, &du)?;
        }
        let origin = tled.origin();
        let cavity = |c: &crate::coupling::cavity::Cavity| {
            GpuCavity::new(&ctx, c, origin, c.reference_centroid(&heart.mesh))
        };
        let lv = cavity(&heart.lv)?;
        let rv = heart.rv.as_ref().map(cavity).transpose()?;
        let tension = ActiveTension::new(&ctx, heart, period_ms)?;
        let (u, rest_buffer) = (tled.current(), tled.rest_buffer());
        let bound = BoundPasses {
            tension: tension.bind(&ctx, tled.active_tension_buffer())?,
            lv: lv.bind_displacement(&ctx, u, rest_buffer)?,
            rv: rv
                .as_ref()
                .map(|rv| rv.bind_displacement(&ctx, u, rest_buffer))
                .transpose()?,
        };
        let readback = GpuBuffer::zeroed(&ctx, "heartbeat step readback", 6)?;
        let mut gpu = GpuHeart {
            tled,
            lv,
            rv,
            tension,
            bound,
            readback,
            volumes: (0.0, None),
            host: Vec::new(),
            host_valid: false,
            rest,
            ctx,
        };
        let mut batch = Batch::untimed(&gpu.ctx, "heartbeat cavity volumes");
        gpu.record_volumes(&mut batch)?;
        let (words, _) = batch.submit_and_read(&gpu.readback)?;
        gpu.volumes = gpu.volumes_of(&words);
        Ok(gpu)
    }

    /// The device the heart runs on.
    pub fn context(&self) -> &GpuContext {
        &self.ctx
    }

    /// Records the cavity volumes of the current positions into words 4 and 5 of the readback buffer.
    fn record_volumes(&self, batch: &mut Batch<'_>) -> Result<(), GpuError> {
        self.lv.record_bound(batch, &self.bound.lv);
        batch.copy(self.lv.volume_buffer(), 0, &self.readback, 4, 1)?;
        if let (Some(rv), Some(bound)) = (&self.rv, &self.bound.rv) {
            rv.record_bound(batch, bound);
            batch.copy(rv.volume_buffer(), 0, &self.readback, 5, 1)?;
        }
        Ok(())
    }

    fn volumes_of(&self, words: &[u32]) -> (f64, Option<f64>) {
        let v = |i: usize| words.get(i).map_or(f64::NAN, |&w| f32::from_bits(w) as f64);
        (v(4), self.rv.as_ref().map(|_| v(5)))
    }

    /// Cavity volumes (LV, RV) of the current positions, mm^3.
    pub fn volumes(&self) -> (f64, Option<f64>) {
        self.volumes
    }

    /// Mechanics time, ms.
    pub fn time_ms(&self) -> f64 {
        self.tled.t
    }

    /// Steps taken.
    pub fn steps(&self) -> u64 {
        self.tled.step
    }

    /// One step of `dt` ms from the current time with the cavity pressures `pressures_kpa` (in the order
    /// of the heart's pressure loads): active tension, mechanics step and the new cavity volumes, one
    /// submission and one wait (module docs). A failure of the mechanics is the [`GpuTled::run`] error.
    pub fn step(&mut self, pressures_kpa: &[f64], dt: f64) -> Result<()> {
        for (i, &p) in pressures_kpa.iter().enumerate() {
            self.tled.set_pressure(i, p)?;
        }
        self.host_valid = false;
        let ctx = &*self.ctx;
        let mut batch = Batch::untimed(ctx, "heartbeat step");
        self.tension
            .record_bound(ctx, &mut batch, &self.bound.tension, self.tled.t);
        let pending = self
            .tled
            .record(ctx, &mut batch, 1, Stepping { dt, damping: 0.0 })?;
        self.record_volumes(&mut batch)?;
        batch.copy(self.tled.status_buffer(), 0, &self.readback, 0, 4)?;
        let (words, _) = batch.submit_and_read(&self.readback)?;
        self.tled.finish(pending, &words[..4.min(words.len())])?;
        self.volumes = self.volumes_of(&words);
        Ok(())
    }

    /// Handles of the buffers the current state is in, to draw it on the same device without reading it
    /// back (every step updates them in place).
    pub fn nodes(&self) -> GpuNodes {
        GpuNodes {
            rest: self.tled.rest_buffer().buffer.clone(),
            displacement: self.tled.current().buffer.clone(),
            tension: self.tled.active_tension_buffer().buffer.clone(),
            origin: self.tled.origin(),
        }
    }

    /// Beats of `period_ms` from `beat_start_ms`, contractility times `scale` (see
    /// [`ActiveTension::set_beat`]).
    pub fn set_beat(&mut self, beat_start_ms: f64, period_ms: f64, scale: f64) {
        self.tension.set_beat(beat_start_ms, period_ms, scale);
    }

    /// The current positions, mm, read back once per step (cached until the next).
    pub fn positions(&mut self) -> Result<&[DVec3]> {
        if !self.host_valid {
            self.host = self.tled.positions(&self.ctx)?;
            self.host_valid = true;
        }
        Ok(&self.host)
    }

    /// The state a checkpoint stores (module docs).
    pub fn save(&self) -> Result<SavedState> {
        let (u, du) = self.tled.displacements(&self.ctx)?;
        Ok(save_displacements(&self.rest, &u, &du))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_keep_every_f32_displacement_bit() {
        // Far from the origin, a displacement of 1e-9 mm has bits below the f64 resolution of X.
        let rest = vec![DVec3::new(130.0, -250.5, 80.25); 4];
        let u = vec![
            [0.5f32, -0.125, 3.0e-3, 0.0],
            [1.0e-9, 0.0, -7.3e-12, 0.0],
            [0.1, 0.2, 0.3, 0.0],
            [0.0, 0.0, 0.0, 0.0],
        ];
        let du = vec![
            [0.25f32, 0.0, 0.0, 0.0],
            [0.0; 4],
            [0.1, 0.2, 0.3, 0.0],
            [0.0, 3.0e-10, 0.0, 0.0],
        ];
        let saved = save_displacements(&rest, &u, &du);
        let nodes: Vec<u32> = saved.exact.iter().map(|e| e.node).collect();
        assert_eq!(nodes, [1, 3], "the nodes whose f64 positions lose f32 bits");
        let x: Vec<DVec3> = saved.x.iter().map(|p| DVec3::from_array(*p)).collect();
        let xp: Vec<DVec3> = saved.x_prev.iter().map(|p| DVec3::from_array(*p)).collect();
        // Without the exceptions the round trip loses bits; with them it is exact.
        let (lossy, _) = restore_displacements(&rest, &x, &xp, &[]).unwrap();
        assert_ne!(
            bytemuck::cast_slice::<_, u32>(&lossy),
            bytemuck::cast_slice::<_, u32>(&u)
        );
        let (a, b) = restore_displacements(&rest, &x, &xp, &saved.exact).unwrap();
        assert_eq!(
            bytemuck::cast_slice::<_, u32>(&a),
            bytemuck::cast_slice::<_, u32>(&u)
        );
        assert_eq!(
            bytemuck::cast_slice::<_, u32>(&b),
            bytemuck::cast_slice::<_, u32>(&du)
        );
        let bad = [ExactDisplacement {
            node: 9,
            u: [0.0; 3],
            du: [0.0; 3],
        }];
        assert!(restore_displacements(&rest, &x, &xp, &bad).is_err());
    }
}
