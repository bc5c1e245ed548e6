//! `cardiotwin ep`: the electrophysiology of a scenario on its own, for pacing studies and teaching:
//! monodomain reaction-diffusion on the scenario's heart from its pacing sites (several sites and times:
//! biventricular pacing, S1-S2 protocols), with the transmembrane potential over time and each node's
//! activation and repolarisation times. The cells are the scenario's ([`NodeCells::from_scenario`]: one
//! model, per region, or TP06 across the wall); it runs on the CPU or the GPU ([`Solver`]).
//!
//! `DIR/` holds:
//! - `vm/NNNNNN.vtu` and `vm.pvd`: the mesh with the point field `vm_mv` every `--vm-interval` ms;
//! - `activation.vtu`: the mesh with point fields `activation_time_ms` (first upstroke),
//!   `last_activation_time_ms` (latest upstroke: the S2 wave's after a second stimulus),
//!   `repolarisation_time_ms` (first return through the APD90 level after the first upstroke) and
//!   `apd90_ms` (their difference); -1 where none happened; `cell`, the node's cell model as an index
//!   into `summary.json`'s `cells`;
//! - `summary.json`: the cell model, thresholds, tuned conductivities, total activation time, APD90
//!   statistics, counts, per cell its nodes and mean APD90, backend, wall time;
//! - `scenario.toml`: the scenario as run.
//!
//! The conductivities are tuned to the mesh's resolution ([`super::activation::monodomain_setup`]), so
//! the waves travel at the scenario's speeds on a coarse patient mesh too. Units: mm, ms, mV, S/m.

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use super::activation::{MonodomainReport, NodeCells, monodomain_setup};
use super::heart::Anatomy;
use super::run::write_atomic as write;
use super::scenario::{CellChoice, Scenario};
use crate::backend::Backend;
use crate::ep::Cell;
use crate::ep::gpu::GpuCell;
use crate::ep::monodomain::MitchellSchaeffer;
use crate::ep::solver::Solver;
use crate::error::{Error, Result};
use crate::mesh::Field;

/// Options of an EP run beyond the scenario.
#[derive(Debug, Clone)]
pub struct EpOptions {
    pub out: PathBuf,
    /// Simulated time, ms.
    pub duration_ms: f64,
    /// The cells of every node outside regions with their own; `None`: the scenario's
    /// `activation.cell`.
    pub cell: Option<CellChoice>,
    /// Interval of the `vm` series, ms (0: none).
    pub vm_interval_ms: f64,
}

/// What `summary.json` says.
#[derive(Debug, Clone, Serialize)]
pub struct EpSummary {
    pub cardiotwin_version: String,
    pub scenario: String,
    pub cell_model: &'static str,
    pub activation_threshold_mv: f64,
    pub repolarisation_threshold_mv: f64,
    pub nodes: usize,
    pub tets: usize,
    pub monodomain: MonodomainReport,
    pub duration_ms: f64,
    /// `cpu` or `gpu`.
    pub backend: &'static str,
    pub steps: usize,
    /// Nodes activated at least once, and of them repolarised by the end.
    pub activated_nodes: usize,
    pub repolarised_nodes: usize,
    /// Latest minus earliest first activation, ms (null when no node activated).
    pub total_activation_ms: Option<f64>,
    pub first_activation_ms: Option<f64>,
    pub last_activation_ms: Option<f64>,
    /// APD90 over the repolarised nodes, ms.
    pub apd90_mean_ms: Option<f64>,
    pub apd90_min_ms: Option<f64>,
    pub apd90_max_ms: Option<f64>,
    /// Nodes activated again after their first action potential (an S2 wave).
    pub reactivated_nodes: usize,
    /// Per cell model of the run: its nodes and the mean APD90 of those repolarised (the transmural
    /// dispersion of repolarisation, with `tp06-transmural`).
    pub cells: Vec<CellApd>,
    pub vm_frames: usize,
    pub wall_s: f64,
}

