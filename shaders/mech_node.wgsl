// mech_node.wgsl: the node pass of the explicit total-Lagrangian step, one invocation per node.
//
// Gathers f = -sum over the node's (tet, corner) pairs of (V0 P)_tet grad N_corner through the CSR adjacency,
// in tetrahedron order (deterministic, no float atomics), adds gravity m g, and advances by central
// differences with mass-proportional damping alpha:
//   x_next = x + (x - x_prev) (1 - alpha dt / 2) / (1 + alpha dt / 2) + dt^2 / m f / (1 + alpha dt / 2);
// prescribed components (bits 0, 1, 2 of the node's mask) take the target instead. Units: mm, ms, mg, mN.
// CPU twin: src/mechanics/tled.rs.
//
// Dispatch: WG-wide workgroups on a 2-D grid covering `dispatch.count` nodes.
// Bindings (group 0):
//   0  dispatch   uniform             DispatchParams
//   1  params     uniform             StepParams
//   2  offsets    storage read        array<u32>         CSR row starts (nodes + 1)
//   3  entries    storage read        array<vec2<u32>>   (tet, corner) pairs
//   4  vp         storage read        array<mat3x3<f32>> V0 P per tetrahedron (element pass)
//   5  tet_data   storage read        array<TetData>     grad N_0..3
//   6  x          storage read        array<vec4<f32>>   positions now
//   7  x_prev     storage read        array<vec4<f32>>   positions one step ago
//   8  x_next     storage read_write  array<vec4<f32>>   positions after the step
//   9  node_info  storage read        array<vec4<f32>>   (mass mg, prescribed mask, 0, 0)
//  10  targets    storage read        array<vec4<f32>>   prescribed positions (xyz)
// Owner: src/mechanics/gpu.rs.

struct StepParams {
    gravity: vec3<f32>,
    dt: f32,
    alpha: f32,
    _pad0: f32,
    _pad1: f32,
    _pad2: f32,
}

@group(0) @binding(0) var<uniform> dispatch: DispatchParams;
@group(0) @binding(1) var<uniform> params: StepParams;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<storage, read> entries: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read> vp: array<mat3x3<f32>>;
@group(0) @binding(5) var<storage, read> tet_data: array<TetData>;
@group(0) @binding(6) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read> x_prev: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> x_next: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read> node_info: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read> targets: array<vec4<f32>>;

fn gradient(t: u32, corner: u32) -> vec3<f32> {
    let d = tet_data[t];
    switch corner {
        case 0u: { return d.g0.xyz; }
        case 1u: { return d.g1.xyz; }
        case 2u: { return d.g2.xyz; }
        default: { return d.g3.xyz; }
    }
}

@compute @workgroup_size(WG)
fn node_pass(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let n = local_index(wid, nwg, lid);
    if (n >= dispatch.count) {
        return;
    }
    var f = vec3<f32>(0.0);
    for (var k = offsets[n]; k < offsets[n + 1u]; k++) {
        let e = entries[k];
        f -= vp[e.x] * gradient(e.x, e.y);
    }
    let info = node_info[n];
    let m = info.x;
    f += params.gravity * m;
    let h = 0.5 * params.alpha * params.dt;
    let now = x[n].xyz;
    var next = now + (now - x_prev[n].xyz) * ((1.0 - h) / (1.0 + h))
        + f * (params.dt * params.dt / (m * (1.0 + h)));
    let mask = u32(info.y);
    let goal = targets[n].xyz;
    if ((mask & 1u) != 0u) { next.x = goal.x; }
    if ((mask & 2u) != 0u) { next.y = goal.y; }
    if ((mask & 4u) != 0u) { next.z = goal.z; }
    x_next[n] = vec4<f32>(next, 0.0);
}
