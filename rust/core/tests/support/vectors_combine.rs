//! Models of `inference.json` for circuits/nonlinear.md sections 10 and 11 (adding
//! a constant, channel concatenation): honest proofs for batch 1 and 3, and
//! cheating-prover cases on batch 1 that the Python verifier must reject.

use serde_json::{json, Value};
use zkml_core::inference::circuit::Circuit;
use zkml_core::inference::parts::set_part_skew;
use zkml_core::inference::testkit::{verifying_key, witness, witness_tampered, TestModel};
use zkml_core::inference::testkit_combine::{concat_cnn, concat_flat, gelu};
use zkml_core::inference::{prove, InferenceInput};
use zkml_core::pcs::hyrax::Hyrax;
use zkml_core::testing::rand_small;

use crate::inference_vectors::Cases;

pub fn combine_models(h: &Hyrax) -> Vec<Value> {
    let mut models = Vec::new();
    for (name, m, seed) in [
        ("concat_cnn", concat_cnn(61), 61u64),
        ("concat_flat", concat_flat(62), 62),
        ("gelu", gelu(63), 63),
    ] {
        let c = Circuit::parse(&m.circuit_json).unwrap();
        let (vk, _) = verifying_key(h, &m);
        for batch in [1usize, 3] {
            let input = rand_small(batch * c.input.features, c.input.bits, seed + batch as u64);
            let cases = combine_cases(h, &m, &c, &input, batch, name);
            let (_, out) = witness(&c, &m.model_stack, &input, batch);
            let case_json: Vec<Value> = cases
                .iter()
                .map(|(name, valid, why, proof)| json!({"name": name, "valid": valid, "why": why, "proof": hex::encode(proof)}))
                .collect();
            models.push(json!({
                "name": name, "dims": [c.input.features, c.output.features],
                "residual": false, "argmax": c.output.argmax, "leaky": false, "batch": batch,
                "circuit": String::from_utf8(m.circuit_json.clone()).unwrap(),
                "vk": hex::encode(&vk), "input": input, "output": out, "cases": case_json,
                "vk_cases": [],
            }));
        }
    }
    models
}

fn combine_cases(
    h: &Hyrax,
    m: &TestModel,
    c: &Circuit,
    input: &[i64],
    batch: usize,
    name: &str,
) -> Cases {
    let (_, digest) = verifying_key(h, m);
    let run = |cols: Vec<Vec<i64>>, out: &[i64]| {
        let inp = InferenceInput {
            circuit_json: &m.circuit_json,
            model_stack: &m.model_stack,
            columns: cols,
            batch,
            input,
            output: out,
            vk_digest: digest,
        };
        prove(h, inp).unwrap()
    };
    let (cols, out) = witness(c, &m.model_stack, input, batch);
    let mut cases: Cases = vec![("honest", true, "", run(cols.clone(), &out))];
    if batch != 1 {
        return cases;
    }
    let bump = |g: usize| {
        let hi = c.gadgets[g].hi as i128;
        let (cols, out) = witness_tampered(c, &m.model_stack, input, batch, g, &move |z| {
            let i = z.iter().position(|v| *v < hi).unwrap();
            z[i] += 1;
        });
        run(cols, &out)
    };
    match name {
        "concat_cnn" => {
            // Gadget 2: the concat of the two conv branches ([3, 5, 5] and [5, 5, 5]).
            cases.push((
                "concat output changed",
                false,
                "concat: sum_k E_k != acc(r_g)",
                bump(2),
            ));
            set_part_skew(7);
            let skewed = run(cols.clone(), &out);
            set_part_skew(0);
            cases.push((
                "wrong E_k split",
                false,
                "concat part instance: E_1 + 7, E_2 - 7 (sum kept) fail the parts' sumchecks",
                skewed,
            ));
        }
        "concat_flat" => {
            // Gadget 0 adds a per-feature constant to 2 x; gadget 2 concatenates.
            cases.push((
                "addconst of the input changed",
                false,
                "addconst: acc != 2^l X(r_g) + C(r_f)",
                bump(0),
            ));
            cases.push((
                "flat concat output changed",
                false,
                "concat: sum_k E_k != acc(r_g)",
                bump(2),
            ));
        }
        "gelu" => {
            // Gadget 2: a = erf + 127 after the table.
            cases.push((
                "addconst output changed",
                false,
                "addconst: acc != 2^l X(r_g) + C(r_f)",
                bump(2),
            ));
        }
        _ => {}
    }
    cases
}
