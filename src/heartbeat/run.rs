//! The main job: a scenario run beat by beat, with its outputs, checkpoints and resume.
//!
//! `DIR/` holds:
//! - `scenario.toml`: the scenario as run (what `--resume` reads back);
//! - `metrics.csv`: [`METRICS_COLUMNS`], one row every `outputs.metrics_interval_ms` from t = 0;
//! - `summary.json`: per beat EDV, ESV, SV, EF, peak pressure, cardiac output, peak fibre stress, and run
//!   information; rewritten after every beat, `status` `running`, `finished` or `failed` (with the
//!   diagnosis);
//! - `pv_loop.png`: the LV pressure-volume loop of every finished beat;
//! - `fields/NNNNNN.vtu` and `fields.pvd`: the deformed mesh with the scenario's fields;
//! - `checkpoint.json`: the loop's state at the end of the last finished beat.
//!
//! The mechanics runs on the backend of `--backend` ([`BackendChoice`]: `gpu` on any adapter, lavapipe
//! included; `auto` on a hardware GPU when there is one, else on the CPU), the circulation on the CPU;
//! `summary.json` says which (`run.backend`), why (`run.backend_reason`) and on which adapter
//! (`run.adapter`). A resumed run continues on the backend of its own command line; on the same backend
//! (and adapter) it writes the files of an uninterrupted run byte for byte.
//!
//! Every file is replaced atomically (written beside, then renamed), `metrics.csv` is appended and
//! flushed at every beat's end: an interrupted run keeps every finished beat, and `--resume DIR` goes on
//! from the last checkpoint, producing the same files as a run that was never interrupted.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::heart::Heart;
use super::scenario::{FieldName, Scenario};
use super::simulation::{LoopState, METRICS_COLUMNS, PreloadReport, Sample, Simulation};
use crate::backend::BackendChoice;
use crate::error::{Error, Result};
use crate::mesh::Field;

/// Options of a run beyond the scenario.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub out: PathBuf,
    /// Beats in all (overrides the scenario's).
    pub beats: Option<u32>,
    /// Go on from `out/checkpoint.json` (the scenario is read from `out/scenario.toml`).
    pub resume: bool,
    pub backend: BackendChoice,
    /// The adapter whose name contains this text (`--adapter`); with `auto` it also means "use the GPU".
    pub adapter: Option<String>,
    /// Draw a progress bar on the terminal.
    pub progress: bool,
    /// Stop (as if interrupted) after this many beats of this invocation: for tests of resume.
    pub stop_after: Option<u32>,
}

/// One beat's numbers. Volumes mL, pressures mmHg.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BeatSummary {
    /// From 1.
    pub beat: u32,
    pub start_s: f64,
    pub edv_ml: f64,
    pub esv_ml: f64,
    pub sv_ml: f64,
    pub ef: f64,
    pub peak_lv_pressure_mmhg: f64,
    /// LV pressure at the beat's start (activation onset, end-diastole).
    pub end_diastolic_pressure_mmhg: f64,
    pub aortic_systolic_mmhg: f64,
    pub aortic_diastolic_mmhg: f64,
    pub cardiac_output_l_min: f64,
    pub max_fibre_stress_kpa: f64,
    /// Largest 99th percentile (over the tetrahedra) of the fibre stress in the beat, kPa.
    pub p99_fibre_stress_kpa: f64,
    pub rv_edv_ml: f64,
    pub rv_esv_ml: f64,
    pub rv_ef: f64,
    pub peak_rv_pressure_mmhg: f64,
    pub wall_s: f64,
}

/// Run information of `summary.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInfo {
    pub scenario: String,
    /// Where the mechanics ran: `cpu` (f64) or `gpu` (f32); the circulation always runs on the CPU.
    pub backend: String,
    /// Why that backend (`--backend` and what `auto` found).
    pub backend_reason: String,
    /// The GPU adapter's name, on the GPU backend.
    pub adapter: Option<String>,
    pub cpu_threads: usize,
    pub activation_mode: String,
    pub heart_rate_bpm: f64,
    /// Whether the RV is a FE cavity (else the circulation's elastance chamber).
    pub rv_finite_elements: bool,
    pub time_step_ms: f64,
    pub metrics_interval_ms: f64,
    pub steps: u64,
    pub simulated_s: f64,
    pub wall_s: f64,
    pub wall_s_per_beat: f64,
    pub tet_steps_per_s: f64,
}

