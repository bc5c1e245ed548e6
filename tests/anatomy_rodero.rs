//! Anatomy on real CT-derived geometry: the shipped Rodero ventricles (`meshes/rodero_ventricles.vtu`, cut
//! from the four-chamber heart of Rodero et al. 2021). Coordinates, fibres and AHA segments are computed
//! from the file's own surface tags, and the helix angle is measured across the LV free wall.

use cardiotwin::anatomy::coordinates::VentricleSurfaces;
use cardiotwin::anatomy::fibres::{LdrbAngles, helix_angle};
use cardiotwin::anatomy::{self};
use glam::DVec3;

#[test]
fn rodero_fibres_turn_through_the_lv_free_wall_as_configured() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/meshes/rodero_ventricles.vtu");
    let mut mesh = cardiotwin::mesh::io::read(std::path::Path::new(path)).unwrap();
    assert_eq!((mesh.node_count(), mesh.tet_count()), (52210, 250620));
    let surfaces = VentricleSurfaces::rodero(&mesh).unwrap();
    let angles = LdrbAngles::default();
    let report = anatomy::annotate(&mut mesh, &surfaces, angles).unwrap();
    assert_eq!(report.degenerate_frames, 0);
    for k in 1..=17 {
        assert!(report.segment_volumes_mm3[k] > 0.0, "AHA segment {k} empty");
    }
    assert!(
        report.segment_volumes_mm3[0] > 0.0,
        "the RV free wall is outside the AHA segments"
    );

    let fiber = mesh.cell_field("fiber").unwrap();
    let transmural = &mesh.point_field("transmural").unwrap().data;
    let long = DVec3::from_array(report.long_axis);
    let apex = DVec3::from_array(mesh.nodes()[report.apex_node]);
    let top = mesh
        .nodes()
        .iter()
        .map(|&p| (DVec3::from_array(p) - apex).dot(long))
        .fold(0.0, f64::max);
    // LV free wall (region 1 "Left ventricle"), mid-ventricle: bins of the transmural coordinate.
    let lv_region = *mesh
        .region_names
        .iter()
        .find(|(_, n)| n.as_str() == "Left ventricle")
        .unwrap()
        .0;
    let mut bins = [(0.0, 0usize); 10];
    let mut errors = Vec::new();
    for t in 0..mesh.tet_count() {
        if mesh.regions()[t] != lv_region {
            continue;
        }
        let tet = mesh.tets()[t];
        let mean = |f: &[f64]| tet.iter().map(|&n| f[n as usize]).sum::<f64>() / 4.0;
        let phi = mean(transmural);
        // Mid-ventricle by height along the long axis (the apicobasal Laplace coordinate, pinned at one
        // apex node, is too nonlinear to select by).
        let centroid = tet
            .iter()
            .map(|&n| DVec3::from_array(mesh.nodes()[n as usize]))
            .sum::<DVec3>()
            / 4.0;
        if !(0.3..0.7).contains(&((centroid - apex).dot(long) / top)) {
            continue;
        }
        // Outward direction: the gradient of the transmural coordinate in this tetrahedron.
        let g = cardiotwin::geometry::cpu::tet_geometry(&mesh.tet_points(t)).dm_inv;
        let mut out = DVec3::ZERO;
        for (k, row) in g.iter().enumerate() {
            out += DVec3::from_array(*row)
                * (transmural[tet[k + 1] as usize] - transmural[tet[0] as usize]);
        }
        if out.length() < 1e-6 {
            continue;
        }
        let h = helix_angle(
            fiber.get(t).try_into().unwrap(),
            long.to_array(),
            out.to_array(),
        );
        let expected = angles.alpha_endo + (angles.alpha_epi - angles.alpha_endo) * phi;
        errors.push((h - expected).abs());
        let b = ((phi * 10.0) as usize).min(9);
        bins[b].0 += h;
        bins[b].1 += 1;
    }
    let means: Vec<f64> = bins.iter().map(|(s, n)| s / (*n).max(1) as f64).collect();
    errors.sort_by(|a, b| a.total_cmp(b));
    let median = errors[errors.len() / 2];
    let p90 = errors[errors.len() * 9 / 10];
    eprintln!(
        "Rodero LV free wall: helix by transmural decile {:?}; |error| median {median:.1}, 90th percentile {p90:.1} degrees over {} tets",
        means.iter().map(|m| m.round()).collect::<Vec<_>>(),
        errors.len()
    );
    // The helix angle turns monotonically from about +60 to about -60 degrees through the wall.
    assert!(means[0] > 45.0 && means[9] < -45.0, "{means:?}");
    assert!(
        means.windows(2).all(|w| w[1] < w[0]),
        "not monotonic: {means:?}"
    );
    assert!(median < 10.0 && p90 < 25.0, "median {median}, p90 {p90}");
}
