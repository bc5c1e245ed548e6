//! Conductivities tuned to the mesh: the conductivity that makes a planar wave travel at a wanted speed
//! on tetrahedra of a given size, with a given cell model and time step.
//!
//! Patient meshes have elements of 1-3 mm, coarser than the 0.1-0.2 mm at which reaction-diffusion
//! converges (the Niederer slab): on them a physiological conductivity conducts too slowly, and across
//! the fibres may not conduct at all (the upstroke, under a millimetre wide, is not resolved). The usual
//! remedy (e.g. Niederer, Mitchell, Smith, Plank 2011, "Simulating human cardiac electrophysiology on
//! clinical time-scales", Front. Physiol. 2:14; Costabal et al. 2016) is to tune the conductivity at the
//! mesh's resolution so that the discrete wave has the measured speed. That is done here on a strip of
//! the same element size: a wave is started at one end, its speed measured between two planes, and the
//! conductivity corrected with the continuum law `v ~ sqrt(sigma)` until the speed is within 2 % of the
//! target.

use glam::DVec3;

use super::monodomain::{CellModel, Membrane, Monodomain, Stimulus, Tissue};
use crate::anatomy::block::Block;

/// A tuned conductivity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    /// Monodomain conductivity, S/m.
    pub sigma_s_per_m: f64,
    /// The planar speed it gives on the strip, m/s (= mm/ms).
    pub speed_m_s: f64,
    /// Strip runs it took.
    pub runs: usize,
}

/// The stimulus strength used to start waves, mV/ms (Niederer 2011: 50,000 uA/cm^3 over chi Cm), for
/// 2 ms.
pub const STIMULUS_MV_PER_MS: f64 = 50_000.0 / 1400.0;

/// The conductivity for which a planar wave on tetrahedra of edge `h_mm` travels at `speed_m_s`, with
/// `cell`, `membrane` and time step `dt_ms`. Fails, saying why, when the mesh carries no wave that slow
/// (coarse elements block below some conductivity and conduct faster than the target just above it),
/// when nothing up to 1e3 S/m conducts, or when the tuning does not settle within 24 runs.
pub fn conductivity_for_speed<C: CellModel + Clone>(
    cell: &C,
    membrane: Membrane,
    h_mm: f64,
    speed_m_s: f64,
    dt_ms: f64,
    threshold_mv: f64,
) -> Result<Calibration, String> {
    if !(h_mm > 0.0 && speed_m_s > 0.0 && dt_ms > 0.0) {
        return Err(format!(
            "calibration: element size {h_mm} mm, speed {speed_m_s} m/s and step {dt_ms} ms must be positive"
        ));
    }
    // Start from the continuum guess of a planar MS/TP06-like wave: about 0.6 m/s at 0.13 S/m.
    let mut sigma = 0.13 * (speed_m_s / 0.6).powi(2);
    // The bracket: the largest conductivity too slow (or blocked), the smallest too fast (with its speed).
    let mut slow: Option<f64> = None;
    let mut fast: Option<(f64, f64)> = None;
    for run in 1..=24 {
        let v = strip_speed(cell, membrane, h_mm, sigma, dt_ms, threshold_mv, speed_m_s)?;
        if let Some(v) = v
            && (v / speed_m_s - 1.0).abs() < 0.02
        {
            return Ok(Calibration {
                sigma_s_per_m: sigma,
                speed_m_s: v,
                runs: run,
            });
        }
        match v {
            Some(v) if v > speed_m_s => fast = Some((sigma, v)),
            _ => slow = Some(sigma),
        }
        sigma = match (slow, fast, v) {
            // Bisection in log(sigma) once bracketed (the speed is monotonic in sigma, but may jump
            // from block to a finite speed).
            (Some(lo), Some((hi, v_hi)), _) => {
                if hi / lo < 1.002 {
                    return Err(format!(
                        "calibration: on {h_mm:.2} mm elements the slowest wave that does not block \
                         travels at {v_hi:.3} m/s, faster than the {speed_m_s} m/s asked for (dt \
                         {dt_ms} ms): use a finer mesh or a higher speed"
                    ));
                }
                (lo * hi).sqrt()
            }
            // v ~ sqrt(sigma); damped a little for the discrete law.
            (_, _, Some(v)) => sigma * (speed_m_s / v).powf(1.8),
            // No wave: conduction block on this mesh; conduct more.
            (_, _, None) => sigma * 4.0,
        };
        if sigma > 1e3 {
            break;
        }
    }
    Err(format!(
        "calibration: no conductivity gives {speed_m_s} m/s on {h_mm:.2} mm elements with dt {dt_ms} ms"
    ))
}

