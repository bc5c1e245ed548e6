//! The cut face: where a clipping plane crosses the wall, the exact section of the tetrahedral mesh (a
//! triangle or a quadrilateral per tetrahedron the plane crosses), valued by the field (point fields
//! interpolated linearly along the cut edges, as the linear elements do; cell fields constant per
//! tetrahedron). Drawn with the clipped surface it closes the opened wall, so the field is seen through
//! the thickness of the wall (transmural gradients of stress or activation) and not only on its faces.

use glam::DVec3;

use super::camera::ClipPlane;

/// The field on the section.
#[derive(Debug, Clone, Copy)]
pub enum SectionValues<'a> {
    /// No value (drawn in the no-data colour).
    None,
    /// One value per node of the mesh.
    Point(&'a [f64]),
    /// One value per tetrahedron.
    Cell(&'a [f64]),
}

/// The section polygons as triangles, with a value per vertex (NaN: none). Vertices are not shared
/// between tetrahedra (cell fields jump across them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Section {
    pub positions: Vec<DVec3>,
    pub values: Vec<f32>,
    pub triangles: Vec<[u32; 3]>,
    /// The plane's unit normal (towards the removed side): the section's normal.
    pub normal: DVec3,
}

impl Section {
    pub fn is_empty(&self) -> bool {
        self.triangles.is_empty()
    }
}

/// The section of the tetrahedra `tets` (node indices into `positions`, mm) by `plane`. A tetrahedron
/// contributes where its corners lie strictly on both sides; corners on the plane count as on the kept
/// side, so faces lying in the plane add nothing.
pub fn cut(
    tets: &[[u32; 4]],
    positions: &[DVec3],
    plane: &ClipPlane,
    values: SectionValues<'_>,
) -> Section {
    let n = plane.normal;
    let mut s = Section {
        normal: n,
        ..Section::default()
    };
    if n == DVec3::ZERO {
        return s;
    }
    let value = |t: usize, node: u32| -> f64 {
        match values {
            SectionValues::None => f64::NAN,
            SectionValues::Point(v) => v.get(node as usize).copied().unwrap_or(f64::NAN),
            SectionValues::Cell(v) => v.get(t).copied().unwrap_or(f64::NAN),
        }
    };
    for (t, tet) in tets.iter().enumerate() {
        let p = tet.map(|i| positions[i as usize]);
        let d = p.map(|q| n.dot(q - plane.point));
        let above: Vec<usize> = (0..4).filter(|&k| d[k] > 0.0).collect();
        if above.is_empty() || above.len() == 4 {
            continue;
        }
        let below: Vec<usize> = (0..4).filter(|&k| d[k] <= 0.0).collect();
        // The crossing on edge (a above, b below).
        let crossing = |a: usize, b: usize| -> (DVec3, f64) {
            let w = d[a] / (d[a] - d[b]);
            let x = p[a] + w * (p[b] - p[a]);
            let va = value(t, tet[a]);
            let vb = value(t, tet[b]);
            (x, va + w * (vb - va))
        };
        let ring: Vec<(DVec3, f64)> = match (above.len(), below.len()) {
            (1, 3) => below.iter().map(|&b| crossing(above[0], b)).collect(),
            (3, 1) => above.iter().map(|&a| crossing(a, below[0])).collect(),
            // Two and two: the four crossings in cyclic order around the quadrilateral.
            _ => vec![
                crossing(above[0], below[0]),
                crossing(above[0], below[1]),
                crossing(above[1], below[1]),
                crossing(above[1], below[0]),
            ],
        };
        let base = s.positions.len() as u32;
        for (x, v) in &ring {
            s.positions.push(*x);
            s.values
                .push(if v.is_finite() { *v as f32 } else { f32::NAN });
        }
        // A fan, wound counter-clockwise seen from the removed side (along -n).
        let wind = |a: u32, b: u32, c: u32| -> [u32; 3] {
            let [pa, pb, pc] = [a, b, c].map(|i| s.positions[i as usize]);
            if (pb - pa).cross(pc - pa).dot(n) >= 0.0 {
                [a, b, c]
            } else {
                [a, c, b]
            }
        };
        for k in 1..ring.len() as u32 - 1 {
            let tri = wind(base, base + k, base + k + 1);
            s.triangles.push(tri);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The unit cube as six tetrahedra (Kuhn), cut at x = c: the section is the unit square, area 1,
    /// whatever c in (0, 1); a linear point field is interpolated exactly.
    #[test]
    fn a_cube_cut_anywhere_has_a_unit_section_with_exact_linear_values() {
        let corners: Vec<DVec3> = (0..8)
            .map(|i| DVec3::new((i & 1) as f64, ((i >> 1) & 1) as f64, ((i >> 2) & 1) as f64))
            .collect();
        let tets: Vec<[u32; 4]> = vec![
            [0, 1, 3, 7],
            [0, 1, 5, 7],
            [0, 2, 3, 7],
            [0, 2, 6, 7],
            [0, 4, 5, 7],
            [0, 4, 6, 7],
        ];
        let field: Vec<f64> = corners.iter().map(|p| 2.0 * p.y - p.z + 3.0).collect();
        for c in [0.1, 0.37, 0.5, 0.93] {
            let plane = ClipPlane::new(DVec3::new(c, 0.3, 0.2), DVec3::X);
            let s = cut(&tets, &corners, &plane, SectionValues::Point(&field));
            let area: f64 = s
                .triangles
                .iter()
                .map(|t| {
                    let [a, b, c] = t.map(|i| s.positions[i as usize]);
                    let cross = (b - a).cross(c - a);
                    assert!(cross.dot(DVec3::X) > 0.0, "wound towards the removed side");
                    0.5 * cross.length()
                })
                .sum();
            assert!((area - 1.0).abs() < 1e-12, "area {area} at x = {c}");
            for (p, v) in s.positions.iter().zip(&s.values) {
                assert!((p.x - c).abs() < 1e-12);
                let want = 2.0 * p.y - p.z + 3.0;
                assert!((f64::from(*v) - want).abs() < 1e-5, "{v} vs {want}");
            }
        }
        // Missing the cube: nothing.
        let away = ClipPlane::new(DVec3::new(2.0, 0.0, 0.0), DVec3::X);
        assert!(cut(&tets, &corners, &away, SectionValues::None).is_empty());
        // Cell values are constant per tetrahedron.
        let cells: Vec<f64> = (0..6).map(|t| t as f64).collect();
        let plane = ClipPlane::new(DVec3::splat(0.5), DVec3::new(1.0, 1.0, 0.0));
        let s = cut(&tets, &corners, &plane, SectionValues::Cell(&cells));
        assert!(!s.is_empty());
        for v in &s.values {
            assert_eq!(v.fract(), 0.0);
        }
    }
}
