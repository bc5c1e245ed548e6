//! Quadratic (10-node) tetrahedra for the quasi-static verification problems: CPU, f64, dynamic
//! relaxation. Units: mm, mg, mN, kPa (see [`crate::mechanics`]).
//!
//! Why a second element. The product steps linear tetrahedra (TLED on the GPU and the CPU): one constant
//! F per element, which is what makes the step a single pass. Linear tetrahedra are stiff in bending
//! (shear locking, independent of the volumetric treatment): the Land et al. 2015 beam is 12% short at
//! four elements through the thickness and still 3.9% short at eight (VERIFICATION.md). A quadratic
//! displacement field bends. This element checks the constitutive laws, the loads and the benchmark
//! set-up against the published consensus without the linear element's discretisation error, and shows
//! what the linear element costs on each problem at a given mesh.
//!
//! ## The element
//! - Geometry: the linear mesh's tetrahedra (straight edges), a node added at the midpoint of every edge.
//!   Nodes `0..corners` are the linear mesh's, in its numbering; edge nodes follow. Local order: the
//!   four corners, then the edges (0,1), (1,2), (0,2), (0,3), (1,3), (2,3) (VTK's quadratic tetrahedron).
//! - Shape functions in the barycentric coordinates L: corners L_i (2 L_i - 1), edges 4 L_i L_j. With
//!   straight edges grad L_i is the linear tetrahedron's constant gradient, so
//!   grad N_i = (4 L_i - 1) grad L_i and grad N_ij = 4 (L_i grad L_j + L_j grad L_i), exactly.
//! - The law, with its active and fibre terms: 4-point Gauss rule (degree 2, weights V0/4). The energy is
//!   sum_e V0 mean_q W(C_q), and the nodal forces are its exact gradient:
//!   f_a = -V0/4 sum_q P_q grad N_a(q), P_q = F_q (S_dev(C_q) + S_act) + U'(J) J_q F_q^-T.
//! - The volumetric term U(J), [`QuadraticVolumetric`]: at each Gauss point (J = J_q, the plain
//!   displacement element, the default), or by mean dilatation, once per element at J = J_bar, the mean
//!   of J_q (a constant pressure per element, as P2-P0: no locking, but only the mean volume is held).
//!   Measured on the three Land problems, the first stiffens the beam by 3% at two elements through the
//!   thickness and the second lets a Gauss point's volume collapse under the ventricle's 10 kPa
//!   (VERIFICATION.md).
//! - Follower pressure on the 6-node boundary triangles: f_k = -p int N_k (x_xi x x_eta) dxi deta, by a
//!   6-point rule of degree 4 (exact for the integrand, degree 2 + 1 + 1). On a flat undeformed triangle
//!   the corners get nothing and each edge node a third of p A.
//! - Dirichlet conditions carry over from the linear mesh: an edge node has a component fixed when both
//!   of its edge's ends have it fixed (at the mean of their values: exact for the affine conditions used
//!   here), and slides when both ends slide along the same normal.
//!
//! ## The solver
//! [`relax`]: the same dynamic relaxation as [`crate::mechanics::relax`] (pseudo step 1, kinetic
//! damping, a linear load ramp, the same [`Balance`] stopping rule). The fictitious masses bound the
//! small-strain stiffness by Gershgorin's theorem (block form): pseudo step 1 is stable when
//! m_a >= sum_b |K_ab| / 4, and |K_ab| <= M V0 mean_q |grad N_a(q)| |grad N_b(q)| (M the law's wave
//! modulus; with mean dilatation the volumetric block is bounded by the mean gradients instead, and the
//! larger bound is used). m_a = sum_b |K_ab| / (4 s^2), s a safety factor for what deformation adds
//! (the linear element's height-based estimate has no counterpart for the edge nodes).
//!
//! Not on the GPU, and not for dynamics: the lumped mass of a quadratic tetrahedron is not positive by
//! row sums, and the product's step is the linear one.

use std::collections::HashMap;
use std::time::Instant;

use glam::{DMat3, DVec3};
use rayon::prelude::*;
use serde::Serialize;

use super::loads::{Constraints, LoadError, PressureLoad};
use super::material::{ActiveStress, FibreFrame, Material, inverse};
use super::relax::{Balance, RelaxOptions, RelaxReport};
use super::tled::SimError;
use crate::fem::poisson::shape_gradients;
use crate::geometry::cpu::tet_geometry;
use crate::mesh::TetMesh;
use crate::mesh::locate::MaterialPoint;
use crate::mesh::topology::node_csr;

