//! Dynamic relaxation to static equilibrium for quasi-static problems (the Land 2015 beam and ventricle,
//! analytic inflation checks, the heartbeat's preload), on top of the explicit step (the fused step in
//! f64, [`super::fused`]; the residual through the reference's forces, [`super::tled`]).
//!
//! Statics does not depend on the mass, so the masses are replaced by fictitious ones that make every
//! tetrahedron stable at the same pseudo time step: node n gets m_n = sum over its tetrahedra of
//! (V0_e / 4) M_e / (s h_e)^2, with M_e the small-strain wave modulus of the element's law, h_e its
//! smallest height and s a safety factor, and the step is dt = 1 (Underwood 1983's scaling, element by
//! element). Small or stiff elements no longer dictate the step of the whole mesh.
//!
//! Damping is kinetic (Cundall 1976): the kinetic energy is watched every step, and when it falls the
//! motion has passed an energy peak, so all velocities are set to zero. No damping coefficient to tune.
//!
//! The load is ramped linearly over `ramp_steps` (the callback maps the fraction in [0, 1] to loads), then
//! held until the out-of-balance force on the free motion, relative to the internal force scale, and its
//! work along the displacement, relative to the internal forces' work ([`Balance`]), both fall below
//! `tolerance`, checked every `check_every` steps. The report gives the steps, the final residual and
//! kinetic energy, and whether it converged; a run that does not converge is reported, not hidden. The GPU
//! twin, with the ramp and the kinetic damping on the device and an f32 floor on the residual, is
//! [`crate::mechanics::gpu::relax`].

use std::time::Instant;

use glam::DVec3;
use serde::Serialize;

use super::fused::FusedTled;
use super::loads::{Constraints, Loads};
use super::tled::{Scratch, SimError, Stepping, TledModel, TledState};

/// Settings of [`relax`].
#[derive(Debug, Clone, Copy)]
pub struct RelaxOptions {
    /// Safety factor s on the per-element stable step (0 < s < 1).
    pub safety: f64,
    /// Steps over which the load fraction rises from 0 to 1.
    pub ramp_steps: u64,
    /// Give up after this many steps in all.
    pub max_steps: u64,
    /// Converged when [`Balance::residual`] and [`Balance::work`] are both below it.
    pub tolerance: f64,
    pub check_every: u64,
}

impl RelaxOptions {
    /// The load fraction after `steps` steps: a linear ramp over `ramp_steps`, then 1.
    pub fn fraction(&self, steps: u64) -> f64 {
        if self.ramp_steps == 0 {
            1.0
        } else {
            (steps as f64 / self.ramp_steps as f64).min(1.0)
        }
    }
}

impl Default for RelaxOptions {
    fn default() -> Self {
        RelaxOptions {
            safety: 0.5,
            ramp_steps: 2000,
            max_steps: 400_000,
            tolerance: 1e-6,
            check_every: 200,
        }
    }
}

/// What [`relax`] did.
#[derive(Debug, Clone, Serialize)]
pub struct RelaxReport {
    pub steps: u64,
    /// |r_free|_2 / |f_internal|_2 at the end ([`Balance::residual`]).
    pub residual: f64,
    /// The out-of-balance work at the end ([`Balance::work`]).
    pub work_residual: f64,
    /// What `residual` was to fall below ([`RelaxOptions::tolerance`]).
    pub tolerance: f64,
    /// Kinetic energy at the end, in the pseudo units of the scaled masses.
    pub kinetic_energy: f64,
    pub converged: bool,
    /// Stopped before `max_steps` because the residual had stopped falling, above the tolerance (the GPU's
    /// f32 floor, [`crate::mechanics::gpu::relax`]; the CPU never stops early).
    pub stalled: bool,
    /// Times the velocities were reset.
    pub resets: u64,
    pub wall_s: f64,
}

/// Sets the masses of `model` for dynamic relaxation with pseudo step 1 (module docs).
pub fn scale_masses(model: &mut TledModel, safety: f64) {
    let mut mass = vec![0.0; model.node_count()];
    for t in 0..model.tets.len() {
        let m = model.material(t).wave_modulus();
        let h = safety * model.height[t];
        for &n in &model.tets[t] {
            mass[n as usize] += 0.25 * model.volume0[t] * m / (h * h);
        }
    }
    model.mass = mass;
}

