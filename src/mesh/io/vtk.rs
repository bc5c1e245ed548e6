//! VTK unstructured grids in and out: the XML `.vtu` reader ([`read_vtu`], in `vtu.rs`), the legacy `.vtk`
//! reader ([`read_legacy`], in `vtk_legacy.rs`), the `.vtu` writer ([`write_vtu`], in `vtu_write.rs`) and
//! the ParaView collection writer ([`write_pvd`], in `pvd.rs`). Coordinates are millimetres: no conversion.
//!
//! Both readers produce the same intermediate `Grid` (points, VTK cells as connectivity + end offsets +
//! types, point and cell arrays, each remembering where it was in the file); `Grid::into_mesh` turns it
//! into a [`TetMesh`] with one set of rules:
//!
//! - cell type 10 (tetra) -> tetrahedra; 24 (quadratic tetra) -> its four corner nodes, with a warning;
//!   5 (triangle) -> tagged boundary triangles; 1-4 (vertex, poly-vertex, line, poly-line) are ignored;
//!   any other type is [`ImportError::Unsupported`], naming each type and how many cells have it;
//! - region tag per tetrahedron: the first one-component cell array among [`REGION_ARRAYS`] that is
//!   integer-valued on the tetrahedra (an integer type, or whole numbers in a float array);
//!   surface tag per triangle: the first among [`SURFACE_ARRAYS`]; 0 where there is none;
//! - every other cell array (1 to 9 components) becomes a cell field, the values of the tetrahedra in tet
//!   order; every point array becomes a point field; an array with non-finite values is skipped with a
//!   warning naming it (non-finite coordinates are an error);
//! - tetrahedra are re-oriented to positive volume ([`TetMesh::orient_positive`]).
//!
//! The parsers are written here rather than taken from the `vtkio` crate (0.6.3; legacy parser on `nom`,
//! XML through `quick-xml`'s serde deserialiser into a model of the whole file) because the importers must
//! report the byte offset (XML, legacy binary) or line (legacy ASCII) of every error and what was expected:
//! `vtkio`'s `Error` (`Base64Decode`, `Validation`, `UnexpectedElement`, ...) carries neither. They must also
//! never panic or allocate by an untrusted count on malformed input (they are fuzzed: `tests/fuzz_vtk.rs`),
//! and handle every combination that VTK and meshio write (inline and appended, raw and base64, zlib blocks
//! with 32- or 64-bit headers, both byte orders, `<InformationKey>` children, the VTK 5.1 legacy
//! `OFFSETS`/`CONNECTIVITY` layout, `METADATA` blocks). XML tokenising, base64 and zlib are the well-kept
//! `quick-xml`, `base64` and `flate2` (pure-Rust miniz backend) crates; payload decoding is in
//! `vtu_data.rs`.

use std::collections::BTreeMap;
use std::path::Path;

use super::ImportError;
use crate::mesh::{Field, Surfaces, TetMesh};

pub use super::pvd::write_pvd;
pub use super::vtk_legacy::read_legacy;
pub use super::vtu::read_vtu;
pub use super::vtu_write::write_vtu;

/// Cell arrays that carry the region tag of a tetrahedron, in order of preference.
pub const REGION_ARRAYS: [&str; 5] = [
    "_volume-id",
    "gmsh:physical",
    "CellEntityIds",
    "medit:ref",
    "region",
];

/// Cell arrays that carry the surface tag of a triangle, in order of preference.
pub const SURFACE_ARRAYS: [&str; 5] = [
    "_surface-id",
    "gmsh:physical",
    "CellEntityIds",
    "medit:ref",
    "surface",
];

/// Field-data arrays (UInt8, UTF-8 text, one `<tag> <name>` per line) in which [`write_vtu`] stores the
/// names of region and surface tags, and from which the reader restores them.
pub const REGION_NAMES_ARRAY: &str = "cardiotwin:region_names";
pub const SURFACE_NAMES_ARRAY: &str = "cardiotwin:surface_names";

/// The most components a cell or point field may have (a 3x3 tensor).
const MAX_COMPONENTS: usize = 9;

/// Where something is in a file, for messages: a byte offset or a 1-based line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Loc {
    Byte(u64),
    Line(usize),
}

