//! Cavity volumes of the ventricles (`coupling::cavity`, `coupling::cavity_gpu`): the Land ellipsoid's LV
//! cavity against the analytic truncated-ellipsoid volume and under refinement; invariance under rigid
//! motion, s^3 under scaling; the gradient against central differences and its identities; the Rodero
//! ventricles' LV and RV cavities; the f32 GPU reduction against the f64 CPU sum, from positions and from
//! the mechanics state's displacements; errors naming tags.

mod common;

use std::f64::consts::PI;
use std::time::Instant;

use cardiotwin::anatomy::block::Block;
use cardiotwin::anatomy::coordinates::VentricleSurfaces;
use cardiotwin::anatomy::land_ellipsoid::{BASE, ENDO, EPI, LandEllipsoid};
use cardiotwin::coupling::cavity::{Cavity, CavityError};
use cardiotwin::coupling::cavity_gpu::GpuCavity;
use cardiotwin::gpu::GpuBuffer;
use cardiotwin::mesh::{Surfaces, TetMesh};
use glam::{DMat3, DVec3};

fn positions(mesh: &TetMesh) -> Vec<DVec3> {
    mesh.nodes().iter().map(|&p| DVec3::from_array(p)).collect()
}

fn rodero() -> TetMesh {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/meshes/rodero_ventricles.vtu");
    cardiotwin::mesh::io::read(std::path::Path::new(path)).unwrap()
}

/// The longest edge of the cavity's wall triangles, mm.
fn max_edge(cavity: &Cavity, x: &[DVec3]) -> f64 {
    cavity
        .wall()
        .iter()
        .flat_map(|t| (0..3).map(move |k| (x[t[k] as usize] - x[t[(k + 1) % 3] as usize]).length()))
        .fold(0.0, f64::max)
}

fn wall_area(cavity: &Cavity, x: &[DVec3]) -> f64 {
    cavity
        .wall()
        .iter()
        .map(|t| {
            let [a, b, c] = t.map(|n| x[n as usize]);
            0.5 * (b - a).cross(c - a).length()
        })
        .sum()
}

#[test]
fn exact_truncated_ellipsoid_volume_is_the_integral_of_the_sections() {
    // V = int_{-17}^{5} pi rs^2 (1 - z^2 / rl^2) dz = pi rs^2 [(5 + 17) - (5^3 + 17^3) / (3 rl^2)],
    // rs = 7, rl = 17; here by the midpoint rule on 10^5 slices.
    let (rs, rl) = (7.0, 17.0);
    let n = 100_000;
    let dz = (5.0 + rl) / n as f64;
    let quad: f64 = (0..n)
        .map(|i| {
            let z = -rl + (i as f64 + 0.5) * dz;
            PI * rs * rs * (1.0 - z * z / (rl * rl)) * dz
        })
        .sum();
    let exact = LandEllipsoid::exact_cavity_volume();
    assert!((quad - exact).abs() < 1e-6 * exact, "{quad} vs {exact}");
    let closed = PI * rs * rs * ((5.0 + rl) - (125.0 + rl.powi(3)) / (3.0 * rl * rl));
    assert!((closed - exact).abs() < 1e-12 * exact);
}

#[test]
fn land_lv_cavity_converges_to_the_truncated_ellipsoid() {
    let exact = LandEllipsoid::exact_cavity_volume();
    // Minimum radius of curvature of the endocardium: at the apex, rs^2 / rl.
    let r_min = 49.0 / 17.0;
    let mut errors = Vec::new();
    for h in [2.0, 1.0, 0.5] {
        let mesh = LandEllipsoid::with_element_size(h).build().unwrap();
        let cavity = Cavity::new(&mesh, "LV", &[ENDO]).unwrap();
        assert_eq!(cavity.loops().len(), 1, "one opening: the base");
        assert_eq!(cavity.components(), 1);
        let x = positions(&mesh);
        let start = Instant::now();
        let v = cavity.volume(&x);
        let took = start.elapsed();
        // Nodes lie on the ellipsoid and the base polygon on z = 5: the inscribed polyhedron under-fills
        // by at most the wall area times the sagitta of a right triangle's circumcircle (radius h/2) on
        // the most curved part, (h/2)^2 / (2 r_min).
        let h_max = max_edge(&cavity, &x);
        let bound = wall_area(&cavity, &x) * h_max * h_max / (8.0 * r_min);
        let err = exact - v;
        println!(
            "h {h}: {} wall triangles, h_max {h_max:.3} mm, V = {v:.3} mm^3 (exact {exact:.3}), \
             error {err:.4} mm^3 ({:.3e} rel), bound {bound:.2}, volume in {took:?}",
            cavity.wall().len(),
            err / exact
        );
        assert!(err > 0.0 && err < bound, "error {err} outside (0, {bound})");
        assert!(
            (cavity.reference_volume() - v).abs() < 1e-12 * v,
            "reference volume"
        );
        errors.push(err);
    }
    // Second order: halving h divides the error by about 4.
    for w in errors.windows(2) {
        let ratio = w[0] / w[1];
        println!("error ratio {ratio:.3}");
        assert!(ratio > 3.0 && ratio < 5.0, "ratio {ratio}");
    }
}

