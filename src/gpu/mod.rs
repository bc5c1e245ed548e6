//! The wgpu runtime: adapter discovery and choice, device creation (headless or for a window), typed
//! buffers, compute kernels and the embedded WGSL shaders.
//!
//! A kernel is a pair: `shaders/<name>.wgsl` and the Rust file that owns its pipeline and bindings (for
//! example [`crate::geometry::gpu`]). Callers never touch bind group layouts: see [`Kernel`].

mod adapter;
mod buffer;
mod context;
mod kernel;
mod mesh;
pub mod shaders;
mod surface;
pub mod util;

pub use adapter::{
    AdapterReport, FeatureReport, GpuInventory, LimitReport, backends_to_string, is_hardware,
};
pub use buffer::{GpuBuffer, Range};
pub use context::GpuContext;
pub use kernel::{
    Access, Batch, BatchTiming, BoundDispatch, DispatchParams, Grid, Kernel, WORKGROUP_SIZE,
};
pub use mesh::GpuMesh;
pub use surface::WindowSurface;

/// Errors of the GPU runtime. Each says what was tried and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    #[error(
        "no GPU adapter found (tried wgpu backends: {tried}). \
         To run on the GPU backend install a Vulkan driver, e.g. Mesa's software driver lavapipe: \
         `apt-get install mesa-vulkan-drivers libvulkan1` (or a GL/EGL driver), check that \
         VK_ICD_FILENAMES / WGPU_BACKEND do not point elsewhere, or use `--backend cpu`"
    )]
    NoAdapter { tried: String },
    #[error(
        "no adapter name contains {wanted:?} (CARDIOTWIN_ADAPTER / --adapter); adapters found: {found}"
    )]
    AdapterNotFound { wanted: String, found: String },
    #[error("could not create a device on adapter {adapter:?}: {source}")]
    RequestDevice {
        adapter: String,
        #[source]
        source: wgpu::RequestDeviceError,
    },
    #[error("could not create a window surface: {0}")]
    Surface(String),
    #[error(
        "buffer {label:?} needs {bytes} bytes but the adapter allows at most {max} per buffer; \
         use a coarser mesh or a GPU with more memory"
    )]
    BufferTooLarge { label: String, bytes: u64, max: u64 },
    #[error("GPU validation error in {what}: {message}")]
    Validation { what: String, message: String },
    #[error("reading back buffer {label:?} failed: {message}")]
    Readback { label: String, message: String },
    #[error("waiting for the GPU failed: {0}")]
    Poll(String),
    #[error("shader {name:?} ({file}) failed to {stage}:\n{message}")]
    Shader {
        name: String,
        file: String,
        stage: &'static str,
        message: String,
    },
}
