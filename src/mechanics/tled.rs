//! Total-Lagrangian explicit dynamics (TLED; Miller et al. 2007, Commun. Numer. Meth. Engng 23:121) on
//! linear tetrahedra: the CPU reference, in f64, written for clarity. Units: mm, ms, mg, mN, kPa.
//!
//! Precomputed once, in the reference configuration ([`TledModel::new`]): per tetrahedron the shape
//! function gradients grad N_a (from Dm^-1, see [`crate::geometry`]) and the rest volume V0; per node the
//! lumped mass m = sum over its tetrahedra of rho V0 / 4. Each step is two passes:
//!
//! 1. element pass: F = sum_a x_a (x) grad N_a, C = F^T F, S = S(C) from the material, P = F S, and the
//!    nodal force of corner a, f_a = -V0 P grad N_a (forces of one tetrahedron sum to zero);
//! 2. node pass: each node gathers the forces of its (tet, corner) pairs through the CSR adjacency
//!    ([`NodeTets`]), in tetrahedron order (deterministic, no atomics), adds the external force, and
//!    advances by central differences with mass-proportional damping alpha (1/ms):
//!    x_{n+1} = x_n + (x_n - x_{n-1}) (1 - alpha dt / 2) / (1 + alpha dt / 2)
//!    + dt^2 / m f_n / (1 + alpha dt / 2).
//!
//! Nodes with prescribed components keep them. A non-finite force or an inverted tetrahedron (J <= 0)
//! stops the step with a [`SimError`] naming the step, tetrahedron or node.

use glam::{DMat3, DVec3};
use rayon::prelude::*;

use super::material::{FibreFrame, Material};
use crate::fem::poisson::shape_gradients;
use crate::geometry::cpu::tet_geometry;
use crate::mesh::TetMesh;
use crate::mesh::topology::NodeTets;

/// Why a step failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    #[error(
        "step {step}: tetrahedron {tet} inverted (J = {j:.3e}); reduce the time step or the load rate, or \
         check the boundary conditions"
    )]
    Inverted { step: u64, tet: usize, j: f64 },
    #[error(
        "step {step}: non-finite {field} at node {node}; the simulation became unstable (time step too large?)"
    )]
    NonFinite {
        step: u64,
        field: &'static str,
        node: usize,
    },
    #[error("tetrahedron {tet} has non-positive rest volume {volume:.3e} mm^3")]
    BadElement { tet: usize, volume: f64 },
}

/// The static part of a TLED model.
pub struct TledModel {
    pub grads: Vec<[DVec3; 4]>,
    /// Rest volume per tetrahedron, mm^3.
    pub volume0: Vec<f64>,
    /// Lumped nodal mass, mg.
    pub mass: Vec<f64>,
    pub material: Material,
    /// Fibre frame per tetrahedron.
    pub frames: Vec<FibreFrame>,
    pub tets: Vec<[u32; 4]>,
    adjacency: NodeTets,
}

impl TledModel {
    /// Precomputes the model of `mesh` with one material, density `rho` (mg/mm^3) and per-tet frames
    /// (`None`: the axis frame everywhere).
    pub fn new(
        mesh: &TetMesh,
        material: Material,
        rho: f64,
        frames: Option<Vec<FibreFrame>>,
    ) -> Result<Self, SimError> {
        let n = mesh.tet_count();
        let mut grads = Vec::with_capacity(n);
        let mut volume0 = Vec::with_capacity(n);
        let mut mass = vec![0.0; mesh.node_count()];
        for t in 0..n {
            let g = tet_geometry(&mesh.tet_points(t));
            if g.volume <= 0.0 {
                return Err(SimError::BadElement {
                    tet: t,
                    volume: g.volume,
                });
            }
            grads.push(shape_gradients(&g.dm_inv).map(DVec3::from_array));
            volume0.push(g.volume);
            for &node in &mesh.tets()[t] {
                mass[node as usize] += rho * g.volume / 4.0;
            }
        }
        Ok(TledModel {
            grads,
            volume0,
            mass,
            material,
            frames: frames.unwrap_or_else(|| vec![FibreFrame::default(); n]),
            tets: mesh.tets().to_vec(),
            adjacency: NodeTets::build(mesh),
        })
    }

    /// The node -> (tet, corner) adjacency the node pass gathers through.
    pub fn adjacency(&self) -> &NodeTets {
        &self.adjacency
    }

    /// The deformation gradient of tetrahedron `t` at positions `x`.
    pub fn deformation_gradient(&self, t: usize, x: &[DVec3]) -> DMat3 {
        let tet = self.tets[t];
        let mut f = DMat3::ZERO;
        for (a, &node) in tet.iter().enumerate() {
            let (xa, g) = (x[node as usize], self.grads[t][a]);
            f += DMat3::from_cols(xa * g.x, xa * g.y, xa * g.z);
        }
        f
    }

