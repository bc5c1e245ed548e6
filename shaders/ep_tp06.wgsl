// ep_tp06.wgsl: the reaction step of the monodomain with ten Tusscher-Panfilov 2006 cells, in f32: the GPU
// twin of src/ep/tp06.rs (CPU, f64; same equations, same integrator: Rush-Larsen for the gates and R',
// forward Euler for the concentrations and the potential, currents at the step's starting state).
//
//   ep_reaction_tp06  one invocation per node of the cell's node list (every node, or those of one
//                     cell where a problem mixes cells): v_old = V; one cell step over dt with the node's
//                     stimulus, V and the 18 other unknowns updated in place
//
// The stimulus, diffusion and clock kernels are those of ep_monodomain.wgsl (they do not depend on the
// cell model).
//
// f32 and the slow concentrations: K_i (~137 mM) moves by ~1e-6 mM in a step of 0.01 ms, below the f32
// spacing at 137 (1.5e-5): stored as K_i - K_i0, the increments survive. Na_i likewise (Na_i - Na_i0). The
// calcium concentrations and the gates are stored as they are (their steps are well above their spacing).
// The GHK factor x / (e^x - 1) of I_CaL is evaluated by its series near x = 0, where the quotient cancels.
//
// Bindings (group 0):
//   0 dispatch, 1 params uniform Tp06Params, 2 v read_write array<f32> (mV), 3 state read_write
//   array<f32>: 18 unknowns of every listed node, unknown j of listed node k at j * listed + k (order:
//   Xr1, Xr2, Xs, m, h, j, d, f, f2, fCass, s, r, Ca_i, R', Ca_SR, Ca_ss (mM), Na_i - Na_i0, K_i - K_i0
//   (mM)), 4 v_old read_write array<f32> (mV), 5 stim read array<f32> (mV/ms), 6 nodes read array<u32>
//   (the node list)
// Owner: src/ep/gpu.rs.

struct Tp06Params {
    // g_Na, g_K1, g_Kr, g_Ks (nS/pF).
    g0: vec4<f32>,
    // g_to, g_CaL (cm^3 / (uF s)), g_bNa, g_bCa.
    g1: vec4<f32>,
    // g_pCa, g_pK, p_KNa, P_NaK.
    g2: vec4<f32>,
    // k_NaCa (pA/pF), dt (ms), Na_i0, K_i0 (mM): the origins of the stored deviations.
    g3: vec4<f32>,
    // Listed nodes (the stride of the state buffer); 1 for the endocardial s gate, else 0; unused x2.
    nodes: vec4<u32>,
}

const K_O: f32 = 5.4;
const NA_O: f32 = 140.0;
const CA_O: f32 = 2.0;
const RTF: f32 = 8.314 * 310.0 / 96.485;
const FARADAY: f32 = 96.485;
const CM: f32 = 185.0;
const V_C: f32 = 16404.0;
const V_SR: f32 = 1094.0;
const V_SS: f32 = 54.68;
const K_MNA: f32 = 40.0;
const K_MK: f32 = 1.0;
const K_SAT: f32 = 0.1;
const KM_CA: f32 = 1.38;
const KM_NAI: f32 = 87.5;
const ALPHA: f32 = 2.5;
const GAMMA: f32 = 0.35;
const K_PCA: f32 = 0.0005;
const BUF_C: f32 = 0.2;
const BUF_SR: f32 = 10.0;
const BUF_SS: f32 = 0.4;
const EC: f32 = 1.5;
const K_BUF_C: f32 = 0.001;
const K_BUF_SR: f32 = 0.3;
const K_BUF_SS: f32 = 0.00025;
const K_UP: f32 = 0.00025;
const V_LEAK: f32 = 0.00036;
const V_REL: f32 = 0.102;
const V_XFER: f32 = 0.0038;
const VMAX_UP: f32 = 0.006375;
const K1_PRIME: f32 = 0.15;
const K2_PRIME: f32 = 0.045;
const K3: f32 = 0.06;
const K4: f32 = 0.005;
const MAX_SR: f32 = 2.5;
const MIN_SR: f32 = 1.0;

// Slots of the state buffer.
const XR1: u32 = 0u;
const XR2: u32 = 1u;
const XS: u32 = 2u;
const M: u32 = 3u;
const H: u32 = 4u;
const J: u32 = 5u;
const D: u32 = 6u;
const F: u32 = 7u;
const F2: u32 = 8u;
const FCASS: u32 = 9u;
const S: u32 = 10u;
const R: u32 = 11u;
const CA_I: u32 = 12u;
const R_PRIME: u32 = 13u;
const CA_SR: u32 = 14u;
const CA_SS: u32 = 15u;
const DNA_I: u32 = 16u;
const DK_I: u32 = 17u;

