//! The camera: orbit, pan and zoom about a target, the view presets computed from the heart's own axes,
//! and the clipping plane.

use glam::{DMat3, DQuat, DVec3, Mat4, Vec3};

/// The heart's frame, from its surface vertices: the bounding-box centre, the long axis (the principal
/// axis of largest extent, pointing from the apex to the base) and the radius of the bounding sphere about
/// the centre.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeartAxes {
    pub centre: DVec3,
    /// Unit vector, apex to base.
    pub long_axis: DVec3,
    /// Unit vector perpendicular to the long axis: the anterior side, taken as world -y (anterior in the
    /// DICOM/LPS patient frame that CT-derived meshes use), or -x when the long axis is close to y.
    pub anterior: DVec3,
    /// Largest distance of a point from `centre`, mm.
    pub radius: f64,
}

impl HeartAxes {
    /// The frame of `points` (surface vertices, mm). The sign of the long axis: the end whose cross-section
    /// is wider (mean distance from the axis over the last 15 % of the length) is the base.
    pub fn of_points(points: &[DVec3]) -> HeartAxes {
        let (mut lo, mut hi) = (DVec3::splat(f64::INFINITY), DVec3::splat(f64::NEG_INFINITY));
        for &p in points {
            lo = lo.min(p);
            hi = hi.max(p);
        }
        if points.is_empty() {
            (lo, hi) = (DVec3::ZERO, DVec3::ZERO);
        }
        let centre = 0.5 * (lo + hi);
        let radius = points
            .iter()
            .map(|p| p.distance(centre))
            .fold(0.0, f64::max)
            .max(1e-6);
        let n = points.len().max(1) as f64;
        let mean = points.iter().copied().sum::<DVec3>() / n;
        let mut cov = DMat3::ZERO;
        for &p in points {
            let d = p - mean;
            cov += DMat3::from_cols(d * d.x, d * d.y, d * d.z);
        }
        let mut axis = principal_axis(cov / n);
        // Apex or base: compare the spread about the axis at both ends.
        let t: Vec<f64> = points.iter().map(|p| (*p - mean).dot(axis)).collect();
        let (t0, t1) = t
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        let band = 0.15 * (t1 - t0);
        let (mut r_lo, mut n_lo, mut r_hi, mut n_hi) = (0.0, 0, 0.0, 0);
        for (p, &tp) in points.iter().zip(&t) {
            let r = ((*p - mean) - tp * axis).length();
            if tp <= t0 + band {
                r_lo += r;
                n_lo += 1;
            } else if tp >= t1 - band {
                r_hi += r;
                n_hi += 1;
            }
        }
        if n_lo > 0 && n_hi > 0 && r_lo / n_lo as f64 > r_hi / n_hi as f64 {
            axis = -axis;
        }
        let perpendicular = |v: DVec3| (v - v.dot(axis) * axis).try_normalize();
        let anterior = perpendicular(DVec3::NEG_Y)
            .filter(|_| axis.y.abs() < 0.9)
            .or_else(|| perpendicular(DVec3::NEG_X))
            .unwrap_or_else(|| axis.any_orthonormal_vector());
        HeartAxes {
            centre,
            long_axis: axis,
            anterior,
            radius,
        }
    }
}

/// The eigenvector of the largest eigenvalue of a symmetric 3x3 matrix (cyclic Jacobi rotations).
fn principal_axis(m: DMat3) -> DVec3 {
    let mut a = m.to_cols_array_2d();
    let mut v = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    for _ in 0..50 {
        let off = a[0][1].powi(2) + a[0][2].powi(2) + a[1][2].powi(2);
        if off < 1e-30 * (a[0][0].powi(2) + a[1][1].powi(2) + a[2][2].powi(2)).max(1e-300) {
            break;
        }
        for (p, q) in [(0, 1), (0, 2), (1, 2)] {
            if a[p][q].abs() < 1e-300 {
                continue;
            }
            let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
            let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
            let t = if theta == 0.0 { 1.0 } else { t };
            let c = 1.0 / (t * t + 1.0).sqrt();
            let s = t * c;
            // A <- J^T A J with the rotation in the (p, q) plane.
            for row in &mut a {
                let (akp, akq) = (row[p], row[q]);
                row[p] = c * akp - s * akq;
                row[q] = s * akp + c * akq;
            }
            let (ap, aq) = (a[p], a[q]);
            a[p] = std::array::from_fn(|k| c * ap[k] - s * aq[k]);
            a[q] = std::array::from_fn(|k| s * ap[k] + c * aq[k]);
            for row in &mut v {
                let (vp, vq) = (row[p], row[q]);
                row[p] = c * vp - s * vq;
                row[q] = s * vp + c * vq;
            }
        }
    }
    let k = (0..3)
        .max_by(|&i, &j| a[i][i].total_cmp(&a[j][j]))
        .unwrap_or(0);
    DVec3::new(v[0][k], v[1][k], v[2][k])
        .try_normalize()
        .unwrap_or(DVec3::Z)
}

