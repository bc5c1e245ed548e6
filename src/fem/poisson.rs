//! P1 Laplacian on a tetrahedral mesh and its solution with Dirichlet conditions.
//!
//! Stiffness: K_ij = sum over tets of V_e grad N_i . grad N_j, with grad N_1..3 the rows of Dm^-1 and
//! grad N_0 = -(their sum) (see [`crate::geometry`]). K is symmetric positive semi-definite; with at least
//! one Dirichlet node per connected piece the reduced system is positive definite, and CG converges.
//! Natural (zero-flux) conditions hold wherever no value is imposed. Units: lengths in mm; the solution has
//! the units of the imposed values.

use rayon::prelude::*;

use crate::geometry::cpu::tet_geometry;
use crate::mesh::TetMesh;
use crate::mesh::topology::NodeTets;

/// A symmetric sparse matrix in compressed sparse row form.
#[derive(Debug, Clone)]
pub struct Csr {
    pub row_ptr: Vec<usize>,
    pub cols: Vec<u32>,
    pub vals: Vec<f64>,
}

impl Csr {
    pub fn rows(&self) -> usize {
        self.row_ptr.len() - 1
    }

    /// y = A x, in parallel over rows.
    pub fn mul(&self, x: &[f64], y: &mut [f64]) {
        y.par_iter_mut()
            .with_min_len(1024)
            .enumerate()
            .for_each(|(i, yi)| {
                let (a, b) = (self.row_ptr[i], self.row_ptr[i + 1]);
                *yi = self.cols[a..b]
                    .iter()
                    .zip(&self.vals[a..b])
                    .map(|(&j, &v)| v * x[j as usize])
                    .sum();
            });
    }

    pub fn diagonal(&self) -> Vec<f64> {
        (0..self.rows())
            .map(|i| {
                let (a, b) = (self.row_ptr[i], self.row_ptr[i + 1]);
                self.cols[a..b]
                    .iter()
                    .position(|&j| j as usize == i)
                    .map_or(0.0, |k| self.vals[a + k])
            })
            .collect()
    }
}

/// The P1 stiffness matrix of the Laplacian (unit conductivity), 1/mm x mm^3 = mm.
pub fn stiffness(mesh: &TetMesh) -> Csr {
    stiffness_with(mesh, |_| {
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    })
}

/// The P1 stiffness matrix of `div(sigma grad u)`: K_ij = sum over tets of V_e grad N_i . sigma_e grad N_j,
/// with `sigma(t)` the (symmetric) tensor of tetrahedron `t` (rows), in its units times mm.
pub fn stiffness_with(mesh: &TetMesh, sigma: impl Fn(usize) -> [[f64; 3]; 3] + Sync) -> Csr {
    let adjacency = NodeTets::build(mesh);
    let n = mesh.node_count();
    // Sparsity: each node's neighbours through its tets, sorted.
    let pattern: Vec<Vec<u32>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut cols: Vec<u32> = adjacency
                .of(i)
                .iter()
                .flat_map(|&[t, _]| mesh.tets()[t as usize])
                .collect();
            cols.sort_unstable();
            cols.dedup();
            cols
        })
        .collect();
    let mut row_ptr = Vec::with_capacity(n + 1);
    row_ptr.push(0);
    for p in &pattern {
        row_ptr.push(row_ptr.last().copied().unwrap_or(0) + p.len());
    }
    let cols: Vec<u32> = pattern.into_iter().flatten().collect();
    // Each row gathers the element contributions of its node's tets (no atomics, deterministic).
    let rows: Vec<Vec<f64>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let row_cols = &cols[row_ptr[i]..row_ptr[i + 1]];
            let mut vals = vec![0.0; row_cols.len()];
            for &[t, corner] in adjacency.of(i) {
                let tet = mesh.tets()[t as usize];
                let g = tet_geometry(&mesh.tet_points(t as usize));
                let grads = shape_gradients(&g.dm_inv);
                let v = g.volume.abs();
                let gi = grads[corner as usize];
                let s = sigma(t as usize);
                let sgi: [f64; 3] =
                    std::array::from_fn(|r| s[r][0] * gi[0] + s[r][1] * gi[1] + s[r][2] * gi[2]);
                for (b, &node) in tet.iter().enumerate() {
                    let k = row_cols.binary_search(&node).unwrap_or(0);
                    let gb = grads[b];
                    vals[k] += v * (sgi[0] * gb[0] + sgi[1] * gb[1] + sgi[2] * gb[2]);
                }
            }
            vals
        })
        .collect();
    Csr {
        row_ptr,
        cols,
        vals: rows.into_iter().flatten().collect(),
    }
}

