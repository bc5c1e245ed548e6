//! Myocardial fibre, sheet and sheet-normal directions per tetrahedron.
//!
//! - [`ldrb`]: the Laplace-Dirichlet rule-based method of Bayer et al. 2012 (Ann. Biomed. Eng.
//!   40:2243-2254) on any LV or biventricular mesh, from [`VentricularCoordinates`];
//! - [`land_ellipsoid`]: the analytic rule of the Land et al. 2015 benchmark (problem 3).
//!
//! Angle convention: at a point of the wall let e_l be the apex-to-base direction, e_t the outward
//! transmural direction and e_c = e_l x e_t the circumferential direction (counter-clockwise seen from the
//! base). The helix angle is the angle of the fibre from e_c towards e_l: positive is a right-handed helix
//! (the endocardium, about +60 degrees), negative left-handed (the epicardium). The transverse (sheet)
//! angle beta rotates the sheet about the fibre, away from e_t. With beta = 0 the sheet is transmural; the
//! normal completes a right-handed orthonormal frame (fibre, sheet, normal).

use glam::{DMat3, DQuat, DVec3};
use rayon::prelude::*;

use super::coordinates::VentricularCoordinates;
use crate::fem::poisson::shape_gradients;
use crate::geometry::cpu::tet_geometry;
use crate::mesh::{Field, MeshError, TetMesh};

/// Orthonormal fibre frames, one per tetrahedron.
#[derive(Debug, Clone)]
pub struct FibreField {
    pub fiber: Vec<[f64; 3]>,
    pub sheet: Vec<[f64; 3]>,
    pub normal: Vec<[f64; 3]>,
    /// Tetrahedra where a gradient vanished or two were parallel, so the frame fell back to an arbitrary
    /// orthonormal one. Zero on a sound mesh.
    pub degenerate: usize,
}

impl FibreField {
    /// Stores the frames as the cell fields `fiber`, `sheet` and `normal` (3 components each).
    pub fn store(&self, mesh: &mut TetMesh) -> Result<(), MeshError> {
        let flat = |v: &[[f64; 3]]| v.iter().flatten().copied().collect();
        mesh.add_cell_field(Field::new("fiber", 3, flat(&self.fiber)))?;
        mesh.add_cell_field(Field::new("sheet", 3, flat(&self.sheet)))?;
        mesh.add_cell_field(Field::new("normal", 3, flat(&self.normal)))
    }
}

/// Angles of the rule-based method, degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LdrbAngles {
    pub alpha_endo: f64,
    pub alpha_epi: f64,
    pub beta_endo: f64,
    pub beta_epi: f64,
}

impl Default for LdrbAngles {
    /// Helix +60 (endocardium) to -60 degrees (epicardium), no transverse angle.
    fn default() -> Self {
        LdrbAngles {
            alpha_endo: 60.0,
            alpha_epi: -60.0,
            beta_endo: 0.0,
            beta_epi: 0.0,
        }
    }
}

/// Bayer's axis(u, v): e1 along u (apex to base), e2 the part of v normal to it (transmural), e0 = e1 x e2
/// (circumferential). Columns (e0, e1, e2). `None` when u vanishes or v is parallel to it.
fn axis(u: DVec3, v: DVec3) -> Option<DMat3> {
    let e1 = u.try_normalize()?;
    let e2 = (v - e1 * e1.dot(v)).try_normalize()?;
    Some(DMat3::from_cols(e1.cross(e2), e1, e2))
}

/// Bayer's orient(Q, alpha, beta): rotate by the helix angle about e2 (transmural), then by the sheet
/// angle about the new first axis (the fibre). Angles in degrees.
fn orient(q: DMat3, alpha: f64, beta: f64) -> DMat3 {
    let (sa, ca) = alpha.to_radians().sin_cos();
    let (sb, cb) = beta.to_radians().sin_cos();
    let ra = DMat3::from_cols(DVec3::new(ca, sa, 0.0), DVec3::new(-sa, ca, 0.0), DVec3::Z);
    let rb = DMat3::from_cols(DVec3::X, DVec3::new(0.0, cb, -sb), DVec3::new(0.0, sb, cb));
    q * ra * rb
}

