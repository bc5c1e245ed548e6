//! The renderer on whatever adapter exists (lavapipe in CI), checked by its pixels: the heart is visible
//! and centred, the colour map spans the range, lighting shades, the colour bar and its text are there,
//! the clipping plane removes what lies beyond it, a golden image matches, and `cardiotwin render` works
//! end to end on a tiny run and fails clearly on bad input. Small meshes and images, so it stays fast.

mod common;

use common::{cardiotwin, text};

use std::path::{Path, PathBuf};

use cardiotwin::TetMesh;
use cardiotwin::anatomy::arostica_ellipsoid::ArosticaEllipsoid;
use cardiotwin::gpu::GpuContext;
use cardiotwin::mesh::Field;
use cardiotwin::render::colour_bar;
use cardiotwin::render::{
    Camera, ClipPlane, ColourMap, HeartAxes, IMAGE_FORMAT, Offscreen, Renderer, ScalarField,
    SurfaceMesh, View, ViewPreset, scene_aspect, scene_viewport,
};
use glam::DVec3;
use image::RgbaImage;

const WHITE: [u8; 3] = [255, 255, 255];

/// The Aróstica ellipsoid (long axis x, apex at -x) at 5 mm, with a point field `height` = x (mm): linear
/// along the long axis, lowest at the apex.
fn ellipsoid() -> TetMesh {
    let mut mesh = ArosticaEllipsoid::with_element_size(5.0)
        .build()
        .expect("ellipsoid");
    let height: Vec<f64> = mesh.nodes().iter().map(|p| p[0]).collect();
    mesh.add_point_field(Field::new("height", 1, height))
        .expect("field");
    mesh
}

struct Scene {
    mesh: TetMesh,
    surface: SurfaceMesh,
    axes: HeartAxes,
    values: Vec<f32>,
}

impl Scene {
    fn new(mesh: TetMesh, field: &str) -> Scene {
        let surface = SurfaceMesh::extract(&mesh).expect("surface");
        let f = ScalarField::resolve(field, &mesh).expect("field");
        let values = surface.values(&mesh, &f).expect("values");
        let axes = HeartAxes::of_points(&surface.rest);
        Scene {
            mesh,
            surface,
            axes,
            values,
        }
    }

    /// A view fitted to the surface, from `preset`, colour bar on.
    fn view(
        &self,
        preset: ViewPreset,
        size: (u32, u32),
        map: ColourMap,
        range: (f64, f64),
    ) -> View {
        let aspect = scene_aspect(size, true);
        let mut camera = Camera::preset(preset, &self.axes, aspect);
        camera.fit_points(&self.surface.rest, aspect);
        View::new(camera, map, range, "height", "mm")
    }

    fn render(&self, ctx: &GpuContext, size: (u32, u32), view: &View) -> RgbaImage {
        self.render_with(ctx, size, view, true)
    }

    fn render_with(
        &self,
        ctx: &GpuContext,
        size: (u32, u32),
        view: &View,
        multisample: bool,
    ) -> RgbaImage {
        let mut renderer = Renderer::new(ctx, IMAGE_FORMAT, multisample).expect("renderer");
        renderer.set_surface(ctx, &self.surface).expect("surface");
        let positions = self.surface.positions(&self.mesh).expect("positions");
        renderer
            .update(ctx, &positions, &self.values)
            .expect("update");
        let target = Offscreen::new(ctx, size).expect("target");
        target.render(ctx, &mut renderer, view).expect("render")
    }
}

/// With `CARDIOTWIN_RENDER_DUMP=DIR`, writes `img` to `DIR/name.png`, to look at what the tests see.
fn dump(name: &str, img: &RgbaImage) {
    if let Some(dir) = std::env::var_os("CARDIOTWIN_RENDER_DUMP") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("dump folder");
        cardiotwin::render::job::write_png(&dir.join(format!("{name}.png")), img).expect("dump");
    }
}

fn rgb(img: &RgbaImage, x: u32, y: u32) -> [u8; 3] {
    let p = img.get_pixel(x, y).0;
    [p[0], p[1], p[2]]
}

fn differs(a: [u8; 3], b: [u8; 3], tol: u8) -> bool {
    (0..3).any(|k| a[k].abs_diff(b[k]) > tol)
}

/// Pixels of the scene viewport that are not background: count, bounding box (x0, y0, x1, y1 inclusive)
/// and centroid, in viewport-relative fractions for the last two.
struct Coverage {
    count: usize,
    bbox: [f64; 4],
    centroid: (f64, f64),
}

fn coverage(img: &RgbaImage, with_bar: bool) -> Coverage {
    let v = scene_viewport(img.dimensions(), with_bar);
    let (w, h) = (
        f64::from(v.x.end - v.x.start),
        f64::from(v.y.end - v.y.start),
    );
    let (mut n, mut sx, mut sy) = (0usize, 0.0, 0.0);
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for y in v.y.clone() {
        for x in v.x.clone() {
            if differs(rgb(img, x, y), WHITE, 8) {
                let (fx, fy) = (f64::from(x - v.x.start) / w, f64::from(y - v.y.start) / h);
                n += 1;
                sx += fx;
                sy += fy;
                b = [b[0].min(fx), b[1].min(fy), b[2].max(fx), b[3].max(fy)];
            }
        }
    }
    Coverage {
        count: n,
        bbox: b,
        centroid: (sx / n.max(1) as f64, sy / n.max(1) as f64),
    }
}

