//! `cardiotwin render`: a still (PNG) of the state nearest a time, or an animated GIF of the last beat, from
//! a result folder of `cardiotwin run` (its `fields.pvd` series), a `.pvd` file, or one mesh file.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::RenderError;
use super::camera::{Camera, Cut, HeartAxes, ViewPreset};
use super::colour::ColourMap;
use super::glyphs::GlyphSites;
use super::renderer::{IMAGE_FORMAT, Offscreen, Renderer, View, scene_aspect};
use super::section::SectionValues;
use super::surface::{Location, ScalarField, SurfaceMesh, auto_range};
use crate::gpu::GpuContext;
use crate::mesh::TetMesh;
use crate::mesh::io::pvd::{PvdEntry, read_pvd};

/// Default image size of stills (width, height).
pub const STILL_SIZE: (u32, u32) = (1280, 720);
/// Default image size of animations: smaller, as a GIF stores every frame.
pub const ANIMATION_SIZE: (u32, u32) = (640, 360);

/// What to render.
#[derive(Debug, Clone)]
pub struct RenderRequest {
    /// A result folder (with `fields.pvd`), a `.pvd` file or a mesh file (`.vtu`, ...).
    pub input: PathBuf,
    /// A short name of [`super::KNOWN_FIELDS`] or any array of the mesh.
    pub field: String,
    /// The still's time, s: the state nearest to it (default: the last).
    pub time_s: Option<f64>,
    /// An animated GIF of the last beat instead of a still.
    pub beat_animation: bool,
    /// `.png` for a still, `.gif` for an animation.
    pub out: PathBuf,
    /// Width and height, pixels (default [`STILL_SIZE`] or [`ANIMATION_SIZE`]).
    pub size: Option<(u32, u32)>,
    pub view: ViewPreset,
    /// Colour range (default: 1st to 99th percentile of the vertex values over every frame; symmetric
    /// about zero for signed fields; see [`super::auto_range`]).
    pub range: Option<(f64, f64)>,
    /// Open the heart along this cut, the cut face drawn in the field's colours.
    pub cut: Option<Cut>,
    /// Fibre glyphs from the states' `fibre` (or `fiber`) vector field, cell or point.
    pub fibres: bool,
}

/// What was rendered.
#[derive(Debug, Clone)]
pub struct RenderReport {
    pub out: PathBuf,
    /// Each frame's time (s; `None` for a lone mesh file) and file.
    pub frames: Vec<(Option<f64>, PathBuf)>,
    /// The field as resolved, with its label and unit.
    pub field: ScalarField,
    pub range: (f64, f64),
    pub map: ColourMap,
    pub size: (u32, u32),
    /// Frame delay of an animation, ms.
    pub delay_ms: Option<u32>,
}

/// Where states come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A time series (`fields.pvd`); `period_s`: the heart period, from `scenario.toml` beside it.
    Series {
        pvd: PathBuf,
        entries: Vec<PvdEntry>,
        period_s: Option<f64>,
    },
    /// One mesh file.
    File(PathBuf),
}

