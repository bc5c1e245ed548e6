//! The fast CPU backend of the explicit step: the algorithm of [`super::tled`] (same model, loads,
//! conditions and central differences) in two fused passes per step, generic over the precision `T`
//! (f32 or f64, [`Real`]). [`super::tled::step`] stays the reference it is tested against.
//!
//! What is fused, and why it is faster than the reference (which keeps F, S and V0 P between five
//! passes):
//! 1. element pass: per tetrahedron the displacement gradient H = sum_a (u_a - u_3) (x) grad N_a from the
//!    four nodal displacements, F = I + H, J, the stress and the four corner forces f_a = -V0 P grad N_a,
//!    stored (48 bytes per tetrahedron in f32) for
//! 2. node pass: each node gathers its corner forces through the CSR adjacency (tetrahedron order,
//!    deterministic, no atomics), adds gravity, follower pressure (a small triangle pass before it) and
//!    springs, advances by damped central differences, enforces its conditions and checks the result is
//!    finite, all in one visit.
//!
//! With [`Volumetric::NodalAverage`] two short passes (V0 J per tetrahedron, J_n per node) come first.
//!
//! ## Precision
//! The state is the displacement u = x - X, not the position: in f32 a node 90 mm from the origin has a
//! position spacing of 7.6e-6 mm, larger than the first steps of a slow load move it, while u starts at 0
//! and keeps its relative precision (the same choice as the GPU path, [`super::gpu`]). With it is kept the
//! last step's increment du = u_n - u_{n-1}, not the previous displacement (as `mech_node.wgsl` keeps it):
//! a step's change of motion dt^2 f / m can be below one unit in the last place of u, and u + (u - u_prev)
//! would round it away step after step (in f32 the hanging block of `tests/tled_fused.rs` at a twentieth of
//! the stable step was 0.8% off after 10,000 steps; with the increment, 9e-6). J - 1 is computed
//! from H without forming J first (tr H + principal minors + det H) and ln J as ln_1p(J - 1), so small
//! volume changes are not lost to the 1 in J.
//!
//! ## Kernels and threads
//! Compressible neo-Hookean (without active stress or viscosity) and Holzapfel-Ogden (with both) run in
//! blocks of 8 tetrahedra that vectorise (`kernels.rs`); every other law, and a table of several, goes
//! through the reference's f64 constitutive code ([`TledModel`]'s materials) tetrahedron by tetrahedron,
//! with only the kinematics and the gathers in `T`. Nodes and tetrahedra are renumbered internally
//! (`numbering.rs`); on several threads every thread of rayon's pool takes a fixed share of each pass and
//! the threads meet at a spin barrier between passes (`team.rs`, [`FusedTled::run`]).
//!
//! Units as in [`crate::mechanics`]: mm, ms, mg, mN, kPa.

use std::fmt::Debug;

use glam::DVec3;
use num_traits::Float;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

mod kernels;
mod numbering;
mod team;
mod tensor;

use self::kernels::{HoInputs, NhInputs, ho_chunk, nh_chunk};
use self::numbering::Numbering;
use self::team::{Shared, SpinBarrier, TeamViews};
use self::tensor::{
    M3, V3, cofactor, corner_forces, det_minus_one, displacement_gradient, from_dmat3,
    identity_plus, to_dmat3, v3, wide3,
};
use super::loads::{Constraints, Loads};
use super::material::{ActiveStress, Material, switched_slope};
use super::tled::{SimError, Stepping, TledModel, TledState, Volumetric};
use crate::mesh::topology::node_csr;

/// The floating-point type the fused step computes and stores in.
pub trait Real: Float + Default + Debug + Send + Sync + 'static {
    /// "f32" or "f64".
    const NAME: &'static str;
    /// The largest |x| for which [`log1p_series`] is accurate to this type's rounding.
    const SERIES_RANGE: f64;
    /// `x` rounded to this type.
    fn of(x: f64) -> Self;
    /// This value as f64 (exact).
    fn wide(self) -> f64;
    /// ln(1 + self): the series within [`Real::SERIES_RANGE`], the library beyond.
    fn log1p(self) -> Self {
        if self.abs() <= Self::of(Self::SERIES_RANGE) {
            log1p_series(self)
        } else {
            self.ln_1p()
        }
    }
}

impl Real for f32 {
    const NAME: &'static str = "f32";
    const SERIES_RANGE: f64 = 0.4;
    fn of(x: f64) -> Self {
        x as f32
    }
    fn wide(self) -> f64 {
        self as f64
    }
}

impl Real for f64 {
    const NAME: &'static str = "f64";
    const SERIES_RANGE: f64 = 0.1;
    fn of(x: f64) -> Self {
        x
    }
    fn wide(self) -> f64 {
        self
    }
}

/// ln(1 + x) = 2 atanh(s) with s = x / (2 + x), by the series 2 s (1 + s^2/3 + ... + s^10/11), without a
/// branch or a call (so that a loop over tetrahedra vectorises). glibc's log1pf took 30% of the f32 step
/// (perf, peer-nh workload). Truncation error 2 |s|^13 / 13 relative: for |x| <= 0.4 (f32's range),
/// |s| <= 1/4 and 2.3e-9, below f32's rounding; for |x| <= 0.1 (f64's), |s| <= 0.053 and 4e-18.
#[inline(always)]
pub fn log1p_series<T: Real>(x: T) -> T {
    let c = |v: f64| T::of(v);
    let s = x / (c(2.0) + x);
    let z = s * s;
    let p = T::one()
        + z * (c(1.0 / 3.0)
            + z * (c(0.2) + z * (c(1.0 / 7.0) + z * (c(1.0 / 9.0) + z * c(1.0 / 11.0)))));
    c(2.0) * s * p
}

