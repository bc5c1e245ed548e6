//! The GPU layouts of the mechanics kernels (`#[repr(C)]` twins of the WGSL structs) and their packing
//! from the f64 model, loads and constraints on the host. Positions are stored relative to an origin (the
//! mean node position) so that f32 keeps the most digits of each coordinate.

use bytemuck::{Pod, Zeroable};
use glam::{DMat3, DVec3};

use crate::error::{Error, Result};
use crate::mechanics::loads::{Constraints, SpringLoad};
use crate::mechanics::material::{Material, Penalty};
use crate::mechanics::tled::TledModel;

/// `MaterialParams` of `shaders/mech_element.wgsl`: law tag, volumetric tag and parameters (kPa or
/// dimensionless, see the shader header).
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(super) struct MaterialParams {
    law: u32,
    penalty: u32,
    kappa: f32,
    k: f32,
    p0: [f32; 4],
    p1: [f32; 4],
}
const _: () = assert!(size_of::<MaterialParams>() == 48);

impl MaterialParams {
    pub(super) fn of(material: &Material) -> Self {
        let penalty = |p: &Penalty| match *p {
            Penalty::Off => (0, 0.0),
            Penalty::St91 { kappa } => (1, kappa as f32),
            Penalty::Quadratic { kappa } => (2, kappa as f32),
        };
        let f = |v: f64| v as f32;
        match material {
            Material::NeoHookean(m) => MaterialParams {
                law: 0,
                penalty: 3,
                kappa: f(m.lambda),
                k: 0.0,
                p0: [f(m.mu), 0.0, 0.0, 0.0],
                p1: [0.0; 4],
            },
            Material::Guccione(m) => {
                let (tag, kappa) = penalty(&m.penalty);
                MaterialParams {
                    law: 1,
                    penalty: tag,
                    kappa,
                    k: 0.0,
                    p0: [f(m.c), f(m.bf), f(m.bt), f(m.bfs)],
                    p1: [0.0; 4],
                }
            }
            Material::HolzapfelOgden(m) => {
                let (tag, kappa) = penalty(&m.penalty);
                MaterialParams {
                    law: 2,
                    penalty: tag,
                    kappa,
                    k: f(m.k),
                    p0: [f(m.a), f(m.b), f(m.a_f), f(m.b_f)],
                    p1: [f(m.a_s), f(m.b_s), f(m.a_fs), f(m.b_fs)],
                }
            }
        }
    }
}

/// `StepParams` of `shaders/common.wgsl`: one uniform, the same for every step of a batch.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(super) struct StepParams {
    pub gravity: [f32; 3],
    pub dt: f32,
    pub alpha: f32,
    pub eta: f32,
    pub active_form: u32,
    pub nodal: u32,
    /// 1: the displacement is u + lo (`mech_node.wgsl`, [`super::GpuTled::set_compensated`]).
    pub compensated: u32,
    /// 1.0 (`opaque` of `shaders/common.wgsl`).
    pub one: f32,
    pub _pad: [u32; 2],
}
const _: () = assert!(size_of::<StepParams>() == 48);

/// `NodeData` of `shaders/mech_node.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(super) struct NodeData {
    rest: [f32; 3],
    mass: f32,
    goal: [f32; 3],
    flags: u32,
    slide0: [f32; 3],
    spring: u32,
    slide1: [f32; 3],
    /// Physical mass (mg) that gravity acts on; differs from `mass` under mass scaling.
    weight: f32,
}
const _: () = assert!(size_of::<NodeData>() == 64);

/// `SpringData` of `shaders/mech_node.wgsl`: two 3x3 matrices, columns padded to vec4.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub(super) struct SpringData {
    k: [[f32; 4]; 3],
    c: [[f32; 4]; 3],
}
const _: () = assert!(size_of::<SpringData>() == 96);

pub(super) const NO_SPRING: u32 = u32::MAX;

/// A 3x3 matrix as WGSL's `mat3x3<f32>` (columns padded to vec4).
pub(super) fn mat3(m: DMat3) -> [[f32; 4]; 3] {
    [m.x_axis, m.y_axis, m.z_axis].map(|c| [c.x as f32, c.y as f32, c.z as f32, 0.0])
}

