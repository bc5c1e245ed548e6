//! The window of `cardiotwin view`: winit for the window and its events, egui for the controls and the
//! live plots, [`Renderer`] for the heart. The heart is drawn into an offscreen texture the size of the
//! central panel and shown there as an image, so egui owns the layout and the heart never hides behind a
//! panel; the colour bar is part of that picture (and of screenshots).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use egui_plot::{Legend, Line, Plot};
use winit::application::ApplicationHandler;
use winit::dpi::PhysicalSize;
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, ControlFlow};
use winit::window::{Window, WindowId};

use super::live::{
    Command, FrameSurface, LiveConfig, LiveField, LiveSim, LiveSurface, Phase, Published,
};
use super::replay::ReplayConfig;
use super::{ViewError, ViewOptions, ViewReport};
use crate::gpu::{Batch, GpuContext, Range, WindowSurface};
use crate::heartbeat::simulation::Settings;
use crate::render::gather::{GatherField, NodeState, SurfaceGather};
use crate::render::{
    Camera, ClipPlane, ColourMap, HeartAxes, Offscreen, Renderer, SurfaceMesh, View, ViewPreset,
    scene_aspect,
};

/// The scene texture's format: gamma-encoded bytes, what egui samples user textures as.
const SCENE_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;
/// Shortest time between two frames (a cap of 60 fps, so drawing leaves the CPU to the simulation).
const FRAME_INTERVAL: Duration = Duration::from_millis(16);

/// Where the wall is cut open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    Off,
    /// Across the long axis, at a fraction of the length from the apex; the basal part removed.
    ShortAxis,
    /// Along the long axis, through the centre, facing the camera: the near half removed.
    LongAxis,
}

/// The heart's picture: renderer, target texture and camera.
struct Scene {
    renderer: Renderer,
    /// Draws the simulation's GPU buffers when it runs on this device.
    gather: Option<SurfaceGather>,
    target: Option<(Offscreen, egui::TextureId)>,
    surface: SurfaceMesh,
    axes: HeartAxes,
    camera: Camera,
    preset: ViewPreset,
    /// The user has orbited, panned or zoomed since the last preset: a resize keeps their camera.
    moved: bool,
    /// Sequence number of the simulation frame uploaded last.
    uploaded: Option<u64>,
    /// Colour range of the frame uploaded last.
    range: Option<(f64, f64)>,
}

/// What the controls hold.
struct Controls {
    playing: bool,
    speed: f64,
    field: LiveField,
    auto_range: bool,
    range: Option<(f64, f64)>,
    cut: Cut,
    cut_at: f64,
    /// The plane last sent to the simulation.
    sent_plane: Option<Option<ClipPlane>>,
    fibres: bool,
    settings: Option<Settings>,
    screenshot_requested: bool,
    status: Option<String>,
}

struct Running {
    window: Arc<Window>,
    ctx: GpuContext,
    surface: WindowSurface,
    egui_ctx: egui::Context,
    egui_state: egui_winit::State,
    egui_renderer: egui_wgpu::Renderer,
    scene: Option<Scene>,
    /// The central panel's size in pixels, as laid out last frame.
    scene_size: (u32, u32),
}

/// The application: the window once it exists, the simulation and the controls.
pub struct App {
    options: ViewOptions,
    instance: Option<wgpu::Instance>,
    running: Option<Running>,
    /// The simulation, started once the window (and its device) exists.
    live: Option<LiveSim>,
    surface_slot: Arc<Mutex<Option<LiveSurface>>>,
    controls: Controls,
    /// Frames presented, and those with the heart on screen.
    pub frames: u64,
    pub heart_frames: u64,
    started: Instant,
    last_frame: Instant,
    frame_times: std::collections::VecDeque<Instant>,
    pub screenshots: Vec<PathBuf>,
    pub error: Option<ViewError>,
}

