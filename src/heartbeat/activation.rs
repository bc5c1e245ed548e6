//! Activation times (prescribed by a rule, or by the eikonal solver from pacing sites) and the active
//! tension twitch that follows them.
//!
//! Until the electrophysiology solvers exist, each tetrahedron's activation time comes from a rule on
//! the ventricular coordinates ([`prescribed_times`]): the wave starts at the endocardial apex, crosses
//! the wall in `transmural_ms` and climbs to the base in `apicobasal_ms` (the endocardium-first,
//! apex-to-base order of the Purkinje-driven healthy sequence; Durrer et al. 1970 measured 60-100 ms in
//! all). Outputs call it prescribed activation.
//!
//! The twitch ([`Twitch`]) is the phenomenological transient of Kerckhoffs et al. 2003 / Niederer et al.
//! 2011: `Ta(s) = peak * tanh^2(s / rise) * tanh^2((duration - s) / decay) / m` for `0 < s < duration`,
//! zero otherwise, `s` the time since the element's activation and `m` the shape's maximum (so `peak` is
//! reached).

use glam::DVec3;

use super::heart::Anatomy;
use super::scenario::{Activation, CellChoice, Contraction, Scenario, SurfaceRef};
use crate::anatomy::fibres::FibreField;
use crate::backend::Backend;
use crate::ep::eikonal::{self, Conduction};
use crate::ep::gpu::GpuCell;
use crate::ep::monodomain::{CellModel, Membrane, MitchellSchaeffer, Monodomain, Tissue};
use crate::ep::solver::Solver;
use crate::ep::{AnyCell, Cell};
use crate::error::{Error, Result};
use crate::mesh::TetMesh;

/// Activation time (ms after the beat's start) of every tetrahedron: the rule of the module docs on the
/// corner means of the nodal coordinates `transmural` (0 endocardium, 1 epicardium) and `height` along
/// the long axis (0 apex, 1 base).
pub fn prescribed_times(
    tets: &[[u32; 4]],
    transmural: &[f64],
    height: &[f64],
    rule: &Activation,
) -> Vec<f64> {
    tets.iter()
        .map(|t| {
            let mean = |f: &[f64]| t.iter().map(|&n| f[n as usize]).sum::<f64>() / 4.0;
            rule.transmural_ms * mean(transmural).clamp(0.0, 1.0)
                + rule.apicobasal_ms * mean(height).clamp(0.0, 1.0)
        })
        .collect()
}

/// Activation time of every tetrahedron (the corner mean; infinite if a corner is never reached) by the
/// anisotropic eikonal solver from the scenario's pacing sites: speeds along and across the fibres,
/// scaled per region by `conduction` (0: non-conducting), and an isotropic fast endocardial layer.
pub fn eikonal_times(anatomy: &Anatomy, scenario: &Scenario) -> Result<Vec<f64>> {
    let (mesh, coords, fibres) = (&anatomy.mesh, &anatomy.coords, &anatomy.fibres);
    let a = &scenario.activation;
    let factor = region_factors(mesh, scenario);
    let conduction = conduction(mesh, &coords.transmural, fibres, a, &factor);
    let h = crate::ep::calibrate::mean_edge_mm(mesh);
    let stimuli: Vec<(u32, f64)> = site_nodes(anatomy, scenario, h)?
        .into_iter()
        .flat_map(|(nodes, time)| nodes.into_iter().map(move |n| (n, time)))
        .collect();
    let (times, report) = eikonal::solve(mesh, &conduction, &stimuli)
        .map_err(|e| Error::Invalid(format!("eikonal activation: {e}")))?;
    log::info!(
        "eikonal activation: {} sweeps, {} node updates, {} nodes never reached, {:.3} s",
        report.sweeps,
        report.updates,
        report.unreached,
        report.wall_s
    );
    Ok(corner_means(mesh, &times))
}

/// Each tetrahedron's mean of its corners' times (infinite if one is never reached).
fn corner_means(mesh: &TetMesh, times: &[f64]) -> Vec<f64> {
    mesh.tets()
        .iter()
        .map(|tet| tet.iter().map(|&n| times[n as usize]).sum::<f64>() / 4.0)
        .collect()
}

