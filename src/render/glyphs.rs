//! Fibre glyphs: short line segments on the heart's surface along the (deformed) fibre direction, so the
//! helical fibre architecture that drives the contraction can be seen with any field.
//!
//! Sites are boundary faces spread evenly over the surface (one per cell of a grid whose spacing gives
//! about the number asked for); each glyph is centred on its face, lifted off it by a small fraction of
//! its length so the surface does not hide it, and points along the fibre of the face's tetrahedron
//! projected onto the face (fibres run nearly tangent to the epicardium and endocardium; the projection
//! keeps the glyph on the surface where they do not).

use std::collections::HashMap;

use glam::DVec3;

use crate::mesh::TetMesh;
use crate::mesh::topology::boundary_faces;

/// Where glyphs go, chosen once per mesh.
#[derive(Debug, Clone)]
pub struct GlyphSites {
    /// The three nodes of each chosen boundary face (outward) and its tetrahedron.
    faces: Vec<([u32; 3], u32)>,
    /// Glyph length, mm: 0.7 of the grid spacing.
    length: f64,
}

impl GlyphSites {
    /// About `count` sites spread over the boundary of `mesh` (at rest).
    pub fn new(mesh: &TetMesh, count: usize) -> GlyphSites {
        let (faces, _) = boundary_faces(mesh);
        let p = |n: u32| DVec3::from_array(mesh.nodes()[n as usize]);
        let area: f64 = faces
            .iter()
            .map(|f| {
                let [a, b, c] = f.nodes.map(p);
                0.5 * (b - a).cross(c - a).length()
            })
            .sum();
        let spacing = (area / count.max(1) as f64).sqrt().max(1e-9);
        let mut taken: HashMap<[i64; 3], ([u32; 3], u32)> = HashMap::new();
        for f in &faces {
            let [a, b, c] = f.nodes.map(p);
            let centre = (a + b + c) / 3.0;
            let key = (centre / spacing).floor().as_i64vec3().to_array();
            taken.entry(key).or_insert((f.nodes, f.tet));
        }
        let mut faces: Vec<([u32; 3], u32)> = taken.into_values().collect();
        // A stable order, whatever the hash map's.
        faces.sort_unstable();
        GlyphSites {
            faces,
            length: 0.7 * spacing,
        }
    }

    pub fn len(&self) -> usize {
        self.faces.len()
    }

    pub fn is_empty(&self) -> bool {
        self.faces.is_empty()
    }

    /// The tetrahedra of the sites, in site order (for per-tetrahedron fibre directions).
    pub fn tets(&self) -> impl Iterator<Item = usize> + '_ {
        self.faces.iter().map(|(_, t)| *t as usize)
    }

    /// The segments at node positions `x` (mm), with `fibres[i]` the fibre direction of site `i`'s
    /// tetrahedron (any length; a zero direction or one normal to the face gives no glyph).
    pub fn segments(&self, x: &[DVec3], fibres: &[DVec3]) -> Vec<[DVec3; 2]> {
        self.faces
            .iter()
            .zip(fibres)
            .filter_map(|((nodes, _), f)| {
                let [a, b, c] = nodes.map(|n| x[n as usize]);
                let n = (b - a).cross(c - a).try_normalize()?;
                let along = (*f - f.dot(n) * n).try_normalize()?;
                let centre = (a + b + c) / 3.0 + 0.08 * self.length * n;
                let half = 0.5 * self.length * along;
                Some([centre - half, centre + half])
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anatomy::arostica_ellipsoid::ArosticaEllipsoid;

    #[test]
    fn sites_spread_over_the_surface_and_glyphs_lie_along_it() {
        let mesh = ArosticaEllipsoid::with_element_size(5.0)
            .build()
            .expect("ellipsoid");
        let sites = GlyphSites::new(&mesh, 300);
        // The grid gives the count asked for within a factor of about two (curved surface, cut cells).
        assert!(
            sites.len() > 150 && sites.len() < 600,
            "{} sites",
            sites.len()
        );
        let x: Vec<DVec3> = mesh.nodes().iter().map(|p| DVec3::from_array(*p)).collect();
        // Fibres along the long axis (x): glyphs along it on the side walls, of the sites' length.
        let fibres = vec![DVec3::X; sites.len()];
        let segments = sites.segments(&x, &fibres);
        assert!(segments.len() > sites.len() / 2);
        for [p, q] in &segments {
            assert!(((q - p).length() - sites.length).abs() < 1e-9);
        }
        // No direction, no glyph.
        assert!(
            sites
                .segments(&x, &vec![DVec3::ZERO; sites.len()])
                .is_empty()
        );
    }
}