/// Named views, each fitted to the heart's bounding sphere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ViewPreset {
    /// From the anterior side ([`HeartAxes::anterior`]), base up.
    Anterior,
    /// From the posterior side, base up.
    Posterior,
    /// From the side, 90 degrees from anterior about the long axis (the patient's left in LPS
    /// coordinates), base up: the long axis across the picture.
    LongAxis,
    /// Down the long axis from the base towards the apex, anterior up: the short-axis rings.
    ShortAxis,
}

impl ViewPreset {
    pub const ALL: [ViewPreset; 4] = [
        ViewPreset::Anterior,
        ViewPreset::Posterior,
        ViewPreset::LongAxis,
        ViewPreset::ShortAxis,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ViewPreset::Anterior => "anterior",
            ViewPreset::Posterior => "posterior",
            ViewPreset::LongAxis => "long-axis",
            ViewPreset::ShortAxis => "short-axis",
        }
    }
}

/// A named cut that opens the heart (`--cut` of `cardiotwin render`, the viewer's cut control).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cut {
    /// [`ClipPlane::short_axis`] at this fraction from the apex.
    ShortAxis(f64),
    /// [`ClipPlane::long_axis`] at this fraction across the heart.
    LongAxis(f64),
}

impl Cut {
    /// The plane for a heart with `axes` seen by `camera`.
    pub fn plane(self, axes: &HeartAxes, camera: &Camera) -> Option<ClipPlane> {
        match self {
            Cut::ShortAxis(f) => Some(ClipPlane::short_axis(axes, f)),
            Cut::LongAxis(f) => ClipPlane::long_axis(axes, camera, f),
        }
    }

    /// `short-axis`, `long-axis`, optionally with `:FRACTION` (0 to 1; default 0.5).
    pub fn parse(text: &str) -> Result<Cut, String> {
        let (kind, fraction) = match text.split_once(':') {
            Some((k, f)) => {
                let f: f64 = f
                    .trim()
                    .parse()
                    .map_err(|_| format!("cut {text:?}: {f:?} is not a number"))?;
                if !(0.0..=1.0).contains(&f) {
                    return Err(format!("cut {text:?}: the fraction must be from 0 to 1"));
                }
                (k, f)
            }
            None => (text, 0.5),
        };
        match kind.trim() {
            "short-axis" => Ok(Cut::ShortAxis(fraction)),
            "long-axis" => Ok(Cut::LongAxis(fraction)),
            other => Err(format!(
                "cut {other:?}: use short-axis or long-axis, optionally with :FRACTION (0 to 1)"
            )),
        }
    }
}

/// A perspective camera looking at `target` from `distance` along `-forward`, with `up` upwards on the
/// screen. All in mm, in the mesh's own coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    pub target: DVec3,
    pub distance: f64,
    /// Unit viewing direction (from the eye towards the target).
    pub forward: DVec3,
    /// Unit, perpendicular to `forward`.
    pub up: DVec3,
    /// Vertical field of view, degrees.
    pub fov_y_deg: f64,
    /// Radius of the scene about the target, mm (sets the near and far planes).
    pub scene_radius: f64,
}

/// Room left around the fitted bounding sphere: it fills 1/1.05 of the smaller field of view.
const FIT_MARGIN: f64 = 1.05;

impl Camera {
    /// The `preset` view of a heart with `axes`, for a viewport of `aspect` = width / height.
    pub fn preset(preset: ViewPreset, axes: &HeartAxes, aspect: f64) -> Camera {
        let l = axes.long_axis;
        let a = axes.anterior;
        let left = l.cross(a).normalize();
        // The eye sits at target - forward * distance.
        let (forward, up) = match preset {
            ViewPreset::Anterior => (-a, l),
            ViewPreset::Posterior => (a, l),
            ViewPreset::LongAxis => (-left, l),
            ViewPreset::ShortAxis => (-l, a),
        };
        let mut c = Camera {
            target: axes.centre,
            distance: 1.0,
            forward,
            up,
            fov_y_deg: 30.0,
            scene_radius: axes.radius,
        };
        c.fit(axes.radius, aspect);
        c
    }

