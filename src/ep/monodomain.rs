//! Monodomain reaction-diffusion on tetrahedra: P1 finite elements, an anisotropic conductivity tensor per
//! tetrahedron, and Godunov operator splitting: per step, first the cell model at every node (the
//! reaction), then one diffusion step. Two diffusion steps ([`Mass`]):
//! - lumped mass, explicit: `V += dt M_L^-1 (-K V)` (the default, and the GPU's);
//! - consistent mass, implicit (backward Euler): `(M + dt K) V_new = M V`, solved by conjugate gradients
//!   with a diagonal preconditioner; unconditionally stable and far more accurate on coarse meshes (mass
//!   lumping slows a sharp upstroke on linear elements: on the Niederer slab at dx 0.5 mm it blocks the
//!   cross-fibre wave that the consistent mass carries), at several matrix-vector products a step.
//!
//! Why explicit diffusion: the step is a sparse matrix-vector product over the mesh, the same shape as
//! the mechanics' gathers (one pass, no global solve), so it maps directly to a compute shader and
//! parallelises without a preconditioner; its stability limit `dt < 2 / lambda_max(M^-1 K)` is checked
//! before a run (Gershgorin bound) and is above the step the cell model needs at the benchmark's
//! resolutions (0.06 ms at dx = 0.2 mm; the benchmark steps are 0.005-0.05 ms). An implicit solve (CG)
//! would allow larger steps only where the cell model does not already limit them.
//!
//! Units: mm, ms, mV; conductivities in S/m, surface-to-volume ratio in 1/mm, capacitance in uF/cm^2 (as
//! the literature gives them), converted to the diffusivity `D = sigma / (chi Cm)` in mm^2/ms.

use glam::{DMat3, DVec3};
use rayon::prelude::*;
use serde::Serialize;

use crate::fem::poisson::{Csr, stiffness_with};
use crate::mesh::TetMesh;

/// Tissue properties of one tetrahedron: fibre direction and monodomain conductivities (S/m) along and
/// across it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tissue {
    pub fibre: DVec3,
    pub sigma_fibre: f64,
    pub sigma_cross: f64,
}

/// The membrane: surface-to-volume ratio (1/mm) and capacitance (uF/cm^2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Membrane {
    pub chi_per_mm: f64,
    pub cm_uf_per_cm2: f64,
}

impl Membrane {
    /// Niederer et al. 2011: 140 /mm, 1 uF/cm^2.
    pub const NIEDERER: Membrane = Membrane {
        chi_per_mm: 140.0,
        cm_uf_per_cm2: 1.0,
    };

    /// Diffusivity (mm^2/ms) of a conductivity (S/m): sigma [S/m] = 1e-3 S/mm; chi Cm [F/mm^3] =
    /// chi * Cm * 1e-8 (1 uF/cm^2 = 1e-8 F/mm^2); mm^2/s to mm^2/ms: 1e-3.
    pub fn diffusivity(&self, sigma_s_per_m: f64) -> f64 {
        sigma_s_per_m * 1e-3 / (self.chi_per_mm * self.cm_uf_per_cm2 * 1e-8) * 1e-3
    }
}

/// The harmonic mean `si se / (si + se)` of intra- and extracellular conductivities: the monodomain
/// conductivity of the equal-anisotropy reduction of the bidomain model.
pub fn harmonic_mean(intra: f64, extra: f64) -> f64 {
    intra * extra / (intra + extra)
}

/// A cell model stepped at every node. The state of node `i` is `states[i * n .. (i + 1) * n]` with `n =
/// STATES`; entry 0 is the transmembrane potential in mV.
pub trait CellModel: Sync {
    /// Unknowns per node (the potential included).
    const STATES: usize;
    const NAME: &'static str;
    /// The resting state.
    fn initial(&self) -> Vec<f64>;
    /// Advances one node's state by `dt` ms with the stimulus current `stim` (in the model's own unit of
    /// dV/dt, mV/ms).
    fn step(&self, state: &mut [f64], dt: f64, stim: f64);
}

