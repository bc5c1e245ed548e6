//! The closed-loop lumped-parameter circulation of Regazzoni et al., "A cardiac electromechanics model
//! coupled with a lumped-parameter model for closed-loop blood circulation", J. Comput. Phys. 457:111083
//! (2022), in `f64`. Parameters: `shared/benchmarks/CIRCULATION.md`, the [`Default`] of every struct here.
//!
//! Units: volumes mL, pressures mmHg, flows mL/s, times s; resistances mmHg s/mL, capacitances mL/mmHg,
//! inductances mmHg s^2/mL, elastances mmHg/mL.
//!
//! ## Chambers (LA, LV, RA, RV)
//! Each chamber is a time-varying elastance, `p = E(t) (V - V0)`, `E(t) = EA e(t) + EB`, with the activation
//! `e` periodic with the heart period `T = 1 / HR`. With `tau = (t - tC) mod T`:
//!
//! ```text
//! e = 0.5 (1 - cos(pi tau / TC))            0 <= tau < TC          (contraction)
//! e = 0.5 (1 + cos(pi (tau - TC) / TR))     TC <= tau < TC + TR    (relaxation)
//! e = 0                                     otherwise              (rest; needs TC + TR <= T)
//! ```
//!
//! A coupled run replaces the elastance of the LV (and RV) by a finite-element cavity: the chamber
//! pressures are read through [`ChamberPressures`], implemented here by [`Elastances`] (the 0D model)
//! and by [`Override`] (any closure `p(t, V)` for chosen chambers), so the right-hand side stays the same.
//!
//! ## Valves (mitral MV, aortic AV, tricuspid TV, pulmonary PV)
//! Flow `Q = (p_up - p_down) / R(p_up, p_down)`. Two laws ([`ValveLaw`]):
//! - `Smooth` (default): `log10 R = log10 Rmin + (log10 Rmax - log10 Rmin) H(p_down - p_up)` with
//!   `H(x) = 1/2 + atan(pi/2 k x) / pi`, `k = 200 /mmHg`. This is the law of the reference implementation
//!   (PyPI `circulation`, `regazzoni2020`), chosen as default so the limit cycle can be compared with it to
//!   integrator accuracy, and because a continuous right-hand side lets the error control take long steps
//!   through valve events instead of rejecting steps at each of them.
//! - `Ideal`: the paper's diode, `R = Rmin` when `p_up > p_down`, else `Rmax`. Discontinuous; the adaptive
//!   integrator resolves each switch by step rejection. Its limit cycle differs from the smooth one by a
//!   fraction of a percent (the smooth diode leaks a little around the switch).
//!
//! ## Circuits (systemic SYS, pulmonary PUL): arteries and veins, each an RLC compartment
//! ```text
//! C_AR dp_AR/dt = Q_in - Q_AR          L_AR dQ_AR/dt  = -R_AR Q_AR - p_VEN + p_AR
//! C_VEN dp_VEN/dt = Q_AR - Q_VEN       L_VEN dQ_VEN/dt = -R_VEN Q_VEN - p_atrium + p_VEN
//! ```
//! with `Q_in = Q_AV` (SYS) or `Q_PV` (PUL), and the veins draining into the RA (SYS) or the LA (PUL).
//! Chambers: `dV_LA/dt = Q_VEN_PUL - Q_MV`, `dV_LV/dt = Q_MV - Q_AV`, `dV_RA/dt = Q_VEN_SYS - Q_TV`,
//! `dV_RV/dt = Q_TV - Q_PV`. The 12 unknowns are [`CirculationState`]. The total blood volume
//! `sum V_chambers + sum C p` is an exact invariant (the flows cancel pairwise), which Runge-Kutta methods
//! keep to rounding error.
//!
//! ## Limit cycle
//! [`run_to_limit_cycle`] integrates beat by beat (a beat starts at the LV's contraction onset, i.e. its
//! end-diastole) with [`ode::integrate`] until the four chamber volumes at the start of consecutive beats
//! differ by less than [`LimitCycleOptions::tol_ml`]; the last beat is sampled on a uniform grid (cubic
//! Hermite interpolation between accepted steps) and summarised in [`CirculationSummary`].

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

use super::ode::{self, OdeError, OdeStats, Step, Tolerances};

/// One heart chamber's time-varying elastance.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChamberParams {
    /// Active elastance `EA`, mmHg/mL.
    pub ea_mmhg_per_ml: f64,
    /// Passive elastance `EB`, mmHg/mL.
    pub eb_mmhg_per_ml: f64,
    /// Duration of contraction `TC`, s.
    pub contraction_s: f64,
    /// Duration of relaxation `TR`, s.
    pub relaxation_s: f64,
    /// Onset of contraction `tC` within the beat, s (taken modulo the period).
    pub onset_s: f64,
    /// Unstressed volume `V0`, mL.
    pub v0_ml: f64,
}

