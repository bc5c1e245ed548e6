//! Dormand-Prince 5(4): an explicit embedded Runge-Kutta pair with adaptive steps, in `f64`, hand-written
//! (it is small, and the circulation needs nothing a crate would add).
//!
//! One step from `(t, y)` with size `h` evaluates the seven stages `k_i = f(t + c_i h, y + h sum_j a_ij k_j)`
//! of Dormand & Prince (1980), advances with the 5th-order weights `b` (local extrapolation) and estimates
//! the local error as `h sum_i (b_i - b*_i) k_i` against the embedded 4th-order weights `b*`. The last stage
//! is evaluated at the new point, so it is the next step's first stage (FSAL: 6 evaluations per step).
//!
//! Error control (Hairer, Norsett & Wanner, *Solving ODEs I*, II.4): with
//! `sc_i = atol + rtol max(|y_i|, |y_new_i|)` the step is accepted when
//! `err = sqrt(mean_i (e_i / sc_i)^2) <= 1`; the next size is `h * clamp(0.9 err^(-1/5), 0.2, 5)`, never
//! growing right after a rejection. A right-hand side that jumps (an ideal diode that opens) is handled by
//! rejecting the steps that straddle the jump until they are short enough: no event location is needed at
//! the accuracies asked for here.
//!
//! Accepted steps are reported to an observer with both end points and their derivatives, enough for a
//! cubic Hermite interpolant (4th-order accurate) between them: [`hermite`].

/// Step-size control of [`integrate`]. Units are those of the system (seconds for the circulation).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tolerances {
    /// Relative tolerance per component. Default 1e-8.
    pub rtol: f64,
    /// Absolute tolerance per component (in the component's unit: mL, mmHg, mL/s). Default 1e-8.
    pub atol: f64,
    /// Largest step, in the time unit. Default 0.01 (s): a hundredth of a heart beat.
    pub h_max: f64,
    /// Smallest step before giving up with [`OdeError::StepUnderflow`]. Default 1e-12.
    pub h_min: f64,
    /// Most steps (accepted and rejected) per call to [`integrate`]. Default 1_000_000.
    pub max_steps: usize,
}

impl Default for Tolerances {
    fn default() -> Self {
        Self {
            rtol: 1e-8,
            atol: 1e-8,
            h_max: 0.01,
            h_min: 1e-12,
            max_steps: 1_000_000,
        }
    }
}

/// Why an integration stopped early.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OdeError {
    /// A component of the state or of its derivative became NaN or infinite.
    #[error(
        "component {index} is not finite ({value}) at t = {t}: a parameter is out of range (a zero \
         capacitance or inductance, a negative resistance) or the state left the model's domain"
    )]
    NonFinite { t: f64, index: usize, value: f64 },
    /// The error control asked for a step below `h_min`.
    #[error(
        "step size {h:e} fell below the minimum {h_min:e} at t = {t}: the system is too stiff or \
         discontinuous there for the tolerances; loosen rtol/atol or smooth the valves"
    )]
    StepUnderflow { t: f64, h: f64, h_min: f64 },
    /// More than `max_steps` steps.
    #[error("more than {max_steps} steps between t = {t0} and t = {t1} (reached t = {t})")]
    TooManySteps {
        t0: f64,
        t1: f64,
        t: f64,
        max_steps: usize,
    },
}

/// One accepted step, as the observer of [`integrate`] sees it.
#[derive(Clone, Copy, Debug)]
pub struct Step<'a, const N: usize> {
    /// Start time of the step.
    pub t0: f64,
    /// State at `t0`.
    pub y0: &'a [f64; N],
    /// Derivative `f(t0, y0)`.
    pub f0: &'a [f64; N],
    /// End time of the step.
    pub t1: f64,
    /// State at `t1` (5th order).
    pub y1: &'a [f64; N],
    /// Derivative `f(t1, y1)`.
    pub f1: &'a [f64; N],
}

