//! The explicit total-Lagrangian step on the GPU (f32): the kernels of `shaders/mech_element.wgsl` and
//! `shaders/mech_node.wgsl`, twins of [`super::tled`]. State stays on the GPU between steps: positions in
//! three buffers that rotate (previous, current, next), no readback until asked.
//!
//! This first GPU slice runs the compressible neo-Hookean law; the others follow with the mechanics issue.

use bytemuck::{Pod, Zeroable};
use glam::DVec3;

use super::loads::Constraints;
use super::material::Material;
use super::tled::{SimError, TledModel, TledState, Volumetric};
use crate::error::{Error, Result};
use crate::gpu::shaders::{MECH_ELEMENT, MECH_NODE};
use crate::gpu::{Access, Batch, GpuBuffer, GpuContext, GpuError, Kernel};

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct NeoHookeanParams {
    mu: f32,
    lambda: f32,
    _pad: [f32; 2],
}
const _: () = assert!(size_of::<NeoHookeanParams>() == 16);

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct StepParams {
    gravity: [f32; 3],
    dt: f32,
    alpha: f32,
    _pad: [f32; 3],
}
const _: () = assert!(size_of::<StepParams>() == 32);

/// A TLED model and its state, resident on the GPU.
pub struct GpuTled {
    element: Kernel,
    node: Kernel,
    material: GpuBuffer<NeoHookeanParams>,
    params: GpuBuffer<StepParams>,
    tets: GpuBuffer<[u32; 4]>,
    tet_data: GpuBuffer<[[f32; 4]; 4]>,
    vp: GpuBuffer<[[f32; 4]; 3]>,
    status: GpuBuffer<u32>,
    offsets: GpuBuffer<u32>,
    entries: GpuBuffer<[u32; 2]>,
    x: [GpuBuffer<[f32; 4]>; 3],
    /// Index in `x` of the current positions; `cur + 2` (mod 3) holds the previous ones.
    cur: usize,
    node_info: GpuBuffer<[f32; 4]>,
    targets: GpuBuffer<[f32; 4]>,
    origin: DVec3,
    regions: Vec<i32>,
    tet_nodes: Vec<[u32; 4]>,
    pub step: u64,
}

impl GpuTled {
    /// Uploads `model` and `state`, with the fixed components of `constraints` (for the run).
    pub fn new(
        ctx: &GpuContext,
        model: &TledModel,
        state: &TledState,
        constraints: &Constraints,
    ) -> Result<Self> {
        let unsupported = |what: &str| {
            Err(Error::Invalid(format!(
                "the GPU mechanics step does not support {what} yet; use the CPU backend"
            )))
        };
        let [Material::NeoHookean(nh)] = model.materials[..] else {
            return unsupported("laws other than one neo-Hookean material");
        };
        if model.volumetric != Volumetric::Element {
            return unsupported("nodal pressure averaging");
        }
        if model.viscosity.is_some() {
            return unsupported("viscosity");
        }
        if !constraints.sliding.is_empty() {
            return unsupported("sliding conditions");
        }
        let prescribed = &constraints.fixed;
        let n_nodes = state.x.len();
        let origin = state.x.iter().fold(DVec3::ZERO, |a, p| a + *p) / n_nodes.max(1) as f64;
        let rel = |p: DVec3| {
            let q = p - origin;
            [q.x as f32, q.y as f32, q.z as f32, 0.0]
        };
        let tet_data: Vec<[[f32; 4]; 4]> = model
            .grads
            .iter()
            .zip(&model.volume0)
            .map(|(g, &v)| {
                std::array::from_fn(|a| {
                    [
                        g[a].x as f32,
                        g[a].y as f32,
                        g[a].z as f32,
                        if a == 0 { v as f32 } else { 0.0 },
                    ]
                })
            })
            .collect();
        let mut node_info: Vec<[f32; 4]> = model
            .mass
            .iter()
            .map(|&m| [m as f32, 0.0, 0.0, 0.0])
            .collect();
        let mut targets: Vec<[f32; 4]> = state.x.iter().map(|&p| rel(p)).collect();
        for &(node, axis, value) in prescribed.iter() {
            let n = node as usize;
            let mask = node_info[n][1] as u32 | (1 << axis);
            node_info[n][1] = mask as f32;
            targets[n][axis] = (value - origin[axis]) as f32;
        }
        let adjacency = model.adjacency();
        let current: Vec<[f32; 4]> = state.x.iter().map(|&p| rel(p)).collect();
        let previous: Vec<[f32; 4]> = state.x_prev.iter().map(|&p| rel(p)).collect();
        let element = Kernel::new(
            ctx,
            &MECH_ELEMENT,
            "element_pass",
            &[
                Access::Uniform,
                Access::Read,
                Access::Read,
                Access::Read,
                Access::ReadWrite,
                Access::ReadWrite,
            ],
        )?;
        let mut node_access = vec![Access::Uniform, Access::Read, Access::Read, Access::Read];
        node_access.extend([Access::Read, Access::Read, Access::Read, Access::ReadWrite]);
        node_access.extend([Access::Read, Access::Read]);
        let node = Kernel::new(ctx, &MECH_NODE, "node_pass", &node_access)?;
        let buffer = |label: &str, data: &[[f32; 4]]| GpuBuffer::from_slice(ctx, label, data);
        Ok(GpuTled {
            element,
            node,
            material: GpuBuffer::uniform(
                ctx,
                "neo-Hookean",
                &NeoHookeanParams {
                    mu: nh.mu as f32,
                    lambda: nh.lambda as f32,
                    _pad: [0.0; 2],
                },
            )?,
            params: GpuBuffer::uniform(ctx, "step params", &StepParams::zeroed())?,
            tets: GpuBuffer::from_slice(ctx, "tets", &model.tets)?,
            tet_data: GpuBuffer::from_slice(ctx, "tet data", &tet_data)?,
            vp: GpuBuffer::zeroed(ctx, "V0 P", model.tets.len())?,
            status: GpuBuffer::from_slice(ctx, "status", &[u32::MAX])?,
            offsets: GpuBuffer::from_slice(ctx, "node offsets", &adjacency.offsets)?,
            entries: GpuBuffer::from_slice(ctx, "node entries", &adjacency.entries)?,
            x: [
                buffer("x0", &current)?,
                buffer("x1", &current)?,
                buffer("x2", &previous)?,
            ],
            cur: 0,
            node_info: buffer("node info", &node_info)?,
            targets: buffer("targets", &targets)?,
            origin,
            regions: model.regions.clone(),
            tet_nodes: model.tets.clone(),
            step: state.step,
        })
    }