/// A cell model's share of a run.
#[derive(Debug, Clone, Serialize)]
pub struct CellApd {
    pub cell: &'static str,
    pub nodes: usize,
    pub repolarised_nodes: usize,
    pub apd90_mean_ms: Option<f64>,
}

/// Runs the electrophysiology of `scenario` into `opts.out` on `backend`.
pub fn run_ep(scenario: &Scenario, opts: &EpOptions, backend: &Backend) -> Result<EpSummary> {
    scenario
        .validate("(scenario)")
        .map_err(|e| Error::Invalid(e.to_string()))?;
    if scenario.activation.sites.is_empty() {
        return Err(Error::Invalid(
            "cardiotwin ep needs pacing sites: give [[activation.sites]] in the scenario (position_mm, \
             landmark or surface, and time_ms)"
                .into(),
        ));
    }
    if !(opts.duration_ms > 0.0 && opts.duration_ms <= 60_000.0) {
        return Err(Error::Invalid(format!(
            "--duration {} ms: must be above 0 and at most 60000",
            opts.duration_ms
        )));
    }
    if !(opts.vm_interval_ms >= 0.0 && opts.vm_interval_ms.is_finite()) {
        return Err(Error::Invalid(format!(
            "--vm-interval {} ms: must be 0 (no series) or positive",
            opts.vm_interval_ms
        )));
    }
    let clock = Instant::now();
    let dir = &opts.out;
    std::fs::create_dir_all(dir.join("vm")).map_err(|e| Error::io(dir.display().to_string(), e))?;
    write(&dir.join("scenario.toml"), scenario.to_toml().as_bytes())?;
    let anatomy = Anatomy::build(scenario)?;
    let cells = NodeCells::from_scenario(&anatomy, scenario, opts.cell);
    match cells.cells.as_slice() {
        [Cell::MitchellSchaeffer] => {
            let model = |_| MitchellSchaeffer::default();
            run_with(scenario, opts, backend, &anatomy, &cells, clock, model)
        }
        _ => run_with(
            scenario,
            opts,
            backend,
            &anatomy,
            &cells,
            clock,
            Cell::model,
        ),
    }
}

