//! A monodomain problem on either backend, for runs that step it, sample the potential and read the
//! times at the end: the CPU reference ([`Monodomain`], f64) or its GPU twin ([`GpuMonodomain`], f32),
//! built from the same CPU problem.

use super::gpu::{GpuCell, GpuMonodomain};
use super::monodomain::{Monodomain, Stimulus};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::gpu::GpuContext;

/// The activation and repolarisation times of every node, ms (infinite where none).
#[derive(Debug, Clone, PartialEq)]
pub struct Times {
    /// The first upward crossing of the activation threshold.
    pub activation_ms: Vec<f64>,
    /// The latest upward crossing (an S2 wave's).
    pub last_activation_ms: Vec<f64>,
    /// The first downward crossing of the repolarisation threshold after the first activation.
    pub repolarisation_ms: Vec<f64>,
}

/// A monodomain problem with its stimuli and time step, on the CPU or the GPU.
pub enum Solver<'a, C: GpuCell> {
    Cpu {
        md: Box<Monodomain<C>>,
        stimuli: Vec<Stimulus>,
        dt: f64,
    },
    Gpu {
        gpu: Box<GpuMonodomain>,
        ctx: &'a GpuContext,
    },
}

fn unstable(e: impl std::fmt::Display) -> Error {
    Error::Invalid(format!(
        "the electrophysiology became unstable: {e}. Try a smaller time step or a coarser mesh"
    ))
}

impl<'a, C: GpuCell> Solver<'a, C> {
    /// `md` (as set up, with its cells and thresholds) stepped by `dt` ms on `backend`.
    pub fn new(
        md: Monodomain<C>,
        stimuli: Vec<Stimulus>,
        dt: f64,
        backend: &'a Backend,
    ) -> Result<Self> {
        match backend {
            Backend::Cpu => Ok(Solver::Cpu {
                md: Box::new(md),
                stimuli,
                dt,
            }),
            Backend::Gpu(ctx) => {
                let gpu = GpuMonodomain::new(ctx, &md, &stimuli, dt)
                    .map_err(|e| Error::Invalid(format!("monodomain on the GPU: {e}")))?;
                Ok(Solver::Gpu {
                    gpu: Box::new(gpu),
                    ctx,
                })
            }
        }
    }

    /// `cpu` or `gpu`.
    pub fn backend(&self) -> &'static str {
        match self {
            Solver::Cpu { .. } => "cpu",
            Solver::Gpu { .. } => "gpu",
        }
    }

    /// Advances `steps` steps. On the GPU they go in one submission and the potentials are read back
    /// after it: a non-finite one stops the run there, naming the node.
    pub fn run(&mut self, steps: usize) -> Result<()> {
        match self {
            Solver::Cpu { md, stimuli, dt } => md.run(steps, *dt, stimuli).map_err(unstable),
            Solver::Gpu { gpu, ctx } => {
                gpu.run(ctx, steps)
                    .map_err(|e| Error::Invalid(e.to_string()))?;
                self.potentials().map(|_| ())
            }
        }
    }

    /// The simulated time, ms.
    pub fn t_ms(&self) -> Result<f64> {
        match self {
            Solver::Cpu { md, .. } => Ok(md.t_ms),
            Solver::Gpu { gpu, .. } => Ok(gpu.t_ms()),
        }
    }

    /// Every node's potential, mV (on the GPU, an error names the first non-finite one).
    pub fn potentials(&self) -> Result<Vec<f64>> {
        match self {
            Solver::Cpu { md, .. } => Ok((0..md.node_count()).map(|i| md.potential(i)).collect()),
            Solver::Gpu { gpu, ctx } => {
                let v = gpu
                    .potentials(ctx)
                    .map_err(|e| Error::Invalid(e.to_string()))?;
                if let Some(node) = v.iter().position(|v| !v.is_finite()) {
                    let t = gpu.t_ms();
                    return Err(unstable(format!(
                        "the potential became non-finite at node {node} by t = {t:.3} ms (GPU)"
                    )));
                }
                Ok(v)
            }
        }
    }

    /// The first activation times, ms.
    pub fn activation_ms(&self) -> Result<Vec<f64>> {
        match self {
            Solver::Cpu { md, .. } => Ok(md.activation_ms.clone()),
            Solver::Gpu { gpu, ctx } => gpu
                .activation_ms(ctx)
                .map_err(|e| Error::Invalid(e.to_string())),
        }
    }

    /// All the times.
    pub fn times(&self) -> Result<Times> {
        match self {
            Solver::Cpu { md, .. } => Ok(Times {
                activation_ms: md.activation_ms.clone(),
                last_activation_ms: md.last_activation_ms.clone(),
                repolarisation_ms: md.repolarisation_ms.clone(),
            }),
            Solver::Gpu { gpu, ctx } => {
                let read = |r: std::result::Result<Vec<f64>, crate::gpu::GpuError>| {
                    r.map_err(|e| Error::Invalid(e.to_string()))
                };
                Ok(Times {
                    activation_ms: read(gpu.activation_ms(ctx))?,
                    last_activation_ms: read(gpu.last_activation_ms(ctx))?,
                    repolarisation_ms: read(gpu.repolarisation_ms(ctx))?,
                })
            }
        }
    }
}