/// The Mitchell-Schaeffer model (Bull. Math. Biol. 65:767, 2003): two variables, `u` in [0, 1] and the
/// gate `h`; `du/dt = h u^2 (1 - u) / tau_in - u / tau_out`, `dh/dt = (1 - h) / tau_open` below
/// `v_gate`, `-h / tau_close` above. Reported as `V = v_rest + (v_peak - v_rest) u` mV.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MitchellSchaeffer {
    pub tau_in: f64,
    pub tau_out: f64,
    pub tau_open: f64,
    pub tau_close: f64,
    pub v_gate: f64,
    pub v_rest: f64,
    pub v_peak: f64,
}

impl Default for MitchellSchaeffer {
    /// The paper's values (ms): tau_in 0.3, tau_out 6, tau_open 120, tau_close 150, v_gate 0.13; V from
    /// -80 to +20 mV.
    fn default() -> Self {
        MitchellSchaeffer {
            tau_in: 0.3,
            tau_out: 6.0,
            tau_open: 120.0,
            tau_close: 150.0,
            v_gate: 0.13,
            v_rest: -80.0,
            v_peak: 20.0,
        }
    }
}

impl CellModel for MitchellSchaeffer {
    const STATES: usize = 2;
    const NAME: &'static str = "mitchell-schaeffer";

    fn initial(&self) -> Vec<f64> {
        vec![self.v_rest, 1.0]
    }

    fn step(&self, s: &mut [f64], dt: f64, stim: f64) {
        let span = self.v_peak - self.v_rest;
        let u = (s[0] - self.v_rest) / span;
        let h = s[1];
        let du = h * u * u * (1.0 - u) / self.tau_in - u / self.tau_out + stim / span;
        // The gate relaxes exponentially towards its target (exact for frozen u).
        let (target, tau) = if u < self.v_gate {
            (1.0, self.tau_open)
        } else {
            (0.0, self.tau_close)
        };
        s[1] = target + (h - target) * (-dt / tau).exp();
        s[0] = self.v_rest + span * (u + dt * du);
    }
}

/// Invalid set-up of a monodomain run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MonodomainError {
    #[error("tissue: {len} entries for {tets} tetrahedra")]
    Length { len: usize, tets: usize },
    #[error(
        "time step {dt} ms exceeds the explicit diffusion limit {limit:.4} ms of this mesh and \
         conductivity (2 / max Gershgorin bound of M^-1 K); use dt <= {limit:.4} ms or a coarser mesh"
    )]
    Unstable { dt: f64, limit: f64 },
    #[error("the potential became non-finite at node {node}, t = {t} ms")]
    NonFinite { node: usize, t: f64 },
    #[error(
        "the implicit diffusion step did not converge at t = {t} ms (relative residual {residual:.2e} \
         after {CG_MAX_ITERATIONS} iterations)"
    )]
    Solver { t: f64, residual: f64 },
    #[error(
        "cells: {given} per-node cell indices for {nodes} nodes, or an index at or beyond the {cells} \
         cells given (node {node})"
    )]
    Cells {
        given: usize,
        nodes: usize,
        cells: usize,
        node: usize,
    },
}

/// The mass matrix of the diffusion step (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mass {
    /// Lumped (row sums), explicit step.
    #[default]
    Lumped,
    /// Consistent, implicit step.
    Consistent,
}

/// The implicit step's system `A = M + dt K` for one `dt`, its diagonal preconditioner and CG vectors.
struct Implicit {
    mass: Csr,
    dt: f64,
    a: Csr,
    inv_diag: Vec<f64>,
    rhs: Vec<f64>,
    r: Vec<f64>,
    z: Vec<f64>,
    p: Vec<f64>,
    ap: Vec<f64>,
}

/// Relative residual the implicit step's CG stops at, and its iteration cap.
const CG_TOLERANCE: f64 = 1e-10;
const CG_MAX_ITERATIONS: usize = 1000;

impl Implicit {
    fn new(mass: Csr) -> Self {
        let n = mass.rows();
        Implicit {
            a: mass.clone(),
            mass,
            dt: f64::NAN,
            inv_diag: vec![0.0; n],
            rhs: vec![0.0; n],
            r: vec![0.0; n],
            z: vec![0.0; n],
            p: vec![0.0; n],
            ap: vec![0.0; n],
        }
    }

