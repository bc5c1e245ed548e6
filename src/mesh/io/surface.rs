//! Closed triangle surfaces: Wavefront OBJ and STL (ASCII and binary), read into a [`TriSurface`] and,
//! through [`read_with_element_size`], tetrahedralised by [`crate::mesh::volume_mesher`].
//!
//! - OBJ is parsed by the `tobj` crate (polygons are triangulated as fans, materials, normals, texture
//!   coordinates, points and lines are ignored; all objects and groups form one surface). `tobj` reports
//!   no line numbers, so vertex lines are checked here first (finite numbers, with their line) and
//!   `tobj`'s other errors name the file only.
//! - STL is hand-written (it is small): ASCII when the file starts with `solid` and either its size is
//!   not `84 + 50 n` (`n` the little-endian `u32` at byte 80) or it is all ASCII text; binary otherwise
//!   (binary headers may start with `solid` too). Errors give the line (ASCII) or the byte offset (binary). STL shares no vertices: the
//!   mesher's repair step merges them.
//!
//! Coordinates are taken as millimetres (segmentation tools export mm; STL and OBJ carry no unit).
//! [`read`] meshes with an element size of 1/25 of the bounding-box diagonal ([`DEFAULT_SIZE_FRACTION`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{ImportError, extension};
use crate::mesh::TetMesh;
pub use crate::mesh::surface_repair::TriSurface;
use crate::mesh::volume_mesher::{MesherError, MesherReport, tetrahedralise};

/// Default element size of [`read`], as a fraction of the surface's bounding-box diagonal.
pub const DEFAULT_SIZE_FRACTION: f64 = 1.0 / 25.0;

/// Reads a surface (`.obj`, `.stl` or `.vtp`) and meshes its inside with the default element size (1/25 of the
/// bounding-box diagonal).
pub fn read(path: &Path) -> Result<TetMesh, ImportError> {
    let surface = read_surface(path)?;
    let h = DEFAULT_SIZE_FRACTION * surface.bbox().diagonal();
    mesh_surface(path, &surface, h).map(|(m, _)| m)
}

/// Reads a surface (`.obj`, `.stl` or `.vtp`) and meshes its inside with elements of about `element_size_mm` mm.
pub fn read_with_element_size(path: &Path, element_size_mm: f64) -> Result<TetMesh, ImportError> {
    let surface = read_surface(path)?;
    mesh_surface(path, &surface, element_size_mm).map(|(m, _)| m)
}

/// Meshes a surface read from `path` (for messages), mapping mesher errors to [`ImportError`].
pub fn mesh_surface(
    path: &Path,
    surface: &TriSurface,
    element_size_mm: f64,
) -> Result<(TetMesh, MesherReport), ImportError> {
    tetrahedralise(surface, element_size_mm).map_err(|e| match e {
        MesherError::Mesh(m) => ImportError::mesh(path, m),
        other => ImportError::invalid(path, other.to_string()),
    })
}

/// Reads the triangles of an `.obj`, `.stl` or `.vtp` (VTK PolyData) file.
pub fn read_surface(path: &Path) -> Result<TriSurface, ImportError> {
    let bytes = std::fs::read(path).map_err(|e| ImportError::io(path, e))?;
    match extension(path).as_str() {
        "obj" => parse_obj(path, &bytes),
        "stl" => parse_stl(path, &bytes),
        "vtp" => super::vtu::read_vtp(path, &bytes),
        other => Err(ImportError::unsupported(
            path,
            format!("surface extension {other:?}: expected .obj, .stl or .vtp"),
        )),
    }
}

