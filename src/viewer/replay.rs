//! The viewer on a finished run: `cardiotwin view RESULT_DIR` plays the last beat of the run's `fields.pvd`
//! at real time (or the speed chosen), with the LV pressure-volume loop and pressure traces of
//! `metrics.csv` drawn as the beat goes. A class sees the heart beat at its own pace on any machine, from
//! a run made once (the live simulation of the default heart runs at a few thousandths of real time on a
//! laptop's cores).
//!
//! It publishes what the live simulation publishes ([`super::live::Published`]), so the window, its
//! controls, cuts and glyphs work the same; heart rate, contractility and afterload do not apply (a replay
//! has no simulation) and say so.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::live::{
    Command, Frame, FrameSurface, LiveField, LiveSim, LiveSurface, Phase, Published, lock,
};
use crate::error::{Error, Result};
use crate::heartbeat::simulation::{METRICS_COLUMNS, Sample};
use crate::mesh::TetMesh;
use crate::render::glyphs::GlyphSites;
use crate::render::job::{Source, fibre_glyphs};
use crate::render::section::{self, SectionValues};
use crate::render::surface::Location;
use crate::render::{ClipPlane, ScalarField, SurfaceMesh, auto_range};

/// What a replay plays.
#[derive(Debug, Clone)]
pub struct ReplayConfig {
    /// The output folder of `cardiotwin run` (or its `fields.pvd`).
    pub run: PathBuf,
    pub field: LiveField,
    /// Playback speed (1: real time).
    pub speed: f64,
}

impl LiveSim {
    /// Starts playing the last beat of a finished run (see the module docs). `surface` is filled with
    /// the heart's boundary once the states are read.
    pub fn replay(config: ReplayConfig, surface: Arc<Mutex<Option<LiveSurface>>>) -> LiveSim {
        let (tx, rx) = channel();
        let shared = Arc::new(Mutex::new(Published::new()));
        let out = shared.clone();
        let thread = std::thread::Builder::new()
            .name("cardiotwin-replay".into())
            .spawn(move || {
                if let Err(e) = play(&config, &out, &rx, &surface) {
                    lock(&out).phase = Phase::Failed(e.to_string());
                }
            })
            .ok();
        LiveSim::from_parts(tx, shared, thread)
    }
}

/// One state of the beat.
struct State {
    /// Time within the beat, ms.
    t_ms: f64,
    mesh: TetMesh,
}

