//! openCARP meshes: `X.pts` (nodes, micrometres), `X.elem` (elements with region tags), `X.lon` (fibre
//! and optional sheet direction per element), `X.surf` / `X.NAME.surf` (surface triangles), `X.vtx` /
//! `X.NAME.vtx` (node sets). Coordinates are converted to millimetres on reading and back on writing.
//!
//! Hand-written: the formats are a few lines each and no maintained crate reads them.
//!
//! Elements: `Tt` tetrahedra; `Tr` triangles in the element file become tagged surfaces; `Ln` lines are
//! ignored; any other type (`Hx`, `Pr`, `Py`, `Qd`) is an error. Fibres become the cell fields `fiber`
//! (and `sheet`), node sets the point fields `vtx:NAME` (1 in the set, 0 elsewhere).

use std::path::{Path, PathBuf};

use super::ImportError;
use super::text::Tokens;
use crate::mesh::{Field, Surfaces, TetMesh};

/// Micrometres per millimetre.
const UM_PER_MM: f64 = 1000.0;

/// Reads the mesh whose `.pts`, `.elem` (or any sibling file) is `path`, with the optional `.lon`,
/// `.surf` and `.vtx` files beside it.
pub fn read(path: &Path) -> Result<TetMesh, ImportError> {
    let base = path.with_extension("");
    let file = |ext: &str| PathBuf::from(format!("{}.{ext}", base.display()));
    let load = |p: &Path| std::fs::read(p).map_err(|e| ImportError::io(p, e));
    let (pts_path, elem_path) = (file("pts"), file("elem"));
    let nodes = parse_pts(&pts_path, &load(&pts_path)?)?;
    let elems = parse_elem(&elem_path, &load(&elem_path)?, nodes.len())?;
    let n_elems = elems.tets.len() + elems.tris.len();

    let mut mesh = TetMesh::new(nodes, elems.tets.clone())
        .map_err(|e| ImportError::mesh(&elem_path, e))?
        .with_regions(elems.tet_tags.clone())
        .map_err(|e| ImportError::mesh(&elem_path, e))?;

    let mut surfaces = Surfaces {
        triangles: elems.tris.clone(),
        tags: elems.tri_tags.clone(),
    };
    let first_tag = surfaces.tags.iter().copied().max().unwrap_or(0) + 1;
    for (tag, (name, p)) in (first_tag..).zip(siblings(&base, "surf")) {
        let tris = parse_surf(&p, &load(&p)?, mesh.node_count())?;
        surfaces.tags.extend(std::iter::repeat_n(tag, tris.len()));
        surfaces.triangles.extend(tris);
        mesh.surface_names.insert(tag, name);
    }
    mesh = mesh
        .with_surfaces(surfaces)
        .map_err(|e| ImportError::mesh(&elem_path, e))?;

    let lon_path = file("lon");
    if lon_path.exists() {
        let (fiber, sheet) = parse_lon(&lon_path, &load(&lon_path)?, n_elems)?;
        let keep =
            |v: &[[f64; 3]]| -> Vec<f64> { elems.tet_rows.iter().flat_map(|&r| v[r]).collect() };
        mesh.add_cell_field(Field::new("fiber", 3, keep(&fiber)))
            .map_err(|e| ImportError::mesh(&lon_path, e))?;
        if let Some(s) = sheet {
            mesh.add_cell_field(Field::new("sheet", 3, keep(&s)))
                .map_err(|e| ImportError::mesh(&lon_path, e))?;
        }
    }
    for (name, p) in siblings(&base, "vtx") {
        let set = parse_vtx(&p, &load(&p)?, mesh.node_count())?;
        let mut data = vec![0.0; mesh.node_count()];
        for n in set {
            data[n as usize] = 1.0;
        }
        mesh.add_point_field(Field::new(format!("vtx:{name}"), 1, data))
            .map_err(|e| ImportError::mesh(&p, e))?;
    }
    mesh.orient_positive();
    Ok(mesh)
}

/// `X.ext` (named after the stem) and `X.NAME.ext` files beside `base`, sorted by name.
fn siblings(base: &Path, ext: &str) -> Vec<(String, PathBuf)> {
    let dir = base
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let stem = base.file_name().and_then(|s| s.to_str()).unwrap_or("");
    let mut found: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let middle = name.strip_prefix(stem)?.strip_suffix(&format!(".{ext}"))?;
            let label = match middle {
                "" => stem.to_string(),
                m => m.strip_prefix('.')?.to_string(),
            };
            Some((label, e.path()))
        })
        .collect();
    found.sort();
    found
}

