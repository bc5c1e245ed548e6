//! Small-matrix arithmetic of the fused step on row-major arrays, generic over [`Real`]: the
//! displacement gradient, J - 1 without cancellation, cofactors, corner forces, and the conversions to
//! and from glam's f64 matrices.

use glam::{DMat3, DVec3};

use super::Real;

pub(super) type V3<T> = [T; 3];
pub(super) type M3<T> = [[T; 3]; 3];

pub(super) fn v3<T: Real>(v: DVec3) -> V3<T> {
    [T::of(v.x), T::of(v.y), T::of(v.z)]
}

pub(super) fn wide3<T: Real>(v: V3<T>) -> DVec3 {
    DVec3::new(v[0].wide(), v[1].wide(), v[2].wide())
}

/// f_a = -V0 P grad N_a for a < 3, f_3 = -(f_0 + f_1 + f_2), mN.
#[inline(always)]
pub(super) fn corner_forces<T: Real>(p: &M3<T>, g: &[V3<T>; 3], v0: T) -> [V3<T>; 4] {
    let mut out = [[T::zero(); 3]; 4];
    for (a, ga) in g.iter().enumerate() {
        for i in 0..3 {
            out[a][i] = -v0 * (p[i][0] * ga[0] + p[i][1] * ga[1] + p[i][2] * ga[2]);
            out[3][i] = out[3][i] - out[a][i];
        }
    }
    out
}

/// H = sum_a u_a (x) grad N_a = sum_{a < 3} (u_a - u_3) (x) grad N_a (the gradients sum to zero).
#[inline(always)]
pub(super) fn displacement_gradient<T: Real>(u: [V3<T>; 4], g: &[V3<T>; 3]) -> M3<T> {
    let mut h = [[T::zero(); 3]; 3];
    for (ua, ga) in u.iter().zip(g) {
        for i in 0..3 {
            let d = ua[i] - u[3][i];
            for j in 0..3 {
                h[i][j] = h[i][j] + d * ga[j];
            }
        }
    }
    h
}

/// det(I + H) - 1 = tr H + (sum of the principal 2x2 minors of H) + det H, without the cancellation
/// of forming det(I + H) first.
#[inline(always)]
pub(super) fn det_minus_one<T: Real>(h: &M3<T>) -> T {
    let tr = h[0][0] + h[1][1] + h[2][2];
    let minors = h[0][0] * h[1][1] - h[0][1] * h[1][0] + h[0][0] * h[2][2] - h[0][2] * h[2][0]
        + h[1][1] * h[2][2]
        - h[1][2] * h[2][1];
    let det = h[0][0] * (h[1][1] * h[2][2] - h[1][2] * h[2][1])
        - h[0][1] * (h[1][0] * h[2][2] - h[1][2] * h[2][0])
        + h[0][2] * (h[1][0] * h[2][1] - h[1][1] * h[2][0]);
    tr + minors + det
}

#[inline(always)]
pub(super) fn identity_plus<T: Real>(h: &M3<T>) -> M3<T> {
    let mut f = *h;
    for (i, row) in f.iter_mut().enumerate() {
        row[i] = row[i] + T::one();
    }
    f
}

/// The cofactor matrix of F (J F^-T).
#[inline(always)]
pub(super) fn cofactor<T: Real>(f: &M3<T>) -> M3<T> {
    [
        [
            f[1][1] * f[2][2] - f[1][2] * f[2][1],
            f[1][2] * f[2][0] - f[1][0] * f[2][2],
            f[1][0] * f[2][1] - f[1][1] * f[2][0],
        ],
        [
            f[0][2] * f[2][1] - f[0][1] * f[2][2],
            f[0][0] * f[2][2] - f[0][2] * f[2][0],
            f[0][1] * f[2][0] - f[0][0] * f[2][1],
        ],
        [
            f[0][1] * f[1][2] - f[0][2] * f[1][1],
            f[0][2] * f[1][0] - f[0][0] * f[1][2],
            f[0][0] * f[1][1] - f[0][1] * f[1][0],
        ],
    ]
}

/// Row-major `m` as glam's column-major matrix.
pub(super) fn to_dmat3<T: Real>(m: &M3<T>) -> DMat3 {
    DMat3::from_cols(
        DVec3::new(m[0][0].wide(), m[1][0].wide(), m[2][0].wide()),
        DVec3::new(m[0][1].wide(), m[1][1].wide(), m[2][1].wide()),
        DVec3::new(m[0][2].wide(), m[1][2].wide(), m[2][2].wide()),
    )
}

pub(super) fn from_dmat3<T: Real>(m: &DMat3) -> M3<T> {
    std::array::from_fn(|i| std::array::from_fn(|j| T::of(m.col(j)[i])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn det_minus_one_matches_the_determinant() {
        let h = [[0.1, -0.02, 0.03], [0.04, -0.05, 0.06], [-0.07, 0.08, 0.2]];
        let f = to_dmat3(&identity_plus(&h));
        assert!((det_minus_one(&h) - (f.determinant() - 1.0)).abs() < 1e-15);
        let cof = to_dmat3(&cofactor(&from_dmat3::<f64>(&f)));
        let expect = f.inverse().transpose() * f.determinant();
        assert!((cof - expect).abs_diff_eq(DMat3::ZERO, 1e-14));
    }
}