/// The corner pairs of the six edges, in local order (local nodes 4..10).
pub const EDGES: [[usize; 2]; 6] = [[0, 1], [1, 2], [0, 2], [0, 3], [1, 3], [2, 3]];

/// The 4-point Gauss rule on the tetrahedron (degree 2): barycentric coordinates (a, b, b, b) and its
/// permutations, weight 1/4 each (of the volume).
const GAUSS_A: f64 = 0.585_410_196_624_968_5;
const GAUSS_B: f64 = 0.138_196_601_125_010_5;

/// The 6-point rule on the triangle (degree 4, Dunavant 1985): (a, a, 1 - 2a) and permutations for two
/// values of a, weights (of the area) w1 and w2.
const TRI_RULE: [(f64, f64); 2] = [
    (0.445_948_490_915_965, 0.223_381_589_678_011),
    (0.091_576_213_509_771, 0.109_951_743_655_322),
];

/// Tetrahedra per rayon task: a quadratic element costs about four linear ones, so smaller meshes than
/// the linear step's still split over the threads (the 480-tetrahedron beam runs on two).
const MIN_LEN: usize = 128;

/// Barycentric coordinates of the four Gauss points.
fn gauss_points() -> [[f64; 4]; 4] {
    let mut points = [[GAUSS_B; 4]; 4];
    for (q, p) in points.iter_mut().enumerate() {
        p[q] = GAUSS_A;
    }
    points
}

/// Values of the ten shape functions at barycentric coordinates `l`.
pub fn shape_values(l: [f64; 4]) -> [f64; 10] {
    let mut n = [0.0; 10];
    for i in 0..4 {
        n[i] = l[i] * (2.0 * l[i] - 1.0);
    }
    for (e, [i, j]) in EDGES.iter().enumerate() {
        n[4 + e] = 4.0 * l[*i] * l[*j];
    }
    n
}

/// Gradients of the ten shape functions at barycentric coordinates `l`, for the linear gradients `g`.
pub fn shape_gradients10(g: &[DVec3; 4], l: [f64; 4]) -> [DVec3; 10] {
    let mut out = [DVec3::ZERO; 10];
    for i in 0..4 {
        out[i] = g[i] * (4.0 * l[i] - 1.0);
    }
    for (e, [i, j]) in EDGES.iter().enumerate() {
        out[4 + e] = (g[*j] * l[*i] + g[*i] * l[*j]) * 4.0;
    }
    out
}

/// A follower pressure on 6-node boundary triangles: corners a, b, c (outward), then the edge nodes of
/// (a, b), (b, c), (c, a).
#[derive(Debug, Clone, PartialEq)]
pub struct QuadraticPressure {
    pub faces: Vec<[u32; 6]>,
    /// kPa; set between steps to ramp it.
    pub pressure: f64,
}

impl QuadraticPressure {
    /// Adds the nodal forces at positions `x` to `forces`, mN (sequential: deterministic).
    pub fn add_forces(&self, x: &[DVec3], forces: &mut [DVec3]) {
        if self.pressure == 0.0 {
            return;
        }
        for face in &self.faces {
            let xs = face.map(|n| x[n as usize]);
            for (a, w) in TRI_RULE {
                let b = 1.0 - 2.0 * a;
                for l in [[a, a, b], [a, b, a], [b, a, a]] {
                    let (n, dxi, deta) = triangle_shape(l);
                    let along = |d: &[f64; 6]| (0..6).map(|k| xs[k] * d[k]).sum::<DVec3>();
                    let area = along(&dxi).cross(along(&deta));
                    // The rule's weights sum to 1; the reference triangle's area is 1/2.
                    let scale = -self.pressure * 0.5 * w;
                    for k in 0..6 {
                        forces[face[k] as usize] += area * (scale * n[k]);
                    }
                }
            }
        }
    }
}

