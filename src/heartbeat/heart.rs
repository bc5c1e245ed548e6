//! The finite-element heart of a scenario: mesh, coordinates and fibres, the mechanics model with its
//! supports, the cavities coupled to the circulation, and each element's activation time.

use std::path::Path;

use serde::Serialize;

use super::activation::{self, Twitch};
use super::scenario::{ActivationMode, FibreRule, Scenario, SurfaceRef};
use crate::anatomy::coordinates::{VentricleSurfaces, VentricularCoordinates};
use crate::anatomy::{arostica_biv, arostica_ellipsoid, fibres, land_ellipsoid, rodero_lv};
use crate::backend::Backend;
use crate::coupling::cavity::Cavity;
use crate::error::{Error, Result};
use crate::mechanics::loads::{Loads, PressureLoad, SpringLoad};
use crate::mechanics::material::{FibreFrame, KelvinVoigt};
use crate::mechanics::tled::{SimError, TledModel};
use crate::mesh::TetMesh;

/// A built heart, ready to step.
pub struct Heart {
    /// The mesh (mm) with the point fields `transmural` and `apicobasal`.
    pub mesh: TetMesh,
    pub model: TledModel,
    /// `pressures[0]` on the LV endocardium, `pressures[1]` on the RV endocardium when the mesh has one;
    /// springs on the epicardium and the base; active tension per tetrahedron.
    pub loads: Loads,
    pub lv: Cavity,
    pub rv: Option<Cavity>,
    /// Activation time of every tetrahedron within a beat, ms; infinite where the activation never arrives.
    pub activation_ms: Vec<f64>,
    /// Multiplier of the twitch per tetrahedron (region contractility).
    pub contractility: Vec<f64>,
    pub twitch: Twitch,
    /// Time step, ms.
    pub dt: f64,
    pub report: HeartReport,
}

/// The geometry of a scenario's heart before any physics: the mesh (mm) with its point fields
/// `transmural`, `apicobasal` and `long_axis_height`, its surfaces, ventricular coordinates and fibres.
pub struct Anatomy {
    pub mesh: TetMesh,
    pub surfaces: VentricleSurfaces,
    pub coords: VentricularCoordinates,
    pub fibres: crate::anatomy::fibres::FibreField,
    /// Height along the long axis per node, 0 at the apex and 1 at the most basal node.
    pub height: Vec<f64>,
}

impl Anatomy {
    /// The mesh of `scenario` with its surfaces resolved, coordinates and fibres computed.
    pub fn build(scenario: &Scenario) -> Result<Anatomy> {
        let mut mesh = load_mesh(scenario)?;
        let spec = &scenario.mesh;
        let tags = |what: &str, refs: &[SurfaceRef]| surface_tags(&mesh, what, refs);
        let surfaces = VentricleSurfaces {
            lv_endo: tags("mesh.lv_endocardium", &spec.lv_endocardium)?,
            rv_endo: tags("mesh.rv_endocardium", &spec.rv_endocardium)?,
            epi: tags("mesh.epicardium", &spec.epicardium)?,
            base: tags("mesh.base", &spec.base)?,
            septum_direction: None,
        };
        let coords = VentricularCoordinates::compute(&mesh, &surfaces)
            .map_err(|e| Error::Invalid(format!("ventricular coordinates: {e}")))?;
        let field = match scenario.fibres.rule {
            FibreRule::Ldrb => {
                let f = &scenario.fibres;
                fibres::ldrb(
                    &mesh,
                    &coords,
                    fibres::LdrbAngles {
                        alpha_endo: f.alpha_endo_deg,
                        alpha_epi: f.alpha_epi_deg,
                        beta_endo: f.beta_endo_deg,
                        beta_epi: f.beta_epi_deg,
                    },
                )
            }
            FibreRule::Mesh => {
                fibres::from_point_fields(&mesh, "fiber", "sheet").ok_or_else(|| {
                    Error::Invalid(format!(
                        "fibres.rule = \"mesh\": {} has no point fields `fiber` and `sheet`",
                        spec.source
                    ))
                })?
            }
        };
        let height = long_axis_height(&mesh, &coords);
        for (name, data) in [
            ("transmural", &coords.transmural),
            ("apicobasal", &coords.apicobasal),
            ("long_axis_height", &height),
        ] {
            mesh.add_point_field(crate::mesh::Field::new(name, 1, data.clone()))?;
        }
        Ok(Anatomy {
            mesh,
            surfaces,
            coords,
            fibres: field,
            height,
        })
    }
}