/// The P1 consistent mass matrix, M_ij = sum over tets of V_e (1 + delta_ij) / 20, mm^3, on the same
/// sparsity as [`stiffness_with`]'s.
pub fn mass_matrix(mesh: &TetMesh) -> Csr {
    let mut m = stiffness(mesh);
    let adjacency = NodeTets::build(mesh);
    let rows: Vec<Vec<f64>> = (0..mesh.node_count())
        .into_par_iter()
        .map(|i| {
            let row_cols = &m.cols[m.row_ptr[i]..m.row_ptr[i + 1]];
            let mut vals = vec![0.0; row_cols.len()];
            for &[t, corner] in adjacency.of(i) {
                let tet = mesh.tets()[t as usize];
                let v = crate::mesh::signed_volume(&mesh.tet_points(t as usize)).abs();
                for (b, &node) in tet.iter().enumerate() {
                    let k = row_cols.binary_search(&node).unwrap_or(0);
                    vals[k] += v * if b == corner as usize { 2.0 } else { 1.0 } / 20.0;
                }
            }
            vals
        })
        .collect();
    m.vals = rows.into_iter().flatten().collect();
    m
}

/// Gradients of the four shape functions from Dm^-1 (rows are grad N1..N3).
pub fn shape_gradients(dm_inv: &[[f64; 3]; 3]) -> [[f64; 3]; 4] {
    let g0 = std::array::from_fn(|k| -(dm_inv[0][k] + dm_inv[1][k] + dm_inv[2][k]));
    [g0, dm_inv[0], dm_inv[1], dm_inv[2]]
}

/// How a solve ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolveReport {
    pub iterations: usize,
    /// Final ||r|| / ||b_eff|| over the free nodes.
    pub relative_residual: f64,
    pub converged: bool,
}

/// Why a solve failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum SolveError {
    #[error("no Dirichlet node: the Laplace problem has no unique solution")]
    NoDirichlet,
    #[error(
        "conjugate gradients did not converge: relative residual {residual:.2e} after {iterations} iterations"
    )]
    NotConverged { iterations: usize, residual: f64 },
}

/// Solves K u = 0 at free nodes with u = `fixed[i]` where given, by Jacobi-preconditioned CG to a
/// relative residual of `tol`.
pub fn solve_dirichlet(
    k: &Csr,
    fixed: &[Option<f64>],
    tol: f64,
    max_iter: usize,
) -> Result<(Vec<f64>, SolveReport), SolveError> {
    let n = k.rows();
    if fixed.iter().all(Option::is_none) {
        return Err(SolveError::NoDirichlet);
    }
    let free: Vec<bool> = fixed.iter().map(Option::is_none).collect();
    let mut x: Vec<f64> = fixed.iter().map(|v| v.unwrap_or(0.0)).collect();
    // r = -K x at free nodes (b = 0 there).
    let mut ax = vec![0.0; n];
    k.mul(&x, &mut ax);
    let mut r: Vec<f64> = (0..n).map(|i| if free[i] { -ax[i] } else { 0.0 }).collect();
    let diag = k.diagonal();
    let inv_d: Vec<f64> = diag
        .iter()
        .zip(&free)
        .map(|(&d, &f)| if f && d > 0.0 { 1.0 / d } else { 0.0 })
        .collect();
    let norm_b = dot(&r, &r).sqrt();
    if norm_b == 0.0 {
        return Ok((
            x,
            SolveReport {
                iterations: 0,
                relative_residual: 0.0,
                converged: true,
            },
        ));
    }
    let mut z: Vec<f64> = r.iter().zip(&inv_d).map(|(a, b)| a * b).collect();
    let mut p = z.clone();
    let mut rz = dot(&r, &z);
    let mut ap = vec![0.0; n];
    let mut residual = 1.0;
    for it in 1..=max_iter {
        k.mul(&p, &mut ap);
        ap.par_iter_mut().zip(&free).for_each(|(v, &f)| {
            if !f {
                *v = 0.0
            }
        });
        let alpha = rz / dot(&p, &ap);
        x.par_iter_mut()
            .zip(&p)
            .for_each(|(xi, pi)| *xi += alpha * pi);
        r.par_iter_mut()
            .zip(&ap)
            .for_each(|(ri, api)| *ri -= alpha * api);
        residual = dot(&r, &r).sqrt() / norm_b;
        if residual <= tol {
            return Ok((
                x,
                SolveReport {
                    iterations: it,
                    relative_residual: residual,
                    converged: true,
                },
            ));
        }
        z.par_iter_mut()
            .zip(r.par_iter().zip(&inv_d))
            .for_each(|(zi, (ri, di))| *zi = ri * di);
        let rz_new = dot(&r, &z);
        let beta = rz_new / rz;
        rz = rz_new;
        p.par_iter_mut()
            .zip(&z)
            .for_each(|(pi, zi)| *pi = zi + beta * *pi);
    }
    Err(SolveError::NotConverged {
        iterations: max_iter,
        residual,
    })
}

/// Dot product with a fixed summation order (fixed chunks, summed in order), so that solves are
/// bit-for-bit reproducible whatever the thread count or scheduling.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    const CHUNK: usize = 4096;
    let partial: Vec<f64> = a
        .par_chunks(CHUNK)
        .zip(b.par_chunks(CHUNK))
        .map(|(x, y)| x.iter().zip(y).map(|(p, q)| p * q).sum())
        .collect();
    partial.iter().sum()
}