    /// Advances `steps` steps of `dt` ms with damping `alpha` (1/ms) and gravity (mm/ms^2), submitting once.
    /// An inverted tetrahedron ends the run with [`SimError::Inverted`] (the step is the last of the batch).
    pub fn run(
        &mut self,
        ctx: &GpuContext,
        steps: u32,
        dt: f64,
        alpha: f64,
        gravity: DVec3,
    ) -> Result<()> {
        self.params.write(
            ctx,
            &[StepParams {
                gravity: gravity.as_vec3().to_array(),
                dt: dt as f32,
                alpha: alpha as f32,
                _pad: [0.0; 3],
            }],
        );
        let (n_tets, n_nodes) = (self.tets.len() as u32, self.x[0].len() as u32);
        let mut batch = Batch::new(ctx, "mechanics steps");
        for _ in 0..steps {
            let (cur, prev, next) = (self.cur, (self.cur + 2) % 3, (self.cur + 1) % 3);
            batch.dispatch(
                &self.element,
                &[
                    self.material.whole(),
                    self.tets.whole(),
                    self.tet_data.whole(),
                    self.x[cur].whole(),
                    self.vp.whole(),
                    self.status.whole(),
                ],
                n_tets,
                0,
            )?;
            batch.dispatch(
                &self.node,
                &[
                    self.params.whole(),
                    self.offsets.whole(),
                    self.entries.whole(),
                    self.vp.whole(),
                    self.tet_data.whole(),
                    self.x[cur].whole(),
                    self.x[prev].whole(),
                    self.x[next].whole(),
                    self.node_info.whole(),
                    self.targets.whole(),
                ],
                n_nodes,
                0,
            )?;
            self.cur = next;
        }
        batch.submit()?;
        self.step += steps as u64;
        let status = self.status.read(ctx)?;
        match status.first() {
            Some(&t) if t != u32::MAX => Err(SimError::Inverted {
                step: self.step,
                tet: t as usize,
                region: self.regions.get(t as usize).copied().unwrap_or(0),
                nodes: self.tet_nodes.get(t as usize).copied().unwrap_or_default(),
                j: f64::NAN,
            }
            .into()),
            Some(_) => Ok(()),
            None => Err(GpuError::Readback {
                label: "status".into(),
                message: "empty".into(),
            }
            .into()),
        }
    }

    /// The current positions, mm.
    pub fn positions(&self, ctx: &GpuContext) -> Result<Vec<DVec3>> {
        Ok(self.x[self.cur]
            .read(ctx)?
            .iter()
            .map(|p| DVec3::new(p[0] as f64, p[1] as f64, p[2] as f64) + self.origin)
            .collect())
    }
}
