//! Total-Lagrangian explicit dynamics (TLED; Miller et al. 2007, Commun. Numer. Meth. Engng 23:121) on
//! linear tetrahedra: the CPU reference, in f64, and the CPU backend (rayon). Units: mm, ms, mg, mN, kPa.
//!
//! Precomputed once, in the reference configuration ([`TledModel::new`]): per tetrahedron the shape
//! function gradients grad N_a (from Dm^-1, see [`crate::geometry`]), the rest volume V0, the smallest
//! height and the material; per node the lumped mass m = sum over its tetrahedra of rho V0 / 4. Each step:
//!
//! 1. element pass: F = sum_a x_a (x) grad N_a, C = F^T F, S = S(C) from the material plus the active
//!    stress along the fibre ([`crate::mechanics::material::ActiveStress`]) and Kelvin-Voigt viscosity,
//!    P = F S, and the nodal force of corner a, f_a = -V0 P grad N_a (forces of one tetrahedron sum to
//!    zero);
//! 2. node pass: each node gathers the forces of its (tet, corner) pairs through the CSR adjacency
//!    ([`NodeTets`]), in tetrahedron order (deterministic, no atomics), adds the external forces
//!    ([`Loads`]) and advances by central differences with mass-proportional damping alpha (1/ms):
//!    x_{n+1} = x_n + (x_n - x_{n-1}) (1 - alpha dt / 2) / (1 + alpha dt / 2)
//!    + dt^2 / m f_n / (1 + alpha dt / 2); then the [`Constraints`] are enforced.
//!
//! ## Near-incompressibility: averaged nodal pressure
//! Linear tetrahedra lock when each element must keep its own volume (one constraint per element, about
//! five elements per node, three degrees of freedom per node). With [`Volumetric::NodalAverage`] the
//! volumetric term of the law is evaluated at nodes instead (Joldes, Wittek and Miller 2009, "Improved
//! linear tetrahedral element for surgical simulation", Commun. Numer. Meth. Engng 25:827; the average
//! nodal pressure tetrahedron): the nodal volume ratio J_n = sum_e V0_e J_e / sum_e V0_e over the
//! tetrahedra around node n, the element pressure p_e = mean over its corners of U'_e(J_n), and
//! S = S_dev(C) + J_e p_e C^-1. The forces are the exact derivative of the energy
//! sum_e V0_e W_dev,e + sum_n sum_{e at n} V0_e/4 U_e(J_n), so energy is conserved and the step stays
//! explicit (two extra passes: element J, then nodal averages). [`Volumetric::Element`] is the plain
//! element.
//!
//! A non-finite force or an inverted tetrahedron (J <= 0) stops the step with a [`SimError`] naming the
//! step, tetrahedron, region and nodes.

use glam::{DMat3, DVec3};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::loads::{Constraints, Loads};
use super::material::{ActiveStress, FibreFrame, KelvinVoigt, Material, c_dot, inverse};
use crate::fem::poisson::shape_gradients;
use crate::geometry::cpu::tet_geometry;
use crate::mesh::TetMesh;
use crate::mesh::topology::NodeTets;

/// Items per rayon task: below this a loop runs on one thread (small meshes step faster without the
/// fork-join overhead).
const MIN_LEN: usize = 2048;

/// J of an inverted tetrahedron for [`SimError::Inverted`]'s message: NaN where it was not finite or not
/// recorded (the GPU records only which tetrahedron failed at which step).
fn jacobian_text(j: f64) -> String {
    if j.is_nan() {
        "J not finite, or not recorded: the GPU records only the tetrahedron and the step".into()
    } else {
        format!("J = {j:.3e}")
    }
}

/// Why a step failed, or a model could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    #[error(
        "step {step}: tetrahedron {tet} (region {region}, nodes {nodes:?}) inverted ({}); \
         reduce the time step or the load rate, stiffen the volumetric penalty, or check the boundary \
         conditions",
        jacobian_text(*.j)
    )]
    Inverted {
        step: u64,
        tet: usize,
        region: i32,
        nodes: [u32; 4],
        j: f64,
    },
    #[error(
        "step {step}: non-finite {field} at node {node}; the simulation became unstable (time step too \
         large for the stiffness or the load?)"
    )]
    NonFinite {
        step: u64,
        field: &'static str,
        node: usize,
    },
    #[error("tetrahedron {tet} has non-positive rest volume {volume:.3e} mm^3")]
    BadElement { tet: usize, volume: f64 },
    #[error("no tetrahedra in region {region}; the mesh has regions {available:?}")]
    NoSuchRegion { region: i32, available: Vec<i32> },
    #[error("{what}: {len} values for {expected} {items}")]
    Length {
        what: &'static str,
        len: usize,
        expected: usize,
        items: &'static str,
    },
}

