//! The scenario file (TOML): everything a heartbeat run depends on, with the built-in default
//! ([`Scenario::default`], printed by `cardiotwin scenario show`). Every table and key is optional; what
//! is left out takes the default. Unknown keys are errors, and [`Scenario::validate`] names the key of
//! any value out of range.
//!
//! Units are in the key names: `_ms`, `_kpa`, `_mmhg`, `_ml`, `_per_mm`, `_deg`; the circulation table
//! keeps the units of [`crate::coupling::circulation`] (mL, mmHg, s).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::coupling::circulation::CirculationParams;
use crate::mechanics::material::{ActiveStress, Material};

/// A heartbeat scenario. See the module docs and `cardiotwin scenario show`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// Free text, copied to `summary.json`.
    pub name: String,
    /// Heart rate, beats per minute. Sets the circulation's period; the chamber timings of the
    /// `circulation` table (given for its own `heart_rate_hz`) are scaled with the period.
    pub heart_rate_bpm: f64,
    /// Beats to simulate after the preload (`--beats` overrides).
    pub beats: u32,
    pub mesh: MeshSpec,
    /// Passive law of every tetrahedron, unless a `[[regions]]` entry overrides it.
    pub material: Material,
    /// Per-region materials (mesh region ids), e.g. an infarct scar.
    pub regions: Vec<RegionMaterial>,
    pub fibres: Fibres,
    pub boundary: Boundary,
    pub activation: Activation,
    pub contraction: Contraction,
    pub coupling: Coupling,
    pub numerics: Numerics,
    /// The closed-loop circulation (Regazzoni et al. 2022); the FE cavities replace the LV (and RV)
    /// elastances.
    pub circulation: CirculationParams,
    pub outputs: Outputs,
}

/// Which mesh and which of its surfaces are what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MeshSpec {
    /// A built-in mesh (`rodero-lv`, `arostica-biv`, `land-lv`, `arostica-lv`) or a mesh file path
    /// (relative paths are relative to the scenario file).
    pub source: String,
    /// Element size of a generated built-in mesh (`land-lv`, `arostica-lv`), mm.
    pub element_size_mm: Option<f64>,
    /// LV endocardium: surface tags (integers) or names.
    pub lv_endocardium: Vec<SurfaceRef>,
    /// RV endocardium; empty for an LV-only mesh (the RV then stays a 0D elastance chamber).
    pub rv_endocardium: Vec<SurfaceRef>,
    pub epicardium: Vec<SurfaceRef>,
    /// Base or valve rims: held by springs.
    pub base: Vec<SurfaceRef>,
    /// Keep the nodes and tetrahedra in the file's order instead of renumbering them in space
    /// ([`crate::mesh::renumber`]): outputs then match the input node for node (nodes of no tetrahedron
    /// are still dropped), at the cost of the speed the renumbering gives (up to 2x on the GPU for a mesh
    /// numbered in no spatial order). Default false.
    pub file_order: bool,
}

/// A surface by tag or by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SurfaceRef {
    Tag(i32),
    Name(String),
}

/// A region's own passive law.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionMaterial {
    /// Region id of the mesh.
    pub region: i32,
    pub material: Material,
    /// Multiplies the peak active tension in this region (0 for a scar). Default 1.
    #[serde(default = "one")]
    pub contractility: f64,
    /// Multiplies the conduction speeds in this region (0: non-conducting scar or ablation lesion).
    /// Default 1.
    #[serde(default = "one")]
    pub conduction: f64,
    /// The cell model of this region's nodes in monodomain runs (default: `activation.cell`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell: Option<CellChoice>,
}

/// The cell model of monodomain runs (`activation.cell`, `regions[].cell`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CellChoice {
    /// Mitchell-Schaeffer 2003: fast, for interactive use.
    MitchellSchaeffer,
    /// ten Tusscher-Panfilov 2006, epicardial cells.
    Tp06,
    /// ten Tusscher-Panfilov 2006, endocardial cells.
    Tp06Endo,
    /// ten Tusscher-Panfilov 2006, mid-myocardial (M) cells.
    Tp06Mid,
    /// ten Tusscher-Panfilov 2006 across the wall: endocardial cells in the inner third (transmural
    /// coordinate below 1/3), M cells in the middle third, epicardial cells in the outer third.
    Tp06Transmural,
}

