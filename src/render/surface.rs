//! What the renderer draws: the boundary surface of a tetrahedral mesh, extracted once, and per state the
//! deformed positions of its vertices and one scalar per vertex.

use glam::DVec3;

use crate::mesh::TetMesh;
use crate::mesh::topology::boundary_faces;

use super::RenderError;

/// The boundary surface of a [`TetMesh`]: its vertices (mesh nodes), outward triangles, and for each vertex
/// the tetrahedra around it with their volumes, to average cell fields onto it.
#[derive(Debug, Clone)]
pub struct SurfaceMesh {
    /// The mesh node of each surface vertex.
    pub nodes: Vec<u32>,
    /// Triangles in surface-vertex indices, counter-clockwise seen from outside.
    pub triangles: Vec<[u32; 3]>,
    /// Rest positions of the vertices, mm.
    pub rest: Vec<DVec3>,
    /// Tetrahedra around vertex `v`: `cell_tets[cell_offsets[v]..cell_offsets[v + 1]]`.
    cell_offsets: Vec<u32>,
    cell_tets: Vec<u32>,
    /// Rest volume of each tetrahedron of the mesh, mm^3 (the averaging weights).
    tet_volumes: Vec<f64>,
    node_count: usize,
    tet_count: usize,
}

impl SurfaceMesh {
    /// Extracts the boundary of `mesh` (faces that belong to one tetrahedron).
    pub fn extract(mesh: &TetMesh) -> Result<Self, RenderError> {
        let (faces, _) = boundary_faces(mesh);
        if faces.is_empty() {
            return Err(RenderError::Input(
                "the mesh has no boundary faces (no tetrahedra?)".into(),
            ));
        }
        let mut vertex_of = vec![u32::MAX; mesh.node_count()];
        let mut nodes = Vec::new();
        let triangles = faces
            .iter()
            .map(|f| {
                f.nodes.map(|n| {
                    let slot = &mut vertex_of[n as usize];
                    if *slot == u32::MAX {
                        *slot = nodes.len() as u32;
                        nodes.push(n);
                    }
                    *slot
                })
            })
            .collect();
        let mut counts = vec![0u32; nodes.len() + 1];
        for t in mesh.tets() {
            for &n in t {
                let v = vertex_of[n as usize];
                if v != u32::MAX {
                    counts[v as usize + 1] += 1;
                }
            }
        }
        for i in 0..nodes.len() {
            counts[i + 1] += counts[i];
        }
        let cell_offsets = counts.clone();
        let mut fill = counts;
        let mut cell_tets = vec![0u32; *cell_offsets.last().unwrap_or(&0) as usize];
        for (ti, t) in mesh.tets().iter().enumerate() {
            for &n in t {
                let v = vertex_of[n as usize];
                if v != u32::MAX {
                    cell_tets[fill[v as usize] as usize] = ti as u32;
                    fill[v as usize] += 1;
                }
            }
        }
        let tet_volumes = (0..mesh.tet_count())
            .map(|t| crate::mesh::signed_volume(&mesh.tet_points(t)).abs())
            .collect();
        let rest = nodes
            .iter()
            .map(|&n| DVec3::from_array(mesh.nodes()[n as usize]))
            .collect();
        Ok(SurfaceMesh {
            nodes,
            triangles,
            rest,
            cell_offsets,
            cell_tets,
            tet_volumes,
            node_count: mesh.node_count(),
            tet_count: mesh.tet_count(),
        })
    }

    pub fn vertex_count(&self) -> usize {
        self.nodes.len()
    }

    /// The tetrahedra around each vertex as CSR tables (offsets, one per vertex plus one; tetrahedron
    /// indices), and each tetrahedron's rest volume, mm^3: what cell fields are averaged with.
    pub fn cells(&self) -> (&[u32], &[u32], &[f64]) {
        (&self.cell_offsets, &self.cell_tets, &self.tet_volumes)
    }

    /// Checks that `state` has the nodes and tetrahedra of the mesh this surface came from (a state of the
    /// same simulation), naming `what` it is.
    pub fn check_state(&self, state: &TetMesh, what: &str) -> Result<(), RenderError> {
        if state.node_count() != self.node_count || state.tet_count() != self.tet_count {
            return Err(RenderError::Input(format!(
                "{what} has {} nodes and {} tetrahedra, the first state {} and {}: not the same mesh",
                state.node_count(),
                state.tet_count(),
                self.node_count,
                self.tet_count
            )));
        }
        Ok(())
    }

