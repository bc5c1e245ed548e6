//! The WGSL shaders, embedded at compile time.
//!
//! WGSL has no `#include`: a kernel file is composed as `common.wgsl` followed by the file itself, so shared
//! structs, constants and functions live in one place. Every file in `shaders/` must be listed in [`ALL`]
//! (or be `common.wgsl`); `tests/shaders_naga.rs` checks that and validates every composed module.
//!
//! Compute kernels follow the conventions of `common.wgsl` (workgroup size `WG`); render shaders (vertex and
//! fragment stages) live in files named `render_*.wgsl` and stand alone.

use super::GpuError;

/// One kernel family: a file in `shaders/`.
#[derive(Debug, Clone, Copy)]
pub struct Shader {
    /// Short name used in labels and errors.
    pub name: &'static str,
    /// Path relative to the crate root.
    pub file: &'static str,
    /// The file's text.
    pub source: &'static str,
    /// Whether `common.wgsl` is prepended.
    pub uses_common: bool,
}

/// `shaders/common.wgsl`: structs, constants and functions shared by kernels.
pub const COMMON: Shader = Shader {
    name: "common",
    file: "shaders/common.wgsl",
    source: include_str!("../../shaders/common.wgsl"),
    uses_common: false,
};

/// `shaders/util.wgsl`: buffer fill and index kernels (one invocation per element).
pub const UTIL: Shader = Shader {
    name: "util",
    file: "shaders/util.wgsl",
    source: include_str!("../../shaders/util.wgsl"),
    uses_common: true,
};

/// `shaders/rest_geometry.wgsl`: per-tetrahedron rest geometry (one invocation per tetrahedron).
pub const REST_GEOMETRY: Shader = Shader {
    name: "rest_geometry",
    file: "shaders/rest_geometry.wgsl",
    source: include_str!("../../shaders/rest_geometry.wgsl"),
    uses_common: true,
};

/// `shaders/mech_element.wgsl`: the element pass of the explicit mechanics step (one invocation per tet).
pub const MECH_ELEMENT: Shader = Shader {
    name: "mech_element",
    file: "shaders/mech_element.wgsl",
    source: include_str!("../../shaders/mech_element.wgsl"),
    uses_common: true,
};

/// `shaders/mech_node.wgsl`: the node pass of the explicit mechanics step (one invocation per node).
pub const MECH_NODE: Shader = Shader {
    name: "mech_node",
    file: "shaders/mech_node.wgsl",
    source: include_str!("../../shaders/mech_node.wgsl"),
    uses_common: true,
};

/// `shaders/mech_volume.wgsl`: nodal volume ratios of averaged nodal pressure (per tet, then per node).
pub const MECH_VOLUME: Shader = Shader {
    name: "mech_volume",
    file: "shaders/mech_volume.wgsl",
    source: include_str!("../../shaders/mech_volume.wgsl"),
    uses_common: true,
};

/// `shaders/mech_surface.wgsl`: follower pressure forces (one invocation per boundary triangle).
pub const MECH_SURFACE: Shader = Shader {
    name: "mech_surface",
    file: "shaders/mech_surface.wgsl",
    source: include_str!("../../shaders/mech_surface.wgsl"),
    uses_common: true,
};

/// `shaders/mech_loads.wgsl`: loads written on the device before each step of a batch, from a ramp or a
/// table of the steps (per tetrahedron or pressure load).
pub const MECH_LOADS: Shader = Shader {
    name: "mech_loads",
    file: "shaders/mech_loads.wgsl",
    source: include_str!("../../shaders/mech_loads.wgsl"),
    uses_common: true,
};

/// `shaders/mech_relax.wgsl`: dynamic relaxation's kinetic damping between explicit steps (per node, one
/// workgroup).
pub const MECH_RELAX: Shader = Shader {
    name: "mech_relax",
    file: "shaders/mech_relax.wgsl",
    source: include_str!("../../shaders/mech_relax.wgsl"),
    uses_common: true,
};

