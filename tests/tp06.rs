//! The ten Tusscher-Panfilov 2006 cell, epicardial, endocardial and mid-myocardial, against an independent
//! implementation (the stored action potentials of `tests/data/tp06/`, see its SOURCE.md): potential
//! sample by sample, peak, APD90.

use cardiotwin::ep::monodomain::CellModel;
use cardiotwin::ep::tp06::Tp06;

fn reference(file: &str) -> Vec<(f64, f64)> {
    let text = std::fs::read_to_string(format!(
        "{}/tests/data/tp06/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let mut it = l.split(',').map(|v| v.parse::<f64>().unwrap());
            (it.next().unwrap(), it.next().unwrap())
        })
        .collect()
}

/// Time of repolarisation to 90% (from peak back towards rest) after the upstroke, ms.
fn apd90(trace: &[(f64, f64)]) -> f64 {
    let rest = trace[0].1;
    let (i_peak, &(_, peak)) = trace
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.1.total_cmp(&b.1.1))
        .unwrap();
    let level = peak - 0.9 * (peak - rest);
    let up = trace.iter().position(|&(_, v)| v > level).unwrap();
    let down = trace[i_peak..]
        .iter()
        .position(|&(_, v)| v < level)
        .unwrap()
        + i_peak;
    trace[down].0 - trace[up].0
}

/// Our action potential of `cell` beside the reference in `file`: peak, APD90, worst and RMS difference.
fn compare(cell: Tp06, file: &str) -> (f64, f64) {
    let reference = reference(file);
    let mut s = cell.initial();
    let dt = 0.005;
    let mut ours = Vec::with_capacity(reference.len());
    for k in 0..=120_000usize {
        let t = k as f64 * dt;
        if k % 100 == 0 {
            ours.push((t, s[0]));
        }
        let stim = if (10.0..11.0).contains(&(t + 1e-9)) {
            52.0
        } else {
            0.0
        };
        cell.step(&mut s, dt, stim);
    }
    assert_eq!(ours.len(), reference.len());
    let worst = ours
        .iter()
        .zip(&reference)
        .map(|(a, b)| (a.1 - b.1).abs())
        .fold(0.0, f64::max);
    let rms = (ours
        .iter()
        .zip(&reference)
        .map(|(a, b)| (a.1 - b.1).powi(2))
        .sum::<f64>()
        / ours.len() as f64)
        .sqrt();
    let peak = |t: &[(f64, f64)]| t.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    println!(
        "{file}: peak {:.2} vs {:.2} mV, APD90 {:.1} vs {:.1} ms, worst {worst:.3} mV, RMS {rms:.3} mV",
        peak(&ours),
        peak(&reference),
        apd90(&ours),
        apd90(&reference)
    );
    assert!((peak(&ours) - peak(&reference)).abs() < 1.0);
    assert!((apd90(&ours) - apd90(&reference)).abs() < 0.01 * apd90(&reference));
    assert!(rms < 1.0, "{rms}");
    // Back near rest at the end.
    assert!((ours.last().unwrap().1 - reference.last().unwrap().1).abs() < 0.5);
    (apd90(&ours), peak(&ours))
}

#[test]
fn the_action_potential_matches_the_independent_implementation() {
    compare(Tp06::default(), "reference.csv");
}

/// The other two cell types against theirs, and the transmural order the model is built for: the M cell
/// (small I_Ks) repolarises last; the endocardial cell (small I_to) has no notch, so its peak stays
/// higher.
#[test]
fn endocardial_and_mid_myocardial_cells_match_theirs() {
    let (epi, epi_peak) = compare(Tp06::epicardial(), "reference.csv");
    let (endo, endo_peak) = compare(Tp06::endocardial(), "reference_endo.csv");
    let (mid, _) = compare(Tp06::mid_myocardial(), "reference_mid.csv");
    println!("APD90 epi {epi:.1}, endo {endo:.1}, mid {mid:.1} ms");
    assert!(mid > endo + 20.0 && mid > epi + 20.0, "{epi} {endo} {mid}");
    assert!(endo_peak > epi_peak, "{endo_peak} {epi_peak}");
}
