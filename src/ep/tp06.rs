//! The ten Tusscher-Panfilov 2006 human ventricular myocyte (Am. J. Physiol. Heart Circ. Physiol.
//! 291:H1088, 2006): 19 unknowns, twelve currents, calcium handling with a subspace, the SR and a
//! four-state ryanodine receptor reduced to R'. Three cell types across the wall ([`Tp06Layer`]):
//! epicardial (the Niederer et al. 2011 benchmark's; [`Tp06::default`]), endocardial (small I_to with slow
//! recovery: G_to 0.073, the s gate's own kinetics) and mid-myocardial M cells (small I_Ks: G_Ks 0.098,
//! the longest action potential), each from the paper's resting state.
//!
//! Integration (one [`CellModel::step`]): Rush-Larsen for the gates (exact exponential update with the
//! rates frozen over the step) and for R'; forward Euler for the concentrations and the potential.
//! Units as in the paper: mV, ms, mM, currents in pA/pF (= mV/ms), volumes in um^3, Cm 185 pF, F in
//! C/mmol, R in J/(mol K) x 1e-3 (so RT/F is in mV).

use serde::Serialize;

use super::monodomain::CellModel;

/// Where in the wall a cell sits: it chooses the s gate's kinetics and the resting state; the
/// conductances that differ are [`Tp06`]'s fields, set by the constructors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tp06Layer {
    Epicardial,
    Endocardial,
    MidMyocardial,
}

/// The model's constants (the paper's epicardial set by default; [`Tp06::endocardial`],
/// [`Tp06::mid_myocardial`] for the others). Conductances may be scaled (a drug's block).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tp06 {
    pub layer: Tp06Layer,
    pub g_na: f64,
    pub g_k1: f64,
    pub g_kr: f64,
    pub g_ks: f64,
    pub g_to: f64,
    pub g_cal: f64,
    pub g_bna: f64,
    pub g_bca: f64,
    pub g_pca: f64,
    pub g_pk: f64,
    pub p_kna: f64,
    pub p_nak: f64,
    pub k_naca: f64,
}

impl Default for Tp06 {
    fn default() -> Self {
        Tp06 {
            layer: Tp06Layer::Epicardial,
            g_na: 14.838,
            g_k1: 5.405,
            g_kr: 0.153,
            g_ks: 0.392,
            g_to: 0.294,
            g_cal: 0.0398,
            g_bna: 0.00029,
            g_bca: 0.000592,
            g_pca: 0.1238,
            g_pk: 0.0146,
            p_kna: 0.03,
            p_nak: 2.724,
            k_naca: 1000.0,
        }
    }
}

impl Tp06 {
    /// The epicardial cell (the default).
    pub fn epicardial() -> Self {
        Tp06::default()
    }

    /// The endocardial cell: G_to 0.073 nS/pF and the endocardial s gate.
    pub fn endocardial() -> Self {
        Tp06 {
            layer: Tp06Layer::Endocardial,
            g_to: 0.073,
            ..Tp06::default()
        }
    }

    /// The mid-myocardial (M) cell: G_Ks 0.098 nS/pF.
    pub fn mid_myocardial() -> Self {
        Tp06 {
            layer: Tp06Layer::MidMyocardial,
            g_ks: 0.098,
            ..Tp06::default()
        }
    }

    /// The s gate's steady state and time constant (ms) at `v` mV.
    fn s_gate(&self, v: f64) -> (f64, f64) {
        match self.layer {
            Tp06Layer::Endocardial => (
                1.0 / (1.0 + ((v + 28.0) / 5.0).exp()),
                1000.0 * (-(v + 67.0).powi(2) / 1000.0).exp() + 8.0,
            ),
            Tp06Layer::Epicardial | Tp06Layer::MidMyocardial => (
                1.0 / (1.0 + ((v + 20.0) / 5.0).exp()),
                85.0 * (-(v + 45.0).powi(2) / 320.0).exp()
                    + 5.0 / (1.0 + ((v - 20.0) / 5.0).exp())
                    + 3.0,
            ),
        }
    }
}

