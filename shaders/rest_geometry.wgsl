// rest_geometry.wgsl: per-tetrahedron rest geometry, one invocation per tetrahedron.
//
// For tet (x0, x1, x2, x3) with edge matrix Dm = [x1-x0 | x2-x0 | x3-x0] (columns):
//   volume  = det(Dm) / 6                      signed: negative for an inverted node order
//   dm_inv  = Dm^-1; its rows are the gradients of the barycentric shape functions N1..N3
//             (grad N0 = -(sum of the rows)); zero when det(Dm) == 0
//   quality = radius ratio 3 r_in / r_circ in [0, 1], 1 for the regular tetrahedron
//           = 108 V^2 / (S |a^2 (b x c) + b^2 (c x a) + c^2 (a x b)|), a, b, c the edges from x0, S the
//             total face area
// Units follow the node coordinates (mm): volume mm^3, dm_inv 1/mm. The CPU twin, in f64, is
// src/geometry/cpu.rs.
//
// Dispatch: WG-wide workgroups on a 2-D grid covering `dispatch.count` tets; chunked by range when the tets or
// the output exceed one binding.
// Bindings (group 0):
//   0  dispatch  uniform             DispatchParams
//   1  nodes     storage read        array<vec4<f32>>  xyz relative to the mesh centre, w unused (whole)
//   2  tets      storage read        array<vec4<u32>>  node indices (this chunk)
//   3  out       storage read_write  array<RestGeometry>  (this chunk)
// Owner: src/geometry/gpu.rs.

struct RestGeometry {
    dm_inv: mat3x3<f32>,
    volume: f32,
    quality: f32,
    _pad: vec2<f32>,
}

@group(0) @binding(0) var<uniform> dispatch: DispatchParams;
@group(0) @binding(1) var<storage, read> nodes: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> tets: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read_write> out: array<RestGeometry>;

@compute @workgroup_size(WG)
fn rest_geometry(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let i = local_index(wid, nwg, lid);
    if (i >= dispatch.count) {
        return;
    }
    let t = tets[i];
    let x0 = nodes[t.x].xyz;
    let a = nodes[t.y].xyz - x0;
    let b = nodes[t.z].xyz - x0;
    let c = nodes[t.w].xyz - x0;

    let bxc = cross(b, c);
    let cxa = cross(c, a);
    let axb = cross(a, b);
    let det = dot(a, bxc);

    var g: RestGeometry;
    g.volume = det / 6.0;
    if (det != 0.0) {
        // Rows of Dm^-1 are (b x c, c x a, a x b) / det; WGSL matrices are built from columns.
        let inv_det = 1.0 / det;
        g.dm_inv = transpose(mat3x3<f32>(bxc * inv_det, cxa * inv_det, axb * inv_det));
        let area = 0.5 * (length(axb) + length(bxc) + length(cxa) + length(cross(b - a, c - a)));
        let circ = length(dot(a, a) * bxc + dot(b, b) * cxa + dot(c, c) * axb);
        g.quality = 108.0 * g.volume * g.volume / (area * circ);
    } else {
        g.dm_inv = mat3x3<f32>(vec3<f32>(0.0), vec3<f32>(0.0), vec3<f32>(0.0));
        g.quality = 0.0;
    }
    out[i] = g;
}
