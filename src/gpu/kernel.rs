//! Compute kernels: a pipeline built from an embedded shader, bound by position, dispatched over any number
//! of invocations (2-D grids past the 65,535-workgroup limit, chunked bindings past the per-binding size
//! limit), with GPU timestamps where the adapter has them.
//!
//! Conventions shared with `shaders/common.wgsl`:
//! - binding 0 of group 0 is a [`DispatchParams`] uniform that [`Batch`] fills: `count` invocations, the
//!   first of which has global index `first` (non-zero for later chunks of a chunked dispatch);
//! - bindings 1.. are the kernel's own, in the order of [`Kernel::new`]'s `access` list;
//! - the flat invocation index is `global_index(wid, nwg, lid)` and every entry point starts with
//!   `if (i >= dispatch.count) { return; }`.

use std::time::{Duration, Instant};

use bytemuck::{Pod, Zeroable};

use super::buffer::{Range, Staging, read_back};
use super::shaders::Shader;
use super::{GpuBuffer, GpuContext, GpuError};

/// The workgroup size of cardiotwin's one-invocation-per-item kernels (`WG` in `shaders/common.wgsl`).
/// [`Kernel::new`] reads each entry point's actual size from the shader, so this is only a default.
pub const WORKGROUP_SIZE: u32 = 256;

/// How a kernel binding is accessed, in WGSL terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `var<uniform>`
    Uniform,
    /// `var<storage, read>`
    Read,
    /// `var<storage, read_write>`
    ReadWrite,
}

/// The uniform at binding 0 of every kernel.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct DispatchParams {
    /// Invocations in this dispatch.
    pub count: u32,
    /// Global index of the first invocation.
    pub first: u32,
    pub _pad: [u32; 2],
}
const _: () = assert!(size_of::<DispatchParams>() == 16);

/// A 2-D dispatch grid: `x * y` workgroups covering the invocations, each dimension within the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    pub x: u32,
    pub y: u32,
}

impl Grid {
    /// The smallest near-rectangular grid of workgroups of `workgroup_size` that covers `invocations`,
    /// with no dimension above `max_per_dim`.
    pub fn cover(invocations: u64, workgroup_size: u32, max_per_dim: u32) -> Grid {
        let groups = invocations.div_ceil(workgroup_size as u64).max(1);
        let y = groups.div_ceil(max_per_dim as u64);
        let x = groups.div_ceil(y);
        Grid {
            x: x as u32,
            y: y as u32,
        }
    }

    pub fn workgroups(&self) -> u64 {
        self.x as u64 * self.y as u64
    }
}

/// A dispatch of a kernel with fixed bindings and size ([`Kernel::bind`]), recorded by
/// [`Batch::dispatch_bound`]: its bind group and [`DispatchParams`] uniform are made once.
pub struct BoundDispatch {
    kernel: String,
    bind_group: wgpu::BindGroup,
    invocations: u32,
    _params: GpuBuffer<DispatchParams>,
}

/// A compute pipeline and its bind group layout.
pub struct Kernel {
    name: String,
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
    access: Vec<Access>,
    workgroup_size: u32,
}

