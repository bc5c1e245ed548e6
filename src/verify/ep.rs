//! Electrophysiology on the slab of the Niederer et al. 2011 N-version benchmark
//! (`../shared/benchmarks/NIEDERER2011.md`): `niederer` runs the monodomain problem and reports the
//! activation times of P1..P9; `eikonal-slab` compares the eikonal activation with the monodomain one on
//! the same mesh.
//!
//! The benchmark's cell model is ten Tusscher-Panfilov 2006 ([`crate::ep::tp06::Tp06`], checked against
//! an independent implementation in `tests/tp06.rs`), the default; the Mitchell-Schaeffer model (`--cell
//! mitchell-schaeffer`) is allowed by the definition for convergence studies only. The diffusion step's
//! mass is lumped (explicit; the GPU's too) or consistent (implicit, CPU only: far closer to converged on
//! coarse meshes, see VERIFICATION.md).

use std::time::Instant;

use glam::{DMat3, DVec3};
use serde_json::json;

use crate::anatomy::block::Block;
use crate::ep::AnyCell;
use crate::ep::eikonal::{self, Conduction};
use crate::ep::monodomain::{
    CellModel, Mass, Membrane, Monodomain, Stimulus, Tissue, harmonic_mean,
};
use crate::error::{Error, Result};
use crate::mesh::TetMesh;

/// The slab, mm.
pub const SLAB_MM: [f64; 3] = [20.0, 7.0, 3.0];

/// Output points P1..P9, mm.
pub const POINTS: [(&str, [f64; 3]); 9] = [
    ("P1", [0.0, 0.0, 0.0]),
    ("P2", [0.0, 7.0, 0.0]),
    ("P3", [20.0, 0.0, 0.0]),
    ("P4", [20.0, 7.0, 0.0]),
    ("P5", [0.0, 0.0, 3.0]),
    ("P6", [0.0, 7.0, 3.0]),
    ("P7", [20.0, 0.0, 3.0]),
    ("P8", [20.0, 7.0, 3.0]),
    ("P9", [10.0, 3.5, 1.5]),
];

/// Options of the slab cases.
#[derive(Debug, Clone, Copy)]
pub struct SlabOptions {
    /// Element size, mm (the slab's edges must be multiples of it, within 1%).
    pub dx_mm: f64,
    /// Time step, ms.
    pub dt_ms: f64,
    /// Stop at this time, ms, or when every node is activated.
    pub end_ms: f64,
    pub cell: Cell,
    /// The diffusion step's mass: lumped (explicit) or consistent (implicit; CPU only).
    pub mass: Mass,
}

pub use crate::ep::Cell;

/// The slab meshed with hexahedra of `dx` cut into six tetrahedra each.
pub fn slab(dx: f64) -> Result<TetMesh> {
    if !(dx.is_finite() && dx > 0.0) {
        return Err(Error::Invalid(format!(
            "--dx {dx} mm must be finite and > 0"
        )));
    }
    let cells = SLAB_MM.map(|l| (l / dx).round().max(1.0) as usize);
    for (l, c) in SLAB_MM.iter().zip(cells) {
        if ((c as f64) * dx - l).abs() > 0.01 * l {
            return Err(Error::Invalid(format!(
                "--dx {dx} mm does not divide the slab edge {l} mm; use 0.1, 0.2, 0.5 or 1 mm"
            )));
        }
    }
    if cells.iter().product::<usize>() > 3_000_000 {
        return Err(Error::Invalid(format!(
            "--dx {dx} mm makes {} hexahedra; the slab cases stop at 3 million",
            cells.iter().product::<usize>()
        )));
    }
    Ok(Block {
        size: SLAB_MM,
        cells,
        jitter: 0.0,
        seed: 1,
    }
    .build()?)
}

/// The benchmark's monodomain conductivities (harmonic means of intra- and extracellular), S/m.
pub fn conductivities() -> (f64, f64) {
    (harmonic_mean(0.17, 0.62), harmonic_mean(0.019, 0.24))
}

/// The benchmark's tissue: fibres along x, [`conductivities`], in every tetrahedron.
pub fn tissue(mesh: &TetMesh) -> Vec<Tissue> {
    let (sl, st) = conductivities();
    vec![
        Tissue {
            fibre: DVec3::X,
            sigma_fibre: sl,
            sigma_cross: st,
        };
        mesh.tet_count()
    ]
}

/// The benchmark's stimulus: the nodes of the corner cube [0, 1.5]^3 mm, 50000 uA/cm^3 over chi Cm =
/// 1400 /cm x 1 uF/cm^2 = 35.7 mV/ms, for 2 ms from t = 0.
pub fn stimulus(mesh: &TetMesh) -> Stimulus {
    Stimulus {
        nodes: mesh
            .nodes()
            .iter()
            .enumerate()
            .filter(|(_, p)| p.iter().all(|&c| c <= 1.5 + 1e-9))
            .map(|(i, _)| i as u32)
            .collect(),
        strength: 50_000.0 / 1400.0,
        start_ms: 0.0,
        duration_ms: 2.0,
    }
}

