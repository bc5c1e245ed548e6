// mech_node.wgsl: the node pass of the explicit total-Lagrangian step, one invocation per node.
//
// Gathers the internal force f = -sum over the node's (tet, corner) pairs of (V0 P)_tet grad N_corner through
// the CSR adjacency, in tetrahedron order (deterministic, no float atomics), adds gravity m g, the follower
// pressure forces of its triangles (mech_surface.wgsl, gathered through a node -> triangle CSR in triangle
// order) and its Robin springs f = -(K u + C v) (v = du / dt; K and C the node's summed spring
// tensors, kPa mm), then advances by central differences with mass-proportional damping alpha. The state is
// the displacement u = x - X, not the position, and the last step's increment du = u_n - u_{n-1}, not the
// previous displacement: f32 keeps ~7 digits of what it stores. A step's motion (1e-6 mm and less) vanishes
// against a position 90 mm from the origin but not against a displacement; and a step's change of motion,
// dt^2 f / m, can be below one unit in the last place of u (at the elastodynamics benchmark's 2.2 us step:
// 2e-9 mm against 4e-9 mm for u = 0.05 mm), so kept as u and u_prev it would be rounded away step after step
// (measured: the benchmark's apex 1.5% short after 20 ms). The increment keeps it:
//   du_next = du (1 - alpha dt / 2) / (1 + alpha dt / 2) + dt^2 / m f / (1 + alpha dt / 2),
//   u_next = u + du_next,
// the same central difference as the reference's x_next = x + (x - x_prev) (...) + (...), and the same state
// as the fused CPU step's. The constraints act on u_next: up to two sliding planes (u -= n (u . n), in
// order), then the fixed components; a constrained node's increment is then the constrained u_next minus its
// constrained u, as the fused CPU step does.
//
// Compensated state (params.compensated, for dynamic relaxation): the displacement is the unevaluated sum
// u + lo of two f32, lo holding what the f32 u rounded off, so that the element passes see it to ~48 bits
// (their differences u_a - u_b + lo_a - lo_b) and a motion below half a unit in the last place of u, which
// u + du alone would lose every step, adds up. The update is exact: u_next + err = u + du_next by Knuth's
// two-sum, then (u_next, lo + err) renormalised (fast two-sum). Why: a thin beam's bending relaxes on
// forces that a displacement of 3.6 mm in f32 (one unit: 2.4e-7 mm, a strain of 1e-6 over a 0.25 mm
// element, a pressure of 1e-3 kPa under kappa = 1000 kPa against a load of 0.004 kPa) buries in noise.
// Constrained nodes keep no low part (the constraints act on the rounded sum). Off (0), lo is neither read
// nor written.
//
// Each invocation reads and writes its own node's u, du and lo only, so all are updated in place. A
// non-finite u_next records the first step and smallest node in status[2..4]. The total force is kept in
// `forces` for readback. The step's index within the batch, for those records, is the clock status[4]:
// `advance_step` (one invocation, after each node pass) counts it up, so that the uniforms and bind groups of
// a step are the same every step and are made once. Units: mm, ms, mg, mN. CPU twin: src/mechanics/tled.rs
// (step), src/mechanics/loads.rs.
//
// Dispatch: WG-wide workgroups on a 2-D grid covering `dispatch.count` nodes.
// Bindings (group 0):
//   0  dispatch     uniform             DispatchParams
//   1  params       uniform             StepParams         this step (common.wgsl)
//   2  offsets      storage read        array<u32>         CSR row starts (nodes + 1)
//   3  entries      storage read        array<vec2<u32>>   (tet, corner) pairs
//   4  vp           storage read        array<mat3x3<f32>> V0 P per tetrahedron (element pass)
//   5  tet_data     storage read        array<TetData>     grad N_0..3
//   6  x            storage read_write  array<vec4<f32>>   displacements u = x - X (now; after the step)
//   7  du           storage read_write  array<vec4<f32>>   increments u_n - u_{n-1} (now; after the step)
//   8  nodes        storage read        array<NodeData>    rest position, mass, constraints, spring index
//   9  springs      storage read        array<SpringData>  summed spring tensors of the nodes that have any
//  10  face_offsets storage read        array<u32>         node -> triangle CSR row starts (nodes + 1)
//  11  face_entries storage read        array<u32>         triangle indices
//  12  face_force   storage read        array<vec4<f32>>   pressure force per triangle corner (face pass)
//  13  forces       storage read_write  array<vec4<f32>>   total force per node, mN
//  14  status       storage read_write  array<atomic<u32>> [2] first step with a non-finite position, [3] node,
//                                                           [4] the step clock (advance_step)
//  15  lo           storage read_write  array<vec4<f32>>   low parts of u (params.compensated only), mm
// Owner: src/mechanics/gpu/mod.rs.

// Per-node data (Rust: mechanics::gpu::data::NodeData, 64 bytes).
struct NodeData {
    // Rest position (relative to the mesh origin), mm. Not read by node_pass (its state is the displacement);
    // kept for the 64-byte layout and for debugging dumps.
    rest: vec3<f32>,
    // Lumped mass, mg.
    mass: f32,
    // Prescribed displacements of the fixed components, mm.
    goal: vec3<f32>,
    // Bits 0-2: component fixed; bit 3: slide0 used; bit 4: slide1 used.
    flags: u32,
    // Unit normal of the first sliding plane.
    slide0: vec3<f32>,
    // Index into `springs`, or 0xFFFFFFFF.
    spring: u32,
    // Unit normal of the second sliding plane.
    slide1: vec3<f32>,
    // Physical mass that gravity acts on, mg (differs from `mass` under mass scaling).
    weight: f32,
}

