//! Meshes generated in code, at any resolution. Lengths in mm.
//!
//! - [`block`]: a box split into hexahedra, each cut into six tetrahedra (Kuhn), optionally with jittered
//!   interior nodes: the workhorse of tests and benchmarks.
//! - [`land_ellipsoid`]: the truncated-ellipsoid left ventricle of the Land et al. 2015 benchmark;
//!   [`block::land_beam`]: its cantilever;
//! - [`arostica_ellipsoid`]: the ventricle of the Aróstica et al. 2025 elastodynamics benchmark (conical base);
//! - [`sphere_shell`]: the thick sphere of the analytic inflation check;
//! - [`coordinates`] and [`fibres`]: ventricular coordinates and fibre fields on any tagged ventricle mesh.

pub mod aha;
pub mod arostica_ellipsoid;
pub mod block;
pub mod coordinates;
pub mod fibres;
pub mod land_ellipsoid;
pub mod sphere_shell;

/// Cuts the hexahedron with corners `c[bits]` (bit 0 = +x, bit 1 = +y, bit 2 = +z in the grid's index space)
/// into six tetrahedra around its main diagonal `c[0]`-`c[7]` (Kuhn/Freudenthal). Hexahedra of a structured
/// grid cut this way share face diagonals, so the result is conforming. Orientation is not fixed here:
/// callers run [`crate::TetMesh::orient_positive`].
pub(crate) fn kuhn_tets(c: [u32; 8]) -> [[u32; 4]; 6] {
    const AXES: [[usize; 3]; 6] = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    AXES.map(|order| {
        let b1 = 1 << order[0];
        let b2 = b1 | (1 << order[1]);
        [c[0], c[b1], c[b2], c[7]]
    })
}
