//! The simulation of the live viewer, on its own thread: it builds the heart, preloads it and steps it as
//! fast as the target speed allows, and publishes the latest state (surface positions and the chosen
//! field at every surface vertex) and the metrics history. The window never waits for it: each frame
//! draws the newest state there is, so the number of simulation steps per frame adapts by itself to what
//! the machine manages, and a slow simulation slows the heart, not the controls.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use glam::DVec3;

use crate::backend::{Backend, BackendChoice};
use crate::error::{Error, Result};
use crate::gpu::GpuContext;
use crate::heartbeat::Scenario;
use crate::heartbeat::gpu::GpuNodes;
use crate::heartbeat::heart::Heart;
use crate::heartbeat::simulation::{Sample, Settings, Simulation};
use crate::render::glyphs::GlyphSites;
use crate::render::section::{self, Section, SectionValues};
use crate::render::{ClipPlane, KNOWN_FIELDS, KnownField, SurfaceMesh, auto_range};

/// Fields the viewer can show: the fields of [`KNOWN_FIELDS`], computed live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveField {
    Displacement,
    VonMises,
    FibreStress,
    ActivationTime,
    ActiveTension,
}

impl LiveField {
    pub const ALL: [LiveField; 5] = [
        LiveField::Displacement,
        LiveField::VonMises,
        LiveField::FibreStress,
        LiveField::ActivationTime,
        LiveField::ActiveTension,
    ];

    /// Its name, label, unit and sign.
    pub fn known(self) -> &'static KnownField {
        let name = match self {
            LiveField::Displacement => "displacement",
            LiveField::VonMises => "von_mises",
            LiveField::FibreStress => "fibre_stress",
            LiveField::ActivationTime => "activation_time",
            LiveField::ActiveTension => "active_tension",
        };
        KNOWN_FIELDS
            .iter()
            .find(|k| k.name == name)
            .unwrap_or(&KNOWN_FIELDS[0])
    }

    /// The field called `name` (a short name of [`KNOWN_FIELDS`]); an error lists the names.
    pub fn parse(name: &str) -> std::result::Result<LiveField, String> {
        LiveField::ALL
            .into_iter()
            .find(|f| f.known().name.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = LiveField::ALL.iter().map(|f| f.known().name).collect();
                format!("no live field {name:?}; fields: {}", names.join(", "))
            })
    }
}

/// What the simulation thread is doing.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Building,
    Preloading,
    Running,
    Paused,
    /// Stopped with a diagnosis (unstable, invalid setting); the last state stays on screen.
    Failed(String),
}

/// The latest state, for drawing.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Increases with every published frame.
    pub seq: u64,
    /// Simulated time since the first beat started, ms (0 before).
    pub time_ms: f64,
    pub field: LiveField,
    pub surface: FrameSurface,
    /// The field's colour range on the surface as [`auto_range`] gives it (1st to 99th percentile);
    /// `None` while it has no value.
    pub range: Option<(f64, f64)>,
    /// The cut face where the clipping plane crosses the wall (with a cut).
    pub section: Option<Section>,
    /// Fibre glyphs, mm (when asked for).
    pub glyphs: Option<Vec<[DVec3; 2]>>,
}

/// Where a frame's surface state is.
#[derive(Debug, Clone)]
pub enum FrameSurface {
    /// On the CPU: vertex positions (mm) and the field at every vertex (NaN: no value).
    Host {
        positions: Vec<DVec3>,
        values: Vec<f32>,
    },
    /// In the simulation's GPU buffers, on the window's device: the window gathers the vertices there
    /// ([`crate::render::gather`]); nothing was read back.
    Device(GpuNodes),
}

/// The heart's surface, once built, for the window.
#[derive(Debug, Clone)]
pub struct LiveSurface {
    pub mesh: SurfaceMesh,
    /// The activation time at every vertex, ms (a static field).
    pub activation: Vec<f32>,
    /// The simulation runs on the window's device: frames may be [`FrameSurface::Device`].
    pub on_window_device: bool,
}

