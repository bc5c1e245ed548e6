//! The `cardiotwin` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use cardiotwin::backend::BackendChoice;
use cardiotwin::gpu::GpuInventory;
use cardiotwin::job::{self, JobOptions};

#[derive(Parser)]
#[command(
    name = "cardiotwin",
    version,
    about = "GPU digital twin of the human heart"
)]
struct Cli {
    /// Compute backend: `auto` (a hardware GPU if there is one, else the CPU), `gpu` (wgpu on any
    /// adapter, software ones included), `cpu` (native Rust).
    #[arg(
        long,
        global = true,
        env = "CARDIOTWIN_BACKEND",
        value_enum,
        default_value_t
    )]
    backend: BackendChoice,
    /// Use the adapter whose name contains this text (case-insensitive); see `gpu-info`.
    #[arg(long, global = true, env = "CARDIOTWIN_ADAPTER")]
    adapter: Option<String>,
    /// More log output (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only errors on the log.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// The main job (the command when none is given): the heart of SCENARIO (default: the built-in
    /// Rodero LV at 60 bpm) beating against the closed-loop circulation. Writes DIR/metrics.csv,
    /// summary.json, pv_loop.png, fields/*.vtu, fields.pvd, scenario.toml and checkpoint.json.
    Run {
        /// Scenario file (TOML; `cardiotwin scenario show` prints the default to start from).
        scenario: Option<PathBuf>,
        /// Output folder.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Beats to simulate in all (default: the scenario's).
        #[arg(long)]
        beats: Option<u32>,
        /// Go on from the last finished beat of the run in DIR (its scenario.toml and checkpoint.json).
        #[arg(long, value_name = "DIR", conflicts_with_all = ["scenario", "out"])]
        resume: Option<PathBuf>,
        /// Stop after this many beats of this invocation, as if interrupted (for testing resume).
        #[arg(long, hide = true)]
        stop_after: Option<u32>,
    },
    /// Scenario files: print the default, check a file.
    Scenario {
        #[command(subcommand)]
        command: ScenarioCommand,
    },
    /// Rest geometry of the generated Land 2015 left ventricle on the chosen backend, checked against the
    /// exact geometry (the first GPU kernel's end-to-end check); writes DIR/summary.json.
    Geometry {
        /// Output folder.
        #[arg(long, default_value = "out-geometry")]
        out: PathBuf,
        /// Element size of the generated ventricle, mm.
        #[arg(long, default_value_t = 1.0)]
        element_size: f64,
    },
    /// Inspect and convert mesh files.
    Mesh {
        #[command(subcommand)]
        command: MeshCommand,
    },
    /// List every GPU adapter, the one each backend choice would use, and the limits and features that
    /// matter. Fails when no adapter exists.
    GpuInfo {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Time the mechanics step on the chosen backend (--backend cpu: f64, rayon; gpu: f32, wgpu). MESH
    /// is a mesh file or a built-in name: arostica-lv (default), arostica-lv-100k, land-lv, or any name of
    /// `mesh info`.
    Bench {
        /// Mesh file or built-in mesh name.
        #[arg(long, default_value = "arostica-lv")]
        mesh: PathBuf,
        /// Element size of a generated built-in mesh (arostica-lv, arostica-lv-100k, land-lv), mm.
        #[arg(long)]
        element_size: Option<f64>,
        /// Timed steps.
        #[arg(long, default_value_t = 100)]
        steps: u32,
        /// Steps taken before timing (pipeline compilation, caches).
        #[arg(long, default_value_t = 10)]
        warmup: u32,
        /// `heart`: Holzapfel-Ogden, nodal pressure, endocardial pressure; `peer-nh`: the compressible
        /// neo-Hookean comparison workload under gravity.
        #[arg(long, value_enum, default_value_t)]
        workload: cardiotwin::bench::Workload,
        /// `morton`: the nodes renumbered in space, as `run` numbers a scenario's mesh; `file`: the
        /// mesh file's own order (to measure what the renumbering gains).
        #[arg(long, value_enum, default_value_t)]
        node_order: cardiotwin::bench::NodeOrder,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Also write the mesh stepped (in the order stepped; format by extension, e.g. .vtu), for other
        /// codes to run the same problem on (`benches/peer/`).
        #[arg(long)]
        export: Option<PathBuf>,
        /// CPU backend only: write the positions after the warm-up and timed steps as CSV (x,y,z per
        /// node, mm, node order of the mesh stepped).
        #[arg(long)]
        dump_positions: Option<PathBuf>,
        /// CPU backend only: the step timed: fused-f32 (the fast CPU backend), fused-f64, or reference
        /// (the f64 reference step the others are tested against).
        #[arg(long, value_enum, default_value_t)]
        cpu_step: cardiotwin::bench::CpuStep,
    },
    /// Pictures of the heart: a still (PNG) of the state nearest --time, or an animated GIF of the last
    /// beat (--beat-animation), of a result folder of `run` (its fields.pvd), a .pvd series, or one mesh
    /// file (.vtu). The surface is deformed by the `displacement` field and coloured by --field, with a
    /// colour bar. Needs a GPU adapter (a software one such as lavapipe will do).
    Render {
        /// Result folder, .pvd file or mesh file.
        input: PathBuf,
        /// displacement (magnitude, mm), von_mises (kPa), fibre_stress (kPa), activation_time (ms),
        /// active_tension (kPa), or the name of any point or cell array of the mesh.
        #[arg(long)]
        field: String,
        /// Time of the state to draw, s (the nearest one in the series; default: the last).
        #[arg(
            long,
            value_name = "T_S",
            conflicts_with = "beat_animation",
            allow_hyphen_values = true
        )]
        time: Option<f64>,
        /// An animated GIF of the last beat (every state of it in fields.pvd, in real time).
        #[arg(long)]
        beat_animation: bool,
        /// Output file: .png for a still, .gif for --beat-animation.
        #[arg(long)]
        out: PathBuf,
        /// Image size WxH in pixels (default 1280x720 for stills, 640x360 for animations).
        #[arg(long, value_parser = parse_size)]
        size: Option<(u32, u32)>,
        /// View: anterior, posterior, long-axis (from the side) or short-axis (from the base, down the
        /// long axis).
        #[arg(long, value_enum, default_value = "anterior")]
        view: cardiotwin::render::ViewPreset,
        /// Colour range MIN,MAX (default: 1st to 99th percentile of the values over the frames drawn,
        /// extremes clamp to the ends; symmetric about zero for fibre stress).
        #[arg(long, value_parser = parse_range, allow_hyphen_values = true)]
        range: Option<(f64, f64)>,
        /// Open the heart: short-axis (across the long axis, the base removed) or long-axis (along it,
        /// the half towards the viewer removed), optionally :FRACTION (0 to 1, from the apex or across
        /// the heart; default 0.5). The cut face shows the field through the wall.
        #[arg(long, value_parser = cardiotwin::render::Cut::parse)]
        cut: Option<cardiotwin::render::Cut>,
        /// Fibre glyphs on the surface, from the states' `fibre` field (a run writes it when the
        /// scenario's outputs.fields lists "fibre").
        #[arg(long)]
        fibres: bool,
    },
    /// The heart of SCENARIO (default: the built-in Rodero LV) beating live in a window, with controls:
    /// play/pause, speed, field, colour range, views, cuts, heart rate, contractility, afterload, reset,
    /// the live pressure-volume loop and pressure traces, screenshots. The simulation runs on the
    /// backend of --backend on its own thread; the window shows its real-time factor. Needs a display
    /// (or Xvfb) and a GPU adapter for drawing (a software one such as lavapipe will do).
    View {
        /// Scenario file (TOML); or the output folder of `run` (or its fields.pvd) to play its last
        /// beat at real time.
        scenario: Option<PathBuf>,
        #[command(flatten)]
        args: ViewArgs,
    },
    /// The electrophysiology of SCENARIO alone: monodomain reaction-diffusion from its pacing sites
    /// (several sites and times: biventricular pacing, S1-S2), conductivities tuned to the mesh for the
    /// scenario's speeds. Writes DIR/vm.pvd (transmembrane potential over time), activation.vtu
    /// (activation, last activation, repolarisation and APD90 per node), summary.json, scenario.toml.
    /// Without SCENARIO: the default heart paced at the endocardial apex at 0 ms.
    Ep {
        /// Scenario file (TOML) with [[activation.sites]].
        scenario: Option<PathBuf>,
        /// Output folder.
        #[arg(long, default_value = "out-ep")]
        out: PathBuf,
        /// Simulated time, ms.
        #[arg(long, default_value_t = 500.0)]
        duration: f64,
        /// Cell model of every node outside scenario regions with their own `cell` (default: the
        /// scenario's `activation.cell`, Mitchell-Schaeffer unless it says otherwise).
        #[arg(long, value_enum)]
        cell: Option<EpCellArg>,
        /// Interval of the transmembrane potential series, ms (0: none).
        #[arg(long, default_value_t = 5.0)]
        vm_interval: f64,
    },
    /// Verification problems with known answers.
    Verify {
        #[command(subcommand)]
        problem: VerifyCommand,
    },
}

