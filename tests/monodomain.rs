//! Monodomain reaction-diffusion: the diffusion operator (conservation, linear fields, the stability
//! limit), the Mitchell-Schaeffer action potential, planar conduction speeds against the square-root law
//! of the conductivities, and the Niederer slab converging under refinement, with the eikonal solver
//! close to it.

use cardiotwin::anatomy::block::Block;
use cardiotwin::ep::monodomain::{
    CellModel, Mass, Membrane, MitchellSchaeffer, Monodomain, MonodomainError, Stimulus, Tissue,
};
use cardiotwin::verify::ep::{self, SlabOptions};
use glam::DVec3;

fn tissue(n: usize, fibre: DVec3, sl: f64, st: f64) -> Vec<Tissue> {
    vec![
        Tissue {
            fibre,
            sigma_fibre: sl,
            sigma_cross: st
        };
        n
    ]
}

/// A membrane that does nothing: diffusion alone.
struct Passive;

impl CellModel for Passive {
    const STATES: usize = 1;
    const NAME: &'static str = "passive";
    fn initial(&self) -> Vec<f64> {
        vec![0.0]
    }
    fn step(&self, _: &mut [f64], _: f64, _: f64) {}
}

fn lumped_mass(mesh: &cardiotwin::TetMesh) -> Vec<f64> {
    let mut m = vec![0.0; mesh.node_count()];
    for t in 0..mesh.tet_count() {
        let v = cardiotwin::mesh::signed_volume(&mesh.tet_points(t)).abs();
        for &n in &mesh.tets()[t] {
            m[n as usize] += v / 4.0;
        }
    }
    m
}

#[test]
fn mitchell_schaeffer_fires_one_action_potential_and_recovers() {
    let cell = MitchellSchaeffer::default();
    let mut s = cell.initial();
    let (mut peak, mut t, dt) = (f64::NEG_INFINITY, 0.0, 0.01);
    let mut repolarised = None;
    while t < 600.0 {
        let stim = if t < 2.0 { 35.7 } else { 0.0 };
        cell.step(&mut s, dt, stim);
        t += dt;
        peak = peak.max(s[0]);
        if peak > 0.0 && repolarised.is_none() && s[0] < -70.0 {
            repolarised = Some(t);
        }
    }
    // u tops out at 1 (+20 mV); the explicit reaction step overshoots by a fraction of a mV.
    assert!(peak > 10.0 && peak <= 21.0, "peak {peak} mV");
    // The plateau lasts about tau_close ln(tau_out / (4 tau_in)) = 150 ln 5 = 241 ms (the paper's APD).
    let apd = repolarised.expect("repolarises");
    assert!((200.0..300.0).contains(&apd), "APD {apd} ms");
    assert!((s[0] + 80.0).abs() < 0.5, "back at rest: {} mV", s[0]);
}

#[test]
fn diffusion_conserves_and_refuses_unstable_steps() {
    let mesh = Block::cube(6, 3.0).with_jitter(0.1, 5).build().unwrap();
    let (sl, st) = ep::conductivities();
    let t = tissue(mesh.tet_count(), DVec3::new(1.0, 1.0, 0.0), sl, st);
    // A passive cell (no stimulus, at rest): a non-uniform potential only diffuses; the mass-weighted
    // mean is conserved (K has zero row sums: no flux through the boundary).
    let mut md = Monodomain::new(
        &mesh,
        &t,
        Membrane::NIEDERER,
        MitchellSchaeffer::default(),
        0.0,
    )
    .unwrap();
    let limit = md.stable_step();
    println!("stable step {limit} ms");
    // Diffusion alone (a passive membrane): a bump spreads, the mass-weighted sum stays (no flux through
    // the boundary: K has zero row sums) and the maximum falls.
    let mut passive = Monodomain::new(&mesh, &t, Membrane::NIEDERER, Passive, 0.0).unwrap();
    for (i, p) in mesh.nodes().iter().enumerate() {
        passive.states[i] = (-(p[0] - 1.0).powi(2) - (p[1] - 2.0).powi(2)).exp() * -50.0;
    }
    let mass = lumped_mass(&mesh);
    let total = |m: &Monodomain<Passive>| {
        (0..m.node_count())
            .map(|i| m.potential(i) * mass[i])
            .sum::<f64>()
    };
    let (before, peak_before) = (
        total(&passive),
        passive.states.iter().copied().fold(0.0, f64::min),
    );
    passive.run(200, 0.5 * limit, &[]).unwrap();
    let peak_after = passive.states.iter().copied().fold(0.0, f64::min);
    assert!(
        (total(&passive) - before).abs() < 1e-10 * before.abs(),
        "{} vs {before}",
        total(&passive)
    );
    assert!(
        peak_after > 0.5 * peak_before,
        "{peak_after} vs {peak_before}"
    );
    assert!(limit > 0.0);
    let err = md.run(1, 1.5 * limit, &[]).unwrap_err();
    assert!(matches!(err, MonodomainError::Unstable { .. }), "{err}");
    assert!(err.to_string().contains("dt <="), "{err}");
}

