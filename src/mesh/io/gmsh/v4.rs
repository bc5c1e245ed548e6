//! MSH 4.1 `$Entities`, `$Nodes` and `$Elements`. Text and binary files have the same layout; binary ones
//! store Gmsh `int`s in 4 bytes and `size_t`s in 8 (the [`Cursor`] reads either).
//!
//! - `$Entities`: counts of points, curves, surfaces, volumes (`size_t`); each entity `int tag`, its box
//!   (3 doubles for points, 6 otherwise), `size_t n` and `n` physical tags (`int`), and for curves,
//!   surfaces and volumes `size_t m` and `m` bounding entity tags (`int`).
//! - `$Nodes`: `size_t blocks, nodes, min tag, max tag`; each block `int dim, int entity, int parametric,
//!   size_t n`, then `n` node tags (`size_t`), then `n` rows of `x y z` (and `dim` parametric coordinates
//!   when `parametric` is 1).
//! - `$Elements`: `size_t blocks, elements, min tag, max tag`; each block `int dim, int entity, int type,
//!   size_t n`, then `n` rows of `size_t tag, size_t nodes[]`.
//!
//! An element's physical tag is the first physical tag of its entity (0 if it has none, or when the file
//! has no `$Entities`).

use std::collections::HashMap;

use super::cursor::{Cursor, Res, Width, capacity};
use super::model::{Elements, NodeMap, element_type, unsupported_type};

/// First physical tag of each surface and volume entity, keyed by `(dim, entity tag)`.
pub(super) type Entities = HashMap<(i32, i32), i32>;

pub(super) fn entities(cur: &mut Cursor) -> Res<Entities> {
    start_data(cur)?;
    let mut counts = [0u64; 4];
    for (c, kind) in counts
        .iter_mut()
        .zip(["points", "curves", "surfaces", "volumes"])
    {
        *c = cur.size(&format!("the number of {kind}"))?;
    }
    let mut map = Entities::new();
    for (dim, &count) in (0i32..).zip(counts.iter()) {
        for _ in 0..count {
            let (tag, physical) = entity(cur, dim)?;
            if dim >= 2 && map.insert((dim, tag), physical).is_some() {
                return Err(cur.fail(format!("entity ({dim}, {tag}) is listed twice")));
            }
        }
    }
    cur.expect("$EndEntities")?;
    Ok(map)
}

/// One entity of dimension `dim`: its tag and first physical tag.
fn entity(cur: &mut Cursor, dim: i32) -> Res<(i32, i32)> {
    let tag = cur.int("an entity tag")?;
    let box_values = if dim == 0 { 3 } else { 6 };
    for _ in 0..box_values {
        cur.double("a bounding-box coordinate")?;
    }
    let n = cur.size("the number of physical tags")?;
    let mut physical = 0;
    for i in 0..n {
        let p = cur.int("a physical tag")?;
        if i == 0 {
            physical = p;
        }
    }
    if dim > 0 {
        let m = cur.size("the number of bounding entities")?;
        for _ in 0..m {
            cur.int("a bounding entity tag")?;
        }
    }
    Ok((tag, physical))
}

/// After a section header: binary data starts on the next line.
fn start_data(cur: &mut Cursor) -> Res<()> {
    if cur.is_binary() {
        cur.end_of_line()?;
    }
    Ok(())
}

/// The `blocks, count, min tag, max tag` header; returns `(blocks, count, where it is)`.
fn header(cur: &mut Cursor, what: &str) -> Res<(u64, u64, usize)> {
    let blocks = cur.size(&format!("the number of {what} blocks"))?;
    let at = cur.last();
    let count = cur.size(&format!("the number of {what}"))?;
    cur.size(&format!("the smallest {what} tag"))?;
    cur.size(&format!("the largest {what} tag"))?;
    Ok((blocks, count, at))
}

pub(super) fn nodes(cur: &mut Cursor, nodes: &mut NodeMap) -> Res<()> {
    start_data(cur)?;
    let (blocks, count, at) = header(cur, "node")?;
    let min_bytes = if cur.is_binary() { 8 + 3 * 8 } else { 8 };
    nodes.reserve(cur, count, min_bytes);
    let first = nodes.len();
    for _ in 0..blocks {
        node_block(cur, nodes)?;
    }
    let read = (nodes.len() - first) as u64;
    if read != count {
        return Err(cur.error_at(
            at,
            format!("the $Nodes header declares {count} nodes but its blocks hold {read}"),
        ));
    }
    cur.expect("$EndNodes")
}

fn node_block(cur: &mut Cursor, nodes: &mut NodeMap) -> Res<()> {
    let dim = cur.int("an entity dimension")?;
    if !(0..=3).contains(&dim) {
        return Err(cur.fail(format!("expected an entity dimension 0 to 3, found {dim}")));
    }
    cur.int("an entity tag")?;
    let parametric = cur.int("the parametric flag")?;
    let params = match parametric {
        0 => 0,
        1 => dim,
        _ => {
            return Err(cur.fail(format!(
                "expected the parametric flag 0 or 1, found {parametric}"
            )));
        }
    };
    let n = cur.size("the number of nodes in the block")?;
    let start = nodes.len();
    for _ in 0..n {
        let tag = cur.tag(Width::Size, "a node tag")?;
        nodes.add(cur, tag)?;
    }
    for i in start..nodes.len() {
        nodes.coords[i] = cur.point()?;
        for _ in 0..params {
            cur.double("a parametric coordinate")?;
        }
    }
    Ok(())
}

pub(super) fn elements(
    cur: &mut Cursor,
    nodes: &NodeMap,
    entities: Option<&Entities>,
    out: &mut Elements,
) -> Res<()> {
    start_data(cur)?;
    let (blocks, count, at) = header(cur, "element")?;
    let n = capacity(count, cur.remaining(), 16);
    out.tets.reserve(n);
    out.regions.reserve(n);
    let mut read = 0u64;
    for _ in 0..blocks {
        read += element_block(cur, nodes, entities, out)?;
    }
    if read != count {
        return Err(cur.error_at(
            at,
            format!("the $Elements header declares {count} elements but its blocks hold {read}"),
        ));
    }
    cur.expect("$EndElements")
}

/// One block; returns how many elements it held.
fn element_block(
    cur: &mut Cursor,
    nodes: &NodeMap,
    entities: Option<&Entities>,
    out: &mut Elements,
) -> Res<u64> {
    let dim = cur.int("an entity dimension")?;
    let entity = cur.int("an entity tag")?;
    let physical = match entities {
        None => 0,
        Some(_) if dim < 2 => 0,
        Some(map) => *map.get(&(dim, entity)).ok_or_else(|| {
            cur.fail(format!(
                "element block on entity ({dim}, {entity}), which $Entities does not list"
            ))
        })?,
    };
    let ty = cur.int("an element type")?;
    let ty = element_type(ty).ok_or_else(|| cur.unsupported(unsupported_type(ty)))?;
    let n = cur.size("the number of elements in the block")?;
    for _ in 0..n {
        let tag = cur.tag(Width::Size, "an element tag")?;
        out.read(cur, nodes, Width::Size, ty, tag, physical)?;
    }
    Ok(n)
}