/// What the window reads: the frame, the metrics of the last beats and the thread's state.
#[derive(Debug, Clone)]
pub struct Published {
    pub frame: Option<Frame>,
    /// Samples of the last [`HISTORY_BEATS`] beats (every `outputs.metrics_interval_ms`).
    pub history: VecDeque<Sample>,
    pub phase: Phase,
    /// Simulated time now, ms (frames may lag it by up to one publication interval).
    pub time_ms: f64,
    /// When the current phase began (the window shows how long building and preloading take).
    pub phase_since: Instant,
    /// Simulated time over wall time over the last second (1: real time).
    pub real_time_factor: f64,
    pub steps_per_s: f64,
    /// The settings in effect, and the fastest heart rate allowed.
    pub settings: Option<Settings>,
    pub max_heart_rate_bpm: f64,
    /// A setting that was refused, with the reason.
    pub message: Option<String>,
    /// The heart: mesh name, tetrahedra, backend.
    pub description: String,
    /// A finished run played back ([`super::replay`]), not a live simulation.
    pub replay: bool,
}

impl Published {
    /// Nothing yet: building.
    pub fn new() -> Published {
        Published {
            frame: None,
            history: VecDeque::new(),
            phase: Phase::Building,
            time_ms: 0.0,
            phase_since: Instant::now(),
            real_time_factor: 0.0,
            steps_per_s: 0.0,
            settings: None,
            max_heart_rate_bpm: 0.0,
            message: None,
            description: String::new(),
            replay: false,
        }
    }
}

impl Default for Published {
    fn default() -> Self {
        Published::new()
    }
}

/// Beats of metrics kept for the plots.
pub const HISTORY_BEATS: f64 = 2.0;

/// What the window asks of the simulation.
#[derive(Debug, Clone)]
pub enum Command {
    Play,
    Pause,
    /// Target simulated time per wall time (0.01 to 1); the simulation runs no faster.
    Speed(f64),
    Field(LiveField),
    /// New settings from the next beat (refused ones come back as [`Published::message`]).
    Settings(Settings),
    /// The clipping plane: frames carry the cut face ([`Frame::section`]); `None`: no cut.
    Cut(Option<ClipPlane>),
    /// Fibre glyphs on or off ([`Frame::glyphs`]).
    Fibres(bool),
    /// Back to the end of the preload, with the scenario's settings.
    Reset,
}

/// What the simulation thread runs.
#[derive(Clone)]
pub struct LiveConfig {
    pub scenario: Scenario,
    pub backend: BackendChoice,
    pub adapter: Option<String>,
    /// The field of the first frames.
    pub field: LiveField,
    /// Target simulated time per wall time.
    pub speed: f64,
    /// Folder of the preload cache ([`super::cache`]); `None`: always preload.
    pub cache: Option<PathBuf>,
    /// The window's device: a GPU backend runs on it (when the choice allows it), so frames are drawn
    /// from the simulation's own buffers.
    pub device: Option<GpuContext>,
}

impl LiveConfig {
    /// The backend, and whether it is the window's device. `gpu`, or `auto` when the window's adapter is
    /// a hardware GPU, share the window's device (unless `--adapter` names another adapter); otherwise the
    /// choice resolves as for `run`.
    fn backend(&self) -> Result<(Backend, String, bool)> {
        if let Some(ctx) = &self.device {
            let hardware = crate::gpu::is_hardware(ctx.adapter.get_info().device_type);
            let named = self
                .adapter
                .as_deref()
                .is_none_or(|a| ctx.report.name.to_lowercase().contains(&a.to_lowercase()));
            let wants = match self.backend {
                BackendChoice::Gpu => true,
                BackendChoice::Auto => hardware || self.adapter.is_some(),
                BackendChoice::Cpu => false,
            };
            if wants && named {
                return Ok((
                    Backend::Gpu(Box::new(ctx.clone())),
                    format!("gpu backend on the window's {}", ctx.report.name),
                    true,
                ));
            }
        }
        let (backend, report) = self.backend.resolve(self.adapter.as_deref())?;
        let text = match &report.adapter {
            Some(a) => format!("{} backend ({})", report.kind, a.name),
            None => format!("{} backend", report.kind),
        };
        Ok((backend, text, false))
    }
}

/// The simulation thread and what it publishes.
pub struct LiveSim {
    commands: Sender<Command>,
    shared: Arc<Mutex<Published>>,
    thread: Option<JoinHandle<()>>,
}