    /// Every node's position in `state`, mm: the nodes plus the `displacement` point field when there is
    /// one.
    pub fn node_positions(state: &TetMesh) -> Vec<DVec3> {
        let u = state
            .point_field("displacement")
            .filter(|f| f.components == 3);
        state
            .nodes()
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let p = DVec3::from_array(*p);
                u.map_or(p, |u| {
                    let d = u.get(i);
                    p + DVec3::new(d[0], d[1], d[2])
                })
            })
            .collect()
    }

    /// Vertex positions of `state`, mm: its nodes plus its `displacement` point field when it has one
    /// (the heartbeat's states are the rest mesh with the displacement).
    pub fn positions(&self, state: &TetMesh) -> Result<Vec<DVec3>, RenderError> {
        self.check_state(state, "this state")?;
        let all = Self::node_positions(state);
        Ok(self.nodes.iter().map(|&n| all[n as usize]).collect())
    }

    /// The scalar `field` of `state` at every vertex (NaN: no value). Point fields are taken at the node;
    /// cell fields are averaged over the tetrahedra around the vertex, weighted by their rest volume,
    /// leaving out cells without a value (below [`ScalarField::missing_below`]).
    pub fn values(&self, state: &TetMesh, field: &ScalarField) -> Result<Vec<f32>, RenderError> {
        self.check_state(state, "this state")?;
        let (values, location) = field.scalars(state)?;
        Ok(match location {
            Location::Point => self.node_values(&values),
            Location::Cell => self.tet_values(&values),
        })
    }

    /// A per-node array of the mesh at every vertex (non-finite: NaN, no value).
    pub fn node_values(&self, per_node: &[f64]) -> Vec<f32> {
        self.nodes
            .iter()
            .map(|&n| match per_node.get(n as usize) {
                Some(v) if v.is_finite() => *v as f32,
                _ => f32::NAN,
            })
            .collect()
    }

    /// A per-tetrahedron array of the mesh averaged onto every vertex, weighted by rest volume
    /// (non-finite values are left out; a vertex with none gets NaN).
    pub fn tet_values(&self, per_tet: &[f64]) -> Vec<f32> {
        self.cell_average(|t| per_tet.get(t).copied().filter(|v| v.is_finite()))
    }

    /// The volume-weighted mean of `value(tet)` over the tetrahedra around each vertex, leaving out `None`.
    fn cell_average(&self, value: impl Fn(usize) -> Option<f64>) -> Vec<f32> {
        (0..self.nodes.len())
            .map(|v| {
                let (mut sum, mut weight) = (0.0, 0.0);
                let range = self.cell_offsets[v] as usize..self.cell_offsets[v + 1] as usize;
                for &t in &self.cell_tets[range] {
                    if let Some(x) = value(t as usize) {
                        let w = self.tet_volumes[t as usize].max(1e-300);
                        sum += w * x;
                        weight += w;
                    }
                }
                if weight > 0.0 {
                    (sum / weight) as f32
                } else {
                    f32::NAN
                }
            })
            .collect()
    }
}

/// Per-vertex normals of a triangle surface: the sum of the (area-weighted) normals of the triangles
/// around each vertex, normalised; (0, 0, 1) where they cancel.
pub fn vertex_normals(positions: &[DVec3], triangles: &[[u32; 3]]) -> Vec<DVec3> {
    let mut n = vec![DVec3::ZERO; positions.len()];
    for t in triangles {
        let [a, b, c] = t.map(|i| positions[i as usize]);
        let face = (b - a).cross(c - a);
        for &i in t {
            n[i as usize] += face;
        }
    }
    n.into_iter()
        .map(|v| v.try_normalize().unwrap_or(DVec3::Z))
        .collect()
}

/// Where a field lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Point,
    Cell,
}

