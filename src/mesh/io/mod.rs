//! Mesh files in and out, chosen by extension (and, where extensions are ambiguous, by content).
//!
//! Every reader takes the file's bytes and its path (for messages) and returns a whole [`TetMesh`] or an
//! [`ImportError`] that names the file, the line (text formats) or byte offset (binary formats), and what
//! was expected: never a panic, never a silently partial mesh. Parsers are pure functions of the bytes so
//! they can be fuzzed.

pub mod abaqus;
pub mod gmsh;
pub mod opencarp;
pub mod pvd;
pub mod surface;
pub mod tetgen;
mod text;
pub mod vtk;
pub mod vtk_legacy;
pub mod vtu;
mod vtu_data;
pub mod vtu_write;

use std::path::{Path, PathBuf};

pub use surface::read_with_element_size;

use super::{MeshError, TetMesh};

/// Why a mesh file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}: {msg}", path.display())]
    Parse {
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        msg: String,
    },
    #[error("{}: byte {offset}: {msg}", path.display())]
    Binary {
        path: PathBuf,
        offset: u64,
        msg: String,
    },
    #[error("{}: {msg}", path.display())]
    Invalid { path: PathBuf, msg: String },
    #[error("{}: {source}", path.display())]
    Mesh {
        path: PathBuf,
        #[source]
        source: MeshError,
    },
    #[error("{}: unsupported: {msg}", path.display())]
    Unsupported { path: PathBuf, msg: String },
}

impl ImportError {
    pub fn parse(path: &Path, line: usize, msg: impl Into<String>) -> Self {
        ImportError::Parse {
            path: path.to_path_buf(),
            line,
            msg: msg.into(),
        }
    }

    pub fn binary(path: &Path, offset: u64, msg: impl Into<String>) -> Self {
        ImportError::Binary {
            path: path.to_path_buf(),
            offset,
            msg: msg.into(),
        }
    }

    pub fn invalid(path: &Path, msg: impl Into<String>) -> Self {
        ImportError::Invalid {
            path: path.to_path_buf(),
            msg: msg.into(),
        }
    }

    pub fn mesh(path: &Path, source: MeshError) -> Self {
        ImportError::Mesh {
            path: path.to_path_buf(),
            source,
        }
    }

    pub fn unsupported(path: &Path, msg: impl Into<String>) -> Self {
        ImportError::Unsupported {
            path: path.to_path_buf(),
            msg: msg.into(),
        }
    }

