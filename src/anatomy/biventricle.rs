//! An idealised biventricle: ellipsoidal left and right ventricles cut by a flat base, meshed in code at any
//! element size.
//!
//! No shared benchmark defines one (the elastodynamics benchmark's biventricle is a meshed patient-like
//! geometry, readable from `../shared/data/benchmarks/biv_coarse/`), so this is cardiotwin's own, with
//! dimensions of an adult heart (mm; long axis z, apex towards -z, base plane z = 0):
//!
//! | surface | centre | semi-axes (x, y, z) |
//! |---|---|---|
//! | LV endocardium | (0, 0, 0) | (22, 22, 65) |
//! | LV epicardium | (0, 0, 0) | (32, 32, 75) |
//! | RV endocardium | (0, 20, 0) | (22, 30, 60) |
//! | RV epicardium | (0, 20, 0) | (27, 35, 65) |
//!
//! The wall is (inside LV epi or RV epi) minus the LV cavity (inside LV endo) minus the RV cavity (inside RV
//! endo but outside LV epi, so the septum is LV wall), below z = 0.
//!
//! Method: a structured grid of Kuhn tetrahedra over the bounding box; tetrahedra whose centroid is in the
//! wall are kept; boundary nodes are then moved onto the nearest of the defining surfaces (Newton steps on
//! its implicit function, or onto the base plane), a node at a time, each move undone if any tetrahedron
//! around it would lose more than 85% of its volume. Tags: 1 LV endocardium, 2 RV endocardium (free wall), 3
//! RV septal endocardium, 4 epicardium, 5 base; regions 1 LV (with the septum), 2 RV free wall. Features
//! thinner than an element (the RV free wall is 5 mm) need elements of about 2.5 mm or less.

use glam::DVec3;

use super::block::Block;
use crate::mesh::topology::{NodeTets, boundary_faces};
use crate::mesh::{MeshError, Surfaces, TetMesh, signed_volume};

pub const LV_ENDO: i32 = 1;
pub const RV_ENDO: i32 = 2;
pub const RV_SEPTUM: i32 = 3;
pub const EPI: i32 = 4;
pub const BASE: i32 = 5;
pub const LV: i32 = 1;
pub const RV: i32 = 2;

/// An ellipsoid x^2/a^2 + ... = 1 as an implicit function f (negative inside).
#[derive(Debug, Clone, Copy)]
struct Ellipsoid {
    centre: DVec3,
    axes: DVec3,
}

impl Ellipsoid {
    fn f(&self, p: DVec3) -> f64 {
        let q = (p - self.centre) / self.axes;
        q.length_squared() - 1.0
    }

    fn grad(&self, p: DVec3) -> DVec3 {
        2.0 * (p - self.centre) / (self.axes * self.axes)
    }

    /// Distance estimate |f| / |grad f|.
    fn distance(&self, p: DVec3) -> f64 {
        self.f(p).abs() / self.grad(p).length().max(1e-12)
    }

    /// Newton steps along the gradient onto f = 0.
    fn project(&self, mut p: DVec3) -> DVec3 {
        for _ in 0..8 {
            let g = self.grad(p);
            p -= g * (self.f(p) / g.length_squared().max(1e-24));
        }
        p
    }
}

const LV_ENDO_E: Ellipsoid = Ellipsoid {
    centre: DVec3::ZERO,
    axes: DVec3::new(22.0, 22.0, 65.0),
};
const LV_EPI_E: Ellipsoid = Ellipsoid {
    centre: DVec3::ZERO,
    axes: DVec3::new(32.0, 32.0, 75.0),
};
const RV_ENDO_E: Ellipsoid = Ellipsoid {
    centre: DVec3::new(0.0, 20.0, 0.0),
    axes: DVec3::new(22.0, 30.0, 60.0),
};
const RV_EPI_E: Ellipsoid = Ellipsoid {
    centre: DVec3::new(0.0, 20.0, 0.0),
    axes: DVec3::new(27.0, 35.0, 65.0),
};

fn in_wall(p: DVec3) -> bool {
    let outer = LV_EPI_E.f(p) < 0.0 || RV_EPI_E.f(p) < 0.0;
    let lv_cavity = LV_ENDO_E.f(p) < 0.0;
    let rv_cavity = RV_ENDO_E.f(p) < 0.0 && LV_EPI_E.f(p) >= 0.0;
    outer && !lv_cavity && !rv_cavity && p.z < 0.0
}

/// The surface a boundary point lies on: (tag, projection onto it).
fn nearest_surface(p: DVec3) -> (i32, DVec3) {
    let candidates = [
        (LV_ENDO, LV_ENDO_E.distance(p)),
        (RV_ENDO, RV_ENDO_E.distance(p)),
        (RV_SEPTUM, LV_EPI_E.distance(p)),
        (EPI, RV_EPI_E.distance(p)),
        (BASE, p.z.abs()),
    ];
    let (tag, _) = candidates
        .iter()
        .copied()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((BASE, 0.0));
    match tag {
        LV_ENDO => (LV_ENDO, LV_ENDO_E.project(p)),
        RV_ENDO => (RV_ENDO, RV_ENDO_E.project(p)),
        // On the LV epicardium: facing the RV cavity (septum) or the outside (epicardium).
        RV_SEPTUM => {
            let q = LV_EPI_E.project(p);
            let tag = if RV_ENDO_E.f(q) < 0.0 { RV_SEPTUM } else { EPI };
            (tag, q)
        }
        EPI => (EPI, RV_EPI_E.project(p)),
        _ => (BASE, DVec3::new(p.x, p.y, 0.0)),
    }
}

