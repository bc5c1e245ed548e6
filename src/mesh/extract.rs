//! Sub-meshes: the tetrahedra of chosen regions, with their nodes renumbered compactly and everything
//! else carried over (region tags and names, point and cell fields, and the surface triangles that bound
//! the sub-mesh). Boundary faces the file left untagged (for example where the ventricles were cut from
//! the atria) can be given a tag of their own.

use std::collections::{HashMap, HashSet};

use super::topology::boundary_faces;
use super::{Field, MeshError, Surfaces, TetMesh};

/// The mesh reduced to the nodes its tetrahedra use (as [`extract_regions`] of every region: surfaces that
/// bound the tetrahedra and fields carried over), or `None` when every node is used. Some meshes carry
/// nodes of no tetrahedron (the Rodero meshes' valve caps); a mechanics model would give them no mass.
pub fn without_unused_nodes(mesh: &TetMesh) -> Result<Option<TetMesh>, MeshError> {
    let mut used = vec![false; mesh.node_count()];
    for t in mesh.tets() {
        for &n in t {
            used[n as usize] = true;
        }
    }
    if used.iter().all(|&u| u) {
        return Ok(None);
    }
    let mut regions = mesh.regions().to_vec();
    regions.sort_unstable();
    regions.dedup();
    extract_regions(mesh, &regions, None).map(Some)
}

/// The sub-mesh of the tetrahedra whose region is in `regions`. Surface triangles of `mesh` that lie on
/// the sub-mesh's boundary keep their tags (re-oriented outwards); any other boundary face gets
/// `untagged` = (tag, name) if given, or stays untagged.
pub fn extract_regions(
    mesh: &TetMesh,
    regions: &[i32],
    untagged: Option<(i32, &str)>,
) -> Result<TetMesh, MeshError> {
    let keep: Vec<usize> = (0..mesh.tet_count())
        .filter(|&t| regions.contains(&mesh.regions()[t]))
        .collect();
    if keep.is_empty() {
        return Err(MeshError::Empty);
    }
    let mut new_index = vec![u32::MAX; mesh.node_count()];
    let mut nodes = Vec::new();
    let mut old_of_new = Vec::new();
    let mut tets = Vec::with_capacity(keep.len());
    for &t in &keep {
        tets.push(mesh.tets()[t].map(|n| {
            if new_index[n as usize] == u32::MAX {
                new_index[n as usize] = nodes.len() as u32;
                nodes.push(mesh.nodes()[n as usize]);
                old_of_new.push(n as usize);
            }
            new_index[n as usize]
        }));
    }
    let mut sub = TetMesh::new(nodes, tets)?
        .with_regions(keep.iter().map(|&t| mesh.regions()[t]).collect())?;
    sub.region_names = mesh
        .region_names
        .iter()
        .filter(|(k, _)| regions.contains(k))
        .map(|(k, v)| (*k, v.clone()))
        .collect();
    for f in mesh.point_fields() {
        let data = old_of_new
            .iter()
            .flat_map(|&n| f.get(n).iter().copied())
            .collect();
        sub.add_point_field(Field::new(f.name.clone(), f.components, data))?;
    }
    for f in mesh.cell_fields() {
        let data = keep
            .iter()
            .flat_map(|&t| f.get(t).iter().copied())
            .collect();
        sub.add_cell_field(Field::new(f.name.clone(), f.components, data))?;
    }

    // Tag the sub-mesh's boundary faces from the original surface triangles.
    let key = |mut f: [u32; 3]| {
        f.sort_unstable();
        f
    };
    let mut tag_of: HashMap<[u32; 3], i32> = HashMap::new();
    let s = mesh.surfaces();
    for (tri, &tag) in s.triangles.iter().zip(&s.tags) {
        let mapped = tri.map(|n| new_index[n as usize]);
        if mapped.iter().all(|&n| n != u32::MAX) {
            tag_of.entry(key(mapped)).or_insert(tag);
        }
    }
    let mut surfaces = Surfaces::default();
    let mut used = HashSet::new();
    for f in boundary_faces(&sub).0 {
        let tag = match (tag_of.get(&key(f.nodes)), untagged) {
            (Some(&t), _) => t,
            (None, Some((t, _))) => t,
            (None, None) => continue,
        };
        used.insert(tag);
        surfaces.triangles.push(f.nodes);
        surfaces.tags.push(tag);
    }
    let mut sub = sub.with_surfaces(surfaces)?;
    sub.surface_names = mesh
        .surface_names
        .iter()
        .filter(|(k, _)| used.contains(*k))
        .map(|(k, v)| (*k, v.clone()))
        .collect();
    if let Some((t, name)) = untagged.filter(|(t, _)| used.contains(t)) {
        sub.surface_names.insert(t, name.to_string());
    }
    Ok(sub)
}