/// How the stress of the element pass is evaluated.
#[derive(Debug, Clone, Copy)]
enum Kernel<T> {
    /// One compressible neo-Hookean material and no viscosity: in `T` (in a run without active tension;
    /// with it, [`Kernel::General`]).
    NeoHookean { mu: T, lambda: T },
    /// One Holzapfel-Ogden material, with or without viscosity and active tension: the tensors in `T`,
    /// the law's scalar coefficients (exponentials, switch) from the invariants in f64, as the
    /// reference computes them (no overflow to inf in f32 for a strained fibre).
    HolzapfelOgden,
    /// Anything else: F in `T`, stress through the reference's f64 laws.
    General,
}

/// Per-node Dirichlet conditions: sliding normals (projected first, as the reference does), then fixed
/// components (the displacement value; NaN for a free component).
#[derive(Debug, Clone)]
struct NodeConditions<T> {
    sliding: Vec<V3<T>>,
    fixed: V3<T>,
}

/// A spring of [`super::SpringLoad`] at one node.
#[derive(Debug, Clone, Copy)]
struct NodeSpring<T> {
    load: u32,
    area: T,
    normal: V3<T>,
}

/// A node -> items CSR table ([`node_csr`]'s).
#[derive(Debug, Clone, Default)]
struct Csr {
    offsets: Vec<u32>,
    items: Vec<u32>,
}

impl Csr {
    fn of(&self, n: usize) -> &[u32] {
        &self.items[self.offsets[n] as usize..self.offsets[n + 1] as usize]
    }
}

/// The fused explicit step of one model, with its state (displacements now and one step ago) in `T`.
pub struct FusedTled<T: Real> {
    model: TledModel,
    kernel: Kernel<T>,
    /// grad N_0, grad N_1, grad N_2 per tetrahedron (grad N_3 is minus their sum), 1/mm.
    grads: Vec<[V3<T>; 3]>,
    volume0: Vec<T>,
    /// f0 and s0 per tetrahedron (the Holzapfel-Ogden kernel only; empty otherwise).
    frames: Vec<[V3<T>; 2]>,
    /// node -> 4 t + corner, in tetrahedron order.
    corners_of: Csr,
    inv_mass: Vec<T>,
    /// Physical lumped mass rho V0 / 4 per node (gravity acts on it), mg.
    weight_mass: Vec<T>,
    /// Sum of V0 around each node (nodal averaging), mm^3.
    inv_node_volume: Vec<T>,
    /// Pressure triangles of all loads, (load, nodes, rest edges x1 - x0 and x2 - x0).
    faces: Vec<(u32, [u32; 3], [V3<T>; 2])>,
    face_counts: Vec<usize>,
    faces_of: Csr,
    springs: Vec<NodeSpring<T>>,
    spring_counts: Vec<usize>,
    springs_of: Csr,
    conditions: Vec<NodeConditions<T>>,
    /// Index into `conditions` per node, `u32::MAX` when free.
    condition_of: Vec<u32>,
    work: Work<T>,
    /// The internal numbering of nodes and tetrahedra ([`Numbering`]).
    numbering: Numbering,
    /// Time, ms, and steps taken.
    pub t: f64,
    pub step: u64,
}

