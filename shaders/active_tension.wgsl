// active_tension.wgsl: the active tension of every tetrahedron at one time of the heartbeat, from its
// activation time, its contractility and the twitch table (src/heartbeat/activation.rs, Twitch::lookup,
// whose f64 CPU twin this is). One invocation per tetrahedron, once per step, writing the tension buffer
// that the mechanics element pass (mech_element.wgsl) reads.
//
//   s  = (phase - activation[i]) mod period    (phase = time in the beat, computed in f64 on the host, so
//                                                that f32 keeps the digits of the time within the beat)
//   Ta = scale contractility[i] (table[k] + w (table[k+1] - table[k])),  s / table_step = k + w,
//        and 0 unless 0 < s < duration.
//
// Bindings (group 0):
//   active_tension: 0 dispatch, 1 params uniform TwitchParams, 2 activation read array<f32> (ms),
//                   3 contractility read array<f32>, 4 table read array<f32> (kPa),
//                   5 tension read_write array<f32> (kPa)
// Owner: src/heartbeat/gpu.rs.

struct TwitchParams {
    // Time within the beat, ms, in [0, period).
    phase: f32,
    // Heart period, ms.
    period: f32,
    // Duration of one twitch, ms.
    duration: f32,
    // Spacing of the table, ms.
    table_step: f32,
    // Entries in the table.
    entries: u32,
    // Multiplier of every contractility (the live viewer's control; 1 in a scenario's run).
    scale: f32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> dispatch: DispatchParams;
@group(0) @binding(1) var<uniform> params: TwitchParams;
@group(0) @binding(2) var<storage, read> activation: array<f32>;
@group(0) @binding(3) var<storage, read> contractility: array<f32>;
@group(0) @binding(4) var<storage, read> table: array<f32>;
@group(0) @binding(5) var<storage, read_write> tension: array<f32>;

// The twitch s ms after activation: the table interpolated linearly, 0 outside (0, duration).
fn twitch(s: f32) -> f32 {
    if (s <= 0.0 || s >= params.duration) {
        return 0.0;
    }
    let x = s / params.table_step;
    let k = u32(x);
    if (k + 1u >= params.entries) {
        return 0.0;
    }
    let w = x - f32(k);
    let a = table[k];
    return a + w * (table[k + 1u] - a);
}

@compute @workgroup_size(WG)
fn active_tension(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let i = local_index(wid, nwg, lid);
    if (i >= dispatch.count) {
        return;
    }
    let d = params.phase - activation[i];
    // Euclidean remainder, as f64::rem_euclid on the CPU.
    let s = d - params.period * floor(d / params.period);
    tension[i] = contractility[i] * params.scale * twitch(s);
}
