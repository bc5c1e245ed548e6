//! Small utility kernels of `shaders/util.wgsl`.

use super::shaders::UTIL;
use super::{Access, Batch, GpuBuffer, GpuContext, GpuError, Kernel};

/// `out[i] = i` for every element of a `u32` buffer, in chunks of at most one binding. Used to initialise
/// index buffers and, in the tests, to prove that dispatches past 65,535 workgroups and chunked bindings
/// reach every element exactly once.
pub struct Iota {
    kernel: Kernel,
}

impl Iota {
    pub fn new(ctx: &GpuContext) -> Result<Self, GpuError> {
        Ok(Iota {
            kernel: Kernel::new(ctx, &UTIL, "iota_u32", &[Access::ReadWrite])?,
        })
    }

    /// Records the fill of `out` in chunks of at most `chunk` elements (use [`Kernel::chunk_items`], or a
    /// smaller multiple of the offset alignment to exercise chunking).
    pub fn record(
        &self,
        batch: &mut Batch<'_>,
        out: &GpuBuffer<u32>,
        chunk: usize,
    ) -> Result<(), GpuError> {
        batch.dispatch_chunked(&self.kernel, out.len(), chunk, |r| vec![out.range(r)])
    }

    pub fn kernel(&self) -> &Kernel {
        &self.kernel
    }
}
