//! The mechanics verification cases behind `cardiotwin verify`, run through the library on coarse meshes:
//! the uniaxial neo-Hookean cube (exact on any mesh), Lamé's sphere (discretisation error, falling with
//! refinement), the Land 2015 beam (volumetric locking, removed by the averaged nodal pressure; bending
//! stiffness of linear tetrahedra, absent on quadratic ones), the Land ventricle with active tension (both
//! forms of the active stress) and the refusals of bad arguments.
//! Times on 2 cores in release: uniaxial 0.4 s, Lamé at refine 0.4 7 s, beam at refine 0.5 2.2 s (nodal),
//! 1.1 s (element) and 143 s on quadratic tetrahedra (256,500 steps), active ventricle 6 s (PK2) and 4 s
//! (Cauchy, both runs), passive ventricle on quadratic tetrahedra 63 s; the Lamé convergence pair (refine 0.6: 45 s) is `#[ignore]`d:
//! `cargo test --release --test verify_mechanics -- --ignored`.

mod common;

use cardiotwin::backend::Backend;
use cardiotwin::mechanics::Volumetric;
use cardiotwin::mechanics::quadratic::QuadraticVolumetric;
use cardiotwin::verify::{self, Element, Outcome, VerifyOptions};
use common::num;

fn run(case: &str, options: VerifyOptions) -> serde_json::Value {
    match verify::run(case, options, &Backend::Cpu) {
        Ok(Outcome { json, .. }) => json,
        Err(e) => panic!("{case}: {e}"),
    }
}

fn error_of(case: &str, options: VerifyOptions) -> String {
    match verify::run(case, options, &Backend::Cpu) {
        Ok(o) => panic!("{case} with {options:?} should fail, gave {}", o.json),
        Err(e) => e.to_string(),
    }
}

/// A homogeneous deformation is exact on linear tetrahedra: the only error left is the relaxation
/// tolerance (1e-6 of the force scale; measured 1e-13 because each stretch starts from the affine
/// solution).
#[test]
fn uniaxial_neo_hookean_is_exact() {
    let v = run("uniaxial-nh", VerifyOptions::default());
    let err = num(&v, "max_relative_error");
    eprintln!(
        "uniaxial-nh: max relative error {err:.2e}, {} s",
        v["solve"]["wall_s"]
    );
    assert!(err < 1e-6, "{err}");
    assert_eq!(v["pass"], true);
    assert_eq!(v["solve"]["converged"], true);
    assert_eq!(v["curve"].as_array().map(Vec::len), Some(5));
    for point in v["curve"].as_array().unwrap() {
        // Stretched along x, the cube contracts laterally.
        assert!(num(point, "lateral_stretch") < 1.0 && num(point, "cauchy_kpa") > 0.0);
    }
}

/// Lamé's sphere at refine 0.4 (h = 5 mm: one element through the 5 mm wall, 4 cells per quarter
/// circle, 1152 tetrahedra). Measured error of (stretch - 1) 0.29, an under-prediction (too stiff), on
/// every pressure step; the bound 0.35 leaves room for rounding in the relaxation but catches a sign,
/// factor or pressure-direction error (those give errors of order 1 or stretches below 1).
#[test]
fn lame_sphere_coarse_is_close_and_too_stiff() {
    let v = run(
        "lame-sphere",
        VerifyOptions {
            refine: 0.4,
            ..VerifyOptions::default()
        },
    );
    let err = num(&v, "max_relative_error_of_stretch_minus_one");
    eprintln!(
        "lame-sphere refine 0.4: error {err:.3}, {} tets, {} s",
        v["mesh"]["tets"], v["solve"]["wall_s"]
    );
    assert_eq!(v["solve"]["converged"], true);
    assert!(err < 0.35, "{err}");
    for p in v["curve"].as_array().unwrap() {
        let (inner, exact) = (num(p, "inner_stretch"), num(p, "analytic_inner_stretch"));
        assert!(
            inner > 1.0 && inner < exact,
            "inner stretch {inner} vs {exact}"
        );
        assert!(num(p, "outer_stretch") > 1.0);
    }
}

/// Refinement from one element through the wall (refine 0.4) to two (refine 0.6, 5184 tetrahedra) cuts the
/// error from 0.29 to 0.08 (measured). Not monotone below: refine 0.5 still has one layer and gives 0.33.
#[test]
#[ignore = "45 s on 2 cores; run with --ignored"]
fn lame_sphere_converges() {
    let error = |refine: f64| {
        let v = run(
            "lame-sphere",
            VerifyOptions {
                refine,
                ..VerifyOptions::default()
            },
        );
        num(&v, "max_relative_error_of_stretch_minus_one")
    };
    let (coarse, fine) = (error(0.4), error(0.6));
    eprintln!("lame-sphere: refine 0.4 {coarse:.3}, refine 0.6 {fine:.3}");
    assert!(fine < 0.5 * coarse && fine < 0.1, "{coarse} -> {fine}");
}

