// mech_relax.wgsl: dynamic relaxation on the GPU, the device side of src/mechanics/gpu/relax.rs: the load
// ramp and kinetic damping (Cundall 1976) between the explicit steps of mech_element.wgsl and mech_node.wgsl, so
// that a relaxation runs whole batches of steps without reading anything back. Per step, around the step's
// own passes:
//
//   load_ramp         before the step, while the ramp lasts; one invocation per tetrahedron or pressure load:
//                     load fraction f = min((first + clock) / ramp, 1) (1 when ramp = 0), the clock being the
//                     step's index in the batch (status[4], mech_node.wgsl); Ta_e = Ta0_e (1 - f) + Ta1_e f
//                     per tetrahedron, p_k = p0_k (1 - f) + p1_k f per pressure load (exactly the end values
//                     at f = 1)
//   kinetic_partials  after the node pass, one invocation per node: m |du|^2, summed per workgroup by the
//                     tree of common.wgsl (workgroup_sum) into partials[workgroup]
//   kinetic_damping   one workgroup: the partials summed in a fixed order, KE = sum / 2 (the pseudo time step
//                     is 1, so du is the velocity). When KE fell below the last step's, the motion has passed
//                     a peak of kinetic energy: reset = 1, resets += 1 and KE = 0 (the CPU twin's stop);
//                     else reset = 0. ke_prev <- KE.
//   stop_motion       one invocation per node: du = 0 when reset (x_prev = x)
//
// The CPU twin is src/mechanics/relax.rs (relax), in f64: the same decisions at the same steps, up to f32
// rounding of the kinetic energy. Units: mm, mg, pseudo time (dt = 1); Ta and p in kPa.
//
// Dispatch: WG-wide workgroups on a 2-D grid covering `dispatch.count` items; kinetic_damping is one
// workgroup (dispatch.count 1) that loops over all partials. The reduction entry points do not return early
// (workgroupBarrier needs uniform control flow).
// Bindings (group 0), per entry point:
//   load_ramp:        0 dispatch, 1 ramp uniform RampParams, 2 tension_ends read array<vec2<f32>> (Ta0, Ta1
//                     per tetrahedron), 3 pressure_ends read array<vec2<f32>> (p0, p1 per load),
//                     4 tension read_write array<f32> (the element pass's), 5 pressures read_write array<f32>
//                     (the face pass's), 6 status read_write array<atomic<u32>> (the step clock, read)
//   kinetic_partials: 0 dispatch, 1 mass read array<f32> (mg), 2 du read array<vec4<f32>> (mm),
//                     3 partials read_write array<f32> (one per workgroup)
//   kinetic_damping:  0 dispatch, 1 partial_sums read array<f32>, 2 relax read_write RelaxState
//   stop_motion:      0 dispatch, 1 decision read RelaxState, 2 increments read_write array<vec4<f32>>
// Owner: src/mechanics/gpu/relax.rs.

// The ramp of one batch (Rust: mechanics::gpu::relax::RampParams, 16 bytes).
struct RampParams {
    // The relaxation's step index of the batch's first step.
    first: u32,
    // Steps over which the load fraction rises from 0 to 1 (0: 1 from the start).
    ramp: u32,
    // Tetrahedra with active tension to ramp (0 or all).
    tensions: u32,
    // Pressure loads.
    pressures: u32,
}

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

@group(0) @binding(1) var<uniform> ramp: RampParams;
@group(0) @binding(2) var<storage, read> tension_ends: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> pressure_ends: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> tension: array<f32>;
@group(0) @binding(5) var<storage, read_write> pressures: array<f32>;
@group(0) @binding(6) var<storage, read_write> status: array<atomic<u32>>;

@group(0) @binding(1) var<storage, read> mass: array<f32>;
@group(0) @binding(2) var<storage, read> du: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;

@group(0) @binding(1) var<storage, read> partial_sums: array<f32>;
@group(0) @binding(2) var<storage, read_write> relax: RelaxState;

@group(0) @binding(1) var<storage, read> decision: RelaxState;
@group(0) @binding(2) var<storage, read_write> increments: array<vec4<f32>>;

fn mix_ends(ends: vec2<f32>, f: f32) -> f32 {
    return ends.x * (1.0 - f) + ends.y * f;
}

@compute @workgroup_size(WG)
fn load_ramp(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let i = local_index(wid, nwg, lid);
    if (i >= dispatch.count) {
        return;
    }
    var f = 1.0;
    if (ramp.ramp > 0u) {
        let step = ramp.first + atomicLoad(&status[4]);
        f = min(f32(step) / f32(ramp.ramp), 1.0);
    }
    if (i < ramp.tensions) {
        tension[i] = mix_ends(tension_ends[i], f);
    }
    if (i < ramp.pressures) {
        pressures[i] = mix_ends(pressure_ends[i], f);
    }
}

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