/// How the heart was built, for `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct HeartReport {
    pub mesh: String,
    pub nodes: usize,
    pub tets: usize,
    pub lv_endocardium_triangles: usize,
    pub rv_endocardium_triangles: Option<usize>,
    /// Cavity volumes of the unloaded mesh, mL.
    pub lv_unloaded_volume_ml: f64,
    pub rv_unloaded_volume_ml: Option<f64>,
    /// Wall (tissue) volume, mL, and mass, g.
    pub wall_volume_ml: f64,
    pub wall_mass_g: f64,
    pub fibre_rule: FibreRule,
    pub degenerate_fibre_frames: usize,
    /// Earliest and latest activation time, ms; their difference is the total activation time.
    pub activation_first_ms: f64,
    pub activation_last_ms: f64,
    /// `activation_last_ms - activation_first_ms`.
    pub total_activation_ms: f64,
    /// Tetrahedra the activation never reaches (non-conducting, or cut off by non-conducting tissue):
    /// they never contract.
    pub never_activated_tets: usize,
    pub activation_mode: &'static str,
    /// The monodomain activation's tuned conductivities and run (activation mode `monodomain`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monodomain: Option<activation::MonodomainReport>,
    /// Stable explicit step without mass scaling, the step taken, and the mass added to lift it (fraction
    /// of the wall's mass).
    pub stable_time_step_ms: f64,
    pub time_step_ms: f64,
    pub added_mass_fraction: f64,
}

impl Heart {
    /// `e` with its node and tetrahedron indices in the numbering of the mesh as read ([`INPUT_NODE`],
    /// [`INPUT_CELL`]), which is where a user looks them up.
    pub fn in_input_numbering(&self, e: SimError) -> SimError {
        in_input_numbering(&self.mesh, e)
    }

    /// Builds the heart of `scenario` (a monodomain activation runs on the CPU).
    pub fn build(scenario: &Scenario) -> Result<Heart> {
        Heart::build_on(scenario, &Backend::Cpu)
    }

