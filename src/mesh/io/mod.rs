//! Mesh files in and out, chosen by extension (and, where extensions are ambiguous, by content).
//!
//! Every reader takes the file's bytes and its path (for messages) and returns a whole [`TetMesh`](super::TetMesh) or an
//! [`ImportError`] that names the file, the line (text formats) or byte offset (binary formats), and what
//! was expected: never a panic, never a silently partial mesh. Parsers are pure functions of the bytes so
//! they can be fuzzed.

pub mod abaqus;
pub mod gmsh;
pub mod opencarp;
pub mod pvd;
pub mod tetgen;
mod text;
pub mod vtk;
pub mod vtk_legacy;
pub mod vtu;
mod vtu_data;
pub mod vtu_write;

use std::path::{Path, PathBuf};

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
            other => Err(ImportError::unsupported(
                path,
                format!(
                    "extension {other:?}: expected .vtu or .vtk (VTK), .msh (Gmsh), .pts/.elem (openCARP), .node/.ele (TetGen) or .inp (Abaqus)"
                ),
            )),
        }
    }
}

/// Reads a mesh, choosing the format by extension.
pub fn read(path: &Path) -> Result<TetMesh, ImportError> {
    match Format::of(path)? {
        Format::Gmsh => gmsh::read(path, &load(path)?),
        Format::Vtu => vtk::read_vtu(path, &load(path)?),
        Format::VtkLegacy => vtk::read_legacy(path, &load(path)?),
        Format::OpenCarp => opencarp::read(path),
        Format::TetGen => tetgen::read(path),
        Format::Abaqus => abaqus::read(path),
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
