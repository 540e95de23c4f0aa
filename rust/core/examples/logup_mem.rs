//! Peak memory and time of the LogUp-GKR prover on a large synthetic range lookup
//! (benchmarks/RESULTS.md, "LogUp memory"). One run per process, since the peak
//! (`VmHWM` in /proc/self/status) is the process's high-water mark.
//!
//! Run: `cargo run --release -p zkml-core --example logup_mem -- <log_leaves> [clear|zk]`
//! (default `22 clear`). Prints one JSON object.

use std::time::Instant;

use ark_ff::{One, Zero};
use serde_json::json;
use zkml_core::field::Fr;
use zkml_core::logup;
use zkml_core::pcs::generators::{seed_digest, DEFAULT_SEED};
use zkml_core::transcript::Transcript;
use zkml_core::zk::{self, Blinds, Gens};

/// A `/proc/self/status` field in kB (`VmHWM`: peak resident set, `VmRSS`: current).
fn status_kb(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    s.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Range lookups into `[0, 256)` filling 3/4 of `2^n` leaves (the rest padding
/// `0 / 1`, as the inference prover pads), then the table with its multiplicities.
fn trees(n: usize, alpha: Fr) -> Vec<(Vec<Fr>, Vec<Fr>)> {
    let len = 1usize << n;
    let used = len - len / 4;
    // A fixed scramble of the index: deterministic, every table entry hit.
    let value = |i: usize| ((i as u64).wrapping_mul(2_654_435_761) >> 7) % 256;
    let table: Vec<Fr> = (0..256u64).map(|j| alpha - Fr::from(j)).collect();
    let mut mult = [0u64; 256];
    let (mut p, mut q) = (vec![Fr::zero(); len], vec![Fr::one(); len]);
    for i in 0..used {
        let v = value(i);
        mult[v as usize] += 1;
        p[i] = Fr::one();
        q[i] = table[v as usize];
    }
    let pt = mult.iter().map(|m| -Fr::from(*m)).collect();
    vec![(p, q), (pt, table)]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().map_or(22, |a| a.parse().expect("log_leaves"));
    let mode = args.get(1).map_or("clear", String::as_str);
    let mut t = Transcript::new(b"logup-mem");
    let alpha = t.squeeze("logup-alpha");
    let input = trees(n, alpha);
    let leaves_kb = status_kb("VmHWM");
    let start = Instant::now();
    let depth = match mode {
        "clear" => {
            let (proof, _) = logup::prove(&mut t, input);
            proof.trees[0].depth
        }
        "zk" => {
            let gens = Gens::new(&seed_digest(DEFAULT_SEED), 1);
            let mut blinds = Blinds::from_seed([7; 32], [0; 32]);
            let run =
                zk::logup::prove(&gens, &mut t, input, &[2], &mut blinds).expect("hiding LogUp");
            run.proof.trees[0].depth
        }
        other => panic!("mode {other}: expected clear or zk"),
    };
    let seconds = start.elapsed().as_secs_f64();
    assert_eq!(depth, n);
    let peak_kb = status_kb("VmHWM");
    let out = json!({
        "log_leaves": n,
        "mode": mode,
        "leaf_bytes_mib": (2u64 << n) * 32 / (1 << 20),
        "rss_after_leaves_mib": leaves_kb / 1024,
        "peak_rss_mib": peak_kb / 1024,
        "prove_seconds": (seconds * 1000.0).round() / 1000.0,
        "transcript": hex(&t.squeeze("logup-mem-end")),
    });
    println!("{out}");
}

/// The transcript state after the proof, so that runs before and after a change can
/// be compared byte for byte.
fn hex(x: &Fr) -> String {
    use ark_ff::{BigInteger, PrimeField};
    x.into_bigint()
        .to_bytes_be()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
