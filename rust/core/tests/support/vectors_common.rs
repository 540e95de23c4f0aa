//! What the model families of `inference.json` share: a model's run at one batch
//! size (its witness and provers), the loop over models and batch sizes, and the
//! JSON of one model's entry.

use serde_json::{json, Value};
use zkml_core::inference::circuit::{Circuit, ColumnKind};
use zkml_core::inference::testkit::{verifying_key, witness, witness_tampered, TestModel};
use zkml_core::inference::{prove, InferenceInput};
use zkml_core::pcs::hyrax::Hyrax;

use crate::runs::{inference_input, input_for, BATCHES};

/// `(name, valid, why, proof)` of each case.
pub(crate) type Cases = Vec<(&'static str, bool, &'static str, Vec<u8>)>;

pub(crate) fn column_index(c: &Circuit, g: usize, kind: ColumnKind, limb: usize) -> usize {
    c.columns()
        .iter()
        .position(|s| s.gadget == g && s.kind == kind && s.limb == limb)
        .unwrap()
}

/// One model at one batch size: its input, honest witness and output, and provers.
pub(crate) struct Run<'a> {
    pub h: &'a Hyrax,
    pub m: &'a TestModel,
    pub c: &'a Circuit,
    pub digest: [u8; 32],
    pub batch: usize,
    pub input: &'a [i64],
    pub cols: Vec<Vec<i64>>,
    pub out: Vec<i64>,
}

impl<'a> Run<'a> {
    /// What the prover is given for `cols` and the claimed `input` and `out`.
    pub fn inference_input<'b>(
        &'b self,
        cols: Vec<Vec<i64>>,
        input: &'b [i64],
        out: &'b [i64],
    ) -> InferenceInput<'b> {
        inference_input(self.m, self.digest, self.batch, input, cols, out)
    }

    /// A proof of `cols` claiming `out` on the run's input.
    pub fn prove(&self, cols: Vec<Vec<i64>>, out: &[i64]) -> Vec<u8> {
        prove(self.h, self.inference_input(cols, self.input, out)).unwrap()
    }

    /// A cheating prover that changes gadget `g`'s output by `f`, then computes
    /// everything after it honestly.
    pub fn tampered(&self, g: usize, f: &dyn Fn(&mut [i128])) -> Vec<u8> {
        let (c, m) = (self.c, self.m);
        let (cols, out) = witness_tampered(c, &m.model_stack, self.input, self.batch, g, f);
        self.prove(cols, &out)
    }

    /// Gadget `g`'s first output entry below its `hi` raised by 1.
    pub fn bump(&self, g: usize) -> Vec<u8> {
        let hi = self.c.gadgets[g].hi as i128;
        self.tampered(g, &move |z| {
            let i = z.iter().position(|v| *v < hi).unwrap();
            z[i] += 1;
        })
    }
}

/// One model's entry: the circuit, verifying key, input, output and cases.
#[allow(clippy::too_many_arguments)]
pub(crate) fn model_json(
    name: &str,
    c: &Circuit,
    m: &TestModel,
    vk: &[u8],
    batch: usize,
    input: &[i64],
    out: &[i64],
    cases: &Cases,
) -> Value {
    let case_json: Vec<Value> = cases
        .iter()
        .map(|(name, valid, why, proof)| json!({"name": name, "valid": valid, "why": why, "proof": hex::encode(proof)}))
        .collect();
    json!({
        "name": name, "dims": [c.input.features, c.output.features],
        "residual": false, "argmax": c.output.argmax, "leaky": false, "batch": batch,
        "circuit": String::from_utf8(m.circuit_json.clone()).unwrap(),
        "vk": hex::encode(vk), "input": input, "output": out, "cases": case_json,
        "vk_cases": [],
    })
}

/// A family's entries: each `(name, model, seed)` at batch 1 and 3 (input seed
/// `seed + batch`), an honest proof, then on batch 1 the family's cheating cases.
pub(crate) fn family_models(
    h: &Hyrax,
    models: Vec<(&'static str, TestModel, u64)>,
    cheats: impl Fn(&Run, &'static str) -> Cases,
) -> Vec<Value> {
    let mut out_models = Vec::new();
    for (name, m, seed) in models {
        let c = Circuit::parse(&m.circuit_json).unwrap();
        let (vk, digest) = verifying_key(h, &m);
        for batch in BATCHES {
            let input = input_for(&c, batch, seed + batch as u64);
            let (cols, out) = witness(&c, &m.model_stack, &input, batch);
            let run = Run {
                h,
                m: &m,
                c: &c,
                digest,
                batch,
                input: &input,
                cols,
                out,
            };
            let mut cases: Cases =
                vec![("honest", true, "", run.prove(run.cols.clone(), &run.out))];
            if batch == 1 {
                cases.extend(cheats(&run, name));
            }
            out_models.push(model_json(
                name, &c, &m, &vk, batch, &input, &run.out, &cases,
            ));
        }
    }
    out_models
}
