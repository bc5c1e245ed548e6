//! Dynamic relaxation on the GPU: the algorithm of the CPU's [`crate::mechanics::relax::relax`]
//! (element-wise mass scaling, pseudo time step 1, a linear load ramp, kinetic damping, a residual check)
//! with the steps, the ramp and the kinetic damping on the device (`shaders/mech_loads.wgsl`,
//! `shaders/mech_relax.wgsl`). A batch of `check_every` steps is one submission; between batches only the
//! 20-byte status crosses the bus, and at a check the displacements, whose out-of-balance force the CPU
//! evaluates in f64 with the reference's forces ([`crate::mechanics::relax::balance`]), so that both
//! backends are judged by the same measure.
//!
//! The ramp: the GPU interpolates the pressures and active tensions linearly between the loads the callback
//! sets at fraction 0 and at fraction 1, whatever path the callback takes in between. A static equilibrium of
//! hyperelastic laws depends only on the final loads, so the path only changes how the relaxation gets there;
//! every other load (gravity, springs, which faces carry pressure) must be the same at both ends, or the
//! relaxation is refused.
//!
//! Precision: the relaxation runs on the compensated state ([`GpuTled::set_compensated`]: the displacement
//! as the unevaluated sum u + lo of two f32, `mech_node.wgsl`), started from the f64 state to about 48 bits
//! (`GpuTled::upload_low_parts`). With f32 displacements alone the out-of-balance force stops falling
//! where the rounding of u leaves it: one unit of a 3.6 mm displacement is a strain of 1e-6 over a 0.25 mm
//! element, a pressure of 1e-3 kPa under kappa = 1000 kPa, against the Land beam's load of 0.004 kPa. What
//! is left is the f32 arithmetic of the kernels (the displacement gradient is formed from the corners'
//! differences and J - 1 without cancellation, but each is still rounded to f32), a floor set by the
//! volumetric penalty against the load. Measured on the verification cases (lavapipe; `VERIFICATION.md`):
//! 1.5e-5 on the active Land ventricle (kappa 1000 kPa against 15 kPa and Ta = 60 kPa), 2.7e-4 on Lamé's
//! sphere at 0.5 kPa (Lambda = 1000 kPa), about 4e-4 on the Land beam, where the CPU goes to 1e-6 and
//! below. Give it a tolerance above the floor: a run whose residual stops halving for 60 checks
//! (`STALL_CHECKS`) stops there, reported as `stalled` and not converged, rather than running to
//! `max_steps`.
//!
//! At the floor the residual's norm is element-scale noise, and it can hide a soft mode far from its
//! equilibrium: the noise makes the kinetic damping reset often, and a slow mode never gathers speed. So
//! convergence also asks for the out-of-balance work along the displacement
//! ([`crate::mechanics::relax::Balance::work`]) to be below the tolerance: it is about the relative error of
//! the deformation's amplitude. On the Land beam with f32 displacements it stayed at 7.5e-3 to 7.8e-3 while
//! the residual fell under 2e-3 (the run ended stalled, the tip 0.5% short); with the compensated state it
//! falls to 6e-4 and the run converges (`VERIFICATION.md`). On the other verification cases it is 20-100x
//! below their tolerances.

use std::time::Instant;

use bytemuck::{Pod, Zeroable};

use super::loads::StepLoads;
use super::{GpuTled, PendingSteps};
use crate::error::{Error, Result};
use crate::gpu::shaders::MECH_RELAX;
use crate::gpu::{Access, Batch, BoundDispatch, GpuBuffer, GpuContext, Kernel, WORKGROUP_SIZE};
use crate::mechanics::loads::{Constraints, Loads};
use crate::mechanics::relax::{Balance, RelaxOptions, RelaxReport, balance, scale_masses};
use crate::mechanics::tled::{Stepping, TledModel, TledState};

/// Checks in a row without a residual below half the lowest so far after which the relaxation stops, not
/// converged: the residual has reached the floor of the f32 state above the tolerance, or the residual is
/// below it and the out-of-balance work has not halved either for as long (module docs). 60 checks of the
/// verification's 500 steps is 30,000 steps; the longest stretch without halving on the verification cases
/// is 25,000 (the Land beam on the CPU, 29,000 to 54,000 steps).
const STALL_CHECKS: u32 = 60;

/// Counts the checks since a value last fell below half the lowest so far.
#[derive(Debug, Clone, Copy)]
struct Progress {
    best: f64,
    since: u32,
}

