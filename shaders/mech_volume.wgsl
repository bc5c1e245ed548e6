// mech_volume.wgsl: the nodal volume ratios of averaged nodal pressure (Joldes, Wittek and Miller 2009), two
// passes before the element pass of mech_element.wgsl when the model uses Volumetric::NodalAverage.
//
// tet_jacobian (one invocation per tetrahedron): vj = V0 (J - 1), J = det(I + H), H the displacement
// gradient from the corners' displacement differences (common.wgsl edge_gradient; with the compensated
// state, u + lo: see mech_node.wgsl), J - 1 without cancellation (det_minus_one), mm^3.
// node_jacobian (one invocation per node): J_n - 1 = sum over the node's (tet, corner) pairs of vj, in the
// CSR order of the adjacency (tetrahedron order, as the CPU sums; deterministic, no float atomics), divided
// by the node's sum of V0 (dimensionless). J - 1 rather than J: a stiff penalty turns the volume changes of
// a small load (1e-5 and less) into its pressures, and J in f32 resolves them to 6e-8 only. An inverted
// tetrahedron is left to the element pass to report. CPU twins: src/mechanics/tled.rs
// (TledModel::pressures) and the fused step's tet_volumes and node_volumes.
//
// Dispatch: WG-wide workgroups on a 2-D grid covering `dispatch.count` tetrahedra (tet_jacobian, bindings
// 1-6) or nodes (node_jacobian, bindings 1-10: all bound).
// Bindings (group 0):
//   0  dispatch     uniform             DispatchParams
//   1  params       uniform             StepParams         this batch (common.wgsl): `compensated`
//   2  tets         storage read        array<vec4<u32>>   node indices
//   3  tet_data     storage read        array<TetData>     grad N_0..3 (xyz), V0 in g0.w
//   4  x            storage read        array<vec4<f32>>   current displacements u = x - X (xyz), mm
//   5  lo           storage read        array<vec4<f32>>   their low parts (params.compensated only), mm
//   6  vj           storage read_write  array<f32>         V0 (J - 1) per tetrahedron, mm^3
//   7  offsets      storage read        array<u32>         CSR row starts (nodes + 1)
//   8  entries      storage read        array<vec2<u32>>   (tet, corner) pairs
//   9  node_volume  storage read        array<f32>         1 / sum of V0 around each node, 1/mm^3
//  10  j_node       storage read_write  array<f32>         J_n - 1 per node
// Owner: src/mechanics/gpu/mod.rs.

@group(0) @binding(0) var<uniform> dispatch: DispatchParams;
@group(0) @binding(1) var<uniform> params: StepParams;
@group(0) @binding(2) var<storage, read> tets: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> tet_data: array<TetData>;
@group(0) @binding(4) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> lo: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> vj: array<f32>;
@group(0) @binding(7) var<storage, read> offsets: array<u32>;
@group(0) @binding(8) var<storage, read> entries: array<vec2<u32>>;
@group(0) @binding(9) var<storage, read> node_volume: array<f32>;
@group(0) @binding(10) var<storage, read_write> j_node: array<f32>;

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
    let u3 = x[t.w].xyz;
    var e0 = x[t.x].xyz - u3;
    var e1 = x[t.y].xyz - u3;
    var e2 = x[t.z].xyz - u3;
    if (params.compensated != 0u) {
        let l3 = lo[t.w].xyz;
        e0 += lo[t.x].xyz - l3;
        e1 += lo[t.y].xyz - l3;
        e2 += lo[t.z].xyz - l3;
    }
    vj[i] = d.g0.w * det_minus_one(edge_gradient(e0, e1, e2, d));
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