/// Nodes of a `.pts` file, converted from micrometres to millimetres.
pub fn parse_pts(path: &Path, bytes: &[u8]) -> Result<Vec<[f64; 3]>, ImportError> {
    let mut t = Tokens::new(path, bytes, Some('#'))?;
    let n = t.count("the number of points", 1)?;
    let mut nodes = Vec::with_capacity(n);
    for i in 0..n {
        let line = t.next_line(&format!("point {i} of {n}"))?;
        if line.len() != 3 {
            return Err(t.error(format!(
                "point {i}: expected 3 coordinates, found {}",
                line.len()
            )));
        }
        let mut p = [0.0; 3];
        for (k, tok) in line.iter().enumerate() {
            p[k] = t.coordinate(tok)? / UM_PER_MM;
        }
        nodes.push(p);
    }
    if !t.at_end() {
        return Err(t.error(format!("more lines than the {n} points announced")));
    }
    Ok(nodes)
}

/// The elements of a `.elem` file. `tet_rows[i]` is the row of tet `i` in the file (for `.lon`).
#[derive(Debug, Default)]
pub struct Elements {
    pub tets: Vec<[u32; 4]>,
    pub tet_tags: Vec<i32>,
    pub tet_rows: Vec<usize>,
    pub tris: Vec<[u32; 3]>,
    pub tri_tags: Vec<i32>,
}

pub fn parse_elem(path: &Path, bytes: &[u8], nodes: usize) -> Result<Elements, ImportError> {
    let mut t = Tokens::new(path, bytes, Some('#'))?;
    let n = t.count("the number of elements", 1)?;
    let mut e = Elements::default();
    for row in 0..n {
        let line = t.next_line(&format!("element {row} of {n}"))?;
        let corners = match line[0] {
            "Tt" => 4,
            "Tr" => 3,
            "Ln" => 2,
            other => {
                return Err(t.error(format!(
                    "element {row}: type {other:?} is not supported (Tt tetrahedra, Tr triangles, Ln lines)"
                )));
            }
        };
        if line.len() != 1 + corners && line.len() != 2 + corners {
            return Err(t.error(format!(
                "element {row} ({}): expected {corners} node indices and an optional tag, found {} values",
                line[0],
                line.len() - 1
            )));
        }
        let mut idx = [0u32; 4];
        for k in 0..corners {
            let v: u32 = t.parse(line[1 + k], "a node index")?;
            if v as usize >= nodes {
                return Err(t.error(format!(
                    "element {row}: node {v} out of range (the .pts file has {nodes} points)"
                )));
            }
            idx[k] = v;
        }
        let tag: i32 = match line.get(1 + corners) {
            Some(s) => t.parse(s, "a region tag")?,
            None => 0,
        };
        match corners {
            4 => {
                e.tets.push(idx);
                e.tet_tags.push(tag);
                e.tet_rows.push(row);
            }
            3 => {
                e.tris.push([idx[0], idx[1], idx[2]]);
                e.tri_tags.push(tag);
            }
            _ => {}
        }
    }
    if !t.at_end() {
        return Err(t.error(format!("more lines than the {n} elements announced")));
    }
    Ok(e)
}

/// Fibre (and sheet) directions of a `.lon` file, one row per element.
#[allow(clippy::type_complexity)]
pub fn parse_lon(
    path: &Path,
    bytes: &[u8],
    elements: usize,
) -> Result<(Vec<[f64; 3]>, Option<Vec<[f64; 3]>>), ImportError> {
    let mut t = Tokens::new(path, bytes, Some('#'))?;
    let dirs: usize = t.value("the number of directions (1 or 2)")?;
    if dirs != 1 && dirs != 2 {
        return Err(t.error(format!(
            "expected 1 or 2 directions per element, found {dirs}"
        )));
    }
    let mut fiber = Vec::with_capacity(elements.min(bytes.len()));
    let mut sheet = Vec::new();
    for row in 0..elements {
        let line = t.next_line(&format!("directions of element {row} of {elements}"))?;
        if line.len() != 3 * dirs {
            return Err(t.error(format!(
                "element {row}: expected {} values, found {}",
                3 * dirs,
                line.len()
            )));
        }
        let mut v = [0.0; 6];
        for (k, tok) in line.iter().enumerate() {
            v[k] = t.coordinate(tok)?;
        }
        fiber.push([v[0], v[1], v[2]]);
        if dirs == 2 {
            sheet.push([v[3], v[4], v[5]]);
        }
    }
    if !t.at_end() {
        return Err(t.error(format!(
            "more lines than the {elements} elements of the .elem file"
        )));
    }
    Ok((fiber, (dirs == 2).then_some(sheet)))
}

