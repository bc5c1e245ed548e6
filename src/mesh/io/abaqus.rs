//! Abaqus input files (`.inp`), flat or with a single `*Part`: `*Node`, `*Element` (C3D4/C3D4H
//! tetrahedra; C3D10 variants keep their corners; C3D8/C3D8H/C3D8R/C3D8I hexahedra are split into
//! tetrahedra; S3/S3R/STRI3 triangles become surfaces), `*Nset`, `*Elset` (with `generate`), and
//! `*Surface, type=ELEMENT` (element or element-set, face label S1..S6). Units: taken as millimetres.
//!
//! Hexahedra are split conformingly into 12 tetrahedra: a node is added at the hexahedron's centroid and
//! each quadrilateral face is cut along the diagonal through its node of smallest index, the same choice
//! the neighbour sharing the face makes. Volume is preserved exactly for planar faces.
//!
//! Regions: each element set, in file order, is a region tag 1, 2, ... named after the set; an element
//! takes the first set it belongs to (0 if none). Node sets become point fields `nset:NAME` (1 in the set).
//!
//! Hand-written: no maintained crate reads `.inp` files.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::ImportError;
use crate::mesh::hex::{HEX_FACES, split_hex, split_quad};
use crate::mesh::{Field, Surfaces, TetMesh};

/// Face corners (0-based, outward for Abaqus' node ordering) of a C3D4 tetrahedron, S1..S4.
const TET_FACES: [[usize; 3]; 4] = [[0, 1, 2], [0, 3, 1], [1, 3, 2], [2, 3, 0]];

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Tet,
    Hex,
    Tri,
}

struct Element {
    kind: Kind,
    nodes: Vec<u32>,
}

/// One `*Surface` face reference: an element set or element id, a face label, the line it came from.
struct FaceRef {
    target: String,
    label: String,
    line: usize,
}

/// What the keyword lines define, before tetrahedra are built.
#[derive(Default)]
struct Deck {
    nodes: Vec<[f64; 3]>,
    node_ids: HashMap<u64, u32>,
    /// (element id, element, line)
    elements: Vec<(u64, Element, usize)>,
    nsets: Vec<(String, Vec<u64>)>,
    elsets: Vec<(String, Vec<u64>)>,
    surfaces: Vec<(String, Vec<FaceRef>)>,
}

struct Line<'a> {
    no: usize,
    text: &'a str,
}

/// Reads an Abaqus input file.
pub fn read(path: &Path) -> Result<TetMesh, ImportError> {
    let bytes = std::fs::read(path).map_err(|e| ImportError::io(path, e))?;
    parse(path, &bytes)
}

