//! What the MSH sections fill in, whatever the version: nodes keyed by their file tags, the element kinds
//! cardiotwin keeps, and the tetrahedra and tagged triangles read so far.

use std::collections::HashMap;

use super::cursor::{Cursor, Res, Width, capacity};

/// Nodes and the 0-based index of each file tag. Tags may be sparse and listed in any order; once the
/// section is read ([`NodeMap::sort_by_tag`]), node `i` is the one with the `i`-th smallest tag (tag - 1 for
/// tags 1..=n), so files that list the same nodes in a different order give the same mesh.
#[derive(Debug, Default)]
pub(super) struct NodeMap {
    pub coords: Vec<[f64; 3]>,
    tags: Vec<u64>,
    index: HashMap<u64, u32>,
}

impl NodeMap {
    /// Room for `count` more nodes of at least `min_bytes` each, as far as the file can hold them.
    pub fn reserve(&mut self, cur: &Cursor, count: u64, min_bytes: usize) {
        let n = capacity(count, cur.remaining(), min_bytes);
        self.coords.reserve(n);
        self.tags.reserve(n);
        self.index.reserve(n);
    }

    /// Registers node `tag` (just read) at the next index, with coordinates to be filled in.
    pub fn add(&mut self, cur: &Cursor, tag: u64) -> Res<usize> {
        let i = self.coords.len();
        let index =
            u32::try_from(i).map_err(|_| cur.fail("more nodes than 32-bit indices can address"))?;
        if self.index.insert(tag, index).is_some() {
            return Err(cur.fail(format!("node tag {tag} is defined twice")));
        }
        self.coords.push([0.0; 3]);
        self.tags.push(tag);
        Ok(i)
    }

    /// Puts the nodes in increasing tag order.
    pub fn sort_by_tag(&mut self) {
        if self.tags.is_sorted() {
            return;
        }
        let mut order: Vec<usize> = (0..self.tags.len()).collect();
        order.sort_unstable_by_key(|&i| self.tags[i]);
        self.coords = order.iter().map(|&i| self.coords[i]).collect();
        self.tags = order.iter().map(|&i| self.tags[i]).collect();
        for (rank, &tag) in (0u32..).zip(&self.tags) {
            self.index.insert(tag, rank);
        }
    }

    pub fn len(&self) -> usize {
        self.coords.len()
    }
}

/// What cardiotwin does with an element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    Tet,
    Tri,
    /// Points and lines: read, checked, dropped.
    Ignored,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct ElementType {
    pub shape: Shape,
    /// Nodes per element in the file.
    pub nodes: usize,
    /// Second order: only the corner nodes (which Gmsh lists first) are kept.
    pub quadratic: bool,
}

/// The most nodes of any element type read (the 10-node tetrahedron).
pub(super) const MAX_NODES: usize = 10;

/// The element types read; `None` for the others.
pub(super) fn element_type(ty: i32) -> Option<ElementType> {
    let (shape, nodes, quadratic) = match ty {
        4 => (Shape::Tet, 4, false),
        11 => (Shape::Tet, 10, true),
        2 => (Shape::Tri, 3, false),
        9 => (Shape::Tri, 6, true),
        1 => (Shape::Ignored, 2, false),
        8 => (Shape::Ignored, 3, false),
        15 => (Shape::Ignored, 1, false),
        _ => return None,
    };
    Some(ElementType {
        shape,
        nodes,
        quadratic,
    })
}

/// The unsupported-element message for Gmsh element type `ty`.
pub(super) fn unsupported_type(ty: i32) -> String {
    let name = match ty {
        3 => " (4-node quadrangle)",
        5 => " (8-node hexahedron)",
        6 => " (6-node prism)",
        7 => " (5-node pyramid)",
        10 => " (9-node quadrangle)",
        12 => " (27-node hexahedron)",
        13 => " (18-node prism)",
        14 => " (14-node pyramid)",
        16 => " (8-node quadrangle)",
        17 => " (20-node hexahedron)",
        18 => " (15-node prism)",
        19 => " (13-node pyramid)",
        29 => " (20-node tetrahedron)",
        _ => "",
    };
    format!(
        "element type {ty}{name}: cardiotwin reads tetrahedra (types 4, 11), triangles (2, 9), \
         lines (1, 8) and points (15)"
    )
}

/// Tetrahedra with their region tags and triangles with their surface tags, in file order.
#[derive(Debug, Default)]
pub(super) struct Elements {
    pub tets: Vec<[u32; 4]>,
    pub regions: Vec<i32>,
    pub triangles: Vec<[u32; 3]>,
    pub surface_tags: Vec<i32>,
    /// Second-order tetrahedra and triangles reduced to their corners.
    pub linearised: [usize; 2],
}

impl Elements {
    /// Reads the `ty.nodes` node tags of element `tag` (of `width` in binary files), maps them to indices
    /// and keeps the element under physical tag `physical`.
    pub fn read(
        &mut self,
        cur: &mut Cursor,
        nodes: &NodeMap,
        width: Width,
        ty: ElementType,
        tag: u64,
        physical: i32,
    ) -> Res<()> {
        let mut corners = [0u32; MAX_NODES];
        for slot in corners.iter_mut().take(ty.nodes) {
            let node = cur.tag(width, "node tag")?;
            *slot = *nodes.index.get(&node).ok_or_else(|| {
                cur.fail(format!(
                    "element {tag} refers to node {node}, which $Nodes does not define"
                ))
            })?;
        }
        match ty.shape {
            Shape::Tet => {
                let t = [corners[0], corners[1], corners[2], corners[3]];
                if (1..4).any(|i| t[..i].contains(&t[i])) {
                    return Err(cur.fail(format!(
                        "tetrahedron {tag} uses one node twice (node indices {t:?})"
                    )));
                }
                self.tets.push(t);
                self.regions.push(physical);
                self.linearised[0] += usize::from(ty.quadratic);
            }
            Shape::Tri => {
                self.triangles.push([corners[0], corners[1], corners[2]]);
                self.surface_tags.push(physical);
                self.linearised[1] += usize::from(ty.quadratic);
            }
            Shape::Ignored => {}
        }
        Ok(())
    }
}