fn play(
    config: &ReplayConfig,
    shared: &Mutex<Published>,
    commands: &Receiver<Command>,
    surface_out: &Mutex<Option<LiveSurface>>,
) -> Result<()> {
    let fail = |e: crate::render::RenderError| Error::Invalid(e.to_string());
    let source = Source::open(&config.run).map_err(fail)?;
    let Source::Series { pvd, period_s, .. } = &source else {
        return Err(Error::Invalid(format!(
            "{}: a replay needs the output folder of `cardiotwin run` (or its fields.pvd), not one mesh",
            config.run.display()
        )));
    };
    let period_ms = period_s.ok_or_else(|| {
        Error::Invalid(format!(
            "{}: no scenario.toml beside the series, so the beat's length is unknown",
            pvd.display()
        ))
    })? * 1e3;
    let frames = source.last_beat().map_err(fail)?;
    let start_s = frames.first().map_or(0.0, |f| f.0);
    let mut states = Vec::with_capacity(frames.len());
    for (t, path) in &frames {
        states.push(State {
            t_ms: (t - start_s) * 1e3,
            mesh: crate::mesh::io::read(path).map_err(|e| Error::Invalid(e.to_string()))?,
        });
    }
    let first = &states[0].mesh;
    let surface = SurfaceMesh::extract(first).map_err(fail)?;
    let activation = values_of(&surface, first, LiveField::ActivationTime)
        .unwrap_or_else(|| vec![f32::NAN; surface.vertex_count()]);
    *surface_out.lock().unwrap_or_else(|e| e.into_inner()) = Some(LiveSurface {
        mesh: surface.clone(),
        activation,
        on_window_device: false,
    });
    let rows = read_metrics(pvd.parent().unwrap_or(Path::new(".")), start_s, period_ms)?;
    let sites = GlyphSites::new(first, 1500);
    {
        let mut p = lock(shared);
        p.description = format!(
            "replay of {}: the last beat, {} states, {} tetrahedra",
            config.run.display(),
            states.len(),
            first.tet_count()
        );
        p.phase = Phase::Running;
        p.replay = true;
        p.max_heart_rate_bpm = 60_000.0 / period_ms;
    }

    let mut player = Player {
        field: config.field,
        speed: config.speed.clamp(1e-3, 4.0),
        playing: true,
        cut: None,
        fibres: false,
    };
    let mut tau = 0.0;
    let mut shown: Option<usize> = None;
    let mut next_row = 0;
    let mut seq = 0;
    let mut last = Instant::now();
    loop {
        let mut dirty = false;
        let first = match commands.recv_timeout(Duration::from_millis(8)) {
            Ok(c) => Some(c),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        };
        let mut next = first;
        while let Some(c) = next {
            match c {
                Command::Play => player.playing = true,
                Command::Pause => player.playing = false,
                Command::Speed(s) => player.speed = s.clamp(1e-3, 4.0),
                Command::Field(f) => player.field = f,
                Command::Cut(c) => player.cut = c,
                Command::Fibres(on) => player.fibres = on,
                Command::Reset => {
                    tau = 0.0;
                    next_row = 0;
                    lock(shared).history.clear();
                }
                Command::Settings(_) => {
                    lock(shared).message = Some(
                        "a replay plays a finished run: heart rate, contractility and afterload need \
                         a live simulation (`cardiotwin view SCENARIO`)"
                            .into(),
                    );
                }
            }
            dirty = true;
            next = commands.try_recv().ok();
        }
        let now = Instant::now();
        let wall_ms = now.duration_since(last).as_secs_f64() * 1e3;
        last = now;
        if player.playing {
            tau += player.speed * wall_ms;
            if tau >= period_ms {
                tau %= period_ms;
                next_row = 0;
                lock(shared).history.clear();
            }
        }
        let k = states
            .iter()
            .rposition(|s| s.t_ms <= tau + 1e-9)
            .unwrap_or(0);
        {
            let mut p = lock(shared);
            while next_row < rows.len() && (rows[next_row].time_s - start_s) * 1e3 <= tau {
                p.history.push_back(rows[next_row]);
                next_row += 1;
            }
            p.time_ms = start_s * 1e3 + tau;
            p.phase = if player.playing {
                Phase::Running
            } else {
                Phase::Paused
            };
            p.real_time_factor = if player.playing { player.speed } else { 0.0 };
        }
        if shown != Some(k) || dirty {
            let frame = player.frame(&surface, &sites, &states[k], start_s, seq);
            seq += 1;
            shown = Some(k);
            let mut p = lock(shared);
            if frame.range.is_none() && frame.field != LiveField::Displacement {
                p.message = Some(format!(
                    "this run has no {} field",
                    frame.field.known().label
                ));
            }
            p.frame = Some(frame);
        }
    }
}

/// What the controls asked of the replay.
struct Player {
    field: LiveField,
    speed: f64,
    playing: bool,
    cut: Option<ClipPlane>,
    fibres: bool,
}

