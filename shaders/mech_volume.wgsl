// mech_volume.wgsl: the nodal volume ratios of averaged nodal pressure (Joldes, Wittek and Miller 2009), two
// passes before the element pass of mech_element.wgsl when the model uses Volumetric::NodalAverage.
//
// tet_jacobian (one invocation per tetrahedron): vj = V0 J, J = det F, F = sum_a x_a (x) grad N_a (mm^3).
// node_jacobian (one invocation per node): J_n = sum over the node's (tet, corner) pairs of vj, in the CSR
// order of the adjacency (tetrahedron order, as the CPU sums; deterministic, no float atomics), divided by
// the node's sum of V0 (dimensionless). An inverted tetrahedron is left to the element pass to report. CPU
// twin: src/mechanics/tled.rs (TledModel::pressures).
//
// Dispatch: WG-wide workgroups on a 2-D grid covering `dispatch.count` tetrahedra (tet_jacobian, bindings
// 1-4) or nodes (node_jacobian, bindings 1-8: all bound).
// Bindings (group 0):
//   0  dispatch     uniform             DispatchParams
//   1  tets         storage read        array<vec4<u32>>   node indices
//   2  tet_data     storage read        array<TetData>     grad N_0..3 (xyz), V0 in g0.w
//   3  x            storage read        array<vec4<f32>>   current displacements u = x - X (xyz), mm
//   4  vj           storage read_write  array<f32>         V0 J per tetrahedron, mm^3
//   5  offsets      storage read        array<u32>         CSR row starts (nodes + 1)
//   6  entries      storage read        array<vec2<u32>>   (tet, corner) pairs
//   7  node_volume  storage read        array<f32>         1 / sum of V0 around each node, 1/mm^3
//   8  j_node       storage read_write  array<f32>         J_n per node
// Owner: src/mechanics/gpu.rs.

@group(0) @binding(0) var<uniform> dispatch: DispatchParams;
@group(0) @binding(1) var<storage, read> tets: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> tet_data: array<TetData>;
@group(0) @binding(3) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> vj: array<f32>;
@group(0) @binding(5) var<storage, read> offsets: array<u32>;
@group(0) @binding(6) var<storage, read> entries: array<vec2<u32>>;
@group(0) @binding(7) var<storage, read> node_volume: array<f32>;
@group(0) @binding(8) var<storage, read_write> j_node: array<f32>;

@compute @workgroup_size(WG)
fn tet_jacobian(
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
    // x holds displacements: F = I + grad u.
    let f = IDENTITY + gradient_of(x[t.x].xyz, x[t.y].xyz, x[t.z].xyz, x[t.w].xyz, d);
    vj[i] = d.g0.w * determinant(f);
}

@compute @workgroup_size(WG)
fn node_jacobian(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let n = local_index(wid, nwg, lid);
    if (n >= dispatch.count) {
        return;
    }
    var sum = 0.0;
    for (var k = offsets[n]; k < offsets[n + 1u]; k++) {
        sum += vj[entries[k].x];
    }
    j_node[n] = sum * node_volume[n];
}
