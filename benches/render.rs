//! Offscreen rendering of the Rodero LV (`meshes/rodero_lv.vtu`, compiled in: 5,504 boundary triangles) at
//! 1280x720, anterior view, von-Mises-like field, lit, colour bar, multisampled 4x where the adapter
//! allows (and 1x for comparison), on whatever adapter exists (lavapipe here). Throughput is frames per
//! second:
//! - `draw`: record the render pass, submit, wait (what a window frame costs, before presenting);
//! - `draw_readback`: also copy the picture to a mapped buffer and into an image (what `cardiotwin
//!   render` does per frame);
//! - `update_draw_readback`: also a new state (positions moved, normals recomputed, values uploaded),
//!   as in an animation;
//! - `gather_draw`: a new state gathered on the GPU from node buffers there (the viewer on the GPU
//!   backend), then `draw`: nothing crosses to or from the CPU.
//!
//! Without an adapter it prints a loud notice and measures nothing. `CARDIOTWIN_BENCH_MESH=FILE` measures
//! another mesh.
//!
//! Run: `cargo bench --bench render`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use glam::DVec3;

use cardiotwin::gpu::{Batch, GpuBuffer, GpuContext};
use cardiotwin::render::gather::{GatherField, NodeState, SurfaceGather};
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
    // CARDIOTWIN_BENCH_MESH=FILE: another mesh instead (e.g. the 331k-tet four-chamber heart of
    // ../shared/data/heart/rodero_01_fullheart_2.0mm.vtu).
    let (mesh, name) = match std::env::var_os("CARDIOTWIN_BENCH_MESH") {
        Some(path) => {
            let path = std::path::PathBuf::from(path);
            let mesh = cardiotwin::mesh::io::read(&path).expect("CARDIOTWIN_BENCH_MESH");
            let name = path
                .file_stem()
                .map_or("mesh".into(), |s| s.to_string_lossy().into_owned());
            (mesh, name)
        }
        None => (
            cardiotwin::anatomy::rodero_lv::lv().expect("Rodero LV"),
            "rodero_lv".to_string(),
        ),
    };
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
        let tag = format!("{name}_1280x720_msaa{}", renderer.samples());
        eprintln!(
            "{tag}: {} triangles, {} vertices",
            surface.triangles.len(),
            surface.vertex_count()
        );
        // Record, submit, wait: a window frame before presenting.
        let frame = |renderer: &mut Renderer| {
            let mut encoder = ctx.device.create_command_encoder(&Default::default());
            renderer
                .draw(&ctx, &mut encoder, target.view(), SIZE, &view)
                .expect("draw");
            ctx.queue.submit([encoder.finish()]);
            ctx.sync("bench frame").expect("sync");
        };
        group.bench_function(format!("{tag}/draw"), |b| b.iter(|| frame(&mut renderer)));
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
        // A new state from GPU buffers (what the viewer does on the GPU backend): the node state of
        // the whole mesh on the device, the renderer's vertices gathered there, nothing uploaded.
        let nodes: Vec<DVec3> = mesh.nodes().iter().map(|p| DVec3::from_array(*p)).collect();
        let f4 = |v: DVec3| [v.x as f32, v.y as f32, v.z as f32, 0.0];
        let rest = GpuBuffer::from_slice(
            &ctx,
            "rest",
            &nodes
                .iter()
                .map(|p| f4(*p - axes.centre))
                .collect::<Vec<_>>(),
        )
        .expect("rest");
        let u = GpuBuffer::from_slice(
            &ctx,
            "u",
            &nodes
                .iter()
                .map(|p| f4(0.05 * (axes.centre - *p)))
                .collect::<Vec<_>>(),
        )
        .expect("u");
        let gather = SurfaceGather::new(&ctx, &surface, None).expect("gather");
        group.bench_function(format!("{tag}/gather_draw"), |b| {
            b.iter(|| {
                let mut batch = Batch::untimed(&ctx, "gather");
                gather
                    .record(
                        &ctx,
                        &mut batch,
                        NodeState {
                            rest: rest.whole(),
                            displacement: u.whole(),
                            origin: axes.centre,
                        },
                        GatherField::DisplacementMagnitude,
                        &renderer,
                    )
                    .expect("gather");
                batch.submit().expect("submit");
                frame(&mut renderer);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