    /// Moves the eye along the viewing direction so that a sphere of `radius` about the target fills the
    /// smaller of the two fields of view (with a 5 % margin).
    pub fn fit(&mut self, radius: f64, aspect: f64) {
        let half_y = 0.5 * self.fov_y_deg.to_radians();
        let half_x = (aspect.max(1e-3) * half_y.tan()).atan();
        let half = half_y.min(half_x);
        self.distance = FIT_MARGIN * radius / half.sin();
        self.scene_radius = radius;
    }

    /// Moves the eye along the viewing direction to the closest distance from which every one of `points`
    /// lies inside the view (with a 5 % margin): a tighter fit than [`Camera::fit`]'s bounding sphere for
    /// elongated shapes. The target stays where it is.
    pub fn fit_points<'a>(&mut self, points: impl IntoIterator<Item = &'a DVec3>, aspect: f64) {
        let tan_y = (0.5 * self.fov_y_deg.to_radians()).tan();
        let tan_x = aspect.max(1e-3) * tan_y;
        let (right, up) = (self.right(), self.up);
        let mut distance = f64::NEG_INFINITY;
        let mut radius: f64 = 0.0;
        for p in points {
            let d = *p - self.target;
            radius = radius.max(d.length());
            // A point at depth z behind the target is seen at distance + z from the eye.
            let z = d.dot(self.forward);
            let need_x = FIT_MARGIN * d.dot(right).abs() / tan_x - z;
            let need_y = FIT_MARGIN * d.dot(up).abs() / tan_y - z;
            distance = distance.max(need_x).max(need_y);
        }
        if distance.is_finite() && radius > 0.0 {
            // Never inside the scene: the near plane would cut it.
            self.distance = distance.max(1.05 * radius * 0.5).max(1e-3);
            self.scene_radius = radius;
        }
    }

    pub fn eye(&self) -> DVec3 {
        self.target - self.distance * self.forward
    }

    /// Unit vector to the right on the screen.
    pub fn right(&self) -> DVec3 {
        self.forward.cross(self.up).normalize()
    }

    /// Rotates the eye about the target: `yaw` about the screen's vertical, `pitch` about its horizontal
    /// (radians; positive yaw moves the eye to the right, positive pitch moves it up).
    pub fn orbit(&mut self, yaw: f64, pitch: f64) {
        let q = DQuat::from_axis_angle(self.up, yaw) * DQuat::from_axis_angle(self.right(), -pitch);
        self.forward = (q * self.forward).normalize();
        self.up = (q * self.up - (q * self.up).dot(self.forward) * self.forward).normalize();
    }

    /// Moves the picture across the screen by `dx`, `dy` times the height of the view at the target
    /// (positive: right and up), by moving the target and the eye the other way.
    pub fn pan(&mut self, dx: f64, dy: f64) {
        let h = 2.0 * self.distance * (0.5 * self.fov_y_deg.to_radians()).tan();
        self.target -= h * (dx * self.right() + dy * self.up);
    }

    /// Divides the distance by `factor` (> 1 zooms in).
    pub fn zoom(&mut self, factor: f64) {
        if factor.is_finite() && factor > 0.0 {
            self.distance = (self.distance / factor).max(1e-3 * self.scene_radius.max(1e-6));
        }
    }

    /// Projection times view for a viewport of `aspect`, mapping the mesh frame shifted by `-origin`
    /// (what the renderer uploads, in f32) to wgpu clip space (depth 0 to 1).
    pub fn view_proj(&self, aspect: f64, origin: DVec3) -> Mat4 {
        let (near, far) = self.depth_range();
        let v = |d: DVec3| Vec3::new(d.x as f32, d.y as f32, d.z as f32);
        let view = glam::camera::rh::view::look_at_mat4(
            v(self.eye() - origin),
            v(self.target - origin),
            v(self.up),
        );
        // wgpu's clip space: depth 0 to 1, y up, as Direct3D.
        let proj = glam::camera::rh::proj::directx::perspective(
            self.fov_y_deg.to_radians() as f32,
            aspect.max(1e-3) as f32,
            near as f32,
            far as f32,
        );
        proj * view
    }

    /// Near and far planes: around the scene sphere, the near plane never behind a hundredth of the
    /// distance.
    fn depth_range(&self) -> (f64, f64) {
        let r = self.scene_radius.max(1e-6);
        let near = (self.distance - 2.0 * r).max(0.01 * self.distance);
        let far = self.distance + 2.0 * r;
        (near, far)
    }

    /// Where `p` (mm) lands in a viewport of `aspect`, in normalised coordinates: x from 0 (left) to 1,
    /// y from 0 (top) to 1. `None` behind the eye.
    pub fn project(&self, p: DVec3, aspect: f64) -> Option<(f64, f64)> {
        let c = self.view_proj(aspect, self.target) * (p - self.target).as_vec3().extend(1.0);
        if c.w <= 0.0 {
            return None;
        }
        Some((
            0.5 * (f64::from(c.x / c.w) + 1.0),
            0.5 * (1.0 - f64::from(c.y / c.w)),
        ))
    }

    /// The directional light: from above the eye and to its left, so that surfaces facing the viewer are
    /// lit and their curvature shows. Unit vector towards the light.
    pub fn light_direction(&self) -> DVec3 {
        (-self.forward + 0.45 * self.up - 0.3 * self.right()).normalize()
    }
}

