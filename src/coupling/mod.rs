//! Coupling of the tissue to the rest of the body. For now the closed-loop lumped (0D) circulation alone,
//! verified against its known limit cycle before it is coupled (STYLE.md, rung 5).
//!
//! - [`circulation`]: Regazzoni et al. 2022: four elastance chambers, four valves, systemic and pulmonary
//!   RLC circuits; parameters, right-hand side, run to the limit cycle, summary.
//! - [`ode`]: the Dormand-Prince 5(4) integrator with error control the circulation is advanced with.
//!
//! Splitting order, when a finite-element cavity replaces a chamber (a later issue): the mechanics step
//! gives the cavity pressure as a function of its volume; the circulation reads it through
//! [`circulation::ChamberPressures`] and advances the volumes over the same time step.

pub mod circulation;
pub mod ode;
