//! The eikonal activation solver against exact travel times: on a block with uniform fibres the time
//! from a point is the metric distance `sqrt(y . M y)` (an ellipsoidal wavefront), from a face it is the
//! distance over the normal speed; non-conducting tissue blocks the wave; bad input is refused.

use cardiotwin::anatomy::block::Block;
use cardiotwin::ep::eikonal::{self, Conduction, EikonalError};
use glam::{DMat3, DVec3};

fn conduction(n: usize, fibre: DVec3, v_f: f64, v_t: f64) -> Vec<Conduction> {
    vec![
        Conduction {
            fibre,
            v_fibre: v_f,
            v_cross: v_t
        };
        n
    ]
}

fn metric(fibre: DVec3, v_f: f64, v_t: f64) -> DMat3 {
    let f = fibre.normalize();
    let ff = DMat3::from_cols(f * f.x, f * f.y, f * f.z);
    ff / (v_f * v_f) + (DMat3::IDENTITY - ff) / (v_t * v_t)
}

/// Largest error relative to the exact time there, from a point source at a corner of a block of
/// `cells`^3 hexahedra (20 mm): nodes within 5 mm of the source start at their exact times (the usual
/// initialisation; without it the source singularity costs about half an order of convergence).
fn point_source_error(cells: usize, jitter: f64, v_f: f64, v_t: f64) -> f64 {
    let mesh = Block::cube(cells, 20.0)
        .with_jitter(jitter, 7)
        .build()
        .unwrap();
    let fibre = DVec3::new(1.0, 0.5, 0.2);
    let c = conduction(mesh.tet_count(), fibre, v_f, v_t);
    let m = metric(fibre, v_f, v_t);
    let exact = |p: [f64; 3]| {
        let y = DVec3::from_array(p);
        3.0 + y.dot(m * y).sqrt()
    };
    let stimuli: Vec<(u32, f64)> = mesh
        .nodes()
        .iter()
        .enumerate()
        .filter(|(_, p)| DVec3::from_array(**p).length() <= 5.0)
        .map(|(i, p)| (i as u32, exact(*p)))
        .collect();
    let (t, report) = eikonal::solve(&mesh, &c, &stimuli).unwrap();
    assert_eq!(report.unreached, 0);
    let mut worst = 0.0f64;
    for (p, &ti) in mesh.nodes().iter().zip(&t) {
        let e = exact(*p);
        // The scheme only overestimates (up to the convergence tolerance): it minimises over paths
        // through the mesh's faces, a subset of all paths.
        assert!(ti >= e - 1e-6 * e, "{ti} < exact {e} at {p:?}");
        worst = worst.max((ti - e) / e);
    }
    println!(
        "{cells}^3 cells, jitter {jitter}, speeds {v_f}/{v_t}: worst relative error {worst:.4}, {} sweeps, \
         {} updates, {:.3} s",
        report.sweeps, report.updates, report.wall_s
    );
    worst
}

#[test]
fn point_source_gives_the_ellipsoidal_wavefront_at_first_order() {
    // Errors relative to the exact time at the node. Isotropic on the regular grid: 1.65% at 16 cells
    // (measured).
    let iso = point_source_error(16, 0.0, 0.5, 0.5);
    assert!(iso < 0.025, "{iso}");
    // Anisotropic (ratio 2.4) on a jittered grid: 18% at 8 cells (2.5 mm), 8.0% at 16 (measured), worst
    // just outside the initialised ball; the error halves with h (first order, as the method is).
    let coarse = point_source_error(8, 0.1, 0.6, 0.25);
    let fine = point_source_error(16, 0.1, 0.6, 0.25);
    assert!(fine < 0.1, "{fine}");
    assert!(fine < 0.6 * coarse, "{fine} vs {coarse}");
}

