//! Computed activation in the heartbeat: the eikonal solver from pacing sites on the CT-derived Rodero LV
//! (apex and lateral-wall pacing, a fast endocardial layer, a non-conducting scar), and the scenario keys
//! that drive it.

use cardiotwin::heartbeat::Scenario;
use cardiotwin::heartbeat::heart::Heart;
use cardiotwin::heartbeat::scenario::{ActivationMode, PacingSite};

fn site_at(landmark: Option<&str>, position: Option<[f64; 3]>) -> PacingSite {
    PacingSite {
        position_mm: position,
        landmark: landmark.map(str::to_string),
        surface: Vec::new(),
        radius_mm: 3.0,
        time_ms: 0.0,
    }
}

fn eikonal(sites: Vec<PacingSite>, layer: f64) -> Scenario {
    let mut s = Scenario::default();
    s.activation.mode = ActivationMode::Eikonal;
    s.activation.sites = sites;
    s.activation.endocardial_layer = layer;
    s
}

/// A mid-ventricular epicardial point opposite the LV's centroid from the apex-base axis, in the
/// direction of +x (the Rodero LV's free wall side is not labelled; any mid-wall site paces the wall).
fn lateral_point(heart: &Heart) -> [f64; 3] {
    let mesh = &heart.mesh;
    let h = &mesh.point_field("long_axis_height").unwrap().data;
    let phi = &mesh.point_field("transmural").unwrap().data;
    let (mut best, mut score) = (0, f64::NEG_INFINITY);
    for (n, p) in mesh.nodes().iter().enumerate() {
        if phi[n] > 0.99 && (h[n] - 0.5).abs() < 0.05 && p[0] > score {
            score = p[0];
            best = n;
        }
    }
    mesh.nodes()[best]
}

#[test]
fn apex_and_lateral_pacing_activate_the_lv_in_a_physiological_time() {
    let prescribed = Heart::build(&Scenario::default()).unwrap();
    let lateral = lateral_point(&prescribed);
    let layer = Scenario::default().activation.endocardial_layer;
    let total = |scenario: Scenario| {
        let heart = Heart::build(&scenario).unwrap();
        let r = &heart.report;
        assert_eq!(r.activation_mode, "eikonal");
        assert_eq!(r.never_activated_tets, 0);
        assert!(r.activation_first_ms >= 0.0 && r.activation_first_ms < 10.0);
        r.total_activation_ms
    };
    // With the default fast endocardial layer (Purkinje-like, inner 10% of the wall at 3x the fibre
    // speed): measured 116 ms (apex), 100 ms (lateral wall), 104 ms (endocardial apex).
    let apex = total(eikonal(vec![site_at(Some("apex"), None)], layer));
    let side = total(eikonal(vec![site_at(None, Some(lateral))], layer));
    let endo = total(eikonal(
        vec![site_at(Some("endocardial-apex"), None)],
        layer,
    ));
    println!("total activation: apex {apex:.1}, lateral {side:.1}, endocardial apex {endo:.1} ms");
    for t in [apex, side, endo] {
        assert!((80.0..=150.0).contains(&t), "{t} ms");
    }
    // Without it, through the myocardium alone (0.6 / 0.24 m/s): measured 243 ms from the apex, about
    // twice as long, as paced activation that does not engage the conduction system is.
    let slow = total(eikonal(vec![site_at(Some("apex"), None)], 0.0));
    println!("apex, myocardium only: {slow:.1} ms");
    assert!(slow > 1.6 * apex, "{slow} vs {apex}");
}

#[test]
fn the_heart_beats_on_eikonal_activation_and_sites_are_checked() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/heartbeat/quick.toml");
    let mut s = Scenario::from_file(&path).unwrap();
    s.activation.mode = ActivationMode::Eikonal;
    s.activation.sites = vec![site_at(Some("endocardial-apex"), None)];
    s.beats = 1;
    s.outputs.field_interval_ms = 0.0;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("activation-eikonal-beat");
    let _ = std::fs::remove_dir_all(&dir);
    let summary = cardiotwin::heartbeat::run(
        Some(s.clone()),
        &cardiotwin::heartbeat::RunOptions {
            out: dir,
            beats: None,
            resume: false,
            backend: cardiotwin::backend::BackendChoice::Cpu,
            progress: false,
            stop_after: None,
            adapter: None,
        },
    )
    .unwrap();
    assert_eq!(summary.run.activation_mode, "eikonal");
    let b = &summary.beats[0];
    assert!(
        b.ef > 0.15 && b.peak_lv_pressure_mmhg > b.aortic_diastolic_mmhg,
        "{b:?}"
    );

    // A site far outside the heart, a landmark that does not exist, no site at all.
    let mut bad = s.clone();
    bad.activation.sites = vec![site_at(None, Some([1e3, 0.0, 0.0]))];
    let e = Heart::build(&bad).err().unwrap().to_string();
    assert!(
        e.contains("`activation.sites[0]`") && e.contains("outside"),
        "{e}"
    );
    let text = "[activation]\nmode = \"eikonal\"\n[[activation.sites]]\nlandmark = \"base\"\n";
    let e = Scenario::from_toml(text, "x.toml").unwrap_err().to_string();
    assert!(e.contains("`activation.sites[0].landmark`"), "{e}");
    let e = Scenario::from_toml("[activation]\nmode = \"eikonal\"\n", "x.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("`activation.sites`"), "{e}");
}