impl App {
    pub fn new(options: ViewOptions, instance: wgpu::Instance) -> App {
        let surface_slot = Arc::new(Mutex::new(None));
        let controls = Controls {
            playing: true,
            speed: options.speed,
            field: options.field,
            auto_range: options.range.is_none(),
            range: options.range,
            cut: match options.cut {
                None => Cut::Off,
                Some(crate::render::Cut::ShortAxis(_)) => Cut::ShortAxis,
                Some(crate::render::Cut::LongAxis(_)) => Cut::LongAxis,
            },
            cut_at: match options.cut {
                Some(crate::render::Cut::ShortAxis(f) | crate::render::Cut::LongAxis(f)) => f,
                None => 0.5,
            },
            sent_plane: None,
            fibres: options.fibres,
            settings: None,
            screenshot_requested: false,
            status: None,
        };
        App {
            options,
            instance: Some(instance),
            running: None,
            live: None,
            surface_slot,
            controls,
            frames: 0,
            heart_frames: 0,
            started: Instant::now(),
            last_frame: Instant::now() - FRAME_INTERVAL,
            frame_times: Default::default(),
            screenshots: Vec::new(),
            error: None,
        }
    }

    /// What the run did, for the command line.
    pub fn report(&self) -> ViewReport {
        let p = self.published();
        let elapsed = self.started.elapsed().as_secs_f64();
        ViewReport {
            frames: self.frames,
            heart_frames: self.heart_frames,
            seconds: elapsed,
            frames_per_s: self.fps(),
            simulated_ms: p.as_ref().map_or(0.0, |p| p.time_ms),
            real_time_factor: p.as_ref().map_or(0.0, |p| p.real_time_factor),
            phase: p
                .as_ref()
                .map_or("not started".into(), |p| format!("{:?}", p.phase)),
            screenshots: self.screenshots.clone(),
            description: p.map(|p| p.description).unwrap_or_default(),
        }
    }

    /// What the simulation published last (defaults before it started).
    fn published(&self) -> Option<Published> {
        self.live.as_ref().map(|l| l.published().clone())
    }

    fn fps(&self) -> f64 {
        match (self.frame_times.front(), self.frame_times.back()) {
            (Some(a), Some(b)) if self.frame_times.len() > 1 => {
                (self.frame_times.len() - 1) as f64 / b.duration_since(*a).as_secs_f64().max(1e-9)
            }
            _ => 0.0,
        }
    }

    fn fail(&mut self, event_loop: &ActiveEventLoop, e: ViewError) {
        self.error = Some(e);
        event_loop.exit();
    }

    fn open_window(&mut self, event_loop: &ActiveEventLoop) -> Result<(), ViewError> {
        let (w, h) = self.options.size;
        let attrs = Window::default_attributes()
            .with_title(match &self.options.replay {
                Some(run) => format!("cardiotwin: replay of {}", run.display()),
                None => format!("cardiotwin: {}", self.options.scenario.name),
            })
            .with_inner_size(PhysicalSize::new(w, h));
        let window = Arc::new(
            event_loop
                .create_window(attrs)
                .map_err(|e| ViewError::Window(e.to_string()))?,
        );
        let instance = self
            .instance
            .take()
            .ok_or_else(|| ViewError::Window("the window was opened twice".into()))?;
        let surface = instance
            .create_surface(window.clone())
            .map_err(|e| ViewError::Window(e.to_string()))?;
        let ctx = GpuContext::for_surface(instance, &surface)?;
        log::info!("window on {}", ctx.report.describe());
        let size = window.inner_size();
        let mut surface = WindowSurface::new(&ctx, surface, size.width, size.height)?;
        surface.prefer_non_srgb(&ctx);
        let egui_ctx = egui::Context::default();
        let egui_state = egui_winit::State::new(
            egui_ctx.clone(),
            egui::ViewportId::ROOT,
            &window,
            Some(window.scale_factor() as f32),
            None,
            Some(ctx.limits.max_texture_dimension_2d as usize),
        );
        let egui_renderer = egui_wgpu::Renderer::new(
            &ctx.device,
            surface.config.format,
            egui_wgpu::RendererOptions::default(),
        );
        window.request_redraw();
        let options = &self.options;
        self.live = Some(match &options.replay {
            Some(run) => LiveSim::replay(
                ReplayConfig {
                    run: run.clone(),
                    field: options.field,
                    speed: options.speed,
                },
                self.surface_slot.clone(),
            ),
            None => LiveSim::spawn(
                LiveConfig {
                    scenario: options.scenario.clone(),
                    backend: options.backend,
                    adapter: options.adapter.clone(),
                    field: options.field,
                    speed: options.speed,
                    cache: options.cache.clone(),
                    device: Some(ctx.clone()),
                },
                self.surface_slot.clone(),
            ),
        });
        if self.controls.fibres
            && let Some(live) = &self.live
        {
            live.send(Command::Fibres(true));
        }
        self.running = Some(Running {
            window,
            ctx,
            surface,
            egui_ctx,
            egui_state,
            egui_renderer,
            scene: None,
            scene_size: (w.max(64) * 2 / 3, h.max(64) * 2 / 3),
        });
        Ok(())
    }

