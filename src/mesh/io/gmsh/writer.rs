//! MSH 4.1 text output: `$PhysicalNames`, `$Entities` (one volume entity per region tag, one surface entity
//! per surface tag, each carrying that tag as its physical tag; tag 0 gets none), `$Nodes` (all in the
//! first volume entity, tags 1..=n), `$Elements` (triangles then tetrahedra, in mesh order, one block per
//! run of equal tags so that reading the file back gives the same order).
//!
//! Doubles are written in Rust's shortest round-trip form, so reading back is exact.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::mesh::{Aabb, TetMesh};

/// The mesh as an MSH 4.1 text file.
pub fn write(mesh: &TetMesh) -> Vec<u8> {
    let surfaces = mesh.surfaces();
    let volumes = entities(mesh.tets(), mesh.regions(), mesh.nodes());
    let faces = entities(&surfaces.triangles, &surfaces.tags, mesh.nodes());
    let mut out = String::from("$MeshFormat\n4.1 0 8\n$EndMeshFormat\n");
    physical_names(&mut out, mesh);
    entities_section(&mut out, &faces, &volumes);
    nodes_section(&mut out, mesh.nodes());
    let blocks = runs(&surfaces.tags).len() + runs(mesh.regions()).len();
    let total = surfaces.triangles.len() + mesh.tet_count();
    line(
        &mut out,
        format_args!("$Elements\n{blocks} {total} 1 {total}"),
    );
    let mut next_tag = 1;
    element_blocks(
        &mut out,
        2,
        2,
        &surfaces.triangles,
        &surfaces.tags,
        &faces,
        &mut next_tag,
    );
    element_blocks(
        &mut out,
        3,
        4,
        mesh.tets(),
        mesh.regions(),
        &volumes,
        &mut next_tag,
    );
    out.push_str("$EndElements\n");
    out.into_bytes()
}

/// Appends one formatted line (writing to a `String` cannot fail).
fn line(out: &mut String, args: std::fmt::Arguments) {
    out.write_fmt(args).expect("formatting into a String");
    out.push('\n');
}

/// An entity per distinct tag: tag -> (entity tag 1.., bounding box of its elements).
fn entities<const N: usize>(
    elements: &[[u32; N]],
    tags: &[i32],
    nodes: &[[f64; 3]],
) -> BTreeMap<i32, (usize, Aabb)> {
    let mut boxes: BTreeMap<i32, Aabb> = BTreeMap::new();
    for (element, &tag) in elements.iter().zip(tags) {
        let b = boxes.entry(tag).or_insert(Aabb {
            min: [f64::INFINITY; 3],
            max: [f64::NEG_INFINITY; 3],
        });
        for &n in element {
            for ((lo, hi), c) in b.min.iter_mut().zip(&mut b.max).zip(nodes[n as usize]) {
                *lo = lo.min(c);
                *hi = hi.max(c);
            }
        }
    }
    boxes
        .into_iter()
        .enumerate()
        .map(|(i, (tag, b))| (tag, (i + 1, b)))
        .collect()
}

fn physical_names(out: &mut String, mesh: &TetMesh) {
    let names: Vec<(i32, &i32, &String)> = (mesh.surface_names.iter().map(|(t, n)| (2, t, n)))
        .chain(mesh.region_names.iter().map(|(t, n)| (3, t, n)))
        .collect();
    if names.is_empty() {
        return;
    }
    line(out, format_args!("$PhysicalNames\n{}", names.len()));
    for (dim, tag, name) in names {
        // A name cannot hold its own delimiter or end its line.
        let name = name.replace(['"', '\n', '\r'], "'");
        line(out, format_args!("{dim} {tag} \"{name}\""));
    }
    out.push_str("$EndPhysicalNames\n");
}

fn entities_section(
    out: &mut String,
    faces: &BTreeMap<i32, (usize, Aabb)>,
    volumes: &BTreeMap<i32, (usize, Aabb)>,
) {
    line(
        out,
        format_args!("$Entities\n0 0 {} {}", faces.len(), volumes.len()),
    );
    for (&tag, (entity, b)) in faces.iter().chain(volumes) {
        let physical = if tag == 0 {
            "0".to_string()
        } else {
            format!("1 {tag}")
        };
        let [x0, y0, z0] = b.min;
        let [x1, y1, z1] = b.max;
        line(
            out,
            format_args!("{entity} {x0:?} {y0:?} {z0:?} {x1:?} {y1:?} {z1:?} {physical} 0"),
        );
    }
    out.push_str("$EndEntities\n");
}

/// All nodes in one block on volume entity 1, tags 1..=n.
fn nodes_section(out: &mut String, nodes: &[[f64; 3]]) {
    let n = nodes.len();
    line(out, format_args!("$Nodes\n1 {n} 1 {n}\n3 1 0 {n}"));
    for tag in 1..=n {
        line(out, format_args!("{tag}"));
    }
    for [x, y, z] in nodes {
        line(out, format_args!("{x:?} {y:?} {z:?}"));
    }
    out.push_str("$EndNodes\n");
}

/// Index ranges of the runs of equal consecutive tags.
fn runs(tags: &[i32]) -> Vec<std::ops::Range<usize>> {
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    for (i, tag) in tags.iter().enumerate() {
        match out.last_mut() {
            Some(r) if tags[r.start] == *tag => r.end = i + 1,
            _ => out.push(i..i + 1),
        }
    }
    out
}

/// One element block per run of equal tags, elements of Gmsh type `ty` on entities of dimension `dim`,
/// element tags counted on from `next_tag`.
fn element_blocks<const N: usize>(
    out: &mut String,
    dim: usize,
    ty: usize,
    elements: &[[u32; N]],
    tags: &[i32],
    entities: &BTreeMap<i32, (usize, Aabb)>,
    next_tag: &mut usize,
) {
    for run in runs(tags) {
        let entity = entities[&tags[run.start]].0;
        line(out, format_args!("{dim} {entity} {ty} {}", run.len()));
        for element in &elements[run] {
            let nodes = element.map(|n| (n + 1).to_string()).join(" ");
            line(out, format_args!("{next_tag} {nodes}"));
            *next_tag += 1;
        }
    }
}
