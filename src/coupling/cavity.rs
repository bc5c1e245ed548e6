//! Cavity volumes of the deformed ventricles: the volume V(x) (mm^3) enclosed by an endocardial surface
//! patch, closed at its openings (base, valve rings), and its exact gradient dV/dx (mm^2 per node).
//!
//! The coupling of the finite-element ventricles to the lumped circulation uses both: the circulation
//! reads V(x), and a cavity pressure p acting on the closed cavity gives the nodal forces
//! f_n = p dV/dx_n (the consistent follower-pressure load: the virtual work of p on the wall, caps
//! included, is p dV).
//!
//! ## Surface and caps
//! A [`Cavity`] is built from the mesh's tagged boundary triangles with the given tags (LV: the LV
//! endocardium; RV: the RV free-wall endocardium and the RV septum). The triangles are oriented
//! consistently, from the tetrahedron each one bounds, and signed so that the volume in the reference
//! configuration is positive: for an endocardium that is the reverse of the mesh's outward faces, which
//! point out of the myocardium into the cavity.
//!
//! Each boundary loop of the patch (the base opening, valve rings) is closed by a fan of triangles from the
//! loop's edges to a virtual point c = (1/k) sum of the loop's k nodes, in the current configuration, so
//! the cap moves with the wall and the volume is a function of the wall nodes alone. For a planar ring the
//! fan is the flat polygon; for a warped ring it is a cone of zero extra twist, and because c is the mean
//! of the ring, dV/dc is shared equally by the ring's nodes: dV/dx_n gains (1/k) dV/dc for each ring node.
//!
//! ## Volume (divergence theorem)
//! For the closed, consistently oriented triangle set {(x0, x1, x2)}:
//!
//! ```text
//! V = sum over triangles (x0 - r) . ((x1 - r) x (x2 - r)) / 6        (mm^3, any r)
//! dV/dx0 = (x1 - r) x (x2 - r) / 6  per triangle, cyclically for x1 and x2
//! ```
//!
//! V does not depend on the reference point r for a closed surface; r is taken as the centroid of the
//! patch nodes in the current configuration, which keeps every term of the order of the cavity size
//! instead of the distance to the scanner origin. Sums run over fixed chunks in parallel (rayon) and
//! combine in a fixed order, so results do not depend on the thread count. The GPU twin is
//! [`super::cavity_gpu`].

use std::collections::{BTreeMap, HashMap};

use glam::DVec3;
use rayon::prelude::*;

use crate::mesh::TetMesh;
use crate::mesh::topology::NodeTets;

/// Why a cavity could not be built from the given surface tags.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CavityError {
    #[error("no surface tags given for the {name} cavity")]
    NoTags { name: String },
    #[error(
        "the {name} cavity: no surface triangles carry the tags {missing:?}; the mesh's surface tags \
         (triangle counts) are {present:?}"
    )]
    MissingTags {
        name: String,
        missing: Vec<i32>,
        present: BTreeMap<i32, usize>,
    },
    #[error(
        "the {name} cavity: surface triangle {triangle} (tag {tag}, nodes {nodes:?}) is a face of \
         {tets} tetrahedra, not a boundary face of the mesh (exactly one); a cavity wall must be part of \
         the mesh's boundary"
    )]
    NotOnBoundary {
        name: String,
        triangle: usize,
        tag: i32,
        nodes: [u32; 3],
        tets: usize,
    },
    #[error(
        "the {name} cavity: edge ({a}, {b}) is shared by {count} triangles of the surface tags \
         {tags:?}; a cavity wall must be a manifold surface (each edge in at most two triangles)"
    )]
    NonManifoldEdge {
        name: String,
        tags: Vec<i32>,
        a: u32,
        b: u32,
        count: usize,
    },
    #[error(
        "the {name} cavity: the two triangles at edge ({a}, {b}) face opposite ways (inverted \
         tetrahedra or a folded surface); run the mesh through orientation repair"
    )]
    InconsistentOrientation { name: String, a: u32, b: u32 },
    #[error(
        "the {name} cavity: node {node} lies on {loops} boundary loops at once (two openings touch); \
         the openings of a cavity must be separate rings to be capped"
    )]
    PinchedBoundary {
        name: String,
        node: u32,
        loops: usize,
    },
    #[error(
        "the {name} cavity: the surface tags {tags:?} form {components} piece(s) with {loops} \
         opening(s), closed by caps into a surface of Euler characteristic {euler} (a disc-like patch \
         per piece gives {expected}); check that the tags are the cavity's whole endocardium"
    )]
    NotDiscLike {
        name: String,
        tags: Vec<i32>,
        components: usize,
        loops: usize,
        euler: i64,
        expected: i64,
    },
    #[error(
        "the {name} cavity encloses zero volume in the reference configuration ({volume} mm^3): the \
         surface tags {tags:?} are flat or cancel out"
    )]
    ZeroVolume {
        name: String,
        tags: Vec<i32>,
        volume: f64,
    },
}

