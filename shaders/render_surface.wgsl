// render_surface.wgsl: the renderer of src/render/ (owner: src/render/renderer.rs). Not a compute kernel, and
// common.wgsl is not prepended.
//
// Two pipelines share one bind group (group 0: binding 0 the `Globals` uniform, binding 1 the colour bar
// panel as an sRGB texture):
// - vs_surface / fs_surface: the boundary surface of the mesh, per-vertex position (mm, relative to the
//   renderer's origin), normal and scalar; the scalar goes through the colour map per fragment, lit by a
//   directional light (Lambert, two-sided) plus ambient. fs_surface_clipped also discards the fragments
//   beyond the clipping plane: a separate entry point, because a shader that may discard loses the early
//   depth test (on software rasterisers that doubles the cost of a frame).
// - vs_surface / fs_glyph: fibre glyphs, line segments in one dark colour (the surface's vertex layout, its
//   normal and value unused), depth-tested against the surface and clipped like it when `flags.x` is 1.
// - vs_panel / fs_panel: a screen-aligned rectangle that copies the colour bar panel, texel for pixel.
//
// Colours: the colour map arrives as a table of 256 linear-light colours (sampled from the sRGB map on the
// CPU, so no per-fragment sRGB decoding); the panel is an sRGB texture; lighting is done in linear light;
// the result is written as linear light to an sRGB target (the hardware encodes) or encoded here when the
// target is not sRGB (`flags.y`).

struct Globals {
    // Projection times view, mesh frame (mm, relative to the renderer's origin) to clip space.
    view_proj: mat4x4<f32>,
    // Unit direction from the surface towards the light (mesh frame); w: ambient fraction (1 = unlit).
    light: vec4<f32>,
    // Clipping plane: fs_surface_clipped discards fragments with dot(clip.xyz, p) + clip.w > 0.
    clip: vec4<f32>,
    // x: range minimum, y: 1 / (maximum - minimum), z, w: unused.
    range: vec4<f32>,
    // x: 1 when the view clips (read by fs_glyph; the surface's clipping is chosen by pipeline); y: encode
    // sRGB in the shader (1, the target is not sRGB); z, w: unused.
    flags: vec4<f32>,
    // Colour of vertices without a value (e.g. never activated), linear light.
    no_data: vec4<f32>,
    // The panel: x, y (top-left pixel), width, height, in target pixels.
    panel: vec4<f32>,
    // Target width and height in pixels, then unused.
    target_size: vec4<f32>,
    // The colour map at 256 equally spaced points from the low end to the high end, linear light.
    map: array<vec4<f32>, 256>,
}

@group(0) @binding(0) var<uniform> g: Globals;
@group(0) @binding(1) var panel_texture: texture_2d<f32>;

struct VertexIn {
    @location(0) position: vec3<f32>,
    @location(1) normal: vec3<f32>,
    // The scalar and whether it exists (1) or not (0).
    @location(2) value: vec2<f32>,
}

struct VertexOut {
    @builtin(position) clip_position: vec4<f32>,
    @location(0) position: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) value: vec2<f32>,
}

@vertex
fn vs_surface(v: VertexIn) -> VertexOut {
    var out: VertexOut;
    out.clip_position = g.view_proj * vec4<f32>(v.position, 1.0);
    out.position = v.position;
    out.normal = v.normal;
    out.value = v.value;
    return out;
}

fn linear_to_srgb(c: vec3<f32>) -> vec3<f32> {
    let lo = c * 12.92;
    let hi = 1.055 * pow(max(c, vec3<f32>(0.0)), vec3<f32>(1.0 / 2.4)) - vec3<f32>(0.055);
    return select(hi, lo, c <= vec3<f32>(0.0031308));
}

// The colour map at t in [0, 1] (clamped), linear light: linear interpolation in the table.
fn colour_map(t: f32) -> vec3<f32> {
    let x = clamp(t, 0.0, 1.0) * 255.0;
    let i = min(u32(floor(x)), 254u);
    return mix(g.map[i].xyz, g.map[i + 1u].xyz, x - f32(i));
}

fn output(linear: vec3<f32>) -> vec4<f32> {
    if (g.flags.y > 0.5) {
        return vec4<f32>(linear_to_srgb(linear), 1.0);
    }
    return vec4<f32>(linear, 1.0);
}

// The lit, colour-mapped surface colour of a fragment, linear light.
fn shade(in: VertexOut, front: bool) -> vec3<f32> {
    var base: vec3<f32>;
    if (in.value.y > 0.5) {
        base = colour_map((in.value.x - g.range.x) * g.range.y);
    } else {
        base = g.no_data.xyz;
    }
    // Two-sided: the inside of the wall (seen through the clipping plane) is lit like the outside.
    var n = normalize(in.normal);
    if (!front) {
        n = -n;
    }
    let ambient = g.light.w;
    let diffuse = max(dot(n, g.light.xyz), 0.0);
    return base * (ambient + (1.0 - ambient) * diffuse);
}

@fragment
fn fs_surface(in: VertexOut, @builtin(front_facing) front: bool) -> @location(0) vec4<f32> {
    return output(shade(in, front));
}

@fragment
fn fs_surface_clipped(in: VertexOut, @builtin(front_facing) front: bool) -> @location(0) vec4<f32> {
    if (dot(g.clip.xyz, in.position) + g.clip.w > 0.0) {
        discard;
    }
    return output(shade(in, front));
}

@fragment
fn fs_glyph(in: VertexOut) -> @location(0) vec4<f32> {
    if (g.flags.x > 0.5 && dot(g.clip.xyz, in.position) + g.clip.w > 0.0) {
        discard;
    }
    // Near black: visible on every colour of the maps.
    return output(vec3<f32>(0.0015, 0.0015, 0.002));
}

struct PanelOut {
    @builtin(position) clip_position: vec4<f32>,
}

// Two triangles covering the panel rectangle, from the vertex index (no vertex buffer).
@vertex
fn vs_panel(@builtin(vertex_index) k: u32) -> PanelOut {
    let corners = array<vec2<f32>, 6>(
        vec2<f32>(0.0, 0.0), vec2<f32>(1.0, 0.0), vec2<f32>(0.0, 1.0),
        vec2<f32>(0.0, 1.0), vec2<f32>(1.0, 0.0), vec2<f32>(1.0, 1.0),
    );
    let c = corners[k];
    let pixel = g.panel.xy + c * g.panel.zw;
    let ndc = vec2<f32>(2.0 * pixel.x / g.target_size.x - 1.0, 1.0 - 2.0 * pixel.y / g.target_size.y);
    var out: PanelOut;
    out.clip_position = vec4<f32>(ndc, 0.0, 1.0);
    return out;
}

@fragment
fn fs_panel(in: PanelOut) -> @location(0) vec4<f32> {
    let texel = vec2<i32>(floor(in.clip_position.xy - g.panel.xy));
    let size = vec2<i32>(textureDimensions(panel_texture));
    let c = textureLoad(panel_texture, clamp(texel, vec2<i32>(0), size - vec2<i32>(1)), 0);
    // The texture is sRGB: textureLoad returns linear light.
    return output(c.xyz);
}