impl LiveSim {
    /// Starts the thread: builds the heart of `config.scenario`, preloads it (or takes the preloaded
    /// state from the cache) and runs it, playing. `surface` is filled with the heart's boundary once it
    /// is built.
    pub fn spawn(config: LiveConfig, surface: Arc<Mutex<Option<LiveSurface>>>) -> LiveSim {
        let (tx, rx) = channel();
        let shared = Arc::new(Mutex::new(Published::new()));
        let out = shared.clone();
        let thread = std::thread::Builder::new()
            .name("cardiotwin-simulation".into())
            .spawn(move || {
                let worker = Worker {
                    shared: out.clone(),
                    commands: rx,
                    field: config.field,
                    speed: config.speed,
                    playing: true,
                    displacement_range: None,
                    cut: None,
                    fibres: false,
                };
                if let Err(e) = worker.run(&config, &surface) {
                    lock(&out).phase = Phase::Failed(e.to_string());
                }
            })
            .ok();
        LiveSim::from_parts(tx, shared, thread)
    }

    /// A handle on a thread that publishes into `shared` and reads `commands` (the live simulation, or
    /// [`super::replay`]).
    pub(super) fn from_parts(
        commands: Sender<Command>,
        shared: Arc<Mutex<Published>>,
        thread: Option<JoinHandle<()>>,
    ) -> LiveSim {
        LiveSim {
            commands,
            shared,
            thread,
        }
    }

    /// Sends a command (ignored once the thread has ended).
    pub fn send(&self, command: Command) {
        let _ = self.commands.send(command);
    }

    /// What the simulation published last.
    pub fn published(&self) -> MutexGuard<'_, Published> {
        lock(&self.shared)
    }
}

impl Drop for LiveSim {
    fn drop(&mut self) {
        // Closing the channel ends the thread at its next look at the commands. It is not joined: while
        // it builds or preloads the heart it looks at none, and closing the window must not wait for
        // that (it writes nothing, so nothing is lost when the process ends under it).
        let (tx, _) = channel();
        drop(std::mem::replace(&mut self.commands, tx));
        drop(self.thread.take());
    }
}

/// The lock, even after a panic elsewhere (the data is plain values).
pub(super) fn lock(m: &Mutex<Published>) -> MutexGuard<'_, Published> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Fibre glyphs over the whole surface (about half are on the endocardium, seen through cuts).
const GLYPHS: usize = 1500;

/// Longest wall time between two published frames while running.
const PUBLISH_EVERY: Duration = Duration::from_millis(33);

struct Worker {
    shared: Arc<Mutex<Published>>,
    commands: Receiver<Command>,
    field: LiveField,
    speed: f64,
    playing: bool,
    /// The displacement's colour range on the GPU backend, and when it was read.
    displacement_range: Option<(Instant, (f64, f64))>,
    cut: Option<ClipPlane>,
    fibres: bool,
}

/// The window went away: stop.
struct Closed;

impl Worker {
    fn run(mut self, config: &LiveConfig, surface_out: &Mutex<Option<LiveSurface>>) -> Result<()> {
        let scenario = &config.scenario;
        scenario
            .validate("(scenario)")
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let (backend, backend_text, shared) = config.backend()?;
        let heart = Heart::build_on(scenario, &backend)?;
        let surface = SurfaceMesh::extract(&heart.mesh)
            .map_err(|e| Error::Invalid(format!("the heart's surface: {e}")))?;
        let activation = surface.tet_values(&heart.activation_ms);
        *surface_out.lock().unwrap_or_else(|e| e.into_inner()) = Some(LiveSurface {
            mesh: surface.clone(),
            activation: activation.clone(),
            on_window_device: shared,
        });
        let surface = Surface {
            mesh: surface,
            activation,
            tets: heart.mesh.tets().to_vec(),
            rest: heart.model.rest.clone(),
            activation_tets: heart.activation_ms.clone(),
            glyph_sites: GlyphSites::new(&heart.mesh, GLYPHS),
            shared,
        };
        {
            let mut p = lock(&self.shared);
            p.description = format!(
                "{}: {} tetrahedra, {backend_text}",
                heart.report.mesh, heart.report.tets
            );
            p.phase = Phase::Preloading;
            p.phase_since = Instant::now();
        }
        let rest = heart.model.rest.clone();
        self.publish_rest(&surface, &rest, 0);

        let clock = Instant::now();
        let cache = config
            .cache
            .as_deref()
            .map(|dir| super::cache::entry(dir, scenario, &heart));
        let cached = cache.as_deref().and_then(|c| super::cache::load(c, &heart));
        let (sim, start) = match cached {
            Some(start) => {
                log::info!("preloaded state from the cache");
                (
                    Simulation::resume(&heart, scenario, &start, backend)?,
                    start,
                )
            }
            None => {
                let (sim, report) = Simulation::start(&heart, scenario, backend)?;
                log::info!(
                    "preload to {:.1} mmHg: LV {:.1} mL in {:.1} s",
                    report.lv_pressure_mmhg,
                    report.lv_volume_ml,
                    report.wall_s
                );
                let start = sim.save()?;
                if let Some(c) = &cache {
                    super::cache::store(c, &start);
                }
                (sim, start)
            }
        };
        log::info!("ready after {:.1} s", clock.elapsed().as_secs_f64());
        let interval = scenario.outputs.metrics_interval_ms.max(0.01);
        let per_sample = (interval / heart.dt).ceil().max(1.0) as u64;
        let dt = interval / per_sample as f64;
        let mut sim = Some(sim);
        let mut seq = 1;
        loop {
            let mut current = match sim.take() {
                Some(s) => s,
                // A reset: back to the preloaded state.
                None => Simulation::resume(&heart, scenario, &start, config.backend()?.0)?,
            };
            {
                let mut p = lock(&self.shared);
                p.history.clear();
                p.time_ms = current.time_ms();
                p.settings = Some(current.settings());
                p.max_heart_rate_bpm = current.max_heart_rate_bpm();
                p.phase = if self.playing {
                    Phase::Running
                } else {
                    Phase::Paused
                };
            }
            match self.drive(&surface, &mut current, dt, per_sample, &mut seq) {
                Ok(Drive::Reset) => continue,
                Err(Closed) => return Ok(()),
                Ok(Drive::Failed(e)) => {
                    lock(&self.shared).phase = Phase::Failed(e.to_string());
                    // Keep answering until the window closes or resets.
                    loop {
                        match self.commands.recv() {
                            Ok(Command::Reset) => break,
                            Ok(Command::Field(f)) => self.field = f,
                            Ok(_) => {}
                            Err(_) => return Ok(()),
                        }
                    }
                }
            }
        }
    }

