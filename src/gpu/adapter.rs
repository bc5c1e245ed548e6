//! Adapter discovery and choice, and the report that `cardiotwin gpu-info` prints.

use serde::Serialize;

/// Everything cardiotwin needs to know about one adapter, serialisable for `gpu-info --json`.
#[derive(Debug, Clone, Serialize)]
pub struct AdapterReport {
    /// Index in [`GpuInventory::adapters`].
    pub index: usize,
    pub name: String,
    /// wgpu backend: `vulkan`, `gl`, `metal`, `dx12`.
    pub backend: String,
    /// `DiscreteGpu`, `IntegratedGpu`, `VirtualGpu`, `Cpu` (software, e.g. Mesa lavapipe/llvmpipe) or `Other`.
    pub device_type: String,
    /// True for discrete and integrated GPUs: the ones `--backend auto` uses.
    pub hardware: bool,
    pub driver: String,
    pub driver_info: String,
    pub vendor_id: u32,
    pub device_id: u32,
    pub features: FeatureReport,
    pub limits: LimitReport,
}

/// The optional features that matter to cardiotwin's kernels.
#[derive(Debug, Clone, Serialize)]
pub struct FeatureReport {
    /// `f64` in shaders (`SHADER_F64`).
    pub shader_f64: bool,
    /// `f16` in shaders (`SHADER_F16`).
    pub shader_f16: bool,
    /// Atomic add/exchange on `f32` in storage buffers (`SHADER_FLOAT32_ATOMIC`).
    pub float32_atomics: bool,
    /// GPU timestamps around passes (`TIMESTAMP_QUERY`).
    pub timestamp_query: bool,
    /// Subgroup (warp/wave) operations.
    pub subgroup: bool,
}

/// The limits that size cardiotwin's buffers and dispatches.
#[derive(Debug, Clone, Serialize)]
pub struct LimitReport {
    pub max_buffer_size: u64,
    pub max_storage_buffer_binding_size: u64,
    pub max_storage_buffers_per_shader_stage: u32,
    pub max_compute_workgroups_per_dimension: u32,
    pub max_compute_invocations_per_workgroup: u32,
    pub max_compute_workgroup_size_x: u32,
    pub max_compute_workgroup_storage_size: u32,
    pub min_storage_buffer_offset_alignment: u32,
}

impl AdapterReport {
    pub(crate) fn new(index: usize, adapter: &wgpu::Adapter) -> Self {
        let info = adapter.get_info();
        let f = adapter.features();
        let l = adapter.limits();
        AdapterReport {
            index,
            name: info.name,
            backend: info.backend.to_str().to_string(),
            device_type: format!("{:?}", info.device_type),
            hardware: is_hardware(info.device_type),
            driver: info.driver,
            driver_info: info.driver_info,
            vendor_id: info.vendor,
            device_id: info.device,
            features: FeatureReport {
                shader_f64: f.contains(wgpu::Features::SHADER_F64),
                shader_f16: f.contains(wgpu::Features::SHADER_F16),
                float32_atomics: f.contains(wgpu::Features::SHADER_FLOAT32_ATOMIC),
                timestamp_query: f.contains(wgpu::Features::TIMESTAMP_QUERY),
                subgroup: f.contains(wgpu::Features::SUBGROUP),
            },
            limits: LimitReport {
                max_buffer_size: l.max_buffer_size,
                max_storage_buffer_binding_size: l.max_storage_buffer_binding_size,
                max_storage_buffers_per_shader_stage: l.max_storage_buffers_per_shader_stage,
                max_compute_workgroups_per_dimension: l.max_compute_workgroups_per_dimension,
                max_compute_invocations_per_workgroup: l.max_compute_invocations_per_workgroup,
                max_compute_workgroup_size_x: l.max_compute_workgroup_size_x,
                max_compute_workgroup_storage_size: l.max_compute_workgroup_storage_size,
                min_storage_buffer_offset_alignment: l.min_storage_buffer_offset_alignment,
            },
        }
    }

