//! Loads and boundary conditions of the mechanics core, on tagged surfaces of the mesh. Units: mm, ms, mg,
//! mN, kPa (see [`crate::mechanics`]).
//!
//! - [`PressureLoad`]: follower pressure p (kPa) on boundary triangles, recomputed every step from the
//!   deformed triangle: each of its three nodes receives f = -p n A / 3 with n A = (x1 - x0) x (x2 - x0) / 2
//!   the deformed area vector along the outward normal of the body. A positive pressure pushes the surface
//!   into the body (an LV cavity pressure on the endocardium pushes the wall outwards).
//! - [`SpringLoad`]: Robin spring-and-dashpot support f = -w (k u + c v) with u = x - X and v the nodal
//!   velocity, w the node's lumped share of the reference surface area (mm^2), k in kPa/mm and c in
//!   kPa ms/mm; full-vector, or normal-only (u and v projected on the reference outward normal).
//! - [`Constraints`]: Dirichlet conditions; fixed components `(node, axis, position)` and in-plane sliding
//!   (the displacement along a given unit normal kept at zero).
//! - [`Loads::gravity`]: a body force per unit mass, mm/ms^2.
//!
//! Every load knows its triangles or nodes; nothing here looks at tags after construction.

use std::collections::HashMap;

use glam::DVec3;

use crate::mesh::TetMesh;
use crate::mesh::topology::boundary_faces;

/// A surface selection that does not exist or is not on the boundary.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoadError {
    #[error("no boundary triangles carry surface tag(s) {tags:?}; the mesh has tags {available:?}")]
    NoSuchSurface { tags: Vec<i32>, available: Vec<i32> },
    #[error(
        "surface tag {tag}: triangle {index} ({nodes:?}) is not a boundary face of the tetrahedra; the \
         surface and volume meshes disagree"
    )]
    NotOnBoundary {
        tag: i32,
        index: usize,
        nodes: [u32; 3],
    },
    #[error("{what} = {value} must be {expected}")]
    Parameter {
        what: &'static str,
        value: f64,
        expected: &'static str,
    },
}

/// The boundary triangles of `mesh` that carry any of `tags`, oriented with the outward normal of the
/// body (as the tetrahedra see them, whatever the file's winding).
pub fn tagged_faces(mesh: &TetMesh, tags: &[i32]) -> Result<Vec<[u32; 3]>, LoadError> {
    let (faces, _) = boundary_faces(mesh);
    let key = |t: [u32; 3]| {
        let mut k = t;
        k.sort_unstable();
        k
    };
    let oriented: HashMap<[u32; 3], [u32; 3]> =
        faces.iter().map(|f| (key(f.nodes), f.nodes)).collect();
    let surfaces = mesh.surfaces();
    let mut out = Vec::new();
    for (index, (tri, tag)) in surfaces.triangles.iter().zip(&surfaces.tags).enumerate() {
        if !tags.contains(tag) {
            continue;
        }
        match oriented.get(&key(*tri)) {
            Some(&nodes) => out.push(nodes),
            None => {
                return Err(LoadError::NotOnBoundary {
                    tag: *tag,
                    index,
                    nodes: *tri,
                });
            }
        }
    }
    if out.is_empty() {
        let mut available: Vec<i32> = surfaces.tags.clone();
        available.sort_unstable();
        available.dedup();
        return Err(LoadError::NoSuchSurface {
            tags: tags.to_vec(),
            available,
        });
    }
    Ok(out)
}

/// The distinct nodes of `faces`, ascending.
pub fn face_nodes(faces: &[[u32; 3]]) -> Vec<u32> {
    let mut nodes: Vec<u32> = faces.iter().flatten().copied().collect();
    nodes.sort_unstable();
    nodes.dedup();
    nodes
}

/// Follower pressure on a set of outward-oriented boundary triangles.
#[derive(Debug, Clone, PartialEq)]
pub struct PressureLoad {
    pub faces: Vec<[u32; 3]>,
    /// Pressure, kPa; set it between steps to ramp or couple it.
    pub pressure: f64,
}

impl PressureLoad {
    /// Pressure `pressure` (kPa) on the boundary triangles tagged with any of `tags`.
    pub fn on_surfaces(mesh: &TetMesh, tags: &[i32], pressure: f64) -> Result<Self, LoadError> {
        Ok(PressureLoad {
            faces: tagged_faces(mesh, tags)?,
            pressure,
        })
    }

    /// Adds the nodal forces at positions `x` to `forces`, mN. Sequential in triangle order, so the sum
    /// is deterministic.
    pub fn add_forces(&self, x: &[DVec3], forces: &mut [DVec3]) {
        if self.pressure == 0.0 {
            return;
        }
        let scale = -self.pressure / 6.0;
        for &[a, b, c] in &self.faces {
            let (xa, xb, xc) = (x[a as usize], x[b as usize], x[c as usize]);
            let f = (xb - xa).cross(xc - xa) * scale;
            forces[a as usize] += f;
            forces[b as usize] += f;
            forces[c as usize] += f;
        }
    }
}

/// Robin spring-and-dashpot support on a set of nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct SpringLoad {
    pub nodes: Vec<u32>,
    /// Lumped reference area per node, mm^2.
    pub area: Vec<f64>,
    /// Reference outward unit normal per node (area-weighted average of its triangles); used when
    /// `normal_only`.
    pub normal: Vec<DVec3>,
    /// Stiffness k, kPa/mm.
    pub stiffness: f64,
    /// Damping c, kPa ms/mm.
    pub damping: f64,
    pub normal_only: bool,
}

