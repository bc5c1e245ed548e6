//! Gmsh MSH files: [`read`] versions 2.2 and 4.1, text (ASCII) and binary (either byte order, 8-byte
//! doubles); [`write()`] version 4.1 text. Coordinates are taken as millimetres, unconverted.
//!
//! What is read:
//! - `$MeshFormat` (version, file type, data size; in binary files the endianness word `1`),
//! - `$PhysicalNames`: dimension 3 names become [`TetMesh::region_names`], dimension 2
//!   [`TetMesh::surface_names`],
//! - `$Entities` (4.1): the physical tag of each surface and volume entity,
//! - `$Nodes`: tags may be sparse and listed in any order; node `i` of the mesh is the node with the
//!   `i`-th smallest tag (tag - 1 when the tags are 1..=n),
//! - `$Elements`: 4-node tetrahedra (type 4) with their physical tag as region; 3-node triangles (type 2)
//!   with their physical tag as surface tag; 10-node tetrahedra (11) and 6-node triangles (9) keep their
//!   corner nodes, with a warning; points (15) and lines (1, 8) are checked and dropped; any other type is
//!   an [`ImportError::Unsupported`]. The physical tag is the first element tag in 2.2, the first physical
//!   tag of the element's entity in 4.1, and 0 when there is none.
//!
//! Other sections (`$NodeData`, `$Periodic`, `$Comments`, ...) are skipped. Inverted tetrahedra are
//! re-oriented ([`TetMesh::orient_positive`]) and counted.
//!
//! This reader is hand-written because no crate reads MSH 2.2 and 4.1, text and binary, with errors that
//! name the line or byte offset of the fault. It never panics and never returns a partial mesh: every
//! count from the file is checked against the bytes left before anything is allocated for it, every node
//! reference is resolved, and every fault is an [`ImportError`] naming the 1-based line (text files) or
//! byte offset (binary files) and what was expected there. It is a pure function of the bytes, fuzzed by
//! `tests/fuzz_gmsh.rs`.

mod cursor;
mod model;
mod v2;
mod v4;
mod writer;

use std::collections::BTreeMap;
use std::path::Path;

use super::ImportError;
use crate::mesh::{Surfaces, TetMesh};
use cursor::{Cursor, Res};
use model::{Elements, NodeMap};

pub use writer::write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V2,
    V4,
}

/// Everything the sections of one file add up to.
#[derive(Default)]
struct Parts {
    region_names: BTreeMap<i32, String>,
    surface_names: BTreeMap<i32, String>,
    entities: Option<v4::Entities>,
    nodes: Option<NodeMap>,
    /// The elements and where their section starts.
    elements: Option<(Elements, usize)>,
}

/// Reads a Gmsh MSH file (2.2 or 4.1, text or binary) from its bytes; `path` is for messages only.
pub fn read(path: &Path, bytes: &[u8]) -> Result<TetMesh, ImportError> {
    let mut cur = Cursor::new(path, bytes);
    let version = mesh_format(&mut cur)?;
    let mut parts = Parts::default();
    while !cur.at_end() {
        let name = cur.token("a section header such as $Nodes")?;
        section(&mut cur, version, name, &mut parts)?;
    }
    build(&cur, parts)
}

/// `$MeshFormat`: `version file-type data-size`, and in binary files the endianness word.
fn mesh_format(cur: &mut Cursor) -> Res<Version> {
    let first = cur.token("$MeshFormat")?;
    if first == "$NOD" {
        return Err(cur.unsupported("MSH version 1 ($NOD): cardiotwin reads 2.2 and 4.1"));
    }
    if first != "$MeshFormat" {
        return Err(cur.fail(format!(
            "expected $MeshFormat at the start of a Gmsh MSH file, found {}",
            cursor::shown(first)
        )));
    }
    let v: f64 = cur.text("the MSH version (2.2 or 4.1)")?;
    let version = if (2.0..3.0).contains(&v) {
        Version::V2
    } else if v == 4.1 {
        Version::V4
    } else {
        return Err(cur.unsupported(format!(
            "MSH version {v}: cardiotwin reads 2.2 and 4.1 (Gmsh can convert: -format msh41)"
        )));
    };
    let file_type: i32 = cur.text("the file type (0 text, 1 binary)")?;
    let data_size: i32 = cur.text("the data size (8)")?;
    if data_size != 8 {
        return Err(cur.unsupported(format!(
            "data size {data_size}: only 8-byte doubles are read"
        )));
    }
    match file_type {
        0 => {}
        1 => endianness(cur)?,
        _ => {
            return Err(cur.fail(format!(
                "expected the file type 0 (text) or 1 (binary), found {file_type}"
            )));
        }
    }
    cur.expect("$EndMeshFormat")?;
    Ok(version)
}

/// The binary word `1` after the format line tells the byte order.
fn endianness(cur: &mut Cursor) -> Res<()> {
    cur.end_of_line()?;
    cur.set_binary(false);
    let word = cur.raw::<4>("the endianness word")?;
    if i32::from_le_bytes(word) == 1 {
        Ok(())
    } else if i32::from_be_bytes(word) == 1 {
        cur.set_binary(true);
        Ok(())
    } else {
        Err(cur.fail(format!(
            "expected the endianness word 1 (bytes 01 00 00 00 or 00 00 00 01), found {word:02x?}"
        )))
    }
}