impl Kernel {
    /// Builds entry point `entry` of `shader`, whose bindings 1.. have the given `access` (binding 0 is
    /// always the [`DispatchParams`] uniform). The shader is validated with naga first, so a broken shader
    /// is a [`GpuError::Shader`] naming the file, not a wgpu panic.
    pub fn new(
        ctx: &GpuContext,
        shader: &Shader,
        entry: &str,
        access: &[Access],
    ) -> Result<Self, GpuError> {
        let (source, module) = shader.validated()?;
        let ep = module
            .entry_points
            .iter()
            .find(|e| e.name == entry)
            .ok_or_else(|| GpuError::Shader {
                name: shader.name.to_string(),
                file: shader.file.to_string(),
                stage: "find the entry point",
                message: format!("no entry point named {entry:?}"),
            })?;
        let workgroup_size = ep.workgroup_size[0] * ep.workgroup_size[1] * ep.workgroup_size[2];

        let mut entries = vec![layout_entry(0, Access::Uniform)];
        entries.extend(
            access
                .iter()
                .enumerate()
                .map(|(i, a)| layout_entry(i as u32 + 1, *a)),
        );
        let name = format!("{}::{entry}", shader.name);
        let layout = ctx
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some(&name),
                entries: &entries,
            });
        let pipeline_layout = ctx
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(&name),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let module = ctx
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(shader.file),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
        let pipeline = ctx
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(&name),
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            });
        ctx.check_errors(&format!("building kernel {name}"))?;
        Ok(Kernel {
            name,
            pipeline,
            layout,
            access: access.to_vec(),
            workgroup_size,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Prepares a dispatch of `invocations` invocations (the first with global index `first`) with
    /// `bindings` (bindings 1.., in the order the kernel was built with), to record with
    /// [`Batch::dispatch_bound`] as often as wanted.
    pub fn bind(
        &self,
        ctx: &GpuContext,
        bindings: &[Range<'_>],
        invocations: u32,
        first: u32,
    ) -> Result<BoundDispatch, GpuError> {
        if bindings.len() != self.access.len() {
            return Err(GpuError::Validation {
                what: format!("binding {}", self.name),
                message: format!(
                    "kernel has {} bindings after the dispatch uniform, {} given",
                    self.access.len(),
                    bindings.len()
                ),
            });
        }
        let params = GpuBuffer::uniform(
            ctx,
            "dispatch params",
            &DispatchParams {
                count: invocations,
                first,
                _pad: [0; 2],
            },
        )?;
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: params.whole().as_binding(),
        }];
        entries.extend(
            bindings
                .iter()
                .enumerate()
                .map(|(i, r)| wgpu::BindGroupEntry {
                    binding: i as u32 + 1,
                    resource: r.as_binding(),
                }),
        );
        let bind_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(&self.name),
            layout: &self.layout,
            entries: &entries,
        });
        Ok(BoundDispatch {
            kernel: self.name.clone(),
            bind_group,
            invocations,
            _params: params,
        })
    }

    pub fn workgroup_size(&self) -> u32 {
        self.workgroup_size
    }

    /// The largest chunk (in items) such that a binding of `item_bytes` per item fits the device's
    /// per-binding limit and every chunk starts at an aligned offset. `item_bytes` lists the per-item size
    /// of each buffer bound by range.
    pub fn chunk_items(ctx: &GpuContext, item_bytes: &[u64]) -> usize {
        let max = ctx.max_binding_bytes();
        let align = ctx.limits.min_storage_buffer_offset_alignment.max(1) as u64;
        let largest = item_bytes.iter().copied().max().unwrap_or(1).max(1);
        // Chunks of a multiple of `align` items start at a multiple of `align` bytes for any item size.
        let items = (max / largest) / align * align;
        items.clamp(align, u32::MAX as u64 / 2) as usize
    }
}

fn layout_entry(binding: u32, access: Access) -> wgpu::BindGroupLayoutEntry {
    let ty = match access {
        Access::Uniform => wgpu::BufferBindingType::Uniform,
        Access::Read => wgpu::BufferBindingType::Storage { read_only: true },
        Access::ReadWrite => wgpu::BufferBindingType::Storage { read_only: false },
    };
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

/// The most timed passes one batch records; later passes run untimed.
const MAX_TIMED_PASSES: u32 = 64;

/// GPU and wall-clock times of a submitted batch.
#[derive(Debug, Clone, Default)]
pub struct BatchTiming {
    /// Per dispatch: kernel name and GPU time, when the adapter has timestamps.
    pub passes: Vec<(String, Duration)>,
    /// Sum of the timed passes (None without timestamps).
    pub gpu: Option<Duration>,
    /// Wall time from `submit` to completion.
    pub wall: Duration,
}

/// A command encoder collecting dispatches, submitted together.
pub struct Batch<'c> {
    ctx: &'c GpuContext,
    encoder: wgpu::CommandEncoder,
    queries: Option<(wgpu::QuerySet, wgpu::Buffer)>,
    timed: Vec<String>,
    label: String,
}

impl<'c> Batch<'c> {
    /// A batch whose passes are timed on the GPU where the adapter has timestamps (reading them back
    /// costs one more wait at [`Batch::submit`]).
    pub fn new(ctx: &'c GpuContext, label: &str) -> Self {
        Self::with_timing(ctx, label, ctx.timestamps)
    }

    /// A batch without GPU timestamps: for small batches submitted many times (a time loop's steps),
    /// where the timestamp queries and their readback would cost more than the work.
    pub fn untimed(ctx: &'c GpuContext, label: &str) -> Self {
        Self::with_timing(ctx, label, false)
    }