/// Triangles per parallel chunk of the volume and gradient sums.
const CHUNK: usize = 4096;

/// A closed cavity: an oriented wall patch of the mesh's boundary and a fan cap on each of its openings.
/// Node indices are the mesh's; positions passed to [`Cavity::volume`] are one per mesh node, mm.
#[derive(Debug, Clone)]
pub struct Cavity {
    name: String,
    tags: Vec<i32>,
    node_count: usize,
    /// Wall triangles, oriented so that the volume is positive.
    wall: Vec<[u32; 3]>,
    /// Boundary loops: node sequences in the direction of the wall triangles' boundary edges.
    loops: Vec<Vec<u32>>,
    /// Distinct wall nodes, sorted.
    nodes: Vec<u32>,
    /// Connected pieces of the wall.
    components: usize,
    /// Volume in the mesh's (reference) configuration, mm^3.
    reference_volume: f64,
}

impl Cavity {
    /// The cavity bounded by the boundary triangles of `mesh` whose tag is in `tags`. `name` (e.g. "LV")
    /// only labels errors. Fails when a tag carries no triangles, a triangle is not a boundary face, the
    /// patch is not a manifold, orientable surface, two openings touch, or the capped surface is not a
    /// sphere per connected piece (see [`CavityError`]).
    pub fn new(mesh: &TetMesh, name: &str, tags: &[i32]) -> Result<Self, CavityError> {
        let name = name.to_string();
        if tags.is_empty() {
            return Err(CavityError::NoTags { name });
        }
        let surfaces = mesh.surfaces();
        let mut present: BTreeMap<i32, usize> = BTreeMap::new();
        for &t in &surfaces.tags {
            *present.entry(t).or_default() += 1;
        }
        let missing: Vec<i32> = tags
            .iter()
            .copied()
            .filter(|t| !present.contains_key(t))
            .collect();
        if !missing.is_empty() {
            return Err(CavityError::MissingTags {
                name,
                missing,
                present,
            });
        }
        let mut tags = tags.to_vec();
        tags.sort_unstable();
        tags.dedup();

        let node_tets = NodeTets::build(mesh);
        let mut wall = Vec::new();
        for (i, (tri, tag)) in surfaces.triangles.iter().zip(&surfaces.tags).enumerate() {
            if tags.binary_search(tag).is_err() {
                continue;
            }
            let (outward, tets) = orient_outward(mesh, &node_tets, *tri);
            if tets != 1 {
                return Err(CavityError::NotOnBoundary {
                    name,
                    triangle: i,
                    tag: *tag,
                    nodes: *tri,
                    tets,
                });
            }
            // Outward from the myocardium is into an endocardial cavity: reverse.
            wall.push([outward[0], outward[2], outward[1]]);
        }

        let loops = boundary_loops(&wall, &name, &tags)?;
        let mut nodes: Vec<u32> = wall.iter().flatten().copied().collect();
        nodes.sort_unstable();
        nodes.dedup();
        let components = components(&wall, &nodes);
        let edges = {
            let mut e: Vec<(u32, u32)> = wall
                .iter()
                .flat_map(|t| {
                    (0..3).map(move |k| (t[k].min(t[(k + 1) % 3]), t[k].max(t[(k + 1) % 3])))
                })
                .collect();
            e.sort_unstable();
            e.dedup();
            e.len()
        };
        // Caps add per loop of k nodes: 1 vertex, k edges, k faces.
        let euler = nodes.len() as i64 + loops.len() as i64 - edges as i64 + wall.len() as i64;
        let expected = 2 * components as i64;
        if euler != expected {
            return Err(CavityError::NotDiscLike {
                name,
                tags,
                components,
                loops: loops.len(),
                euler,
                expected,
            });
        }

        let mut cavity = Cavity {
            name,
            tags,
            node_count: mesh.node_count(),
            wall,
            loops,
            nodes,
            components,
            reference_volume: 0.0,
        };
        let x: Vec<DVec3> = mesh.nodes().iter().map(|&p| DVec3::from_array(p)).collect();
        let mut volume = cavity.volume(&x);
        if volume < 0.0 {
            // The patch encloses the tissue (an epicardium): its outward faces already point out.
            for t in &mut cavity.wall {
                t.swap(1, 2);
            }
            for l in &mut cavity.loops {
                l.reverse();
            }
            volume = -volume;
        }
        let scale = cavity.reference_point_spread(&x);
        if !volume.is_finite() || volume <= 1e-12 * scale.powi(3) {
            return Err(CavityError::ZeroVolume {
                name: cavity.name,
                tags: cavity.tags,
                volume,
            });
        }
        cavity.reference_volume = volume;
        Ok(cavity)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The surface tags of the wall, sorted.
    pub fn tags(&self) -> &[i32] {
        &self.tags
    }

    /// The wall triangles (mesh node indices), oriented so that the volume is positive.
    pub fn wall(&self) -> &[[u32; 3]] {
        &self.wall
    }

    /// The openings: each a ring of mesh node indices, capped by a fan to the ring's mean.
    pub fn loops(&self) -> &[Vec<u32>] {
        &self.loops
    }

    /// The distinct wall nodes, sorted.
    pub fn nodes(&self) -> &[u32] {
        &self.nodes
    }

    /// Connected pieces of the wall (one for a ventricle); the volume is their sum.
    pub fn components(&self) -> usize {
        self.components
    }

    /// Number of mesh nodes the position arrays must have.
    pub fn node_count(&self) -> usize {
        self.node_count
    }

    /// Volume in the mesh's own (reference) configuration, mm^3.
    pub fn reference_volume(&self) -> f64 {
        self.reference_volume
    }

    /// Centroid of the wall nodes in the mesh's configuration, mm: the reference point of the GPU sums.
    pub fn reference_centroid(&self, mesh: &TetMesh) -> DVec3 {
        let x: Vec<DVec3> = self
            .nodes
            .iter()
            .map(|&n| DVec3::from_array(mesh.nodes()[n as usize]))
            .collect();
        x.iter().fold(DVec3::ZERO, |a, &p| a + p) / x.len().max(1) as f64
    }

    /// The caps' virtual points in configuration `x`: the mean of each loop's nodes, mm.
    pub fn cap_points(&self, x: &[DVec3]) -> Vec<DVec3> {
        self.loops
            .iter()
            .map(|l| l.iter().fold(DVec3::ZERO, |a, &n| a + x[n as usize]) / l.len() as f64)
            .collect()
    }

    /// The enclosed volume in configuration `x` (one position per mesh node, mm), mm^3.
    ///
    /// Panics when `x.len()` differs from [`Cavity::node_count`] (a caller's bug, not user input).
    pub fn volume(&self, x: &[DVec3]) -> f64 {
        self.check_len(x.len());
        let r = self.centroid(x);
        let caps = self.cap_points(x);
        let tri = |t: &[u32; 3]| {
            let [a, b, c] = t.map(|n| x[n as usize] - r);
            a.dot(b.cross(c))
        };
        let wall: Vec<f64> = self
            .wall
            .par_chunks(CHUNK)
            .map(|chunk| chunk.iter().map(tri).sum::<f64>())
            .collect();
        let mut six_v: f64 = wall.iter().sum();
        for (l, c) in self.loops.iter().zip(&caps) {
            let c = *c - r;
            // Cap triangle (n_{i+1}, n_i, c) closes the wall edge n_i -> n_{i+1}.
            six_v += (0..l.len())
                .map(|i| {
                    let a = x[l[i] as usize] - r;
                    let b = x[l[(i + 1) % l.len()] as usize] - r;
                    b.dot(a.cross(c))
                })
                .sum::<f64>();
        }
        six_v / 6.0
    }

    /// dV/dx for every mesh node (mm^2; zero off the wall), written to `out`. Exact: the caps' virtual
    /// points pass their gradient to their loop nodes in equal shares. A pressure p (kPa) on the cavity
    /// gives the nodal forces p * out (mN).
    ///
    /// Panics when `x` or `out` do not have [`Cavity::node_count`] entries (a caller's bug).
    pub fn volume_gradient(&self, x: &[DVec3], out: &mut [DVec3]) {
        self.check_len(x.len());
        self.check_len(out.len());
        let r = self.centroid(x);
        let caps = self.cap_points(x);
        // Per wall triangle the three corner gradients, in parallel; then a sequential scatter in
        // triangle order (deterministic).
        let grads: Vec<[DVec3; 3]> = self
            .wall
            .par_iter()
            .with_min_len(CHUNK)
            .map(|t| {
                let [a, b, c] = t.map(|n| x[n as usize] - r);
                [b.cross(c), c.cross(a), a.cross(b)]
            })
            .collect();
        out.fill(DVec3::ZERO);
        for (t, g) in self.wall.iter().zip(&grads) {
            for k in 0..3 {
                out[t[k] as usize] += g[k] / 6.0;
            }
        }
        for (l, c) in self.loops.iter().zip(&caps) {
            let c = *c - r;
            let k = l.len();
            let mut g_c = DVec3::ZERO;
            for i in 0..k {
                let (na, nb) = (l[i] as usize, l[(i + 1) % k] as usize);
                let (a, b) = (x[na] - r, x[nb] - r);
                // Triangle (b, a, c): d/db = a x c, d/da = c x b, d/dc = b x a.
                out[nb] += a.cross(c) / 6.0;
                out[na] += c.cross(b) / 6.0;
                g_c += b.cross(a) / 6.0;
            }
            let share = g_c / k as f64;
            for &n in l {
                out[n as usize] += share;
            }
        }
    }

    fn check_len(&self, len: usize) {
        assert_eq!(
            len, self.node_count,
            "the {} cavity needs one position per mesh node",
            self.name
        );
    }

    /// Centroid of the wall nodes in configuration `x`.
    fn centroid(&self, x: &[DVec3]) -> DVec3 {
        self.nodes
            .iter()
            .fold(DVec3::ZERO, |a, &n| a + x[n as usize])
            / self.nodes.len() as f64
    }

    /// Largest distance of a wall node from the centroid, mm: the length scale of the cavity.
    fn reference_point_spread(&self, x: &[DVec3]) -> f64 {
        let r = self.centroid(x);
        self.nodes
            .iter()
            .map(|&n| (x[n as usize] - r).length())
            .fold(0.0, f64::max)
    }
}

/// Triangle `tri` ordered so that its normal points out of the tetrahedron it bounds, and the number of
/// tetrahedra that have it as a face (1 for a boundary face).
fn orient_outward(mesh: &TetMesh, node_tets: &NodeTets, tri: [u32; 3]) -> ([u32; 3], usize) {
    let mut count = 0;
    let mut out = tri;
    for &[t, _] in node_tets.of(tri[0] as usize) {
        let tet = mesh.tets()[t as usize];
        if !(tet.contains(&tri[1]) && tet.contains(&tri[2])) {
            continue;
        }
        count += 1;
        let Some(&d) = tet.iter().find(|n| !tri.contains(n)) else {
            continue;
        };
        let p = |n: u32| DVec3::from_array(mesh.nodes()[n as usize]);
        let (a, b, c, d) = (p(tri[0]), p(tri[1]), p(tri[2]), p(d));
        // Outward: the fourth node lies behind the face.
        if (b - a).cross(c - a).dot(d - a) > 0.0 {
            out = [tri[0], tri[2], tri[1]];
        }
    }
    (out, count)
}

/// The boundary loops of an oriented triangle set, after checking that it is a manifold with consistent
/// orientation: each loop follows the directed boundary edges, starting from its smallest node.
fn boundary_loops(
    wall: &[[u32; 3]],
    name: &str,
    tags: &[i32],
) -> Result<Vec<Vec<u32>>, CavityError> {
    // Directed edge counts per undirected edge: (a -> b uses, b -> a uses) with a < b.
    let mut edges: HashMap<(u32, u32), (usize, usize)> = HashMap::with_capacity(3 * wall.len());
    for t in wall {
        for k in 0..3 {
            let (a, b) = (t[k], t[(k + 1) % 3]);
            let e = edges.entry((a.min(b), a.max(b))).or_default();
            if a < b { e.0 += 1 } else { e.1 += 1 }
        }
    }
    let mut sorted: Vec<((u32, u32), (usize, usize))> = edges.into_iter().collect();
    sorted.sort_unstable();
    let mut next: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for ((a, b), (fwd, back)) in sorted {
        match (fwd, back) {
            (1, 1) => {}
            (1, 0) => next.entry(a).or_default().push(b),
            (0, 1) => next.entry(b).or_default().push(a),
            (f, k) if f + k > 2 => {
                return Err(CavityError::NonManifoldEdge {
                    name: name.to_string(),
                    tags: tags.to_vec(),
                    a,
                    b,
                    count: f + k,
                });
            }
            _ => {
                return Err(CavityError::InconsistentOrientation {
                    name: name.to_string(),
                    a,
                    b,
                });
            }
        }
    }
    if let Some((&node, out)) = next.iter().find(|(_, out)| out.len() > 1) {
        return Err(CavityError::PinchedBoundary {
            name: name.to_string(),
            node,
            loops: out.len(),
        });
    }
    let mut loops = Vec::new();
    let mut visited: BTreeMap<u32, bool> = next.keys().map(|&n| (n, false)).collect();
    for (&start, _) in next.iter() {
        if visited[&start] {
            continue;
        }
        let mut ring = Vec::new();
        let mut n = start;
        loop {
            if visited.get(&n).copied().unwrap_or(true) {
                break;
            }
            visited.insert(n, true);
            ring.push(n);
            n = next[&n][0];
        }
        // Every boundary node has one outgoing and (by counting) one incoming edge, so the walk returns
        // to `start`; anything else is a pinch the checks above report.
        if n != start {
            return Err(CavityError::PinchedBoundary {
                name: name.to_string(),
                node: n,
                loops: 2,
            });
        }
        loops.push(ring);
    }
    Ok(loops)
}

/// Connected pieces of a triangle set (triangles sharing a node are connected).
fn components(wall: &[[u32; 3]], nodes: &[u32]) -> usize {
    let index = |n: u32| nodes.binary_search(&n).unwrap_or(0);
    let mut parent: Vec<usize> = (0..nodes.len()).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for t in wall {
        let r0 = find(&mut parent, index(t[0]));
        for &n in &t[1..] {
            let r = find(&mut parent, index(n));
            if r != r0 {
                parent[r] = r0;
            }
        }
    }
    (0..nodes.len())
        .filter(|&i| find(&mut parent, i) == i)
        .count()
}
