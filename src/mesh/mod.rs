//! The tetrahedral mesh: node coordinates in millimetres (`f64`) and linear tetrahedra.
//!
//! Construction validates what every kernel relies on: at least one tetrahedron, node indices in range,
//! four distinct nodes per tetrahedron, finite coordinates. Orientation (positive signed volume) is
//! repaired by [`TetMesh::orient_positive`], which swaps two nodes of each inverted tetrahedron and counts
//! them. Importers, tagged surfaces and regions come with the mesh issue.

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
}

/// An axis-aligned bounding box, mm.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Aabb {
    pub min: [f64; 3],
    pub max: [f64; 3],
}

impl Aabb {
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

/// A linear tetrahedral mesh. Coordinates in mm.
#[derive(Debug, Clone)]
pub struct TetMesh {
    nodes: Vec<[f64; 3]>,
    tets: Vec<[u32; 4]>,
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
        Ok(TetMesh { nodes, tets })
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
        let mut b = Aabb {
            min: [f64::INFINITY; 3],
            max: [f64::NEG_INFINITY; 3],
        };
        for p in &self.nodes {
            for (k, &c) in p.iter().enumerate() {
                b.min[k] = b.min[k].min(c);
                b.max[k] = b.max[k].max(c);
            }
        }
        b
    }

    /// Swaps corners 2 and 3 of every tetrahedron with negative signed volume; returns how many.
    pub fn orient_positive(&mut self) -> usize {
        let mut repaired = 0;
        for t in 0..self.tets.len() {
            if signed_volume(&self.tet_points(t)) < 0.0 {
                self.tets[t].swap(2, 3);
                repaired += 1;
            }
        }
        repaired
    }
}

/// Signed volume of a tetrahedron, positive when (x1-x0, x2-x0, x3-x0) is right-handed. Units: mm^3.
pub fn signed_volume(p: &[[f64; 3]; 4]) -> f64 {
    let [x0, x1, x2, x3] = p.map(DVec3::from_array);
    (x1 - x0).dot((x2 - x0).cross(x3 - x0)) / 6.0
}