impl<T: Real> FusedTled<T> {
    /// The fused step of `model` under the load set `loads` (its triangles, springs and their nodes are
    /// fixed here; the pressures, springs' coefficients, gravity and active tension are read every step)
    /// and `constraints`, starting from `state`.
    pub fn new(
        model: &TledModel,
        loads: &Loads,
        constraints: &Constraints,
        state: &TledState,
    ) -> Result<Self, SimError> {
        let nodes = model.node_count();
        let tets = model.tets.len();
        for (what, len) in [
            ("state positions", state.x.len()),
            ("state previous positions", state.x_prev.len()),
        ] {
            if len != nodes {
                return Err(SimError::Length {
                    what,
                    len,
                    expected: nodes,
                    items: "nodes",
                });
            }
        }
        let kernel = match model.materials.as_slice() {
            [Material::HolzapfelOgden(_)] => Kernel::HolzapfelOgden,
            [Material::NeoHookean(nh)] if model.viscosity.is_none() => Kernel::NeoHookean {
                mu: T::of(nh.mu),
                lambda: T::of(nh.lambda),
            },
            _ => Kernel::General,
        };
        let numbering = Numbering::of(model);
        let new = |n: u32| numbering.node_new[n as usize];
        // node -> tetrahedron, then each entry t turned into the corner 4 t + a the node is at (a
        // tetrahedron holds a node once: the model refuses degenerate ones).
        let (offsets, mut items) = node_csr(nodes, &numbering.tets);
        for (n, range) in offsets.windows(2).enumerate() {
            for entry in &mut items[range[0] as usize..range[1] as usize] {
                let tet = numbering.tets[*entry as usize];
                let a = tet.iter().position(|&m| m as usize == n).unwrap_or(0);
                *entry = 4 * *entry + a as u32;
            }
        }
        let corners_of = Csr { offsets, items };
        let volume0: Vec<f64> = numbering
            .tet_old
            .iter()
            .map(|&t| model.volume0[t as usize])
            .collect();
        let node_volume: Vec<f64> = (0..nodes)
            .map(|n| {
                corners_of
                    .of(n)
                    .iter()
                    .map(|&c| volume0[(c / 4) as usize])
                    .sum()
            })
            .collect();
        let mut faces = Vec::new();
        for (l, p) in loads.pressures.iter().enumerate() {
            for &f in &p.faces {
                let x = f.map(|n| model.rest[n as usize]);
                faces.push((l as u32, f.map(new), [v3(x[1] - x[0]), v3(x[2] - x[0])]));
            }
        }
        let (offsets, items) = node_csr(nodes, &faces.iter().map(|f| f.1).collect::<Vec<_>>());
        let faces_of = Csr { offsets, items };
        let mut springs = Vec::new();
        let mut spring_nodes = Vec::new();
        for (l, s) in loads.springs.iter().enumerate() {
            for (i, &n) in s.nodes.iter().enumerate() {
                spring_nodes.push([new(n)]);
                springs.push(NodeSpring {
                    load: l as u32,
                    area: T::of(s.area[i]),
                    normal: v3(s.normal[i]),
                });
            }
        }
        let (offsets, items) = node_csr(nodes, &spring_nodes);
        let springs_of = Csr { offsets, items };
        let mut condition_of = vec![u32::MAX; nodes];
        let mut conditions: Vec<NodeConditions<T>> = Vec::new();
        let mut slot =
            |n: u32, conditions: &mut Vec<NodeConditions<T>>| -> Result<usize, SimError> {
                if n as usize >= nodes {
                    return Err(SimError::Length {
                        what: "a constrained node index",
                        len: n as usize,
                        expected: nodes,
                        items: "nodes (index out of range)",
                    });
                }
                let n = new(n) as usize;
                if condition_of[n] == u32::MAX {
                    condition_of[n] = conditions.len() as u32;
                    conditions.push(NodeConditions {
                        sliding: Vec::new(),
                        fixed: [T::nan(); 3],
                    });
                }
                Ok(condition_of[n] as usize)
            };
        for &(n, normal) in &constraints.sliding {
            let i = slot(n, &mut conditions)?;
            conditions[i].sliding.push(v3(normal));
        }
        for &(n, axis, value) in &constraints.fixed {
            let i = slot(n, &mut conditions)?;
            conditions[i].fixed[axis.min(2)] = T::of(value - model.rest[n as usize][axis.min(2)]);
        }
        let disp = |x: &[DVec3]| -> Vec<V3<T>> {
            let old = &numbering.node_old;
            old.iter()
                .map(|&n| v3(x[n as usize] - model.rest[n as usize]))
                .collect()
        };
        let old_nodes = |v: &[f64]| -> Vec<T> {
            let old = &numbering.node_old;
            old.iter().map(|&n| T::of(v[n as usize])).collect()
        };
        // The increment du = x - x_prev is formed in f64, as the GPU forms it; a constrained node's is
        // the difference of its constrained displacements.
        let mut u = disp(&state.x);
        let mut du: Vec<V3<T>> = numbering
            .node_old
            .iter()
            .map(|&n| v3(state.x[n as usize] - state.x_prev[n as usize]))
            .collect();
        let mut u_prev = disp(&state.x_prev);
        for (n, &c) in condition_of.iter().enumerate() {
            if c != u32::MAX {
                constrain(&conditions[c as usize], &mut u[n]);
                constrain(&conditions[c as usize], &mut u_prev[n]);
                du[n] = std::array::from_fn(|i| u[n][i] - u_prev[n][i]);
            }
        }
        let per_node = if model.volumetric == Volumetric::NodalAverage {
            nodes
        } else {
            0
        };
        let work = Work {
            u,
            du,
            corner: vec![[T::zero(); 3]; 4 * tets],
            face: vec![[T::zero(); 3]; faces.len()],
            vj: vec![T::zero(); if per_node > 0 { tets } else { 0 }],
            jm1: vec![T::zero(); per_node],
            p: vec![T::zero(); per_node],
        };
        let fused = FusedTled {
            kernel,
            grads: numbering
                .tet_old
                .iter()
                .map(|&t| model.grads[t as usize])
                .map(|g| [v3(g[0]), v3(g[1]), v3(g[2])])
                .collect(),
            volume0: volume0.iter().map(|&v| T::of(v)).collect(),
            frames: match kernel {
                Kernel::HolzapfelOgden => numbering
                    .tet_old
                    .iter()
                    .map(|&t| {
                        let fr = &model.frames[t as usize];
                        [v3(fr.f0), v3(fr.s0)]
                    })
                    .collect(),
                _ => Vec::new(),
            },
            corners_of,
            inv_mass: old_nodes(&model.mass.iter().map(|m| 1.0 / m).collect::<Vec<_>>()),
            weight_mass: old_nodes(
                &(0..nodes)
                    .map(|n| model.physical_mass(n))
                    .collect::<Vec<_>>(),
            ),
            inv_node_volume: node_volume.iter().map(|&v| T::of(1.0 / v)).collect(),
            face_counts: loads.pressures.iter().map(|p| p.faces.len()).collect(),
            faces,
            faces_of,
            spring_counts: loads.springs.iter().map(|s| s.nodes.len()).collect(),
            springs,
            springs_of,
            conditions,
            condition_of,
            work,
            numbering,
            t: state.t,
            step: state.step,
            model: model.clone(),
        };
        Ok(fused)
    }

    /// Positions now, mm.
    pub fn positions(&self) -> Vec<DVec3> {
        self.positions_of(&self.work.u)
    }

    /// Writes the positions now into `x` (mm), reusing its allocation.
    pub fn positions_into(&self, x: &mut Vec<DVec3>) {
        self.write_positions(&self.work.u, x);
    }

    /// Positions for internal displacements `u`, in the model's node order, into `x`.
    fn write_positions(&self, u: &[V3<T>], x: &mut Vec<DVec3>) {
        x.clear();
        x.extend(
            self.numbering
                .node_new
                .iter()
                .zip(&self.model.rest)
                .map(|(&n, r)| *r + wide3(u[n as usize])),
        );
    }

    fn positions_of(&self, u: &[V3<T>]) -> Vec<DVec3> {
        let mut x = Vec::with_capacity(u.len());
        self.write_positions(u, &mut x);
        x
    }

    /// The state in the reference's form (positions now and one step ago, time, step count).
    pub fn state(&self) -> TledState {
        TledState {
            x: self.positions(),
            x_prev: self.previous_positions(),
            t: self.t,
            step: self.step,
        }
    }

    /// The positions one step ago, X + u - du (f64), in the model's node order.
    fn previous_positions(&self) -> Vec<DVec3> {
        let (u, du) = (&self.work.u, &self.work.du);
        self.numbering
            .node_new
            .iter()
            .zip(&self.model.rest)
            .map(|(&n, r)| *r + (wide3(u[n as usize]) - wide3(du[n as usize])))
            .collect()
    }