impl SimError {
    /// The same error with its node and tetrahedron indices mapped by `node` and `tet` (into another
    /// numbering of the same mesh, such as the one it was read in).
    pub fn renumbered(
        self,
        node: impl Fn(usize) -> usize,
        tet: impl Fn(usize) -> usize,
    ) -> SimError {
        match self {
            SimError::Inverted {
                step,
                tet: t,
                region,
                nodes,
                j,
            } => SimError::Inverted {
                step,
                tet: tet(t),
                region,
                nodes: nodes.map(|n| node(n as usize) as u32),
                j,
            },
            SimError::NonFinite {
                step,
                field,
                node: n,
            } => SimError::NonFinite {
                step,
                field,
                node: node(n),
            },
            SimError::BadElement { tet: t, volume } => SimError::BadElement {
                tet: tet(t),
                volume,
            },
            other => other,
        }
    }
}

/// Refuses per-tetrahedron fibre frames whose count is not the mesh's `tets`.
pub(crate) fn check_frames(frames: Option<&[FibreFrame]>, tets: usize) -> Result<(), SimError> {
    match frames {
        Some(f) if f.len() != tets => Err(SimError::Length {
            what: "fibre frames",
            len: f.len(),
            expected: tets,
            items: "tetrahedra",
        }),
        _ => Ok(()),
    }
}

/// How the volumetric term of the material is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Volumetric {
    /// Per element (locks for nearly incompressible materials on linear tetrahedra).
    Element,
    /// Averaged nodal pressure (Joldes et al. 2009); see the module docs. Default.
    #[default]
    NodalAverage,
}

/// The static part of a TLED model.
#[derive(Clone)]
pub struct TledModel {
    pub grads: Vec<[DVec3; 4]>,
    /// Rest volume per tetrahedron, mm^3.
    pub volume0: Vec<f64>,
    /// Smallest height (3 V / largest face area) per tetrahedron, mm.
    pub height: Vec<f64>,
    /// Lumped nodal mass, mg (scale it for mass scaling).
    pub mass: Vec<f64>,
    /// Density, mg/mm^3.
    pub density: f64,
    /// The material table; `material_of` indexes it per tetrahedron.
    pub materials: Vec<Material>,
    pub material_of: Vec<u32>,
    /// Region id per tetrahedron (from the mesh).
    pub regions: Vec<i32>,
    /// Fibre frame per tetrahedron.
    pub frames: Vec<FibreFrame>,
    pub active: ActiveStress,
    pub viscosity: Option<KelvinVoigt>,
    pub volumetric: Volumetric,
    /// Rest positions, mm.
    pub rest: Vec<DVec3>,
    pub tets: Vec<[u32; 4]>,
    /// sum of V0 over the tetrahedra around each node, mm^3.
    node_volume0: Vec<f64>,
    adjacency: NodeTets,
}

impl TledModel {
    /// Precomputes the model of `mesh` with one material everywhere, density `rho` (mg/mm^3) and per-tet
    /// frames (`None`: the axis frame everywhere). Volumetric term: nodal average; active stress: PK2; no
    /// viscosity (see the `with_*` methods).
    pub fn new(
        mesh: &TetMesh,
        material: Material,
        rho: f64,
        frames: Option<Vec<FibreFrame>>,
    ) -> Result<Self, SimError> {
        let n = mesh.tet_count();
        check_frames(frames.as_deref(), n)?;
        let mut grads = Vec::with_capacity(n);
        let mut volume0 = Vec::with_capacity(n);
        let mut height = Vec::with_capacity(n);
        let mut node_volume0 = vec![0.0; mesh.node_count()];
        for t in 0..n {
            let pts = mesh.tet_points(t);
            let g = tet_geometry(&pts);
            if g.volume <= 0.0 {
                return Err(SimError::BadElement {
                    tet: t,
                    volume: g.volume,
                });
            }
            grads.push(shape_gradients(&g.dm_inv).map(DVec3::from_array));
            volume0.push(g.volume);
            height.push(min_height(&pts.map(DVec3::from_array), g.volume));
            for &node in &mesh.tets()[t] {
                node_volume0[node as usize] += g.volume;
            }
        }
        Ok(TledModel {
            grads,
            volume0,
            height,
            mass: node_volume0.iter().map(|v| rho * v / 4.0).collect(),
            density: rho,
            materials: vec![material],
            material_of: vec![0; n],
            regions: mesh.regions().to_vec(),
            frames: frames.unwrap_or_else(|| vec![FibreFrame::default(); n]),
            active: ActiveStress::default(),
            viscosity: None,
            volumetric: Volumetric::default(),
            rest: mesh.nodes().iter().map(|&p| DVec3::from_array(p)).collect(),
            tets: mesh.tets().to_vec(),
            node_volume0,
            adjacency: NodeTets::build(mesh),
        })
    }