    /// Builds the heart of `scenario`; a monodomain activation runs on `backend`.
    pub fn build_on(scenario: &Scenario, backend: &Backend) -> Result<Heart> {
        let anatomy = Anatomy::build(scenario)?;
        let mut monodomain = None;
        let activation_ms = match scenario.activation.mode {
            ActivationMode::Eikonal => activation::eikonal_times(&anatomy, scenario)?,
            ActivationMode::Monodomain => {
                let (times, report) = activation::monodomain_times(&anatomy, scenario, backend)?;
                monodomain = Some(report);
                times
            }
            ActivationMode::Prescribed => activation::prescribed_times(
                anatomy.mesh.tets(),
                &anatomy.coords.transmural,
                &anatomy.height,
                &scenario.activation,
            ),
        };
        let Anatomy {
            mesh,
            surfaces,
            fibres: field,
            ..
        } = anatomy;
        let spec = &scenario.mesh;
        let n = &scenario.numerics;
        let mut model = TledModel::new(
            &mesh,
            scenario.material,
            n.density_mg_per_mm3,
            Some(FibreFrame::from_field(&field)),
        )
        .map_err(|e| in_input_numbering(&mesh, e))?
        .with_active(scenario.contraction.form)
        .with_viscosity((n.viscosity_kpa_ms > 0.0).then_some(KelvinVoigt {
            eta: n.viscosity_kpa_ms,
        }));
        let mut contractility = vec![1.0; mesh.tet_count()];
        for (i, r) in scenario.regions.iter().enumerate() {
            let changed = model.set_region_material(r.region, r.material)?;
            if changed == 0 {
                let mut present: Vec<i32> = mesh.regions().to_vec();
                present.sort_unstable();
                present.dedup();
                return Err(Error::Invalid(format!(
                    "scenario key `regions[{i}].region`: no tetrahedron has region {}; the mesh has \
                     regions {present:?}",
                    r.region
                )));
            }
            for (t, c) in contractility.iter_mut().enumerate() {
                if mesh.regions()[t] == r.region {
                    *c = r.contractility;
                }
            }
        }
        let stable = model.stable_time_step();
        let (dt, added) = model.scale_mass_within(n.max_added_mass);
        let dt = dt * n.safety;

        let b = &scenario.boundary;
        let mut pressures = vec![PressureLoad::on_surfaces(&mesh, &surfaces.lv_endo, 0.0)?];
        if !surfaces.rv_endo.is_empty() {
            pressures.push(PressureLoad::on_surfaces(&mesh, &surfaces.rv_endo, 0.0)?);
        }
        let mut springs = vec![SpringLoad::on_surfaces(
            &mesh,
            &surfaces.epi,
            b.epicardium_kpa_per_mm,
            b.epicardium_damping_kpa_ms_per_mm,
            true,
        )?];
        if !surfaces.base.is_empty() {
            springs.push(SpringLoad::on_surfaces(
                &mesh,
                &surfaces.base,
                b.base_kpa_per_mm,
                b.base_damping_kpa_ms_per_mm,
                false,
            )?);
        }
        let loads = Loads {
            pressures,
            springs,
            active_tension: vec![0.0; mesh.tet_count()],
            ..Loads::default()
        };
        let lv = Cavity::new(&mesh, "LV", &surfaces.lv_endo)?;
        let rv = if surfaces.rv_endo.is_empty() {
            None
        } else {
            Some(Cavity::new(&mesh, "RV", &surfaces.rv_endo)?)
        };
        let (first, last) = activation_ms
            .iter()
            .filter(|t| t.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &t| {
                (a.min(t), b.max(t))
            });
        let never = activation_ms.iter().filter(|t| !t.is_finite()).count();
        let period = scenario.period_ms();
        if last + scenario.contraction.duration_ms > period {
            return Err(Error::Invalid(format!(
                "scenario key `contraction.duration_ms`: {} ms after the last activation ({last:.0} ms) \
                 outlasts the heart period {period:.0} ms: the muscle would not relax before the next beat",
                scenario.contraction.duration_ms
            )));
        }
        let wall_volume: f64 = model.volume0.iter().sum();
        let rest = &model.rest;
        let report = HeartReport {
            mesh: spec.source.clone(),
            nodes: mesh.node_count(),
            tets: mesh.tet_count(),
            lv_endocardium_triangles: loads.pressures[0].faces.len(),
            rv_endocardium_triangles: loads.pressures.get(1).map(|p| p.faces.len()),
            lv_unloaded_volume_ml: lv.volume(rest) * 1e-3,
            rv_unloaded_volume_ml: rv.as_ref().map(|c| c.volume(rest) * 1e-3),
            wall_volume_ml: wall_volume * 1e-3,
            wall_mass_g: wall_volume * n.density_mg_per_mm3 * 1e-3,
            fibre_rule: scenario.fibres.rule,
            degenerate_fibre_frames: field.degenerate,
            activation_first_ms: first,
            activation_last_ms: last,
            total_activation_ms: last - first,
            never_activated_tets: never,
            activation_mode: match scenario.activation.mode {
                ActivationMode::Eikonal => "eikonal",
                ActivationMode::Monodomain => "monodomain",
                ActivationMode::Prescribed => "prescribed",
            },
            monodomain,
            stable_time_step_ms: stable,
            time_step_ms: dt,
            added_mass_fraction: added,
        };
        Ok(Heart {
            mesh,
            model,
            loads,
            lv,
            rv,
            activation_ms,
            contractility,
            twitch: Twitch::new(&scenario.contraction),
            dt,
            report,
        })
    }
}

/// Height along the long axis, 0 at the apex node and 1 at the node farthest towards the base. Unlike
/// the Laplace apicobasal coordinate (pinned at one apex node, hence steep near it and flat over most of
/// the wall when the base is only the valve rims, as on the Rodero LV) it grows linearly from apex to
/// base, as the activation rule needs.
fn long_axis_height(mesh: &TetMesh, coords: &VentricularCoordinates) -> Vec<f64> {
    let apex = glam::DVec3::from_array(mesh.nodes()[coords.apex]);
    let axis = glam::DVec3::from_array(coords.long_axis);
    let h: Vec<f64> = mesh
        .nodes()
        .iter()
        .map(|p| (glam::DVec3::from_array(*p) - apex).dot(axis).max(0.0))
        .collect();
    let top = h.iter().copied().fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    h.into_iter().map(|v| v / top).collect()
}

