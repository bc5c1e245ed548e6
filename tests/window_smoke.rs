//! A real window: winit opens it (under a private Xvfb when no display is set), wgpu creates a device
//! compatible with its surface, and frames cleared to a known colour are presented; where the surface
//! allows copies, the last frame is read back and its pixels checked.
//!
//! `harness = false`: winit allows one event loop per process, created on the main thread.
//! Without a display and without Xvfb this prints a loud skip, or fails when
//! `CARDIOTWIN_REQUIRE_DISPLAY=1` (as in `.ci/run`).

mod common;

use std::sync::Arc;
use std::time::Instant;

use cardiotwin::gpu::{GpuContext, WindowSurface};
use winit::application::ApplicationHandler;
use winit::dpi::PhysicalSize;
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, EventLoop};
use winit::window::{Window, WindowId};

const FRAMES: u32 = 30;
const CLEAR: wgpu::Color = wgpu::Color {
    r: 0.8,
    g: 0.1,
    b: 0.3,
    a: 1.0,
};
// An odd width exercises the 256-byte row padding of texture copies.
const SIZE: (u32, u32) = (301, 200);

/// Uses `DISPLAY`, or starts a private Xvfb and points `DISPLAY` at it. `Ok(None)`: a display exists.
fn ensure_display() -> Result<Option<common::display::Xvfb>, String> {
    let (display, guard) = common::display::display()?;
    if guard.is_some() {
        // SAFETY: the test's main thread, before any other thread is started.
        unsafe { std::env::set_var("DISPLAY", display) };
    }
    Ok(guard)
}

struct App {
    instance: Option<wgpu::Instance>,
    state: Option<(Arc<Window>, GpuContext, WindowSurface)>,
    presented: u32,
    pixel_check: Option<Result<String, String>>,
    error: Option<String>,
}

impl ApplicationHandler for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.state.is_some() {
            return;
        }
        let result = (|| -> Result<_, String> {
            let attrs = Window::default_attributes()
                .with_title("cardiotwin window smoke test")
                .with_inner_size(PhysicalSize::new(SIZE.0, SIZE.1));
            let window = Arc::new(event_loop.create_window(attrs).map_err(|e| e.to_string())?);
            let instance = self.instance.take().ok_or("instance used twice")?;
            let surface = instance
                .create_surface(window.clone())
                .map_err(|e| e.to_string())?;
            let ctx = GpuContext::for_surface(instance, &surface).map_err(|e| e.to_string())?;
            eprintln!("window adapter: {}", ctx.report.describe());
            let size = window.inner_size();
            let surface = WindowSurface::new(&ctx, surface, size.width, size.height)
                .map_err(|e| e.to_string())?;
            Ok((window, ctx, surface))
        })();
        match result {
            Ok(s) => {
                s.0.request_redraw();
                self.state = Some(s);
            }
            Err(e) => {
                self.error = Some(e);
                event_loop.exit();
            }
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _: WindowId, event: WindowEvent) {
        let Some((window, ctx, surface)) = self.state.as_mut() else {
            return;
        };
        match event {
            WindowEvent::Resized(size) => surface.resize(ctx, size.width, size.height),
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::RedrawRequested => {
                match draw(ctx, surface, self.presented + 1 == FRAMES) {
                    Ok(Some(check)) => {
                        self.presented += 1;
                        if let Some(c) = check {
                            self.pixel_check = Some(c);
                        }
                    }
                    Ok(None) => {}
                    Err(e) => {
                        self.error = Some(e);
                        event_loop.exit();
                        return;
                    }
                }
                if self.presented >= FRAMES {
                    event_loop.exit();
                } else {
                    window.request_redraw();
                }
            }
            _ => {}
        }
    }
}