    /// Gives the tetrahedra of `region` their own material; returns how many it changed.
    pub fn set_region_material(
        &mut self,
        region: i32,
        material: Material,
    ) -> Result<usize, SimError> {
        let index = self.materials.len() as u32;
        let mut count = 0;
        for (m, &r) in self.material_of.iter_mut().zip(&self.regions) {
            if r == region {
                *m = index;
                count += 1;
            }
        }
        if count == 0 {
            let mut available = self.regions.clone();
            available.sort_unstable();
            available.dedup();
            return Err(SimError::NoSuchRegion { region, available });
        }
        self.materials.push(material);
        Ok(count)
    }

    pub fn with_volumetric(mut self, volumetric: Volumetric) -> Self {
        self.volumetric = volumetric;
        self
    }

    pub fn with_active(mut self, active: ActiveStress) -> Self {
        self.active = active;
        self
    }

    pub fn with_viscosity(mut self, viscosity: Option<KelvinVoigt>) -> Self {
        self.viscosity = viscosity;
        self
    }

    /// The node -> (tet, corner) adjacency the node pass gathers through.
    pub fn adjacency(&self) -> &NodeTets {
        &self.adjacency
    }

    pub fn node_count(&self) -> usize {
        self.mass.len()
    }

    /// The physical lumped mass of node `n` (mg), rho sum V0 / 4, whatever scaling `mass` has had: what
    /// gravity acts on.
    pub fn physical_mass(&self, n: usize) -> f64 {
        0.25 * self.density * self.node_volume0[n]
    }

    /// The material of tetrahedron `t`.
    pub fn material(&self, t: usize) -> &Material {
        &self.materials[self.material_of[t] as usize]
    }

    /// The stable time step estimate min over tetrahedra of h / c (ms), h the smallest height and
    /// c = sqrt(M / rho) the dilatational wave speed of the tetrahedron's material at small strain
    /// ([`Material::wave_modulus`]). With Kelvin-Voigt viscosity eta the highest mode of an element
    /// (omega = 2 c / h) has the damping ratio xi = eta / (rho c h), and central differences with the
    /// backward velocity stay stable for dt <= (2 / omega) (sqrt(1 + xi^2) - xi) (Belytschko, Liu and
    /// Moran, Nonlinear Finite Elements, section 6.2): the viscous factor multiplies h / c. Multiply the
    /// result by a safety factor (0.5-0.9): exponential laws stiffen.
    pub fn stable_time_step(&self) -> f64 {
        (0..self.tets.len())
            .map(|t| self.element_time_step(t, self.density))
            .fold(f64::INFINITY, f64::min)
    }

    /// The stable step of tetrahedron `t` (ms) at density `rho` (see [`Self::stable_time_step`]).
    fn element_time_step(&self, t: usize, rho: f64) -> f64 {
        let eta = self.viscosity.map_or(0.0, |kv| kv.eta);
        let (h, c) = (
            self.height[t],
            (self.material(t).wave_modulus() / rho).sqrt(),
        );
        let xi = eta / (rho * c * h);
        h / c * ((1.0 + xi * xi).sqrt() - xi)
    }

