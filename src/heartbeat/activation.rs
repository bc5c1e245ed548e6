//! Prescribed activation times and the active tension twitch that follows them.
//!
//! Until the electrophysiology solvers exist, each tetrahedron's activation time comes from a rule on
//! the ventricular coordinates ([`prescribed_times`]): the wave starts at the endocardial apex, crosses
//! the wall in `transmural_ms` and climbs to the base in `apicobasal_ms` (the endocardium-first,
//! apex-to-base order of the Purkinje-driven healthy sequence; Durrer et al. 1970 measured 60-100 ms in
//! all). Outputs call it prescribed activation.
//!
//! The twitch ([`Twitch`]) is the phenomenological transient of Kerckhoffs et al. 2003 / Niederer et al.
//! 2011: `Ta(s) = peak * tanh^2(s / rise) * tanh^2((duration - s) / decay) / m` for `0 < s < duration`,
//! zero otherwise, `s` the time since the element's activation and `m` the shape's maximum (so `peak` is
//! reached).

use super::scenario::{Activation, Contraction};

/// Activation time (ms after the beat's start) of every tetrahedron: the rule of the module docs on the
/// corner means of the nodal coordinates `transmural` (0 endocardium, 1 epicardium) and `height` along
/// the long axis (0 apex, 1 base).
pub fn prescribed_times(
    tets: &[[u32; 4]],
    transmural: &[f64],
    height: &[f64],
    rule: &Activation,
) -> Vec<f64> {
    tets.iter()
        .map(|t| {
            let mean = |f: &[f64]| t.iter().map(|&n| f[n as usize]).sum::<f64>() / 4.0;
            rule.transmural_ms * mean(transmural).clamp(0.0, 1.0)
                + rule.apicobasal_ms * mean(height).clamp(0.0, 1.0)
        })
        .collect()
}

/// The twitch of the module docs.
#[derive(Debug, Clone)]
pub struct Twitch {
    rise: f64,
    decay: f64,
    duration: f64,
    /// peak / max of the shape, kPa.
    scale: f64,
    /// [`Twitch::tension`] every [`TABLE_STEP_MS`], for [`Twitch::lookup`].
    table: Vec<f64>,
}

/// Spacing of the twitch table, ms. Linear interpolation errs by at most h^2/8 max|Ta''|: about 1e-5 kPa
/// for the default twitch (peak 120 kPa, rise 80 ms), far below anything the mechanics resolves.
pub const TABLE_STEP_MS: f64 = 0.05;

impl Twitch {
    pub fn new(c: &Contraction) -> Self {
        let mut twitch = Twitch {
            rise: c.rise_ms,
            decay: c.decay_ms,
            duration: c.duration_ms,
            scale: 1.0,
            table: Vec::new(),
        };
        // The shape's maximum, by a fine scan (the curve is smooth and unimodal).
        let n = 20_000;
        let max = (1..n)
            .map(|i| twitch.tension(c.duration_ms * i as f64 / n as f64))
            .fold(0.0, f64::max);
        twitch.scale = c.peak_tension_kpa / max.max(f64::MIN_POSITIVE);
        let entries = (c.duration_ms / TABLE_STEP_MS).ceil() as usize + 2;
        twitch.table = (0..entries)
            .map(|i| twitch.tension(i as f64 * TABLE_STEP_MS))
            .collect();
        twitch
    }

    /// [`Twitch::tension`] interpolated from the table (the per-step evaluation for every element).
    pub fn lookup(&self, s: f64) -> f64 {
        if s <= 0.0 || s >= self.duration {
            return 0.0;
        }
        let x = s / TABLE_STEP_MS;
        let i = x as usize;
        let w = x - i as f64;
        match (self.table.get(i), self.table.get(i + 1)) {
            (Some(a), Some(b)) => a + w * (b - a),
            _ => 0.0,
        }
    }

    /// Active tension (kPa) `s` ms after activation.
    pub fn tension(&self, s: f64) -> f64 {
        if s <= 0.0 || s >= self.duration {
            return 0.0;
        }
        let a = (s / self.rise).tanh();
        let b = ((self.duration - s) / self.decay).tanh();
        self.scale * a * a * b * b
    }

    /// Duration of one twitch, ms.
    pub fn duration_ms(&self) -> f64 {
        self.duration
    }

    /// The table [`Twitch::lookup`] interpolates: the tension (kPa) every [`TABLE_STEP_MS`] from 0.
    pub fn table(&self) -> &[f64] {
        &self.table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twitch_reaches_its_peak_and_vanishes_outside() {
        let c = Contraction::default();
        let tw = Twitch::new(&c);
        let max = (0..=4500)
            .map(|i| tw.tension(i as f64 * 0.1))
            .fold(0.0, f64::max);
        assert!(
            (max - c.peak_tension_kpa).abs() < 1e-4 * c.peak_tension_kpa,
            "{max}"
        );
        assert_eq!(tw.tension(-1.0), 0.0);
        assert_eq!(tw.tension(c.duration_ms), 0.0);
        assert!(tw.tension(1.0) < 0.01 * c.peak_tension_kpa);
        // The table agrees with the closed form within its error bound.
        let worst = (0..45_000)
            .map(|i| {
                let s = i as f64 * 0.01 + 0.003;
                (tw.lookup(s) - tw.tension(s)).abs()
            })
            .fold(0.0, f64::max);
        assert!(worst < 1e-3, "{worst}");
    }

    #[test]
    fn endocardial_apex_first_epicardial_base_last() {
        let rule = Activation::default();
        let tets = [[0, 0, 0, 0], [1, 1, 1, 1]];
        let t = prescribed_times(&tets, &[0.0, 1.0], &[0.0, 1.0], &rule);
        assert_eq!(t[0], 0.0);
        assert_eq!(t[1], rule.transmural_ms + rule.apicobasal_ms);
    }
}
