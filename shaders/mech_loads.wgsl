// mech_loads.wgsl: loads that change from step to step inside one batch of explicit steps, so that a batch
// needs no queued writes between its steps (mech_element.wgsl reads the active tension, mech_surface.wgsl
// the pressures). One entry point, before each step's own passes, one invocation per tetrahedron or
// pressure load; the step is the batch's clock status[4] (mech_node.wgsl). Two modes (params.mode):
//
//   0 ramp      load fraction f = min((first + clock) / ramp, 1) (1 when ramp = 0); from the ends (a, b)
//               stored in pairs, Ta_e = a_e (1 - f) + b_e f per tetrahedron and p_k likewise per pressure
//               load (exactly b at f = 1). Dynamic relaxation's ramp (src/mechanics/gpu/relax.rs).
//   1 schedule  a table of the batch's steps: Ta_e = tension_src[clock] for every tetrahedron (a uniform
//               tension), p_k = pressure_src[clock * pressures + k]. The elastodynamics benchmark, whose
//               drivers are known functions of time (src/mechanics/gpu/loads.rs).
//
// Units: kPa. CPU twins: the loads the CPU callers set before each step.
//
// Dispatch: WG-wide workgroups on a 2-D grid covering `dispatch.count` = max(tensions, pressures) items.
// Bindings (group 0):
//   0  dispatch      uniform             DispatchParams
//   1  params        uniform             LoadParams
//   2  tension_src   storage read        array<f32>          ramp: (a, b) per tetrahedron; schedule: Ta per step
//   3  pressure_src  storage read        array<f32>          ramp: (a, b) per load; schedule: p per step and load
//   4  tension       storage read_write  array<f32>          the element pass's active tension per tetrahedron
//   5  pressures     storage read_write  array<f32>          the face pass's pressure per load
//   6  status        storage read_write  array<atomic<u32>>  [4] the step clock (read)
// Owner: src/mechanics/gpu/loads.rs.

// Rust: mechanics::gpu::loads::LoadParams (32 bytes).
struct LoadParams {
    // 0 ramp, 1 schedule.
    mode: u32,
    // Ramp: the ramp's step index of the batch's first step.
    first: u32,
    // Ramp: steps over which the load fraction rises from 0 to 1 (0: 1 from the start).
    ramp: u32,
    // Tetrahedra whose tension is written (0 or all).
    tensions: u32,
    // Pressure loads.
    pressures: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> dispatch: DispatchParams;
@group(0) @binding(1) var<uniform> params: LoadParams;
@group(0) @binding(2) var<storage, read> tension_src: array<f32>;
@group(0) @binding(3) var<storage, read> pressure_src: array<f32>;
@group(0) @binding(4) var<storage, read_write> tension: array<f32>;
@group(0) @binding(5) var<storage, read_write> pressures: array<f32>;
@group(0) @binding(6) var<storage, read_write> status: array<atomic<u32>>;

// a (1 - f) + b f: a at f = 0, exactly b at f = 1.
fn mix_pair(a: f32, b: f32, f: f32) -> f32 {
    return a * (1.0 - f) + b * f;
}

@compute @workgroup_size(WG)
fn step_loads(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let i = local_index(wid, nwg, lid);
    if (i >= dispatch.count) {
        return;
    }
    let clock = atomicLoad(&status[4]);
    if (params.mode == 0u) {
        var f = 1.0;
        if (params.ramp > 0u) {
            f = min(f32(params.first + clock) / f32(params.ramp), 1.0);
        }
        if (i < params.tensions) {
            tension[i] = mix_pair(tension_src[2u * i], tension_src[2u * i + 1u], f);
        }
        if (i < params.pressures) {
            pressures[i] = mix_pair(pressure_src[2u * i], pressure_src[2u * i + 1u], f);
        }
    } else {
        if (i < params.tensions) {
            tension[i] = tension_src[clock];
        }
        if (i < params.pressures) {
            pressures[i] = pressure_src[clock * params.pressures + i];
        }
    }
}