// Fixed constants.
const K_O: f64 = 5.4;
const NA_O: f64 = 140.0;
const CA_O: f64 = 2.0;
const R: f64 = 8.314;
const T: f64 = 310.0;
const F: f64 = 96.485;
const CM: f64 = 185.0;
const V_C: f64 = 16404.0;
const V_SR: f64 = 1094.0;
const V_SS: f64 = 54.68;
const K_MNA: f64 = 40.0;
const K_MK: f64 = 1.0;
const K_SAT: f64 = 0.1;
const KM_CA: f64 = 1.38;
const KM_NAI: f64 = 87.5;
const ALPHA: f64 = 2.5;
const GAMMA: f64 = 0.35;
const K_PCA: f64 = 0.0005;
const BUF_C: f64 = 0.2;
const BUF_SR: f64 = 10.0;
const BUF_SS: f64 = 0.4;
const EC: f64 = 1.5;
const K_BUF_C: f64 = 0.001;
const K_BUF_SR: f64 = 0.3;
const K_BUF_SS: f64 = 0.00025;
const K_UP: f64 = 0.00025;
const V_LEAK: f64 = 0.00036;
const V_REL: f64 = 0.102;
const V_XFER: f64 = 0.0038;
const VMAX_UP: f64 = 0.006375;
const K1_PRIME: f64 = 0.15;
const K2_PRIME: f64 = 0.045;
const K3: f64 = 0.06;
const K4: f64 = 0.005;
const MAX_SR: f64 = 2.5;
const MIN_SR: f64 = 1.0;

/// Indices of the unknowns.
mod ix {
    pub const V: usize = 0;
    pub const XR1: usize = 1;
    pub const XR2: usize = 2;
    pub const XS: usize = 3;
    pub const M: usize = 4;
    pub const H: usize = 5;
    pub const J: usize = 6;
    pub const D: usize = 7;
    pub const F: usize = 8;
    pub const F2: usize = 9;
    pub const FCASS: usize = 10;
    pub const S: usize = 11;
    pub const R: usize = 12;
    pub const CA_I: usize = 13;
    pub const R_PRIME: usize = 14;
    pub const CA_SR: usize = 15;
    pub const CA_SS: usize = 16;
    pub const NA_I: usize = 17;
    pub const K_I: usize = 18;
}

/// State indices of the slow concentrations Na_i and K_i (mM).
pub use ix::{K_I, NA_I};

/// Names of the unknowns, in state order.
pub const STATE_NAMES: [&str; 19] = [
    "V", "Xr1", "Xr2", "Xs", "m", "h", "j", "d", "f", "f2", "fCass", "s", "r", "Ca_i", "R_prime",
    "Ca_SR", "Ca_ss", "Na_i", "K_i",
];

/// Rush-Larsen: the gate relaxed exactly towards `inf` with time constant `tau` over `dt`.
fn rl(y: f64, inf: f64, tau: f64, dt: f64) -> f64 {
    inf + (y - inf) * (-dt / tau).exp()
}

impl CellModel for Tp06 {
    const STATES: usize = 19;
    const NAME: &'static str = "tentusscher-panfilov-2006-epi";

    /// The paper's resting state of the cell's layer.
    fn initial(&self) -> Vec<f64> {
        // In state order: V, Xr1, Xr2, Xs, m, h, j, d, f, f2, fCass, s, r, Ca_i, R', Ca_SR, Ca_ss, Na_i, K_i.
        let s: [f64; 19] = match self.layer {
            Tp06Layer::Epicardial => [
                -85.23, 0.00621, 0.4712, 0.0095, 0.00172, 0.7444, 0.7045, 3.373e-5, 0.7888, 0.9755,
                0.9953, 0.999998, 2.42e-8, 0.000126, 0.9073, 3.64, 0.00036, 8.604, 136.89,
            ],
            Tp06Layer::Endocardial => [
                -86.709, 0.00448, 0.476, 0.0087, 0.00155, 0.7573, 0.7225, 3.164e-5, 0.8009, 0.9778,
                0.9953, 0.3212, 2.235e-8, 0.00013, 0.9068, 3.715, 0.00036, 10.355, 138.4,
            ],
            Tp06Layer::MidMyocardial => [
                -85.423, 0.0165, 0.473, 0.0174, 0.00165, 0.749, 0.6788, 3.288e-5, 0.7026, 0.9526,
                0.9942, 0.999998, 2.347e-8, 0.000153, 0.8978, 4.272, 0.00042, 10.132, 138.52,
            ],
        };
        s.to_vec()
    }

