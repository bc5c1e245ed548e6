//! The CT-derived left ventricle of case 01 of the Rodero et al. 2021 cohort (`meshes/rodero_lv.vtu`,
//! 24,206 tetrahedra; source and licence in `meshes/README.md`), compiled into the library so the default
//! heartbeat scenario needs no file.
//!
//! The file's `_surface-id` tags carry no names. They were identified from the geometry (areas from
//! `cardiotwin mesh info`; the probe is in the module's tests):
//! - 34722, 12,275 mm^2: the endocardium. Open at two rings of 38 and 21 nodes (mitral and aortic
//!   orifices); the cavity it encloses, closed by fans over the rings, is 118.1 mL.
//! - 34721, 20,149 mm^2: the epicardium (open at the same two orifices).
//! - 34723..34728, 37-1,266 mm^2: the wall's faces around the two orifices (valve rims): the base.
//! - 1001 (944 mm^2, about 35 mm across) and 1002 (385 mm^2, about 22 mm across): the mitral and aortic
//!   valve caps, spanning the orifices; not faces of any tetrahedron.
//! - 34729, 13,605 mm^2 = endocardium + both caps: the closed cavity surface; not boundary faces either.
//!
//! [`lv`] drops the caps, the cavity surface and the cap nodes no tetrahedron uses, and names the
//! remaining surfaces. The file's `fiber` array is a constant placeholder (0, 0, 1): fibres come from the
//! rule-based method ([`crate::anatomy::fibres::ldrb`]) on [`surfaces`].

use std::path::Path;

use super::coordinates::VentricleSurfaces;
use crate::mesh::io::ImportError;
use crate::mesh::{Surfaces, TetMesh};

/// Where the mesh is in the repository (for messages).
pub const PATH: &str = "meshes/rodero_lv.vtu";

/// The compressed VTU file (about 0.8 MB).
pub const VTU: &[u8] = include_bytes!("../../meshes/rodero_lv.vtu");

/// Endocardium.
pub const ENDO: i32 = 34722;
/// Epicardium.
pub const EPI: i32 = 34721;
/// The wall's faces around the mitral and aortic orifices.
pub const BASE: [i32; 6] = [34723, 34724, 34725, 34726, 34727, 34728];

/// Tags that are not boundary faces of the tetrahedra (valve caps, closed cavity surface).
const NOT_ON_WALL: [i32; 3] = [1001, 1002, 34729];

/// The ventricle (mm) with named surfaces `endocardium`, `epicardium`, `base` (one name per tag of
/// [`BASE`]: `base-34723`, ...), without caps or unused nodes.
pub fn lv() -> Result<TetMesh, ImportError> {
    let path = Path::new(PATH);
    let mesh = crate::mesh::io::vtk::read_vtu(path, VTU)?;
    // The cavity surface repeats the endocardium's triangles: drop it first, or the sub-mesh below could
    // tag endocardial faces with it.
    let mut wall = Surfaces::default();
    for (tri, &tag) in mesh.surfaces().triangles.iter().zip(&mesh.surfaces().tags) {
        if !NOT_ON_WALL.contains(&tag) {
            wall.triangles.push(*tri);
            wall.tags.push(tag);
        }
    }
    let mesh = mesh
        .with_surfaces(wall)
        .map_err(|e| ImportError::mesh(path, e))?;
    let mut out = crate::mesh::extract::without_unused_nodes(&mesh)
        .map_err(|e| ImportError::mesh(path, e))?
        .unwrap_or(mesh);
    out.retain_fields(|name| name != "fiber" && name != "PointMergeMap");
    out.surface_names.insert(ENDO, "endocardium".into());
    out.surface_names.insert(EPI, "epicardium".into());
    for tag in BASE {
        out.surface_names.insert(tag, format!("base-{tag}"));
    }
    Ok(out)
}

/// The surfaces for ventricular coordinates and fibres.
pub fn surfaces() -> VentricleSurfaces {
    VentricleSurfaces {
        lv_endo: vec![ENDO],
        rv_endo: Vec::new(),
        epi: vec![EPI],
        base: BASE.to_vec(),
        septum_direction: None,
    }
}
