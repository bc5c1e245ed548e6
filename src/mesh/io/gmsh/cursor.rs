//! A cursor over the bytes of an MSH file: whitespace-separated text tokens everywhere, and raw little- or
//! big-endian numbers in the data sections of binary files.
//!
//! Every read remembers where its item started, so that an error found afterwards (a duplicate node tag,
//! an unknown node reference) is reported at that item: the 1-based line of a text file, the byte offset of
//! a binary one.

use std::path::Path;
use std::str::FromStr;

use crate::mesh::io::ImportError;

/// How a binary MSH file stores an integer: Gmsh's `int` (4 bytes) or `size_t` (8 bytes, MSH 4.1 counts
/// and tags). Text files write both as decimal tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Width {
    Int,
    Size,
}

pub(super) struct Cursor<'a> {
    path: &'a Path,
    bytes: &'a [u8],
    pos: usize,
    /// Start of the item read last: where errors about it point.
    last: usize,
    /// The data sections hold raw numbers; errors name byte offsets.
    binary: bool,
    big_endian: bool,
}

pub(super) type Res<T> = Result<T, ImportError>;

impl<'a> Cursor<'a> {
    pub fn new(path: &'a Path, bytes: &'a [u8]) -> Self {
        Cursor {
            path,
            bytes,
            pos: 0,
            last: 0,
            binary: false,
            big_endian: false,
        }
    }