/// The 6-node triangle's shape functions and their derivatives along xi = L1 and eta = L2 (L0 = 1 - xi
/// - eta) at barycentric coordinates `l`: node order corners 0, 1, 2, edges (0,1), (1,2), (2,0).
fn triangle_shape(l: [f64; 3]) -> ([f64; 6], [f64; 6], [f64; 6]) {
    let [l0, l1, l2] = l;
    let n = [
        l0 * (2.0 * l0 - 1.0),
        l1 * (2.0 * l1 - 1.0),
        l2 * (2.0 * l2 - 1.0),
        4.0 * l0 * l1,
        4.0 * l1 * l2,
        4.0 * l2 * l0,
    ];
    // d/dxi = d/dL1 - d/dL0, d/deta = d/dL2 - d/dL0.
    let dxi = [
        -(4.0 * l0 - 1.0),
        4.0 * l1 - 1.0,
        0.0,
        4.0 * (l0 - l1),
        4.0 * l2,
        -4.0 * l2,
    ];
    let deta = [
        -(4.0 * l0 - 1.0),
        0.0,
        4.0 * l2 - 1.0,
        -4.0 * l1,
        4.0 * l1,
        4.0 * (l0 - l2),
    ];
    (n, dxi, deta)
}

/// Where the volumetric term U(J) of a quadratic tetrahedron is evaluated. Serialised as
/// `"gauss_point"` or `"mean_dilatation"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuadraticVolumetric {
    /// At each of the four Gauss points, like the rest of the law: the plain displacement element. Every
    /// Gauss point's volume is held; about one constraint per unknown, so it stiffens somewhat at
    /// kappa/C = 500 (measured on the Land beam: VERIFICATION.md). Default.
    #[default]
    GaussPoint,
    /// Once per element at J_bar, the mean of J over the Gauss points (one constant pressure per element:
    /// no locking). Only the mean volume is held, so the Gauss points' own J is free up to the
    /// deviatoric stiffness: under the Land ventricle's 10 kPa against C = 10 kPa it drifts to 0.4 and an
    /// element inverts (VERIFICATION.md). For bending-dominated problems at moderate stress.
    MeanDilatation,
}

/// What the quadratic relaxation applies: follower pressures and the active tension per tetrahedron
/// (kPa; empty for none).
#[derive(Debug, Clone, Default)]
pub struct QuadraticLoads {
    pub pressures: Vec<QuadraticPressure>,
    pub active_tension: Vec<f64>,
}

/// The static part of a quadratic-tetrahedron model (module docs).
pub struct QuadraticModel {
    /// Rest positions, mm: the linear mesh's nodes, then one per edge.
    pub rest: Vec<DVec3>,
    pub tets: Vec<[u32; 10]>,
    /// How many of the nodes are the linear mesh's corners.
    pub corners: usize,
    /// Shape-function gradients per tetrahedron and Gauss point, 1/mm.
    grads: Vec<[[DVec3; 10]; 4]>,
    volume0: Vec<f64>,
    /// One law everywhere (the Land problems have one).
    material: Material,
    regions: Vec<i32>,
    frames: Vec<FibreFrame>,
    active: ActiveStress,
    volumetric: QuadraticVolumetric,
    edge_node: HashMap<[u32; 2], u32>,
    /// node -> (tetrahedron, local node), CSR: `adjacency[offsets[n]..offsets[n + 1]]`.
    offsets: Vec<u32>,
    adjacency: Vec<(u32, u8)>,
}

impl QuadraticModel {
    /// The quadratic model of `mesh` with `material` everywhere, per-tet `frames` (`None`: the axis
    /// frame) and the active stress form `active`.
    pub fn new(
        mesh: &TetMesh,
        material: Material,
        frames: Option<Vec<FibreFrame>>,
        active: ActiveStress,
    ) -> Result<Self, SimError> {
        let n = mesh.tet_count();
        super::tled::check_frames(frames.as_deref(), n)?;
        let mut rest: Vec<DVec3> = mesh.nodes().iter().map(|&p| DVec3::from_array(p)).collect();
        let corners = rest.len();
        let mut edge_node: HashMap<[u32; 2], u32> = HashMap::new();
        let mut tets = Vec::with_capacity(n);
        let (mut grads, mut volume0) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let points = gauss_points();
        for (t, tet) in mesh.tets().iter().enumerate() {
            let g = tet_geometry(&mesh.tet_points(t));
            if g.volume <= 0.0 {
                return Err(SimError::BadElement {
                    tet: t,
                    volume: g.volume,
                });
            }
            let mut nodes = [0u32; 10];
            nodes[..4].copy_from_slice(tet);
            for (e, [i, j]) in EDGES.iter().enumerate() {
                let (a, b) = (tet[*i], tet[*j]);
                let key = [a.min(b), a.max(b)];
                nodes[4 + e] = *edge_node.entry(key).or_insert_with(|| {
                    rest.push(0.5 * (rest[a as usize] + rest[b as usize]));
                    (rest.len() - 1) as u32
                });
            }
            tets.push(nodes);
            let linear = shape_gradients(&g.dm_inv).map(DVec3::from_array);
            grads.push(points.map(|l| shape_gradients10(&linear, l)));
            volume0.push(g.volume);
        }
        let (offsets, entries) = node_csr(rest.len(), &tets);
        // Each entry with its node's place in the tetrahedron (a node appears once per tetrahedron).
        let mut adjacency = Vec::with_capacity(entries.len());
        for n in 0..rest.len() {
            for &t in &entries[offsets[n] as usize..offsets[n + 1] as usize] {
                let local = tets[t as usize].iter().position(|&m| m as usize == n);
                adjacency.push((t, local.unwrap_or_default() as u8));
            }
        }
        Ok(QuadraticModel {
            rest,
            tets,
            corners,
            grads,
            volume0,
            material,
            regions: mesh.regions().to_vec(),
            frames: frames.unwrap_or_else(|| vec![FibreFrame::default(); n]),
            active,
            volumetric: QuadraticVolumetric::default(),
            edge_node,
            offsets,
            adjacency,
        })
    }

