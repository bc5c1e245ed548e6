//! Spatial renumbering: nodes along a Morton (Z-order) curve through their positions, tetrahedra by their
//! smallest node. A kernel that gathers over the mesh's adjacency (the mechanics' node pass, the
//! monodomain's diffusion, the renderer's surface gather) then reads neighbours from nearby addresses,
//! whatever order the mesh file had. Meshes written by Gmsh or exported from segmentation pipelines are
//! often numbered in no spatial order at all: on the Rodero four-chamber heart (331k tetrahedra) the GPU
//! mechanics step ran at the same rate on the file's order as on a random shuffle of it, and about twice
//! as fast after this renumbering (BENCHMARKS.md).
//!
//! The order is a function of the positions alone (ties broken by the old index), so renumbering an
//! already renumbered mesh changes nothing.

use glam::DVec3;

use super::{Field, Surfaces, TetMesh};

/// The nodes of `points` in Morton order: entry `i` is the index (in `points`) of the `i`-th node along
/// the curve. The bounding box is cut into 2^21 cells per axis along its longest side.
pub fn morton_order(points: &[DVec3]) -> Vec<u32> {
    let (lo, hi) = points.iter().fold(
        (DVec3::splat(f64::INFINITY), DVec3::splat(f64::NEG_INFINITY)),
        |(lo, hi), p| (lo.min(*p), hi.max(*p)),
    );
    let scale = ((1u64 << 21) - 1) as f64 / (hi - lo).max_element().max(f64::MIN_POSITIVE);
    let code = |p: DVec3| -> u64 {
        let q = ((p - lo) * scale)
            .to_array()
            .map(|v| spread_bits(v.clamp(0.0, 2_097_151.0) as u64));
        q[0] | q[1] << 1 | q[2] << 2
    };
    let mut order: Vec<u32> = (0..points.len() as u32).collect();
    order.sort_by_key(|&n| (code(points[n as usize]), n));
    order
}

/// The tetrahedra `tets` by their smallest node: entry `i` is the index of the `i`-th tetrahedron, in a
/// stable sort, so that a contiguous range of nodes owns a contiguous range of tetrahedra.
pub fn by_smallest_node(tets: &[[u32; 4]]) -> Vec<u32> {
    let min = |t: &[u32; 4]| t.iter().copied().min().unwrap_or(0);
    let mut order: Vec<u32> = (0..tets.len() as u32).collect();
    order.sort_by_key(|&t| (min(&tets[t as usize]), t));
    order
}

/// The 21 low bits of `x` spread to every third bit (the Morton code of one coordinate).
fn spread_bits(x: u64) -> u64 {
    let mut x = x & 0x1f_ffff;
    x = (x | x << 32) & 0x001f_0000_0000_ffff;
    x = (x | x << 16) & 0x001f_0000_ff00_00ff;
    x = (x | x << 8) & 0x100f_00f0_0f00_f00f;
    x = (x | x << 4) & 0x10c3_0c30_c30c_30c3;
    x = (x | x << 2) & 0x1249_2492_4924_9249;
    x
}

/// A spatial renumbering of nodes and tetrahedra (module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renumbering {
    /// New node -> old node.
    pub node_old: Vec<u32>,
    /// Old node -> new node.
    pub node_new: Vec<u32>,
    /// New tetrahedron -> old tetrahedron.
    pub tet_old: Vec<u32>,
    /// The tetrahedra in the new order, with new node numbers (corners in their old order).
    pub tets: Vec<[u32; 4]>,
}

impl Renumbering {
    /// The renumbering of the nodes at `points` and the tetrahedra `tets` over them: nodes in Morton
    /// order ([`morton_order`]), then tetrahedra by their smallest new node ([`by_smallest_node`]).
    pub fn of(points: &[DVec3], tets: &[[u32; 4]]) -> Self {
        let node_old = morton_order(points);
        let mut node_new = vec![0u32; node_old.len()];
        for (new, &old) in node_old.iter().enumerate() {
            node_new[old as usize] = new as u32;
        }
        let renamed: Vec<[u32; 4]> = tets
            .iter()
            .map(|t| t.map(|n| node_new[n as usize]))
            .collect();
        let tet_old = by_smallest_node(&renamed);
        let tets = tet_old.iter().map(|&t| renamed[t as usize]).collect();
        Renumbering {
            node_old,
            node_new,
            tet_old,
            tets,
        }
    }

    /// Whether nothing moved.
    pub fn is_identity(&self) -> bool {
        let same = |v: &[u32]| v.iter().enumerate().all(|(i, &o)| o as usize == i);
        same(&self.node_old) && same(&self.tet_old)
    }
}

/// `mesh` with its nodes in Morton order and its tetrahedra by smallest node (module docs), with
/// everything else carried over: corner order (so orientation), region tags and names, the tagged
/// surface triangles (same order, nodes renamed), point and cell fields. Positions are unchanged, so is
/// every geometric quantity.
pub fn spatially_ordered(mesh: &TetMesh) -> (TetMesh, Renumbering) {
    let points: Vec<DVec3> = mesh.nodes.iter().map(|&p| DVec3::from_array(p)).collect();
    let how = Renumbering::of(&points, &mesh.tets);
    let (node_old, node_new, tet_old) = (&how.node_old, &how.node_new, &how.tet_old);
    let gather = |f: &Field, order: &[u32]| Field {
        name: f.name.clone(),
        components: f.components,
        data: order
            .iter()
            .flat_map(|&i| f.get(i as usize).iter().copied())
            .collect(),
    };
    let ordered = TetMesh {
        nodes: node_old.iter().map(|&n| mesh.nodes[n as usize]).collect(),
        tets: how.tets.clone(),
        regions: tet_old.iter().map(|&t| mesh.regions[t as usize]).collect(),
        region_names: mesh.region_names.clone(),
        surfaces: Surfaces {
            triangles: mesh
                .surfaces
                .triangles
                .iter()
                .map(|f| f.map(|n| node_new[n as usize]))
                .collect(),
            tags: mesh.surfaces.tags.clone(),
        },
        surface_names: mesh.surface_names.clone(),
        point_fields: mesh
            .point_fields
            .iter()
            .map(|f| gather(f, node_old))
            .collect(),
        cell_fields: mesh
            .cell_fields
            .iter()
            .map(|f| gather(f, tet_old))
            .collect(),
        inverted_repaired: mesh.inverted_repaired,
    };
    (ordered, how)
}
