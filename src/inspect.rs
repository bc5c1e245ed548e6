//! `cardiotwin mesh info`: what a user needs to know about a mesh before simulating on it.

use std::collections::BTreeMap;

use glam::DVec3;
use serde::Serialize;

use crate::geometry::{GeometryStats, cpu};
use crate::mesh::TetMesh;
use crate::mesh::topology::{boundary_faces, components, edge_report};

/// The report of `cardiotwin mesh info --json`. Lengths in mm.
#[derive(Debug, Clone, Serialize)]
pub struct MeshInfo {
    pub nodes: usize,
    pub tets: usize,
    /// Always `"mm"`: importers convert to millimetres.
    pub units: &'static str,
    pub bbox: BBox,
    pub volume_mm3: f64,
    pub surfaces: Vec<SurfaceInfo>,
    pub regions: Vec<RegionInfo>,
    pub quality: Quality,
    /// Tetrahedra whose node order was inverted in the file and has been repaired.
    pub inverted_repaired: usize,
    /// Tetrahedra of zero volume.
    pub degenerate: usize,
    /// Connected pieces.
    pub components: usize,
    /// The boundary of the tetrahedra is watertight: no edge bounds a single boundary triangle, and no face
    /// is shared by more than two tetrahedra.
    pub closed_boundary: bool,
    /// Boundary edges shared by more than two boundary triangles (pieces touching along an edge, as where
    /// the ventricles were cut from the atria): watertight but not a manifold surface.
    pub non_manifold_boundary_edges: usize,
    /// Triangles on the boundary of the tetrahedra.
    pub boundary_triangles: usize,
    pub point_fields: Vec<String>,
    pub cell_fields: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BBox {
    pub min: [f64; 3],
    pub max: [f64; 3],
}

#[derive(Debug, Clone, Serialize)]
pub struct SurfaceInfo {
    pub tag: i32,
    pub name: Option<String>,
    pub triangles: usize,
    pub area_mm2: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegionInfo {
    pub tag: i32,
    pub name: Option<String>,
    pub tets: usize,
    pub volume_mm3: f64,
}

/// Radius ratio 3 r_in / r_circ: 1 for a regular tetrahedron, 0 for a flat one.
#[derive(Debug, Clone, Serialize)]
pub struct Quality {
    pub min: f64,
    pub mean: f64,
    /// Tetrahedra below 0.1 (slivers that slow explicit time stepping).
    pub below_0_1: usize,
}

impl MeshInfo {
    pub fn of(mesh: &TetMesh) -> Self {
        let geometry = cpu::rest_geometry(mesh);
        let stats = GeometryStats::of(&geometry);
        let bbox = mesh.bbox();

        let mut regions: BTreeMap<i32, (usize, f64)> = BTreeMap::new();
        for (g, &r) in geometry.iter().zip(mesh.regions()) {
            let e = regions.entry(r).or_default();
            e.0 += 1;
            e.1 += g.volume;
        }
        let mut surfaces: BTreeMap<i32, (usize, f64)> = BTreeMap::new();
        let s = mesh.surfaces();
        for (t, &tag) in s.triangles.iter().zip(&s.tags) {
            let [a, b, c] = t.map(|n| DVec3::from_array(mesh.nodes()[n as usize]));
            let e = surfaces.entry(tag).or_default();
            e.0 += 1;
            e.1 += 0.5 * (b - a).cross(c - a).length();
        }
        let (boundary, non_manifold) = boundary_faces(mesh);
        let edges = edge_report(boundary.iter().map(|f| f.nodes));
        let closed = non_manifold == 0 && edges.open == 0 && !boundary.is_empty();

        MeshInfo {
            nodes: mesh.node_count(),
            tets: mesh.tet_count(),
            units: "mm",
            bbox: BBox {
                min: bbox.min,
                max: bbox.max,
            },
            volume_mm3: stats.volume_mm3,
            surfaces: surfaces
                .into_iter()
                .map(|(tag, (triangles, area_mm2))| SurfaceInfo {
                    tag,
                    name: mesh.surface_names.get(&tag).cloned(),
                    triangles,
                    area_mm2,
                })
                .collect(),
            regions: regions
                .into_iter()
                .map(|(tag, (tets, volume_mm3))| RegionInfo {
                    tag,
                    name: mesh.region_names.get(&tag).cloned(),
                    tets,
                    volume_mm3,
                })
                .collect(),
            quality: Quality {
                min: stats.quality_min,
                mean: stats.quality_mean,
                below_0_1: geometry.iter().filter(|g| g.quality < 0.1).count(),
            },
            inverted_repaired: mesh.inverted_repaired(),
            degenerate: stats.degenerate,
            components: components(mesh),
            closed_boundary: closed,
            non_manifold_boundary_edges: edges.non_manifold,
            boundary_triangles: boundary.len(),
            point_fields: mesh.point_fields().iter().map(|f| f.name.clone()).collect(),
            cell_fields: mesh.cell_fields().iter().map(|f| f.name.clone()).collect(),
        }
    }
}