    pub fn with_volumetric(mut self, volumetric: QuadraticVolumetric) -> Self {
        self.volumetric = volumetric;
        self
    }

    pub fn node_count(&self) -> usize {
        self.rest.len()
    }

    /// The node at the midpoint of the linear mesh's edge (a, b), if it is an edge.
    pub fn edge_node(&self, a: u32, b: u32) -> Option<u32> {
        self.edge_node.get(&[a.min(b), a.max(b)]).copied()
    }

    /// The pressure load `load` (on the linear mesh's triangles) on the 6-node triangles.
    pub fn pressure(&self, load: &PressureLoad) -> Result<QuadraticPressure, LoadError> {
        let mut faces = Vec::with_capacity(load.faces.len());
        for (index, &[a, b, c]) in load.faces.iter().enumerate() {
            let edges = [(a, b), (b, c), (c, a)].map(|(p, q)| self.edge_node(p, q));
            let [Some(ab), Some(bc), Some(ca)] = edges else {
                return Err(LoadError::NotOnBoundary {
                    tag: 0,
                    index,
                    nodes: [a, b, c],
                });
            };
            faces.push([a, b, c, ab, bc, ca]);
        }
        Ok(QuadraticPressure {
            faces,
            pressure: load.pressure,
        })
    }

    /// The Dirichlet conditions of the linear mesh's `constraints` on this model (module docs).
    pub fn constraints(&self, constraints: &Constraints) -> Constraints {
        let fixed: HashMap<(u32, usize), f64> = constraints
            .fixed
            .iter()
            .map(|&(n, axis, value)| ((n, axis), value))
            .collect();
        let sliding: HashMap<u32, DVec3> = constraints.sliding.iter().copied().collect();
        let mut out = constraints.clone();
        let mut edges: Vec<(&[u32; 2], &u32)> = self.edge_node.iter().collect();
        edges.sort_unstable_by_key(|(_, node)| **node);
        for ([a, b], &node) in edges {
            for axis in 0..3 {
                if let (Some(va), Some(vb)) = (fixed.get(&(*a, axis)), fixed.get(&(*b, axis))) {
                    out.fixed.push((node, axis, 0.5 * (va + vb)));
                }
            }
            if let (Some(na), Some(nb)) = (sliding.get(a), sliding.get(b))
                && na == nb
            {
                out.sliding.push((node, *na));
            }
        }
        out
    }

    /// Deformation gradient of tetrahedron `t` at Gauss point `q` for positions `x`.
    fn deformation_gradient(&self, t: usize, q: usize, x: &[DVec3]) -> DMat3 {
        let mut f = DMat3::ZERO;
        for (&node, g) in self.tets[t].iter().zip(&self.grads[t][q]) {
            let xa = x[node as usize];
            f += DMat3::from_cols(xa * g.x, xa * g.y, xa * g.z);
        }
        f
    }