/// Parses OBJ text (see the module docs).
pub fn parse_obj(path: &Path, bytes: &[u8]) -> Result<TriSurface, ImportError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ImportError::binary(path, e.valid_up_to() as u64, "OBJ: not UTF-8 text"))?;
    for (i, line) in text.lines().enumerate() {
        let mut words = line.split_whitespace();
        if words.next() != Some("v") {
            continue;
        }
        let values: Vec<&str> = words.collect();
        if values.len() < 3 {
            return Err(ImportError::parse(
                path,
                i + 1,
                format!("vertex with {} coordinates, expected 3", values.len()),
            ));
        }
        for w in &values[..3] {
            match w.parse::<f64>() {
                Ok(x) if x.is_finite() && x.abs() <= f32::MAX as f64 => {}
                _ => {
                    return Err(ImportError::parse(
                        path,
                        i + 1,
                        format!("vertex coordinate {w:?}: expected a finite number"),
                    ));
                }
            }
        }
    }
    // The struct update covers the fields that tobj's optional features ("merging", "reordering") add.
    #[allow(clippy::needless_update)]
    let options = tobj::LoadOptions {
        triangulate: true,
        single_index: false,
        ignore_points: true,
        ignore_lines: true,
        ..Default::default()
    };
    let mut reader = std::io::Cursor::new(bytes);
    let (models, _) = tobj::load_obj_buf(&mut reader, &options, |_| {
        Err(tobj::LoadError::OpenFileFailed)
    })
    .map_err(|e| ImportError::invalid(path, format!("OBJ: {e}")))?;
    let mut surface = TriSurface::default();
    for model in &models {
        let m = &model.mesh;
        let base = surface.vertices.len();
        surface.vertices.extend(
            m.positions
                .chunks_exact(3)
                .map(|p| [p[0] as f64, p[1] as f64, p[2] as f64]),
        );
        for t in m.indices.chunks_exact(3) {
            let mut tri = [0u32; 3];
            for k in 0..3 {
                let v = base + t[k] as usize;
                if v >= surface.vertices.len() || v > u32::MAX as usize {
                    return Err(ImportError::invalid(
                        path,
                        format!(
                            "OBJ object {:?}: face refers to a missing vertex",
                            model.name
                        ),
                    ));
                }
                tri[k] = v as u32;
            }
            surface.triangles.push(tri);
        }
    }
    if surface.triangles.is_empty() {
        return Err(ImportError::invalid(path, "OBJ: no faces"));
    }
    Ok(surface)
}

/// Parses STL, binary or ASCII (see the module docs).
pub fn parse_stl(path: &Path, bytes: &[u8]) -> Result<TriSurface, ImportError> {
    let starts_solid = bytes.trim_ascii_start().starts_with(b"solid");
    let binary_size = bytes.len() >= 84 && {
        let n = u32::from_le_bytes([bytes[80], bytes[81], bytes[82], bytes[83]]) as u64;
        84 + 50 * n == bytes.len() as u64
    };
    let plain_text = || {
        bytes
            .iter()
            .all(|&b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    };
    if starts_solid && (!binary_size || plain_text()) {
        return parse_stl_ascii(path, bytes);
    }
    parse_stl_binary(path, bytes)
}

/// Binary STL: 80-byte header, `u32` count, then 50 bytes per triangle (normal, 3 vertices as `f32`,
/// 2-byte attribute).
pub fn parse_stl_binary(path: &Path, bytes: &[u8]) -> Result<TriSurface, ImportError> {
    if bytes.len() < 84 {
        return Err(ImportError::binary(
            path,
            bytes.len() as u64,
            format!(
                "binary STL needs an 84-byte header, the file has {} bytes (and is not ASCII STL: \
                 that starts with 'solid')",
                bytes.len()
            ),
        ));
    }
    let n = u32::from_le_bytes([bytes[80], bytes[81], bytes[82], bytes[83]]) as u64;
    let expected = 84 + 50 * n;
    if expected != bytes.len() as u64 {
        return Err(ImportError::binary(
            path,
            80,
            format!(
                "binary STL header says {n} triangles, which need {expected} bytes, but the file has {}",
                bytes.len()
            ),
        ));
    }
    if n == 0 {
        return Err(ImportError::binary(
            path,
            80,
            "binary STL with no triangles",
        ));
    }
    let mut surface = TriSurface {
        vertices: Vec::with_capacity(3 * n as usize),
        triangles: Vec::with_capacity(n as usize),
    };
    for t in 0..n as usize {
        let rec = 84 + 50 * t;
        for v in 0..3 {
            let mut p = [0.0; 3];
            for (k, pk) in p.iter_mut().enumerate() {
                let o = rec + 12 + 12 * v + 4 * k;
                let x = f32::from_le_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]);
                if !x.is_finite() {
                    return Err(ImportError::binary(
                        path,
                        o as u64,
                        format!("triangle {t} vertex {v}: non-finite coordinate {x}"),
                    ));
                }
                *pk = x as f64;
            }
            surface.vertices.push(p);
        }
        let b = 3 * t as u32;
        surface.triangles.push([b, b + 1, b + 2]);
    }
    Ok(surface)
}