    /// Solves `(M + dt K) x = M v` for `x`, starting from `v`: the iterations taken, or the residual it
    /// stalled at.
    fn solve(&mut self, k: &Csr, dt: f64, v: &[f64], x: &mut [f64]) -> Result<usize, f64> {
        if self.dt != dt {
            self.dt = dt;
            self.a.vals = self
                .mass
                .vals
                .iter()
                .zip(&k.vals)
                .map(|(m, k)| m + dt * k)
                .collect();
            let d = self.a.diagonal();
            self.inv_diag = d.iter().map(|d| 1.0 / d).collect();
        }
        self.mass.mul(v, &mut self.rhs);
        x.copy_from_slice(v);
        self.a.mul(x, &mut self.ap);
        let dot = |a: &[f64], b: &[f64]| -> f64 {
            a.par_iter()
                .with_min_len(4096)
                .zip(b)
                .map(|(a, b)| a * b)
                .sum()
        };
        let (r, z, p, ap) = (&mut self.r, &mut self.z, &mut self.p, &mut self.ap);
        for i in 0..r.len() {
            r[i] = self.rhs[i] - ap[i];
            z[i] = r[i] * self.inv_diag[i];
        }
        p.copy_from_slice(z);
        let norm_b = dot(&self.rhs, &self.rhs).sqrt().max(f64::MIN_POSITIVE);
        let mut rz = dot(r, z);
        for it in 0..CG_MAX_ITERATIONS {
            let res = dot(r, r).sqrt();
            if res <= CG_TOLERANCE * norm_b {
                return Ok(it);
            }
            self.a.mul(p, ap);
            let alpha = rz / dot(p, ap);
            if !alpha.is_finite() {
                return Err(res / norm_b);
            }
            for i in 0..r.len() {
                x[i] += alpha * p[i];
                r[i] -= alpha * ap[i];
                z[i] = r[i] * self.inv_diag[i];
            }
            let rz_next = dot(r, z);
            let beta = rz_next / rz;
            rz = rz_next;
            for i in 0..p.len() {
                p[i] = z[i] + beta * p[i];
            }
        }
        Err(dot(r, r).sqrt() / norm_b)
    }
}

/// A stimulus: nodes, current (mV/ms in the cell model's dV/dt), start and duration (ms).
#[derive(Debug, Clone)]
pub struct Stimulus {
    pub nodes: Vec<u32>,
    pub strength: f64,
    pub start_ms: f64,
    pub duration_ms: f64,
}

/// A monodomain problem ready to step.
pub struct Monodomain<C: CellModel> {
    /// The cell models (parameter sets) of the problem: node `i` runs `cells[cell_of[i]]`
    /// ([`Monodomain::with_cells`]; one cell for every node by default).
    cells: Vec<C>,
    /// Per node, an index into `cells`; empty when there is one cell.
    cell_of: Vec<u16>,
    /// Diffusion operator K (conductivity over chi Cm, so K V has units mV mm/ms) and lumped mass (mm^3).
    k: Csr,
    mass: Vec<f64>,
    pub states: Vec<f64>,
    pub t_ms: f64,
    /// First time each node's potential crossed `threshold_mv` upwards (ms), else infinity.
    pub activation_ms: Vec<f64>,
    pub threshold_mv: f64,
    /// The latest upward crossing of `threshold_mv` (ms; differs from `activation_ms` after a second
    /// stimulus, as in an S1-S2 protocol), else infinity.
    pub last_activation_ms: Vec<f64>,
    /// The first downward crossing of `repolarisation_mv` after the first activation (ms), else
    /// infinity; tracked when `repolarisation_mv` is finite (see [`Monodomain::with_repolarisation`]).
    pub repolarisation_ms: Vec<f64>,
    pub repolarisation_mv: f64,
    scratch: Vec<f64>,
    /// The consistent-mass implicit step, when chosen ([`Monodomain::with_mass`]).
    implicit: Option<Implicit>,
    /// CG iterations of the implicit steps so far.
    pub solver_iterations: usize,
    stim: Vec<f64>,
    /// Potentials at the start of the step and after the reaction (reused each step).
    v_start: Vec<f64>,
    v_reacted: Vec<f64>,
}