/// Bayer's bislerp: spherical interpolation of two frames, treating each axis as a line (f and -f are the
/// same fibre): among the eight quaternions equivalent to `b` up to those sign flips, the one closest to
/// `a` is interpolated towards.
fn bislerp(a: DMat3, b: DMat3, t: f64) -> DMat3 {
    let qa = DQuat::from_mat3(&a).normalize();
    let qb = DQuat::from_mat3(&b).normalize();
    let flips = [
        DQuat::IDENTITY,
        DQuat::from_xyzw(1.0, 0.0, 0.0, 0.0),
        DQuat::from_xyzw(0.0, 1.0, 0.0, 0.0),
        DQuat::from_xyzw(0.0, 0.0, 1.0, 0.0),
    ];
    let mut best = qb;
    let mut best_dot = -1.0;
    for f in flips {
        let q = qb * f;
        let d = qa.dot(q).abs();
        if d > best_dot {
            best_dot = d;
            best = if qa.dot(q) < 0.0 { -q } else { q };
        }
    }
    DMat3::from_quat(qa.slerp(best, t.clamp(0.0, 1.0)))
}

/// Per-tet value at the centroid and gradient of a nodal field.
fn centroid_and_gradient(
    mesh: &TetMesh,
    grads: &[[f64; 3]; 4],
    t: usize,
    f: &[f64],
) -> (f64, DVec3) {
    let tet = mesh.tets()[t];
    let mut g = DVec3::ZERO;
    let mut mean = 0.0;
    for (c, &n) in tet.iter().enumerate() {
        g += DVec3::from_array(grads[c]) * f[n as usize];
        mean += 0.25 * f[n as usize];
    }
    (mean, g)
}

