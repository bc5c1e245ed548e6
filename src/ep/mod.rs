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

use monodomain::{CellModel, MitchellSchaeffer};
use tp06::Tp06;

/// A cell model by name, for runs that choose one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// ten Tusscher-Panfilov 2006, epicardial (the Niederer benchmark's).
    Tp06,
    /// Mitchell-Schaeffer 2003: two variables, fast.
    MitchellSchaeffer,
}

impl Cell {
    pub fn name(self) -> &'static str {
        match self {
            Cell::Tp06 => Tp06::NAME,
            Cell::MitchellSchaeffer => MitchellSchaeffer::NAME,
        }
    }

    /// (activation, repolarisation) thresholds, mV: the upstroke's crossing and the level 90 % of the
    /// way back from the action potential's peak to rest (the end of the APD90). Mitchell-Schaeffer runs
    /// from -80 to +20 mV: -30 and -70; TP06 rests at -85.2 mV and peaks near +35 mV: 0 (the Niederer
    /// benchmark's activation level) and -73.2.
    pub fn thresholds_mv(self) -> (f64, f64) {
        match self {
            Cell::MitchellSchaeffer => {
                let c = MitchellSchaeffer::default();
                let span = c.v_peak - c.v_rest;
                (c.v_rest + 0.5 * span, c.v_rest + 0.1 * span)
            }
            Cell::Tp06 => (0.0, -85.23 + 0.1 * (35.0 + 85.23)),
        }
    }

    /// A time step it is stable and accurate at, ms (TP06's fast sodium gates need a small one).
    pub fn time_step_ms(self) -> f64 {
        match self {
            Cell::MitchellSchaeffer => 0.05,
            Cell::Tp06 => 0.02,
        }
    }
}
