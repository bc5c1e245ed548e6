//! # cardiotwin
//!
//! A GPU-accelerated digital twin of the human heart. Every physics kernel exists twice: as WGSL run through
//! wgpu (the GPU backend) and as multi-threaded Rust (the CPU backend, also the reference the GPU is tested
//! against). [`backend::BackendChoice`] picks one at run time.
//!
//! Data flows one way:
//!
//! ```text
//! mesh  ->  TetMesh  ->  geometry (per-tet rest data)  ->  solvers (CPU | GPU)  ->  outputs / renderer
//! (files,    (nodes in mm,   (signed volume, Dm^-1,          (later issues:          (JSON, VTU, PNG)
//!  generated) tets)           quality)                        mechanics, EP, 0D)
//! ```
//!
//! ## Units
//! Lengths are millimetres (mm) at every interface of this crate unless a name says otherwise
//! (`volume_mm3`, `edge_mm`). The mechanics core works in the consistent set mm, ms, mg, mN, kPa (see
//! [`mechanics`]); the circulation in mmHg, mL and s, as its literature does; names and field docs say
//! which, and conversions happen at the module boundaries. Node coordinates are stored as `f64`;
//! the GPU works in `f32` on coordinates re-centred on the mesh's bounding-box centre, which keeps the
//! rounding of edge vectors at `eps_f32 * mesh size` instead of `eps_f32 * distance from the scanner origin`.
//!
//! ## Modules
//! - [`mesh`]: the tetrahedral mesh type and its checks.
//! - [`anatomy`]: meshes generated in code (block, Land 2015 truncated-ellipsoid ventricle), the shipped
//!   patient meshes, ventricular coordinates and fibres.
//! - [`geometry`]: per-tetrahedron rest geometry, the first kernel with a CPU and a GPU implementation.
//! - [`mechanics`]: solid mechanics in mm, ms, mg, kPa: laws, loads, the explicit step (CPU and GPU),
//!   dynamic relaxation.
//! - [`verify`]: the verification problems behind `cardiotwin verify` (analytic, Land et al. 2015).
//! - [`gpu`]: the wgpu runtime: adapter choice, typed buffers, compute kernels, embedded shaders.
//! - [`backend`]: `auto | gpu | cpu` selection.
//! - [`coupling`]: the closed-loop 0D circulation (Regazzoni 2022) and its integrator; cavity volumes of
//!   the ventricles and their gradient (CPU f64, GPU f32 reduction) for the coupling.
//! - [`inspect`]: the report of `cardiotwin mesh info`.
//! - [`ep`]: electrophysiology: eikonal activation times from pacing sites.
//! - [`heartbeat`]: the main job run by `cardiotwin run`: scenarios, the FE ventricles coupled to the
//!   circulation, beat by beat, with outputs, checkpoints and resume.
//! - [`job`]: the rest-geometry check of `cardiotwin geometry`.
//! - [`plot`]: line charts as PNG (pressure-volume loops, pressure traces), drawn with an embedded font.
//! - [`render`]: the heart's surface, deformed and coloured by a field, with a colour bar, drawn by wgpu
//!   offscreen (PNG stills, GIF beat animations: `cardiotwin render`) or into a window.
//! - [`bench`](mod@bench): the workloads and the timing runner of `cardiotwin bench` (the mechanics step on either
//!   backend).

pub mod anatomy;
pub mod backend;
pub mod bench;
pub mod coupling;
pub mod ep;
pub mod error;
pub mod fem;
pub mod geometry;
pub mod gpu;
pub mod heartbeat;
pub mod inspect;
pub mod job;
pub mod mechanics;
pub mod mesh;
pub mod plot;
pub mod render;
pub mod verify;
pub mod viewer;

pub use backend::{Backend, BackendChoice};
pub use error::{Error, Result};
pub use mesh::TetMesh;