/// Builds the mesh from the file's bytes.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<TetMesh, ImportError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ImportError::binary(path, e.valid_up_to() as u64, "not UTF-8 text"))?;
    let lines: Vec<Line> = text
        .lines()
        .enumerate()
        .map(|(i, l)| Line {
            no: i + 1,
            text: l.trim(),
        })
        .filter(|l| !l.text.is_empty() && !l.text.starts_with("**"))
        .collect();
    let err = |no: usize, msg: String| ImportError::parse(path, no, msg);

    let mut deck = Deck::default();
    let Deck {
        nodes,
        node_ids,
        elements,
        nsets,
        elsets,
        surfaces,
    } = &mut deck;
    let mut parts = 0;

    let mut i = 0;
    while i < lines.len() {
        let Line { no, text } = lines[i];
        i += 1;
        if !text.starts_with('*') {
            return Err(err(no, format!("expected a *keyword line, found {text:?}")));
        }
        let (keyword, params) = keyword_line(text);
        // The data lines of this keyword.
        let start = i;
        while i < lines.len() && !lines[i].text.starts_with('*') {
            i += 1;
        }
        let data = &lines[start..i];
        match keyword.as_str() {
            "node" => {
                for l in data {
                    let v = fields(l.text);
                    if v.len() < 4 {
                        return Err(err(l.no, "expected: node id, x, y, z".into()));
                    }
                    let id: u64 = num(path, l.no, v[0], "a node id")?;
                    let mut p = [0.0f64; 3];
                    for k in 0..3 {
                        p[k] = num(path, l.no, v[1 + k], "a coordinate")?;
                        if !p[k].is_finite() {
                            return Err(err(
                                l.no,
                                format!("coordinate {} is not finite", v[1 + k]),
                            ));
                        }
                    }
                    if node_ids.insert(id, nodes.len() as u32).is_some() {
                        return Err(err(l.no, format!("node {id} defined twice")));
                    }
                    nodes.push(p);
                }
                if let Some(name) = params.get("nset") {
                    let ids = data
                        .iter()
                        .filter_map(|l| fields(l.text).first().and_then(|s| s.parse().ok()))
                        .collect();
                    nsets.push((name.clone(), ids));
                }
            }
            "element" => {
                let ty = params
                    .get("type")
                    .ok_or_else(|| err(no, "*Element without type=".into()))?;
                let (kind, count, keep) = element_type(ty).ok_or_else(|| {
                    err(
                        no,
                        format!(
                            "element type {ty} is not supported (C3D4, C3D10, C3D8[H|R|I], S3)"
                        ),
                    )
                })?;
                // An element's values may continue on the next lines.
                let mut values: Vec<(&str, usize)> = Vec::new();
                let mut ids = Vec::new();
                for l in data {
                    values.extend(fields(l.text).into_iter().map(|v| (v, l.no)));
                    while values.len() > count {
                        let chunk: Vec<(&str, usize)> = values.drain(..1 + count).collect();
                        let id: u64 = num(path, chunk[0].1, chunk[0].0, "an element id")?;
                        let mut conn = Vec::with_capacity(keep);
                        for &(v, line_no) in &chunk[1..=keep] {
                            let n: u64 = num(path, line_no, v, "a node id")?;
                            let idx = *node_ids.get(&n).ok_or_else(|| {
                                err(line_no, format!("element {id} refers to node {n}, which is not defined (nodes must come before elements)"))
                            })?;
                            conn.push(idx);
                        }
                        ids.push(id);
                        elements.push((id, Element { kind, nodes: conn }, line_no_of(&chunk)));
                    }
                }
                if let Some((v, line_no)) = values.first() {
                    return Err(err(
                        *line_no,
                        format!(
                            "element data ends mid-element at {v:?}: {ty} needs an id and {count} nodes"
                        ),
                    ));
                }
                if let Some(name) = params.get("elset") {
                    elsets.push((name.clone(), ids));
                }
            }
            "nset" | "elset" => {
                let name = params
                    .get(keyword.as_str())
                    .ok_or_else(|| err(no, format!("*{keyword} without {keyword}=")))?
                    .clone();
                let ids = set_ids(path, data, params.contains_key("generate"))?;
                if keyword == "nset" {
                    nsets.push((name, ids));
                } else {
                    elsets.push((name, ids));
                }
            }
            "surface" => {
                let name = params
                    .get("name")
                    .ok_or_else(|| err(no, "*Surface without name=".into()))?
                    .clone();
                if params.get("type").is_some_and(|t| t != "element") {
                    return Err(ImportError::unsupported(
                        path,
                        format!("line {no}: *Surface {name}: only type=ELEMENT surfaces are read"),
                    ));
                }
                let mut faces = Vec::new();
                for l in data {
                    let v = fields(l.text);
                    if v.len() != 2 {
                        return Err(err(
                            l.no,
                            "expected: element or element set, face label (S1..S6)".into(),
                        ));
                    }
                    faces.push(FaceRef {
                        target: v[0].to_string(),
                        label: v[1].to_ascii_uppercase(),
                        line: l.no,
                    });
                }
                surfaces.push((name, faces));
            }
            "part" => {
                parts += 1;
                if parts > 1 {
                    return Err(ImportError::unsupported(
                        path,
                        format!("line {no}: more than one *Part; export a flat input file"),
                    ));
                }
            }
            _ => {} // *Heading, *Material, *Step, ...: not geometry.
        }
    }
    build(path, deck)
}

