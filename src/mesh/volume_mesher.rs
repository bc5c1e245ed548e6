//! Tetrahedral volume meshes from closed triangle surfaces: a cut-and-snap structured-grid mesher.
//!
//! # Algorithm
//!
//! 1. Repair the surface ([`super::surface_repair::repair`]): merge duplicate vertices, drop degenerate
//!    and duplicate triangles, refuse surfaces that are too open.
//! 2. Cover the bounding box, padded by one cell, with a structured grid of cubes of edge `h` (the element
//!    size), each cut into six Kuhn tetrahedra around its main diagonal (as [`crate::anatomy::block`]); the
//!    grid origin is shifted by a small fixed fraction of `h` so that grid planes rarely coincide with flat
//!    faces of the input.
//! 3. Keep the tetrahedra whose centroid is inside the surface. Inside is decided by ray parity along each
//!    of the three axes and a majority vote of the three. All centroids of one Kuhn type in one row of cells
//!    lie on one axis-parallel line, so each line is intersected with the surface once (triangles bucketed
//!    on a 2-D grid per axis) and its sorted crossings classify the whole row. Lines are moved off the
//!    centroids by a tiny fixed offset (about 1e-4 h) so that they do not pass exactly through edges or
//!    vertices of grid-aligned inputs; a line that still grazes an edge can miscount, and the vote of the
//!    other two axes outvotes it.
//! 4. Make the kept set's boundary a closed 2-manifold: where an edge is shared by more than two boundary
//!    faces (two kept tetrahedra touching along an edge only), the grid tetrahedra around that edge are
//!    added; islands smaller than 1% of the volume of the largest piece are dropped (misclassified
//!    centroids).
//! 5. Snap: each boundary node moves to the closest point of the surface (found through a 3-D bucket grid of
//!    triangles with cell `h`, searching two cells around the node). A move is kept only if every incident
//!    tetrahedron keeps a signed volume of at least [`MIN_VOLUME_FRACTION`] of its grid volume `h^3/6`;
//!    otherwise 3/4, 1/2 and 1/4 of the move are tried, otherwise the node stays. Up to six passes, in
//!    node order (deterministic), so that nodes blocked by a neighbour can move once the neighbour has,
//!    and partly moved nodes can move further.
//!
//! The result has positively oriented tetrahedra, region tag 1 ("interior") and its boundary triangles
//! tagged 1 ("surface"). Its volume converges to the enclosed volume at second order in `h` where the
//! surface is smooth; at `h` about 1/20 of the object's size the error is well under 2% (see
//! `tests/import_surface.rs`).
//!
//! # Limits
//!
//! - Features thinner than about one element (thin walls, narrow gaps) are lost or closed up; sharp edges
//!   and corners are rounded to within about `h`.
//! - Elements are uniform (no grading), so fine geometry costs elements everywhere.
//! - Boundary elements are cut cubes, not Delaunay-quality: the minimum radius ratio is bounded below only
//!   through [`MIN_VOLUME_FRACTION`]; use a proper mesher (Gmsh) where quality near the wall matters.
//! - Nodes that cannot be snapped without flattening an element stay off the surface (counted in the
//!   report).
//!
//! # Why hand-written
//!
//! There is no maintained pure-Rust tetrahedral mesher of closed surfaces on crates.io that we found:
//! `tritet` wraps Triangle and TetGen (C/C++; TetGen is AGPL, which cardiotwin must not link), and Gmsh is
//! C++ with a GPL licence. This mesher is about 600 lines with its docs, deterministic, and needs only the surface.
//!
//! Units: mm.

use std::collections::HashMap;

use glam::DVec3;
use rayon::prelude::*;
use serde::Serialize;

use super::surface_repair::{RepairError, RepairOptions, RepairReport, TriSurface, repair};
use super::topology::{OUTWARD_FACES, boundary_faces, components, is_closed};
use super::{MeshError, Surfaces, TetMesh, signed_volume};
use crate::geometry::cpu::tet_geometry;

