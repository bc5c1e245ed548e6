//! Electrophysiology: when each part of the heart is activated.
//!
//! - [`eikonal`]: anisotropic eikonal activation times (fast iterative method), with conduction speeds
//!   per tetrahedron and non-conducting tissue (scar, ablation lesions);
//! - [`calibrate`]: conductivities tuned to a mesh's resolution for wanted conduction speeds;
//! - [`monodomain`]: reaction-diffusion (P1, lumped mass, operator splitting, explicit diffusion) with a
//!   cell model per node: [`monodomain::MitchellSchaeffer`] or [`tp06::Tp06`] (ten Tusscher-Panfilov 2006).

pub mod calibrate;
pub mod eikonal;
pub mod gpu;
pub mod monodomain;
pub mod tp06;