fn line_no_of(chunk: &[(&str, usize)]) -> usize {
    chunk.first().map_or(0, |c| c.1)
}

fn build(path: &Path, deck: Deck) -> Result<TetMesh, ImportError> {
    let Deck {
        mut nodes,
        node_ids,
        elements,
        nsets,
        elsets,
        surfaces,
    } = deck;
    let mut index_of: HashMap<u64, usize> = HashMap::new();
    for (k, (id, _, line)) in elements.iter().enumerate() {
        if index_of.insert(*id, k).is_some() {
            return Err(ImportError::parse(
                path,
                *line,
                format!("element {id} defined twice"),
            ));
        }
    }
    // Region of each element: the first element set containing it.
    let mut region_of: HashMap<u64, i32> = HashMap::new();
    let mut region_names = BTreeMap::new();
    for (tag, (name, ids)) in elsets.iter().enumerate() {
        let tag = tag as i32 + 1;
        region_names.insert(tag, name.clone());
        for id in ids {
            region_of.entry(*id).or_insert(tag);
        }
    }

    let mut tets: Vec<[u32; 4]> = Vec::new();
    let mut regions = Vec::new();
    let mut surf = Surfaces::default();
    for (id, e, _) in &elements {
        let region = region_of.get(id).copied().unwrap_or(0);
        match e.kind {
            Kind::Tet => {
                tets.push([e.nodes[0], e.nodes[1], e.nodes[2], e.nodes[3]]);
                regions.push(region);
            }
            Kind::Tri => {
                surf.triangles.push([e.nodes[0], e.nodes[1], e.nodes[2]]);
                surf.tags.push(region);
            }
            Kind::Hex => {
                let hex: [u32; 8] = std::array::from_fn(|k| e.nodes[k]);
                let first = tets.len();
                split_hex(&mut nodes, hex, &mut tets);
                regions.extend(std::iter::repeat_n(region, tets.len() - first));
            }
        }
    }

    let mut surface_names = BTreeMap::new();
    let first_surface_tag = region_names.len() as i32 + 1;
    for (s, (name, faces)) in surfaces.iter().enumerate() {
        let tag = first_surface_tag + s as i32;
        surface_names.insert(tag, name.clone());
        for FaceRef {
            target,
            label,
            line,
        } in faces
        {
            let ids: Vec<u64> = match elsets.iter().find(|(n, _)| n.eq_ignore_ascii_case(target)) {
                Some((_, ids)) => ids.clone(),
                None => vec![target.parse().map_err(|_| {
                    ImportError::parse(
                        path,
                        *line,
                        format!("{target:?} is neither an element set nor an element id"),
                    )
                })?],
            };
            let face: usize = label
                .strip_prefix('S')
                .and_then(|f| f.parse().ok())
                .filter(|f| (1..=6).contains(f))
                .ok_or_else(|| {
                    ImportError::parse(
                        path,
                        *line,
                        format!("face label {label:?}: expected S1..S6"),
                    )
                })?;
            for id in ids {
                let k = *index_of.get(&id).ok_or_else(|| {
                    ImportError::parse(
                        path,
                        *line,
                        format!("surface {name}: element {id} is not defined"),
                    )
                })?;
                let e = &elements[k].1;
                match e.kind {
                    Kind::Tet if face <= 4 => {
                        surf.triangles.push(TET_FACES[face - 1].map(|c| e.nodes[c]));
                        surf.tags.push(tag);
                    }
                    Kind::Hex => {
                        for tri in split_quad(HEX_FACES[face - 1].map(|c| e.nodes[c])) {
                            surf.triangles.push(tri);
                            surf.tags.push(tag);
                        }
                    }
                    _ => {
                        return Err(ImportError::parse(
                            path,
                            *line,
                            format!("surface {name}: element {id} has no face {label}"),
                        ));
                    }
                }
            }
        }
    }

    if tets.is_empty() {
        return Err(ImportError::invalid(
            path,
            "no C3D4 or C3D8 volume elements",
        ));
    }
    let n_nodes = nodes.len();
    let mut mesh = TetMesh::new(nodes, tets)
        .map_err(|e| ImportError::mesh(path, e))?
        .with_regions(regions)
        .map_err(|e| ImportError::mesh(path, e))?
        .with_surfaces(surf)
        .map_err(|e| ImportError::mesh(path, e))?;
    mesh.region_names = region_names;
    mesh.surface_names = surface_names;
    for (name, ids) in nsets {
        let mut data = vec![0.0; n_nodes];
        for id in ids {
            let i = node_ids.get(&id).ok_or_else(|| {
                ImportError::invalid(path, format!("node set {name}: node {id} is not defined"))
            })?;
            data[*i as usize] = 1.0;
        }
        mesh.add_point_field(Field::new(format!("nset:{name}"), 1, data))
            .map_err(|e| ImportError::mesh(path, e))?;
    }
    mesh.orient_positive();
    Ok(mesh)
}