impl Loc {
    pub(crate) fn byte(offset: usize) -> Self {
        Loc::Byte(offset as u64)
    }

    /// An error at this place.
    pub(crate) fn err(self, path: &Path, msg: impl Into<String>) -> ImportError {
        match self {
            Loc::Byte(offset) => ImportError::binary(path, offset, msg),
            Loc::Line(line) => ImportError::parse(path, line, msg),
        }
    }
}

/// Decoded array values: integers stay integers so that tags can be told from fields.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Values {
    Int(Vec<i64>),
    Float(Vec<f64>),
}

impl Values {
    pub(crate) fn len(&self) -> usize {
        match self {
            Values::Int(v) => v.len(),
            Values::Float(v) => v.len(),
        }
    }

    pub(crate) fn into_f64(self) -> Vec<f64> {
        match self {
            Values::Float(v) => v,
            Values::Int(v) => v.into_iter().map(|x| x as f64).collect(),
        }
    }

    pub(crate) fn get_f64(&self, i: usize) -> Option<f64> {
        match self {
            Values::Int(v) => v.get(i).map(|&x| x as f64),
            Values::Float(v) => v.get(i).copied(),
        }
    }
}

/// A named data array with `components` values per tuple, and where it was in the file.
#[derive(Debug, Clone)]
pub(crate) struct Array {
    pub name: String,
    pub components: usize,
    pub values: Values,
    pub loc: Loc,
}

/// An unstructured grid as read from a file, before it becomes a [`TetMesh`].
#[derive(Debug, Clone)]
pub(crate) struct Grid {
    pub points: Vec<f64>,
    pub points_loc: Loc,
    pub connectivity: Vec<i64>,
    pub connectivity_loc: Loc,
    /// End offset into `connectivity` of each cell (the XML convention).
    pub offsets: Vec<i64>,
    pub offsets_loc: Loc,
    pub types: Vec<i64>,
    pub types_loc: Loc,
    pub point_arrays: Vec<Array>,
    pub cell_arrays: Vec<Array>,
    pub region_names: BTreeMap<i32, String>,
    pub surface_names: BTreeMap<i32, String>,
}

/// Cells sorted by what becomes of them.
#[derive(Default)]
struct Cells {
    tets: Vec<[u32; 4]>,
    tet_cells: Vec<usize>,
    triangles: Vec<[u32; 3]>,
    triangle_cells: Vec<usize>,
    quadratic: usize,
    unsupported: BTreeMap<i64, usize>,
}

impl Grid {
    /// Builds the mesh by the rules in the module docs.
    pub(crate) fn into_mesh(self, path: &Path) -> Result<TetMesh, ImportError> {
        let nodes = self.nodes(path)?;
        let cells = self.sort_cells(path, nodes.len())?;
        if !cells.unsupported.is_empty() {
            let list: Vec<String> = cells
                .unsupported
                .iter()
                .map(|(t, n)| format!("type {t} ({}) x {n}", cell_type_name(*t)))
                .collect();
            return Err(ImportError::unsupported(
                path,
                format!(
                    "VTK cell types other than tetra (10, 24), triangle (5), vertex and line: {}",
                    list.join(", ")
                ),
            ));
        }
        if cells.tets.is_empty() {
            return Err(ImportError::invalid(
                path,
                format!(
                    "no tetrahedra (VTK cell type 10 or 24) among the {} cells",
                    self.types.len()
                ),
            ));
        }
        if cells.quadratic > 0 {
            log::warn!(
                "{}: {} quadratic tetrahedra (type 24) read as linear: their edge nodes are ignored",
                path.display(),
                cells.quadratic
            );
        }
        self.check_array_lengths(path, nodes.len())?;
        let (region_array, regions) = self.tags(&REGION_ARRAYS, &cells.tet_cells);
        let (surface_array, tri_tags) = self.tags(&SURFACE_ARRAYS, &cells.triangle_cells);
        let mesh_err = |e| ImportError::mesh(path, e);
        let mut mesh = TetMesh::new(nodes, cells.tets)
            .map_err(mesh_err)?
            .with_regions(regions)
            .map_err(mesh_err)?
            .with_surfaces(Surfaces {
                triangles: cells.triangles,
                tags: tri_tags,
            })
            .map_err(mesh_err)?;
        for a in &self.point_arrays {
            if let Some(f) = finite_field(path, a, None) {
                mesh.add_point_field(f).map_err(mesh_err)?;
            }
        }
        for a in &self.cell_arrays {
            let used = [region_array, surface_array].contains(&Some(a.name.as_str()));
            if used {
                continue;
            }
            if a.components > MAX_COMPONENTS {
                log::warn!(
                    "{}: cell array {:?} has {} components (at most {MAX_COMPONENTS}): skipped",
                    path.display(),
                    a.name,
                    a.components
                );
                continue;
            }
            if let Some(f) = finite_field(path, a, Some(&cells.tet_cells)) {
                mesh.add_cell_field(f).map_err(mesh_err)?;
            }
        }
        mesh.region_names = self.region_names;
        mesh.surface_names = self.surface_names;
        mesh.orient_positive();
        Ok(mesh)
    }

