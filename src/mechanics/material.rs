//! Constitutive laws of the myocardium: strain energy W(C) (kPa) and second Piola-Kirchhoff stress
//! S = 2 dW/dC (kPa) as functions of the right Cauchy-Green tensor C = F^T F, in f64.
//!
//! Notation: J = det F = sqrt(det C), I1 = tr C, E = (C - I)/2, (f0, s0, n0) the orthonormal fibre, sheet
//! and sheet-normal directions in the reference configuration ([`FibreFrame`]), I4f = f0.C f0,
//! I4s = s0.C s0, I8fs = f0.C s0, a (x) b the outer product (a (x) b)_ij = a_i b_j.
//!
//! ## Passive laws ([`Material`])
//! - compressible neo-Hookean ([`NeoHookean`]): W = mu/2 (I1 - 3) - mu ln J + lambda/2 (ln J)^2,
//!   S = mu (I - C^-1) + lambda ln J C^-1.
//! - Guccione ([`Guccione`], Land et al. 2015): W = C/2 (exp(Q) - 1) with, for E in the fibre frame,
//!   Q = bf E_ff^2 + bt (E_ss^2 + E_nn^2 + 2 E_sn^2) + 2 bfs (E_fs^2 + E_fn^2). In the fibre frame
//!   S_ff = C e^Q bf E_ff, S_ss = C e^Q bt E_ss, S_nn = C e^Q bt E_nn, S_sn = C e^Q bt E_sn,
//!   S_fs = C e^Q bfs E_fs, S_fn = C e^Q bfs E_fn; S = R S_loc R^T with R = [f0 | s0 | n0].
//!   Plus a volumetric [`Penalty`].
//! - Holzapfel-Ogden type ([`HolzapfelOgden`], Arostica et al. 2025), with I1bar = J^(-2/3) I1
//!   (isochoric), the non-isochoric I4f, I4s, I8fs and the smooth switch
//!   chi(I4) = 1/(1 + exp(-k (I4 - 1))) that turns the fibre and sheet terms off in compression:
//!
//! ```text
//! W  = a/(2b) (exp(b (I1bar - 3)) - 1) + g_f(I4f) + g_s(I4s) + a_fs/(2 b_fs) (exp(b_fs I8fs^2) - 1) + U(J)
//! g(I4)  = a_i/(2 b_i) chi(I4) (exp(b_i (I4 - 1)^2) - 1)
//! S  = a e^{b (I1bar - 3)} J^(-2/3) (I - I1/3 C^-1) + 2 g_f'(I4f) f0 (x) f0 + 2 g_s'(I4s) s0 (x) s0
//!      + a_fs I8fs e^{b_fs I8fs^2} (f0 (x) s0 + s0 (x) f0) + S_vol
//! g'(I4) = a_i chi (I4 - 1) e^{b_i (I4-1)^2} + a_i/(2 b_i) chi' (e^{b_i (I4-1)^2} - 1),  chi' = k chi (1 - chi)
//! ```
//!
//! The switch is differentiated: S is the exact derivative of W.
//!
//! ## Volumetric penalties ([`Penalty`]), U(J) added to W
//! - `St91` (Simo-Taylor 1991, the ELASTODYNAMICS form): U = kappa/4 (J^2 - 1 - 2 ln J),
//!   dU/dJ = kappa/2 (J - 1/J);
//! - `Quadratic`: U = kappa/2 (J - 1)^2, dU/dJ = kappa (J - 1).
//!
//! S_vol = J U'(J) C^-1; its Cauchy stress is the hydrostatic U'(J) I.
//!
//! ## Active stress ([`ActiveStress`]), tension Ta in kPa
//! - `Pk2`: S_act = Ta f0 (x) f0, the derivative of Ta/2 (I4f - 1) at fixed Ta ([`active_energy`]);
//! - `Cauchy`: sigma_act = Ta f (x) f along the deformed fibre f = F f0 / |F f0|. Pulled back,
//!   S_act = J F^-1 sigma_act F^-T = Ta J / I4f f0 (x) f0 (since F^-1 F f0 = f0 and |F f0|^2 = I4f), which
//!   depends on C only. It is not the derivative of an energy (its dependence on J is not).
//!
//! ## Viscosity ([`KelvinVoigt`])
//! Potential Psi_v = eta/2 tr(Edot^2) with Edot = Cdot / 2 = F^T sym(Fdot F^-1) F, so S_v = eta Edot and
//! P_v = F S_v.
//!
//! ## Output helpers
//! [`pk1`] P = F S, [`cauchy`] sigma = J^-1 F S F^T, [`von_mises`], [`fibre_stress`] f . sigma f.
//!
//! ## Written for WGSL
//! Every function is allocation-free, branch-light arithmetic on 3x3 matrices and 3-vectors so that it
//! maps one-to-one onto a WGSL `fn` over `mat3x3<f32>` later: the inverse is the adjugate built from cross
//! products of the columns ([`inverse`]; WGSL has no matrix inverse), outer products are three scaled
//! columns ([`outer`]), `exp`, `log`, `pow` and `sqrt` are the only transcendentals. No `expm1`/`ln_1p`, which
//! WGSL lacks.
//!
//! Units: see [`crate::mechanics`] (mm, ms, mg, kPa). Energies are per unit reference volume.