/// Rule-based fibres after Bayer et al. 2012, with the helix and sheet angles interpolated linearly
/// through the wall:
///
/// ```text
/// d      = phi_rv / (phi_lv + phi_rv)                      (0 in the LV, 1 in the RV)
/// A_lv   = axis(grad psi, -grad phi_lv),  A_rv = axis(grad psi, grad phi_rv)
/// A_endo = bislerp(A_lv, A_rv, d),        A_epi = axis(grad psi, grad phi_epi)
/// A      = bislerp(A_endo, A_epi, phi_epi)
/// sigma  = sign(e2(A_endo) . e2(A_epi))                    (-1 in the RV free wall)
/// alpha  = (1 - phi_epi) alpha_endo (1 - 2d) + phi_epi sigma alpha_epi       (beta likewise)
/// Q      = orient(A, alpha, beta)
/// ```
///
/// Bayer et al. bislerp the frames after rotating them by their angles. Between frames more than 90
/// degrees apart, bislerp (which treats a fibre as a line) takes the short way round, so with the default
/// +60/-60 degrees the helix would jump by about 70 degrees at phi_epi = 0.75. Here bislerp only blends
/// the unrotated frames (a few degrees apart, or flipped), and the angles are blended as numbers: in the
/// LV free wall the helix angle is alpha_endo + (alpha_epi - alpha_endo) phi_epi; across the septum it
/// goes from alpha_endo to -alpha_endo in the LV frame, as in Bayer et al.
pub fn ldrb(mesh: &TetMesh, coords: &VentricularCoordinates, angles: LdrbAngles) -> FibreField {
    // Centroid values and gradients of psi, phi_lv, phi_rv, phi_epi per tetrahedron.
    let fields = [
        &coords.apicobasal,
        &coords.lv,
        &coords.rv,
        &coords.transmural,
    ];
    let per_tet: Vec<[(f64, DVec3); 4]> = (0..mesh.tet_count())
        .into_par_iter()
        .map(|t| {
            let grads = shape_gradients(&tet_geometry(&mesh.tet_points(t)).dm_inv);
            fields.map(|f| centroid_and_gradient(mesh, &grads, t, f))
        })
        .collect();
    let recovered = recovered_gradients(mesh, &per_tet);
    let frames: Vec<(DMat3, bool)> = (0..mesh.tet_count())
        .into_par_iter()
        .map(|t| {
            // A tetrahedron with all four nodes on one Dirichlet surface has a zero gradient there: use
            // the mean of its nodes' recovered (volume-averaged) gradients instead.
            let g = |k: usize| {
                let g = per_tet[t].get(k).map_or(DVec3::ZERO, |v| v.1);
                if g.length() > VANISHING_GRADIENT {
                    g
                } else {
                    mesh.tets()[t]
                        .iter()
                        .map(|&n| recovered[n as usize][k])
                        .sum::<DVec3>()
                        / 4.0
                }
            };
            let (g_psi, g_lv, g_rv, g_epi) = (g(0), g(1), g(2), g(3));
            let (lv, rv, epi) = (per_tet[t][1].0, per_tet[t][2].0, per_tet[t][3].0);
            let d = if lv + rv > 0.0 {
                (rv / (lv + rv)).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let epi = epi.clamp(0.0, 1.0);
            let a_endo = match (axis(g_psi, -g_lv), axis(g_psi, g_rv)) {
                (Some(l), Some(r)) => Some(bislerp(l, r, d)),
                (Some(l), None) => Some(l),
                (None, Some(r)) => Some(r),
                (None, None) => None,
            };
            let a_epi = axis(g_psi, g_epi);
            let (frame, sigma) = match (a_endo, a_epi) {
                (Some(e), Some(p)) => (bislerp(e, p, epi), e.z_axis.dot(p.z_axis).signum()),
                (Some(q), None) | (None, Some(q)) => (q, 1.0),
                (None, None) => return (DMat3::IDENTITY, true),
            };
            let alpha =
                (1.0 - epi) * angles.alpha_endo * (1.0 - 2.0 * d) + epi * sigma * angles.alpha_epi;
            let beta =
                (1.0 - epi) * angles.beta_endo * (1.0 - 2.0 * d) + epi * sigma * angles.beta_epi;
            (orient(frame, alpha, beta), false)
        })
        .collect();
    from_frames(&frames)
}

/// Below this (1/mm), a gradient is taken as vanished: the fields vary by 1 across a wall of millimetres,
/// so real gradients are about 0.01-1 /mm.
const VANISHING_GRADIENT: f64 = 1e-9;

/// Per node and field, the volume-weighted mean of the gradients of the tetrahedra around it.
fn recovered_gradients(mesh: &TetMesh, per_tet: &[[(f64, DVec3); 4]]) -> Vec<[DVec3; 4]> {
    let mut sum = vec![[DVec3::ZERO; 4]; mesh.node_count()];
    let mut weight = vec![0.0; mesh.node_count()];
    for (t, tet) in mesh.tets().iter().enumerate() {
        let v = crate::mesh::signed_volume(&mesh.tet_points(t)).abs();
        for &n in tet {
            for (k, s) in sum[n as usize].iter_mut().enumerate() {
                *s += per_tet[t][k].1 * v;
            }
            weight[n as usize] += v;
        }
    }
    sum.iter()
        .zip(&weight)
        .map(|(s, &w)| s.map(|g| if w > 0.0 { g / w } else { g }))
        .collect()
}

/// Columns of Bayer's frame after orient(): (fibre, normal-ish, transmural); re-orthonormalised as
/// (fibre, sheet = transmural, normal = fibre x sheet).
fn from_frames(frames: &[(DMat3, bool)]) -> FibreField {
    let mut out = FibreField {
        fiber: Vec::with_capacity(frames.len()),
        sheet: Vec::with_capacity(frames.len()),
        normal: Vec::with_capacity(frames.len()),
        degenerate: 0,
    };
    for (q, degenerate) in frames {
        let f = q.x_axis.normalize_or(DVec3::X);
        let s = (q.z_axis - f * f.dot(q.z_axis)).normalize_or(f.any_orthonormal_vector());
        out.fiber.push(f.to_array());
        out.sheet.push(s.to_array());
        out.normal.push(f.cross(s).to_array());
        out.degenerate += usize::from(*degenerate);
    }
    out
}

/// The analytic fibres of Land et al. 2015 problem 3 on the truncated ellipsoid
/// ([`super::land_ellipsoid`]): at each tetrahedron's centroid find (t, u, v) with
/// rs(t) = 7 + 3t, rl(t) = 17 + 3t, then f = sin(a) e_u + cos(a) e_v with a = 90 (1 - 2t) degrees;
/// sheet along the outward normal of the ellipsoid through the point, normal = f x sheet.
pub fn land_ellipsoid(mesh: &TetMesh) -> FibreField {
    use super::land_ellipsoid::radii;
    let frames: Vec<(DMat3, bool)> = (0..mesh.tet_count())
        .into_par_iter()
        .map(|t| {
            let p = mesh
                .tet_points(t)
                .iter()
                .map(|&q| DVec3::from_array(q))
                .sum::<DVec3>()
                / 4.0;
            let r2 = p.x * p.x + p.y * p.y;
            // g(t) = r2 / rs(t)^2 + z^2 / rl(t)^2 - 1 decreases in t: bisection on [-0.5, 1.5].
            let g = |t: f64| {
                let (rs, rl) = radii(t);
                r2 / (rs * rs) + p.z * p.z / (rl * rl) - 1.0
            };
            let (mut lo, mut hi) = (-0.5, 1.5);
            for _ in 0..60 {
                let mid = 0.5 * (lo + hi);
                if g(mid) > 0.0 {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let tt = (0.5 * (lo + hi)).clamp(0.0, 1.0);
            let (rs, rl) = radii(tt);
            // u in [-pi, 0]: sin(u) = -sqrt(r2)/rs, cos(u) = z/rl.
            let u = (-(r2.sqrt() / rs)).atan2(p.z / rl);
            let v = (-p.y).atan2(-p.x);
            let (su, cu) = u.sin_cos();
            let (sv, cv) = v.sin_cos();
            let e_u = DVec3::new(rs * cu * cv, rs * cu * sv, -rl * su).normalize_or(DVec3::Z);
            let e_v = DVec3::new(-rs * su * sv, rs * su * cv, 0.0).normalize_or(DVec3::X);
            let a = (90.0 * (1.0 - 2.0 * tt)).to_radians();
            let f = (a.sin() * e_u + a.cos() * e_v).normalize();
            let n = DVec3::new(p.x / (rs * rs), p.y / (rs * rs), p.z / (rl * rl))
                .normalize_or(DVec3::Z);
            (DMat3::from_cols(f, f.cross(n), n), false)
        })
        .collect();
    from_frames(&frames)
}

/// Helix angle (degrees) of fibre `f` in the local frame of a wall point: `long` apex to base, `out`
/// outward transmural (see the module docs).
pub fn helix_angle(f: [f64; 3], long: [f64; 3], out: [f64; 3]) -> f64 {
    let f = DVec3::from_array(f);
    let out = DVec3::from_array(out).normalize();
    let l = DVec3::from_array(long);
    let l = (l - out * out.dot(l)).normalize();
    let c = l.cross(out);
    let mut angle = f.dot(l).atan2(f.dot(c)).to_degrees();
    // A fibre is a line: fold into (-90, 90].
    if angle > 90.0 {
        angle -= 180.0;
    } else if angle <= -90.0 {
        angle += 180.0;
    }
    angle
}

/// The analytic fibres of the Aróstica et al. 2025 elastodynamics benchmark (`../shared/benchmarks/
/// ELASTODYNAMICS.md` section 2) on [`super::arostica_ellipsoid`], from the nodal transmural coordinate
/// t (Laplace, 0 on the endocardium, 1 on the epicardium), in mm:
///
/// ```text
/// rs(t) = 25 + 10 t,  rl(t) = 90 + 7 t
/// mu = atan2(sqrt(y^2 + z^2) / rs, x / rl),  theta = pi - atan2(z, -y)
/// e_mu = normalize(-rl sin mu, rs cos mu cos theta, rs cos mu sin theta)
/// e_th = normalize(0, -rs sin mu sin theta, rs sin mu cos theta)
/// alpha = -60 + 120 t degrees,  f0 = normalize(sin alpha e_mu + cos alpha e_th)
/// n0 = normalize(e_mu x e_th),  s0 = normalize(f0 x n0)
/// ```
///
/// evaluated at tetrahedron centroids. The benchmark's (f0, s0, n0) is left-handed; the stored normal is
/// -n0 so that (fibre, sheet, normal) is right-handed (material laws use n0 (x) n0, blind to the sign).
pub fn arostica_ellipsoid(mesh: &TetMesh, transmural: &[f64]) -> FibreField {
    let frames: Vec<(DMat3, bool)> = (0..mesh.tet_count())
        .into_par_iter()
        .map(|t| {
            let tet = mesh.tets()[t];
            let p = tet
                .iter()
                .map(|&n| DVec3::from_array(mesh.nodes()[n as usize]))
                .sum::<DVec3>()
                / 4.0;
            let tt =
                (tet.iter().map(|&n| transmural[n as usize]).sum::<f64>() / 4.0).clamp(0.0, 1.0);
            let (rs, rl) = (25.0 + 10.0 * tt, 90.0 + 7.0 * tt);
            let mu = ((p.y * p.y + p.z * p.z).sqrt() / rs).atan2(p.x / rl);
            let theta = if mu < 1e-7 {
                0.0
            } else {
                std::f64::consts::PI - p.z.atan2(-p.y)
            };
            let (sm, cm) = mu.sin_cos();
            let (st, ct) = theta.sin_cos();
            let e_mu = DVec3::new(-rl * sm, rs * cm * ct, rs * cm * st).normalize_or(DVec3::X);
            let e_th = DVec3::new(0.0, -rs * sm * st, rs * sm * ct).normalize_or(DVec3::Y);
            let alpha = (-60.0 + 120.0 * tt).to_radians();
            let f0 = (alpha.sin() * e_mu + alpha.cos() * e_th).normalize();
            let n0 = e_mu.cross(e_th).normalize_or(DVec3::Z);
            let s0 = f0.cross(n0).normalize();
            (DMat3::from_cols(f0, -n0, s0), false)
        })
        .collect();
    from_frames(&frames)
}

/// Frames per tetrahedron from vertex fields of fibre and sheet directions (point fields `fiber_field`
/// and `sheet_field`, 3 components): the fibre is the mean axis of the four corners' fibres, the sheet the
/// mean axis of their sheets in the plane normal to it, the normal f x s.
///
/// The mean is of axes, not vectors: rule-based fibre fields (bislerp) flip the sign of f or s between
/// neighbouring vertices freely, and a plain mean of the corners then cancels (on the coarse benchmark
/// biventricle the corners' fibres disagree in sign in a quarter of the tetrahedra, and their plain mean has
/// a length below 0.5 in 2,071 of 45,304). The mean axis of unit vectors v_i is the leading eigenvector of
/// sum v_i v_i^T, which is blind to the signs and equals the normalised mean where they agree. Frames where
/// the sheets are all parallel to the fibre are [`FibreField::degenerate`]. `None` when a field is missing
/// or has not 3 components.
pub fn from_point_fields(
    mesh: &TetMesh,
    fiber_field: &str,
    sheet_field: &str,
) -> Option<FibreField> {
    let field = |name: &str| mesh.point_field(name).filter(|f| f.components == 3);
    let (fiber, sheet) = (field(fiber_field)?, field(sheet_field)?);
    let at = |f: &Field, n: u32| DVec3::from_slice(f.get(n as usize));
    let frames: Vec<(DMat3, bool)> = mesh
        .tets()
        .par_iter()
        .map(|tet| {
            let tensor = |f: &Field| {
                tet.iter()
                    .map(|&n| {
                        let v = at(f, n).normalize_or_zero();
                        DMat3::from_cols(v * v.x, v * v.y, v * v.z)
                    })
                    .fold(DMat3::ZERO, |a, b| a + b)
            };
            let f = leading_axis(tensor(fiber)).unwrap_or(DVec3::X);
            let p = DMat3::IDENTITY - DMat3::from_cols(f * f.x, f * f.y, f * f.z);
            let s = leading_axis(p * tensor(sheet) * p);
            let degenerate = s.is_none();
            let s = s.unwrap_or_else(|| f.any_orthonormal_vector());
            (DMat3::from_cols(f, f.cross(s), s), degenerate)
        })
        .collect();
    Some(from_frames(&frames))
}

/// The unit eigenvector of the largest eigenvalue of the symmetric positive semi-definite `m`: the
/// largest column of m^1024 (ten squarings, each scaled by its trace), then a few power iterations on `m`;
/// `None` when `m` vanishes.
fn leading_axis(m: DMat3) -> Option<DVec3> {
    let trace = |a: &DMat3| a.x_axis.x + a.y_axis.y + a.z_axis.z;
    let scale = trace(&m);
    if scale.is_nan() || scale <= 1e-12 {
        return None;
    }
    let mut power = m / scale;
    for _ in 0..10 {
        power = power * power;
        power /= trace(&power);
    }
    let start = [power.x_axis, power.y_axis, power.z_axis]
        .into_iter()
        .max_by(|a, b| a.length_squared().total_cmp(&b.length_squared()))?;
    let mut v = start.try_normalize()?;
    for _ in 0..4 {
        v = (m * v).try_normalize()?;
    }
    Some(v)
}