impl ChamberParams {
    /// Activation `e(t)` in [0, 1] for heart period `period_s`.
    pub fn activation(&self, t: f64, period_s: f64) -> f64 {
        let tau = (t - self.onset_s).rem_euclid(period_s);
        let (tc, tr) = (self.contraction_s, self.relaxation_s);
        if tau < tc {
            0.5 * (1.0 - (PI * tau / tc).cos())
        } else if tau < tc + tr {
            0.5 * (1.0 + (PI * (tau - tc) / tr).cos())
        } else {
            0.0
        }
    }

    /// Elastance `E(t) = EA e(t) + EB`, mmHg/mL.
    pub fn elastance(&self, t: f64, period_s: f64) -> f64 {
        self.ea_mmhg_per_ml * self.activation(t, period_s) + self.eb_mmhg_per_ml
    }

    /// Pressure `E(t) (V - V0)`, mmHg, at volume `v_ml`.
    pub fn pressure(&self, t: f64, period_s: f64, v_ml: f64) -> f64 {
        self.elastance(t, period_s) * (v_ml - self.v0_ml)
    }
}

/// How a valve's resistance depends on the pressure across it; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValveLaw {
    /// Log-resistance interpolated by an arctangent step of steepness `k`, 1/mmHg (default 200).
    Smooth { steepness_per_mmhg: f64 },
    /// `Rmin` when the upstream pressure is higher, else `Rmax`.
    Ideal,
}

/// The four valves (all alike here).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValveParams {
    /// Resistance of an open valve `Rmin`, mmHg s/mL. Default 0.0075.
    pub r_min: f64,
    /// Resistance of a closed valve `Rmax`, mmHg s/mL. Default 75006.2.
    pub r_max: f64,
    /// Default `Smooth { steepness_per_mmhg: 200 }`, the reference implementation's.
    pub law: ValveLaw,
}

impl Default for ValveParams {
    fn default() -> Self {
        Self {
            r_min: 0.0075,
            r_max: 75006.2,
            law: ValveLaw::Smooth {
                steepness_per_mmhg: 200.0,
            },
        }
    }
}

impl ValveParams {
    /// Resistance, mmHg s/mL, for upstream and downstream pressures in mmHg.
    pub fn resistance(&self, p_up: f64, p_down: f64) -> f64 {
        match self.law {
            ValveLaw::Ideal if p_up > p_down => self.r_min,
            ValveLaw::Ideal => self.r_max,
            ValveLaw::Smooth { steepness_per_mmhg } => {
                let step = 0.5 + (0.5 * PI * steepness_per_mmhg * (p_down - p_up)).atan() / PI;
                let (lo, hi) = (self.r_min.log10(), self.r_max.log10());
                10f64.powf(lo + (hi - lo) * step)
            }
        }
    }

    /// Flow from upstream to downstream, mL/s.
    pub fn flow(&self, p_up: f64, p_down: f64) -> f64 {
        (p_up - p_down) / self.resistance(p_up, p_down)
    }
}

/// An arterial and a venous RLC compartment.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircuitParams {
    /// Arterial resistance `R_AR`, mmHg s/mL.
    pub r_ar: f64,
    /// Arterial capacitance `C_AR`, mL/mmHg.
    pub c_ar: f64,
    /// Venous resistance `R_VEN`, mmHg s/mL.
    pub r_ven: f64,
    /// Venous capacitance `C_VEN`, mL/mmHg.
    pub c_ven: f64,
    /// Arterial inductance `L_AR`, mmHg s^2/mL.
    pub l_ar: f64,
    /// Venous inductance `L_VEN`, mmHg s^2/mL.
    pub l_ven: f64,
}

/// Every parameter of the model. `Default` is the CIRCULATION.md set (Regazzoni et al. 2022).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CirculationParams {
    /// Heart rate, Hz (beats per second). Default 1.0 (60 bpm, period 1 s).
    pub heart_rate_hz: f64,
    /// Left atrium. Default EA 0.07, EB 0.09 mmHg/mL, TC 0.17, TR 0.17, tC 0.8 s, V0 4 mL.
    pub la: ChamberParams,
    /// Left ventricle. Default EA 2.75, EB 0.08 mmHg/mL, TC 0.34, TR 0.17, tC 0 s, V0 5 mL.
    pub lv: ChamberParams,
    /// Right atrium. Default EA 0.06, EB 0.07 mmHg/mL, TC 0.17, TR 0.17, tC 0.8 s, V0 4 mL.
    pub ra: ChamberParams,
    /// Right ventricle. Default EA 0.55, EB 0.05 mmHg/mL, TC 0.34, TR 0.17, tC 0 s, V0 10 mL.
    pub rv: ChamberParams,
    /// The four valves. Default Rmin 0.0075, Rmax 75006.2 mmHg s/mL, smooth law.
    pub valves: ValveParams,
    /// Systemic circuit. Default R_AR 0.8, C_AR 1.2, R_VEN 0.26, C_VEN 130, L_AR 5e-3, L_VEN 5e-4.
    pub systemic: CircuitParams,
    /// Pulmonary circuit. Default R_AR 0.1625, C_AR 10, R_VEN 0.1625, C_VEN 16, L_AR 5e-4, L_VEN 5e-4.
    pub pulmonary: CircuitParams,
}