use glam::{DMat3, DVec3};
use serde::{Deserialize, Serialize};

/// Orthonormal fibre, sheet and sheet-normal directions at a material point, in the reference
/// configuration (unit vectors, dimensionless). Guccione requires orthonormality (its strain is rotated
/// into this frame with R^T E R); Holzapfel-Ogden uses f0 and s0 only.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FibreFrame {
    /// Fibre direction f0.
    pub f0: DVec3,
    /// Sheet direction s0.
    pub s0: DVec3,
    /// Sheet-normal direction n0.
    pub n0: DVec3,
}

impl Default for FibreFrame {
    /// The Land 2015 beam frame: f0 = x, s0 = y, n0 = z.
    fn default() -> Self {
        FibreFrame {
            f0: DVec3::X,
            s0: DVec3::Y,
            n0: DVec3::Z,
        }
    }
}

impl FibreFrame {
    /// The frames of a per-tetrahedron fibre field ([`crate::anatomy::fibres`]), in tetrahedron order.
    pub fn from_field(field: &crate::anatomy::fibres::FibreField) -> Vec<FibreFrame> {
        field
            .fiber
            .iter()
            .zip(&field.sheet)
            .zip(&field.normal)
            .map(|((&f, &s), &n)| FibreFrame {
                f0: DVec3::from_array(f),
                s0: DVec3::from_array(s),
                n0: DVec3::from_array(n),
            })
            .collect()
    }

    /// R = [f0 | s0 | n0]: maps frame components to global ones.
    pub fn matrix(&self) -> DMat3 {
        DMat3::from_cols(self.f0, self.s0, self.n0)
    }
}

/// A passive hyperelastic law with its parameters. Serialised with a `law` tag, e.g.
/// `{"law": "guccione", "c": 2.0, "bf": 8.0, "bt": 2.0, "bfs": 4.0, "penalty": {"form": "st91", "kappa": 1000.0}}`;
/// omitted parameters take their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "law", rename_all = "snake_case")]
pub enum Material {
    NeoHookean(NeoHookean),
    Guccione(Guccione),
    HolzapfelOgden(HolzapfelOgden),
}

impl Default for Material {
    /// Holzapfel-Ogden with the Arostica et al. 2025 parameters.
    fn default() -> Self {
        Material::HolzapfelOgden(HolzapfelOgden::default())
    }
}

/// A parameter outside the range its law needs (from a scenario file, typically).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MaterialError {
    #[error(
        "{law}: parameter {name} = {value} must be {expected}; see the defaults in cardiotwin::mechanics::material"
    )]
    Parameter {
        law: &'static str,
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
}

/// Checks that `value` is finite and `> 0` (`strict`) or `>= 0`.
fn check(
    law: &'static str,
    name: &'static str,
    value: f64,
    strict: bool,
) -> Result<(), MaterialError> {
    let ok = value.is_finite() && if strict { value > 0.0 } else { value >= 0.0 };
    if ok {
        return Ok(());
    }
    let expected = if strict {
        "finite and > 0"
    } else {
        "finite and >= 0"
    };
    Err(MaterialError::Parameter {
        law,
        name,
        value,
        expected,
    })
}

