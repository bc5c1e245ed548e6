//! The crate's top-level error: each module has its own `thiserror` enum, gathered here with `#[from]`.

use crate::coupling::cavity::CavityError;
use crate::coupling::circulation::CirculationError;
use crate::gpu::GpuError;
use crate::mechanics::tled::SimError;
use crate::mechanics::{LoadError, MaterialError};
use crate::mesh::MeshError;

/// Any error a cardiotwin library call can return.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Gpu(#[from] GpuError),
    #[error(transparent)]
    Mesh(#[from] MeshError),
    #[error(transparent)]
    Material(#[from] MaterialError),
    #[error(transparent)]
    Circulation(#[from] CirculationError),
    #[error(transparent)]
    Sim(#[from] SimError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Cavity(#[from] CavityError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// Wraps an I/O error with what was being done (usually the path).
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
