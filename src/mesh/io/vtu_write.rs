//! VTK XML UnstructuredGrid (`.vtu`) writer: inline binary (base64), zlib-compressed in 32 KiB blocks,
//! `header_type="UInt64"`, little-endian: the layout VTK itself writes, read by ParaView, VTK and meshio.
//!
//! Cells are the tetrahedra (type 10) followed by the tagged surface triangles (type 5). Cell arrays:
//! `region` (Int32, the tetrahedron's region tag; 0 on triangles), `surface` (Int32, the triangle's tag;
//! 0 on tetrahedra) and every cell field as Float64 (0 on triangles). Point arrays: every point field as
//! Float64. Region and surface names go in `<FieldData>` as UInt8 arrays of UTF-8 text, one
//! `<tag> <name>` per line ([`super::vtk::REGION_NAMES_ARRAY`], [`super::vtk::SURFACE_NAMES_ARRAY`]);
//! a newline inside a name is written as a space. [`super::vtk::read_vtu`] restores all of it exactly.
//! A cell field named like a tag array (`region`, `surface`, `gmsh:physical`, ...) would be read back as
//! tags: name fields otherwise.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;

use base64::Engine as _;
use quick_xml::escape::escape;

use super::vtk::{REGION_NAMES_ARRAY, SURFACE_NAMES_ARRAY};
use crate::mesh::TetMesh;

/// Uncompressed bytes per zlib block (VTK's default).
const BLOCK: usize = 1 << 15;

/// The mesh as a `.vtu` file.
pub fn write_vtu(mesh: &TetMesh) -> Vec<u8> {
    let n_tets = mesh.tet_count();
    let surfaces = mesh.surfaces();
    let n_tris = surfaces.triangles.len();
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\"?>\n");
    x.push_str(
        "<VTKFile type=\"UnstructuredGrid\" version=\"1.0\" byte_order=\"LittleEndian\" \
         header_type=\"UInt64\" compressor=\"vtkZLibDataCompressor\">\n",
    );
    x.push_str("  <UnstructuredGrid>\n");
    write_field_data(&mut x, mesh);
    let _ = writeln!(
        x,
        "    <Piece NumberOfPoints=\"{}\" NumberOfCells=\"{}\">",
        mesh.node_count(),
        n_tets + n_tris
    );

    x.push_str("      <PointData>\n");
    for f in mesh.point_fields() {
        data_array(
            &mut x,
            "Float64",
            &f.name,
            f.components,
            &f64_bytes(&f.data),
        );
    }
    x.push_str("      </PointData>\n      <CellData>\n");
    let regions = mesh
        .regions()
        .iter()
        .copied()
        .chain(std::iter::repeat_n(0, n_tris));
    let tags = std::iter::repeat_n(0, n_tets).chain(surfaces.tags.iter().copied());
    data_array(&mut x, "Int32", "region", 1, &i32_bytes(regions));
    data_array(&mut x, "Int32", "surface", 1, &i32_bytes(tags));
    for f in mesh.cell_fields() {
        let zeros = std::iter::repeat_n(0.0, n_tris * f.components);
        let values: Vec<f64> = f.data.iter().copied().chain(zeros).collect();
        data_array(
            &mut x,
            "Float64",
            &f.name,
            f.components,
            &f64_bytes(&values),
        );
    }
    x.push_str("      </CellData>\n      <Points>\n");
    let points: Vec<f64> = mesh.nodes().iter().flatten().copied().collect();
    data_array(&mut x, "Float64", "Points", 3, &f64_bytes(&points));
    x.push_str("      </Points>\n      <Cells>\n");
    let connectivity = mesh
        .tets()
        .iter()
        .flat_map(|t| t.iter())
        .chain(surfaces.triangles.iter().flat_map(|t| t.iter()))
        .map(|&n| i64::from(n));
    data_array(&mut x, "Int64", "connectivity", 1, &i64_bytes(connectivity));
    let offsets = (1..=n_tets as i64)
        .map(|c| 4 * c)
        .chain((1..=n_tris as i64).map(|c| 4 * n_tets as i64 + 3 * c));
    data_array(&mut x, "Int64", "offsets", 1, &i64_bytes(offsets));
    let types: Vec<u8> = std::iter::repeat_n(10u8, n_tets)
        .chain(std::iter::repeat_n(5u8, n_tris))
        .collect();
    data_array(&mut x, "UInt8", "types", 1, &types);
    x.push_str("      </Cells>\n    </Piece>\n  </UnstructuredGrid>\n</VTKFile>\n");
    x.into_bytes()
}

/// Region and surface names, if any, as UInt8 text arrays.
fn write_field_data(x: &mut String, mesh: &TetMesh) {
    let lists = [
        (REGION_NAMES_ARRAY, &mesh.region_names),
        (SURFACE_NAMES_ARRAY, &mesh.surface_names),
    ];
    if lists.iter().all(|(_, names)| names.is_empty()) {
        return;
    }
    x.push_str("    <FieldData>\n");
    for (array, names) in lists {
        if !names.is_empty() {
            let text = names_text(names);
            let _ = writeln!(
                x,
                "      <DataArray type=\"UInt8\" Name=\"{array}\" NumberOfTuples=\"{}\" \
                 format=\"binary\">\n        {}\n      </DataArray>",
                text.len(),
                encode(text.as_bytes())
            );
        }
    }
    x.push_str("    </FieldData>\n");
}

fn names_text(names: &BTreeMap<i32, String>) -> String {
    names
        .iter()
        .map(|(tag, name)| format!("{tag} {}\n", name.replace(['\n', '\r'], " ")))
        .collect()
}

fn data_array(x: &mut String, ty: &str, name: &str, components: usize, raw: &[u8]) {
    let _ = writeln!(
        x,
        "        <DataArray type=\"{ty}\" Name=\"{}\" NumberOfComponents=\"{components}\" \
         format=\"binary\">\n          {}\n        </DataArray>",
        escape(name),
        encode(raw)
    );
}

/// VTK's compressed binary encoding: the base64 of the UInt64 block header (block count, block size,
/// last block size, each block's compressed size), then the base64 of the zlib blocks.
fn encode(raw: &[u8]) -> String {
    let blocks: Vec<Vec<u8>> = raw.chunks(BLOCK).map(deflate).collect();
    let last = if raw.len().is_multiple_of(BLOCK) && !raw.is_empty() {
        BLOCK
    } else {
        raw.len() % BLOCK
    };
    let mut header = vec![blocks.len() as u64, BLOCK as u64, last as u64];
    header.extend(blocks.iter().map(|b| b.len() as u64));
    let header: Vec<u8> = header.iter().flat_map(|h| h.to_le_bytes()).collect();
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = b64.encode(header);
    out.push_str(&b64.encode(blocks.concat()));
    out
}

fn deflate(chunk: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(chunk).expect("writing to a Vec cannot fail");
    z.finish().expect("writing to a Vec cannot fail")
}

fn f64_bytes(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn i32_bytes(v: impl Iterator<Item = i32>) -> Vec<u8> {
    v.flat_map(|x| x.to_le_bytes()).collect()
}

fn i64_bytes(v: impl Iterator<Item = i64>) -> Vec<u8> {
    v.flat_map(|x| x.to_le_bytes()).collect()
}
