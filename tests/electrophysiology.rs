//! `cardiotwin ep`: the electrophysiology of a scenario on its own. An S1-S2 protocol on a small ventricle
//! writes the potential series, the activation, repolarisation and APD90 maps and the summary; every node
//! is activated by S1, repolarises with a Mitchell-Schaeffer action potential, and is activated again by
//! S2; bad input is refused with the reason.

mod common;

use std::path::Path;

use cardiotwin::backend::Backend;
use cardiotwin::heartbeat::Scenario;
use cardiotwin::heartbeat::electrophysiology::{EpOptions, run_ep};
use cardiotwin::mesh::io::pvd::read_pvd;

fn s1s2() -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/heartbeat/ep_s1s2.toml");
    Scenario::from_file(&path).unwrap()
}

#[test]
fn an_s1_s2_protocol_writes_potentials_and_maps_and_every_node_fires_twice() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ep-s1s2");
    let _ = std::fs::remove_dir_all(&dir);
    let opts = EpOptions {
        out: dir.clone(),
        duration_ms: 700.0,
        cell: Some(cardiotwin::heartbeat::scenario::CellChoice::MitchellSchaeffer),
        vm_interval_ms: 50.0,
    };
    let s = run_ep(&s1s2(), &opts, &Backend::Cpu).unwrap();
    println!("{s:#?}");
    // Every node activated, repolarised, and activated again by S2.
    assert_eq!(s.activated_nodes, s.nodes);
    assert_eq!(s.repolarised_nodes, s.nodes);
    assert_eq!(s.reactivated_nodes, s.nodes);
    // The wave crosses the ventricle in a physiological time at the scenario's speeds (0.6 / 0.24 m/s
    // with the fast endocardial layer).
    let total = s.total_activation_ms.unwrap();
    assert!((50.0..=150.0).contains(&total), "{total} ms");
    // Mitchell-Schaeffer's action potential (tau_close 150 ms): APD90 between 200 and 400 ms.
    let (lo, hi) = (s.apd90_min_ms.unwrap(), s.apd90_max_ms.unwrap());
    assert!(lo > 200.0 && hi < 400.0, "APD90 {lo}..{hi} ms");
    assert!((s.monodomain.strip_fibre_speed_m_s / 0.6 - 1.0).abs() < 0.02);

    // The files: 15 potential frames (0 to 700 ms every 50), the maps, the summary.
    let entries = read_pvd(&dir.join("vm.pvd")).unwrap();
    assert_eq!(entries.len(), 15);
    assert_eq!(s.vm_frames, 15);
    let frame = cardiotwin::mesh::io::read(&dir.join(&entries[1].file)).unwrap();
    let vm = &frame.point_field("vm_mv").expect("vm_mv").data;
    assert_eq!(vm.len(), s.nodes);
    // At 50 ms the wave is under way: some nodes depolarised, some still at rest.
    assert!(vm.iter().any(|&v| v > 0.0) && vm.iter().any(|&v| v < -70.0));
    let maps = cardiotwin::mesh::io::read(&dir.join("activation.vtu")).unwrap();
    let field = |n: &str| maps.point_field(n).expect(n).data.clone();
    let (act, last, rep, apd) = (
        field("activation_time_ms"),
        field("last_activation_time_ms"),
        field("repolarisation_time_ms"),
        field("apd90_ms"),
    );
    for i in 0..s.nodes {
        assert!(
            act[i] >= 0.0 && rep[i] > act[i] && last[i] > rep[i],
            "node {i}"
        );
        assert!(last[i] >= 350.0, "node {i}: S2 wave at {} ms", last[i]);
        assert!((apd[i] - (rep[i] - act[i])).abs() < 1e-9);
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["cell_model"], "mitchell-schaeffer");
    assert!(dir.join("scenario.toml").is_file());
}

#[test]
fn ep_refuses_what_it_cannot_run_with_the_reason() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ep-refused");
    // The default scenario has no pacing sites.
    let out = common::cardiotwin(
        &[
            "ep",
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data/heartbeat/quick.toml")
                .to_str()
                .unwrap(),
            "--out",
            dir.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        common::text(&out).contains("[[activation.sites]]"),
        "{}",
        common::text(&out)
    );
    let mut bad = s1s2();
    bad.mesh.element_size_mm = Some(5.0);
    let opts = EpOptions {
        out: dir.clone(),
        duration_ms: -1.0,
        cell: Some(cardiotwin::heartbeat::scenario::CellChoice::MitchellSchaeffer),
        vm_interval_ms: 5.0,
    };
    let e = run_ep(&bad, &opts, &Backend::Cpu).unwrap_err().to_string();
    assert!(e.contains("--duration"), "{e}");
}