impl Progress {
    fn new() -> Self {
        Progress {
            best: f64::INFINITY,
            since: 0,
        }
    }

    /// Records `value`; returns the checks since the last halving.
    fn check(&mut self, value: f64) -> u32 {
        if value < 0.5 * self.best {
            (self.best, self.since) = (value, 0);
        } else {
            self.since += 1;
        }
        self.since
    }
}

/// `RelaxState` of `shaders/mech_relax.wgsl`: the kinetic damping's state.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct RelaxState {
    ke: f32,
    ke_prev: f32,
    resets: u32,
    reset: u32,
}

/// The loads that the GPU ramps, at fraction 0 and 1: (Ta0, Ta1) per tetrahedron (empty when neither end
/// has active tension) and (p0, p1) per pressure load, kPa.
struct Ends {
    tension: Vec<[f32; 2]>,
    pressure: Vec<[f32; 2]>,
}

impl Ends {
    /// Evaluates `load` at fraction 0 and then 1 (leaving `loads` at the end loads), and checks that
    /// nothing but the pressures and the active tension changes between them.
    fn of(loads: &mut Loads, load: &mut impl FnMut(f64, &mut Loads), tets: usize) -> Result<Ends> {
        load(0.0, loads);
        let start = loads.clone();
        load(1.0, loads);
        let faces_match = start.pressures.len() == loads.pressures.len()
            && start
                .pressures
                .iter()
                .zip(&loads.pressures)
                .all(|(a, b)| a.faces == b.faces);
        if start.gravity != loads.gravity || start.springs != loads.springs || !faces_match {
            return Err(Error::Invalid(
                "the GPU relaxation ramps pressures and active tension only: the loads at fraction 0 \
                 and 1 differ in gravity, springs or the faces under pressure"
                    .into(),
            ));
        }
        let per_tet = |ta: &[f64]| -> Result<Vec<f64>> {
            match ta.len() {
                0 => Ok(vec![0.0; tets]),
                n if n == tets => Ok(ta.to_vec()),
                n => Err(Error::Invalid(format!(
                    "active tension has {n} values for {tets} tetrahedra"
                ))),
            }
        };
        let tension = if start.active_tension.is_empty() && loads.active_tension.is_empty() {
            Vec::new()
        } else {
            let (a, b) = (
                per_tet(&start.active_tension)?,
                per_tet(&loads.active_tension)?,
            );
            a.iter()
                .zip(&b)
                .map(|(&a, &b)| [a as f32, b as f32])
                .collect()
        };
        let pressure = start
            .pressures
            .iter()
            .zip(&loads.pressures)
            .map(|(a, b)| [a.pressure as f32, b.pressure as f32])
            .collect();
        Ok(Ends { tension, pressure })
    }
}

/// The relaxation's passes, bound to their buffers and to those of a [`GpuTled`].
struct RelaxPasses {
    ramp: StepLoads,
    partials_kernel: Kernel,
    damping_kernel: Kernel,
    stop_kernel: Kernel,
    partials: BoundDispatch,
    damping: BoundDispatch,
    stop: BoundDispatch,
    state: GpuBuffer<RelaxState>,
    // Kept alive for the bindings.
    _mass: GpuBuffer<f32>,
    _partials: GpuBuffer<f32>,
}

impl RelaxPasses {
    fn new(ctx: &GpuContext, gpu: &GpuTled, mass: &[f64], ends: &Ends) -> Result<Self> {
        use Access::{Read, ReadWrite};
        let n_nodes = gpu.x.len();
        let partials_kernel = Kernel::new(
            ctx,
            &MECH_RELAX,
            "kinetic_partials",
            &[Read, Read, ReadWrite],
        )?;
        let damping_kernel = Kernel::new(ctx, &MECH_RELAX, "kinetic_damping", &[Read, ReadWrite])?;
        let stop_kernel = Kernel::new(ctx, &MECH_RELAX, "stop_motion", &[Read, ReadWrite])?;
        let mass: Vec<f32> = mass.iter().map(|&m| m as f32).collect();
        let mass = GpuBuffer::from_slice(ctx, "relaxation masses", &mass)?;
        let groups = n_nodes.div_ceil(WORKGROUP_SIZE as usize);
        let partials = GpuBuffer::zeroed(ctx, "kinetic energy partials", groups)?;
        let state = GpuBuffer::from_slice(ctx, "relaxation state", &[RelaxState::zeroed()])?;
        let partials_pass = partials_kernel.bind(
            ctx,
            &[mass.whole(), gpu.du.whole(), partials.whole()],
            n_nodes as u32,
            0,
        )?;
        let damping = damping_kernel.bind(ctx, &[partials.whole(), state.whole()], 1, 0)?;
        let stop = stop_kernel.bind(ctx, &[state.whole(), gpu.du.whole()], n_nodes as u32, 0)?;
        Ok(RelaxPasses {
            ramp: StepLoads::ramp(ctx, gpu, &ends.tension, &ends.pressure)?,
            partials: partials_pass,
            damping,
            stop,
            partials_kernel,
            damping_kernel,
            stop_kernel,
            state,
            _mass: mass,
            _partials: partials,
        })
    }
}

