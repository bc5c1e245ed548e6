//! The renderer's vertices gathered on the GPU from a simulation's own buffers (`shaders/surface_gather.wgsl`):
//! positions from the rest positions and displacements of the mechanics, normals from the deformed
//! triangles, and the value of a field, written straight into the [`Renderer`]'s vertex buffer. A
//! simulation on the GPU is drawn this way without its state coming back to the CPU; the CPU twin is
//! [`Renderer::update`] with [`SurfaceMesh::tet_values`].

use bytemuck::{Pod, Zeroable};
use glam::DVec3;

use super::RenderError;
use super::renderer::Renderer;
use super::surface::SurfaceMesh;
use crate::gpu::shaders::SURFACE_GATHER;
use crate::gpu::{Access, Batch, GpuBuffer, GpuContext, Kernel, Range};
use crate::mesh::topology::node_csr;

/// `GatherParams` of `shaders/surface_gather.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct GatherParams {
    shift: [f32; 4],
    field: u32,
    tri_offsets: u32,
    tri_entries: u32,
    triangles: u32,
    cell_offsets: u32,
    cell_entries: u32,
    weights: u32,
    statics: u32,
}
const _: () = assert!(size_of::<GatherParams>() == 48);

/// What the vertices' values are.
#[derive(Clone, Copy)]
pub enum GatherField<'a> {
    /// No value (drawn in the no-data colour).
    None,
    /// The length of the displacement, mm.
    DisplacementMagnitude,
    /// A value per tetrahedron on the GPU, averaged onto the vertices by rest volume.
    PerTet(Range<'a>),
    /// The values given to [`SurfaceGather::new`], one per vertex.
    Static,
}

/// The mechanics' node state to draw.
#[derive(Clone, Copy)]
pub struct NodeState<'a> {
    /// Rest positions, `[f32; 4]` per node, mm, relative to `origin`.
    pub rest: Range<'a>,
    /// Displacements, `[f32; 4]` per node, mm.
    pub displacement: Range<'a>,
    /// What `rest` is relative to, mm.
    pub origin: DVec3,
}

/// The gather kernel and the surface's tables on the GPU.
pub struct SurfaceGather {
    kernel: Kernel,
    adj: GpuBuffer<u32>,
    consts: GpuBuffer<f32>,
    params: GatherParams,
    vertices: usize,
    nodes: usize,
    tets: usize,
}

impl SurfaceGather {
    /// Uploads the tables of `surface` (of a mesh of `nodes` nodes and `tets` tetrahedra) and, for
    /// [`GatherField::Static`], one value per vertex (`statics`; NaN: none).
    pub fn new(
        ctx: &GpuContext,
        surface: &SurfaceMesh,
        statics: Option<&[f32]>,
    ) -> Result<Self, RenderError> {
        use Access::{Read, ReadWrite, Uniform};
        let v = surface.vertex_count();
        if let Some(s) = statics
            && s.len() != v
        {
            return Err(RenderError::Input(format!(
                "{} static values for {v} surface vertices",
                s.len()
            )));
        }
        // Triangles around each vertex (CSR).
        let (tri_offsets, tri_entries) = node_csr(v, &surface.triangles);
        let (cell_offsets, cell_entries, volumes) = surface.cells();
        let mut adj = surface.nodes.clone();
        let at = |adj: &mut Vec<u32>, part: &[u32]| {
            let start = adj.len() as u32;
            adj.extend_from_slice(part);
            start
        };
        let params = GatherParams {
            shift: [0.0; 4],
            field: 0,
            tri_offsets: at(&mut adj, &tri_offsets),
            tri_entries: at(&mut adj, &tri_entries),
            triangles: at(
                &mut adj,
                &surface
                    .triangles
                    .iter()
                    .flatten()
                    .copied()
                    .collect::<Vec<_>>(),
            ),
            cell_offsets: at(&mut adj, cell_offsets),
            cell_entries: at(&mut adj, cell_entries),
            weights: 0,
            statics: cell_entries.len() as u32,
        };
        let mut consts: Vec<f32> = cell_entries
            .iter()
            .map(|&t| volumes[t as usize].max(1e-30) as f32)
            .collect();
        consts.extend(statics.unwrap_or(&[]).iter().copied());
        Ok(SurfaceGather {
            kernel: Kernel::new(
                ctx,
                &SURFACE_GATHER,
                "surface_gather",
                &[Uniform, Read, Read, Read, Read, Read, ReadWrite],
            )?,
            adj: GpuBuffer::from_slice(ctx, "surface gather tables", &adj)?,
            consts: GpuBuffer::from_slice(ctx, "surface gather weights", &consts)?,
            params,
            vertices: v,
            nodes: surface
                .nodes
                .iter()
                .map(|&n| n as usize + 1)
                .max()
                .unwrap_or(0),
            tets: volumes.len(),
        })
    }

    /// Records the pass that writes `renderer`'s vertices (its surface must be the one given to
    /// [`SurfaceGather::new`]) from `state`, valued by `field`.
    pub fn record(
        &self,
        ctx: &GpuContext,
        batch: &mut Batch<'_>,
        state: NodeState<'_>,
        field: GatherField<'_>,
        renderer: &Renderer,
    ) -> Result<(), RenderError> {
        let out = renderer
            .vertex_range()
            .ok_or_else(|| RenderError::Input("no surface set".into()))?;
        let node_bytes = (self.nodes * 16) as u64;
        if out.size < (self.vertices * 32) as u64
            || state.rest.size < node_bytes
            || state.displacement.size < node_bytes
        {
            return Err(RenderError::Input(format!(
                "buffers too small for a surface of {} vertices over {} nodes",
                self.vertices, self.nodes
            )));
        }
        let (code, cells) = match field {
            GatherField::None => (0, None),
            GatherField::DisplacementMagnitude => (1, None),
            GatherField::PerTet(r) => {
                if r.size < (self.tets * 4) as u64 {
                    return Err(RenderError::Input(format!(
                        "{} bytes of per-tetrahedron values for {} tetrahedra",
                        r.size, self.tets
                    )));
                }
                (2, Some(r))
            }
            GatherField::Static => {
                if self.consts.len() < self.params.statics as usize + self.vertices {
                    return Err(RenderError::Input(
                        "no static values were uploaded for this surface".into(),
                    ));
                }
                (3, None)
            }
        };
        let shift = (state.origin - renderer.origin()).as_vec3();
        let params = GpuBuffer::uniform(
            ctx,
            "surface gather params",
            &GatherParams {
                shift: [shift.x, shift.y, shift.z, 0.0],
                field: code,
                ..self.params
            },
        )?;
        batch.dispatch(
            &self.kernel,
            &[
                params.whole(),
                self.adj.whole(),
                self.consts.whole(),
                state.rest,
                state.displacement,
                // Any buffer will do where the field reads none.
                cells.unwrap_or(self.consts.whole()),
                out,
            ],
            self.vertices as u32,
            0,
        )?;
        Ok(())
    }
}