/// The conduction factor of every tetrahedron: its region's `conduction` (1 elsewhere).
fn region_factors(mesh: &TetMesh, scenario: &Scenario) -> Vec<f64> {
    let mut factor = vec![1.0; mesh.tet_count()];
    for r in &scenario.regions {
        for (t, f) in factor.iter_mut().enumerate() {
            if mesh.regions()[t] == r.region {
                *f = r.conduction;
            }
        }
    }
    factor
}

/// The nodes of every pacing site and its time within the beat (ms).
/// A point site takes the nodes within its radius, but at least within 1.5 mean element edges `h_mm` (one
/// stimulated node of a coarse mesh does not start a reaction-diffusion wave: it drains into the tissue
/// around it; the eikonal path uses the same nodes, so both start from the same region).
fn site_nodes(anatomy: &Anatomy, scenario: &Scenario, h_mm: f64) -> Result<Vec<(Vec<u32>, f64)>> {
    let min_radius = 1.5 * h_mm;
    let (mesh, coords) = (&anatomy.mesh, &anatomy.coords);
    let tags = |key: &str, refs: &[SurfaceRef]| super::heart::surface_tags(mesh, key, refs);
    let x: Vec<DVec3> = mesh.nodes().iter().map(|p| DVec3::from_array(*p)).collect();
    let mut sites = Vec::new();
    for (i, site) in scenario.activation.sites.iter().enumerate() {
        let key = format!("activation.sites[{i}]");
        let nodes: Vec<u32> = if !site.surface.is_empty() {
            let wanted = tags(&format!("{key}.surface"), &site.surface)?;
            let s = mesh.surfaces();
            let mut nodes: Vec<u32> = s
                .triangles
                .iter()
                .zip(&s.tags)
                .filter(|(_, t)| wanted.contains(t))
                .flat_map(|(tri, _)| *tri)
                .collect();
            nodes.sort_unstable();
            nodes.dedup();
            nodes
        } else {
            let centre = match (&site.position_mm, site.landmark.as_deref()) {
                (Some(p), _) => DVec3::from_array(*p),
                (None, Some("apex")) => x[coords.apex],
                (None, Some("endocardial-apex")) => x[coords.endo_apex],
                _ => {
                    return Err(Error::Invalid(format!(
                        "scenario key `{key}`: give position_mm, landmark or surface"
                    )));
                }
            };
            // The nodes by distance: those within the radius (at least the nearest).
            let mut by_distance: Vec<(f64, u32)> = (0..x.len() as u32)
                .map(|n| ((x[n as usize] - centre).length(), n))
                .collect();
            by_distance.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
            let Some(&(d, _)) = by_distance.first() else {
                return Err(Error::Invalid("the mesh has no nodes".into()));
            };
            if d > 10.0 * site.radius_mm.max(1.0) {
                return Err(Error::Invalid(format!(
                    "scenario key `{key}`: the site {:?} mm is {d:.1} mm from the nearest node of the \
                     mesh: outside the heart?",
                    centre.to_array()
                )));
            }
            let within = by_distance
                .iter()
                .take_while(|(d, _)| *d <= site.radius_mm.max(min_radius))
                .count()
                .max(1);
            let within: Vec<u32> = by_distance[..within.min(by_distance.len())]
                .iter()
                .map(|&(_, n)| n)
                .collect();
            within
        };
        sites.push((nodes, site.time_ms));
    }
    Ok(sites)
}

/// The cell model of every node of a monodomain run: `cells` (each used at least once) and, per node, an
/// index into them.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeCells {
    pub cells: Vec<Cell>,
    pub cell_of: Vec<u16>,
}