impl<C: CellModel> Monodomain<C> {
    pub fn new(
        mesh: &TetMesh,
        tissue: &[Tissue],
        membrane: Membrane,
        cell: C,
        threshold_mv: f64,
    ) -> Result<Self, MonodomainError> {
        if tissue.len() != mesh.tet_count() {
            return Err(MonodomainError::Length {
                len: tissue.len(),
                tets: mesh.tet_count(),
            });
        }
        let k = stiffness_with(mesh, |t| {
            let c = tissue[t];
            let f = c.fibre.normalize_or_zero();
            let ff = DMat3::from_cols(f * f.x, f * f.y, f * f.z);
            let d = ff * membrane.diffusivity(c.sigma_fibre)
                + (DMat3::IDENTITY - ff) * membrane.diffusivity(c.sigma_cross);
            d.transpose().to_cols_array_2d()
        });
        let mut mass = vec![0.0; mesh.node_count()];
        for t in 0..mesh.tet_count() {
            let v = crate::mesh::signed_volume(&mesh.tet_points(t)).abs();
            for &n in &mesh.tets()[t] {
                mass[n as usize] += v / 4.0;
            }
        }
        let n = mesh.node_count();
        let init = cell.initial();
        let states = (0..n).flat_map(|_| init.iter().copied()).collect();
        Ok(Monodomain {
            cells: vec![cell],
            cell_of: Vec::new(),
            k,
            mass,
            states,
            t_ms: 0.0,
            activation_ms: vec![f64::INFINITY; n],
            threshold_mv,
            last_activation_ms: vec![f64::INFINITY; n],
            repolarisation_ms: vec![f64::INFINITY; n],
            repolarisation_mv: f64::NEG_INFINITY,
            scratch: vec![0.0; n],
            implicit: None,
            solver_iterations: 0,
            stim: vec![0.0; n],
            v_start: vec![0.0; n],
            v_reacted: vec![0.0; n],
        })
    }

    /// A cell per node: node `i` runs `cells[cell_of[i]]` (e.g. endocardial, M and epicardial cells across
    /// the wall, or a region on the fast model); every node restarts from its cell's resting state.
    pub fn with_cells(mut self, cells: Vec<C>, cell_of: Vec<u16>) -> Result<Self, MonodomainError> {
        let n = self.node_count();
        let bad = cell_of.iter().position(|&c| c as usize >= cells.len());
        if cells.is_empty() || cell_of.len() != n || bad.is_some() {
            return Err(MonodomainError::Cells {
                given: cell_of.len(),
                nodes: n,
                cells: cells.len(),
                node: bad.unwrap_or(0),
            });
        }
        let initial: Vec<Vec<f64>> = cells.iter().map(|c| c.initial()).collect();
        for (s, &c) in self.states.chunks_mut(C::STATES).zip(&cell_of) {
            s.copy_from_slice(&initial[c as usize]);
        }
        self.cells = cells;
        self.cell_of = cell_of;
        Ok(self)
    }

    /// The diffusion step's mass (module docs); lumped by default.
    pub fn with_mass(mut self, mesh: &TetMesh, mass: Mass) -> Self {
        self.implicit = match mass {
            Mass::Lumped => None,
            Mass::Consistent => Some(Implicit::new(crate::fem::poisson::mass_matrix(mesh))),
        };
        self
    }

    /// The diffusion step's mass.
    pub fn mass(&self) -> Mass {
        if self.implicit.is_some() {
            Mass::Consistent
        } else {
            Mass::Lumped
        }
    }

    /// The cell models; node `i` runs `cells()[cell_index(i)]`.
    pub fn cells(&self) -> &[C] {
        &self.cells
    }

    /// Index into [`Monodomain::cells`] of node `i`'s cell.
    pub fn cell_index(&self, i: usize) -> usize {
        self.cell_of.get(i).map_or(0, |&c| c as usize)
    }

    /// Also records when each node repolarises through `mv` (e.g. 90 % of the way back to rest: the
    /// end of the APD90).
    pub fn with_repolarisation(mut self, mv: f64) -> Self {
        self.repolarisation_mv = mv;
        self
    }

    /// The largest stable explicit diffusion step, ms: 2 / max_i (sum_j |K_ij|) / m_i (Gershgorin).
    pub fn stable_step(&self) -> f64 {
        let k = &self.k;
        let worst = (0..k.rows())
            .map(|i| {
                let row: f64 = k.vals[k.row_ptr[i]..k.row_ptr[i + 1]]
                    .iter()
                    .map(|v| v.abs())
                    .sum();
                row / self.mass[i]
            })
            .fold(0.0, f64::max);
        2.0 / worst
    }