    /// Steps `sim` until a reset, a failure or the window closing.
    fn drive(
        &mut self,
        surface: &Surface,
        sim: &mut Simulation,
        dt: f64,
        per_sample: u64,
        seq: &mut u64,
    ) -> std::result::Result<Drive, Closed> {
        // Simulated ms the speed allows but not yet run; capped so a pause or a slow stretch does not
        // turn into a burst.
        let mut budget_ms = 0.0;
        let mut last = Instant::now();
        let mut last_publish = Instant::now() - PUBLISH_EVERY;
        let mut dirty = true;
        let mut window: VecDeque<(Instant, f64, u64)> = VecDeque::new();
        loop {
            // Commands: wait for one while paused or ahead of the speed, else only look.
            let wait = if !self.playing {
                Some(Duration::from_millis(50))
            } else if budget_ms <= 0.0 {
                Some(Duration::from_millis(2))
            } else {
                None
            };
            let first = match wait {
                Some(d) => match self.commands.recv_timeout(d) {
                    Ok(c) => Some(c),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return Err(Closed),
                },
                None => match self.commands.try_recv() {
                    Ok(c) => Some(c),
                    Err(std::sync::mpsc::TryRecvError::Empty) => None,
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => return Err(Closed),
                },
            };
            let mut next = first;
            while let Some(c) = next {
                match c {
                    Command::Play => {
                        self.playing = true;
                        lock(&self.shared).phase = Phase::Running;
                    }
                    Command::Pause => {
                        self.playing = false;
                        lock(&self.shared).phase = Phase::Paused;
                    }
                    Command::Speed(s) => self.speed = s.clamp(1e-3, 1.0),
                    Command::Field(f) => {
                        self.field = f;
                        dirty = true;
                    }
                    Command::Cut(plane) => {
                        self.cut = plane;
                        dirty = true;
                    }
                    Command::Fibres(on) => {
                        self.fibres = on;
                        dirty = true;
                    }
                    Command::Settings(s) => {
                        let message = sim.schedule(s).err().map(|e| e.to_string());
                        lock(&self.shared).message = message;
                    }
                    Command::Reset => return Ok(Drive::Reset),
                }
                next = self.commands.try_recv().ok();
            }
            let now = Instant::now();
            let wall = now.duration_since(last).as_secs_f64();
            last = now;
            if self.playing {
                budget_ms = (budget_ms + self.speed * wall * 1e3).min(self.speed * 100.0);
                // One sample interval at a time: the metrics history stays on its grid.
                if budget_ms > 0.0 {
                    let t0 = sim.time_ms();
                    for _ in 0..per_sample {
                        if let Err(e) = sim.step(dt) {
                            return Ok(Drive::Failed(e));
                        }
                    }
                    budget_ms -= sim.time_ms() - t0;
                    match sim.sample_hemodynamics() {
                        Ok(s) if s.lv_volume_ml.is_finite() && s.lv_pressure_mmhg.is_finite() => {
                            let keep = HISTORY_BEATS * 60_000.0 / sim.settings().heart_rate_bpm;
                            let mut p = lock(&self.shared);
                            p.history.push_back(s);
                            while p
                                .history
                                .front()
                                .is_some_and(|f| f.time_s * 1e3 < sim.time_ms() - keep)
                            {
                                p.history.pop_front();
                            }
                            p.settings = Some(sim.settings());
                            p.time_ms = sim.time_ms();
                        }
                        Ok(s) => {
                            return Ok(Drive::Failed(Error::Invalid(format!(
                                "the simulation became unstable at t = {:.1} ms: LV volume {} mL, \
                                 pressure {} mmHg",
                                s.time_s * 1e3,
                                s.lv_volume_ml,
                                s.lv_pressure_mmhg
                            ))));
                        }
                        Err(e) => return Ok(Drive::Failed(e)),
                    }
                    dirty = true;
                }
                window.push_back((now, sim.time_ms(), sim.steps()));
                while window
                    .front()
                    .is_some_and(|(t, ..)| now.duration_since(*t) > Duration::from_secs(1))
                {
                    window.pop_front();
                }
                if let (Some(a), Some(b)) = (window.front(), window.back()) {
                    let span = b.0.duration_since(a.0).as_secs_f64();
                    if span > 0.2 {
                        let mut p = lock(&self.shared);
                        p.real_time_factor = (b.1 - a.1) * 1e-3 / span;
                        p.steps_per_s = (b.2 - a.2) as f64 / span;
                    }
                }
            } else {
                window.clear();
                let mut p = lock(&self.shared);
                p.real_time_factor = 0.0;
                p.steps_per_s = 0.0;
            }
            if dirty && last_publish.elapsed() >= PUBLISH_EVERY {
                match self.frame(surface, sim, *seq) {
                    Ok(f) => {
                        *seq += 1;
                        lock(&self.shared).frame = Some(f);
                    }
                    Err(e) => return Ok(Drive::Failed(e)),
                }
                last_publish = Instant::now();
                dirty = false;
            }
        }
    }