impl Material {
    /// Checks every parameter: moduli finite and >= 0 (the stiffness scales mu, C > 0), the exponents of
    /// Holzapfel-Ogden and its switch k > 0 (they divide), kappa >= 0.
    pub fn validate(&self) -> Result<(), MaterialError> {
        match self {
            Material::NeoHookean(m) => {
                check("neo_hookean", "mu", m.mu, true)?;
                check("neo_hookean", "lambda", m.lambda, false)
            }
            Material::Guccione(m) => {
                let law = "guccione";
                check(law, "c", m.c, true)?;
                check(law, "bf", m.bf, false)?;
                check(law, "bt", m.bt, false)?;
                check(law, "bfs", m.bfs, false)?;
                m.penalty.validate(law)
            }
            Material::HolzapfelOgden(m) => {
                let law = "holzapfel_ogden";
                for (name, value) in [("a", m.a), ("a_f", m.a_f), ("a_s", m.a_s), ("a_fs", m.a_fs)]
                {
                    check(law, name, value, false)?;
                }
                for (name, value) in [
                    ("b", m.b),
                    ("b_f", m.b_f),
                    ("b_s", m.b_s),
                    ("b_fs", m.b_fs),
                    ("k", m.k),
                ] {
                    check(law, name, value, true)?;
                }
                m.penalty.validate(law)
            }
        }
    }

    /// Strain energy per unit reference volume, kPa.
    pub fn energy(&self, c: DMat3, frame: &FibreFrame) -> f64 {
        match self {
            Material::NeoHookean(m) => m.energy(c),
            Material::Guccione(m) => m.energy(c, frame),
            Material::HolzapfelOgden(m) => m.energy(c, frame),
        }
    }

    /// Second Piola-Kirchhoff stress S = 2 dW/dC, kPa.
    pub fn pk2(&self, c: DMat3, frame: &FibreFrame) -> DMat3 {
        let j = jacobian(c);
        self.pk2_deviatoric(c, frame) + (j * self.volumetric_stress(j)) * inverse(c)
    }

    /// S without the volumetric term U(J) of the law, kPa: S = pk2_deviatoric + J U'(J) C^-1. The split
    /// that nodal pressure averaging needs (it replaces U'(J) of the element by an average over nodes).
    /// For neo-Hookean U = lambda/2 (ln J)^2 and the rest, mu (I - C^-1), is what remains.
    pub fn pk2_deviatoric(&self, c: DMat3, frame: &FibreFrame) -> DMat3 {
        match self {
            Material::NeoHookean(m) => m.mu * (DMat3::IDENTITY - inverse(c)),
            Material::Guccione(m) => m.pk2_deviatoric(c, frame),
            Material::HolzapfelOgden(m) => m.pk2_deviatoric(c, frame),
        }
    }

    /// U'(J), kPa: the hydrostatic Cauchy stress of the volumetric term (positive in tension).
    pub fn volumetric_stress(&self, j: f64) -> f64 {
        match self {
            Material::NeoHookean(m) => m.lambda * j.ln() / j,
            Material::Guccione(m) => m.penalty.mean_stress(j),
            Material::HolzapfelOgden(m) => m.penalty.mean_stress(j),
        }
    }

    /// The bulk modulus at J = 1 (kPa): lambda for neo-Hookean, kappa of the penalty otherwise.
    pub fn bulk_modulus(&self) -> f64 {
        match self {
            Material::NeoHookean(m) => m.lambda,
            Material::Guccione(m) => m.penalty.kappa(),
            Material::HolzapfelOgden(m) => m.penalty.kappa(),
        }
    }

    /// An upper estimate of the small-strain P-wave modulus (kPa) for the stable time step: bulk modulus
    /// plus 4/3 of the largest small-strain shear stiffness of the law. Exponential laws stiffen with
    /// strain; callers keep a safety factor.
    pub fn wave_modulus(&self) -> f64 {
        let shear = match self {
            Material::NeoHookean(m) => m.mu,
            Material::Guccione(m) => m.c * m.bf.max(m.bt).max(m.bfs).max(1.0),
            Material::HolzapfelOgden(m) => m.a + 2.0 * m.a_f + m.a_s + m.a_fs,
        };
        self.bulk_modulus() + 4.0 / 3.0 * shear
    }
}

/// Compressible neo-Hookean law W = mu/2 (I1 - 3) - mu ln J + lambda/2 (ln J)^2. A verification material
/// (analytic solutions exist), not a fit to myocardium.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NeoHookean {
    /// Shear modulus mu, kPa. Default 10.
    pub mu: f64,
    /// First Lame parameter lambda, kPa. Default 100 (Poisson ratio 0.45 with the default mu).
    pub lambda: f64,
}

