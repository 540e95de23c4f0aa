//! CNN prover timing on the testkit LeNet (28x28, conv 1->6 5x5, 2x2 maxpool,
//! conv 6->16 5x5, 2x2 maxpool, dense 256 -> 120 -> 84 -> 10), witness given.
//! Run: `cargo run --release -p zkml-core --example bench_lenet -- 1` (batch);
//! `-- 1 zk` also times the hiding proof (kind 5, zk_inference.md; the kind-4 key's
//! model rows unblinded); `ZKML_PROFILE=1` prints stage timings.

use std::time::Instant;

use zkml_core::inference::circuit::Circuit;
use zkml_core::inference::testkit::{best_prove_time, verifying_key, witness};
use zkml_core::inference::testkit_cnn::lenet;
use zkml_core::inference::InferenceInput;
use zkml_core::pcs::hyrax::Hyrax;
use zkml_core::testing::rand_small;
use zkml_core::zk_inference;

fn main() {
    let batch: usize = std::env::args().nth(1).map_or(1, |s| s.parse().unwrap());
    let h = Hyrax::default();
    let m = lenet(1);
    let c = Circuit::parse(&m.circuit_json).unwrap();
    let t = Instant::now();
    let (vk, digest) = verifying_key(&h, &m);
    let vk_s = t.elapsed().as_secs_f64();
    let input = rand_small(batch * c.input.features, 8, 3);
    let t = Instant::now();
    let (cols, out) = witness(&c, &m.model_stack, &input, batch);
    let witness_s = t.elapsed().as_secs_f64();
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
    let hiding = if std::env::args().nth(2).as_deref() == Some("zk") {
        let blinds =
            vec![Default::default(); 1 << (c.model_stack.num_vars - c.model_stack.log_cols)];
        let mut best = f64::INFINITY;
        let mut size = 0;
        for _ in 0..3 {
            let inp = InferenceInput {
                columns: inp.columns.clone(),
                ..inp
            };
            let t = Instant::now();
            size = zk_inference::prove(&h, inp, &blinds, zk_inference::VISIBILITY, &[], &[])
                .expect("prove")
                .len();
            best = best.min(t.elapsed().as_secs_f64());
        }
        format!(", \"zk_prove_s\": {best:.4}, \"zk_proof_bytes\": {size}")
    } else {
        String::new()
    };
    println!(
        "{{\"model\": \"lenet\", \"batch\": {batch}, \"vk_build_s\": {vk_s:.4}, \"vk_bytes\": {}, \
         \"witness_s\": {witness_s:.4}, \"prove_s\": {best:.4}, \"proof_bytes\": {size}{hiding}}}",
        vk.len()
    );
}
