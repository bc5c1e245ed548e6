//! Every WGSL file in `shaders/` is registered in `gpu::shaders::ALL` and, composed as wgpu compiles it,
//! parses and validates with naga. Needs no GPU. A deliberately broken copy must fail, so the check can
//! fail.

use std::collections::BTreeSet;

use cardiotwin::gpu::shaders::{self, Shader};

/// Render shaders (vertex and fragment stages) are the files named `render_*.wgsl`.
fn is_render_shader(s: &Shader) -> bool {
    s.file.starts_with("shaders/render_")
}

#[test]
fn every_shader_file_is_registered() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/shaders");
    let on_disk: BTreeSet<String> = std::fs::read_dir(dir)
        .expect("shaders/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".wgsl"))
        .collect();
    let registered: BTreeSet<String> = shaders::ALL
        .iter()
        .map(|s| s.file.trim_start_matches("shaders/").to_string())
        .collect();
    assert!(!on_disk.is_empty());
    assert_eq!(
        on_disk, registered,
        "shaders/ and gpu::shaders::ALL disagree: register new files, remove stale entries"
    );
}

#[test]
fn embedded_sources_match_the_files() {
    for s in shaders::ALL {
        let path = format!("{}/{}", env!("CARGO_MANIFEST_DIR"), s.file);
        let text = std::fs::read_to_string(&path).expect("shader file readable");
        assert_eq!(text, s.source, "{path} changed since the build embedded it");
    }
}

#[test]
fn every_shader_validates_with_naga() {
    for s in shaders::ALL {
        match s.validated() {
            Ok((_, module)) => {
                let render = is_render_shader(s);
                if s.uses_common || render {
                    assert!(
                        !module.entry_points.is_empty(),
                        "{} has no entry point",
                        s.file
                    );
                }
                if render {
                    // Render shaders come in vertex/fragment pairs and are never kernels.
                    for stage in [naga::ShaderStage::Vertex, naga::ShaderStage::Fragment] {
                        assert!(
                            module.entry_points.iter().any(|ep| ep.stage == stage),
                            "{} has no {stage:?} entry point",
                            s.file
                        );
                    }
                    assert!(!s.uses_common, "{}: render shaders stand alone", s.file);
                }
                for ep in &module.entry_points {
                    if render {
                        assert_ne!(
                            ep.stage,
                            naga::ShaderStage::Compute,
                            "{}::{}: no kernels in render_*.wgsl",
                            s.file,
                            ep.name
                        );
                        continue;
                    }
                    assert_eq!(
                        ep.stage,
                        naga::ShaderStage::Compute,
                        "{}::{}: vertex and fragment stages belong in render_*.wgsl",
                        s.file,
                        ep.name
                    );
                    assert_eq!(
                        ep.workgroup_size,
                        [cardiotwin::gpu::WORKGROUP_SIZE, 1, 1],
                        "{}::{} must use the WG workgroup size of common.wgsl",
                        s.file,
                        ep.name
                    );
                }
            }
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn a_broken_shader_fails_validation_with_its_file_name() {
    // Each shader with one statement's semicolon removed, and with a type error: both must be caught.
    // Every file but common.wgsl (which is only ever compiled as part of the others).
    let covered: Vec<&Shader> = shaders::ALL
        .iter()
        .filter(|s| s.file != shaders::COMMON.file)
        .collect();
    assert!(
        covered.iter().any(|s| is_render_shader(s)),
        "the render shaders are not covered"
    );
    for s in covered {
        // The first statement's semicolon (comments may contain semicolons too).
        let mut done = false;
        let syntax: String = s
            .source
            .lines()
            .map(|l| {
                if !done && !l.trim_start().starts_with("//") && l.trim_end().ends_with(';') {
                    done = true;
                    l.trim_end().trim_end_matches(';').to_string()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert!(done, "{} has no statement to break", s.file);
        let types = format!("{}\nfn broken() -> u32 {{ return 1.5; }}\n", s.source);
        for (what, text) in [("syntax", syntax), ("type", types)] {
            let leaked: &'static str = Box::leak(text.into_boxed_str());
            let broken = Shader {
                source: leaked,
                ..*s
            };
            let err = broken
                .validated()
                .expect_err(&format!("{what} error in {} not detected", s.file));
            let msg = err.to_string();
            assert!(msg.contains(s.file), "error does not name the file: {msg}");
        }
    }
}