#[derive(Subcommand)]
enum ScenarioCommand {
    /// Print the built-in default scenario as TOML.
    Show,
    /// Read and validate a scenario file (and build its heart: mesh, surfaces, fibres).
    Check { file: PathBuf },
}

#[derive(Subcommand)]
enum VerifyCommand {
    /// The closed-loop 0D circulation of Regazzoni et al. 2022 (CIRCULATION.md parameters) run alone to
    /// its limit cycle: LV and RV volumes, pressures, ejection fractions, cardiac output.
    #[command(name = "circulation-0d")]
    Circulation0d {
        /// Machine-readable output: the summary as JSON.
        #[arg(long)]
        json: bool,
        /// Most beats to simulate.
        #[arg(long, default_value_t = 200)]
        beats: u32,
        /// Heart rate, beats per minute.
        #[arg(long, default_value_t = 60.0)]
        heart_rate: f64,
        /// Also write the last beat (volumes, pressures, flows) as CSV to this file.
        #[arg(long)]
        trace: Option<PathBuf>,
    },
    /// Uniaxial stretch of a compressible neo-Hookean cube to 1.5 against the closed form.
    #[command(name = "uniaxial-nh")]
    UniaxialNh(MechanicsArgs),
    /// Lamé's thick neo-Hookean sphere (A = 10, B = 15 mm, mu = 10 kPa) inflated to 4 kPa.
    #[command(name = "lame-sphere")]
    LameSphere(MechanicsArgs),
    /// Land et al. 2015 problem 1: the Guccione beam under follower pressure (JSON `tip_z_mm`).
    #[command(name = "land-beam")]
    LandBeam(MechanicsArgs),
    /// Land et al. 2015 problem 2: passive inflation of the ellipsoidal LV to 10 kPa.
    #[command(name = "land-lv-passive")]
    LandLvPassive(MechanicsArgs),
    /// Land et al. 2015 problem 3: inflation to 15 kPa and active tension 60 kPa along the fibres.
    #[command(name = "land-lv-active")]
    LandLvActive(MechanicsArgs),
    /// Arostica et al. 2025 elastodynamics benchmark 1, step 0A (active stress only): writes DIR/qoi.csv.
    #[command(name = "elasto-b1-step0a")]
    ElastoB1Step0a(MechanicsArgs),
    /// Benchmark 1 step 0B (endocardial pressure only).
    #[command(name = "elasto-b1-step0b")]
    ElastoB1Step0b(MechanicsArgs),
    /// Benchmark 1 step 1 (active stress and pressure).
    #[command(name = "elasto-b1-step1")]
    ElastoB1Step1(MechanicsArgs),
    /// Benchmark 1 step 2A (3x stiffness, sigma0 200 kPa).
    #[command(name = "elasto-b1-step2a")]
    ElastoB1Step2a(MechanicsArgs),
    /// Benchmark 1 step 2B (5x stiffness, sigma0 100 kPa).
    #[command(name = "elasto-b1-step2b")]
    ElastoB1Step2b(MechanicsArgs),
    /// Benchmark 1 step 2C (1/3 stiffness, sigma0 200 kPa).
    #[command(name = "elasto-b1-step2c")]
    ElastoB1Step2c(MechanicsArgs),
    /// Arostica et al. 2025 benchmark 2: the coarse biventricle with LV and RV pressures; DIR/qoi.csv adds
    /// probe p2 and the RV volume.
    #[command(name = "elasto-b2")]
    ElastoB2(MechanicsArgs),
    /// Niederer et al. 2011 slab (20 x 7 x 3 mm, fibres along x): monodomain activation times of P1..P9
    /// (JSON `activation_ms`), ten Tusscher-Panfilov 2006 cells (or Mitchell-Schaeffer).
    Niederer(SlabArgs),
    /// The eikonal activation against the monodomain one on the Niederer slab (speeds fitted to the
    /// monodomain times): both sets of P1..P9 and the RMS and largest difference.
    #[command(name = "eikonal-slab")]
    EikonalSlab(SlabArgs),
}

/// Options of the electrophysiology slab cases.
#[derive(clap::Args)]
struct SlabArgs {
    /// Element size, mm (0.1, 0.2, 0.5 or 1).
    #[arg(long, default_value_t = 0.5)]
    dx: f64,
    /// Time step, ms.
    #[arg(long, default_value_t = 0.05)]
    dt: f64,
    /// Stop at this time (or once every node is activated), ms.
    #[arg(long, default_value_t = 100.0)]
    end_ms: f64,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// Cell model: the benchmark's ten Tusscher-Panfilov 2006 (epicardial), its endocardial or M cell, or
    /// Mitchell-Schaeffer.
    #[arg(long, value_enum, default_value = "tp06")]
    cell: CellArg,
    /// Mass matrix of the diffusion step.
    #[arg(long, value_enum, default_value = "lumped")]
    mass: MassArg,
}