impl NodeCells {
    /// The scenario's cells: `activation.cell` everywhere, then each `[[regions]]` entry with a `cell` on
    /// every node of its tetrahedra (later entries win where regions meet); `tp06-transmural` picks the
    /// TP06 cell type by the node's transmural coordinate (thirds: endocardial, M, epicardial).
    /// `default` replaces `activation.cell` (the command line's `--cell`).
    pub fn from_scenario(
        anatomy: &Anatomy,
        scenario: &Scenario,
        default: Option<CellChoice>,
    ) -> NodeCells {
        let mesh = &anatomy.mesh;
        let transmural = &anatomy.coords.transmural;
        let pick = |choice: CellChoice, node: usize| match choice {
            CellChoice::MitchellSchaeffer => Cell::MitchellSchaeffer,
            CellChoice::Tp06 => Cell::Tp06,
            CellChoice::Tp06Endo => Cell::Tp06Endo,
            CellChoice::Tp06Mid => Cell::Tp06Mid,
            CellChoice::Tp06Transmural => match transmural[node] {
                p if p < 1.0 / 3.0 => Cell::Tp06Endo,
                p if p < 2.0 / 3.0 => Cell::Tp06Mid,
                _ => Cell::Tp06,
            },
        };
        let default = default.unwrap_or(scenario.activation.cell);
        let mut per_node: Vec<Cell> = (0..mesh.node_count()).map(|n| pick(default, n)).collect();
        for r in &scenario.regions {
            let Some(choice) = r.cell else { continue };
            for (tet, &region) in mesh.tets().iter().zip(mesh.regions()) {
                if region == r.region {
                    for &n in tet {
                        per_node[n as usize] = pick(choice, n as usize);
                    }
                }
            }
        }
        let cells: Vec<Cell> = Cell::ALL
            .into_iter()
            .filter(|c| per_node.contains(c))
            .collect();
        let cell_of = per_node
            .iter()
            .map(|c| cells.iter().position(|k| k == c).unwrap_or(0) as u16)
            .collect();
        NodeCells { cells, cell_of }
    }

    /// One cell for every node.
    pub fn uniform(cell: Cell, nodes: usize) -> NodeCells {
        NodeCells {
            cells: vec![cell],
            cell_of: vec![0; nodes],
        }
    }

    /// (activation, repolarisation) thresholds of the run, mV ([`Cell::mixed_thresholds_mv`]).
    pub fn thresholds_mv(&self) -> (f64, f64) {
        Cell::mixed_thresholds_mv(&self.cells)
    }

    /// The time step the cells need, ms (the smallest of theirs).
    pub fn time_step_ms(&self) -> f64 {
        self.cells
            .iter()
            .map(|c| c.time_step_ms())
            .fold(f64::INFINITY, f64::min)
    }

    /// Nodes per cell, by name.
    pub fn counts(&self) -> Vec<CellCount> {
        self.cells
            .iter()
            .enumerate()
            .map(|(i, c)| CellCount {
                cell: c.name(),
                nodes: self.cell_of.iter().filter(|&&k| k as usize == i).count(),
            })
            .collect()
    }

    /// The monodomain problem with these cells; `model` steps them ([`AnyCell`] when they mix models).
    pub fn problem<C: CellModel>(
        &self,
        mesh: &TetMesh,
        tissue: &[Tissue],
        threshold_mv: f64,
        model: impl Fn(Cell) -> C,
    ) -> Result<Monodomain<C>> {
        let fail =
            |e: crate::ep::monodomain::MonodomainError| Error::Invalid(format!("monodomain: {e}"));
        let md = Monodomain::new(
            mesh,
            tissue,
            Membrane::NIEDERER,
            model(self.cells[0]),
            threshold_mv,
        )
        .map_err(fail)?;
        if self.cells.len() == 1 {
            return Ok(md);
        }
        md.with_cells(
            self.cells.iter().map(|&c| model(c)).collect(),
            self.cell_of.clone(),
        )
        .map_err(fail)
    }
}

/// A cell model and how many nodes run it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CellCount {
    pub cell: &'static str,
    pub nodes: usize,
}

