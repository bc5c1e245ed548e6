//! The wgpu renderer: draws a [`SurfaceMesh`] in one state, colour-mapped, lit, depth-tested and
//! optionally clipped, plus its colour bar, into any texture view of its format (an offscreen texture or a
//! window's frame).

use bytemuck::{Pod, Zeroable};
use glam::DVec3;

use super::RenderError;
use super::camera::{Camera, ClipPlane};
use super::colour::ColourMap;
use super::colour_bar::{self, ColourBar, ColourBarLayout};
use super::surface::{SurfaceMesh, vertex_normals};
use crate::gpu::shaders::RENDER_SURFACE;
use crate::gpu::{GpuContext, GpuError};
use crate::plot::PixelRect;

/// The format of offscreen images: 8-bit RGBA, sRGB-encoded (what PNG and GIF store).
pub const IMAGE_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8UnormSrgb;
const DEPTH_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Depth32Float;

/// How one picture looks.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub camera: Camera,
    pub map: ColourMap,
    /// Values mapped to the low and high ends of the colour map (clamped beyond).
    pub range: (f64, f64),
    pub clip: Option<ClipPlane>,
    /// The colour bar's text; `None`: no colour bar, the surface gets the whole target.
    pub colour_bar: Option<(String, String)>,
    /// sRGB.
    pub background: [u8; 3],
    /// Colour of vertices without a value, sRGB.
    pub no_data: [u8; 3],
    /// Share of ambient light, 0 to 1: 1 draws the colour map's colours unshaded.
    pub ambient: f64,
}

impl View {
    /// White background, light grey for missing values, 35 % ambient light, a colour bar titled
    /// `label (unit)`.
    pub fn new(camera: Camera, map: ColourMap, range: (f64, f64), label: &str, unit: &str) -> View {
        View {
            camera,
            map,
            range,
            clip: None,
            colour_bar: Some((label.to_string(), unit.to_string())),
            background: [255, 255, 255],
            no_data: [190, 190, 190],
            ambient: 0.35,
        }
    }
}

/// The part of a target of `size` where the surface is drawn: all of it, or left of the colour bar.
pub fn scene_viewport(size: (u32, u32), colour_bar: bool) -> PixelRect {
    if colour_bar {
        let l = colour_bar::layout(size);
        PixelRect {
            x: 0..l.panel.x.start,
            y: 0..size.1,
        }
    } else {
        PixelRect {
            x: 0..size.0,
            y: 0..size.1,
        }
    }
}

/// Width over height of [`scene_viewport`]: the aspect to fit cameras to.
pub fn scene_aspect(size: (u32, u32), colour_bar: bool) -> f64 {
    let v = scene_viewport(size, colour_bar);
    f64::from(v.x.end - v.x.start).max(1.0) / f64::from(v.y.end - v.y.start).max(1.0)
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct Vertex {
    position: [f32; 3],
    normal: [f32; 3],
    /// The value and whether it exists (1) or not (0).
    value: [f32; 2],
}

/// `Globals` of `shaders/render_surface.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct Globals {
    view_proj: [[f32; 4]; 4],
    light: [f32; 4],
    clip: [f32; 4],
    range: [f32; 4],
    flags: [f32; 4],
    no_data: [f32; 4],
    panel: [f32; 4],
    target_size: [f32; 4],
    map: [[f32; 4]; MAP_ENTRIES],
}
const _: () = assert!(size_of::<Globals>() == 64 + 7 * 16 + MAP_ENTRIES * 16);

/// Entries of the colour-map table in `Globals` (linear light, sampled from the sRGB map).
const MAP_ENTRIES: usize = 256;

/// Size-dependent attachments: depth and, with multisampling, the colour buffer that is resolved into
/// the target.
struct Attachments {
    size: (u32, u32),
    depth: wgpu::TextureView,
    msaa: Option<wgpu::TextureView>,
}

struct Panel {
    key: (ColourBar, (u32, u32), [u8; 3]),
    layout: ColourBarLayout,
    bind_group: wgpu::BindGroup,
}