/// The mass matrix of the monodomain's diffusion step.
#[derive(Clone, Copy, clap::ValueEnum)]
enum MassArg {
    /// Lumped, explicit step (the GPU's too).
    Lumped,
    /// Consistent, implicit step solved by conjugate gradients (CPU only; more accurate on coarse meshes).
    Consistent,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CellArg {
    /// ten Tusscher-Panfilov 2006, epicardial (the Niederer benchmark's).
    Tp06,
    /// ten Tusscher-Panfilov 2006, endocardial.
    Tp06Endo,
    /// ten Tusscher-Panfilov 2006, mid-myocardial (M cell).
    Tp06Mid,
    /// Mitchell-Schaeffer 2003 (two variables, fast).
    MitchellSchaeffer,
}

/// Cells of `cardiotwin ep`: those of `--cell` elsewhere, and TP06 across the wall.
#[derive(Clone, Copy, clap::ValueEnum)]
enum EpCellArg {
    /// Mitchell-Schaeffer 2003 (two variables, fast).
    MitchellSchaeffer,
    /// ten Tusscher-Panfilov 2006, epicardial.
    Tp06,
    /// ten Tusscher-Panfilov 2006, endocardial.
    Tp06Endo,
    /// ten Tusscher-Panfilov 2006, mid-myocardial (M cell).
    Tp06Mid,
    /// ten Tusscher-Panfilov 2006, endocardial / M / epicardial cells in the inner / middle / outer third
    /// of the wall.
    Tp06Transmural,
}

impl CellArg {
    fn cell(self) -> cardiotwin::ep::Cell {
        use cardiotwin::ep::Cell;
        match self {
            CellArg::Tp06 => Cell::Tp06,
            CellArg::Tp06Endo => Cell::Tp06Endo,
            CellArg::Tp06Mid => Cell::Tp06Mid,
            CellArg::MitchellSchaeffer => Cell::MitchellSchaeffer,
        }
    }
}

/// Options of the mechanics verification cases.
#[derive(clap::Args)]
struct MechanicsArgs {
    /// Divide the case's default element size by this factor.
    #[arg(long, default_value_t = 1.0)]
    refine: f64,
    /// Write DIR/CASE.json and the deformed mesh DIR/CASE.vtu.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// Land problems 2 and 3: let the base slide in its plane instead of fixing it.
    #[arg(long)]
    sliding_base: bool,
    /// Land problem 3: active stress as a Cauchy stress along the deformed fibre (default: PK2 along f0).
    #[arg(long)]
    cauchy_active: bool,
    /// Volumetric term: averaged nodal pressure (default) or per element (locks; for comparison).
    #[arg(long, value_enum, default_value = "nodal-average")]
    volumetric: VolumetricArg,
    /// Elastodynamics cases: stop at this time, ms (default: the benchmark's 1000 ms).
    #[arg(long)]
    end_time_ms: Option<f64>,
    /// Land cases: linear tetrahedra (default, the product's element, either backend) or quadratic
    /// tetrahedra (CPU only; free of the linear element's bending stiffness).
    #[arg(long, value_enum, default_value = "tet4")]
    element: ElementArg,
    /// Quadratic tetrahedra: the volumetric term at every Gauss point (default; robust, stiffens
    /// slightly) or once per element at the mean J (no locking; unstable under high pressure).
    #[arg(long, value_enum)]
    tet10_volumetric: Option<Tet10VolumetricArg>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Tet10VolumetricArg {
    GaussPoint,
    MeanDilatation,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ElementArg {
    Tet4,
    Tet10,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum VolumetricArg {
    NodalAverage,
    Element,
}

#[derive(Subcommand)]
enum MeshCommand {
    /// Counts, bounding box, volume, tagged surfaces and regions, element quality, topology checks.
    /// FILE is a mesh file or a built-in mesh name: land-lv, arostica-lv, land-beam, sphere-shell, ideal-biv,
    /// arostica-biv.
    Info {
        file: PathBuf,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Convert between formats, chosen by extension (IN may be a built-in mesh name).
    Convert { input: PathBuf, output: PathBuf },
    /// Keep the tetrahedra of some regions (by tag or name, comma-separated); boundary faces without a tag
    /// (where the regions were cut from the rest) get --cut-tag, named --cut-name.
    Extract {
        input: PathBuf,
        output: PathBuf,
        #[arg(long, value_delimiter = ',', required = true)]
        regions: Vec<String>,
        #[arg(long, allow_hyphen_values = true)]
        cut_tag: Option<i32>,
        #[arg(long, default_value = "cut")]
        cut_name: String,
        /// Keep only these point and cell fields (comma-separated; `--keep-fields ""` keeps none).
        #[arg(long, value_delimiter = ',')]
        keep_fields: Option<Vec<String>>,
    },
    /// Ventricular coordinates, rule-based fibres (Bayer et al. 2012), AHA segments and coronary
    /// territories, written with the mesh as point and cell fields. Surfaces are given by tag numbers or
    /// names (comma-separated); defaults: the Rodero/pyansys-heart surface names when the mesh has them,
    /// else the surfaces named endocardium, epicardium and base.
    Anatomy {
        input: PathBuf,
        output: PathBuf,
        #[arg(long, value_delimiter = ',')]
        lv_endo: Vec<String>,
        #[arg(long, value_delimiter = ',')]
        rv_endo: Vec<String>,
        #[arg(long, value_delimiter = ',')]
        epi: Vec<String>,
        #[arg(long, value_delimiter = ',')]
        base: Vec<String>,
        /// Helix angle at the endocardium and epicardium, degrees.
        #[arg(long, default_value_t = 60.0, allow_hyphen_values = true)]
        helix_endo: f64,
        #[arg(long, default_value_t = -60.0, allow_hyphen_values = true)]
        helix_epi: f64,
        /// Sheet (transverse) angle at the endocardium and epicardium, degrees.
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        sheet_endo: f64,
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        sheet_epi: f64,
        /// Direction from the LV towards the septum, "x,y,z" (default: towards the RV, or +x).
        #[arg(long, value_delimiter = ',', allow_hyphen_values = true, num_args = 3)]
        septum: Option<Vec<f64>>,
    },
}

fn main() -> ExitCode {
    // Like any Unix tool, end quietly when the reader of our output goes away (`| head`), instead of
    // panicking in println!.
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    ensure_runtime_dir();
    init_logging(cli.verbose, cli.quiet);
    let result = match cli.command.unwrap_or(Command::Run {
        scenario: None,
        out: PathBuf::from("out"),
        beats: None,
        resume: None,
        stop_after: None,
    }) {
        Command::Run {
            scenario,
            out,
            beats,
            resume,
            stop_after,
        } => heartbeat(
            scenario,
            out,
            beats,
            resume,
            stop_after,
            (cli.backend, cli.adapter),
            cli.quiet,
        ),
        Command::Scenario { command } => scenario_command(command),
        Command::Ep {
            scenario,
            out,
            duration,
            cell,
            vm_interval,
        } => ep_command(
            scenario,
            out,
            duration,
            cell,
            vm_interval,
            (cli.backend, cli.adapter.as_deref()),
        ),
        Command::Geometry { out, element_size } => geometry(
            &JobOptions {
                element_size_mm: element_size,
                backend: cli.backend,
                adapter: cli.adapter,
            },
            &out,
        ),
        Command::GpuInfo { json } => gpu_info(json, cli.adapter.as_deref()),
        Command::Bench {
            mesh,
            element_size,
            steps,
            warmup,
            workload,
            node_order,
            json,
            export,
            dump_positions,
            cpu_step,
        } => bench(
            &mesh,
            element_size,
            cardiotwin::bench::BenchOptions {
                steps,
                warmup_steps: warmup,
                cpu: cpu_step,
            },
            (workload, node_order),
            json,
            BenchFiles {
                export: export.as_deref(),
                dump_positions: dump_positions.as_deref(),
            },
            cli.backend,
            cli.adapter.as_deref(),
        ),
        Command::Mesh { command } => mesh_command(command),
        Command::Render {
            input,
            field,
            time,
            beat_animation,
            out,
            size,
            view,
            range,
            cut,
            fibres,
        } => render(
            &cardiotwin::render::job::RenderRequest {
                input,
                field,
                time_s: time,
                beat_animation,
                out,
                size,
                view,
                range,
                cut,
                fibres,
            },
            cli.backend,
            cli.adapter.as_deref(),
        ),
        Command::View { scenario, args } => {
            view_command(scenario, args, (cli.backend, cli.adapter))
        }
        Command::Verify {
            problem:
                VerifyCommand::Circulation0d {
                    json,
                    beats,
                    heart_rate,
                    trace,
                },
        } => verify_circulation_0d(json, beats, heart_rate, trace.as_deref()),
        Command::Verify {
            problem: VerifyCommand::Niederer(a),
        } => verify_slab("niederer", &a, cli.backend, cli.adapter.as_deref()),
        Command::Verify {
            problem: VerifyCommand::EikonalSlab(a),
        } => verify_slab("eikonal-slab", &a, cli.backend, cli.adapter.as_deref()),
        Command::Verify { problem } => {
            let (case, args) = match problem {
                VerifyCommand::UniaxialNh(a) => ("uniaxial-nh", a),
                VerifyCommand::LameSphere(a) => ("lame-sphere", a),
                VerifyCommand::LandBeam(a) => ("land-beam", a),
                VerifyCommand::LandLvPassive(a) => ("land-lv-passive", a),
                VerifyCommand::LandLvActive(a) => ("land-lv-active", a),
                VerifyCommand::ElastoB1Step0a(a) => ("elasto-b1-step0a", a),
                VerifyCommand::ElastoB1Step0b(a) => ("elasto-b1-step0b", a),
                VerifyCommand::ElastoB1Step1(a) => ("elasto-b1-step1", a),
                VerifyCommand::ElastoB1Step2a(a) => ("elasto-b1-step2a", a),
                VerifyCommand::ElastoB1Step2b(a) => ("elasto-b1-step2b", a),
                VerifyCommand::ElastoB1Step2c(a) => ("elasto-b1-step2c", a),
                VerifyCommand::ElastoB2(a) => ("elasto-b2", a),
                VerifyCommand::Circulation0d { .. }
                | VerifyCommand::Niederer(_)
                | VerifyCommand::EikonalSlab(_) => unreachable!("matched above"),
            };
            verify_mechanics(case, &args, cli.backend, cli.adapter.as_deref())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = std::error::Error::source(&*e);
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::FAILURE
        }
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        // wgpu-hal reports every backend that fails to start (a GL driver without a display, a Vulkan
        // loader without drivers) as an error; cardiotwin's own error says what matters. -v shows them.
        (false, 0) => "warn,wgpu_hal=off,cardiotwin=info",
        (false, 1) => "info,cardiotwin=debug",
        _ => "debug,cardiotwin=trace",
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default))
        .format_timestamp(None)
        .init();
}

/// Mesa prints "XDG_RUNTIME_DIR is invalid" to stderr on every start when the variable is unset (CI,
/// containers): point it at a private 0700 folder first, as a login session would.
fn ensure_runtime_dir() {
    use std::os::unix::fs::PermissionsExt;
    if std::env::var_os("XDG_RUNTIME_DIR").is_some() {
        return;
    }
    let user = std::env::var("USER").unwrap_or_else(|_| "user".into());
    let dir = std::env::temp_dir().join(format!("cardiotwin-runtime-{user}"));
    let dir = match std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)))
    {
        Ok(()) => dir,
        Err(_) => return,
    };
    // SAFETY: called first thing in main, before any other thread exists.
    unsafe { std::env::set_var("XDG_RUNTIME_DIR", dir) };
}

type CliResult = Result<(), Box<dyn std::error::Error>>;

fn heartbeat(
    scenario: Option<PathBuf>,
    out: PathBuf,
    beats: Option<u32>,
    resume: Option<PathBuf>,
    stop_after: Option<u32>,
    (backend, adapter): (BackendChoice, Option<String>),
    quiet: bool,
) -> CliResult {
    use std::io::IsTerminal;
    let scenario = match &scenario {
        Some(path) => Some(cardiotwin::heartbeat::Scenario::from_file(path)?),
        None => None,
    };
    let opts = cardiotwin::heartbeat::RunOptions {
        out: resume.clone().unwrap_or(out),
        beats,
        resume: resume.is_some(),
        backend,
        adapter,
        progress: !quiet && std::io::stderr().is_terminal(),
        stop_after,
    };
    let summary = cardiotwin::heartbeat::run(scenario, &opts)?;
    let r = &summary.run;
    println!("scenario    {}", r.scenario);
    match &r.adapter {
        Some(a) => println!(
            "backend     {} on {a} ({}), circulation on the CPU",
            r.backend, r.backend_reason
        ),
        None => println!(
            "backend     {} ({}), {} threads",
            r.backend, r.backend_reason, r.cpu_threads
        ),
    }
    println!(
        "preload     LV {:.1} mmHg -> {:.1} mL",
        summary.preload.lv_pressure_mmhg, summary.preload.lv_volume_ml
    );
    println!(
        "beat   EDV mL  ESV mL   SV mL    EF %  peak LV mmHg  aortic mmHg  CO L/min  fibre stress kPa (p99, max)"
    );
    for b in &summary.beats {
        println!(
            "{:>4} {:>7.1} {:>7.1} {:>7.1} {:>7.1} {:>13.1} {:>7.0}/{:<4.0} {:>9.2} {:>12.1} {:>8.1}",
            b.beat,
            b.edv_ml,
            b.esv_ml,
            b.sv_ml,
            100.0 * b.ef,
            b.peak_lv_pressure_mmhg,
            b.aortic_systolic_mmhg,
            b.aortic_diastolic_mmhg,
            b.cardiac_output_l_min,
            b.p99_fibre_stress_kpa,
            b.max_fibre_stress_kpa
        );
    }
    println!(
        "run         {} steps of {:.4} ms, {:.2} s simulated, {:.1} s wall ({:.1} s per beat, {:.2e} tet-steps/s)",
        r.steps, r.time_step_ms, r.simulated_s, r.wall_s, r.wall_s_per_beat, r.tet_steps_per_s
    );
    println!("outputs     {}", opts.out.display());
    Ok(())
}

fn verify_slab(
    case: &str,
    a: &SlabArgs,
    backend: BackendChoice,
    adapter: Option<&str>,
) -> CliResult {
    use cardiotwin::verify::ep;
    if !(a.dt.is_finite() && a.dt > 0.0 && a.end_ms.is_finite() && a.end_ms > 0.0) {
        return Err(format!(
            "--dt {} and --end-ms {} must be finite and > 0",
            a.dt, a.end_ms
        )
        .into());
    }
    let opts = ep::SlabOptions {
        dx_mm: a.dx,
        dt_ms: a.dt,
        end_ms: a.end_ms,
        cell: a.cell.cell(),
        mass: match a.mass {
            MassArg::Lumped => cardiotwin::ep::monodomain::Mass::Lumped,
            MassArg::Consistent => cardiotwin::ep::monodomain::Mass::Consistent,
        },
    };
    let v = if case == "niederer" {
        let (backend, _) = backend.resolve(adapter)?;
        ep::niederer(opts, backend)?
    } else {
        if backend == BackendChoice::Gpu {
            return Err(
                "eikonal-slab runs on the CPU backend (the eikonal solver has no GPU twin): \
                        drop --backend gpu"
                    .into(),
            );
        }
        ep::eikonal_slab(opts)?
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    let row = |key: &str| -> String {
        ep::POINTS
            .iter()
            .map(|(n, _)| match v[key][n].as_f64() {
                Some(t) => format!("{n} {t:.2}"),
                None => format!("{n} -"),
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    println!(
        "{case}: dx {} mm, dt {} ms, {} cells",
        a.dx, a.dt, v["cell_model"]
    );
    if case == "niederer" {
        println!("activation ms: {}", row("activation_ms"));
    } else {
        println!("monodomain ms: {}", row("monodomain_activation_ms"));
        println!("eikonal ms:    {}", row("eikonal_activation_ms"));
        println!(
            "fitted speeds {} / {} m/s; difference RMS {:.2} ms, max {:.2} ms",
            v["fitted_speed_m_s"]["fibre"],
            v["fitted_speed_m_s"]["cross"],
            v["rms_difference_ms"].as_f64().unwrap_or(f64::NAN),
            v["max_difference_ms"].as_f64().unwrap_or(f64::NAN)
        );
    }
    println!("wall {:.1} s", v["wall_s"].as_f64().unwrap_or(0.0));
    Ok(())
}

fn scenario_command(command: ScenarioCommand) -> CliResult {
    match command {
        ScenarioCommand::Show => {
            print!("{}", cardiotwin::heartbeat::Scenario::default().to_toml());
            Ok(())
        }
        ScenarioCommand::Check { file } => {
            let s = cardiotwin::heartbeat::Scenario::from_file(&file)?;
            let heart = cardiotwin::heartbeat::heart::Heart::build(&s)?;
            println!(
                "{}: valid; mesh {} ({} nodes, {} tets), LV {:.1} mL unloaded, time step {:.4} ms",
                file.display(),
                heart.report.mesh,
                heart.report.nodes,
                heart.report.tets,
                heart.report.lv_unloaded_volume_ml,
                heart.dt
            );
            Ok(())
        }
    }
}

fn geometry(opts: &JobOptions, out: &std::path::Path) -> CliResult {
    let summary = job::run(opts)?;
    let path = job::write_summary(out, &summary)?;
    let g = &summary.geometry;
    println!(
        "backend     {} ({})",
        summary.backend.kind, summary.backend.reason
    );
    println!(
        "mesh        {}: {} nodes, {} tets (element size {} mm)",
        summary.mesh.name, summary.mesh.nodes, summary.mesh.tets, summary.mesh.element_size_mm
    );
    println!(
        "wall volume {:.1} mm^3 (exact {:.1}, error {:+.3}%)",
        g.volume_mm3,
        summary.exact_wall_volume_mm3,
        100.0 * summary.wall_volume_rel_error
    );
    println!(
        "quality     radius ratio min {:.3} (tet {}), mean {:.3}; inverted {}, degenerate {}",
        g.quality_min, g.worst_tet, g.quality_mean, g.inverted, g.degenerate
    );
    if let Some(d) = summary.gpu_vs_cpu_max_rel_diff {
        println!("gpu vs cpu  max relative difference {d:.2e}");
    }
    println!(
        "throughput  {:.3e} tets/s ({:.2} ms{})",
        summary.tets_per_s,
        1e3 * summary.compute_s,
        summary
            .gpu_kernel_s
            .map(|s| format!(", kernel {:.3} ms on the GPU", 1e3 * s))
            .unwrap_or_default()
    );
    println!("wrote       {}", path.display());
    Ok(())
}

/// Built-in generated meshes, by name: (name, description).
const BUILTIN_MESHES: [(&str, &str); 7] = [
    ("ideal-biv", "idealised ellipsoidal biventricle, 2 mm"),
    ("land-lv", "Land 2015 truncated-ellipsoid LV, 1 mm"),
    (
        "arostica-lv",
        "Arostica 2025 ellipsoid LV with conical base, 5 mm",
    ),
    ("land-beam", "Land 2015 cantilever 10 x 1 x 1 mm, 0.25 mm"),
    ("sphere-shell", "thick sphere, radii 10 and 15 mm, 1 mm"),
    (
        "arostica-biv",
        "Arostica 2025 benchmark 2 coarse biventricle (meshes/biv_coarse.vtu, compiled in)",
    ),
    (
        "rodero-lv",
        "Rodero 2021 CT-derived LV, named surfaces (meshes/rodero_lv.vtu, compiled in)",
    ),
];

/// A mesh from a file, or a built-in one by name.
fn load_mesh(path: &std::path::Path) -> Result<cardiotwin::TetMesh, Box<dyn std::error::Error>> {
    use cardiotwin::anatomy::{
        arostica_biv, arostica_ellipsoid, biventricle, block, land_ellipsoid, sphere_shell,
    };
    if !path.exists() {
        match path.to_str().unwrap_or("") {
            "land-lv" => return Ok(land_ellipsoid::LandEllipsoid::with_element_size(1.0).build()?),
            "arostica-lv" => {
                return Ok(arostica_ellipsoid::ArosticaEllipsoid::with_element_size(5.0).build()?);
            }
            "land-beam" => return Ok(block::land_beam(0.25)?),
            "ideal-biv" => {
                return Ok(biventricle::IdealBiventricle::with_element_size(2.0).build()?);
            }
            "sphere-shell" => return Ok(sphere_shell::SphereShell::with_element_size(1.0).build()?),
            "arostica-biv" => return Ok(arostica_biv::coarse()?),
            "rodero-lv" => return Ok(cardiotwin::anatomy::rodero_lv::lv()?),
            _ => {}
        }
    }
    cardiotwin::mesh::io::read(path).map_err(|e| {
        let names: Vec<&str> = BUILTIN_MESHES.iter().map(|(n, _)| *n).collect();
        format!("{e} (built-in meshes: {})", names.join(", ")).into()
    })
}

/// Surface tags from numbers or names; with none given, the surface named `default` (if non-empty).
fn surface_tags(
    mesh: &cardiotwin::TetMesh,
    given: &[String],
    default: &str,
) -> Result<Vec<i32>, Box<dyn std::error::Error>> {
    let by_name = |name: &str| {
        mesh.surface_names
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(t, _)| *t)
    };
    if given.is_empty() {
        return Ok(if default.is_empty() {
            Vec::new()
        } else {
            by_name(default).into_iter().collect()
        });
    }
    given
        .iter()
        .map(|g| {
            g.trim()
                .parse::<i32>()
                .ok()
                .or_else(|| by_name(g.trim()))
                .ok_or_else(|| {
                    let known: Vec<String> = mesh
                        .surface_names
                        .iter()
                        .map(|(t, n)| format!("{t} {n:?}"))
                        .collect();
                    format!("no surface {g:?}; the mesh has {}", known.join(", ")).into()
                })
        })
        .collect()
}

fn mesh_command(command: MeshCommand) -> CliResult {
    match command {
        MeshCommand::Info { file, json } => {
            let mesh = load_mesh(&file)?;
            let info = cardiotwin::inspect::MeshInfo::of(&mesh);
            if json {
                println!("{}", serde_json::to_string_pretty(&info)?);
                return Ok(());
            }
            println!("{}", file.display());
            println!(
                "  nodes {}, tetrahedra {}, units {}",
                info.nodes, info.tets, info.units
            );
            println!(
                "  bbox [{:.3}, {:.3}, {:.3}] .. [{:.3}, {:.3}, {:.3}] mm",
                info.bbox.min[0],
                info.bbox.min[1],
                info.bbox.min[2],
                info.bbox.max[0],
                info.bbox.max[1],
                info.bbox.max[2]
            );
            println!("  volume {:.3} mm^3", info.volume_mm3);
            for r in &info.regions {
                println!(
                    "  region {:>4} {:<24} {:>9} tets {:>14.3} mm^3",
                    r.tag,
                    r.name.as_deref().unwrap_or("-"),
                    r.tets,
                    r.volume_mm3
                );
            }
            for s in &info.surfaces {
                println!(
                    "  surface {:>3} {:<24} {:>9} triangles {:>10.3} mm^2",
                    s.tag,
                    s.name.as_deref().unwrap_or("-"),
                    s.triangles,
                    s.area_mm2
                );
            }
            println!(
                "  quality (radius ratio) min {:.4}, mean {:.4}, {} below 0.1",
                info.quality.min, info.quality.mean, info.quality.below_0_1
            );
            println!(
                "  inverted (repaired) {}, degenerate {}, components {}, closed boundary {} ({} triangles, \
                 {} non-manifold edges)",
                info.inverted_repaired,
                info.degenerate,
                info.components,
                info.closed_boundary,
                info.boundary_triangles,
                info.non_manifold_boundary_edges
            );
            if !info.point_fields.is_empty() || !info.cell_fields.is_empty() {
                println!(
                    "  point fields {:?}, cell fields {:?}",
                    info.point_fields, info.cell_fields
                );
            }
            Ok(())
        }
        MeshCommand::Anatomy {
            input,
            output,
            lv_endo,
            rv_endo,
            epi,
            base,
            helix_endo,
            helix_epi,
            sheet_endo,
            sheet_epi,
            septum,
        } => {
            use cardiotwin::anatomy::coordinates::VentricleSurfaces;
            use cardiotwin::anatomy::fibres::LdrbAngles;
            let mut mesh = load_mesh(&input)?;
            let none_given = [&lv_endo, &rv_endo, &epi, &base]
                .iter()
                .all(|v| v.is_empty());
            let mut surfaces = match VentricleSurfaces::rodero(&mesh) {
                // A Rodero/pyansys-heart mesh with its surface names: no options needed.
                Ok(s) if none_given => s,
                _ => VentricleSurfaces {
                    lv_endo: surface_tags(&mesh, &lv_endo, "endocardium")?,
                    rv_endo: surface_tags(&mesh, &rv_endo, "")?,
                    epi: surface_tags(&mesh, &epi, "epicardium")?,
                    base: surface_tags(&mesh, &base, "base")?,
                    septum_direction: None,
                },
            };
            surfaces.septum_direction = septum.map(|v| [v[0], v[1], v[2]]);
            let angles = LdrbAngles {
                alpha_endo: helix_endo,
                alpha_epi: helix_epi,
                beta_endo: sheet_endo,
                beta_epi: sheet_epi,
            };
            let report = cardiotwin::anatomy::annotate(&mut mesh, &surfaces, angles)?;
            println!(
                "apex node {}, long axis [{:.3}, {:.3}, {:.3}], degenerate fibre frames {}",
                report.apex_node,
                report.long_axis[0],
                report.long_axis[1],
                report.long_axis[2],
                report.degenerate_frames
            );
            for p in cardiotwin::mesh::io::write(&output, &mesh)? {
                println!("wrote {}", p.display());
            }
            Ok(())
        }
        MeshCommand::Extract {
            input,
            output,
            regions,
            cut_tag,
            cut_name,
            keep_fields,
        } => {
            let mut mesh = load_mesh(&input)?;
            if let Some(keep) = keep_fields {
                mesh.retain_fields(|name| keep.iter().any(|k| k == name));
            }
            let tags = regions
                .iter()
                .map(|r| {
                    r.trim()
                        .parse::<i32>()
                        .ok()
                        .or_else(|| {
                            mesh.region_names
                                .iter()
                                .find(|(_, n)| n.eq_ignore_ascii_case(r.trim()))
                                .map(|(t, _)| *t)
                        })
                        .ok_or_else(|| format!("no region {r:?} in {}", input.display()))
                })
                .collect::<Result<Vec<i32>, String>>()?;
            let sub = cardiotwin::mesh::extract::extract_regions(
                &mesh,
                &tags,
                cut_tag.map(|t| (t, cut_name.as_str())),
            )?;
            println!(
                "kept regions {tags:?}: {} nodes, {} tetrahedra, {} surface triangles",
                sub.node_count(),
                sub.tet_count(),
                sub.surfaces().triangles.len()
            );
            for p in cardiotwin::mesh::io::write(&output, &sub)? {
                println!("wrote {}", p.display());
            }
            Ok(())
        }
        MeshCommand::Convert { input, output } => {
            let mesh = load_mesh(&input)?;
            for p in cardiotwin::mesh::io::write(&output, &mesh)? {
                println!("wrote {}", p.display());
            }
            Ok(())
        }
    }
}

fn verify_mechanics(
    case: &str,
    args: &MechanicsArgs,
    choice: BackendChoice,
    adapter: Option<&str>,
) -> CliResult {
    use cardiotwin::verify::{self, VerifyOptions};
    // `auto` means "the best backend for this job": the verification cases run on the CPU, in f64.
    let (backend, report) = match choice {
        BackendChoice::Auto => {
            let (backend, mut report) = BackendChoice::Cpu.resolve(adapter)?;
            report.requested = BackendChoice::Auto;
            report.reason =
                "auto: verification runs on the CPU's f64 reference (--backend gpu for the \
                             GPU's f32)"
                    .into();
            (backend, report)
        }
        other => other.resolve(adapter)?,
    };
    eprintln!("backend: {} ({})", report.kind, report.reason);
    let options = VerifyOptions {
        refine: args.refine,
        sliding_base: args.sliding_base,
        cauchy_active: args.cauchy_active,
        volumetric: match args.volumetric {
            VolumetricArg::NodalAverage => cardiotwin::mechanics::Volumetric::NodalAverage,
            VolumetricArg::Element => cardiotwin::mechanics::Volumetric::Element,
        },
        end_time_ms: args.end_time_ms,
        element: match args.element {
            ElementArg::Tet4 => verify::Element::Tet4,
            ElementArg::Tet10 => verify::Element::Tet10,
        },
        tet10_volumetric: args.tet10_volumetric.map(|v| match v {
            Tet10VolumetricArg::GaussPoint => {
                cardiotwin::mechanics::quadratic::QuadraticVolumetric::GaussPoint
            }
            Tet10VolumetricArg::MeanDilatation => {
                cardiotwin::mechanics::quadratic::QuadraticVolumetric::MeanDilatation
            }
        }),
    };
    let outcome = verify::run(case, options, &backend)?;
    if let Some(dir) = &args.out {
        for path in verify::write_outputs(dir, case, &outcome)? {
            eprintln!("wrote {}", path.display());
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome.json)?);
    } else {
        print_summary(case, &outcome.json);
    }
    Ok(())
}

/// The headline numbers of a verification case, one per line.
fn print_summary(case: &str, json: &serde_json::Value) {
    println!("{case}");
    let keys = [
        "cavity_volume_ml",
        "ejection_fraction",
        "max_displacement_mm",
        "peak_active_stress_kpa",
        "peak_pressure_kpa",
        "tip_z_mm",
        "endo_apex_z_mm",
        "epi_apex_z_mm",
        "max_relative_error",
        "max_relative_error_of_stretch_minus_one",
        "relative_error",
        "within_spread",
        "pass",
    ];
    for key in keys {
        if let Some(v) = json.get(key) {
            println!("  {key:<40} {v}");
        }
    }
    if let Some(r) = json.get("reference") {
        println!("  {:<40} {r}", "reference");
    }
    if let Some(c) = json.get("curve").and_then(|c| c.as_array()) {
        for point in c {
            println!("  {point}");
        }
    }
    for key in ["mesh", "solve"] {
        if let Some(v) = json.get(key) {
            let mut v = v.clone();
            if let Some(o) = v.as_object_mut() {
                o.remove("relaxations");
            }
            println!("  {key:<40} {v}");
        }
    }
}

fn verify_circulation_0d(
    json: bool,
    beats: u32,
    heart_rate_bpm: f64,
    trace: Option<&std::path::Path>,
) -> CliResult {
    use cardiotwin::coupling::circulation::{
        CirculationParams, CirculationState, LimitCycleOptions, run_to_limit_cycle,
    };
    let params = CirculationParams::default().with_heart_rate_bpm(heart_rate_bpm);
    let opts = LimitCycleOptions {
        max_beats: beats,
        ..LimitCycleOptions::default()
    };
    let run = run_to_limit_cycle(&params, &CirculationState::default(), &opts)?;
    let s = &run.summary;
    if let Some(path) = trace {
        std::fs::write(path, run.trace_csv())
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    if json {
        println!("{}", serde_json::to_string_pretty(s)?);
    } else {
        println!(
            "circulation-0d  Regazzoni 2022 closed loop, {:.1} bpm",
            s.heart_rate_bpm
        );
        match s.beats_to_converge {
            Some(n) => println!(
                "limit cycle     reached after {n} beats (end-diastolic volumes change < {} mL)",
                s.limit_cycle_tol_ml
            ),
            None => println!(
                "limit cycle     NOT reached in {} beats (last change {:.3e} mL, tolerance {} mL)",
                s.beats_simulated, s.last_beat_change_ml, s.limit_cycle_tol_ml
            ),
        }
        for (side, edv, esv, sv, ef, peak) in [
            (
                "LV",
                s.lv_edv_ml,
                s.lv_esv_ml,
                s.lv_sv_ml,
                s.lv_ef,
                s.lv_peak_pressure_mmhg,
            ),
            (
                "RV",
                s.rv_edv_ml,
                s.rv_esv_ml,
                s.rv_sv_ml,
                s.rv_ef,
                s.rv_peak_pressure_mmhg,
            ),
        ] {
            println!(
                "{side}              EDV {edv:.2} mL, ESV {esv:.2} mL, SV {sv:.2} mL, EF {:.1}%, peak {peak:.1} mmHg",
                100.0 * ef
            );
        }
        println!(
            "aortic          {:.1}/{:.1} mmHg; pulmonary {:.1}/{:.1} mmHg",
            s.aortic_systolic_mmhg,
            s.aortic_diastolic_mmhg,
            s.pulmonary_systolic_mmhg,
            s.pulmonary_diastolic_mmhg
        );
        println!("cardiac output  {:.3} L/min", s.cardiac_output_l_min);
        println!(
            "blood volume    {:.6} mL (start {:.6} mL)",
            s.total_volume_final_ml, s.total_volume_initial_ml
        );
        println!(
            "integrator      {} steps ({} rejected), {:.1} ms wall",
            run.stats.accepted,
            run.stats.rejected,
            1e3 * run.wall_s
        );
        if let Some(path) = trace {
            println!("last beat       {}", path.display());
        }
    }
    if s.beats_to_converge.is_none() {
        return Err(format!(
            "no limit cycle within {} beats; raise --beats",
            s.beats_simulated
        )
        .into());
    }
    Ok(())
}

/// Files `cardiotwin bench` writes besides its report.
struct BenchFiles<'a> {
    export: Option<&'a std::path::Path>,
    dump_positions: Option<&'a std::path::Path>,
}

#[allow(clippy::too_many_arguments)]
fn bench(
    mesh: &std::path::Path,
    element_size: Option<f64>,
    opts: cardiotwin::bench::BenchOptions,
    (workload, order): (cardiotwin::bench::Workload, cardiotwin::bench::NodeOrder),
    json: bool,
    files: BenchFiles,
    backend: BackendChoice,
    adapter: Option<&str>,
) -> CliResult {
    use cardiotwin::bench::{self, BenchProblem};
    let name = mesh.display().to_string();
    let loaded = match bench::builtin_mesh(&name, element_size) {
        Some(m) if !mesh.exists() => m?,
        _ if element_size.is_some() => {
            return Err(format!(
                "--element-size applies to the generated meshes {}, not to {name}",
                bench::BUILTIN_MESHES.map(|(n, _, _)| n).join(", ")
            )
            .into());
        }
        _ => load_mesh(mesh)?,
    };
    let problem = BenchProblem::new(workload, &loaded, &name, order)
        .map_err(|e| format!("mesh {name}: {e}"))?;
    if let Some(path) = files.export {
        let stepped = bench::stepped_mesh(&loaded, order)?;
        for p in cardiotwin::mesh::io::write(path, &stepped)? {
            eprintln!("wrote {}", p.display());
        }
    }
    let (backend, _) = backend.resolve(adapter)?;
    let r = match (&backend, files.dump_positions) {
        (cardiotwin::backend::Backend::Cpu, Some(path)) => {
            let (r, state) = bench::run_cpu_state(&problem, opts)?;
            let mut csv = String::from("x,y,z\n");
            for p in &state.x {
                csv.push_str(&format!("{:e},{:e},{:e}\n", p.x, p.y, p.z));
            }
            std::fs::write(path, csv).map_err(|e| format!("{}: {e}", path.display()))?;
            eprintln!(
                "wrote {} (positions after {} steps)",
                path.display(),
                state.step
            );
            r
        }
        (_, Some(_)) => return Err("--dump-positions needs --backend cpu".into()),
        (_, None) => bench::run(&backend, &problem, opts)?,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    println!("workload    {} on {}", r.workload.name(), r.mesh);
    println!(
        "backend     {} ({} {}{})",
        r.backend,
        r.step,
        r.precision,
        r.adapter
            .as_deref()
            .map(|a| format!(", {a}"))
            .unwrap_or_else(|| format!(", rayon {} threads", rayon::current_num_threads()))
    );
    println!(
        "mesh        {} tets, {} nodes, {} order",
        r.tets,
        r.nodes,
        match r.node_order {
            cardiotwin::bench::NodeOrder::Morton => "Morton",
            cardiotwin::bench::NodeOrder::File => "file",
        }
    );
    println!(
        "steps       {} timed after {} warm-up, dt {:.4e} ms",
        r.steps, r.warmup_steps, r.dt_ms
    );
    println!(
        "time        {:.4} s, {:.3} ms/step",
        r.seconds,
        1e3 * r.seconds / r.steps as f64
    );
    println!("throughput  {:.4e} tet-steps/s", r.tet_steps_per_s);
    println!(
        "bandwidth   {:.2} GB/s effective ({:.0} bytes per tet-step, GPU layout)",
        r.effective_bandwidth_gb_s, r.bytes_per_tet_step
    );
    Ok(())
}

/// `WxH`, e.g. `1280x720`.
fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("{s:?}: expected WIDTHxHEIGHT, e.g. 1280x720"))?;
    let parse = |v: &str| {
        v.trim()
            .parse::<u32>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("{s:?}: {v:?} is not a positive whole number of pixels"))
    };
    Ok((parse(w)?, parse(h)?))
}

/// `MIN,MAX`, e.g. `-20,80`.
fn parse_range(s: &str) -> Result<(f64, f64), String> {
    let (lo, hi) = s
        .split_once(',')
        .ok_or_else(|| format!("{s:?}: expected MIN,MAX, e.g. 0,120"))?;
    let parse = |v: &str| {
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("{s:?}: {v:?} is not a number"))
    };
    let (lo, hi) = (parse(lo)?, parse(hi)?);
    if lo >= hi {
        return Err(format!("{s:?}: the minimum must be below the maximum"));
    }
    Ok((lo, hi))
}