/// Point field of a heart's mesh: each node's index in the mesh as read (0-based), which the renumbering
/// at load changes. Written into every field file, so that results map back to the input.
pub const INPUT_NODE: &str = "input_node";
/// Cell field of a heart's mesh: each tetrahedron's index in the mesh as read (0-based).
pub const INPUT_CELL: &str = "input_cell";

/// `e` on `mesh` (a heart's, with [`INPUT_NODE`] and [`INPUT_CELL`]) with its node and tetrahedron
/// indices in the numbering of the mesh as read.
fn in_input_numbering(mesh: &TetMesh, e: SimError) -> SimError {
    let input = |field: Option<&crate::mesh::Field>, i: usize| {
        field
            .filter(|f| i < f.len())
            .map_or(i, |f| f.get(i)[0] as usize)
    };
    let (nodes, cells) = (mesh.point_field(INPUT_NODE), mesh.cell_field(INPUT_CELL));
    e.renumbered(|n| input(nodes, n), |t| input(cells, t))
}

/// Whether a field of a heart's mesh is one of the input numbering's ([`INPUT_NODE`], [`INPUT_CELL`]).
pub fn is_input_numbering(name: &str) -> bool {
    name == INPUT_NODE || name == INPUT_CELL
}

/// The scenario's mesh: a built-in one or a file, reduced to the nodes its tetrahedra use and renumbered
/// in space ([`crate::mesh::renumber`]), so that every solver of the heart and its outputs see nodes near
/// in space near in memory, whatever the file's order (unless `mesh.file_order`); [`INPUT_NODE`] and
/// [`INPUT_CELL`] keep the order as read.
fn load_mesh(scenario: &Scenario) -> Result<TetMesh> {
    let spec = &scenario.mesh;
    let h = spec.element_size_mm;
    let mut mesh = match spec.source.as_str() {
        "rodero-lv" => rodero_lv::lv().map_err(|e| Error::Invalid(e.to_string()))?,
        "arostica-biv" => arostica_biv::coarse().map_err(|e| Error::Invalid(e.to_string()))?,
        "land-lv" => land_ellipsoid::LandEllipsoid::with_element_size(h.unwrap_or(2.0)).build()?,
        "arostica-lv" => {
            arostica_ellipsoid::ArosticaEllipsoid::with_element_size(h.unwrap_or(5.0)).build()?
        }
        path => crate::mesh::io::read(Path::new(path)).map_err(|e| {
            Error::Invalid(format!(
                "scenario key `mesh.source`: {e} (built-in meshes: {})",
                super::scenario::BUILTIN_MESHES.join(", ")
            ))
        })?,
    };
    let index = |n: usize| (0..n).map(|i| i as f64).collect();
    mesh.add_point_field(crate::mesh::Field::new(
        INPUT_NODE,
        1,
        index(mesh.node_count()),
    ))?;
    mesh.add_cell_field(crate::mesh::Field::new(
        INPUT_CELL,
        1,
        index(mesh.tet_count()),
    ))?;
    let mesh = crate::mesh::extract::without_unused_nodes(&mesh)?.unwrap_or(mesh);
    Ok(if spec.file_order {
        mesh
    } else {
        crate::mesh::renumber::spatially_ordered(&mesh).0
    })
}

/// Surface tags from tags or names; an unknown name or a tag no triangle carries is an error naming the
/// scenario key and what the mesh has.
pub fn surface_tags(mesh: &TetMesh, key: &str, refs: &[SurfaceRef]) -> Result<Vec<i32>> {
    let mut present: Vec<i32> = mesh.surfaces().tags.clone();
    present.sort_unstable();
    present.dedup();
    refs.iter()
        .map(|r| match r {
            SurfaceRef::Tag(t) if present.contains(t) => Ok(*t),
            SurfaceRef::Tag(t) => Err(Error::Invalid(format!(
                "scenario key `{key}`: no surface triangle has tag {t}; the mesh has tags {present:?} \
                 (names: {:?})",
                mesh.surface_names
            ))),
            SurfaceRef::Name(name) => mesh
                .surface_names
                .iter()
                .find(|(_, n)| n.eq_ignore_ascii_case(name))
                .map(|(t, _)| *t)
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "scenario key `{key}`: no surface is named {name:?}; the mesh's surfaces are {:?}",
                        mesh.surface_names
                    ))
                }),
        })
        .collect()
}