/// One section, whose header token `name` has just been read.
fn section(cur: &mut Cursor, version: Version, name: &str, parts: &mut Parts) -> Res<()> {
    match name {
        "$PhysicalNames" => physical_names(cur, parts),
        "$Entities" if version == Version::V4 => entities(cur, parts),
        "$Nodes" => nodes(cur, version, parts),
        "$Elements" => elements(cur, version, parts),
        "$PartitionedEntities" => Err(cur.unsupported(
            "a partitioned mesh: its elements live on partition entities (join the partitions in Gmsh)",
        )),
        _ if is_section_name(name) => cur.skip_section(name),
        _ => Err(cur.fail(format!(
            "expected a section header such as $Nodes or $Elements, found {}",
            cursor::shown(name)
        ))),
    }
}

/// `$Name`: short, and not an end marker.
fn is_section_name(name: &str) -> bool {
    name.len() <= 64 && name.starts_with('$') && !name.starts_with("$End")
}

fn entities(cur: &mut Cursor, parts: &mut Parts) -> Res<()> {
    if parts.elements.is_some() {
        return Err(cur.fail("$Entities must come before $Elements"));
    }
    parts.entities = Some(v4::entities(cur)?);
    Ok(())
}

fn nodes(cur: &mut Cursor, version: Version, parts: &mut Parts) -> Res<()> {
    if parts.nodes.is_some() {
        return Err(cur.fail("a second $Nodes section (only one is read)"));
    }
    let mut nodes = NodeMap::default();
    match version {
        Version::V2 => v2::nodes(cur, &mut nodes)?,
        Version::V4 => v4::nodes(cur, &mut nodes)?,
    }
    nodes.sort_by_tag();
    parts.nodes = Some(nodes);
    Ok(())
}

fn elements(cur: &mut Cursor, version: Version, parts: &mut Parts) -> Res<()> {
    if parts.elements.is_some() {
        return Err(cur.fail("a second $Elements section (only one is read)"));
    }
    let nodes = parts
        .nodes
        .as_ref()
        .ok_or_else(|| cur.fail("$Elements before $Nodes"))?;
    let at = cur.last();
    let mut elements = Elements::default();
    match version {
        Version::V2 => v2::elements(cur, nodes, &mut elements)?,
        Version::V4 => v4::elements(cur, nodes, parts.entities.as_ref(), &mut elements)?,
    }
    parts.elements = Some((elements, at));
    Ok(())
}

/// `$PhysicalNames`: a count, then `dim tag "name"` per line.
fn physical_names(cur: &mut Cursor, parts: &mut Parts) -> Res<()> {
    let count: u64 = cur.text("the number of physical names")?;
    for _ in 0..count {
        let dim: i32 = cur.text("a physical dimension (0 to 3)")?;
        let tag: i32 = cur.text("a physical tag")?;
        let name = cur.quoted("a physical name")?;
        match dim {
            3 => parts.region_names.insert(tag, name),
            2 => parts.surface_names.insert(tag, name),
            0 | 1 => None,
            _ => {
                return Err(cur.fail(format!(
                    "physical name {name:?} has dimension {dim}, expected 0 to 3"
                )));
            }
        };
    }
    cur.expect("$EndPhysicalNames")
}

/// The mesh from the sections read, once the file has ended.
fn build(cur: &Cursor, parts: Parts) -> Result<TetMesh, ImportError> {
    let path = cur.path();
    let missing = |name| cur.error_at(cur.len(), format!("the file ends without a {name} section"));
    let nodes = parts.nodes.ok_or_else(|| missing("$Nodes"))?;
    let (elements, at) = parts.elements.ok_or_else(|| missing("$Elements"))?;
    if elements.tets.is_empty() {
        return Err(cur.error_at(at, "$Elements holds no tetrahedra (element type 4 or 11)"));
    }
    let [tets, triangles] = elements.linearised;
    if tets + triangles > 0 {
        log::warn!(
            "{}: linearised {tets} 10-node tetrahedra and {triangles} 6-node triangles: only their corner \
             nodes are used (mid-edge nodes stay in the mesh, unreferenced)",
            path.display()
        );
    }
    let surfaces = Surfaces {
        triangles: elements.triangles,
        tags: elements.surface_tags,
    };
    let mut mesh = TetMesh::new(nodes.coords, elements.tets)
        .and_then(|m| m.with_regions(elements.regions))
        .and_then(|m| m.with_surfaces(surfaces))
        .map_err(|e| ImportError::mesh(path, e))?;
    mesh.region_names = parts.region_names;
    mesh.surface_names = parts.surface_names;
    let repaired = mesh.orient_positive();
    if repaired > 0 {
        log::info!(
            "{}: re-oriented {repaired} inverted tetrahedra",
            path.display()
        );
    }
    Ok(mesh)
}
