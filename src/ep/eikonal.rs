//! Anisotropic eikonal activation on tetrahedra: the fast iterative method (FIM) of Fu, Kirby and
//! Whitaker (SIAM J. Sci. Comput. 35:C473, 2013) with the exact local solver of a tetrahedron.
//!
//! The activation time `T` solves `sqrt(grad T . D grad T) = 1`, with the conduction tensor
//! `D = v_f^2 f f^T + v_t^2 (I - f f^T)` per tetrahedron (fibre `f`, speeds along and across it, mm/ms =
//! m/s). Equivalently `T(x)` is the shortest travel time from the stimuli in the metric
//! `M = D^-1 = f f^T / v_f^2 + (I - f f^T) / v_t^2`: within a tetrahedron with the other three corners
//! known, the time at the fourth is the minimum over the opposite face of
//! `T(y) + |x - y|_M` (`T` linear on the face), solved in closed form (module function `local`): the
//! stationary point inside the face, else on its edges, else at its corners.
//!
//! FIM: an active list of nodes is updated in sweeps (all in parallel from the previous sweep's values,
//! applied in node order: deterministic); a node whose value no longer changes leaves the list and
//! wakes its neighbours if it lowers theirs. Non-conducting tetrahedra (speed 0: scar, ablation lesion)
//! take no part; nodes reached through none stay at infinity (never activated).
//!
//! Units: mm, ms, mm/ms.

use glam::{DMat3, DVec3};
use rayon::prelude::*;

use crate::mesh::TetMesh;
use crate::mesh::topology::NodeTets;

/// Conduction of one tetrahedron: the fibre direction and the speeds along and across it, mm/ms. A zero
/// fibre speed makes it non-conducting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conduction {
    pub fibre: DVec3,
    pub v_fibre: f64,
    pub v_cross: f64,
}

impl Conduction {
    /// The metric M = D^-1; `None` for a non-conducting element.
    fn metric(&self) -> Option<DMat3> {
        if !(self.v_fibre > 0.0 && self.v_cross > 0.0) {
            return None;
        }
        let f = self.fibre.normalize_or_zero();
        let ff = DMat3::from_cols(f * f.x, f * f.y, f * f.z);
        Some(
            ff / (self.v_fibre * self.v_fibre)
                + (DMat3::IDENTITY - ff) / (self.v_cross * self.v_cross),
        )
    }
}

/// Invalid input to the solver.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EikonalError {
    #[error("{what}: {len} entries for {expected} {items}")]
    Length {
        what: &'static str,
        len: usize,
        expected: usize,
        items: &'static str,
    },
    #[error("stimulus at node {node}: time {time} ms is not finite")]
    Stimulus { node: usize, time: f64 },
    #[error("no stimulus: give at least one node and its activation time")]
    NoStimulus,
    #[error(
        "tetrahedron {tet}: conduction speeds {v_fibre} (fibre) and {v_cross} (cross-fibre) mm/ms must \
         be finite and >= 0, and both 0 or both > 0"
    )]
    Speed {
        tet: usize,
        v_fibre: f64,
        v_cross: f64,
    },
}

/// What a solve did.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct EikonalReport {
    /// Sweeps over the active list and node updates in all.
    pub sweeps: usize,
    pub updates: usize,
    /// Nodes never reached (isolated by non-conducting tissue).
    pub unreached: usize,
    pub wall_s: f64,
}

/// Relative change below which a node's value has converged.
const TOL: f64 = 1e-9;

