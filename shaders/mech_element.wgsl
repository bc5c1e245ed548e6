// mech_element.wgsl: the element pass of the explicit total-Lagrangian step, one invocation per tetrahedron.
//
// F = sum_a x_a (x) grad N_a, C = F^T F, compressible neo-Hookean S = mu (I - C^-1) + lambda ln J C^-1,
// out = V0 F S (V0 P). An inverted tetrahedron (J <= 0 or NaN) writes its index into status[0] (atomic min),
// so the host can stop with a diagnosis. Units: mm, kPa; V0 P in mN mm. CPU twin: src/mechanics/tled.rs.
//
// Dispatch: WG-wide workgroups on a 2-D grid covering `dispatch.count` tetrahedra.
// Bindings (group 0):
//   0  dispatch  uniform             DispatchParams
//   1  material  uniform             NeoHookeanParams
//   2  tets      storage read        array<vec4<u32>>   node indices
//   3  tet_data  storage read        array<TetData>     grad N_0..3 (xyz), V0 in g0.w
//   4  x         storage read        array<vec4<f32>>   current positions (xyz, relative to the mesh origin)
//   5  vp        storage read_write  array<mat3x3<f32>> V0 P per tetrahedron
//   6  status    storage read_write  array<atomic<u32>> [0]: smallest inverted tetrahedron, or 0xFFFFFFFF
// Owner: src/mechanics/gpu.rs.

struct NeoHookeanParams {
    mu: f32,
    lambda: f32,
    _pad0: f32,
    _pad1: f32,
}

@group(0) @binding(0) var<uniform> dispatch: DispatchParams;
@group(0) @binding(1) var<uniform> material: NeoHookeanParams;
@group(0) @binding(2) var<storage, read> tets: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> tet_data: array<TetData>;
@group(0) @binding(4) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> vp: array<mat3x3<f32>>;
@group(0) @binding(6) var<storage, read_write> status: array<atomic<u32>>;

fn outer(a: vec3<f32>, g: vec3<f32>) -> mat3x3<f32> {
    return mat3x3<f32>(a * g.x, a * g.y, a * g.z);
}

@compute @workgroup_size(WG)
fn element_pass(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let i = local_index(wid, nwg, lid);
    if (i >= dispatch.count) {
        return;
    }
    let t = tets[i];
    let d = tet_data[i];
    let f = outer(x[t.x].xyz, d.g0.xyz) + outer(x[t.y].xyz, d.g1.xyz) + outer(x[t.z].xyz, d.g2.xyz)
        + outer(x[t.w].xyz, d.g3.xyz);
    let j = determinant(f);
    if (!(j > 0.0)) {
        atomicMin(&status[0], i);
        vp[i] = mat3x3<f32>(vec3<f32>(0.0), vec3<f32>(0.0), vec3<f32>(0.0));
        return;
    }
    let c = transpose(f) * f;
    // C^-1 = adj(C) / det(C); det C = J^2.
    let c_inv = transpose(mat3x3<f32>(
        cross(c[1], c[2]),
        cross(c[2], c[0]),
        cross(c[0], c[1]),
    )) * (1.0 / (j * j));
    let identity = mat3x3<f32>(vec3<f32>(1.0, 0.0, 0.0), vec3<f32>(0.0, 1.0, 0.0), vec3<f32>(0.0, 0.0, 1.0));
    let s = material.mu * (identity - c_inv) + (material.lambda * log(j)) * c_inv;
    vp[i] = d.g0.w * (f * s);
}