/// Pipelines, buffers and attachments for one target format. One [`Renderer::draw`] per submitted
/// command buffer: the uniforms are written at record time.
pub struct Renderer {
    format: wgpu::TextureFormat,
    samples: u32,
    surface_pipeline: wgpu::RenderPipeline,
    /// The same with the clipping plane: no back-face culling (the inside of the wall shows through the
    /// cut), and a fragment shader that discards.
    clipped_pipeline: wgpu::RenderPipeline,
    panel_pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    globals: wgpu::Buffer,
    /// Bind group with a 1x1 texture, for pictures without a colour bar.
    plain_bind_group: wgpu::BindGroup,
    vertices: Option<wgpu::Buffer>,
    indices: Option<wgpu::Buffer>,
    index_count: u32,
    triangles: Vec<[u32; 3]>,
    /// Subtracted from positions before they are rounded to f32 (the rest surface's bounding-box centre).
    origin: DVec3,
    attachments: Option<Attachments>,
    panel: Option<Panel>,
    /// The cut face: vertices, indices, index count (drawn when the view clips).
    section: Option<(wgpu::Buffer, wgpu::Buffer, u32)>,
    glyph_pipeline: wgpu::RenderPipeline,
    /// Fibre glyphs: line-list vertices and their count.
    glyphs: Option<(wgpu::Buffer, u32)>,
}

/// How far the cut face is moved to the kept side of the plane, mm: the clipping test must not discard
/// it through rounding (f32 positions of a heart-sized scene are good to about 1e-5 mm).
const SECTION_OFFSET_MM: f64 = 2e-3;

