//! A structured box of tetrahedra.

use crate::mesh::{MeshError, Surfaces, TetMesh};

/// A box `[0, size]` (mm) split into `n[0] x n[1] x n[2]` hexahedra of six tetrahedra each.
#[derive(Debug, Clone, Copy)]
pub struct Block {
    /// Edge lengths, mm.
    pub size: [f64; 3],
    /// Hexahedra per axis.
    pub cells: [usize; 3],
    /// Interior nodes move by up to `jitter` times the cell size along each axis (deterministic
    /// pseudo-random), so that every tetrahedron has a different shape. 0 keeps the grid regular; keep it
    /// under about 0.15 to avoid inverted tetrahedra.
    pub jitter: f64,
    /// Seed of the jitter.
    pub seed: u64,
}

impl Block {
    /// A unit-cell cube of `n^3` hexahedra, `6 n^3` tetrahedra.
    pub fn cube(n: usize, size_mm: f64) -> Self {
        Block {
            size: [size_mm; 3],
            cells: [n; 3],
            jitter: 0.0,
            seed: 1,
        }
    }

    /// The smallest cube with at least `tets` tetrahedra.
    pub fn cube_with_tets(tets: usize, size_mm: f64) -> Self {
        let n = ((tets as f64 / 6.0).cbrt().ceil() as usize).max(1);
        Self::cube(n, size_mm)
    }

    pub fn with_jitter(mut self, jitter: f64, seed: u64) -> Self {
        self.jitter = jitter;
        self.seed = seed;
        self
    }

    pub fn tet_count(&self) -> usize {
        6 * self.cells.iter().product::<usize>()
    }

    pub fn build(&self) -> Result<TetMesh, MeshError> {
        let [nx, ny, nz] = self.cells.map(|c| c.max(1));
        let h = [
            self.size[0] / nx as f64,
            self.size[1] / ny as f64,
            self.size[2] / nz as f64,
        ];
        let id = |i: usize, j: usize, k: usize| ((k * (ny + 1) + j) * (nx + 1) + i) as u32;
        let mut nodes = Vec::with_capacity((nx + 1) * (ny + 1) * (nz + 1));
        for k in 0..=nz {
            for j in 0..=ny {
                for i in 0..=nx {
                    let idx = [i, j, k];
                    let n = [nx, ny, nz];
                    let interior = (0..3).all(|a| idx[a] > 0 && idx[a] < n[a]);
                    let p: [f64; 3] = std::array::from_fn(|a| {
                        let shake = if interior && self.jitter > 0.0 {
                            let r = unit_noise(self.seed, id(i, j, k) as u64 * 3 + a as u64);
                            self.jitter * h[a] * r
                        } else {
                            0.0
                        };
                        idx[a] as f64 * h[a] + shake
                    });
                    nodes.push(p);
                }
            }
        }
        let mut tets = Vec::with_capacity(self.tet_count());
        for k in 0..nz {
            for j in 0..ny {
                for i in 0..nx {
                    let c: [u32; 8] =
                        std::array::from_fn(|b| id(i + (b & 1), j + ((b >> 1) & 1), k + (b >> 2)));
                    tets.extend(super::kuhn_tets(c));
                }
            }
        }
        let mut mesh = TetMesh::new(nodes, tets)?;
        mesh.orient_generated();
        Ok(mesh)
    }
}

/// A deterministic value in [-1, 1) from a seed and a counter (SplitMix64 finaliser).
fn unit_noise(seed: u64, n: u64) -> f64 {
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(n.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

/// The cantilever of Land et al. 2015 problem 1: [0, 10] x [0, 1] x [0, 1] mm with elements of about `h`
/// mm. Surface 1 is the clamped face x = 0, surface 2 the loaded face z = 0 (as in the benchmark's Gmsh
/// mesh); the other boundary faces are untagged.
pub fn land_beam(h: f64) -> Result<TetMesh, MeshError> {
    let n = |len: f64| ((len / h.max(1e-3)).round() as usize).max(1);
    let mesh = Block {
        size: [10.0, 1.0, 1.0],
        cells: [n(10.0), n(1.0), n(1.0)],
        jitter: 0.0,
        seed: 1,
    }
    .build()?;
    let on = |f: [u32; 3], axis: usize, value: f64| {
        f.iter()
            .all(|&i| (mesh.nodes()[i as usize][axis] - value).abs() < 1e-12)
    };
    let mut surfaces = Surfaces::default();
    for f in crate::mesh::topology::boundary_faces(&mesh).0 {
        let tag = if on(f.nodes, 0, 0.0) {
            1
        } else if on(f.nodes, 2, 0.0) {
            2
        } else {
            continue;
        };
        surfaces.triangles.push(f.nodes);
        surfaces.tags.push(tag);
    }
    let mut mesh = mesh.with_surfaces(surfaces)?;
    mesh.surface_names.insert(1, "clamped x=0".into());
    mesh.surface_names.insert(2, "pressure z=0".into());
    Ok(mesh)
}
