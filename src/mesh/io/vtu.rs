//! VTK XML UnstructuredGrid (`.vtu`) reader: DataArrays in `ascii`, `binary` (inline base64) and
//! `appended` (raw or base64) formats, uncompressed or `vtkZLibDataCompressor` (block header of
//! `header_type` UInt32 or UInt64), `byte_order` LittleEndian or BigEndian, types Int8..UInt64 and
//! Float32/Float64. One `<Piece>`. The rules that make a [`TetMesh`] are in [`super::vtk`].
//!
//! The XML part is tokenised by `quick-xml`. Appended raw data is not XML, so the file is cut at
//! `<AppendedData`: the XML before it is parsed, and array offsets index the bytes after its `_`.
//! Every error names the byte offset of the element or of the bad data.

use std::ops::Range;
use std::path::Path;

use quick_xml::events::{BytesStart, Event};

use super::ImportError;
use super::vtk::{Array, Grid, Loc, REGION_NAMES_ARRAY, SURFACE_NAMES_ARRAY, Values, parse_names};
use super::vtu_data::{Encoding, NumType, decode_base64, parse_ascii, to_values, unpack};
use crate::mesh::TetMesh;
use crate::mesh::surface_repair::TriSurface;

/// Reads a `.vtu` file from its bytes; `path` is for messages.
pub fn read_vtu(path: &Path, bytes: &[u8]) -> Result<TetMesh, ImportError> {
    let file = Vtu::parse(path, bytes)?;
    if file.poly {
        return Err(ImportError::unsupported(
            path,
            "a PolyData (surface) file: read it as .vtp, which tetrahedralises the surface",
        ));
    }
    file.grid()?.into_mesh(path)
}