    /// Sets the velocity to zero (the increments become zero): kinetic damping's reset, as
    /// [`TledState::stop`].
    pub fn stop(&mut self) {
        self.work.du.fill([T::zero(); 3]);
    }

    /// The kinetic energy sum m |du|^2 / (2 dt^2) for step `dt` (ms), uJ, with the model's (possibly
    /// scaled) masses, as [`TledState::kinetic_energy`].
    pub fn kinetic_energy(&self, dt: f64) -> f64 {
        self.work
            .du
            .iter()
            .zip(&self.inv_mass)
            .map(|(d, w)| 0.5 * wide3(*d).length_squared() / w.wide())
            .sum::<f64>()
            / (dt * dt)
    }

    /// The nodes whose displacements the f64 positions of [`Self::state`] do not give back exactly
    /// (a new step built from that state computes `T::of(x - X)`, which can differ from the stored u in
    /// the last bit): what a checkpoint must keep besides the positions for a resumed run to continue
    /// bit for bit ([`Self::restore_exact`]).
    pub fn round_trip_exceptions(&self) -> Vec<ExactNode> {
        let (u, du) = (&self.work.u, &self.work.du);
        let rest = &self.model.rest;
        // Whether T(a - b) gives v back, for the f64 positions a and b that v was widened into.
        let back = |a: DVec3, b: DVec3, v: V3<T>| -> bool {
            (0..3).all(|c| T::of(a[c] - b[c]).wide() == v[c].wide())
        };
        (0..rest.len())
            .filter_map(|old| {
                let n = self.numbering.node_new[old] as usize;
                let r = rest[old];
                let x = r + wide3(u[n]);
                let x_prev = r + (wide3(u[n]) - wide3(du[n]));
                (!(back(x, r, u[n]) && back(x, x_prev, du[n]))).then(|| ExactNode {
                    node: old as u32,
                    u: wide3(u[n]).to_array(),
                    du: wide3(du[n]).to_array(),
                })
            })
            .collect()
    }

    /// Writes back the displacements of [`Self::round_trip_exceptions`] (model numbering).
    pub fn restore_exact(&mut self, exact: &[ExactNode]) -> Result<(), SimError> {
        let nodes = self.model.node_count();
        for e in exact {
            let old = e.node as usize;
            if old >= nodes {
                return Err(SimError::Length {
                    what: "an exact-displacement node index of the checkpoint",
                    len: old,
                    expected: nodes,
                    items: "nodes (index out of range)",
                });
            }
            let n = self.numbering.node_new[old] as usize;
            self.work.u[n] = v3(DVec3::from_array(e.u));
            self.work.du[n] = v3(DVec3::from_array(e.du));
        }
        Ok(())
    }

    /// Checks that `loads` has the shape given at construction.
    fn check_loads(&self, loads: &Loads) -> Result<(), SimError> {
        let tets = self.model.tets.len();
        let ta = loads.active_tension.len();
        if ta != 0 && ta != tets {
            return Err(SimError::Length {
                what: "active tension",
                len: ta,
                expected: tets,
                items: "tetrahedra",
            });
        }
        // Checked every step: compared without allocating.
        let faces = loads.pressures.iter().map(|p| p.faces.len());
        let springs = loads.springs.iter().map(|s| s.nodes.len());
        if !faces.clone().eq(self.face_counts.iter().copied())
            || !springs.clone().eq(self.spring_counts.iter().copied())
        {
            return Err(SimError::Length {
                what: "pressure triangles and spring nodes (per load) of the step's loads",
                len: faces.sum::<usize>() + springs.sum::<usize>(),
                expected: self.face_counts.iter().sum::<usize>()
                    + self.spring_counts.iter().sum::<usize>(),
                items: "given when the fused step was built",
            });
        }
        Ok(())
    }

    /// Advances one step of `stepping` under `loads` (same triangles and springs as at construction).
    pub fn step(&mut self, stepping: Stepping, loads: &Loads) -> Result<(), SimError> {
        self.run(1, stepping, loads)
    }

    /// Takes `steps` steps of `stepping` under `loads`. On one thread the passes run one after the
    /// other; on several, each thread of rayon's pool takes a fixed contiguous share of every pass and
    /// the threads meet at a spin barrier between passes (two to five per step) for the whole run: on a
    /// 12k-tetrahedron mesh a step takes about 0.1 ms, too short for a fork-join per pass (measured:
    /// with rayon's parallel iterators two threads were no faster than one there). The result does not
    /// depend on the number of threads (every sum has a fixed order). After an error the state is that
    /// of the step that failed.
    pub fn run(&mut self, steps: u64, stepping: Stepping, loads: &Loads) -> Result<(), SimError> {
        self.check_loads(loads)?;
        let k = Coefficients::new(stepping, loads, &self.kernel);
        let mut work = std::mem::take(&mut self.work);
        let threads = rayon::current_num_threads().max(1);
        let done = if threads == 1 || steps == 0 {
            self.run_serial(&mut work, steps, &k, loads)
        } else {
            self.run_team(&mut work, steps, &k, loads, threads)
        };
        let (taken, failure) = match done {
            Ok(()) => (steps, None),
            Err((taken, f)) => (taken, Some(f)),
        };
        self.t += taken as f64 * stepping.dt;
        self.step += taken;
        let error = match failure {
            None => None,
            Some(Failure::Tet(t)) => Some(self.inverted(&work.u, t)),
            Some(Failure::Node(node)) => Some(SimError::NonFinite {
                step: self.step,
                field: "position",
                node: self.numbering.node_old[node] as usize,
            }),
        };
        self.work = work;
        error.map_or(Ok(()), Err)
    }