/// A clipping plane: the part of the surface on the side `normal` points to is removed (fragments with
/// `(p - point) . normal > 0` are discarded), showing the wall in section. mm, mesh coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClipPlane {
    pub point: DVec3,
    pub normal: DVec3,
}

impl ClipPlane {
    /// Through `point`, removing what lies on the side of `normal` (need not be unit; zero: nothing
    /// clipped).
    pub fn new(point: DVec3, normal: DVec3) -> ClipPlane {
        ClipPlane {
            point,
            normal: normal.try_normalize().unwrap_or(DVec3::ZERO),
        }
    }

    /// The short-axis cut at `fraction` of the heart's length from the apex (0) to the base (1), removing
    /// the basal part.
    pub fn short_axis(axes: &HeartAxes, fraction: f64) -> ClipPlane {
        let l = axes.long_axis;
        let point = axes.centre + (fraction.clamp(0.0, 1.0) - 0.5) * 2.0 * axes.radius * l;
        ClipPlane::new(point, l)
    }

    /// The long-axis cut facing `camera`: parallel to the long axis, its normal the direction towards the
    /// eye with the long-axis component removed, through the point at `fraction` across the heart along
    /// that normal (0.5: the centre); the part nearer the eye is removed. `None` when the camera looks
    /// down the long axis (no such plane faces it).
    pub fn long_axis(axes: &HeartAxes, camera: &Camera, fraction: f64) -> Option<ClipPlane> {
        let l = axes.long_axis;
        let towards = -camera.forward;
        let n = (towards - towards.dot(l) * l).try_normalize()?;
        let point = axes.centre + (fraction.clamp(0.0, 1.0) - 0.5) * 2.0 * axes.radius * n;
        Some(ClipPlane::new(point, n))
    }