/// Reads the polygons of a VTK XML PolyData (`.vtp`) file as triangles (polygons are fanned from their
/// first vertex), with the points in mm; vertices and lines are ignored, triangle strips are refused.
pub fn read_vtp(path: &Path, bytes: &[u8]) -> Result<TriSurface, ImportError> {
    let file = Vtu::parse(path, bytes)?;
    if !file.poly {
        return Err(ImportError::unsupported(
            path,
            "not a PolyData file (VTKFile type=\"PolyData\" expected)",
        ));
    }
    let grid = file.grid()?;
    let vertices: Vec<[f64; 3]> = grid
        .points
        .chunks_exact(3)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    if let Some(i) = vertices
        .iter()
        .position(|p| !p.iter().all(|c| c.is_finite()))
    {
        return Err(grid
            .points_loc
            .err(path, format!("point {i} has a non-finite coordinate")));
    }
    let mut triangles = Vec::new();
    let mut start = 0usize;
    for (poly, &end) in grid.offsets.iter().enumerate() {
        let end = usize::try_from(end).unwrap_or(usize::MAX);
        let ids = grid.connectivity.get(start..end).ok_or_else(|| {
            grid.offsets_loc.err(
                path,
                format!("polygon {poly}: offsets run past the connectivity"),
            )
        })?;
        let index = |v: i64| -> Result<u32, ImportError> {
            u32::try_from(v)
                .ok()
                .filter(|&i| (i as usize) < vertices.len())
                .ok_or_else(|| {
                    grid.connectivity_loc.err(
                        path,
                        format!(
                            "polygon {poly}: point {v} out of range ({} points)",
                            vertices.len()
                        ),
                    )
                })
        };
        if ids.len() >= 3 {
            let first = index(ids[0])?;
            for w in ids[1..].windows(2) {
                triangles.push([first, index(w[0])?, index(w[1])?]);
            }
        }
        start = end;
    }
    Ok(TriSurface {
        vertices,
        triangles,
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Section {
    Points,
    Cells,
    PointData,
    CellData,
    FieldData,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Ascii,
    Binary,
    Appended(usize),
}

/// One `<DataArray>` as declared, not yet decoded.
#[derive(Debug, Clone)]
struct ArrayDecl {
    section: Section,
    name: String,
    /// `None` for `type="String"` and other types this reader does not decode.
    ty: Option<NumType>,
    type_name: String,
    components: usize,
    format: Format,
    /// Byte offset of the `<DataArray` tag.
    tag: usize,
    /// Byte range of the element's text (inline formats).
    text: Range<usize>,
}

/// The parsed XML skeleton of a `.vtu` file (or of a `.vtp` PolyData file, whose `<Polys>` are read as
/// the cells).
struct Vtu<'a> {
    path: &'a Path,
    bytes: &'a [u8],
    /// `type="PolyData"`: cells are the polygons of `<Polys>`, with no types array.
    poly: bool,
    encoding: Encoding,
    n_points: usize,
    n_cells: usize,
    arrays: Vec<ArrayDecl>,
    /// Byte range of the appended data (after the `_`), if any.
    appended: Option<Range<usize>>,
    appended_base64: bool,
}

/// Attributes of a start tag as (name, value) strings.
fn attributes(
    path: &Path,
    e: &BytesStart,
    at: usize,
) -> Result<Vec<(String, String)>, ImportError> {
    e.attributes()
        .map(|a| {
            let a = a.map_err(|err| bad_xml(path, at, err))?;
            let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| bad_xml(path, at, err))?;
            Ok((key, value.into_owned()))
        })
        .collect()
}

fn bad_xml(path: &Path, at: usize, err: impl std::fmt::Display) -> ImportError {
    ImportError::binary(path, at as u64, format!("malformed XML: {err}"))
}

fn attr<'s>(attrs: &'s [(String, String)], key: &str) -> Option<&'s str> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A non-negative integer attribute.
fn count_attr(
    path: &Path,
    attrs: &[(String, String)],
    key: &str,
    at: usize,
) -> Result<Option<usize>, ImportError> {
    attr(attrs, key)
        .map(|v| {
            v.trim().parse::<usize>().map_err(|_| {
                ImportError::binary(
                    path,
                    at as u64,
                    format!("{key}=\"{v}\" is not a non-negative integer"),
                )
            })
        })
        .transpose()
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

impl<'a> Vtu<'a> {
    fn parse(path: &'a Path, bytes: &'a [u8]) -> Result<Self, ImportError> {
        let mut vtu = Vtu {
            path,
            bytes,
            poly: false,
            encoding: Encoding::default(),
            n_points: 0,
            n_cells: 0,
            arrays: Vec::new(),
            appended: None,
            appended_base64: false,
        };
        let head_end = match find(bytes, b"<AppendedData", 0) {
            Some(p) => {
                vtu.parse_appended_tag(p)?;
                p
            }
            None => bytes.len(),
        };
        vtu.parse_xml(head_end)?;
        Ok(vtu)
    }

    /// Reads `<AppendedData encoding=..>` at `at` and finds the data after its `_`.
    fn parse_appended_tag(&mut self, at: usize) -> Result<(), ImportError> {
        let path = self.path;
        let close = find(self.bytes, b">", at).ok_or_else(|| {
            ImportError::binary(path, at as u64, "<AppendedData tag is not closed by '>'")
        })?;
        let mut reader = quick_xml::Reader::from_reader(&self.bytes[at..=close]);
        let encoding = match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let attrs = attributes(path, &e, at)?;
                attr(&attrs, "encoding").unwrap_or("raw").to_string()
            }
            Ok(_) => return Err(bad_xml(path, at, "expected the <AppendedData> tag")),
            Err(e) => return Err(bad_xml(path, at, e)),
        };
        self.appended_base64 = match encoding.as_str() {
            "raw" => false,
            "base64" => true,
            other => {
                return Err(ImportError::binary(
                    path,
                    at as u64,
                    format!("AppendedData encoding=\"{other}\": expected \"raw\" or \"base64\""),
                ));
            }
        };
        let rest = &self.bytes[close + 1..];
        let skip = rest
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let underscore = close + 1 + skip;
        if self.bytes.get(underscore) != Some(&b'_') {
            return Err(ImportError::binary(
                path,
                underscore as u64,
                "expected '_' to start the appended data",
            ));
        }
        let start = underscore + 1;
        let end = self
            .bytes
            .get(start..)
            .and_then(|tail| {
                tail.windows(b"</AppendedData>".len())
                    .rposition(|w| w == b"</AppendedData>")
            })
            .map(|p| start + p)
            .ok_or_else(|| {
                ImportError::binary(
                    path,
                    self.bytes.len() as u64,
                    "the file ends before </AppendedData> (truncated?)",
                )
            })?;
        self.appended = Some(start..end);
        Ok(())
    }

    /// Walks the XML before the appended data, collecting the file attributes and array declarations.
    fn parse_xml(&mut self, end: usize) -> Result<(), ImportError> {
        let path = self.path;
        let mut reader = quick_xml::Reader::from_reader(&self.bytes[..end]);
        let mut st = XmlState::default();
        loop {
            let before = reader.buffer_position() as usize;
            let event = reader
                .read_event()
                .map_err(|e| bad_xml(path, reader.error_position() as usize, e))?;
            let after = reader.buffer_position() as usize;
            match event {
                Event::Eof => break,
                Event::Start(e) => self.open_tag(&mut st, &e, false, before..after)?,
                Event::Empty(e) => self.open_tag(&mut st, &e, true, before..after)?,
                Event::Text(t)
                    if st.open.is_some()
                        && st.child_depth == 0
                        && !t.iter().all(u8::is_ascii_whitespace) =>
                {
                    st.text.get_or_insert(before..after).end = after;
                }
                Event::End(e) => {
                    let name = e.local_name();
                    if st.open.is_some() && st.child_depth > 0 {
                        st.child_depth -= 1;
                    } else if name.as_ref() == b"DataArray" {
                        if let Some(mut decl) = st.open.take() {
                            decl.text = st.text.take().unwrap_or(before..before);
                            self.arrays.push(decl);
                        }
                    } else if section_of(name.as_ref()).is_some() {
                        st.section = None;
                    } else if name.as_ref() == b"VTKFile" {
                        st.closed_root = true;
                    }
                }
                _ => {}
            }
        }
        if !st.saw_root {
            return Err(ImportError::binary(
                path,
                0,
                "not a VTK XML file: no <VTKFile> element",
            ));
        }
        if self.appended.is_none() && !st.closed_root {
            return Err(ImportError::binary(
                path,
                end as u64,
                "the file ends before </VTKFile> (truncated?)",
            ));
        }
        Ok(())
    }

    /// Handles a start (or empty-element) tag spanning `tag` bytes.
    fn open_tag(
        &mut self,
        st: &mut XmlState,
        e: &BytesStart,
        empty: bool,
        tag: Range<usize>,
    ) -> Result<(), ImportError> {
        let path = self.path;
        let at = tag.start;
        if st.open.is_some() {
            // A child of a DataArray (VTK's <InformationKey>): not data.
            st.child_depth += usize::from(!empty);
            return Ok(());
        }
        let name = e.local_name();
        let attrs = attributes(path, e, at)?;
        match name.as_ref() {
            b"VTKFile" => {
                st.saw_root = true;
                self.file_attributes(&attrs, at)?;
            }
            b"Piece" => {
                st.pieces += 1;
                if st.pieces > 1 {
                    return Err(ImportError::unsupported(
                        path,
                        format!("a second <Piece> at byte {at}: only one is read"),
                    ));
                }
                self.n_points = count_attr(path, &attrs, "NumberOfPoints", at)?.unwrap_or(0);
                self.n_cells = if self.poly {
                    let strips = count_attr(path, &attrs, "NumberOfStrips", at)?.unwrap_or(0);
                    if strips > 0 {
                        return Err(ImportError::unsupported(
                            path,
                            format!(
                                "{strips} triangle strips at byte {at}: only polygons are read"
                            ),
                        ));
                    }
                    count_attr(path, &attrs, "NumberOfPolys", at)?.unwrap_or(0)
                } else {
                    count_attr(path, &attrs, "NumberOfCells", at)?.unwrap_or(0)
                };
            }
            b"DataArray" => {
                if let Some(s) = st.section {
                    let decl = self.declare(s, &attrs, at, tag.end)?;
                    if empty {
                        self.arrays.push(decl);
                    } else {
                        st.open = Some(decl);
                    }
                }
            }
            b"Polys" if self.poly => st.section = (!empty).then_some(Section::Cells),
            // PolyData vertices, lines and strips are not cells of a surface; the `Cells` of an
            // unstructured grid are not polygons of a PolyData file.
            b"Verts" | b"Lines" | b"Strips" | b"Cells" if self.poly => st.section = None,
            other => {
                if let Some(s) = section_of(other) {
                    st.section = (!empty).then_some(s);
                }
            }
        }
        Ok(())
    }

    fn file_attributes(
        &mut self,
        attrs: &[(String, String)],
        at: usize,
    ) -> Result<(), ImportError> {
        let path = self.path;
        let unexpected = |what: &str, v: &str, expected: &str| {
            ImportError::binary(
                path,
                at as u64,
                format!("{what}=\"{v}\": expected {expected}"),
            )
        };
        match attr(attrs, "type") {
            Some("UnstructuredGrid") | None => {}
            Some("PolyData") => self.poly = true,
            Some(t) => {
                return Err(ImportError::unsupported(
                    path,
                    format!(
                        "VTKFile type=\"{t}\" at byte {at}: only UnstructuredGrid and PolyData are read"
                    ),
                ));
            }
        }
        self.encoding.big_endian = match attr(attrs, "byte_order").unwrap_or("LittleEndian") {
            "LittleEndian" => false,
            "BigEndian" => true,
            v => return Err(unexpected("byte_order", v, "LittleEndian or BigEndian")),
        };
        self.encoding.header64 = match attr(attrs, "header_type").unwrap_or("UInt32") {
            "UInt32" => false,
            "UInt64" => true,
            v => return Err(unexpected("header_type", v, "UInt32 or UInt64")),
        };
        self.encoding.compressed = match attr(attrs, "compressor") {
            None | Some("") => false,
            Some("vtkZLibDataCompressor") => true,
            Some(v) => {
                return Err(ImportError::unsupported(
                    path,
                    format!(
                        "compressor=\"{v}\" at byte {at}: only vtkZLibDataCompressor is supported"
                    ),
                ));
            }
        };
        Ok(())
    }

    fn declare(
        &self,
        section: Section,
        attrs: &[(String, String)],
        tag: usize,
        after: usize,
    ) -> Result<ArrayDecl, ImportError> {
        let path = self.path;
        let type_name = attr(attrs, "type").unwrap_or("").to_string();
        let components = count_attr(path, attrs, "NumberOfComponents", tag)?.unwrap_or(1);
        let format = match attr(attrs, "format").unwrap_or("ascii") {
            "ascii" => Format::Ascii,
            "binary" => Format::Binary,
            "appended" => {
                Format::Appended(count_attr(path, attrs, "offset", tag)?.ok_or_else(|| {
                    ImportError::binary(path, tag as u64, "appended DataArray without offset")
                })?)
            }
            v => {
                return Err(ImportError::binary(
                    path,
                    tag as u64,
                    format!("DataArray format=\"{v}\": expected ascii, binary or appended"),
                ));
            }
        };
        Ok(ArrayDecl {
            section,
            name: attr(attrs, "Name").unwrap_or("").to_string(),
            ty: NumType::from_name(&type_name),
            type_name,
            components,
            format,
            tag,
            text: after..after,
        })
    }

    /// Decodes the arrays into a [`Grid`].
    fn grid(&self) -> Result<Grid, ImportError> {
        let points = self.required(Section::Points, None, "the <Points> DataArray")?;
        if points.components != 3 {
            return Err(self.at(
                points.tag,
                format!(
                    "Points has NumberOfComponents=\"{}\", expected 3",
                    points.components
                ),
            ));
        }
        let conn = self.required(Section::Cells, Some("connectivity"), "Cells/connectivity")?;
        let offsets = self.required(Section::Cells, Some("offsets"), "Cells/offsets")?;
        // PolyData has no types: each polygon is a triangle (5) or a general polygon (7).
        let types = if self.poly {
            offsets
        } else {
            self.required(Section::Cells, Some("types"), "Cells/types")?
        };
        let points_v = self.decode(points)?;
        self.check_count(points, &points_v, self.n_points, "NumberOfPoints")?;
        let offsets_v = self.ints(offsets)?;
        let types_v = if self.poly {
            let mut start = 0;
            offsets_v
                .iter()
                .map(|&end| {
                    let n = end - start;
                    start = end;
                    if n == 3 { 5 } else { 7 }
                })
                .collect()
        } else {
            self.ints(types)?
        };
        if offsets_v.len() != self.n_cells || types_v.len() != self.n_cells {
            let (bad, n) = if offsets_v.len() != self.n_cells {
                (offsets, offsets_v.len())
            } else {
                (types, types_v.len())
            };
            return Err(self.at(
                bad.tag,
                format!(
                    "Cells/{} has {n} values, but NumberOfCells=\"{}\"",
                    bad.name, self.n_cells
                ),
            ));
        }
        let mut grid = Grid {
            points: points_v.into_f64(),
            points_loc: Loc::byte(points.tag),
            connectivity: self.ints(conn)?,
            connectivity_loc: Loc::byte(conn.tag),
            offsets: offsets_v,
            offsets_loc: Loc::byte(offsets.tag),
            types: types_v,
            types_loc: Loc::byte(types.tag),
            point_arrays: Vec::new(),
            cell_arrays: Vec::new(),
            region_names: Default::default(),
            surface_names: Default::default(),
        };
        for d in &self.arrays {
            match d.section {
                Section::PointData | Section::CellData => {
                    let Some(values) = self.decode_optional(d)? else {
                        continue;
                    };
                    let n = if d.section == Section::PointData {
                        self.n_points
                    } else {
                        self.n_cells
                    };
                    self.check_count(d, &values, n, "the tuple count")?;
                    let array = Array {
                        name: d.name.clone(),
                        components: d.components,
                        values,
                        loc: Loc::byte(d.tag),
                    };
                    if d.section == Section::PointData {
                        grid.point_arrays.push(array);
                    } else {
                        grid.cell_arrays.push(array);
                    }
                }
                Section::FieldData if d.name == REGION_NAMES_ARRAY => {
                    grid.region_names = parse_names(&self.text_bytes(d)?);
                }
                Section::FieldData if d.name == SURFACE_NAMES_ARRAY => {
                    grid.surface_names = parse_names(&self.text_bytes(d)?);
                }
                _ => {}
            }
        }
        Ok(grid)
    }

    fn at(&self, offset: usize, msg: impl Into<String>) -> ImportError {
        ImportError::binary(self.path, offset as u64, msg)
    }

    fn required(
        &self,
        section: Section,
        name: Option<&str>,
        what: &str,
    ) -> Result<&ArrayDecl, ImportError> {
        self.arrays
            .iter()
            .find(|d| d.section == section && name.is_none_or(|n| d.name == n))
            .ok_or_else(|| {
                self.at(
                    self.bytes.len(),
                    format!("no {what} in the file (truncated, or not an unstructured grid?)"),
                )
            })
    }

    /// `values` holds `n` tuples of the array's components.
    fn check_count(
        &self,
        d: &ArrayDecl,
        values: &Values,
        n: usize,
        what: &str,
    ) -> Result<(), ImportError> {
        let needed = n.checked_mul(d.components);
        if needed == Some(values.len()) {
            return Ok(());
        }
        let needed = needed.map_or("more than can exist".to_string(), |v| v.to_string());
        Err(self.at(
            d.tag,
            format!(
                "DataArray {:?} has {} values; {what} {n} x {} components needs {needed}",
                d.name,
                values.len(),
                d.components,
            ),
        ))
    }

    fn ints(&self, d: &ArrayDecl) -> Result<Vec<i64>, ImportError> {
        match self.decode(d)? {
            Values::Int(v) => Ok(v),
            Values::Float(_) => Err(self.at(
                d.tag,
                format!(
                    "DataArray {:?} has type {}, expected an integer type",
                    d.name, d.type_name
                ),
            )),
        }
    }

    /// Decodes an optional array; types this reader does not know (String, Bit) are skipped.
    fn decode_optional(&self, d: &ArrayDecl) -> Result<Option<Values>, ImportError> {
        if d.ty.is_none() {
            log::warn!(
                "{}: DataArray {:?} of type {:?} at byte {} skipped",
                self.path.display(),
                d.name,
                d.type_name,
                d.tag
            );
            return Ok(None);
        }
        self.decode(d).map(Some)
    }

    fn decode(&self, d: &ArrayDecl) -> Result<Values, ImportError> {
        let ty = d.ty.ok_or_else(|| {
            self.at(
                d.tag,
                format!(
                    "DataArray {:?} has type=\"{}\", expected Int8..UInt64, Float32 or Float64",
                    d.name, d.type_name
                ),
            )
        })?;
        let named =
            |(k, msg): (usize, String)| self.at(k, format!("DataArray {:?}: {msg}", d.name));
        if d.format == Format::Ascii {
            let text = self.bytes.get(d.text.clone()).unwrap_or(&[]);
            return parse_ascii(text, ty).map_err(|(k, m)| named((d.text.start + k, m)));
        }
        let (raw, at) = self.binary_bytes(d)?;
        to_values(&raw, ty, self.encoding.big_endian).map_err(|m| named((at, m)))
    }

    /// The decoded (decompressed) bytes of a binary or appended array and the offset to blame.
    fn binary_bytes(&self, d: &ArrayDecl) -> Result<(Vec<u8>, usize), ImportError> {
        match d.format {
            Format::Ascii => Err(self.at(d.tag, "internal: ascii array has no binary payload")),
            Format::Binary => {
                let text = self.bytes.get(d.text.clone()).unwrap_or(&[]);
                let raw = decode_base64(text).map_err(|(k, e)| {
                    self.at(
                        d.text.start + k,
                        format!("DataArray {:?}: invalid base64: {e}", d.name),
                    )
                })?;
                Ok((self.unpacked(&raw, d.text.start, d)?, d.text.start))
            }
            Format::Appended(offset) => {
                let range = self.appended.clone().ok_or_else(|| {
                    self.at(
                        d.tag,
                        format!(
                            "DataArray {:?} is appended but the file has no <AppendedData>",
                            d.name
                        ),
                    )
                })?;
                let start = range.start.saturating_add(offset);
                if start > range.end {
                    return Err(self.at(
                        d.tag,
                        format!(
                            "DataArray {:?}: offset {offset} is past the end of the appended data \
                             ({} bytes)",
                            d.name,
                            range.len()
                        ),
                    ));
                }
                if !self.appended_base64 {
                    let raw = &self.bytes[start..range.end];
                    return Ok((self.unpacked(raw, start, d)?, start));
                }
                let end = self.next_appended_offset(offset).map_or(range.end, |o| {
                    range.start.saturating_add(o).clamp(start, range.end)
                });
                let raw = decode_base64(&self.bytes[start..end]).map_err(|(k, e)| {
                    self.at(
                        start + k,
                        format!("DataArray {:?}: invalid base64: {e}", d.name),
                    )
                })?;
                Ok((self.unpacked(&raw, start, d)?, start))
            }
        }
    }

    /// The smallest appended offset greater than `offset`.
    fn next_appended_offset(&self, offset: usize) -> Option<usize> {
        self.arrays
            .iter()
            .filter_map(|a| match a.format {
                Format::Appended(o) if o > offset => Some(o),
                _ => None,
            })
            .min()
    }

    /// The payload after the VTK header (decompressed); `raw` starts with the header at file offset `at`.
    fn unpacked(&self, raw: &[u8], at: usize, d: &ArrayDecl) -> Result<Vec<u8>, ImportError> {
        unpack(raw, self.encoding).map_err(|(k, msg)| {
            self.at(
                at.saturating_add(k),
                format!("DataArray {:?}: {msg}", d.name),
            )
        })
    }

    /// The raw bytes of a (names) array of 8-bit integers.
    fn text_bytes(&self, d: &ArrayDecl) -> Result<Vec<u8>, ImportError> {
        Ok(match self.decode(d)? {
            Values::Int(v) => v.into_iter().map(|b| b as u8).collect(),
            Values::Float(_) => Vec::new(),
        })
    }
}

/// Where [`Vtu::parse_xml`] is in the document.
#[derive(Default)]
struct XmlState {
    section: Option<Section>,
    /// The open `<DataArray>`, the byte range of its text so far, and how deep in its children we are.
    open: Option<ArrayDecl>,
    text: Option<Range<usize>>,
    child_depth: usize,
    pieces: usize,
    saw_root: bool,
    closed_root: bool,
}

fn section_of(name: &[u8]) -> Option<Section> {
    Some(match name {
        b"Points" => Section::Points,
        b"Cells" => Section::Cells,
        b"PointData" => Section::PointData,
        b"CellData" => Section::CellData,
        b"FieldData" => Section::FieldData,
        _ => return None,
    })
}