fn one() -> f64 {
    1.0
}

/// Where fibre directions come from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Fibres {
    pub rule: FibreRule,
    /// Rule-based helix angle at the endocardium and the epicardium, degrees.
    pub alpha_endo_deg: f64,
    pub alpha_epi_deg: f64,
    /// Rule-based transverse angle at the endocardium and the epicardium, degrees.
    pub beta_endo_deg: f64,
    pub beta_epi_deg: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FibreRule {
    /// Laplace-Dirichlet rule-based fibres (Bayer et al. 2012) on the scenario's surfaces.
    Ldrb,
    /// The mesh's own point fields `fiber` and `sheet`.
    Mesh,
}

/// Support of the heart by its surroundings: Robin springs and dashpots.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Boundary {
    /// Pericardium: normal-only springs on the epicardium, kPa/mm (pressure per mm of normal
    /// displacement).
    pub epicardium_kpa_per_mm: f64,
    pub epicardium_damping_kpa_ms_per_mm: f64,
    /// Base (valve rims, great vessels): full-vector springs, kPa/mm.
    pub base_kpa_per_mm: f64,
    pub base_damping_kpa_ms_per_mm: f64,
}

/// When each element is activated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Activation {
    pub mode: ActivationMode,
    /// Prescribed: delay from the endocardium to the epicardium, ms.
    pub transmural_ms: f64,
    /// Prescribed: delay from the apex to the base, ms.
    pub apicobasal_ms: f64,
    /// Eikonal and monodomain: conduction speed along the fibres and across them, m/s (= mm/ms).
    pub fibre_speed_m_s: f64,
    pub cross_fibre_speed_m_s: f64,
    /// Eikonal and monodomain: the innermost fraction of the wall (transmural coordinate below it) conducts fast and
    /// isotropically, like the Purkinje network and the endocardial layer it feeds; 0: none.
    pub endocardial_layer: f64,
    /// Eikonal: speed of that layer as a multiple of the fibre speed.
    pub endocardial_speed_factor: f64,
    /// Eikonal: where and when each beat's activation starts.
    pub sites: Vec<PacingSite>,
    /// Monodomain: the cell model of every node outside regions that choose their own.
    pub cell: CellChoice,
}

/// A stimulus: nodes within `radius_mm` of a point (or of a landmark), or every node of some surfaces,
/// activated `time_ms` after the beat's start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PacingSite {
    /// Centre, mm, in mesh coordinates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position_mm: Option<[f64; 3]>,
    /// Or a landmark: `apex` (epicardial apex node) or `endocardial-apex`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landmark: Option<String>,
    /// Or every node of these surfaces (tags or names).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub surface: Vec<SurfaceRef>,
    /// Radius around the point or landmark, mm (the nearest node when none lies within).
    #[serde(default = "default_radius")]
    pub radius_mm: f64,
    /// Stimulus time within the beat, ms.
    #[serde(default)]
    pub time_ms: f64,
}

fn default_radius() -> f64 {
    3.0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActivationMode {
    /// A rule on the ventricular coordinates: t = transmural_ms * phi + apicobasal_ms * h, where phi is
    /// 0 on the endocardium and 1 on the epicardium, h the height along the long axis, 0 at the apex and 1
    /// at the most basal node.
    Prescribed,
    /// Anisotropic eikonal activation from the pacing sites ([`crate::ep::eikonal`]).
    Eikonal,
    /// Monodomain reaction-diffusion (the cells of `activation.cell` and `regions[].cell`) from the pacing
    /// sites, with conductivities tuned to the mesh's resolution for the scenario's speeds
    /// ([`crate::ep::calibrate`]).
    Monodomain,
}

/// The active tension twitch of every element, from its activation time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Contraction {
    /// Peak active tension along the fibres, kPa.
    pub peak_tension_kpa: f64,
    /// Time constants of the twitch Ta = peak * tanh^2(s / rise) * tanh^2((duration - s) / decay) / max,
    /// s = t - activation time, 0 < s < duration; ms.
    pub rise_ms: f64,
    pub decay_ms: f64,
    pub duration_ms: f64,
    /// `pk2` (Ta f0 x f0) or `cauchy` (Ta f x f along the deformed fibre).
    pub form: ActiveStress,
}

