//! Mesh topology: which tetrahedra meet at each node (CSR, the gather table of every node kernel), the
//! boundary faces, connected components and whether the boundary is closed.

use std::collections::HashMap;

use super::TetMesh;

/// Local corner triples of the four faces of a positively oriented tetrahedron, each ordered so that its
/// normal (right-hand rule) points out of the tetrahedron. Face `k` is opposite corner `k`.
pub const OUTWARD_FACES: [[usize; 3]; 4] = [[1, 2, 3], [0, 3, 2], [0, 1, 3], [0, 2, 1]];

/// Node -> (tetrahedron, corner) adjacency in compressed sparse row form: the entries of node `n` are
/// `entries[offsets[n]..offsets[n + 1]]`, in increasing tetrahedron order (deterministic gathers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeTets {
    pub offsets: Vec<u32>,
    /// `[tet, corner]` pairs.
    pub entries: Vec<[u32; 2]>,
}

impl NodeTets {
    pub fn build(mesh: &TetMesh) -> Self {
        let n = mesh.node_count();
        let mut counts = vec![0u32; n + 1];
        for t in mesh.tets() {
            for &v in t {
                counts[v as usize + 1] += 1;
            }
        }
        for i in 0..n {
            counts[i + 1] += counts[i];
        }
        let offsets = counts.clone();
        let mut fill = counts;
        let mut entries = vec![[0u32; 2]; 4 * mesh.tet_count()];
        for (ti, t) in mesh.tets().iter().enumerate() {
            for (corner, &v) in t.iter().enumerate() {
                let slot = &mut fill[v as usize];
                entries[*slot as usize] = [ti as u32, corner as u32];
                *slot += 1;
            }
        }
        NodeTets { offsets, entries }
    }

    /// The (tet, corner) pairs of node `n`.
    pub fn of(&self, n: usize) -> &[[u32; 2]] {
        &self.entries[self.offsets[n] as usize..self.offsets[n + 1] as usize]
    }
}

/// A face on the boundary: its nodes ordered with an outward normal, and the tetrahedron it bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundaryFace {
    pub nodes: [u32; 3],
    pub tet: u32,
    /// Which face of the tetrahedron (opposite this corner).
    pub face: u8,
}

/// Faces that belong to exactly one tetrahedron, outward-oriented (assumes positive orientation, see
/// [`TetMesh::orient_positive`]). Also returns the number of faces shared by more than two tetrahedra
/// (non-manifold: always an error in a valid mesh).
pub fn boundary_faces(mesh: &TetMesh) -> (Vec<BoundaryFace>, usize) {
    let mut seen: HashMap<[u32; 3], (u32, BoundaryFace)> =
        HashMap::with_capacity(2 * mesh.tet_count());
    for (ti, t) in mesh.tets().iter().enumerate() {
        for (k, f) in OUTWARD_FACES.iter().enumerate() {
            let nodes = f.map(|c| t[c]);
            let mut key = nodes;
            key.sort_unstable();
            let face = BoundaryFace {
                nodes,
                tet: ti as u32,
                face: k as u8,
            };
            seen.entry(key).or_insert((0, face)).0 += 1;
        }
    }
    let over = seen.values().filter(|(c, _)| *c > 2).count();
    let mut faces: Vec<BoundaryFace> = seen
        .into_values()
        .filter(|(c, _)| *c == 1)
        .map(|(_, f)| f)
        .collect();
    faces.sort_unstable_by_key(|f| (f.tet, f.face));
    (faces, over)
}

/// Edges of a triangle set used by one triangle only (holes) and by more than two (non-manifold, e.g.
/// two pieces touching along an edge).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EdgeReport {
    pub open: usize,
    pub non_manifold: usize,
}

/// Counts the open and non-manifold edges of a triangle set.
pub fn edge_report(triangles: impl IntoIterator<Item = [u32; 3]>) -> EdgeReport {
    let mut edges: HashMap<(u32, u32), u32> = HashMap::new();
    for t in triangles {
        for k in 0..3 {
            let (a, b) = (t[k], t[(k + 1) % 3]);
            *edges.entry((a.min(b), a.max(b))).or_default() += 1;
        }
    }
    EdgeReport {
        open: edges.values().filter(|&&c| c == 1).count(),
        non_manifold: edges.values().filter(|&&c| c > 2).count(),
    }
}

/// True when every edge of the triangle set is shared by exactly two triangles (a closed, manifold
/// surface, e.g. the boundary of a watertight volume mesh).
pub fn is_closed(triangles: impl IntoIterator<Item = [u32; 3]>) -> bool {
    let mut any = false;
    let report = edge_report(triangles.into_iter().inspect(|_| any = true));
    any && report == EdgeReport::default()
}

/// Number of connected pieces (tetrahedra connected through shared nodes).
pub fn components(mesh: &TetMesh) -> usize {
    let mut parent: Vec<u32> = (0..mesh.node_count() as u32).collect();
    fn find(p: &mut [u32], mut x: u32) -> u32 {
        while p[x as usize] != x {
            p[x as usize] = p[p[x as usize] as usize];
            x = p[x as usize];
        }
        x
    }
    for t in mesh.tets() {
        let r0 = find(&mut parent, t[0]);
        for &v in &t[1..] {
            let r = find(&mut parent, v);
            if r != r0 {
                parent[r as usize] = r0;
            }
        }
    }
    let mut used = vec![false; mesh.node_count()];
    for t in mesh.tets() {
        for &v in t {
            used[v as usize] = true;
        }
    }
    (0..mesh.node_count() as u32)
        .filter(|&v| used[v as usize] && find(&mut parent, v) == v)
        .count()
}

/// A node -> item CSR in item order: `offsets` (nodes + 1) and `entries` (item indices), from the nodes of
/// each item (triangles, tetrahedra: any fixed number of nodes).
pub fn node_csr<const K: usize>(nodes: usize, items: &[[u32; K]]) -> (Vec<u32>, Vec<u32>) {
    let mut count = vec![0u32; nodes + 1];
    for item in items {
        for &n in item {
            count[n as usize + 1] += 1;
        }
    }
    for i in 0..nodes {
        count[i + 1] += count[i];
    }
    let mut next = count.clone();
    let mut entries = vec![0u32; count[nodes] as usize];
    for (index, item) in items.iter().enumerate() {
        for &n in item {
            entries[next[n as usize] as usize] = index as u32;
            next[n as usize] += 1;
        }
    }
    (count, entries)
}

#[cfg(test)]
mod tests {
    use super::node_csr;

    #[test]
    fn node_csr_lists_items_in_item_order_per_node() {
        let (offsets, entries) = node_csr(4, &[[2u32, 0], [3, 2], [0, 2]]);
        let of = |n: usize| &entries[offsets[n] as usize..offsets[n + 1] as usize];
        assert_eq!(of(0), &[0, 2]);
        assert!(of(1).is_empty());
        assert_eq!(of(2), &[0, 1, 2]);
        assert_eq!(of(3), &[1]);
    }
}