// The springs of a node: f = -(k u + c v), kPa mm (= mN/mm) and kPa ms mm (Rust: SpringData, 96 bytes).
struct SpringData {
    k: mat3x3<f32>,
    c: mat3x3<f32>,
}

@group(0) @binding(0) var<uniform> dispatch: DispatchParams;
@group(0) @binding(1) var<uniform> params: StepParams;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<storage, read> entries: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read> vp: array<mat3x3<f32>>;
@group(0) @binding(5) var<storage, read> tet_data: array<TetData>;
@group(0) @binding(6) var<storage, read_write> x: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> du: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read> nodes: array<NodeData>;
@group(0) @binding(9) var<storage, read> springs: array<SpringData>;
@group(0) @binding(10) var<storage, read> face_offsets: array<u32>;
@group(0) @binding(11) var<storage, read> face_entries: array<u32>;
@group(0) @binding(12) var<storage, read> face_force: array<vec4<f32>>;
@group(0) @binding(13) var<storage, read_write> forces: array<vec4<f32>>;
@group(0) @binding(14) var<storage, read_write> status: array<atomic<u32>>;
@group(0) @binding(15) var<storage, read_write> lo: array<vec4<f32>>;

const NO_SPRING: u32 = 0xffffffffu;

fn gradient(t: u32, corner: u32) -> vec3<f32> {
    let d = tet_data[t];
    switch corner {
        case 0u: { return d.g0.xyz; }
        case 1u: { return d.g1.xyz; }
        case 2u: { return d.g2.xyz; }
        default: { return d.g3.xyz; }
    }
}

// The sliding planes, then the fixed components, applied to displacement p of a node.
fn constrain(p: vec3<f32>, node: NodeData) -> vec3<f32> {
    var q = p;
    if ((node.flags & 8u) != 0u) {
        q -= node.slide0 * dot(q, node.slide0);
    }
    if ((node.flags & 16u) != 0u) {
        q -= node.slide1 * dot(q, node.slide1);
    }
    if ((node.flags & 1u) != 0u) { q.x = node.goal.x; }
    if ((node.flags & 2u) != 0u) { q.y = node.goal.y; }
    if ((node.flags & 4u) != 0u) { q.z = node.goal.z; }
    return q;
}

@compute @workgroup_size(WG)
fn node_pass(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let n = local_index(wid, nwg, lid);
    if (n >= dispatch.count) {
        return;
    }
    var f = vec3<f32>(0.0);
    for (var k = offsets[n]; k < offsets[n + 1u]; k++) {
        let e = entries[k];
        f -= vp[e.x] * gradient(e.x, e.y);
    }
    let node = nodes[n];
    let m = node.mass;
    f += params.gravity * node.weight;
    for (var k = face_offsets[n]; k < face_offsets[n + 1u]; k++) {
        f += face_force[face_entries[k]].xyz;
    }
    let now = x[n].xyz;
    let inc = du[n].xyz;
    let compensated = params.compensated != 0u;
    var low = vec3<f32>(0.0);
    if (compensated) {
        low = lo[n].xyz;
    }
    if (node.spring != NO_SPRING) {
        let s = springs[node.spring];
        f -= s.k * (now + low) + s.c * (inc * (1.0 / params.dt));
    }
    forces[n] = vec4<f32>(f, 0.0);
    let h = 0.5 * params.alpha * params.dt;
    let inc_next = inc * ((1.0 - h) / (1.0 + h)) + f * (params.dt * params.dt / (m * (1.0 + h)));
    let next = now + inc_next;
    // Checked before the constraints, as the CPU does, so that a fixed component cannot hide a NaN.
    if (!is_finite(next.x) || !is_finite(next.y) || !is_finite(next.z)) {
        let step = atomicLoad(&status[4]);
        let first = atomicMin(&status[2], step);
        if (first >= step) {
            atomicMin(&status[3], n);
        }
    }
    if (node.flags == 0u) {
        if (compensated) {
            // Two-sum: sum + err = now + inc_next exactly; then (sum, low + err) renormalised. Every
            // intermediate, the sum first, is opaque (common.wgsl): the compiler would otherwise simplify
            // err and the new lo to zero.
            let one = params.one;
            let sum = opaque(next, one);
            let inc_part = opaque(sum - now, one);
            let now_part = opaque(sum - inc_part, one);
            let err = opaque((now - now_part) + (inc_next - inc_part), one);
            let carry = opaque(low + err, one);
            let high = opaque(sum + carry, one);
            x[n] = vec4<f32>(high, 0.0);
            lo[n] = vec4<f32>(carry - opaque(high - sum, one), 0.0);
        } else {
            x[n] = vec4<f32>(next, 0.0);
        }
        du[n] = vec4<f32>(inc_next, 0.0);
    } else {
        let constrained = constrain(next + low, node);
        x[n] = vec4<f32>(constrained, 0.0);
        du[n] = vec4<f32>(constrained - constrain(now + low, node), 0.0);
        if (compensated) {
            lo[n] = vec4<f32>(0.0);
        }
    }
}

// The step clock: status[4] += 1, by one invocation after the node pass of each step (the element and node
// passes of the next step read it). Bound like node_pass, dispatched with a count of 1.
@compute @workgroup_size(WG)
fn advance_step(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    if (local_index(wid, nwg, lid) >= dispatch.count) {
        return;
    }
    atomicAdd(&status[4], 1u);
}