impl Default for CirculationParams {
    fn default() -> Self {
        let chamber = |ea, eb, tc, tr, onset, v0| ChamberParams {
            ea_mmhg_per_ml: ea,
            eb_mmhg_per_ml: eb,
            contraction_s: tc,
            relaxation_s: tr,
            onset_s: onset,
            v0_ml: v0,
        };
        Self {
            heart_rate_hz: 1.0,
            la: chamber(0.07, 0.09, 0.17, 0.17, 0.80, 4.0),
            lv: chamber(2.75, 0.08, 0.34, 0.17, 0.0, 5.0),
            ra: chamber(0.06, 0.07, 0.17, 0.17, 0.80, 4.0),
            rv: chamber(0.55, 0.05, 0.34, 0.17, 0.0, 10.0),
            valves: ValveParams::default(),
            systemic: CircuitParams {
                r_ar: 0.8,
                c_ar: 1.2,
                r_ven: 0.26,
                c_ven: 130.0,
                l_ar: 5e-3,
                l_ven: 5e-4,
            },
            pulmonary: CircuitParams {
                r_ar: 0.1625,
                c_ar: 10.0,
                r_ven: 0.1625,
                c_ven: 16.0,
                l_ar: 5e-4,
                l_ven: 5e-4,
            },
        }
    }
}

impl CirculationParams {
    /// Heart period, s.
    pub fn period_s(&self) -> f64 {
        1.0 / self.heart_rate_hz
    }

    /// Heart rate, beats per minute.
    pub fn heart_rate_bpm(&self) -> f64 {
        60.0 * self.heart_rate_hz
    }

    /// Sets the heart rate from beats per minute.
    pub fn with_heart_rate_bpm(mut self, bpm: f64) -> Self {
        self.heart_rate_hz = bpm / 60.0;
        self
    }

    /// The chambers in state order, with their names: LA, LV, RA, RV.
    pub fn chambers(&self) -> [(&'static str, &ChamberParams); 4] {
        [
            ("la", &self.la),
            ("lv", &self.lv),
            ("ra", &self.ra),
            ("rv", &self.rv),
        ]
    }

    /// Checks signs and that every chamber's contraction and relaxation fit in one period.
    pub fn validate(&self) -> Result<(), CirculationError> {
        positive("heart_rate_hz", self.heart_rate_hz)?;
        for (name, c) in self.chambers() {
            non_negative(&format!("{name}.ea_mmhg_per_ml"), c.ea_mmhg_per_ml)?;
            positive(&format!("{name}.eb_mmhg_per_ml"), c.eb_mmhg_per_ml)?;
            positive(&format!("{name}.contraction_s"), c.contraction_s)?;
            positive(&format!("{name}.relaxation_s"), c.relaxation_s)?;
            finite(&format!("{name}.onset_s"), c.onset_s)?;
            finite(&format!("{name}.v0_ml"), c.v0_ml)?;
            let active = c.contraction_s + c.relaxation_s;
            if active > self.period_s() {
                return Err(CirculationError::ActivationTooLong {
                    chamber: name,
                    active_s: active,
                    period_s: self.period_s(),
                });
            }
        }
        positive("valves.r_min", self.valves.r_min)?;
        positive("valves.r_max", self.valves.r_max)?;
        if let ValveLaw::Smooth { steepness_per_mmhg } = self.valves.law {
            positive("valves.law.steepness_per_mmhg", steepness_per_mmhg)?;
        }
        for (side, c) in [("systemic", &self.systemic), ("pulmonary", &self.pulmonary)] {
            for (field, v) in [
                ("r_ar", c.r_ar),
                ("c_ar", c.c_ar),
                ("r_ven", c.r_ven),
                ("c_ven", c.c_ven),
                ("l_ar", c.l_ar),
                ("l_ven", c.l_ven),
            ] {
                positive(&format!("{side}.{field}"), v)?;
            }
        }
        Ok(())
    }
}

fn positive(name: &str, value: f64) -> Result<(), CirculationError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(CirculationError::InvalidParameter {
            name: name.to_string(),
            value,
            expected: "a finite positive number",
        })
    }
}