impl Default for NeoHookean {
    fn default() -> Self {
        NeoHookean {
            mu: 10.0,
            lambda: 100.0,
        }
    }
}

impl NeoHookean {
    /// W, kPa.
    pub fn energy(&self, c: DMat3) -> f64 {
        let ln_j = 0.5 * c.determinant().ln();
        0.5 * self.mu * (trace(c) - 3.0) - self.mu * ln_j + 0.5 * self.lambda * ln_j * ln_j
    }

    /// S = mu (I - C^-1) + lambda ln J C^-1, kPa.
    pub fn pk2(&self, c: DMat3) -> DMat3 {
        let c_inv = inverse(c);
        let ln_j = 0.5 * c.determinant().ln();
        self.mu * (DMat3::IDENTITY - c_inv) + (self.lambda * ln_j) * c_inv
    }
}

/// Volumetric penalty U(J) that makes a law nearly incompressible. Serialised with a `form` tag:
/// `{"form": "st91", "kappa": 1000.0}`, `{"form": "quadratic", "kappa": 1000.0}` or `{"form": "off"}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "form", rename_all = "snake_case", deny_unknown_fields)]
pub enum Penalty {
    /// No volumetric term (for a formulation that enforces the volume itself).
    Off,
    /// U = kappa/4 (J^2 - 1 - 2 ln J); `kappa` (bulk modulus at J = 1) in kPa.
    St91 { kappa: f64 },
    /// U = kappa/2 (J - 1)^2; `kappa` (bulk modulus at J = 1) in kPa.
    Quadratic { kappa: f64 },
}

impl Default for Penalty {
    /// St91 with kappa = 1000 kPa (1e6 Pa, the Arostica et al. 2025 value).
    fn default() -> Self {
        Penalty::St91 { kappa: 1000.0 }
    }
}

impl Penalty {
    /// kappa finite and >= 0; `law` names the law in the error.
    pub fn validate(&self, law: &'static str) -> Result<(), MaterialError> {
        match *self {
            Penalty::Off => Ok(()),
            Penalty::St91 { kappa } | Penalty::Quadratic { kappa } => {
                check(law, "kappa", kappa, false)
            }
        }
    }

    /// kappa, kPa (0 when off).
    pub fn kappa(&self) -> f64 {
        match *self {
            Penalty::Off => 0.0,
            Penalty::St91 { kappa } | Penalty::Quadratic { kappa } => kappa,
        }
    }

    /// U(J), kPa.
    pub fn energy_of_j(&self, j: f64) -> f64 {
        match *self {
            Penalty::Off => 0.0,
            Penalty::St91 { kappa } => 0.25 * kappa * (j * j - 1.0 - 2.0 * j.ln()),
            Penalty::Quadratic { kappa } => 0.5 * kappa * (j - 1.0) * (j - 1.0),
        }
    }

    /// dU/dJ, kPa: the hydrostatic Cauchy stress of the penalty (positive in tension).
    pub fn mean_stress(&self, j: f64) -> f64 {
        match *self {
            Penalty::Off => 0.0,
            Penalty::St91 { kappa } => 0.5 * kappa * (j - 1.0 / j),
            Penalty::Quadratic { kappa } => kappa * (j - 1.0),
        }
    }

    /// U(J(C)), kPa.
    pub fn energy(&self, c: DMat3) -> f64 {
        self.energy_of_j(jacobian(c))
    }

    /// S_vol = J U'(J) C^-1, kPa.
    pub fn pk2(&self, c: DMat3) -> DMat3 {
        let j = jacobian(c);
        (j * self.mean_stress(j)) * inverse(c)
    }
}

/// Guccione's transversely isotropic exponential law, W = C/2 (exp(Q) - 1) (see the module docs for Q),
/// plus a volumetric penalty. Defaults: Land et al. 2015 problems 1 and 3.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Guccione {
    /// Stiffness scale C, kPa. Default 2.
    pub c: f64,
    /// Fibre exponent bf, dimensionless. Default 8.
    pub bf: f64,
    /// Transverse exponent bt, dimensionless. Default 2.
    pub bt: f64,
    /// Fibre-transverse shear exponent bfs, dimensionless. Default 4.
    pub bfs: f64,
    /// Volumetric term. Default St91 with kappa = 1000 kPa (Land 2015 leaves the penalty to the code;
    /// kappa/C = 500).
    pub penalty: Penalty,
}

