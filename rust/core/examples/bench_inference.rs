//! Inference prover timing on a testkit MLP (in process, witness given).
//! Run: `cargo run --release -p zkml-core --example bench_inference -- 784,256,256,10 1`.

use std::time::Instant;

use zkml_core::inference::circuit::Circuit;
use zkml_core::inference::testkit::{best_prove_time, mlp, verifying_key, witness};
use zkml_core::inference::InferenceInput;
use zkml_core::pcs::hyrax::Hyrax;
use zkml_core::testing::rand_small;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dims: Vec<usize> = args
        .get(1)
        .map_or("784,256,256,10", |s| s)
        .split(',')
        .map(|x| x.parse().unwrap())
        .collect();
    let batch: usize = args.get(2).map_or(1, |s| s.parse().unwrap());
    let h = Hyrax::default();
    let m = mlp(&dims, false, 1);
    let c = Circuit::parse(&m.circuit_json).unwrap();
    let t = Instant::now();
    let (vk, digest) = verifying_key(&h, &m);
    let commit_s = t.elapsed().as_secs_f64();
    let input = rand_small(batch * dims[0], 8, 3);
    let (cols, out) = witness(&c, &m.model_stack, &input, batch);
    let inp = InferenceInput {
        circuit_json: &m.circuit_json,
        model_stack: &m.model_stack,
        columns: cols,
        batch,
        input: &input,
        output: &out,
        vk_digest: digest,
    };
    let (best, size) = best_prove_time(&h, &inp, 5);
    println!("{{\"dims\": {dims:?}, \"batch\": {batch}, \"model_vars\": {}, \"vk_build_s\": {commit_s:.4}, \"vk_bytes\": {}, \"prove_s\": {best:.4}, \"proof_bytes\": {size}}}", c.model_stack.num_vars, vk.len());
}