/// Counters of one [`integrate`] call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct OdeStats {
    /// Accepted steps.
    pub accepted: usize,
    /// Rejected steps (error estimate above tolerance).
    pub rejected: usize,
    /// Evaluations of the right-hand side.
    pub rhs_evaluations: usize,
}

impl OdeStats {
    /// Adds another call's counters.
    pub fn add(&mut self, other: OdeStats) {
        self.accepted += other.accepted;
        self.rejected += other.rejected;
        self.rhs_evaluations += other.rhs_evaluations;
    }
}

// Dormand-Prince 5(4) tableau.
const C: [f64; 7] = [0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0];
const A: [[f64; 6]; 7] = [
    [0.0; 6],
    [1.0 / 5.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [3.0 / 40.0, 9.0 / 40.0, 0.0, 0.0, 0.0, 0.0],
    [44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0, 0.0, 0.0, 0.0],
    [
        19372.0 / 6561.0,
        -25360.0 / 2187.0,
        64448.0 / 6561.0,
        -212.0 / 729.0,
        0.0,
        0.0,
    ],
    [
        9017.0 / 3168.0,
        -355.0 / 33.0,
        46732.0 / 5247.0,
        49.0 / 176.0,
        -5103.0 / 18656.0,
        0.0,
    ],
    [
        35.0 / 384.0,
        0.0,
        500.0 / 1113.0,
        125.0 / 192.0,
        -2187.0 / 6784.0,
        11.0 / 84.0,
    ],
];
/// 5th-order weights (equal to the last row of `A`: FSAL).
const B: [f64; 7] = [
    35.0 / 384.0,
    0.0,
    500.0 / 1113.0,
    125.0 / 192.0,
    -2187.0 / 6784.0,
    11.0 / 84.0,
    0.0,
];
/// `b - b*`: the 5th-order minus the embedded 4th-order weights.
const E: [f64; 7] = [
    71.0 / 57600.0,
    0.0,
    -71.0 / 16695.0,
    71.0 / 1920.0,
    -17253.0 / 339200.0,
    22.0 / 525.0,
    -1.0 / 40.0,
];

/// Integrates `y' = f(t, y)` from `t0` to `t1` (> `t0`), starting with step `h` (clamped to
/// `[h_min, h_max]`). Calls `observe` after every accepted step. Returns the state at `t1`, the size
/// proposed for the next step (to carry over to a following call) and the counters.
pub fn integrate<const N: usize>(
    mut f: impl FnMut(f64, &[f64; N]) -> [f64; N],
    t0: f64,
    t1: f64,
    y0: [f64; N],
    h: f64,
    tol: &Tolerances,
    mut observe: impl FnMut(Step<'_, N>),
) -> Result<([f64; N], f64, OdeStats), OdeError> {
    let mut stats = OdeStats::default();
    let mut t = t0;
    let mut y = y0;
    let mut fy = f(t, &y);
    stats.rhs_evaluations += 1;
    check_finite(t, &y)?;
    check_finite(t, &fy)?;
    let mut h = h.clamp(tol.h_min, tol.h_max);
    let mut h_next = h;
    let mut just_rejected = false;
    while t < t1 {
        if stats.accepted + stats.rejected >= tol.max_steps {
            return Err(OdeError::TooManySteps {
                t0,
                t1,
                t,
                max_steps: tol.max_steps,
            });
        }
        // Land exactly on t1; remember the unclipped proposal for the caller.
        let last = t + h >= t1;
        let h_try = if last { t1 - t } else { h };
        let (y_new, f_new, err) = dp_step(&mut f, t, &y, &fy, h_try, tol);
        stats.rhs_evaluations += 6;
        let factor = step_factor(err);
        if err <= 1.0 {
            let t_new = if last { t1 } else { t + h_try };
            check_finite(t_new, &y_new)?;
            check_finite(t_new, &f_new)?;
            observe(Step {
                t0: t,
                y0: &y,
                f0: &fy,
                t1: t_new,
                y1: &y_new,
                f1: &f_new,
            });
            stats.accepted += 1;
            t = t_new;
            y = y_new;
            fy = f_new;
            let grow = if just_rejected {
                factor.min(1.0)
            } else {
                factor
            };
            just_rejected = false;
            h = (h_try * grow).clamp(tol.h_min, tol.h_max);
            if !last {
                h_next = h;
            }
        } else {
            stats.rejected += 1;
            just_rejected = true;
            let h_new = h_try * factor.min(1.0);
            if !h_new.is_finite() || h_new < tol.h_min {
                return Err(OdeError::StepUnderflow {
                    t,
                    h: h_new,
                    h_min: tol.h_min,
                });
            }
            h = h_new;
        }
    }
    Ok((y, h_next, stats))
}

/// One Dormand-Prince step of size `h` from `(t, y)` with `f0 = f(t, y)`: the 5th-order state, its
/// derivative (the FSAL stage), and the scaled error norm (a NaN counts as a failed step).
fn dp_step<const N: usize>(
    f: &mut impl FnMut(f64, &[f64; N]) -> [f64; N],
    t: f64,
    y: &[f64; N],
    f0: &[f64; N],
    h: f64,
    tol: &Tolerances,
) -> ([f64; N], [f64; N], f64) {
    let mut k = [[0.0; N]; 7];
    k[0] = *f0;
    for s in 1..7 {
        let ys: [f64; N] =
            std::array::from_fn(|i| y[i] + h * (0..s).map(|j| A[s][j] * k[j][i]).sum::<f64>());
        k[s] = f(t + C[s] * h, &ys);
    }
    let y_new: [f64; N] =
        std::array::from_fn(|i| y[i] + h * (0..7).map(|s| B[s] * k[s][i]).sum::<f64>());
    let err = error_norm(y, &y_new, &k, h, tol);
    (y_new, k[6], err)
}

/// Root-mean-square over the components of the local error estimate `h sum_s E_s k_s`, each divided by
/// `atol + rtol max(|y|, |y_new|)`.
fn error_norm<const N: usize>(
    y: &[f64; N],
    y_new: &[f64; N],
    k: &[[f64; N]; 7],
    h: f64,
    tol: &Tolerances,
) -> f64 {
    let sum: f64 = (0..N)
        .map(|i| {
            let e = h * (0..7).map(|s| E[s] * k[s][i]).sum::<f64>();
            let sc = tol.atol + tol.rtol * y[i].abs().max(y_new[i].abs());
            (e / sc).powi(2)
        })
        .sum();
    let norm = (sum / N as f64).sqrt();
    if norm.is_nan() { f64::INFINITY } else { norm }
}

/// `0.9 err^(-1/5)` clamped to `[0.2, 5]`.
fn step_factor(err: f64) -> f64 {
    if err == 0.0 {
        return 5.0;
    }
    (0.9 * err.powf(-0.2)).clamp(0.2, 5.0)
}

fn check_finite<const N: usize>(t: f64, y: &[f64; N]) -> Result<(), OdeError> {
    match y.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(index) => Err(OdeError::NonFinite {
            t,
            index,
            value: y[index],
        }),
    }
}

/// Cubic Hermite interpolation inside an accepted step at time `t` in `[step.t0, step.t1]`.
pub fn hermite<const N: usize>(step: &Step<'_, N>, t: f64) -> [f64; N] {
    let h = step.t1 - step.t0;
    let s = (t - step.t0) / h;
    let (s2, s3) = (s * s, s * s * s);
    let h00 = 2.0 * s3 - 3.0 * s2 + 1.0;
    let h10 = s3 - 2.0 * s2 + s;
    let h01 = -2.0 * s3 + 3.0 * s2;
    let h11 = s3 - s2;
    std::array::from_fn(|i| {
        h00 * step.y0[i] + h10 * h * step.f0[i] + h01 * step.y1[i] + h11 * h * step.f1[i]
    })
}
