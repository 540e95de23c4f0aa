//! Adding a constant and channel concatenation (circuits/nonlinear.md sections 10
//! and 11): strict parsing, the reference witness satisfies every relation
//! (support/relations.rs) at batch 1 and 3, proofs are produced, and each cheating
//! case of the vectors breaks the relation it names.

use serde_json::Value;
use zkml_core::field::Fr;
use zkml_core::inference::circuit::Circuit;
use zkml_core::inference::circuit::Producer;
use zkml_core::inference::combine::{concat_instances, concat_parts, Concat};
use zkml_core::inference::parts::set_part_skew;
use zkml_core::inference::tensors::Columns;
use zkml_core::inference::testkit::{witness, witness_tampered, TestModel};
use zkml_core::inference::testkit_combine::{concat_cnn, concat_flat, gelu};
use zkml_core::pcs::hyrax::Hyrax;
use zkml_core::sumcheck;
use zkml_core::testing::rand_frs;
use zkml_core::transcript::Transcript;

#[path = "support/relations.rs"]
mod relations;
use relations::{check_relations, relations_hold};

#[path = "support/runs.rs"]
mod runs;
use runs::{input_for, proofs_are_produced, prove_model};

fn models() -> Vec<(&'static str, TestModel)> {
    vec![
        ("concat_cnn", concat_cnn(61)),
        ("concat_flat", concat_flat(62)),
        ("gelu", gelu(63)),
    ]
}

#[test]
fn combine_relations_hold_at_random_points() {
    relations_hold(&models(), 5, 9);
}

#[test]
fn combine_proofs_are_produced_for_every_model_and_batch() {
    proofs_are_produced(&models());
}

/// The skew hook changes the parts' values sent (sum kept) and the proof.
#[test]
fn part_skew_keeps_the_sum_and_changes_the_proof() {
    let h = Hyrax::default();
    let m = concat_cnn(61);
    let c = Circuit::parse(&m.circuit_json).unwrap();
    let input = input_for(&c, 1, 3);
    let (cols, _) = witness(&c, &m.model_stack, &input, 1);
    let cc = Columns::new(&c, &cols);
    let r = rand_frs(c.gadget_vars(2, 1), 4);
    let Producer::Concat(p) = &c.gadgets[2].producer else {
        panic!("gadget 2 is a concat")
    };
    let p: &Concat = p;
    let honest = concat_parts(&c, &cc, (&input, 1), p, &r).unwrap();
    set_part_skew(5);
    let skewed = concat_parts(&c, &cc, (&input, 1), p, &r).unwrap();
    let cheat = prove_model(&h, &m, &input, 1);
    set_part_skew(0);
    assert_eq!(honest.len(), 2);
    assert_eq!(skewed[0], honest[0] + Fr::from(5u64));
    assert_eq!(
        skewed.iter().copied().sum::<Fr>(),
        honest.iter().copied().sum::<Fr>()
    );
    assert_ne!(cheat, prove_model(&h, &m, &input, 1));
    // The skewed claim fails part 1's sumcheck (its final check).
    let mut inst = concat_instances(&c, &cc, (&input, 1), p, &r)
        .unwrap()
        .remove(0)
        .inst;
    let n = zkml_core::sumcheck::SumcheckProver::num_vars(&inst);
    let (proof, _) = sumcheck::prove(&mut Transcript::new(b"t"), &mut inst, skewed[0]);
    let (_, fin) =
        sumcheck::verify(&mut Transcript::new(b"t"), "cat", skewed[0], n, 2, &proof).unwrap();
    let f = inst.final_evals();
    assert_ne!(fin, f[0] * f[1], "the final check must fail");
}

#[test]
fn combine_cheats_break_the_named_relation() {
    let batch = 1;
    for (m, g, what) in [
        (concat_cnn(61), 2, "concat sum_k E_k"),
        (concat_flat(62), 2, "concat sum_k E_k"),
        (concat_flat(62), 0, "addconst acc"),
        (gelu(63), 2, "addconst acc"),
    ] {
        let c = Circuit::parse(&m.circuit_json).unwrap();
        let input = input_for(&c, batch, 41);
        let hi = c.gadgets[g].hi as i128;
        let bump = move |z: &mut [i128]| {
            let i = z.iter().position(|v| *v < hi).unwrap();
            z[i] += 1;
        };
        let (cols, _) = witness_tampered(&c, &m.model_stack, &input, batch, g, &bump);
        let err = check_relations(&m, &input, &cols, batch, 5).unwrap_err();
        assert!(err.contains(what), "{err}");
    }
}

fn edit(m: &TestModel, f: impl Fn(&mut Value)) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(&m.circuit_json).unwrap();
    f(&mut v);
    serde_json::to_vec(&v).unwrap()
}

#[test]
fn combine_parsing_is_strict() {
    let cnn = concat_cnn(61);
    let flat = concat_flat(62);
    let ok = |j: &[u8]| Circuit::parse(j).is_ok();
    assert!(ok(&cnn.circuit_json) && ok(&flat.circuit_json));
    let bad: Vec<Vec<u8>> = vec![
        // One part only.
        edit(&cnn, |v| {
            let p = &mut v["gadgets"][2]["producer"];
            p["parts"] = serde_json::json!([0]);
            p["shapes"] = serde_json::json!([[3, 5, 5]]);
        }),
        // Spatial dims differ.
        edit(&cnn, |v| {
            v["gadgets"][2]["producer"]["shapes"][1][2] = 4.into()
        }),
        // A part's channels do not match its width.
        edit(&cnn, |v| {
            v["gadgets"][2]["producer"]["shapes"][1][0] = 9.into()
        }),
        // Features are not pad(C) prod pad(S).
        edit(&cnn, |v| v["gadgets"][2]["features"] = 256.into()),
        // A flat part's C_k is its width, not pad(width).
        edit(&flat, |v| {
            v["gadgets"][2]["producer"]["shapes"][0][0] = 7.into()
        }),
        // A later gadget as a part.
        edit(&flat, |v| {
            v["gadgets"][2]["producer"]["parts"][1] = 2.into()
        }),
        // Addconst: x's width differs from the features; lshift above 64; unknown tensor.
        edit(&flat, |v| v["gadgets"][0]["features"] = 8.into()),
        edit(&flat, |v| v["gadgets"][0]["producer"]["lshift"] = 65.into()),
        edit(&flat, |v| v["gadgets"][0]["producer"]["c"] = "nope".into()),
        // Unknown keys.
        edit(&flat, |v| v["gadgets"][0]["producer"]["y"] = 0.into()),
    ];
    for (i, j) in bad.iter().enumerate() {
        assert!(!ok(j), "case {i} must be rejected");
    }
}
