//! ParaView data collection (`.pvd`) writer: a time series of files, each `<DataSet timestep= file=>`.

use std::fmt::Write as _;

use quick_xml::escape::escape;

/// A `.pvd` listing `(time in seconds, file name relative to the .pvd)` in the order given.
pub fn write_pvd(entries: &[(f64, String)]) -> Vec<u8> {
    let mut x = String::from(
        "<?xml version=\"1.0\"?>\n<VTKFile type=\"Collection\" version=\"0.1\" \
         byte_order=\"LittleEndian\">\n  <Collection>\n",
    );
    for (time, file) in entries {
        let _ = writeln!(
            x,
            "    <DataSet timestep=\"{time}\" group=\"\" part=\"0\" file=\"{}\"/>",
            escape(file.as_str())
        );
    }
    x.push_str("  </Collection>\n</VTKFile>\n");
    x.into_bytes()
}

/// One `<DataSet>` of a `.pvd` collection: its time and the file it names, resolved against the folder of
/// the `.pvd`.
#[derive(Debug, Clone, PartialEq)]
pub struct PvdEntry {
    /// `timestep` (seconds for the files cardiotwin writes).
    pub time: f64,
    pub file: std::path::PathBuf,
}

/// Reads a `.pvd` collection: every `<DataSet timestep=".." file=".."/>`, sorted by time (stable, so
/// several parts at one time keep their order). A missing file, malformed XML, a data set without
/// `timestep` or `file`, a non-finite time or an empty collection is an error naming the path.
pub fn read_pvd(path: &std::path::Path) -> Result<Vec<PvdEntry>, super::ImportError> {
    use super::ImportError;
    use quick_xml::events::Event;
    let bytes = std::fs::read(path).map_err(|e| ImportError::io(path, e))?;
    let dir = path.parent().unwrap_or(std::path::Path::new(""));
    let mut reader = quick_xml::Reader::from_reader(bytes.as_slice());
    let mut entries = Vec::new();
    let mut collection = false;
    loop {
        let at = reader.buffer_position();
        let event = reader.read_event().map_err(|e| {
            ImportError::binary(path, reader.error_position(), format!("malformed XML: {e}"))
        })?;
        let e = match event {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => e,
            _ => continue,
        };
        match e.name().as_ref() {
            b"Collection" => collection = true,
            b"DataSet" => {
                let (mut time, mut file) = (None, None);
                for a in e.attributes() {
                    let a = a.map_err(|err| {
                        ImportError::binary(path, at, format!("malformed XML: {err}"))
                    })?;
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|err| {
                            ImportError::binary(path, at, format!("malformed XML: {err}"))
                        })?
                        .into_owned();
                    match a.key.as_ref() {
                        b"timestep" => time = Some(value),
                        b"file" => file = Some(value),
                        _ => {}
                    }
                }
                let time = time.ok_or_else(|| {
                    ImportError::binary(path, at, "<DataSet> without a timestep attribute")
                })?;
                let time: f64 = time
                    .trim()
                    .parse()
                    .ok()
                    .filter(|t: &f64| t.is_finite())
                    .ok_or_else(|| {
                        ImportError::binary(
                            path,
                            at,
                            format!("timestep {time:?} is not a finite number"),
                        )
                    })?;
                let file = file.ok_or_else(|| {
                    ImportError::binary(path, at, "<DataSet> without a file attribute")
                })?;
                entries.push(PvdEntry {
                    time,
                    file: dir.join(file),
                });
            }
            _ => {}
        }
    }
    if !collection {
        return Err(ImportError::invalid(
            path,
            "not a ParaView collection (no <Collection> element)",
        ));
    }
    if entries.is_empty() {
        return Err(ImportError::invalid(
            path,
            "the collection lists no data set",
        ));
    }
    entries.sort_by(|a, b| a.time.total_cmp(&b.time));
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_collection_reads_back_sorted_with_paths_beside_it() {
        let dir = std::env::temp_dir().join(format!("cardiotwin-pvd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("fields.pvd");
        let bytes = write_pvd(&[(0.5, "fields/b.vtu".into()), (0.1, "fields/a&b.vtu".into())]);
        std::fs::write(&path, bytes).unwrap();
        let e = read_pvd(&path).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].time, 0.1);
        assert_eq!(e[0].file, dir.join("fields/a&b.vtu"));
        assert_eq!(e[1].file, dir.join("fields/b.vtu"));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn broken_collections_are_errors_naming_the_file() {
        let dir = std::env::temp_dir().join(format!("cardiotwin-pvd-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.pvd");
        for text in [
            "<VTKFile><Collection></Collection></VTKFile>",
            "<VTKFile><Collection><DataSet file=\"a.vtu\"/></Collection></VTKFile>",
            "<VTKFile><Collection><DataSet timestep=\"nan\" file=\"a.vtu\"/></Collection></VTKFile>",
            "<VTKFile><Collection><DataSet timestep=\"1\"/></Collection></VTKFile>",
            "<VTKFile><DataSet timestep=\"1\" file=\"a.vtu\"/></VTKFile>",
            "<VTKFile><Collection><DataSet timestep=\"1\" file=\"a.vtu></Collection>",
        ] {
            std::fs::write(&path, text).unwrap();
            let err = read_pvd(&path).expect_err(text).to_string();
            assert!(err.contains("x.pvd"), "{text}: {err}");
        }
        assert!(read_pvd(&dir.join("missing.pvd")).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
