//! Finite-element building blocks shared by the solvers: P1 (linear tetrahedron) operators.
//!
//! - [`poisson`]: the P1 stiffness matrix of -div(D grad u) and a Jacobi-preconditioned conjugate-gradient
//!   solve with Dirichlet conditions (ventricular coordinates, fibre rules, and later diffusion).

pub mod poisson;