impl Source {
    /// Opens `input`: a folder with `fields.pvd`, a `.pvd` file, or a mesh file.
    pub fn open(input: &Path) -> Result<Source, RenderError> {
        if !input.exists() {
            return Err(RenderError::Input(format!(
                "{} does not exist: give the output folder of `cardiotwin run`, its fields.pvd, or a mesh \
                 file (.vtu)",
                input.display()
            )));
        }
        let pvd = if input.is_dir() {
            let pvd = input.join("fields.pvd");
            if !pvd.is_file() {
                return Err(RenderError::Input(format!(
                    "{} has no fields.pvd: is it the output folder of `cardiotwin run`? (fields are \
                     written every outputs.field_interval_ms; a run killed before its first field has none)",
                    input.display()
                )));
            }
            pvd
        } else if crate::mesh::io::extension(input) == "pvd" {
            input.to_path_buf()
        } else {
            return Ok(Source::File(input.to_path_buf()));
        };
        let entries = read_pvd(&pvd)?;
        let period_s = pvd
            .parent()
            .map(|d| d.join("scenario.toml"))
            .filter(|p| p.is_file())
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| t.parse::<toml::Table>().ok())
            .and_then(|t| t.get("heart_rate_bpm").and_then(|v| v.as_float()))
            .filter(|bpm| bpm.is_finite() && *bpm > 0.0)
            .map(|bpm| 60.0 / bpm);
        Ok(Source::Series {
            pvd,
            entries,
            period_s,
        })
    }

    /// The state for a still: the entry nearest `time_s` (default: the last).
    pub fn still(&self, time_s: Option<f64>) -> Result<(Option<f64>, PathBuf), RenderError> {
        match (self, time_s) {
            (Source::File(path), None) => Ok((None, path.clone())),
            (Source::File(path), Some(_)) => Err(RenderError::Input(format!(
                "--time picks a state of a result folder or .pvd series; {} is one state",
                path.display()
            ))),
            (Source::Series { entries, .. }, t) => {
                let e = match t {
                    None => entries.last(),
                    Some(t) if !t.is_finite() => {
                        return Err(RenderError::Input(format!("--time {t}: not a number")));
                    }
                    Some(t) => entries
                        .iter()
                        .min_by(|a, b| (a.time - t).abs().total_cmp(&(b.time - t).abs())),
                };
                let e = e.ok_or_else(|| RenderError::Input("empty series".into()))?;
                Ok((Some(e.time), e.file.clone()))
            }
        }
    }

    /// The states of the last beat: those with `(n - 1) T <= t < n T` for the last beat n that the series
    /// reaches to its end (T the heart period; a beat cut short by an interrupted run is skipped when an
    /// earlier one is complete). Without a known period, the whole series.
    pub fn last_beat(&self) -> Result<Vec<(f64, PathBuf)>, RenderError> {
        let Source::Series {
            entries, period_s, ..
        } = self
        else {
            return Err(RenderError::Input(
                "--beat-animation needs a result folder or .pvd series, not one mesh file".into(),
            ));
        };
        let all = || {
            entries
                .iter()
                .map(|e| (e.time, e.file.clone()))
                .collect::<Vec<_>>()
        };
        let Some(period) = *period_s else {
            log::warn!("no scenario.toml beside the series: animating every state");
            return Ok(all());
        };
        let tol = 1e-6 * period;
        let end = entries.last().map_or(0.0, |e| e.time);
        let mut beat = ((end - tol) / period).ceil().max(1.0);
        // The last beat is complete when the series reaches its end (or the next beat's first state).
        let complete = |b: f64| end >= b * period - tol - 0.5 * typical_step(entries);
        if !complete(beat) && beat > 1.0 {
            beat -= 1.0;
        }
        let start = (beat - 1.0) * period;
        let frames: Vec<(f64, PathBuf)> = entries
            .iter()
            .filter(|e| e.time >= start - tol && e.time < start + period - tol)
            .map(|e| (e.time, e.file.clone()))
            .collect();
        if frames.len() < 2 {
            return Err(RenderError::Input(format!(
                "the last beat ({:.3} to {:.3} s) has {} state(s) in the series: too few to animate \
                 (lower outputs.field_interval_ms)",
                start,
                start + period,
                frames.len()
            )));
        }
        Ok(frames)
    }
}

/// The median time between states of a series, s (0 for fewer than two).
fn typical_step(entries: &[PvdEntry]) -> f64 {
    let mut d: Vec<f64> = entries.windows(2).map(|w| w[1].time - w[0].time).collect();
    if d.is_empty() {
        return 0.0;
    }
    d.sort_by(f64::total_cmp);
    d[d.len() / 2]
}

fn read_state(path: &Path) -> Result<TetMesh, RenderError> {
    if !path.is_file() {
        return Err(RenderError::Input(format!(
            "{} (listed in the series) does not exist",
            path.display()
        )));
    }
    Ok(crate::mesh::io::read(path)?)
}

