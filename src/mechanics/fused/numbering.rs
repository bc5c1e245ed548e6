//! The internal numbering of the fused step (Morton order of the nodes, tetrahedra by their first
//! node).

use glam::DVec3;

use crate::mechanics::tled::TledModel;

/// The internal numbering of the fused step: nodes along a Morton (Z-order) curve through their rest
/// positions, so that nodes near in space are near in memory whatever the mesh file's order, and
/// tetrahedra sorted by their smallest node, so that a contiguous range of nodes owns a contiguous range
/// of tetrahedra and gathers mostly the corner forces its own thread computed (measured on the
/// 12k-tetrahedron Aróstica LV: two threads each computing half the tetrahedra ran 1.8x slower per
/// tetrahedron than one thread alone, their caches trading the corner forces back and forth).
/// Every value that leaves the fused step is mapped back to the model's numbering.
#[derive(Debug, Clone, Default)]
pub(super) struct Numbering {
    /// Model node -> internal node, and back.
    pub(super) node_new: Vec<u32>,
    pub(super) node_old: Vec<u32>,
    /// Internal tetrahedron -> model tetrahedron.
    pub(super) tet_old: Vec<u32>,
    /// Internal tetrahedra (internal nodes, corners in the model's order) and their smallest node
    /// (non-decreasing).
    pub(super) tets: Vec<[u32; 4]>,
    pub(super) tet_min: Vec<u32>,
}

impl Numbering {
    pub(super) fn of(model: &TledModel) -> Self {
        let (lo, hi) = model.rest.iter().fold(
            (DVec3::splat(f64::INFINITY), DVec3::splat(f64::NEG_INFINITY)),
            |(lo, hi), p| (lo.min(*p), hi.max(*p)),
        );
        let scale = ((1u64 << 21) - 1) as f64 / (hi - lo).max_element().max(f64::MIN_POSITIVE);
        let code = |p: DVec3| -> u64 {
            let q = ((p - lo) * scale)
                .to_array()
                .map(|v| spread_bits(v.clamp(0.0, 2097151.0) as u64));
            q[0] | q[1] << 1 | q[2] << 2
        };
        let mut node_old: Vec<u32> = (0..model.rest.len() as u32).collect();
        node_old.sort_by_key(|&n| (code(model.rest[n as usize]), n));
        let mut node_new = vec![0u32; node_old.len()];
        for (new, &old) in node_old.iter().enumerate() {
            node_new[old as usize] = new as u32;
        }
        let renumbered: Vec<[u32; 4]> = model
            .tets
            .iter()
            .map(|t| t.map(|n| node_new[n as usize]))
            .collect();
        let min = |t: &[u32; 4]| t.iter().copied().min().unwrap_or(0);
        let mut tet_old: Vec<u32> = (0..renumbered.len() as u32).collect();
        tet_old.sort_by_key(|&t| (min(&renumbered[t as usize]), t));
        let tets: Vec<[u32; 4]> = tet_old.iter().map(|&t| renumbered[t as usize]).collect();
        Numbering {
            tet_min: tets.iter().map(min).collect(),
            node_new,
            node_old,
            tet_old,
            tets,
        }
    }
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