fn ep_command(
    scenario: Option<PathBuf>,
    out: PathBuf,
    duration_ms: f64,
    cell: Option<EpCellArg>,
    vm_interval_ms: f64,
    (backend, adapter): (BackendChoice, Option<&str>),
) -> CliResult {
    use cardiotwin::heartbeat::scenario::{ActivationMode, PacingSite};
    let scenario = match &scenario {
        Some(path) => cardiotwin::heartbeat::Scenario::from_file(path)?,
        None => {
            let mut s = cardiotwin::heartbeat::Scenario {
                name: "default heart paced at the endocardial apex".into(),
                ..Default::default()
            };
            s.activation.mode = ActivationMode::Monodomain;
            s.activation.sites = vec![PacingSite {
                position_mm: None,
                landmark: Some("endocardial-apex".into()),
                surface: Vec::new(),
                radius_mm: 3.0,
                time_ms: 0.0,
            }];
            s
        }
    };
    use cardiotwin::heartbeat::scenario::CellChoice;
    let cell = cell.map(|c| match c {
        EpCellArg::MitchellSchaeffer => CellChoice::MitchellSchaeffer,
        EpCellArg::Tp06 => CellChoice::Tp06,
        EpCellArg::Tp06Endo => CellChoice::Tp06Endo,
        EpCellArg::Tp06Mid => CellChoice::Tp06Mid,
        EpCellArg::Tp06Transmural => CellChoice::Tp06Transmural,
    });
    let opts = cardiotwin::heartbeat::electrophysiology::EpOptions {
        out: out.clone(),
        duration_ms,
        cell,
        vm_interval_ms,
    };
    let (backend, _) = backend.resolve(adapter)?;
    let s = cardiotwin::heartbeat::electrophysiology::run_ep(&scenario, &opts, &backend)?;
    let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1} ms"));
    println!("scenario    {}", s.scenario);
    println!(
        "heart       {} nodes, {} tets, {:.2} mm elements; {} cells, dt {:.4} ms",
        s.nodes, s.tets, s.monodomain.element_mm, s.cell_model, s.monodomain.time_step_ms
    );
    if s.cells.len() > 1 {
        for c in &s.cells {
            println!(
                "  {:<32} {} nodes, APD90 mean {}",
                c.cell,
                c.nodes,
                ms(c.apd90_mean_ms)
            );
        }
    }
    println!(
        "tuned       sigma {:.3} (fibre) / {:.3} (cross) S/m for {:.2} / {:.2} m/s",
        s.monodomain.sigma_fibre_s_per_m,
        s.monodomain.sigma_cross_s_per_m,
        s.monodomain.strip_fibre_speed_m_s,
        s.monodomain.strip_cross_speed_m_s
    );
    println!(
        "activation  {} of {} nodes, total {}; APD90 mean {} ({} to {}); {} nodes activated again",
        s.activated_nodes,
        s.nodes,
        ms(s.total_activation_ms),
        ms(s.apd90_mean_ms),
        ms(s.apd90_min_ms),
        ms(s.apd90_max_ms),
        s.reactivated_nodes
    );
    println!(
        "run         {:.0} ms simulated in {:.1} s on the {} backend, {} potential frames",
        s.duration_ms,
        s.wall_s,
        s.backend.to_uppercase(),
        s.vm_frames
    );
    println!("outputs     {}", out.display());
    Ok(())
}