    /// The scene, once the simulation has extracted the heart's surface.
    fn ensure_scene(&mut self) -> Result<(), ViewError> {
        let Some(run) = self.running.as_mut() else {
            return Ok(());
        };
        if run.scene.is_some() {
            return Ok(());
        }
        let Some(live) = self
            .surface_slot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        else {
            return Ok(());
        };
        let surface = live.mesh;
        // 4x multisampling on a hardware GPU; a software adapter draws 4-5 times faster without it.
        let hardware = crate::gpu::is_hardware(run.ctx.adapter.get_info().device_type);
        let mut renderer = Renderer::new(&run.ctx, SCENE_FORMAT, hardware)?;
        renderer.set_surface(&run.ctx, &surface)?;
        let gather = if live.on_window_device {
            Some(SurfaceGather::new(
                &run.ctx,
                &surface,
                Some(&live.activation),
            )?)
        } else {
            None
        };
        let axes = HeartAxes::of_points(&surface.rest);
        let aspect = scene_aspect(run.scene_size, true);
        let mut camera = Camera::preset(self.options.view, &axes, aspect);
        camera.fit_points(&surface.rest, aspect);
        run.scene = Some(Scene {
            renderer,
            gather,
            target: None,
            surface,
            axes,
            camera,
            preset: self.options.view,
            moved: false,
            uploaded: None,
            range: None,
        });
        Ok(())
    }

