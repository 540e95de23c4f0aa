//! General pooling window models of `inference.json` (circuits/conv.md section 5):
//! honest proofs for batch 1 and 3, cheating-prover cases on batch 1
//! (support/window_cheats.rs) that the Python verifier must reject.

use serde_json::{json, Value};
use zkml_core::inference::circuit::Circuit;
use zkml_core::inference::testkit::{verifying_key, witness};
use zkml_core::inference::testkit_window::{win_1d, win_avg, win_stem};
use zkml_core::inference::{prove, InferenceInput};
use zkml_core::pcs::hyrax::Hyrax;
use zkml_core::testing::rand_small;

pub fn window_models(h: &Hyrax) -> Vec<Value> {
    let mut models = Vec::new();
    for (name, m, seed) in [
        ("win_stem", win_stem(31), 31u64),
        ("win_avg", win_avg(32), 32),
        ("win_1d", win_1d(33), 33),
    ] {
        let c = Circuit::parse(&m.circuit_json).unwrap();
        let (vk, digest) = verifying_key(h, &m);
        for batch in [1usize, 3] {
            let input = rand_small(batch * c.input.features, 8, seed + batch as u64);
            let (cols, out) = witness(&c, &m.model_stack, &input, batch);
            let run = |cols: Vec<Vec<i64>>| {
                let inp = InferenceInput {
                    circuit_json: &m.circuit_json,
                    model_stack: &m.model_stack,
                    columns: cols,
                    batch,
                    input: &input,
                    output: &out,
                    vk_digest: digest,
                };
                hex::encode(prove(h, inp).unwrap())
            };
            let mut cases =
                vec![json!({"name": "honest", "valid": true, "why": "", "proof": run(cols)})];
            if batch == 1 {
                for (case, why, cols) in crate::window_cheats::cheats_with_reasons(&m, &c, &input) {
                    cases.push(
                        json!({"name": case, "valid": false, "why": why, "proof": run(cols)}),
                    );
                }
            }
            models.push(json!({
                "name": name, "dims": [c.input.features, c.output.features],
                "residual": false, "argmax": c.output.argmax, "leaky": false, "batch": batch,
                "circuit": String::from_utf8(m.circuit_json.clone()).unwrap(),
                "vk": hex::encode(&vk), "input": input, "output": out, "cases": cases,
                "vk_cases": [],
            }));
        }
    }
    models
}