/// `summary.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSummary {
    pub cardiotwin_version: String,
    /// `running`, `finished` or `failed`.
    pub status: String,
    pub error: Option<String>,
    pub beats: Vec<BeatSummary>,
    pub run: RunInfo,
    pub heart: serde_json::Value,
    pub preload: PreloadReport,
}

/// `checkpoint.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Checkpoint {
    /// Rows of `metrics.csv` after the header at the checkpoint.
    rows: u64,
    beats: Vec<BeatSummary>,
    fields: Vec<(f64, String)>,
    preload: PreloadReport,
    wall_s: f64,
    /// [`crate::mesh::TetMesh::fingerprint`] of the heart's mesh, hexadecimal: a resume against a mesh
    /// that is not the one stepped (a changed file, or nodes numbered otherwise by another version) is
    /// refused. Absent in checkpoints of versions before it, which are refused too.
    #[serde(default)]
    mesh: Option<String>,
    state: LoopState,
}

/// Min and max of a series.
#[derive(Debug, Clone, Copy)]
struct Span {
    min: f64,
    max: f64,
}

impl Span {
    fn new() -> Self {
        Span {
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    fn add(&mut self, v: f64) {
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }
}

/// Accumulates one beat's samples.
struct BeatAccumulator {
    start_s: f64,
    edp: f64,
    lv_v: Span,
    lv_p: Span,
    aortic: Span,
    rv_v: Span,
    rv_p: Span,
    fibre: Span,
    fibre_p99: Span,
}

impl BeatAccumulator {
    fn new(first: &Sample) -> Self {
        let mut acc = BeatAccumulator {
            start_s: first.time_s,
            edp: first.lv_pressure_mmhg,
            lv_v: Span::new(),
            lv_p: Span::new(),
            aortic: Span::new(),
            rv_v: Span::new(),
            rv_p: Span::new(),
            fibre: Span::new(),
            fibre_p99: Span::new(),
        };
        acc.add(first);
        acc
    }

    fn add(&mut self, s: &Sample) {
        self.lv_v.add(s.lv_volume_ml);
        self.lv_p.add(s.lv_pressure_mmhg);
        self.aortic.add(s.aortic_pressure_mmhg);
        self.rv_v.add(s.rv_volume_ml);
        self.rv_p.add(s.rv_pressure_mmhg);
        self.fibre.add(s.max_fibre_stress_kpa);
        self.fibre_p99.add(s.p99_fibre_stress_kpa);
    }

    fn finish(&self, beat: u32, heart_rate_bpm: f64, wall_s: f64) -> BeatSummary {
        let sv = self.lv_v.max - self.lv_v.min;
        BeatSummary {
            beat,
            start_s: self.start_s,
            edv_ml: self.lv_v.max,
            esv_ml: self.lv_v.min,
            sv_ml: sv,
            ef: sv / self.lv_v.max,
            peak_lv_pressure_mmhg: self.lv_p.max,
            end_diastolic_pressure_mmhg: self.edp,
            aortic_systolic_mmhg: self.aortic.max,
            aortic_diastolic_mmhg: self.aortic.min,
            cardiac_output_l_min: sv * heart_rate_bpm * 1e-3,
            max_fibre_stress_kpa: self.fibre.max,
            p99_fibre_stress_kpa: self.fibre_p99.max,
            rv_edv_ml: self.rv_v.max,
            rv_esv_ml: self.rv_v.min,
            rv_ef: (self.rv_v.max - self.rv_v.min) / self.rv_v.max,
            peak_rv_pressure_mmhg: self.rv_p.max,
            wall_s,
        }
    }
}

/// Writes `bytes` to `path` atomically (a sibling temporary file renamed over it).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(tmp.display().to_string(), e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path.display().to_string(), e))
}

fn json_bytes(value: &impl Serialize) -> Result<Vec<u8>> {
    let mut v = serde_json::to_vec_pretty(value)
        .map_err(|e| Error::Invalid(format!("serialising JSON: {e}")))?;
    v.push(b'\n');
    Ok(v)
}

/// Runs `scenario` (or, with `opts.resume`, the one saved in `opts.out`) and writes the outputs of the
/// module docs. Returns the final summary; on a failure after the start, `summary.json` says `failed`
/// with the diagnosis and every finished beat stays on disk.
pub fn run(scenario: Option<Scenario>, opts: &RunOptions) -> Result<RunSummary> {
    let clock = Instant::now();
    let dir = &opts.out;
    let scenario_path = dir.join("scenario.toml");
    let mut scenario = match (opts.resume, scenario) {
        (true, _) => Scenario::from_file(&scenario_path)
            .map_err(|e| Error::Invalid(format!("--resume {}: {e}", dir.display())))?,
        (false, Some(s)) => s,
        (false, None) => Scenario::default(),
    };
    if let Some(b) = opts.beats {
        scenario.beats = b;
    }
    scenario
        .validate("(command line)")
        .map_err(|e| Error::Invalid(e.to_string()))?;
    // Before anything is written: a GPU backend without a driver fails with the driver to install.
    let (backend, report) = opts.backend.resolve(opts.adapter.as_deref())?;
    let backend_kind = report.kind;
    let backend_reason = report.reason.clone();
    let adapter = report.adapter.as_ref().map(|a| a.name.clone());
    if let Some(a) = &report.adapter {
        log::info!("heartbeat mechanics on the GPU: {}", a.describe());
    }
    std::fs::create_dir_all(dir.join("fields"))
        .map_err(|e| Error::io(dir.join("fields").display().to_string(), e))?;

    let heart = Heart::build_on(&scenario, &backend)?;
    log::info!(
        "heart: {} nodes, {} tets, LV {:.1} mL unloaded, time step {:.4} ms (added mass {:.2}%)",
        heart.report.nodes,
        heart.report.tets,
        heart.report.lv_unloaded_volume_ml,
        heart.dt,
        100.0 * heart.report.added_mass_fraction
    );
    let metrics_path = dir.join("metrics.csv");
    let checkpoint_path = dir.join("checkpoint.json");
    let fingerprint = format!("{:016x}", heart.mesh.fingerprint());
    let (mut sim, preload, mut beats, mut fields, mut rows, wall_before) = if opts.resume {
        let text = std::fs::read_to_string(&checkpoint_path)
            .map_err(|e| Error::io(checkpoint_path.display().to_string(), e))?;
        let not_a_checkpoint = |e: serde_json::Error| {
            Error::Invalid(format!(
                "{}: not a checkpoint: {e}",
                checkpoint_path.display()
            ))
        };
        // The mesh is checked first, so that a checkpoint of an older version, whose state may be laid
        // out otherwise, is refused for what it is.
        let value: serde_json::Value = serde_json::from_str(&text).map_err(not_a_checkpoint)?;
        let mesh = value
            .get("mesh")
            .and_then(|m| m.as_str())
            .map(str::to_string);
        if mesh.as_deref() != Some(fingerprint.as_str()) {
            let why = match &mesh {
                Some(m) => format!(
                    "was written for a mesh with fingerprint {m}, and the scenario's mesh has \
                     {fingerprint} (the mesh file, or the scenario's [mesh] table, changed)"
                ),
                None => {
                    "records no mesh fingerprint: it was written by an older cardiotwin, which \
                         numbered the nodes in the file's order"
                        .to_string()
                }
            };
            return Err(Error::Invalid(format!(
                "{}: this checkpoint {why}; run again without --resume",
                checkpoint_path.display()
            )));
        }
        let ck: Checkpoint = serde_json::from_value(value).map_err(not_a_checkpoint)?;
        let sim = Simulation::resume(&heart, &scenario, &ck.state, backend)?;
        truncate_rows(&metrics_path, ck.rows)?;
        (sim, ck.preload, ck.beats, ck.fields, ck.rows, ck.wall_s)
    } else {
        write_atomic(&scenario_path, scenario.to_toml().as_bytes())?;
        let (sim, preload) = Simulation::start(&heart, &scenario, backend)?;
        log::info!(
            "preload to {:.1} mmHg: LV {:.1} mL ({} relaxation steps, residual {:.1e}, work {:.1e})",
            preload.lv_pressure_mmhg,
            preload.lv_volume_ml,
            preload.relaxation_steps,
            preload.relaxation_residual,
            preload.relaxation_work
        );
        write_atomic(&metrics_path, (METRICS_COLUMNS.join(",") + "\n").as_bytes())?;
        (sim, preload, Vec::new(), Vec::new(), 0, 0.0)
    };

    let period = scenario.period_ms();
    let per_beat = (period / scenario.outputs.metrics_interval_ms)
        .round()
        .max(1.0) as u64;
    let interval = period / per_beat as f64;
    let per_sample = (interval / heart.dt).ceil().max(1.0) as u64;
    let dt = interval / per_sample as f64;
    let fields_every = if scenario.outputs.field_interval_ms > 0.0 {
        ((scenario.outputs.field_interval_ms / interval).round() as u64).max(1)
    } else {
        0
    };
    let info = |steps: u64, simulated_s: f64, wall: f64, finished_beats: usize| RunInfo {
        scenario: scenario.name.clone(),
        backend: backend_kind.into(),
        backend_reason: backend_reason.clone(),
        adapter: adapter.clone(),
        cpu_threads: rayon::current_num_threads(),
        activation_mode: heart.report.activation_mode.into(),
        heart_rate_bpm: scenario.heart_rate_bpm,
        rv_finite_elements: heart.rv.is_some(),
        time_step_ms: dt,
        metrics_interval_ms: interval,
        steps,
        simulated_s,
        wall_s: wall,
        wall_s_per_beat: if finished_beats > 0 {
            wall / finished_beats as f64
        } else {
            0.0
        },
        tet_steps_per_s: steps as f64 * heart.report.tets as f64 / wall.max(1e-9),
    };
    let heart_json = serde_json::to_value(&heart.report)
        .map_err(|e| Error::Invalid(format!("serialising the heart report: {e}")))?;
    let summary_of =
        |status: &str, error: Option<String>, beats: &[BeatSummary], sim: &Simulation| {
            let wall = wall_before + clock.elapsed().as_secs_f64();
            RunSummary {
                cardiotwin_version: env!("CARGO_PKG_VERSION").into(),
                status: status.into(),
                error,
                beats: beats.to_vec(),
                run: info(sim.steps(), sim.time_ms() * 1e-3, wall, beats.len()),
                heart: heart_json.clone(),
                preload: preload.clone(),
            }
        };

    let mut metrics = std::fs::OpenOptions::new()
        .append(true)
        .open(&metrics_path)
        .map_err(|e| Error::io(metrics_path.display().to_string(), e))?;
    let first_beat = beats.len() as u32;
    let total = scenario.beats;
    let bar = progress_bar(
        opts.progress,
        (total.saturating_sub(first_beat)) as u64 * per_beat,
    );
    let outcome = (|| -> Result<()> {
        let mut sample = sim.sample()?;
        sample.time_s = rows.saturating_sub(1) as f64 * interval * 1e-3;
        check_finite(&sample)?;
        if rows == 0 {
            writeln!(metrics, "{}", sample.row(1))
                .map_err(|e| Error::io(metrics_path.display().to_string(), e))?;
            rows = 1;
            if fields_every > 0 {
                write_fields(dir, &heart, &mut sim, &scenario, 0, &mut fields)?;
            }
        }
        let mut sample_index = rows - 1;
        for beat in first_beat..total {
            if opts.stop_after.is_some_and(|n| beat - first_beat >= n) {
                break;
            }
            let beat_clock = Instant::now();
            let steps_before = sim.steps();
            let mut acc = BeatAccumulator::new(&sample);
            let mut text = String::new();
            for _ in 0..per_beat {
                for _ in 0..per_sample {
                    sim.step(dt)?;
                }
                sample = sim.sample()?;
                sample_index += 1;
                // The nominal time: the mechanics clock sums the steps and drifts by rounding.
                sample.time_s = sample_index as f64 * interval * 1e-3;
                check_finite(&sample)?;
                acc.add(&sample);
                text.push_str(&sample.row(beat + 1));
                text.push('\n');
                if fields_every > 0 && sample_index % fields_every == 0 {
                    write_fields(dir, &heart, &mut sim, &scenario, sample_index, &mut fields)?;
                }
                if let Some(bar) = &bar {
                    bar.inc(1);
                    let rate = (sim.steps() - steps_before) as f64
                        / beat_clock.elapsed().as_secs_f64().max(1e-9);
                    bar.set_message(format!(
                        "beat {}/{total}  t = {:.3} s  {rate:.0} steps/s  LV {:.1} mL {:.1} mmHg",
                        beat + 1,
                        sample.time_s,
                        sample.lv_volume_ml,
                        sample.lv_pressure_mmhg
                    ));
                }
            }
            metrics
                .write_all(text.as_bytes())
                .and_then(|_| metrics.sync_data())
                .map_err(|e| Error::io(metrics_path.display().to_string(), e))?;
            rows += per_beat;
            let summary = acc.finish(
                beat + 1,
                scenario.heart_rate_bpm,
                beat_clock.elapsed().as_secs_f64(),
            );
            log::info!(
                "beat {}: EDV {:.1} mL, ESV {:.1} mL, EF {:.1}%, peak LV {:.1} mmHg, aortic {:.0}/{:.0} mmHg",
                summary.beat,
                summary.edv_ml,
                summary.esv_ml,
                100.0 * summary.ef,
                summary.peak_lv_pressure_mmhg,
                summary.aortic_systolic_mmhg,
                summary.aortic_diastolic_mmhg
            );
            beats.push(summary);
            let ck = Checkpoint {
                rows,
                beats: beats.clone(),
                fields: fields.clone(),
                preload: preload.clone(),
                wall_s: wall_before + clock.elapsed().as_secs_f64(),
                mesh: Some(fingerprint.clone()),
                state: sim.save()?,
            };
            write_atomic(&checkpoint_path, &json_bytes(&ck)?)?;
            write_atomic(
                &dir.join("summary.json"),
                &json_bytes(&summary_of("running", None, &beats, &sim))?,
            )?;
        }
        Ok(())
    })();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    // The PV loops of every finished beat, from metrics.csv (which holds the beats before a resume too).
    let pv = plot_pv_loops(dir, &metrics_path, per_beat);
    let finished = beats.len() as u32 >= total;
    let (status, error) = match (&outcome, &pv) {
        (Err(e), _) => ("failed", Some(e.to_string())),
        (Ok(()), Err(e)) => ("failed", Some(e.to_string())),
        (Ok(()), Ok(())) if finished => ("finished", None),
        (Ok(()), Ok(())) => ("running", None),
    };
    let summary = summary_of(status, error, &beats, &sim);
    write_atomic(&dir.join("summary.json"), &json_bytes(&summary)?)?;
    outcome?;
    pv?;
    Ok(summary)
}

/// Keeps the header and the first `rows` rows of `metrics.csv` (what the checkpoint covers).
fn truncate_rows(path: &Path, rows: u64) -> Result<()> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Error::io(path.display().to_string(), e))?;
    let lines: Vec<&str> = text.lines().collect();
    if (lines.len() as u64) < rows + 1 {
        return Err(Error::Invalid(format!(
            "{}: {} rows, but the checkpoint covers {rows}: the file was changed after the checkpoint",
            path.display(),
            lines.len().saturating_sub(1)
        )));
    }
    let mut kept = lines[..=rows as usize].join("\n");
    kept.push('\n');
    write_atomic(path, kept.as_bytes())
}