fn nearest(mesh: &TetMesh, p: [f64; 3]) -> usize {
    let p = DVec3::from_array(p);
    mesh.nodes()
        .iter()
        .enumerate()
        .map(|(i, q)| (i, (DVec3::from_array(*q) - p).length_squared()))
        .fold((0, f64::INFINITY), |b, c| if c.1 < b.1 { c } else { b })
        .0
}

/// The monodomain run of the benchmark: nodal activation times (ms), the stable diffusion step and the
/// steps taken.
fn monodomain_times(mesh: &TetMesh, opts: &SlabOptions) -> Result<(Vec<f64>, f64, usize)> {
    match opts.cell.model() {
        AnyCell::Tp06(c) => run_slab(mesh, opts, c),
        AnyCell::MitchellSchaeffer(c) => run_slab(mesh, opts, c),
    }
}

fn run_slab<C: CellModel>(
    mesh: &TetMesh,
    opts: &SlabOptions,
    cell: C,
) -> Result<(Vec<f64>, f64, usize)> {
    let mut md = Monodomain::new(mesh, &tissue(mesh), Membrane::NIEDERER, cell, 0.0)
        .map_err(|e| Error::Invalid(e.to_string()))?
        .with_mass(mesh, opts.mass);
    let stimulus = stimulus(mesh);
    let steps_total = (opts.end_ms / opts.dt_ms).round() as usize;
    let chunk = ((1.0 / opts.dt_ms).round() as usize).max(1);
    let mut done = 0;
    while done < steps_total {
        let n = chunk.min(steps_total - done);
        md.run(n, opts.dt_ms, std::slice::from_ref(&stimulus))
            .map_err(|e| Error::Invalid(e.to_string()))?;
        done += n;
        if md.activation_ms.iter().all(|t| t.is_finite()) {
            break;
        }
    }
    let stable = md.stable_step();
    Ok((md.activation_ms, stable, done))
}

fn points_json(mesh: &TetMesh, times: &[f64]) -> serde_json::Map<String, serde_json::Value> {
    POINTS
        .iter()
        .map(|(name, p)| {
            let t = times[nearest(mesh, *p)];
            (
                name.to_string(),
                if t.is_finite() { json!(t) } else { json!(null) },
            )
        })
        .collect()
}

/// The benchmark's monodomain run on the GPU with the chosen cell, in submissions of 1 ms: nodal
/// activation times, the stable step and the steps taken.
fn gpu_monodomain_times(
    ctx: &crate::gpu::GpuContext,
    mesh: &TetMesh,
    opts: &SlabOptions,
) -> Result<(Vec<f64>, f64, usize)> {
    match opts.cell.model() {
        AnyCell::Tp06(c) => run_slab_gpu(ctx, mesh, opts, c),
        AnyCell::MitchellSchaeffer(c) => run_slab_gpu(ctx, mesh, opts, c),
    }
}

fn run_slab_gpu<C: crate::ep::gpu::GpuCell>(
    ctx: &crate::gpu::GpuContext,
    mesh: &TetMesh,
    opts: &SlabOptions,
    cell: C,
) -> Result<(Vec<f64>, f64, usize)> {
    use crate::ep::gpu::GpuMonodomain;
    let md = Monodomain::new(mesh, &tissue(mesh), Membrane::NIEDERER, cell, 0.0)
        .map_err(|e| Error::Invalid(e.to_string()))?
        .with_mass(mesh, opts.mass);
    let stimulus = stimulus(mesh);
    let mut gpu = GpuMonodomain::new(ctx, &md, std::slice::from_ref(&stimulus), opts.dt_ms)
        .map_err(|e| Error::Invalid(e.to_string()))?;
    let steps_total = (opts.end_ms / opts.dt_ms).round() as usize;
    let chunk = ((1.0 / opts.dt_ms).round() as usize).max(1);
    let mut done = 0;
    let mut times = vec![f64::INFINITY; mesh.node_count()];
    while done < steps_total {
        let n = chunk.min(steps_total - done);
        gpu.run(ctx, n).map_err(|e| Error::Invalid(e.to_string()))?;
        done += n;
        times = gpu
            .activation_ms(ctx)
            .map_err(|e| Error::Invalid(e.to_string()))?;
        if times.iter().all(|t| t.is_finite()) {
            break;
        }
    }
    Ok((times, gpu.stable_step(), done))
}