/// Land problem 1 at h = 0.5 mm (480 tetrahedra, two through the thickness). Measured: tip z 2.79 mm
/// with the averaged nodal pressure, 1.18 mm with the element pressure (at h = 0.25: 3.65 vs 1.45 mm;
/// consensus 4.17 mm). The element treatment locks: linear tetrahedra with kappa/C = 500 cannot bend
/// without changing the volume of each element. Bounds: the nodal tip above 2.5 mm, the element tip below
/// half of it.
#[test]
fn land_beam_locks_without_nodal_averaging() {
    let beam = |volumetric| {
        run(
            "land-beam",
            VerifyOptions {
                refine: 0.5,
                volumetric,
                ..VerifyOptions::default()
            },
        )
    };
    let (nodal, element) = (beam(Volumetric::NodalAverage), beam(Volumetric::Element));
    let (zn, ze) = (num(&nodal, "tip_z_mm"), num(&element, "tip_z_mm"));
    eprintln!(
        "land-beam h = 0.5: nodal {zn:.3} mm ({} s), element {ze:.3} mm ({} s)",
        nodal["solve"]["wall_s"], element["solve"]["wall_s"]
    );
    assert_eq!(nodal["solve"]["converged"], true);
    assert_eq!(element["solve"]["converged"], true);
    assert_eq!(nodal["solve"]["volumetric"], "nodal_average");
    assert_eq!(element["solve"]["volumetric"], "element");
    assert!(zn > 2.5 && zn < 4.17 + 0.1, "nodal tip z {zn}");
    assert!(ze > 0.5 && ze < 0.5 * zn, "element tip z {ze}");
}

/// Land problem 1 on quadratic tetrahedra with mean dilatation at h = 0.5 mm (480 tetrahedra, 1,025
/// nodes with the edge nodes): linear tetrahedra on the same mesh are stiff in bending (2.79 mm, 33%
/// short), the quadratic element bends. Measured: 4.190 mm (+0.49% against the consensus 4.17 mm), and at
/// h = 0.25 mm 4.176 mm (+0.15%, inside the converged submissions' 4.151-4.185 mm). Bound: 1% of the
/// consensus, twice the measured error at this mesh; a wrong pressure distribution or a stiff element
/// misses it by far more (the Gauss-point volumetric term, which stiffens, gives 4.049 mm here).
#[test]
fn land_beam_on_quadratic_tetrahedra_reaches_the_consensus() {
    let v = run(
        "land-beam",
        VerifyOptions {
            refine: 0.5,
            element: Element::Tet10,
            tet10_volumetric: Some(QuadraticVolumetric::MeanDilatation),
            ..VerifyOptions::default()
        },
    );
    let tip = num(&v, "tip_z_mm");
    eprintln!(
        "land-beam tet10 h = 0.5: tip z {tip:.4} mm ({} steps, {} s)",
        v["solve"]["steps"], v["solve"]["wall_s"]
    );
    assert_eq!(v["solve"]["converged"], true);
    assert_eq!(v["solve"]["element"], "tet10");
    assert_eq!(v["solve"]["volumetric"], "mean_dilatation");
    assert_eq!(v["mesh"]["nodes"], 1025);
    assert!(((tip - 4.17) / 4.17).abs() < 0.01, "tip z {tip}");
}

/// Land problem 2 on quadratic tetrahedra (Gauss-point volumetric term, the default) on the 1.5 mm
/// ventricle. Measured: endo apex z -26.626 mm, epi -28.282 mm, against the consensus -26.6 and -28.3
/// (spreads -26.9 to -26.4 and -28.5 to -28.1; linear tetrahedra: -26.42, -28.26). Bound: inside the
/// spread of the eleven codes.
#[test]
fn land_lv_passive_on_quadratic_tetrahedra_is_inside_the_spread() {
    let v = run(
        "land-lv-passive",
        VerifyOptions {
            element: Element::Tet10,
            ..VerifyOptions::default()
        },
    );
    let (endo, epi) = (num(&v, "endo_apex_z_mm"), num(&v, "epi_apex_z_mm"));
    eprintln!(
        "land-lv-passive tet10 h = 1.5: endo {endo:.3} mm, epi {epi:.3} mm ({} steps, {} s)",
        v["solve"]["steps"], v["solve"]["wall_s"]
    );
    assert_eq!(v["solve"]["converged"], true);
    assert_eq!(v["solve"]["volumetric"], "gauss_point");
    assert!((-26.9..=-26.4).contains(&endo), "endo apex z {endo}");
    assert!((-28.5..=-28.1).contains(&epi), "epi apex z {epi}");
}

