//! CNN models of `inference.json` (circuits/conv.md): honest proofs for batch 1
//! and 3, and cheating-prover cases on batch 1 that the Python verifier must reject.

use serde_json::{json, Value};
use zkml_core::inference::circuit::{Circuit, ColumnKind, Producer};
use zkml_core::inference::testkit::{verifying_key, witness, witness_tampered, TestModel};
use zkml_core::inference::testkit_cnn::{cnn_1d, cnn_2d, cnn_pools};
use zkml_core::inference::{prove, prove_with_multiplicities, InferenceInput};
use zkml_core::pcs::hyrax::Hyrax;
use zkml_core::testing::rand_small;

use crate::inference_vectors::{column_index, Cases};

/// Convolutional models (circuits/conv.md), batch 1 and 3, with cheating-prover
/// cases on batch 1.
pub fn cnn_models(h: &Hyrax) -> Vec<Value> {
    let mut models = Vec::new();
    for (name, m, seed) in [
        ("cnn_2d", cnn_2d(21), 21u64),
        ("cnn_pools", cnn_pools(22), 22),
        ("cnn_1d", cnn_1d(23), 23),
    ] {
        let c = Circuit::parse(&m.circuit_json).unwrap();
        let (vk, _) = verifying_key(h, &m);
        for batch in [1usize, 3] {
            let input = rand_small(batch * c.input.features, 8, seed + batch as u64);
            let cases = cnn_cases(h, &m, &c, &input, batch, name);
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

fn first_gadget(c: &Circuit, op: &str) -> Option<usize> {
    c.gadgets.iter().position(|g| {
        matches!(
            (&g.producer, op),
            (Producer::Conv { .. }, "conv")
                | (Producer::Sumpool { .. }, "sumpool")
                | (Producer::Maxpool { .. }, "maxpool")
        )
    })
}

fn cnn_cases(
    h: &Hyrax,
    m: &TestModel,
    c: &Circuit,
    input: &[i64],
    batch: usize,
    name: &str,
) -> Cases {
    let (_, digest) = verifying_key(h, m);
    let run = |cols: Vec<Vec<i64>>, input: &[i64], out: &[i64], mult: Option<Vec<i64>>| {
        let inp = InferenceInput {
            circuit_json: &m.circuit_json,
            model_stack: &m.model_stack,
            columns: cols,
            batch,
            input,
            output: out,
            vk_digest: digest,
        };
        match mult {
            Some(mm) => prove_with_multiplicities(h, inp, mm).unwrap(),
            None => prove(h, inp).unwrap(),
        }
    };
    let (cols, out) = witness(c, &m.model_stack, input, batch);
    let mut cases: Cases = vec![("honest", true, "", run(cols.clone(), input, &out, None))];
    if batch != 1 {
        return cases;
    }
    // A cheating prover that changes gadget `g`'s output at the first entry
    // accepted by `pick`, then computes everything after it honestly.
    let tampered = |g: usize, f: &dyn Fn(&mut [i128])| {
        let (cols, out) = witness_tampered(c, &m.model_stack, input, batch, g, f);
        run(cols, input, &out, None)
    };
    let hi = |g: usize| c.gadgets[g].hi as i128;
    if let Some(g) = first_gadget(c, "conv") {
        let top = hi(g);
        cases.push((
            "conv output changed in one element",
            false,
            "conv instance: R1 at the accumulator point",
            tampered(g, &move |z| {
                let i = z.iter().position(|v| *v < top).unwrap();
                z[i] += 1;
            }),
        ));
    }
    if let Some(g) = first_gadget(c, "maxpool") {
        let top = hi(g);
        cases.push((
            "maxpool max is not one of the inputs",
            false,
            "zerocheck sum_w S_w D_w = 0",
            tampered(g, &move |z| {
                let i = z.iter().position(|v| *v < top).unwrap();
                z[i] += 1;
            }),
        ));
        let lo = c.gadgets[g].lo as i128;
        cases.push((
            "maxpool max below one input",
            false,
            "LogUp: a D entry is negative",
            tampered(g, &move |z| {
                let i = z.iter().position(|v| *v > lo).unwrap();
                z[i] -= 1;
            }),
        ));
        let k = c.gadgets[g].producer.windows();
        let sel = |w: usize| column_index(c, g, ColumnKind::PoolSel(w), 0);
        let on = (0..k).find(|&w| cols[sel(w)][0] == 1).unwrap();
        let mut two = cols.clone();
        two[sel((on + 1) % k)][0] = 1;
        cases.push((
            "maxpool two selectors set",
            false,
            "sum_w S_w == 1",
            run(two, input, &out, None),
        ));
        let mut none = cols.clone();
        none[sel(on)][0] = 0;
        cases.push((
            "maxpool no selector set",
            false,
            "sum_w S_w == 1",
            run(none, input, &out, None),
        ));
    }
    if let Some(g) = first_gadget(c, "sumpool") {
        let top = hi(g);
        cases.push((
            "wrong sumpool output",
            false,
            "sumpool: acc == 2^l sum_w X_w",
            tampered(g, &move |z| {
                let i = z.iter().position(|v| *v < top).unwrap();
                z[i] += 1;
            }),
        ));
    }
    if name == "cnn_2d" {
        let mut mult = zkml_core::inference::prover::multiplicities(c, &cols);
        mult[0] += 1;
        cases.push((
            "wrong multiplicity",
            false,
            "LogUp root",
            run(cols.clone(), input, &out, Some(mult)),
        ));
        let mut wrong_in = input.to_vec();
        wrong_in[5] = if wrong_in[5] < 127 {
            wrong_in[5] + 1
        } else {
            0
        };
        cases.push((
            "claimed input differs",
            false,
            "conv instance (shaped input MLE)",
            run(cols.clone(), &wrong_in, &out, None),
        ));
    }
    cases
}
