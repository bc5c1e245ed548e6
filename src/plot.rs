//! Line charts written as PNG: pressure-volume loops and pressure traces of the heartbeat job.
//!
//! Drawing is done by [`plotters`] on its bitmap backend into an in-memory RGB buffer, which the
//! project's own `image` crate encodes as PNG (so plotters' image encoder, and a second `image` version,
//! stay out of the build).
//!
//! ## Font and licence
//! Text uses **Ubuntu Light** (`Ubuntu-Light.ttf`), embedded in the binary by the crate
//! [`epaint_default_fonts`] (the fonts egui ships) and registered with plotters' `ab_glyph` text
//! renderer as the `sans-serif` family. No system font, fontconfig or freetype is needed, so charts render
//! the same on machines without fonts (CI). The Ubuntu font family is licensed under the
//! **Ubuntu Font Licence 1.0** (copyright Canonical Ltd.; the licence text ships in that crate as
//! `fonts/UFL.txt`); the crate's code is MIT OR Apache-2.0.
//!
//! ## Look
//! White background, a title, axes with numeric tick labels, axis descriptions as given (put units in
//! them, e.g. `"volume (mL)"`), a light grid, one 2-pixel line per [`Series`] coloured from the
//! Okabe-Ito colour-blind-safe palette ([`PALETTE`], cycled past 8 series), and a legend when there is
//! more than one series. Axis ranges enclose all points with 5 % padding on each side; a range of zero
//! width (all x, or all y, equal) is widened around its value.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One curve of a [`Chart`]: its legend label and its points `(x, y)`, drawn in order as a polyline
/// (repeat the first point at the end to close a loop). Its colour is picked from [`PALETTE`] by its
/// position in [`Chart::series`].
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

impl Series {
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            label: label.into(),
            points,
        }
    }
}

/// What to draw: title, axis descriptions (with units), the curves and the image size in pixels
/// (width, height).
#[derive(Debug, Clone, Copy)]
pub struct Chart<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub series: &'a [Series],
    pub size: (u32, u32),
}

/// Why a chart could not be drawn or written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// No series, or only series without points.
    #[error("nothing to plot: no series has any point")]
    EmptyData,
    /// A coordinate is NaN or infinite; such points are never drawn.
    #[error("series {series} ({label:?}), point {index}: coordinate is not finite")]
    NonFinite {
        /// Position of the series in [`Chart::series`].
        series: usize,
        label: String,
        /// Position of the point in [`Series::points`].
        index: usize,
    },
    /// The image is smaller than [`MIN_SIZE`] in some direction: no room for the axes and labels.
    #[error("chart size {width}x{height} px is below the minimum {}x{} px", MIN_SIZE.0, MIN_SIZE.1)]
    TooSmall { width: u32, height: u32 },
    /// The embedded font was rejected by the text renderer.
    #[error("the embedded chart font could not be loaded")]
    Font,
    /// Plotters failed while drawing into the in-memory buffer.
    #[error("drawing the chart: {0}")]
    Draw(String),
    /// Creating or writing the output file failed.
    #[error("writing chart {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// PNG encoding failed.
    #[error("encoding chart {} as PNG: {source}", path.display())]
    Encode {
        path: PathBuf,
        #[source]
        source: image::ImageError,
    },
}

/// Smallest image size (width, height) in pixels that [`render_rgb`] accepts.
pub const MIN_SIZE: (u32, u32) = (200, 150);

/// Series colours, in order: the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"), which
/// stays distinguishable under the common colour-vision deficiencies. Its black is left out (it is the
/// axes' colour) and its yellow comes last (weak on white).
pub const PALETTE: [(u8, u8, u8); 7] = [
    (0, 114, 178),   // blue
    (213, 94, 0),    // vermillion
    (0, 158, 115),   // bluish green
    (204, 121, 167), // reddish purple
    (230, 159, 0),   // orange
    (86, 180, 233),  // sky blue
    (240, 228, 66),  // yellow
];

/// The colour of the series at position `index` of [`Chart::series`].
pub fn series_colour(index: usize) -> (u8, u8, u8) {
    PALETTE[index % PALETTE.len()]
}

/// Pixel rectangle `x` × `y` (end exclusive) in image coordinates, y downwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PixelRect {
    pub x: Range<u32>,
    pub y: Range<u32>,
}

/// Margins and text sizes in pixels, scaled with the image height (600 px is scale 1; at most 4, and at
/// least 0.75 so that small charts keep legible text).
struct Layout {
    title_h: u32,
    margin: u32,
    x_label_area: u32,
    y_label_area: u32,
    title_font: f64,
    desc_font: f64,
    tick_font: f64,
}