#[test]
fn the_heart_is_visible_centred_and_base_up() {
    let Some(ctx) = common::gpu("render::visible") else {
        return;
    };
    let scene = Scene::new(ellipsoid(), "height");
    let size = (320, 240);
    let mut view = scene.view(
        ViewPreset::Anterior,
        size,
        ColourMap::Viridis,
        (-97.0, 26.5),
    );
    view.ambient = 1.0;
    let img = scene.render(&ctx, size, &view);
    dump("visible_unlit", &img);
    let c = coverage(&img, true);
    let v = scene_viewport(size, true);
    let area = ((v.x.end - v.x.start) * (v.y.end - v.y.start)) as usize;
    eprintln!(
        "covered {} of {area} px, bbox {:?}, centroid {:?}",
        c.count, c.bbox, c.centroid
    );
    assert!(c.count > area / 10, "the heart covers {} px", c.count);
    let (cx, cy) = (0.5 * (c.bbox[0] + c.bbox[2]), 0.5 * (c.bbox[1] + c.bbox[3]));
    assert!(
        (cx - 0.5).abs() < 0.08 && (cy - 0.5).abs() < 0.08,
        "bbox centre ({cx}, {cy})"
    );
    assert!(
        (c.centroid.0 - 0.5).abs() < 0.1 && (c.centroid.1 - 0.5).abs() < 0.15,
        "centroid {:?}",
        c.centroid
    );
    // The long axis runs up the picture and nearly fills its height; the ventricle is narrower than tall.
    assert!(c.bbox[3] - c.bbox[1] > 0.8, "height {:?}", c.bbox);
    let aspect = scene_aspect(size, true);
    assert!(
        (c.bbox[2] - c.bbox[0]) * aspect < 0.6 * (c.bbox[3] - c.bbox[1]),
        "{:?}",
        c.bbox
    );
    // Base up: the top of the heart is bright (high x: yellow end), the apex at the bottom dark.
    let column = v.x.start + ((v.x.end - v.x.start) as f64 * cx) as u32;
    let rows: Vec<u32> =
        v.y.clone()
            .filter(|&y| differs(rgb(&img, column, y), WHITE, 8))
            .collect();
    let top = rgb(&img, column, rows[2]);
    let bottom = rgb(&img, column, rows[rows.len() - 3]);
    let luma = |p: [u8; 3]| 0.2126 * p[0] as f64 + 0.7152 * p[1] as f64 + 0.0722 * p[2] as f64;
    assert!(
        luma(top) > luma(bottom) + 80.0,
        "top {top:?}, bottom {bottom:?}"
    );
}

#[test]
fn the_colour_map_spans_the_range() {
    let Some(ctx) = common::gpu("render::colour_map") else {
        return;
    };
    let scene = Scene::new(ellipsoid(), "height");
    let size = (320, 240);
    // The range inside the field's (-97 to 26.5 mm): both ends clamp, so both end colours cover areas.
    let range = (-80.0, 10.0);
    for map in [ColourMap::Viridis, ColourMap::BlueWhiteRed] {
        let mut view = scene.view(ViewPreset::Anterior, size, map, range);
        view.ambient = 1.0;
        view.colour_bar = None;
        let img = scene.render(&ctx, size, &view);
        dump(&format!("map_{}", map.name()), &img);
        let count = |c: [u8; 3]| {
            img.pixels()
                .filter(|p| !differs([p[0], p[1], p[2]], c, 3))
                .count()
        };
        let (lo, mid, hi) = (map.sample_u8(0.0), map.sample_u8(0.5), map.sample_u8(1.0));
        let (n_lo, n_mid, n_hi) = (count(lo), count(mid), count(hi));
        eprintln!("{map:?}: low end {n_lo} px, middle {n_mid} px, high end {n_hi} px");
        assert!(n_lo > 100 && n_hi > 100, "{map:?}: {n_lo} low, {n_hi} high");
        // The middle of the map appears too (a band across the ventricle).
        assert!(n_mid > 5, "{map:?}: {n_mid} mid");
    }
    // The same field over the full range: a different picture (the range is applied).
    let mut a = scene.view(ViewPreset::Anterior, size, ColourMap::Viridis, range);
    a.ambient = 1.0;
    let mut b = a.clone();
    b.range = (-97.0, 26.5);
    let (ia, ib) = (scene.render(&ctx, size, &a), scene.render(&ctx, size, &b));
    assert!(mean_abs_diff(&ia, &ib) > 1.0);
}

#[test]
fn lambert_lighting_shades_and_ambient_one_does_not() {
    let Some(ctx) = common::gpu("render::lighting") else {
        return;
    };
    let mut mesh = ellipsoid();
    let n = mesh.tet_count();
    mesh.add_cell_field(Field::new("uniform", 1, vec![5.0; n]))
        .unwrap();
    let scene = Scene::new(mesh, "uniform");
    assert!(scene.values.iter().all(|&v| (v - 5.0).abs() < 1e-6));
    let size = (240, 180);
    let mut view = scene.view(ViewPreset::Anterior, size, ColourMap::Viridis, (0.0, 10.0));
    view.colour_bar = None;
    let luma = |img: &RgbaImage| -> Vec<f64> {
        img.pixels()
            .filter(|p| differs([p[0], p[1], p[2]], WHITE, 8))
            .map(|p| 0.2126 * p[0] as f64 + 0.7152 * p[1] as f64 + 0.0722 * p[2] as f64)
            .collect()
    };
    let lit_img = scene.render(&ctx, size, &view);
    dump("uniform_lit", &lit_img);
    let lit = luma(&lit_img);
    view.ambient = 1.0;
    let flat_img = scene.render(&ctx, size, &view);
    let flat = luma(&flat_img);
    let spread = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v[v.len() * 95 / 100] - v[v.len() * 5 / 100]
    };
    eprintln!(
        "luminance spread: lit {:.1}, unlit {:.1}",
        spread(&lit),
        spread(&flat)
    );
    assert!(spread(&lit) > 25.0, "lit spread {}", spread(&lit));
    assert!(spread(&flat) < 2.0, "unlit spread {}", spread(&flat));
    let mid = ColourMap::Viridis.sample_u8(0.5);
    let exact = flat_img
        .pixels()
        .filter(|p| !differs([p[0], p[1], p[2]], mid, 2))
        .count();
    assert!(
        exact as f64 > 0.9 * flat.len() as f64,
        "{exact} of {}",
        flat.len()
    );
}