/// How the FE cavities and the circulation exchange pressure and volume.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Coupling {
    /// Stiffness of the blood in a cavity: p = k (V_blood - V_cavity). Larger keeps the isovolumic phases
    /// closer to isovolumic (volume drift p / k) at no cost to the time step up to about 1e4; mmHg/mL.
    pub cavity_stiffness_mmhg_per_ml: f64,
    /// End-diastolic pressure the ventricles are inflated to before the first beat, mmHg; `None`: the
    /// circulation's own end-diastolic LV pressure.
    pub preload_mmhg: Option<f64>,
}

/// Time stepping of the explicit mechanics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Numerics {
    /// Tissue density, mg/mm^3 (= g/mL).
    pub density_mg_per_mm3: f64,
    /// Kelvin-Voigt viscosity of the wall, kPa ms (= Pa s).
    pub viscosity_kpa_ms: f64,
    /// Fraction of the stable step taken.
    pub safety: f64,
    /// Selective mass scaling may add at most this fraction of the wall's mass to lift the time step.
    pub max_added_mass: f64,
}

/// What is written, how often.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Outputs {
    /// Rows of `metrics.csv` every this many ms.
    pub metrics_interval_ms: f64,
    /// `fields/*.vtu` every this many ms; 0 writes none.
    pub field_interval_ms: f64,
    /// Which fields the VTU files hold.
    pub fields: Vec<FieldName>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldName {
    /// Point field, mm.
    Displacement,
    /// Cell field, Cauchy stress, kPa.
    VonMises,
    /// Cell field, Cauchy stress along the deformed fibre, kPa.
    FibreStress,
    /// Cell field, ms after the beat's start; -1 where the activation never arrives.
    ActivationTime,
    /// Cell field, kPa.
    ActiveTension,
    /// Cell field, the deformed fibre direction F f0 / |F f0| (unit, 3 components): for glyphs
    /// (`cardiotwin render --fibres`, ParaView's Glyph filter). Not written unless asked for.
    Fibre,
}

impl FieldName {
    /// Every field.
    pub const ALL: [FieldName; 6] = [
        FieldName::Displacement,
        FieldName::VonMises,
        FieldName::FibreStress,
        FieldName::ActivationTime,
        FieldName::ActiveTension,
        FieldName::Fibre,
    ];

    /// The fields written when the scenario does not say: all but the fibre directions.
    pub const DEFAULT: [FieldName; 5] = [
        FieldName::Displacement,
        FieldName::VonMises,
        FieldName::FibreStress,
        FieldName::ActivationTime,
        FieldName::ActiveTension,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FieldName::Displacement => "displacement",
            FieldName::VonMises => "von_mises_kpa",
            FieldName::FibreStress => "fibre_stress_kpa",
            FieldName::ActivationTime => "activation_time_ms",
            FieldName::ActiveTension => "active_tension_kpa",
            FieldName::Fibre => "fibre",
        }
    }
}

impl Default for Scenario {
    /// The built-in default: the CT-derived Rodero LV ([`crate::anatomy::rodero_lv`]) at 60 bpm against
    /// the CIRCULATION.md loop; see README.md for what was tuned.
    fn default() -> Self {
        Scenario {
            name: "default: Rodero 2021 case 01 left ventricle, 60 bpm, prescribed activation"
                .into(),
            heart_rate_bpm: 60.0,
            beats: 3,
            mesh: MeshSpec::default(),
            material: Material::default(),
            regions: Vec::new(),
            fibres: Fibres::default(),
            boundary: Boundary::default(),
            activation: Activation::default(),
            contraction: Contraction::default(),
            coupling: Coupling::default(),
            numerics: Numerics::default(),
            circulation: CirculationParams::default(),
            outputs: Outputs::default(),
        }
    }
}