fn non_negative(name: &str, value: f64) -> Result<(), CirculationError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(CirculationError::InvalidParameter {
            name: name.to_string(),
            value,
            expected: "a finite number >= 0",
        })
    }
}

fn finite(name: &str, value: f64) -> Result<(), CirculationError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(CirculationError::InvalidParameter {
            name: name.to_string(),
            value,
            expected: "a finite number",
        })
    }
}

/// The 12 unknowns. `Default` is the CIRCULATION.md initial state.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CirculationState {
    /// Left atrial volume, mL.
    pub v_la: f64,
    /// Left ventricular volume, mL.
    pub v_lv: f64,
    /// Right atrial volume, mL.
    pub v_ra: f64,
    /// Right ventricular volume, mL.
    pub v_rv: f64,
    /// Systemic arterial pressure, mmHg.
    pub p_ar_sys: f64,
    /// Systemic venous pressure, mmHg.
    pub p_ven_sys: f64,
    /// Pulmonary arterial pressure, mmHg.
    pub p_ar_pul: f64,
    /// Pulmonary venous pressure, mmHg.
    pub p_ven_pul: f64,
    /// Systemic arterial flow, mL/s.
    pub q_ar_sys: f64,
    /// Systemic venous flow (into the RA), mL/s.
    pub q_ven_sys: f64,
    /// Pulmonary arterial flow, mL/s.
    pub q_ar_pul: f64,
    /// Pulmonary venous flow (into the LA), mL/s.
    pub q_ven_pul: f64,
}

impl Default for CirculationState {
    fn default() -> Self {
        Self::from_array([
            65.0, 120.0, 65.0, 145.0, 80.0, 30.0, 35.0, 24.0, 0.0, 0.0, 0.0, 0.0,
        ])
    }
}

/// Names of the state components, in [`CirculationState::to_array`] order.
pub const STATE_NAMES: [&str; 12] = [
    "v_la",
    "v_lv",
    "v_ra",
    "v_rv",
    "p_ar_sys",
    "p_ven_sys",
    "p_ar_pul",
    "p_ven_pul",
    "q_ar_sys",
    "q_ven_sys",
    "q_ar_pul",
    "q_ven_pul",
];

impl CirculationState {
    /// The state as an array, in [`STATE_NAMES`] order.
    pub fn to_array(&self) -> [f64; 12] {
        [
            self.v_la,
            self.v_lv,
            self.v_ra,
            self.v_rv,
            self.p_ar_sys,
            self.p_ven_sys,
            self.p_ar_pul,
            self.p_ven_pul,
            self.q_ar_sys,
            self.q_ven_sys,
            self.q_ar_pul,
            self.q_ven_pul,
        ]
    }

    /// The inverse of [`Self::to_array`].
    pub fn from_array(y: [f64; 12]) -> Self {
        let [
            v_la,
            v_lv,
            v_ra,
            v_rv,
            p_ar_sys,
            p_ven_sys,
            p_ar_pul,
            p_ven_pul,
            q_ar_sys,
            q_ven_sys,
            q_ar_pul,
            q_ven_pul,
        ] = y;
        Self {
            v_la,
            v_lv,
            v_ra,
            v_rv,
            p_ar_sys,
            p_ven_sys,
            p_ar_pul,
            p_ven_pul,
            q_ar_sys,
            q_ven_sys,
            q_ar_pul,
            q_ven_pul,
        }
    }

    /// Chamber volumes LA, LV, RA, RV, mL.
    pub fn chamber_volumes(&self) -> [f64; 4] {
        [self.v_la, self.v_lv, self.v_ra, self.v_rv]
    }

    /// Total blood volume, mL: the chambers plus `C p` of the four vascular compartments.
    pub fn total_volume_ml(&self, p: &CirculationParams) -> f64 {
        self.v_la
            + self.v_lv
            + self.v_ra
            + self.v_rv
            + p.systemic.c_ar * self.p_ar_sys
            + p.systemic.c_ven * self.p_ven_sys
            + p.pulmonary.c_ar * self.p_ar_pul
            + p.pulmonary.c_ven * self.p_ven_pul
    }
}

/// Where the chamber pressures come from: the elastances of the 0D model ([`Elastances`]), or, in a
/// coupled run, a finite-element cavity for some chambers ([`Override`]).
pub trait ChamberPressures {
    /// Pressures of LA, LV, RA, RV (mmHg) at time `t` (s) for chamber volumes `volumes` (mL), same order.
    fn pressures(&self, params: &CirculationParams, t: f64, volumes: [f64; 4]) -> [f64; 4];
}