impl Renderer {
    /// A renderer for targets of `format`, multisampled 4x where the adapter allows it for `format` and
    /// the depth buffer (else 1x), unless `multisample` is false.
    pub fn new(
        ctx: &GpuContext,
        format: wgpu::TextureFormat,
        multisample: bool,
    ) -> Result<Self, RenderError> {
        let supports = |f: wgpu::TextureFormat| {
            ctx.adapter
                .get_texture_format_features(f)
                .flags
                .sample_count_supported(4)
        };
        let samples = if multisample && supports(format) && supports(DEPTH_FORMAT) {
            4
        } else {
            1
        };
        let (source, _) = RENDER_SURFACE.validated()?;
        let module = ctx
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(RENDER_SURFACE.file),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
        let layout = ctx
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("render globals"),
                entries: &[
                    wgpu::BindGroupLayoutEntry {
                        binding: 0,
                        visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
                        ty: wgpu::BindingType::Buffer {
                            ty: wgpu::BufferBindingType::Uniform,
                            has_dynamic_offset: false,
                            min_binding_size: wgpu::BufferSize::new(size_of::<Globals>() as u64),
                        },
                        count: None,
                    },
                    wgpu::BindGroupLayoutEntry {
                        binding: 1,
                        visibility: wgpu::ShaderStages::FRAGMENT,
                        ty: wgpu::BindingType::Texture {
                            sample_type: wgpu::TextureSampleType::Float { filterable: false },
                            view_dimension: wgpu::TextureViewDimension::D2,
                            multisampled: false,
                        },
                        count: None,
                    },
                ],
            });
        let pipeline_layout = ctx
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("render"),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let depth = |write: bool, compare| {
            Some(wgpu::DepthStencilState {
                format: DEPTH_FORMAT,
                depth_write_enabled: Some(write),
                depth_compare: Some(compare),
                stencil: Default::default(),
                bias: Default::default(),
            })
        };
        let multisample_state = wgpu::MultisampleState {
            count: samples,
            mask: !0,
            alpha_to_coverage_enabled: false,
        };
        let targets = [Some(wgpu::ColorTargetState {
            format,
            blend: None,
            write_mask: wgpu::ColorWrites::ALL,
        })];
        let attributes = wgpu::vertex_attr_array![0 => Float32x3, 1 => Float32x3, 2 => Float32x2];
        // Surfaces, cut faces and glyphs share the vertex layout and stage.
        let vertex_buffers = [Some(wgpu::VertexBufferLayout {
            array_stride: size_of::<Vertex>() as u64,
            step_mode: wgpu::VertexStepMode::Vertex,
            attributes: &attributes,
        })];
        let vertex_state = || wgpu::VertexState {
            module: &module,
            entry_point: Some("vs_surface"),
            compilation_options: Default::default(),
            buffers: &vertex_buffers,
        };
        let surface_pipeline_for = |clipped: bool| {
            ctx.device
                .create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                    label: Some(if clipped {
                        "render surface, clipped"
                    } else {
                        "render surface"
                    }),
                    layout: Some(&pipeline_layout),
                    vertex: vertex_state(),
                    primitive: wgpu::PrimitiveState {
                        topology: wgpu::PrimitiveTopology::TriangleList,
                        front_face: wgpu::FrontFace::Ccw,
                        // The boundary of a tetrahedral mesh is closed and outward: unclipped, its back
                        // faces are hidden and need not be drawn; clipped, they are the inside of the wall.
                        cull_mode: if clipped {
                            None
                        } else {
                            Some(wgpu::Face::Back)
                        },
                        ..Default::default()
                    },
                    depth_stencil: depth(true, wgpu::CompareFunction::Less),
                    multisample: multisample_state,
                    fragment: Some(wgpu::FragmentState {
                        module: &module,
                        entry_point: Some(if clipped {
                            "fs_surface_clipped"
                        } else {
                            "fs_surface"
                        }),
                        compilation_options: Default::default(),
                        targets: &targets,
                    }),
                    multiview_mask: None,
                    cache: None,
                })
        };
        let surface_pipeline = surface_pipeline_for(false);
        let clipped_pipeline = surface_pipeline_for(true);
        let glyph_pipeline = ctx
            .device
            .create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some("render glyphs"),
                layout: Some(&pipeline_layout),
                vertex: vertex_state(),
                primitive: wgpu::PrimitiveState {
                    topology: wgpu::PrimitiveTopology::LineList,
                    ..Default::default()
                },
                depth_stencil: depth(true, wgpu::CompareFunction::Less),
                multisample: multisample_state,
                fragment: Some(wgpu::FragmentState {
                    module: &module,
                    entry_point: Some("fs_glyph"),
                    compilation_options: Default::default(),
                    targets: &targets,
                }),
                multiview_mask: None,
                cache: None,
            });
        let panel_pipeline = ctx
            .device
            .create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some("render colour bar"),
                layout: Some(&pipeline_layout),
                vertex: wgpu::VertexState {
                    module: &module,
                    entry_point: Some("vs_panel"),
                    compilation_options: Default::default(),
                    buffers: &[],
                },
                primitive: wgpu::PrimitiveState::default(),
                // Drawn in a pass of its own, on the resolved target: one sample, no depth.
                depth_stencil: None,
                multisample: wgpu::MultisampleState::default(),
                fragment: Some(wgpu::FragmentState {
                    module: &module,
                    entry_point: Some("fs_panel"),
                    compilation_options: Default::default(),
                    targets: &targets,
                }),
                multiview_mask: None,
                cache: None,
            });
        let globals = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("render globals"),
            size: size_of::<Globals>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let blank = image::RgbaImage::from_pixel(1, 1, image::Rgba([255, 255, 255, 255]));
        let plain_bind_group = bind_group(ctx, &layout, &globals, &blank);
        ctx.check_errors("building the render pipelines")?;
        Ok(Renderer {
            format,
            samples,
            surface_pipeline,
            clipped_pipeline,
            panel_pipeline,
            layout,
            globals,
            plain_bind_group,
            vertices: None,
            indices: None,
            index_count: 0,
            triangles: Vec::new(),
            origin: DVec3::ZERO,
            attachments: None,
            panel: None,
            section: None,
            glyph_pipeline,
            glyphs: None,
        })
    }

    /// The target format this renderer draws to.
    pub fn format(&self) -> wgpu::TextureFormat {
        self.format
    }

    /// The vertex buffer (position, normal, value and flag: 8 f32 per vertex), for
    /// [`super::gather::SurfaceGather`] to write; `None` before [`Renderer::set_surface`].
    pub fn vertex_range(&self) -> Option<crate::gpu::Range<'_>> {
        self.vertices.as_ref().map(|b| crate::gpu::Range {
            buffer: b,
            offset: 0,
            size: b.size(),
        })
    }

    /// What vertex positions are relative to (the rest surface's bounding-box centre), mm.
    pub fn origin(&self) -> DVec3 {
        self.origin
    }

    /// Samples per pixel (4 with multisampling, else 1).
    pub fn samples(&self) -> u32 {
        self.samples
    }

    /// Uploads the triangles of `surface` (once per mesh) and its rest state with no values; follow with
    /// [`Renderer::update`].
    pub fn set_surface(
        &mut self,
        ctx: &GpuContext,
        surface: &SurfaceMesh,
    ) -> Result<(), RenderError> {
        let (lo, hi) = surface.rest.iter().fold(
            (DVec3::splat(f64::INFINITY), DVec3::splat(f64::NEG_INFINITY)),
            |(lo, hi), p| (lo.min(*p), hi.max(*p)),
        );
        self.origin = 0.5 * (lo + hi);
        let indices: Vec<u32> = surface.triangles.iter().flatten().copied().collect();
        let index_bytes = (indices.len() * 4) as u64;
        let vertex_bytes = (surface.vertex_count() * size_of::<Vertex>()) as u64;
        for (label, bytes) in [
            ("surface indices", index_bytes),
            ("surface vertices", vertex_bytes),
        ] {
            if bytes > ctx.limits.max_buffer_size {
                return Err(GpuError::BufferTooLarge {
                    label: label.into(),
                    bytes,
                    max: ctx.limits.max_buffer_size,
                }
                .into());
            }
        }
        let index_buffer = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("surface indices"),
            size: index_bytes.max(4),
            usage: wgpu::BufferUsages::INDEX | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        ctx.queue
            .write_buffer(&index_buffer, 0, bytemuck::cast_slice(&indices));
        self.vertices = Some(ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("surface vertices"),
            size: vertex_bytes.max(size_of::<Vertex>() as u64),
            // STORAGE: the gather kernel may write it on the GPU instead (super::gather).
            usage: wgpu::BufferUsages::VERTEX
                | wgpu::BufferUsages::COPY_DST
                | wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        }));
        self.indices = Some(index_buffer);
        self.index_count = indices.len() as u32;
        self.triangles = surface.triangles.clone();
        let none = vec![f32::NAN; surface.vertex_count()];
        self.update(ctx, &surface.rest, &none)
    }

    /// A new state: vertex positions (mm) and values (NaN: none), one per surface vertex. Normals are
    /// recomputed from the positions.
    pub fn update(
        &mut self,
        ctx: &GpuContext,
        positions: &[DVec3],
        values: &[f32],
    ) -> Result<(), RenderError> {
        let Some(buffer) = &self.vertices else {
            return Err(RenderError::Input("no surface set".into()));
        };
        let n = buffer.size() as usize / size_of::<Vertex>();
        if positions.len() != n || values.len() != n {
            return Err(RenderError::Input(format!(
                "{} positions and {} values for a surface of {n} vertices",
                positions.len(),
                values.len()
            )));
        }
        if let Some(i) = positions.iter().position(|p| !p.is_finite()) {
            return Err(RenderError::Input(format!(
                "vertex {i} has a non-finite position"
            )));
        }
        let normals = vertex_normals(positions, &self.triangles);
        let vertices: Vec<Vertex> = positions
            .iter()
            .zip(&normals)
            .zip(values)
            .map(|((p, nrm), &v)| Vertex {
                position: (*p - self.origin).as_vec3().to_array(),
                normal: nrm.as_vec3().to_array(),
                value: if v.is_finite() { [v, 1.0] } else { [0.0, 0.0] },
            })
            .collect();
        ctx.queue
            .write_buffer(buffer, 0, bytemuck::cast_slice(&vertices));
        Ok(())
    }

    /// The cut face to draw where the view clips (`None`: none); follow the surface's state (see
    /// [`super::section::cut`]).
    pub fn set_section(
        &mut self,
        ctx: &GpuContext,
        section: Option<&super::section::Section>,
    ) -> Result<(), RenderError> {
        let Some(s) = section.filter(|s| !s.is_empty()) else {
            self.section = None;
            return Ok(());
        };
        if let Some(i) = s.positions.iter().position(|p| !p.is_finite()) {
            return Err(RenderError::Input(format!(
                "section vertex {i} has a non-finite position"
            )));
        }
        let shift = -SECTION_OFFSET_MM * s.normal;
        let normal = s.normal.as_vec3().to_array();
        let vertices: Vec<Vertex> = s
            .positions
            .iter()
            .zip(&s.values)
            .map(|(p, &v)| Vertex {
                position: (*p + shift - self.origin).as_vec3().to_array(),
                normal,
                value: if v.is_finite() { [v, 1.0] } else { [0.0, 0.0] },
            })
            .collect();
        let indices: Vec<u32> = s.triangles.iter().flatten().copied().collect();
        let buffer = |label, usage, bytes: &[u8]| {
            let b = ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: (bytes.len() as u64).next_multiple_of(wgpu::COPY_BUFFER_ALIGNMENT),
                usage: usage | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            ctx.queue.write_buffer(&b, 0, bytes);
            b
        };
        self.section = Some((
            buffer(
                "section vertices",
                wgpu::BufferUsages::VERTEX,
                bytemuck::cast_slice(&vertices),
            ),
            buffer(
                "section indices",
                wgpu::BufferUsages::INDEX,
                bytemuck::cast_slice(&indices),
            ),
            indices.len() as u32,
        ));
        Ok(())
    }

    /// Fibre glyphs to draw over the surface (`None` or empty: none), segments in mm (see
    /// [`super::glyphs::GlyphSites::segments`]).
    pub fn set_glyphs(
        &mut self,
        ctx: &GpuContext,
        segments: Option<&[[DVec3; 2]]>,
    ) -> Result<(), RenderError> {
        let Some(segments) = segments.filter(|s| !s.is_empty()) else {
            self.glyphs = None;
            return Ok(());
        };
        if segments.iter().flatten().any(|p| !p.is_finite()) {
            return Err(RenderError::Input(
                "a fibre glyph has a non-finite end".into(),
            ));
        }
        let vertices: Vec<Vertex> = segments
            .iter()
            .flatten()
            .map(|p| Vertex {
                position: (*p - self.origin).as_vec3().to_array(),
                normal: [0.0, 0.0, 1.0],
                value: [0.0, 0.0],
            })
            .collect();
        let bytes: &[u8] = bytemuck::cast_slice(&vertices);
        let buffer = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("fibre glyphs"),
            size: bytes.len() as u64,
            usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        ctx.queue.write_buffer(&buffer, 0, bytes);
        self.glyphs = Some((buffer, vertices.len() as u32));
        Ok(())
    }

    /// Records the picture `view` into `target` (a view of a texture of this renderer's format and
    /// `size`). Validation errors surface at the next [`GpuContext::sync`].
    pub fn draw(
        &mut self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        target: &wgpu::TextureView,
        size: (u32, u32),
        view: &View,
    ) -> Result<(), RenderError> {
        let (w, h) = size;
        let with_bar = view.colour_bar.is_some();
        let min = if with_bar {
            colour_bar::MIN_SIZE
        } else {
            (1, 1)
        };
        let max = ctx.limits.max_texture_dimension_2d;
        if w < min.0 || h < min.1 || w > max || h > max {
            return Err(RenderError::Input(format!(
                "image size {w}x{h}: must be from {}x{} to {max}x{max} pixels",
                min.0, min.1
            )));
        }
        let (lo, hi) = view.range;
        if !(lo.is_finite() && hi.is_finite() && hi > lo) {
            return Err(RenderError::Input(format!(
                "colour range [{lo}, {hi}]: needs finite values, minimum below maximum"
            )));
        }
        if self.attachments.as_ref().map(|a| a.size) != Some(size) {
            self.attachments = Some(self.attachments_for(ctx, size));
        }
        let viewport = scene_viewport(size, with_bar);
        let aspect = scene_aspect(size, with_bar);

        // The colour bar panel, redrawn when what it shows changes.
        if let Some((label, unit)) = &view.colour_bar {
            let bar = ColourBar {
                map: view.map,
                range: view.range,
                label: label.clone(),
                unit: unit.clone(),
            };
            let key = (bar, size, view.background);
            if self.panel.as_ref().map(|p| &p.key) != Some(&key) {
                let layout = colour_bar::layout(size);
                let ink = if luminance(view.background) > 0.5 {
                    [0, 0, 0]
                } else {
                    [255, 255, 255]
                };
                let image = colour_bar::draw_panel(&key.0, &layout, view.background, ink)?;
                let bind_group = bind_group(ctx, &self.layout, &self.globals, &image);
                self.panel = Some(Panel {
                    key,
                    layout,
                    bind_group,
                });
            }
        }
        let panel = view.colour_bar.as_ref().and(self.panel.as_ref());

        let linear = |c: [f64; 3]| {
            let [r, g, b] = c.map(|v| super::colour::srgb_to_linear(v) as f32);
            [r, g, b, 1.0]
        };
        let mut map = [[0f32; 4]; MAP_ENTRIES];
        for (i, slot) in map.iter_mut().enumerate() {
            *slot = linear(view.map.sample(i as f64 / (MAP_ENTRIES - 1) as f64));
        }
        let light = view.camera.light_direction().as_vec3();
        let clip = match &view.clip {
            Some(p) if p.normal != DVec3::ZERO => Some(p.equation(self.origin).map(|v| v as f32)),
            _ => None,
        };
        let panel_rect = panel.map_or([0.0; 4], |p| {
            let r = &p.layout.panel;
            [
                r.x.start as f32,
                r.y.start as f32,
                (r.x.end - r.x.start) as f32,
                (r.y.end - r.y.start) as f32,
            ]
        });
        let globals = Globals {
            view_proj: view
                .camera
                .view_proj(aspect, self.origin)
                .to_cols_array_2d(),
            light: [
                light.x,
                light.y,
                light.z,
                view.ambient.clamp(0.0, 1.0) as f32,
            ],
            clip: clip.unwrap_or([0.0; 4]),
            range: [lo as f32, (1.0 / (hi - lo)) as f32, 0.0, 0.0],
            flags: [
                if clip.is_some() { 1.0 } else { 0.0 },
                if self.format.is_srgb() { 0.0 } else { 1.0 },
                0.0,
                0.0,
            ],
            no_data: linear(view.no_data.map(|v| f64::from(v) / 255.0)),
            panel: panel_rect,
            target_size: [w as f32, h as f32, 0.0, 0.0],
            map,
        };
        ctx.queue
            .write_buffer(&self.globals, 0, bytemuck::bytes_of(&globals));

        let attachments = self.attachments.as_ref().expect("created above");
        let bg = view
            .background
            .map(|v| super::colour::srgb_to_linear(f64::from(v) / 255.0));
        // A non-sRGB target stores the clear colour as given: give it encoded.
        let bg = if self.format.is_srgb() {
            bg
        } else {
            view.background.map(|v| f64::from(v) / 255.0)
        };
        let (view_target, resolve) = match &attachments.msaa {
            Some(msaa) => (msaa, Some(target)),
            None => (target, None),
        };
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("render"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: view_target,
                depth_slice: None,
                resolve_target: resolve,
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(wgpu::Color {
                        r: bg[0],
                        g: bg[1],
                        b: bg[2],
                        a: 1.0,
                    }),
                    // The multisampled buffer is only needed until it is resolved.
                    store: if resolve.is_some() {
                        wgpu::StoreOp::Discard
                    } else {
                        wgpu::StoreOp::Store
                    },
                },
            })],
            depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                view: &attachments.depth,
                depth_ops: Some(wgpu::Operations {
                    load: wgpu::LoadOp::Clear(1.0),
                    store: wgpu::StoreOp::Discard,
                }),
                stencil_ops: None,
            }),
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        pass.set_bind_group(
            0,
            panel.map_or(&self.plain_bind_group, |p| &p.bind_group),
            &[],
        );
        if let (Some(vb), Some(ib)) = (&self.vertices, &self.indices)
            && self.index_count > 0
        {
            pass.set_viewport(
                viewport.x.start as f32,
                viewport.y.start as f32,
                (viewport.x.end - viewport.x.start) as f32,
                (viewport.y.end - viewport.y.start) as f32,
                0.0,
                1.0,
            );
            pass.set_pipeline(if clip.is_some() {
                &self.clipped_pipeline
            } else {
                &self.surface_pipeline
            });
            pass.set_vertex_buffer(0, vb.slice(..));
            pass.set_index_buffer(ib.slice(..), wgpu::IndexFormat::Uint32);
            pass.draw_indexed(0..self.index_count, 0, 0..1);
            // The cut face closes the opened wall.
            if clip.is_some()
                && let Some((svb, sib, count)) = &self.section
            {
                pass.set_vertex_buffer(0, svb.slice(..));
                pass.set_index_buffer(sib.slice(..), wgpu::IndexFormat::Uint32);
                pass.draw_indexed(0..*count, 0, 0..1);
            }
            if let Some((gvb, count)) = &self.glyphs {
                pass.set_pipeline(&self.glyph_pipeline);
                pass.set_vertex_buffer(0, gvb.slice(..));
                pass.draw(0..*count, 0..1);
            }
        }
        drop(pass);
        // The colour bar: copied onto the (resolved) target in a single-sample pass, as multisampling
        // a screen-aligned texture buys nothing and costs a third of a frame on software rasterisers.
        if let Some(panel) = panel {
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("render colour bar"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: target,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Load,
                        store: wgpu::StoreOp::Store,
                    },
                })],
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            pass.set_bind_group(0, &panel.bind_group, &[]);
            pass.set_pipeline(&self.panel_pipeline);
            pass.draw(0..6, 0..1);
        }
        Ok(())
    }

    fn attachments_for(&self, ctx: &GpuContext, size: (u32, u32)) -> Attachments {
        let texture = |label, format, usage| {
            ctx.device
                .create_texture(&wgpu::TextureDescriptor {
                    label: Some(label),
                    size: wgpu::Extent3d {
                        width: size.0,
                        height: size.1,
                        depth_or_array_layers: 1,
                    },
                    mip_level_count: 1,
                    sample_count: self.samples,
                    dimension: wgpu::TextureDimension::D2,
                    format,
                    usage,
                    view_formats: &[],
                })
                .create_view(&Default::default())
        };
        Attachments {
            size,
            depth: texture(
                "render depth",
                DEPTH_FORMAT,
                wgpu::TextureUsages::RENDER_ATTACHMENT,
            ),
            msaa: (self.samples > 1).then(|| {
                texture(
                    "render multisampled colour",
                    self.format,
                    wgpu::TextureUsages::RENDER_ATTACHMENT,
                )
            }),
        }
    }
}

