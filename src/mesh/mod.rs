//! The tetrahedral mesh: node coordinates in millimetres (`f64`), linear tetrahedra with a region tag each,
//! tagged boundary triangles, named regions and surfaces, and point and cell fields carried through import
//! and export.
//!
//! Construction validates what every kernel relies on: at least one tetrahedron, node indices in range,
//! four distinct nodes per tetrahedron, finite coordinates, one value per node or cell in every field.
//! Orientation (positive signed volume) is repaired by [`TetMesh::orient_positive`], which swaps two nodes
//! of each inverted tetrahedron and counts them ([`TetMesh::inverted_repaired`]).
//!
//! Coordinates are always millimetres inside cardiotwin: importers convert (openCARP writes micrometres).

pub mod extract;
pub mod hex;
pub mod io;
pub mod locate;
pub mod renumber;
pub mod surface_repair;
pub mod topology;
pub mod volume_mesher;

use std::collections::BTreeMap;

use glam::DVec3;
use serde::Serialize;

/// Errors in mesh data, each naming the offending element or node.
#[derive(Debug, thiserror::Error)]
pub enum MeshError {
    #[error("the mesh has no tetrahedra")]
    Empty,
    #[error(
        "tetrahedron {tet} corner {corner} refers to node {node}, but the mesh has {nodes} nodes"
    )]
    NodeOutOfRange {
        tet: usize,
        corner: usize,
        node: u32,
        nodes: usize,
    },
    #[error("tetrahedron {tet} repeats node {node}: {nodes:?}")]
    RepeatedNode {
        tet: usize,
        node: u32,
        nodes: [u32; 4],
    },
    #[error("node {node} has a non-finite coordinate {coords:?}")]
    NonFinite { node: usize, coords: [f64; 3] },
    #[error("the mesh has {nodes} nodes; at most {max} fit 32-bit indices")]
    TooManyNodes { nodes: usize, max: usize },
    #[error(
        "surface triangle {tri} corner {corner} refers to node {node}, but the mesh has {nodes} nodes"
    )]
    SurfaceNodeOutOfRange {
        tri: usize,
        corner: usize,
        node: u32,
        nodes: usize,
    },
    #[error("{what} has {got} entries, expected {expected}")]
    LengthMismatch {
        what: String,
        got: usize,
        expected: usize,
    },
    #[error("field {name:?} has a non-finite value at {location} {index}")]
    NonFiniteField {
        name: String,
        location: &'static str,
        index: usize,
    },
}

/// An axis-aligned bounding box, mm.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Aabb {
    pub min: [f64; 3],
    pub max: [f64; 3],
}

impl Aabb {
    /// The box around `points` (empty input: min = +inf, max = -inf).
    pub fn of_points(points: &[[f64; 3]]) -> Aabb {
        let mut b = Aabb {
            min: [f64::INFINITY; 3],
            max: [f64::NEG_INFINITY; 3],
        };
        for p in points {
            for (k, &c) in p.iter().enumerate() {
                b.min[k] = b.min[k].min(c);
                b.max[k] = b.max[k].max(c);
            }
        }
        b
    }

    pub fn centre(&self) -> [f64; 3] {
        std::array::from_fn(|k| 0.5 * (self.min[k] + self.max[k]))
    }

    /// Length of the diagonal, mm.
    pub fn diagonal(&self) -> f64 {
        (0..3)
            .map(|k| (self.max[k] - self.min[k]).powi(2))
            .sum::<f64>()
            .sqrt()
    }
}

/// A named array of `components` values per node or per cell (fibres: 3, a scalar: 1), row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub components: usize,
    pub data: Vec<f64>,
}

impl Field {
    pub fn new(name: impl Into<String>, components: usize, data: Vec<f64>) -> Self {
        Field {
            name: name.into(),
            components: components.max(1),
            data,
        }
    }

    /// Number of tuples (nodes or cells).
    pub fn len(&self) -> usize {
        self.data.len() / self.components
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The tuple of entity `i`.
    pub fn get(&self, i: usize) -> &[f64] {
        &self.data[i * self.components..(i + 1) * self.components]
    }
}

/// A tagged boundary triangle set: triangles (node indices) and one tag per triangle.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Surfaces {
    pub triangles: Vec<[u32; 3]>,
    pub tags: Vec<i32>,
}