    /// Element pass: V0 P per tetrahedron. Fails on the first inverted tetrahedron.
    pub fn element_pass(&self, x: &[DVec3], step: u64, out: &mut [DMat3]) -> Result<(), SimError> {
        out.par_iter_mut().enumerate().try_for_each(|(t, vp)| {
            let f = self.deformation_gradient(t, x);
            let j = f.determinant();
            if j.is_nan() || j <= 0.0 {
                return Err(SimError::Inverted { step, tet: t, j });
            }
            let s = self.material.pk2(f.transpose() * f, &self.frames[t]);
            *vp = f * s * self.volume0[t];
            Ok(())
        })
    }

    /// Node pass: the internal force of every node, gathered from the element pass in tetrahedron order.
    pub fn gather(&self, vp: &[DMat3], forces: &mut [DVec3]) {
        forces.par_iter_mut().enumerate().for_each(|(n, f)| {
            *f = self
                .adjacency
                .of(n)
                .iter()
                .map(|&[t, a]| -(vp[t as usize] * self.grads[t as usize][a as usize]))
                .sum();
        });
    }

    /// The internal forces at positions `x`, mN.
    pub fn internal_forces(&self, x: &[DVec3]) -> Result<Vec<DVec3>, SimError> {
        let mut vp = vec![DMat3::ZERO; self.tets.len()];
        self.element_pass(x, 0, &mut vp)?;
        let mut f = vec![DVec3::ZERO; x.len()];
        self.gather(&vp, &mut f);
        Ok(f)
    }
}

/// Positions now and one step ago, mm; the time, ms; the step count.
#[derive(Debug, Clone)]
pub struct TledState {
    pub x: Vec<DVec3>,
    pub x_prev: Vec<DVec3>,
    pub t: f64,
    pub step: u64,
}

impl TledState {
    /// At rest in the reference configuration.
    pub fn at_rest(mesh: &TetMesh) -> Self {
        let x: Vec<DVec3> = mesh.nodes().iter().map(|&p| DVec3::from_array(p)).collect();
        TledState {
            x_prev: x.clone(),
            x,
            t: 0.0,
            step: 0,
        }
    }
}

/// Prescribed displacement components: `(node, axis, position)` keeps `x[node][axis] = position`.
pub type Prescribed = [(u32, usize, f64)];

/// Advances `state` by one step of `dt` ms with damping `alpha` (1/ms), a body force per unit mass
/// `gravity` (mm/ms^2) and prescribed components; `scratch` holds V0 P per tetrahedron and the forces
/// between calls.
pub fn step(
    model: &TledModel,
    state: &mut TledState,
    dt: f64,
    alpha: f64,
    gravity: DVec3,
    prescribed: &Prescribed,
    scratch: &mut (Vec<DMat3>, Vec<DVec3>),
) -> Result<(), SimError> {
    let (vp, forces) = scratch;
    vp.resize(model.tets.len(), DMat3::ZERO);
    forces.resize(state.x.len(), DVec3::ZERO);
    model.element_pass(&state.x, state.step, vp)?;
    model.gather(vp, forces);
    let a = (1.0 - 0.5 * alpha * dt) / (1.0 + 0.5 * alpha * dt);
    let b = dt * dt / (1.0 + 0.5 * alpha * dt);
    let next: Vec<DVec3> = (0..state.x.len())
        .into_par_iter()
        .map(|n| {
            let m = model.mass[n];
            let f = forces[n] + gravity * m;
            state.x[n] + (state.x[n] - state.x_prev[n]) * a + f * (b / m)
        })
        .collect();
    if let Some(node) = next.iter().position(|p| !p.is_finite()) {
        return Err(SimError::NonFinite {
            step: state.step,
            field: "position",
            node,
        });
    }
    state.x_prev = std::mem::replace(&mut state.x, next);
    for &(node, axis, value) in prescribed {
        state.x[node as usize][axis] = value;
        state.x_prev[node as usize][axis] = value;
    }
    state.t += dt;
    state.step += 1;
    Ok(())
}

/// The stable time step estimate dt = L_min / c with L_min the smallest tetrahedron height (3 V / largest
/// face area) and c = sqrt((lambda + 2 mu) / rho) the dilatational wave speed, ms.
pub fn stable_time_step(mesh: &TetMesh, lambda_plus_2mu_kpa: f64, rho: f64) -> f64 {
    let c = (lambda_plus_2mu_kpa / rho).sqrt();
    let l_min = (0..mesh.tet_count())
        .map(|t| {
            let p = mesh.tet_points(t).map(DVec3::from_array);
            let area = |a: DVec3, b: DVec3, c: DVec3| 0.5 * (b - a).cross(c - a).length();
            let largest = area(p[1], p[2], p[3])
                .max(area(p[0], p[2], p[3]))
                .max(area(p[0], p[1], p[3]))
                .max(area(p[0], p[1], p[2]));
            3.0 * tet_geometry(&mesh.tet_points(t)).volume / largest
        })
        .fold(f64::INFINITY, f64::min);
    l_min / c
}
