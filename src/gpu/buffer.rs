//! Typed storage buffers: upload, zero, bind by element range, read back.

use std::marker::PhantomData;

use bytemuck::Pod;

use super::{GpuContext, GpuError};

/// A GPU buffer holding `len` values of `T` (a `#[repr(C)]` `Pod` type laid out as its WGSL twin).
///
/// Usage is `STORAGE | COPY_SRC | COPY_DST` (or `UNIFORM | COPY_DST` for [`GpuBuffer::uniform`]), so any
/// buffer can be bound, written from the CPU and read back.
pub struct GpuBuffer<T: Pod> {
    pub buffer: wgpu::Buffer,
    len: usize,
    label: String,
    _t: PhantomData<T>,
}

/// A byte range of a buffer to bind: what [`crate::gpu::Kernel`] bindings take.
#[derive(Clone, Copy)]
pub struct Range<'a> {
    pub buffer: &'a wgpu::Buffer,
    pub offset: u64,
    pub size: u64,
}

impl<'a> Range<'a> {
    pub(crate) fn as_binding(&self) -> wgpu::BindingResource<'a> {
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: self.buffer,
            offset: self.offset,
            size: wgpu::BufferSize::new(self.size),
        })
    }
}

/// Buffers are never smaller than this (zero-sized bindings are invalid).
const MIN_BYTES: u64 = 16;

fn padded_bytes(len: usize, elem: usize) -> u64 {
    let bytes = (len * elem) as u64;
    bytes
        .max(MIN_BYTES)
        .next_multiple_of(wgpu::COPY_BUFFER_ALIGNMENT)
}

impl<T: Pod> GpuBuffer<T> {
    fn create(
        ctx: &GpuContext,
        label: &str,
        len: usize,
        usage: wgpu::BufferUsages,
        contents: Option<&[T]>,
    ) -> Result<Self, GpuError> {
        let size = padded_bytes(len, size_of::<T>());
        if size > ctx.limits.max_buffer_size {
            return Err(GpuError::BufferTooLarge {
                label: label.to_string(),
                bytes: size,
                max: ctx.limits.max_buffer_size,
            });
        }
        let buffer = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage,
            mapped_at_creation: contents.is_some(),
        });
        if let Some(data) = contents {
            let bytes: &[u8] = bytemuck::cast_slice(data);
            let mut view = buffer
                .get_mapped_range_mut(..)
                .map_err(|e| GpuError::Validation {
                    what: format!("mapping new buffer {label:?}"),
                    message: e.to_string(),
                })?;
            view.slice(..bytes.len()).copy_from_slice(bytes);
            drop(view);
            buffer.unmap();
        }
        Ok(GpuBuffer {
            buffer,
            len,
            label: label.to_string(),
            _t: PhantomData,
        })
    }

    /// A storage buffer initialised with `data`.
    pub fn from_slice(ctx: &GpuContext, label: &str, data: &[T]) -> Result<Self, GpuError> {
        Self::create(ctx, label, data.len(), storage_usage(), Some(data))
    }

    /// A storage buffer of `len` zeroed values.
    pub fn zeroed(ctx: &GpuContext, label: &str, len: usize) -> Result<Self, GpuError> {
        Self::create(ctx, label, len, storage_usage(), None)
    }

    /// A uniform buffer holding one value.
    pub fn uniform(ctx: &GpuContext, label: &str, value: &T) -> Result<Self, GpuError> {
        Self::create(
            ctx,
            label,
            1,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            Some(std::slice::from_ref(value)),
        )
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// The whole buffer as a binding.
    pub fn whole(&self) -> Range<'_> {
        Range {
            buffer: &self.buffer,
            offset: 0,
            size: self.buffer.size(),
        }
    }

    /// Elements `range` as a binding. The start's byte offset must be a multiple of the device's
    /// `min_storage_buffer_offset_alignment` (256 on most adapters); [`crate::gpu::Batch::dispatch_chunked`]
    /// chooses chunk sizes that satisfy it.
    pub fn range(&self, range: std::ops::Range<usize>) -> Range<'_> {
        debug_assert!(range.start <= range.end && range.end <= self.len);
        let elem = size_of::<T>() as u64;
        Range {
            buffer: &self.buffer,
            offset: range.start as u64 * elem,
            size: ((range.end - range.start) as u64 * elem).max(elem),
        }
    }

    /// Overwrites the buffer's start with `data` (queued; visible to the next submission).
    pub fn write(&self, ctx: &GpuContext, data: &[T]) {
        debug_assert!(data.len() <= self.len);
        ctx.queue
            .write_buffer(&self.buffer, 0, bytemuck::cast_slice(data));
    }

    /// Copies the buffer back to the CPU (waits for all submitted work).
    pub fn read(&self, ctx: &GpuContext) -> Result<Vec<T>, GpuError> {
        let bytes = (self.len * size_of::<T>()) as u64;
        let raw = read_back(ctx, &self.buffer, bytes, &self.label)?;
        Ok(bytemuck::pod_collect_to_vec(&raw))
    }
}

/// Copies the first `bytes` bytes of `src` (which needs `COPY_SRC`) back to the CPU through a staging
/// buffer, waiting for all submitted work.
pub(crate) fn read_back(
    ctx: &GpuContext,
    src: &wgpu::Buffer,
    bytes: u64,
    label: &str,
) -> Result<Vec<u8>, GpuError> {
    if bytes == 0 {
        return Ok(Vec::new());
    }
    let mut encoder = ctx
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("readback"),
        });
    let staging = Staging::record(ctx, &mut encoder, src, bytes, label);
    ctx.queue.submit([encoder.finish()]);
    staging.wait(ctx)
}

/// A copy of a buffer's start into a mappable staging buffer, recorded into an encoder: after the
/// submission, [`Staging::wait`] maps it with one wait for the device.
pub(crate) struct Staging {
    buffer: wgpu::Buffer,
    bytes: u64,
    label: String,
}

impl Staging {
    /// Records the copy of the first `bytes` (> 0) bytes of `src` into `encoder`.
    pub(crate) fn record(
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        src: &wgpu::Buffer,
        bytes: u64,
        label: &str,
    ) -> Self {
        let copy_bytes = bytes
            .max(1)
            .next_multiple_of(wgpu::COPY_BUFFER_ALIGNMENT)
            .min(src.size());
        let buffer = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback staging"),
            size: copy_bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        encoder.copy_buffer_to_buffer(src, 0, &buffer, 0, copy_bytes);
        Staging {
            buffer,
            bytes: bytes.min(copy_bytes),
            label: label.to_string(),
        }
    }

    /// Maps the staging buffer once the submitted work is done (one wait) and returns its bytes.
    pub(crate) fn wait(self, ctx: &GpuContext) -> Result<Vec<u8>, GpuError> {
        let label = self.label;
        let (tx, rx) = std::sync::mpsc::channel();
        self.buffer.map_async(wgpu::MapMode::Read, .., move |r| {
            let _ = tx.send(r);
        });
        ctx.sync(&format!("reading back {label:?}"))?;
        let readback_err = |message: String| GpuError::Readback {
            label: label.clone(),
            message,
        };
        rx.recv()
            .map_err(|e| readback_err(e.to_string()))?
            .map_err(|e| readback_err(e.to_string()))?;
        let view = self
            .buffer
            .get_mapped_range(..)
            .map_err(|e| readback_err(e.to_string()))?;
        let out = view[..self.bytes as usize].to_vec();
        drop(view);
        self.buffer.unmap();
        Ok(out)
    }
}

fn storage_usage() -> wgpu::BufferUsages {
    wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST
}
