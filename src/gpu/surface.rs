//! A window's swapchain: configuration, resizing and frame acquisition that never panics on the
//! transient states of a real window (occluded, outdated, timed out).

use super::{GpuContext, GpuError};

pub struct WindowSurface {
    pub surface: wgpu::Surface<'static>,
    pub config: wgpu::SurfaceConfiguration,
    /// The last frame was suboptimal: reconfigure before the next (not while a frame is alive).
    stale: bool,
}

impl WindowSurface {
    /// Configures `surface` for `ctx`'s device at `width x height` pixels (clamped to at least 1). Frames
    /// are also `COPY_SRC` where the surface allows it, so screenshots can read them back.
    pub fn new(
        ctx: &GpuContext,
        surface: wgpu::Surface<'static>,
        width: u32,
        height: u32,
    ) -> Result<Self, GpuError> {
        let caps = surface.get_capabilities(&ctx.adapter);
        let mut config = surface
            .get_default_config(&ctx.adapter, width.max(1), height.max(1))
            .ok_or_else(|| {
                GpuError::Surface(format!(
                    "adapter {:?} cannot present to this window",
                    ctx.report.name
                ))
            })?;
        if caps.usages.contains(wgpu::TextureUsages::COPY_SRC) {
            config.usage |= wgpu::TextureUsages::COPY_SRC;
        }
        surface.configure(&ctx.device, &config);
        ctx.check_errors("configuring the window surface")?;
        Ok(WindowSurface {
            surface,
            config,
            stale: false,
        })
    }

    /// Switches to the non-sRGB twin of the format (`Bgra8UnormSrgb` -> `Bgra8Unorm`) where the surface
    /// offers it, for painters that write gamma-encoded colours themselves (egui); returns the format
    /// in use.
    pub fn prefer_non_srgb(&mut self, ctx: &GpuContext) -> wgpu::TextureFormat {
        let linear = self.config.format.remove_srgb_suffix();
        if linear != self.config.format
            && self
                .surface
                .get_capabilities(&ctx.adapter)
                .formats
                .contains(&linear)
        {
            self.config.format = linear;
            self.surface.configure(&ctx.device, &self.config);
        }
        self.config.format
    }

    /// Frames can be copied out (screenshots).
    pub fn can_copy(&self) -> bool {
        self.config.usage.contains(wgpu::TextureUsages::COPY_SRC)
    }

    /// Reconfigures for a new window size; a zero size (minimised) is ignored.
    pub fn resize(&mut self, ctx: &GpuContext, width: u32, height: u32) {
        if width == 0 || height == 0 {
            return;
        }
        self.config.width = width;
        self.config.height = height;
        self.surface.configure(&ctx.device, &self.config);
    }

    /// The next frame to draw into, or `None` when this frame should be skipped (window occluded, acquire
    /// timed out, swapchain outdated and reconfigured). A lost surface or a validation error is an error.
    pub fn acquire(&mut self, ctx: &GpuContext) -> Result<Option<wgpu::SurfaceTexture>, GpuError> {
        if std::mem::take(&mut self.stale) {
            self.surface.configure(&ctx.device, &self.config);
        }
        match self.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(t) => Ok(Some(t)),
            wgpu::CurrentSurfaceTexture::Suboptimal(t) => {
                // Present this one; the next acquire reconfigures.
                self.stale = true;
                Ok(Some(t))
            }
            wgpu::CurrentSurfaceTexture::Timeout | wgpu::CurrentSurfaceTexture::Occluded => {
                Ok(None)
            }
            wgpu::CurrentSurfaceTexture::Outdated => {
                self.surface.configure(&ctx.device, &self.config);
                Ok(None)
            }
            wgpu::CurrentSurfaceTexture::Lost => Err(GpuError::Surface(
                "the window surface was lost; recreate the window".into(),
            )),
            wgpu::CurrentSurfaceTexture::Validation => {
                ctx.check_errors("acquiring a frame")?;
                Err(GpuError::Surface(
                    "validation error while acquiring a frame".into(),
                ))
            }
        }
    }
}