/// A scalar to colour the surface by: an array of the mesh (point or cell field; vectors by their
/// magnitude), with its label and unit for the colour bar.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalarField {
    /// The name the user gave (`von_mises`, or an array name).
    pub name: String,
    /// The array in the mesh (`von_mises_kpa`).
    pub array: String,
    /// Colour-bar title (`von Mises stress`).
    pub label: String,
    /// Unit (`kPa`), empty when unknown.
    pub unit: String,
    /// Values of both signs: a diverging colour map with a range symmetric about zero.
    pub signed: bool,
    /// Vectors are shown by their magnitude (true), or by their first component.
    pub magnitude: bool,
    /// Values below this mean "no value" (activation time -1: never activated) and are drawn grey.
    pub missing_below: Option<f64>,
}

/// A field of the heartbeat's states, known by a short name.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KnownField {
    /// What `--field` takes (`von_mises`).
    pub name: &'static str,
    /// The array in the files (`von_mises_kpa`).
    pub array: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub signed: bool,
    pub missing_below: Option<f64>,
}

/// The fields `cardiotwin run` writes.
pub const KNOWN_FIELDS: [KnownField; 5] = [
    KnownField {
        name: "displacement",
        array: "displacement",
        label: "displacement",
        unit: "mm",
        signed: false,
        missing_below: None,
    },
    KnownField {
        name: "von_mises",
        array: "von_mises_kpa",
        label: "von Mises stress",
        unit: "kPa",
        signed: false,
        missing_below: None,
    },
    KnownField {
        name: "fibre_stress",
        array: "fibre_stress_kpa",
        label: "fibre stress",
        unit: "kPa",
        signed: true,
        missing_below: None,
    },
    KnownField {
        name: "activation_time",
        array: "activation_time_ms",
        label: "activation time",
        unit: "ms",
        signed: false,
        // -1: never activated.
        missing_below: Some(0.0),
    },
    KnownField {
        name: "active_tension",
        array: "active_tension_kpa",
        label: "active tension",
        unit: "kPa",
        signed: false,
        missing_below: None,
    },
];

impl ScalarField {
    /// The field called `name` in `mesh`: a short name of [`KNOWN_FIELDS`] or the name of any point or
    /// cell array (scalars, or vectors by their magnitude). Unknown or absent: an error listing the fields
    /// the mesh has.
    pub fn resolve(name: &str, mesh: &TetMesh) -> Result<Self, RenderError> {
        let name = name.trim();
        let known = KNOWN_FIELDS
            .iter()
            .find(|k| k.name.eq_ignore_ascii_case(name) || k.array.eq_ignore_ascii_case(name));
        let array = known.map_or(name, |k| k.array);
        let present = mesh
            .point_fields()
            .iter()
            .chain(mesh.cell_fields())
            .any(|f| f.name == array);
        if !present {
            return Err(RenderError::NoField {
                name: name.to_string(),
                available: Self::available(mesh),
            });
        }
        let field = match known {
            Some(k) => ScalarField {
                name: k.name.to_string(),
                array: k.array.to_string(),
                label: k.label.to_string(),
                unit: k.unit.to_string(),
                signed: k.signed,
                magnitude: true,
                missing_below: k.missing_below,
            },
            None => {
                let mut f = ScalarField {
                    name: name.to_string(),
                    array: name.to_string(),
                    label: name.to_string(),
                    unit: String::new(),
                    signed: false,
                    magnitude: true,
                    missing_below: None,
                };
                let (data, _) = f.data(mesh)?;
                if data.components == 1 {
                    let lo = data.data.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = data.data.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    f.signed = lo < 0.0 && hi > 0.0;
                }
                f
            }
        };
        Ok(field)
    }

    /// What `--field` accepts for `mesh`: the short names whose array it has, then every array name.
    pub fn available(mesh: &TetMesh) -> Vec<String> {
        let has = |array: &str| {
            mesh.point_fields()
                .iter()
                .chain(mesh.cell_fields())
                .any(|f| f.name == array)
        };
        let mut names: Vec<String> = KNOWN_FIELDS
            .iter()
            .filter(|k| has(k.array))
            .map(|k| k.name.to_string())
            .collect();
        for f in mesh.point_fields().iter().chain(mesh.cell_fields()) {
            // Arrays of a short name already listed are not listed again.
            let known = KNOWN_FIELDS
                .iter()
                .any(|k| k.array == f.name && names.iter().any(|n| n == k.name));
            if !known && !names.contains(&f.name) {
                names.push(f.name.clone());
            }
        }
        names
    }