    /// Uploads the newest simulation frame (or gathers it on the GPU).
    fn upload(&mut self) -> Result<(), ViewError> {
        let Some(run) = self.running.as_mut() else {
            return Ok(());
        };
        let Some(scene) = run.scene.as_mut() else {
            return Ok(());
        };
        let Some(live) = self.live.as_ref() else {
            return Ok(());
        };
        let p = live.published();
        let Some(frame) = p.frame.as_ref() else {
            return Ok(());
        };
        if scene.uploaded == Some(frame.seq) || frame.field != self.controls.field {
            return Ok(());
        }
        match &frame.surface {
            FrameSurface::Host { positions, values } => {
                scene.renderer.update(&run.ctx, positions, values)?;
            }
            FrameSurface::Device(nodes) => {
                let Some(gather) = &scene.gather else {
                    return Err(ViewError::Simulation(
                        "a frame on the GPU without the gather kernel".into(),
                    ));
                };
                fn whole(b: &wgpu::Buffer) -> Range<'_> {
                    Range {
                        buffer: b,
                        offset: 0,
                        size: b.size(),
                    }
                }
                let field = match frame.field {
                    LiveField::Displacement => GatherField::DisplacementMagnitude,
                    LiveField::ActiveTension => GatherField::PerTet(whole(&nodes.tension)),
                    LiveField::ActivationTime => GatherField::Static,
                    LiveField::VonMises | LiveField::FibreStress => GatherField::None,
                };
                let mut batch = Batch::untimed(&run.ctx, "gather the heart's surface");
                gather.record(
                    &run.ctx,
                    &mut batch,
                    NodeState {
                        rest: whole(&nodes.rest),
                        displacement: whole(&nodes.displacement),
                        origin: nodes.origin,
                    },
                    field,
                    &scene.renderer,
                )?;
                batch.submit()?;
            }
        }
        scene
            .renderer
            .set_section(&run.ctx, frame.section.as_ref())?;
        scene
            .renderer
            .set_glyphs(&run.ctx, frame.glyphs.as_deref())?;
        scene.uploaded = Some(frame.seq);
        scene.range = frame.range;
        let range = frame.range;
        drop(p);
        if self.controls.auto_range
            && let Some(now) = range
        {
            // Widen only, while this field is shown: a steady scale the eye can compare across the beat.
            self.controls.range = Some(match self.controls.range {
                Some((lo, hi)) => (lo.min(now.0), hi.max(now.1)),
                None => now,
            });
        }
        Ok(())
    }

    /// One frame: controls, plots and the heart.
    fn redraw(&mut self, event_loop: &ActiveEventLoop) -> Result<(), ViewError> {
        self.ensure_scene()?;
        self.upload()?;
        let fps = self.fps();
        let Some(run) = self.running.as_mut() else {
            return Ok(());
        };
        let raw = run.egui_state.take_egui_input(&run.window);
        let mut commands = Vec::new();
        let mut quit = false;
        let mut scene_rect = None;
        let Some(published) = self.live.as_ref().map(|l| l.published().clone()) else {
            return Ok(());
        };
        let texture = run
            .scene
            .as_ref()
            .and_then(|s| s.target.as_ref().map(|(_, id)| *id));
        let controls = &mut self.controls;
        let scene = &mut run.scene;
        let output = run.egui_ctx.run_ui(raw, |ui| {
            shortcuts(ui, controls, scene.as_mut(), &mut commands, &mut quit);
            egui::Panel::left("controls")
                .default_size(270.0)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        control_panel(ui, controls, scene.as_mut(), &published, fps, &mut commands);
                    });
                });
            egui::Panel::bottom("plots")
                .resizable(true)
                .default_size(210.0)
                .show(ui, |ui| plots(ui, &published));
            egui::CentralPanel::no_frame().show(ui, |ui| {
                let rect = ui.available_rect_before_wrap();
                scene_rect = Some(rect);
                match (texture, scene.as_mut()) {
                    (Some(id), Some(scene)) => {
                        let response = ui.add(
                            egui::Image::new((id, rect.size()))
                                .sense(egui::Sense::click_and_drag()),
                        );
                        interact(ui, &response, scene);
                    }
                    _ => {
                        ui.centered_and_justified(|ui| {
                            ui.label(match &published.phase {
                                Phase::Failed(e) => format!("failed: {e}"),
                                _ => "building the heart...".to_string(),
                            });
                        });
                    }
                }
            });
        });
        // The cut face is computed by the simulation (it has every node): tell it where the plane is.
        if let Some(scene) = run.scene.as_ref() {
            let plane = self.controls.plane(scene);
            if self.controls.sent_plane != Some(plane) {
                self.controls.sent_plane = Some(plane);
                commands.push(Command::Cut(plane));
            }
        }
        if let Some(live) = &self.live {
            for c in commands {
                live.send(c);
            }
        }
        run.egui_state
            .handle_platform_output(&run.window, output.platform_output.clone());
        let ppp = output.pixels_per_point;
        if let Some(rect) = scene_rect {
            let w = (rect.width() * ppp).round().max(64.0) as u32;
            let h = (rect.height() * ppp).round().max(64.0) as u32;
            run.scene_size = (w, h);
        }

        // The heart into its texture (re-created when the panel's size changed).
        let mut encoder = run.ctx.device.create_command_encoder(&Default::default());
        let mut heart_drawn = false;
        // Where the whole window goes when this frame's screenshot is taken (`NAME-window.png`).
        let mut window_shot = None;
        if let Some(scene) = run.scene.as_mut() {
            let size = run.scene_size;
            if scene.target.as_ref().map(|(t, _)| t.size) != Some(size) {
                let target = Offscreen::with_format(&run.ctx, size, SCENE_FORMAT)?;
                let id = match scene.target.take() {
                    Some((_, id)) => {
                        run.egui_renderer.update_egui_texture_from_wgpu_texture(
                            &run.ctx.device,
                            target.view(),
                            wgpu::FilterMode::Linear,
                            id,
                        );
                        id
                    }
                    None => run.egui_renderer.register_native_texture(
                        &run.ctx.device,
                        target.view(),
                        wgpu::FilterMode::Linear,
                    ),
                };
                scene.target = Some((target, id));
                if !scene.moved {
                    set_preset(scene, scene.preset);
                }
            }
            if let (Some((target, _)), Some(view)) = (&scene.target, self.controls.view(scene)) {
                scene
                    .renderer
                    .draw(&run.ctx, &mut encoder, target.view(), size, &view)?;
                heart_drawn = true;
                if std::mem::take(&mut self.controls.screenshot_requested) {
                    // Recorded work first, then the picture read back from the same texture.
                    run.ctx.queue.submit([std::mem::replace(
                        &mut encoder,
                        run.ctx.device.create_command_encoder(&Default::default()),
                    )
                    .finish()]);
                    let image = target.render(&run.ctx, &mut scene.renderer, &view)?;
                    let path = self.options.screenshot.clone().unwrap_or_else(|| {
                        let secs = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map_or(0, |d| d.as_secs());
                        PathBuf::from(format!("cardiotwin-view-{secs}.png"))
                    });
                    crate::render::job::write_png(&path, &image)?;
                    window_shot = Some(window_path(&path));
                    self.controls.status = Some(format!("saved {}", path.display()));
                    log::info!("screenshot: {}", path.display());
                    self.screenshots.push(path);
                }
            }
        }

        // The controls over the window's frame.
        let Some(frame) = run.surface.acquire(&run.ctx)? else {
            return Ok(());
        };
        let frame_view = frame.texture.create_view(&Default::default());
        let screen = egui_wgpu::ScreenDescriptor {
            size_in_pixels: [run.surface.config.width, run.surface.config.height],
            pixels_per_point: ppp,
        };
        let jobs = run.egui_ctx.tessellate(output.shapes, ppp);
        for (id, deltas) in &output.textures_delta.set {
            for delta in deltas {
                run.egui_renderer
                    .update_texture(&run.ctx.device, &run.ctx.queue, *id, delta);
            }
        }
        let extra = run.egui_renderer.update_buffers(
            &run.ctx.device,
            &run.ctx.queue,
            &mut encoder,
            &jobs,
            &screen,
        );
        {
            let pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("controls"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: &frame_view,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color::WHITE),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            run.egui_renderer
                .render(&mut pass.forget_lifetime(), &jobs, &screen);
        }
        for id in &output.textures_delta.free {
            run.egui_renderer.free_texture(id);
        }
        run.ctx
            .queue
            .submit(extra.into_iter().chain([encoder.finish()]));
        if let Some(path) = window_shot
            && run.surface.can_copy()
        {
            let (w, h) = (frame.texture.width(), frame.texture.height());
            let buffer = run.ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("window screenshot"),
                size: u64::from((4 * w).next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT))
                    * u64::from(h),
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let image = crate::render::read_texture(&run.ctx, &frame.texture, &buffer)?;
            crate::render::job::write_png(&path, &image)?;
            self.screenshots.push(path);
        }
        run.window.pre_present_notify();
        run.ctx.queue.present(frame);
        run.ctx.check_errors("drawing a frame")?;

        self.frames += 1;
        if heart_drawn {
            self.heart_frames += 1;
        }
        let now = Instant::now();
        self.frame_times.push_back(now);
        while self
            .frame_times
            .front()
            .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(2))
        {
            self.frame_times.pop_front();
        }
        if let Some(n) = self.options.exit_after_frames
            && self.heart_frames >= n
        {
            if self.options.screenshot.is_some() && self.screenshots.is_empty() {
                // One more frame, with the screenshot.
                self.controls.screenshot_requested = true;
            } else {
                quit = true;
            }
        }
        if quit {
            event_loop.exit();
        }
        Ok(())
    }
}

