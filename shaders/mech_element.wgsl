// mech_element.wgsl: the element pass of the explicit total-Lagrangian step, one invocation per tetrahedron,
// with the constitutive laws it evaluates (WGSL twins of src/mechanics/material.rs, f32).
//
// H = sum_{a<3} (u_a - u_3) (x) grad N_a from the corners' displacement differences (common.wgsl
// edge_gradient; with the compensated state the differences of u + lo, see mech_node.wgsl), F = I + H,
// J - 1 = det_minus_one(H) (no cancellation), C = F^T F, E = (H + H^T + H^T H) / 2, C^-1 by the adjugate
// (WGSL has no inverse), then
//   S = S_dev(C) (law of the tetrahedron's material) + J p C^-1 + S_act + S_visc,   out = V0 F S (V0 P),
// with p = U'(J) of the element (StepParams.nodal == 0) or the mean of U'(J_n) over its four corners, J_n the
// nodal averages of mech_volume.wgsl (nodal == 1; Joldes et al. 2009), U' evaluated from J - 1 so that the
// small volume changes a stiff penalty sees keep their digits; S_act = Ta f0 (x) f0 (active_form 0,
// PK2) or Ta J / I4f f0 (x) f0 (1, Cauchy); S_visc = eta/2 (Fdot^T F + F^T Fdot), Fdot from the nodal
// velocities du / dt, du the last step's displacement increment (only when eta > 0). Laws
// (MaterialParams.law): 0 compressible neo-Hookean, 1 Guccione, 2 Holzapfel-Ogden; volumetric terms
// (MaterialParams.penalty): 0 none, 1 St91, 2 quadratic, 3 neo-Hookean lambda ln J / J. Exponentials take arguments clamped at EXP_MAX, so a switch or an
// exponential law never makes inf * 0 = NaN; a real blow-up still shows as huge forces, then non-finite
// positions (mech_node.wgsl). An inverted tetrahedron (J <= 0 or NaN) records the first step and smallest
// index in status[0..2] (see record_failure) and contributes no force. Units: mm, ms, kPa; V0 P in mN mm.
// CPU twin: src/mechanics/tled.rs (element_pass, pk2) and src/mechanics/material.rs.
//
// Dispatch: WG-wide workgroups on a 2-D grid covering `dispatch.count` tetrahedra.
// Bindings (group 0):
//   0  dispatch     uniform             DispatchParams
//   1  params       uniform             StepParams          this step (see mech_node.wgsl for the layout)
//   2  materials    storage read        array<MaterialParams> the material table
//   3  material_of  storage read        array<u32>          material index per tetrahedron
//   4  tets         storage read        array<vec4<u32>>    node indices
//   5  tet_data     storage read        array<TetData>      grad N_0..3 (xyz), V0 in g0.w
//   6  frames       storage read        array<mat3x3<f32>>  fibre frame [f0 | s0 | n0] per tetrahedron
//   7  tension      storage read        array<f32>          active tension Ta per tetrahedron, kPa
//   8  x            storage read        array<vec4<f32>>    current displacements u = x - X (xyz), mm
//   9  du           storage read        array<vec4<f32>>    the last step's increments u_n - u_{n-1}
//  10  j_node       storage read        array<f32>          nodal volume ratios minus one, J_n - 1
//                                                            (nodal averaging only)
//  11  vp           storage read_write  array<mat3x3<f32>>  V0 P per tetrahedron
//  12  status       storage read_write  array<atomic<u32>>  [0] first failing step, [1] its smallest tet;
//                                                            [4] this step's index in the batch (read)
//  13  lo           storage read        array<vec4<f32>>    low parts of u (params.compensated only), mm
// Owner: src/mechanics/gpu/mod.rs.

// Material parameters (Rust: mechanics::gpu::data::MaterialParams, 48 bytes).
struct MaterialParams {
    // 0 neo-Hookean, 1 Guccione, 2 Holzapfel-Ogden.
    law: u32,
    // 0 none, 1 St91 kappa/4 (J^2 - 1 - 2 ln J), 2 quadratic kappa/2 (J - 1)^2, 3 neo-Hookean lambda/2 (ln J)^2.
    penalty: u32,
    // kappa (or lambda for neo-Hookean), kPa.
    kappa: f32,
    // Holzapfel-Ogden switch steepness k.
    k: f32,
    // neo-Hookean (mu, -, -, -); Guccione (C, bf, bt, bfs); Holzapfel-Ogden (a, b, a_f, b_f). kPa or 1.
    p0: vec4<f32>,
    // Holzapfel-Ogden (a_s, b_s, a_fs, b_fs).
    p1: vec4<f32>,
}

