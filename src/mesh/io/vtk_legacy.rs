//! Legacy VTK (`.vtk`) reader, ASCII and BINARY (big-endian), `DATASET UNSTRUCTURED_GRID`: `POINTS`,
//! `CELLS` in the classic layout (`n id id ..` per cell) and in the VTK 5.1 layout (`OFFSETS` and
//! `CONNECTIVITY` arrays), `CELL_TYPES`, `POINT_DATA`/`CELL_DATA` with `SCALARS` (+ `LOOKUP_TABLE`),
//! `VECTORS`, `NORMALS`, `TENSORS`, `TEXTURE_COORDINATES` and `FIELD` arrays; `METADATA` blocks and
//! colour tables are skipped. The rules that make a [`TetMesh`] are in [`super::vtk`].
//!
//! Errors name the line (ASCII files) or the byte offset (binary files).

use std::path::Path;

use super::ImportError;
use super::vtk::{Array, Grid, Loc, Values};
use crate::mesh::TetMesh;

/// Reads a legacy `.vtk` file from its bytes; `path` is for messages.
pub fn read_legacy(path: &Path, bytes: &[u8]) -> Result<TetMesh, ImportError> {
    let mut cur = Cursor {
        path,
        bytes,
        pos: 0,
        line: 1,
        binary: false,
    };
    cur.header()?;
    let grid = cur.sections()?;
    grid.into_mesh(path)
}

/// A scalar type of the legacy format.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scalar {
    Int { size: usize, signed: bool },
    Float { size: usize },
}

impl Scalar {
    fn from_name(s: &str) -> Option<Self> {
        let int = |size, signed| Some(Scalar::Int { size, signed });
        match s.to_ascii_lowercase().as_str() {
            "char" | "vtktypeint8" => int(1, true),
            "unsigned_char" | "vtktypeuint8" => int(1, false),
            "short" | "vtktypeint16" => int(2, true),
            "unsigned_short" | "vtktypeuint16" => int(2, false),
            // VTK writes vtkIdType arrays as 32-bit ints in legacy files.
            "int" | "vtktypeint32" | "vtkidtype" => int(4, true),
            "unsigned_int" | "vtktypeuint32" => int(4, false),
            "long" | "vtktypeint64" => int(8, true),
            "unsigned_long" | "vtktypeuint64" => int(8, false),
            "float" | "vtktypefloat32" => Some(Scalar::Float { size: 4 }),
            "double" | "vtktypefloat64" => Some(Scalar::Float { size: 8 }),
            _ => None,
        }
    }

    fn size(self) -> usize {
        match self {
            Scalar::Int { size, .. } | Scalar::Float { size } => size,
        }
    }
}

/// Where the attribute arrays being read belong.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Attach {
    None,
    Points(usize),
    Cells(usize),
}

struct Cursor<'a> {
    path: &'a Path,
    bytes: &'a [u8],
    pos: usize,
    /// 1-based line of `pos` (meaningful in ASCII files).
    line: usize,
    binary: bool,
}

impl<'a> Cursor<'a> {
    fn loc(&self) -> Loc {
        if self.binary {
            Loc::byte(self.pos)
        } else {
            Loc::Line(self.line)
        }
    }

    fn err(&self, msg: impl Into<String>) -> ImportError {
        self.loc().err(self.path, msg)
    }

    fn at_eof(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn skip_whitespace(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if !b.is_ascii_whitespace() {
                break;
            }
            self.line += usize::from(b == b'\n');
            self.pos += 1;
        }
    }

