//! Device creation: headless (compute, offscreen rendering) or for a window surface.

use std::sync::{Arc, Mutex};

use super::GpuError;
use super::adapter::{AdapterReport, GpuInventory, backends_to_string};

/// An open wgpu device with the adapter it runs on.
///
/// The device is created with the adapter's own limits (`adapter.limits()`), not wgpu's conservative
/// defaults: lavapipe allows 128 MiB per storage binding and 2 GiB per buffer, a discrete GPU far more.
/// `TIMESTAMP_QUERY` is enabled where the adapter has it, so kernels can be timed on the GPU itself.
///
/// wgpu reports validation errors through a callback; the context collects them instead of panicking, and
/// [`GpuContext::check_errors`] turns them into a [`GpuError::Validation`] at the next synchronisation.
///
/// Cloning shares the device (wgpu's handles are reference-counted) and its error list: the live viewer's
/// window and the simulation thread it draws work on one device, so the simulation's buffers can be drawn
/// without a copy.
#[derive(Clone)]
pub struct GpuContext {
    pub instance: wgpu::Instance,
    pub adapter: wgpu::Adapter,
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub report: AdapterReport,
    pub limits: wgpu::Limits,
    /// GPU timestamps are available (and enabled) on this device.
    pub timestamps: bool,
    errors: Arc<Mutex<Vec<String>>>,
}

impl GpuContext {
    /// Opens a headless device on the best adapter, or on the one whose name contains `adapter_name`.
    /// Software adapters (lavapipe) are accepted: the caller decided the GPU backend should run.
    pub fn headless(adapter_name: Option<&str>) -> Result<Self, GpuError> {
        let inventory = GpuInventory::discover();
        let index = inventory.pick(adapter_name)?;
        Self::from_inventory(inventory, index)
    }

    /// Opens a device on adapter `index` of an inventory.
    pub fn from_inventory(inventory: GpuInventory, index: usize) -> Result<Self, GpuError> {
        let GpuInventory {
            instance,
            mut adapters,
            ..
        } = inventory;
        let adapter = adapters.swap_remove(index);
        Self::open(instance, adapter, index)
    }

    /// Opens a device able to present to `surface`, for windows. `instance` must be the one that created
    /// the surface (with the window's display handle, see [`GpuContext::instance_for_display`]).
    pub fn for_surface(
        instance: wgpu::Instance,
        surface: &wgpu::Surface<'_>,
    ) -> Result<Self, GpuError> {
        let tried = wgpu::Backends::from_env().unwrap_or(wgpu::Backends::all());
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: Some(surface),
            apply_limit_buckets: false,
        }))
        .map_err(|_| GpuError::NoAdapter {
            tried: backends_to_string(tried),
        })?;
        Self::open(instance, adapter, 0)
    }

    /// An instance that can create surfaces for windows of `display` (winit's `OwnedDisplayHandle`).
    pub fn instance_for_display<D>(display: D) -> wgpu::Instance
    where
        D: wgpu::rwh::HasDisplayHandle + std::fmt::Debug + Send + Sync + 'static,
    {
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_with_display_handle_from_env(
            Box::new(display),
        ))
    }

    fn open(
        instance: wgpu::Instance,
        adapter: wgpu::Adapter,
        index: usize,
    ) -> Result<Self, GpuError> {
        let report = AdapterReport::new(index, &adapter);
        let limits = adapter.limits();
        let timestamps = adapter.features().contains(wgpu::Features::TIMESTAMP_QUERY);
        let required_features = if timestamps {
            wgpu::Features::TIMESTAMP_QUERY
        } else {
            wgpu::Features::empty()
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("cardiotwin"),
            required_features,
            required_limits: limits.clone(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        }))
        .map_err(|source| GpuError::RequestDevice {
            adapter: report.name.clone(),
            source,
        })?;
        let errors = Arc::new(Mutex::new(Vec::new()));
        let sink = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            log::error!("wgpu: {e}");
            if let Ok(mut v) = sink.lock() {
                v.push(e.to_string());
            }
        }));
        log::info!("GPU backend on {}", report.describe());
        Ok(GpuContext {
            instance,
            adapter,
            device,
            queue,
            report,
            limits,
            timestamps,
            errors,
        })
    }

    /// Blocks until all submitted work is done, then reports any validation error wgpu raised since the
    /// last check, naming `what` was being done.
    pub fn sync(&self, what: &str) -> Result<(), GpuError> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Poll(e.to_string()))?;
        self.check_errors(what)
    }

    /// Returns the validation errors collected since the last call, as one error naming `what`.
    pub fn check_errors(&self, what: &str) -> Result<(), GpuError> {
        let mut errors = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        if errors.is_empty() {
            return Ok(());
        }
        let message = errors.join("\n");
        errors.clear();
        Err(GpuError::Validation {
            what: what.to_string(),
            message,
        })
    }

    /// The largest number of bytes one storage binding may cover on this device.
    pub fn max_binding_bytes(&self) -> u64 {
        self.limits
            .max_storage_buffer_binding_size
            .min(self.limits.max_buffer_size)
    }
}
