//! The idealised left ventricle of Land et al. 2015 (Proc. R. Soc. A 471:20150641), problems 2 and 3.
//!
//! A thick-walled truncated ellipsoid, parametrised by the transmural coordinate t in [0, 1] (0 at the
//! endocardium), the longitudinal angle u and the circumferential angle v:
//!
//! ```text
//! rs(t) = 7 + 3t,  rl(t) = 17 + 3t                                  (mm)
//! x = rs sin(u) cos(v),  y = rs sin(u) sin(v),  z = rl cos(u)
//! u in [-pi, -acos(5 / rl(t))],  v in [-pi, pi)
//! ```
//!
//! so the base is the plane z = 5 mm and the apex lies on the z axis (endocardium z = -17, epicardium z = -20).
//! The grid is uniform in (t, u, v); around the apex axis the first ring of cells are prisms (the apex is one
//! node per t level), cut into three tetrahedra with face diagonals that match the Kuhn-cut hexahedra of
//! the rest, so the mesh is conforming. Straight-edged tetrahedra under-fill the curved wall: the volume
//! converges to [`LandEllipsoid::exact_wall_volume`] at second order in the element size.

use std::f64::consts::PI;

use crate::mesh::topology::boundary_faces;
use crate::mesh::{MeshError, Surfaces, TetMesh};

/// Surface tags, as in the benchmark's Gmsh meshes (`../shared/data/meshes/land_lv_coarse_v4.msh`).
pub const ENDO: i32 = 1;
pub const EPI: i32 = 2;
pub const BASE: i32 = 3;
/// Region tag of the myocardium.
pub const MYOCARDIUM: i32 = 10;

/// Base plane height, mm.
pub const BASE_Z: f64 = 5.0;

/// Resolution of the generated ventricle.
#[derive(Debug, Clone, Copy)]
pub struct LandEllipsoid {
    /// Element layers through the wall.
    pub transmural: usize,
    /// Element rings from apex to base.
    pub longitudinal: usize,
    /// Elements around the circumference.
    pub circumferential: usize,
}

/// Short and long radii at transmural coordinate t, mm.
pub fn radii(t: f64) -> (f64, f64) {
    (7.0 + 3.0 * t, 17.0 + 3.0 * t)
}

impl LandEllipsoid {
    /// A mesh whose elements measure about `h` mm along each direction at mid-wall.
    pub fn with_element_size(h: f64) -> Self {
        let h = h.max(1e-3);
        let (rs, rl) = radii(0.5);
        let meridian = meridian_length(rs, rl, -(BASE_Z / rl).acos());
        LandEllipsoid {
            transmural: ((3.0 / h).round() as usize).max(1),
            longitudinal: ((meridian / h).round() as usize).max(3),
            circumferential: ((2.0 * PI * rs / h).round() as usize).max(8),
        }
    }

    pub fn tet_count(&self) -> usize {
        let (nt, nu, nv) = (self.transmural, self.longitudinal, self.circumferential);
        nt * nv * (3 + 6 * (nu - 1))
    }

    /// Wall volume of the exact (curved) geometry, mm^3: the difference of the two ellipsoid caps below
    /// z = 5, V_cap(a, c) = pi a^2 [(5 + c) - (125 + c^3) / (3 c^2)].
    pub fn exact_wall_volume() -> f64 {
        let cap = |a: f64, c: f64| {
            PI * a * a * ((BASE_Z + c) - (BASE_Z.powi(3) + c.powi(3)) / (3.0 * c * c))
        };
        cap(10.0, 20.0) - cap(7.0, 17.0)
    }

    /// Cavity volume enclosed by the endocardium and the base plane, mm^3 (about 2.2 ml).
    pub fn exact_cavity_volume() -> f64 {
        PI * 49.0 * ((BASE_Z + 17.0) - (BASE_Z.powi(3) + 17f64.powi(3)) / (3.0 * 289.0))
    }

    pub fn build(&self) -> Result<TetMesh, MeshError> {
        build_shell(
            &Shell {
                endo: radii(0.0),
                epi: radii(1.0),
                rim: Rim::Plane(BASE_Z),
            },
            [self.transmural, self.longitudinal, self.circumferential],
        )
    }
}

/// Length of the meridian x = rs sin(u), z = rl cos(u) from the apex (u = -pi) to u_end, mm (midpoint
/// rule on 256 intervals): what element counts along the long axis are sized by.
pub(crate) fn meridian_length(rs: f64, rl: f64, u_end: f64) -> f64 {
    let steps = 256;
    let du = (u_end + PI) / steps as f64;
    (0..steps)
        .map(|i| {
            let u = -PI + (i as f64 + 0.5) * du;
            (rs * u.cos()).hypot(rl * u.sin()) * du
        })
        .sum()
}

/// A thick truncated ellipsoidal shell: endocardium and epicardium (short radius, long radius) in mm,
/// long axis z (apex at -z), and how the wall is cut at the base.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shell {
    pub endo: (f64, f64),
    pub epi: (f64, f64),
    pub rim: Rim,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Rim {
    /// The plane z = value (Land et al. 2015).
    Plane(f64),
    /// The cone through the endocardial rim at u = endo and the epicardial rim at u = epi (Aróstica et al.
    /// 2025): the base is the revolution of the straight segment between the two rims.
    Cone { endo_u: f64, epi_u: f64 },
}