/// Renders `req` on `ctx` and writes the file.
pub fn render(ctx: &GpuContext, req: &RenderRequest) -> Result<RenderReport, RenderError> {
    let ext = crate::mesh::io::extension(&req.out);
    match (req.beat_animation, ext.as_str()) {
        (false, "png") | (true, "gif") => {}
        (false, _) => {
            return Err(RenderError::Input(format!(
                "--out {}: a still is written as PNG: name it *.png (or add --beat-animation for a GIF)",
                req.out.display()
            )));
        }
        (true, _) => {
            return Err(RenderError::Input(format!(
                "--out {}: an animation is written as GIF: name it *.gif",
                req.out.display()
            )));
        }
    }
    if let Some((lo, hi)) = req.range
        && !(lo.is_finite() && hi.is_finite() && lo < hi)
    {
        return Err(RenderError::Input(format!(
            "--range {lo},{hi}: needs two finite numbers, minimum first"
        )));
    }
    let size = req.size.unwrap_or(if req.beat_animation {
        ANIMATION_SIZE
    } else {
        STILL_SIZE
    });
    let min = super::colour_bar::MIN_SIZE;
    if size.0 < min.0 || size.1 < min.1 {
        return Err(RenderError::Input(format!(
            "image size {}x{}: at least {}x{} pixels (room for the colour bar)",
            size.0, size.1, min.0, min.1
        )));
    }
    let source = Source::open(&req.input)?;
    let frames: Vec<(Option<f64>, PathBuf)> = if req.beat_animation {
        if req.time_s.is_some() {
            return Err(RenderError::Input(
                "--time and --beat-animation exclude each other".into(),
            ));
        }
        source
            .last_beat()?
            .into_iter()
            .map(|(t, p)| (Some(t), p))
            .collect()
    } else {
        vec![source.still(req.time_s)?]
    };

    // The first state sets the surface and resolves the field; every state is read once.
    let first = read_state(&frames[0].1)?;
    let field = ScalarField::resolve(&req.field, &first)?;
    let surface = SurfaceMesh::extract(&first)?;
    // About one glyph per 20x20 pixels of the picture (half of them on the endocardium, hidden).
    let sites = req
        .fibres
        .then(|| GlyphSites::new(&first, (size.0 as usize * size.1 as usize / 400).max(50)));
    let mut states = Vec::with_capacity(frames.len());
    for (i, (_, path)) in frames.iter().enumerate() {
        let mesh = if i == 0 {
            first.clone()
        } else {
            read_state(path)?
        };
        surface
            .check_state(&mesh, &path.display().to_string())
            .map_err(|e| RenderError::Input(format!("{e}")))?;
        let positions = surface.positions(&mesh)?;
        let values = surface.values(&mesh, &field).map_err(|e| match e {
            RenderError::NoField { name, available } => RenderError::Input(format!(
                "{}: no field {name:?}; fields present: {}",
                path.display(),
                available.join(", ")
            )),
            e => e,
        })?;
        // With a cut, what the section needs: every node's position and the field per point or cell.
        let full = match req.cut {
            Some(_) => Some((SurfaceMesh::node_positions(&mesh), field.scalars(&mesh)?)),
            None => None,
        };
        let glyphs = match &sites {
            Some(sites) => Some(fibre_glyphs(sites, &mesh, path)?),
            None => None,
        };
        states.push((positions, values, full, glyphs));
    }
    let range = req.range.unwrap_or_else(|| {
        auto_range(
            states.iter().flat_map(|(_, v, _, _)| v.iter()),
            field.signed,
        )
    });
    let map = if field.signed {
        ColourMap::BlueWhiteRed
    } else {
        ColourMap::Viridis
    };

    // One camera for every frame: oriented by the rest surface, fitted to every state.
    let axes = HeartAxes::of_points(&surface.rest);
    let aspect = scene_aspect(size, true);
    let mut camera = Camera::preset(req.view, &axes, aspect);
    camera.fit_points(states.iter().flat_map(|(p, _, _, _)| p.iter()), aspect);
    let mut view = View::new(camera, map, range, &field.label, &field.unit);
    view.clip = match req.cut {
        Some(cut) => Some(cut.plane(&axes, &camera).ok_or_else(|| {
            RenderError::Input(format!(
                "--cut long-axis with --view {}: the view looks along the long axis; use short-axis",
                req.view.name()
            ))
        })?),
        None => None,
    };

    let mut renderer = Renderer::new(ctx, IMAGE_FORMAT, true)?;
    renderer.set_surface(ctx, &surface)?;
    let target = Offscreen::new(ctx, size)?;
    let mut images = Vec::with_capacity(states.len());
    for (positions, values, full, glyphs) in &states {
        renderer.update(ctx, positions, values)?;
        renderer.set_glyphs(ctx, glyphs.as_deref())?;
        if let (Some(plane), Some((nodes, (scalars, location)))) = (&view.clip, full) {
            let values = match location {
                Location::Point => SectionValues::Point(scalars),
                Location::Cell => SectionValues::Cell(scalars),
            };
            let section = super::section::cut(first.tets(), nodes, plane, values);
            renderer.set_section(ctx, Some(&section))?;
        }
        images.push(target.render(ctx, &mut renderer, &view)?);
    }

    if let Some(dir) = req.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| RenderError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let delay_ms = if req.beat_animation {
        let times: Vec<f64> = frames.iter().filter_map(|(t, _)| *t).collect();
        let step = typical_step(
            &times
                .iter()
                .map(|&time| PvdEntry {
                    time,
                    file: PathBuf::new(),
                })
                .collect::<Vec<_>>(),
        );
        // Real time; GIF delays are in hundredths of a second and viewers slow down anything under 20 ms.
        let ms = ((step * 1e3 / 10.0).round() * 10.0).max(20.0) as u32;
        write_gif(&req.out, images, ms)?;
        Some(ms)
    } else {
        write_png(&req.out, &images[0])?;
        None
    };
    Ok(RenderReport {
        out: req.out.clone(),
        frames,
        field,
        range,
        map,
        size,
        delay_ms,
    })
}