/// Smallest signed volume a snapped tetrahedron may keep, as a fraction of its grid volume `h^3 / 6`.
/// A trade-off measured on the tests' sphere and Land ventricle at h = 1 mm: 0.1 gives the best volume
/// (sphere +0.003%) but a minimum radius ratio of 0.02 and 2% of elements below 0.1; 0.2 gives 0.07
/// and under 0.1% below 0.1 but +1.5% volume on the 3 mm thick ventricle wall; 0.15 gives 0.05, under 1%
/// below 0.1, and +0.1% (sphere) / +1.2% (ventricle).
pub const MIN_VOLUME_FRACTION: f64 = 0.15;

/// Most grid cells (six tetrahedra each) a mesh may use.
pub const MAX_CELLS: usize = 8_000_000;

/// Snapping passes over the boundary nodes.
const SNAP_PASSES: usize = 6;

/// Fractions of the way to the surface tried, in order, for each boundary node in each pass.
const SNAP_FRACTIONS: [f64; 4] = [1.0, 0.75, 0.5, 0.25];

/// Offset of the parity rays from the centroids, per axis, in units of `h`.
const RAY_OFFSET: [f64; 3] = [1.37e-4, 2.71e-4, 0.93e-4];

/// Offset of the grid origin, per axis, in units of `h`.
const GRID_SHIFT: [f64; 3] = [0.0123, 0.0231, 0.0312];

/// Why a surface could not be meshed.
#[derive(Debug, thiserror::Error)]
pub enum MesherError {
    #[error("element size {0} mm: expected a finite size > 0")]
    BadElementSize(f64),
    #[error(transparent)]
    Repair(#[from] RepairError),
    #[error(
        "element size {h} mm needs {cells} grid cells over the surface's bounding box, more than {max}; \
         use a larger element size"
    )]
    TooManyCells { h: f64, cells: usize, max: usize },
    #[error(
        "no tetrahedron is inside the surface at element size {h} mm; the object may be thinner than \
         one element: use a smaller element size"
    )]
    NothingInside { h: f64 },
    #[error(transparent)]
    Mesh(#[from] MeshError),
}

/// What [`tetrahedralise`] did. Volumes in mm^3, lengths in mm.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct MesherReport {
    pub repair: RepairReport,
    pub element_size_mm: f64,
    /// Grid cells per axis.
    pub grid_cells: [usize; 3],
    /// Tetrahedra added to make the boundary manifold.
    pub filled_tets: usize,
    /// Tetrahedra dropped as small islands.
    pub dropped_tets: usize,
    pub nodes: usize,
    pub tets: usize,
    pub boundary_triangles: usize,
    pub boundary_nodes: usize,
    /// Boundary nodes moved onto the surface.
    pub snapped_nodes: usize,
    /// Boundary nodes moved part of the way only (an element would have become too flat).
    pub partly_snapped_nodes: usize,
    /// Volume enclosed by the repaired surface (divergence theorem).
    pub surface_volume_mm3: f64,
    pub mesh_volume_mm3: f64,
    /// `(mesh - surface) / surface`.
    pub relative_volume_error: f64,
    /// Radius ratio (1 for the regular tetrahedron).
    pub min_quality: f64,
    pub mean_quality: f64,
    /// Tetrahedra with a radius ratio below 0.1 (flattened cut cubes at the boundary).
    pub poor_tets: usize,
}

