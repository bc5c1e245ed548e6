//! Rest geometry on the GPU (f32): the kernel `rest_geometry` of `shaders/rest_geometry.wgsl`.

use bytemuck::{Pod, Zeroable};

use super::RestGeometry;
use crate::gpu::shaders::REST_GEOMETRY;
use crate::gpu::{Access, Batch, BatchTiming, GpuBuffer, GpuContext, GpuError, GpuMesh, Kernel};
use crate::mesh::TetMesh;

/// `RestGeometry` of `shaders/rest_geometry.wgsl`: `mat3x3<f32>` is three 16-byte columns.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct RestGeometryGpu {
    /// Columns of Dm^-1, each padded to four floats.
    pub dm_inv_cols: [[f32; 4]; 3],
    pub volume: f32,
    pub quality: f32,
    pub _pad: [f32; 2],
}
const _: () = assert!(size_of::<RestGeometryGpu>() == 64);

impl From<RestGeometryGpu> for RestGeometry {
    fn from(g: RestGeometryGpu) -> Self {
        let c = g.dm_inv_cols;
        RestGeometry {
            dm_inv: std::array::from_fn(|r| std::array::from_fn(|col| c[col][r] as f64)),
            volume: g.volume as f64,
            quality: g.quality as f64,
        }
    }
}

/// The compiled kernel; build once, run on any number of meshes.
pub struct RestGeometryKernel {
    kernel: Kernel,
}

impl RestGeometryKernel {
    pub fn new(ctx: &GpuContext) -> Result<Self, GpuError> {
        let kernel = Kernel::new(
            ctx,
            &REST_GEOMETRY,
            "rest_geometry",
            &[Access::Read, Access::Read, Access::ReadWrite],
        )?;
        Ok(RestGeometryKernel { kernel })
    }

    /// Records the kernel over every tet of `mesh` into `batch`, writing `out` (one entry per tet). Tets
    /// and output are bound in chunks that fit the device's per-binding limit.
    pub fn record(
        &self,
        ctx: &GpuContext,
        batch: &mut Batch<'_>,
        mesh: &GpuMesh,
        out: &GpuBuffer<RestGeometryGpu>,
    ) -> Result<(), GpuError> {
        let chunk = Kernel::chunk_items(
            ctx,
            &[
                size_of::<[u32; 4]>() as u64,
                size_of::<RestGeometryGpu>() as u64,
            ],
        );
        self.record_chunked(batch, mesh, out, chunk)
    }

    /// As [`Self::record`] with chunks of `chunk` tets (a multiple of the offset alignment that fits one
    /// binding).
    pub fn record_chunked(
        &self,
        batch: &mut Batch<'_>,
        mesh: &GpuMesh,
        out: &GpuBuffer<RestGeometryGpu>,
        chunk: usize,
    ) -> Result<(), GpuError> {
        batch.dispatch_chunked(&self.kernel, mesh.tet_count(), chunk, |r| {
            vec![mesh.nodes.whole(), mesh.tets.range(r.clone()), out.range(r)]
        })
    }

    /// Uploads `mesh`, runs the kernel and reads the result back (f32 widened to f64).
    pub fn run(
        &self,
        ctx: &GpuContext,
        mesh: &TetMesh,
    ) -> Result<(Vec<RestGeometry>, BatchTiming), GpuError> {
        let gpu_mesh = GpuMesh::upload(ctx, mesh)?;
        let out = GpuBuffer::<RestGeometryGpu>::zeroed(ctx, "rest geometry", mesh.tet_count())?;
        let mut batch = Batch::new(ctx, "rest geometry");
        self.record(ctx, &mut batch, &gpu_mesh, &out)?;
        let timing = batch.submit()?;
        let result = out.read(ctx)?.into_iter().map(RestGeometry::from).collect();
        Ok((result, timing))
    }
}