fn luminance(c: [u8; 3]) -> f64 {
    let [r, g, b] = c.map(|v| f64::from(v) / 255.0);
    0.2126 * r + 0.7152 * g + 0.0722 * b
}

fn bind_group(
    ctx: &GpuContext,
    layout: &wgpu::BindGroupLayout,
    globals: &wgpu::Buffer,
    image: &image::RgbaImage,
) -> wgpu::BindGroup {
    let size = wgpu::Extent3d {
        width: image.width(),
        height: image.height(),
        depth_or_array_layers: 1,
    };
    let texture = ctx.device.create_texture(&wgpu::TextureDescriptor {
        label: Some("colour bar panel"),
        size,
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::Rgba8UnormSrgb,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    });
    ctx.queue.write_texture(
        texture.as_image_copy(),
        image.as_raw(),
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(4 * image.width()),
            rows_per_image: Some(image.height()),
        },
        size,
    );
    let view = texture.create_view(&Default::default());
    ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("render globals"),
        layout,
        entries: &[
            wgpu::BindGroupEntry {
                binding: 0,
                resource: globals.as_entire_binding(),
            },
            wgpu::BindGroupEntry {
                binding: 1,
                resource: wgpu::BindingResource::TextureView(&view),
            },
        ],
    })
}

/// An offscreen texture and the buffer its pixels are read back through; reused frame after frame.
/// [`IMAGE_FORMAT`] by default; the 8-bit formats window surfaces use (BGRA, sRGB or not) can be chosen
/// to render exactly as into a window.
pub struct Offscreen {
    pub size: (u32, u32),
    pub format: wgpu::TextureFormat,
    texture: wgpu::Texture,
    view: wgpu::TextureView,
    readback: wgpu::Buffer,
}

