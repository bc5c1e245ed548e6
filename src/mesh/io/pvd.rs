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