/// The idealised biventricle at element size `h` mm.
#[derive(Debug, Clone, Copy)]
pub struct IdealBiventricle {
    pub element_size: f64,
}

impl IdealBiventricle {
    pub fn with_element_size(h: f64) -> Self {
        IdealBiventricle {
            element_size: h.max(0.5),
        }
    }

    /// Whether point `p` (mm) is in the wall of the exact geometry.
    pub fn contains(p: [f64; 3]) -> bool {
        in_wall(DVec3::from_array(p))
    }

    pub fn build(&self) -> Result<TetMesh, MeshError> {
        let h = self.element_size;
        let lo = DVec3::new(-33.0, -33.0, -76.0);
        let hi = DVec3::new(33.0, 56.0, 0.0);
        let size = hi - lo;
        let cells = [size.x, size.y, size.z].map(|l| ((l / h).ceil() as usize).max(1));
        let grid = Block {
            size: size.to_array(),
            cells,
            jitter: 0.0,
            seed: 1,
        }
        .build()?;
        let at = |n: u32| DVec3::from_array(grid.nodes()[n as usize]) + lo;

        // Keep the tetrahedra in the wall, with compact node numbers.
        let mut index = vec![u32::MAX; grid.node_count()];
        let mut nodes: Vec<[f64; 3]> = Vec::new();
        let mut tets = Vec::new();
        for t in grid.tets() {
            let c = t.iter().map(|&n| at(n)).sum::<DVec3>() / 4.0;
            if !in_wall(c) {
                continue;
            }
            tets.push(t.map(|n| {
                if index[n as usize] == u32::MAX {
                    index[n as usize] = nodes.len() as u32;
                    nodes.push(at(n).to_array());
                }
                index[n as usize]
            }));
        }
        let mut mesh = TetMesh::new(nodes, tets)?;
        mesh.orient_generated();
        let mesh = snap_boundary(mesh)?;

        // Tags from the surface each boundary face's centroid is nearest to.
        let mut surfaces = Surfaces::default();
        for f in boundary_faces(&mesh).0 {
            let c = f
                .nodes
                .iter()
                .map(|&n| DVec3::from_array(mesh.nodes()[n as usize]))
                .sum::<DVec3>()
                / 3.0;
            surfaces.triangles.push(f.nodes);
            surfaces.tags.push(nearest_surface(c).0);
        }
        let regions = (0..mesh.tet_count())
            .map(|t| {
                let c = mesh
                    .tet_points(t)
                    .iter()
                    .map(|&q| DVec3::from_array(q))
                    .sum::<DVec3>()
                    / 4.0;
                if LV_EPI_E.f(c) < 0.0 { LV } else { RV }
            })
            .collect();
        let mut mesh = mesh.with_regions(regions)?.with_surfaces(surfaces)?;
        for (tag, name) in [
            (LV_ENDO, "LV endocardium"),
            (RV_ENDO, "RV endocardium"),
            (RV_SEPTUM, "RV septum"),
            (EPI, "epicardium"),
            (BASE, "base"),
        ] {
            mesh.surface_names.insert(tag, name.into());
        }
        mesh.region_names.insert(LV, "LV and septum".into());
        mesh.region_names.insert(RV, "RV free wall".into());
        Ok(mesh)
    }
}

/// Moves each boundary node onto its nearest defining surface, unless a tetrahedron around it would keep
/// less than 15% of its volume; three passes, so that neighbours moved first make room.
fn snap_boundary(mesh: TetMesh) -> Result<TetMesh, MeshError> {
    let adjacency = NodeTets::build(&mesh);
    let mut nodes = mesh.nodes().to_vec();
    let tets = mesh.tets().to_vec();
    let original: Vec<f64> = (0..tets.len())
        .map(|t| signed_volume(&mesh.tet_points(t)))
        .collect();
    let mut boundary: Vec<u32> = boundary_faces(&mesh)
        .0
        .iter()
        .flat_map(|f| f.nodes)
        .collect();
    boundary.sort_unstable();
    boundary.dedup();
    for pass in 0..3 {
        // Partial moves first (halfway, then the rest) keep neighbouring moves compatible.
        let fraction = [0.5, 1.0, 1.0][pass];
        for &n in &boundary {
            let p = DVec3::from_array(nodes[n as usize]);
            let target = nearest_surface(p).1;
            let candidate = p + (target - p) * fraction;
            let old = nodes[n as usize];
            nodes[n as usize] = candidate.to_array();
            let ok = adjacency.of(n as usize).iter().all(|&[t, _]| {
                let pts = tets[t as usize].map(|k| nodes[k as usize]);
                signed_volume(&pts) > 0.15 * original[t as usize]
            });
            if !ok {
                nodes[n as usize] = old;
            }
        }
    }
    let mut out = TetMesh::new(nodes, tets)?;
    out.orient_generated();
    Ok(out)
}