/// The planar speed (m/s) of a wave on a strip of `h_mm` elements at conductivity `sigma`, or `None`
/// when the wave does not cross it.
pub fn strip_speed<C: CellModel + Clone>(
    cell: &C,
    membrane: Membrane,
    h_mm: f64,
    sigma: f64,
    dt_ms: f64,
    threshold_mv: f64,
    expected_m_s: f64,
) -> Result<Option<f64>, String> {
    let cells = [24, 2, 2];
    let size = [24.0 * h_mm, 2.0 * h_mm, 2.0 * h_mm];
    let mesh = Block {
        size,
        cells,
        jitter: 0.0,
        seed: 1,
    }
    .build()
    .map_err(|e| format!("calibration strip: {e}"))?;
    let tissue = vec![
        Tissue {
            fibre: DVec3::X,
            sigma_fibre: sigma,
            sigma_cross: sigma,
        };
        mesh.tet_count()
    ];
    let mut md = Monodomain::new(&mesh, &tissue, membrane, cell.clone(), threshold_mv)
        .map_err(|e| format!("calibration strip: {e}"))?;
    // Stable for the explicit diffusion, and no coarser than asked.
    let dt = dt_ms.min(0.9 * md.stable_step());
    let stimulus = Stimulus {
        nodes: (0..mesh.node_count() as u32)
            .filter(|&n| mesh.nodes()[n as usize][0] <= 1e-9 + h_mm)
            .collect(),
        strength: STIMULUS_MV_PER_MS,
        start_ms: 0.0,
        duration_ms: 2.0,
    };
    let plane = |x: f64| -> Vec<usize> {
        (0..mesh.node_count())
            .filter(|&n| (mesh.nodes()[n][0] - x).abs() < 1e-6 * h_mm)
            .collect()
    };
    let (x1, x2) = (8.0 * h_mm, 20.0 * h_mm);
    let (p1, p2) = (plane(x1), plane(x2));
    // Long enough for a wave at a tenth of the expected speed.
    let t_end = 20.0 + 10.0 * size[0] / expected_m_s;
    let per_chunk = ((1.0 / dt).ceil() as usize).max(1);
    // The furthest activated node, and when it last moved: a front that stalls for 30 ms has blocked.
    let (mut front, mut moved_at) = (0.0f64, 0.0f64);
    while md.t_ms < t_end {
        md.run(per_chunk, dt, std::slice::from_ref(&stimulus))
            .map_err(|e| format!("calibration strip: {e}"))?;
        if p2.iter().all(|&n| md.activation_ms[n].is_finite()) {
            break;
        }
        let now = (0..mesh.node_count())
            .filter(|&n| md.activation_ms[n].is_finite())
            .map(|n| mesh.nodes()[n][0])
            .fold(0.0, f64::max);
        if now > front {
            (front, moved_at) = (now, md.t_ms);
        } else if md.t_ms - moved_at > 30.0 {
            return Ok(None);
        }
    }
    let mean = |p: &[usize]| p.iter().map(|&n| md.activation_ms[n]).sum::<f64>() / p.len() as f64;
    let (t1, t2) = (mean(&p1), mean(&p2));
    Ok((t1.is_finite() && t2.is_finite() && t2 > t1).then(|| (x2 - x1) / (t2 - t1)))
}

/// Mean edge length of a mesh's tetrahedra, mm.
pub fn mean_edge_mm(mesh: &crate::mesh::TetMesh) -> f64 {
    let mut sum = 0.0;
    let mut n = 0usize;
    for t in 0..mesh.tet_count() {
        let p = mesh.tet_points(t).map(DVec3::from_array);
        for (a, b) in [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)] {
            sum += (p[a] - p[b]).length();
            n += 1;
        }
    }
    if n == 0 { 0.0 } else { sum / n as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ep::monodomain::MitchellSchaeffer;

    /// Tuned on a strip of 2 mm elements, the speed holds on a strip of another length and jitter (the
    /// measure is not an artefact of the strip it was tuned on), and coarser elements need more
    /// conductivity for the same speed (the discrete wave is slower).
    #[test]
    fn a_tuned_conductivity_gives_its_speed() {
        let cell = MitchellSchaeffer::default();
        let m = Membrane::NIEDERER;
        let thr = -30.0;
        let c = conductivity_for_speed(&cell, m, 2.0, 0.6, 0.05, thr).unwrap();
        assert!((c.speed_m_s / 0.6 - 1.0).abs() < 0.02, "{c:?}");
        let fine = conductivity_for_speed(&cell, m, 0.5, 0.6, 0.05, thr).unwrap();
        assert!(c.sigma_s_per_m > fine.sigma_s_per_m, "{c:?} vs {fine:?}");
        // The same conductivity on a longer strip with jittered nodes: within 5 %.
        let mesh = Block {
            size: [80.0, 4.0, 4.0],
            cells: [40, 2, 2],
            jitter: 0.1,
            seed: 7,
        }
        .build()
        .unwrap();
        let tissue = vec![
            Tissue {
                fibre: DVec3::X,
                sigma_fibre: c.sigma_s_per_m,
                sigma_cross: c.sigma_s_per_m,
            };
            mesh.tet_count()
        ];
        let mut md = Monodomain::new(&mesh, &tissue, m, cell, thr).unwrap();
        let stim = Stimulus {
            nodes: (0..mesh.node_count() as u32)
                .filter(|&n| mesh.nodes()[n as usize][0] < 2.1)
                .collect(),
            strength: STIMULUS_MV_PER_MS,
            start_ms: 0.0,
            duration_ms: 2.0,
        };
        md.run(4000, 0.05, std::slice::from_ref(&stim)).unwrap();
        let at = |x: f64| {
            let nodes: Vec<usize> = (0..mesh.node_count())
                .filter(|&n| (mesh.nodes()[n][0] - x).abs() < 0.5)
                .collect();
            nodes.iter().map(|&n| md.activation_ms[n]).sum::<f64>() / nodes.len() as f64
        };
        let v = 40.0 / (at(60.0) - at(20.0));
        println!("tuned {c:?}; fine {fine:?}; on the long strip {v:.3} m/s");
        assert!((v / 0.6 - 1.0).abs() < 0.05, "{v} m/s");
    }
}