fn check_finite(s: &Sample) -> Result<()> {
    let values = [
        s.lv_volume_ml,
        s.lv_pressure_mmhg,
        s.aortic_pressure_mmhg,
        s.rv_volume_ml,
        s.rv_pressure_mmhg,
        s.max_fibre_stress_kpa,
    ];
    if values.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "the simulation became unstable at t = {:.4} s: non-finite volumes, pressures or stresses \
             ({values:?}); nothing non-finite was written",
            s.time_s
        )))
    }
}

/// Every tetrahedron's deformed unit fibre F f0 / |F f0| at positions `x`, flattened (3 per tet).
pub fn deformed_fibres(model: &crate::mechanics::tled::TledModel, x: &[glam::DVec3]) -> Vec<f64> {
    use rayon::prelude::*;
    (0..model.tets.len())
        .into_par_iter()
        .flat_map_iter(|t| {
            (model.deformation_gradient(t, x) * model.frames[t].f0)
                .normalize_or_zero()
                .to_array()
        })
        .collect()
}

/// `fields/NNNNNN.vtu` of the current state and the updated `fields.pvd`.
fn write_fields(
    dir: &Path,
    heart: &Heart,
    sim: &mut Simulation,
    scenario: &Scenario,
    index: u64,
    entries: &mut Vec<(f64, String)>,
) -> Result<()> {
    let mut mesh = heart.mesh.clone();
    mesh.retain_fields(super::heart::is_input_numbering);
    let x = sim.positions()?.to_vec();
    let wanted = &scenario.outputs.fields;
    let (fibre, von_mises) =
        if wanted.contains(&FieldName::FibreStress) || wanted.contains(&FieldName::VonMises) {
            sim.stresses()?
        } else {
            (Vec::new(), Vec::new())
        };
    for &f in wanted {
        let field = match f {
            FieldName::Displacement => Field::new(
                f.name(),
                3,
                x.iter()
                    .zip(mesh.nodes())
                    .flat_map(|(p, q)| (*p - glam::DVec3::from_array(*q)).to_array())
                    .collect(),
            ),
            FieldName::VonMises => Field::new(f.name(), 1, von_mises.clone()),
            FieldName::FibreStress => Field::new(f.name(), 1, fibre.clone()),
            // -1 where the activation never arrives (VTU readers choke on infinities).
            FieldName::ActivationTime => Field::new(
                f.name(),
                1,
                heart
                    .activation_ms
                    .iter()
                    .map(|&t| if t.is_finite() { t } else { -1.0 })
                    .collect(),
            ),
            FieldName::ActiveTension => Field::new(f.name(), 1, sim.active_tension().to_vec()),
            FieldName::Fibre => Field::new(f.name(), 3, deformed_fibres(&heart.model, &x)),
        };
        if field.data.iter().any(|v| !v.is_finite()) {
            return Err(Error::Invalid(format!(
                "field {} is not finite at t = {:.4} s: the simulation became unstable",
                f.name(),
                sim.time_ms() * 1e-3
            )));
        }
        if f == FieldName::Displacement {
            mesh.add_point_field(field)?;
        } else {
            mesh.add_cell_field(field)?;
        }
    }
    let name = format!("fields/{index:06}.vtu");
    let path = dir.join(&name);
    let bytes = crate::mesh::io::vtk::write_vtu(&mesh);
    write_atomic(&path, &bytes)?;
    let t = sim.time_ms() * 1e-3;
    entries.retain(|(time, _)| *time < t - 1e-12);
    entries.push((t, name));
    write_atomic(
        &dir.join("fields.pvd"),
        &crate::mesh::io::pvd::write_pvd(entries),
    )
}