    /// The steps on the calling thread. Err: (steps completed, what failed in the next).
    fn run_serial(
        &self,
        work: &mut Work<T>,
        steps: u64,
        k: &Coefficients<T>,
        loads: &Loads,
    ) -> Result<(), (u64, Failure)> {
        let (tets, nodes) = (0..self.numbering.tets.len(), 0..self.model.node_count());
        let Work {
            u,
            du,
            corner,
            face,
            vj,
            jm1,
            p,
        } = work;
        for s in 0..steps {
            if self.model.volumetric == Volumetric::NodalAverage {
                self.tet_volumes(u, tets.clone(), vj);
                self.node_volumes(vj, nodes.clone(), jm1, p);
            }
            let ta = &loads.active_tension;
            self.elements(u, du, jm1, p, k, ta, tets.clone(), corner)
                .map_err(|t| (s, Failure::Tet(t)))?;
            self.faces(u, k, 0..self.faces.len(), face);
            self.nodes(corner, face, k, nodes.clone(), u, du)
                .map_err(|n| (s, Failure::Node(n)))?;
        }
        Ok(())
    }

    /// The steps on every thread of rayon's pool, each with its share of every pass (see [`Self::run`]).
    fn run_team(
        &self,
        work: &mut Work<T>,
        steps: u64,
        k: &Coefficients<T>,
        loads: &Loads,
        threads: usize,
    ) -> Result<(), (u64, Failure)> {
        let nodal = self.model.volumetric == Volumetric::NodalAverage;
        let has_faces = !self.faces.is_empty();
        let (nodes, faces) = (self.model.node_count(), self.faces.len());
        let tet_min = &self.numbering.tet_min;
        let Work {
            u,
            du,
            corner,
            face,
            vj,
            jm1,
            p,
        } = work;
        let views = TeamViews {
            u: Shared::new(u),
            du: Shared::new(du),
            corner: Shared::new(corner),
            face: Shared::new(face),
            vj: Shared::new(vj),
            jm1: Shared::new(jm1),
            p: Shared::new(p),
        };
        let barrier = SpinBarrier::new(threads);
        let bad_tet = AtomicUsize::new(usize::MAX);
        let bad_node = AtomicUsize::new(usize::MAX);
        let failed_at = AtomicU64::new(u64::MAX);
        let ta = &loads.active_tension;
        rayon::broadcast(|ctx| {
            let (me, n) = (ctx.index(), ctx.num_threads());
            debug_assert_eq!(n, threads);
            let share = |len: usize| len * me / n..len * (me + 1) / n;
            let (my_nodes, my_faces) = (share(nodes), share(faces));
            // The tetrahedra whose first node (in the internal numbering) is this thread's: mostly the
            // ones whose corner forces its nodes gather.
            let first_of = |node: usize| tet_min.partition_point(|&m| (m as usize) < node);
            let my_tets = first_of(my_nodes.start)..first_of(my_nodes.end);
            for s in 0..steps {
                // SAFETY (every block below): between two barriers each buffer is either only read, by
                // all threads, or written by each thread in its own range of it and not read outside
                // that range by anyone (see the pass list in TeamViews); the barrier orders the phases.
                if nodal {
                    unsafe {
                        self.tet_volumes(
                            views.u.all(),
                            my_tets.clone(),
                            views.vj.range(my_tets.clone()),
                        );
                    }
                    barrier.wait();
                    unsafe {
                        let r = my_nodes.clone();
                        self.node_volumes(
                            views.vj.all(),
                            r.clone(),
                            views.jm1.range(r.clone()),
                            views.p.range(r),
                        );
                    }
                    barrier.wait();
                }
                let result = unsafe {
                    let out = views.corner.range(4 * my_tets.start..4 * my_tets.end);
                    let (jm1, p) = (views.jm1.all(), views.p.all());
                    let (u, du) = (views.u.all(), views.du.all());
                    self.elements(u, du, jm1, p, k, ta, my_tets.clone(), out)
                };
                if let Err(t) = result {
                    bad_tet.fetch_min(t, Ordering::Relaxed);
                }
                barrier.wait();
                if bad_tet.load(Ordering::Relaxed) != usize::MAX {
                    failed_at.fetch_min(s, Ordering::Relaxed);
                    return;
                }
                if has_faces {
                    unsafe {
                        self.faces(
                            views.u.all(),
                            k,
                            my_faces.clone(),
                            views.face.range(my_faces.clone()),
                        );
                    }
                    barrier.wait();
                }
                let result = unsafe {
                    let r = my_nodes.clone();
                    self.nodes(
                        views.corner.all(),
                        views.face.all(),
                        k,
                        r.clone(),
                        views.u.range(r.clone()),
                        views.du.range(r),
                    )
                };
                if let Err(node) = result {
                    bad_node.fetch_min(node, Ordering::Relaxed);
                }
                barrier.wait();
                if bad_node.load(Ordering::Relaxed) != usize::MAX {
                    failed_at.fetch_min(s, Ordering::Relaxed);
                    return;
                }
            }
        });
        let failed = failed_at.load(Ordering::Relaxed);
        let completed = failed.min(steps);
        if failed == u64::MAX {
            return Ok(());
        }
        let failure = match bad_tet.load(Ordering::Relaxed) {
            usize::MAX => Failure::Node(bad_node.load(Ordering::Relaxed)),
            t => Failure::Tet(t),
        };
        Err((completed, failure))
    }

    /// V0 (J - 1) of the tetrahedra `range` into `out` (nodal averaging).
    fn tet_volumes(&self, u: &[V3<T>], range: Range<usize>, out: &mut [T]) {
        let tets = &self.numbering.tets[range.clone()];
        for ((t, tet), vj) in range.zip(tets).zip(out) {
            let h = displacement_gradient(tet.map(|n| u[n as usize]), &self.grads[t]);
            *vj = self.volume0[t] * det_minus_one(&h);
        }
    }

