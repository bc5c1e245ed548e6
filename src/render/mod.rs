//! Rendering of the heart's states: the boundary surface of the mesh, deformed by its displacement and
//! coloured by a field (stress, activation, tension), lit, with a colour bar, drawn by wgpu into any
//! texture view: an offscreen texture read back as an image (`cardiotwin render`: PNG stills, GIF beat
//! animations) or a window's frame.
//!
//! Pieces, in the order data flows:
//! - [`SurfaceMesh`]: the boundary of the tetrahedral mesh, extracted once; per state the positions of
//!   its vertices (rest + `displacement`) and one scalar per vertex ([`ScalarField`]: point fields at the
//!   node, cell fields averaged over the tetrahedra around it, weighted by volume).
//! - [`Renderer`]: pipelines for one target format; uploads the triangles once and the vertices per state
//!   (normals recomputed from the deformed surface), and records a render pass: depth-tested, multisampled
//!   4x where the adapter allows, colour map per fragment, Lambert plus ambient lighting, optional clipping
//!   plane, and the colour bar.
//! - [`Camera`]: orbit, pan, zoom; presets `anterior`, `posterior`, `long-axis`, `short-axis` from the
//!   heart's principal axis ([`HeartAxes`]).
//! - [`ColourMap`]: viridis for fields of one sign, blue-white-red for signed ones (fibre stress).
//! - [`glyphs`]: fibre glyphs, short segments along the fibres on the surface.
//! - [`section`]: the cut face where the clipping plane crosses the wall, valued through its thickness.
//! - [`colour_bar`]: the bar, its ticks and labels and the unit, drawn on the CPU with the embedded font of
//!   [`crate::plot`] and composited by the GPU as a textured rectangle (so the same code serves offscreen
//!   images and windows).
//! - [`gather`]: the same vertices computed on the GPU from a simulation's node buffers, for simulations
//!   that run there (no readback per frame).
//! - [`job`]: `cardiotwin render`: a result folder (`fields.pvd`) or one mesh file in, a PNG or GIF out.
//!
//! Shaders: `shaders/render_surface.wgsl` ([`crate::gpu::shaders::RENDER_SURFACE`]) and
//! `shaders/surface_gather.wgsl` ([`crate::gpu::shaders::SURFACE_GATHER`]).

pub mod camera;
pub mod colour;
pub mod colour_bar;
pub mod gather;
pub mod glyphs;
pub mod job;
pub mod renderer;
pub mod section;
pub mod surface;

use std::path::PathBuf;

pub use camera::{Camera, ClipPlane, Cut, HeartAxes, ViewPreset};
pub use colour::ColourMap;
pub use renderer::{
    IMAGE_FORMAT, Offscreen, Renderer, View, read_texture, scene_aspect, scene_viewport,
};
pub use surface::{KNOWN_FIELDS, KnownField, ScalarField, SurfaceMesh, auto_range};

use crate::gpu::GpuError;
use crate::mesh::io::ImportError;

/// Why a picture could not be made. Each says what was wrong with the input, or what failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Gpu(#[from] GpuError),
    #[error(transparent)]
    Mesh(#[from] ImportError),
    #[error("no field {name:?}; fields present: {}", if available.is_empty() { "none".to_string() } else { available.join(", ") })]
    NoField {
        name: String,
        available: Vec<String>,
    },
    #[error("{0}")]
    Input(String),
    #[error("drawing: {0}")]
    Draw(String),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("encoding {}: {source}", path.display())]
    Encode {
        path: PathBuf,
        #[source]
        source: image::ImageError,
    },
}