#[test]
fn the_colour_bar_shows_the_map_and_labels() {
    let Some(ctx) = common::gpu("render::colour_bar") else {
        return;
    };
    let scene = Scene::new(ellipsoid(), "height");
    let size = (320, 240);
    let view = scene.view(
        ViewPreset::Anterior,
        size,
        ColourMap::Viridis,
        (-97.0, 26.5),
    );
    let img = scene.render(&ctx, size, &view);
    let layout = colour_bar::layout(size);
    let x = (layout.bar.x.start + layout.bar.x.end) / 2;
    let (y0, y1) = (layout.bar.y.start, layout.bar.y.end);
    let h = f64::from(y1 - y0);
    for y in y0..y1 {
        let want = ColourMap::Viridis.sample_u8(1.0 - (f64::from(y - y0) + 0.5) / h);
        let got = rgb(&img, x, y);
        assert!(
            !differs(got, want, 2),
            "bar row {y}: {got:?}, expected {want:?}"
        );
    }
    // The frame around the bar, and text: dark pixels right of the bar (tick labels) and above it
    // (title and unit).
    assert!(
        differs(rgb(&img, x, y0 - 1), WHITE, 100),
        "no frame above the bar"
    );
    let dark = |xs: std::ops::Range<u32>, ys: std::ops::Range<u32>| {
        let mut n = 0;
        for yy in ys {
            for xx in xs.clone() {
                // Anti-aliased text: count clearly inked pixels.
                if differs(rgb(&img, xx, yy), WHITE, 100) {
                    n += 1;
                }
            }
        }
        n
    };
    let labels = dark(layout.bar.x.end + 3..size.0, y0..y1);
    let title = dark(layout.panel.x.start..size.0, 0..y0 - 2);
    eprintln!("text pixels: labels {labels}, title {title}");
    assert!(labels > 60, "tick labels: {labels} dark pixels");
    assert!(title > 40, "title: {title} dark pixels");
    // Without the bar, the panel's place is background (the heart moves to the middle of the target).
    let mut bare = view.clone();
    bare.colour_bar = None;
    let img = scene.render(&ctx, size, &bare);
    let p = rgb(&img, x, (y0 + y1) / 2);
    assert!(!differs(p, WHITE, 8), "{p:?}");
}

#[test]
fn the_clipping_plane_removes_what_lies_beyond_it() {
    let Some(ctx) = common::gpu("render::clip") else {
        return;
    };
    let scene = Scene::new(ellipsoid(), "height");
    let size = (320, 240);
    let mut view = scene.view(
        ViewPreset::Anterior,
        size,
        ColourMap::Viridis,
        (-97.0, 26.5),
    );
    view.colour_bar = None;
    let v = scene_viewport(size, false);
    let half = |img: &RgbaImage, right: bool| {
        let mid = (v.x.start + v.x.end) / 2;
        let xs = if right {
            mid + 8..v.x.end
        } else {
            v.x.start..mid - 8
        };
        let mut n = 0;
        for y in v.y.clone() {
            for x in xs.clone() {
                if differs(rgb(img, x, y), WHITE, 8) {
                    n += 1;
                }
            }
        }
        n
    };
    let whole = scene.render(&ctx, size, &view);
    // Through the centre, removing the half on the screen's right.
    view.clip = Some(ClipPlane::new(scene.axes.centre, view.camera.right()));
    let clipped = scene.render(&ctx, size, &view);
    dump("clip_right_half", &clipped);
    let (l0, r0, l1, r1) = (
        half(&whole, false),
        half(&whole, true),
        half(&clipped, false),
        half(&clipped, true),
    );
    eprintln!("left/right pixels: whole {l0}/{r0}, clipped {l1}/{r1}");
    assert!(r0 > 1000 && l0 > 1000);
    assert!(r1 < r0 / 50, "right half after clipping: {r1} of {r0}");
    assert!(
        l1 as f64 > 0.9 * l0 as f64,
        "left half after clipping: {l1} of {l0}"
    );
    // A short-axis cut removing the base: the top of the picture goes, the apex stays.
    let mut sa = view.clone();
    sa.clip = Some(ClipPlane::short_axis(&scene.axes, 0.5));
    let img = scene.render(&ctx, size, &sa);
    dump("clip_short_axis", &img);
    let c_all = coverage(&whole, false);
    let c_sa = coverage(&img, false);
    eprintln!("short-axis cut: bbox {:?} -> {:?}", c_all.bbox, c_sa.bbox);
    assert!(c_sa.bbox[1] > c_all.bbox[1] + 0.25, "{:?}", c_sa.bbox);
    assert!(
        (c_sa.bbox[3] - c_all.bbox[3]).abs() < 0.02,
        "{:?}",
        c_sa.bbox
    );
}

/// Mean over pixels and the three colour channels of |a - b|, in 8-bit levels.
fn mean_abs_diff(a: &RgbaImage, b: &RgbaImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let sum: u64 = a
        .pixels()
        .zip(b.pixels())
        .map(|(p, q)| (0..3).map(|k| u64::from(p[k].abs_diff(q[k]))).sum::<u64>())
        .sum();
    sum as f64 / (3 * a.width() * a.height()) as f64
}

/// The golden image's tolerance: mean absolute difference per channel, 8-bit levels. See
/// tests/data/render/README.md for why.
const GOLDEN_TOLERANCE: f64 = 1.5;

fn golden_view(scene: &Scene) -> View {
    scene.view(
        ViewPreset::Anterior,
        GOLDEN_SIZE,
        ColourMap::Viridis,
        (-97.0, 26.5),
    )
}

