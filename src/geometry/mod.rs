//! Per-tetrahedron rest geometry: what every finite-element kernel precomputes in the reference
//! configuration (total-Lagrangian methods never recompute it).
//!
//! For tetrahedron (x0, x1, x2, x3), Dm = [x1-x0 | x2-x0 | x3-x0]:
//! - signed volume V = det(Dm) / 6 (mm^3), negative for an inverted node order;
//! - Dm^-1 (1/mm): its rows are the gradients of the shape functions N1, N2, N3; grad N0 = -(sum of rows).
//!   The deformation gradient of a deformed tet is F = Ds Dm^-1;
//! - quality: the radius ratio q = 3 r_in / r_circ, 1 for a regular tetrahedron, 0 for a flat one.
//!
//! Two implementations of one algorithm: [`cpu`] in f64 (rayon; the reference) and [`gpu`] in f32 (WGSL,
//! `shaders/rest_geometry.wgsl`). [`compute`] runs whichever the [`Backend`] says.

pub mod cpu;
pub mod gpu;

use serde::Serialize;

use crate::backend::Backend;
use crate::error::Result;
use crate::mesh::TetMesh;

/// Rest geometry of one tetrahedron (see the module docs for definitions and units).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RestGeometry {
    /// Dm^-1, row-major: `dm_inv[r]` is the gradient of shape function N_{r+1}, 1/mm.
    pub dm_inv: [[f64; 3]; 3],
    /// Signed volume, mm^3.
    pub volume: f64,
    /// Radius ratio in [0, 1].
    pub quality: f64,
}

/// Mesh-wide figures from the per-tet geometry.
#[derive(Debug, Clone, Serialize)]
pub struct GeometryStats {
    pub tets: usize,
    /// Sum of signed volumes, mm^3.
    pub volume_mm3: f64,
    pub min_volume_mm3: f64,
    pub max_volume_mm3: f64,
    /// Tetrahedra with negative signed volume.
    pub inverted: usize,
    /// Tetrahedra with zero volume (no inverse exists).
    pub degenerate: usize,
    pub quality_min: f64,
    pub quality_mean: f64,
    /// Index of the tetrahedron with the lowest quality.
    pub worst_tet: usize,
}

impl GeometryStats {
    pub fn of(geometry: &[RestGeometry]) -> Self {
        let mut s = GeometryStats {
            tets: geometry.len(),
            volume_mm3: 0.0,
            min_volume_mm3: f64::INFINITY,
            max_volume_mm3: f64::NEG_INFINITY,
            inverted: 0,
            degenerate: 0,
            quality_min: f64::INFINITY,
            quality_mean: 0.0,
            worst_tet: 0,
        };
        for (i, g) in geometry.iter().enumerate() {
            s.volume_mm3 += g.volume;
            s.min_volume_mm3 = s.min_volume_mm3.min(g.volume);
            s.max_volume_mm3 = s.max_volume_mm3.max(g.volume);
            s.inverted += usize::from(g.volume < 0.0);
            s.degenerate += usize::from(g.volume == 0.0);
            s.quality_mean += g.quality;
            if g.quality < s.quality_min {
                s.quality_min = g.quality;
                s.worst_tet = i;
            }
        }
        s.quality_mean /= geometry.len().max(1) as f64;
        s
    }
}

/// Computes the rest geometry of every tetrahedron on `backend`.
pub fn compute(backend: &Backend, mesh: &TetMesh) -> Result<Vec<RestGeometry>> {
    match backend {
        Backend::Cpu => Ok(cpu::rest_geometry(mesh)),
        Backend::Gpu(ctx) => Ok(gpu::RestGeometryKernel::new(ctx)?.run(ctx, mesh)?.0),
    }
}
