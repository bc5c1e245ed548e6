//! Mesh files in and out, chosen by extension (and, where extensions are ambiguous, by content).
//!
//! Every reader takes the file's bytes and its path (for messages) and returns a whole [`TetMesh`] or an
//! [`ImportError`] that names the file, the line (text formats) or byte offset (binary formats), and what
//! was expected: never a panic, never a silently partial mesh. Parsers are pure functions of the bytes so
//! they can be fuzzed.

pub mod pvd;
pub mod vtk;
pub mod vtk_legacy;
pub mod vtu;
mod vtu_data;
pub mod vtu_write;

use std::path::{Path, PathBuf};

use super::MeshError;

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