impl Layout {
    fn for_size((_, h): (u32, u32)) -> Self {
        let s = (f64::from(h) / 600.0).clamp(0.75, 4.0);
        let px = |v: f64| (v * s).round() as u32;
        Layout {
            title_h: px(44.0),
            margin: px(16.0),
            x_label_area: px(56.0),
            y_label_area: px(76.0),
            title_font: 26.0 * s,
            desc_font: 18.0 * s,
            tick_font: 15.0 * s,
        }
    }

    fn plot_area(&self, (w, h): (u32, u32)) -> PixelRect {
        PixelRect {
            x: self.margin + self.y_label_area..w - self.margin,
            y: self.title_h + self.margin..h - self.margin - self.x_label_area,
        }
    }
}

/// Where the data region of `chart` lies in the rendered image: the lines are clipped to it, and the
/// axes are drawn on the pixel column just left of it and the pixel row just below it. It depends on
/// [`Chart::size`] only.
pub fn plot_area(chart: &Chart) -> PixelRect {
    Layout::for_size(chart.size).plot_area(chart.size)
}

/// Renders `chart` and writes it to `path` as PNG (the file is created or truncated).
pub fn render_png(path: &Path, chart: &Chart) -> Result<(), PlotError> {
    let image = render_rgb(chart)?;
    let io = |source| PlotError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut out = BufWriter::new(File::create(path).map_err(io)?);
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|source| match source {
            image::ImageError::IoError(source) => io(source),
            source => PlotError::Encode {
                path: path.to_path_buf(),
                source,
            },
        })?;
    out.flush().map_err(io)
}

/// Renders `chart` into an RGB image of [`Chart::size`].
pub fn render_rgb(chart: &Chart) -> Result<image::RgbImage, PlotError> {
    let (width, height) = chart.size;
    if width < MIN_SIZE.0 || height < MIN_SIZE.1 {
        return Err(PlotError::TooSmall { width, height });
    }
    let (x_range, y_range) = data_ranges(chart.series)?;
    register_font()?;

    let mut buffer = vec![0u8; width as usize * height as usize * 3];
    draw(&mut buffer, chart, x_range, y_range).map_err(|e| PlotError::Draw(e.to_string()))?;
    Ok(image::RgbImage::from_raw(width, height, buffer)
        .expect("buffer is width * height * 3 bytes"))
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn draw(buffer: &mut [u8], chart: &Chart, x: Range<f64>, y: Range<f64>) -> DrawResult {
    let layout = Layout::for_size(chart.size);
    let root = BitMapBackend::with_buffer(buffer, chart.size).into_drawing_area();
    root.fill(&WHITE)?;

    // The title gets a band of fixed height (not ChartBuilder::caption, whose height follows the text),
    // so that the plot area is known from the size alone: see `plot_area`.
    let (title_band, body) = root.split_vertically(layout.title_h);
    let title_style = TextStyle::from((FontFamily::SansSerif, layout.title_font).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Center));
    let (w, _) = title_band.dim_in_pixel();
    title_band.draw_text(
        chart.title,
        &title_style,
        ((w / 2) as i32, (layout.title_h / 2) as i32),
    )?;

    let mut ctx = ChartBuilder::on(&body)
        .margin(layout.margin)
        .x_label_area_size(layout.x_label_area)
        .y_label_area_size(layout.y_label_area)
        .build_cartesian_2d(x.clone(), y.clone())?;

    let tick_font = (FontFamily::SansSerif, layout.tick_font).into_font();
    let x_ticks = tick_formatter(&x);
    let y_ticks = tick_formatter(&y);
    let desc_font = (FontFamily::SansSerif, layout.desc_font).into_font();
    ctx.configure_mesh()
        .x_desc(chart.x_label)
        .y_desc(chart.y_label)
        .label_style(tick_font.clone())
        .x_label_formatter(&x_ticks)
        .y_label_formatter(&y_ticks)
        .axis_desc_style(desc_font)
        .axis_style(BLACK)
        .light_line_style(RGBColor(242, 242, 242))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()?;

    for (i, series) in chart.series.iter().enumerate() {
        let (r, g, b) = series_colour(i);
        let style = RGBColor(r, g, b).stroke_width(2);
        ctx.draw_series(LineSeries::new(series.points.iter().copied(), style))?
            .label(series.label.as_str())
            .legend(move |(lx, ly)| PathElement::new(vec![(lx, ly), (lx + 24, ly)], style));
    }

    if chart.series.len() > 1 {
        ctx.configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(tick_font)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
    }

    root.present()?;
    Ok(())
}