/// The speed (m/s) of the planar wave started by stimulating the first millimetre of `bar` (fibres along
/// `fibre`, Niederer conductivities, `cell` at every node), from its arrival times at the planes x = x1 and
/// x = x2 (mm) after `steps` steps of 0.01 ms.
fn planar_speed<C: CellModel>(
    cell: C,
    bar: Block,
    fibre: DVec3,
    steps: usize,
    (x1, x2): (f64, f64),
    mass: Mass,
) -> f64 {
    let mesh = bar.build().unwrap();
    let (sl, st) = ep::conductivities();
    let mut md = Monodomain::new(
        &mesh,
        &tissue(mesh.tet_count(), fibre, sl, st),
        Membrane::NIEDERER,
        cell,
        0.0,
    )
    .unwrap()
    .with_mass(&mesh, mass);
    let stim = Stimulus {
        nodes: (0..mesh.node_count() as u32)
            .filter(|&i| mesh.nodes()[i as usize][0] < 1.0 + 1e-9)
            .collect(),
        strength: 50_000.0 / 1400.0,
        start_ms: 0.0,
        duration_ms: 2.0,
    };
    md.run(steps, 0.01, &[stim]).unwrap();
    let at = |x: f64| {
        let v: Vec<f64> = mesh
            .nodes()
            .iter()
            .enumerate()
            .filter(|(_, p)| (p[0] - x).abs() < 1e-9)
            .map(|(i, _)| md.activation_ms[i])
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    (x2 - x1) / (at(x2) - at(x1))
}

/// Mitchell-Schaeffer in a 10 x 1 x 1 mm bar at dx = 0.1 mm, between x = 3 and 8 mm, m/s.
fn ms_speed(fibre: DVec3) -> f64 {
    let bar = Block {
        size: [10.0, 1.0, 1.0],
        cells: [100, 10, 10],
        jitter: 0.0,
        seed: 1,
    };
    planar_speed(
        MitchellSchaeffer::default(),
        bar,
        fibre,
        10_000,
        (3.0, 8.0),
        Mass::Lumped,
    )
}

#[test]
fn planar_speeds_follow_the_square_root_of_the_conductivities() {
    let along = ms_speed(DVec3::X);
    let across = ms_speed(DVec3::Y);
    let (sl, st) = ep::conductivities();
    let expected = (sl / st).sqrt();
    println!(
        "planar speed along {along:.4}, across {across:.4} m/s, ratio {:.3} (sqrt law {expected:.3})",
        along / across
    );
    // Speed scales with sqrt(D) for a fixed cell model; at dx = 0.1 mm the transverse wave (length scale
    // sqrt(D_t tau) ~ 0.1 mm) is under-resolved and slowed a little: 5% allowed.
    assert!(
        (along / across / expected - 1.0).abs() < 0.05,
        "{along} / {across}"
    );
}

#[test]
fn the_niederer_slab_converges_and_the_eikonal_follows_it() {
    let coarse = ep::niederer(
        SlabOptions {
            mass: Default::default(),
            cell: ep::Cell::MitchellSchaeffer,
            dx_mm: 0.5,
            dt_ms: 0.05,
            end_ms: 150.0,
        },
        cardiotwin::backend::Backend::Cpu,
    )
    .unwrap();
    let fine = ep::niederer(
        SlabOptions {
            mass: Default::default(),
            cell: ep::Cell::MitchellSchaeffer,
            dx_mm: 0.25,
            dt_ms: 0.025,
            end_ms: 150.0,
        },
        cardiotwin::backend::Backend::Cpu,
    )
    .unwrap();
    let p8 = |v: &serde_json::Value| v["activation_ms"]["P8"].as_f64().unwrap();
    println!(
        "P8: {} ms (dx 0.5), {} ms (dx 0.25)",
        p8(&coarse),
        p8(&fine)
    );
    // Measured 84.3 ms at dx 0.5, 79.4 at 0.2: coarse meshes conduct slower.
    assert!(p8(&coarse) > p8(&fine));
    assert!((p8(&coarse) - p8(&fine)) / p8(&fine) < 0.1);
    for k in 1..=9 {
        let key = format!("P{k}");
        assert!(
            fine["activation_ms"][&key].as_f64().is_some(),
            "{key} never activated"
        );
    }
    let e = ep::eikonal_slab(SlabOptions {
        mass: Default::default(),
        cell: ep::Cell::MitchellSchaeffer,
        dx_mm: 0.5,
        dt_ms: 0.05,
        end_ms: 150.0,
    })
    .unwrap();
    println!("{}", serde_json::to_string_pretty(&e).unwrap());
    // Measured: RMS 3.5 ms, max 8.1 ms of 84 ms (the eikonal has no curvature or boundary effects).
    assert!(e["rms_difference_ms"].as_f64().unwrap() < 5.0);
    assert!(e["max_difference_ms"].as_f64().unwrap() < 12.0);
}

/// Ten Tusscher-Panfilov 2006 along the fibres of a 6 x 0.5 x 0.5 mm bar meshed at `dx` along it,
/// between x = 2 and 5 mm, m/s.
fn tp06_speed(dx: f64, mass: Mass) -> f64 {
    let bar = Block {
        size: [6.0, 0.5, 0.5],
        cells: [(6.0 / dx).round() as usize, 5, 5],
        jitter: 0.0,
        seed: 1,
    };
    planar_speed(
        cardiotwin::ep::tp06::Tp06::default(),
        bar,
        DVec3::X,
        3000,
        (2.0, 5.0),
        mass,
    )
}

#[test]
fn tp06_conducts_at_a_physiological_speed_that_converges_from_below() {
    // Measured (10 x 1 x 1 mm bar, dt 0.01): 0.598 m/s at dx 0.1, 0.537 at 0.25, 0.421 at 0.5 along the
    // fibres; across them 0.191 at dx 0.1, 0.124 at 0.25 and conduction block at 0.5 mm: explicit
    // lumped-mass P1 elements slow a sharp upstroke on coarse meshes (VERIFICATION.md).
    let fine = tp06_speed(0.1, Mass::Lumped);
    let coarse = tp06_speed(0.25, Mass::Lumped);
    println!("TP06 along the fibres: {fine:.4} m/s (dx 0.1), {coarse:.4} m/s (dx 0.25)");
    assert!((0.5..0.7).contains(&fine), "{fine}");
    assert!(coarse < fine, "{coarse} vs {fine}");
}

/// Cells per node: every node on Mitchell-Schaeffer through the mixed cell ([`cardiotwin::ep::AnyCell`])
/// steps bit for bit as the plain model; a slab half TP06 half Mitchell-Schaeffer carries the wave across
/// the junction in both directions' tissue; malformed cell lists are refused.
#[test]
fn cells_per_node_mix_models_and_refuse_bad_lists() {
    use cardiotwin::ep::{AnyCell, Cell};
    let mesh = ep::slab(0.5).unwrap();
    let tissue = ep::tissue(&mesh);
    let stim = ep::stimulus(&mesh);
    let n = mesh.node_count();
    let mut plain = Monodomain::new(
        &mesh,
        &tissue,
        Membrane::NIEDERER,
        MitchellSchaeffer::default(),
        -30.0,
    )
    .unwrap();
    let ms = Cell::MitchellSchaeffer.model();
    let mut mixed = Monodomain::new(&mesh, &tissue, Membrane::NIEDERER, ms, -30.0)
        .unwrap()
        .with_cells(vec![Cell::Tp06.model(), ms], vec![1; n])
        .unwrap();
    let (dt, steps) = (0.05, 600);
    plain.run(steps, dt, std::slice::from_ref(&stim)).unwrap();
    mixed.run(steps, dt, std::slice::from_ref(&stim)).unwrap();
    assert_eq!(plain.activation_ms, mixed.activation_ms);
    assert!((0..n).all(|i| plain.potential(i) == mixed.potential(i)));

    // Half and half: the wave starts in TP06 (x < 10 mm) and reaches the far Mitchell-Schaeffer end.
    let cell_of: Vec<u16> = mesh
        .nodes()
        .iter()
        .map(|p| u16::from(p[0] >= 10.0))
        .collect();
    let mut half = Monodomain::new(&mesh, &tissue, Membrane::NIEDERER, ms, -30.0)
        .unwrap()
        .with_cells(vec![Cell::Tp06.model(), ms], cell_of.clone())
        .unwrap();
    assert_eq!(half.cell_index(0), 0);
    assert!(matches!(half.cells()[1], AnyCell::MitchellSchaeffer(_)));
    half.run(1200, dt, std::slice::from_ref(&stim)).unwrap();
    let far = (0..n)
        .filter(|&i| mesh.nodes()[i][0] >= 19.9 && mesh.nodes()[i][1] < 0.1)
        .map(|i| half.activation_ms[i])
        .fold(0.0, f64::max);
    println!(
        "half TP06, half Mitchell-Schaeffer: far end (x = 20, y = 0) activated by {far:.1} ms"
    );
    assert!(far.is_finite() && far > 30.0, "{far}");
    // Each node started from its own cell's rest.
    let fresh = Monodomain::new(&mesh, &tissue, Membrane::NIEDERER, ms, -30.0)
        .unwrap()
        .with_cells(vec![Cell::Tp06.model(), ms], cell_of)
        .unwrap();
    assert!((fresh.potential(0) - (-85.23)).abs() < 1e-12);
    assert!((fresh.potential(n - 1) - (-80.0)).abs() < 1e-12);

    let make = || Monodomain::new(&mesh, &tissue, Membrane::NIEDERER, ms, -30.0).unwrap();
    for (cells, of) in [
        (vec![ms], vec![0; n - 1]),
        (vec![ms], vec![1; n]),
        (vec![], vec![0; n]),
    ] {
        let e = make().with_cells(cells, of).err().expect("refused");
        assert!(matches!(e, MonodomainError::Cells { .. }), "{e}");
        assert!(e.to_string().contains("cell"), "{e}");
    }
}

/// The consistent-mass implicit diffusion ([`Mass::Consistent`]): a bump diffusing with steps five times
/// the explicit limit conserves the consistent-mass-weighted potential (K has zero row sums) to the CG
/// tolerance and stays bounded; TP06 on a 0.5 mm mesh conducts within 10% of its 0.1 mm speed, where the
/// lumped mass is over 20% slow.
#[test]
fn consistent_mass_is_stable_conservative_and_accurate_on_coarse_meshes() {
    let mesh = Block::cube(6, 3.0).with_jitter(0.1, 5).build().unwrap();
    let (sl, st) = ep::conductivities();
    let t = tissue(mesh.tet_count(), DVec3::new(1.0, 1.0, 0.0), sl, st);
    let mut passive = Monodomain::new(&mesh, &t, Membrane::NIEDERER, Passive, 0.0)
        .unwrap()
        .with_mass(&mesh, Mass::Consistent);
    assert_eq!(passive.mass(), Mass::Consistent);
    for (i, p) in mesh.nodes().iter().enumerate() {
        passive.states[i] = (-(p[0] - 1.0).powi(2) - (p[1] - 2.0).powi(2)).exp() * -50.0;
    }
    let mc = cardiotwin::fem::poisson::mass_matrix(&mesh);
    let total = |m: &Monodomain<Passive>| {
        let mut mv = vec![0.0; m.node_count()];
        mc.mul(&m.states, &mut mv);
        mv.iter().sum::<f64>()
    };
    let (before, peak_before) = (
        total(&passive),
        passive.states.iter().copied().fold(0.0, f64::min),
    );
    let limit = passive.stable_step();
    passive.run(50, 5.0 * limit, &[]).unwrap();
    let peak_after = passive.states.iter().copied().fold(0.0, f64::min);
    println!(
        "consistent mass: {} CG iterations over 50 steps of {:.4} ms; weighted sum {before:.6e} -> {:.6e}",
        passive.solver_iterations,
        5.0 * limit,
        total(&passive)
    );
    assert!((total(&passive) - before).abs() < 1e-8 * before.abs());
    assert!(
        peak_after > peak_before && peak_after < 0.0,
        "{peak_after} vs {peak_before}"
    );
    assert!(
        passive
            .states
            .iter()
            .all(|v| v.is_finite() && *v <= 1e-9 && *v >= peak_before)
    );

    let fine = tp06_speed(0.1, Mass::Lumped);
    let consistent = tp06_speed(0.5, Mass::Consistent);
    let lumped = tp06_speed(0.5, Mass::Lumped);
    println!(
        "TP06 along the fibres at dx 0.5: {consistent:.4} (consistent), {lumped:.4} (lumped) m/s; {fine:.4} at dx 0.1"
    );
    assert!(
        (consistent / fine - 1.0).abs() < 0.1,
        "{consistent} vs {fine}"
    );
    assert!(lumped / fine < 0.8, "{lumped} vs {fine}");
}

/// The Niederer slab with the consistent-mass implicit diffusion against another code's published times
/// (fenicsx-beat, `tests/data/niederer/`: the same problem, P1 elements, implicit diffusion), at dt 0.05 ms
/// on the 0.5 and 0.2 mm meshes. Tolerances: 2.5 ms at dx 0.5 and 1.0 ms at dx 0.2. The codes apply the
/// stimulus differently (a volume source over the cube's tetrahedra there, its nodes here) and that code
/// records the start of the step in which V passed 0 mV (up to dt early): measured differences 1.9 ms at
/// dx 0.5, 0.7 ms at dx 0.2, shrinking with the mesh (0.2 ms at dx 0.1, VERIFICATION.md). The lumped
/// explicit step at dx 0.5 misses them by over 60 ms (its P8), which this test would see.
#[test]
fn the_consistent_mass_slab_matches_fenicsx_beat() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/niederer/fenicsx_beat.csv"
    ))
    .unwrap();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    for (dx, tolerance) in [(0.5, 2.5), (0.2, 1.0)] {
        let reference = rows
            .iter()
            .find(|r| r[0] == dx && r[1] == 0.05)
            .expect("a reference row");
        let v = ep::niederer(
            SlabOptions {
                dx_mm: dx,
                dt_ms: 0.05,
                end_ms: 100.0,
                cell: ep::Cell::Tp06,
                mass: Mass::Consistent,
            },
            cardiotwin::backend::Backend::Cpu,
        )
        .unwrap();
        let mut worst = 0.0f64;
        for (k, (name, _)) in ep::POINTS.iter().enumerate() {
            let ours = v["activation_ms"][name].as_f64().expect("activated");
            let theirs = reference[2 + k];
            worst = worst.max((ours - theirs).abs());
            assert!(
                (ours - theirs).abs() < tolerance,
                "dx {dx}: {name} {ours:.2} vs {theirs:.2} ms"
            );
        }
        println!("dx {dx}: worst difference {worst:.2} ms from fenicsx-beat");
    }
}
