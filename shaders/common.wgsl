// common.wgsl: structs, constants and functions shared by every kernel.
//
// Not a kernel itself: src/gpu/shaders.rs prepends this file to each kernel file before compiling, since WGSL
// has no #include. Owned by src/gpu/kernel.rs, whose conventions it implements:
// - binding 0 of group 0 is `dispatch: DispatchParams` (Rust: gpu::kernel::DispatchParams, 16 bytes);
// - kernels use one invocation per item, workgroups of WG invocations on a 2-D grid (the grid may exceed
//   65,535 workgroups in total), and start with `if (i >= dispatch.count) { return; }`.

// Invocations per workgroup of one-invocation-per-item kernels (Rust: gpu::WORKGROUP_SIZE).
const WG: u32 = 256u;

struct DispatchParams {
    // Invocations in this dispatch.
    count: u32,
    // Global index of invocation 0 (non-zero for later chunks of a chunked dispatch).
    first: u32,
    _pad0: u32,
    _pad1: u32,
}

// Flat index of an invocation within its dispatch, for a 2-D grid of workgroups of WG invocations.
fn local_index(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
    return (wid.y * nwg.x + wid.x) * WG + lid.x;
}

// Deterministic workgroup sums (cavity.wgsl, mech_relax.wgsl): workgroup_sum(term, lid) returns, to every
// invocation, the sum of the workgroup's terms, added in scratch by halving strides: the same tree on every
// run and every GPU (no float atomics). Entry points that call it must not return early (workgroupBarrier
// needs uniform control flow).
var<workgroup> scratch: array<f32, WG>;

fn workgroup_sum(term: f32, lid: u32) -> f32 {
    scratch[lid] = term;
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
        if (lid < stride) {
            scratch[lid] = scratch[lid] + scratch[lid + stride];
        }
        workgroupBarrier();
    }
    return scratch[0];
}

// Flat index of a workgroup on the 2-D grid.
fn group_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.y * nwg.x + wid.x;
}

// Per-tetrahedron data of the mechanics kernels (mech_element.wgsl, mech_node.wgsl): the gradients of the
// four shape functions (xyz, 1/mm) and the rest volume V0 (mm^3) in g0.w. Rust: mechanics::gpu.
struct TetData {
    g0: vec4<f32>,
    g1: vec4<f32>,
    g2: vec4<f32>,
    g3: vec4<f32>,
}

// Parameters of the explicit mechanics steps of one batch, shared by mech_element.wgsl and mech_node.wgsl
// (one uniform, the same for every step of the batch; the step's index is the clock status[4], see
// mech_node.wgsl). Rust: mechanics::gpu::data::StepParams (32 bytes).
struct StepParams {
    // Body force per unit mass, mm/ms^2.
    gravity: vec3<f32>,
    // Time step, ms.
    dt: f32,
    // Mass-proportional damping, 1/ms.
    alpha: f32,
    // Kelvin-Voigt viscosity, kPa ms (0: none).
    eta: f32,
    // Active stress: 0 PK2 Ta f0 (x) f0, 1 Cauchy Ta J / I4f f0 (x) f0.
    active_form: u32,
    // Volumetric term: 0 per element, 1 averaged nodal pressure.
    nodal: u32,
}

// Whether v is finite, from its bits (compilers may assume that float comparisons never see NaN or inf).
fn is_finite(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

const IDENTITY = mat3x3<f32>(vec3<f32>(1.0, 0.0, 0.0), vec3<f32>(0.0, 1.0, 0.0), vec3<f32>(0.0, 0.0, 1.0));

// a (x) b: columns a b.x, a b.y, a b.z.
fn outer(a: vec3<f32>, b: vec3<f32>) -> mat3x3<f32> {
    return mat3x3<f32>(a * b.x, a * b.y, a * b.z);
}

// sum_a v_a (x) grad N_a for nodal vectors v of a tetrahedron with data d (mech_element.wgsl,
// mech_volume.wgsl): the deformation gradient is I + this for the displacements u.
fn gradient_of(v0: vec3<f32>, v1: vec3<f32>, v2: vec3<f32>, v3: vec3<f32>, d: TetData) -> mat3x3<f32> {
    return outer(v0, d.g0.xyz) + outer(v1, d.g1.xyz) + outer(v2, d.g2.xyz) + outer(v3, d.g3.xyz);
}
