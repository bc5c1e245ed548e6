//! Cavity volume on the GPU (f32): the kernels of `shaders/cavity.wgsl`, twin of [`super::cavity`].
//!
//! Reads a position buffer that stays on the GPU (one `[f32; 4]` per mesh node: xyz in mm relative to an
//! origin, w unused: [`GpuCavity::record`]), or the mechanics state itself, displacements from the rest
//! positions ([`crate::mechanics::gpu::GpuTled::current`] and
//! [`crate::mechanics::gpu::GpuTled::rest_buffer`]: [`GpuCavity::record_displacement`]), and leaves the
//! volume, mm^3, in a one-value buffer for later kernels, or reads that one number back. Passes: the caps' virtual points (one
//! invocation per opening), the per-triangle terms summed per workgroup, then tree reductions of WG
//! values each until one is left. Every sum runs in a fixed order: the same input gives the same bits.
//!
//! Precision: positions rounded to f32 near the cavity move the volume by about
//! eps_f32 * |x - origin| * (wall area); the sums add about eps_f32 * log2(triangles) * sum |terms|.
//! Both are near 1e-6 relative for a human ventricle.

use bytemuck::{Pod, Zeroable};
use glam::DVec3;

use super::cavity::Cavity;
use crate::gpu::shaders::CAVITY;
use crate::gpu::{Access, Batch, BoundDispatch, GpuBuffer, GpuContext, GpuError, Kernel, Range};

/// `CavityParams` of `shaders/cavity.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct CavityParams {
    /// Reference point r, mm relative to the positions' origin; w unused.
    reference: [f32; 4],
    /// 1: the positions are rest + the bound buffer (displacements); 0: the bound buffer.
    with_rest: u32,
    _pad: [u32; 3],
}
const _: () = assert!(size_of::<CavityParams>() == 32);

/// The kernels of a volume, in the order they run.
#[derive(Debug, Clone, Copy)]
enum Pass {
    Caps,
    Partials,
    Reduce,
}

/// The passes of one cavity's volume bound to a displacement buffer once
/// ([`GpuCavity::bind_displacement`]), for a time loop that records them every step without making bind
/// groups ([`GpuCavity::record_bound`]).
pub struct BoundVolume {
    passes: Vec<(Pass, BoundDispatch)>,
}

/// A [`Cavity`] resident on the GPU, with its kernels and scratch buffers. Build once per cavity.
pub struct GpuCavity {
    caps_kernel: Kernel,
    partials_kernel: Kernel,
    reduce_kernel: Kernel,
    /// The parameters for positions ([0]) and for displacements from rest positions ([1]).
    params: [GpuBuffer<CavityParams>; 2],
    /// Bound as the rest positions when the positions are given directly (never read then).
    no_rest: GpuBuffer<[f32; 4]>,
    /// Wall triangles, then cap triangles: (a, b, c, kind), see the shader.
    triangles: GpuBuffer<[u32; 4]>,
    loop_offsets: GpuBuffer<u32>,
    loop_nodes: GpuBuffer<u32>,
    caps: GpuBuffer<[f32; 4]>,
    /// Ping-pong buffers of the reduction levels.
    partials: [GpuBuffer<f32>; 2],
    volume: GpuBuffer<f32>,
    node_count: usize,
    loops: usize,
    workgroup: usize,
}

