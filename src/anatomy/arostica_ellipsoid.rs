//! The truncated-ellipsoid left ventricle of the cardiac elastodynamics benchmark (Aróstica et al. 2025,
//! CMAME 435:117485; `../shared/benchmarks/ELASTODYNAMICS.md` section 1), in millimetres.
//!
//! Long axis x, apex towards -x. Endocardium: rs = 25, rl = 90; epicardium: rs = 35, rl = 97; the base is
//! not planar but the cone through the endocardial rim (u = -acos(5/17): x = 26.4706, radius 23.8942) and the
//! epicardial rim (u = -acos(5/20): x = 24.25, radius 33.8886). Surface tags as the benchmark's mesh:
//! 1 endocardium, 2 epicardium, 3 base.

use std::f64::consts::PI;

use super::land_ellipsoid::{Rim, Shell, build_shell, meridian_length};
use crate::mesh::{MeshError, TetMesh};

fn shell() -> Shell {
    Shell {
        endo: (25.0, 90.0),
        epi: (35.0, 97.0),
        rim: Rim::Cone {
            // The limits inherited from Land et al. 2015.
            endo_u: -(5.0f64 / 17.0).acos(),
            epi_u: -(5.0f64 / 20.0).acos(),
        },
    }
}

/// Resolution of the generated ventricle.
#[derive(Debug, Clone, Copy)]
pub struct ArosticaEllipsoid {
    pub transmural: usize,
    pub longitudinal: usize,
    pub circumferential: usize,
}

impl ArosticaEllipsoid {
    /// Elements of about `h` mm at mid-wall (the benchmark's own mesh used 5 mm).
    pub fn with_element_size(h: f64) -> Self {
        let h = h.max(1e-3);
        // Mid-wall radii and a mid-wall rim angle between the endocardial and epicardial ones.
        let rs = 30.0;
        let meridian = meridian_length(rs, 93.5, -1.3);
        ArosticaEllipsoid {
            transmural: ((10.0 / h).round() as usize).max(1),
            longitudinal: ((meridian / h).round() as usize).max(3),
            circumferential: ((2.0 * PI * rs / h).round() as usize).max(8),
        }
    }

    pub fn build(&self) -> Result<TetMesh, MeshError> {
        let z_axis = build_shell(
            &shell(),
            [self.transmural, self.longitudinal, self.circumferential],
        )?;
        // (x, y, z) -> (z, x, y): a cyclic permutation (a rotation), long axis along x.
        z_axis.transformed(|p| [p[2], p[0], p[1]])
    }
}