/// The options of `view` beyond the scenario and backend.
#[derive(clap::Args)]
struct ViewArgs {
    /// Field shown first: displacement, von_mises, fibre_stress, activation_time, active_tension.
    #[arg(long, default_value = "active_tension")]
    field: String,
    /// First view: anterior, posterior, long-axis or short-axis.
    #[arg(long, value_enum, default_value = "anterior")]
    view: cardiotwin::render::ViewPreset,
    /// Window size WxH in pixels.
    #[arg(long, value_parser = parse_size, default_value = "1280x800")]
    size: (u32, u32),
    /// Target speed, simulated time per wall time (at most 1: real time); the simulation runs no
    /// faster, and slower when the machine cannot keep up.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Fixed colour range MIN,MAX (default: automatic, widening over the beat).
    #[arg(long, value_parser = parse_range, allow_hyphen_values = true)]
    range: Option<(f64, f64)>,
    /// Close after this many frames with the heart on screen (automation).
    #[arg(long, value_name = "N")]
    exit_after_frames: Option<u64>,
    /// Where the screenshot key (S) writes; with --exit-after-frames, a screenshot is written there
    /// before closing.
    #[arg(long, value_name = "PATH")]
    screenshot: Option<PathBuf>,
    /// Start with a cut: short-axis or long-axis, optionally :FRACTION (see `render --cut`).
    #[arg(long, value_parser = cardiotwin::render::Cut::parse)]
    cut: Option<cardiotwin::render::Cut>,
    /// Start with fibre glyphs on (G toggles them).
    #[arg(long)]
    fibres: bool,
    /// Always preload, neither reading nor writing the preload cache (by default the state after the
    /// preload is kept in ~/.cache/cardiotwin/preload, so the next session starts beating at once).
    #[arg(long)]
    no_cache: bool,
}

