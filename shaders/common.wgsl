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

// Parameters of the explicit mechanics steps of one batch, shared by mech_volume.wgsl, mech_element.wgsl and
// mech_node.wgsl (one uniform, the same for every step of the batch; the step's index is the clock
// status[4], see mech_node.wgsl). Rust: mechanics::gpu::data::StepParams (48 bytes).
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
    // 1: the displacement is the unevaluated sum u + lo of two f32 (the `lo` buffers of mech_volume.wgsl,
    // mech_element.wgsl and mech_node.wgsl hold the second); 0: u alone, lo is not read.
    compensated: u32,
    // 1.0, from the host: see `opaque`.
    one: f32,
    _pad0: u32,
    _pad1: u32,
}

// v * one with one = StepParams.one = 1.0: the same value, which the shader compiler cannot see is. Shader
// compilers treat float arithmetic as real arithmetic unless told otherwise (WGSL has no `precise`; Mesa's
// NIR rewrites (a + b) - a to b), which turns the error terms of a two-sum into zero; passing the
// intermediate values through this keeps the arithmetic as written (mech_node.wgsl; tested in
// tests/tled_gpu.rs, which fails where it does not).
fn opaque(v: vec3<f32>, one: f32) -> vec3<f32> {
    return v * one;
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

// sum_a v_a (x) grad N_a = sum_{a < 3} (v_a - v_3) (x) grad N_a for nodal vectors v of a tetrahedron with
// data d (the gradients sum to zero), from the differences e_a = v_a - v_3 (mech_element.wgsl,
// mech_volume.wgsl): for the displacements u, the displacement gradient H, F = I + H. Formed from the
// differences, H keeps the digits of the element's deformation; formed from the displacements themselves,
// each term u_a (x) grad N_a carries an f32 rounding of |u| / h (measured on the Land beam, 3.6 mm tip,
// h = 0.25 mm: terms of 14 summing to 0.5), larger than the volume change a stiff penalty must see.
fn edge_gradient(e0: vec3<f32>, e1: vec3<f32>, e2: vec3<f32>, d: TetData) -> mat3x3<f32> {
    return outer(e0, d.g0.xyz) + outer(e1, d.g1.xyz) + outer(e2, d.g2.xyz);
}

// det(I + H) - 1 = tr H + (the principal 2x2 minors of H) + det H, without the cancellation of forming
// det(I + H) first (the twin of the fused CPU step's det_minus_one): under a penalty kappa/C = 500 a load
// changes J by 1e-5 or less, which det(F) - 1 in f32 would resolve to 6e-8 only.
fn det_minus_one(h: mat3x3<f32>) -> f32 {
    let tr = h[0].x + h[1].y + h[2].z;
    let minors = h[0].x * h[1].y - h[1].x * h[0].y + h[0].x * h[2].z - h[2].x * h[0].z
        + h[1].y * h[2].z - h[2].y * h[1].z;
    return tr + minors + determinant(h);
}

// ln(1 + x). Vulkan's log is accurate to 2^-21 absolute only on [0.5, 2], a relative error of 5% at
// x = 1e-5, so for -0.5 <= x <= 1 this is the series 2 (z + z^3/3 + ... + z^15/15) of 2 atanh z,
// z = x / (2 + x), |z| <= 1/3 (truncation below 2e-9 relative); elsewhere log(1 + x).
fn log1p(x: f32) -> f32 {
    if (x < -0.5 || x > 1.0) {
        return log(1.0 + x);
    }
    let z = x / (2.0 + x);
    let z2 = z * z;
    let series = 2.0 + z2 * (2.0 / 3.0 + z2 * (2.0 / 5.0 + z2 * (2.0 / 7.0 + z2 * (2.0 / 9.0
        + z2 * (2.0 / 11.0 + z2 * (2.0 / 13.0 + z2 * (2.0 / 15.0)))))));
    return z * series;
}