impl Default for Guccione {
    fn default() -> Self {
        Guccione {
            c: 2.0,
            bf: 8.0,
            bt: 2.0,
            bfs: 4.0,
            penalty: Penalty::default(),
        }
    }
}

impl Guccione {
    /// W, kPa.
    pub fn energy(&self, c: DMat3, frame: &FibreFrame) -> f64 {
        let q = self.q(&frame_strain(c, frame));
        0.5 * self.c * (q.exp() - 1.0) + self.penalty.energy(c)
    }

    /// S, kPa.
    pub fn pk2(&self, c: DMat3, frame: &FibreFrame) -> DMat3 {
        self.pk2_deviatoric(c, frame) + self.penalty.pk2(c)
    }

    /// S without the penalty, kPa.
    pub fn pk2_deviatoric(&self, c: DMat3, frame: &FibreFrame) -> DMat3 {
        let e = frame_strain(c, frame);
        let g = self.c * self.q(&e).exp();
        let (ff, ss, nn) = (e.x_axis.x, e.y_axis.y, e.z_axis.z);
        let (fs, fn_, sn) = (e.y_axis.x, e.z_axis.x, e.z_axis.y);
        let s_local = DMat3::from_cols(
            DVec3::new(self.bf * ff, self.bfs * fs, self.bfs * fn_),
            DVec3::new(self.bfs * fs, self.bt * ss, self.bt * sn),
            DVec3::new(self.bfs * fn_, self.bt * sn, self.bt * nn),
        );
        let r = frame.matrix();
        g * (r * s_local * r.transpose())
    }

    /// Q of the Green-Lagrange strain given in the fibre frame.
    fn q(&self, e: &DMat3) -> f64 {
        let (ff, ss, nn) = (e.x_axis.x, e.y_axis.y, e.z_axis.z);
        let (fs, fn_, sn) = (e.y_axis.x, e.z_axis.x, e.z_axis.y);
        self.bf * ff * ff
            + self.bt * (ss * ss + nn * nn + 2.0 * sn * sn)
            + 2.0 * self.bfs * (fs * fs + fn_ * fn_)
    }
}

/// Holzapfel-Ogden-type orthotropic law of the Arostica et al. 2025 elastodynamics benchmark (module
/// docs). Defaults: that benchmark's parameters converted to kPa.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HolzapfelOgden {
    /// Isotropic stiffness a, kPa. Default 0.059 (59 Pa).
    pub a: f64,
    /// Isotropic exponent b, dimensionless, > 0. Default 8.023.
    pub b: f64,
    /// Fibre stiffness a_f, kPa. Default 18.472.
    pub a_f: f64,
    /// Fibre exponent b_f, dimensionless, > 0. Default 16.026.
    pub b_f: f64,
    /// Sheet stiffness a_s, kPa. Default 2.481.
    pub a_s: f64,
    /// Sheet exponent b_s, dimensionless, > 0. Default 11.120.
    pub b_s: f64,
    /// Fibre-sheet shear stiffness a_fs, kPa. Default 0.216.
    pub a_fs: f64,
    /// Fibre-sheet exponent b_fs, dimensionless, > 0. Default 11.436.
    pub b_fs: f64,
    /// Steepness k of the tension switch chi(I4) = 1/(1 + exp(-k (I4 - 1))), dimensionless. Default 100.
    pub k: f64,
    /// Volumetric term. Default St91 with kappa = 1000 kPa (1e6 Pa).
    pub penalty: Penalty,
}

impl Default for HolzapfelOgden {
    fn default() -> Self {
        HolzapfelOgden {
            a: 0.059,
            b: 8.023,
            a_f: 18.472,
            b_f: 16.026,
            a_s: 2.481,
            b_s: 11.120,
            a_fs: 0.216,
            b_fs: 11.436,
            k: 100.0,
            penalty: Penalty::default(),
        }
    }
}

impl HolzapfelOgden {
    /// W, kPa.
    pub fn energy(&self, c: DMat3, frame: &FibreFrame) -> f64 {
        let (f0, s0) = (frame.f0, frame.s0);
        let i1_bar = c.determinant().powf(-1.0 / 3.0) * trace(c);
        let i8 = f0.dot(c * s0);
        self.a / (2.0 * self.b) * ((self.b * (i1_bar - 3.0)).exp() - 1.0)
            + switched_energy(self.a_f, self.b_f, self.k, f0.dot(c * f0))
            + switched_energy(self.a_s, self.b_s, self.k, s0.dot(c * s0))
            + self.a_fs / (2.0 * self.b_fs) * ((self.b_fs * i8 * i8).exp() - 1.0)
            + self.penalty.energy(c)
    }