fn view_command(
    scenario: Option<PathBuf>,
    args: ViewArgs,
    (backend, adapter): (BackendChoice, Option<String>),
) -> CliResult {
    // A result folder or .pvd series is played back; a file is a scenario.
    let replay = scenario
        .as_ref()
        .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "pvd"))
        .cloned();
    let scenario = match (&scenario, &replay) {
        (Some(path), None) => cardiotwin::heartbeat::Scenario::from_file(path)?,
        _ => cardiotwin::heartbeat::Scenario::default(),
    };
    if !(args.speed > 0.0 && args.speed <= 1.0) {
        return Err(format!(
            "--speed {}: must be above 0 and at most 1 (real time)",
            args.speed
        )
        .into());
    }
    let (w, h) = args.size;
    if w < 480 || h < 360 {
        return Err(format!("--size {w}x{h}: the window needs at least 480x360 pixels").into());
    }
    let report = cardiotwin::viewer::view(cardiotwin::viewer::ViewOptions {
        scenario,
        replay,
        backend,
        adapter,
        field: cardiotwin::viewer::LiveField::parse(&args.field)?,
        view: args.view,
        size: args.size,
        speed: args.speed,
        range: args.range,
        exit_after_frames: args.exit_after_frames,
        screenshot: args.screenshot,
        cut: args.cut,
        fibres: args.fibres,
        cache: if args.no_cache {
            None
        } else {
            cardiotwin::viewer::cache::default_dir()
        },
    })?;
    println!("heart       {}", report.description);
    println!(
        "frames      {} ({} with the heart) in {:.1} s, {:.1} frames/s at the end",
        report.frames, report.heart_frames, report.seconds, report.frames_per_s
    );
    println!(
        "simulated   {:.1} ms, {:.4}x real time at the end ({})",
        report.simulated_ms, report.real_time_factor, report.phase
    );
    for s in &report.screenshots {
        println!("screenshot  {}", s.display());
    }
    Ok(())
}

