//! Meshes generated in code, at any resolution. Lengths in mm.
//!
//! - [`block`]: a box split into hexahedra, each cut into six tetrahedra (Kuhn), optionally with jittered
//!   interior nodes: the workhorse of tests and benchmarks.
//! - [`land_ellipsoid`]: the truncated-ellipsoid left ventricle of the Land et al. 2015 benchmark;
//!   [`block::land_beam`]: its cantilever;
//! - [`arostica_ellipsoid`]: the ventricle of the Aróstica et al. 2025 elastodynamics benchmark (conical base);
//!   [`arostica_biv`]: that benchmark's coarse biventricle, not generated but compiled in from `meshes/`;
//! - [`rodero_lv`]: the CT-derived Rodero et al. 2021 left ventricle, compiled in from `meshes/` (the default
//!   heartbeat);
//! - [`sphere_shell`]: the thick sphere of the analytic inflation check;
//! - [`coordinates`] and [`fibres`]: ventricular coordinates and fibre fields on any tagged ventricle mesh.

pub mod aha;
pub mod arostica_biv;
pub mod arostica_ellipsoid;
pub mod biventricle;
pub mod block;
pub mod coordinates;
pub mod fibres;
pub mod land_ellipsoid;
pub mod rodero_lv;
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

use crate::mesh::{Field, MeshError, TetMesh};
use coordinates::{AnatomyError, VentricleSurfaces, VentricularCoordinates};
use fibres::LdrbAngles;

/// What [`annotate`] added.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AnatomyReport {
    pub apex_node: usize,
    pub long_axis: [f64; 3],
    /// Tetrahedra whose fibre frame fell back to an arbitrary one (vanishing gradients).
    pub degenerate_frames: usize,
    /// Volume of each AHA segment 1..17, mm^3 (index 0: outside the LV).
    pub segment_volumes_mm3: Vec<f64>,
}

/// Computes ventricular coordinates, rule-based fibres, AHA segments and coronary territories, and stores
/// them in the mesh: point fields `transmural`, `apicobasal`, `rotational`, `lv`, `rv`; cell fields
/// `fiber`, `sheet`, `normal`, `aha_segment`, `coronary_territory`.
pub fn annotate(
    mesh: &mut TetMesh,
    surfaces: &VentricleSurfaces,
    angles: LdrbAngles,
) -> Result<AnatomyReport, AnatomyError> {
    let coords = VentricularCoordinates::compute(mesh, surfaces)?;
    let frames = fibres::ldrb(mesh, &coords, angles);
    let segments = aha::segments(mesh, &coords);
    let store = |mesh: &mut TetMesh| -> Result<(), MeshError> {
        for (name, data) in [
            ("transmural", &coords.transmural),
            ("apicobasal", &coords.apicobasal),
            ("rotational", &coords.rotational),
            ("lv", &coords.lv),
            ("rv", &coords.rv),
        ] {
            mesh.add_point_field(Field::new(name, 1, data.clone()))?;
        }
        frames.store(mesh)?;
        aha::store(mesh, &segments)
    };
    // The fields are built with the mesh's own sizes and finite values: a failure here is a bug.
    store(mesh).map_err(|e| AnatomyError::Internal(e.to_string()))?;
    let mut volumes = vec![0.0; 18];
    for (t, &s) in segments.iter().enumerate() {
        volumes[s as usize] += crate::mesh::signed_volume(&mesh.tet_points(t));
    }
    Ok(AnatomyReport {
        apex_node: coords.apex,
        long_axis: coords.long_axis,
        degenerate_frames: frames.degenerate,
        segment_volumes_mm3: volumes,
    })
}