impl Controls {
    /// The picture as the controls set it; `None` until there is a range to colour by.
    fn view(&self, scene: &Scene) -> Option<View> {
        let known = self.field.known();
        let range = self.range?;
        let map = if known.signed {
            ColourMap::BlueWhiteRed
        } else {
            ColourMap::Viridis
        };
        let mut view = View::new(scene.camera, map, range, known.label, known.unit);
        view.clip = self.plane(scene);
        Some(view)
    }

    /// The clipping plane of the cut chosen, for the scene's camera.
    fn plane(&self, scene: &Scene) -> Option<ClipPlane> {
        let cut = match self.cut {
            Cut::Off => return None,
            Cut::ShortAxis => crate::render::Cut::ShortAxis(self.cut_at),
            Cut::LongAxis => crate::render::Cut::LongAxis(self.cut_at),
        };
        cut.plane(&scene.axes, &scene.camera)
    }

    fn set_field(&mut self, field: LiveField, commands: &mut Vec<Command>) {
        if field != self.field {
            self.field = field;
            if self.auto_range {
                self.range = None;
            }
            commands.push(Command::Field(field));
        }
    }
}

/// Keyboard shortcuts (when no text field has the focus).
fn shortcuts(
    ui: &mut egui::Ui,
    controls: &mut Controls,
    scene: Option<&mut Scene>,
    commands: &mut Vec<Command>,
    quit: &mut bool,
) {
    use egui::Key;
    if ui.ctx().egui_wants_keyboard_input() {
        return;
    }
    let pressed = |k: Key| ui.input(|i| i.key_pressed(k));
    if pressed(Key::Space) {
        controls.playing = !controls.playing;
        commands.push(if controls.playing {
            Command::Play
        } else {
            Command::Pause
        });
    }
    if pressed(Key::R) {
        commands.push(Command::Reset);
        controls.settings = None;
        if controls.auto_range {
            controls.range = None;
        }
    }
    if pressed(Key::F) {
        let i = LiveField::ALL
            .iter()
            .position(|f| *f == controls.field)
            .unwrap_or(0);
        controls.set_field(LiveField::ALL[(i + 1) % LiveField::ALL.len()], commands);
    }
    if pressed(Key::C) {
        controls.cut = match controls.cut {
            Cut::Off => Cut::ShortAxis,
            Cut::ShortAxis => Cut::LongAxis,
            Cut::LongAxis => Cut::Off,
        };
    }
    if pressed(Key::S) {
        controls.screenshot_requested = true;
    }
    if pressed(Key::G) {
        controls.fibres = !controls.fibres;
        commands.push(Command::Fibres(controls.fibres));
    }
    if pressed(Key::Escape) || pressed(Key::Q) {
        *quit = true;
    }
    if let Some(scene) = scene {
        for (key, preset) in [Key::Num1, Key::Num2, Key::Num3, Key::Num4]
            .into_iter()
            .zip(ViewPreset::ALL)
        {
            if pressed(key) {
                set_preset(scene, preset);
            }
        }
    }
}