/// `shaders/cavity.wgsl`: cavity volume by the divergence theorem and a tree reduction (one invocation
/// per opening, per triangle, per partial sum).
pub const CAVITY: Shader = Shader {
    name: "cavity",
    file: "shaders/cavity.wgsl",
    source: include_str!("../../shaders/cavity.wgsl"),
    uses_common: true,
};

/// `shaders/ep_monodomain.wgsl`: the monodomain step with Mitchell-Schaeffer cells (reaction, diffusion,
/// clock).
pub const EP_MONODOMAIN: Shader = Shader {
    name: "ep_monodomain",
    file: "shaders/ep_monodomain.wgsl",
    source: include_str!("../../shaders/ep_monodomain.wgsl"),
    uses_common: true,
};

/// `shaders/ep_tp06.wgsl`: the monodomain's reaction step with ten Tusscher-Panfilov 2006 cells (one
/// invocation per node; diffusion and clock are [`EP_MONODOMAIN`]'s).
pub const EP_TP06: Shader = Shader {
    name: "ep_tp06",
    file: "shaders/ep_tp06.wgsl",
    source: include_str!("../../shaders/ep_tp06.wgsl"),
    uses_common: true,
};

/// `shaders/render_surface.wgsl`: the renderer of [`crate::render`] (vertex and fragment stages: the lit,
/// colour-mapped boundary surface and the colour bar panel). Stands alone: `common.wgsl` is not prepended.
pub const RENDER_SURFACE: Shader = Shader {
    name: "render_surface",
    file: "shaders/render_surface.wgsl",
    source: include_str!("../../shaders/render_surface.wgsl"),
    uses_common: false,
};

/// `shaders/active_tension.wgsl`: the heartbeat's active tension per tetrahedron from its activation time
/// and the twitch table (one invocation per tetrahedron).
pub const ACTIVE_TENSION: Shader = Shader {
    name: "active_tension",
    file: "shaders/active_tension.wgsl",
    source: include_str!("../../shaders/active_tension.wgsl"),
    uses_common: true,
};

/// `shaders/surface_gather.wgsl`: the renderer's vertices (position, normal, value) gathered from the
/// mechanics' node buffers on the GPU (one invocation per surface vertex).
pub const SURFACE_GATHER: Shader = Shader {
    name: "surface_gather",
    file: "shaders/surface_gather.wgsl",
    source: include_str!("../../shaders/surface_gather.wgsl"),
    uses_common: true,
};

/// Every shader file, `common.wgsl` first.
pub const ALL: &[Shader] = &[
    COMMON,
    UTIL,
    REST_GEOMETRY,
    MECH_ELEMENT,
    MECH_VOLUME,
    MECH_SURFACE,
    MECH_NODE,
    MECH_LOADS,
    MECH_RELAX,
    CAVITY,
    EP_MONODOMAIN,
    EP_TP06,
    RENDER_SURFACE,
    ACTIVE_TENSION,
    SURFACE_GATHER,
];

impl Shader {
    /// The module source as wgpu compiles it.
    pub fn composed(&self) -> String {
        if self.uses_common {
            format!(
                "// ---- {} ----\n{}\n// ---- {} ----\n{}",
                COMMON.file, COMMON.source, self.file, self.source
            )
        } else {
            self.source.to_string()
        }
    }

    /// Parses and validates the composed module with naga (no GPU needed). Errors carry the file name and
    /// naga's report with line and column in the composed source.
    pub fn validated(&self) -> Result<(String, naga::Module), GpuError> {
        let source = self.composed();
        let module = naga::front::wgsl::parse_str(&source).map_err(|e| GpuError::Shader {
            name: self.name.to_string(),
            file: self.file.to_string(),
            stage: "parse",
            message: e.emit_to_string_with_path(&source, self.file),
        })?;
        naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::default(),
        )
        .validate(&module)
        .map_err(|e| GpuError::Shader {
            name: self.name.to_string(),
            file: self.file.to_string(),
            stage: "validate",
            message: e.emit_to_string_with_path(&source, self.file),
        })?;
        Ok((source, module))
    }
}