/// Activation times (ms) of every node from `stimuli` (node, time in ms), with `conduction` per
/// tetrahedron. Unreached nodes are `f64::INFINITY`.
pub fn solve(
    mesh: &TetMesh,
    conduction: &[Conduction],
    stimuli: &[(u32, f64)],
) -> Result<(Vec<f64>, EikonalReport), EikonalError> {
    let start = std::time::Instant::now();
    let n = mesh.node_count();
    if conduction.len() != mesh.tet_count() {
        return Err(EikonalError::Length {
            what: "conduction",
            len: conduction.len(),
            expected: mesh.tet_count(),
            items: "tetrahedra",
        });
    }
    for (tet, c) in conduction.iter().enumerate() {
        let ok = c.v_fibre.is_finite()
            && c.v_cross.is_finite()
            && c.v_fibre >= 0.0
            && c.v_cross >= 0.0
            && ((c.v_fibre == 0.0) == (c.v_cross == 0.0));
        if !ok {
            return Err(EikonalError::Speed {
                tet,
                v_fibre: c.v_fibre,
                v_cross: c.v_cross,
            });
        }
    }
    if stimuli.is_empty() {
        return Err(EikonalError::NoStimulus);
    }
    let metrics: Vec<Option<DMat3>> = conduction.iter().map(Conduction::metric).collect();
    let x: Vec<DVec3> = mesh.nodes().iter().map(|p| DVec3::from_array(*p)).collect();
    let adjacency = NodeTets::build(mesh);
    let tets = mesh.tets();
    let mut t = vec![f64::INFINITY; n];
    let mut fixed = vec![false; n];
    for &(node, time) in stimuli {
        let i = node as usize;
        if i >= n {
            return Err(EikonalError::Length {
                what: "stimulus node index",
                len: i,
                expected: n,
                items: "nodes",
            });
        }
        if !time.is_finite() {
            return Err(EikonalError::Stimulus { node: i, time });
        }
        t[i] = t[i].min(time);
        fixed[i] = true;
    }
    // The value node `v` gets from its tetrahedra with the current times.
    let update = |v: usize, t: &[f64]| -> f64 {
        let mut best = t[v];
        for &[tet, corner] in adjacency.of(v) {
            let Some(m) = &metrics[tet as usize] else {
                continue;
            };
            let nodes = tets[tet as usize];
            let mut others = [(DVec3::ZERO, 0.0); 3];
            let mut k = 0;
            for (c, &node) in nodes.iter().enumerate() {
                if c != corner as usize {
                    others[k] = (x[node as usize], t[node as usize]);
                    k += 1;
                }
            }
            best = best.min(local(x[v], others, m));
        }
        best
    };
    let neighbours = |v: usize| {
        adjacency.of(v).iter().flat_map(move |&[tet, _]| {
            tets[tet as usize]
                .iter()
                .map(|&m| m as usize)
                .filter(move |&m| m != v)
        })
    };
    let mut in_list = vec![false; n];
    let mut active: Vec<usize> = Vec::new();
    for (v, &f) in fixed.iter().enumerate() {
        if f {
            for m in neighbours(v) {
                if !fixed[m] && !in_list[m] {
                    in_list[m] = true;
                    active.push(m);
                }
            }
        }
    }
    active.sort_unstable();
    let (mut sweeps, mut updates) = (0, 0);
    while !active.is_empty() {
        sweeps += 1;
        updates += active.len();
        let new: Vec<f64> = active.par_iter().map(|&v| update(v, &t)).collect();
        let mut converged = Vec::new();
        for (&v, &value) in active.iter().zip(&new) {
            let old = t[v];
            if value < old {
                t[v] = value;
            }
            // `update` never raises a value: converged when it no longer lowers it (or cannot reach it).
            if old - value <= TOL * old.abs().max(1.0) || !value.is_finite() {
                converged.push(v);
            }
        }
        for &v in &converged {
            in_list[v] = false;
        }
        let mut next: Vec<usize> = active.iter().copied().filter(|&v| in_list[v]).collect();
        // Wake the neighbours of converged nodes that they can lower.
        let mut candidates: Vec<usize> = converged
            .iter()
            .flat_map(|&v| neighbours(v))
            .filter(|&m| !fixed[m] && !in_list[m])
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let lowered: Vec<(usize, f64)> = candidates
            .par_iter()
            .filter_map(|&m| {
                let value = update(m, &t);
                (value < t[m] * (1.0 - TOL)).then_some((m, value))
            })
            .collect();
        updates += candidates.len();
        for (m, value) in lowered {
            t[m] = value;
            in_list[m] = true;
            next.push(m);
        }
        next.sort_unstable();
        active = next;
    }
    let unreached = t.iter().filter(|v| !v.is_finite()).count();
    Ok((
        t,
        EikonalReport {
            sweeps,
            updates,
            unreached,
            wall_s: start.elapsed().as_secs_f64(),
        },
    ))
}

/// `|y|_M`.
fn norm(y: DVec3, m: &DMat3) -> f64 {
    y.dot(*m * y).max(0.0).sqrt()
}

/// The time at `x` from the face of three corners `(position, time)` in metric `m`: min over the face of
/// `T(y) + |x - y|_M` with `T` linear on the face (module docs). Infinite corners are skipped.
fn local(x: DVec3, corners: [(DVec3, f64); 3], m: &DMat3) -> f64 {
    // The finite corners first, without allocating (this runs ~10^7 times per solve).
    let mut finite = [(DVec3::ZERO, 0.0); 3];
    let mut k = 0;
    for c in corners {
        if c.1.is_finite() {
            finite[k] = c;
            k += 1;
        }
    }
    let finite = &finite[..k];
    // The cost is convex on the face: a stationary point inside it is the minimum over the closed face,
    // and the edges and corners need no look (the common case, and the costly part of a solve).
    if k == 3 {
        let inside = face(x, finite[0], finite[1], finite[2], m);
        if inside.is_finite() {
            return inside;
        }
    }
    let mut best = f64::INFINITY;
    for &(p, t) in finite {
        best = best.min(t + norm(x - p, m));
    }
    for i in 0..k {
        for j in i + 1..k {
            best = best.min(edge(x, finite[i], finite[j], m));
        }
    }
    best
}

