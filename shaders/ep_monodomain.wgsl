// ep_monodomain.wgsl: the monodomain step with Mitchell-Schaeffer cells, in f32: the GPU twin of
// src/ep/monodomain.rs (CPU, f64). Per step, in this order:
//
//   ep_reaction   one invocation per node of the cell's node list (every node, or those of one cell
//                 where a problem mixes cells): v_old = V; the cell model over dt (stimulus from the node's
//                 mask and the time window), V updated in place, gate h (one per listed node) in place
//   ep_diffusion  one invocation per node: V_next = V - dt (K V)_i / m_i (CSR row gather: deterministic,
//                 no atomics); the first upward crossing of the threshold is recorded, interpolated
//   ep_tick       one invocation (dispatch count 1): clock += dt (the time lives on the GPU, so a batch holds many steps)
//
// V and V_next are two buffers that swap roles every step (the owner binds them alternately).
// Bindings (group 0):
//   ep_reaction:  0 dispatch, 1 params uniform EpParams, 2 clock read array<f32>, 3 v read_write
//                 array<f32> (mV), 4 h read_write array<f32> (entry k: listed node k), 5 v_old read_write
//                 array<f32>, 6 stim_mask read array<u32>, 7 nodes read array<u32> (the node list)
//   ep_diffusion: 0 dispatch, 1 params, 2 clock read, 3 row_ptr read array<u32>, 4 cols read array<u32>,
//                 5 vals read array<f32> (K, mV mm / ms per mV), 6 inv_mass read array<f32> (1/mm^3),
//                 7 v read array<f32>, 8 v_old read array<f32>, 9 v_next read_write array<f32>,
//                 10 activation read_write array<f32> (ms; -1 until activated)
//   ep_tick:      0 dispatch, 1 params, 2 clock read_write array<f32>
// Owner: src/ep/gpu.rs.

struct EpParams {
    // Mitchell-Schaeffer: tau_in, tau_out, tau_open, tau_close (ms).
    taus: vec4<f32>,
    // v_gate (of u), v_rest, v_peak (mV), dt (ms).
    gate_rest_peak_dt: vec4<f32>,
    // Stimulus strength (mV/ms), start and end (ms); activation threshold (mV).
    stim_start_end_threshold: vec4<f32>,
}

@group(0) @binding(0) var<uniform> dispatch: DispatchParams;
@group(0) @binding(1) var<uniform> params: EpParams;

@group(0) @binding(2) var<storage, read> r_clock: array<f32>;
@group(0) @binding(3) var<storage, read_write> r_v: array<f32>;
@group(0) @binding(4) var<storage, read_write> r_h: array<f32>;
@group(0) @binding(5) var<storage, read_write> r_v_old: array<f32>;
@group(0) @binding(6) var<storage, read> r_stim_mask: array<u32>;
@group(0) @binding(7) var<storage, read> r_nodes: array<u32>;

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
    let t0 = r_clock[0];
    let dt = params.gate_rest_peak_dt.w;
    let v_rest = params.gate_rest_peak_dt.y;
    let span = params.gate_rest_peak_dt.z - v_rest;
    let v = r_v[i];
    r_v_old[i] = v;
    let u = (v - v_rest) / span;
    let h = r_h[k];
    var stim = 0.0;
    let s = params.stim_start_end_threshold;
    if (r_stim_mask[i] != 0u && t0 + 1e-6 >= s.y && t0 < s.z - 1e-6) {
        stim = s.x;
    }
    let du = h * u * u * (1.0 - u) / params.taus.x - u / params.taus.y + stim / span;
    var h_target = 0.0;
    var tau = params.taus.w;
    if (u < params.gate_rest_peak_dt.x) {
        h_target = 1.0;
        tau = params.taus.z;
    }
    r_h[k] = h_target + (h - h_target) * exp(-dt / tau);
    r_v[i] = v_rest + span * (u + dt * du);
}

@group(0) @binding(2) var<storage, read> d_clock: array<f32>;
@group(0) @binding(3) var<storage, read> d_row_ptr: array<u32>;
@group(0) @binding(4) var<storage, read> d_cols: array<u32>;
@group(0) @binding(5) var<storage, read> d_vals: array<f32>;
@group(0) @binding(6) var<storage, read> d_inv_mass: array<f32>;
@group(0) @binding(7) var<storage, read> d_v: array<f32>;
@group(0) @binding(8) var<storage, read> d_v_old: array<f32>;
@group(0) @binding(9) var<storage, read_write> d_v_next: array<f32>;
@group(0) @binding(10) var<storage, read_write> d_activation: array<f32>;

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
    let dt = params.gate_rest_peak_dt.w;
    var kv = 0.0;
    for (var k = d_row_ptr[i]; k < d_row_ptr[i + 1u]; k = k + 1u) {
        kv = kv + d_vals[k] * d_v[d_cols[k]];
    }
    let after = d_v[i] - dt * kv * d_inv_mass[i];
    d_v_next[i] = after;
    let thr = params.stim_start_end_threshold.w;
    if (d_activation[i] < 0.0 && after >= thr) {
        let before = d_v_old[i];
        let w = clamp((thr - before) / (after - before), 0.0, 1.0);
        d_activation[i] = d_clock[0] + w * dt;
    }
}

@group(0) @binding(2) var<storage, read_write> t_clock: array<f32>;

@compute @workgroup_size(WG)
fn ep_tick(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    if (local_index(wid, nwg, lid) == 0u) {
        t_clock[0] = t_clock[0] + params.gate_rest_peak_dt.w;
    }
}