/// Triangles of a `.surf` file.
pub fn parse_surf(path: &Path, bytes: &[u8], nodes: usize) -> Result<Vec<[u32; 3]>, ImportError> {
    let mut t = Tokens::new(path, bytes, Some('#'))?;
    let header = t.next_line("the number of triangles")?;
    let n: usize = t.parse(header[0], "the number of triangles")?;
    let mut tris = Vec::with_capacity(n.min(bytes.len() / 8));
    for i in 0..n {
        let line = t.next_line(&format!("triangle {i} of {n}"))?;
        let values = if line[0] == "Tr" {
            &line[1..]
        } else {
            &line[..]
        };
        if values.len() != 3 {
            return Err(t.error(format!("triangle {i}: expected 3 node indices")));
        }
        let mut tri = [0u32; 3];
        for k in 0..3 {
            tri[k] = t.parse(values[k], "a node index")?;
            if tri[k] as usize >= nodes {
                return Err(t.error(format!(
                    "triangle {i}: node {} out of range ({nodes} nodes)",
                    tri[k]
                )));
            }
        }
        tris.push(tri);
    }
    Ok(tris)
}

/// Node indices of a `.vtx` file (count, `intra`/`extra`, indices).
pub fn parse_vtx(path: &Path, bytes: &[u8], nodes: usize) -> Result<Vec<u32>, ImportError> {
    let mut t = Tokens::new(path, bytes, Some('#'))?;
    let n: usize = t.value("the number of vertices")?;
    let domain = t.token("intra or extra")?;
    if domain != "intra" && domain != "extra" {
        return Err(t.error(format!("expected intra or extra, found {domain:?}")));
    }
    let mut set = Vec::with_capacity(n.min(bytes.len()));
    for _ in 0..n {
        let v: u32 = t.value("a node index")?;
        if v as usize >= nodes {
            return Err(t.error(format!("node {v} out of range ({nodes} nodes)")));
        }
        set.push(v);
    }
    Ok(set)
}

/// Writes `X.pts` (micrometres), `X.elem` (with region tags), `X.lon` (when the mesh has a `fiber` cell
/// field, with `sheet` if present) and one `X.NAME.surf` per surface tag, for the base path `X`.
pub fn write(base: &Path, mesh: &TetMesh) -> std::io::Result<Vec<PathBuf>> {
    use std::fmt::Write as _;
    let base = base.with_extension("");
    let file = |ext: &str| PathBuf::from(format!("{}.{ext}", base.display()));
    let mut written = Vec::new();
    let mut put = |p: PathBuf, text: String| -> std::io::Result<()> {
        std::fs::write(&p, text)?;
        written.push(p);
        Ok(())
    };

    let mut s = format!("{}\n", mesh.node_count());
    for p in mesh.nodes() {
        let _ = writeln!(
            s,
            "{} {} {}",
            p[0] * UM_PER_MM,
            p[1] * UM_PER_MM,
            p[2] * UM_PER_MM
        );
    }
    put(file("pts"), s)?;

    let mut s = format!("{}\n", mesh.tet_count());
    for (t, r) in mesh.tets().iter().zip(mesh.regions()) {
        let _ = writeln!(s, "Tt {} {} {} {} {r}", t[0], t[1], t[2], t[3]);
    }
    put(file("elem"), s)?;

    if let Some(fiber) = mesh.cell_field("fiber").filter(|f| f.components == 3) {
        let sheet = mesh.cell_field("sheet").filter(|f| f.components == 3);
        let mut s = format!("{}\n", if sheet.is_some() { 2 } else { 1 });
        for i in 0..mesh.tet_count() {
            let f = fiber.get(i);
            let _ = write!(s, "{} {} {}", f[0], f[1], f[2]);
            if let Some(sh) = sheet {
                let v = sh.get(i);
                let _ = write!(s, " {} {} {}", v[0], v[1], v[2]);
            }
            s.push('\n');
        }
        put(file("lon"), s)?;
    }

    let surfaces = mesh.surfaces();
    let mut tags: Vec<i32> = surfaces.tags.clone();
    tags.sort_unstable();
    tags.dedup();
    for tag in tags {
        let name = mesh
            .surface_names
            .get(&tag)
            .map(|n| {
                n.replace(
                    |c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '-',
                    "_",
                )
            })
            .unwrap_or_else(|| format!("tag{tag}"));
        let tris: Vec<&[u32; 3]> = surfaces
            .triangles
            .iter()
            .zip(&surfaces.tags)
            .filter(|(_, t)| **t == tag)
            .map(|(tri, _)| tri)
            .collect();
        let mut s = format!("{}\n", tris.len());
        for t in tris {
            let _ = writeln!(s, "Tr {} {} {}", t[0], t[1], t[2]);
        }
        put(file(&format!("{name}.surf")), s)?;
    }
    Ok(written)
}
