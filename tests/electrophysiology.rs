//! `cardiotwin ep`: the electrophysiology of a scenario on its own. An S1-S2 protocol on a small ventricle
//! writes the potential series, the activation, repolarisation and APD90 maps and the summary; every node
//! is activated by S1, repolarises with a Mitchell-Schaeffer action potential, and is activated again by
//! S2; bad input is refused with the reason.

mod common;

use std::path::Path;

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
        cell: cardiotwin::ep::Cell::MitchellSchaeffer,
        vm_interval_ms: 50.0,
    };
    let s = run_ep(&s1s2(), &opts).unwrap();
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
        cell: cardiotwin::ep::Cell::MitchellSchaeffer,
        vm_interval_ms: 5.0,
    };
    let e = run_ep(&bad, &opts).unwrap_err().to_string();
    assert!(e.contains("--duration"), "{e}");
}