    /// The plane as `(n, d)` in the frame shifted by `-origin`: removed where `n . p + d > 0`.
    pub fn equation(&self, origin: DVec3) -> [f64; 4] {
        let n = self.normal;
        let d = -n.dot(self.point - origin);
        [n.x, n.y, n.z, d]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_axis_of_an_elongated_cloud() {
        let dir = DVec3::new(1.0, 2.0, -0.5).normalize();
        let side = dir.any_orthonormal_vector();
        let mut pts = Vec::new();
        for i in 0..200 {
            let t = i as f64 / 199.0 - 0.5;
            // Wider at the +dir end: that is the base.
            let r = 5.0 + 20.0 * (t + 0.5);
            pts.push(100.0 * t * dir + r * side + DVec3::new(7.0, -3.0, 1.0));
            pts.push(100.0 * t * dir - r * side + DVec3::new(7.0, -3.0, 1.0));
        }
        let axes = HeartAxes::of_points(&pts);
        assert!(axes.long_axis.dot(dir) > 0.999, "{:?}", axes.long_axis);
        assert!(axes.anterior.dot(axes.long_axis).abs() < 1e-9);
        let reversed: Vec<DVec3> = pts.iter().map(|p| -*p).collect();
        assert!(HeartAxes::of_points(&reversed).long_axis.dot(dir) < -0.999);
    }

    #[test]
    fn presets_look_at_the_centre_and_fit() {
        let axes = HeartAxes {
            centre: DVec3::new(10.0, 20.0, 30.0),
            long_axis: DVec3::X,
            anterior: DVec3::NEG_Y,
            radius: 50.0,
        };
        for p in ViewPreset::ALL {
            let c = Camera::preset(p, &axes, 1.5);
            let (x, y) = c.project(axes.centre, 1.5).unwrap();
            assert!((x - 0.5).abs() < 1e-6 && (y - 0.5).abs() < 1e-6, "{p:?}");
            // A point on the sphere's rim, across the screen, stays inside the picture.
            let rim = axes.centre + 50.0 * c.up;
            let (_, y) = c.project(rim, 1.5).unwrap();
            assert!(y > 0.0 && y < 0.5, "{p:?}: {y}");
            assert!((c.eye().distance(axes.centre) - c.distance).abs() < 1e-9);
        }
        // Anterior: the eye on the -y side, base (+x) up.
        let c = Camera::preset(ViewPreset::Anterior, &axes, 1.0);
        assert!(c.eye().y < axes.centre.y);
        let (_, y_base) = c.project(axes.centre + 40.0 * DVec3::X, 1.0).unwrap();
        assert!(y_base < 0.5);
    }

    #[test]
    fn fitting_to_points_keeps_them_in_view_and_fills_it() {
        let axes = HeartAxes {
            centre: DVec3::ZERO,
            long_axis: DVec3::X,
            anterior: DVec3::NEG_Y,
            // The box's circumsphere.
            radius: (60.0f64 * 60.0 + 2.0 * 20.0 * 20.0).sqrt(),
        };
        // A 120 x 40 x 40 mm box.
        let mut pts = Vec::new();
        for x in [-60.0, 60.0] {
            for y in [-20.0, 20.0] {
                for z in [-20.0, 20.0] {
                    pts.push(DVec3::new(x, y, z));
                }
            }
        }
        for preset in ViewPreset::ALL {
            let mut c = Camera::preset(preset, &axes, 1.5);
            let sphere = c.distance;
            c.fit_points(&pts, 1.5);
            assert!(c.distance <= sphere, "{preset:?}");
            let (mut lo, mut hi) = (1.0f64, 0.0f64);
            for p in &pts {
                let (x, y) = c.project(*p, 1.5).unwrap();
                assert!(
                    (0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y),
                    "{preset:?}"
                );
                lo = lo.min(x.min(y));
                hi = hi.max(x.max(y));
            }
            // Some corner touches the margin.
            assert!(lo < 0.05 || hi > 0.95, "{preset:?}: {lo} {hi}");
        }
    }

    #[test]
    fn orbit_pan_zoom() {
        let axes = HeartAxes {
            centre: DVec3::ZERO,
            long_axis: DVec3::Z,
            anterior: DVec3::NEG_Y,
            radius: 10.0,
        };
        let mut c = Camera::preset(ViewPreset::Anterior, &axes, 1.0);
        let d = c.distance;
        c.orbit(std::f64::consts::FRAC_PI_2, 0.0);
        assert!((c.eye().length() - d).abs() < 1e-9);
        assert!(c.forward.dot(c.up).abs() < 1e-12);
        // Yawing right by 90 degrees: the eye moves from -y to +x.
        assert!(c.eye().x > 0.99 * d, "{:?}", c.eye());
        c.zoom(2.0);
        assert!((c.distance - d / 2.0).abs() < 1e-9);
        let before = c.project(DVec3::ZERO, 1.0).unwrap();
        c.pan(0.1, 0.0);
        let after = c.project(DVec3::ZERO, 1.0).unwrap();
        assert!(after.0 > before.0 + 0.05, "{before:?} -> {after:?}");
    }

    #[test]
    fn clip_plane_equation() {
        let p = ClipPlane::new(DVec3::new(1.0, 0.0, 0.0), DVec3::new(2.0, 0.0, 0.0));
        let [a, b, c, d] = p.equation(DVec3::new(1.0, 0.0, 0.0));
        assert_eq!([a, b, c, d], [1.0, 0.0, 0.0, 0.0]);
        let [_, _, _, d] = p.equation(DVec3::ZERO);
        assert_eq!(d, -1.0);
    }
}
