//! TetGen meshes: `X.node` (points, optional attributes and boundary markers), `X.ele` (tetrahedra,
//! optional region attribute), `X.face` (boundary triangles, optional markers). Indices may start at 0 or
//! 1 (as the first point says). Units: taken as millimetres.
//!
//! Hand-written: three short text formats; no maintained crate reads them.
//!
//! Point attributes become point fields `attribute0`, `attribute1`, ...; the region attribute of a
//! tetrahedron its region tag (it must be an integer); a face's boundary marker its surface tag.
//! Ten-node tetrahedra keep their four corners.

use std::path::{Path, PathBuf};

use super::ImportError;
use super::text::Tokens;
use crate::mesh::{Field, Surfaces, TetMesh};

/// Reads the mesh whose `.node` or `.ele` (or `.face`) file is `path`.
pub fn read(path: &Path) -> Result<TetMesh, ImportError> {
    let base = path.with_extension("");
    let file = |ext: &str| PathBuf::from(format!("{}.{ext}", base.display()));
    let load = |p: &Path| std::fs::read(p).map_err(|e| ImportError::io(p, e));
    let (node_path, ele_path, face_path) = (file("node"), file("ele"), file("face"));
    let node_bytes = load(&node_path)?;
    let ele_bytes = load(&ele_path)?;
    let face_bytes = if face_path.exists() {
        Some(load(&face_path)?)
    } else {
        None
    };
    parse(
        (&node_path, &node_bytes),
        (&ele_path, &ele_bytes),
        face_bytes.as_deref().map(|b| (face_path.as_path(), b)),
    )
}

/// Builds the mesh from the three files' bytes (`face` optional).
pub fn parse(
    node: (&Path, &[u8]),
    ele: (&Path, &[u8]),
    face: Option<(&Path, &[u8])>,
) -> Result<TetMesh, ImportError> {
    let points = parse_node(node.0, node.1)?;
    let n = points.coords.len();
    let (tets, regions) = parse_ele(ele.0, ele.1, points.first_index, n)?;
    let mut mesh = TetMesh::new(points.coords, tets)
        .map_err(|e| ImportError::mesh(ele.0, e))?
        .with_regions(regions)
        .map_err(|e| ImportError::mesh(ele.0, e))?;
    for (i, data) in points.attributes.into_iter().enumerate() {
        mesh.add_point_field(Field::new(format!("attribute{i}"), 1, data))
            .map_err(|e| ImportError::mesh(node.0, e))?;
    }
    if let Some((path, bytes)) = face {
        let surfaces = parse_face(path, bytes, points.first_index, n)?;
        mesh = mesh
            .with_surfaces(surfaces)
            .map_err(|e| ImportError::mesh(path, e))?;
    }
    mesh.orient_positive();
    Ok(mesh)
}

struct Points {
    coords: Vec<[f64; 3]>,
    attributes: Vec<Vec<f64>>,
    first_index: u64,
}

fn parse_node(path: &Path, bytes: &[u8]) -> Result<Points, ImportError> {
    let mut t = Tokens::new(path, bytes, Some('#'))?;
    let header = t.next_line("the .node header: <points> <dimension> <attributes> <markers>")?;
    if header.len() < 2 {
        return Err(t.error("expected <points> <dimension> [<attributes> <markers>]"));
    }
    let n: usize = t.parse(header[0], "the number of points")?;
    let dim: usize = t.parse(header[1], "the dimension")?;
    if dim != 3 {
        return Err(t.error(format!("dimension {dim}: only 3-D meshes are supported")));
    }
    let n_attr: usize = header
        .get(2)
        .map_or(Ok(0), |s| t.parse(s, "the number of attributes"))?;
    let markers: usize = header
        .get(3)
        .map_or(Ok(0), |s| t.parse(s, "0 or 1 boundary markers"))?;
    if n_attr > 64 || markers > 1 {
        return Err(t.error("attributes (at most 64) or boundary markers (0 or 1) out of range"));
    }
    let cap = n.min(bytes.len() / 8);
    let mut coords = Vec::with_capacity(cap);
    let mut attributes = vec![Vec::with_capacity(cap); n_attr];
    let mut first_index = 0;
    for i in 0..n {
        let line = t.next_line(&format!("point {i} of {n}"))?;
        if line.len() != 4 + n_attr + markers {
            return Err(t.error(format!(
                "point {i}: expected index, x, y, z, {n_attr} attributes and {markers} markers"
            )));
        }
        let index: u64 = t.parse(line[0], "a point index")?;
        if i == 0 {
            if index > 1 {
                return Err(t.error(format!(
                    "the first point has index {index}: expected 0 or 1"
                )));
            }
            first_index = index;
        } else if index != first_index + i as u64 {
            return Err(t.error(format!(
                "point index {index}: expected {} (points must be numbered consecutively)",
                first_index + i as u64
            )));
        }
        coords.push([
            t.coordinate(line[1])?,
            t.coordinate(line[2])?,
            t.coordinate(line[3])?,
        ]);
        for (a, values) in attributes.iter_mut().enumerate() {
            values.push(t.coordinate(line[4 + a])?);
        }
    }
    Ok(Points {
        coords,
        attributes,
        first_index,
    })
}

