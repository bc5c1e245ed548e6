//! A [`TetMesh`] uploaded to the GPU: nodes as `vec4<f32>` relative to the mesh centre, tets as
//! `vec4<u32>`. Every mesh kernel binds these.

use crate::mesh::TetMesh;

use super::{GpuBuffer, GpuContext, GpuError};

pub struct GpuMesh {
    /// xyz in mm relative to [`GpuMesh::origin`], w = 0.
    pub nodes: GpuBuffer<[f32; 4]>,
    pub tets: GpuBuffer<[u32; 4]>,
    /// The mesh's bounding-box centre (mm, f64), subtracted before rounding to f32 so that precision does not
    /// depend on where the scanner put the origin.
    pub origin: [f64; 3],
}

impl GpuMesh {
    pub fn upload(ctx: &GpuContext, mesh: &TetMesh) -> Result<Self, GpuError> {
        let origin = mesh.bbox().centre();
        let nodes: Vec<[f32; 4]> = mesh
            .nodes()
            .iter()
            .map(|p| {
                [
                    (p[0] - origin[0]) as f32,
                    (p[1] - origin[1]) as f32,
                    (p[2] - origin[2]) as f32,
                    0.0,
                ]
            })
            .collect();
        let node_bytes = (nodes.len() * size_of::<[f32; 4]>()) as u64;
        if node_bytes > ctx.max_binding_bytes() {
            // Kernels gather nodes by index, so the node array is one binding.
            return Err(GpuError::BufferTooLarge {
                label: "mesh nodes (one binding)".into(),
                bytes: node_bytes,
                max: ctx.max_binding_bytes(),
            });
        }
        Ok(GpuMesh {
            nodes: GpuBuffer::from_slice(ctx, "mesh nodes", &nodes)?,
            tets: GpuBuffer::from_slice(ctx, "mesh tets", mesh.tets())?,
            origin,
        })
    }

    pub fn tet_count(&self) -> usize {
        self.tets.len()
    }
}