/// ASCII STL: `solid` / `facet normal` / `outer loop` / 3 x `vertex x y z` / `endloop` / `endfacet` /
/// `endsolid`; several solids form one surface.
pub fn parse_stl_ascii(path: &Path, bytes: &[u8]) -> Result<TriSurface, ImportError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ImportError::binary(path, e.valid_up_to() as u64, "STL: not UTF-8 text"))?;
    #[derive(PartialEq, Debug)]
    enum At {
        Outside,
        Solid,
        Facet,
        Loop,
        LoopDone,
    }
    let mut at = At::Outside;
    let mut surface = TriSurface::default();
    let mut corners: Vec<[f64; 3]> = Vec::with_capacity(3);
    let mut last_line = 0;
    for (i, line) in text.lines().enumerate() {
        let ln = i + 1;
        last_line = ln;
        let mut words = line.split_whitespace();
        let Some(key) = words.next() else { continue };
        let err = |msg: String| ImportError::parse(path, ln, msg);
        match (key, &at) {
            ("solid", At::Outside) => at = At::Solid,
            ("endsolid", At::Solid) => at = At::Outside,
            ("facet", At::Solid) => at = At::Facet,
            ("outer", At::Facet) if words.next() == Some("loop") => {
                at = At::Loop;
                corners.clear();
            }
            ("vertex", At::Loop) => {
                if corners.len() == 3 {
                    return Err(err(
                        "more than 3 vertices in a facet: STL facets are triangles".into(),
                    ));
                }
                let mut p = [0.0; 3];
                for pk in &mut p {
                    let w = words
                        .next()
                        .ok_or_else(|| err("vertex needs 3 coordinates".into()))?;
                    *pk = match w.parse::<f64>() {
                        Ok(x) if x.is_finite() => x,
                        _ => {
                            return Err(err(format!(
                                "vertex coordinate {w:?}: expected a finite number"
                            )));
                        }
                    };
                }
                corners.push(p);
            }
            ("endloop", At::Loop) => {
                if corners.len() != 3 {
                    return Err(err(format!(
                        "facet with {} vertices, expected 3",
                        corners.len()
                    )));
                }
                let b = surface.vertices.len() as u32;
                surface.vertices.append(&mut corners);
                surface.triangles.push([b, b + 1, b + 2]);
                at = At::LoopDone;
            }
            ("endfacet", At::LoopDone) => at = At::Solid,
            (key, at) => {
                let expected = match at {
                    At::Outside => "'solid'",
                    At::Solid => "'facet' or 'endsolid'",
                    At::Facet => "'outer loop'",
                    At::Loop => "'vertex' or 'endloop'",
                    At::LoopDone => "'endfacet'",
                };
                return Err(err(format!("unexpected {key:?}, expected {expected}")));
            }
        }
    }
    if at != At::Outside && at != At::Solid {
        return Err(ImportError::parse(
            path,
            last_line,
            "file ends inside a facet",
        ));
    }
    if surface.triangles.is_empty() {
        return Err(ImportError::parse(path, last_line.max(1), "STL: no facets"));
    }
    Ok(surface)
}

/// Writes `surface` as OBJ (`v` and `f` lines, 1-based).
pub fn write_obj(path: &Path, surface: &TriSurface) -> std::io::Result<PathBuf> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "# cardiotwin triangle surface, mm")?;
    for p in &surface.vertices {
        writeln!(out, "v {:?} {:?} {:?}", p[0], p[1], p[2])?;
    }
    for t in &surface.triangles {
        writeln!(out, "f {} {} {}", t[0] + 1, t[1] + 1, t[2] + 1)?;
    }
    out.flush()?;
    Ok(path.to_path_buf())
}

/// Writes `surface` as ASCII (`binary = false`) or binary STL. Coordinates are stored as `f32` in
/// binary STL; the facet normals are computed from the corners.
pub fn write_stl(path: &Path, surface: &TriSurface, binary: bool) -> std::io::Result<PathBuf> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let normal = |t: &[u32; 3]| {
        let [a, b, c] = surface.corners(t);
        (b - a).cross(c - a).normalize_or_zero().to_array()
    };
    if binary {
        let mut header = [b' '; 80];
        header[..24].copy_from_slice(b"cardiotwin binary STL mm");
        out.write_all(&header)?;
        out.write_all(&(surface.triangles.len() as u32).to_le_bytes())?;
        for t in &surface.triangles {
            let n = normal(t);
            let corners = t.map(|v| surface.vertices[v as usize]);
            for p in std::iter::once(&n).chain(corners.iter()) {
                for &x in p {
                    out.write_all(&(x as f32).to_le_bytes())?;
                }
            }
            out.write_all(&[0, 0])?;
        }
    } else {
        writeln!(out, "solid cardiotwin")?;
        for t in &surface.triangles {
            let n = normal(t);
            writeln!(out, "  facet normal {:e} {:e} {:e}", n[0], n[1], n[2])?;
            writeln!(out, "    outer loop")?;
            for &v in t {
                let p = surface.vertices[v as usize];
                writeln!(out, "      vertex {:?} {:?} {:?}", p[0], p[1], p[2])?;
            }
            writeln!(out, "    endloop")?;
            writeln!(out, "  endfacet")?;
        }
        writeln!(out, "endsolid cardiotwin")?;
    }
    out.flush()?;
    Ok(path.to_path_buf())
}