fn set_preset(scene: &mut Scene, preset: ViewPreset) {
    let aspect = scene
        .target
        .as_ref()
        .map_or(1.5, |(t, _)| scene_aspect(t.size, true));
    scene.camera = Camera::preset(preset, &scene.axes, aspect);
    scene.camera.fit_points(&scene.surface.rest, aspect);
    // Room for the heart to fill and move.
    scene.camera.zoom(1.0 / 1.15);
    scene.preset = preset;
    scene.moved = false;
}

/// Mouse on the heart: drag to orbit, right or middle drag (or shift-drag) to pan, wheel to zoom.
fn interact(ui: &egui::Ui, response: &egui::Response, scene: &mut Scene) {
    let height = response.rect.height().max(1.0) as f64;
    let d = response.drag_delta();
    let shift = ui.input(|i| i.modifiers.shift);
    if response.dragged() || (response.hovered() && ui.input(|i| i.smooth_scroll_delta.y != 0.0)) {
        scene.moved = true;
    }
    if response.dragged_by(egui::PointerButton::Primary) && !shift {
        scene.camera.orbit(
            -f64::from(d.x) / height * 3.0,
            f64::from(d.y) / height * 3.0,
        );
    } else if response.dragged_by(egui::PointerButton::Secondary)
        || response.dragged_by(egui::PointerButton::Middle)
        || (response.dragged_by(egui::PointerButton::Primary) && shift)
    {
        scene
            .camera
            .pan(f64::from(d.x) / height, -f64::from(d.y) / height);
    }
    if response.hovered() {
        let scroll = ui.input(|i| i.smooth_scroll_delta.y);
        if scroll != 0.0 {
            scene.camera.zoom((f64::from(scroll) * 0.002).exp());
        }
    }
}

