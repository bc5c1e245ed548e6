// ep_monodomain.wgsl: the monodomain step in f32, the GPU twin of src/ep/monodomain.rs (CPU, f64): the
// stimulus, the Mitchell-Schaeffer reaction, the diffusion and the clock. (The TP06 reaction is
// ep_tp06.wgsl.) Per step, in this order:
//
//   ep_stimulus   one invocation per node: the summed strength of the stimuli whose window holds the
//                 step's start time and whose bit is set in the node's mask (mV/ms)
//   ep_reaction   one invocation per node of the cell's node list (every node, or those of one cell
//                 where a problem mixes cells): v_old = V; the Mitchell-Schaeffer cell over dt with the
//                 node's stimulus, V updated in place, gate h (one per listed node) in place
//   ep_diffusion  one invocation per node: V_next = V - dt (K V)_i / m_i (CSR row gather: deterministic,
//                 no atomics); upward crossings of the activation threshold (first and latest) and the
//                 first downward crossing of the repolarisation threshold after it, interpolated in the step
//   ep_tick       one invocation (dispatch count 1): step counter + 1, clock = start + steps * dt (the time
//                 lives on the GPU, so a batch holds many steps; computed, not summed, so f32 does not drift)
//
// V and V_next are two buffers that swap roles every step (the owner binds them alternately). Times are
// -1 until they happen.
// Bindings (group 0):
//   ep_stimulus:  0 dispatch, 1 step uniform EpStep, 2 clock read array<f32> (ms), 3 stimuli read
//                 array<vec4<f32>> (start ms, end ms, strength mV/ms, unused; at most 32), 4 stim_mask read
//                 array<u32> (bit s: stimulus s applies to the node), 5 stim read_write array<f32> (mV/ms)
//   ep_reaction:  0 dispatch, 1 params uniform MsParams, 2 v read_write array<f32> (mV), 3 h read_write
//                 array<f32> (entry k: listed node k), 4 v_old read_write array<f32>, 5 stim read
//                 array<f32>, 6 nodes read array<u32> (the node list)
//   ep_diffusion: 0 dispatch, 1 step, 2 clock read, 3 row_ptr read array<u32>, 4 cols read array<u32>,
//                 5 vals read array<f32> (K, mV mm / ms per mV), 6 inv_mass read array<f32> (1/mm^3),
//                 7 v read array<f32>, 8 v_old read array<f32>, 9 v_next read_write array<f32>,
//                 10 activation, 11 last_activation, 12 repolarisation read_write array<f32> (ms)
//   ep_tick:      0 dispatch, 1 step, 2 clock read_write array<f32>, 3 steps read_write array<u32>
// Owner: src/ep/gpu.rs.

// Shared by the stimulus, diffusion and clock kernels.
struct EpStep {
    // dt (ms), activation threshold (mV), repolarisation threshold (mV; -1e30: not tracked), the clock's
    // time at step 0 (ms).
    dt_thresholds_start: vec4<f32>,
    // Stimuli in use, unused x3.
    counts: vec4<u32>,
}

// The Mitchell-Schaeffer cell.
struct MsParams {
    // tau_in, tau_out, tau_open, tau_close (ms).
    taus: vec4<f32>,
    // v_gate (of u), v_rest, v_peak (mV), dt (ms).
    gate_rest_peak_dt: vec4<f32>,
}

@group(0) @binding(0) var<uniform> dispatch: DispatchParams;

@group(0) @binding(1) var<uniform> s_step: EpStep;
@group(0) @binding(2) var<storage, read> s_clock: array<f32>;
@group(0) @binding(3) var<storage, read> s_stimuli: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> s_mask: array<u32>;
@group(0) @binding(5) var<storage, read_write> s_stim: array<f32>;

@compute @workgroup_size(WG)
fn ep_stimulus(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let i = local_index(wid, nwg, lid);
    if (i >= dispatch.count) {
        return;
    }
    let t0 = s_clock[0];
    var total = 0.0;
    var bits = s_mask[i];
    for (var s = 0u; s < s_step.counts.x; s = s + 1u) {
        let w = s_stimuli[s];
        if ((bits & (1u << s)) != 0u && t0 + 1e-6 >= w.x && t0 < w.y - 1e-6) {
            total = total + w.z;
        }
    }
    s_stim[i] = total;
}