/// Cells per node from the scenario: `tp06-transmural` puts endocardial, M and epicardial TP06 cells in
/// the thirds of the wall; a `[[regions]]` entry with `cell` overrides `activation.cell` on the nodes of its
/// tetrahedra. `cardiotwin ep` with the transmural cells activates the whole ventricle and reports each
/// cell's nodes.
#[test]
fn cells_follow_the_wall_and_the_regions() {
    use cardiotwin::ep::Cell;
    use cardiotwin::heartbeat::activation::NodeCells;
    use cardiotwin::heartbeat::heart::Anatomy;
    use cardiotwin::heartbeat::scenario::{CellChoice, RegionMaterial};

    let mut scenario = s1s2();
    scenario.activation.sites.truncate(1);
    let mut anatomy = Anatomy::build(&scenario).unwrap();
    let phi = anatomy.coords.transmural.clone();
    let wall = NodeCells::from_scenario(&anatomy, &scenario, Some(CellChoice::Tp06Transmural));
    assert_eq!(wall.cells, [Cell::Tp06, Cell::Tp06Endo, Cell::Tp06Mid]);
    for (i, &k) in wall.cell_of.iter().enumerate() {
        let want = match phi[i] {
            p if p < 1.0 / 3.0 => Cell::Tp06Endo,
            p if p < 2.0 / 3.0 => Cell::Tp06Mid,
            _ => Cell::Tp06,
        };
        assert_eq!(wall.cells[k as usize], want, "node {i}, phi {}", phi[i]);
    }

    // A region of the apical tetrahedra on TP06, the rest on the scenario's Mitchell-Schaeffer.
    let mesh = &anatomy.mesh;
    let regions: Vec<i32> = (0..mesh.tet_count())
        .map(|t| {
            let tet = mesh.tets()[t];
            let h = tet.iter().map(|&n| anatomy.height[n as usize]).sum::<f64>() / 4.0;
            if h < 0.3 { 7 } else { 1 }
        })
        .collect();
    anatomy.mesh = anatomy.mesh.clone().with_regions(regions.clone()).unwrap();
    scenario.regions.push(RegionMaterial {
        region: 7,
        material: scenario.material,
        contractility: 1.0,
        conduction: 1.0,
        cell: Some(CellChoice::Tp06),
    });
    let mixed = NodeCells::from_scenario(&anatomy, &scenario, None);
    assert_eq!(mixed.cells, [Cell::MitchellSchaeffer, Cell::Tp06]);
    let mut in_region = vec![false; anatomy.mesh.node_count()];
    for (tet, &r) in anatomy.mesh.tets().iter().zip(&regions) {
        if r == 7 {
            tet.iter().for_each(|&n| in_region[n as usize] = true);
        }
    }
    for (i, &k) in mixed.cell_of.iter().enumerate() {
        let want = if in_region[i] {
            Cell::Tp06
        } else {
            Cell::MitchellSchaeffer
        };
        assert_eq!(mixed.cells[k as usize], want, "node {i}");
    }
    // Mixed models: the activation level every upstroke crosses, the repolarisation level every
    // action potential comes back through.
    assert_eq!(
        mixed.thresholds_mv(),
        (
            Cell::MitchellSchaeffer.thresholds_mv().0,
            Cell::MitchellSchaeffer.thresholds_mv().1
        )
    );

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ep-transmural");
    let _ = std::fs::remove_dir_all(&dir);
    let opts = EpOptions {
        out: dir.clone(),
        duration_ms: 150.0,
        cell: Some(CellChoice::Tp06Transmural),
        vm_interval_ms: 0.0,
    };
    let scenario = {
        let mut s = s1s2();
        s.activation.sites.truncate(1);
        s
    };
    let s = run_ep(&scenario, &opts, &Backend::Cpu).unwrap();
    println!("{:?} total {:?} ms", s.cells, s.total_activation_ms);
    assert_eq!(s.cell_model, "mixed");
    assert_eq!(s.activated_nodes, s.nodes);
    assert_eq!(s.activation_threshold_mv, 0.0);
    assert_eq!(s.cells.len(), 3);
    assert_eq!(s.cells.iter().map(|c| c.nodes).sum::<usize>(), s.nodes);
    assert!(s.cells.iter().all(|c| c.nodes > 0));
    // activation.vtu says which cell each node runs, as counted in the summary.
    let maps = cardiotwin::mesh::io::read(&dir.join("activation.vtu")).unwrap();
    let cell = &maps.point_field("cell").expect("cell").data;
    for (k, c) in s.cells.iter().enumerate() {
        let n = cell.iter().filter(|&&v| v == k as f64).count();
        assert_eq!(n, c.nodes, "{}", c.cell);
    }
    let total = s.total_activation_ms.unwrap();
    assert!((50.0..=150.0).contains(&total), "{total} ms");
}