/// Clears a frame and presents it. `Ok(None)`: frame skipped. On the last frame, reads back the centre
/// pixel where the surface allows copies.
#[allow(clippy::type_complexity)]
fn draw(
    ctx: &GpuContext,
    surface: &mut WindowSurface,
    last: bool,
) -> Result<Option<Option<Result<String, String>>>, String> {
    let Some(frame) = surface.acquire(ctx).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let view = frame.texture.create_view(&Default::default());
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    {
        let _pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("clear"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: &view,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(CLEAR),
                    store: wgpu::StoreOp::Store,
                },
            })],
            depth_stencil_attachment: None,
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
    }
    let (w, h) = (frame.texture.width(), frame.texture.height());
    let row = (4 * w).next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT);
    let readback = (last && surface.can_copy()).then(|| {
        let buf = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("frame readback"),
            size: (row * h) as u64,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        encoder.copy_texture_to_buffer(
            frame.texture.as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: &buf,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(row),
                    rows_per_image: Some(h),
                },
            },
            frame.texture.size(),
        );
        buf
    });
    ctx.queue.submit([encoder.finish()]);
    ctx.queue.present(frame);
    ctx.sync("presenting a frame").map_err(|e| e.to_string())?;
    let Some(buf) = readback else {
        return Ok(Some(None));
    };
    let (tx, rx) = std::sync::mpsc::channel();
    buf.map_async(wgpu::MapMode::Read, .., move |r| {
        let _ = tx.send(r);
    });
    ctx.sync("reading the frame").map_err(|e| e.to_string())?;
    rx.recv()
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let data = buf.get_mapped_range(..).map_err(|e| e.to_string())?;
    let format = surface.config.format;
    let at = |x: u32, y: u32| -> [u8; 4] {
        let i = (y * row + 4 * x) as usize;
        let p = [data[i], data[i + 1], data[i + 2], data[i + 3]];
        match format {
            wgpu::TextureFormat::Bgra8Unorm | wgpu::TextureFormat::Bgra8UnormSrgb => {
                [p[2], p[1], p[0], p[3]]
            }
            _ => p,
        }
    };
    let srgb = format.is_srgb();
    let expect = |c: f64| -> u8 {
        let v = if srgb {
            if c <= 0.0031308 {
                12.92 * c
            } else {
                1.055 * c.powf(1.0 / 2.4) - 0.055
            }
        } else {
            c
        };
        (v * 255.0).round() as u8
    };
    let want = [expect(CLEAR.r), expect(CLEAR.g), expect(CLEAR.b)];
    let mut result = Ok(format!("{w}x{h} {format:?}: pixels {want:?}"));
    for (x, y) in [(w / 2, h / 2), (0, 0), (w - 1, h - 1)] {
        let got = at(x, y);
        if (0..3).any(|k| got[k].abs_diff(want[k]) > 2) {
            result = Err(format!(
                "pixel ({x}, {y}) is {got:?}, expected {want:?} ({format:?})"
            ));
            break;
        }
    }
    Ok(Some(Some(result)))
}

fn skip_or_fail(required: bool, why: String) -> ! {
    if required {
        eprintln!("window_smoke FAILED: {why}");
        std::process::exit(1);
    }
    eprintln!(
        "!!! SKIPPED window_smoke: {why} (CARDIOTWIN_REQUIRE_DISPLAY=1 makes this a failure)"
    );
    std::process::exit(0);
}

fn main() {
    use winit::platform::x11::EventLoopBuilderExtX11;
    let required = std::env::var("CARDIOTWIN_REQUIRE_DISPLAY").as_deref() == Ok("1");
    let _xvfb = match ensure_display() {
        Ok(x) => x,
        Err(e) => skip_or_fail(required, e),
    };
    let event_loop = match EventLoop::builder().with_any_thread(true).build() {
        Ok(l) => l,
        Err(e) => skip_or_fail(required, format!("no event loop: {e}")),
    };
    let instance = GpuContext::instance_for_display(event_loop.owned_display_handle());
    let mut app = App {
        instance: Some(instance),
        state: None,
        presented: 0,
        pixel_check: None,
        error: None,
    };
    let start = Instant::now();
    if let Err(e) = event_loop.run_app(&mut app) {
        eprintln!("window_smoke FAILED: event loop: {e}");
        std::process::exit(1);
    }
    let elapsed = start.elapsed();
    if let Some(e) = app.error {
        eprintln!("window_smoke FAILED: {e}");
        std::process::exit(1);
    }
    if app.presented < FRAMES {
        eprintln!(
            "window_smoke FAILED: presented {} of {FRAMES} frames",
            app.presented
        );
        std::process::exit(1);
    }
    match app.pixel_check {
        Some(Ok(msg)) => eprintln!("window_smoke: last frame read back, {msg}"),
        Some(Err(msg)) => {
            eprintln!("window_smoke FAILED: {msg}");
            std::process::exit(1);
        }
        None => eprintln!("window_smoke: this surface does not allow copies; pixels not checked"),
    }
    eprintln!(
        "window_smoke: {FRAMES} frames presented in {:.0} ms",
        elapsed.as_secs_f64() * 1e3
    );
    println!("1 passed, 0 failed");
}
