//! Closed triangle surfaces (from segmentation tools, via OBJ or STL) and their repair before volume
//! meshing.
//!
//! [`repair`] does, in order:
//!
//! 1. merge vertices closer than `merge_tolerance` (a fraction of the bounding-box diagonal, default
//!    [`RepairOptions::default`]: 1e-6): STL stores every triangle with its own three vertices, so without
//!    this nothing is connected; the first vertex of a cluster (file order) is kept, so the result is
//!    deterministic;
//! 2. drop degenerate triangles (two corners merged into one, or area below `tol^2`) and duplicate
//!    triangles (the same three vertices in any order);
//! 3. count edges by the number of triangles that share them: 1 = open (a hole's rim), more than 2 =
//!    non-manifold.
//!
//! A closed surface has neither. A few defects are tolerated (the mesher's inside test is a majority
//! vote of ray parities, which a tiny hole barely disturbs), but when more than
//! [`RepairOptions::max_defect_fraction`] of the edges (default 1%) are open or non-manifold the inside of
//! the surface is undefined and [`repair`] fails with [`RepairError::NotClosed`]. Holes are never filled:
//! that would be a guess about anatomy.
//!
//! Coordinates in mm.

use std::collections::HashMap;

use glam::DVec3;
use serde::Serialize;

use super::Aabb;

/// A triangle surface: vertices (mm) and triangles (vertex indices). Orientation of the triangles is
/// not required by the mesher (inside is decided by ray parity).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TriSurface {
    pub vertices: Vec<[f64; 3]>,
    pub triangles: Vec<[u32; 3]>,
}

impl TriSurface {
    /// Bounding box of all vertices, mm.
    pub fn bbox(&self) -> Aabb {
        Aabb::of_points(&self.vertices)
    }

    /// Enclosed volume by the divergence theorem, `|sum over triangles of a . (b x c) / 6|`, mm^3. Exact
    /// for a closed, consistently oriented surface (either orientation: the absolute value is returned).
    pub fn enclosed_volume(&self) -> f64 {
        self.signed_volume().abs()
    }

    /// The signed sum `sum a . (b x c) / 6`, mm^3: positive when the triangles are oriented outward.
    pub fn signed_volume(&self) -> f64 {
        self.triangles
            .iter()
            .map(|t| {
                let [a, b, c] = self.corners(t);
                a.dot(b.cross(c)) / 6.0
            })
            .sum()
    }

    /// Corners of a triangle as vectors.
    pub fn corners(&self, t: &[u32; 3]) -> [DVec3; 3] {
        t.map(|i| DVec3::from_array(self.vertices[i as usize]))
    }

    /// Index of the first triangle corner that refers to a missing vertex, if any.
    fn out_of_range(&self) -> Option<(usize, u32)> {
        let n = self.vertices.len();
        self.triangles
            .iter()
            .enumerate()
            .find_map(|(i, t)| t.iter().find(|&&v| v as usize >= n).map(|&v| (i, v)))
    }
}

/// Tuning of [`repair`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RepairOptions {
    /// Vertices closer than this fraction of the bounding-box diagonal are merged. Default 1e-6.
    pub merge_tolerance: f64,
    /// Largest tolerated fraction of edges that are open or non-manifold. Default 0.01.
    pub max_defect_fraction: f64,
}

impl Default for RepairOptions {
    fn default() -> Self {
        RepairOptions {
            merge_tolerance: 1e-6,
            max_defect_fraction: 0.01,
        }
    }
}

/// What [`repair`] found and changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct RepairReport {
    pub vertices_in: usize,
    pub triangles_in: usize,
    /// Vertices removed by merging.
    pub vertices_merged: usize,
    /// Vertices no triangle refers to (dropped).
    pub vertices_unused: usize,
    /// Triangles dropped because two corners coincide or their area is zero.
    pub degenerate_triangles: usize,
    /// Triangles dropped because another triangle has the same three vertices.
    pub duplicate_triangles: usize,
    /// Edges after repair.
    pub edges: usize,
    /// Edges used by one triangle only (the rims of holes).
    pub open_edges: usize,
    /// Edges used by more than two triangles.
    pub non_manifold_edges: usize,
    /// Merge distance used, mm.
    pub merge_distance_mm: f64,
}

impl RepairReport {
    /// True when anything was changed or found.
    pub fn changed(&self) -> bool {
        self.vertices_merged
            + self.vertices_unused
            + self.degenerate_triangles
            + self.duplicate_triangles
            + self.open_edges
            + self.non_manifold_edges
            > 0
    }
}

/// Why a surface cannot be meshed.
#[derive(Debug, thiserror::Error)]
pub enum RepairError {
    #[error("the surface has no triangles")]
    Empty,
    #[error(
        "no triangles left after dropping {degenerate} degenerate and {duplicate} duplicate ones"
    )]
    AllDegenerate { degenerate: usize, duplicate: usize },
    #[error("vertex {vertex} has a non-finite coordinate {coords:?}")]
    NonFinite { vertex: usize, coords: [f64; 3] },
    #[error(
        "triangle {triangle} refers to vertex {vertex}, but the surface has {vertices} vertices"
    )]
    VertexOutOfRange {
        triangle: usize,
        vertex: u32,
        vertices: usize,
    },
    #[error(
        "the surface is not closed: {open} open and {non_manifold} non-manifold edges of {edges} \
         (more than {max_percent}%), so its inside is undefined; close the holes in the segmentation \
         tool (e.g. 'fill holes') and export again"
    )]
    NotClosed {
        open: usize,
        non_manifold: usize,
        edges: usize,
        max_percent: f64,
    },
}