    /// The restoring forces of tetrahedron `t` on its ten nodes (mN) for active tension `ta` (kPa).
    fn element_forces(&self, t: usize, x: &[DVec3], ta: f64) -> Result<[DVec3; 10], SimError> {
        let m = &self.material;
        let frame = &self.frames[t];
        let f: [DMat3; 4] = std::array::from_fn(|q| self.deformation_gradient(t, q, x));
        let j = f.map(|f| f.determinant());
        if let Some(&bad) = j.iter().find(|j| j.is_nan() || **j <= 0.0) {
            return Err(SimError::Inverted {
                step: 0,
                tet: t,
                region: self.regions[t],
                nodes: [0, 1, 2, 3].map(|i| self.tets[t][i]),
                j: bad,
            });
        }
        let pressure: [f64; 4] = match self.volumetric {
            QuadraticVolumetric::GaussPoint => j.map(|j| m.volumetric_stress(j)),
            QuadraticVolumetric::MeanDilatation => {
                [m.volumetric_stress(0.25 * j.iter().sum::<f64>()); 4]
            }
        };
        let mut out = [DVec3::ZERO; 10];
        for (q, p) in pressure.into_iter().enumerate() {
            let c = f[q].transpose() * f[q];
            let mut s = m.pk2_deviatoric(c, frame) + (j[q] * p) * inverse(c);
            if ta != 0.0 {
                s += self.active.pk2(ta, c, frame.f0);
            }
            let vp = f[q] * s * (0.25 * self.volume0[t]);
            for (fa, g) in out.iter_mut().zip(&self.grads[t][q]) {
                *fa -= vp * *g;
            }
        }
        Ok(out)
    }

    /// The internal (restoring) nodal forces at positions `x` (mN), with active tension `ta` per
    /// tetrahedron (empty: none), gathered in tetrahedron order (deterministic).
    pub fn internal_forces(&self, x: &[DVec3], ta: &[f64]) -> Result<Vec<DVec3>, SimError> {
        let mut forces = vec![DVec3::ZERO; self.node_count()];
        self.internal_forces_into(x, ta, &mut Vec::new(), &mut forces)?;
        Ok(forces)
    }

    /// [`Self::internal_forces`] into `forces`, with `local` (resized here) holding the per-element
    /// forces: no allocation once the buffers have their size.
    pub fn internal_forces_into(
        &self,
        x: &[DVec3],
        ta: &[f64],
        local: &mut Vec<[DVec3; 10]>,
        forces: &mut [DVec3],
    ) -> Result<(), SimError> {
        local.resize(self.tets.len(), [DVec3::ZERO; 10]);
        local
            .par_iter_mut()
            .with_min_len(MIN_LEN)
            .enumerate()
            .try_for_each(|(t, out)| {
                *out = self.element_forces(t, x, ta.get(t).copied().unwrap_or(0.0))?;
                Ok(())
            })?;
        let local = &*local;
        forces
            .par_iter_mut()
            .with_min_len(4 * MIN_LEN)
            .enumerate()
            .for_each(|(n, f)| {
                *f = self.adjacency[self.offsets[n] as usize..self.offsets[n + 1] as usize]
                    .iter()
                    .map(|&(t, a)| local[t as usize][a as usize])
                    .sum();
            });
        Ok(())
    }

    /// The stored energy (uJ = mN mm) at positions `x`: sum_e V0 (mean_q W_dev + U(J_bar)), with
    /// `volumetric_energy` the law's U(J) and the active term Ta/2 (I4f - 1) (module docs; the forces
    /// are its negative gradient for the PK2 active form).
    pub fn energy(&self, x: &[DVec3], ta: &[f64], volumetric_energy: impl Fn(f64) -> f64) -> f64 {
        (0..self.tets.len())
            .map(|t| {
                let (m, frame) = (&self.material, &self.frames[t]);
                let ta = ta.get(t).copied().unwrap_or(0.0);
                let mut sum = 0.0;
                let mut j_bar = 0.0;
                for q in 0..4 {
                    let f = self.deformation_gradient(t, q, x);
                    let c = f.transpose() * f;
                    let j = f.determinant();
                    j_bar += 0.25 * j;
                    sum += 0.25
                        * (m.energy(c, frame) + super::material::active_energy(ta, c, frame.f0));
                    if self.volumetric == QuadraticVolumetric::MeanDilatation {
                        sum -= 0.25 * volumetric_energy(j);
                    }
                }
                if self.volumetric == QuadraticVolumetric::MeanDilatation {
                    sum += volumetric_energy(j_bar);
                }
                self.volume0[t] * sum
            })
            .sum()
    }