/// Conductivities tuned for one cell model family (Mitchell-Schaeffer, or TP06 whose three cell types
/// share the sodium upstroke that sets the speed).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Tuning {
    /// The model the strips ran.
    pub cell: &'static str,
    pub sigma_fibre_s_per_m: f64,
    pub sigma_cross_s_per_m: f64,
    pub sigma_layer_s_per_m: Option<f64>,
    pub strip_fibre_speed_m_s: f64,
    pub strip_cross_speed_m_s: f64,
}

/// What the monodomain activation did, for logs and `summary.json`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MonodomainReport {
    /// Mean edge length of the mesh, mm: the resolution the conductivities were tuned at.
    pub element_mm: f64,
    /// Tuned conductivities along and across the fibres, S/m, and the strip speeds they give, m/s.
    pub sigma_fibre_s_per_m: f64,
    pub sigma_cross_s_per_m: f64,
    /// The fast endocardial layer's (isotropic) conductivity, S/m, when there is a layer.
    pub sigma_layer_s_per_m: Option<f64>,
    pub strip_fibre_speed_m_s: f64,
    pub strip_cross_speed_m_s: f64,
    /// The cells of the run and their node counts; with more than one model family, `tunings` holds
    /// each family's conductivities (the fields above are the first's).
    pub cells: Vec<CellCount>,
    pub tunings: Vec<Tuning>,
    /// `cpu` or `gpu`: where the run stepped (the tuning strips run on the CPU).
    pub backend: &'static str,
    pub time_step_ms: f64,
    pub simulated_ms: f64,
    pub wall_s: f64,
}

/// A monodomain problem set up from a scenario: tissue with conductivities tuned to the mesh, the pacing
/// sites as stimuli, and which nodes conduct.
pub struct MonodomainSetup {
    pub tissue: Vec<Tissue>,
    pub stimuli: Vec<crate::ep::monodomain::Stimulus>,
    /// Nodes of conducting tissue (the ones a run waits for).
    pub conducting: Vec<bool>,
    pub report: MonodomainReport,
}