/// The 0D model itself: every chamber is its time-varying elastance.
#[derive(Clone, Copy, Debug, Default)]
pub struct Elastances;

impl ChamberPressures for Elastances {
    fn pressures(&self, params: &CirculationParams, t: f64, volumes: [f64; 4]) -> [f64; 4] {
        let period = params.period_s();
        let chambers = params.chambers();
        std::array::from_fn(|i| chambers[i].1.pressure(t, period, volumes[i]))
    }
}

/// A chamber pressure law `p(t, V)`: mmHg from s and mL.
pub type PressureLaw<'a> = Box<dyn Fn(f64, f64) -> f64 + 'a>;

/// Elastances, except for the chambers given a [`PressureLaw`]: the hook a finite-element cavity plugs
/// into (`lv`, and `rv` for a biventricle).
#[derive(Default)]
pub struct Override<'a> {
    /// LV pressure law; `None` keeps the elastance.
    pub lv: Option<PressureLaw<'a>>,
    /// RV pressure law; `None` keeps the elastance.
    pub rv: Option<PressureLaw<'a>>,
}

impl ChamberPressures for Override<'_> {
    fn pressures(&self, params: &CirculationParams, t: f64, volumes: [f64; 4]) -> [f64; 4] {
        let mut p = Elastances.pressures(params, t, volumes);
        if let Some(lv) = &self.lv {
            p[1] = lv(t, volumes[1]);
        }
        if let Some(rv) = &self.rv {
            p[3] = rv(t, volumes[3]);
        }
        p
    }
}

/// Quantities that follow from the state at a time: chamber pressures and valve flows.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Derived {
    /// Left atrial pressure, mmHg.
    pub p_la: f64,
    /// Left ventricular pressure, mmHg.
    pub p_lv: f64,
    /// Right atrial pressure, mmHg.
    pub p_ra: f64,
    /// Right ventricular pressure, mmHg.
    pub p_rv: f64,
    /// Mitral flow LA -> LV, mL/s (negative: regurgitation through the closed valve's `Rmax`).
    pub q_mv: f64,
    /// Aortic flow LV -> systemic arteries, mL/s.
    pub q_av: f64,
    /// Tricuspid flow RA -> RV, mL/s.
    pub q_tv: f64,
    /// Pulmonary valve flow RV -> pulmonary arteries, mL/s.
    pub q_pv: f64,
}

/// Chamber pressures and valve flows at time `t`.
pub fn derived(
    params: &CirculationParams,
    chambers: &impl ChamberPressures,
    t: f64,
    s: &CirculationState,
) -> Derived {
    let [p_la, p_lv, p_ra, p_rv] = chambers.pressures(params, t, s.chamber_volumes());
    let v = &params.valves;
    Derived {
        p_la,
        p_lv,
        p_ra,
        p_rv,
        q_mv: v.flow(p_la, p_lv),
        q_av: v.flow(p_lv, s.p_ar_sys),
        q_tv: v.flow(p_ra, p_rv),
        q_pv: v.flow(p_rv, s.p_ar_pul),
    }
}

/// The right-hand side `dy/dt` of the 12 equations (module docs), in [`STATE_NAMES`] order.
pub fn rhs(
    params: &CirculationParams,
    chambers: &impl ChamberPressures,
    t: f64,
    s: &CirculationState,
) -> [f64; 12] {
    let d = derived(params, chambers, t, s);
    let (sys, pul) = (&params.systemic, &params.pulmonary);
    [
        s.q_ven_pul - d.q_mv,
        d.q_mv - d.q_av,
        s.q_ven_sys - d.q_tv,
        d.q_tv - d.q_pv,
        (d.q_av - s.q_ar_sys) / sys.c_ar,
        (s.q_ar_sys - s.q_ven_sys) / sys.c_ven,
        (d.q_pv - s.q_ar_pul) / pul.c_ar,
        (s.q_ar_pul - s.q_ven_pul) / pul.c_ven,
        (s.p_ar_sys - s.p_ven_sys - sys.r_ar * s.q_ar_sys) / sys.l_ar,
        (s.p_ven_sys - d.p_ra - sys.r_ven * s.q_ven_sys) / sys.l_ven,
        (s.p_ar_pul - s.p_ven_pul - pul.r_ar * s.q_ar_pul) / pul.l_ar,
        (s.p_ven_pul - d.p_la - pul.r_ven * s.q_ven_pul) / pul.l_ven,
    ]
}