fn render(
    req: &cardiotwin::render::job::RenderRequest,
    backend: BackendChoice,
    adapter: Option<&str>,
) -> CliResult {
    if backend == BackendChoice::Cpu {
        return Err(
            "render draws with wgpu and needs a GPU adapter (a software one such as Mesa's \
                    lavapipe will do); --backend cpu has none: use --backend auto or gpu"
                .into(),
        );
    }
    // Any adapter, software ones included: rasterising a surface is light work.
    let ctx = match cardiotwin::gpu::GpuContext::headless(adapter) {
        Ok(ctx) => ctx,
        // The general message ends with "or use --backend cpu", which render cannot.
        Err(cardiotwin::gpu::GpuError::NoAdapter { tried }) => {
            return Err(format!(
                "no GPU adapter found (tried wgpu backends: {tried}), and render needs one: install a \
                 Vulkan driver, e.g. Mesa's software driver lavapipe: `apt-get install \
                 mesa-vulkan-drivers libvulkan1` (or a GL/EGL driver), and check that VK_ICD_FILENAMES / \
                 WGPU_BACKEND do not point elsewhere"
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    eprintln!("adapter: {}", ctx.report.describe());
    let r = cardiotwin::render::job::render(&ctx, req)?;
    let times: Vec<f64> = r.frames.iter().filter_map(|(t, _)| *t).collect();
    println!(
        "field       {} ({}: {}), {} colour map, range {:.4} to {:.4}",
        r.field.name,
        r.field.array,
        r.field.title(),
        r.map.name(),
        r.range.0,
        r.range.1
    );
    match (times.first(), times.last(), r.delay_ms) {
        (Some(a), Some(b), Some(ms)) => println!(
            "frames      {} states from t = {a:.3} s to {b:.3} s, {ms} ms each",
            r.frames.len()
        ),
        (Some(t), _, None) => println!("state       t = {t:.3} s ({})", r.frames[0].1.display()),
        _ => println!("state       {}", r.frames[0].1.display()),
    }
    println!(
        "wrote       {} ({}x{})",
        r.out.display(),
        r.size.0,
        r.size.1
    );
    Ok(())
}

fn gpu_info(json: bool, adapter: Option<&str>) -> CliResult {
    let inventory = GpuInventory::discover();
    let reports = inventory.reports();
    let forced = inventory.pick(adapter)?;
    let auto = match adapter {
        Some(_) => Some(forced),
        None => inventory.best_hardware(),
    };
    if json {
        let value = serde_json::json!({
            "tried_backends": cardiotwin::gpu::backends_to_string(inventory.tried),
            "adapters": reports,
            "chosen": {
                "gpu": forced,
                "auto": match auto { Some(i) => serde_json::json!({"backend": "gpu", "adapter": i}),
                                     None => serde_json::json!({"backend": "cpu", "adapter": null}) },
            },
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!(
        "{} adapter(s) on wgpu backends {}:",
        reports.len(),
        cardiotwin::gpu::backends_to_string(inventory.tried)
    );
    for a in &reports {
        println!("  [{}] {}", a.index, a.describe());
        let f = &a.features;
        println!(
            "      features: f64 {}, f16 {}, f32 atomics {}, timestamps {}, subgroups {}",
            f.shader_f64, f.shader_f16, f.float32_atomics, f.timestamp_query, f.subgroup
        );
        let l = &a.limits;
        println!(
            "      limits: buffer {} MiB, storage binding {} MiB, {} storage buffers/stage, \
             {} workgroups/dim, {} invocations/workgroup, offset alignment {}",
            l.max_buffer_size >> 20,
            l.max_storage_buffer_binding_size >> 20,
            l.max_storage_buffers_per_shader_stage,
            l.max_compute_workgroups_per_dimension,
            l.max_compute_invocations_per_workgroup,
            l.min_storage_buffer_offset_alignment
        );
    }
    println!(
        "--backend gpu  uses [{forced}] {}",
        reports[forced].describe()
    );
    match auto {
        Some(i) => println!(
            "--backend auto uses the GPU: [{i}] {}",
            reports[i].describe()
        ),
        None => println!(
            "--backend auto uses the CPU backend: no hardware GPU (auto never picks a software adapter; \
             --backend gpu forces one)"
        ),
    }
    Ok(())
}