/// Meshes the inside of a closed surface with tetrahedra of edge about `element_size_mm` (mm). See the
/// module docs for the method and its limits.
pub fn tetrahedralise(
    surface: &TriSurface,
    element_size_mm: f64,
) -> Result<(TetMesh, MesherReport), MesherError> {
    let h = element_size_mm;
    if !(h.is_finite() && h > 0.0) {
        return Err(MesherError::BadElementSize(h));
    }
    let (surface, repair_report) = repair(surface, &RepairOptions::default())?;
    let grid = Grid::new(&surface, h)?;
    let tris: Vec<[DVec3; 3]> = surface
        .triangles
        .iter()
        .map(|t| surface.corners(t))
        .collect();

    let mut kept = grid.classify(&tris);
    let filled_tets = grid.close_non_manifold_edges(&mut kept);
    let dropped_tets = grid.drop_islands(&mut kept);
    let kept_ids: Vec<usize> = (0..kept.len()).filter(|&t| kept[t]).collect();
    if kept_ids.is_empty() {
        return Err(MesherError::NothingInside { h });
    }

    // Compact nodes and orient.
    let mut new_index = vec![u32::MAX; grid.node_count()];
    let mut nodes = Vec::new();
    let mut tets = Vec::with_capacity(kept_ids.len());
    for &t in &kept_ids {
        let mut tet = grid.tet(t).map(|g| {
            let g = g as usize;
            if new_index[g] == u32::MAX {
                new_index[g] = nodes.len() as u32;
                nodes.push(grid.node(g));
            }
            new_index[g]
        });
        if signed_volume(&tet.map(|n| nodes[n as usize])) < 0.0 {
            tet.swap(2, 3);
        }
        tets.push(tet);
    }

    let boundary = boundary_face_list(&tets);
    let mut is_boundary = vec![false; nodes.len()];
    for f in &boundary {
        for &n in f {
            is_boundary[n as usize] = true;
        }
    }
    let boundary_nodes = is_boundary.iter().filter(|&&b| b).count();
    let (snapped_nodes, partly_snapped_nodes) = snap(&mut nodes, &tets, &is_boundary, &tris, &grid);

    let mut mesh = TetMesh::new(nodes, tets)?;
    mesh.orient_generated();
    let (faces, _) = boundary_faces(&mesh);
    if !is_closed(faces.iter().map(|f| f.nodes)) {
        log::warn!(
            "volume mesher: the boundary still has non-manifold edges after {filled_tets} fill-ins; \
             try another element size"
        );
    }
    let surfaces = Surfaces {
        triangles: faces.iter().map(|f| f.nodes).collect(),
        tags: vec![1; faces.len()],
    };
    let regions = vec![1; mesh.tet_count()];
    let mut mesh = mesh.with_surfaces(surfaces)?.with_regions(regions)?;
    mesh.surface_names.insert(1, "surface".into());
    mesh.region_names.insert(1, "interior".into());

    let geometry: Vec<_> = (0..mesh.tet_count())
        .map(|t| tet_geometry(&mesh.tet_points(t)))
        .collect();
    let mesh_volume: f64 = geometry.iter().map(|g| g.volume).sum();
    let surface_volume = surface.enclosed_volume();
    let report = MesherReport {
        repair: repair_report,
        element_size_mm: h,
        grid_cells: grid.n,
        filled_tets,
        dropped_tets,
        nodes: mesh.node_count(),
        tets: mesh.tet_count(),
        boundary_triangles: faces.len(),
        boundary_nodes,
        snapped_nodes,
        partly_snapped_nodes,
        surface_volume_mm3: surface_volume,
        mesh_volume_mm3: mesh_volume,
        relative_volume_error: (mesh_volume - surface_volume) / surface_volume,
        min_quality: geometry
            .iter()
            .map(|g| g.quality)
            .fold(f64::INFINITY, f64::min),
        mean_quality: geometry.iter().map(|g| g.quality).sum::<f64>() / geometry.len() as f64,
        poor_tets: geometry.iter().filter(|g| g.quality < 0.1).count(),
    };
    log::info!("volume mesher: {report:?}");
    debug_assert!(components(&mesh) >= 1);
    Ok((mesh, report))
}

/// The structured grid: `n` cubes of edge `h` per axis from `origin`; tetrahedron `6 * cell + k` is Kuhn
/// tetrahedron `k` of cell `cell = (z * ny + y) * nx + x`.
struct Grid {
    origin: [f64; 3],
    h: f64,
    n: [usize; 3],
    /// Kuhn tetrahedra as corner bit patterns (bit 0 = +x, 1 = +y, 2 = +z).
    kuhn: [[u32; 4]; 6],
}