@group(0) @binding(0) var<uniform> dispatch: DispatchParams;
@group(0) @binding(1) var<uniform> params: StepParams;
@group(0) @binding(2) var<storage, read> materials: array<MaterialParams>;
@group(0) @binding(3) var<storage, read> material_of: array<u32>;
@group(0) @binding(4) var<storage, read> tets: array<vec4<u32>>;
@group(0) @binding(5) var<storage, read> tet_data: array<TetData>;
@group(0) @binding(6) var<storage, read> frames: array<mat3x3<f32>>;
@group(0) @binding(7) var<storage, read> tension: array<f32>;
@group(0) @binding(8) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read> du: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read> j_node: array<f32>;
@group(0) @binding(11) var<storage, read_write> vp: array<mat3x3<f32>>;
@group(0) @binding(12) var<storage, read_write> status: array<atomic<u32>>;
@group(0) @binding(13) var<storage, read> lo: array<vec4<f32>>;

// Largest argument of exp: e^80 = 5.5e34, below f32's 3.4e38 with room for the factors that follow.
const EXP_MAX: f32 = 80.0;

fn exp_clamped(v: f32) -> f32 {
    return exp(min(v, EXP_MAX));
}

fn trace3(m: mat3x3<f32>) -> f32 {
    return m[0].x + m[1].y + m[2].z;
}

// U'(J), kPa: the volumetric (hydrostatic) stress of the material's volumetric term, from jm1 = J - 1:
// St91 kappa/2 (J - 1/J) = kappa/2 (J - 1)(J + 1)/J, quadratic kappa (J - 1), neo-Hookean lambda ln J / J.
fn volumetric_stress(m: MaterialParams, jm1: f32) -> f32 {
    let j = 1.0 + jm1;
    switch m.penalty {
        case 1u: { return 0.5 * m.kappa * jm1 * (2.0 + jm1) / j; }
        case 2u: { return m.kappa * jm1; }
        case 3u: { return m.kappa * log1p(jm1) / j; }
        default: { return 0.0; }
    }
}

// Guccione S without the penalty: S = C e^Q R S_loc R^T, E_loc = R^T E R, R = [f0 | s0 | n0], E the Green
// strain (C - I)/2 formed from H (element_pass).
fn guccione(m: MaterialParams, green: mat3x3<f32>, r: mat3x3<f32>) -> mat3x3<f32> {
    let e = transpose(r) * green * r;
    let cc = m.p0.x;
    let bf = m.p0.y;
    let bt = m.p0.z;
    let bfs = m.p0.w;
    let ff = e[0].x;
    let ss = e[1].y;
    let nn = e[2].z;
    let fs = e[1].x;
    let fn_ = e[2].x;
    let sn = e[2].y;
    let q = bf * ff * ff + bt * (ss * ss + nn * nn + 2.0 * sn * sn) + 2.0 * bfs * (fs * fs + fn_ * fn_);
    let g = cc * exp_clamped(q);
    let s_local = mat3x3<f32>(
        vec3<f32>(bf * ff, bfs * fs, bfs * fn_),
        vec3<f32>(bfs * fs, bt * ss, bt * sn),
        vec3<f32>(bfs * fn_, bt * sn, bt * nn),
    );
    return g * (r * s_local * transpose(r));
}

// g'(I4) of a Holzapfel-Ogden fibre or sheet term with the smooth switch chi = 1/(1 + exp(-k (I4 - 1))); chi
// and 1 - chi each from their own exponential (material.rs `switch`): an overflowing exp gives 1/inf = 0,
// never NaN.
fn switched_slope(a: f32, b: f32, k: f32, i4: f32) -> f32 {
    let s = k * (i4 - 1.0);
    let chi = 1.0 / (1.0 + exp_clamped(-s));
    let one_minus_chi = 1.0 / (1.0 + exp_clamped(s));
    let d = i4 - 1.0;
    let e = exp_clamped(b * d * d);
    return a * chi * d * e + a / (2.0 * b) * k * chi * one_minus_chi * (e - 1.0);
}