    /// Point coordinates, checked finite.
    fn nodes(&self, path: &Path) -> Result<Vec<[f64; 3]>, ImportError> {
        if !self.points.len().is_multiple_of(3) {
            return Err(self.points_loc.err(
                path,
                format!(
                    "Points has {} values, not a multiple of 3",
                    self.points.len()
                ),
            ));
        }
        let nodes: Vec<[f64; 3]> = self
            .points
            .chunks_exact(3)
            .map(|c| [c[0], c[1], c[2]])
            .collect();
        if let Some(i) = nodes.iter().position(|p| !p.iter().all(|c| c.is_finite())) {
            return Err(self.points_loc.err(
                path,
                format!(
                    "Points: point {i} has a non-finite coordinate {:?}",
                    nodes[i]
                ),
            ));
        }
        Ok(nodes)
    }

    /// Walks the cells, checking offsets and node indices, and sorts them by type.
    fn sort_cells(&self, path: &Path, n_nodes: usize) -> Result<Cells, ImportError> {
        if self.offsets.len() != self.types.len() {
            return Err(self.offsets_loc.err(
                path,
                format!(
                    "{} cell offsets for {} cell types",
                    self.offsets.len(),
                    self.types.len()
                ),
            ));
        }
        let mut cells = Cells::default();
        let mut start = 0usize;
        for (c, (&end, &ty)) in self.offsets.iter().zip(&self.types).enumerate() {
            let end = usize::try_from(end)
                .ok()
                .filter(|&e| e >= start && e <= self.connectivity.len())
                .ok_or_else(|| {
                    self.offsets_loc.err(
                        path,
                        format!(
                            "cell {c}: end offset {end} is not between {start} and the connectivity \
                             length {}",
                            self.connectivity.len()
                        ),
                    )
                })?;
            let ids = self.cell_nodes(path, c, &self.connectivity[start..end], n_nodes)?;
            start = end;
            let want = match ty {
                10 => 4,
                24 => 10,
                5 => 3,
                1..=4 => continue,
                _ => {
                    *cells.unsupported.entry(ty).or_default() += 1;
                    continue;
                }
            };
            if ids.len() != want {
                return Err(self.connectivity_loc.err(
                    path,
                    format!(
                        "cell {c} of type {ty} ({}) has {} nodes, expected {want}",
                        cell_type_name(ty),
                        ids.len()
                    ),
                ));
            }
            if ty == 5 {
                cells.triangles.push([ids[0], ids[1], ids[2]]);
                cells.triangle_cells.push(c);
            } else {
                cells.quadratic += usize::from(ty == 24);
                cells.tets.push([ids[0], ids[1], ids[2], ids[3]]);
                cells.tet_cells.push(c);
            }
        }
        Ok(cells)
    }

    fn cell_nodes(
        &self,
        path: &Path,
        cell: usize,
        ids: &[i64],
        n_nodes: usize,
    ) -> Result<Vec<u32>, ImportError> {
        ids.iter()
            .map(|&id| {
                u32::try_from(id)
                    .ok()
                    .filter(|&i| (i as usize) < n_nodes)
                    .ok_or_else(|| {
                        self.connectivity_loc.err(
                            path,
                            format!(
                                "cell {cell} refers to point {id}, but there are {n_nodes} points \
                                 (0-based)"
                            ),
                        )
                    })
            })
            .collect()
    }

