//! Prover timing on a circuit and witness dumped by the Python compiler (e.g. the
//! benchmark CNN `cnn1m` at `limb_bits` 8 and 16): a directory with `circuit.json`,
//! `stack.bin` and `columns.bin` (little-endian i64) and `meta.json` (`lens`,
//! `batch`, `input`, `output`). Run:
//! `cargo run --release -p zkml-core --example bench_dump -- DIR [runs]`;
//! `ZKML_PROFILE=1` prints stage timings. The vk digest is zero (timing only).

use zkml_core::inference::testkit::best_prove_time;
use zkml_core::inference::InferenceInput;
use zkml_core::pcs::hyrax::Hyrax;

fn ints(path: &str) -> Vec<i64> {
    std::fs::read(path)
        .expect("read")
        .chunks(8)
        .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")))
        .collect()
}

fn main() {
    let dir = std::env::args().nth(1).expect("directory");
    let runs: usize = std::env::args().nth(2).map_or(3, |s| s.parse().unwrap());
    let circuit = std::fs::read(format!("{dir}/circuit.json")).expect("circuit");
    let stack = ints(&format!("{dir}/stack.bin"));
    let flat = ints(&format!("{dir}/columns.bin"));
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(format!("{dir}/meta.json")).expect("meta"))
            .expect("json");
    let vec_of = |k: &str| -> Vec<i64> {
        meta[k]
            .as_array()
            .expect("array")
            .iter()
            .map(|v| v.as_i64().expect("int"))
            .collect()
    };
    let lens = vec_of("lens");
    let mut columns = Vec::new();
    let mut at = 0usize;
    for n in lens {
        columns.push(flat[at..at + n as usize].to_vec());
        at += n as usize;
    }
    let (input, output) = (vec_of("input"), vec_of("output"));
    let batch = meta["batch"].as_u64().expect("batch") as usize;
    let h = Hyrax::default();
    let inp = InferenceInput {
        circuit_json: &circuit,
        model_stack: &stack,
        columns: columns.clone(),
        batch,
        input: &input,
        output: &output,
        vk_digest: [0u8; 32],
    };
    let (best, size) = best_prove_time(&h, &inp, runs);
    let entries: usize = columns.iter().map(|c| c.len()).sum();
    println!(
        "{dir}: {} columns, {entries} witness entries; prove best of {runs}: {best:.3} s; proof {size} bytes",
        columns.len()
    );
}