#[test]
fn a_planar_wave_is_exact() {
    // Stimulate the face x = 0: T = x / v along x, whatever the (jittered) mesh, for fibres along x.
    let mesh = Block::cube(10, 10.0).with_jitter(0.1, 3).build().unwrap();
    let c = conduction(mesh.tet_count(), DVec3::X, 0.5, 0.2);
    let stimuli: Vec<(u32, f64)> = mesh
        .nodes()
        .iter()
        .enumerate()
        .filter(|(_, p)| p[0] < 1e-9)
        .map(|(i, _)| (i as u32, 0.0))
        .collect();
    let (t, _) = eikonal::solve(&mesh, &c, &stimuli).unwrap();
    let worst = mesh
        .nodes()
        .iter()
        .zip(&t)
        .map(|(p, t)| (t - p[0] / 0.5).abs())
        .fold(0.0, f64::max);
    // Exact up to the convergence tolerance (1e-9 relative per update).
    assert!(worst < 1e-6, "{worst}");
}

#[test]
fn scar_blocks_and_delays_the_wave() {
    // A non-conducting slab x in (4, 6) mm with a gap for y > 8 mm: the wave goes round.
    let mesh = Block::cube(10, 10.0).build().unwrap();
    let centroid = |t: usize| {
        mesh.tet_points(t)
            .iter()
            .map(|p| DVec3::from_array(*p))
            .sum::<DVec3>()
            / 4.0
    };
    let mut c = conduction(mesh.tet_count(), DVec3::X, 0.5, 0.5);
    let mut walled = c.clone();
    for (t, cc) in walled.iter_mut().enumerate() {
        let p = centroid(t);
        if p.x > 4.0 && p.x < 6.0 && p.y < 8.0 {
            cc.v_fibre = 0.0;
            cc.v_cross = 0.0;
        }
    }
    let far = mesh
        .nodes()
        .iter()
        .position(|p| p[0] > 9.99 && p[1] < 1e-9 && p[2] < 1e-9)
        .unwrap();
    let (free, _) = eikonal::solve(&mesh, &c, &[(0, 0.0)]).unwrap();
    let (blocked, _) = eikonal::solve(&mesh, &walled, &[(0, 0.0)]).unwrap();
    assert!((free[far] - 20.0).abs() < 1e-9, "{}", free[far]);
    // Round the wall: up to y = 8 and back down, at least 2 * sqrt(5^2 + 8^2) / 0.5 ms.
    let detour = 2.0 * (25.0f64 + 64.0).sqrt() / 0.5;
    assert!(blocked[far] >= detour - 1e-6, "{} < {detour}", blocked[far]);
    assert!(blocked[far] < 1.1 * detour, "{}", blocked[far]);
    // Fully enclosed: unreached nodes stay infinite.
    c.iter_mut().for_each(|c| {
        c.v_fibre = 0.0;
        c.v_cross = 0.0;
    });
    let (none, report) = eikonal::solve(&mesh, &c, &[(0, 0.0)]).unwrap();
    assert_eq!(report.unreached, mesh.node_count() - 1);
    assert!(none[far].is_infinite());
}

#[test]
fn bad_input_is_refused() {
    let mesh = Block::cube(2, 1.0).build().unwrap();
    let c = conduction(mesh.tet_count(), DVec3::X, 0.5, 0.2);
    assert_eq!(
        eikonal::solve(&mesh, &c, &[]).unwrap_err(),
        EikonalError::NoStimulus
    );
    assert!(matches!(
        eikonal::solve(&mesh, &c, &[(0, f64::NAN)]).unwrap_err(),
        EikonalError::Stimulus { .. }
    ));
    let mut bad = c.clone();
    bad[3].v_cross = -1.0;
    assert!(matches!(
        eikonal::solve(&mesh, &bad, &[(0, 0.0)]).unwrap_err(),
        EikonalError::Speed { tet: 3, .. }
    ));
    assert!(matches!(
        eikonal::solve(&mesh, &c[1..], &[(0, 0.0)]).unwrap_err(),
        EikonalError::Length { .. }
    ));
}