    /// The rest of the current line (without its newline), consuming the newline.
    fn rest_of_line(&mut self) -> &'a [u8] {
        let rest = &self.bytes[self.pos.min(self.bytes.len())..];
        let n = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        self.pos += n;
        if self.pos < self.bytes.len() {
            self.pos += 1;
            self.line += 1;
        }
        let line = &rest[..n];
        line.strip_suffix(b"\r").unwrap_or(line)
    }

    /// The next non-blank line split into words; the cursor moves past its newline (where binary data
    /// starts). `None` at the end of the file.
    fn keyword_line(&mut self) -> Option<(Loc, Vec<&'a str>)> {
        self.skip_whitespace();
        if self.at_eof() {
            return None;
        }
        let loc = self.loc();
        let line = self.rest_of_line();
        let words = std::str::from_utf8(line)
            .unwrap_or("\u{fffd}")
            .split_ascii_whitespace()
            .collect();
        Some((loc, words))
    }

    fn header(&mut self) -> Result<(), ImportError> {
        let first = self.rest_of_line();
        if !first.starts_with(b"# vtk DataFile Version") {
            return Err(ImportError::parse(
                self.path,
                1,
                "expected '# vtk DataFile Version x.y': not a legacy VTK file",
            ));
        }
        self.rest_of_line(); // title
        let mode = self.rest_of_line();
        match mode.trim_ascii().to_ascii_uppercase().as_slice() {
            b"ASCII" => {}
            b"BINARY" => self.binary = true,
            other => {
                return Err(ImportError::parse(
                    self.path,
                    3,
                    format!(
                        "expected ASCII or BINARY, found {:?}",
                        String::from_utf8_lossy(other)
                    ),
                ));
            }
        }
        let (loc, words) = self
            .keyword_line()
            .ok_or_else(|| self.err("expected DATASET UNSTRUCTURED_GRID, found end of file"))?;
        match words.as_slice() {
            [d, kind] if d.eq_ignore_ascii_case("DATASET") => {
                if !kind.eq_ignore_ascii_case("UNSTRUCTURED_GRID") {
                    return Err(ImportError::unsupported(
                        self.path,
                        format!("DATASET {kind} ({loc:?}): only UNSTRUCTURED_GRID is read"),
                    ));
                }
                Ok(())
            }
            _ => Err(loc.err(
                self.path,
                format!(
                    "expected DATASET UNSTRUCTURED_GRID, found {:?}",
                    words.join(" ")
                ),
            )),
        }
    }

    /// Reads every section after the DATASET line.
    fn sections(&mut self) -> Result<Grid, ImportError> {
        let start = self.loc();
        let mut grid = Grid {
            points: Vec::new(),
            points_loc: start,
            connectivity: Vec::new(),
            connectivity_loc: start,
            offsets: Vec::new(),
            offsets_loc: start,
            types: Vec::new(),
            types_loc: start,
            point_arrays: Vec::new(),
            cell_arrays: Vec::new(),
            region_names: Default::default(),
            surface_names: Default::default(),
        };
        let (mut have_points, mut have_cells, mut have_types) = (false, false, false);
        let mut attach = Attach::None;
        while let Some((loc, words)) = self.keyword_line() {
            let key = words.first().copied().unwrap_or("").to_ascii_uppercase();
            match key.as_str() {
                "POINTS" => {
                    let n = self.count(loc, &words, 1, "POINTS n type")?;
                    let ty = self.scalar(loc, &words, 2)?;
                    grid.points_loc = self.loc();
                    grid.points = self.numbers(n.saturating_mul(3), ty, "POINTS")?.into_f64();
                    have_points = true;
                }
                "CELLS" => {
                    self.cells(loc, &words, &mut grid)?;
                    have_cells = true;
                }
                "CELL_TYPES" => {
                    let n = self.count(loc, &words, 1, "CELL_TYPES n")?;
                    grid.types_loc = self.loc();
                    let ty = Scalar::Int {
                        size: 4,
                        signed: true,
                    };
                    grid.types = self.ints(n, ty, "CELL_TYPES")?;
                    have_types = true;
                }
                "POINT_DATA" => {
                    attach = Attach::Points(self.count(loc, &words, 1, "POINT_DATA n")?)
                }
                "CELL_DATA" => attach = Attach::Cells(self.count(loc, &words, 1, "CELL_DATA n")?),
                "METADATA" => self.skip_metadata(),
                "LOOKUP_TABLE" => self.skip_lookup_table(loc, &words)?,
                "SCALARS" | "VECTORS" | "NORMALS" | "TENSORS" | "TEXTURE_COORDINATES" => {
                    let array = self.attribute(loc, &words, attach)?;
                    push(&mut grid, attach, array);
                }
                "FIELD" => {
                    let n = self.count(loc, &words, 2, "FIELD name n")?;
                    for _ in 0..n {
                        if let Some(array) = self.field_array(attach)? {
                            push(&mut grid, attach, array);
                        }
                    }
                }
                _ => {
                    return Err(loc.err(
                        self.path,
                        format!("unexpected or unsupported section {:?}", words.join(" ")),
                    ));
                }
            }
        }
        let missing = [
            (have_points, "POINTS"),
            (have_cells, "CELLS"),
            (have_types, "CELL_TYPES"),
        ];
        if let Some((_, what)) = missing.iter().find(|(have, _)| !have) {
            return Err(self.err(format!(
                "no {what} section before the end of the file (truncated?)"
            )));
        }
        if grid.offsets.len() != grid.types.len() {
            return Err(grid.types_loc.err(
                self.path,
                format!(
                    "CELL_TYPES lists {} cells, CELLS {}",
                    grid.types.len(),
                    grid.offsets.len()
                ),
            ));
        }
        Ok(grid)
    }

    /// `CELLS`: the classic list, or `OFFSETS` and `CONNECTIVITY` arrays (VTK 5.1).
    fn cells(&mut self, loc: Loc, words: &[&str], grid: &mut Grid) -> Result<(), ImportError> {
        let a = self.count(loc, words, 1, "CELLS n size")?;
        let b = self.count(loc, words, 2, "CELLS n size")?;
        let save = (self.pos, self.line);
        if !self.binary {
            self.skip_whitespace();
        }
        let new_layout = self.bytes[self.pos.min(self.bytes.len())..].starts_with(b"OFFSETS");
        (self.pos, self.line) = save;
        if new_layout {
            let offsets = self.named_int_array("OFFSETS", a)?;
            grid.offsets_loc = offsets.0;
            let conn = self.named_int_array("CONNECTIVITY", b)?;
            grid.connectivity_loc = conn.0;
            grid.connectivity = conn.1;
            if offsets.1.first().is_some_and(|&o| o != 0) {
                return Err(grid.offsets_loc.err(self.path, "OFFSETS must start at 0"));
            }
            grid.offsets = offsets.1.into_iter().skip(1).collect();
            return Ok(());
        }
        grid.connectivity_loc = self.loc();
        grid.offsets_loc = grid.connectivity_loc;
        let ty = Scalar::Int {
            size: 4,
            signed: true,
        };
        let list = self.ints(b, ty, "CELLS")?;
        let (conn, offsets) = split_cell_list(&list, a).map_err(|msg| {
            grid.connectivity_loc
                .err(self.path, format!("CELLS: {msg}"))
        })?;
        grid.connectivity = conn;
        grid.offsets = offsets;
        Ok(())
    }

    /// `OFFSETS type` or `CONNECTIVITY type` followed by `n` integers.
    fn named_int_array(&mut self, key: &str, n: usize) -> Result<(Loc, Vec<i64>), ImportError> {
        let (loc, words) = self
            .keyword_line()
            .ok_or_else(|| self.err(format!("expected {key}, found end of file")))?;
        if !words.first().is_some_and(|w| w.eq_ignore_ascii_case(key)) {
            return Err(loc.err(
                self.path,
                format!("expected {key} type, found {:?}", words.join(" ")),
            ));
        }
        let ty = self.scalar(loc, &words, 1)?;
        let data_loc = self.loc();
        Ok((data_loc, self.ints(n, ty, key)?))
    }

    /// `SCALARS name type [n]` (+ `LOOKUP_TABLE`), `VECTORS|NORMALS name type`, `TENSORS name type`,
    /// `TEXTURE_COORDINATES name dim type`.
    fn attribute(
        &mut self,
        loc: Loc,
        words: &[&str],
        attach: Attach,
    ) -> Result<Array, ImportError> {
        let key = words[0].to_ascii_uppercase();
        let name = decode_name(words.get(1).copied().unwrap_or(""));
        let (components, type_word) = match key.as_str() {
            "SCALARS" => (
                match words.get(3) {
                    Some(_) => self.count(loc, words, 3, "SCALARS name type [components]")?,
                    None => 1,
                },
                2,
            ),
            "VECTORS" | "NORMALS" => (3, 2),
            "TENSORS" => (9, 2),
            _ => (
                self.count(loc, words, 2, "TEXTURE_COORDINATES name dim type")?,
                3,
            ),
        };
        let ty = self.scalar(loc, words, type_word)?;
        if key == "SCALARS" {
            self.optional_lookup_table();
        }
        let tuples = match attach {
            Attach::Points(n) | Attach::Cells(n) => n,
            Attach::None => {
                return Err(loc.err(self.path, format!("{key} outside POINT_DATA or CELL_DATA")));
            }
        };
        let data_loc = self.loc();
        let values = self.numbers(tuples.saturating_mul(components), ty, &name)?;
        Ok(Array {
            name,
            components: components.max(1),
            values,
            loc: data_loc,
        })
    }

    /// One `name components tuples type` array of a FIELD; `None` for dataset-level field data.
    fn field_array(&mut self, attach: Attach) -> Result<Option<Array>, ImportError> {
        let (loc, words) = loop {
            let (loc, words) = self
                .keyword_line()
                .ok_or_else(|| self.err("expected a FIELD array, found end of file"))?;
            if words
                .first()
                .is_some_and(|w| w.eq_ignore_ascii_case("METADATA"))
            {
                self.skip_metadata();
            } else {
                break (loc, words);
            }
        };
        let components = self.count(loc, &words, 1, "name components tuples type")?;
        let tuples = self.count(loc, &words, 2, "name components tuples type")?;
        let ty = self.scalar(loc, &words, 3)?;
        let name = decode_name(words[0]);
        let data_loc = self.loc();
        let values = self.numbers(components.saturating_mul(tuples), ty, &name)?;
        Ok((attach != Attach::None).then_some(Array {
            name,
            components: components.max(1),
            values,
            loc: data_loc,
        }))
    }

    /// Consumes a `LOOKUP_TABLE name` line if one follows.
    fn optional_lookup_table(&mut self) {
        let save = (self.pos, self.line);
        if let Some((_, words)) = self.keyword_line()
            && words
                .first()
                .is_some_and(|w| w.eq_ignore_ascii_case("LOOKUP_TABLE"))
        {
            return;
        }
        (self.pos, self.line) = save;
    }

    /// A colour table `LOOKUP_TABLE name n`: n RGBA tuples (floats in ASCII, bytes in binary).
    fn skip_lookup_table(&mut self, loc: Loc, words: &[&str]) -> Result<(), ImportError> {
        let n = self.count(loc, words, 2, "LOOKUP_TABLE name n")?;
        let ty = if self.binary {
            Scalar::Int {
                size: 1,
                signed: false,
            }
        } else {
            Scalar::Float { size: 4 }
        };
        self.numbers(n.saturating_mul(4), ty, "LOOKUP_TABLE")?;
        Ok(())
    }

    /// `METADATA` is followed by `INFORMATION`/`COMPONENT_NAMES` lines up to a blank line.
    fn skip_metadata(&mut self) {
        while !self.at_eof() {
            if self.rest_of_line().trim_ascii().is_empty() {
                break;
            }
        }
    }

    /// Word `i` of a keyword line as a count.
    fn count(&self, loc: Loc, words: &[&str], i: usize, form: &str) -> Result<usize, ImportError> {
        words
            .get(i)
            .and_then(|w| w.parse::<usize>().ok())
            .ok_or_else(|| {
                loc.err(
                    self.path,
                    format!("expected {form}, found {:?}", words.join(" ")),
                )
            })
    }

    fn scalar(&self, loc: Loc, words: &[&str], i: usize) -> Result<Scalar, ImportError> {
        let w = words.get(i).copied().unwrap_or("");
        Scalar::from_name(w).ok_or_else(|| {
            loc.err(
                self.path,
                format!(
                    "unsupported or missing data type {w:?} in {:?}",
                    words.join(" ")
                ),
            )
        })
    }

    fn ints(&mut self, n: usize, ty: Scalar, what: &str) -> Result<Vec<i64>, ImportError> {
        match self.numbers(n, ty, what)? {
            Values::Int(v) => Ok(v),
            Values::Float(_) => Err(self.err(format!("{what}: expected an integer type"))),
        }
    }

    /// `n` numbers of type `ty`: ASCII tokens or big-endian binary.
    fn numbers(&mut self, n: usize, ty: Scalar, what: &str) -> Result<Values, ImportError> {
        if self.binary {
            self.binary_numbers(n, ty, what)
        } else {
            self.ascii_numbers(n, ty, what)
        }
    }

    fn binary_numbers(&mut self, n: usize, ty: Scalar, what: &str) -> Result<Values, ImportError> {
        let size = ty.size();
        let avail = self.bytes.len().saturating_sub(self.pos);
        let bytes = n.checked_mul(size).filter(|&b| b <= avail).ok_or_else(|| {
            self.err(format!(
                "{what}: expected {n} values of {size} bytes, only {avail} bytes are left"
            ))
        })?;
        let data = &self.bytes[self.pos..self.pos + bytes];
        self.pos += bytes;
        let word = |c: &[u8]| {
            let mut w = [0u8; 8];
            for (i, &b) in c.iter().rev().enumerate() {
                w[i] = b;
            }
            u64::from_le_bytes(w)
        };
        let chunks = data.chunks_exact(size);
        Ok(match ty {
            Scalar::Float { size: 4 } => Values::Float(
                chunks
                    .map(|c| f32::from_bits(word(c) as u32) as f64)
                    .collect(),
            ),
            Scalar::Float { .. } => {
                Values::Float(chunks.map(|c| f64::from_bits(word(c))).collect())
            }
            Scalar::Int { signed, .. } => Values::Int(
                chunks
                    .map(|c| {
                        let u = word(c);
                        let shift = 64 - 8 * size as u32;
                        if signed {
                            ((u << shift) as i64) >> shift
                        } else {
                            u as i64
                        }
                    })
                    .collect(),
            ),
        })
    }

    fn ascii_numbers(&mut self, n: usize, ty: Scalar, what: &str) -> Result<Values, ImportError> {
        let cap = n.min(self.bytes.len().saturating_sub(self.pos) / 2 + 1);
        let mut ints = Vec::new();
        let mut floats = Vec::new();
        match ty {
            Scalar::Int { .. } => ints.reserve(cap),
            Scalar::Float { .. } => floats.reserve(cap),
        }
        for k in 0..n {
            self.skip_whitespace();
            let start = self.pos;
            while self
                .bytes
                .get(self.pos)
                .is_some_and(|b| !b.is_ascii_whitespace())
            {
                self.pos += 1;
            }
            let token = std::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or("");
            let ok = match ty {
                Scalar::Int { .. } => token.parse::<i64>().map(|v| ints.push(v)).is_ok(),
                Scalar::Float { .. } => token.parse::<f64>().map(|v| floats.push(v)).is_ok(),
            };
            if !ok {
                let found = if token.is_empty() {
                    "end of file".to_string()
                } else {
                    format!("{token:?}")
                };
                return Err(self.err(format!(
                    "{what}: value {k} of {n}: expected a number, found {found}"
                )));
            }
        }
        Ok(match ty {
            Scalar::Int { .. } => Values::Int(ints),
            Scalar::Float { .. } => Values::Float(floats),
        })
    }
}