/// Merges close vertices, drops degenerate and duplicate triangles, counts open and non-manifold edges;
/// fails when the surface is too far from closed. See the module docs.
pub fn repair(
    surface: &TriSurface,
    options: &RepairOptions,
) -> Result<(TriSurface, RepairReport), RepairError> {
    if surface.triangles.is_empty() {
        return Err(RepairError::Empty);
    }
    if let Some((vertex, p)) = surface
        .vertices
        .iter()
        .enumerate()
        .find(|(_, p)| !p.iter().all(|c| c.is_finite()))
    {
        return Err(RepairError::NonFinite { vertex, coords: *p });
    }
    if let Some((triangle, vertex)) = surface.out_of_range() {
        return Err(RepairError::VertexOutOfRange {
            triangle,
            vertex,
            vertices: surface.vertices.len(),
        });
    }
    let mut report = RepairReport {
        vertices_in: surface.vertices.len(),
        triangles_in: surface.triangles.len(),
        ..Default::default()
    };
    let tol = (options.merge_tolerance * surface.bbox().diagonal()).max(f64::MIN_POSITIVE);
    report.merge_distance_mm = tol;

    // 1. Merge: hash vertices into cells of size `tol`; a vertex joins the first earlier representative
    //    within `tol` in its own or a neighbouring cell.
    let cell = |p: &[f64; 3]| p.map(|c| (c / tol).floor() as i64);
    let mut grid: HashMap<[i64; 3], Vec<u32>> = HashMap::new();
    let mut rep = vec![0u32; surface.vertices.len()];
    let mut merged_vertices: Vec<[f64; 3]> = Vec::new();
    for (i, p) in surface.vertices.iter().enumerate() {
        let c = cell(p);
        let mut found = None;
        'search: for dx in -1..=1 {
            for dy in -1..=1 {
                for dz in -1..=1 {
                    if let Some(list) = grid.get(&[
                        c[0].saturating_add(dx),
                        c[1].saturating_add(dy),
                        c[2].saturating_add(dz),
                    ]) {
                        for &r in list {
                            let q = merged_vertices[r as usize];
                            let d2: f64 = (0..3).map(|k| (p[k] - q[k]).powi(2)).sum();
                            if d2 <= tol * tol {
                                found = Some(r);
                                break 'search;
                            }
                        }
                    }
                }
            }
        }
        rep[i] = match found {
            Some(r) => {
                report.vertices_merged += 1;
                r
            }
            None => {
                let r = merged_vertices.len() as u32;
                merged_vertices.push(*p);
                grid.entry(c).or_default().push(r);
                r
            }
        };
    }

    // 2. Degenerate and duplicate triangles.
    let mut seen: HashMap<[u32; 3], ()> = HashMap::with_capacity(surface.triangles.len());
    let mut triangles = Vec::with_capacity(surface.triangles.len());
    for t in &surface.triangles {
        let t = t.map(|v| rep[v as usize]);
        let [a, b, c] = t.map(|v| DVec3::from_array(merged_vertices[v as usize]));
        let area2 = (b - a).cross(c - a).length();
        if t[0] == t[1] || t[1] == t[2] || t[0] == t[2] || area2 <= tol * tol {
            report.degenerate_triangles += 1;
            continue;
        }
        let mut key = t;
        key.sort_unstable();
        if seen.insert(key, ()).is_some() {
            report.duplicate_triangles += 1;
            continue;
        }
        triangles.push(t);
    }
    if triangles.is_empty() {
        return Err(RepairError::AllDegenerate {
            degenerate: report.degenerate_triangles,
            duplicate: report.duplicate_triangles,
        });
    }

    // Compact the vertices.
    let mut new_index = vec![u32::MAX; merged_vertices.len()];
    let mut vertices = Vec::with_capacity(merged_vertices.len());
    for t in &mut triangles {
        for v in t.iter_mut() {
            if new_index[*v as usize] == u32::MAX {
                new_index[*v as usize] = vertices.len() as u32;
                vertices.push(merged_vertices[*v as usize]);
            }
            *v = new_index[*v as usize];
        }
    }
    report.vertices_unused = merged_vertices.len() - vertices.len();

    // 3. Edge census.
    let mut edges: HashMap<(u32, u32), u32> = HashMap::with_capacity(3 * triangles.len() / 2);
    for t in &triangles {
        for k in 0..3 {
            let (a, b) = (t[k], t[(k + 1) % 3]);
            *edges.entry((a.min(b), a.max(b))).or_default() += 1;
        }
    }
    report.edges = edges.len();
    report.open_edges = edges.values().filter(|&&c| c == 1).count();
    report.non_manifold_edges = edges.values().filter(|&&c| c > 2).count();
    log::info!("surface repair: {report:?}");
    let defects = (report.open_edges + report.non_manifold_edges) as f64;
    if defects > options.max_defect_fraction * report.edges as f64 {
        return Err(RepairError::NotClosed {
            open: report.open_edges,
            non_manifold: report.non_manifold_edges,
            edges: report.edges,
            max_percent: 100.0 * options.max_defect_fraction,
        });
    }
    Ok((
        TriSurface {
            vertices,
            triangles,
        },
        report,
    ))
}