    /// J_n - 1 = sum V0 (J - 1) / sum V0 of the nodes `range` (and U'(J_n) for the single-law kernels).
    fn node_volumes(&self, vj: &[T], range: Range<usize>, jm1: &mut [T], p: &mut [T]) {
        for ((n, jm1), p) in range.zip(jm1).zip(p) {
            let sum = self
                .corners_of
                .of(n)
                .iter()
                .fold(T::zero(), |s, &c| s + vj[(c / 4) as usize]);
            *jm1 = sum * self.inv_node_volume[n];
            match self.kernel {
                Kernel::NeoHookean { lambda, .. } => {
                    *p = lambda * jm1.log1p() / (T::one() + *jm1);
                }
                Kernel::HolzapfelOgden => {
                    *p = T::of(self.model.materials[0].volumetric_stress(1.0 + jm1.wide()));
                }
                Kernel::General => {}
            }
        }
    }

    /// The corner forces of the tetrahedra `range` into `out` (4 per tetrahedron). Err(t): tetrahedron
    /// t is inverted or not finite.
    #[allow(clippy::too_many_arguments)]
    fn elements(
        &self,
        u: &[V3<T>],
        du: &[V3<T>],
        jm1: &[T],
        p: &[T],
        k: &Coefficients<T>,
        ta: &[f64],
        range: Range<usize>,
        out: &mut [V3<T>],
    ) -> Result<(), usize> {
        let nodal = self.model.volumetric == Volumetric::NodalAverage;
        match self.kernel {
            Kernel::NeoHookean { mu, lambda } if !k.active => {
                let nh = NhInputs {
                    fused: self,
                    u,
                    p_node: p,
                    mu,
                    lambda,
                };
                if nodal {
                    nh_chunk::<T, true>(&nh, range.start, out)
                } else {
                    nh_chunk::<T, false>(&nh, range.start, out)
                }
            }
            Kernel::HolzapfelOgden => {
                let ho = HoInputs {
                    fused: self,
                    u,
                    du,
                    p_node: p,
                    ta,
                    k,
                };
                if nodal {
                    ho_chunk::<T, true>(&ho, range.start, out)
                } else {
                    ho_chunk::<T, false>(&ho, range.start, out)
                }
            }
            _ => {
                for (t, o) in range.zip(out.chunks_exact_mut(4)) {
                    let f = self.general_tet(u, du, jm1, t, k.dt, ta).ok_or(t)?;
                    o.copy_from_slice(&f);
                }
                Ok(())
            }
        }
    }

    /// The error for inverted (or non-finite) tetrahedron `t` at displacements `u`.
    fn inverted(&self, u: &[V3<T>], t: usize) -> SimError {
        let tet = self.numbering.tets[t];
        let h = displacement_gradient(tet.map(|n| u[n as usize]), &self.grads[t]);
        let original = self.numbering.tet_old[t] as usize;
        SimError::Inverted {
            step: self.step,
            tet: original,
            region: self.model.regions[original],
            nodes: self.model.tets[original],
            j: 1.0 + det_minus_one(&h).wide(),
        }
    }

    /// The corner forces of tetrahedron `t` with the Holzapfel-Ogden law (the only material), active
    /// tension and Kelvin-Voigt viscosity; `None` when it is inverted or not finite. With f = F f0 and
    /// s = F s0, P = F S is assembled directly as
    /// iso (F - I1/3 F^-T) + (2 g_f' + Ta') f (x) f0 + 2 g_s' s (x) s0 + g_fs' (f (x) s0 + s (x) f0)
    /// plus J p F^-T and eta/2 F Cdot, with iso = a e^{b (I1bar - 3)} J^-2/3, Ta' = Ta (PK2) or
    /// Ta J / I4f (Cauchy), F^-T = cof F / J (see [`crate::mechanics::material::HolzapfelOgden`]).
    fn ho_tet(
        &self,
        u: &[V3<T>],
        du: &[V3<T>],
        p_node: &[T],
        t: usize,
        k: &Coefficients<T>,
        ta: &[f64],
    ) -> Option<[V3<T>; 4]> {
        let Material::HolzapfelOgden(ho) = self.model.materials[0] else {
            unreachable!("the Holzapfel-Ogden kernel is chosen for a Holzapfel-Ogden model only")
        };
        let tet = self.numbering.tets[t];
        let h = displacement_gradient(tet.map(|n| u[n as usize]), &self.grads[t]);
        let jm1 = det_minus_one(&h);
        let j = T::one() + jm1;
        if j.is_nan() || j <= T::zero() {
            return None;
        }
        let f = identity_plus(&h);
        let [f0, s0] = self.frames[t];
        let mul = |a: V3<T>| -> V3<T> {
            std::array::from_fn(|i| f[i][0] * a[0] + f[i][1] * a[1] + f[i][2] * a[2])
        };
        let dot = |a: V3<T>, b: V3<T>| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
        let (fv, sv) = (mul(f0), mul(s0));
        let i1 = f.iter().flatten().fold(T::zero(), |s, &v| s + v * v).wide();
        let (i4f, i4s, i8) = (dot(fv, fv).wide(), dot(sv, sv).wide(), dot(fv, sv).wide());
        let jw = j.wide();
        let j23 = (-2.0 / 3.0 * Real::log1p(jm1.wide())).exp();
        let iso = ho.a * (ho.b * (j23 * i1 - 3.0)).exp() * j23;
        let df = switched_slope(ho.a_f, ho.b_f, ho.k, i4f);
        let ds = switched_slope(ho.a_s, ho.b_s, ho.k, i4s);
        let dfs = ho.a_fs * i8 * (ho.b_fs * i8 * i8).exp();
        let p = if self.model.volumetric == Volumetric::NodalAverage {
            tet.iter().map(|&n| p_node[n as usize].wide()).sum::<f64>() * 0.25
        } else {
            ho.penalty.mean_stress(jw)
        };
        let t_model = self.numbering.tet_old[t] as usize;
        let tension = ta.get(t_model).copied().unwrap_or(0.0);
        let active = match self.model.active {
            ActiveStress::Pk2 => tension,
            ActiveStress::Cauchy => tension * jw / i4f,
        };
        let cof = cofactor(&f);
        let (c_iso, c_cof) = (T::of(iso), T::of((jw * p - iso * i1 / 3.0) / jw));
        let (c_ff, c_ss, c_fs) = (T::of(2.0 * df + active), T::of(2.0 * ds), T::of(dfs));
        let mut pk1: M3<T> = std::array::from_fn(|i| {
            std::array::from_fn(|m| {
                c_iso * f[i][m]
                    + c_cof * cof[i][m]
                    + c_ff * fv[i] * f0[m]
                    + c_ss * sv[i] * s0[m]
                    + c_fs * (fv[i] * s0[m] + sv[i] * f0[m])
            })
        });
        if let Some(kv) = self.model.viscosity {
            // Fdot = sum_a v_a (x) grad N_a, Cdot = Fdot^T F + F^T Fdot, P_v = eta/2 F Cdot.
            let v = tet.map(|n| du[n as usize].map(|d| d * k.inv_dt));
            let f_dot = displacement_gradient(v, &self.grads[t]);
            let c_dot: M3<T> = std::array::from_fn(|i| {
                std::array::from_fn(|m| {
                    (0..3).fold(T::zero(), |s, r| {
                        s + f_dot[r][i] * f[r][m] + f[r][i] * f_dot[r][m]
                    })
                })
            });
            let half_eta = T::of(0.5 * kv.eta);
            for (i, row) in pk1.iter_mut().enumerate() {
                for (m, v) in row.iter_mut().enumerate() {
                    let fc = (0..3).fold(T::zero(), |s, r| s + f[i][r] * c_dot[r][m]);
                    *v = *v + half_eta * fc;
                }
            }
        }
        Some(corner_forces(&pk1, &self.grads[t], self.volume0[t]))
    }