@group(0) @binding(0) var<uniform> dispatch: DispatchParams;
@group(0) @binding(1) var<uniform> params: Tp06Params;
@group(0) @binding(2) var<storage, read_write> v_now: array<f32>;
@group(0) @binding(3) var<storage, read_write> state: array<f32>;
@group(0) @binding(4) var<storage, read_write> v_old: array<f32>;
@group(0) @binding(5) var<storage, read> stim_in: array<f32>;
@group(0) @binding(6) var<storage, read> nodes: array<u32>;

// Rush-Larsen: the gate relaxed exactly towards `inf` with time constant `tau` over `dt`.
fn rush_larsen(y: f32, inf: f32, tau: f32, dt: f32) -> f32 {
    return inf + (y - inf) * exp(-dt / tau);
}

// x / (e^x - 1), by its series where the quotient cancels.
fn x_over_expm1(x: f32) -> f32 {
    if (abs(x) < 1e-2) {
        return 1.0 - 0.5 * x + x * x / 12.0;
    }
    return x / (exp(x) - 1.0);
}

fn sq(x: f32) -> f32 {
    return x * x;
}

@compute @workgroup_size(WG)
fn ep_reaction_tp06(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let k = local_index(wid, nwg, lid);
    if (k >= dispatch.count) {
        return;
    }
    let i = nodes[k];
    let n = params.nodes.x;
    let dt = params.g3.y;
    let stim = stim_in[i];

    let v = v_now[i];
    v_old[i] = v;
    var g: array<f32, 18>;
    for (var j = 0u; j < 18u; j = j + 1u) {
        g[j] = state[j * n + k];
    }
    let ca_i = g[CA_I];
    let ca_sr = g[CA_SR];
    let ca_ss = g[CA_SS];
    let na_i = params.g3.z + g[DNA_I];
    let k_i = params.g3.w + g[DK_I];

    let g_na = params.g0.x;
    let g_k1 = params.g0.y;
    let g_kr = params.g0.z;
    let g_ks = params.g0.w;
    let g_to = params.g1.x;
    let g_cal = params.g1.y;
    let g_bna = params.g1.z;
    let g_bca = params.g1.w;
    let g_pca = params.g2.x;
    let g_pk = params.g2.y;
    let p_kna = params.g2.z;
    let p_nak = params.g2.w;
    let k_naca = params.g3.x;

    let e_na = RTF * log(NA_O / na_i);
    let e_k = RTF * log(K_O / k_i);
    let e_ks = RTF * log((K_O + p_kna * NA_O) / (k_i + p_kna * na_i));
    let e_ca = 0.5 * RTF * log(CA_O / ca_i);

    // Currents at the start of the step.
    let i_na = g_na * g[M] * g[M] * g[M] * g[H] * g[J] * (v - e_na);
    let i_to = g_to * g[R] * g[S] * (v - e_k);
    let i_kr = g_kr * sqrt(K_O / 5.4) * g[XR1] * g[XR2] * (v - e_k);
    let i_ks = g_ks * g[XS] * g[XS] * (v - e_ks);
    let x = 2.0 * (v - 15.0) / RTF;
    let e2 = exp(x);
    let ghk = 2.0 * FARADAY * (0.25 * ca_ss * e2 - CA_O) * x_over_expm1(x);
    let i_cal = g_cal * g[D] * g[F] * g[F2] * g[FCASS] * ghk;
    let a_k1 = 0.1 / (1.0 + exp(0.06 * (v - e_k - 200.0)));
    let b_k1 = (3.0 * exp(0.0002 * (v - e_k + 100.0)) + exp(0.1 * (v - e_k - 10.0)))
        / (1.0 + exp(-0.5 * (v - e_k)));
    let i_k1 = g_k1 * sqrt(K_O / 5.4) * a_k1 / (a_k1 + b_k1) * (v - e_k);
    let vf = v / RTF;
    let i_naca = k_naca
        * (exp(GAMMA * vf) * na_i * na_i * na_i * CA_O
            - exp((GAMMA - 1.0) * vf) * NA_O * NA_O * NA_O * ca_i * ALPHA)
        / ((KM_NAI * KM_NAI * KM_NAI + NA_O * NA_O * NA_O)
            * (KM_CA + CA_O)
            * (1.0 + K_SAT * exp((GAMMA - 1.0) * vf)));
    let i_nak = p_nak * K_O * na_i
        / ((K_O + K_MK) * (na_i + K_MNA) * (1.0 + 0.1245 * exp(-0.1 * vf) + 0.0353 * exp(-vf)));
    let i_pca = g_pca * ca_i / (ca_i + K_PCA);
    let i_pk = g_pk * (v - e_k) / (1.0 + exp((25.0 - v) / 5.98));
    let i_bna = g_bna * (v - e_na);
    let i_bca = g_bca * (v - e_ca);
    let i_ion = i_na + i_to + i_kr + i_ks + i_cal + i_k1 + i_naca + i_nak + i_pca + i_pk + i_bna
        + i_bca;

    // Calcium handling.
    let k_casr = MAX_SR - (MAX_SR - MIN_SR) / (1.0 + sq(EC / ca_sr));
    let k1 = K1_PRIME / k_casr;
    let k2 = K2_PRIME * k_casr;
    let o = k1 * ca_ss * ca_ss * g[R_PRIME] / (K3 + k1 * ca_ss * ca_ss);
    let i_rel = V_REL * o * (ca_sr - ca_ss);
    let i_up = VMAX_UP / (1.0 + K_UP * K_UP / (ca_i * ca_i));
    let i_leak = V_LEAK * (ca_sr - ca_i);
    let i_xfer = V_XFER * (ca_ss - ca_i);
    let buf_c = 1.0 / (1.0 + BUF_C * K_BUF_C / sq(ca_i + K_BUF_C));
    let buf_sr = 1.0 / (1.0 + BUF_SR * K_BUF_SR / sq(ca_sr + K_BUF_SR));
    let buf_ss = 1.0 / (1.0 + BUF_SS * K_BUF_SS / sq(ca_ss + K_BUF_SS));
    let d_ca_i = buf_c
        * ((i_leak - i_up) * V_SR / V_C + i_xfer
            - (i_bca + i_pca - 2.0 * i_naca) * CM / (2.0 * V_C * FARADAY));
    let d_ca_sr = buf_sr * (i_up - (i_rel + i_leak));
    let d_ca_ss = buf_ss
        * (-i_cal * CM / (2.0 * V_SS * FARADAY) + i_rel * V_SR / V_SS - i_xfer * V_C / V_SS);
    let d_na_i = -(i_na + i_bna + 3.0 * i_nak + 3.0 * i_naca) * CM / (V_C * FARADAY);
    // The stimulus is carried by potassium (as on the CPU).
    let d_k_i = -(i_k1 + i_to + i_kr + i_ks + i_pk - 2.0 * i_nak - stim) * CM / (V_C * FARADAY);

    // Gates, at the step's starting potential.
    let m_inf = 1.0 / sq(1.0 + exp((-56.86 - v) / 9.03));
    let a_m = 1.0 / (1.0 + exp((-60.0 - v) / 5.0));
    let b_m = 0.1 / (1.0 + exp((v + 35.0) / 5.0)) + 0.1 / (1.0 + exp((v - 50.0) / 200.0));
    let h_inf = 1.0 / sq(1.0 + exp((v + 71.55) / 7.43));
    var a_h = 0.0;
    var b_h = 0.77 / (0.13 * (1.0 + exp(-(v + 10.66) / 11.1)));
    var a_j = 0.0;
    var b_j = 0.6 * exp(0.057 * v) / (1.0 + exp(-0.1 * (v + 32.0)));
    if (v < -40.0) {
        a_h = 0.057 * exp(-(v + 80.0) / 6.8);
        b_h = 2.7 * exp(0.079 * v) + 3.1e5 * exp(0.3485 * v);
        a_j = (-2.5428e4 * exp(0.2444 * v) - 6.948e-6 * exp(-0.04391 * v)) * (v + 37.78)
            / (1.0 + exp(0.311 * (v + 79.23)));
        b_j = 0.02424 * exp(-0.01052 * v) / (1.0 + exp(-0.1378 * (v + 40.14)));
    }
    let xr1_inf = 1.0 / (1.0 + exp((-26.0 - v) / 7.0));
    let tau_xr1 = 450.0 / (1.0 + exp((-45.0 - v) / 10.0)) * 6.0 / (1.0 + exp((v + 30.0) / 11.5));
    let xr2_inf = 1.0 / (1.0 + exp((v + 88.0) / 24.0));
    let tau_xr2 = 3.0 / (1.0 + exp((-60.0 - v) / 20.0)) * 1.12 / (1.0 + exp((v - 60.0) / 20.0));
    let xs_inf = 1.0 / (1.0 + exp((-5.0 - v) / 14.0));
    let tau_xs = 1400.0 / sqrt(1.0 + exp((5.0 - v) / 6.0)) / (1.0 + exp((v - 35.0) / 15.0)) + 80.0;
    let d_inf = 1.0 / (1.0 + exp((-8.0 - v) / 7.5));
    let tau_d = (1.4 / (1.0 + exp((-35.0 - v) / 13.0)) + 0.25) * (1.4 / (1.0 + exp((v + 5.0) / 5.0)))
        + 1.0 / (1.0 + exp((50.0 - v) / 20.0));
    let f_inf = 1.0 / (1.0 + exp((v + 20.0) / 7.0));
    let tau_f = 1102.5 * exp(-sq(v + 27.0) / 225.0) + 200.0 / (1.0 + exp((13.0 - v) / 10.0))
        + 180.0 / (1.0 + exp((v + 30.0) / 10.0)) + 20.0;
    let f2_inf = 0.67 / (1.0 + exp((v + 35.0) / 7.0)) + 0.33;
    let tau_f2 = 562.0 * exp(-sq(v + 27.0) / 240.0) + 31.0 / (1.0 + exp((25.0 - v) / 10.0))
        + 80.0 / (1.0 + exp((v + 30.0) / 10.0));
    let cass2 = sq(ca_ss / 0.05);
    let fcass_inf = 0.6 / (1.0 + cass2) + 0.4;
    let tau_fcass = 80.0 / (1.0 + cass2) + 2.0;
    let r_inf = 1.0 / (1.0 + exp((20.0 - v) / 6.0));
    let tau_r = 9.5 * exp(-sq(v + 40.0) / 1800.0) + 0.8;
    var s_inf = 1.0 / (1.0 + exp((v + 20.0) / 5.0));
    var tau_s = 85.0 * exp(-sq(v + 45.0) / 320.0) + 5.0 / (1.0 + exp((v - 20.0) / 5.0)) + 3.0;
    if (params.nodes.y == 1u) {
        s_inf = 1.0 / (1.0 + exp((v + 28.0) / 5.0));
        tau_s = 1000.0 * exp(-sq(v + 67.0) / 1000.0) + 8.0;
    }

    g[M] = rush_larsen(g[M], m_inf, a_m * b_m, dt);
    g[H] = rush_larsen(g[H], h_inf, 1.0 / (a_h + b_h), dt);
    g[J] = rush_larsen(g[J], h_inf, 1.0 / (a_j + b_j), dt);
    g[XR1] = rush_larsen(g[XR1], xr1_inf, tau_xr1, dt);
    g[XR2] = rush_larsen(g[XR2], xr2_inf, tau_xr2, dt);
    g[XS] = rush_larsen(g[XS], xs_inf, tau_xs, dt);
    g[D] = rush_larsen(g[D], d_inf, tau_d, dt);
    g[F] = rush_larsen(g[F], f_inf, tau_f, dt);
    g[F2] = rush_larsen(g[F2], f2_inf, tau_f2, dt);
    g[FCASS] = rush_larsen(g[FCASS], fcass_inf, tau_fcass, dt);
    g[R] = rush_larsen(g[R], r_inf, tau_r, dt);
    g[S] = rush_larsen(g[S], s_inf, tau_s, dt);
    // R' = -k2 Ca_ss R' + k4 (1 - R'): linear in R', relaxed exactly.
    let rate = k2 * ca_ss + K4;
    g[R_PRIME] = rush_larsen(g[R_PRIME], K4 / rate, 1.0 / rate, dt);

    g[CA_I] = ca_i + dt * d_ca_i;
    g[CA_SR] = ca_sr + dt * d_ca_sr;
    g[CA_SS] = ca_ss + dt * d_ca_ss;
    g[DNA_I] = g[DNA_I] + dt * d_na_i;
    g[DK_I] = g[DK_I] + dt * d_k_i;
    for (var j = 0u; j < 18u; j = j + 1u) {
        state[j * n + k] = g[j];
    }
    v_now[i] = v + dt * (-i_ion + stim);
}