    /// Every point array has one tuple per point, every cell array one per cell.
    fn check_array_lengths(&self, path: &Path, n_nodes: usize) -> Result<(), ImportError> {
        let n_cells = self.types.len();
        let all = self
            .point_arrays
            .iter()
            .map(|a| (a, n_nodes, "point"))
            .chain(self.cell_arrays.iter().map(|a| (a, n_cells, "cell")));
        for (a, n, what) in all {
            let expected = n.checked_mul(a.components);
            if a.components == 0 || expected != Some(a.values.len()) {
                return Err(a.loc.err(
                    path,
                    format!(
                        "{what} array {:?} has {} values; expected {n} {what}s x {} components",
                        a.name,
                        a.values.len(),
                        a.components
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The tag of each of `cells` from the first one-component cell array among `names` that is
    /// integer-valued on those cells (an integer type, or whole numbers in a float array: pyansys-heart
    /// writes `_surface-id` as Float64, NaN on tetrahedra), and the name of the array used; 0 if none.
    fn tags(&self, names: &[&'static str], cells: &[usize]) -> (Option<&'static str>, Vec<i32>) {
        for &name in names {
            for a in self
                .cell_arrays
                .iter()
                .filter(|a| a.name == name && a.components == 1)
            {
                if let Some(tags) = integer_values(&a.values, cells) {
                    return (Some(name), tags);
                }
            }
        }
        (None, vec![0; cells.len()])
    }
}

/// The values at `cells` as 32-bit integers, if every one is.
fn integer_values(values: &Values, cells: &[usize]) -> Option<Vec<i32>> {
    cells
        .iter()
        .map(|&c| match values {
            Values::Int(v) => i32::try_from(*v.get(c)?).ok(),
            Values::Float(v) => {
                let x = *v.get(c)?;
                let whole = x.fract() == 0.0 && x >= i32::MIN as f64 && x <= i32::MAX as f64;
                whole.then_some(x as i32)
            }
        })
        .collect()
}

/// The array as a field (of the given cells only, when `cells` is given), or `None`, with a warning,
/// when it holds non-finite values: a field the rest of cardiotwin could not use (the four-chamber Rodero
/// heart stores NaN ventricular coordinates outside the ventricles), while the mesh itself is sound.
fn finite_field(path: &Path, a: &Array, cells: Option<&[usize]>) -> Option<Field> {
    let k = a.components;
    let data: Vec<f64> = match cells {
        None => (0..a.values.len())
            .filter_map(|i| a.values.get_f64(i))
            .collect(),
        Some(cells) => cells
            .iter()
            .flat_map(|&c| (c * k..(c + 1) * k).filter_map(|i| a.values.get_f64(i)))
            .collect(),
    };
    let bad = data.iter().filter(|v| !v.is_finite()).count();
    if let Some(i) = data.iter().position(|v| !v.is_finite()) {
        log::warn!(
            "{}: array {:?} skipped: {bad} non-finite values, the first ({}) at tuple {} ({})",
            path.display(),
            a.name,
            data[i],
            i / k,
            a.loc.err(path, "").to_string().trim_end_matches(": ")
        );
        return None;
    }
    Some(Field::new(a.name.clone(), k, data))
}

/// Parses the `<tag> <name>` lines of a names array.
pub(crate) fn parse_names(bytes: &[u8]) -> BTreeMap<i32, String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter_map(|l| {
            let (tag, name) = l.split_once(' ')?;
            Some((tag.trim().parse().ok()?, name.to_string()))
        })
        .collect()
}

/// The VTK name of a cell type, for messages.
pub(crate) fn cell_type_name(t: i64) -> &'static str {
    match t {
        1 => "vertex",
        2 => "poly-vertex",
        3 => "line",
        4 => "poly-line",
        5 => "triangle",
        6 => "triangle strip",
        7 => "polygon",
        8 => "pixel",
        9 => "quad",
        10 => "tetra",
        11 => "voxel",
        12 => "hexahedron",
        13 => "wedge",
        14 => "pyramid",
        21 => "quadratic edge",
        22 => "quadratic triangle",
        23 => "quadratic quad",
        24 => "quadratic tetra",
        25 => "quadratic hexahedron",
        42 => "polyhedron",
        _ => "unknown",
    }
}
