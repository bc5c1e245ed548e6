//! The test problem both fast mechanics paths (the GPU step and the fused CPU step) are compared with the
//! CPU reference on: a jittered cube with every law, load and condition of the mechanics core.

use cardiotwin::anatomy::block::Block;
use cardiotwin::mechanics::material::{
    ActiveStress, FibreFrame, Guccione, HolzapfelOgden, KelvinVoigt, Material, NeoHookean,
};
use cardiotwin::mechanics::tled::{self, Scratch, Stepping, TledModel, TledState, Volumetric};
use cardiotwin::mechanics::{Constraints, Loads, PressureLoad, SpringLoad};
use cardiotwin::mesh::{Surfaces, TetMesh};
use glam::{DMat3, DVec3};

pub const NH: NeoHookean = NeoHookean {
    mu: 10.0,
    lambda: 100.0,
};

/// Surface tags of the test cube [0, 1]^3 mm.
pub const SLIDING_X0: i32 = 1;
pub const PRESSURE_Z0: i32 = 2;
pub const SPRINGS_Y0: i32 = 3;
pub const NORMAL_SPRINGS_X1: i32 = 4;

/// A jittered cube of 4^3 hexahedra (384 tetrahedra; the jitter moves interior nodes only, so the faces stay
/// flat) with its faces x = 0, z = 0, y = 0 and x = 1 tagged.
pub fn cube() -> TetMesh {
    let mesh = Block::cube(4, 1.0).with_jitter(0.1, 3).build().unwrap();
    let (faces, _) = cardiotwin::mesh::topology::boundary_faces(&mesh);
    let mut surfaces = Surfaces::default();
    for f in faces {
        let on = |axis: usize, value: f64| {
            f.nodes
                .iter()
                .all(|&n| mesh.nodes()[n as usize][axis] == value)
        };
        let tag = [
            (0, 0.0, SLIDING_X0),
            (2, 0.0, PRESSURE_Z0),
            (1, 0.0, SPRINGS_Y0),
            (0, 1.0, NORMAL_SPRINGS_X1),
        ]
        .iter()
        .find(|&&(axis, value, _)| on(axis, value))
        .map(|&(_, _, tag)| tag);
        if let Some(tag) = tag {
            surfaces.triangles.push(f.nodes);
            surfaces.tags.push(tag);
        }
    }
    mesh.with_surfaces(surfaces).unwrap()
}

/// A fibre frame per tetrahedron, rotated about a skew axis by an angle that varies from tetrahedron to
/// tetrahedron (none of f0, s0, n0 is axis-aligned).
pub fn skew_frames(n: usize) -> Vec<FibreFrame> {
    let axis = DVec3::new(1.0, 2.0, 3.0).normalize();
    (0..n)
        .map(|t| {
            let r = DMat3::from_axis_angle(axis, 0.6 + 0.3 * (t as f64 * 0.37).sin());
            FibreFrame {
                f0: r * DVec3::X,
                s0: r * DVec3::Y,
                n0: r * DVec3::Z,
            }
        })
        .collect()
}

/// Active tension per tetrahedron, kPa: `level` modulated from tetrahedron to tetrahedron.
pub fn tension(n: usize, level: f64) -> Vec<f64> {
    (0..n)
        .map(|t| level * (1.0 + 0.5 * (1.7 * t as f64).sin()))
        .collect()
}

pub struct Case {
    pub name: &'static str,
    /// The material table; tetrahedron t uses entry t % len.
    pub materials: Vec<Material>,
    pub volumetric: Volumetric,
    pub active: ActiveStress,
    pub viscosity: Option<KelvinVoigt>,
    /// Selective mass scaling to twice the physical stable step (gravity must keep the physical weight).
    pub mass_scaled: bool,
}