/// Tick labels with as many decimals as a tick step of a tenth of the axis range needs (plotters puts
/// at most 10 ticks on an axis, at steps of 1, 2 or 5 × 10^k), so `120` rather than `120.0` and `0.05`
/// rather than `0.1`; never `-0`.
fn tick_formatter(range: &Range<f64>) -> impl Fn(&f64) -> String + use<> {
    let step = (range.end - range.start) / 10.0;
    let decimals = if step > 0.0 && step.is_finite() {
        (-step.log10()).ceil().clamp(0.0, 12.0) as usize
    } else {
        0
    };
    let half_unit = 0.5 * 10f64.powi(-(decimals as i32));
    move |&v: &f64| {
        let v = if v.abs() < half_unit { 0.0 } else { v };
        format!("{v:.decimals$}")
    }
}

/// The axis ranges: the data's bounding box with 5 % padding per side, after checking that there is
/// data and that all of it is finite.
fn data_ranges(series: &[Series]) -> Result<(Range<f64>, Range<f64>), PlotError> {
    let mut bounds: Option<[f64; 4]> = None;
    for (s, one) in series.iter().enumerate() {
        for (index, &(x, y)) in one.points.iter().enumerate() {
            if !(x.is_finite() && y.is_finite()) {
                return Err(PlotError::NonFinite {
                    series: s,
                    label: one.label.clone(),
                    index,
                });
            }
            let b = bounds.get_or_insert([x, x, y, y]);
            *b = [b[0].min(x), b[1].max(x), b[2].min(y), b[3].max(y)];
        }
    }
    let [x0, x1, y0, y1] = bounds.ok_or(PlotError::EmptyData)?;
    Ok((padded(x0, x1), padded(y0, y1)))
}

/// `[lo, hi]` widened by 5 % of its width per side; a range too narrow to draw ticks on (relative to its
/// magnitude) is widened to ±5 % of its value, or ±1 around zero. Stays finite for finite input.
fn padded(lo: f64, hi: f64) -> Range<f64> {
    let magnitude = lo.abs().max(hi.abs());
    // Halves first: `hi - lo` itself may overflow.
    let half_width = hi / 2.0 - lo / 2.0;
    let (centre, half) = if half_width > magnitude * 1e-12 {
        (lo / 2.0 + hi / 2.0, half_width * 1.1)
    } else if magnitude > 0.0 {
        (lo / 2.0 + hi / 2.0, magnitude * 0.05)
    } else {
        (0.0, 1.0)
    };
    let clamp = |v: f64| v.clamp(f64::MIN, f64::MAX);
    clamp(centre - half)..clamp(centre + half)
}

/// Registers the embedded font as plotters' `sans-serif` family, once per process.
pub(crate) fn register_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            epaint_default_fonts::UBUNTU_LIGHT,
        )
        .is_ok()
    });
    if ok { Ok(()) } else { Err(PlotError::Font) }
}

#[cfg(test)]
mod tests {
    use super::{padded, tick_formatter};

    #[test]
    fn tick_labels_carry_the_decimals_the_step_needs() {
        let f = tick_formatter(&(45.0..155.0));
        assert_eq!((f(&120.0), f(&50.0)), ("120".to_string(), "50".to_string()));
        let f = tick_formatter(&(0.0..0.5));
        assert_eq!(
            (f(&0.05), f(&0.4)),
            ("0.05".to_string(), "0.40".to_string())
        );
        let f = tick_formatter(&(-1.0..1.0));
        assert_eq!(
            (f(&-0.8), f(&-1e-17)),
            ("-0.8".to_string(), "0.0".to_string())
        );
    }

    #[test]
    fn padding_is_five_percent_per_side() {
        let r = padded(10.0, 20.0);
        assert!(
            (r.start - 9.5).abs() < 1e-12 && (r.end - 20.5).abs() < 1e-12,
            "{r:?}"
        );
    }

    #[test]
    fn degenerate_ranges_are_widened() {
        let r = padded(50.0, 50.0);
        assert!(
            (r.start - 47.5).abs() < 1e-12 && (r.end - 52.5).abs() < 1e-12,
            "{r:?}"
        );
        assert_eq!(padded(0.0, 0.0), -1.0..1.0);
        let r = padded(-3.0, -3.0);
        assert!(r.start < -3.0 && r.end > -3.0, "{r:?}");
    }

    #[test]
    fn huge_ranges_stay_finite() {
        let r = padded(-f64::MAX, f64::MAX);
        assert!(
            r.start.is_finite() && r.end.is_finite() && r.start < r.end,
            "{r:?}"
        );
    }
}