/// Why a circulation run failed.
#[derive(Debug, thiserror::Error)]
pub enum CirculationError {
    #[error("circulation parameter {name} = {value}: expected {expected}")]
    InvalidParameter {
        name: String,
        value: f64,
        expected: &'static str,
    },
    #[error(
        "{chamber}: contraction + relaxation last {active_s} s, longer than the heart period {period_s} s; \
         lower the heart rate or shorten contraction_s/relaxation_s"
    )]
    ActivationTooLong {
        chamber: &'static str,
        active_s: f64,
        period_s: f64,
    },
    #[error(
        "beat {beat}: {variable} is not finite ({value}) at t = {t_s} s; check the parameters (a zero \
         capacitance or inductance) and the initial state (negative volumes), or tighten the tolerances"
    )]
    NonFinite {
        beat: u32,
        t_s: f64,
        variable: &'static str,
        value: f64,
    },
    #[error("beat {beat}: the integrator failed: {source}")]
    Integrator {
        beat: u32,
        #[source]
        source: OdeError,
    },
    #[error("invalid options: {0}")]
    InvalidOptions(String),
}

impl CirculationError {
    fn from_ode(beat: u32, e: OdeError) -> Self {
        match e {
            OdeError::NonFinite { t, index, value } => CirculationError::NonFinite {
                beat,
                t_s: t,
                variable: STATE_NAMES.get(index).copied().unwrap_or("?"),
                value,
            },
            other => CirculationError::Integrator {
                beat,
                source: other,
            },
        }
    }
}

/// How [`run_to_limit_cycle`] integrates and when it stops.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitCycleOptions {
    /// Stop when no chamber volume at end-diastole changes by more than this from one beat to the next,
    /// mL. Default 1e-3 (the beat-to-beat change shrinks about tenfold every 14 beats with the default
    /// parameters, so the distance to the limit cycle is then below 1e-2 mL, ~1e-4 of the EDV).
    pub tol_ml: f64,
    /// Most beats to simulate. Default 200.
    pub max_beats: u32,
    /// Samples of the last beat (intervals of a uniform grid; `samples + 1` points). Default 1000.
    pub samples: usize,
    /// Integrator tolerances. Default rtol = atol = 1e-9 (mL, mmHg, mL/s), h_max 0.01 s.
    pub tolerances: Tolerances,
}

impl Default for LimitCycleOptions {
    fn default() -> Self {
        Self {
            tol_ml: 1e-3,
            max_beats: 200,
            samples: 1000,
            tolerances: Tolerances {
                rtol: 1e-9,
                atol: 1e-9,
                ..Tolerances::default()
            },
        }
    }
}

/// A sample of the last beat.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BeatSample {
    /// Time since the start of the beat (LV end-diastole onset of contraction), s.
    pub t_s: f64,
    #[serde(flatten)]
    pub state: CirculationState,
    #[serde(flatten)]
    pub derived: Derived,
}

/// The limit-cycle summary (the last beat). Pressures mmHg, volumes mL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CirculationSummary {
    pub heart_rate_bpm: f64,
    /// LV end-diastolic volume: the largest LV volume of the beat, mL.
    pub lv_edv_ml: f64,
    /// LV end-systolic volume: the smallest LV volume of the beat, mL.
    pub lv_esv_ml: f64,
    /// LV stroke volume EDV - ESV, mL.
    pub lv_sv_ml: f64,
    /// LV ejection fraction SV / EDV.
    pub lv_ef: f64,
    pub lv_peak_pressure_mmhg: f64,
    /// Largest systemic arterial pressure of the beat, mmHg.
    pub aortic_systolic_mmhg: f64,
    /// Smallest systemic arterial pressure of the beat, mmHg.
    pub aortic_diastolic_mmhg: f64,
    /// LV stroke volume times heart rate, L/min.
    pub cardiac_output_l_min: f64,
    pub rv_edv_ml: f64,
    pub rv_esv_ml: f64,
    pub rv_sv_ml: f64,
    pub rv_ef: f64,
    pub rv_peak_pressure_mmhg: f64,
    /// Largest pulmonary arterial pressure of the beat, mmHg.
    pub pulmonary_systolic_mmhg: f64,
    /// Smallest pulmonary arterial pressure of the beat, mmHg.
    pub pulmonary_diastolic_mmhg: f64,
    /// Beats simulated until the criterion held (the last one included); `None` if it never did.
    pub beats_to_converge: Option<u32>,
    /// Beats simulated.
    pub beats_simulated: u32,
    /// The limit-cycle tolerance, mL.
    pub limit_cycle_tol_ml: f64,
    /// Largest change of a chamber volume at end-diastole over the last beat, mL.
    pub last_beat_change_ml: f64,
    /// Total blood volume at the start and at the end of the run, mL (equal to rounding).
    pub total_volume_initial_ml: f64,
    pub total_volume_final_ml: f64,
}