/// Relaxes `state` to equilibrium under the loads `load(fraction, &mut loads)` sets, on the GPU (module
/// docs); the twin of [`crate::mechanics::relax::relax`], with the same arguments and report. The masses of
/// `model` are replaced ([`scale_masses`]); `loads` is left at the end loads and `state` at the relaxed
/// positions (f32 displacements widened).
pub fn relax(
    ctx: &GpuContext,
    model: &mut TledModel,
    state: &mut TledState,
    loads: &mut Loads,
    mut load: impl FnMut(f64, &mut Loads),
    constraints: &Constraints,
    options: RelaxOptions,
) -> Result<RelaxReport> {
    let start = Instant::now();
    if options.check_every == 0 || options.check_every > u32::MAX as u64 {
        return Err(Error::Invalid(format!(
            "check_every {} must be between 1 and {}",
            options.check_every,
            u32::MAX
        )));
    }
    scale_masses(model, options.safety);
    let ends = Ends::of(loads, &mut load, model.tets.len())?;
    let mut gpu = GpuTled::new(ctx, model, state, loads, constraints)?;
    gpu.set_compensated(ctx, true)?;
    gpu.upload_low_parts(ctx, state)?;
    let passes = RelaxPasses::new(ctx, &gpu, &model.mass, &ends)?;
    let stepping = Stepping {
        dt: 1.0,
        damping: 0.0,
    };
    let mut steps = 0u64;
    let mut now = Balance::UNKNOWN;
    let (mut residual_progress, mut work_progress) = (Progress::new(), Progress::new());
    let mut stalled = false;
    while steps < options.max_steps {
        let n = options.check_every.min(options.max_steps - steps);
        passes.ramp.set_ramp(ctx, steps, options.ramp_steps);
        gpu.begin(ctx, stepping)?;
        let mut batch = Batch::new(ctx, "dynamic relaxation");
        for k in 0..n {
            // The loads change while the fraction (steps + k) / ramp_steps is at most 1.
            if steps + k <= options.ramp_steps {
                passes.ramp.record(&mut batch);
            }
            gpu.record_step(&mut batch);
            batch.dispatch_bound(&passes.partials_kernel, &passes.partials);
            batch.dispatch_bound(&passes.damping_kernel, &passes.damping);
            batch.dispatch_bound(&passes.stop_kernel, &passes.stop);
        }
        batch.submit()?;
        let status = gpu.status.read(ctx)?;
        gpu.finish(
            PendingSteps {
                steps: n as u32,
                dt: 1.0,
            },
            &status,
        )?;
        steps += n;
        // After every batch once its last step ran at the full load (as the CPU, every `check_every`
        // steps; and after a last, shorter batch, so that the report has the final residual).
        if steps <= options.ramp_steps {
            continue;
        }
        *state = gpu.state(ctx)?;
        now = balance(model, state, loads, constraints)?;
        log::debug!(
            "GPU relaxation: step {steps}, residual {:.3e}, work {:.3e}",
            now.residual,
            now.work
        );
        if now.within(options.tolerance) {
            break;
        }
        // Stalled: the residual has stopped halving above the tolerance, or below it while the work has
        // stopped halving too.
        let since_residual = residual_progress.check(now.residual);
        let since_work = work_progress.check(now.work);
        if since_residual >= STALL_CHECKS
            && (now.residual >= options.tolerance || since_work >= STALL_CHECKS)
        {
            stalled = true;
            break;
        }
    }
    *state = gpu.state(ctx)?;
    let relax_state = passes.state.read(ctx)?[0];
    Ok(RelaxReport {
        steps,
        residual: now.residual,
        work_residual: now.work,
        tolerance: options.tolerance,
        kinetic_energy: relax_state.ke as f64,
        converged: now.within(options.tolerance),
        stalled,
        resets: relax_state.resets as u64,
        wall_s: start.elapsed().as_secs_f64(),
    })
}
