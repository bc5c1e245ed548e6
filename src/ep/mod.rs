//! Electrophysiology: when each part of the heart is activated.
//!
//! - [`eikonal`]: anisotropic eikonal activation times (fast iterative method), with conduction speeds
//!   per tetrahedron and non-conducting tissue (scar, ablation lesions).

pub mod eikonal;