/// The result of [`run_to_limit_cycle`].
#[derive(Clone, Debug, Serialize)]
pub struct CirculationRun {
    pub summary: CirculationSummary,
    /// The last beat on a uniform grid, `samples + 1` points from its start to its end.
    pub last_beat: Vec<BeatSample>,
    /// The state at the start of every simulated beat, and at the end of the last one.
    pub beat_starts: Vec<CirculationState>,
    /// Integrator counters over the whole run.
    pub stats: OdeStats,
    /// Wall time of the run, s.
    pub wall_s: f64,
}

/// Column names of [`CirculationRun::trace_csv`].
pub const TRACE_COLUMNS: [&str; 21] = [
    "t_s",
    "v_la",
    "v_lv",
    "v_ra",
    "v_rv",
    "p_ar_sys",
    "p_ven_sys",
    "p_ar_pul",
    "p_ven_pul",
    "q_ar_sys",
    "q_ven_sys",
    "q_ar_pul",
    "q_ven_pul",
    "p_la",
    "p_lv",
    "p_ra",
    "p_rv",
    "q_mv",
    "q_av",
    "q_tv",
    "q_pv",
];

impl CirculationRun {
    /// The last beat as CSV for plotting: a header of [`TRACE_COLUMNS`] (times s, volumes mL, pressures
    /// mmHg, flows mL/s), then one row per sample.
    pub fn trace_csv(&self) -> String {
        let mut out = TRACE_COLUMNS.join(",");
        out.push('\n');
        for s in &self.last_beat {
            let d = &s.derived;
            let row: Vec<String> = std::iter::once(s.t_s)
                .chain(s.state.to_array())
                .chain([
                    d.p_la, d.p_lv, d.p_ra, d.p_rv, d.q_mv, d.q_av, d.q_tv, d.q_pv,
                ])
                .map(|v| format!("{v:.9e}"))
                .collect();
            out.push_str(&row.join(","));
            out.push('\n');
        }
        out
    }
}

/// Runs the 0D model (elastance chambers) from `initial` to its limit cycle.
pub fn run_to_limit_cycle(
    params: &CirculationParams,
    initial: &CirculationState,
    opts: &LimitCycleOptions,
) -> Result<CirculationRun, CirculationError> {
    run_to_limit_cycle_with(params, &Elastances, initial, opts)
}

/// [`run_to_limit_cycle`] with the chamber pressures from `chambers`.
pub fn run_to_limit_cycle_with(
    params: &CirculationParams,
    chambers: &impl ChamberPressures,
    initial: &CirculationState,
    opts: &LimitCycleOptions,
) -> Result<CirculationRun, CirculationError> {
    params.validate()?;
    check_options(opts)?;
    let start = std::time::Instant::now();
    let period = params.period_s();
    let f = |t: f64, y: &[f64; 12]| rhs(params, chambers, t, &CirculationState::from_array(*y));
    let mut stats = OdeStats::default();
    let mut h = 1e-4;
    // Advance to the first LV contraction onset (end-diastole), where beats start.
    let t_ed = params.lv.onset_s.rem_euclid(period);
    let mut y = initial.to_array();
    if t_ed > 0.0 {
        let (y1, h1, s) = ode::integrate(f, 0.0, t_ed, y, h, &opts.tolerances, |_| {})
            .map_err(|e| CirculationError::from_ode(0, e))?;
        (y, h) = (y1, h1);
        stats.add(s);
    }
    let mut beat_starts = vec![CirculationState::from_array(y)];
    let mut samples = Vec::new();
    let mut converged_at = None;
    let mut change = f64::INFINITY;
    for beat in 1..=opts.max_beats {
        let t0 = t_ed + f64::from(beat - 1) * period;
        let mut sampler = Sampler::new(params, chambers, t0, period, opts.samples, &y);
        let (y1, h1, s) = ode::integrate(f, t0, t0 + period, y, h, &opts.tolerances, |step| {
            sampler.observe(&step)
        })
        .map_err(|e| CirculationError::from_ode(beat, e))?;
        stats.add(s);
        change = max_chamber_change(&y, &y1);
        (y, h, samples) = (y1, h1, sampler.samples);
        beat_starts.push(CirculationState::from_array(y));
        if change < opts.tol_ml {
            converged_at = Some(beat);
            break;
        }
    }
    let beats = (beat_starts.len() - 1) as u32;
    let summary = summarise(params, &samples, beats, converged_at, change, opts, {
        let first = &beat_starts[0];
        let last = &beat_starts[beats as usize];
        (first.total_volume_ml(params), last.total_volume_ml(params))
    });
    Ok(CirculationRun {
        summary,
        last_beat: samples,
        beat_starts,
        stats,
        wall_s: start.elapsed().as_secs_f64(),
    })
}