    /// Fictitious masses for relaxation at pseudo step 1 with safety factor `safety` (module docs).
    pub fn relaxation_masses(&self, safety: f64) -> Vec<f64> {
        let mut mass = vec![0.0; self.node_count()];
        for (t, tet) in self.tets.iter().enumerate() {
            let modulus = self.material.wave_modulus() * self.volume0[t];
            let norms: [[f64; 10]; 4] = self.grads[t].map(|g| g.map(|v| v.length()));
            let mean: [f64; 10] =
                std::array::from_fn(|a| 0.25 * norms.iter().map(|n| n[a]).sum::<f64>());
            let total_mean: f64 = mean.iter().sum();
            for (a, &node) in tet.iter().enumerate() {
                let deviatoric: f64 = (0..4)
                    .map(|q| 0.25 * norms[q][a] * norms[q].iter().sum::<f64>())
                    .sum();
                let bound = deviatoric.max(mean[a] * total_mean);
                mass[node as usize] += modulus * bound / (4.0 * safety * safety);
            }
        }
        mass
    }

    /// The material point `point` of the linear mesh (whose corners this model shares) interpolated
    /// with the quadratic shape functions from positions `x`.
    pub fn interpolate(&self, point: &MaterialPoint, x: &[DVec3]) -> DVec3 {
        let n = shape_values(point.weights);
        self.tets[point.tet]
            .iter()
            .zip(n)
            .map(|(&node, w)| x[node as usize] * w)
            .sum()
    }
}

/// Relaxes the positions `x` to equilibrium under the loads `at(fraction, loads)` sets (ramped
/// linearly over `options.ramp_steps` from the current state), with `constraints` on this model's
/// nodes ([`QuadraticModel::constraints`]); the same stopping rule as
/// [`crate::mechanics::relax::relax`]. Fails on an inverted element.
pub fn relax(
    model: &QuadraticModel,
    x: &mut [DVec3],
    loads: &mut QuadraticLoads,
    mut at: impl FnMut(f64, &mut QuadraticLoads),
    constraints: &Constraints,
    options: RelaxOptions,
) -> Result<RelaxReport, SimError> {
    let start = Instant::now();
    let mass = model.relaxation_masses(options.safety);
    let mut v = vec![DVec3::ZERO; x.len()];
    let (mut internal, mut r, mut u) = (v.clone(), v.clone(), v.clone());
    let mut local = Vec::new();
    constraints.apply(x, &model.rest);
    let (mut ke_prev, mut resets, mut steps) = (0.0, 0, 0);
    let mut now = Balance::UNKNOWN;
    let mut ke = 0.0;
    while steps < options.max_steps {
        let fraction = options.fraction(steps);
        at(fraction, loads);
        model
            .internal_forces_into(x, &loads.active_tension, &mut local, &mut internal)
            .map_err(|e| at_step(e, steps))?;
        r.copy_from_slice(&internal);
        for p in &loads.pressures {
            p.add_forces(x, &mut r);
        }
        constraints.project_free(&mut r);
        if fraction >= 1.0 && steps > 0 && steps % options.check_every == 0 {
            for ((u, x), x0) in u.iter_mut().zip(x.iter()).zip(&model.rest) {
                *u = *x - *x0;
            }
            now = Balance::of(&r, &internal, &u);
            log::debug!(
                "quadratic relaxation: step {steps}, residual {:.3e}, work {:.3e}",
                now.residual,
                now.work
            );
            if now.within(options.tolerance) {
                break;
            }
        }
        ke = 0.0;
        for (n, ((xn, vn), rn)) in x.iter_mut().zip(&mut v).zip(&r).enumerate() {
            *vn += *rn / mass[n];
            *xn += *vn;
            ke += 0.5 * mass[n] * vn.length_squared();
            if !xn.is_finite() {
                return Err(SimError::NonFinite {
                    step: steps,
                    field: "position",
                    node: n,
                });
            }
        }
        constraints.apply(x, &model.rest);
        constraints.project_free(&mut v);
        steps += 1;
        if ke < ke_prev {
            v.iter_mut().for_each(|v| *v = DVec3::ZERO);
            resets += 1;
            ke_prev = 0.0;
        } else {
            ke_prev = ke;
        }
    }
    Ok(RelaxReport {
        steps,
        residual: now.residual,
        work_residual: now.work,
        tolerance: options.tolerance,
        kinetic_energy: ke,
        converged: now.within(options.tolerance),
        stalled: false,
        resets,
        wall_s: start.elapsed().as_secs_f64(),
    })
}

/// `error` with the step it happened at.
fn at_step(error: SimError, at: u64) -> SimError {
    match error {
        SimError::Inverted {
            tet,
            region,
            nodes,
            j,
            ..
        } => SimError::Inverted {
            step: at,
            tet,
            region,
            nodes,
            j,
        },
        other => other,
    }
}