    fn step(&self, s: &mut [f64], dt: f64, stim: f64) {
        let p = self;
        let v = s[ix::V];
        let (ca_i, ca_sr, ca_ss) = (s[ix::CA_I], s[ix::CA_SR], s[ix::CA_SS]);
        let (na_i, k_i) = (s[ix::NA_I], s[ix::K_I]);
        let rtf = R * T / F;
        let e_na = rtf * (NA_O / na_i).ln();
        let e_k = rtf * (K_O / k_i).ln();
        let e_ks = rtf * ((K_O + p.p_kna * NA_O) / (k_i + p.p_kna * na_i)).ln();
        let e_ca = 0.5 * rtf * (CA_O / ca_i).ln();

        // Currents at the start of the step.
        let i_na = p.g_na * s[ix::M].powi(3) * s[ix::H] * s[ix::J] * (v - e_na);
        let i_to = p.g_to * s[ix::R] * s[ix::S] * (v - e_k);
        let i_kr = p.g_kr * (K_O / 5.4).sqrt() * s[ix::XR1] * s[ix::XR2] * (v - e_k);
        let i_ks = p.g_ks * s[ix::XS] * s[ix::XS] * (v - e_ks);
        let vv = v - 15.0;
        let e2 = (2.0 * vv / rtf).exp();
        // The GHK factor, with its removable singularity at V = 15 mV.
        let ghk = if vv.abs() < 1e-6 {
            // lim (0.25 Ca_ss e2 - Ca_o) * 4 vv F / rtf / (e2 - 1) as vv -> 0 = 2 F (0.25 Ca_ss - Ca_o).
            2.0 * F * (0.25 * ca_ss - CA_O)
        } else {
            4.0 * vv * F / rtf * (0.25 * ca_ss * e2 - CA_O) / (e2 - 1.0)
        };
        let i_cal = p.g_cal * s[ix::D] * s[ix::F] * s[ix::F2] * s[ix::FCASS] * ghk;
        let a_k1 = 0.1 / (1.0 + (0.06 * (v - e_k - 200.0)).exp());
        let b_k1 = (3.0 * (0.0002 * (v - e_k + 100.0)).exp() + (0.1 * (v - e_k - 10.0)).exp())
            / (1.0 + (-0.5 * (v - e_k)).exp());
        let i_k1 = p.g_k1 * (K_O / 5.4).sqrt() * a_k1 / (a_k1 + b_k1) * (v - e_k);
        let vf = v / rtf;
        let i_naca = p.k_naca
            * ((GAMMA * vf).exp() * na_i.powi(3) * CA_O
                - ((GAMMA - 1.0) * vf).exp() * NA_O.powi(3) * ca_i * ALPHA)
            / ((KM_NAI.powi(3) + NA_O.powi(3))
                * (KM_CA + CA_O)
                * (1.0 + K_SAT * ((GAMMA - 1.0) * vf).exp()));
        let i_nak = p.p_nak * K_O * na_i
            / ((K_O + K_MK)
                * (na_i + K_MNA)
                * (1.0 + 0.1245 * (-0.1 * vf).exp() + 0.0353 * (-vf).exp()));
        let i_pca = p.g_pca * ca_i / (ca_i + K_PCA);
        let i_pk = p.g_pk * (v - e_k) / (1.0 + ((25.0 - v) / 5.98).exp());
        let i_bna = p.g_bna * (v - e_na);
        let i_bca = p.g_bca * (v - e_ca);
        let i_ion = i_na
            + i_to
            + i_kr
            + i_ks
            + i_cal
            + i_k1
            + i_naca
            + i_nak
            + i_pca
            + i_pk
            + i_bna
            + i_bca;

        // Calcium handling.
        let k_casr = MAX_SR - (MAX_SR - MIN_SR) / (1.0 + (EC / ca_sr).powi(2));
        let k1 = K1_PRIME / k_casr;
        let k2 = K2_PRIME * k_casr;
        let o = k1 * ca_ss * ca_ss * s[ix::R_PRIME] / (K3 + k1 * ca_ss * ca_ss);
        let i_rel = V_REL * o * (ca_sr - ca_ss);
        let i_up = VMAX_UP / (1.0 + K_UP * K_UP / (ca_i * ca_i));
        let i_leak = V_LEAK * (ca_sr - ca_i);
        let i_xfer = V_XFER * (ca_ss - ca_i);
        let buf_c = 1.0 / (1.0 + BUF_C * K_BUF_C / (ca_i + K_BUF_C).powi(2));
        let buf_sr = 1.0 / (1.0 + BUF_SR * K_BUF_SR / (ca_sr + K_BUF_SR).powi(2));
        let buf_ss = 1.0 / (1.0 + BUF_SS * K_BUF_SS / (ca_ss + K_BUF_SS).powi(2));
        let d_ca_i = buf_c
            * ((i_leak - i_up) * V_SR / V_C + i_xfer
                - (i_bca + i_pca - 2.0 * i_naca) * CM / (2.0 * V_C * F));
        let d_ca_sr = buf_sr * (i_up - (i_rel + i_leak));
        let d_ca_ss =
            buf_ss * (-i_cal * CM / (2.0 * V_SS * F) + i_rel * V_SR / V_SS - i_xfer * V_C / V_SS);
        let d_na_i = -(i_na + i_bna + 3.0 * i_nak + 3.0 * i_naca) * CM / (V_C * F);
        // The stimulus is carried by potassium (a charge-conserving convention).
        let d_k_i = -(i_k1 + i_to + i_kr + i_ks + i_pk - 2.0 * i_nak - stim) * CM / (V_C * F);

        // Gates (Rush-Larsen), at the step's starting potential.
        let m_inf = 1.0 / (1.0 + ((-56.86 - v) / 9.03).exp()).powi(2);
        let a_m = 1.0 / (1.0 + ((-60.0 - v) / 5.0).exp());
        let b_m = 0.1 / (1.0 + ((v + 35.0) / 5.0).exp()) + 0.1 / (1.0 + ((v - 50.0) / 200.0).exp());
        let h_inf = 1.0 / (1.0 + ((v + 71.55) / 7.43).exp()).powi(2);
        let (a_h, b_h, a_j, b_j) = if v >= -40.0 {
            (
                0.0,
                0.77 / (0.13 * (1.0 + (-(v + 10.66) / 11.1).exp())),
                0.0,
                0.6 * (0.057 * v).exp() / (1.0 + (-0.1 * (v + 32.0)).exp()),
            )
        } else {
            (
                0.057 * (-(v + 80.0) / 6.8).exp(),
                2.7 * (0.079 * v).exp() + 3.1e5 * (0.3485 * v).exp(),
                (-2.5428e4 * (0.2444 * v).exp() - 6.948e-6 * (-0.04391 * v).exp()) * (v + 37.78)
                    / (1.0 + (0.311 * (v + 79.23)).exp()),
                0.02424 * (-0.01052 * v).exp() / (1.0 + (-0.1378 * (v + 40.14)).exp()),
            )
        };
        let xr1_inf = 1.0 / (1.0 + ((-26.0 - v) / 7.0).exp());
        let tau_xr1 =
            450.0 / (1.0 + ((-45.0 - v) / 10.0).exp()) * 6.0 / (1.0 + ((v + 30.0) / 11.5).exp());
        let xr2_inf = 1.0 / (1.0 + ((v + 88.0) / 24.0).exp());
        let tau_xr2 =
            3.0 / (1.0 + ((-60.0 - v) / 20.0).exp()) * 1.12 / (1.0 + ((v - 60.0) / 20.0).exp());
        let xs_inf = 1.0 / (1.0 + ((-5.0 - v) / 14.0).exp());
        let tau_xs = 1400.0 / (1.0 + ((5.0 - v) / 6.0).exp()).sqrt() * 1.0
            / (1.0 + ((v - 35.0) / 15.0).exp())
            + 80.0;
        let d_inf = 1.0 / (1.0 + ((-8.0 - v) / 7.5).exp());
        let tau_d = (1.4 / (1.0 + ((-35.0 - v) / 13.0).exp()) + 0.25)
            * (1.4 / (1.0 + ((v + 5.0) / 5.0).exp()))
            + 1.0 / (1.0 + ((50.0 - v) / 20.0).exp());
        let f_inf = 1.0 / (1.0 + ((v + 20.0) / 7.0).exp());
        let tau_f = 1102.5 * (-(v + 27.0).powi(2) / 225.0).exp()
            + 200.0 / (1.0 + ((13.0 - v) / 10.0).exp())
            + 180.0 / (1.0 + ((v + 30.0) / 10.0).exp())
            + 20.0;
        let f2_inf = 0.67 / (1.0 + ((v + 35.0) / 7.0).exp()) + 0.33;
        let tau_f2 = 562.0 * (-(v + 27.0).powi(2) / 240.0).exp()
            + 31.0 / (1.0 + ((25.0 - v) / 10.0).exp())
            + 80.0 / (1.0 + ((v + 30.0) / 10.0).exp());
        let cass2 = (ca_ss / 0.05).powi(2);
        let fcass_inf = 0.6 / (1.0 + cass2) + 0.4;
        let tau_fcass = 80.0 / (1.0 + cass2) + 2.0;
        let r_inf = 1.0 / (1.0 + ((20.0 - v) / 6.0).exp());
        let tau_r = 9.5 * (-(v + 40.0).powi(2) / 1800.0).exp() + 0.8;
        let (s_inf, tau_s) = p.s_gate(v);

        s[ix::M] = rl(s[ix::M], m_inf, a_m * b_m, dt);
        s[ix::H] = rl(s[ix::H], h_inf, 1.0 / (a_h + b_h), dt);
        s[ix::J] = rl(s[ix::J], h_inf, 1.0 / (a_j + b_j), dt);
        s[ix::XR1] = rl(s[ix::XR1], xr1_inf, tau_xr1, dt);
        s[ix::XR2] = rl(s[ix::XR2], xr2_inf, tau_xr2, dt);
        s[ix::XS] = rl(s[ix::XS], xs_inf, tau_xs, dt);
        s[ix::D] = rl(s[ix::D], d_inf, tau_d, dt);
        s[ix::F] = rl(s[ix::F], f_inf, tau_f, dt);
        s[ix::F2] = rl(s[ix::F2], f2_inf, tau_f2, dt);
        s[ix::FCASS] = rl(s[ix::FCASS], fcass_inf, tau_fcass, dt);
        s[ix::R] = rl(s[ix::R], r_inf, tau_r, dt);
        s[ix::S] = rl(s[ix::S], s_inf, tau_s, dt);
        // R' = -k2 Ca_ss R' + k4 (1 - R'): linear in R', relaxed exactly.
        let rate = k2 * ca_ss + K4;
        s[ix::R_PRIME] = rl(s[ix::R_PRIME], K4 / rate, 1.0 / rate, dt);

        s[ix::CA_I] = ca_i + dt * d_ca_i;
        s[ix::CA_SR] = ca_sr + dt * d_ca_sr;
        s[ix::CA_SS] = ca_ss + dt * d_ca_ss;
        s[ix::NA_I] = na_i + dt * d_na_i;
        s[ix::K_I] = k_i + dt * d_k_i;
        s[ix::V] = v + dt * (-i_ion + stim);
    }
}