    /// The corner forces of tetrahedron `t` through the reference's f64 constitutive code (any law,
    /// active stress, viscosity); `None` when it is inverted or not finite.
    fn general_tet(
        &self,
        u: &[V3<T>],
        du: &[V3<T>],
        jm1_node: &[T],
        t: usize,
        dt: f64,
        ta: &[f64],
    ) -> Option<[V3<T>; 4]> {
        let model = &self.model;
        let tet = self.numbering.tets[t];
        let h = displacement_gradient(tet.map(|n| u[n as usize]), &self.grads[t]);
        let j = 1.0 + det_minus_one(&h).wide();
        let (grads, volume0) = (&self.grads[t], self.volume0[t]);
        // The model's own number of the tetrahedron, for its material, frame and gradients.
        let t = self.numbering.tet_old[t] as usize;
        if j.is_nan() || j <= 0.0 {
            return None;
        }
        let f = to_dmat3(&identity_plus(&h));
        let m = model.material(t);
        let p = if model.volumetric == Volumetric::NodalAverage {
            0.25 * tet
                .iter()
                .map(|&n| m.volumetric_stress(1.0 + jm1_node[n as usize].wide()))
                .sum::<f64>()
        } else {
            m.volumetric_stress(f.determinant())
        };
        let f_dot = model.viscosity.map(|_| {
            let v = tet.map(|n| wide3(du[n as usize]) / dt);
            model.deformation_rate(t, &v)
        });
        let ta = ta.get(t).copied().unwrap_or(0.0);
        let p = from_dmat3::<T>(&(f * model.pk2(t, f, p, ta, f_dot)));
        Some(corner_forces(&p, grads, volume0))
    }

    /// The follower-pressure force of the triangles `range` on each of their nodes,
    /// -p/6 (x1 - x0) x (x2 - x0), into `out`.
    fn faces(&self, u: &[V3<T>], k: &Coefficients<T>, range: Range<usize>, out: &mut [V3<T>]) {
        for ((l, f, e), out) in self.faces[range].iter().zip(out) {
            let d = |i: usize| -> V3<T> {
                let (a, b) = (u[f[i] as usize], u[f[0] as usize]);
                std::array::from_fn(|c| e[i - 1][c] + a[c] - b[c])
            };
            let (a, b) = (d(1), d(2));
            let s = k.pressure_scale[*l as usize];
            *out = [
                s * (a[1] * b[2] - a[2] * b[1]),
                s * (a[2] * b[0] - a[0] * b[2]),
                s * (a[0] * b[1] - a[1] * b[0]),
            ];
        }
    }

    /// The nodes `range`: gathers each one's force, advances it by damped central differences in the
    /// increment form of `mech_node.wgsl` (du_next = a du + b f / m, u_next = u + du_next, the same
    /// central difference as u_next = u + a (u - u_prev) + b f / m, but a step's change of motion below
    /// one unit in the last place of u is not rounded away), enforces its conditions (on u_next; a
    /// constrained node's increment is then the difference of its constrained displacements) and checks
    /// it is finite. `u` and `du` are this range's slices, updated in place. Err(n): node n is not.
    fn nodes(
        &self,
        corner: &[V3<T>],
        face: &[V3<T>],
        k: &Coefficients<T>,
        range: Range<usize>,
        u: &mut [V3<T>],
        du: &mut [V3<T>],
    ) -> Result<(), usize> {
        for ((n, un), dn) in range.zip(u).zip(du) {
            let mut f = self.corners_of.of(n).iter().fold([T::zero(); 3], |s, &i| {
                let fi = corner[i as usize];
                [s[0] + fi[0], s[1] + fi[1], s[2] + fi[2]]
            });
            if k.has_gravity {
                let m = self.weight_mass[n];
                for (fi, gi) in f.iter_mut().zip(k.gravity) {
                    *fi = *fi + gi * m;
                }
            }
            for &i in self.faces_of.of(n) {
                for (s, v) in f.iter_mut().zip(face[i as usize]) {
                    *s = *s + v;
                }
            }
            let (now, inc) = (*un, *dn);
            for &i in self.springs_of.of(n) {
                let s = self.springs[i as usize];
                let (stiffness, damping, normal_only) = k.springs[s.load as usize];
                let v: V3<T> = inc.map(|d| d * k.inv_dt);
                let r: V3<T> = if normal_only {
                    let nn = s.normal;
                    let dot = |w: V3<T>| w[0] * nn[0] + w[1] * nn[1] + w[2] * nn[2];
                    let m = stiffness * dot(now) + damping * dot(v);
                    nn.map(|x| x * m)
                } else {
                    std::array::from_fn(|c| stiffness * now[c] + damping * v[c])
                };
                for (fi, ri) in f.iter_mut().zip(r) {
                    *fi = *fi - ri * s.area;
                }
            }
            let scale = k.b * self.inv_mass[n];
            let inc_next: V3<T> = std::array::from_fn(|c| k.a * inc[c] + f[c] * scale);
            let mut next: V3<T> = std::array::from_fn(|c| now[c] + inc_next[c]);
            // Checked before the constraints, so that a fixed component cannot hide a NaN.
            if !next.iter().all(|v| v.is_finite()) {
                return Err(n);
            }
            let cond = self.condition_of[n];
            if cond == u32::MAX {
                *dn = inc_next;
            } else {
                let c = &self.conditions[cond as usize];
                constrain(c, &mut next);
                let mut before = now;
                constrain(c, &mut before);
                *dn = std::array::from_fn(|i| next[i] - before[i]);
            }
            *un = next;
        }
        Ok(())
    }
}