fn check_options(opts: &LimitCycleOptions) -> Result<(), CirculationError> {
    let t = &opts.tolerances;
    let ok = opts.tol_ml > 0.0
        && opts.max_beats >= 1
        && opts.samples >= 2
        && t.rtol > 0.0
        && t.atol > 0.0
        && t.h_min > 0.0
        && t.h_max >= t.h_min;
    if ok {
        Ok(())
    } else {
        Err(CirculationError::InvalidOptions(format!(
            "need tol_ml > 0, max_beats >= 1, samples >= 2, rtol > 0, atol > 0, 0 < h_min <= h_max; got \
             {opts:?}"
        )))
    }
}

fn max_chamber_change(a: &[f64; 12], b: &[f64; 12]) -> f64 {
    (0..4).map(|i| (a[i] - b[i]).abs()).fold(0.0, f64::max)
}

/// Collects a beat's samples on the uniform grid `t0 + j T / n`, interpolating inside accepted steps.
struct Sampler<'a, P: ChamberPressures> {
    params: &'a CirculationParams,
    chambers: &'a P,
    t0: f64,
    period: f64,
    n: usize,
    next: usize,
    samples: Vec<BeatSample>,
}

impl<'a, P: ChamberPressures> Sampler<'a, P> {
    fn new(
        params: &'a CirculationParams,
        chambers: &'a P,
        t0: f64,
        period: f64,
        n: usize,
        y0: &[f64; 12],
    ) -> Self {
        let mut s = Self {
            params,
            chambers,
            t0,
            period,
            n,
            next: 0,
            samples: Vec::with_capacity(n + 1),
        };
        s.push(t0, y0);
        s
    }

    fn grid(&self, j: usize) -> f64 {
        if j == self.n {
            self.t0 + self.period
        } else {
            self.t0 + self.period * j as f64 / self.n as f64
        }
    }

    fn push(&mut self, t: f64, y: &[f64; 12]) {
        let state = CirculationState::from_array(*y);
        self.samples.push(BeatSample {
            t_s: t - self.t0,
            state,
            derived: derived(self.params, self.chambers, t, &state),
        });
        self.next += 1;
    }

    fn observe(&mut self, step: &Step<'_, 12>) {
        while self.next <= self.n && self.grid(self.next) <= step.t1 {
            let t = self.grid(self.next);
            let y = ode::hermite(step, t);
            self.push(t, &y);
        }
    }
}

fn summarise(
    params: &CirculationParams,
    samples: &[BeatSample],
    beats: u32,
    converged_at: Option<u32>,
    change: f64,
    opts: &LimitCycleOptions,
    (total_initial, total_final): (f64, f64),
) -> CirculationSummary {
    let max = |f: &dyn Fn(&BeatSample) -> f64| samples.iter().map(f).fold(f64::MIN, f64::max);
    let min = |f: &dyn Fn(&BeatSample) -> f64| samples.iter().map(f).fold(f64::MAX, f64::min);
    let (lv_edv, lv_esv) = (max(&|s| s.state.v_lv), min(&|s| s.state.v_lv));
    let (rv_edv, rv_esv) = (max(&|s| s.state.v_rv), min(&|s| s.state.v_rv));
    CirculationSummary {
        heart_rate_bpm: params.heart_rate_bpm(),
        lv_edv_ml: lv_edv,
        lv_esv_ml: lv_esv,
        lv_sv_ml: lv_edv - lv_esv,
        lv_ef: (lv_edv - lv_esv) / lv_edv,
        lv_peak_pressure_mmhg: max(&|s| s.derived.p_lv),
        aortic_systolic_mmhg: max(&|s| s.state.p_ar_sys),
        aortic_diastolic_mmhg: min(&|s| s.state.p_ar_sys),
        cardiac_output_l_min: (lv_edv - lv_esv) * params.heart_rate_hz * 60.0 / 1000.0,
        rv_edv_ml: rv_edv,
        rv_esv_ml: rv_esv,
        rv_sv_ml: rv_edv - rv_esv,
        rv_ef: (rv_edv - rv_esv) / rv_edv,
        rv_peak_pressure_mmhg: max(&|s| s.derived.p_rv),
        pulmonary_systolic_mmhg: max(&|s| s.state.p_ar_pul),
        pulmonary_diastolic_mmhg: min(&|s| s.state.p_ar_pul),
        beats_to_converge: converged_at,
        beats_simulated: beats,
        limit_cycle_tol_ml: opts.tol_ml,
        last_beat_change_ml: change,
        total_volume_initial_ml: total_initial,
        total_volume_final_ml: total_final,
    }
}
