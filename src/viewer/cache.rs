//! The preloaded state of a heart, kept between viewing sessions: filling the ventricle to its
//! end-diastolic pressure takes tens of seconds on a laptop's cores, every time the same, so the viewer
//! stores the state after the preload and a later session with the same scenario, mesh and version
//! starts beating at once.
//!
//! The key hashes the scenario as TOML, the mesh (nodes and tetrahedra) and the crate version; a
//! missing, unreadable or stale entry only costs a new preload. Files live in [`default_dir`]
//! (`$XDG_CACHE_HOME/cardiotwin/preload/`, or `~/.cache/...`); `cardiotwin view --no-cache` goes without.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use crate::heartbeat::Scenario;
use crate::heartbeat::heart::Heart;
use crate::heartbeat::simulation::LoopState;

/// `$XDG_CACHE_HOME/cardiotwin/preload`, or `$HOME/.cache/cardiotwin/preload`; `None` without either.
pub fn default_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("cardiotwin").join("preload"))
}

/// The entry in `dir` of `heart` built from `scenario`.
pub fn entry(dir: &Path, scenario: &Scenario, heart: &Heart) -> PathBuf {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    env!("CARGO_PKG_VERSION").hash(&mut h);
    scenario.to_toml().hash(&mut h);
    for p in heart.mesh.nodes() {
        for c in p {
            c.to_bits().hash(&mut h);
        }
    }
    heart.mesh.tets().hash(&mut h);
    dir.join(format!("{:016x}.json", h.finish()))
}

/// The stored state, if there is a readable one with as many nodes as the heart.
pub fn load(path: &Path, heart: &Heart) -> Option<LoopState> {
    let text = std::fs::read_to_string(path).ok()?;
    match serde_json::from_str::<LoopState>(&text) {
        Ok(s) if s.x.len() == heart.mesh.node_count() => Some(s),
        Ok(_) => None,
        Err(e) => {
            log::warn!(
                "preload cache {}: unreadable ({e}); preloading",
                path.display()
            );
            None
        }
    }
}

/// Stores `state` (written beside and renamed, so a reader never sees half a file). Failures are logged:
/// the cache is an optimisation.
pub fn store(path: &Path, state: &LoopState) {
    let result = (|| -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("json.partial");
        std::fs::write(
            &tmp,
            serde_json::to_vec(state).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(&tmp, path)
    })();
    match result {
        Ok(()) => log::info!("preload cached in {}", path.display()),
        Err(e) => log::warn!("preload cache {}: not written ({e})", path.display()),
    }
}