/// Sets up the monodomain problem of `scenario` for the node `cells` stepped at `dt_ms`, activation
/// detected at `threshold_mv`: conductivities tuned on this mesh's resolution ([`crate::ep::calibrate`])
/// to the scenario's fibre and cross-fibre speeds and to the fast endocardial layer's speed
/// (isotropic), once per model family (a tetrahedron takes its family's, by the majority of its
/// corners), scaled per region by the square of `conduction` (speed goes as the square root of
/// conductivity; 0: non-conducting); each site stimulated for 2 ms from its time.
pub fn monodomain_setup(
    anatomy: &Anatomy,
    scenario: &Scenario,
    cells: &NodeCells,
    dt_ms: f64,
    threshold_mv: f64,
) -> Result<MonodomainSetup> {
    let (mesh, coords, fibres) = (&anatomy.mesh, &anatomy.coords, &anatomy.fibres);
    use crate::ep::calibrate::{STIMULUS_MV_PER_MS, conductivity_for_speed, mean_edge_mm};
    use crate::ep::monodomain::Stimulus;
    let clock = std::time::Instant::now();
    let a = &scenario.activation;
    let h = mean_edge_mm(mesh);
    // The family of a cell: the model its strips run (TP06 types tune as the epicardial cell).
    let family = |c: Cell| match c {
        Cell::MitchellSchaeffer => Cell::MitchellSchaeffer,
        _ => Cell::Tp06,
    };
    let mut families: Vec<Cell> = Vec::new();
    for &c in &cells.cells {
        if !families.contains(&family(c)) {
            families.push(family(c));
        }
    }
    let tunings = families
        .iter()
        .map(|&f| {
            let tune = |speed: f64| {
                let r = match f.model() {
                    AnyCell::MitchellSchaeffer(c) => conductivity_for_speed(
                        &c,
                        Membrane::NIEDERER,
                        h,
                        speed,
                        dt_ms,
                        threshold_mv,
                    ),
                    AnyCell::Tp06(c) => conductivity_for_speed(
                        &c,
                        Membrane::NIEDERER,
                        h,
                        speed,
                        dt_ms,
                        threshold_mv,
                    ),
                };
                r.map_err(|e| Error::Invalid(format!("monodomain activation ({}): {e}", f.name())))
            };
            let fibre = tune(a.fibre_speed_m_s)?;
            let cross = tune(a.cross_fibre_speed_m_s)?;
            let layer = if a.endocardial_layer > 0.0 {
                Some(tune(a.fibre_speed_m_s * a.endocardial_speed_factor)?)
            } else {
                None
            };
            Ok(Tuning {
                cell: f.name(),
                sigma_fibre_s_per_m: fibre.sigma_s_per_m,
                sigma_cross_s_per_m: cross.sigma_s_per_m,
                sigma_layer_s_per_m: layer.map(|l| l.sigma_s_per_m),
                strip_fibre_speed_m_s: fibre.speed_m_s,
                strip_cross_speed_m_s: cross.speed_m_s,
            })
        })
        .collect::<Result<Vec<Tuning>>>()?;
    let factor = region_factors(mesh, scenario);
    let tissue: Vec<Tissue> = mesh
        .tets()
        .iter()
        .enumerate()
        .map(|(t, tet)| {
            // The layer as a connected sheet: every tetrahedron with a corner inside it. (The eikonal's
            // corner-mean rule leaves a patchy layer on coarse meshes, which a front travelling along
            // edges crosses but a reaction-diffusion wave, loaded by the slow tissue around each patch,
            // does not.)
            let phi = tet
                .iter()
                .map(|&n| coords.transmural[n as usize])
                .fold(f64::INFINITY, f64::min);
            // The family of the majority of the corners (ties: the first family).
            let mut votes = vec![0usize; families.len()];
            for &n in tet {
                let c = cells.cells[cells.cell_of[n as usize] as usize];
                if let Some(i) = families.iter().position(|&f| f == family(c)) {
                    votes[i] += 1;
                }
            }
            let best = votes.iter().copied().max().unwrap_or(0);
            let tuning = &tunings[votes.iter().position(|&v| v == best).unwrap_or(0)];
            let k2 = factor[t] * factor[t];
            let (sf, sc) = match tuning
                .sigma_layer_s_per_m
                .filter(|_| phi < a.endocardial_layer)
            {
                Some(l) => (k2 * l, k2 * l),
                None => (
                    k2 * tuning.sigma_fibre_s_per_m,
                    k2 * tuning.sigma_cross_s_per_m,
                ),
            };
            Tissue {
                fibre: DVec3::from_array(fibres.fiber[t]),
                sigma_fibre: sf,
                sigma_cross: sc,
            }
        })
        .collect();
    let stimuli: Vec<Stimulus> = site_nodes(anatomy, scenario, h)?
        .into_iter()
        .map(|(nodes, time)| Stimulus {
            nodes,
            strength: STIMULUS_MV_PER_MS,
            start_ms: time,
            duration_ms: 2.0,
        })
        .collect();
    let mut conducting = vec![false; mesh.node_count()];
    for (t, tet) in mesh.tets().iter().enumerate() {
        if factor[t] > 0.0 {
            for &n in tet {
                conducting[n as usize] = true;
            }
        }
    }
    let first = &tunings[0];
    Ok(MonodomainSetup {
        tissue,
        stimuli,
        conducting,
        report: MonodomainReport {
            element_mm: h,
            sigma_fibre_s_per_m: first.sigma_fibre_s_per_m,
            sigma_cross_s_per_m: first.sigma_cross_s_per_m,
            sigma_layer_s_per_m: first.sigma_layer_s_per_m,
            strip_fibre_speed_m_s: first.strip_fibre_speed_m_s,
            strip_cross_speed_m_s: first.strip_cross_speed_m_s,
            cells: cells.counts(),
            tunings: tunings.clone(),
            backend: "cpu",
            time_step_ms: dt_ms,
            simulated_ms: 0.0,
            wall_s: clock.elapsed().as_secs_f64(),
        },
    })
}

