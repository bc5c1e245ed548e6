//! A thick-walled sphere (the analytic inflation check of `../shared/benchmarks/ANALYTIC.md`: inner radius
//! 10 mm, outer 15 mm by default).
//!
//! A cubed sphere: each of the six faces of the cube [-1, 1]^3 carries an n x n grid (equiangular:
//! a = tan(pi/4 xi)), projected to the sphere and extruded radially in layers; each hexahedron is cut into
//! 12 tetrahedra around its centroid with shared face diagonals ([`crate::mesh::hex`]), so the mesh is
//! conforming across the patch seams and no element spans a cube edge. Surfaces: 1 inner,
//! 2 outer.

use std::collections::HashMap;

use crate::mesh::hex::split_hex;
use crate::mesh::topology::boundary_faces;
use crate::mesh::{MeshError, Surfaces, TetMesh};

pub const INNER: i32 = 1;
pub const OUTER: i32 = 2;

#[derive(Debug, Clone, Copy)]
pub struct SphereShell {
    /// Radii, mm.
    pub inner: f64,
    pub outer: f64,
    /// Cells along each edge of a cube face (the circumference has 4 x cells).
    pub cells: usize,
    /// Element layers through the wall.
    pub layers: usize,
}

impl SphereShell {
    /// The 10-15 mm shell with elements of about `h` mm at mid-wall.
    pub fn with_element_size(h: f64) -> Self {
        // The cube face [-1, 1] maps to a quarter of a great circle at mid-wall: (pi/2) * 12.5 mm.
        let h = h.max(1e-3);
        let cells = ((std::f64::consts::FRAC_PI_2 * 12.5 / h).round() as usize).max(2);
        SphereShell {
            inner: 10.0,
            outer: 15.0,
            cells,
            layers: ((5.0 / h).round() as usize).max(1),
        }
    }

    pub fn exact_volume(&self) -> f64 {
        4.0 / 3.0 * std::f64::consts::PI * (self.outer.powi(3) - self.inner.powi(3))
    }

    pub fn build(&self) -> Result<TetMesh, MeshError> {
        let n = self.cells.max(1);
        let nl = self.layers.max(1);
        // Node key: integer position on the surface of the cube [0, n]^3 (unique across patches) and layer.
        let mut index: HashMap<([usize; 3], usize), u32> = HashMap::new();
        let mut nodes: Vec<[f64; 3]> = Vec::new();
        let mut node = |key: [usize; 3], layer: usize, nodes: &mut Vec<[f64; 3]>| -> u32 {
            *index.entry((key, layer)).or_insert_with(|| {
                let dir: [f64; 3] = key.map(|c| {
                    let xi = 2.0 * c as f64 / n as f64 - 1.0;
                    (std::f64::consts::FRAC_PI_4 * xi).tan()
                });
                let len = (dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2]).sqrt();
                let r = self.inner + (self.outer - self.inner) * layer as f64 / nl as f64;
                nodes.push(dir.map(|c| c * r / len));
                (nodes.len() - 1) as u32
            })
        };
        let mut tets = Vec::new();
        for axis in 0..3 {
            for side in [0, n] {
                let (a1, a2) = ((axis + 1) % 3, (axis + 2) % 3);
                for i in 0..n {
                    for j in 0..n {
                        let key = |di: usize, dj: usize| {
                            let mut k = [0; 3];
                            k[axis] = side;
                            k[a1] = i + di;
                            k[a2] = j + dj;
                            k
                        };
                        for l in 0..nl {
                            let quad = [key(0, 0), key(1, 0), key(1, 1), key(0, 1)];
                            let hex: [u32; 8] =
                                std::array::from_fn(|c| node(quad[c % 4], l + c / 4, &mut nodes));
                            split_hex(&mut nodes, hex, &mut tets);
                        }
                    }
                }
            }
        }
        let mut mesh = TetMesh::new(nodes, tets)?;
        mesh.orient_generated();
        let mut surfaces = Surfaces::default();
        for f in boundary_faces(&mesh).0 {
            let on_inner = |i: u32| {
                let p = mesh.nodes()[i as usize];
                ((p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt() - self.inner).abs() < 1e-9
            };
            let tag = if f.nodes.iter().all(|&i| on_inner(i)) {
                INNER
            } else {
                OUTER
            };
            surfaces.triangles.push(f.nodes);
            surfaces.tags.push(tag);
        }
        let mut mesh = mesh.with_surfaces(surfaces)?;
        mesh.surface_names.insert(INNER, "inner".into());
        mesh.surface_names.insert(OUTER, "outer".into());
        Ok(mesh)
    }
}