/// Minimum of `T_b + l (T_a - T_b) + |x - x_b - l (x_a - x_b)|_M` over `l` in (0, 1); infinite when the
/// stationary point is outside (the corners cover that case).
fn edge(x: DVec3, (xa, ta): (DVec3, f64), (xb, tb): (DVec3, f64), m: &DMat3) -> f64 {
    let e = x - xb;
    let d = xa - xb;
    let delta = ta - tb;
    let g = d.dot(*m * d);
    if g <= 0.0 {
        return f64::INFINITY;
    }
    let gd = d.dot(*m * e);
    let p = e - d * (gd / g);
    let denom = 1.0 - delta * delta / g;
    if denom <= 0.0 {
        return f64::INFINITY;
    }
    let s = (p.dot(*m * p).max(0.0) / denom).sqrt();
    let l = (gd - delta * s) / g;
    if !(0.0..=1.0).contains(&l) {
        return f64::INFINITY;
    }
    tb + l * delta + s
}

/// The same over the face's interior (barycentric l1, l2 > 0, l1 + l2 < 1): the characteristic satisfies
/// `E^T M w = delta |w|_M`, which gives `|w|_M = sqrt(p.Mp / (1 - delta.G^-1 delta))` in closed form.
fn face(x: DVec3, a: (DVec3, f64), b: (DVec3, f64), c: (DVec3, f64), m: &DMat3) -> f64 {
    let (x1, t1) = a;
    let (x2, t2) = b;
    let (x3, t3) = c;
    let e = x - x3;
    let (e1, e2) = (x1 - x3, x2 - x3);
    let (me1, me2) = (*m * e1, *m * e2);
    // G = E^T M E, g = E^T M e.
    let (g11, g12, g22) = (e1.dot(me1), e1.dot(me2), e2.dot(me2));
    let det = g11 * g22 - g12 * g12;
    if det <= 1e-14 * (g11 * g22).max(f64::MIN_POSITIVE) {
        return f64::INFINITY;
    }
    let inv = |v: [f64; 2]| {
        [
            (g22 * v[0] - g12 * v[1]) / det,
            (g11 * v[1] - g12 * v[0]) / det,
        ]
    };
    let g = [me1.dot(e), me2.dot(e)];
    let delta = [t1 - t3, t2 - t3];
    let lg = inv(g);
    let ld = inv(delta);
    let p = e - e1 * lg[0] - e2 * lg[1];
    let q2 = delta[0] * ld[0] + delta[1] * ld[1];
    if q2 >= 1.0 {
        return f64::INFINITY;
    }
    let s = (p.dot(*m * p).max(0.0) / (1.0 - q2)).sqrt();
    let l = [lg[0] - ld[0] * s, lg[1] - ld[1] * s];
    if l[0] < 0.0 || l[1] < 0.0 || l[0] + l[1] > 1.0 {
        return f64::INFINITY;
    }
    t3 + l[0] * delta[0] + l[1] * delta[1] + s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_face_solution_is_the_minimum_over_the_face() {
        let m = Conduction {
            fibre: DVec3::new(1.0, 0.3, 0.2),
            v_fibre: 0.6,
            v_cross: 0.25,
        }
        .metric()
        .unwrap();
        let x = DVec3::new(0.3, 0.2, 1.5);
        let corners = [
            (DVec3::new(0.0, 0.0, 0.0), 1.0),
            (DVec3::new(1.0, 0.0, 0.1), 1.6),
            (DVec3::new(0.0, 1.0, -0.1), 2.2),
        ];
        let exact = local(x, corners, &m);
        // Brute force over a fine barycentric grid.
        let n = 2000;
        let mut brute = f64::INFINITY;
        for i in 0..=n {
            for j in 0..=(n - i) {
                let (l1, l2) = (i as f64 / n as f64, j as f64 / n as f64);
                let l3 = 1.0 - l1 - l2;
                let y = corners[0].0 * l1 + corners[1].0 * l2 + corners[2].0 * l3;
                let t = corners[0].1 * l1 + corners[1].1 * l2 + corners[2].1 * l3;
                brute = brute.min(t + norm(x - y, &m));
            }
        }
        assert!(exact <= brute + 1e-12, "{exact} vs {brute}");
        assert!(brute - exact < 1e-5, "{exact} vs {brute}");
    }
}