impl Default for MeshSpec {
    fn default() -> Self {
        use crate::anatomy::rodero_lv;
        MeshSpec {
            source: "rodero-lv".into(),
            element_size_mm: None,
            file_order: false,
            lv_endocardium: vec![SurfaceRef::Tag(rodero_lv::ENDO)],
            rv_endocardium: Vec::new(),
            epicardium: vec![SurfaceRef::Tag(rodero_lv::EPI)],
            base: rodero_lv::BASE
                .iter()
                .map(|&t| SurfaceRef::Tag(t))
                .collect(),
        }
    }
}

impl Default for Fibres {
    fn default() -> Self {
        Fibres {
            rule: FibreRule::Ldrb,
            alpha_endo_deg: 60.0,
            alpha_epi_deg: -60.0,
            beta_endo_deg: 0.0,
            beta_epi_deg: 0.0,
        }
    }
}

impl Default for Boundary {
    fn default() -> Self {
        Boundary {
            epicardium_kpa_per_mm: 1.0,
            epicardium_damping_kpa_ms_per_mm: 0.5,
            base_kpa_per_mm: 5.0,
            base_damping_kpa_ms_per_mm: 0.5,
        }
    }
}

impl Default for Activation {
    fn default() -> Self {
        Activation {
            mode: ActivationMode::Prescribed,
            transmural_ms: 25.0,
            apicobasal_ms: 75.0,
            fibre_speed_m_s: 0.6,
            cross_fibre_speed_m_s: 0.24,
            endocardial_layer: 0.1,
            endocardial_speed_factor: 3.0,
            sites: Vec::new(),
            cell: CellChoice::MitchellSchaeffer,
        }
    }
}

impl Default for Contraction {
    fn default() -> Self {
        Contraction {
            peak_tension_kpa: 160.0,
            rise_ms: 80.0,
            decay_ms: 100.0,
            duration_ms: 450.0,
            form: ActiveStress::Pk2,
        }
    }
}

impl Default for Coupling {
    fn default() -> Self {
        Coupling {
            cavity_stiffness_mmhg_per_ml: 200.0,
            preload_mmhg: None,
        }
    }
}

impl Default for Numerics {
    fn default() -> Self {
        Numerics {
            density_mg_per_mm3: 1.06,
            viscosity_kpa_ms: 5.0,
            safety: 0.5,
            max_added_mass: 0.05,
        }
    }
}

impl Default for Outputs {
    fn default() -> Self {
        Outputs {
            metrics_interval_ms: 1.0,
            field_interval_ms: 20.0,
            fields: FieldName::DEFAULT.to_vec(),
        }
    }
}