fn run_with<C: GpuCell>(
    scenario: &Scenario,
    opts: &EpOptions,
    backend: &Backend,
    anatomy: &Anatomy,
    cells: &NodeCells,
    clock: Instant,
    model: impl Fn(Cell) -> C,
) -> Result<EpSummary> {
    let dir = &opts.out;
    let (threshold, repolarisation) = cells.thresholds_mv();
    let dt = cells.time_step_ms();
    let setup = monodomain_setup(anatomy, scenario, cells, dt, threshold)?;
    let mesh = &anatomy.mesh;
    let md = cells
        .problem(mesh, &setup.tissue, threshold, model)?
        .with_repolarisation(repolarisation);
    let dt = dt.min(0.9 * md.stable_step());
    let mut md = Solver::new(md, setup.stimuli.clone(), dt, backend)?;
    let steps = (opts.duration_ms / dt).ceil() as usize;
    let every = if opts.vm_interval_ms > 0.0 {
        ((opts.vm_interval_ms / dt).round() as usize).max(1)
    } else {
        usize::MAX
    };
    let mut base = mesh.clone();
    base.retain_fields(super::heart::is_input_numbering);
    let mut entries: Vec<(f64, String)> = Vec::new();
    let mut done = 0;
    while done <= steps {
        if every != usize::MAX && done % every == 0 {
            let vm = md.potentials()?;
            let mut state = base.clone();
            state.add_point_field(Field::new("vm_mv", 1, vm))?;
            let name = format!("vm/{:06}.vtu", entries.len());
            write(&dir.join(&name), &crate::mesh::io::vtk::write_vtu(&state))?;
            entries.push((md.t_ms()?, name));
            write(
                &dir.join("vm.pvd"),
                &crate::mesh::io::pvd::write_pvd(&entries),
            )?;
        }
        if done == steps {
            break;
        }
        let n = if every == usize::MAX {
            steps - done
        } else {
            (every - done % every).min(steps - done)
        };
        md.run(n)?;
        done += n;
    }
    let simulated_ms = md.t_ms()?;
    let t = md.times()?;

    // Times: -1 where none (VTU readers choke on infinities).
    let finite_or = |v: f64| if v.is_finite() { v } else { -1.0 };
    let apd: Vec<f64> = t
        .activation_ms
        .iter()
        .zip(&t.repolarisation_ms)
        .map(|(a, r)| if r.is_finite() { r - a } else { f64::NAN })
        .collect();
    let mut times = base.clone();
    for (name, data) in [
        ("activation_time_ms", &t.activation_ms),
        ("last_activation_time_ms", &t.last_activation_ms),
        ("repolarisation_time_ms", &t.repolarisation_ms),
        ("apd90_ms", &apd),
    ] {
        times.add_point_field(Field::new(
            name,
            1,
            data.iter().map(|&v| finite_or(v)).collect(),
        ))?;
    }
    // Which cell each node runs: the index into summary.json's `cells`.
    times.add_point_field(Field::new(
        "cell",
        1,
        cells.cell_of.iter().map(|&c| f64::from(c)).collect(),
    ))?;
    write(
        &dir.join("activation.vtu"),
        &crate::mesh::io::vtk::write_vtu(&times),
    )?;

    let activated: Vec<f64> = t
        .activation_ms
        .iter()
        .copied()
        .filter(|t| t.is_finite())
        .collect();
    let apds: Vec<f64> = apd.iter().copied().filter(|a| a.is_finite()).collect();
    let (first, last) = activated
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &t| {
            (a.min(t), b.max(t))
        });
    let some = |v: f64| v.is_finite().then_some(v);
    // Reactivated: the latest upstroke is another action potential (after the first repolarised).
    let reactivated = t
        .last_activation_ms
        .iter()
        .zip(&t.repolarisation_ms)
        .filter(|(l, r)| l.is_finite() && r.is_finite() && l > r)
        .count();
    let summary = EpSummary {
        cardiotwin_version: env!("CARGO_PKG_VERSION").into(),
        scenario: scenario.name.clone(),
        cell_model: match cells.cells.as_slice() {
            [one] => one.name(),
            _ => "mixed",
        },
        activation_threshold_mv: threshold,
        repolarisation_threshold_mv: repolarisation,
        nodes: mesh.node_count(),
        tets: mesh.tet_count(),
        monodomain: MonodomainReport {
            backend: md.backend(),
            time_step_ms: dt,
            simulated_ms,
            wall_s: clock.elapsed().as_secs_f64(),
            ..setup.report
        },
        duration_ms: simulated_ms,
        backend: md.backend(),
        steps,
        activated_nodes: activated.len(),
        repolarised_nodes: apds.len(),
        total_activation_ms: some(last - first),
        first_activation_ms: some(first),
        last_activation_ms: some(last),
        apd90_mean_ms: (!apds.is_empty()).then(|| apds.iter().sum::<f64>() / apds.len() as f64),
        apd90_min_ms: some(apds.iter().copied().fold(f64::INFINITY, f64::min)),
        apd90_max_ms: some(apds.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        reactivated_nodes: reactivated,
        cells: cells
            .cells
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let of = |i: &usize| cells.cell_of[*i] as usize == k;
                let apds: Vec<f64> = (0..apd.len())
                    .filter(of)
                    .map(|i| apd[i])
                    .filter(|a| a.is_finite())
                    .collect();
                CellApd {
                    cell: c.name(),
                    nodes: (0..apd.len()).filter(of).count(),
                    repolarised_nodes: apds.len(),
                    apd90_mean_ms: (!apds.is_empty())
                        .then(|| apds.iter().sum::<f64>() / apds.len() as f64),
                }
            })
            .collect(),
        vm_frames: entries.len(),
        wall_s: clock.elapsed().as_secs_f64(),
    };
    let json =
        serde_json::to_vec_pretty(&summary).map_err(|e| Error::Invalid(format!("summary: {e}")))?;
    write(&dir.join("summary.json"), &json)?;
    Ok(summary)
}
