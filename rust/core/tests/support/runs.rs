//! Running the test models, shared by the integration tests and the vector writers:
//! inputs, what the prover is given, and honest proofs at batch 1 and 3.
#![allow(dead_code)]

use zkml_core::inference::circuit::Circuit;
use zkml_core::inference::testkit::{verifying_key, witness, TestModel};
use zkml_core::inference::{prove, InferenceInput};
use zkml_core::pcs::hyrax::Hyrax;
use zkml_core::testing::rand_small;

/// The batch sizes every model runs at.
pub const BATCHES: [usize; 2] = [1, 3];

/// A random input of `batch` rows at the circuit's input bits.
pub fn input_for(c: &Circuit, batch: usize, seed: u64) -> Vec<i64> {
    rand_small(batch * c.input.features, c.input.bits, seed)
}

/// What the prover is given for model `m` (`digest` its verifying key's).
pub fn inference_input<'a>(
    m: &'a TestModel,
    digest: [u8; 32],
    batch: usize,
    input: &'a [i64],
    columns: Vec<Vec<i64>>,
    output: &'a [i64],
) -> InferenceInput<'a> {
    InferenceInput {
        circuit_json: &m.circuit_json,
        model_stack: &m.model_stack,
        columns,
        batch,
        input,
        output,
        vk_digest: digest,
    }
}

/// An honest proof of `m` on `input` (the testkit's witness).
pub fn prove_model(h: &Hyrax, m: &TestModel, input: &[i64], batch: usize) -> Vec<u8> {
    let c = Circuit::parse(&m.circuit_json).unwrap();
    let (_, digest) = verifying_key(h, m);
    let (cols, out) = witness(&c, &m.model_stack, input, batch);
    prove(h, inference_input(m, digest, batch, input, cols, &out))
        .unwrap_or_else(|e| panic!("batch {batch}: {e}"))
}

/// Honest proofs of every model at batch 1 and 3 (input seed 11), each longer than
/// 1000 bytes; returns `(name, batch, proof size)` in order.
pub fn proofs_are_produced(models: &[(&str, TestModel)]) -> Vec<(String, usize, usize)> {
    let h = Hyrax::default();
    let mut sizes = Vec::new();
    for (name, m) in models {
        let c = Circuit::parse(&m.circuit_json).unwrap();
        for batch in BATCHES {
            let proof = prove_model(&h, m, &input_for(&c, batch, 11), batch);
            assert!(proof.len() > 1000, "{name} batch {batch}");
            sizes.push((name.to_string(), batch, proof.len()));
        }
    }
    sizes
}
