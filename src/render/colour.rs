//! Colour maps, sRGB conversions and the numbers of a colour bar's ticks.

/// A colour map: control colours (sRGB, 0-255) at equal steps from the low end (0) to the high end (1),
/// interpolated linearly in sRGB between neighbours (as matplotlib does with its listed maps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColourMap {
    /// Perceptually uniform, colour-vision-deficiency safe, dark purple to yellow (van der Walt and
    /// Smith, matplotlib 2.0): for fields of one sign (stress magnitudes, times, tension).
    Viridis,
    /// Diverging blue - white - red (ColorBrewer RdBu, reversed so that negative is blue): for signed
    /// fields (fibre stress: compression blue, tension red), white at the middle of the range.
    BlueWhiteRed,
}

/// matplotlib's viridis at 0, 0.1, ..., 1.
const VIRIDIS: [[u8; 3]; 11] = [
    [68, 1, 84],
    [72, 36, 117],
    [65, 68, 135],
    [53, 95, 141],
    [42, 120, 142],
    [33, 145, 140],
    [34, 168, 132],
    [68, 191, 112],
    [122, 209, 81],
    [189, 223, 38],
    [253, 231, 37],
];

/// ColorBrewer RdBu (11 classes), from blue to red.
const BLUE_WHITE_RED: [[u8; 3]; 11] = [
    [5, 48, 97],
    [33, 102, 172],
    [67, 147, 195],
    [146, 197, 222],
    [209, 229, 240],
    [247, 247, 247],
    [253, 219, 199],
    [244, 165, 130],
    [214, 96, 77],
    [178, 24, 43],
    [103, 0, 31],
];

impl ColourMap {
    /// The control colours, low end first.
    pub fn controls(self) -> &'static [[u8; 3]] {
        match self {
            ColourMap::Viridis => &VIRIDIS,
            ColourMap::BlueWhiteRed => &BLUE_WHITE_RED,
        }
    }

    /// The sRGB colour (components 0-1) at `t` in [0, 1] (clamped; NaN gives the low end). The shader
    /// `shaders/render_surface.wgsl` computes the same per fragment.
    pub fn sample(self, t: f64) -> [f64; 3] {
        let c = self.controls();
        let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
        let x = t * (c.len() - 1) as f64;
        let i = (x.floor() as usize).min(c.len() - 2);
        let f = x - i as f64;
        std::array::from_fn(|k| {
            (f64::from(c[i][k]) * (1.0 - f) + f64::from(c[i + 1][k]) * f) / 255.0
        })
    }

    /// [`ColourMap::sample`] as 8-bit sRGB.
    pub fn sample_u8(self, t: f64) -> [u8; 3] {
        self.sample(t).map(|v| (v * 255.0).round() as u8)
    }

    /// `viridis` or `blue-white-red`.
    pub fn name(self) -> &'static str {
        match self {
            ColourMap::Viridis => "viridis",
            ColourMap::BlueWhiteRed => "blue-white-red",
        }
    }
}

/// sRGB-encoded component (0-1) to linear light.
pub fn srgb_to_linear(c: f64) -> f64 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// Linear light (0-1) to an sRGB-encoded component.
pub fn linear_to_srgb(c: f64) -> f64 {
    if c <= 0.0031308 {
        12.92 * c
    } else {
        1.055 * c.powf(1.0 / 2.4) - 0.055
    }
}

/// Tick values for a colour bar over `[lo, hi]`: the multiples of a step of 1, 2, 2.5 or 5 x 10^k that lie
/// in the range, the smallest such step that gives at most `max_ticks` of them, plus the number of
/// decimals their labels need. The two ends when no multiple fits.
pub fn ticks(lo: f64, hi: f64, max_ticks: usize) -> (Vec<f64>, usize) {
    let max_ticks = max_ticks.max(2);
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return (vec![lo, hi], 0);
    }
    let span = hi - lo;
    let raw = span / (max_ticks - 1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| span / s <= (max_ticks - 1) as f64 + 1e-9)
        .unwrap_or(10.0 * mag);
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    let mut v: Vec<f64> = (first..=last).map(|k| k as f64 * step).collect();
    for x in &mut v {
        if x.abs() < step * 1e-9 {
            *x = 0.0;
        }
    }
    // The fewest decimals that write the step exactly (2.5 needs one, 0.25 two).
    let decimals = (0..=10)
        .find(|&d| {
            let scaled = step * 10f64.powi(d);
            (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0)
        })
        .unwrap_or(10) as usize;
    if v.len() < 2 {
        return (vec![lo, hi], decimals.max(1));
    }
    (v, decimals)
}

/// A tick label: `v` with `decimals` decimals, never `-0`.
pub fn tick_label(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_hit_their_control_colours() {
        assert_eq!(ColourMap::Viridis.sample_u8(0.0), [68, 1, 84]);
        assert_eq!(ColourMap::Viridis.sample_u8(1.0), [253, 231, 37]);
        assert_eq!(ColourMap::Viridis.sample_u8(0.5), [33, 145, 140]);
        assert_eq!(ColourMap::BlueWhiteRed.sample_u8(0.5), [247, 247, 247]);
        assert_eq!(ColourMap::Viridis.sample_u8(-3.0), [68, 1, 84]);
        assert_eq!(ColourMap::Viridis.sample_u8(f64::NAN), [68, 1, 84]);
        // Halfway between two controls.
        let c = ColourMap::Viridis.sample(0.05);
        assert!((c[1] * 255.0 - 18.5).abs() < 1e-9, "{c:?}");
    }

    #[test]
    fn srgb_round_trips() {
        for i in 0..=255 {
            let c = i as f64 / 255.0;
            assert!((linear_to_srgb(srgb_to_linear(c)) - c).abs() < 1e-12);
        }
    }

    #[test]
    fn ticks_are_round_numbers_inside_the_range() {
        let (t, d) = ticks(0.0, 160.7, 6);
        assert_eq!(t, vec![0.0, 50.0, 100.0, 150.0]);
        assert_eq!(d, 0);
        let (t, d) = ticks(-12.0, 12.0, 6);
        assert_eq!(t, vec![-10.0, -5.0, 0.0, 5.0, 10.0]);
        assert_eq!(d, 0);
        let (t, d) = ticks(0.0, 0.35, 6);
        assert_eq!(t.len(), 4);
        assert_eq!(d, 1);
        assert_eq!(tick_label(t[1], d), "0.1");
        assert_eq!(tick_label(-0.0001, 1), "0.0");
        let (t, d) = ticks(-97.0, 26.5, 6);
        assert_eq!(t, vec![-75.0, -50.0, -25.0, 0.0, 25.0]);
        assert_eq!(d, 0);
        let (t, d) = ticks(0.0, 0.1, 5);
        let labels: Vec<String> = t.iter().map(|&v| tick_label(v, d)).collect();
        assert_eq!(labels, ["0.000", "0.025", "0.050", "0.075", "0.100"]);
        let (t, _) = ticks(5.0, 5.0, 6);
        assert_eq!(t, vec![5.0, 5.0]);
    }
}