    pub fn node_count(&self) -> usize {
        self.mass.len()
    }

    /// The diffusion operator K (mV mm/ms per mV) and the lumped masses (mm^3), for the GPU twin.
    pub fn operator(&self) -> (&Csr, &[f64]) {
        (&self.k, &self.mass)
    }

    /// The potential of node `i`, mV.
    pub fn potential(&self, i: usize) -> f64 {
        self.states[i * C::STATES]
    }

    /// Advances `steps` steps of `dt` ms.
    pub fn run(
        &mut self,
        steps: usize,
        dt: f64,
        stimuli: &[Stimulus],
    ) -> Result<(), MonodomainError> {
        let limit = self.stable_step();
        if dt > limit && self.implicit.is_none() {
            return Err(MonodomainError::Unstable { dt, limit });
        }
        let ns = C::STATES;
        for _ in 0..steps {
            let t0 = self.t_ms;
            self.v_start
                .par_iter_mut()
                .with_min_len(4096)
                .zip(self.states.par_chunks(ns))
                .for_each(|(v, s)| *v = s[0]);
            self.stim.iter_mut().for_each(|s| *s = 0.0);
            for s in stimuli {
                if t0 + 1e-9 >= s.start_ms && t0 < s.start_ms + s.duration_ms - 1e-9 {
                    for &n in &s.nodes {
                        self.stim[n as usize] += s.strength;
                    }
                }
            }
            // Reaction.
            let stim = &self.stim;
            if let [cell] = self.cells.as_slice() {
                self.states
                    .par_chunks_mut(ns)
                    .with_min_len(256)
                    .zip(stim)
                    .for_each(|(s, &i)| cell.step(s, dt, i));
            } else {
                let (cells, cell_of) = (&self.cells, &self.cell_of);
                self.states
                    .par_chunks_mut(ns)
                    .with_min_len(256)
                    .zip(stim)
                    .zip(cell_of)
                    .for_each(|((s, &i), &c)| cells[c as usize].step(s, dt, i));
            }
            // Diffusion: scratch = K V (lumped: V -= dt M_L^-1 K V below), or the implicit step's V.
            self.v_reacted
                .par_iter_mut()
                .with_min_len(4096)
                .zip(self.states.par_chunks(ns))
                .for_each(|(v, s)| *v = s[0]);
            let implicit = self.implicit.is_some();
            if let Some(solver) = &mut self.implicit {
                let iterations = solver
                    .solve(&self.k, dt, &self.v_reacted, &mut self.scratch)
                    .map_err(|residual| MonodomainError::Solver { t: t0, residual })?;
                self.solver_iterations += iterations;
            } else {
                self.k.mul(&self.v_reacted, &mut self.scratch);
            }
            let (mass, scratch, thr) = (&self.mass, &self.scratch, self.threshold_mv);
            let rthr = self.repolarisation_mv;
            let (v, v0) = (&self.v_reacted, &self.v_start);
            self.states
                .par_chunks_mut(ns)
                .with_min_len(256)
                .zip(self.activation_ms.par_iter_mut())
                .zip(self.last_activation_ms.par_iter_mut())
                .zip(self.repolarisation_ms.par_iter_mut())
                .enumerate()
                .for_each(|(i, (((s, at), last), rep))| {
                    let after = if implicit {
                        scratch[i]
                    } else {
                        v[i] - dt * scratch[i] / mass[i]
                    };
                    s[0] = after;
                    // Crossings within the step, linearly interpolated.
                    let crossing =
                        |level: f64| t0 + ((level - v0[i]) / (after - v0[i])).clamp(0.0, 1.0) * dt;
                    if after >= thr && (v0[i] < thr || at.is_infinite()) {
                        let t = crossing(thr);
                        if at.is_infinite() {
                            *at = t;
                        }
                        *last = t;
                    }
                    if at.is_finite() && rep.is_infinite() && v0[i] >= rthr && after < rthr {
                        *rep = crossing(rthr);
                    }
                });
            self.t_ms = t0 + dt;
            if let Some(node) = (0..self.node_count()).find(|&i| !self.potential(i).is_finite()) {
                return Err(MonodomainError::NonFinite { node, t: self.t_ms });
            }
        }
        Ok(())
    }
}