    /// One line for logs: `"llvmpipe (LLVM 15.0.6, 256 bits)" (vulkan, Cpu, driver llvmpipe)`.
    pub fn describe(&self) -> String {
        format!(
            "{:?} ({}, {}, driver {} {})",
            self.name, self.backend, self.device_type, self.driver, self.driver_info
        )
    }
}

/// True for the adapter types that are real graphics hardware.
pub fn is_hardware(t: wgpu::DeviceType) -> bool {
    matches!(
        t,
        wgpu::DeviceType::DiscreteGpu | wgpu::DeviceType::IntegratedGpu
    )
}

/// All adapters wgpu found, in the order of preference cardiotwin uses.
pub struct GpuInventory {
    pub instance: wgpu::Instance,
    /// Adapters sorted best first: hardware before software, then discrete before integrated, then native
    /// APIs (Vulkan, Metal, DX12) before GL.
    pub adapters: Vec<wgpu::Adapter>,
    /// Which wgpu backends the instance tried (after `WGPU_BACKEND`).
    pub tried: wgpu::Backends,
}

impl GpuInventory {
    /// Enumerates every adapter on the backends that `WGPU_BACKEND` allows (all by default).
    pub fn discover() -> Self {
        let desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        // Only the backends compiled in for this platform (no Metal on Linux, ...).
        let tried = desc.backends & wgpu::Instance::enabled_backend_features();
        let instance = wgpu::Instance::new(desc);
        let adapters = pollster::block_on(instance.enumerate_adapters(tried));
        Self::from_parts(instance, adapters, tried)
    }

    pub(crate) fn from_parts(
        instance: wgpu::Instance,
        mut adapters: Vec<wgpu::Adapter>,
        tried: wgpu::Backends,
    ) -> Self {
        adapters.sort_by_key(|a| preference_rank(&a.get_info()));
        GpuInventory {
            instance,
            adapters,
            tried,
        }
    }

    pub fn reports(&self) -> Vec<AdapterReport> {
        self.adapters
            .iter()
            .enumerate()
            .map(|(i, a)| AdapterReport::new(i, a))
            .collect()
    }

    /// The best hardware adapter, if any (what `--backend auto` runs on).
    pub fn best_hardware(&self) -> Option<usize> {
        self.adapters
            .iter()
            .position(|a| is_hardware(a.get_info().device_type))
    }

    /// The adapter to use when the GPU backend is forced: the one whose name contains `wanted`
    /// (case-insensitive) if given, else the best one.
    pub fn pick(&self, wanted: Option<&str>) -> Result<usize, super::GpuError> {
        if self.adapters.is_empty() {
            return Err(super::GpuError::NoAdapter {
                tried: backends_to_string(self.tried),
            });
        }
        match wanted {
            None => Ok(0),
            Some(w) => {
                let w_low = w.to_lowercase();
                self.adapters
                    .iter()
                    .position(|a| a.get_info().name.to_lowercase().contains(&w_low))
                    .ok_or_else(|| super::GpuError::AdapterNotFound {
                        wanted: w.to_string(),
                        found: self
                            .adapters
                            .iter()
                            .map(|a| {
                                let i = a.get_info();
                                format!("{:?} ({})", i.name, i.backend.to_str())
                            })
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
            }
        }
    }
}

fn preference_rank(info: &wgpu::AdapterInfo) -> (u8, u8) {
    let kind = match info.device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    };
    let api = match info.backend {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 0,
        _ => 1,
    };
    (kind, api)
}

/// `"vulkan, gl"`: the names of the backends in a set.
pub fn backends_to_string(b: wgpu::Backends) -> String {
    let names: Vec<&str> = [
        (wgpu::Backends::VULKAN, "vulkan"),
        (wgpu::Backends::GL, "gl"),
        (wgpu::Backends::METAL, "metal"),
        (wgpu::Backends::DX12, "dx12"),
        (wgpu::Backends::BROWSER_WEBGPU, "webgpu"),
    ]
    .iter()
    .filter(|(flag, _)| b.contains(*flag))
    .map(|(_, n)| *n)
    .collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}