/// Land problem 3 (inflation to 15 kPa and Ta = 60 kPa along the benchmark's fibres) at h = 1.5 mm
/// (7,560 tetrahedra), active stress in the PK2 form. Measured: endo apex z -12.08 mm, epi -15.49 mm
/// against the refined FEniCS participant's -12.347 and -15.452 (figure readings, about 0.1 mm). Bounds:
/// 0.5 mm at the endocardium, where the apex sits on the singular point of the prescribed fibre field and
/// the mesh moves it by 0.2 mm (h = 1.0: -11.88), 0.2 mm at the epicardium. Without the active tension
/// the apex would sink below its rest position (-17 mm); a sign error in the active stress does that.
#[test]
fn land_lv_active_pk2_is_near_the_reference() {
    let v = run("land-lv-active", VerifyOptions::default());
    let (endo, epi) = (num(&v, "endo_apex_z_mm"), num(&v, "epi_apex_z_mm"));
    eprintln!(
        "land-lv-active h = 1.5: endo {endo:.3} mm, epi {epi:.3} mm ({} s)",
        v["solve"]["wall_s"]
    );
    assert_eq!(v["solve"]["converged"], true);
    assert_eq!(v["active_stress"], "pk2");
    assert!((endo - -12.347).abs() < 0.5, "endo apex z {endo}");
    assert!((epi - -15.452).abs() < 0.2, "epi apex z {epi}");
}

/// The Cauchy form Ta J / I4f f0 (x) f0 on the same 1.5 mm ventricle: with the averaged nodal pressure
/// a tetrahedron beside the apex inverts (VERIFICATION.md: the nodal average leaves each element's own
/// volume free, and the active force, which grows as the fibre shortens, collapses one where the fibre
/// field is singular); the run must stop with that diagnosis, naming the tetrahedron, not write a
/// deformed state. With the element pressure the same problem converges (endo apex -12.47 mm measured),
/// which is what ties the failure to the nodal average rather than to the active law.
#[test]
fn land_lv_cauchy_active_inverts_only_with_the_nodal_average() {
    let cauchy = |volumetric| VerifyOptions {
        cauchy_active: true,
        volumetric,
        ..VerifyOptions::default()
    };
    let e = error_of("land-lv-active", cauchy(Volumetric::NodalAverage));
    assert!(e.contains("tetrahedron") && e.contains("inverted"), "{e}");
    let v = run("land-lv-active", cauchy(Volumetric::Element));
    let endo = num(&v, "endo_apex_z_mm");
    eprintln!("land-lv-active, Cauchy form, element pressure: endo apex z {endo:.3} mm");
    assert_eq!(v["solve"]["converged"], true);
    assert_eq!(v["active_stress"], "cauchy");
    // Contracted above the rest apex (-17 mm) and not through the base plane.
    assert!(endo > -17.0 && endo < 5.0, "endo apex z {endo}");
}

#[test]
fn bad_cases_and_refinements_are_refused() {
    let e = error_of("no-such-case", VerifyOptions::default());
    for known in verify::CASES.iter().chain(&["circulation-0d"]) {
        assert!(e.contains(known), "{e} does not name {known}");
    }
    assert!(e.contains("no-such-case"), "{e}");
    for refine in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let e = error_of(
            "uniaxial-nh",
            VerifyOptions {
                refine,
                ..VerifyOptions::default()
            },
        );
        assert!(e.contains("refine"), "{e}");
    }
    let tet10 = VerifyOptions {
        element: Element::Tet10,
        ..VerifyOptions::default()
    };
    let e = error_of("uniaxial-nh", tet10);
    assert!(e.contains("tet10") && e.contains("land-beam"), "{e}");
    let e = error_of(
        "land-beam",
        VerifyOptions {
            volumetric: Volumetric::Element,
            ..tet10
        },
    );
    assert!(e.contains("--tet10-volumetric"), "{e}");
    let e = error_of(
        "land-beam",
        VerifyOptions {
            tet10_volumetric: Some(QuadraticVolumetric::MeanDilatation),
            ..VerifyOptions::default()
        },
    );
    assert!(e.contains("--element tet10"), "{e}");
}
