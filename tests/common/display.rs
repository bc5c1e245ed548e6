//! A display for window tests: the caller's `DISPLAY`, or a private Xvfb started for the test.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

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
    // -displayfd: Xvfb picks a free display number and writes it to stdout once it accepts clients
    // (a socket file can appear before that, and parallel tests must not share a number).
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1400x900x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("no DISPLAY and Xvfb could not start ({e}); apt-get install xvfb"))?;
    let stdout = child.stdout.take();
    let guard = Xvfb(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        if let Some(out) = stdout {
            let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut line);
        }
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .map_err(|_| "Xvfb did not report a display within 20 s".to_string())?;
    let n: u32 = line
        .trim()
        .parse()
        .map_err(|_| format!("Xvfb reported {line:?} instead of a display number"))?;
    Ok((format!(":{n}"), Some(guard)))
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