/// Activation time of every tetrahedron (corner mean; infinite where never reached) by monodomain
/// reaction-diffusion with the scenario's cells ([`NodeCells::from_scenario`], [`monodomain_setup`]) on
/// `backend`; the run ends when every conducting node is activated, or 500 ms after the last site's
/// stimulus.
pub fn monodomain_times(
    anatomy: &Anatomy,
    scenario: &Scenario,
    backend: &Backend,
) -> Result<(Vec<f64>, MonodomainReport)> {
    let cells = NodeCells::from_scenario(anatomy, scenario, None);
    match cells.cells.as_slice() {
        [Cell::MitchellSchaeffer] => run_to_activation(anatomy, scenario, &cells, backend, |_| {
            MitchellSchaeffer::default()
        }),
        _ => run_to_activation(anatomy, scenario, &cells, backend, Cell::model),
    }
}

fn run_to_activation<C: GpuCell>(
    anatomy: &Anatomy,
    scenario: &Scenario,
    cells: &NodeCells,
    backend: &Backend,
    model: impl Fn(Cell) -> C,
) -> Result<(Vec<f64>, MonodomainReport)> {
    let mesh = &anatomy.mesh;
    let clock = std::time::Instant::now();
    let (threshold, _) = cells.thresholds_mv();
    let dt = cells.time_step_ms();
    let setup = monodomain_setup(anatomy, scenario, cells, dt, threshold)?;
    let md = cells.problem(mesh, &setup.tissue, threshold, model)?;
    let dt = dt.min(0.9 * md.stable_step());
    let last_site = setup.stimuli.iter().map(|s| s.start_ms).fold(0.0, f64::max);
    let per_ms = ((1.0 / dt).ceil() as usize).max(1);
    let mut md = Solver::new(md, setup.stimuli.clone(), dt, backend)?;
    let mut times = md.activation_ms()?;
    let mut t = md.t_ms()?;
    while t < last_site + 500.0 {
        md.run(per_ms)
            .map_err(|e| Error::Invalid(format!("monodomain activation: {e}")))?;
        t = md.t_ms()?;
        times = md.activation_ms()?;
        if t > last_site + 3.0
            && times
                .iter()
                .zip(&setup.conducting)
                .all(|(t, c)| !c || t.is_finite())
        {
            break;
        }
    }
    let report = MonodomainReport {
        backend: md.backend(),
        time_step_ms: dt,
        simulated_ms: t,
        wall_s: clock.elapsed().as_secs_f64(),
        ..setup.report
    };
    log::info!(
        "monodomain activation: {:.2} mm elements, sigma {:.3}/{:.3} S/m (strip {:.3}/{:.3} m/s), {:.0} ms \
         simulated in {:.1} s",
        report.element_mm,
        report.sigma_fibre_s_per_m,
        report.sigma_cross_s_per_m,
        report.strip_fibre_speed_m_s,
        report.strip_cross_speed_m_s,
        report.simulated_ms,
        report.wall_s
    );
    Ok((corner_means(mesh, &times), report))
}

/// Conduction of every tetrahedron: the fibre and cross-fibre speeds of `a` along `fibres`, times the
/// region `factor`, and the isotropic fast layer where the corner mean of `transmural` is below
/// `a.endocardial_layer`.
pub fn conduction(
    mesh: &TetMesh,
    transmural: &[f64],
    fibres: &FibreField,
    a: &Activation,
    factor: &[f64],
) -> Vec<Conduction> {
    mesh.tets()
        .iter()
        .enumerate()
        .map(|(t, tet)| {
            let phi = tet.iter().map(|&n| transmural[n as usize]).sum::<f64>() / 4.0;
            let fibre = DVec3::from_array(fibres.fiber[t]);
            let k = factor[t];
            let (v_fibre, v_cross) = if phi < a.endocardial_layer {
                let v = k * a.fibre_speed_m_s * a.endocardial_speed_factor;
                (v, v)
            } else {
                (k * a.fibre_speed_m_s, k * a.cross_fibre_speed_m_s)
            };
            Conduction {
                fibre,
                v_fibre,
                v_cross,
            }
        })
        .collect()
}