/// A node whose displacement and last increment (mm) its positions do not give back exactly; see
/// [`FusedTled::round_trip_exceptions`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ExactNode {
    pub node: u32,
    /// u = x - X.
    pub u: [f64; 3],
    /// du = u_n - u_{n-1}.
    pub du: [f64; 3],
}

/// What stopped a run.
#[derive(Debug, Clone, Copy)]
enum Failure {
    Tet(usize),
    Node(usize),
}

/// The per-run constants of the node and face passes.
struct Coefficients<T> {
    dt: f64,
    inv_dt: T,
    /// x_{n+1} = x_n + a (x_n - x_{n-1}) + b f / m.
    a: T,
    b: T,
    gravity: V3<T>,
    has_gravity: bool,
    /// Any non-zero active tension (looked for only with the neo-Hookean kernel, the one it decides
    /// between the vectorised and the general path).
    active: bool,
    /// -p / 6 per pressure load.
    pressure_scale: Vec<T>,
    /// (stiffness, damping, normal only) per spring load.
    springs: Vec<(T, T, bool)>,
}

impl<T: Real> Coefficients<T> {
    fn new(stepping: Stepping, loads: &Loads, kernel: &Kernel<T>) -> Self {
        let Stepping { dt, damping } = stepping;
        Coefficients {
            dt,
            inv_dt: T::of(1.0 / dt),
            a: T::of((1.0 - 0.5 * damping * dt) / (1.0 + 0.5 * damping * dt)),
            b: T::of(dt * dt / (1.0 + 0.5 * damping * dt)),
            gravity: v3(loads.gravity),
            has_gravity: loads.gravity != DVec3::ZERO,
            active: matches!(kernel, Kernel::NeoHookean { .. })
                && loads.active_tension.iter().any(|&t| t != 0.0),
            pressure_scale: loads
                .pressures
                .iter()
                .map(|p| T::of(-p.pressure / 6.0))
                .collect(),
            springs: loads
                .springs
                .iter()
                .map(|s| (T::of(s.stiffness), T::of(s.damping), s.normal_only))
                .collect(),
        }
    }
}

/// The arrays a step writes: displacements now and one step ago (`u[0]`, `u[1]`), corner forces
/// (4 per tetrahedron), face forces, and for nodal averaging V0 (J - 1) per tetrahedron, J_n - 1 per
/// node (J - 1 rather than J keeps small volume changes in f32) and, for the neo-Hookean kernel,
/// U'(J_n) per node.
#[derive(Debug, Default)]
struct Work<T> {
    /// Displacements u = x - X and the last step's increments du = u_n - u_{n-1}, mm.
    u: Vec<V3<T>>,
    du: Vec<V3<T>>,
    corner: Vec<V3<T>>,
    face: Vec<V3<T>>,
    vj: Vec<T>,
    jm1: Vec<T>,
    p: Vec<T>,
}

/// Applies a node's conditions to its displacement.
fn constrain<T: Real>(c: &NodeConditions<T>, u: &mut V3<T>) {
    for n in &c.sliding {
        let d = u[0] * n[0] + u[1] * n[1] + u[2] * n[2];
        for (ui, ni) in u.iter_mut().zip(n) {
            *ui = *ui - *ni * d;
        }
    }
    for (ui, fi) in u.iter_mut().zip(c.fixed) {
        if !fi.is_nan() {
            *ui = fi;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worst relative error of `T::log1p` against f64's (f64: against the series' own truncation
    /// bound, since no more exact reference is at hand) on a fine grid of [-0.45, 0.45] (both branches).
    fn log1p_error<T: Real>() -> f64 {
        let mut worst = 0.0f64;
        for i in -45_000..=45_000 {
            let x = T::of(i as f64 * 1e-5);
            let exact = x.wide().ln_1p();
            if exact != 0.0 {
                worst = worst.max(((x.log1p().wide() - exact) / exact).abs());
            }
        }
        worst
    }

    #[test]
    fn log1p_is_accurate_over_its_range() {
        // f32: within 3 ulps (the series' truncation is 2.3e-9; the rest is f32 rounding of s, z, p).
        let e32 = log1p_error::<f32>();
        assert!(
            e32 < 3.0 * f32::EPSILON as f64,
            "f32: worst relative error {e32:e}"
        );
        // f64: within 4 ulps of the library.
        let e64 = log1p_error::<f64>();
        assert!(
            e64 < 4.0 * f64::EPSILON,
            "f64: worst relative error {e64:e}"
        );
        assert_eq!(0.0f32.log1p(), 0.0);
        assert_eq!(0.0f64.log1p(), 0.0);
    }
}
