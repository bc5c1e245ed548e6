//! Solid mechanics of the myocardium, data flowing one way:
//!
//! - [`material`]: the constitutive laws (W(C), S = 2 dW/dC, the volumetric split, active stress, viscosity);
//! - [`loads`]: follower pressure, Robin springs, body force and Dirichlet (fixed, sliding) conditions on
//!   tagged surfaces;
//! - [`tled`]: the explicit total-Lagrangian step on the CPU (f64, rayon; the reference), with averaged
//!   nodal pressure against locking;
//! - [`fused`]: the same step fused into two passes, in f32 or f64: the fast CPU backend;
//! - [`gpu`]: the same step in WGSL (f32), state resident on the GPU;
//! - [`relax`]: dynamic relaxation to static equilibrium for quasi-static problems.
//! - [`quadratic`]: 10-node tetrahedra, CPU only, for the quasi-static verification problems (to tell
//!   the linear element's bending error from the physics).
//!
//! ## Units
//! Inside the mechanics core every quantity is in one consistent system:
//!
//! | quantity | unit | note |
//! |---|---|---|
//! | length | mm | as everywhere in the crate |
//! | time | ms | the crate's interfaces speak seconds; convert at the boundary of the mechanics |
//! | mass | mg | density 1000 kg/m^3 = 1 mg/mm^3 |
//! | force | mN | = mg mm / ms^2 |
//! | stress, pressure, modulus | kPa | = mN/mm^2 |
//! | strain energy density | kPa | = mN mm / mm^3 = uJ/mm^3 |
//! | viscosity | kPa ms | 1 Pa s = 1 kPa ms |
//! | velocity | mm/ms | = m/s |
//!
//! The system is consistent (no conversion factor in F = m a): kPa mm^2 = mN = mg mm/ms^2.
//!
//! ## Kinematics and stress measures
//! F is the deformation gradient, J = det F, C = F^T F the right Cauchy-Green tensor and
//! E = (C - I)/2 the Green-Lagrange strain. A hyperelastic law gives the strain energy W(C) per unit
//! reference volume and the second Piola-Kirchhoff stress S = 2 dW/dC (symmetric). From S:
//! the first Piola-Kirchhoff stress P = F S (what a total-Lagrangian element integrates) and the Cauchy
//! stress sigma = J^-1 F S F^T (what is reported). See [`material`].

pub mod fused;
pub mod gpu;
pub mod loads;
pub mod material;
pub mod quadratic;
pub mod relax;
pub mod tled;

pub use fused::{ExactNode, FusedTled, Real};
pub use loads::{Constraints, LoadError, Loads, PressureLoad, SpringLoad};
pub use material::{
    ActiveStress, FibreFrame, Guccione, HolzapfelOgden, KelvinVoigt, Material, MaterialError,
    NeoHookean, Penalty,
};
pub use tled::{Scratch, SimError, Stepping, TledModel, TledState, Volumetric};
