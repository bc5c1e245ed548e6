//! AHA 17-segment model of the left ventricle (Cerqueira et al. 2002, Circulation 105:539) and the
//! coronary territories assigned to its segments.
//!
//! Long axis: from the epicardial apex to the base centroid; a tetrahedron's height h is its centroid's
//! position along that axis as a fraction of the apex-to-base distance. The apical cap (segment 17) lies
//! below the endocardial apex; above it, the rest of the axis is cut into apical, mid and basal thirds.
//! Around the axis the rotational coordinate gives the angle from the septum (0), anterior at +90 degrees
//! (see [`super::coordinates`]):
//!
//! | ring | segments (anterior, anteroseptal, inferoseptal, inferior, inferolateral, anterolateral) |
//! |---|---|
//! | basal | 1 [60, 120), 2 [0, 60), 3 [-60, 0), 4 [-120, -60), 5 [-180, -120), 6 [120, 180) |
//! | mid | 7 .. 12, same sectors |
//! | apical | 13 anterior [45, 135), 14 septal [-45, 45), 15 inferior [-135, -45), 16 lateral |
//!
//! Territories: LAD 1, 2, 7, 8, 13, 14, 17; RCA 3, 4, 9, 10, 15; LCx 5, 6, 11, 12, 16 (the standard
//! assignment of Cerqueira et al.; individual anatomy varies). Tetrahedra closer to the RV endocardium
//! than to the LV one (the RV free wall) get segment 0 and territory 0.

use glam::DVec3;

use super::coordinates::VentricularCoordinates;
use crate::mesh::{Field, MeshError, TetMesh};

/// Coronary territories, as stored in the `coronary_territory` cell field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Territory {
    None = 0,
    Lad = 1,
    Lcx = 2,
    Rca = 3,
}

impl Territory {
    pub fn of_segment(segment: u8) -> Territory {
        match segment {
            1 | 2 | 7 | 8 | 13 | 14 | 17 => Territory::Lad,
            3 | 4 | 9 | 10 | 15 => Territory::Rca,
            5 | 6 | 11 | 12 | 16 => Territory::Lcx,
            _ => Territory::None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Territory::None => "none",
            Territory::Lad => "LAD",
            Territory::Lcx => "LCx",
            Territory::Rca => "RCA",
        }
    }
}

/// AHA segment (1..17, 0 outside the LV) of every tetrahedron.
pub fn segments(mesh: &TetMesh, coords: &VentricularCoordinates) -> Vec<u8> {
    let axis = DVec3::from_array(coords.long_axis);
    let apex = DVec3::from_array(mesh.nodes()[coords.apex]);
    let length = (DVec3::from_array(coords.base_centre) - apex)
        .dot(axis)
        .max(1e-12);
    let height = |p: DVec3| (p - apex).dot(axis) / length;
    let cap = height(DVec3::from_array(mesh.nodes()[coords.endo_apex]));
    let third = (1.0 - cap) / 3.0;
    mesh.tets()
        .iter()
        .map(|t| {
            let mean = |f: &[f64]| t.iter().map(|&i| f[i as usize]).sum::<f64>() / 4.0;
            if mean(&coords.rv) > mean(&coords.lv) {
                return 0;
            }
            let c = t
                .iter()
                .map(|&i| DVec3::from_array(mesh.nodes()[i as usize]))
                .sum::<DVec3>()
                / 4.0;
            let h = height(c);
            // The angle of the centroid: average the nodes' rotational coordinate as a unit vector (it
            // wraps at +-pi).
            let (s, co) = t.iter().fold((0.0, 0.0), |(s, co), &i| {
                let a = coords.rotational[i as usize];
                (s + a.sin(), co + a.cos())
            });
            let deg = s.atan2(co).to_degrees();
            segment(h, cap, third, deg)
        })
        .collect()
}

fn segment(h: f64, cap: f64, third: f64, deg: f64) -> u8 {
    if h < cap {
        return 17;
    }
    // Sectors of 60 degrees from the septum: [0, 60) anteroseptal, ...
    let six = |first: u8| -> u8 {
        let order = [first + 1, first, first + 5, first + 4, first + 3, first + 2];
        let k = (deg.rem_euclid(360.0) / 60.0).floor() as usize % 6;
        order[k]
    };
    if h >= cap + 2.0 * third {
        six(1)
    } else if h >= cap + third {
        six(7)
    } else {
        let k = ((deg + 45.0).rem_euclid(360.0) / 90.0).floor() as usize % 4;
        [14, 13, 16, 15][k]
    }
}

/// Stores `aha_segment` and `coronary_territory` (1 LAD, 2 LCx, 3 RCA) as cell fields.
pub fn store(mesh: &mut TetMesh, segments: &[u8]) -> Result<(), MeshError> {
    mesh.add_cell_field(Field::new(
        "aha_segment",
        1,
        segments.iter().map(|&s| s as f64).collect(),
    ))?;
    mesh.add_cell_field(Field::new(
        "coronary_territory",
        1,
        segments
            .iter()
            .map(|&s| Territory::of_segment(s) as u8 as f64)
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::segment;

    #[test]
    fn sectors_follow_the_bullseye() {
        let (cap, third) = (0.1, 0.3);
        let basal = |deg| segment(0.95, cap, third, deg);
        assert_eq!(
            [30.0, 90.0, 150.0, -150.0, -90.0, -30.0].map(basal),
            [2, 1, 6, 5, 4, 3]
        );
        let mid = |deg| segment(0.5, cap, third, deg);
        assert_eq!(
            [30.0, 90.0, 150.0, 210.0, -90.0, -1.0].map(mid),
            [8, 7, 12, 11, 10, 9]
        );
        let apical = |deg| segment(0.2, cap, third, deg);
        assert_eq!(
            [0.0, 90.0, 180.0, -90.0, 44.0, -46.0].map(apical),
            [14, 13, 16, 15, 14, 15]
        );
        assert_eq!(segment(0.05, cap, third, 0.0), 17);
    }
}