impl Grid {
    fn new(surface: &TriSurface, h: f64) -> Result<Self, MesherError> {
        let b = surface.bbox();
        let mut origin = [0.0; 3];
        let mut n = [0; 3];
        for a in 0..3 {
            origin[a] = b.min[a] - h * (1.0 - GRID_SHIFT[a]);
            n[a] = ((b.max[a] - origin[a]) / h).ceil() as usize + 1;
        }
        let cells = n.iter().try_fold(1usize, |acc, &k| acc.checked_mul(k));
        match cells {
            Some(c) if c <= MAX_CELLS => {}
            _ => {
                return Err(MesherError::TooManyCells {
                    h,
                    cells: cells.unwrap_or(usize::MAX),
                    max: MAX_CELLS,
                });
            }
        }
        let kuhn = crate::anatomy::kuhn_tets([0, 1, 2, 3, 4, 5, 6, 7]);
        Ok(Grid { origin, h, n, kuhn })
    }

    fn node_count(&self) -> usize {
        (self.n[0] + 1) * (self.n[1] + 1) * (self.n[2] + 1)
    }

    fn node_id(&self, i: [usize; 3]) -> u32 {
        ((i[2] * (self.n[1] + 1) + i[1]) * (self.n[0] + 1) + i[0]) as u32
    }

    fn node_index(&self, g: usize) -> [usize; 3] {
        let nx = self.n[0] + 1;
        let ny = self.n[1] + 1;
        [g % nx, (g / nx) % ny, g / (nx * ny)]
    }

    fn node(&self, g: usize) -> [f64; 3] {
        let i = self.node_index(g);
        std::array::from_fn(|a| self.origin[a] + i[a] as f64 * self.h)
    }

    fn cell_id(&self, c: [usize; 3]) -> usize {
        (c[2] * self.n[1] + c[1]) * self.n[0] + c[0]
    }

    fn tet_count(&self) -> usize {
        6 * self.n.iter().product::<usize>()
    }

    /// Grid node ids of tetrahedron `t`.
    fn tet(&self, t: usize) -> [u32; 4] {
        let cell = t / 6;
        let c = [
            cell % self.n[0],
            (cell / self.n[0]) % self.n[1],
            cell / (self.n[0] * self.n[1]),
        ];
        self.kuhn[t % 6]
            .map(|bits| self.node_id(std::array::from_fn(|a| c[a] + ((bits >> a) & 1) as usize)))
    }

    /// Centroid of Kuhn tetrahedron `k` relative to its cell's lowest corner, in units of `h`.
    fn centroid_offset(&self, k: usize) -> [f64; 3] {
        std::array::from_fn(|a| {
            self.kuhn[k]
                .iter()
                .map(|&bits| ((bits >> a) & 1) as f64)
                .sum::<f64>()
                / 4.0
        })
    }

    /// Inside flags of all grid tetrahedra: majority vote of ray parity along the three axes.
    fn classify(&self, tris: &[[DVec3; 3]]) -> Vec<bool> {
        let mut votes = vec![0u8; self.tet_count()];
        for axis in 0..3 {
            let (b, c) = ((axis + 1) % 3, (axis + 2) % 3);
            let buckets = self.buckets_2d(tris, b, c);
            let lines: Vec<(usize, usize, usize)> = (0..6)
                .flat_map(|k| {
                    (0..self.n[c]).flat_map(move |jc| (0..self.n[b]).map(move |jb| (k, jb, jc)))
                })
                .collect();
            let rows: Vec<Vec<bool>> = lines
                .par_iter()
                .map(|&(k, jb, jc)| {
                    let off = self.centroid_offset(k);
                    let u = self.origin[b] + (jb as f64 + off[b] + RAY_OFFSET[b]) * self.h;
                    let v = self.origin[c] + (jc as f64 + off[c] + RAY_OFFSET[c]) * self.h;
                    let mut crossings: Vec<f64> = buckets[jc * self.n[b] + jb]
                        .iter()
                        .filter_map(|&t| ray_crossing(&tris[t as usize], axis, b, c, u, v))
                        .collect();
                    crossings.sort_unstable_by(f64::total_cmp);
                    let mut below = 0;
                    (0..self.n[axis])
                        .map(|i| {
                            let x = self.origin[axis] + (i as f64 + off[axis]) * self.h;
                            while below < crossings.len() && crossings[below] < x {
                                below += 1;
                            }
                            below % 2 == 1
                        })
                        .collect()
                })
                .collect();
            for (&(k, jb, jc), row) in lines.iter().zip(&rows) {
                for (i, &inside) in row.iter().enumerate() {
                    if inside {
                        let mut cell = [0; 3];
                        cell[axis] = i;
                        cell[b] = jb;
                        cell[c] = jc;
                        votes[6 * self.cell_id(cell) + k] += 1;
                    }
                }
            }
        }
        votes.into_iter().map(|v| v >= 2).collect()
    }