/// The left panel.
fn control_panel(
    ui: &mut egui::Ui,
    controls: &mut Controls,
    mut scene: Option<&mut Scene>,
    published: &Published,
    fps: f64,
    commands: &mut Vec<Command>,
) {
    ui.heading("cardiotwin");
    if !published.description.is_empty() {
        ui.label(&published.description);
    }
    ui.separator();
    let time = published.time_ms;
    let since = published.phase_since.elapsed().as_secs();
    let phase = match &published.phase {
        Phase::Building => format!("building the heart ({since} s)"),
        Phase::Preloading => format!("filling the ventricle (preload, {since} s)"),
        Phase::Running if published.replay => "playing the run's last beat".to_string(),
        Phase::Running => "running".to_string(),
        Phase::Paused => "paused".to_string(),
        Phase::Failed(e) => format!("stopped: {e}"),
    };
    ui.label(phase);
    let period = published
        .settings
        .map_or(1000.0, |s| 60_000.0 / s.heart_rate_bpm);
    ui.label(format!(
        "t = {:.3} s   beat {}",
        time * 1e-3,
        (time / period).floor() as u64 + 1
    ));
    ui.label(if published.replay {
        format!("playback {:.2}x real time", published.real_time_factor)
    } else {
        format!(
            "speed {:.3}x real time   {:.0} steps/s",
            published.real_time_factor, published.steps_per_s
        )
    });
    ui.label(format!("{fps:.0} frames/s"));
    ui.separator();

    ui.horizontal(|ui| {
        let label = if controls.playing {
            "Pause (space)"
        } else {
            "Play (space)"
        };
        if ui.button(label).clicked() {
            controls.playing = !controls.playing;
            commands.push(if controls.playing {
                Command::Play
            } else {
                Command::Pause
            });
        }
        if ui.button("Reset (R)").clicked() {
            commands.push(Command::Reset);
            controls.settings = None;
            if controls.auto_range {
                controls.range = None;
            }
        }
    });
    let before = controls.speed;
    ui.add(
        egui::Slider::new(&mut controls.speed, 0.001..=1.0)
            .logarithmic(true)
            .text("target speed (x real time)"),
    );
    if controls.speed != before {
        commands.push(Command::Speed(controls.speed));
    }
    ui.separator();

    ui.label("Field (F)");
    let mut field = controls.field;
    egui::ComboBox::from_id_salt("field")
        .selected_text(field_text(field))
        .show_ui(ui, |ui| {
            for f in LiveField::ALL {
                ui.selectable_value(&mut field, f, field_text(f));
            }
        });
    controls.set_field(field, commands);
    if ui
        .checkbox(&mut controls.auto_range, "automatic range (widens)")
        .changed()
        && controls.auto_range
    {
        controls.range = None;
    }
    if let Some((lo, hi)) = controls.range.as_mut() {
        ui.horizontal(|ui| {
            let unit = controls.field.known().unit;
            let changed = ui
                .add(egui::DragValue::new(lo).speed(0.1).prefix("min "))
                .changed()
                | ui.add(egui::DragValue::new(hi).speed(0.1).prefix("max "))
                    .changed();
            ui.label(unit);
            if changed {
                controls.auto_range = false;
                if *hi <= *lo {
                    *hi = *lo + 1e-3;
                }
            }
        });
    }
    if ui.button("Fit range to this state").clicked()
        && let Some(range) = scene.as_deref().and_then(|s| s.range)
    {
        controls.range = Some(range);
        controls.auto_range = false;
    }
    ui.separator();

    ui.label("View (1-4)");
    ui.horizontal_wrapped(|ui| {
        for preset in ViewPreset::ALL {
            if ui.button(preset.name()).clicked()
                && let Some(scene) = scene.as_deref_mut()
            {
                set_preset(scene, preset);
            }
        }
    });
    ui.horizontal(|ui| {
        ui.label("Cut (C)");
        egui::ComboBox::from_id_salt("cut")
            .selected_text(cut_text(controls.cut))
            .show_ui(ui, |ui| {
                for c in [Cut::Off, Cut::ShortAxis, Cut::LongAxis] {
                    ui.selectable_value(&mut controls.cut, c, cut_text(c));
                }
            });
    });
    if controls.cut != Cut::Off {
        ui.add(egui::Slider::new(&mut controls.cut_at, 0.05..=0.95).text("position"));
    }
    if ui
        .checkbox(&mut controls.fibres, "fibre glyphs (G)")
        .changed()
    {
        commands.push(Command::Fibres(controls.fibres));
    }
    ui.separator();

    ui.label("Heart (from the next beat)");
    if let Some(current) = published.settings {
        let s = controls.settings.get_or_insert(current);
        let max = published.max_heart_rate_bpm.max(41.0).floor();
        ui.add(egui::Slider::new(&mut s.heart_rate_bpm, 40.0..=max).text("heart rate (bpm)"));
        ui.add(egui::Slider::new(&mut s.contractility, 0.2..=2.0).text("contractility (x)"));
        ui.add(egui::Slider::new(&mut s.afterload, 0.5..=2.0).text("afterload (x)"));
        let changed = *s != current;
        if ui
            .add_enabled(changed, egui::Button::new("Apply at next beat"))
            .clicked()
        {
            commands.push(Command::Settings(*s));
        }
        ui.label(format!(
            "now: {:.0} bpm, contractility {:.2}x, afterload {:.2}x",
            current.heart_rate_bpm, current.contractility, current.afterload
        ));
    } else if published.replay {
        ui.label("(a replay: these need a live simulation, `cardiotwin view SCENARIO`)");
    } else {
        ui.label("(once the preload is done)");
    }
    if let Some(m) = &published.message {
        ui.colored_label(egui::Color32::DARK_RED, m);
    }
    ui.separator();

    if ui.button("Screenshot (S)").clicked() {
        controls.screenshot_requested = true;
    }
    if let Some(s) = &controls.status {
        ui.label(s);
    }
    ui.collapsing("Mouse and keys", |ui| {
        ui.label(
            "drag: orbit   right/middle or shift-drag: pan   wheel: zoom\nspace: play/pause   R: reset   \
             F: next field   C: cut   G: fibres   1-4: views   S: screenshot   Q/Esc: quit",
        );
    });
}