fn deformed(x: &[DVec3], seed: u64, amplitude: f64) -> Vec<DVec3> {
    let mut rng = common::fuzz::Rng(seed);
    let mut u = || (rng.next() >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
    x.iter()
        .map(|&p| p + DVec3::new(u(), u(), u()) * amplitude)
        .collect()
}

#[test]
fn rigid_motion_keeps_and_scaling_cubes_the_volume() {
    let mesh = LandEllipsoid::with_element_size(1.0).build().unwrap();
    let cavity = Cavity::new(&mesh, "LV", &[ENDO]).unwrap();
    let x = deformed(&positions(&mesh), 7, 0.3);
    let v = cavity.volume(&x);
    let rot = DMat3::from_axis_angle(DVec3::new(1.0, -2.0, 0.5).normalize(), 1.1);
    let shift = DVec3::new(120.0, -340.0, 55.0);
    let moved: Vec<DVec3> = x.iter().map(|&p| rot * p + shift).collect();
    let v_moved = cavity.volume(&moved);
    println!("rigid motion: {v} -> {v_moved} mm^3");
    assert!((v_moved - v).abs() < 1e-12 * v, "{v} -> {v_moved}");
    for s in [0.8, 1.3] {
        let centre = DVec3::new(3.0, -1.0, 2.0);
        let scaled: Vec<DVec3> = x.iter().map(|&p| centre + (p - centre) * s).collect();
        let vs = cavity.volume(&scaled);
        assert!((vs - s.powi(3) * v).abs() < 1e-12 * vs, "s {s}: {vs}");
    }
}

#[test]
fn volume_gradient_matches_central_differences_and_its_identities() {
    let mesh = LandEllipsoid::with_element_size(2.0).build().unwrap();
    let cavity = Cavity::new(&mesh, "LV", &[ENDO]).unwrap();
    let mut x = deformed(&positions(&mesh), 11, 0.4);
    let mut g = vec![DVec3::ZERO; x.len()];
    cavity.volume_gradient(&x, &mut g);
    let scale = g.iter().map(|v| v.length()).fold(0.0, f64::max);
    // Off-wall nodes get nothing.
    let on_wall: std::collections::HashSet<u32> = cavity.nodes().iter().copied().collect();
    for (n, v) in g.iter().enumerate() {
        if !on_wall.contains(&(n as u32)) {
            assert_eq!(*v, DVec3::ZERO, "node {n}");
        }
    }
    // Every ring node (cap share included) and a spread of wall nodes.
    let mut check: Vec<u32> = cavity.loops()[0].clone();
    check.extend(cavity.nodes().iter().step_by(7).copied());
    let step = 1e-4;
    let mut worst: f64 = 0.0;
    for &n in &check {
        for k in 0..3 {
            let p = x[n as usize];
            let mut e = DVec3::ZERO;
            e[k] = step;
            x[n as usize] = p + e;
            let plus = cavity.volume(&x);
            x[n as usize] = p - e;
            let minus = cavity.volume(&x);
            x[n as usize] = p;
            let fd = (plus - minus) / (2.0 * step);
            worst = worst.max((fd - g[n as usize][k]).abs() / scale);
        }
    }
    println!(
        "gradient: {} nodes checked, max |dV/dx| {scale:.3} mm^2, worst relative deviation from \
         central differences {worst:.2e}",
        check.len()
    );
    // V is cubic in each coordinate: the central difference's error is step^2 times a third derivative
    // of order 1 (mm^0), i.e. ~1e-8 mm^2, far below 1e-6 * scale; rounding adds eps * V / step ~ 1e-8.
    assert!(worst < 1e-6, "{worst}");

    // Translation: sum dV/dx = 0; rotation: sum x x dV/dx = 0; homogeneity of degree 3: sum x.dV/dx = 3V.
    let v = cavity.volume(&x);
    let sum: DVec3 = g.iter().sum();
    let torque: DVec3 = x.iter().zip(&g).map(|(p, d)| p.cross(*d)).sum();
    let euler: f64 = x.iter().zip(&g).map(|(p, d)| p.dot(*d)).sum();
    let reach = x.iter().map(|p| p.length()).fold(0.0, f64::max);
    println!(
        "sum {sum}, torque {torque}, sum x.g = {euler} vs 3V = {}",
        3.0 * v
    );
    assert!(sum.length() < 1e-11 * scale * x.len() as f64);
    assert!(torque.length() < 1e-11 * scale * reach * x.len() as f64);
    assert!((euler - 3.0 * v).abs() < 1e-11 * v);
}

#[test]
fn the_whole_boundary_encloses_the_tissue_volume() {
    // All three tags: a closed surface without openings around the myocardium. Its boundary faces point
    // out already, so the cavity flips them; the volume is the sum of the tetrahedra.
    let mesh = LandEllipsoid::with_element_size(2.0).build().unwrap();
    let cavity = Cavity::new(&mesh, "whole", &[ENDO, EPI, BASE]).unwrap();
    assert!(cavity.loops().is_empty());
    let tets: f64 = (0..mesh.tet_count())
        .map(|t| cardiotwin::mesh::signed_volume(&mesh.tet_points(t)))
        .sum();
    let v = cavity.volume(&positions(&mesh));
    println!("closed boundary: {v} mm^3, tetrahedra {tets} mm^3");
    assert!((v - tets).abs() < 1e-10 * tets);
}

#[test]
fn rodero_lv_and_rv_cavities_close_with_plausible_volumes() {
    let mesh = rodero();
    let s = VentricleSurfaces::rodero(&mesh).unwrap();
    let x = positions(&mesh);
    for (name, tags) in [("LV", &s.lv_endo), ("RV", &s.rv_endo)] {
        let start = Instant::now();
        let cavity = Cavity::new(&mesh, name, tags).unwrap();
        let built = start.elapsed();
        let start = Instant::now();
        let v = cavity.volume(&x);
        let t_volume = start.elapsed();
        let mut g = vec![DVec3::ZERO; x.len()];
        let start = Instant::now();
        cavity.volume_gradient(&x, &mut g);
        let t_gradient = start.elapsed();
        let rings: Vec<usize> = cavity.loops().iter().map(|l| l.len()).collect();
        println!(
            "Rodero {name} (tags {:?}): {} wall triangles, {} nodes, openings of {rings:?} nodes, \
             V = {v:.0} mm^3 = {:.1} mL; build {built:?}, volume {t_volume:?}, gradient {t_gradient:?}",
            cavity.tags(),
            cavity.wall().len(),
            cavity.nodes().len(),
            v / 1000.0
        );
        assert_eq!(cavity.components(), 1);
        assert!(!cavity.loops().is_empty(), "a ventricle has openings");
        assert!((50e3..300e3).contains(&v), "{name}: {v} mm^3");
        // Closed: the volume does not change under translation with the reference point held, i.e. the
        // gradient sums to zero; an open surface would leak the flux through its hole.
        let scale = g.iter().map(|v| v.length()).fold(0.0, f64::max);
        let sum: DVec3 = g.iter().sum();
        assert!(
            sum.length() < 1e-9 * scale * cavity.nodes().len() as f64,
            "{sum}"
        );
        let euler: f64 = x.iter().zip(&g).map(|(p, d)| p.dot(*d)).sum();
        assert!((euler - 3.0 * v).abs() < 1e-9 * v, "{euler} vs {}", 3.0 * v);
    }
}

#[test]
fn missing_or_unusable_tags_are_named() {
    let mesh = LandEllipsoid::with_element_size(2.0).build().unwrap();
    let err = Cavity::new(&mesh, "LV", &[]).unwrap_err();
    assert!(matches!(err, CavityError::NoTags { .. }), "{err}");
    let err = Cavity::new(&mesh, "LV", &[ENDO, 42]).unwrap_err();
    let msg = err.to_string();
    println!("{msg}");
    assert!(
        matches!(&err, CavityError::MissingTags { missing, .. } if missing == &[42]),
        "{err}"
    );
    assert!(msg.contains("42") && msg.contains("LV"), "{msg}");

    // An interior face tagged as wall.
    let interior = {
        let (faces, _) = cardiotwin::mesh::topology::boundary_faces(&mesh);
        let boundary: std::collections::HashSet<[u32; 3]> = faces
            .iter()
            .map(|f| {
                let mut k = f.nodes;
                k.sort_unstable();
                k
            })
            .collect();
        let t = mesh.tets()[mesh.tet_count() / 2];
        let face = [t[0], t[1], t[2]];
        let mut k = face;
        k.sort_unstable();
        assert!(!boundary.contains(&k));
        face
    };
    let mut surfaces = mesh.surfaces().clone();
    surfaces.triangles.push(interior);
    surfaces.tags.push(ENDO);
    let bad = mesh.clone().with_surfaces(surfaces).unwrap();
    let err = Cavity::new(&bad, "LV", &[ENDO]).unwrap_err();
    println!("{err}");
    assert!(
        matches!(err, CavityError::NotOnBoundary { tets: 2, .. }),
        "{err}"
    );

    // Two tetrahedra touching at one node, a face of each through it: two openings share the node.
    let nodes = vec![
        [0.0, 0.0, 0.0],
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
        [-1.0, 0.0, 0.0],
        [0.0, -1.0, 0.0],
        [0.0, 0.0, -1.0],
    ];
    let mut pinched = TetMesh::new(nodes, vec![[0, 1, 2, 3], [0, 4, 5, 6]]).unwrap();
    pinched.orient_positive();
    let pinched = pinched
        .with_surfaces(Surfaces {
            triangles: vec![[0, 1, 2], [0, 4, 5]],
            tags: vec![5, 5],
        })
        .unwrap();
    let err = Cavity::new(&pinched, "RV", &[5]).unwrap_err();
    println!("{err}");
    assert!(
        matches!(err, CavityError::PinchedBoundary { node: 0, .. }),
        "{err}"
    );
}

#[test]
fn a_surface_with_a_handle_is_not_disc_like() {
    // A 3 x 3 x 1 block without its middle column is a solid torus: its whole boundary, tagged as one
    // patch, is closed but has genus 1 (Euler characteristic 0), so no set of caps makes it a cavity.
    let block = Block {
        size: [3.0, 3.0, 1.0],
        cells: [3, 3, 1],
        jitter: 0.0,
        seed: 1,
    }
    .build()
    .unwrap();
    let tets: Vec<[u32; 4]> = (0..block.tet_count())
        .filter(|&t| {
            let c = block
                .tet_points(t)
                .iter()
                .fold([0.0; 2], |a, p| [a[0] + p[0], a[1] + p[1]]);
            !((4.0..8.0).contains(&c[0]) && (4.0..8.0).contains(&c[1]))
        })
        .map(|t| block.tets()[t])
        .collect();
    assert_eq!(tets.len(), 48);
    let ring = TetMesh::new(block.nodes().to_vec(), tets).unwrap();
    let (faces, _) = cardiotwin::mesh::topology::boundary_faces(&ring);
    let tags = vec![7; faces.len()];
    let ring = ring
        .with_surfaces(Surfaces {
            triangles: faces.iter().map(|f| f.nodes).collect(),
            tags,
        })
        .unwrap();
    let err = Cavity::new(&ring, "torus", &[7]).unwrap_err();
    println!("{err}");
    assert!(
        matches!(
            err,
            CavityError::NotDiscLike {
                euler: 0,
                expected: 2,
                loops: 0,
                ..
            }
        ),
        "{err}"
    );
}

/// How far the f32 GPU volume may be from the f64 one: positions rounded to f32 relative to the origin
/// move the wall by up to eps |x - origin| (volume: that times the wall area, caps included, bounded by
/// twice the wall area); the terms relative to r are rounded to a few eps each and summed in a tree of
/// depth log2(T), each level adding eps * sum |terms|.
fn gpu_tolerance(cavity: &Cavity, x: &[DVec3], origin: DVec3, r: DVec3) -> f64 {
    let eps = f32::EPSILON as f64;
    let reach = cavity
        .nodes()
        .iter()
        .map(|&n| (x[n as usize] - origin).length())
        .fold(0.0, f64::max);
    let caps = cavity.cap_points(x);
    let mut abs_terms: f64 = cavity
        .wall()
        .iter()
        .map(|t| {
            let [a, b, c] = t.map(|n| x[n as usize] - r);
            a.dot(b.cross(c)).abs() / 6.0
        })
        .sum();
    let mut triangles = cavity.wall().len();
    for (l, c) in cavity.loops().iter().zip(&caps) {
        triangles += l.len();
        for i in 0..l.len() {
            let a = x[l[i] as usize] - r;
            let b = x[l[(i + 1) % l.len()] as usize] - r;
            abs_terms += b.dot(a.cross(*c - r)).abs() / 6.0;
        }
    }
    let depth = (triangles as f64).log2().ceil();
    4.0 * eps * (2.0 * wall_area(cavity, x) * reach + (depth + 4.0) * abs_terms)
}

fn upload(ctx: &cardiotwin::gpu::GpuContext, x: &[DVec3], origin: DVec3) -> GpuBuffer<[f32; 4]> {
    let rel: Vec<[f32; 4]> = x
        .iter()
        .map(|&p| {
            let q = p - origin;
            [q.x as f32, q.y as f32, q.z as f32, 0.0]
        })
        .collect();
    GpuBuffer::from_slice(ctx, "positions", &rel).unwrap()
}

#[test]
fn gpu_volume_matches_cpu_on_rodero() {
    let Some(ctx) = common::gpu("gpu_volume_matches_cpu_on_rodero") else {
        return;
    };
    let mesh = rodero();
    let s = VentricleSurfaces::rodero(&mesh).unwrap();
    let x0 = positions(&mesh);
    let origin = x0.iter().sum::<DVec3>() / x0.len() as f64;
    // The rest configuration and a deformed one: stretched along the long axis, shifted, jittered.
    let stretched: Vec<DVec3> = deformed(&x0, 3, 0.2)
        .iter()
        .map(|&p| {
            let q = p - origin;
            origin + DVec3::new(0.95 * q.x, 0.95 * q.y, 1.1 * q.z) + DVec3::new(2.0, -1.0, 4.0)
        })
        .collect();
    for (name, tags) in [("LV", &s.lv_endo), ("RV", &s.rv_endo)] {
        let cavity = Cavity::new(&mesh, name, tags).unwrap();
        let r = cavity.reference_centroid(&mesh);
        let gpu = GpuCavity::new(&ctx, &cavity, origin, r).unwrap();
        for (label, x) in [("rest", &x0), ("deformed", &stretched)] {
            let buf = upload(&ctx, x, origin);
            let cpu = cavity.volume(x);
            let start = Instant::now();
            let v = gpu.volume(&ctx, &buf).unwrap();
            let took = start.elapsed();
            let again = gpu.volume(&ctx, &buf).unwrap();
            let tol = gpu_tolerance(&cavity, x, origin, r);
            println!(
                "GPU {name} {label}: {v:.3} vs CPU {cpu:.3} mm^3, |diff| {:.4} ({:.2e} rel), \
                 tolerance {tol:.3}, {took:?} incl. readback",
                (v - cpu).abs(),
                (v - cpu).abs() / cpu
            );
            assert!((v - cpu).abs() < tol, "{name} {label}: {v} vs {cpu}");
            assert_eq!(v.to_bits(), again.to_bits(), "deterministic");
        }
    }
}

#[test]
fn gpu_reduction_over_three_levels_matches_cpu() {
    let Some(ctx) = common::gpu("gpu_reduction_over_three_levels_matches_cpu") else {
        return;
    };
    // More than 256^2 triangles: the partial sums take two reduce passes.
    let mesh = LandEllipsoid {
        transmural: 1,
        longitudinal: 180,
        circumferential: 200,
    }
    .build()
    .unwrap();
    let cavity = Cavity::new(&mesh, "LV", &[ENDO]).unwrap();
    assert!(cavity.wall().len() > 65_536, "{}", cavity.wall().len());
    let x = deformed(&positions(&mesh), 5, 0.05);
    let origin = DVec3::new(0.0, 0.0, -6.0);
    let r = cavity.reference_centroid(&mesh);
    let gpu = GpuCavity::new(&ctx, &cavity, origin, r).unwrap();
    let buf = upload(&ctx, &x, origin);
    let cpu = cavity.volume(&x);
    let v = gpu.volume(&ctx, &buf).unwrap();
    let tol = gpu_tolerance(&cavity, &x, origin, r);
    println!(
        "GPU {} triangles: {v:.4} vs CPU {cpu:.4} mm^3, |diff| {:.2e}, tolerance {tol:.2e}",
        cavity.wall().len(),
        (v - cpu).abs()
    );
    assert!((v - cpu).abs() < tol);
    // A wrong-length position buffer is an error, not a wrong number.
    let short = GpuBuffer::<[f32; 4]>::zeroed(&ctx, "short", 3).unwrap();
    assert!(gpu.volume(&ctx, &short).is_err());
}

/// The mechanics state's layout: displacements u = x - X with the rest positions X beside them
/// (`GpuTled::current` and `rest_buffer`), the configuration X + u formed in the kernel.
#[test]
fn gpu_volume_of_displacements_matches_cpu() {
    let Some(ctx) = common::gpu("gpu_volume_of_displacements_matches_cpu") else {
        return;
    };
    let mesh = rodero();
    let s = VentricleSurfaces::rodero(&mesh).unwrap();
    let x0 = positions(&mesh);
    let origin = x0.iter().sum::<DVec3>() / x0.len() as f64;
    // Inflated by 3% and jittered.
    let x: Vec<DVec3> = deformed(&x0, 7, 0.3)
        .iter()
        .map(|&p| origin + (p - origin) * 1.03)
        .collect();
    let rest = upload(&ctx, &x0, origin);
    let u: Vec<[f32; 4]> = x
        .iter()
        .zip(&x0)
        .map(|(p, q)| {
            let d = *p - *q;
            [d.x as f32, d.y as f32, d.z as f32, 0.0]
        })
        .collect();
    let u = GpuBuffer::from_slice(&ctx, "displacements", &u).unwrap();
    for (name, tags) in [("LV", &s.lv_endo), ("RV", &s.rv_endo)] {
        let cavity = Cavity::new(&mesh, name, tags).unwrap();
        let r = cavity.reference_centroid(&mesh);
        let gpu = GpuCavity::new(&ctx, &cavity, origin, r).unwrap();
        let mut batch = cardiotwin::gpu::Batch::untimed(&ctx, "volume of displacements");
        gpu.record_displacement(&mut batch, &u, &rest).unwrap();
        let (v, _) = batch.submit_and_read(gpu.volume_buffer()).unwrap();
        let v = v[0] as f64;
        let cpu = cavity.volume(&x);
        let tol = gpu_tolerance(&cavity, &x, origin, r);
        println!(
            "GPU {name} from displacements: {v:.3} vs CPU {cpu:.3} mm^3, |diff| {:.4}, tolerance {tol:.3}",
            (v - cpu).abs()
        );
        assert!((v - cpu).abs() < tol, "{name}: {v} vs {cpu}");
        // The rest configuration alone (u = 0) is not what was measured: the displacements count.
        assert!((v - cavity.volume(&x0)).abs() > 10.0 * tol, "{name}");
        // The same passes bound once (the heartbeat's time loop): the same bits.
        let bound = gpu.bind_displacement(&ctx, &u, &rest).unwrap();
        let mut batch = cardiotwin::gpu::Batch::untimed(&ctx, "bound volume of displacements");
        gpu.record_bound(&mut batch, &bound);
        let (again, _) = batch.submit_and_read(gpu.volume_buffer()).unwrap();
        assert_eq!(
            again[0].to_bits(),
            (v as f32).to_bits(),
            "{name}: bound passes"
        );
        let short = GpuBuffer::<[f32; 4]>::zeroed(&ctx, "short rest", 3).unwrap();
        let mut batch = cardiotwin::gpu::Batch::untimed(&ctx, "bad rest");
        assert!(gpu.record_displacement(&mut batch, &u, &short).is_err());
        assert!(gpu.bind_displacement(&ctx, &u, &short).is_err());
    }
}