/// The twitch of the module docs.
#[derive(Debug, Clone)]
pub struct Twitch {
    rise: f64,
    decay: f64,
    duration: f64,
    /// peak / max of the shape, kPa.
    scale: f64,
    /// [`Twitch::tension`] every [`TABLE_STEP_MS`], for [`Twitch::lookup`].
    table: Vec<f64>,
}

/// Spacing of the twitch table, ms. Linear interpolation errs by at most h^2/8 max|Ta''|: about 1e-5 kPa
/// for the default twitch (peak 120 kPa, rise 80 ms), far below anything the mechanics resolves.
pub const TABLE_STEP_MS: f64 = 0.05;

impl Twitch {
    pub fn new(c: &Contraction) -> Self {
        let mut twitch = Twitch {
            rise: c.rise_ms,
            decay: c.decay_ms,
            duration: c.duration_ms,
            scale: 1.0,
            table: Vec::new(),
        };
        // The shape's maximum, by a fine scan (the curve is smooth and unimodal).
        let n = 20_000;
        let max = (1..n)
            .map(|i| twitch.tension(c.duration_ms * i as f64 / n as f64))
            .fold(0.0, f64::max);
        twitch.scale = c.peak_tension_kpa / max.max(f64::MIN_POSITIVE);
        let entries = (c.duration_ms / TABLE_STEP_MS).ceil() as usize + 2;
        twitch.table = (0..entries)
            .map(|i| twitch.tension(i as f64 * TABLE_STEP_MS))
            .collect();
        twitch
    }

    /// [`Twitch::tension`] interpolated from the table (the per-step evaluation for every element).
    pub fn lookup(&self, s: f64) -> f64 {
        if s <= 0.0 || s >= self.duration {
            return 0.0;
        }
        let x = s / TABLE_STEP_MS;
        let i = x as usize;
        let w = x - i as f64;
        match (self.table.get(i), self.table.get(i + 1)) {
            (Some(a), Some(b)) => a + w * (b - a),
            _ => 0.0,
        }
    }

    /// Active tension (kPa) `s` ms after activation.
    pub fn tension(&self, s: f64) -> f64 {
        if s <= 0.0 || s >= self.duration {
            return 0.0;
        }
        let a = (s / self.rise).tanh();
        let b = ((self.duration - s) / self.decay).tanh();
        self.scale * a * a * b * b
    }

    /// Duration of one twitch, ms.
    pub fn duration_ms(&self) -> f64 {
        self.duration
    }

    /// The table [`Twitch::lookup`] interpolates: the tension (kPa) every [`TABLE_STEP_MS`] from 0.
    pub fn table(&self) -> &[f64] {
        &self.table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twitch_reaches_its_peak_and_vanishes_outside() {
        let c = Contraction::default();
        let tw = Twitch::new(&c);
        let max = (0..=4500)
            .map(|i| tw.tension(i as f64 * 0.1))
            .fold(0.0, f64::max);
        assert!(
            (max - c.peak_tension_kpa).abs() < 1e-4 * c.peak_tension_kpa,
            "{max}"
        );
        assert_eq!(tw.tension(-1.0), 0.0);
        assert_eq!(tw.tension(c.duration_ms), 0.0);
        assert!(tw.tension(1.0) < 0.01 * c.peak_tension_kpa);
        // The table agrees with the closed form within its error bound.
        let worst = (0..45_000)
            .map(|i| {
                let s = i as f64 * 0.01 + 0.003;
                (tw.lookup(s) - tw.tension(s)).abs()
            })
            .fold(0.0, f64::max);
        assert!(worst < 1e-3, "{worst}");
    }

    #[test]
    fn endocardial_apex_first_epicardial_base_last() {
        let rule = Activation::default();
        let tets = [[0, 0, 0, 0], [1, 1, 1, 1]];
        let t = prescribed_times(&tets, &[0.0, 1.0], &[0.0, 1.0], &rule);
        assert_eq!(t[0], 0.0);
        assert_eq!(t[1], rule.transmural_ms + rule.apicobasal_ms);
    }
}