/// `shot.png` -> `shot-window.png`: the whole window beside the heart's picture.
fn window_path(path: &std::path::Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map_or_else(|| "screenshot".into(), |s| s.to_string_lossy());
    path.with_file_name(format!("{stem}-window.png"))
}

fn field_text(f: LiveField) -> String {
    let k = f.known();
    format!("{} ({})", k.label, k.unit)
}

fn cut_text(c: Cut) -> &'static str {
    match c {
        Cut::Off => "off",
        Cut::ShortAxis => "short axis",
        Cut::LongAxis => "long axis",
    }
}

/// The bottom panel: the LV pressure-volume loop and the pressure traces of the last beats.
fn plots(ui: &mut egui::Ui, published: &Published) {
    let h = &published.history;
    let width = ui.available_width();
    let height = ui.available_height().max(120.0);
    ui.horizontal(|ui| {
        let pv: Vec<[f64; 2]> = h
            .iter()
            .map(|s| [s.lv_volume_ml, s.lv_pressure_mmhg])
            .collect();
        Plot::new("pv loop")
            .width((width * 0.4).max(150.0))
            .height(height)
            .x_axis_label("LV volume (mL)")
            .y_axis_label("LV pressure (mmHg)")
            .legend(Legend::default())
            .show(ui, |p| {
                p.line(Line::new("LV pressure-volume", pv));
            });
        let trace = |f: fn(&crate::heartbeat::simulation::Sample) -> f64| -> Vec<[f64; 2]> {
            h.iter().map(|s| [s.time_s, f(s)]).collect()
        };
        Plot::new("pressures")
            .width((width * 0.58).max(150.0))
            .height(height)
            .x_axis_label("time (s)")
            .y_axis_label("pressure (mmHg)")
            .legend(Legend::default())
            .show(ui, |p| {
                p.line(Line::new("LV", trace(|s| s.lv_pressure_mmhg)));
                p.line(Line::new("aorta", trace(|s| s.aortic_pressure_mmhg)));
                p.line(Line::new("LA", trace(|s| s.la_pressure_mmhg)));
            });
    });
}

impl ApplicationHandler for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.running.is_none()
            && let Err(e) = self.open_window(event_loop)
        {
            self.fail(event_loop, e);
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _: WindowId, event: WindowEvent) {
        let Some(run) = self.running.as_mut() else {
            return;
        };
        let response = run.egui_state.on_window_event(&run.window, &event);
        match event {
            WindowEvent::Resized(size) => {
                run.surface.resize(&run.ctx, size.width, size.height);
                run.window.request_redraw();
            }
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::RedrawRequested => {
                self.last_frame = Instant::now();
                if let Err(e) = self.redraw(event_loop) {
                    self.fail(event_loop, e);
                }
            }
            _ => {
                if response.repaint {
                    run.window.request_redraw();
                }
            }
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        let Some(run) = self.running.as_ref() else {
            return;
        };
        // Redraw when the simulation has a new state (or always, when counting frames for automation),
        // at most every FRAME_INTERVAL.
        let seq = self
            .live
            .as_ref()
            .and_then(|l| l.published().frame.as_ref().map(|f| f.seq));
        let uploaded = run.scene.as_ref().and_then(|s| s.uploaded);
        let wanted = self.options.exit_after_frames.is_some()
            || run.scene.is_none()
            || seq != uploaded
            || self.frames < 3;
        let next = self.last_frame + FRAME_INTERVAL;
        if wanted && Instant::now() >= next {
            run.window.request_redraw();
            event_loop.set_control_flow(ControlFlow::Poll);
        } else if wanted {
            event_loop.set_control_flow(ControlFlow::WaitUntil(next));
        } else {
            event_loop.set_control_flow(ControlFlow::WaitUntil(Instant::now() + FRAME_INTERVAL));
        }
    }
}
