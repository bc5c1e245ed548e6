//! Electrophysiology: when each part of the heart is activated.
//!
//! - [`eikonal`]: anisotropic eikonal activation times (fast iterative method), with conduction speeds
//!   per tetrahedron and non-conducting tissue (scar, ablation lesions);
//! - [`calibrate`]: conductivities tuned to a mesh's resolution for wanted conduction speeds;
//! - [`monodomain`]: reaction-diffusion (P1, lumped mass, operator splitting, explicit diffusion) with a
//!   cell model per node: [`monodomain::MitchellSchaeffer`] or [`tp06::Tp06`] (ten Tusscher-Panfilov 2006,
//!   epicardial, endocardial or M cell), mixed per node with [`AnyCell`];
//! - [`gpu`]: the same monodomain step on the GPU (f32); [`solver`]: either backend behind one type.

pub mod calibrate;
pub mod eikonal;
pub mod gpu;
pub mod monodomain;
pub mod solver;
pub mod tp06;

use monodomain::{CellModel, MitchellSchaeffer};
use tp06::Tp06;

/// A cell model by name, for runs that choose one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// ten Tusscher-Panfilov 2006, epicardial (the Niederer benchmark's).
    Tp06,
    /// ten Tusscher-Panfilov 2006, endocardial.
    Tp06Endo,
    /// ten Tusscher-Panfilov 2006, mid-myocardial (M cell).
    Tp06Mid,
    /// Mitchell-Schaeffer 2003: two variables, fast.
    MitchellSchaeffer,
}

impl Cell {
    /// Every cell, in the order the command line lists them.
    pub const ALL: [Cell; 4] = [
        Cell::MitchellSchaeffer,
        Cell::Tp06,
        Cell::Tp06Endo,
        Cell::Tp06Mid,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Cell::Tp06 => "tentusscher-panfilov-2006-epi",
            Cell::Tp06Endo => "tentusscher-panfilov-2006-endo",
            Cell::Tp06Mid => "tentusscher-panfilov-2006-mid",
            Cell::MitchellSchaeffer => MitchellSchaeffer::NAME,
        }
    }

    /// The short name of scenario files and the command line: `mitchell-schaeffer`, `tp06` (epicardial),
    /// `tp06-endo`, `tp06-mid`.
    pub fn key(self) -> &'static str {
        match self {
            Cell::Tp06 => "tp06",
            Cell::Tp06Endo => "tp06-endo",
            Cell::Tp06Mid => "tp06-mid",
            Cell::MitchellSchaeffer => "mitchell-schaeffer",
        }
    }

    /// The cell of a [`Cell::key`] (`tp06-epi` is `tp06`).
    pub fn from_key(key: &str) -> Option<Cell> {
        if key == "tp06-epi" {
            return Some(Cell::Tp06);
        }
        Cell::ALL.into_iter().find(|c| c.key() == key)
    }

    /// The model with its default parameters.
    pub fn model(self) -> AnyCell {
        match self {
            Cell::Tp06 => AnyCell::Tp06(Tp06::epicardial()),
            Cell::Tp06Endo => AnyCell::Tp06(Tp06::endocardial()),
            Cell::Tp06Mid => AnyCell::Tp06(Tp06::mid_myocardial()),
            Cell::MitchellSchaeffer => AnyCell::MitchellSchaeffer(MitchellSchaeffer::default()),
        }
    }

    fn is_tp06(self) -> bool {
        matches!(self, Cell::Tp06 | Cell::Tp06Endo | Cell::Tp06Mid)
    }

    /// Thresholds of a run that mixes `cells`: the lowest activation level (every upstroke crosses it)
    /// and the highest repolarisation level (every repolarisation crosses it), mV.
    pub fn mixed_thresholds_mv(cells: &[Cell]) -> (f64, f64) {
        cells
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, r), c| {
                let (ca, cr) = c.thresholds_mv();
                (a.min(ca), r.max(cr))
            })
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
            _ => (0.0, -85.23 + 0.1 * (35.0 + 85.23)),
        }
    }

    /// A time step it is stable and accurate at, ms (TP06's fast sodium gates need a small one).
    pub fn time_step_ms(self) -> f64 {
        if self.is_tp06() { 0.02 } else { 0.05 }
    }
}

/// Either cell model, for problems that mix them per node ([`monodomain::Monodomain::with_cells`]): the
/// state has TP06's 19 unknowns; Mitchell-Schaeffer uses the first two (V, h).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AnyCell {
    MitchellSchaeffer(MitchellSchaeffer),
    Tp06(Tp06),
}

impl CellModel for AnyCell {
    const STATES: usize = Tp06::STATES;
    const NAME: &'static str = "mixed";

    fn initial(&self) -> Vec<f64> {
        let mut s = vec![0.0; Self::STATES];
        match self {
            AnyCell::MitchellSchaeffer(c) => {
                s[..MitchellSchaeffer::STATES].copy_from_slice(&c.initial())
            }
            AnyCell::Tp06(c) => s.copy_from_slice(&c.initial()),
        }
        s
    }

    fn step(&self, state: &mut [f64], dt: f64, stim: f64) {
        match self {
            AnyCell::MitchellSchaeffer(c) => {
                c.step(&mut state[..MitchellSchaeffer::STATES], dt, stim)
            }
            AnyCell::Tp06(c) => c.step(state, dt, stim),
        }
    }
}