/// A linear tetrahedral mesh. Coordinates in mm.
#[derive(Debug, Clone)]
pub struct TetMesh {
    nodes: Vec<[f64; 3]>,
    tets: Vec<[u32; 4]>,
    /// Region tag of each tetrahedron (0 when the file had none).
    regions: Vec<i32>,
    /// Names of region tags, where the file gave them.
    pub region_names: BTreeMap<i32, String>,
    surfaces: Surfaces,
    /// Names of surface tags, where the file gave them.
    pub surface_names: BTreeMap<i32, String>,
    point_fields: Vec<Field>,
    cell_fields: Vec<Field>,
    inverted_repaired: usize,
}

impl TetMesh {
    /// Checks and wraps nodes (mm) and tetrahedra (node indices).
    pub fn new(nodes: Vec<[f64; 3]>, tets: Vec<[u32; 4]>) -> Result<Self, MeshError> {
        if tets.is_empty() {
            return Err(MeshError::Empty);
        }
        if nodes.len() > u32::MAX as usize {
            return Err(MeshError::TooManyNodes {
                nodes: nodes.len(),
                max: u32::MAX as usize,
            });
        }
        if let Some((node, p)) = nodes
            .iter()
            .enumerate()
            .find(|(_, p)| !p.iter().all(|c| c.is_finite()))
        {
            return Err(MeshError::NonFinite { node, coords: *p });
        }
        for (tet, t) in tets.iter().enumerate() {
            for (corner, &node) in t.iter().enumerate() {
                if node as usize >= nodes.len() {
                    return Err(MeshError::NodeOutOfRange {
                        tet,
                        corner,
                        node,
                        nodes: nodes.len(),
                    });
                }
                if t[..corner].contains(&node) {
                    return Err(MeshError::RepeatedNode {
                        tet,
                        node,
                        nodes: *t,
                    });
                }
            }
        }
        let n = tets.len();
        Ok(TetMesh {
            nodes,
            tets,
            regions: vec![0; n],
            region_names: BTreeMap::new(),
            surfaces: Surfaces::default(),
            surface_names: BTreeMap::new(),
            point_fields: Vec::new(),
            cell_fields: Vec::new(),
            inverted_repaired: 0,
        })
    }

    /// Sets the region tag of every tetrahedron.
    pub fn with_regions(mut self, regions: Vec<i32>) -> Result<Self, MeshError> {
        check_len("region tags", regions.len(), self.tets.len())?;
        self.regions = regions;
        Ok(self)
    }

    /// Sets the tagged boundary triangles.
    pub fn with_surfaces(mut self, surfaces: Surfaces) -> Result<Self, MeshError> {
        check_len(
            "surface tags",
            surfaces.tags.len(),
            surfaces.triangles.len(),
        )?;
        for (tri, t) in surfaces.triangles.iter().enumerate() {
            for (corner, &node) in t.iter().enumerate() {
                if node as usize >= self.nodes.len() {
                    return Err(MeshError::SurfaceNodeOutOfRange {
                        tri,
                        corner,
                        node,
                        nodes: self.nodes.len(),
                    });
                }
            }
        }
        self.surfaces = surfaces;
        Ok(self)
    }

    /// Adds (or replaces, by name) a field with one tuple per node.
    pub fn add_point_field(&mut self, field: Field) -> Result<(), MeshError> {
        let n = self.nodes.len();
        push_field(&mut self.point_fields, field, n, "node")
    }

    /// Adds (or replaces, by name) a field with one tuple per tetrahedron.
    pub fn add_cell_field(&mut self, field: Field) -> Result<(), MeshError> {
        let n = self.tets.len();
        push_field(&mut self.cell_fields, field, n, "tetrahedron")
    }

    pub fn regions(&self) -> &[i32] {
        &self.regions
    }

    pub fn surfaces(&self) -> &Surfaces {
        &self.surfaces
    }

    pub fn point_fields(&self) -> &[Field] {
        &self.point_fields
    }

    pub fn cell_fields(&self) -> &[Field] {
        &self.cell_fields
    }

    pub fn point_field(&self, name: &str) -> Option<&Field> {
        self.point_fields.iter().find(|f| f.name == name)
    }

    pub fn cell_field(&self, name: &str) -> Option<&Field> {
        self.cell_fields.iter().find(|f| f.name == name)
    }