impl GpuCavity {
    /// Uploads `cavity`. `origin` (mm) is what the position buffers are relative to; `reference` (mm) is a
    /// point near the cavity, e.g. [`Cavity::reference_centroid`] (any point gives the same volume; a near
    /// one gives the best f32 precision).
    pub fn new(
        ctx: &GpuContext,
        cavity: &Cavity,
        origin: DVec3,
        reference: DVec3,
    ) -> Result<Self, GpuError> {
        let caps_kernel = Kernel::new(
            ctx,
            &CAVITY,
            "cavity_caps",
            &[
                Access::Read,
                Access::Read,
                Access::Read,
                Access::Read,
                Access::ReadWrite,
                Access::Read,
            ],
        )?;
        let partials_kernel = Kernel::new(
            ctx,
            &CAVITY,
            "cavity_partials",
            &[
                Access::Read,
                Access::Read,
                Access::Read,
                Access::Read,
                Access::ReadWrite,
                Access::Read,
            ],
        )?;
        let reduce_kernel = Kernel::new(
            ctx,
            &CAVITY,
            "cavity_reduce",
            &[Access::Read, Access::ReadWrite],
        )?;
        let workgroup = partials_kernel.workgroup_size() as usize;

        let mut triangles: Vec<[u32; 4]> = cavity
            .wall()
            .iter()
            .map(|t| [t[0], t[1], t[2], 0])
            .collect();
        let mut loop_offsets = vec![0u32];
        let mut loop_nodes = Vec::new();
        for (l, ring) in cavity.loops().iter().enumerate() {
            let k = ring.len();
            for i in 0..k {
                // Cap triangle (n_{i+1}, n_i, c_l), as on the CPU.
                triangles.push([ring[(i + 1) % k], ring[i], l as u32, 1]);
            }
            loop_nodes.extend_from_slice(ring);
            loop_offsets.push(loop_nodes.len() as u32);
        }
        let bytes = (triangles.len() * size_of::<[u32; 4]>()) as u64;
        if bytes > ctx.max_binding_bytes() {
            return Err(GpuError::BufferTooLarge {
                label: format!("{} cavity triangles (one binding)", cavity.name()),
                bytes,
                max: ctx.max_binding_bytes(),
            });
        }
        let r = reference - origin;
        let params = |with_rest: u32| CavityParams {
            reference: [r.x as f32, r.y as f32, r.z as f32, 0.0],
            with_rest,
            _pad: [0; 3],
        };
        let level1 = triangles.len().div_ceil(workgroup);
        let level2 = level1.div_ceil(workgroup).max(1);
        Ok(GpuCavity {
            caps_kernel,
            partials_kernel,
            reduce_kernel,
            // Storage, not uniform buffers: see the binding in the shader.
            params: [
                GpuBuffer::from_slice(ctx, "cavity params", &[params(0)])?,
                GpuBuffer::from_slice(ctx, "cavity params (displacements)", &[params(1)])?,
            ],
            no_rest: GpuBuffer::zeroed(ctx, "cavity: no rest positions", 1)?,
            triangles: GpuBuffer::from_slice(ctx, "cavity triangles", &triangles)?,
            loop_offsets: GpuBuffer::from_slice(ctx, "cavity loop offsets", &loop_offsets)?,
            loop_nodes: GpuBuffer::from_slice(ctx, "cavity loop nodes", &loop_nodes)?,
            caps: GpuBuffer::zeroed(ctx, "cavity caps", cavity.loops().len())?,
            partials: [
                GpuBuffer::zeroed(ctx, "cavity partials a", level1)?,
                GpuBuffer::zeroed(ctx, "cavity partials b", level2)?,
            ],
            volume: GpuBuffer::zeroed(ctx, "cavity volume", 1)?,
            node_count: cavity.node_count(),
            loops: cavity.loops().len(),
            workgroup,
        })
    }

    /// Records the passes that write the volume (mm^3) of configuration `x` to [`Self::volume_buffer`].
    /// `x` holds one `[f32; 4]` per mesh node, mm relative to the origin given to [`Self::new`].
    pub fn record(&self, batch: &mut Batch<'_>, x: &GpuBuffer<[f32; 4]>) -> Result<(), GpuError> {
        self.record_with(batch, x, None)
    }

    /// As [`Self::record`] for the configuration `rest + u`: `u` the displacements and `rest` the rest
    /// positions relative to the origin given to [`Self::new`], one `[f32; 4]` per mesh node each (the
    /// state of [`crate::mechanics::gpu::GpuTled`], whose [`origin`](crate::mechanics::gpu::GpuTled::origin)
    /// the cavity must be built with).
    pub fn record_displacement(
        &self,
        batch: &mut Batch<'_>,
        u: &GpuBuffer<[f32; 4]>,
        rest: &GpuBuffer<[f32; 4]>,
    ) -> Result<(), GpuError> {
        self.record_with(batch, u, Some(rest))
    }

