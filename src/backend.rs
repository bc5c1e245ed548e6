//! Backend selection: `auto | gpu | cpu`.
//!
//! Every kernel has a WGSL implementation (run through wgpu) and a Rust one (rayon). On a machine whose only
//! adapter is a software rasteriser (Mesa lavapipe/llvmpipe) the same kernels run 2-10x slower through wgpu
//! than as native multi-threaded Rust (measured in `../shared/notes/wgpu-on-cpu.md` and `BENCHMARKS.md`), so
//! `auto` runs on the GPU only when a hardware adapter exists.

use serde::{Deserialize, Serialize};

use crate::gpu::{AdapterReport, GpuContext, GpuError, GpuInventory};

/// What the user asked for (`--backend`, `CARDIOTWIN_BACKEND`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// A hardware GPU (discrete or integrated) when there is one, else the CPU backend.
    #[default]
    Auto,
    /// wgpu on any adapter, software ones (lavapipe) included; an error when there is none.
    Gpu,
    /// The native Rust backend.
    Cpu,
}

/// The backend a run uses.
pub enum Backend {
    Cpu,
    Gpu(Box<GpuContext>),
}

/// How the backend was chosen, for logs and run summaries.
#[derive(Debug, Clone, Serialize)]
pub struct BackendReport {
    /// `cpu` or `gpu`.
    pub kind: &'static str,
    pub requested: BackendChoice,
    /// Why this backend: one sentence.
    pub reason: String,
    /// Worker threads of the CPU backend (rayon).
    pub cpu_threads: usize,
    /// The adapter of the GPU backend.
    pub adapter: Option<AdapterReport>,
}

impl BackendChoice {
    /// Resolves the choice into a backend. `adapter_name` (case-insensitive substring) selects among
    /// several adapters (`--adapter`, `CARDIOTWIN_ADAPTER`); with `auto` it also means "use the GPU".
    pub fn resolve(self, adapter_name: Option<&str>) -> Result<(Backend, BackendReport), GpuError> {
        let report = |kind, reason: String, adapter| BackendReport {
            kind,
            requested: self,
            reason,
            cpu_threads: rayon::current_num_threads(),
            adapter,
        };
        match self {
            BackendChoice::Cpu => Ok((
                Backend::Cpu,
                report("cpu", "requested with --backend cpu".into(), None),
            )),
            BackendChoice::Gpu => {
                let ctx = GpuContext::headless(adapter_name)?;
                let r = report(
                    "gpu",
                    "requested with --backend gpu".into(),
                    Some(ctx.report.clone()),
                );
                Ok((Backend::Gpu(Box::new(ctx)), r))
            }
            BackendChoice::Auto => {
                let inventory = GpuInventory::discover();
                let chosen = match adapter_name {
                    Some(name) => Some(inventory.pick(Some(name))?),
                    None => inventory.best_hardware(),
                };
                let Some(index) = chosen else {
                    let found: Vec<String> = inventory
                        .reports()
                        .iter()
                        .map(|a| format!("{} on {}", a.name, a.backend))
                        .collect();
                    let reason = if found.is_empty() {
                        "no GPU adapter found".to_string()
                    } else {
                        format!(
                            "no hardware GPU, only software adapters ({}), which auto does not use",
                            found.join(", ")
                        )
                    };
                    log::info!("backend auto: CPU, {reason}");
                    return Ok((Backend::Cpu, report("cpu", reason, None)));
                };
                match GpuContext::from_inventory(inventory, index) {
                    Ok(ctx) => {
                        let reason = format!("hardware adapter {}", ctx.report.describe());
                        let r = report("gpu", reason, Some(ctx.report.clone()));
                        Ok((Backend::Gpu(Box::new(ctx)), r))
                    }
                    Err(e) => {
                        log::warn!("backend auto: GPU device creation failed ({e}); using the CPU");
                        Ok((
                            Backend::Cpu,
                            report("cpu", format!("GPU device creation failed: {e}"), None),
                        ))
                    }
                }
            }
        }
    }
}

impl Backend {
    pub fn is_gpu(&self) -> bool {
        matches!(self, Backend::Gpu(_))
    }
}
