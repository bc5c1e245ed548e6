//! Decoding the payload of a VTK XML `<DataArray>`: ASCII numbers, base64 (possibly several padded streams
//! back to back), the VTK binary header (one byte count, or the zlib block table), zlib blocks, and bytes
//! of either order into [`Values`]. Errors are `(offset, message)` with the offset relative to the input
//! slice; `vtu.rs` turns them into file offsets and names the array.

use std::io::Read;

use base64::Engine as _;

use super::vtk::Values;

/// How a file's binary payloads are laid out (attributes of `<VTKFile>`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Encoding {
    /// `byte_order="BigEndian"`.
    pub big_endian: bool,
    /// `header_type="UInt64"` (else UInt32).
    pub header64: bool,
    /// `compressor="vtkZLibDataCompressor"`.
    pub compressed: bool,
}

/// A VTK scalar type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum NumType {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
}

impl NumType {
    pub(crate) fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "Int8" | "Char" => NumType::I8,
            "UInt8" => NumType::U8,
            "Int16" => NumType::I16,
            "UInt16" => NumType::U16,
            "Int32" => NumType::I32,
            "UInt32" => NumType::U32,
            "Int64" => NumType::I64,
            "UInt64" => NumType::U64,
            "Float32" => NumType::F32,
            "Float64" => NumType::F64,
            _ => return None,
        })
    }

    pub(crate) fn size(self) -> usize {
        match self {
            NumType::I8 | NumType::U8 => 1,
            NumType::I16 | NumType::U16 => 2,
            NumType::I32 | NumType::U32 | NumType::F32 => 4,
            NumType::I64 | NumType::U64 | NumType::F64 => 8,
        }
    }

    fn is_float(self) -> bool {
        matches!(self, NumType::F32 | NumType::F64)
    }

    fn is_signed(self) -> bool {
        matches!(
            self,
            NumType::I8 | NumType::I16 | NumType::I32 | NumType::I64
        )
    }
}

type Located<T> = Result<T, (usize, String)>;

/// Whitespace-separated numbers of type `ty`.
pub(crate) fn parse_ascii(text: &[u8], ty: NumType) -> Located<Values> {
    let mut ints = Vec::new();
    let mut floats = Vec::new();
    for (k, token) in tokens(text) {
        let s = std::str::from_utf8(token).unwrap_or("");
        let ok = if ty.is_float() {
            s.parse::<f64>().map(|x| floats.push(x)).is_ok()
        } else {
            s.parse::<i64>().map(|x| ints.push(x)).is_ok()
        };
        if !ok {
            let token = String::from_utf8_lossy(token);
            return Err((k, format!("{token:?} is not a {ty:?} value")));
        }
    }
    Ok(if ty.is_float() {
        Values::Float(floats)
    } else {
        Values::Int(ints)
    })
}

/// Whitespace-separated tokens with their byte offsets.
fn tokens(text: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        while pos < text.len() && text[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if pos >= text.len() {
            return None;
        }
        let start = pos;
        while pos < text.len() && !text[pos].is_ascii_whitespace() {
            pos += 1;
        }
        Some((start, &text[start..pos]))
    })
}

/// Decodes base64 text that may be several padded streams back to back (VTK encodes a compressed
/// array's header and its blocks separately); whitespace is ignored.
pub(crate) fn decode_base64(text: &[u8]) -> Located<Vec<u8>> {
    let chars: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(chars.len() / 4 * 3);
    let mut i = 0;
    while i < chars.len() {
        let end = match chars[i..].iter().position(|&c| c == b'=') {
            None => chars.len(),
            Some(p) => {
                let mut e = i + p;
                while e < chars.len() && chars[e] == b'=' {
                    e += 1;
                }
                e
            }
        };
        base64::engine::general_purpose::STANDARD
            .decode_vec(&chars[i..end], &mut out)
            .map_err(|e| {
                let k = match e {
                    base64::DecodeError::InvalidByte(k, _)
                    | base64::DecodeError::InvalidLastSymbol { offset: k, .. } => k,
                    _ => 0,
                };
                (original_offset(text, i + k), format!("invalid base64: {e}"))
            })?;
        i = end;
    }
    Ok(out)
}

/// The offset in `text` of its `k`-th non-whitespace byte.
fn original_offset(text: &[u8], k: usize) -> usize {
    text.iter()
        .enumerate()
        .filter(|(_, b)| !b.is_ascii_whitespace())
        .nth(k)
        .map_or(text.len(), |(i, _)| i)
}

/// Reads the unsigned integers of a VTK binary header.
struct HeaderReader<'r> {
    raw: &'r [u8],
    pos: usize,
    enc: Encoding,
}

impl HeaderReader<'_> {
    fn width(&self) -> usize {
        if self.enc.header64 { 8 } else { 4 }
    }

    fn next(&mut self, what: &str) -> Located<u64> {
        let n = self.width();
        let bytes = self.raw.get(self.pos..self.pos + n).ok_or_else(|| {
            (
                self.pos,
                format!("data ends inside its header (expected {what})"),
            )
        })?;
        self.pos += n;
        Ok(read_uint(bytes, self.enc.big_endian))
    }
}

/// An unsigned integer of 1 to 8 bytes in the given order.
fn read_uint(bytes: &[u8], big_endian: bool) -> u64 {
    let fold = |acc: u64, &b: &u8| (acc << 8) | u64::from(b);
    if big_endian {
        bytes.iter().fold(0, fold)
    } else {
        bytes.iter().rev().fold(0, fold)
    }
}