    /// S, kPa.
    pub fn pk2(&self, c: DMat3, frame: &FibreFrame) -> DMat3 {
        self.pk2_deviatoric(c, frame) + self.penalty.pk2(c)
    }

    /// S without the penalty, kPa.
    pub fn pk2_deviatoric(&self, c: DMat3, frame: &FibreFrame) -> DMat3 {
        let (f0, s0) = (frame.f0, frame.s0);
        let j23 = c.determinant().powf(-1.0 / 3.0);
        let i1 = trace(c);
        let iso = self.a * (self.b * (j23 * i1 - 3.0)).exp() * j23;
        let s_iso = iso * (DMat3::IDENTITY - (i1 / 3.0) * inverse(c));
        let df = switched_slope(self.a_f, self.b_f, self.k, f0.dot(c * f0));
        let ds = switched_slope(self.a_s, self.b_s, self.k, s0.dot(c * s0));
        let i8 = f0.dot(c * s0);
        let dfs = self.a_fs * i8 * (self.b_fs * i8 * i8).exp();
        s_iso
            + (2.0 * df) * outer(f0, f0)
            + (2.0 * ds) * outer(s0, s0)
            + dfs * (outer(f0, s0) + outer(s0, f0))
    }
}

/// The smooth tension switch chi(I4) = 1/(1 + exp(-k (I4 - 1))) and 1 - chi, each computed without
/// cancellation and without an exponential that could overflow into NaN.
pub fn switch(k: f64, i4: f64) -> (f64, f64) {
    // One exponential, of -|x| (never overflows): chi = 1/(1 + e) for x >= 0 and e/(1 + e) below,
    // 1 - chi the other of the two.
    let x = k * (i4 - 1.0);
    let e = (-x.abs()).exp();
    let (big, small) = (1.0 / (1.0 + e), e / (1.0 + e));
    if x >= 0.0 { (big, small) } else { (small, big) }
}

/// g(I4) = a/(2b) chi(I4) (exp(b (I4 - 1)^2) - 1), kPa: the fibre or sheet term of Holzapfel-Ogden.
fn switched_energy(a: f64, b: f64, k: f64, i4: f64) -> f64 {
    let (chi, _) = switch(k, i4);
    let d = i4 - 1.0;
    a / (2.0 * b) * chi * ((b * d * d).exp() - 1.0)
}

/// g'(I4) = a chi (I4 - 1) e^{b (I4-1)^2} + a/(2b) k chi (1 - chi) (e^{b (I4-1)^2} - 1), kPa.
pub(crate) fn switched_slope(a: f64, b: f64, k: f64, i4: f64) -> f64 {
    let (chi, one_minus_chi) = switch(k, i4);
    let d = i4 - 1.0;
    let e = (b * d * d).exp();
    a * chi * d * e + a / (2.0 * b) * k * chi * one_minus_chi * (e - 1.0)
}

/// How the active tension acts. Serialised as `"pk2"` or `"cauchy"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActiveStress {
    /// S_act = Ta f0 (x) f0 (Arostica et al. 2025; one of the Land 2015 variants). Default.
    #[default]
    Pk2,
    /// sigma_act = Ta f (x) f along the deformed fibre, i.e. S_act = Ta J / I4f f0 (x) f0.
    Cauchy,
}

impl ActiveStress {
    /// Active second Piola-Kirchhoff stress for tension `ta` (kPa) along the unit fibre `f0`, kPa.
    pub fn pk2(self, ta: f64, c: DMat3, f0: DVec3) -> DMat3 {
        match self {
            ActiveStress::Pk2 => ta * outer(f0, f0),
            ActiveStress::Cauchy => (ta * jacobian(c) / f0.dot(c * f0)) * outer(f0, f0),
        }
    }
}

/// Ta/2 (I4f - 1), kPa: the energy whose derivative 2 dW/dC at fixed Ta is the `Pk2` active stress.
pub fn active_energy(ta: f64, c: DMat3, f0: DVec3) -> f64 {
    0.5 * ta * (f0.dot(c * f0) - 1.0)
}

/// Kelvin-Voigt viscosity with the potential Psi_v = eta/2 tr(Edot^2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KelvinVoigt {
    /// Viscosity eta, kPa ms (= Pa s). Default 100 (Arostica et al. 2025).
    pub eta: f64,
}