const GOLDEN_SIZE: (u32, u32) = (256, 192);

#[test]
fn a_golden_image_matches() {
    let Some(ctx) = common::gpu("render::golden") else {
        return;
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/render/golden_ellipsoid.png");
    let scene = Scene::new(ellipsoid(), "height");
    let view = golden_view(&scene);
    let img = scene.render(&ctx, GOLDEN_SIZE, &view);
    if std::env::var("CARDIOTWIN_UPDATE_GOLDEN").as_deref() == Ok("1") {
        cardiotwin::render::job::write_png(&path, &img).expect("write golden");
        eprintln!("!!! wrote {}: look at it before committing", path.display());
    }
    let golden = image::open(&path)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (CARDIOTWIN_UPDATE_GOLDEN=1 writes it)",
                path.display()
            )
        })
        .into_rgba8();
    let d = mean_abs_diff(&img, &golden);
    eprintln!(
        "golden image: mean abs diff {d:.3} levels per channel (tolerance {GOLDEN_TOLERANCE})"
    );
    if d > GOLDEN_TOLERANCE {
        let out = std::env::temp_dir().join("cardiotwin-golden-actual.png");
        let _ = cardiotwin::render::job::write_png(&out, &img);
        panic!(
            "differs from {} by {d:.3} > {GOLDEN_TOLERANCE}; this render: {}",
            path.display(),
            out.display()
        );
    }
    // What a rasteriser's edge handling can change, at most: the same picture without multisampling.
    let aliased = mean_abs_diff(&scene.render_with(&ctx, GOLDEN_SIZE, &view, false), &golden);
    eprintln!("  without multisampling: {aliased:.3}");
    assert!(
        aliased < GOLDEN_TOLERANCE,
        "edge differences alone exceed the tolerance"
    );
    // The comparison can fail: small, plausible mistakes exceed the tolerance.
    // (Tilted, not turned about the long axis: the ellipsoid is a body of revolution.)
    let mut turned = view.clone();
    turned.camera.orbit(0.0, 8f64.to_radians());
    let mut shifted = view.clone();
    shifted.camera.pan(0.03, 0.0);
    let mut other_map = view.clone();
    other_map.map = ColourMap::BlueWhiteRed;
    let mut unlit = view.clone();
    unlit.ambient = 1.0;
    for (what, v) in [
        ("camera tilted 8 degrees", turned),
        ("picture shifted 3 %", shifted),
        ("diverging map", other_map),
        ("no lighting", unlit),
    ] {
        let d = mean_abs_diff(&scene.render(&ctx, GOLDEN_SIZE, &v), &golden);
        eprintln!("  {what}: {d:.3}");
        assert!(
            d > 2.0 * GOLDEN_TOLERANCE,
            "{what}: only {d:.3} from the golden image"
        );
    }
}

#[test]
fn window_surface_formats_give_the_same_picture() {
    // A window's frames are BGRA, sRGB or not (then the shader encodes): the golden picture must come
    // out of each.
    let Some(ctx) = common::gpu("render::formats") else {
        return;
    };
    let scene = Scene::new(ellipsoid(), "height");
    let view = golden_view(&scene);
    let reference = scene.render(&ctx, GOLDEN_SIZE, &view);
    for format in [
        wgpu::TextureFormat::Bgra8UnormSrgb,
        wgpu::TextureFormat::Bgra8Unorm,
        wgpu::TextureFormat::Rgba8Unorm,
    ] {
        let mut renderer = Renderer::new(&ctx, format, true).expect("renderer");
        renderer.set_surface(&ctx, &scene.surface).unwrap();
        let positions = scene.surface.positions(&scene.mesh).unwrap();
        renderer.update(&ctx, &positions, &scene.values).unwrap();
        let target = Offscreen::with_format(&ctx, GOLDEN_SIZE, format).unwrap();
        let img = target.render(&ctx, &mut renderer, &view).unwrap();
        let d = mean_abs_diff(&img, &reference);
        eprintln!("{format:?}: {d:.3} levels from Rgba8UnormSrgb");
        assert!(d < 0.5, "{format:?}: {d}");
    }
    // A renderer and a target that disagree are an error, not a validation panic.
    let mut renderer = Renderer::new(&ctx, IMAGE_FORMAT, false).unwrap();
    renderer.set_surface(&ctx, &scene.surface).unwrap();
    let target = Offscreen::with_format(&ctx, (200, 150), wgpu::TextureFormat::Bgra8Unorm).unwrap();
    assert!(target.render(&ctx, &mut renderer, &view).is_err());
}

