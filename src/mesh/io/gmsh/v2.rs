//! MSH 2.2 `$Nodes` and `$Elements`, text and binary.
//!
//! Text: `$Nodes`, a count, then `tag x y z` per node; `$Elements`, a count, then
//! `tag type ntags tag... node...` per element, the first tag being the physical one.
//! Binary: the counts are text lines; nodes are `int tag, double x y z`; elements come in blocks headed by
//! `int type, int count, int ntags`, each element `int tag, int tags[ntags], int nodes[]`.

use super::cursor::{Cursor, Res, Width, capacity};
use super::model::{ElementType, Elements, NodeMap, element_type, unsupported_type};

pub(super) fn nodes(cur: &mut Cursor, nodes: &mut NodeMap) -> Res<()> {
    let count: u64 = cur.text("the number of nodes")?;
    let min_bytes = if cur.is_binary() {
        4 + 3 * 8
    } else {
        8 // "1 0 0 0\n"
    };
    nodes.reserve(cur, count, min_bytes);
    if cur.is_binary() {
        cur.end_of_line()?;
    }
    for _ in 0..count {
        let tag = cur.tag(Width::Int, "a node tag")?;
        let i = nodes.add(cur, tag)?;
        nodes.coords[i] = cur.point()?;
    }
    cur.expect("$EndNodes")
}

pub(super) fn elements(cur: &mut Cursor, nodes: &NodeMap, out: &mut Elements) -> Res<()> {
    let count: u64 = cur.text("the number of elements")?;
    reserve(cur, out, count);
    if cur.is_binary() {
        cur.end_of_line()?;
        binary_elements(cur, nodes, out, count)?;
    } else {
        for _ in 0..count {
            text_element(cur, nodes, out)?;
        }
    }
    cur.expect("$EndElements")
}

fn reserve(cur: &Cursor, out: &mut Elements, count: u64) {
    let n = capacity(count, cur.remaining(), 12);
    out.tets.reserve(n);
    out.regions.reserve(n);
}

/// `tag type ntags tag... node...`
fn text_element(cur: &mut Cursor, nodes: &NodeMap, out: &mut Elements) -> Res<()> {
    let tag = cur.tag(Width::Int, "an element tag")?;
    let ty = read_type(cur)?;
    let ntags: u32 = cur.text("the number of element tags")?;
    let physical = physical_tag(cur, u64::from(ntags))?;
    out.read(cur, nodes, Width::Int, ty, tag, physical)
}

/// Blocks of `int type, int count, int ntags` then `count` elements, until `total` elements are read.
fn binary_elements(cur: &mut Cursor, nodes: &NodeMap, out: &mut Elements, total: u64) -> Res<()> {
    let mut done = 0u64;
    while done < total {
        let ty = read_type(cur)?;
        let count = cur.unsigned(Width::Int, "the number of elements in the block")?;
        if count == 0 || count > total - done {
            return Err(cur.fail(format!(
                "block of {count} elements: expected 1 to {} (the rest of the {total} the section declares)",
                total - done
            )));
        }
        let ntags = cur.unsigned(Width::Int, "the number of element tags")?;
        for _ in 0..count {
            let tag = cur.tag(Width::Int, "an element tag")?;
            let physical = physical_tag(cur, ntags)?;
            out.read(cur, nodes, Width::Int, ty, tag, physical)?;
        }
        done += count;
    }
    Ok(())
}

fn read_type(cur: &mut Cursor) -> Res<ElementType> {
    let ty = cur.int("an element type")?;
    element_type(ty).ok_or_else(|| cur.unsupported(unsupported_type(ty)))
}

/// Reads `ntags` tags and returns the first (the physical group), or 0 when there are none.
fn physical_tag(cur: &mut Cursor, ntags: u64) -> Res<i32> {
    let mut physical = 0;
    for i in 0..ntags {
        let t = cur.int("an element tag (physical, elementary, ...)")?;
        if i == 0 {
            physical = t;
        }
    }
    Ok(physical)
}