fn node_index(
    t: &Tokens,
    s: &str,
    first: u64,
    nodes: usize,
    what: &str,
) -> Result<u32, ImportError> {
    let v: u64 = t.parse(s, "a point index")?;
    if v < first || v - first >= nodes as u64 {
        return Err(t.error(format!(
            "{what}: point {v} out of range (points are numbered {first}..{})",
            first + nodes as u64 - 1
        )));
    }
    Ok((v - first) as u32)
}

fn parse_ele(
    path: &Path,
    bytes: &[u8],
    first: u64,
    nodes: usize,
) -> Result<(Vec<[u32; 4]>, Vec<i32>), ImportError> {
    let mut t = Tokens::new(path, bytes, Some('#'))?;
    let header =
        t.next_line("the .ele header: <tetrahedra> <nodes per tetrahedron> <region attribute>")?;
    if header.len() < 2 {
        return Err(t.error("expected <tetrahedra> <nodes per tetrahedron> [<attributes>]"));
    }
    let n: usize = t.parse(header[0], "the number of tetrahedra")?;
    let per: usize = t.parse(header[1], "the nodes per tetrahedron")?;
    if per != 4 && per != 10 {
        return Err(t.error(format!("{per} nodes per tetrahedron: expected 4 or 10")));
    }
    let n_attr: usize = header
        .get(2)
        .map_or(Ok(0), |s| t.parse(s, "0 or 1 region attributes"))?;
    if n_attr > 1 {
        return Err(t.error(format!(
            "{n_attr} region attributes: at most 1 is supported"
        )));
    }
    let cap = n.min(bytes.len() / 8);
    let (mut tets, mut regions) = (Vec::with_capacity(cap), Vec::with_capacity(cap));
    for i in 0..n {
        let line = t.next_line(&format!("tetrahedron {i} of {n}"))?;
        if line.len() != 1 + per + n_attr {
            return Err(t.error(format!(
                "tetrahedron {i}: expected index, {per} points and {n_attr} attributes"
            )));
        }
        let what = format!("tetrahedron {i}");
        let mut tet = [0u32; 4];
        for k in 0..4 {
            tet[k] = node_index(&t, line[1 + k], first, nodes, &what)?;
        }
        for s in &line[5..1 + per] {
            node_index(&t, s, first, nodes, &what)?;
        }
        let region = match line.get(1 + per) {
            Some(s) => {
                let v: f64 = t.parse(s, "a region attribute")?;
                if v.fract() != 0.0 || v.abs() > i32::MAX as f64 {
                    return Err(t.error(format!("region attribute {s} is not an integer tag")));
                }
                v as i32
            }
            None => 0,
        };
        tets.push(tet);
        regions.push(region);
    }
    Ok((tets, regions))
}

fn parse_face(
    path: &Path,
    bytes: &[u8],
    first: u64,
    nodes: usize,
) -> Result<Surfaces, ImportError> {
    let mut t = Tokens::new(path, bytes, Some('#'))?;
    let header = t.next_line("the .face header: <faces> <boundary markers>")?;
    let n: usize = t.parse(header[0], "the number of faces")?;
    let markers: usize = header
        .get(1)
        .map_or(Ok(0), |s| t.parse(s, "0 or 1 boundary markers"))?;
    if markers > 1 {
        return Err(t.error("boundary markers must be 0 or 1"));
    }
    let mut s = Surfaces::default();
    for i in 0..n {
        let line = t.next_line(&format!("face {i} of {n}"))?;
        // TetGen may append the two adjacent tetrahedra (-nn switch): accept and ignore them.
        if line.len() != 4 + markers && line.len() != 6 + markers {
            return Err(t.error(format!(
                "face {i}: expected index, 3 points and {markers} markers"
            )));
        }
        let what = format!("face {i}");
        let mut tri = [0u32; 3];
        for k in 0..3 {
            tri[k] = node_index(&t, line[1 + k], first, nodes, &what)?;
        }
        s.triangles.push(tri);
        s.tags.push(match markers {
            1 => t.parse(line[4], "a boundary marker")?,
            _ => 0,
        });
    }
    Ok(s)
}