    /// Drops the point and cell fields whose name fails `keep`.
    pub fn retain_fields(&mut self, keep: impl Fn(&str) -> bool) {
        self.point_fields.retain(|f| keep(&f.name));
        self.cell_fields.retain(|f| keep(&f.name));
    }

    /// How many tetrahedra [`TetMesh::orient_positive`] has re-oriented.
    pub fn inverted_repaired(&self) -> usize {
        self.inverted_repaired
    }

    pub fn nodes(&self) -> &[[f64; 3]] {
        &self.nodes
    }

    pub fn tets(&self) -> &[[u32; 4]] {
        &self.tets
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn tet_count(&self) -> usize {
        self.tets.len()
    }

    /// The corner coordinates of tetrahedron `t`.
    pub fn tet_points(&self, t: usize) -> [[f64; 3]; 4] {
        self.tets[t].map(|n| self.nodes[n as usize])
    }

    pub fn bbox(&self) -> Aabb {
        Aabb::of_points(&self.nodes)
    }

    /// A digest of the nodes (coordinate bits, in order) and tetrahedra (node indices, in order): FNV-1a,
    /// 64 bits, the same on every platform and build, so that a file written for one numbering of a mesh
    /// (a checkpoint) can tell it is being read against another.
    pub fn fingerprint(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for &b in bytes {
                h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        for p in &self.nodes {
            for c in p {
                eat(&c.to_bits().to_le_bytes());
            }
        }
        for t in &self.tets {
            for n in t {
                eat(&n.to_le_bytes());
            }
        }
        h
    }

    /// Swaps corners 2 and 3 of every tetrahedron with negative signed volume; returns how many (also
    /// added to [`TetMesh::inverted_repaired`]).
    pub fn orient_positive(&mut self) -> usize {
        let mut repaired = 0;
        for t in 0..self.tets.len() {
            if signed_volume(&self.tet_points(t)) < 0.0 {
                self.tets[t].swap(2, 3);
                repaired += 1;
            }
        }
        self.inverted_repaired += repaired;
        repaired
    }

    /// The same mesh with every node moved by `f` (mm to mm): tags, names and fields are kept. A map that
    /// reverses orientation (a reflection) is followed by re-orientation, which is not counted as a
    /// repair.
    pub fn transformed(&self, f: impl Fn([f64; 3]) -> [f64; 3]) -> Result<Self, MeshError> {
        let mut out = self.clone();
        for (i, p) in out.nodes.iter_mut().enumerate() {
            *p = f(*p);
            if !p.iter().all(|c| c.is_finite()) {
                return Err(MeshError::NonFinite {
                    node: i,
                    coords: *p,
                });
            }
        }
        let repaired = out.inverted_repaired;
        out.orient_positive();
        out.inverted_repaired = repaired;
        Ok(out)
    }

    /// Orients like [`TetMesh::orient_positive`] without counting: for generators, whose node orders are
    /// a construction detail, not a defect of user input.
    pub(crate) fn orient_generated(&mut self) {
        self.orient_positive();
        self.inverted_repaired = 0;
    }
}

fn check_len(what: &str, got: usize, expected: usize) -> Result<(), MeshError> {
    if got == expected {
        Ok(())
    } else {
        Err(MeshError::LengthMismatch {
            what: what.to_string(),
            got,
            expected,
        })
    }
}

fn push_field(
    fields: &mut Vec<Field>,
    field: Field,
    count: usize,
    location: &'static str,
) -> Result<(), MeshError> {
    check_len(
        &format!("field {:?} ({} components)", field.name, field.components),
        field.data.len(),
        count * field.components,
    )?;
    if let Some(i) = field.data.iter().position(|v| !v.is_finite()) {
        return Err(MeshError::NonFiniteField {
            name: field.name,
            location,
            index: i / field.components,
        });
    }
    fields.retain(|f| f.name != field.name);
    fields.push(field);
    Ok(())
}

/// Signed volume of a tetrahedron, positive when (x1-x0, x2-x0, x3-x0) is right-handed. Units: mm^3.
pub fn signed_volume(p: &[[f64; 3]; 4]) -> f64 {
    let [x0, x1, x2, x3] = p.map(DVec3::from_array);
    (x1 - x0).dot((x2 - x0).cross(x3 - x0)) / 6.0
}