impl SpringLoad {
    /// Springs on the boundary triangles tagged with any of `tags`.
    pub fn on_surfaces(
        mesh: &TetMesh,
        tags: &[i32],
        stiffness: f64,
        damping: f64,
        normal_only: bool,
    ) -> Result<Self, LoadError> {
        for (what, value) in [("spring stiffness", stiffness), ("spring damping", damping)] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(LoadError::Parameter {
                    what,
                    value,
                    expected: "finite and >= 0",
                });
            }
        }
        let faces = tagged_faces(mesh, tags)?;
        let mut area: HashMap<u32, (f64, DVec3)> = HashMap::new();
        let p = |n: u32| DVec3::from_array(mesh.nodes()[n as usize]);
        for &[a, b, c] in &faces {
            let n = (p(b) - p(a)).cross(p(c) - p(a)) * 0.5;
            for node in [a, b, c] {
                let e = area.entry(node).or_insert((0.0, DVec3::ZERO));
                e.0 += n.length() / 3.0;
                e.1 += n;
            }
        }
        let nodes = face_nodes(&faces);
        Ok(SpringLoad {
            area: nodes.iter().map(|n| area[n].0).collect(),
            normal: nodes
                .iter()
                .map(|n| area[n].1.normalize_or_zero())
                .collect(),
            nodes,
            stiffness,
            damping,
            normal_only,
        })
    }

    /// Adds the spring and dashpot forces for positions `x`, rest positions `x0` and velocities `v`.
    pub fn add_forces(&self, x: &[DVec3], x0: &[DVec3], v: &[DVec3], forces: &mut [DVec3]) {
        for (i, &node) in self.nodes.iter().enumerate() {
            let n = node as usize;
            let (u, vel) = (x[n] - x0[n], v[n]);
            let f = if self.normal_only {
                let normal = self.normal[i];
                normal * (self.stiffness * u.dot(normal) + self.damping * vel.dot(normal))
            } else {
                u * self.stiffness + vel * self.damping
            };
            forces[n] -= f * self.area[i];
        }
    }
}

/// External loads of one step.
#[derive(Debug, Clone, Default)]
pub struct Loads {
    /// Body force per unit mass, mm/ms^2 (gravity (0, 0, -9.81e-3)). Both backends apply it to the
    /// physical lumped mass rho V0 / 4 of each node ([`crate::mechanics::TledModel::physical_mass`]),
    /// whatever the (possibly scaled) inertial masses.
    pub gravity: DVec3,
    pub pressures: Vec<PressureLoad>,
    pub springs: Vec<SpringLoad>,
    /// Active tension Ta per tetrahedron, kPa, along its fibre (see
    /// [`crate::mechanics::material::ActiveStress`]); empty for none.
    pub active_tension: Vec<f64>,
}

/// Dirichlet conditions, applied after every update (positions and previous positions alike).
#[derive(Debug, Clone, Default)]
pub struct Constraints {
    /// `(node, axis, position)`: `x[node][axis] = position`, mm.
    pub fixed: Vec<(u32, usize, f64)>,
    /// `(node, unit normal)`: the node slides in the plane with this normal through its rest position.
    pub sliding: Vec<(u32, DVec3)>,
}

impl Constraints {
    /// Every component of every node on the boundary triangles tagged with any of `tags` fixed at its
    /// rest position.
    pub fn clamp_surfaces(&mut self, mesh: &TetMesh, tags: &[i32]) -> Result<(), LoadError> {
        for node in face_nodes(&tagged_faces(mesh, tags)?) {
            let p = mesh.nodes()[node as usize];
            for (axis, &value) in p.iter().enumerate() {
                self.fixed.push((node, axis, value));
            }
        }
        Ok(())
    }

    /// The nodes of the tagged triangles slide in the plane normal to `normal` (in-plane sliding of a flat
    /// base).
    pub fn slide_surfaces(
        &mut self,
        mesh: &TetMesh,
        tags: &[i32],
        normal: DVec3,
    ) -> Result<(), LoadError> {
        let n = normal.normalize_or_zero();
        if n == DVec3::ZERO || !n.is_finite() {
            return Err(LoadError::Parameter {
                what: "sliding plane normal length",
                value: normal.length(),
                expected: "finite and > 0",
            });
        }
        for node in face_nodes(&tagged_faces(mesh, tags)?) {
            self.sliding.push((node, n));
        }
        Ok(())
    }

    /// Enforces the conditions on `x` (rest positions `x0`).
    pub fn apply(&self, x: &mut [DVec3], x0: &[DVec3]) {
        for &(node, n) in &self.sliding {
            let i = node as usize;
            x[i] -= n * (x[i] - x0[i]).dot(n);
        }
        for &(node, axis, value) in &self.fixed {
            x[node as usize][axis] = value;
        }
    }

    /// Removes from the nodal forces `r` the components the conditions take up (fixed components and
    /// the normal component of sliding nodes), leaving the out-of-balance force on the free motion.
    pub fn project_free(&self, r: &mut [DVec3]) {
        for &(node, n) in &self.sliding {
            let i = node as usize;
            r[i] -= n * r[i].dot(n);
        }
        for &(node, axis, _) in &self.fixed {
            r[node as usize][axis] = 0.0;
        }
    }
}