/// The fibre glyphs of one state: its `fibre` (or `fiber`) vector field, per cell or averaged over the
/// tetrahedron's nodes, at the sites; without such a field an error naming `path` and how to get one.
pub fn fibre_glyphs(
    sites: &GlyphSites,
    mesh: &TetMesh,
    path: &Path,
) -> Result<Vec<[glam::DVec3; 2]>, RenderError> {
    let vector = |f: &crate::mesh::Field| f.components == 3;
    let named = |n: &str| n == "fibre" || n == "fiber";
    let cell = mesh
        .cell_fields()
        .iter()
        .find(|f| named(&f.name) && vector(f));
    let point = mesh
        .point_fields()
        .iter()
        .find(|f| named(&f.name) && vector(f));
    let at = |d: &[f64]| glam::DVec3::new(d[0], d[1], d[2]);
    let fibres: Vec<glam::DVec3> = match (cell, point) {
        (Some(c), _) => sites.tets().map(|t| at(c.get(t))).collect(),
        (None, Some(p)) => sites
            .tets()
            .map(|t| mesh.tets()[t].iter().map(|&n| at(p.get(n as usize))).sum())
            .collect(),
        (None, None) => {
            return Err(RenderError::Input(format!(
                "--fibres: {} has no fibre field (a 3-component cell or point array named fibre or \
                 fiber); in a scenario, add \"fibre\" to outputs.fields",
                path.display()
            )));
        }
    };
    Ok(sites.segments(&SurfaceMesh::node_positions(mesh), &fibres))
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> RenderError + '_ {
    move |source| RenderError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn encode_error(path: &Path, source: image::ImageError) -> RenderError {
    match source {
        image::ImageError::IoError(source) => RenderError::Io {
            path: path.to_path_buf(),
            source,
        },
        source => RenderError::Encode {
            path: path.to_path_buf(),
            source,
        },
    }
}

/// Writes an RGBA image as PNG (RGB: the pictures are opaque).
pub fn write_png(path: &Path, image: &image::RgbaImage) -> Result<(), RenderError> {
    let rgb = image::DynamicImage::ImageRgba8(image.clone()).into_rgb8();
    let mut out = BufWriter::new(std::fs::File::create(path).map_err(io_error(path))?);
    rgb.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| encode_error(path, e))?;
    out.flush().map_err(io_error(path))
}

/// Writes frames as an endlessly looping GIF, `delay_ms` per frame.
pub fn write_gif(
    path: &Path,
    frames: Vec<image::RgbaImage>,
    delay_ms: u32,
) -> Result<(), RenderError> {
    use image::codecs::gif::{GifEncoder, Repeat};
    let out = BufWriter::new(std::fs::File::create(path).map_err(io_error(path))?);
    // Speed 10 of 1-30: NeuQuant palettes good enough for smooth colour maps, a few ms per frame.
    let mut encoder = GifEncoder::new_with_speed(out, 10);
    encoder
        .set_repeat(Repeat::Infinite)
        .map_err(|e| encode_error(path, e))?;
    let delay = image::Delay::from_numer_denom_ms(delay_ms, 1);
    encoder
        .encode_frames(
            frames
                .into_iter()
                .map(|f| image::Frame::from_parts(f, 0, 0, delay)),
        )
        .map_err(|e| encode_error(path, e))?;
    Ok(())
}