    /// Triangles overlapping each cell column of the plane of axes (`b`, `c`), column `jc * n[b] + jb`.
    fn buckets_2d(&self, tris: &[[DVec3; 3]], b: usize, c: usize) -> Vec<Vec<u32>> {
        let mut buckets = vec![Vec::new(); self.n[b] * self.n[c]];
        for (t, tri) in tris.iter().enumerate() {
            let (lo_b, hi_b) = self.cell_range(tri, b);
            let (lo_c, hi_c) = self.cell_range(tri, c);
            for jc in lo_c..=hi_c {
                for jb in lo_b..=hi_b {
                    buckets[jc * self.n[b] + jb].push(t as u32);
                }
            }
        }
        buckets
    }

    /// Cells along axis `a` overlapped by the triangle's extent (one cell of margin below for the ray
    /// offsets and rounding).
    fn cell_range(&self, tri: &[DVec3; 3], a: usize) -> (usize, usize) {
        let lo = tri.iter().map(|p| p[a]).fold(f64::INFINITY, f64::min);
        let hi = tri.iter().map(|p| p[a]).fold(f64::NEG_INFINITY, f64::max);
        let to_cell =
            |x: f64| (((x - self.origin[a]) / self.h).floor().max(0.0) as usize).min(self.n[a] - 1);
        (to_cell(lo - 1e-3 * self.h), to_cell(hi + 1e-3 * self.h))
    }

    /// Adds the grid tetrahedra around every edge shared by more than two boundary faces of the kept
    /// set, until none is left (at most a few rounds). Returns how many were added.
    fn close_non_manifold_edges(&self, kept: &mut [bool]) -> usize {
        let mut added = 0;
        for _ in 0..8 {
            let tets: Vec<[u32; 4]> = (0..kept.len())
                .filter(|&t| kept[t])
                .map(|t| self.tet(t))
                .collect();
            let mut edge_faces: HashMap<(u32, u32), u32> = HashMap::new();
            for f in boundary_face_list(&tets) {
                for k in 0..3 {
                    let (a, b) = (f[k], f[(k + 1) % 3]);
                    *edge_faces.entry((a.min(b), a.max(b))).or_default() += 1;
                }
            }
            let mut bad: Vec<(u32, u32)> = edge_faces
                .into_iter()
                .filter(|&(_, c)| c > 2)
                .map(|(e, _)| e)
                .collect();
            if bad.is_empty() {
                break;
            }
            bad.sort_unstable();
            for (a, b) in bad {
                for t in self.tets_around_node(a as usize) {
                    let tet = self.tet(t);
                    if !kept[t] && tet.contains(&b) {
                        kept[t] = true;
                        added += 1;
                    }
                }
            }
        }
        added
    }

    /// Grid tetrahedra that have grid node `g` as a corner.
    fn tets_around_node(&self, g: usize) -> Vec<usize> {
        let i = self.node_index(g);
        let mut out = Vec::new();
        for dz in 0..2 {
            for dy in 0..2 {
                for dx in 0..2 {
                    let d = [dx, dy, dz];
                    if (0..3).any(|a| i[a] < d[a] || i[a] - d[a] >= self.n[a]) {
                        continue;
                    }
                    let cell = self.cell_id(std::array::from_fn(|a| i[a] - d[a]));
                    for k in 0..6 {
                        if self.tet(6 * cell + k).contains(&(g as u32)) {
                            out.push(6 * cell + k);
                        }
                    }
                }
            }
        }
        out
    }