/// The payload after the VTK header: `raw` starts with the header; compressed blocks are inflated.
pub(crate) fn unpack(raw: &[u8], enc: Encoding) -> Located<Vec<u8>> {
    let mut header = HeaderReader { raw, pos: 0, enc };
    if !enc.compressed {
        let n = header.next("the byte count")?;
        let h = header.pos;
        return raw
            .get(h..)
            .and_then(|r| r.get(..usize::try_from(n).ok()?))
            .map(<[u8]>::to_vec)
            .ok_or_else(|| {
                let left = raw.len().saturating_sub(h);
                (0, format!("header says {n} bytes, only {left} follow"))
            });
    }
    let blocks = header.next("the block count")?;
    let block_size = header.next("the block size")?;
    let last_size = header.next("the last block size")?;
    let room = (raw.len().saturating_sub(header.pos) / header.width()) as u64;
    if blocks > room {
        return Err((
            0,
            format!(
                "header claims {blocks} compressed blocks, the data has room for at most {room} \
                 block sizes"
            ),
        ));
    }
    let sizes = (0..blocks)
        .map(|_| header.next("a block size"))
        .collect::<Located<Vec<u64>>>()?;
    let mut pos = header.pos;
    let mut out = Vec::new();
    for (k, &csize) in sizes.iter().enumerate() {
        let expected = if k + 1 == sizes.len() && last_size != 0 {
            last_size
        } else {
            block_size
        };
        let block = usize::try_from(csize)
            .ok()
            .and_then(|c| raw.get(pos..pos.checked_add(c)?))
            .ok_or_else(|| {
                let left = raw.len().saturating_sub(pos);
                let msg = format!(
                    "compressed block {k} of {csize} bytes runs past the end of the data ({left} \
                     bytes left)"
                );
                (pos, msg)
            })?;
        let got = inflate(block, expected, &mut out)
            .map_err(|e| (pos, format!("corrupted zlib block {k}: {e}")))?;
        if got as u64 != expected {
            let msg = format!("zlib block {k} inflates to {got} bytes, header says {expected}");
            return Err((pos, msg));
        }
        pos += block.len();
    }
    Ok(out)
}

/// Inflates one zlib block, reading at most `expected + 1` bytes of output; returns how many came out.
fn inflate(block: &[u8], expected: u64, out: &mut Vec<u8>) -> std::io::Result<usize> {
    let before = out.len();
    flate2::read::ZlibDecoder::new(block)
        .take(expected.saturating_add(1))
        .read_to_end(out)?;
    Ok(out.len() - before)
}

/// Binary values of type `ty` in the given byte order.
pub(crate) fn to_values(raw: &[u8], ty: NumType, big_endian: bool) -> Result<Values, String> {
    let size = ty.size();
    if !raw.len().is_multiple_of(size) {
        return Err(format!(
            "{} bytes is not a whole number of {size}-byte {ty:?} values",
            raw.len()
        ));
    }
    let chunks = raw.chunks_exact(size);
    let word = |c: &[u8]| read_uint(c, big_endian);
    Ok(match ty {
        NumType::F32 => Values::Float(
            chunks
                .map(|c| f32::from_bits(word(c) as u32) as f64)
                .collect(),
        ),
        NumType::F64 => Values::Float(chunks.map(|c| f64::from_bits(word(c))).collect()),
        NumType::U64 => Values::Int(
            chunks
                .map(|c| i64::try_from(word(c)).ok())
                .collect::<Option<_>>()
                .ok_or("a UInt64 value exceeds 2^63")?,
        ),
        _ => Values::Int(
            chunks
                .map(|c| sign_extend(word(c), size, ty.is_signed()))
                .collect(),
        ),
    })
}

/// The low `size` bytes of `u` as a signed or unsigned integer.
fn sign_extend(u: u64, size: usize, signed: bool) -> i64 {
    let shift = 64 - 8 * size as u32;
    if signed {
        ((u << shift) as i64) >> shift
    } else {
        u as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_of_every_width_and_order() {
        let le = [0xfe, 0xff];
        assert_eq!(
            to_values(&le, NumType::I16, false).unwrap(),
            Values::Int(vec![-2])
        );
        assert_eq!(
            to_values(&le, NumType::U16, false).unwrap(),
            Values::Int(vec![0xfffe])
        );
        assert_eq!(
            to_values(&le, NumType::U16, true).unwrap(),
            Values::Int(vec![0xfeff])
        );
        assert_eq!(
            to_values(&[0x80], NumType::I8, true).unwrap(),
            Values::Int(vec![-128])
        );
        let one = 1.5f32.to_be_bytes();
        assert_eq!(
            to_values(&one, NumType::F32, true).unwrap(),
            Values::Float(vec![1.5])
        );
        assert!(to_values(&[0xff; 8], NumType::U64, false).is_err());
        assert!(to_values(&[0; 3], NumType::I32, false).is_err());
    }

    #[test]
    fn base64_streams_back_to_back() {
        let b64 = base64::engine::general_purpose::STANDARD;
        let text = format!("{} \n {}", b64.encode([1u8, 2]), b64.encode([3u8, 4, 5, 6]));
        assert_eq!(
            decode_base64(text.as_bytes()).unwrap(),
            vec![1, 2, 3, 4, 5, 6]
        );
        let err = decode_base64(b"AAAA  A!AA").unwrap_err();
        assert_eq!(err.0, 7, "offset of the '!' in the text");
    }
}
