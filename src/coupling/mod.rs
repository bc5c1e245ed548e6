//! Coupling of the tissue to the rest of the body: the closed-loop lumped (0D) circulation, verified
//! against its known limit cycle before it is coupled (STYLE.md, rung 5), and the cavity volumes of the
//! finite-element ventricles that the coupling will exchange with it.
//!
//! - [`circulation`]: Regazzoni et al. 2022: four elastance chambers, four valves, systemic and pulmonary
//!   RLC circuits; parameters, right-hand side, run to the limit cycle, summary.
//! - [`cavity`]: the volume of a ventricular cavity (wall patch + fan caps on its openings) in any
//!   configuration and its exact gradient dV/dx, in f64; [`cavity_gpu`]: the volume on the GPU (f32) from a
//!   GPU-resident position buffer.
//! - [`ode`]: the Dormand-Prince 5(4) integrator with error control the circulation is advanced with.
//!
//! Splitting order, when a finite-element cavity replaces a chamber (a later issue): the mechanics step
//! gives the cavity pressure as a function of its volume; the circulation reads it through
//! [`circulation::ChamberPressures`] and advances the volumes over the same time step.

pub mod cavity;
pub mod cavity_gpu;
pub mod circulation;
pub mod ode;
