// mech_relax.wgsl: dynamic relaxation on the GPU, the device side of src/mechanics/gpu/relax.rs: kinetic
// damping (Cundall 1976) between the explicit steps of mech_element.wgsl and mech_node.wgsl, so that a
// relaxation runs whole batches of steps without reading anything back (its load ramp: step_loads of
// mech_loads.wgsl). Per step, after the step's own passes:
//
//   kinetic_partials  after the node pass, one invocation per node: m |du|^2, summed per workgroup by the
//                     tree of common.wgsl (workgroup_sum) into partials[workgroup]
//   kinetic_damping   one workgroup: the partials summed in a fixed order, KE = sum / 2 (the pseudo time step
//                     is 1, so du is the velocity). When KE fell below the last step's, the motion has passed
//                     a peak of kinetic energy: reset = 1, resets += 1 and KE = 0 (the CPU twin's stop);
//                     else reset = 0. ke_prev <- KE.
//   stop_motion       one invocation per node: du = 0 when reset (x_prev = x)
//
// The CPU twin is src/mechanics/relax.rs (relax), in f64: the same decisions at the same steps, up to f32
// rounding of the kinetic energy. Units: mm, mg, pseudo time (dt = 1).
//
// Dispatch: WG-wide workgroups on a 2-D grid covering `dispatch.count` nodes; kinetic_damping is one
// workgroup (dispatch.count 1) that loops over all partials. The reduction entry points do not return early
// (workgroupBarrier needs uniform control flow).
// Bindings (group 0), per entry point:
//   kinetic_partials: 0 dispatch, 1 mass read array<f32> (mg), 2 du read array<vec4<f32>> (mm),
//                     3 partials read_write array<f32> (one per workgroup)
//   kinetic_damping:  0 dispatch, 1 partial_sums read array<f32>, 2 relax read_write RelaxState
//   stop_motion:      0 dispatch, 1 decision read RelaxState, 2 increments read_write array<vec4<f32>>
// Owner: src/mechanics/gpu/relax.rs.

// The kinetic damping's state (Rust: mechanics::gpu::relax::RelaxState, 16 bytes).
struct RelaxState {
    // Kinetic energy after this step's decision (0 after a reset), mg mm^2 / (pseudo time)^2.
    ke: f32,
    // The previous step's, compared with this step's.
    ke_prev: f32,
    // Times the motion was stopped.
    resets: u32,
    // 1: stop_motion zeroes the increments of this step.
    reset: u32,
}

@group(0) @binding(0) var<uniform> dispatch: DispatchParams;

@group(0) @binding(1) var<storage, read> mass: array<f32>;
@group(0) @binding(2) var<storage, read> du: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;

@group(0) @binding(1) var<storage, read> partial_sums: array<f32>;
@group(0) @binding(2) var<storage, read_write> relax: RelaxState;

@group(0) @binding(1) var<storage, read> decision: RelaxState;
@group(0) @binding(2) var<storage, read_write> increments: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn kinetic_partials(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let n = local_index(wid, nwg, lid);
    var term = 0.0;
    if (n < dispatch.count) {
        let d = du[n].xyz;
        term = mass[n] * dot(d, d);
    }
    let sum = workgroup_sum(term, lid.x);
    let g = group_index(wid, nwg);
    if (lid.x == 0u && g * WG < dispatch.count) {
        partials[g] = sum;
    }
}

@compute @workgroup_size(WG)
fn kinetic_damping(@builtin(local_invocation_id) lid: vec3<u32>) {
    var sum = 0.0;
    for (var k = lid.x; k < arrayLength(&partial_sums); k += WG) {
        sum += partial_sums[k];
    }
    let ke = 0.5 * workgroup_sum(sum, lid.x);
    if (lid.x == 0u) {
        if (ke < relax.ke_prev) {
            relax.reset = 1u;
            relax.resets += 1u;
            relax.ke = 0.0;
        } else {
            relax.reset = 0u;
            relax.ke = ke;
        }
        relax.ke_prev = relax.ke;
    }
}

@compute @workgroup_size(WG)
fn stop_motion(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let n = local_index(wid, nwg, lid);
    if (n >= dispatch.count || decision.reset == 0u) {
        return;
    }
    increments[n] = vec4<f32>(0.0);
}