impl Player {
    fn frame(
        &self,
        surface: &SurfaceMesh,
        sites: &GlyphSites,
        state: &State,
        start_s: f64,
        seq: u64,
    ) -> Frame {
        let mesh = &state.mesh;
        let positions = surface
            .positions(mesh)
            .unwrap_or_else(|_| surface.rest.clone());
        // The field as this state has it (None: the run did not write it).
        let field = ScalarField::resolve(self.field.known().name, mesh).ok();
        let values = field
            .as_ref()
            .and_then(|f| surface.values(mesh, f).ok())
            .unwrap_or_else(|| vec![f32::NAN; surface.vertex_count()]);
        let range = values
            .iter()
            .any(|v| v.is_finite())
            .then(|| auto_range(&values, self.field.known().signed));
        let section = match &self.cut {
            Some(plane) => {
                let x = SurfaceMesh::node_positions(mesh);
                let scalars = field.as_ref().and_then(|f| f.scalars(mesh).ok());
                let values = match &scalars {
                    Some((v, Location::Point)) => SectionValues::Point(v),
                    Some((v, Location::Cell)) => SectionValues::Cell(v),
                    None => SectionValues::None,
                };
                Some(section::cut(mesh.tets(), &x, plane, values))
            }
            None => None,
        };
        // From the state's fibre field, as `cardiotwin render --fibres` draws them; none without one.
        let glyphs = self
            .fibres
            .then(|| fibre_glyphs(sites, mesh, Path::new("")).ok())
            .flatten();
        Frame {
            seq,
            time_ms: start_s * 1e3 + state.t_ms,
            field: self.field,
            surface: FrameSurface::Host { positions, values },
            range,
            section,
            glyphs,
        }
    }
}

/// The field at every vertex, when the state has it.
fn values_of(surface: &SurfaceMesh, mesh: &TetMesh, field: LiveField) -> Option<Vec<f32>> {
    let f = ScalarField::resolve(field.known().name, mesh).ok()?;
    surface.values(mesh, &f).ok()
}

/// The rows of `metrics.csv` in the beat starting at `start_s` (empty when the file is missing; an
/// unreadable file is an error naming its line).
fn read_metrics(dir: &Path, start_s: f64, period_ms: f64) -> Result<Vec<Sample>> {
    let path = dir.join("metrics.csv");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(Vec::new());
    };
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name);
    let missing: Vec<&str> = METRICS_COLUMNS
        .iter()
        .copied()
        .filter(|c| column(c).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(Error::Invalid(format!(
            "{}: no column(s) {}",
            path.display(),
            missing.join(", ")
        )));
    }
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        let get = |name: &str| -> Result<f64> {
            let c = column(name).unwrap_or(0);
            cells
                .get(c)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "{} line {}: column {name} is not a number",
                        path.display(),
                        i + 2
                    ))
                })
        };
        let time_s = get("time_s")?;
        if time_s < start_s - 1e-9 || time_s >= start_s + period_ms * 1e-3 - 1e-9 {
            continue;
        }
        rows.push(Sample {
            time_s,
            lv_volume_ml: get("lv_volume_ml")?,
            lv_pressure_mmhg: get("lv_pressure_mmhg")?,
            aortic_pressure_mmhg: get("aortic_pressure_mmhg")?,
            la_volume_ml: get("la_volume_ml")?,
            la_pressure_mmhg: get("la_pressure_mmhg")?,
            rv_volume_ml: get("rv_volume_ml")?,
            rv_pressure_mmhg: get("rv_pressure_mmhg")?,
            ra_volume_ml: get("ra_volume_ml")?,
            ra_pressure_mmhg: get("ra_pressure_mmhg")?,
            pulmonary_artery_pressure_mmhg: get("pulmonary_artery_pressure_mmhg")?,
            mitral_flow_ml_s: get("mitral_flow_ml_s")?,
            aortic_flow_ml_s: get("aortic_flow_ml_s")?,
            tricuspid_flow_ml_s: get("tricuspid_flow_ml_s")?,
            pulmonary_flow_ml_s: get("pulmonary_flow_ml_s")?,
            max_fibre_stress_kpa: get("max_fibre_stress_kpa")?,
            p99_fibre_stress_kpa: get("p99_fibre_stress_kpa")?,
            mean_active_tension_kpa: get("mean_active_tension_kpa")?,
        });
    }
    Ok(rows)
}