/// Every law (neo-Hookean, Guccione, Holzapfel-Ogden, a table of the three) with both volumetric
/// treatments, both active forms, with and without viscosity, and one mass-scaled case.
pub fn cases() -> Vec<Case> {
    let guccione = Material::Guccione(Guccione::default());
    let ho = Material::HolzapfelOgden(HolzapfelOgden::default());
    let nh = Material::NeoHookean(NH);
    let viscous = Some(KelvinVoigt { eta: 0.1 });
    let case = |name, materials, volumetric, active, viscosity, mass_scaled| Case {
        name,
        materials,
        volumetric,
        active,
        viscosity,
        mass_scaled,
    };
    use ActiveStress::{Cauchy, Pk2};
    use Volumetric::{Element, NodalAverage};
    vec![
        case(
            "neo-Hookean, element, PK2",
            vec![nh],
            Element,
            Pk2,
            None,
            false,
        ),
        case(
            "neo-Hookean, nodal, Cauchy, viscous",
            vec![nh],
            NodalAverage,
            Cauchy,
            viscous,
            false,
        ),
        case(
            "Guccione, element, Cauchy, viscous",
            vec![guccione],
            Element,
            Cauchy,
            viscous,
            false,
        ),
        case(
            "Guccione, nodal, PK2",
            vec![guccione],
            NodalAverage,
            Pk2,
            None,
            false,
        ),
        case(
            "Holzapfel-Ogden, element, PK2, viscous",
            vec![ho],
            Element,
            Pk2,
            viscous,
            false,
        ),
        case(
            "Holzapfel-Ogden, nodal, Cauchy",
            vec![ho],
            NodalAverage,
            Cauchy,
            None,
            false,
        ),
        case(
            "table NH/Guccione/HO, nodal, PK2, viscous",
            vec![nh, guccione, ho],
            NodalAverage,
            Pk2,
            viscous,
            false,
        ),
        case(
            "Holzapfel-Ogden, nodal, mass-scaled",
            vec![ho],
            NodalAverage,
            Pk2,
            viscous,
            true,
        ),
    ]
}

/// A case on a mesh, ready to step: gravity (ten times Earth's, so that it shows), 0.5 kPa on z = 0,
/// springs on y = 0 (full) and x = 1 (normal only), active tension, x = 0 sliding, the origin fixed in y
/// and z (no rigid motion left), damping 2/ms, dt = 0.5 x the stable step (2 x when mass-scaled).
pub struct Setup {
    pub model: TledModel,
    pub loads: Loads,
    pub constraints: Constraints,
    pub stepping: Stepping,
}

pub fn setup(mesh: &TetMesh, case: &Case) -> Setup {
    let n_tets = mesh.tet_count();
    let mut model = TledModel::new(mesh, case.materials[0], 1.0, Some(skew_frames(n_tets)))
        .unwrap()
        .with_volumetric(case.volumetric)
        .with_active(case.active)
        .with_viscosity(case.viscosity);
    model.materials = case.materials.clone();
    model.material_of = (0..n_tets)
        .map(|t| (t % case.materials.len()) as u32)
        .collect();
    let mut dt = 0.5 * model.stable_time_step();
    if case.mass_scaled {
        let added = model.scale_mass_to(4.0 * dt);
        assert!(added > 0.0, "{}: nothing was scaled", case.name);
        dt *= 2.0;
    }
    let loads = Loads {
        gravity: DVec3::new(0.0, 0.0, -9.81e-2),
        pressures: vec![PressureLoad::on_surfaces(mesh, &[PRESSURE_Z0], 0.5).unwrap()],
        springs: vec![
            SpringLoad::on_surfaces(mesh, &[SPRINGS_Y0], 2.0, 0.05, false).unwrap(),
            SpringLoad::on_surfaces(mesh, &[NORMAL_SPRINGS_X1], 1.0, 0.02, true).unwrap(),
        ],
        active_tension: tension(n_tets, 2.0),
    };
    let mut constraints = Constraints::default();
    constraints
        .slide_surfaces(mesh, &[SLIDING_X0], DVec3::X)
        .unwrap();
    constraints.fixed.extend([(0, 1, 0.0), (0, 2, 0.0)]);
    assert_eq!(mesh.nodes()[0], [0.0; 3]);
    Setup {
        model,
        loads,
        constraints,
        stepping: Stepping { dt, damping: 2.0 },
    }
}

/// The loads of the second half of a comparison: 1 kPa and a higher tension.
pub fn second_half(loads: &mut Loads, n_tets: usize) {
    loads.pressures[0].pressure = 1.0;
    loads.active_tension = tension(n_tets, 3.0);
}

/// max over nodes of |a - b|, mm.
pub fn largest_gap(a: &[DVec3], b: &[DVec3]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(p, q)| (*p - *q).length())
        .fold(0.0, f64::max)
}

/// `steps` steps of the reference step (`tled::step`) from `state`.
pub fn reference_steps(
    model: &TledModel,
    state: &mut TledState,
    stepping: Stepping,
    loads: &Loads,
    constraints: &Constraints,
    steps: u32,
) {
    let mut scratch = Scratch::default();
    for _ in 0..steps {
        tled::step(model, state, stepping, loads, constraints, &mut scratch).unwrap();
    }
}
