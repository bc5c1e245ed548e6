//! A display for window tests: the caller's `DISPLAY`, or a private Xvfb started for the test.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A private Xvfb, killed when dropped.
pub struct Xvfb(Child);

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The display to open windows on: `DISPLAY` when set (no guard), else a new Xvfb (`:N`, with its
/// guard). An error says why none could be had.
pub fn display() -> Result<(String, Option<Xvfb>), String> {
    if let Ok(d) = std::env::var("DISPLAY")
        && !d.is_empty()
    {
        return Ok((d, None));
    }
    // A number of our own, so parallel test binaries do not share a server.
    let n = 90 + (std::process::id() + rand_offset()) % 400;
    let child = Command::new("Xvfb")
        .args([
            &format!(":{n}"),
            "-screen",
            "0",
            "1400x900x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("no DISPLAY and Xvfb could not start ({e}); apt-get install xvfb"))?;
    let guard = Xvfb(child);
    let socket = format!("/tmp/.X11-unix/X{n}");
    let start = Instant::now();
    while !std::path::Path::new(&socket).exists() {
        if start.elapsed() > Duration::from_secs(10) {
            return Err(format!("Xvfb :{n} did not come up within 10 s"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((format!(":{n}"), Some(guard)))
}

fn rand_offset() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() % 97)
}

/// Without a display: a loud skip (`None`), or a panic when `CARDIOTWIN_REQUIRE_DISPLAY=1` (as in
/// `.ci/run`).
pub fn display_or_skip(test: &str) -> Option<(String, Option<Xvfb>)> {
    match display() {
        Ok(d) => Some(d),
        Err(e) => {
            if std::env::var("CARDIOTWIN_REQUIRE_DISPLAY").as_deref() == Ok("1") {
                panic!("[{test}] CARDIOTWIN_REQUIRE_DISPLAY=1 but no display: {e}");
            }
            eprintln!(
                "!!! SKIPPED WINDOW TEST {test}: {e} (CARDIOTWIN_REQUIRE_DISPLAY=1 makes this a failure)"
            );
            None
        }
    }
}