    /// The passes of [`Self::record_displacement`] on `u` and `rest`, bound once (see [`BoundVolume`]).
    pub fn bind_displacement(
        &self,
        ctx: &GpuContext,
        u: &GpuBuffer<[f32; 4]>,
        rest: &GpuBuffer<[f32; 4]>,
    ) -> Result<BoundVolume, GpuError> {
        let passes = self
            .passes(u, Some(rest))?
            .into_iter()
            .map(|(kernel, bindings, count)| {
                Ok((kernel, self.kernel(kernel).bind(ctx, &bindings, count, 0)?))
            })
            .collect::<Result<_, GpuError>>()?;
        Ok(BoundVolume { passes })
    }

    /// Records the passes of [`Self::bind_displacement`]: the volume of the displacements it was bound
    /// to, as they are when the passes run.
    pub fn record_bound(&self, batch: &mut Batch<'_>, bound: &BoundVolume) {
        for (kernel, pass) in &bound.passes {
            batch.dispatch_bound(self.kernel(*kernel), pass);
        }
    }

    fn kernel(&self, pass: Pass) -> &Kernel {
        match pass {
            Pass::Caps => &self.caps_kernel,
            Pass::Partials => &self.partials_kernel,
            Pass::Reduce => &self.reduce_kernel,
        }
    }

    fn record_with(
        &self,
        batch: &mut Batch<'_>,
        x: &GpuBuffer<[f32; 4]>,
        rest: Option<&GpuBuffer<[f32; 4]>>,
    ) -> Result<(), GpuError> {
        for (kernel, bindings, count) in self.passes(x, rest)? {
            batch.dispatch(self.kernel(kernel), &bindings, count, 0)?;
        }
        Ok(())
    }

    /// The passes that leave the volume of `x` (or `rest + x`) in [`Self::volume_buffer`], in order:
    /// kernel, bindings and invocations.
    fn passes<'a>(
        &'a self,
        x: &'a GpuBuffer<[f32; 4]>,
        rest: Option<&'a GpuBuffer<[f32; 4]>>,
    ) -> Result<Vec<(Pass, Vec<Range<'a>>, u32)>, GpuError> {
        for b in std::iter::once(x).chain(rest) {
            if b.len() != self.node_count {
                return Err(GpuError::Validation {
                    what: "recording the cavity volume".into(),
                    message: format!(
                        "the position buffer {:?} has {} entries, the mesh {} nodes",
                        b.label(),
                        b.len(),
                        self.node_count
                    ),
                });
            }
        }
        let params = self.params[rest.is_some() as usize].whole();
        let rest = rest.unwrap_or(&self.no_rest).whole();
        let mut passes = vec![(
            Pass::Caps,
            vec![
                params,
                x.whole(),
                self.loop_offsets.whole(),
                self.loop_nodes.whole(),
                self.caps.whole(),
                rest,
            ],
            self.loops as u32,
        )];
        // Values left by each pass: one per workgroup of its input, until one is left.
        let triangles = self.triangles.len();
        let mut count = triangles.div_ceil(self.workgroup);
        let mut out = if count <= 1 {
            &self.volume
        } else {
            &self.partials[0]
        };
        passes.push((
            Pass::Partials,
            vec![
                params,
                x.whole(),
                self.triangles.whole(),
                self.caps.whole(),
                out.whole(),
                rest,
            ],
            triangles as u32,
        ));
        let mut level = 0;
        while count > 1 {
            let n_in = count;
            count = n_in.div_ceil(self.workgroup);
            let input = out;
            out = if count == 1 {
                &self.volume
            } else {
                level = 1 - level;
                &self.partials[level]
            };
            passes.push((
                Pass::Reduce,
                vec![input.range(0..n_in), out.whole()],
                n_in as u32,
            ));
        }
        Ok(passes)
    }

    /// The one-value buffer the recorded passes leave the volume in, mm^3.
    pub fn volume_buffer(&self) -> &GpuBuffer<f32> {
        &self.volume
    }

    /// Runs the passes on `x` and reads the volume back, mm^3 (f32 widened).
    pub fn volume(&self, ctx: &GpuContext, x: &GpuBuffer<[f32; 4]>) -> Result<f64, GpuError> {
        let mut batch = Batch::new(ctx, "cavity volume");
        self.record(&mut batch, x)?;
        batch.submit()?;
        let v = self.volume.read(ctx)?;
        v.first()
            .map(|&v| v as f64)
            .ok_or_else(|| GpuError::Readback {
                label: self.volume.label().to_string(),
                message: "empty".into(),
            })
    }
}
