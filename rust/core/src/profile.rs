//! Stage timings on stderr when `ZKML_PROFILE` is set: profile before optimizing.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("ZKML_PROFILE").is_some())
}

/// Prints the time since the previous mark of the same timer.
pub struct Timer {
    what: &'static str,
    last: Instant,
}

impl Timer {
    pub fn new(what: &'static str) -> Self {
        Self {
            what,
            last: Instant::now(),
        }
    }

    pub fn mark(&mut self, stage: &str) {
        if enabled() {
            let now = Instant::now();
            eprintln!(
                "[{}] {stage}: {:.1} ms",
                self.what,
                (now - self.last).as_secs_f64() * 1e3
            );
            self.last = now;
        }
    }
}
