// util.wgsl: index kernels, one invocation per element.
//
// Dispatch: WG-wide workgroups on a 2-D grid covering `dispatch.count` elements (chunked by range for
// buffers larger than one binding).
// Bindings (group 0):
//   0  dispatch  uniform             DispatchParams
//   1  out_u32   storage read_write  array<u32>, bound by range
// Owner: src/gpu/util.rs.

@group(0) @binding(0) var<uniform> dispatch: DispatchParams;

// out[i] = first + i: the global index of every element.
@group(0) @binding(1) var<storage, read_write> out_u32: array<u32>;

@compute @workgroup_size(WG)
fn iota_u32(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let i = local_index(wid, nwg, lid);
    if (i >= dispatch.count) {
        return;
    }
    out_u32[i] = dispatch.first + i;
}