/// How far a state is from equilibrium ([`balance`]).
#[derive(Debug, Clone, Copy)]
pub struct Balance {
    /// The relative out-of-balance force |r_free|_2 / |f_internal|_2.
    pub residual: f64,
    /// The out-of-balance force's work along the displacement u = x - X, relative to the internal forces'
    /// work: |sum_n r_free,n . u_n| / sum_n |f_internal,n . u_n|. Where `residual` is dominated by
    /// element-scale noise (the GPU's f32 floor) this projection still sees a deformation mode that has
    /// not reached its equilibrium: a soft mode (a thin beam's bending) carries a large displacement on a
    /// small force, which the norm hides and the work does not.
    pub work: f64,
    /// -sum_n f_internal,n . u_n over all nodes, mN mm (uJ), with f_internal the restoring force on the
    /// nodes: u . K_secant u of the deformed shape (the GPU relaxation's estimate of the slowest mode's
    /// frequency); positive for a shape the material resists.
    pub stored_work: f64,
}

impl Balance {
    /// Before any evaluation: infinitely far.
    pub const UNKNOWN: Balance = Balance {
        residual: f64::INFINITY,
        work: f64::INFINITY,
        stored_work: 0.0,
    };

    /// The balance of out-of-balance forces `r_free` (on the free motion), internal forces `internal`
    /// and displacements `u`, node by node.
    pub fn of(r_free: &[DVec3], internal: &[DVec3], u: &[DVec3]) -> Balance {
        let norm = |v: &[DVec3]| v.iter().map(|f| f.length_squared()).sum::<f64>().sqrt();
        let r_work: f64 = r_free.iter().zip(u).map(|(r, u)| r.dot(*u)).sum();
        let (mut stored_work, mut internal_scale) = (0.0, 0.0);
        for (f, u) in internal.iter().zip(u) {
            stored_work -= f.dot(*u);
            internal_scale += f.dot(*u).abs();
        }
        Balance {
            residual: norm(r_free) / norm(internal).max(f64::MIN_POSITIVE),
            work: r_work.abs() / internal_scale.max(f64::MIN_POSITIVE),
            stored_work,
        }
    }

    /// Whether both the residual and the work are below `tolerance` (what converged means).
    pub fn within(&self, tolerance: f64) -> bool {
        self.residual < tolerance && self.work < tolerance
    }
}

/// The [`Balance`] of the positions of `state` under `loads`, in f64.
pub fn balance(
    model: &TledModel,
    state: &TledState,
    loads: &Loads,
    constraints: &Constraints,
) -> Result<Balance, SimError> {
    let still = vec![DVec3::ZERO; state.x.len()];
    let mut scratch = Scratch::default();
    model.forces(&state.x, &still, loads, state.step, &mut scratch)?;
    let mut r = std::mem::take(&mut scratch.forces);
    constraints.project_free(&mut r);
    let internal = model.internal_forces(&state.x, &loads.active_tension)?;
    let u: Vec<DVec3> = state
        .x
        .iter()
        .zip(&model.rest)
        .map(|(x, x0)| *x - *x0)
        .collect();
    Ok(Balance::of(&r, &internal, &u))
}

/// Relaxes `state` to equilibrium under the loads `load(fraction, &mut loads)` sets (module docs). The
/// masses of `model` are replaced (see [`scale_masses`]); `state.t` counts pseudo time.
pub fn relax(
    model: &mut TledModel,
    state: &mut TledState,
    loads: &mut Loads,
    mut load: impl FnMut(f64, &mut Loads),
    constraints: &Constraints,
    options: RelaxOptions,
) -> Result<RelaxReport, SimError> {
    let start = Instant::now();
    scale_masses(model, options.safety);
    let stepping = Stepping {
        dt: 1.0,
        damping: 0.0,
    };
    let mut fused = FusedTled::<f64>::new(model, loads, constraints, state)?;
    let (mut ke_prev, mut resets) = (0.0, 0);
    let mut now = Balance::UNKNOWN;
    let mut steps = 0;
    while steps < options.max_steps {
        let fraction = options.fraction(steps);
        load(fraction, loads);
        fused.step(stepping, loads)?;
        steps += 1;
        let ke = fused.kinetic_energy(1.0);
        if ke < ke_prev {
            fused.stop();
            resets += 1;
            ke_prev = 0.0;
        } else {
            ke_prev = ke;
        }
        if fraction >= 1.0 && steps % options.check_every == 0 {
            *state = fused.state();
            now = balance(model, state, loads, constraints)?;
            log::debug!(
                "relaxation: step {steps}, residual {:.3e}, work {:.3e}",
                now.residual,
                now.work
            );
            if now.within(options.tolerance) {
                break;
            }
        }
    }
    *state = fused.state();
    Ok(RelaxReport {
        steps,
        residual: now.residual,
        work_residual: now.work,
        tolerance: options.tolerance,
        kinetic_energy: fused.kinetic_energy(1.0),
        converged: now.within(options.tolerance),
        stalled: false,
        resets,
        wall_s: start.elapsed().as_secs_f64(),
    })
}
