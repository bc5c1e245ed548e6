//! Mesh files in and out, chosen by extension (and, where extensions are ambiguous, by content).
//!
//! Every reader takes the file's bytes and its path (for messages) and returns a whole [`TetMesh`] or an
//! [`ImportError`] that names the file, the line (text formats) or byte offset (binary formats), and what
//! was expected: never a panic, never a silently partial mesh. Parsers are pure functions of the bytes so
//! they can be fuzzed.

pub mod abaqus;
pub mod opencarp;
pub mod surface;
pub mod tetgen;
mod text;

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
}

impl Format {
    /// The format of `path`, by extension.
    pub fn of(path: &Path) -> Result<Format, ImportError> {
        match extension(path).as_str() {
            "pts" | "elem" | "lon" => Ok(Format::OpenCarp),
            "node" | "ele" | "face" => Ok(Format::TetGen),
            "inp" => Ok(Format::Abaqus),
            "obj" => Ok(Format::Obj),
            "stl" => Ok(Format::Stl),
            other => Err(ImportError::unsupported(
                path,
                format!(
                    "extension {other:?}: expected .pts/.elem (openCARP), .node/.ele (TetGen), .inp (Abaqus) \
                     or .obj/.stl (closed surface)"
                ),
            )),
        }
    }
}

/// Reads a mesh, choosing the format by extension. Closed surfaces (`.obj`, `.stl`) are tetrahedralised
/// with an element size of 1/25 of their bounding-box diagonal; use [`read_with_element_size`] to choose.
pub fn read(path: &Path) -> Result<TetMesh, ImportError> {
    match Format::of(path)? {
        Format::OpenCarp => opencarp::read(path),
        Format::TetGen => tetgen::read(path),
        Format::Abaqus => abaqus::read(path),
        Format::Obj | Format::Stl => surface::read(path),
    }
}

/// Writes a mesh, choosing the format by extension; returns the files written.
pub fn write(path: &Path, mesh: &TetMesh) -> Result<Vec<PathBuf>, ImportError> {
    match Format::of(path)? {
        Format::OpenCarp => opencarp::write(path, mesh).map_err(|e| ImportError::io(path, e)),
        other => Err(ImportError::unsupported(
            path,
            format!("writing {other:?} files; write .pts (openCARP) instead"),
        )),
    }
}