impl Shell {
    fn radii(&self, t: f64) -> (f64, f64) {
        (
            self.endo.0 + (self.epi.0 - self.endo.0) * t,
            self.endo.1 + (self.epi.1 - self.endo.1) * t,
        )
    }

    /// Height and radius of the base rim of layer t.
    fn rim(&self, t: f64) -> (f64, f64) {
        match self.rim {
            Rim::Plane(z) => {
                let (rs, rl) = self.radii(t);
                (z, rs * (1.0 - (z / rl).powi(2)).max(0.0).sqrt())
            }
            Rim::Cone { endo_u, epi_u } => {
                let (z0, r0) = (self.endo.1 * endo_u.cos(), -self.endo.0 * endo_u.sin());
                let (z1, r1) = (self.epi.1 * epi_u.cos(), -self.epi.0 * epi_u.sin());
                (z0 + (z1 - z0) * t, r0 + (r1 - r0) * t)
            }
        }
    }
}

/// Meshes a [`Shell`] with `[transmural, longitudinal, circumferential]` element counts: a grid uniform in
/// (t, u, v); around the apex axis the first ring of cells are prisms (the apex is one node per layer), cut
/// into three tetrahedra with face diagonals that match the Kuhn-cut hexahedra of the rest. The top ring of
/// each layer is placed on the base rim exactly. Tags: [`ENDO`], [`EPI`], [`BASE`]; region [`MYOCARDIUM`].
pub(crate) fn build_shell(shell: &Shell, counts: [usize; 3]) -> Result<TetMesh, MeshError> {
    let nt = counts[0].max(1);
    let nu = counts[1].max(2);
    let nv = counts[2].max(3);
    let apex = |k: usize| k as u32;
    // Ring i in 1..=nu (i = 0 is the apex), position j around, layer k.
    let ring = |k: usize, i: usize, j: usize| ((nt + 1) + (k * nu + (i - 1)) * nv + j % nv) as u32;

    let mut nodes = Vec::with_capacity((nt + 1) * (1 + nu * nv));
    for k in 0..=nt {
        let (_, rl) = shell.radii(k as f64 / nt as f64);
        nodes.push([0.0, 0.0, -rl]);
    }
    for k in 0..=nt {
        let t = k as f64 / nt as f64;
        let (rs, rl) = shell.radii(t);
        let (rim_z, rim_r) = shell.rim(t);
        let u_end = -(rim_z / rl).clamp(-1.0, 1.0).acos();
        for i in 1..=nu {
            let u = -PI + (u_end + PI) * i as f64 / nu as f64;
            for j in 0..nv {
                let v = -PI + 2.0 * PI * j as f64 / nv as f64;
                // sin(u) < 0 on the whole range, so the ring runs through (-r cos v, -r sin v).
                let (r, z) = if i == nu {
                    (rim_r, rim_z)
                } else {
                    (-rs * u.sin(), rl * u.cos())
                };
                nodes.push([-r * v.cos(), -r * v.sin(), z]);
            }
        }
    }

    let mut tets = Vec::with_capacity(nt * nv * (3 + 6 * (nu - 1)));
    for k in 0..nt {
        // Apex prisms: bottom (A, B, C) on layer k, top (A', B', C') on layer k + 1. Diagonals A-B', A-C'
        // on the faces through the axis and B-C' on the outer face (the Kuhn diagonal of the hexahedra).
        for j in 0..nv {
            let (a, b, c) = (apex(k), ring(k, 1, j), ring(k, 1, j + 1));
            let (a1, b1, c1) = (apex(k + 1), ring(k + 1, 1, j), ring(k + 1, 1, j + 1));
            tets.extend([[a, b, c, c1], [a, b, b1, c1], [a, a1, b1, c1]]);
        }
        for i in 1..nu {
            for j in 0..nv {
                // Corner bits: 1 = +v, 2 = +u, 4 = +t.
                let c: [u32; 8] = std::array::from_fn(|bits| {
                    ring(k + (bits >> 2), i + ((bits >> 1) & 1), j + (bits & 1))
                });
                tets.extend(super::kuhn_tets(c));
            }
        }
    }
    let mut mesh = TetMesh::new(nodes, tets)?;
    mesh.orient_generated();

    // Boundary faces: all three nodes on layer 0 -> endocardium, on layer nt -> epicardium, else base.
    let layer = |n: u32| -> usize {
        let n = n as usize;
        if n <= nt {
            n
        } else {
            (n - (nt + 1)) / (nu * nv)
        }
    };
    let mut surfaces = Surfaces::default();
    for f in boundary_faces(&mesh).0 {
        let layers = f.nodes.map(layer);
        let tag = if layers.iter().all(|&l| l == 0) {
            ENDO
        } else if layers.iter().all(|&l| l == nt) {
            EPI
        } else {
            BASE
        };
        surfaces.triangles.push(f.nodes);
        surfaces.tags.push(tag);
    }
    let tet_count = mesh.tet_count();
    let mut mesh = mesh
        .with_regions(vec![MYOCARDIUM; tet_count])?
        .with_surfaces(surfaces)?;
    mesh.region_names.insert(MYOCARDIUM, "myocardium".into());
    for (tag, name) in [(ENDO, "endocardium"), (EPI, "epicardium"), (BASE, "base")] {
        mesh.surface_names.insert(tag, name.into());
    }
    Ok(mesh)
}