    /// The unloaded heart, before the simulation has started.
    fn publish_rest(&self, surface: &Surface, rest: &[DVec3], seq: u64) {
        let mesh = &surface.mesh;
        let values = match self.field {
            LiveField::ActivationTime => surface.activation.clone(),
            LiveField::Displacement => vec![0.0; mesh.vertex_count()],
            _ => vec![f32::NAN; mesh.vertex_count()],
        };
        let range = has_values(&values).then(|| auto_range(&values, self.field.known().signed));
        lock(&self.shared).frame = Some(Frame {
            seq,
            time_ms: 0.0,
            field: self.field,
            surface: FrameSurface::Host {
                positions: mesh.nodes.iter().map(|&n| rest[n as usize]).collect(),
                values,
            },
            range,
            section: None,
            glyphs: None,
        });
    }

    /// The current state on the surface, with the field chosen: in the GPU buffers when the simulation
    /// shares the window's device and the field is there (displacement, active tension, activation
    /// time), else read back and computed on the CPU (stresses).
    fn frame(&mut self, surface: &Surface, sim: &mut Simulation, seq: u64) -> Result<Frame> {
        let mesh = &surface.mesh;
        let signed = self.field.known().signed;
        let on_device = surface.shared
            && matches!(
                self.field,
                LiveField::Displacement | LiveField::ActiveTension | LiveField::ActivationTime
            );
        // The field per tetrahedron where it is a cell field the CPU computes: once, for the surface
        // values and the cut face alike (activation times are the surface's own, static).
        let per_tet: Option<Vec<f64>> = match self.field {
            LiveField::VonMises => Some(sim.stresses()?.1),
            LiveField::FibreStress => Some(sim.stresses()?.0),
            LiveField::ActiveTension => Some(sim.active_tension().to_vec()),
            _ => None,
        };
        let section = match self.cut {
            Some(plane) => Some(self.section(surface, sim, &plane, per_tet.as_deref())?),
            None => None,
        };
        let glyphs = if self.fibres {
            let heart = sim.heart();
            let x = sim.positions()?;
            let fibres: Vec<DVec3> = surface
                .glyph_sites
                .tets()
                .map(|t| heart.model.deformation_gradient(t, x) * heart.model.frames[t].f0)
                .collect();
            Some(surface.glyph_sites.segments(x, &fibres))
        } else {
            None
        };
        if on_device && let Some(nodes) = sim.gpu_nodes() {
            let range = match self.field {
                LiveField::ActivationTime => Some(auto_range(&surface.activation, signed)),
                // The CPU holds the tension of the last sample too (a function of time alone).
                LiveField::ActiveTension => per_tet
                    .as_deref()
                    .map(|t| auto_range(&mesh.tet_values(t), signed)),
                // Needs the positions: read back at most once a second, for the colour range only.
                _ => {
                    if self
                        .displacement_range
                        .is_none_or(|(when, _)| when.elapsed() > Duration::from_secs(1))
                    {
                        let x = sim.positions()?;
                        let d: Vec<f32> = mesh
                            .nodes
                            .iter()
                            .zip(&mesh.rest)
                            .map(|(&n, q)| (x[n as usize] - *q).length() as f32)
                            .collect();
                        self.displacement_range = Some((Instant::now(), auto_range(&d, signed)));
                    }
                    self.displacement_range.map(|(_, r)| r)
                }
            };
            return Ok(Frame {
                seq,
                time_ms: sim.time_ms(),
                field: self.field,
                surface: FrameSurface::Device(nodes),
                range,
                section,
                glyphs,
            });
        }
        let x = sim.positions()?;
        let positions: Vec<DVec3> = mesh.nodes.iter().map(|&n| x[n as usize]).collect();
        let values = match self.field {
            LiveField::Displacement => positions
                .iter()
                .zip(&mesh.rest)
                .map(|(p, q)| (*p - *q).length() as f32)
                .collect(),
            LiveField::ActivationTime => surface.activation.clone(),
            LiveField::VonMises | LiveField::FibreStress | LiveField::ActiveTension => {
                mesh.tet_values(per_tet.as_deref().unwrap_or(&[]))
            }
        };
        if let Some(i) = positions.iter().position(|p| !p.is_finite()) {
            return Err(Error::Invalid(format!(
                "the simulation became unstable at t = {:.1} ms: surface vertex {i} (node {}) has a \
                 non-finite position",
                sim.time_ms(),
                mesh.nodes[i]
            )));
        }
        let range = has_values(&values).then(|| auto_range(&values, signed));
        Ok(Frame {
            seq,
            time_ms: sim.time_ms(),
            field: self.field,
            surface: FrameSurface::Host { positions, values },
            range,
            section,
            glyphs,
        })
    }