    /// Selective mass scaling: raises the density of every tetrahedron whose stable step is below `dt`
    /// (ms) just enough to reach it (bisection on the density; the stable step grows with it, as
    /// sqrt(rho) elastically and as rho in the viscous limit), and lumps the new masses. Returns the
    /// added mass as a fraction of the physical mass: report it, since it slows the smallest elements'
    /// dynamics. Elements already stable at `dt` keep the physical density.
    pub fn scale_mass_to(&mut self, dt: f64) -> f64 {
        let mut mass = vec![0.0; self.node_count()];
        let (mut physical, mut scaled) = (0.0, 0.0);
        for t in 0..self.tets.len() {
            let mut rho = self.density;
            if self.element_time_step(t, rho) < dt {
                let (mut lo, mut hi) = (rho, rho);
                while self.element_time_step(t, hi) < dt && hi < self.density * 1e12 {
                    hi *= 2.0;
                }
                for _ in 0..60 {
                    let mid = 0.5 * (lo + hi);
                    if self.element_time_step(t, mid) < dt {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                rho = hi;
            }
            physical += self.density * self.volume0[t];
            scaled += rho * self.volume0[t];
            for &n in &self.tets[t] {
                mass[n as usize] += 0.25 * rho * self.volume0[t];
            }
        }
        self.mass = mass;
        scaled / physical - 1.0
    }

    /// Selective mass scaling to the largest stable step reachable by adding at most `max_added` of the
    /// physical mass (bisection on the step, up to 100 times the unscaled one); the masses are left
    /// scaled for it. Returns (stable step, added fraction), ms.
    pub fn scale_mass_within(&mut self, max_added: f64) -> (f64, f64) {
        let dt0 = self.stable_time_step();
        if max_added <= 0.0 {
            return (dt0, 0.0);
        }
        let (mut lo, mut hi) = (dt0, 100.0 * dt0);
        for _ in 0..40 {
            let mid = (lo * hi).sqrt();
            if self.scale_mass_to(mid) <= max_added {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let added = self.scale_mass_to(lo);
        (lo, added)
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

    /// First part of the element pass: F and J per tetrahedron; fails on the first inverted one.
    fn kinematics(&self, x: &[DVec3], step: u64, f: &mut [DMat3]) -> Result<(), SimError> {
        f.par_iter_mut()
            .with_min_len(MIN_LEN)
            .enumerate()
            .try_for_each(|(t, ft)| {
                *ft = self.deformation_gradient(t, x);
                let j = ft.determinant();
                if j.is_nan() || j <= 0.0 {
                    return Err(SimError::Inverted {
                        step,
                        tet: t,
                        region: self.regions[t],
                        nodes: self.tets[t],
                        j,
                    });
                }
                Ok(())
            })
    }

    /// The volumetric stress U'(J) per tetrahedron (kPa): its own, or averaged over nodes.
    fn pressures(&self, f: &[DMat3], scratch: &mut Scratch) {
        match self.volumetric {
            Volumetric::Element => {
                scratch
                    .p
                    .par_iter_mut()
                    .with_min_len(MIN_LEN)
                    .enumerate()
                    .for_each(|(t, p)| {
                        *p = self.material(t).volumetric_stress(f[t].determinant());
                    });
            }
            Volumetric::NodalAverage => {
                scratch
                    .j_node
                    .par_iter_mut()
                    .with_min_len(MIN_LEN)
                    .enumerate()
                    .for_each(|(n, jn)| {
                        let sum: f64 = self
                            .adjacency
                            .of(n)
                            .iter()
                            .map(|&[t, _]| self.volume0[t as usize] * f[t as usize].determinant())
                            .sum();
                        *jn = sum / self.node_volume0[n];
                    });
                let j_node = &scratch.j_node;
                scratch
                    .p
                    .par_iter_mut()
                    .with_min_len(MIN_LEN)
                    .enumerate()
                    .for_each(|(t, p)| {
                        let m = self.material(t);
                        *p = 0.25
                            * self.tets[t]
                                .iter()
                                .map(|&n| m.volumetric_stress(j_node[n as usize]))
                                .sum::<f64>();
                    });
            }
        }
    }

    /// S of tetrahedron `t` for deformation gradient `f`, volumetric stress `p`, active tension `ta`
    /// and velocity gradient `f_dot` (when viscous), kPa.
    pub(crate) fn pk2(&self, t: usize, f: DMat3, p: f64, ta: f64, f_dot: Option<DMat3>) -> DMat3 {
        let c = f.transpose() * f;
        let frame = &self.frames[t];
        let mut s = self.material(t).pk2_deviatoric(c, frame) + (f.determinant() * p) * inverse(c);
        if ta != 0.0 {
            s += self.active.pk2(ta, c, frame.f0);
        }
        if let (Some(kv), Some(f_dot)) = (self.viscosity, f_dot) {
            s += kv.pk2(c_dot(f, f_dot));
        }
        s
    }

    /// The rate of F of tetrahedron `t` for the velocities `v` of its four nodes (mm/ms), 1/ms.
    pub(crate) fn deformation_rate(&self, t: usize, v: &[DVec3; 4]) -> DMat3 {
        let mut f = DMat3::ZERO;
        for (va, g) in v.iter().zip(&self.grads[t]) {
            f += DMat3::from_cols(*va * g.x, *va * g.y, *va * g.z);
        }
        f
    }

    /// The rate of F of tetrahedron `t` for nodal velocities `v`.
    fn velocity_gradient(&self, t: usize, v: &[DVec3]) -> DMat3 {
        self.deformation_gradient(t, v)
    }

    /// The element pass: V0 P per tetrahedron into `scratch.vp`.
    fn element_pass(
        &self,
        x: &[DVec3],
        v: Option<&[DVec3]>,
        ta: &[f64],
        step: u64,
        scratch: &mut Scratch,
    ) -> Result<(), SimError> {
        scratch.resize(self);
        let mut f = std::mem::take(&mut scratch.f);
        let result = self.kinematics(x, step, &mut f);
        if result.is_ok() {
            self.pressures(&f, scratch);
            let p = &scratch.p;
            let v = v.filter(|_| self.viscosity.is_some());
            scratch
                .vp
                .par_iter_mut()
                .with_min_len(MIN_LEN)
                .enumerate()
                .for_each(|(t, vp)| {
                    let ta = ta.get(t).copied().unwrap_or(0.0);
                    let f_dot = v.map(|v| self.velocity_gradient(t, v));
                    *vp = f[t] * self.pk2(t, f[t], p[t], ta, f_dot) * self.volume0[t];
                });
        }
        scratch.f = f;
        result
    }

    /// Node pass: the internal force of every node, gathered from V0 P in tetrahedron order.
    fn gather(&self, vp: &[DMat3], forces: &mut [DVec3]) {
        forces
            .par_iter_mut()
            .with_min_len(MIN_LEN)
            .enumerate()
            .for_each(|(n, f)| {
                *f = self
                    .adjacency
                    .of(n)
                    .iter()
                    .map(|&[t, a]| -(vp[t as usize] * self.grads[t as usize][a as usize]))
                    .sum();
            });
    }

    /// The internal (elastic and active) forces at positions `x` with active tension `ta` (per
    /// tetrahedron, kPa; empty for none), mN. No viscosity.
    pub fn internal_forces(&self, x: &[DVec3], ta: &[f64]) -> Result<Vec<DVec3>, SimError> {
        let mut scratch = Scratch::default();
        self.element_pass(x, None, ta, 0, &mut scratch)?;
        let mut f = vec![DVec3::ZERO; x.len()];
        self.gather(&scratch.vp, &mut f);
        Ok(f)
    }

    /// The total force on every node (internal + external) at positions `x` and velocities `v`, mN.
    pub fn forces(
        &self,
        x: &[DVec3],
        v: &[DVec3],
        loads: &Loads,
        step: u64,
        scratch: &mut Scratch,
    ) -> Result<(), SimError> {
        self.element_pass(x, Some(v), &loads.active_tension, step, scratch)?;
        let mut forces = std::mem::take(&mut scratch.forces);
        self.gather(&scratch.vp, &mut forces);
        if loads.gravity != DVec3::ZERO {
            // The physical weight rho V0 / 4 per node, not `self.mass`: the masses may be scaled (dynamic
            // relaxation, mass scaling) and the body force must not scale with them.
            for (f, v) in forces.iter_mut().zip(&self.node_volume0) {
                *f += loads.gravity * (0.25 * self.density * v);
            }
        }
        for p in &loads.pressures {
            p.add_forces(x, &mut forces);
        }
        for s in &loads.springs {
            s.add_forces(x, &self.rest, v, &mut forces);
        }
        scratch.forces = forces;
        Ok(())
    }

    /// Cauchy stress per tetrahedron at positions `x` with active tension `ta` (kPa; empty for none),
    /// kPa, with the same volumetric treatment as the step (no viscous part).
    pub fn cauchy_stresses(&self, x: &[DVec3], ta: &[f64]) -> Result<Vec<DMat3>, SimError> {
        let mut scratch = Scratch::default();
        scratch.resize(self);
        self.kinematics(x, 0, &mut scratch.f)?;
        let f = std::mem::take(&mut scratch.f);
        self.pressures(&f, &mut scratch);
        Ok((0..self.tets.len())
            .into_par_iter()
            .map(|t| {
                let s = self.pk2(
                    t,
                    f[t],
                    scratch.p[t],
                    ta.get(t).copied().unwrap_or(0.0),
                    None,
                );
                super::material::cauchy(f[t], s)
            })
            .collect())
    }
}

/// The smallest height 3 V / (largest face area) of a tetrahedron of volume `volume`, mm.
fn min_height(p: &[DVec3; 4], volume: f64) -> f64 {
    let area = |a: DVec3, b: DVec3, c: DVec3| 0.5 * (b - a).cross(c - a).length();
    let largest = area(p[1], p[2], p[3])
        .max(area(p[0], p[2], p[3]))
        .max(area(p[0], p[1], p[3]))
        .max(area(p[0], p[1], p[2]));
    3.0 * volume / largest
}

/// Work arrays of a step, kept between steps to avoid allocation.
#[derive(Debug, Default)]
pub struct Scratch {
    f: Vec<DMat3>,
    vp: Vec<DMat3>,
    p: Vec<f64>,
    j_node: Vec<f64>,
    /// Total nodal forces of the last step, mN.
    pub forces: Vec<DVec3>,
    v: Vec<DVec3>,
}

impl Scratch {
    fn resize(&mut self, model: &TledModel) {
        let (tets, nodes) = (model.tets.len(), model.node_count());
        self.f.resize(tets, DMat3::ZERO);
        self.vp.resize(tets, DMat3::ZERO);
        self.p.resize(tets, 0.0);
        self.j_node.resize(nodes, 0.0);
        self.forces.resize(nodes, DVec3::ZERO);
        self.v.resize(nodes, DVec3::ZERO);
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

    /// Sets the velocity to zero (x_prev = x): kinetic damping's reset.
    pub fn stop(&mut self) {
        self.x_prev.clone_from(&self.x);
    }

    /// The kinetic energy sum m |x - x_prev|^2 / (2 dt^2) for step `dt` (ms), uJ (= mN mm).
    pub fn kinetic_energy(&self, model: &TledModel, dt: f64) -> f64 {
        self.x
            .par_iter()
            .with_min_len(MIN_LEN)
            .zip(&self.x_prev)
            .zip(&model.mass)
            .map(|((x, xp), m)| 0.5 * m * (*x - *xp).length_squared())
            .sum::<f64>()
            / (dt * dt)
    }
}

/// The time step and mass-proportional damping of explicit stepping.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stepping {
    /// Time step, ms.
    pub dt: f64,
    /// Mass-proportional damping alpha, 1/ms.
    pub damping: f64,
}

/// Advances `state` by one step with `loads` and `constraints`; `scratch` holds work arrays between
/// calls (and the forces of this step afterwards).
pub fn step(
    model: &TledModel,
    state: &mut TledState,
    stepping: Stepping,
    loads: &Loads,
    constraints: &Constraints,
    scratch: &mut Scratch,
) -> Result<(), SimError> {
    let Stepping { dt, damping } = stepping;
    scratch.resize(model);
    let mut v = std::mem::take(&mut scratch.v);
    // Velocities feed only viscosity and dashpots: without them the pass is skipped (v is not read).
    if model.viscosity.is_some() || !loads.springs.is_empty() {
        v.par_iter_mut()
            .with_min_len(MIN_LEN)
            .zip(&state.x)
            .zip(&state.x_prev)
            .for_each(|((v, x), xp)| *v = (*x - *xp) / dt);
    }
    let result = model.forces(&state.x, &v, loads, state.step, scratch);
    scratch.v = v;
    result?;
    let a = (1.0 - 0.5 * damping * dt) / (1.0 + 0.5 * damping * dt);
    let b = dt * dt / (1.0 + 0.5 * damping * dt);
    // x_prev becomes x_next in place, then the two swap.
    state
        .x_prev
        .par_iter_mut()
        .with_min_len(MIN_LEN)
        .zip(&state.x)
        .zip(&scratch.forces)
        .zip(&model.mass)
        .for_each(|(((xp, x), f), m)| *xp = *x + (*x - *xp) * a + *f * (b / m));
    if let Some(node) = state.x_prev.iter().position(|p| !p.is_finite()) {
        return Err(SimError::NonFinite {
            step: state.step,
            field: "position",
            node,
        });
    }
    std::mem::swap(&mut state.x, &mut state.x_prev);
    constraints.apply(&mut state.x, &model.rest);
    constraints.apply(&mut state.x_prev, &model.rest);
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
            min_height(&p, tet_geometry(&mesh.tet_points(t)).volume)
        })
        .fold(f64::INFINITY, f64::min);
    l_min / c
}