/// `cardiotwin verify niederer`: JSON `activation_ms` {P1..P9} (null where not activated by the end), on
/// `backend` (both cell models on both).
pub fn niederer(opts: SlabOptions, backend: crate::backend::Backend) -> Result<serde_json::Value> {
    let start = Instant::now();
    let mesh = slab(opts.dx_mm)?;
    let (times, stable, steps, backend_name, adapter) = match &backend {
        crate::backend::Backend::Cpu => {
            let (t, s, n) = monodomain_times(&mesh, &opts)?;
            (t, s, n, "cpu", None)
        }
        crate::backend::Backend::Gpu(ctx) => {
            let (t, s, n) = gpu_monodomain_times(ctx, &mesh, &opts)?;
            (t, s, n, "gpu", Some(ctx.report.name.clone()))
        }
    };
    let (sl, st) = conductivities();
    Ok(json!({
        "case": "niederer",
        "cell_model": opts.cell.name(),
        "mass": opts.mass,
        "activation_ms": points_json(&mesh, &times),
        "activation_threshold_mv": 0.0,
        "dx_mm": opts.dx_mm,
        "dt_ms": opts.dt_ms,
        "stable_diffusion_step_ms": stable,
        "conductivity_s_per_m": {"fibre": sl, "cross": st},
        "membrane": Membrane::NIEDERER,
        "mesh": {"nodes": mesh.node_count(), "tets": mesh.tet_count()},
        "steps": steps,
        "simulated_ms": steps as f64 * opts.dt_ms,
        "backend": backend_name,
        "adapter": adapter,
        "wall_s": start.elapsed().as_secs_f64(),
    }))
}

/// `cardiotwin verify eikonal-slab`: the monodomain activation (as in `niederer`), the conduction speeds
/// fitted to it (t = t0 + |x - x_s|_M over the nodes beyond 5 mm of the stimulus corner), and the eikonal
/// activation with those speeds from the monodomain's own times inside the stimulus cube; JSON with both
/// sets of P1..P9, the RMS and largest difference over all nodes.
pub fn eikonal_slab(opts: SlabOptions) -> Result<serde_json::Value> {
    let start = Instant::now();
    let mesh = slab(opts.dx_mm)?;
    let (md, _, steps) = monodomain_times(&mesh, &opts)?;
    let x: Vec<DVec3> = mesh.nodes().iter().map(|p| DVec3::from_array(*p)).collect();
    let far: Vec<usize> = (0..x.len())
        .filter(|&i| x[i].length() > 5.0 && md[i].is_finite())
        .collect();
    if far.len() < 10 {
        return Err(Error::Invalid(
            "the monodomain wave did not spread beyond 5 mm: raise --end-ms".into(),
        ));
    }
    // Fit: for speeds (v_l, v_t) the best t0 is the mean residual; scan the speeds on a fine grid.
    let residual = |vl: f64, vt: f64| -> (f64, f64) {
        let m = DMat3::from_diagonal(DVec3::new(
            1.0 / (vl * vl),
            1.0 / (vt * vt),
            1.0 / (vt * vt),
        ));
        let d: Vec<f64> = far.iter().map(|&i| x[i].dot(m * x[i]).sqrt()).collect();
        let t0 = far.iter().zip(&d).map(|(&i, d)| md[i] - d).sum::<f64>() / far.len() as f64;
        let r = far
            .iter()
            .zip(&d)
            .map(|(&i, d)| (md[i] - t0 - d).powi(2))
            .sum::<f64>();
        (r, t0)
    };
    let mut best = (f64::INFINITY, 0.0, 0.0);
    for i in 0..200 {
        let vl = 0.1 + i as f64 * 0.01;
        for j in 0..100 {
            let vt = 0.02 + j as f64 * 0.005;
            let (r, _) = residual(vl, vt);
            if r < best.0 {
                best = (r, vl, vt);
            }
        }
    }
    let (_, vl, vt) = best;
    let conduction = vec![
        Conduction {
            fibre: DVec3::X,
            v_fibre: vl,
            v_cross: vt,
        };
        mesh.tet_count()
    ];
    let stimuli: Vec<(u32, f64)> = (0..x.len())
        .filter(|&i| x[i].to_array().iter().all(|&c| c <= 1.5 + 1e-9) && md[i].is_finite())
        .map(|i| (i as u32, md[i]))
        .collect();
    let (ek, report) = eikonal::solve(&mesh, &conduction, &stimuli)
        .map_err(|e| Error::Invalid(format!("eikonal: {e}")))?;
    let both: Vec<(f64, f64)> = md
        .iter()
        .zip(&ek)
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(a, b)| (*a, *b))
        .collect();
    let rms = (both.iter().map(|(a, b)| (a - b).powi(2)).sum::<f64>() / both.len() as f64).sqrt();
    let worst = both.iter().map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    let last = md
        .iter()
        .copied()
        .filter(|t| t.is_finite())
        .fold(0.0, f64::max);
    Ok(json!({
        "case": "eikonal-slab",
        "cell_model": opts.cell.name(),
        "monodomain_activation_ms": points_json(&mesh, &md),
        "eikonal_activation_ms": points_json(&mesh, &ek),
        "fitted_speed_m_s": {"fibre": vl, "cross": vt},
        "rms_difference_ms": rms,
        "max_difference_ms": worst,
        "last_activation_ms": last,
        "nodes_compared": both.len(),
        "eikonal_wall_s": report.wall_s,
        "dx_mm": opts.dx_mm,
        "dt_ms": opts.dt_ms,
        "mesh": {"nodes": mesh.node_count(), "tets": mesh.tet_count()},
        "steps": steps,
        "backend": "cpu",
        "wall_s": start.elapsed().as_secs_f64(),
    }))
}