    /// The cut face by `plane` of the current state (the GPU backend reads the positions back: the cut
    /// needs every node), valued by the field shown (`per_tet`: its values per tetrahedron, for the cell
    /// fields the CPU computes).
    fn section(
        &self,
        surface: &Surface,
        sim: &mut Simulation,
        plane: &ClipPlane,
        per_tet: Option<&[f64]>,
    ) -> Result<Section> {
        let x = sim.positions()?;
        let displacement: Vec<f64>;
        let values = match (self.field, per_tet) {
            (LiveField::Displacement, _) => {
                displacement = x
                    .iter()
                    .zip(&surface.rest)
                    .map(|(p, q)| (*p - *q).length())
                    .collect();
                SectionValues::Point(&displacement)
            }
            (LiveField::ActivationTime, _) => SectionValues::Cell(&surface.activation_tets),
            (_, Some(values)) => SectionValues::Cell(values),
            (_, None) => SectionValues::None,
        };
        Ok(section::cut(&surface.tets, x, plane, values))
    }
}

/// Whether any value is finite.
fn has_values(values: &[f32]) -> bool {
    values.iter().any(|v| v.is_finite())
}

/// The heart's surface as the simulation thread uses it, with what the cut face needs of the volume.
struct Surface {
    mesh: SurfaceMesh,
    activation: Vec<f32>,
    tets: Vec<[u32; 4]>,
    rest: Vec<DVec3>,
    activation_tets: Vec<f64>,
    glyph_sites: GlyphSites,
    /// The simulation runs on the window's device.
    shared: bool,
}

/// Why [`Worker::drive`] returned.
enum Drive {
    Reset,
    Failed(Error),
}
