//! The MLP models of `inference.json` (circuits/inference.md): dense layers with
//! ReLU, a residual, an argmax and a leaky output, honest proofs and cheating-prover
//! cases, and the verifying-key cases of the first model.

use serde_json::{json, Value};
use zkml_core::inference::circuit::{Circuit, ColumnKind};
use zkml_core::inference::model_key::{build_verifying_key, vk_digest};
use zkml_core::inference::testkit::{mlp_full, verifying_key, witness, TestModel};
use zkml_core::inference::{prove, prove_with_multiplicities};
use zkml_core::pcs::hyrax::Hyrax;
use zkml_core::testing::rand_small;

use crate::runs::inference_input;
use crate::vectors_common::{column_index, Cases};

fn vk_cases(h: &Hyrax, m: &TestModel, c: &Circuit) -> Vec<Value> {
    let mut out = Vec::new();
    let mut push = |name: &str, valid: bool, why: &str, vk: Vec<u8>| {
        out.push(json!({"name": name, "valid": valid, "why": why, "vk": hex::encode(vk)}));
    };
    // A padding entry of the first tensor's matrix (or a gap) set to 1.
    let t0 = &c.model_stack.tensors[0];
    let mut padded = m.model_stack.clone();
    // A padded column of row 0 (the test models all have one in tensor 0).
    assert!(t0.cols < t0.cols_pad());
    let pad_at = t0.offset + t0.cols;
    padded[pad_at] = 1;
    push(
        "nonzero padding",
        false,
        "zerocheck Z * P = 0",
        build_verifying_key(h, &m.circuit_json, &padded).unwrap(),
    );
    let mut big = m.model_stack.clone();
    big[t0.offset] = 1 << (c.model_stack.range_bits - 1);
    push(
        "entry out of range",
        false,
        "limbs do not recompose",
        build_verifying_key(h, &m.circuit_json, &big).unwrap(),
    );
    let mut bad = build_verifying_key(h, &m.circuit_json, &m.model_stack).unwrap();
    let n = bad.len();
    bad[n - 40] ^= 1;
    push("tampered proof byte", false, "opening", bad);
    out
}

/// The MLP models, each at its own batch size, with their cases.
pub fn mlp_models(h: &Hyrax) -> Vec<Value> {
    let mut models = Vec::new();
    for (dims, residual, argmax, leaky, batch, seed) in [
        (vec![6usize, 8, 5], false, false, None, 1usize, 1u64),
        (vec![5, 4, 3], true, false, None, 3, 2),
        (vec![6, 8, 5], false, true, None, 2, 3),
        (vec![6, 8, 5], false, false, Some((13i64, 6u32)), 2, 4),
    ] {
        let m = mlp_full(&dims, residual, argmax, leaky, seed);
        let c = Circuit::parse(&m.circuit_json).unwrap();
        let (vk, digest) = verifying_key(h, &m);
        assert_eq!(digest, vk_digest(&vk));
        let input = rand_small(batch * dims[0], 8, seed + 7);
        let (cols, out) = witness(&c, &m.model_stack, &input, batch);
        let run = |cols: Vec<Vec<i64>>, input: &[i64], out: &[i64], mult: Option<Vec<i64>>| {
            let inp = inference_input(&m, digest, batch, input, cols, out);
            match mult {
                Some(mm) => prove_with_multiplicities(h, inp, mm).unwrap(),
                None => prove(h, inp).unwrap(),
            }
        };
        let mut cases: Cases = vec![("honest", true, "", run(cols.clone(), &input, &out, None))];
        if leaky.is_some() {
            let mut wrong_out = out.clone();
            wrong_out[1] = if wrong_out[1] < 127 {
                wrong_out[1] + 1
            } else {
                0
            };
            cases.push((
                "leaky: claimed output differs",
                false,
                "output instance",
                run(cols.clone(), &input, &wrong_out, None),
            ));
        }
        if !residual && !argmax && leaky.is_none() {
            let u0 = column_index(&c, 0, ColumnKind::U, 0);
            let mut bad = cols.clone();
            bad[u0][2] = (bad[u0][2] + 1) % 128;
            cases.push((
                "relu output changed for one element",
                false,
                "R1 at the accumulator point",
                run(bad, &input, &out, None),
            ));

            // rem + 2^k with q - 1 keeps R1 but breaks the remainder's exact width.
            let rem0 = column_index(&c, 0, ColumnKind::Rem, 0);
            let mut bad = cols.clone();
            let i = (0..bad[u0].len()).find(|&i| bad[u0][i] > 0).unwrap();
            bad[rem0][i] += 64;
            bad[u0][i] -= 1;
            cases.push((
                "remainder above its exact width",
                false,
                "LogUp: 4 * rem >= 256",
                run(bad, &input, &out, None),
            ));

            // z = q - 1 with e+ = 1 keeps R1 but is not a clamp.
            let ep_col = column_index(&c, 0, ColumnKind::Ep, 0);
            let mut bad = cols.clone();
            bad[u0][i] -= 1;
            bad[ep_col][i] += 1;
            cases.push((
                "excess without saturation",
                false,
                "zerocheck (z - hi) e+ = 0",
                run(bad, &input, &out, None),
            ));

            let mut mult = zkml_core::inference::prover::multiplicities(&c, &cols);
            mult[0] += 1;
            cases.push((
                "wrong multiplicity",
                false,
                "LogUp root",
                run(cols.clone(), &input, &out, Some(mult)),
            ));

            let mut wrong_out = out.clone();
            wrong_out[0] = if wrong_out[0] < 127 {
                wrong_out[0] + 1
            } else {
                0
            };
            cases.push((
                "claimed output differs",
                false,
                "output instance",
                run(cols.clone(), &input, &wrong_out, None),
            ));

            let mut wrong_in = input.clone();
            wrong_in[0] = if wrong_in[0] < 127 {
                wrong_in[0] + 1
            } else {
                0
            };
            cases.push((
                "claimed input differs",
                false,
                "dense instance",
                run(cols.clone(), &wrong_in, &out, None),
            ));

            let lg = c.output.gadget;
            let ul = column_index(&c, lg, ColumnKind::U, 0);
            let mut bad = cols.clone();
            let last = bad[ul].len() - 1;
            bad[ul][last] = (bad[ul][last] + 1) % 256;
            cases.push((
                "padding entry changed",
                false,
                "R1 on the padded region",
                run(bad, &input, &out, None),
            ));
        }
        if argmax {
            let n_out = dims[dims.len() - 1] as i64;
            let mut other = out.clone();
            other[0] = (other[0] + 1) % n_out;
            cases.push((
                "another index claimed",
                false,
                "d would be negative",
                run(cols.clone(), &input, &other, None),
            ));
            // Honest differences for a wrong index cannot be built; the prover's
            // own d for the true index with a wrong claimed index is the cheat above.
        }
        let case_json: Vec<Value> = cases
            .iter()
            .map(|(name, valid, why, proof)| json!({"name": name, "valid": valid, "why": why, "proof": hex::encode(proof)}))
            .collect();
        models.push(json!({
            "dims": dims, "residual": residual, "argmax": argmax, "leaky": leaky.is_some(), "batch": batch,
            "circuit": String::from_utf8(m.circuit_json.clone()).unwrap(),
            "vk": hex::encode(&vk), "input": input, "output": out, "cases": case_json,
            "vk_cases": if seed == 1 { vk_cases(h, &m, &c) } else { vec![] },
        }));
    }
    models
}