impl Offscreen {
    /// A target of [`IMAGE_FORMAT`].
    pub fn new(ctx: &GpuContext, size: (u32, u32)) -> Result<Self, RenderError> {
        Self::with_format(ctx, size, IMAGE_FORMAT)
    }

    /// A target of `format`: `Rgba8Unorm`, `Bgra8Unorm` or their sRGB forms.
    pub fn with_format(
        ctx: &GpuContext,
        size: (u32, u32),
        format: wgpu::TextureFormat,
    ) -> Result<Self, RenderError> {
        use wgpu::TextureFormat as F;
        if !matches!(
            format,
            F::Rgba8Unorm | F::Rgba8UnormSrgb | F::Bgra8Unorm | F::Bgra8UnormSrgb
        ) {
            return Err(RenderError::Input(format!(
                "offscreen format {format:?}: use Rgba8Unorm, Bgra8Unorm or their sRGB forms"
            )));
        }
        let max = ctx.limits.max_texture_dimension_2d;
        if size.0 == 0 || size.1 == 0 || size.0 > max || size.1 > max {
            return Err(RenderError::Input(format!(
                "image size {}x{}: must be from 1x1 to {max}x{max} pixels",
                size.0, size.1
            )));
        }
        let texture = ctx.device.create_texture(&wgpu::TextureDescriptor {
            label: Some("offscreen image"),
            size: wgpu::Extent3d {
                width: size.0,
                height: size.1,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format,
            // Sampled too: the live viewer shows it as an image in its window.
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT
                | wgpu::TextureUsages::COPY_SRC
                | wgpu::TextureUsages::TEXTURE_BINDING,
            view_formats: &[],
        });
        let view = texture.create_view(&Default::default());
        let row_bytes = (4 * size.0).next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT);
        let readback = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("offscreen readback"),
            size: u64::from(row_bytes) * u64::from(size.1),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Ok(Offscreen {
            size,
            format,
            texture,
            view,
            readback,
        })
    }