fn push(grid: &mut Grid, attach: Attach, array: Array) {
    match attach {
        Attach::Points(_) => grid.point_arrays.push(array),
        Attach::Cells(_) => grid.cell_arrays.push(array),
        Attach::None => {}
    }
}

/// The classic `n id id ..` cell list as connectivity and end offsets.
fn split_cell_list(list: &[i64], n_cells: usize) -> Result<(Vec<i64>, Vec<i64>), String> {
    let mut conn = Vec::with_capacity(list.len());
    let mut offsets = Vec::with_capacity(n_cells.min(list.len()));
    let mut i = 0usize;
    for c in 0..n_cells {
        let k = list
            .get(i)
            .and_then(|&k| usize::try_from(k).ok())
            .ok_or_else(|| format!("cell {c}: missing or negative node count"))?;
        let ids = i
            .checked_add(1 + k)
            .and_then(|end| list.get(i + 1..end))
            .ok_or_else(|| format!("cell {c}: {k} nodes run past the end of the list"))?;
        conn.extend_from_slice(ids);
        offsets.push(conn.len() as i64);
        i += 1 + k;
    }
    if i != list.len() {
        return Err(format!(
            "{n_cells} cells use {i} of the {} listed values",
            list.len()
        ));
    }
    Ok((conn, offsets))
}

/// Legacy names escape spaces and other special characters as `%xx`.
fn decode_name(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
