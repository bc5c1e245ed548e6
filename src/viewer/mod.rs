//! `cardiotwin view`: the heart of a scenario beating live in a window, with controls.
//!
//! Data flow: [`live`] runs the simulation on its own thread (build, preload, step) and publishes the
//! latest state on the heart's surface and the metrics of the last beats; [`app`] draws whatever is newest
//! (the [`crate::render::Renderer`] for the heart, egui for the controls and the pressure-volume loop) and
//! sends the controls' commands back. Drawing never waits for the simulation: when the machine cannot
//! simulate in real time the heart beats slower, with the real-time factor on screen, and the window stays
//! responsive.
//!
//! `cardiotwin view RESULT_DIR` plays the last beat of a finished run instead, at real time ([`replay`]).
//!
//! For automation (tests, screenshots for reports): `--exit-after-frames N` closes the window after N
//! frames that showed the heart, `--screenshot PATH` writes the heart's picture (with its colour bar)
//! before closing.

pub mod app;
pub mod cache;
pub mod live;
pub mod replay;

use std::path::PathBuf;

use serde::Serialize;

pub use live::LiveField;

use crate::backend::BackendChoice;
use crate::heartbeat::Scenario;
use crate::render::ViewPreset;

/// What `cardiotwin view` opens.
#[derive(Debug, Clone)]
pub struct ViewOptions {
    pub scenario: Scenario,
    /// A finished run to play instead of simulating ([`replay`]): its output folder or `fields.pvd`.
    pub replay: Option<PathBuf>,
    pub backend: BackendChoice,
    pub adapter: Option<String>,
    pub field: LiveField,
    pub view: ViewPreset,
    /// Window size, pixels.
    pub size: (u32, u32),
    /// Target simulated time per wall time (1: real time, if the machine manages).
    pub speed: f64,
    /// Fixed colour range (default: automatic, widening as the beat goes on).
    pub range: Option<(f64, f64)>,
    pub exit_after_frames: Option<u64>,
    pub screenshot: Option<PathBuf>,
    /// Folder of the preload cache ([`cache`]; default [`cache::default_dir`]); `None`: always preload.
    pub cache: Option<PathBuf>,
    /// The cut to start with, and fibre glyphs on.
    pub cut: Option<crate::render::Cut>,
    pub fibres: bool,
}

/// What a viewing session did.
#[derive(Debug, Clone, Serialize)]
pub struct ViewReport {
    /// Frames presented, and those of them that showed the heart.
    pub frames: u64,
    pub heart_frames: u64,
    pub seconds: f64,
    /// Over the last two seconds.
    pub frames_per_s: f64,
    /// Simulated time of the last state shown, ms, and the simulation's real-time factor then.
    pub simulated_ms: f64,
    pub real_time_factor: f64,
    /// The simulation's state at the end (`Running`, `Failed(...)`, ...).
    pub phase: String,
    pub screenshots: Vec<PathBuf>,
    pub description: String,
}

/// Why the viewer could not run.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    #[error(
        "cannot open a window: {0}. Without a display run under Xvfb (`xvfb-run cardiotwin view`), or \
         use `cardiotwin render` for pictures"
    )]
    Window(String),
    #[error(transparent)]
    Gpu(#[from] crate::gpu::GpuError),
    #[error(transparent)]
    Render(#[from] crate::render::RenderError),
    #[error("the simulation stopped: {0}")]
    Simulation(String),
}

/// Opens the window and runs until it is closed (or `exit_after_frames`).
pub fn view(options: ViewOptions) -> Result<ViewReport, ViewError> {
    options
        .scenario
        .validate("(scenario)")
        .map_err(|e| ViewError::Simulation(e.to_string()))?;
    let event_loop = new_event_loop()?;
    let instance = crate::gpu::GpuContext::instance_for_display(event_loop.owned_display_handle());
    let automated = options.exit_after_frames.is_some();
    let mut app = app::App::new(options, instance);
    event_loop
        .run_app(&mut app)
        .map_err(|e| ViewError::Window(e.to_string()))?;
    if let Some(e) = app.error.take() {
        return Err(e);
    }
    let report = app.report();
    // Automation asked for frames of the heart: a simulation that failed before is an error, not a
    // screenshot of nothing.
    if automated && app.heart_frames == 0 {
        return Err(ViewError::Simulation(report.phase));
    }
    Ok(report)
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn new_event_loop() -> Result<winit::event_loop::EventLoop<()>, ViewError> {
    winit::event_loop::EventLoop::new().map_err(|e| ViewError::Window(e.to_string()))
}

#[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd")))]
fn new_event_loop() -> Result<winit::event_loop::EventLoop<()>, ViewError> {
    winit::event_loop::EventLoop::new().map_err(|e| ViewError::Window(e.to_string()))
}
