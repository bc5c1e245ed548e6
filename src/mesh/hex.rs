//! Conforming tetrahedralisation of hexahedra, for importers (Abaqus C3D8) and generators.
//!
//! Each hexahedron gets a node at its centroid and each quadrilateral face is cut along the diagonal
//! through its node of smallest index: the choice any neighbour sharing the face makes too, so the result is
//! conforming for any hexahedral mesh. 12 tetrahedra per hexahedron; volume is preserved exactly when faces
//! are planar.

/// Corners of the six faces of a hexahedron in the Abaqus/VTK order (bottom 0-1-2-3, top 4-5-6-7).
pub const HEX_FACES: [[usize; 4]; 6] = [
    [0, 1, 2, 3],
    [4, 7, 6, 5],
    [0, 4, 5, 1],
    [1, 5, 6, 2],
    [2, 6, 7, 3],
    [3, 7, 4, 0],
];

/// The two triangles of quadrilateral `q` (cyclic order), cut along the diagonal through its node of
/// smallest index.
pub fn split_quad(q: [u32; 4]) -> [[u32; 3]; 2] {
    let min = (0..4).min_by_key(|&k| q[k]).unwrap_or(0);
    if min % 2 == 0 {
        [[q[0], q[1], q[2]], [q[0], q[2], q[3]]]
    } else {
        [[q[0], q[1], q[3]], [q[1], q[2], q[3]]]
    }
}

/// Appends the centroid of `hex` to `nodes` and the 12 tetrahedra (not yet oriented) to `tets`.
pub fn split_hex(nodes: &mut Vec<[f64; 3]>, hex: [u32; 8], tets: &mut Vec<[u32; 4]>) {
    let centre = nodes.len() as u32;
    let mut c = [0.0; 3];
    for &n in &hex {
        for (k, ck) in c.iter_mut().enumerate() {
            *ck += nodes[n as usize][k] / 8.0;
        }
    }
    nodes.push(c);
    for face in HEX_FACES {
        for tri in split_quad(face.map(|k| hex[k])) {
            tets.push([tri[0], tri[1], tri[2], centre]);
        }
    }
}