/// `pv_loop.png`: LV pressure against volume of every finished beat in `metrics.csv`.
fn plot_pv_loops(dir: &Path, metrics: &Path, per_beat: u64) -> Result<()> {
    let text = std::fs::read_to_string(metrics)
        .map_err(|e| Error::io(metrics.display().to_string(), e))?;
    let mut series: Vec<crate::plot::Series> = Vec::new();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .map(|v| v.parse().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    let full_beats = (rows.len().saturating_sub(1) as u64) / per_beat;
    for b in 0..full_beats {
        let (lo, hi) = ((b * per_beat) as usize, ((b + 1) * per_beat) as usize);
        series.push(crate::plot::Series {
            label: format!("beat {}", b + 1),
            points: rows[lo..=hi].iter().map(|r| (r[2], r[3])).collect(),
        });
    }
    if series.is_empty() {
        return Ok(());
    }
    // The last five beats at most: earlier ones crowd the legend.
    let skip = series.len().saturating_sub(5);
    let chart = crate::plot::Chart {
        title: "LV pressure-volume loop",
        x_label: "LV volume (mL)",
        y_label: "LV pressure (mmHg)",
        series: &series[skip..],
        size: (900, 700),
    };
    crate::plot::render_png(&dir.join("pv_loop.png"), &chart)
        .map_err(|e| Error::Invalid(format!("pv_loop.png: {e}")))
}

fn progress_bar(show: bool, len: u64) -> Option<indicatif::ProgressBar> {
    if !show {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {percent:>3}%  {msg}  [{elapsed_precise} elapsed, {eta} left]",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}
