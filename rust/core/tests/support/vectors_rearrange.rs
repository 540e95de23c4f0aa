//! Models of `inference.json` for circuits/rearrange.md section 6: honest proofs
//! for batch 1 and 3, and cheating-prover cases on batch 1 that the Python
//! verifier must reject.

use serde_json::{json, Value};
use zkml_core::inference::circuit::Circuit;
use zkml_core::inference::parts::set_part_skew;
use zkml_core::inference::testkit::{verifying_key, witness, witness_tampered, TestModel};
use zkml_core::inference::testkit_rearrange::{
    rearrange_broadcast, rearrange_choice, rearrange_concat3, rearrange_concat_h,
    rearrange_reshape, rearrange_transpose,
};
use zkml_core::inference::{prove, InferenceInput};
use zkml_core::pcs::hyrax::Hyrax;
use zkml_core::testing::rand_small;

use crate::inference_vectors::Cases;
use crate::rearrange_cheats::{rearrange_gadget, set_padding, swap_neighbours};

pub fn rearrange_models(h: &Hyrax) -> Vec<Value> {
    let mut models = Vec::new();
    for (name, m, seed) in [
        ("rearrange_transpose", rearrange_transpose(71), 71u64),
        ("rearrange_reshape", rearrange_reshape(72), 72),
        ("rearrange_concat_h", rearrange_concat_h(73), 73),
        ("rearrange_concat3", rearrange_concat3(74), 74),
        ("rearrange_broadcast", rearrange_broadcast(75), 75),
        ("rearrange_choice", rearrange_choice(76), 76),
    ] {
        let c = Circuit::parse(&m.circuit_json).unwrap();
        let (vk, _) = verifying_key(h, &m);
        for batch in [1usize, 3] {
            let input = rand_small(batch * c.input.features, c.input.bits, seed + batch as u64);
            let cases = rearrange_cases(h, &m, &c, &input, batch);
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

fn rearrange_cases(h: &Hyrax, m: &TestModel, c: &Circuit, input: &[i64], batch: usize) -> Cases {
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
    let g = rearrange_gadget(c);
    let tampered = |f: &dyn Fn(&mut [i128])| {
        let (cols, out) = witness_tampered(c, &m.model_stack, input, batch, g, f);
        run(cols, &out)
    };
    cases.push((
        "output entry swapped with its neighbour",
        false,
        "rearrange: sum_k E_k != acc(r_g)",
        tampered(&swap_neighbours(c, m, input, batch)),
    ));
    cases.push((
        "padded output position set to 1",
        false,
        "rearrange: sum_k E_k != acc(r_g)",
        tampered(&set_padding(c, g)),
    ));
    if rearrange_parts_count(c, g) >= 2 {
        set_part_skew(7);
        let skewed = run(cols, &out);
        set_part_skew(0);
        cases.push((
            "wrong E_k split",
            false,
            "rearrange part instance: E_1 + 7, E_2 - 7 (sum kept) fail the parts' sumchecks",
            skewed,
        ));
    }
    cases
}

fn rearrange_parts_count(c: &Circuit, g: usize) -> usize {
    zkml_core::inference::rearrange::rearrange_params(c, g)
        .unwrap()
        .1
        .part_pad
        .len()
}