    /// Drops connected pieces (through shared faces) of less than 1% of the largest one's tetrahedra.
    /// Returns how many tetrahedra were dropped.
    fn drop_islands(&self, kept: &mut [bool]) -> usize {
        let ids: Vec<usize> = (0..kept.len()).filter(|&t| kept[t]).collect();
        let mut parent: Vec<usize> = (0..ids.len()).collect();
        fn find(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        let mut faces: HashMap<[u32; 3], usize> = HashMap::with_capacity(2 * ids.len());
        for (local, &t) in ids.iter().enumerate() {
            let tet = self.tet(t);
            for f in OUTWARD_FACES {
                let mut key = f.map(|c| tet[c]);
                key.sort_unstable();
                if let Some(&other) = faces.get(&key) {
                    let (ra, rb) = (find(&mut parent, local), find(&mut parent, other));
                    if ra != rb {
                        parent[ra.max(rb)] = ra.min(rb);
                    }
                } else {
                    faces.insert(key, local);
                }
            }
        }
        let mut size = vec![0usize; ids.len()];
        for l in 0..ids.len() {
            let r = find(&mut parent, l);
            size[r] += 1;
        }
        let largest = size.iter().copied().max().unwrap_or(0);
        let mut dropped = 0;
        for (l, &t) in ids.iter().enumerate() {
            let r = find(&mut parent, l);
            if (size[r] as f64) < 0.01 * largest as f64 {
                kept[t] = false;
                dropped += 1;
            }
        }
        dropped
    }
}

/// Where the line through (`u`, `v`) along `axis` crosses the triangle (coordinate along `axis`), or
/// `None`. The triangle is projected onto the (`b`, `c`) plane; triangles parallel to the axis are
/// skipped.
fn ray_crossing(tri: &[DVec3; 3], axis: usize, b: usize, c: usize, u: f64, v: f64) -> Option<f64> {
    let p = tri.map(|q| (q[b] - u, q[c] - v));
    // Edge functions: twice the signed areas of the sub-triangles opposite each corner.
    let w0 = p[1].0 * p[2].1 - p[1].1 * p[2].0;
    let w1 = p[2].0 * p[0].1 - p[2].1 * p[0].0;
    let w2 = p[0].0 * p[1].1 - p[0].1 * p[1].0;
    let d = w0 + w1 + w2;
    if d == 0.0 || !d.is_finite() {
        return None;
    }
    let inside = (w0 >= 0.0 && w1 >= 0.0 && w2 >= 0.0) || (w0 <= 0.0 && w1 <= 0.0 && w2 <= 0.0);
    inside.then(|| (w0 * tri[0][axis] + w1 * tri[1][axis] + w2 * tri[2][axis]) / d)
}

/// Faces that belong to exactly one of `tets`, as node triples (outward when the tets are positive).
fn boundary_face_list(tets: &[[u32; 4]]) -> Vec<[u32; 3]> {
    let mut count: HashMap<[u32; 3], ([u32; 3], u32)> = HashMap::with_capacity(2 * tets.len());
    for t in tets {
        for f in OUTWARD_FACES {
            let nodes = f.map(|c| t[c]);
            let mut key = nodes;
            key.sort_unstable();
            count.entry(key).or_insert((nodes, 0)).1 += 1;
        }
    }
    let mut faces: Vec<[u32; 3]> = count
        .into_values()
        .filter(|&(_, c)| c == 1)
        .map(|(f, _)| f)
        .collect();
    faces.sort_unstable();
    faces
}

/// Moves boundary nodes onto the surface where no incident tetrahedron gets too flat. Returns (nodes
/// moved all the way, nodes moved part of the way).
fn snap(
    nodes: &mut [[f64; 3]],
    tets: &[[u32; 4]],
    is_boundary: &[bool],
    tris: &[[DVec3; 3]],
    grid: &Grid,
) -> (usize, usize) {
    // Node -> incident tetrahedra.
    let mut incident: Vec<Vec<u32>> = vec![Vec::new(); nodes.len()];
    for (t, tet) in tets.iter().enumerate() {
        for &n in tet {
            if is_boundary[n as usize] {
                incident[n as usize].push(t as u32);
            }
        }
    }
    // Triangles per grid cell.
    let mut cells: HashMap<usize, Vec<u32>> = HashMap::new();
    for (t, tri) in tris.iter().enumerate() {
        let r: [(usize, usize); 3] = std::array::from_fn(|a| grid.cell_range(tri, a));
        for z in r[2].0..=r[2].1 {
            for y in r[1].0..=r[1].1 {
                for x in r[0].0..=r[0].1 {
                    cells
                        .entry(grid.cell_id([x, y, z]))
                        .or_default()
                        .push(t as u32);
                }
            }
        }
    }
    let reach = 2usize;
    let closest = |p: DVec3| -> Option<DVec3> {
        let c: [usize; 3] = std::array::from_fn(|a| {
            (((p[a] - grid.origin[a]) / grid.h).floor().max(0.0) as usize).min(grid.n[a] - 1)
        });
        let mut best: Option<(f64, DVec3)> = None;
        for z in c[2].saturating_sub(reach)..=(c[2] + reach).min(grid.n[2] - 1) {
            for y in c[1].saturating_sub(reach)..=(c[1] + reach).min(grid.n[1] - 1) {
                for x in c[0].saturating_sub(reach)..=(c[0] + reach).min(grid.n[0] - 1) {
                    for &t in cells.get(&grid.cell_id([x, y, z])).into_iter().flatten() {
                        let q = closest_on_triangle(p, &tris[t as usize]);
                        let d = q.distance_squared(p);
                        if best.is_none_or(|(bd, _)| d < bd) {
                            best = Some((d, q));
                        }
                    }
                }
            }
        }
        let limit = reach as f64 * grid.h;
        best.filter(|(d, _)| *d <= limit * limit).map(|(_, q)| q)
    };
    let min_volume = MIN_VOLUME_FRACTION * grid.h.powi(3) / 6.0;
    // 0: not moved, 1: moved part of the way, 2: on the surface.
    let mut state = vec![0u8; nodes.len()];
    for _ in 0..SNAP_PASSES {
        let mut moved = false;
        for n in 0..nodes.len() {
            if !is_boundary[n] || state[n] == 2 {
                continue;
            }
            let p = DVec3::from_array(nodes[n]);
            let Some(q) = closest(p) else { continue };
            for fraction in SNAP_FRACTIONS {
                let target = (p + fraction * (q - p)).to_array();
                let ok = incident[n].iter().all(|&t| {
                    let pts = tets[t as usize].map(|m| {
                        if m as usize == n {
                            target
                        } else {
                            nodes[m as usize]
                        }
                    });
                    signed_volume(&pts) >= min_volume
                });
                if ok {
                    nodes[n] = target;
                    state[n] = if fraction == 1.0 { 2 } else { 1 };
                    moved = true;
                    break;
                }
            }
        }
        if !moved {
            break;
        }
    }
    (
        state.iter().filter(|&&s| s == 2).count(),
        state.iter().filter(|&&s| s == 1).count(),
    )
}

/// The point of triangle `tri` closest to `p`.
fn closest_on_triangle(p: DVec3, tri: &[DVec3; 3]) -> DVec3 {
    let [a, b, c] = *tri;
    let n = (b - a).cross(c - a);
    let nn = n.length_squared();
    if nn > 0.0 {
        // Project onto the plane; inside if all barycentric coordinates are >= 0.
        let q = p - n * ((p - a).dot(n) / nn);
        let wa = (b - q).cross(c - q).dot(n);
        let wb = (c - q).cross(a - q).dot(n);
        let wc = (a - q).cross(b - q).dot(n);
        if wa >= 0.0 && wb >= 0.0 && wc >= 0.0 {
            return q;
        }
    }
    [(a, b), (b, c), (c, a)]
        .into_iter()
        .map(|(s, e)| closest_on_segment(p, s, e))
        .min_by(|x, y| x.distance_squared(p).total_cmp(&y.distance_squared(p)))
        .unwrap_or(a)
}

fn closest_on_segment(p: DVec3, s: DVec3, e: DVec3) -> DVec3 {
    let d = e - s;
    let l = d.length_squared();
    if l == 0.0 {
        return s;
    }
    s + d * ((p - s).dot(d) / l).clamp(0.0, 1.0)
}
