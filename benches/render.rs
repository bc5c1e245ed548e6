//! Offscreen rendering of the Rodero LV (`meshes/rodero_lv.vtu`, compiled in: 5,504 boundary triangles) at
//! 1280x720, anterior view, von-Mises-like field, lit, colour bar, multisampled 4x where the adapter
//! allows (and 1x for comparison), on whatever adapter exists (lavapipe here). Throughput is frames per
//! second:
//! - `draw`: record the render pass, submit, wait (what a window frame costs, before presenting);
//! - `draw_readback`: also copy the picture to a mapped buffer and into an image (what `cardiotwin
//!   render` does per frame);
//! - `update_draw_readback`: also a new state (positions moved, normals recomputed, values uploaded),
//!   as in an animation.
//!
//! Without an adapter it prints a loud notice and measures nothing.
//!
//! Run: `cargo bench --bench render`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use glam::DVec3;

use cardiotwin::gpu::GpuContext;
use cardiotwin::render::{
    Camera, ColourMap, HeartAxes, IMAGE_FORMAT, Offscreen, Renderer, SurfaceMesh, View, ViewPreset,
    scene_aspect,
};

const SIZE: (u32, u32) = (1280, 720);

fn bench(c: &mut Criterion) {
    let ctx = match GpuContext::headless(std::env::var("CARDIOTWIN_ADAPTER").ok().as_deref()) {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!();
            eprintln!(
                "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
            );
            eprintln!("!!! SKIPPED render benches: no GPU adapter: {e}");
            eprintln!(
                "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
            );
            return;
        }
    };
    eprintln!("GPU adapter: {}", ctx.report.describe());
    let mesh = cardiotwin::anatomy::rodero_lv::lv().expect("Rodero LV");
    let surface = SurfaceMesh::extract(&mesh).expect("surface");
    let axes = HeartAxes::of_points(&surface.rest);
    // A smooth field over the surface: distance from the apex end along the long axis.
    let values: Vec<f32> = surface
        .rest
        .iter()
        .map(|p| ((*p - axes.centre).dot(axes.long_axis) + axes.radius) as f32)
        .collect();
    let aspect = scene_aspect(SIZE, true);
    let mut camera = Camera::preset(ViewPreset::Anterior, &axes, aspect);
    camera.fit_points(&surface.rest, aspect);
    let range = (0.0, 2.0 * axes.radius);
    let view = View::new(camera, ColourMap::Viridis, range, "von Mises stress", "kPa");
    let target = Offscreen::new(&ctx, SIZE).expect("target");

    let mut group = c.benchmark_group("render");
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    for multisample in [true, false] {
        let mut renderer = Renderer::new(&ctx, IMAGE_FORMAT, multisample).expect("renderer");
        renderer.set_surface(&ctx, &surface).expect("surface");
        renderer
            .update(&ctx, &surface.rest, &values)
            .expect("update");
        let tag = format!("rodero_lv_1280x720_msaa{}", renderer.samples());
        eprintln!(
            "{tag}: {} triangles, {} vertices",
            surface.triangles.len(),
            surface.vertex_count()
        );
        group.bench_function(format!("{tag}/draw"), |b| {
            b.iter(|| {
                let mut encoder = ctx.device.create_command_encoder(&Default::default());
                renderer
                    .draw(&ctx, &mut encoder, target.view(), SIZE, &view)
                    .expect("draw");
                ctx.queue.submit([encoder.finish()]);
                ctx.sync("bench frame").expect("sync");
            })
        });
        group.bench_function(format!("{tag}/draw_readback"), |b| {
            b.iter(|| target.render(&ctx, &mut renderer, &view).expect("render"))
        });
        let mut phase = 0.0f64;
        group.bench_function(format!("{tag}/update_draw_readback"), |b| {
            b.iter(|| {
                phase += 0.1;
                // A contraction-like motion: shrink towards the axis by up to 10 %.
                let s = 1.0 - 0.05 * (1.0 - phase.cos());
                let moved: Vec<DVec3> = surface
                    .rest
                    .iter()
                    .map(|p| {
                        let d = *p - axes.centre;
                        let along = d.dot(axes.long_axis) * axes.long_axis;
                        axes.centre + along + s * (d - along)
                    })
                    .collect();
                renderer.update(&ctx, &moved, &values).expect("update");
                target.render(&ctx, &mut renderer, &view).expect("render")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