    pub fn io(path: &Path, source: std::io::Error) -> Self {
        ImportError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The lower-cased extension of `path` (`"msh"`, `"vtu"`), or `""`.
pub fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// The mesh file formats cardiotwin reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// VTK XML UnstructuredGrid (any encoding, compressed or not; writes binary zlib).
    Vtu,
    /// Legacy VTK, ASCII or binary (read only).
    VtkLegacy,
    /// Gmsh MSH 2.2 / 4.1, text or binary (writes 4.1 text).
    Gmsh,
    /// openCARP `.pts` / `.elem` / `.lon` / `.surf` / `.vtx` (micrometres).
    OpenCarp,
    /// TetGen `.node` / `.ele` / `.face`.
    TetGen,
    /// Abaqus `.inp`.
    Abaqus,
    /// Wavefront `.obj` closed triangle surface, tetrahedralised on reading (see [`surface`]).
    Obj,
    /// `.stl` closed triangle surface (ASCII or binary), tetrahedralised on reading (see [`surface`]).
    Stl,
    /// VTK XML PolyData closed surface, tetrahedralised on reading.
    Vtp,
}

impl Format {
    /// The format of `path`, by extension.
    pub fn of(path: &Path) -> Result<Format, ImportError> {
        match extension(path).as_str() {
            "msh" => Ok(Format::Gmsh),
            "vtu" => Ok(Format::Vtu),
            "vtk" => Ok(Format::VtkLegacy),
            "pts" | "elem" | "lon" => Ok(Format::OpenCarp),
            "node" | "ele" | "face" => Ok(Format::TetGen),
            "inp" => Ok(Format::Abaqus),
            "obj" => Ok(Format::Obj),
            "stl" => Ok(Format::Stl),
            "vtp" => Ok(Format::Vtp),
            other => Err(ImportError::unsupported(
                path,
                format!(
                    "extension {other:?}: expected .vtu or .vtk (VTK), .msh (Gmsh), .pts/.elem (openCARP), \
                     .node/.ele (TetGen), .inp (Abaqus) or .obj/.stl/.vtp (closed surface)"
                ),
            )),
        }
    }
}

/// Reads a mesh, choosing the format by extension. Closed surfaces (`.obj`, `.stl`, `.vtp`) are tetrahedralised
/// with an element size of 1/25 of their bounding-box diagonal; use [`read_with_element_size`] to choose.
pub fn read(path: &Path) -> Result<TetMesh, ImportError> {
    match Format::of(path)? {
        Format::Gmsh => gmsh::read(path, &load(path)?),
        Format::Vtu => {
            let mut mesh = vtk::read_vtu(path, &load(path)?)?;
            names_sidecar(path, &mut mesh)?;
            Ok(mesh)
        }
        Format::VtkLegacy => vtk::read_legacy(path, &load(path)?),
        Format::OpenCarp => opencarp::read(path),
        Format::TetGen => tetgen::read(path),
        Format::Abaqus => abaqus::read(path),
        Format::Obj | Format::Stl | Format::Vtp => surface::read(path),
    }
}

/// Writes a mesh, choosing the format by extension; returns the files written.
pub fn write(path: &Path, mesh: &TetMesh) -> Result<Vec<PathBuf>, ImportError> {
    match Format::of(path)? {
        Format::Gmsh => write_file(path, &gmsh::write(mesh)),
        Format::Vtu => write_file(path, &vtk::write_vtu(mesh)),
        Format::OpenCarp => opencarp::write(path, mesh).map_err(|e| ImportError::io(path, e)),
        other => Err(ImportError::unsupported(
            path,
            format!("writing {other:?} files; write .vtu, .msh (Gmsh) or .pts (openCARP) instead"),
        )),
    }
}

/// Names of region and surface tags from `X.namemap.json` beside `X.vtu`, where present (as written by
/// pyansys-heart for the Rodero hearts): `{"_surface_id_to_name": {"393379": "Left ventricle
/// endocardium", ...}, "_volume_id_to_name": {"1": "Left ventricle", ...}}`. Names already in the file win.
fn names_sidecar(path: &Path, mesh: &mut TetMesh) -> Result<(), ImportError> {
    let sidecar = path.with_extension("namemap.json");
    if !sidecar.exists() {
        return Ok(());
    }
    let text = std::fs::read_to_string(&sidecar).map_err(|e| ImportError::io(&sidecar, e))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| ImportError::parse(&sidecar, e.line(), format!("not valid JSON: {e}")))?;
    let table = |key: &str| -> Vec<(i32, String)> {
        value
            .get(key)
            .and_then(|v| v.as_object())
            .map(|o| {
                o.iter()
                    .filter_map(|(k, v)| Some((k.parse().ok()?, v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    };
    for (tag, name) in table("_volume_id_to_name") {
        mesh.region_names.entry(tag).or_insert(name);
    }
    for (tag, name) in table("_surface_id_to_name") {
        mesh.surface_names.entry(tag).or_insert(name);
    }
    log::info!("tag names from {}", sidecar.display());
    Ok(())
}

fn load(path: &Path) -> Result<Vec<u8>, ImportError> {
    std::fs::read(path).map_err(|e| ImportError::io(path, e))
}

/// Writes `bytes` to `path` through a temporary file and a rename, so a finished result is never left
/// half-written.
fn write_file(path: &Path, bytes: &[u8]) -> Result<Vec<PathBuf>, ImportError> {
    let tmp = path.with_extension(format!("{}.tmp", extension(path)));
    std::fs::write(&tmp, bytes).map_err(|e| ImportError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| ImportError::io(path, e))?;
    Ok(vec![path.to_path_buf()])
}
