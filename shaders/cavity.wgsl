// cavity.wgsl: the volume of a closed cavity from GPU-resident positions, by the divergence theorem and a
// deterministic tree reduction (no float atomics). Three passes, in this order:
//
//   cavity_caps      one invocation per opening (loop): c_l = mean of the loop's nodes, relative to r
//   cavity_partials  one invocation per triangle (wall, then caps): t_i = (x0-r).((x1-r)x(x2-r)) / 6,
//                    summed per workgroup by a fixed binary tree into partials[workgroup]
//   cavity_reduce    one invocation per input value: the same tree, WG values -> 1, repeated until one
//                    value is left: the volume, mm^3
//
// Triangles are vec4<u32>(a, b, c, kind): kind 0 a wall triangle of mesh nodes; kind 1 a cap triangle
// whose c is a loop index into `caps`. r (params.reference) is the cavity's centroid in the reference
// configuration relative to the positions' origin, which keeps each term of the order of the cavity size.
// Node positions: x[n] (params.with_rest = 0), or rest[n] + x[n] (params.with_rest = 1: x holds the
// displacements of the mechanics state, rest the rest positions, both relative to the origin); in the
// second case the node's offset from r is (rest[n] - r) + x[n], the small displacement added last.
// The CPU twin, in f64, is src/coupling/cavity.rs.
//
// Dispatch: WG-wide workgroups on a 2-D grid covering `dispatch.count` items. The reduction entry points
// cannot return early (workgroupBarrier needs uniform control flow): invocations past `dispatch.count`
// contribute 0 and only workgroups holding items write (the tree: workgroup_sum of common.wgsl).
// Bindings (group 0), per entry point:
//   cavity_caps:      0 dispatch, 1 params storage read CavityParams, 2 x storage read array<vec4<f32>>
//                     (xyz mm relative to the origin, or displacements), 3 loop_offsets read array<u32>,
//                     4 loop_nodes read array<u32>, 5 caps read_write array<vec4<f32>>,
//                     6 rest read array<vec4<f32>> (read only when params.with_rest = 1)
//   cavity_partials:  0 dispatch, 1 params, 2 x, 3 triangles read array<vec4<u32>>,
//                     4 caps read array<vec4<f32>>, 5 out read_write array<f32> (one per workgroup), 6 rest
//   cavity_reduce:    0 dispatch, 1 values read array<f32>, 2 out read_write array<f32> (one per workgroup)
// Owner: src/coupling/cavity_gpu.rs.

struct CavityParams {
    // xyz: reference point r (mm, relative to the positions' origin); w unused.
    reference: vec4<f32>,
    // 1: the node positions are rest + x; 0: x.
    with_rest: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> dispatch: DispatchParams;

// A storage buffer, not a uniform: with the reference point in a uniform, Mesa 22.3 lavapipe grew the
// process by about 190 kB and took about 1 ms more per dispatch of cavity_partials (measured; the
// heartbeat dispatches it every step), with the same values in a storage buffer neither.
@group(0) @binding(1) var<storage, read> params: CavityParams;
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;

@group(0) @binding(3) var<storage, read> loop_offsets: array<u32>;
@group(0) @binding(4) var<storage, read> loop_nodes: array<u32>;
@group(0) @binding(5) var<storage, read_write> caps_out: array<vec4<f32>>;

@group(0) @binding(3) var<storage, read> triangles: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> caps: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;

@group(0) @binding(6) var<storage, read> rest: array<vec4<f32>>;

@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> sums: array<f32>;

// Position of node n relative to r.
fn offset_of(n: u32, r: vec3<f32>) -> vec3<f32> {
    if (params.with_rest != 0u) {
        return (rest[n].xyz - r) + x[n].xyz;
    }
    return x[n].xyz - r;
}

@compute @workgroup_size(WG)
fn cavity_caps(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let l = local_index(wid, nwg, lid);
    if (l >= dispatch.count) {
        return;
    }
    let r = params.reference.xyz;
    let begin = loop_offsets[l];
    let end = loop_offsets[l + 1u];
    var sum = vec3<f32>(0.0);
    for (var k = begin; k < end; k = k + 1u) {
        sum = sum + offset_of(loop_nodes[k], r);
    }
    caps_out[l] = vec4<f32>(sum / f32(max(end - begin, 1u)), 0.0);
}

@compute @workgroup_size(WG)
fn cavity_partials(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let i = local_index(wid, nwg, lid);
    var term = 0.0;
    if (i < dispatch.count) {
        let t = triangles[i];
        let r = params.reference.xyz;
        let a = offset_of(t.x, r);
        let b = offset_of(t.y, r);
        var c: vec3<f32>;
        if (t.w == 0u) {
            c = offset_of(t.z, r);
        } else {
            c = caps[t.z].xyz;
        }
        term = dot(a, cross(b, c)) / 6.0;
    }
    let sum = workgroup_sum(term, lid.x);
    let g = group_index(wid, nwg);
    if (lid.x == 0u && g * WG < dispatch.count) {
        partials[g] = sum;
    }
}

@compute @workgroup_size(WG)
fn cavity_reduce(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let i = local_index(wid, nwg, lid);
    var v = 0.0;
    if (i < dispatch.count) {
        v = values[i];
    }
    let sum = workgroup_sum(v, lid.x);
    let g = group_index(wid, nwg);
    if (lid.x == 0u && g * WG < dispatch.count) {
        sums[g] = sum;
    }
}