/// `*Element, type=C3D4, ELSET=x` -> ("element", {"type": "c3d4", "elset": "x"}): keyword and parameter
/// names lower-cased; values of `type` lower-cased, others kept.
fn keyword_line(text: &str) -> (String, HashMap<String, String>) {
    let mut parts = text.trim_start_matches('*').split(',');
    let keyword = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let mut params = HashMap::new();
    for p in parts {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        let k = k.trim().to_ascii_lowercase();
        let v = v.trim().trim_matches('"').to_string();
        let v = if k == "type" {
            v.to_ascii_lowercase()
        } else {
            v
        };
        params.insert(k, v);
    }
    (keyword, params)
}

/// Comma-separated values of a data line (a trailing comma continues the element on the next line).
fn fields(text: &str) -> Vec<&str> {
    text.split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

fn num<T: std::str::FromStr>(
    path: &Path,
    line: usize,
    v: &str,
    what: &str,
) -> Result<T, ImportError> {
    v.parse()
        .map_err(|_| ImportError::parse(path, line, format!("expected {what}, found {v:?}")))
}

/// (kind, node count on the line, corner nodes kept) of a supported element type.
fn element_type(ty: &str) -> Option<(Kind, usize, usize)> {
    match ty {
        "c3d4" | "c3d4h" => Some((Kind::Tet, 4, 4)),
        "c3d10" | "c3d10h" | "c3d10m" | "c3d10mh" => Some((Kind::Tet, 10, 4)),
        "c3d8" | "c3d8h" | "c3d8r" | "c3d8i" | "c3d8rh" => Some((Kind::Hex, 8, 8)),
        "s3" | "s3r" | "stri3" | "m3d3" | "sfm3d3" => Some((Kind::Tri, 3, 3)),
        _ => None,
    }
}

/// Ids of a *Nset / *Elset: listed, or `first, last[, step]` lines with `generate`.
fn set_ids(path: &Path, data: &[Line], generate: bool) -> Result<Vec<u64>, ImportError> {
    let mut ids = Vec::new();
    for l in data {
        let v = fields(l.text);
        if generate {
            if v.len() < 2 || v.len() > 3 {
                return Err(ImportError::parse(
                    path,
                    l.no,
                    "generate: expected first, last[, step]",
                ));
            }
            let first: u64 = num(path, l.no, v[0], "a first id")?;
            let last: u64 = num(path, l.no, v[1], "a last id")?;
            let step: u64 = match v.get(2) {
                Some(s) => num(path, l.no, s, "a step")?,
                None => 1,
            };
            if step == 0 || last < first || (last - first) / step > 10_000_000 {
                return Err(ImportError::parse(
                    path,
                    l.no,
                    format!(
                        "generate {first}, {last}, {step}: expected first <= last, step >= 1, at most 10 million ids"
                    ),
                ));
            }
            ids.extend((first..=last).step_by(step as usize));
        } else {
            for s in v {
                ids.push(num(path, l.no, s, "an id")?);
            }
        }
    }
    Ok(ids)
}
