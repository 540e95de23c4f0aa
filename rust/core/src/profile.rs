//! Stage timings on stderr when `ZKML_PROFILE` is set: profile before optimizing.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("ZKML_PROFILE").is_some())
}

/// `, rss X MB, peak Y MB` from /proc/self/status (Linux), empty elsewhere: where a
/// stage's memory goes (benchmarks/RESULTS.md, "Memory").
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
    };
    match (field("VmRSS:"), field("VmHWM:")) {
        (Some(rss), Some(hwm)) => format!(", rss {} MB, peak {} MB", rss / 1024, hwm / 1024),
        _ => String::new(),
    }
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
                "[{}] {stage}: {:.1} ms{}",
                self.what,
                (now - self.last).as_secs_f64() * 1e3,
                memory()
            );
            self.last = now;
        }
    }
}
