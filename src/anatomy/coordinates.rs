//! Ventricular coordinates by Laplace solves on a mesh with tagged endocardium, epicardium and base
//! (Bayer et al. 2012, Ann. Biomed. Eng. 40:2243; the rule-based fibre method builds on them).
//!
//! Per node:
//! - `transmural` (phi_epi): 0 on every endocardium, 1 on the epicardium;
//! - `lv` (phi_lv): 1 on the LV endocardium, 0 on the RV endocardium and the epicardium (for an LV-only
//!   mesh, 1 - transmural);
//! - `rv` (phi_rv): 1 on the RV endocardium, 0 elsewhere on the boundary (zero without an RV);
//! - `apicobasal` (psi): 0 at the apex node, 1 on the base;
//! - `rotational`: the angle (radians, -pi..pi) around the long axis (apex -> base centroid), measured
//!   right-handed about that axis from the septal direction: given, or towards the RV endocardium's
//!   centroid when there is one, else the mesh x axis projected on the short-axis plane. In a human heart
//!   the anterior wall is then at +pi/2 and the inferior wall at -pi/2.
//!
//! The apex is the epicardial node farthest from the base plane (the plane through the base centroid,
//! normal to the mean base-face normal). Natural (zero-flux) conditions hold on the other surfaces.

use glam::DVec3;

use crate::fem::poisson::{self, SolveError};
use crate::mesh::TetMesh;

/// Which surface tags make up each part of the boundary (several tags may form one part, as in the
/// Rodero meshes, where septal and free-wall endocardium are separate surfaces).
#[derive(Debug, Clone, Default)]
pub struct VentricleSurfaces {
    pub lv_endo: Vec<i32>,
    /// Empty for an LV-only mesh.
    pub rv_endo: Vec<i32>,
    pub epi: Vec<i32>,
    pub base: Vec<i32>,
    /// Direction from the LV towards the septum (mesh coordinates), the zero of the rotational coordinate.
    /// Default: towards the RV endocardium's centroid, or the x axis for an LV-only mesh.
    pub septum_direction: Option<[f64; 3]>,
}

impl VentricleSurfaces {
    /// Surfaces by name (exact, as in `mesh.surface_names`); the base is every other tagged surface (valve
    /// planes, cut faces, junctions with the atria).
    pub fn by_names(
        mesh: &TetMesh,
        lv_endo: &[&str],
        rv_endo: &[&str],
        epi: &[&str],
    ) -> Result<Self, AnatomyError> {
        let tags = |names: &[&str], part: &'static str| -> Result<Vec<i32>, AnatomyError> {
            names
                .iter()
                .map(|name| {
                    mesh.surface_names
                        .iter()
                        .find(|(_, n)| n.as_str() == *name)
                        .map(|(t, _)| *t)
                        .ok_or_else(|| AnatomyError::UnknownSurface {
                            part,
                            name: name.to_string(),
                            known: mesh.surface_names.values().cloned().collect(),
                        })
                })
                .collect()
        };
        let lv_endo = tags(lv_endo, "LV endocardium")?;
        let rv_endo = tags(rv_endo, "RV endocardium")?;
        let epi = tags(epi, "epicardium")?;
        let named: Vec<i32> = lv_endo
            .iter()
            .chain(&rv_endo)
            .chain(&epi)
            .copied()
            .collect();
        let mut base = mesh.surfaces().tags.clone();
        base.sort_unstable();
        base.dedup();
        base.retain(|t| !named.contains(t));
        Ok(VentricleSurfaces {
            lv_endo,
            rv_endo,
            epi,
            base,
            septum_direction: None,
        })
    }

    /// The surfaces of the Rodero et al. meshes as pyansys-heart names them (the shipped
    /// `meshes/rodero_ventricles.vtu`, or the four-chamber heart with its namemap).
    pub fn rodero(mesh: &TetMesh) -> Result<Self, AnatomyError> {
        Self::by_names(
            mesh,
            &["Left ventricle endocardium"],
            &["Right ventricle endocardium", "Right ventricle septum"],
            &["Left ventricle epicardium", "Right ventricle epicardium"],
        )
    }
}

/// Why ventricular coordinates could not be computed.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum AnatomyError {
    #[error(
        "no surface triangles carry the {part} tags {tags:?}; the mesh's surface tags are {present:?}"
    )]
    MissingSurface {
        part: &'static str,
        tags: Vec<i32>,
        present: Vec<i32>,
    },
    #[error("no surface named {name:?} for the {part}; the mesh's surfaces are {known:?}")]
    UnknownSurface {
        part: &'static str,
        name: String,
        known: Vec<String>,
    },
    #[error("internal error while storing anatomy fields: {0}")]
    Internal(String),
    #[error("Laplace solve for the {field} coordinate: {source}")]
    Solve {
        field: &'static str,
        #[source]
        source: SolveError,
    },
}

/// Nodal ventricular coordinates (see the module docs).
#[derive(Debug, Clone)]
pub struct VentricularCoordinates {
    pub transmural: Vec<f64>,
    pub lv: Vec<f64>,
    pub rv: Vec<f64>,
    pub apicobasal: Vec<f64>,
    pub rotational: Vec<f64>,
    /// Index of the apex node (epicardial).
    pub apex: usize,
    /// Index of the endocardial apex: the LV endocardial node farthest from the base plane.
    pub endo_apex: usize,
    /// Centroid of the base surface, mm.
    pub base_centre: [f64; 3],
    /// Unit long axis, apex to base centroid.
    pub long_axis: [f64; 3],
}