    /// The view to draw into.
    pub fn view(&self) -> &wgpu::TextureView {
        &self.view
    }

    /// Draws `view` with `renderer` (of this target's format) and reads the picture back as RGBA, sRGB.
    pub fn render(
        &self,
        ctx: &GpuContext,
        renderer: &mut Renderer,
        view: &View,
    ) -> Result<image::RgbaImage, RenderError> {
        if renderer.format() != self.format {
            return Err(RenderError::Input(format!(
                "the offscreen target is {:?}; the renderer draws {:?}",
                self.format,
                renderer.format()
            )));
        }
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        renderer.draw(ctx, &mut encoder, &self.view, self.size, view)?;
        ctx.queue.submit([encoder.finish()]);
        read_texture(ctx, &self.texture, &self.readback)
    }
}

/// Copies `texture` (8-bit RGBA or BGRA, sRGB or not, `COPY_SRC`) into `readback` (a `MAP_READ` buffer
/// with rows padded to [`wgpu::COPY_BYTES_PER_ROW_ALIGNMENT`]), waits, and returns the pixels as RGBA.
/// Offscreen pictures and window screenshots come back through it.
pub fn read_texture(
    ctx: &GpuContext,
    texture: &wgpu::Texture,
    readback: &wgpu::Buffer,
) -> Result<image::RgbaImage, RenderError> {
    let (w, h) = (texture.width(), texture.height());
    let row_bytes = (4 * w).next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT);
    if readback.size() < u64::from(row_bytes) * u64::from(h) {
        return Err(RenderError::Draw(format!(
            "readback buffer of {} bytes for a {w}x{h} texture",
            readback.size()
        )));
    }
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    encoder.copy_texture_to_buffer(
        texture.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: readback,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(row_bytes),
                rows_per_image: Some(h),
            },
        },
        texture.size(),
    );
    ctx.queue.submit([encoder.finish()]);
    let (tx, rx) = std::sync::mpsc::channel();
    readback.map_async(wgpu::MapMode::Read, .., move |r| {
        let _ = tx.send(r);
    });
    ctx.sync("reading an image back")?;
    let failed = |message: String| GpuError::Readback {
        label: "image".into(),
        message,
    };
    rx.recv()
        .map_err(|e| failed(e.to_string()))?
        .map_err(|e| failed(e.to_string()))?;
    let mut pixels = Vec::with_capacity(4 * w as usize * h as usize);
    {
        let data = readback
            .get_mapped_range(..)
            .map_err(|e| failed(e.to_string()))?;
        let bgra = matches!(
            texture.format(),
            wgpu::TextureFormat::Bgra8Unorm | wgpu::TextureFormat::Bgra8UnormSrgb
        );
        for y in 0..h as usize {
            let row = &data[y * row_bytes as usize..][..4 * w as usize];
            if bgra {
                pixels.extend(row.chunks_exact(4).flat_map(|p| [p[2], p[1], p[0], p[3]]));
            } else {
                pixels.extend_from_slice(row);
            }
        }
    }
    readback.unmap();
    image::RgbaImage::from_raw(w, h, pixels)
        .ok_or_else(|| RenderError::Draw("readback size".into()))
}