    /// Colour-bar title with the unit: `von Mises stress (kPa)`.
    pub fn title(&self) -> String {
        if self.unit.is_empty() {
            self.label.clone()
        } else {
            format!("{} ({})", self.label, self.unit)
        }
    }

    /// The scalar of every point or cell of `state` (vectors by their magnitude; NaN: no value, as
    /// below [`ScalarField::missing_below`]), and where they live.
    pub fn scalars(&self, state: &TetMesh) -> Result<(Vec<f64>, Location), RenderError> {
        let (data, location) = self.data(state)?;
        let n = data.data.len() / data.components.max(1);
        Ok((
            (0..n)
                .map(|i| {
                    let v = if data.components == 1 || !self.magnitude {
                        data.data[i * data.components]
                    } else {
                        data.get(i).iter().map(|c| c * c).sum::<f64>().sqrt()
                    };
                    match self.missing_below {
                        Some(m) if v < m => f64::NAN,
                        _ => v,
                    }
                })
                .collect(),
            location,
        ))
    }

    fn data<'m>(
        &self,
        mesh: &'m TetMesh,
    ) -> Result<(&'m crate::mesh::Field, Location), RenderError> {
        if let Some(f) = mesh.point_field(&self.array) {
            return Ok((f, Location::Point));
        }
        if let Some(f) = mesh.cell_field(&self.array) {
            return Ok((f, Location::Cell));
        }
        Err(RenderError::NoField {
            name: self.name.clone(),
            available: Self::available(mesh),
        })
    }
}

/// The colour range: from the 1st to the 99th percentile of the finite values (a few extreme vertices,
/// such as stress concentrations where the base is held, would otherwise squeeze everything else into
/// one colour; they clamp to the ends), widened when empty or of zero width. For a signed field
/// symmetric about zero (`[-m, m]`, m the 99th percentile of the magnitudes), so that zero is the middle
/// colour of the diverging map.
pub fn auto_range<'a>(values: impl IntoIterator<Item = &'a f32>, signed: bool) -> (f64, f64) {
    let mut v: Vec<f64> = values
        .into_iter()
        .filter(|v| v.is_finite())
        .map(|&v| f64::from(if signed { v.abs() } else { v }))
        .collect();
    if v.is_empty() {
        return if signed { (-1.0, 1.0) } else { (0.0, 1.0) };
    }
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[(q * (v.len() - 1) as f64).round() as usize];
    if signed {
        let m = at(0.99);
        return if m > 0.0 { (-m, m) } else { (-1.0, 1.0) };
    }
    let (lo, hi) = (at(0.01), at(0.99));
    if hi - lo <= 1e-9 * hi.abs().max(lo.abs()) {
        let pad = if hi.abs() > 0.0 { 0.05 * hi.abs() } else { 1.0 };
        return if lo >= 0.0 && lo - pad < 0.0 {
            (0.0, hi + pad)
        } else {
            (lo - pad, hi + pad)
        };
    }
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_ranges() {
        assert_eq!(auto_range(&[1.0f32, 3.0, f32::NAN], false), (1.0, 3.0));
        assert_eq!(auto_range(&[-1.0f32, 3.0], true), (-3.0, 3.0));
        assert_eq!(auto_range(&[0.0f32, 0.0], false), (0.0, 1.0));
        assert_eq!(auto_range(&[0.0f32], true), (-1.0, 1.0));
        assert_eq!(auto_range(&[f32::NAN], false), (0.0, 1.0));
        let (lo, hi) = auto_range(&[10.0f32, 10.0], false);
        assert!(lo < 10.0 && hi > 10.0 && lo >= 0.0);
        // One outlier among 1000 values does not set the range.
        let mut v: Vec<f32> = (0..1000).map(|i| i as f32 / 999.0).collect();
        v[500] = 1e4;
        let (lo, hi) = auto_range(&v, false);
        assert!(lo < 0.02 && hi > 0.97 && hi < 1.0, "{lo} {hi}");
        v[500] = -1e4;
        let (lo, hi) = auto_range(&v, true);
        assert!((hi - 0.99).abs() < 0.01 && lo == -hi, "{lo} {hi}");
    }
}
