//! The live viewer: its simulation thread without a window (runs, publishes the surface, pauses, changes
//! settings at the next beat, refuses bad ones, resets), and `cardiotwin view` in a real window under Xvfb
//! (frames of the heart, the screenshot of the heart and of the whole window, looked at pixel by pixel).

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cardiotwin::backend::BackendChoice;
use cardiotwin::heartbeat::Scenario;
use cardiotwin::heartbeat::simulation::Settings;
use cardiotwin::viewer::LiveField;
use cardiotwin::viewer::live::{
    Command, Frame, FrameSurface, LiveConfig, LiveSim, LiveSurface, Phase, Published,
};

fn quick_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/heartbeat/quick.toml")
}

/// Waits up to `limit` for `what` of the published state, failing with the last state.
/// Vertices of the surface the simulation thread published.
fn vertex_count(surface: &Mutex<Option<LiveSurface>>) -> usize {
    let surface = surface.lock().unwrap();
    surface.as_ref().expect("a surface").mesh.vertex_count()
}

fn wait_for(live: &LiveSim, limit: Duration, what: &str, ok: impl Fn(&Published) -> bool) {
    let start = Instant::now();
    loop {
        {
            let p = live.published();
            if ok(&p) {
                return;
            }
            if let Phase::Failed(e) = &p.phase {
                panic!("waiting for {what}: the simulation failed: {e}");
            }
            if start.elapsed() > limit {
                panic!(
                    "waiting for {what}: nothing after {limit:?}; phase {:?}, t = {:?} ms, settings {:?}, \
                     message {:?}",
                    p.phase,
                    p.frame.as_ref().map(|f| f.time_ms),
                    p.settings,
                    p.message
                );
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The positions and values of a frame computed on the CPU.
fn host(f: &Frame) -> (&[glam::DVec3], &[f32]) {
    match &f.surface {
        FrameSurface::Host { positions, values } => (positions, values),
        FrameSurface::Device(_) => panic!("a CPU simulation published a GPU frame"),
    }
}

/// Cuts the heart through its middle (normal y) and waits for a frame with the cut face; the plane.
fn cut_through_the_middle(
    live: &LiveSim,
    surface: &Mutex<Option<LiveSurface>>,
    limit: Duration,
) -> cardiotwin::render::ClipPlane {
    let plane = {
        let s = surface.lock().unwrap();
        let rest = &s.as_ref().unwrap().mesh.rest;
        let centre = rest.iter().sum::<glam::DVec3>() / rest.len() as f64;
        cardiotwin::render::ClipPlane::new(centre, glam::DVec3::Y)
    };
    live.send(Command::Cut(Some(plane)));
    wait_for(live, limit, "a frame with the cut face", |p| {
        p.frame
            .as_ref()
            .is_some_and(|f| f.section.as_ref().is_some_and(|s| s.triangles.len() > 10))
    });
    plane
}

fn time_ms(live: &LiveSim) -> f64 {
    live.published().time_ms
}

#[test]
fn the_live_simulation_runs_pauses_adjusts_at_the_next_beat_and_resets() {
    let scenario = Scenario::from_file(&quick_path()).unwrap();
    let bpm = scenario.heart_rate_bpm;
    let surface = Arc::new(Mutex::new(None::<LiveSurface>));
    let live = LiveSim::spawn(
        LiveConfig {
            scenario,
            backend: BackendChoice::Cpu,
            adapter: None,
            field: LiveField::ActiveTension,
            speed: 1.0,
            cache: None,
            device: None,
        },
        surface.clone(),
    );
    let limit = Duration::from_secs(180);
    // The speed is measured over at least 0.2 s of wall time: wait for it too.
    wait_for(&live, limit, "50 ms simulated at a measured speed", |p| {
        p.phase == Phase::Running
            && p.frame.as_ref().is_some_and(|f| f.time_ms > 50.0)
            && p.real_time_factor > 0.0
    });
    let vertices = vertex_count(&surface);
    {
        let p = live.published();
        let f = p.frame.as_ref().unwrap();
        let (positions, values) = host(f);
        assert_eq!(positions.len(), vertices);
        assert_eq!(values.len(), vertices);
        assert!(positions.iter().all(|x| x.is_finite()));
        let (lo, hi) = f.range.expect("a colour range");
        assert!(
            lo >= 0.0 && hi > lo && hi < 200.0,
            "active tension range {lo}..{hi} kPa"
        );
        assert!(!p.history.is_empty(), "no metrics history");
        assert_eq!(p.settings.unwrap().heart_rate_bpm, bpm);
        assert!(p.real_time_factor > 0.0 && p.real_time_factor <= 1.5);
    }

    // Another field: the next frame has it, displacement magnitudes (>= 0, not all zero after filling).
    live.send(Command::Field(LiveField::Displacement));
    wait_for(&live, limit, "a displacement frame", |p| {
        p.frame
            .as_ref()
            .is_some_and(|f| f.field == LiveField::Displacement)
    });
    {
        let p = live.published();
        let (_, v) = host(p.frame.as_ref().unwrap());
        assert!(v.iter().all(|x| x.is_finite() && *x >= 0.0));
        assert!(v.iter().any(|x| *x > 0.1), "the preloaded wall has moved");
    }

    // A cut: frames carry the cut face, valued by the field; none without the cut.
    let plane = cut_through_the_middle(&live, &surface, limit);
    {
        let p = live.published();
        let s = p.frame.as_ref().unwrap().section.clone().unwrap();
        assert!(s.values.iter().all(|v| v.is_finite() && *v >= 0.0));
        assert!(
            s.positions
                .iter()
                .all(|x| (x.y - plane.point.y).abs() < 1e-9)
        );
    }
    // Fibre glyphs: segments of the site length along the surface.
    live.send(Command::Fibres(true));
    wait_for(&live, limit, "a frame with fibre glyphs", |p| {
        p.frame
            .as_ref()
            .is_some_and(|f| f.glyphs.as_ref().is_some_and(|g| g.len() > 20))
    });
    live.send(Command::Fibres(false));
    live.send(Command::Cut(None));
    wait_for(
        &live,
        limit,
        "a frame without the cut face and glyphs",
        |p| {
            p.frame
                .as_ref()
                .is_some_and(|f| f.section.is_none() && f.glyphs.is_none())
        },
    );

    // Paused, time stands still.
    live.send(Command::Pause);
    wait_for(&live, limit, "paused", |p| p.phase == Phase::Paused);
    std::thread::sleep(Duration::from_millis(100));
    let t0 = time_ms(&live);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(time_ms(&live), t0, "time moved while paused");
    live.send(Command::Play);

    // A heart rate the twitch does not fit into is refused, with the reason.
    let refused = Settings {
        heart_rate_bpm: 400.0,
        contractility: 1.0,
        afterload: 1.0,
    };
    live.send(Command::Settings(refused));
    wait_for(&live, limit, "the refusal", |p| {
        p.message.as_ref().is_some_and(|m| m.contains("heart rate"))
    });

    // A valid change applies at the next beat, not before.
    let next = Settings {
        heart_rate_bpm: 60.0,
        contractility: 0.5,
        afterload: 1.2,
    };
    // The time is read before sending: the change cannot be scheduled earlier than it.
    let period = 60_000.0 / bpm;
    let asked_at = time_ms(&live);
    live.send(Command::Settings(next));
    wait_for(&live, limit, "the new settings", |p| {
        p.settings == Some(next)
    });
    let applied_at = time_ms(&live);
    let next_beat = (asked_at / period).floor() * period + period;
    assert!(
        applied_at >= next_beat - 1e-6,
        "applied at {applied_at:.1} ms, asked at {asked_at:.1} ms: before the beat at {next_beat:.1} ms"
    );

    // Reset: back to the start, with the scenario's settings.
    let before = time_ms(&live);
    live.send(Command::Reset);
    wait_for(&live, limit, "the reset", |p| {
        p.time_ms < before && p.settings.is_some_and(|s| s.heart_rate_bpm == bpm)
    });
}

#[test]
fn on_the_window_device_frames_stay_on_the_gpu_where_the_field_is_there() {
    let Some(ctx) = common::gpu("viewer::device") else {
        return;
    };
    let scenario = Scenario::from_file(&quick_path()).unwrap();
    let surface = Arc::new(Mutex::new(None::<LiveSurface>));
    let live = LiveSim::spawn(
        LiveConfig {
            scenario,
            backend: BackendChoice::Gpu,
            adapter: None,
            field: LiveField::ActiveTension,
            speed: 1.0,
            cache: None,
            device: Some(ctx.clone()),
        },
        surface.clone(),
    );
    let limit = Duration::from_secs(300);
    wait_for(&live, limit, "a GPU frame", |p| {
        p.frame
            .as_ref()
            .is_some_and(|f| matches!(f.surface, FrameSurface::Device(_)) && f.time_ms > 5.0)
    });
    assert!(surface.lock().unwrap().as_ref().unwrap().on_window_device);
    {
        let p = live.published();
        assert!(p.description.contains("window"), "{}", p.description);
        let f = p.frame.as_ref().unwrap();
        assert!(f.range.is_some_and(|(lo, hi)| hi > lo));
        // The buffers are the simulation's, on this device: as large as the heart's nodes and tets.
        let FrameSurface::Device(nodes) = &f.surface else {
            unreachable!()
        };
        assert_eq!(nodes.rest.size(), nodes.displacement.size());
        assert!(nodes.tension.size() >= 4);
    }
    // Stresses are computed on the CPU: those frames come back as positions and values.
    live.send(Command::Field(LiveField::VonMises));
    wait_for(&live, limit, "a von Mises frame", |p| {
        p.frame.as_ref().is_some_and(|f| {
            f.field == LiveField::VonMises && matches!(f.surface, FrameSurface::Host { .. })
        })
    });
    let (_, values) = {
        let p = live.published();
        let f = p.frame.clone().unwrap();
        let FrameSurface::Host { positions, values } = f.surface else {
            unreachable!()
        };
        (positions, values)
    };
    assert!(values.iter().all(|v| v.is_finite() && *v >= 0.0));
}

/// Fraction of pixels in `rect` (x0, y0, x1, y1) that are not `background` (within 8 levels).
fn coverage(img: &image::RgbaImage, rect: (u32, u32, u32, u32), background: [u8; 3]) -> f64 {
    let (x0, y0, x1, y1) = rect;
    let mut n = 0;
    let mut hit = 0;
    for y in y0..y1 {
        for x in x0..x1 {
            let p = img.get_pixel(x, y).0;
            n += 1;
            if (0..3).any(|k| p[k].abs_diff(background[k]) > 8) {
                hit += 1;
            }
        }
    }
    hit as f64 / n.max(1) as f64
}

#[test]
fn view_opens_a_window_draws_the_heart_and_takes_screenshots() {
    let Some((display, _xvfb)) = common::display::display_or_skip("viewer::window") else {
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("viewer-window");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let shot = dir.join("shot.png");
    let quick = quick_path();
    let out = common::cardiotwin(
        &[
            "view",
            quick.to_str().unwrap(),
            "--field",
            "activation_time",
            "--size",
            "960x640",
            "--exit-after-frames",
            "5",
            "--screenshot",
            shot.to_str().unwrap(),
            "--no-cache",
        ],
        &[("DISPLAY", display.as_str())],
    );
    assert!(out.status.success(), "{}", common::text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("with the heart"), "{stdout}");

    // The heart's picture: white background, the heart in the middle, the colour bar at the right.
    let heart = image::open(&shot).expect("the screenshot").to_rgba8();
    let (w, h) = heart.dimensions();
    let middle = coverage(&heart, (w / 4, h / 4, w / 2, 3 * h / 4), [255, 255, 255]);
    assert!(
        middle > 0.5,
        "the heart covers only {middle:.2} of the middle"
    );
    let corner = coverage(&heart, (0, 0, w / 10, h / 10), [255, 255, 255]);
    assert!(corner < 0.01, "the corner is not background: {corner:.2}");
    let bar = coverage(&heart, (w - w / 6, h / 5, w, 4 * h / 5), [255, 255, 255]);
    assert!(bar > 0.02, "no colour bar at the right: {bar:.3}");
    // Activation time is known everywhere before the first beat: coloured, not the grey of no value.
    let coloured = heart
        .pixels()
        .filter(|p| {
            let [r, g, b, _] = p.0;
            r.abs_diff(g) > 30 || g.abs_diff(b) > 30
        })
        .count();
    assert!(
        coloured as f64 > 0.05 * (w * h) as f64,
        "only {coloured} coloured pixels"
    );

    // The whole window: the controls' dark panel on the left, the white scene beside it.
    let window = image::open(dir.join("shot-window.png"))
        .expect("the window's screenshot")
        .to_rgba8();
    assert_eq!(window.dimensions(), (960, 640));
    let panel = coverage(&window, (0, 0, 150, 640), [255, 255, 255]);
    assert!(panel > 0.9, "no control panel on the left: {panel:.2}");
    let text_pixels = window
        .pixels()
        .take(640 * 960)
        .filter(|p| p.0[0] > 150 && p.0[0] < 255)
        .count();
    assert!(text_pixels > 100, "no text in the window");
}

#[test]
fn view_rejects_bad_options_with_the_reason() {
    for (args, want) in [
        (vec!["view", "--speed", "3"], "--speed"),
        (vec!["view", "--field", "pressure"], "no live field"),
        (vec!["view", "--size", "100x100"], "480x360"),
        (
            vec!["view", "/no/such/scenario.toml"],
            "/no/such/scenario.toml",
        ),
    ] {
        let out = common::cardiotwin(&args, &[("DISPLAY", "")]);
        assert!(!out.status.success(), "{args:?} succeeded");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn a_finished_run_is_played_back_with_its_pressure_volume_loop() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("viewer-replay-run");
    let _ = std::fs::remove_dir_all(&dir);
    let quick = quick_path();
    let out = common::cardiotwin(
        &[
            "-q",
            "run",
            quick.to_str().unwrap(),
            "--beats",
            "1",
            "--out",
            dir.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success(), "{}", common::text(&out));
    let surface = Arc::new(Mutex::new(None::<LiveSurface>));
    let live = LiveSim::replay(
        cardiotwin::viewer::replay::ReplayConfig {
            run: dir.clone(),
            field: LiveField::VonMises,
            speed: 1.0,
        },
        surface.clone(),
    );
    let limit = Duration::from_secs(60);
    // quick.toml: 75 bpm, a state every 100 ms: the beat's 8 states, then the metrics every 2 ms.
    wait_for(&live, limit, "200 ms of the beat with its metrics", |p| {
        p.replay && p.time_ms > 200.0 && p.history.len() > 50
    });
    {
        let p = live.published();
        assert!(p.description.contains("replay"), "{}", p.description);
        let f = p.frame.as_ref().unwrap();
        let (positions, values) = host(f);
        let n = vertex_count(&surface);
        assert_eq!(positions.len(), n);
        assert!(values.iter().all(|v| v.is_finite() && *v >= 0.0));
        // The metrics rows are the run's, in order.
        assert!(
            p.history
                .iter()
                .zip(p.history.iter().skip(1))
                .all(|(a, b)| b.time_s > a.time_s)
        );
        assert!((p.real_time_factor - 1.0).abs() < 1e-9);
    }
    // No live simulation: settings are refused with the reason.
    live.send(Command::Settings(Settings {
        heart_rate_bpm: 60.0,
        contractility: 1.0,
        afterload: 1.0,
    }));
    wait_for(&live, limit, "the refusal", |p| {
        p.message
            .as_ref()
            .is_some_and(|m| m.contains("live simulation"))
    });
    // A cut: the replayed state carries its cut face.
    cut_through_the_middle(&live, &surface, limit);
    // Paused: time stands still.
    live.send(Command::Pause);
    wait_for(&live, limit, "paused", |p| p.phase == Phase::Paused);
    let t0 = time_ms(&live);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(time_ms(&live), t0);
}