@group(0) @binding(1) var<uniform> r_params: MsParams;
@group(0) @binding(2) var<storage, read_write> r_v: array<f32>;
@group(0) @binding(3) var<storage, read_write> r_h: array<f32>;
@group(0) @binding(4) var<storage, read_write> r_v_old: array<f32>;
@group(0) @binding(5) var<storage, read> r_stim: array<f32>;
@group(0) @binding(6) var<storage, read> r_nodes: array<u32>;

@compute @workgroup_size(WG)
fn ep_reaction(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let k = local_index(wid, nwg, lid);
    if (k >= dispatch.count) {
        return;
    }
    let i = r_nodes[k];
    let dt = r_params.gate_rest_peak_dt.w;
    let v_rest = r_params.gate_rest_peak_dt.y;
    let span = r_params.gate_rest_peak_dt.z - v_rest;
    let v = r_v[i];
    r_v_old[i] = v;
    let u = (v - v_rest) / span;
    let h = r_h[k];
    let du = h * u * u * (1.0 - u) / r_params.taus.x - u / r_params.taus.y + r_stim[i] / span;
    var h_target = 0.0;
    var tau = r_params.taus.w;
    if (u < r_params.gate_rest_peak_dt.x) {
        h_target = 1.0;
        tau = r_params.taus.z;
    }
    r_h[k] = h_target + (h - h_target) * exp(-dt / tau);
    r_v[i] = v_rest + span * (u + dt * du);
}

@group(0) @binding(1) var<uniform> d_step: EpStep;
@group(0) @binding(2) var<storage, read> d_clock: array<f32>;
@group(0) @binding(3) var<storage, read> d_row_ptr: array<u32>;
@group(0) @binding(4) var<storage, read> d_cols: array<u32>;
@group(0) @binding(5) var<storage, read> d_vals: array<f32>;
@group(0) @binding(6) var<storage, read> d_inv_mass: array<f32>;
@group(0) @binding(7) var<storage, read> d_v: array<f32>;
@group(0) @binding(8) var<storage, read> d_v_old: array<f32>;
@group(0) @binding(9) var<storage, read_write> d_v_next: array<f32>;
@group(0) @binding(10) var<storage, read_write> d_activation: array<f32>;
@group(0) @binding(11) var<storage, read_write> d_last_activation: array<f32>;
@group(0) @binding(12) var<storage, read_write> d_repolarisation: array<f32>;

@compute @workgroup_size(WG)
fn ep_diffusion(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let i = local_index(wid, nwg, lid);
    if (i >= dispatch.count) {
        return;
    }
    let dt = d_step.dt_thresholds_start.x;
    var kv = 0.0;
    for (var k = d_row_ptr[i]; k < d_row_ptr[i + 1u]; k = k + 1u) {
        kv = kv + d_vals[k] * d_v[d_cols[k]];
    }
    let after = d_v[i] - dt * kv * d_inv_mass[i];
    d_v_next[i] = after;
    let before = d_v_old[i];
    let t0 = d_clock[0];
    let thr = d_step.dt_thresholds_start.y;
    var first = d_activation[i];
    if (after >= thr && (before < thr || first < 0.0)) {
        let t = t0 + clamp((thr - before) / (after - before), 0.0, 1.0) * dt;
        if (first < 0.0) {
            first = t;
            d_activation[i] = t;
        }
        d_last_activation[i] = t;
    }
    let rthr = d_step.dt_thresholds_start.z;
    if (first >= 0.0 && d_repolarisation[i] < 0.0 && before >= rthr && after < rthr) {
        d_repolarisation[i] = t0 + clamp((rthr - before) / (after - before), 0.0, 1.0) * dt;
    }
}

@group(0) @binding(1) var<uniform> t_step: EpStep;
@group(0) @binding(2) var<storage, read_write> t_clock: array<f32>;
@group(0) @binding(3) var<storage, read_write> t_steps: array<u32>;

@compute @workgroup_size(WG)
fn ep_tick(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    if (local_index(wid, nwg, lid) == 0u) {
        let n = t_steps[0] + 1u;
        t_steps[0] = n;
        t_clock[0] = t_step.dt_thresholds_start.w + f32(n) * t_step.dt_thresholds_start.x;
    }
}