/// Relative residual of the Laplace solves: far below what fibre directions can resolve.
const TOLERANCE: f64 = 1e-10;

/// Nodes of the triangles whose tag is in `tags`.
fn surface_nodes(
    mesh: &TetMesh,
    tags: &[i32],
    part: &'static str,
) -> Result<Vec<u32>, AnatomyError> {
    let s = mesh.surfaces();
    let mut nodes: Vec<u32> = s
        .triangles
        .iter()
        .zip(&s.tags)
        .filter(|(_, t)| tags.contains(t))
        .flat_map(|(tri, _)| *tri)
        .collect();
    if nodes.is_empty() {
        let mut present = s.tags.clone();
        present.sort_unstable();
        present.dedup();
        return Err(AnatomyError::MissingSurface {
            part,
            tags: tags.to_vec(),
            present,
        });
    }
    nodes.sort_unstable();
    nodes.dedup();
    Ok(nodes)
}

fn solve(
    k: &poisson::Csr,
    n: usize,
    values: &[(&[u32], f64)],
    field: &'static str,
) -> Result<Vec<f64>, AnatomyError> {
    let mut fixed = vec![None; n];
    for (nodes, v) in values {
        for &i in *nodes {
            fixed[i as usize] = Some(*v);
        }
    }
    let max_iter = 20 * n + 1000;
    poisson::solve_dirichlet(k, &fixed, TOLERANCE, max_iter)
        .map(|(x, report)| {
            log::debug!("{field}: CG converged in {} iterations", report.iterations);
            x
        })
        .map_err(|source| AnatomyError::Solve { field, source })
}

impl VentricularCoordinates {
    pub fn compute(mesh: &TetMesh, surfaces: &VentricleSurfaces) -> Result<Self, AnatomyError> {
        let n = mesh.node_count();
        let lv = surface_nodes(mesh, &surfaces.lv_endo, "LV endocardium")?;
        let rv = if surfaces.rv_endo.is_empty() {
            Vec::new()
        } else {
            surface_nodes(mesh, &surfaces.rv_endo, "RV endocardium")?
        };
        let epi = surface_nodes(mesh, &surfaces.epi, "epicardium")?;
        let base = surface_nodes(mesh, &surfaces.base, "base")?;
        let k = poisson::stiffness(mesh);
        let p = |i: u32| DVec3::from_array(mesh.nodes()[i as usize]);

        // Base plane and apex.
        let base_centre = base.iter().map(|&i| p(i)).sum::<DVec3>() / base.len() as f64;
        let s = mesh.surfaces();
        let mut normal = DVec3::ZERO;
        for (tri, tag) in s.triangles.iter().zip(&s.tags) {
            if surfaces.base.contains(tag) {
                let [a, b, c] = tri.map(p);
                normal += (b - a).cross(c - a);
            }
        }
        // Orient the base normal away from the bulk of the ventricle.
        let centroid = mesh
            .nodes()
            .iter()
            .map(|&q| DVec3::from_array(q))
            .sum::<DVec3>()
            / n as f64;
        if normal.dot(base_centre - centroid) < 0.0 {
            normal = -normal;
        }
        let normal = normal.normalize_or(DVec3::Z);
        // The node of a set farthest below the base plane.
        let lowest = |set: &[u32]| {
            set.iter()
                .copied()
                .min_by(|&a, &b| {
                    (p(a) - base_centre)
                        .dot(normal)
                        .total_cmp(&(p(b) - base_centre).dot(normal))
                })
                .unwrap_or(0)
        };
        let apex = lowest(&epi);
        let endo_apex = lowest(&lv);
        let endo_all: Vec<u32> = lv.iter().chain(&rv).copied().collect();
        let transmural = solve(&k, n, &[(&endo_all, 0.0), (&epi, 1.0)], "transmural")?;
        let phi_lv = if rv.is_empty() {
            transmural.iter().map(|t| 1.0 - t).collect()
        } else {
            solve(&k, n, &[(&lv, 1.0), (&rv, 0.0), (&epi, 0.0)], "lv")?
        };
        let phi_rv = if rv.is_empty() {
            vec![0.0; n]
        } else {
            solve(&k, n, &[(&rv, 1.0), (&lv, 0.0), (&epi, 0.0)], "rv")?
        };
        let apex_set = [apex];
        let apicobasal = solve(&k, n, &[(&apex_set, 0.0), (&base, 1.0)], "apicobasal")?;

        // Rotational angle about the long axis.
        let axis = (base_centre - p(apex)).normalize_or(DVec3::Z);
        let reference = match surfaces.septum_direction {
            Some(d) => DVec3::from_array(d),
            None if rv.is_empty() => DVec3::X,
            None => rv.iter().map(|&i| p(i)).sum::<DVec3>() / rv.len() as f64 - base_centre,
        };
        let mut e1 = reference - axis * reference.dot(axis);
        if e1.length() < 1e-9 {
            e1 = axis.any_orthonormal_vector();
        }
        let e1 = e1.normalize();
        let e2 = axis.cross(e1);
        let rotational = (0..n)
            .map(|i| {
                let d = p(i as u32) - base_centre;
                d.dot(e2).atan2(d.dot(e1))
            })
            .collect();
        Ok(VentricularCoordinates {
            transmural,
            lv: phi_lv,
            rv: phi_rv,
            apicobasal,
            rotational,
            apex: apex as usize,
            endo_apex: endo_apex as usize,
            base_centre: base_centre.to_array(),
            long_axis: axis.to_array(),
        })
    }
}