impl Default for KelvinVoigt {
    fn default() -> Self {
        KelvinVoigt { eta: 100.0 }
    }
}

impl KelvinVoigt {
    /// eta finite and >= 0.
    pub fn validate(&self) -> Result<(), MaterialError> {
        check("kelvin_voigt", "eta", self.eta, false)
    }

    /// Psi_v = eta/2 Edot : Edot for the strain rate Edot (1/ms), kPa/ms.
    pub fn potential(&self, e_dot: DMat3) -> f64 {
        0.5 * self.eta * double_dot(e_dot, e_dot)
    }

    /// S_v = eta Edot = eta Cdot / 2 for the rate Cdot (1/ms) of C, kPa.
    pub fn pk2(&self, c_dot: DMat3) -> DMat3 {
        (0.5 * self.eta) * c_dot
    }
}

/// Cdot = Fdot^T F + F^T Fdot (1/ms) from F and its rate Fdot (1/ms).
pub fn c_dot(f: DMat3, f_dot: DMat3) -> DMat3 {
    f_dot.transpose() * f + f.transpose() * f_dot
}

/// First Piola-Kirchhoff stress P = F S, kPa.
pub fn pk1(f: DMat3, s: DMat3) -> DMat3 {
    f * s
}

/// Cauchy stress sigma = J^-1 F S F^T, kPa.
pub fn cauchy(f: DMat3, s: DMat3) -> DMat3 {
    (1.0 / f.determinant()) * (f * s * f.transpose())
}

/// Von Mises equivalent stress sqrt(3/2 dev(sigma) : dev(sigma)) of a symmetric stress, kPa.
pub fn von_mises(sigma: DMat3) -> f64 {
    let (xx, yy, zz) = (sigma.x_axis.x, sigma.y_axis.y, sigma.z_axis.z);
    let xy = 0.5 * (sigma.y_axis.x + sigma.x_axis.y);
    let yz = 0.5 * (sigma.z_axis.y + sigma.y_axis.z);
    let zx = 0.5 * (sigma.x_axis.z + sigma.z_axis.x);
    let normal = (xx - yy) * (xx - yy) + (yy - zz) * (yy - zz) + (zz - xx) * (zz - xx);
    (0.5 * normal + 3.0 * (xy * xy + yz * yz + zx * zx)).sqrt()
}

/// Fibre stress f . sigma f along the deformed unit fibre f = F f0 / |F f0|, kPa.
pub fn fibre_stress(f: DMat3, sigma: DMat3, f0: DVec3) -> f64 {
    let fibre = (f * f0).normalize();
    fibre.dot(sigma * fibre)
}

/// J = sqrt(det C).
pub fn jacobian(c: DMat3) -> f64 {
    c.determinant().sqrt()
}

/// tr M.
pub fn trace(m: DMat3) -> f64 {
    m.x_axis.x + m.y_axis.y + m.z_axis.z
}

/// A : B = sum_ij A_ij B_ij.
pub fn double_dot(a: DMat3, b: DMat3) -> f64 {
    a.x_axis.dot(b.x_axis) + a.y_axis.dot(b.y_axis) + a.z_axis.dot(b.z_axis)
}

/// a (x) b, (a (x) b)_ij = a_i b_j: the columns are a b_x, a b_y, a b_z.
pub fn outer(a: DVec3, b: DVec3) -> DMat3 {
    DMat3::from_cols(a * b.x, a * b.y, a * b.z)
}

/// M^-1 as the adjugate over the determinant: with columns (c0, c1, c2), the rows of M^-1 are
/// c1 x c2, c2 x c0 and c0 x c1 divided by det M = c0 . (c1 x c2). The form a WGSL port uses.
pub fn inverse(m: DMat3) -> DMat3 {
    let (c0, c1, c2) = (m.x_axis, m.y_axis, m.z_axis);
    let r0 = c1.cross(c2);
    let det = c0.dot(r0);
    DMat3::from_cols(r0, c2.cross(c0), c0.cross(c1)).transpose() * (1.0 / det)
}

/// The Green-Lagrange strain E = (C - I)/2 in the fibre frame, R^T E R.
fn frame_strain(c: DMat3, frame: &FibreFrame) -> DMat3 {
    let r = frame.matrix();
    r.transpose() * (0.5 * (c - DMat3::IDENTITY)) * r
}
