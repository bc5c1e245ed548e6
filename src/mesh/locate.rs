//! Material points: a point of the reference configuration located in its containing tetrahedron, with
//! barycentric weights, so that any nodal field (deformed positions, displacement) is interpolated there
//! instead of read at the nearest node.

use glam::DVec3;

use super::TetMesh;

/// A point inside tetrahedron `tet` with barycentric weights `weights` (summing to 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaterialPoint {
    pub tet: usize,
    pub weights: [f64; 4],
}

/// Barycentric coordinates of `p` in the tetrahedron `q` (any orientation).
pub fn barycentric(q: &[DVec3; 4], p: DVec3) -> [f64; 4] {
    let vol = |a: DVec3, b: DVec3, c: DVec3, d: DVec3| (b - a).dot((c - a).cross(d - a));
    let total = vol(q[0], q[1], q[2], q[3]);
    let w1 = vol(q[0], p, q[2], q[3]) / total;
    let w2 = vol(q[0], q[1], p, q[3]) / total;
    let w3 = vol(q[0], q[1], q[2], p) / total;
    [1.0 - w1 - w2 - w3, w1, w2, w3]
}

impl MaterialPoint {
    /// Locates `p` (mm): the tetrahedron whose smallest barycentric weight is largest, accepted when that
    /// weight is >= -1e-9 (points on faces, edges and nodes belong to one of their tetrahedra). `None`
    /// when `p` lies outside the mesh.
    pub fn locate(mesh: &TetMesh, p: DVec3) -> Option<Self> {
        let mut best: Option<(f64, MaterialPoint)> = None;
        for tet in 0..mesh.tet_count() {
            let q = mesh.tet_points(tet).map(DVec3::from_array);
            // Cheap reject by bounding box.
            let (lo, hi) = q
                .iter()
                .fold((q[0], q[0]), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
            let pad = 1e-9 * (hi - lo).length();
            if p.cmplt(lo - pad).any() || p.cmpgt(hi + pad).any() {
                continue;
            }
            let weights = barycentric(&q, p);
            let worst = weights.iter().copied().fold(f64::INFINITY, f64::min);
            if best.is_none_or(|(w, _)| worst > w) {
                best = Some((worst, MaterialPoint { tet, weights }));
            }
        }
        best.filter(|(w, _)| *w >= -1e-9).map(|(_, m)| m)
    }

    /// The interpolated value of the nodal field `x` at this point.
    pub fn interpolate(&self, mesh: &TetMesh, x: &[DVec3]) -> DVec3 {
        mesh.tets()[self.tet]
            .iter()
            .zip(self.weights)
            .map(|(&n, w)| x[n as usize] * w)
            .sum()
    }
}