// Holzapfel-Ogden S without the penalty (material.rs HolzapfelOgden::pk2_deviatoric).
fn holzapfel_ogden(m: MaterialParams, c: mat3x3<f32>, c_inv: mat3x3<f32>, jm1: f32, r: mat3x3<f32>) -> mat3x3<f32> {
    let f0 = r[0];
    let s0 = r[1];
    let j23 = exp(-2.0 / 3.0 * log1p(jm1));
    let i1 = trace3(c);
    let iso = m.p0.x * exp_clamped(m.p0.y * (j23 * i1 - 3.0)) * j23;
    let df = switched_slope(m.p0.z, m.p0.w, m.k, dot(f0, c * f0));
    let ds = switched_slope(m.p1.x, m.p1.y, m.k, dot(s0, c * s0));
    let i8fs = dot(f0, c * s0);
    let dfs = m.p1.z * i8fs * exp_clamped(m.p1.w * i8fs * i8fs);
    return iso * (IDENTITY - (i1 / 3.0) * c_inv) + (2.0 * df) * outer(f0, f0) + (2.0 * ds) * outer(s0, s0)
        + dfs * (outer(f0, s0) + outer(s0, f0));
}

// S without the volumetric term, kPa, of material m; `green` is (C - I)/2, jm1 is J - 1.
fn pk2_deviatoric(
    m: MaterialParams,
    c: mat3x3<f32>,
    green: mat3x3<f32>,
    c_inv: mat3x3<f32>,
    jm1: f32,
    r: mat3x3<f32>,
) -> mat3x3<f32> {
    switch m.law {
        case 1u: { return guccione(m, green, r); }
        case 2u: { return holzapfel_ogden(m, c, c_inv, jm1, r); }
        default: { return m.p0.x * (IDENTITY - c_inv); }
    }
}

// Records a failure at this step: status[slot] keeps the first failing step, status[slot + 1] the smallest
// index that failed at that step (later steps leave both alone).
fn record_failure(slot: u32, index: u32) {
    let step = atomicLoad(&status[4]);
    let first = atomicMin(&status[slot], step);
    if (first >= step) {
        atomicMin(&status[slot + 1u], index);
    }
}

@compute @workgroup_size(WG)
fn element_pass(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let i = local_index(wid, nwg, lid);
    if (i >= dispatch.count) {
        return;
    }
    let t = tets[i];
    let d = tet_data[i];
    // x holds displacements u = x - X: F = I + H, H from the corners' differences (sum_a X_a (x) grad N_a = I
    // exactly), with the low parts when the state is compensated.
    let u3 = x[t.w].xyz;
    var e0 = x[t.x].xyz - u3;
    var e1 = x[t.y].xyz - u3;
    var e2 = x[t.z].xyz - u3;
    if (params.compensated != 0u) {
        let l3 = lo[t.w].xyz;
        e0 += lo[t.x].xyz - l3;
        e1 += lo[t.y].xyz - l3;
        e2 += lo[t.z].xyz - l3;
    }
    let h = edge_gradient(e0, e1, e2, d);
    let jm1 = det_minus_one(h);
    let j = 1.0 + jm1;
    if (!(j > 0.0) || !is_finite(j)) {
        record_failure(0u, i);
        vp[i] = mat3x3<f32>(vec3<f32>(0.0), vec3<f32>(0.0), vec3<f32>(0.0));
        return;
    }
    let f = IDENTITY + h;
    let c = transpose(f) * f;
    let green = 0.5 * (h + transpose(h) + transpose(h) * h);
    // C^-1 = adj(C) / det(C); det C = J^2.
    let c_inv = transpose(mat3x3<f32>(cross(c[1], c[2]), cross(c[2], c[0]), cross(c[0], c[1]))) * (1.0 / (j * j));
    let m = materials[material_of[i]];
    let r = frames[i];
    var p: f32;
    if (params.nodal != 0u) {
        p = 0.25 * (volumetric_stress(m, j_node[t.x]) + volumetric_stress(m, j_node[t.y])
            + volumetric_stress(m, j_node[t.z]) + volumetric_stress(m, j_node[t.w]));
    } else {
        p = volumetric_stress(m, jm1);
    }
    var s = pk2_deviatoric(m, c, green, c_inv, jm1, r) + (j * p) * c_inv;
    let ta = tension[i];
    if (ta != 0.0) {
        let f0 = r[0];
        var scale = ta;
        if (params.active_form == 1u) {
            scale = ta * j / dot(f0, c * f0);
        }
        s += scale * outer(f0, f0);
    }
    if (params.eta > 0.0) {
        let k = 1.0 / params.dt;
        let v3 = du[t.w].xyz;
        let f_dot = edge_gradient(
            (du[t.x].xyz - v3) * k,
            (du[t.y].xyz - v3) * k,
            (du[t.z].xyz - v3) * k,
            d,
        );
        s += (0.5 * params.eta) * (transpose(f_dot) * f + transpose(f) * f_dot);
    }
    vp[i] = d.g0.w * (f * s);
}
