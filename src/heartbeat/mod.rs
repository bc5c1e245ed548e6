//! The beating heart: FE ventricles coupled to the closed-loop circulation, driven by a prescribed
//! activation, run from a scenario file, beat by beat, with outputs and resume.
//!
//! Data flow: [`scenario::Scenario`] (TOML) -> [`heart::Heart`] (mesh, fibres, model, supports, cavities,
//! activation times) -> [`simulation::Simulation`] (the coupled time loop; its mechanics on the CPU or, with
//! [`gpu::GpuHeart`], on the GPU) -> [`run::run`] (the main job: `metrics.csv`, `summary.json`,
//! `pv_loop.png`, `fields/`, checkpoints).
//!
//! Units: the mechanics in mm, ms, mg, kPa ([`crate::mechanics`]); the circulation in mL, mmHg, s
//! ([`crate::coupling::circulation`]); outputs say theirs in every column and key name.

pub mod activation;
pub mod electrophysiology;
pub mod gpu;
pub mod heart;
pub mod run;
pub mod scenario;
pub mod simulation;

pub use run::{BeatSummary, RunOptions, RunSummary, run};
pub use scenario::Scenario;