/// A scenario file that cannot be used: the file, the key and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("scenario {file}: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("scenario {file}: {message}")]
    Parse { file: String, message: String },
    #[error("scenario {file}: key `{key}`: {problem}")]
    Value {
        file: String,
        key: String,
        problem: String,
    },
}

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn from_file(path: &Path) -> Result<Self, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            file: file.clone(),
            source,
        })?;
        let mut scenario = Self::from_toml(&text, &file)?;
        // A relative mesh path is relative to the scenario file.
        let source = Path::new(&scenario.mesh.source);
        if !is_builtin(&scenario.mesh.source)
            && source.is_relative()
            && let Some(dir) = path.parent()
        {
            scenario.mesh.source = dir.join(source).display().to_string();
        }
        Ok(scenario)
    }

    /// Parses and validates TOML text; `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<Self, ScenarioError> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| ScenarioError::Parse {
            file: file.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        scenario.validate(file)?;
        Ok(scenario)
    }

    /// The scenario as TOML (what `cardiotwin scenario show` prints).
    pub fn to_toml(&self) -> String {
        // Every field is a plain value or table: serialisation cannot fail.
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# serialising failed: {e}\n"))
    }

    /// Checks every value's range; the error names the key.
    pub fn validate(&self, file: &str) -> Result<(), ScenarioError> {
        let bad = |key: &str, problem: String| ScenarioError::Value {
            file: file.to_string(),
            key: key.to_string(),
            problem,
        };
        let range = |key: &str, v: f64, lo: f64, hi: f64| {
            if v.is_finite() && v >= lo && v <= hi {
                Ok(())
            } else {
                Err(bad(key, format!("{v} is outside [{lo}, {hi}]")))
            }
        };
        range("heart_rate_bpm", self.heart_rate_bpm, 20.0, 250.0)?;
        if self.beats == 0 || self.beats > 10_000 {
            return Err(bad("beats", format!("{} must be 1..=10000", self.beats)));
        }
        if self.mesh.source.trim().is_empty() {
            return Err(bad("mesh.source", "is empty".into()));
        }
        if let Some(h) = self.mesh.element_size_mm {
            range("mesh.element_size_mm", h, 0.2, 20.0)?;
        }
        if self.mesh.lv_endocardium.is_empty() {
            return Err(bad(
                "mesh.lv_endocardium",
                "names no surface: the LV cavity is coupled to the circulation".into(),
            ));
        }
        if self.mesh.epicardium.is_empty() {
            return Err(bad("mesh.epicardium", "names no surface".into()));
        }
        self.material
            .validate()
            .map_err(|e| bad("material", e.to_string()))?;
        for (i, r) in self.regions.iter().enumerate() {
            r.material
                .validate()
                .map_err(|e| bad(&format!("regions[{i}].material"), e.to_string()))?;
            range(
                &format!("regions[{i}].contractility"),
                r.contractility,
                0.0,
                10.0,
            )?;
            range(&format!("regions[{i}].conduction"), r.conduction, 0.0, 10.0)?;
        }
        for (key, v) in [
            ("fibres.alpha_endo_deg", self.fibres.alpha_endo_deg),
            ("fibres.alpha_epi_deg", self.fibres.alpha_epi_deg),
            ("fibres.beta_endo_deg", self.fibres.beta_endo_deg),
            ("fibres.beta_epi_deg", self.fibres.beta_epi_deg),
        ] {
            range(key, v, -90.0, 90.0)?;
        }
        let b = &self.boundary;
        range(
            "boundary.epicardium_kpa_per_mm",
            b.epicardium_kpa_per_mm,
            0.0,
            1e4,
        )?;
        range(
            "boundary.epicardium_damping_kpa_ms_per_mm",
            b.epicardium_damping_kpa_ms_per_mm,
            0.0,
            1e4,
        )?;
        range("boundary.base_kpa_per_mm", b.base_kpa_per_mm, 0.0, 1e4)?;
        range(
            "boundary.base_damping_kpa_ms_per_mm",
            b.base_damping_kpa_ms_per_mm,
            0.0,
            1e4,
        )?;
        let a = &self.activation;
        match a.mode {
            ActivationMode::Prescribed => {}
            ActivationMode::Eikonal | ActivationMode::Monodomain => {
                if a.sites.is_empty() {
                    return Err(bad(
                        "activation.sites",
                        "eikonal and monodomain activation need at least one pacing site \
                         ([[activation.sites]] with position_mm, landmark or surface)"
                            .into(),
                    ));
                }
            }
        }
        range("activation.fibre_speed_m_s", a.fibre_speed_m_s, 0.01, 10.0)?;
        range(
            "activation.cross_fibre_speed_m_s",
            a.cross_fibre_speed_m_s,
            0.01,
            10.0,
        )?;
        range(
            "activation.endocardial_layer",
            a.endocardial_layer,
            0.0,
            0.5,
        )?;
        range(
            "activation.endocardial_speed_factor",
            a.endocardial_speed_factor,
            1.0,
            20.0,
        )?;
        for (i, site) in a.sites.iter().enumerate() {
            let key = format!("activation.sites[{i}]");
            let given = site.position_mm.is_some() as u8
                + site.landmark.is_some() as u8
                + (!site.surface.is_empty()) as u8;
            if given != 1 {
                return Err(bad(
                    &key,
                    "give exactly one of position_mm, landmark or surface".into(),
                ));
            }
            if let Some(p) = site.position_mm
                && p.iter().any(|v| !v.is_finite())
            {
                return Err(bad(
                    &format!("{key}.position_mm"),
                    format!("{p:?} is not finite"),
                ));
            }
            if let Some(l) = &site.landmark
                && !LANDMARKS.contains(&l.as_str())
            {
                return Err(bad(
                    &format!("{key}.landmark"),
                    format!("unknown landmark {l:?}; known: {}", LANDMARKS.join(", ")),
                ));
            }
            range(&format!("{key}.radius_mm"), site.radius_mm, 0.0, 100.0)?;
            range(&format!("{key}.time_ms"), site.time_ms, 0.0, 10_000.0)?;
        }
        range(
            "activation.transmural_ms",
            self.activation.transmural_ms,
            0.0,
            500.0,
        )?;
        range(
            "activation.apicobasal_ms",
            self.activation.apicobasal_ms,
            0.0,
            500.0,
        )?;
        let c = &self.contraction;
        range(
            "contraction.peak_tension_kpa",
            c.peak_tension_kpa,
            0.0,
            1000.0,
        )?;
        range("contraction.rise_ms", c.rise_ms, 1.0, 1000.0)?;
        range("contraction.decay_ms", c.decay_ms, 1.0, 1000.0)?;
        range("contraction.duration_ms", c.duration_ms, 10.0, 5000.0)?;
        let period_ms = 60_000.0 / self.heart_rate_bpm;
        // Eikonal activation times are known once solved: the heart checks those (Heart::build).
        let latest = c.duration_ms + self.activation.transmural_ms + self.activation.apicobasal_ms;
        if self.activation.mode == ActivationMode::Prescribed && latest > period_ms {
            return Err(bad(
                "contraction.duration_ms",
                format!(
                    "{} ms plus the activation delays ({} ms) outlasts the heart period {period_ms:.0} ms \
                     at {} bpm: the muscle would not relax before the next beat",
                    c.duration_ms,
                    self.activation.transmural_ms + self.activation.apicobasal_ms,
                    self.heart_rate_bpm
                ),
            ));
        }
        range(
            "coupling.cavity_stiffness_mmhg_per_ml",
            self.coupling.cavity_stiffness_mmhg_per_ml,
            1.0,
            1e4,
        )?;
        if let Some(p) = self.coupling.preload_mmhg {
            range("coupling.preload_mmhg", p, 0.0, 40.0)?;
        }
        let n = &self.numerics;
        range(
            "numerics.density_mg_per_mm3",
            n.density_mg_per_mm3,
            0.1,
            10.0,
        )?;
        range("numerics.viscosity_kpa_ms", n.viscosity_kpa_ms, 0.0, 1000.0)?;
        range("numerics.safety", n.safety, 0.05, 0.95)?;
        range("numerics.max_added_mass", n.max_added_mass, 0.0, 1.0)?;
        self.circulation
            .validate()
            .map_err(|e| bad("circulation", e.to_string()))?;
        let o = &self.outputs;
        range(
            "outputs.metrics_interval_ms",
            o.metrics_interval_ms,
            0.01,
            1000.0,
        )?;
        if o.field_interval_ms != 0.0 {
            range("outputs.field_interval_ms", o.field_interval_ms, 0.1, 1e5)?;
        }
        Ok(())
    }

    /// The circulation parameters at this scenario's heart rate: the chamber onsets and durations scaled
    /// by the ratio of the periods.
    pub fn circulation_at_rate(&self) -> CirculationParams {
        circulation_at(&self.circulation, self.heart_rate_bpm)
    }

    /// Heart period, ms.
    pub fn period_ms(&self) -> f64 {
        60_000.0 / self.heart_rate_bpm
    }
}

/// `params` at `heart_rate_bpm`: the chamber onsets and durations scaled by the ratio of the periods.
pub fn circulation_at(params: &CirculationParams, heart_rate_bpm: f64) -> CirculationParams {
    let mut p = params.clone();
    // New period over the period the timings were given for.
    let scale = 60.0 / (heart_rate_bpm * p.period_s());
    for c in [&mut p.la, &mut p.lv, &mut p.ra, &mut p.rv] {
        c.contraction_s *= scale;
        c.relaxation_s *= scale;
        c.onset_s *= scale;
    }
    p.heart_rate_hz = heart_rate_bpm / 60.0;
    p
}

/// Landmarks a pacing site may name.
pub const LANDMARKS: [&str; 2] = ["apex", "endocardial-apex"];

/// Built-in mesh names a scenario may use.
pub const BUILTIN_MESHES: [&str; 4] = ["rodero-lv", "arostica-biv", "land-lv", "arostica-lv"];

fn is_builtin(source: &str) -> bool {
    BUILTIN_MESHES.contains(&source)
}
