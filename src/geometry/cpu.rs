//! Rest geometry in f64 on the CPU (rayon): the reference for the GPU kernel.

use glam::{DMat3, DVec3};
use rayon::prelude::*;

use super::RestGeometry;
use crate::mesh::TetMesh;

/// Rest geometry of every tetrahedron of `mesh`, in parallel.
pub fn rest_geometry(mesh: &TetMesh) -> Vec<RestGeometry> {
    (0..mesh.tet_count())
        .into_par_iter()
        .map(|t| tet_geometry(&mesh.tet_points(t)))
        .collect()
}

/// As [`rest_geometry`], into a caller's buffer of one entry per tetrahedron (no allocation: what a
/// time-stepping loop does).
pub fn rest_geometry_into(mesh: &TetMesh, out: &mut [RestGeometry]) {
    assert_eq!(
        out.len(),
        mesh.tet_count(),
        "one output entry per tetrahedron"
    );
    out.par_iter_mut()
        .enumerate()
        .for_each(|(t, g)| *g = tet_geometry(&mesh.tet_points(t)));
}

/// Rest geometry of one tetrahedron (corner coordinates in mm).
pub fn tet_geometry(p: &[[f64; 3]; 4]) -> RestGeometry {
    let [x0, x1, x2, x3] = p.map(DVec3::from_array);
    let (a, b, c) = (x1 - x0, x2 - x0, x3 - x0);
    let (bxc, cxa, axb) = (b.cross(c), c.cross(a), a.cross(b));
    let det = a.dot(bxc);
    let volume = det / 6.0;
    if det == 0.0 {
        return RestGeometry {
            dm_inv: [[0.0; 3]; 3],
            volume,
            quality: 0.0,
        };
    }
    let inv_det = 1.0 / det;
    let area = 0.5 * (axb.length() + bxc.length() + cxa.length() + (b - a).cross(c - a).length());
    let circ =
        (a.length_squared() * bxc + b.length_squared() * cxa + c.length_squared() * axb).length();
    RestGeometry {
        dm_inv: [
            (bxc * inv_det).to_array(),
            (cxa * inv_det).to_array(),
            (axb * inv_det).to_array(),
        ],
        volume,
        quality: 108.0 * volume * volume / (area * circ),
    }
}

/// Dm as a matrix (columns are the edges from corner 0), for condition numbers and tests.
pub fn edge_matrix(p: &[[f64; 3]; 4]) -> DMat3 {
    let [x0, x1, x2, x3] = p.map(DVec3::from_array);
    DMat3::from_cols(x1 - x0, x2 - x0, x3 - x0)
}