    fn with_timing(ctx: &'c GpuContext, label: &str, timed: bool) -> Self {
        let encoder = ctx
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) });
        let queries = timed.then(|| {
            let set = ctx.device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("pass timestamps"),
                ty: wgpu::QueryType::Timestamp,
                count: 2 * MAX_TIMED_PASSES,
            });
            let resolve = ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("timestamp resolve"),
                size: 2 * MAX_TIMED_PASSES as u64 * wgpu::QUERY_SIZE as u64,
                usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            });
            (set, resolve)
        });
        Batch {
            ctx,
            encoder,
            queries,
            timed: Vec::new(),
            label: label.to_string(),
        }
    }

    /// Records one dispatch of `invocations` invocations of `kernel` with `bindings` (bindings 1.. in the
    /// order the kernel was built with). `first` is the global index of invocation 0.
    pub fn dispatch(
        &mut self,
        kernel: &Kernel,
        bindings: &[Range<'_>],
        invocations: u32,
        first: u32,
    ) -> Result<(), GpuError> {
        if bindings.len() != kernel.access.len() {
            return Err(GpuError::Validation {
                what: format!("dispatching {}", kernel.name),
                message: format!(
                    "kernel has {} bindings after the dispatch uniform, {} given",
                    kernel.access.len(),
                    bindings.len()
                ),
            });
        }
        if invocations == 0 {
            return Ok(());
        }
        let bound = kernel.bind(self.ctx, bindings, invocations, first)?;
        self.record(kernel, &bound.bind_group, invocations);
        Ok(())
    }

    /// Records a dispatch prepared with [`Kernel::bind`] (no uniform or bind group made here: for time
    /// loops that bind the same buffers every step). `bound` must come from `kernel`.
    pub fn dispatch_bound(&mut self, kernel: &Kernel, bound: &BoundDispatch) {
        debug_assert_eq!(bound.kernel, kernel.name);
        if bound.invocations > 0 {
            self.record(kernel, &bound.bind_group, bound.invocations);
        }
    }

    /// One compute pass with `kernel` over `invocations` invocations.
    fn record(&mut self, kernel: &Kernel, bind_group: &wgpu::BindGroup, invocations: u32) {
        let grid = Grid::cover(
            invocations as u64,
            kernel.workgroup_size,
            self.ctx.limits.max_compute_workgroups_per_dimension,
        );
        let slot = self.timed.len() as u32;
        let timestamp_writes = match &self.queries {
            Some((set, _)) if slot < MAX_TIMED_PASSES => {
                self.timed.push(kernel.name.clone());
                Some(wgpu::ComputePassTimestampWrites {
                    query_set: set,
                    beginning_of_pass_write_index: Some(2 * slot),
                    end_of_pass_write_index: Some(2 * slot + 1),
                })
            }
            _ => None,
        };
        let mut pass = self
            .encoder
            .begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some(&kernel.name),
                timestamp_writes,
            });
        pass.set_pipeline(&kernel.pipeline);
        pass.set_bind_group(0, bind_group, &[]);
        pass.dispatch_workgroups(grid.x, grid.y, 1);
    }

    /// Dispatches `kernel` over `items` items in chunks of at most `chunk` (see [`Kernel::chunk_items`]);
    /// `bind(range)` returns the bindings for the items in `range`.
    pub fn dispatch_chunked<'b>(
        &mut self,
        kernel: &Kernel,
        items: usize,
        chunk: usize,
        bind: impl Fn(std::ops::Range<usize>) -> Vec<Range<'b>>,
    ) -> Result<(), GpuError> {
        let chunk = chunk.max(1);
        let mut start = 0;
        while start < items {
            let end = (start + chunk).min(items);
            let bindings = bind(start..end);
            self.dispatch(kernel, &bindings, (end - start) as u32, start as u32)?;
            start = end;
        }
        Ok(())
    }

    /// Records the copy of `count` values of `src` from value `src_start` into `dst` from value
    /// `dst_start` (the bytes as they are: an `f32` into a `u32` buffer is its bit pattern). Offsets and
    /// sizes must be multiples of 4 bytes.
    /// Gathers results of several kernels into one buffer, read back with one wait.
    pub fn copy<T: Pod, U: Pod>(
        &mut self,
        src: &GpuBuffer<T>,
        src_start: usize,
        dst: &GpuBuffer<U>,
        dst_start: usize,
        count: usize,
    ) -> Result<(), GpuError> {
        let (a, b) = (size_of::<T>() as u64, size_of::<U>() as u64);
        let bytes = (count as u64).checked_mul(a);
        // Byte offset of the range's start within a buffer of `len` values of `elem` bytes, if it fits.
        let offset = |start: usize, len: usize, elem: u64| {
            let at = (start as u64).checked_mul(elem)?;
            at.checked_add(bytes?)
                .filter(|&end| end <= len as u64 * elem)
                .map(|_| at)
        };
        let aligned = |v: u64| v.is_multiple_of(wgpu::COPY_BUFFER_ALIGNMENT);
        let fits = (
            offset(src_start, src.len(), a),
            offset(dst_start, dst.len(), b),
            bytes,
        );
        let (Some(src_at), Some(dst_at), Some(bytes)) = fits else {
            return Err(copy_error(src, src_start, dst, dst_start, count));
        };
        if ![a, b, src_at, dst_at].into_iter().all(aligned) {
            return Err(copy_error(src, src_start, dst, dst_start, count));
        }
        if bytes > 0 {
            self.encoder
                .copy_buffer_to_buffer(&src.buffer, src_at, &dst.buffer, dst_at, bytes);
        }
        Ok(())
    }

    /// Submits the batch, waits for completion and returns its timing. Validation errors raised while
    /// recording or running are returned here.
    pub fn submit(self) -> Result<BatchTiming, GpuError> {
        self.submit_reading::<u32>(None).map(|(t, _)| t)
    }

    /// Submits the batch and reads `src` back when it is done, with one wait for the device (a
    /// [`GpuBuffer::read`] after [`Batch::submit`] waits twice): for a time loop that needs a few
    /// numbers back every step.
    pub fn submit_and_read<T: Pod>(
        self,
        src: &GpuBuffer<T>,
    ) -> Result<(Vec<T>, BatchTiming), GpuError> {
        self.submit_reading(Some(src)).map(|(t, v)| (v, t))
    }

    fn submit_reading<T: Pod>(
        mut self,
        src: Option<&GpuBuffer<T>>,
    ) -> Result<(BatchTiming, Vec<T>), GpuError> {
        let n = self.timed.len() as u32;
        if let (Some((set, resolve)), true) = (&self.queries, n > 0) {
            self.encoder.resolve_query_set(set, 0..2 * n, resolve, 0);
        }
        let staging = src.filter(|b| !b.is_empty()).map(|b| {
            let bytes = (b.len() * size_of::<T>()) as u64;
            Staging::record(self.ctx, &mut self.encoder, &b.buffer, bytes, b.label())
        });
        let start = Instant::now();
        self.ctx.queue.submit([self.encoder.finish()]);
        let values = match staging {
            Some(s) => bytemuck::pod_collect_to_vec(&s.wait(self.ctx)?),
            None => {
                self.ctx.sync(&self.label)?;
                Vec::new()
            }
        };
        // Errors raised while recording or running, named after the batch.
        self.ctx.check_errors(&self.label)?;
        let wall = start.elapsed();
        let mut timing = BatchTiming {
            wall,
            ..Default::default()
        };
        if let (Some((_, resolve)), true) = (&self.queries, n > 0) {
            let raw = read_back(
                self.ctx,
                resolve,
                2 * n as u64 * wgpu::QUERY_SIZE as u64,
                "timestamps",
            )?;
            let ticks: Vec<u64> = bytemuck::pod_collect_to_vec(&raw);
            let period_ns = self.ctx.queue.get_timestamp_period() as f64;
            for (i, name) in self.timed.iter().enumerate() {
                let dt = ticks[2 * i + 1].saturating_sub(ticks[2 * i]) as f64 * period_ns;
                timing
                    .passes
                    .push((name.clone(), Duration::from_nanos(dt as u64)));
            }
            timing.gpu = Some(timing.passes.iter().map(|(_, d)| *d).sum());
        }
        Ok((timing, values))
    }
}

/// The error of a [`Batch::copy`] that does not fit.
fn copy_error<T: Pod, U: Pod>(
    src: &GpuBuffer<T>,
    src_start: usize,
    dst: &GpuBuffer<U>,
    dst_start: usize,
    count: usize,
) -> GpuError {
    GpuError::Validation {
        what: format!("copying {:?} into {:?}", src.label(), dst.label()),
        message: format!(
            "{count} values from {src_start} of {} ({} bytes each) do not fit at {dst_start} of {} \
             ({} bytes each), or are not 4-byte aligned",
            src.len(),
            size_of::<T>(),
            dst.len(),
            size_of::<U>()
        ),
    }
}