    pub fn path(&self) -> &'a Path {
        self.path
    }

    /// The length of the file: where "missing section" errors point.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_binary(&self) -> bool {
        self.binary
    }

    /// From now on, data sections are raw numbers with this byte order.
    pub fn set_binary(&mut self, big_endian: bool) {
        self.binary = true;
        self.big_endian = big_endian;
    }

    /// Bytes not yet read: the cap for any allocation sized by a count in the file.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// Where the last item read started.
    pub fn last(&self) -> usize {
        self.last
    }

    /// True when only whitespace is left.
    pub fn at_end(&mut self) -> bool {
        self.skip_space();
        self.pos >= self.bytes.len()
    }

    /// `pos` in words: `line 12` for text files, `byte 3456` for binary ones.
    pub fn place(&self, pos: usize) -> String {
        if self.binary {
            format!("byte {pos}")
        } else {
            format!("line {}", self.line_at(pos))
        }
    }

    /// A parse error at `pos`.
    pub fn error_at(&self, pos: usize, msg: impl Into<String>) -> ImportError {
        if self.binary {
            ImportError::binary(self.path, pos as u64, msg)
        } else {
            ImportError::parse(self.path, self.line_at(pos), msg)
        }
    }

    /// A parse error at the item read last.
    pub fn fail(&self, msg: impl Into<String>) -> ImportError {
        self.error_at(self.last, msg)
    }

    /// An unsupported feature at the item read last.
    pub fn unsupported(&self, msg: impl AsRef<str>) -> ImportError {
        let msg = format!("{}: {}", self.place(self.last), msg.as_ref());
        ImportError::unsupported(self.path, msg)
    }

    fn line_at(&self, pos: usize) -> usize {
        let end = pos.min(self.bytes.len());
        1 + self.bytes[..end].iter().filter(|&&b| b == b'\n').count()
    }

    fn skip_space(&mut self) {
        while self
            .bytes
            .get(self.pos)
            .is_some_and(u8::is_ascii_whitespace)
        {
            self.pos += 1;
        }
    }

    /// The next whitespace-separated token; `what` names what was expected, for the error.
    pub fn token(&mut self, what: &str) -> Res<&'a str> {
        self.skip_space();
        let start = self.pos;
        self.last = start;
        while self
            .bytes
            .get(self.pos)
            .is_some_and(|b| !b.is_ascii_whitespace())
        {
            self.pos += 1;
        }
        let raw = &self.bytes[start..self.pos];
        if raw.is_empty() {
            return Err(self.fail(format!("expected {what}, found the end of the file")));
        }
        std::str::from_utf8(raw)
            .map_err(|_| self.fail(format!("expected {what}, found non-text bytes")))
    }

    /// The next token, which must be `word` (a section marker such as `$EndNodes`).
    pub fn expect(&mut self, word: &str) -> Res<()> {
        let found = self.token(word)?;
        if found == word {
            Ok(())
        } else {
            Err(self.fail(format!("expected {word}, found {}", shown(found))))
        }
    }

    /// A decimal number written as text (also in binary files: their headers and 2.2 counts are text).
    pub fn text<T: FromStr>(&mut self, what: &str) -> Res<T> {
        let tok = self.token(what)?;
        tok.parse()
            .map_err(|_| self.fail(format!("expected {what}, found {}", shown(tok))))
    }

    /// A double-quoted name on the current line (`$PhysicalNames`).
    pub fn quoted(&mut self, what: &str) -> Res<String> {
        self.skip_space();
        self.last = self.pos;
        if self.bytes.get(self.pos) != Some(&b'"') {
            let found = self.token(what).unwrap_or("");
            return Err(self.fail(format!(
                "expected {what} in double quotes, found {}",
                shown(found)
            )));
        }
        let start = self.pos + 1;
        let len = self.bytes[start..]
            .iter()
            .position(|&b| b == b'"' || b == b'\n')
            .filter(|&n| self.bytes[start + n] == b'"')
            .ok_or_else(|| self.fail(format!("{what} has no closing quote on its line")))?;
        self.pos = start + len + 1;
        String::from_utf8(self.bytes[start..start + len].to_vec())
            .map_err(|_| self.fail(format!("{what} is not UTF-8 text")))
    }

    /// The end of a text line that binary data follows: optional spaces, then a newline.
    pub fn end_of_line(&mut self) -> Res<()> {
        while matches!(self.bytes.get(self.pos), Some(b' ' | b'\t' | b'\r')) {
            self.pos += 1;
        }
        self.last = self.pos;
        if self.bytes.get(self.pos) == Some(&b'\n') {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.fail("expected the end of the line before binary data"))
        }
    }

    /// `N` raw bytes.
    pub fn raw<const N: usize>(&mut self, what: &str) -> Res<[u8; N]> {
        self.last = self.pos;
        let bytes = self
            .bytes
            .get(self.pos..self.pos + N)
            .and_then(|s| <[u8; N]>::try_from(s).ok())
            .ok_or_else(|| {
                self.fail(format!(
                    "expected {what} ({N} bytes), found the end of the file ({} bytes left)",
                    self.remaining()
                ))
            })?;
        self.pos += N;
        Ok(bytes)
    }

    /// A Gmsh `int`: 4 raw bytes in binary files, a text token otherwise.
    pub fn int(&mut self, what: &str) -> Res<i32> {
        if !self.binary {
            return self.text(what);
        }
        let b = self.raw::<4>(what)?;
        Ok(if self.big_endian {
            i32::from_be_bytes(b)
        } else {
            i32::from_le_bytes(b)
        })
    }

    /// A Gmsh `size_t` (MSH 4.1 counts and tags): 8 raw bytes in binary files, a text token otherwise.
    pub fn size(&mut self, what: &str) -> Res<u64> {
        if !self.binary {
            return self.text(what);
        }
        let b = self.raw::<8>(what)?;
        Ok(if self.big_endian {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        })
    }

    /// A count or tag stored as `width`, as an unsigned number.
    pub fn unsigned(&mut self, width: Width, what: &str) -> Res<u64> {
        match width {
            Width::Size => self.size(what),
            Width::Int => {
                let v = self.int(what)?;
                u64::try_from(v).map_err(|_| self.fail(format!("expected {what}, found {v}")))
            }
        }
    }

    /// A node or element tag stored as `width`: strictly positive.
    pub fn tag(&mut self, width: Width, what: &str) -> Res<u64> {
        match self.unsigned(width, what)? {
            0 => Err(self.fail(format!("expected {what} (a positive integer), found 0"))),
            t => Ok(t),
        }
    }

    /// A double: 8 raw bytes in binary files, a text token otherwise. May be non-finite.
    pub fn double(&mut self, what: &str) -> Res<f64> {
        if !self.binary {
            return self.text(what);
        }
        let b = self.raw::<8>(what)?;
        Ok(if self.big_endian {
            f64::from_be_bytes(b)
        } else {
            f64::from_le_bytes(b)
        })
    }

    /// A double that must be finite (a coordinate).
    pub fn finite(&mut self, what: &str) -> Res<f64> {
        let v = self.double(what)?;
        if v.is_finite() {
            Ok(v)
        } else {
            Err(self.fail(format!("expected {what} (a finite number), found {v}")))
        }
    }

    /// A node's `x y z`, each finite.
    pub fn point(&mut self) -> Res<[f64; 3]> {
        Ok([
            self.finite("an x coordinate")?,
            self.finite("a y coordinate")?,
            self.finite("a z coordinate")?,
        ])
    }

    /// Skips a section this reader does not use (`$NodeData`, `$Periodic`, ...), whose header token `$Name`
    /// has just been read, to just past its `$EndName`.
    pub fn skip_section(&mut self, name: &str) -> Res<()> {
        let start = self.last;
        let end = format!("$End{}", name.trim_start_matches('$'));
        let found = self.bytes[self.pos..]
            .windows(end.len())
            .position(|w| w == end.as_bytes());
        match found {
            Some(n) => {
                self.pos += n + end.len();
                Ok(())
            }
            None => Err(self.error_at(start, format!("section {name} has no {end}"))),
        }
    }
}

/// A token for an error message, cut short if long.
pub(super) fn shown(tok: &str) -> String {
    const MAX: usize = 40;
    match tok.char_indices().nth(MAX) {
        Some((cut, _)) => format!("`{}...`", &tok[..cut]),
        None => format!("`{tok}`"),
    }
}

/// How many items of at least `min_bytes` each can still fit in the file: the capacity to reserve for a
/// count read from the file.
pub(super) fn capacity(count: u64, remaining: usize, min_bytes: usize) -> usize {
    let fit = remaining / min_bytes.max(1);
    usize::try_from(count).map_or(fit, |c| c.min(fit))
}
