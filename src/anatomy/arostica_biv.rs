//! The biventricle of the cardiac elastodynamics benchmark (Aróstica et al. 2025, CMAME 435:117485,
//! benchmark 2; `../shared/benchmarks/ELASTODYNAMICS.md` section 8), coarse: 11,444 nodes, 45,304
//! tetrahedra, in millimetres, with the lifex rule-based fibres as point fields `fiber`, `sheet` and
//! `sheet_normal`.
//!
//! Unlike the other meshes of this module it is not generated: it is `meshes/biv_coarse.vtu`, converted
//! from the benchmark's DOLFIN files by `meshes/biv_coarse/convert.py` (source and licence in
//! `meshes/README.md`) and compiled into the library, so `cardiotwin verify elasto-b2` needs no file.
//! Long axis x: the base is the plane x = 0, the apex near x = 80 mm.

use std::path::Path;

use crate::mesh::TetMesh;
use crate::mesh::io::ImportError;

/// Surface tags of the benchmark's facet markers.
pub const BASE: i32 = 10;
pub const RV_ENDO: i32 = 20;
pub const LV_ENDO: i32 = 30;
pub const EPI: i32 = 40;

/// Where the mesh is in the repository (for messages).
pub const PATH: &str = "meshes/biv_coarse.vtu";

/// The compressed VTU file (about 2 MB).
pub const VTU: &[u8] = include_bytes!("../../meshes/biv_coarse.vtu");

/// The coarse benchmark biventricle (mm), read from the compiled-in [`VTU`].
pub fn coarse() -> Result<TetMesh, ImportError> {
    crate::mesh::io::vtk::read_vtu(Path::new(PATH), VTU)
}