/// `p - origin` (formed in f64) as a padded f32 vector: how every position-like value is uploaded.
pub fn rel(p: DVec3, origin: DVec3) -> [f32; 4] {
    let q = p - origin;
    [q.x as f32, q.y as f32, q.z as f32, 0.0]
}

/// The xyz of a padded f32 vector in f64: how every one is read back.
pub fn wide(v: &[f32; 4]) -> DVec3 {
    DVec3::new(v[0] as f64, v[1] as f64, v[2] as f64)
}

fn unsupported(what: String) -> Error {
    Error::Invalid(format!(
        "the GPU mechanics step does not support {what}; use the CPU backend"
    ))
}

/// The per-node data: rest positions and masses, the constraints (fixed components, up to two distinct
/// sliding normals per node) and the index of the node's summed springs; plus those springs.
pub(super) fn nodes(
    model: &TledModel,
    origin: DVec3,
    constraints: &Constraints,
    springs: &[SpringLoad],
) -> Result<(Vec<NodeData>, Vec<SpringData>)> {
    let n = model.node_count();
    let mut out: Vec<NodeData> = (0..n)
        .map(|i| {
            let r = rel(model.rest[i], origin);
            NodeData {
                rest: [r[0], r[1], r[2]],
                mass: model.mass[i] as f32,
                goal: [0.0; 3],
                flags: 0,
                slide0: [0.0; 3],
                spring: NO_SPRING,
                slide1: [0.0; 3],
                weight: model.physical_mass(i) as f32,
            }
        })
        .collect();
    let bad_node = |what: &str, node: u32| {
        Error::Invalid(format!(
            "{what} on node {node}, but the model has {n} nodes"
        ))
    };
    let mut normals: Vec<Vec<DVec3>> = vec![Vec::new(); n];
    for &(node, normal) in &constraints.sliding {
        let list = normals
            .get_mut(node as usize)
            .ok_or_else(|| bad_node("sliding condition", node))?;
        if !list.contains(&normal) {
            list.push(normal);
        }
    }
    for (i, list) in normals.iter().enumerate() {
        let d = &mut out[i];
        if list.len() > 2 {
            return Err(unsupported(format!(
                "{} distinct sliding planes on node {i} (at most 2)",
                list.len()
            )));
        }
        for (slot, normal) in list.iter().enumerate() {
            let v = normal.as_vec3().to_array();
            if slot == 0 {
                d.slide0 = v;
            } else {
                d.slide1 = v;
            }
            d.flags |= 8 << slot;
        }
    }
    for &(node, axis, value) in &constraints.fixed {
        let d = out
            .get_mut(node as usize)
            .ok_or_else(|| bad_node("fixed component", node))?;
        if axis > 2 {
            return Err(Error::Invalid(format!(
                "fixed component {axis} on node {node}: the axis must be 0, 1 or 2"
            )));
        }
        d.flags |= 1 << axis;
        // The GPU state is the displacement: the goal is value - X.
        d.goal[axis] = (value - model.rest[node as usize][axis]) as f32;
    }
    // f = -(K u + C v) with K = sum of area k (I or n n^T), C likewise.
    let mut tensors: Vec<Option<(DMat3, DMat3)>> = vec![None; n];
    for s in springs {
        for (i, &node) in s.nodes.iter().enumerate() {
            let entry = tensors
                .get_mut(node as usize)
                .ok_or_else(|| bad_node("spring", node))?
                .get_or_insert((DMat3::ZERO, DMat3::ZERO));
            let (area, normal) = (
                s.area.get(i).copied().unwrap_or(0.0),
                s.normal.get(i).copied().unwrap_or(DVec3::ZERO),
            );
            let shape = if s.normal_only {
                DMat3::from_cols(normal * normal.x, normal * normal.y, normal * normal.z)
            } else {
                DMat3::IDENTITY
            };
            entry.0 += shape * (area * s.stiffness);
            entry.1 += shape * (area * s.damping);
        }
    }
    let mut spring_data = Vec::new();
    for (i, t) in tensors.iter().enumerate() {
        if let Some((k, c)) = t {
            out[i].spring = spring_data.len() as u32;
            spring_data.push(SpringData {
                k: mat3(*k),
                c: mat3(*c),
            });
        }
    }
    Ok((out, spring_data))
}