// ---- the command line ----

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cardiotwin-render-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_render_command_draws_a_run() {
    if common::gpu("render::command").is_none() {
        return;
    }
    let dir = tempdir("run");
    let run = dir.join("run");
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/heartbeat/quick.toml"
    );
    let o = cardiotwin(
        &[
            "-q",
            "run",
            scenario,
            "--beats",
            "1",
            "--out",
            run.to_str().unwrap(),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let r = run.to_str().unwrap();

    // A still of von Mises stress, then the same opened along the long axis: the cut face shows the
    // stress through the wall, a different picture.
    let still = |out: &Path, extra: &[&str]| {
        let mut args = vec![
            "render",
            r,
            "--field",
            "von_mises",
            "--time",
            "0.3",
            "--size",
            "320x240",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        cardiotwin(&args, &[])
    };
    let png = dir.join("vm.png");
    let o = still(&png, &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("t = 0.300 s"), "{}", text(&o));
    let img = image::open(&png).expect("PNG readable").into_rgba8();
    assert_eq!(img.dimensions(), (320, 240));
    assert!(coverage(&img, true).count > 2000);
    let cut = dir.join("vm_cut.png");
    let o = still(&cut, &["--cut", "long-axis"]);
    assert!(o.status.success(), "{}", text(&o));
    let opened = image::open(&cut).expect("PNG readable").into_rgba8();
    assert!(coverage(&opened, true).count > 1000);
    assert!(mean_abs_diff(&img, &opened) > 1.0);
    // Bad cuts are refused with the reason.
    for (bad, want) in [
        ("sideways", "use short-axis or long-axis"),
        ("short-axis:2", "from 0 to 1"),
    ] {
        let o = still(&cut, &["--cut", bad]);
        assert!(!o.status.success());
        assert!(text(&o).contains(want), "{}", text(&o));
    }

    let gif = dir.join("fs.gif");
    let o = cardiotwin(
        &[
            "render",
            r,
            "--field",
            "fibre_stress",
            "--beat-animation",
            "--view",
            "long-axis",
            "--size",
            "200x150",
            "--range=-100,100",
            "--out",
            gif.to_str().unwrap(),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    use image::AnimationDecoder;
    let decoder = image::codecs::gif::GifDecoder::new(std::io::BufReader::new(
        std::fs::File::open(&gif).unwrap(),
    ))
    .expect("GIF readable");
    let frames = decoder.into_frames().collect_frames().expect("frames");
    // quick.toml: 75 bpm (0.8 s), a state every 100 ms: 8 states in the beat.
    assert_eq!(frames.len(), 8, "{}", text(&o));
    assert_eq!(frames[0].buffer().dimensions(), (200, 150));
    let (n, d) = frames[0].delay().numer_denom_ms();
    assert_eq!(n / d, 100);
    // The heart moves: frames differ.
    assert!(mean_abs_diff(frames[0].buffer(), frames[3].buffer()) > 0.5);

    // A lone state file, and a mesh that is no run at all (a raw array as the field).
    let vtu = run.join("fields/000000.vtu");
    let o = cardiotwin(
        &[
            "render",
            vtu.to_str().unwrap(),
            "--field",
            "activation_time_ms",
            "--view",
            "short-axis",
            "--size",
            "200x150",
            "--out",
            dir.join("at.png").to_str().unwrap(),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));

    // Bad input: exit code 1, a message that says what to do, never a panic.
    let out = dir.join("x.png");
    let out = out.to_str().unwrap();
    let missing = dir.join("missing");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    for (args, expect) in [
        (
            vec!["render", r, "--field", "pressure", "--out", out],
            "fields present: displacement, von_mises, fibre_stress, activation_time, active_tension",
        ),
        (
            vec![
                "render",
                missing.to_str().unwrap(),
                "--field",
                "von_mises",
                "--out",
                out,
            ],
            "does not exist",
        ),
        (
            vec![
                "render",
                empty.to_str().unwrap(),
                "--field",
                "von_mises",
                "--out",
                out,
            ],
            "no fields.pvd",
        ),
        (
            vec![
                "render",
                r,
                "--field",
                "von_mises",
                "--out",
                dir.join("x.jpg").to_str().unwrap(),
            ],
            "name it *.png",
        ),
        (
            vec![
                "render",
                r,
                "--field",
                "von_mises",
                "--beat-animation",
                "--out",
                out,
            ],
            "name it *.gif",
        ),
        (
            vec![
                "render",
                vtu.to_str().unwrap(),
                "--field",
                "von_mises",
                "--time",
                "0.1",
                "--out",
                out,
            ],
            "is one state",
        ),
        (
            vec![
                "render",
                r,
                "--field",
                "von_mises",
                "--size",
                "20x20",
                "--out",
                out,
            ],
            "image size 20x20",
        ),
        (
            vec![
                "--backend",
                "cpu",
                "render",
                r,
                "--field",
                "von_mises",
                "--out",
                out,
            ],
            "needs a GPU adapter",
        ),
    ] {
        let o = cardiotwin(&args, &[]);
        let all = text(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {all}");
        assert!(
            all.contains(expect),
            "{args:?}: expected {expect:?} in {all}"
        );
        assert!(!all.contains("panicked"), "{args:?}: {all}");
    }
    for args in [
        vec![
            "render",
            r,
            "--field",
            "von_mises",
            "--size",
            "big",
            "--out",
            out,
        ],
        vec![
            "render",
            r,
            "--field",
            "von_mises",
            "--range",
            "5,1",
            "--out",
            out,
        ],
        vec![
            "render",
            r,
            "--field",
            "von_mises",
            "--view",
            "apical",
            "--out",
            out,
        ],
        vec![
            "render",
            r,
            "--field",
            "von_mises",
            "--time",
            "1",
            "--beat-animation",
            "--out",
            out,
        ],
    ] {
        let o = cardiotwin(&args, &[]);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn without_a_driver_render_fails_clearly() {
    // Needs no GPU: what a machine without a driver sees.
    let o = cardiotwin(
        &[
            "render",
            "/nonexistent",
            "--field",
            "von_mises",
            "--out",
            "/nonexistent/x.png",
        ],
        &[
            ("VK_ICD_FILENAMES", "/nonexistent"),
            ("VK_DRIVER_FILES", "/nonexistent"),
            ("WGPU_BACKEND", "vulkan"),
        ],
    );
    let all = text(&o);
    assert_eq!(o.status.code(), Some(1), "{all}");
    assert!(all.contains("no GPU adapter found"), "{all}");
    assert!(all.contains("mesa-vulkan-drivers"), "{all}");
    assert!(!all.contains("panicked"), "{all}");
}

// ---- CPU-side pieces (no GPU) ----

#[test]
fn the_surface_is_the_closed_boundary_and_cell_fields_average_onto_it() {
    let mut mesh = ellipsoid();
    let surface = SurfaceMesh::extract(&mesh).unwrap();
    let (faces, _) = cardiotwin::mesh::topology::boundary_faces(&mesh);
    assert_eq!(surface.triangles.len(), faces.len());
    assert!(cardiotwin::mesh::topology::is_closed(
        surface.triangles.iter().copied()
    ));
    // Outward: the divergence theorem gives the enclosed (wall) volume, positive.
    let vol: f64 = surface
        .triangles
        .iter()
        .map(|t| {
            let [a, b, c] = t.map(|i| surface.rest[i as usize]);
            a.dot(b.cross(c)) / 6.0
        })
        .sum();
    let wall: f64 = (0..mesh.tet_count())
        .map(|t| cardiotwin::mesh::signed_volume(&mesh.tet_points(t)))
        .sum();
    assert!((vol - wall).abs() < 1e-6 * wall, "{vol} vs {wall}");

    // A cell field: constant where defined; -1 (never activated) on the apical half.
    let n = mesh.tet_count();
    let data: Vec<f64> = (0..n)
        .map(|t| {
            let x = mesh.tet_points(t).iter().map(|p| p[0]).sum::<f64>() / 4.0;
            if x < -40.0 { -1.0 } else { 30.0 }
        })
        .collect();
    mesh.add_cell_field(Field::new("activation_time_ms", 1, data))
        .unwrap();
    let field = ScalarField::resolve("activation_time", &mesh).unwrap();
    assert_eq!(
        (field.label.as_str(), field.unit.as_str()),
        ("activation time", "ms")
    );
    let values = surface.values(&mesh, &field).unwrap();
    for (v, p) in values.iter().zip(&surface.rest) {
        if p.x > -30.0 {
            assert!((v - 30.0).abs() < 1e-4, "{v} at {p:?}");
        } else if p.x < -50.0 {
            assert!(v.is_nan(), "{v} at {p:?}: never activated must be no value");
        }
    }
    // Displacement moves the vertices.
    let u: Vec<f64> = (0..mesh.node_count())
        .flat_map(|_| [1.0, -2.0, 0.5])
        .collect();
    mesh.add_point_field(Field::new("displacement", 3, u))
        .unwrap();
    let moved = surface.positions(&mesh).unwrap();
    assert!(
        moved
            .iter()
            .zip(&surface.rest)
            .all(|(m, r)| (*m - *r - DVec3::new(1.0, -2.0, 0.5)).length() < 1e-12)
    );
    let d = ScalarField::resolve("displacement", &mesh).unwrap();
    let mag = surface.values(&mesh, &d).unwrap();
    assert!(mag.iter().all(|&m| (m - 5.25f32.sqrt()).abs() < 1e-5));
}

#[test]
fn a_missing_field_lists_the_fields_present() {
    let mesh = ellipsoid();
    let err = ScalarField::resolve("von_mises", &mesh)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no field \"von_mises\""), "{err}");
    assert!(err.contains("height"), "{err}");
    let f = ScalarField::resolve("height", &mesh).unwrap();
    assert!(f.signed, "x runs from -97 to 26.5 mm: both signs");
}

/// The renderer's vertex buffer, read back: 8 f32 per vertex (position, normal, value, flag).
fn vertex_data(ctx: &GpuContext, renderer: &Renderer) -> Vec<f32> {
    let range = renderer.vertex_range().expect("vertex buffer");
    let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("vertex readback"),
        size: range.size,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    encoder.copy_buffer_to_buffer(range.buffer, 0, &staging, 0, range.size);
    ctx.queue.submit([encoder.finish()]);
    staging.map_async(wgpu::MapMode::Read, .., |r| r.expect("map"));
    ctx.sync("vertex readback").expect("sync");
    let data: Vec<f32> =
        bytemuck::cast_slice(&staging.get_mapped_range(..).expect("mapped")).to_vec();
    staging.unmap();
    data
}

/// The GPU gather (shaders/surface_gather.wgsl) against its CPU twin (Renderer::update with the
/// surface's averaging), vertex by vertex and picture by picture, for every kind of field.
///
/// Tolerances: positions are f32 sums of a rest position relative to the mesh centre (|x| < 60 mm), a
/// displacement and a frame shift: a few f32 roundings of 60 mm, 1e-5 mm; bound 1e-4 mm. Normals are f32
/// cross products of edge vectors (5 mm elements) each off by ~1e-5 mm: relative 1e-5; bound 1e-4.
/// Values: f32 weighted means, relative 1e-6; bound 1e-5 of the range.
#[test]
fn gpu_gathered_vertices_match_the_cpu_ones() {
    let Some(ctx) = common::gpu("render::gather") else {
        return;
    };
    let mesh = ellipsoid();
    let surface = SurfaceMesh::extract(&mesh).expect("surface");
    let n = mesh.node_count();
    // A smooth displacement (a twist and a squeeze along the long axis x), mm.
    let u: Vec<DVec3> = mesh
        .nodes()
        .iter()
        .map(|p| {
            let p = DVec3::from_array(*p);
            DVec3::new(
                -0.1 * p.x,
                0.05 * p.z * p.x / 40.0,
                -0.05 * p.y * p.x / 40.0,
            )
        })
        .collect();
    let rest: Vec<DVec3> = mesh.nodes().iter().map(|p| DVec3::from_array(*p)).collect();
    let origin = rest.iter().sum::<DVec3>() / n as f64;
    let f4 = |v: DVec3| [v.x as f32, v.y as f32, v.z as f32, 0.0];
    let rest_gpu = cardiotwin::gpu::GpuBuffer::from_slice(
        &ctx,
        "rest",
        &rest.iter().map(|p| f4(*p - origin)).collect::<Vec<_>>(),
    )
    .unwrap();
    let u_gpu = cardiotwin::gpu::GpuBuffer::from_slice(
        &ctx,
        "u",
        &u.iter().map(|d| f4(*d)).collect::<Vec<_>>(),
    )
    .unwrap();
    // Per-tetrahedron values with a hole (NaN: left out of the averages).
    let per_tet: Vec<f64> = (0..mesh.tet_count())
        .map(|t| {
            if t % 97 == 0 {
                f64::NAN
            } else {
                (t as f64 * 0.37).sin() * 50.0 + 60.0
            }
        })
        .collect();
    let tet_gpu = cardiotwin::gpu::GpuBuffer::from_slice(
        &ctx,
        "per tet",
        &per_tet.iter().map(|&v| v as f32).collect::<Vec<_>>(),
    )
    .unwrap();
    let statics: Vec<f32> = surface
        .rest
        .iter()
        .enumerate()
        .map(|(i, p)| if i % 13 == 0 { f32::NAN } else { p.x as f32 })
        .collect();
    let gather =
        cardiotwin::render::gather::SurfaceGather::new(&ctx, &surface, Some(&statics)).unwrap();
    let positions: Vec<DVec3> = surface
        .nodes
        .iter()
        .map(|&k| rest[k as usize] + u[k as usize])
        .collect();
    use cardiotwin::render::gather::GatherField;
    let cases: [(&str, GatherField, Vec<f32>); 4] = [
        (
            "none",
            GatherField::None,
            vec![f32::NAN; surface.vertex_count()],
        ),
        (
            "displacement",
            GatherField::DisplacementMagnitude,
            surface.node_values(&u.iter().map(|d| d.length()).collect::<Vec<_>>()),
        ),
        (
            "per tet",
            GatherField::PerTet(tet_gpu.whole()),
            surface.tet_values(&per_tet),
        ),
        ("static", GatherField::Static, statics.clone()),
    ];
    let size = (320, 240);
    let axes = HeartAxes::of_points(&positions);
    let aspect = scene_aspect(size, true);
    let mut camera = Camera::preset(ViewPreset::Anterior, &axes, aspect);
    camera.fit_points(&positions, aspect);
    for (name, field, cpu_values) in cases {
        let mut cpu = Renderer::new(&ctx, IMAGE_FORMAT, false).unwrap();
        cpu.set_surface(&ctx, &surface).unwrap();
        cpu.update(&ctx, &positions, &cpu_values).unwrap();
        let mut gpu = Renderer::new(&ctx, IMAGE_FORMAT, false).unwrap();
        gpu.set_surface(&ctx, &surface).unwrap();
        let mut batch = cardiotwin::gpu::Batch::untimed(&ctx, "gather");
        gather
            .record(
                &ctx,
                &mut batch,
                cardiotwin::render::gather::NodeState {
                    rest: rest_gpu.whole(),
                    displacement: u_gpu.whole(),
                    origin,
                },
                field,
                &gpu,
            )
            .unwrap();
        batch.submit().unwrap();
        let (a, b) = (vertex_data(&ctx, &cpu), vertex_data(&ctx, &gpu));
        assert_eq!(a.len(), b.len());
        let (mut dp, mut dn, mut dv) = (0.0f32, 0.0f32, 0.0f32);
        for (va, vb) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
            for k in 0..3 {
                dp = dp.max((va[k] - vb[k]).abs());
                dn = dn.max((va[3 + k] - vb[3 + k]).abs());
            }
            assert_eq!(va[7], vb[7], "{name}: has-value flags differ");
            if va[7] > 0.0 {
                dv = dv.max((va[6] - vb[6]).abs() / 100.0);
            }
        }
        eprintln!("{name}: |dx| {dp:.1e} mm, |dn| {dn:.1e}, |dv| {dv:.1e} of 100");
        assert!(dp < 1e-4, "{name}: positions differ by {dp} mm");
        assert!(dn < 1e-4, "{name}: normals differ by {dn}");
        assert!(dv < 1e-5, "{name}: values differ by {dv} of the range");

        // And the pictures.
        let range = if name == "static" {
            (-60.0, 60.0)
        } else {
            (0.0, 110.0)
        };
        let view = View::new(camera, ColourMap::Viridis, range, name, "");
        let target = Offscreen::new(&ctx, size).unwrap();
        let d = mean_abs_diff(
            &target.render(&ctx, &mut cpu, &view).unwrap(),
            &target.render(&ctx, &mut gpu, &view).unwrap(),
        );
        assert!(d < 0.05, "{name}: pictures differ by {d} levels");
    }
    // A per-tetrahedron buffer of the wrong length is refused.
    let short = cardiotwin::gpu::GpuBuffer::<f32>::zeroed(&ctx, "short", 3).unwrap();
    let mut r = Renderer::new(&ctx, IMAGE_FORMAT, false).unwrap();
    r.set_surface(&ctx, &surface).unwrap();
    let mut batch = cardiotwin::gpu::Batch::untimed(&ctx, "bad");
    let state = cardiotwin::render::gather::NodeState {
        rest: rest_gpu.whole(),
        displacement: u_gpu.whole(),
        origin,
    };
    assert!(
        gather
            .record(
                &ctx,
                &mut batch,
                state,
                GatherField::PerTet(short.whole()),
                &r
            )
            .is_err()
    );
}

/// The cut face: a plane through the centre facing the camera opens the wall; with the section drawn,
/// the face shows the field through the wall's thickness, in the colour of its value at each point.
#[test]
fn the_cut_face_closes_the_wall_in_the_colours_of_the_field() {
    let Some(ctx) = common::gpu("render::section") else {
        return;
    };
    // A field across the wall: the distance from the long axis (x), mm.
    let mut mesh = ellipsoid();
    let radial: Vec<f64> = mesh.nodes().iter().map(|p| p[1].hypot(p[2])).collect();
    mesh.add_point_field(Field::new("radial", 1, radial.clone()))
        .unwrap();
    let scene = Scene::new(mesh, "radial");
    let size = (320, 240);
    let range = (0.0, radial.iter().copied().fold(0.0, f64::max));
    let mut view = scene.view(ViewPreset::Anterior, size, ColourMap::Viridis, range);
    view.colour_bar = None;
    // Unshaded, so a pixel is exactly the colour map's colour of its value.
    view.ambient = 1.0;
    let plane = ClipPlane::new(scene.axes.centre, -view.camera.forward);
    view.clip = Some(plane);
    let positions = scene.surface.positions(&scene.mesh).unwrap();
    let nodes: Vec<DVec3> = scene
        .mesh
        .nodes()
        .iter()
        .map(|p| DVec3::from_array(*p))
        .collect();
    let section = cardiotwin::render::section::cut(
        scene.mesh.tets(),
        &nodes,
        &plane,
        cardiotwin::render::section::SectionValues::Point(&radial),
    );
    assert!(section.triangles.len() > 50, "{}", section.triangles.len());
    let draw = |with: bool| {
        let mut r = Renderer::new(&ctx, IMAGE_FORMAT, false).unwrap();
        r.set_surface(&ctx, &scene.surface).unwrap();
        r.update(&ctx, &positions, &scene.values).unwrap();
        r.set_section(&ctx, with.then_some(&section)).unwrap();
        Offscreen::new(&ctx, size)
            .unwrap()
            .render(&ctx, &mut r, &view)
            .unwrap()
    };
    let open = draw(false);
    let closed = draw(true);
    dump("section_open", &open);
    dump("section_closed", &closed);
    // Every section triangle's centroid is drawn in the colour of its value.
    let (mut checked, mut worst) = (0, 0u8);
    for t in &section.triangles {
        let c = t
            .iter()
            .map(|&i| section.positions[i as usize])
            .sum::<DVec3>()
            / 3.0;
        let v = t
            .iter()
            .map(|&i| f64::from(section.values[i as usize]))
            .sum::<f64>()
            / 3.0;
        let Some((x, y)) = view.camera.project(c, scene_aspect(size, false)) else {
            continue;
        };
        let (px, py) = ((x * size.0 as f64) as u32, (y * size.1 as f64) as u32);
        let want = ColourMap::Viridis.sample_u8((v - range.0) / (range.1 - range.0));
        let got = rgb(&closed, px, py);
        worst = worst.max((0..3).map(|k| got[k].abs_diff(want[k])).max().unwrap());
        checked += 1;
    }
    eprintln!("section: {checked} centroids checked, worst channel difference {worst} levels");
    assert!(checked > 50);
    // Within a triangle the value is interpolated in screen space, the centroid in 3-D: a few levels.
    assert!(worst <= 12, "worst {worst} levels");
    // Without the section, those places show the inner wall (smaller radius) or the background instead.
    let changed = open
        .pixels()
        .zip(closed.pixels())
        .filter(|(a, b)| (0..3).any(|k| a.0[k].abs_diff(b.0[k]) > 8))
        .count();
    eprintln!("{changed} pixels changed by the section");
    assert!(changed > 500, "{changed}");
}

/// Near-black pixels: the glyphs' colour (no colour map or background comes close).
fn dark_pixels(img: &RgbaImage) -> usize {
    img.pixels()
        .filter(|p| p.0[0] < 20 && p.0[1] < 20 && p.0[2] < 20)
        .count()
}

#[test]
fn fibre_glyphs_are_drawn_from_a_fibre_field_and_their_absence_is_explained() {
    let Some(_ctx) = common::gpu("render::glyphs") else {
        return;
    };
    let dir = tempdir("glyphs");
    // The ellipsoid with a helical fibre field per tetrahedron (about the long axis x).
    let mut mesh = ellipsoid();
    let fibres: Vec<f64> = (0..mesh.tet_count())
        .flat_map(|t| {
            let c = mesh
                .tet_points(t)
                .iter()
                .fold(DVec3::ZERO, |s, p| s + DVec3::from_array(*p))
                / 4.0;
            let around = DVec3::new(0.0, -c.z, c.y).normalize_or_zero();
            (0.5 * DVec3::X + around).normalize_or_zero().to_array()
        })
        .collect();
    let plain = dir.join("plain.vtu");
    std::fs::write(&plain, cardiotwin::mesh::io::vtk::write_vtu(&mesh)).unwrap();
    mesh.add_cell_field(Field::new("fibre", 3, fibres)).unwrap();
    let with = dir.join("fibres.vtu");
    std::fs::write(&with, cardiotwin::mesh::io::vtk::write_vtu(&mesh)).unwrap();

    let render = |input: &Path, out: &Path, fibres: bool| {
        let mut args = vec![
            "render",
            input.to_str().unwrap(),
            "--field",
            "height",
            "--size",
            "400x300",
            "--out",
            out.to_str().unwrap(),
        ];
        if fibres {
            args.push("--fibres");
        }
        cardiotwin(&args, &[])
    };
    let a = dir.join("a.png");
    let b = dir.join("b.png");
    let o = render(&with, &a, false);
    assert!(o.status.success(), "{}", text(&o));
    let o = render(&with, &b, true);
    assert!(o.status.success(), "{}", text(&o));
    let (without, glyphs) = (
        dark_pixels(&image::open(&a).unwrap().into_rgba8()),
        dark_pixels(&image::open(&b).unwrap().into_rgba8()),
    );
    eprintln!("near-black pixels: {without} without glyphs, {glyphs} with");
    // The colour bar text is dark too: the glyphs add their own pixels to it.
    assert!(glyphs > without + 150, "{without} -> {glyphs}");
    // No fibre field: the error says how to get one.
    let o = render(&plain, &a, true);
    assert!(!o.status.success());
    assert!(text(&o).contains("outputs.fields"), "{}", text(&o));
}
