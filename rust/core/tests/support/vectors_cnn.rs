//! CNN models of `inference.json` (circuits/conv.md): honest proofs for batch 1
//! and 3, and cheating-prover cases on batch 1 that the Python verifier must reject.

use serde_json::Value;
use zkml_core::inference::circuit::{Circuit, ColumnKind, Producer};
use zkml_core::inference::testkit_cnn::{cnn_1d, cnn_2d, cnn_pools};
use zkml_core::inference::{prove, prove_with_multiplicities};
use zkml_core::pcs::hyrax::Hyrax;

use crate::vectors_common::{column_index, family_models, Cases, Run};

/// Convolutional models (circuits/conv.md), batch 1 and 3, with cheating-prover
/// cases on batch 1.
pub fn cnn_models(h: &Hyrax) -> Vec<Value> {
    let models = vec![
        ("cnn_2d", cnn_2d(21), 21u64),
        ("cnn_pools", cnn_pools(22), 22),
        ("cnn_1d", cnn_1d(23), 23),
    ];
    family_models(h, models, cnn_cases)
}

fn first_gadget(c: &Circuit, op: &str) -> Option<usize> {
    c.gadgets.iter().position(|g| {
        matches!(
            (&g.producer, op),
            (Producer::Conv(_), "conv")
                | (Producer::Sumpool(_), "sumpool")
                | (Producer::Maxpool(_), "maxpool")
        )
    })
}

fn cnn_cases(r: &Run, name: &str) -> Cases {
    let (c, input) = (r.c, r.input);
    let run = |cols: Vec<Vec<i64>>, input: &[i64], out: &[i64], mult: Option<Vec<i64>>| {
        let inp = r.inference_input(cols, input, out);
        match mult {
            Some(mm) => prove_with_multiplicities(r.h, inp, mm).unwrap(),
            None => prove(r.h, inp).unwrap(),
        }
    };
    let (cols, out) = (&r.cols, &r.out);
    let mut cases: Cases = Vec::new();
    // A cheating prover that changes gadget `g`'s output, then computes
    // everything after it honestly.
    let tampered = |g: usize, f: &dyn Fn(&mut [i128])| r.tampered(g, f);
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
            run(two, input, out, None),
        ));
        let mut none = cols.clone();
        none[sel(on)][0] = 0;
        cases.push((
            "maxpool no selector set",
            false,
            "sum_w S_w == 1",
            run(none, input, out, None),
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
        let mut mult = zkml_core::inference::prover::multiplicities(c, cols);
        mult[0] += 1;
        cases.push((
            "wrong multiplicity",
            false,
            "LogUp root",
            run(cols.clone(), input, out, Some(mult)),
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
            run(cols.clone(), &wrong_in, out, None),
        ));
    }
    cases
}
