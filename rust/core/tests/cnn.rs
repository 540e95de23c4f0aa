//! Completeness of CNN inference proofs (circuits/conv.md). There is no Rust
//! inference verifier (the Python verifier checks the vectors), so these tests
//! check what the verifier relies on: the reference witness satisfies every
//! relation at random points (each conv instance's sum equals `acc - 2^d bias`,
//! pooling acc-evals, maxpool D/S identities and pointwise zerocheck), and the
//! prover produces a proof for every model and batch size.

use std::time::Instant;

use zkml_core::inference::circuit::{Circuit, ColumnKind};
use zkml_core::inference::testkit::{witness, TestModel};
use zkml_core::inference::testkit_cnn::{cnn_1d, cnn_2d, cnn_pools, lenet};
use zkml_core::pcs::hyrax::Hyrax;
use zkml_core::testing::rand_small;

#[path = "support/relations.rs"]
mod relations;
use relations::{check_relations, relations_hold};

#[path = "support/runs.rs"]
mod runs;
use runs::{input_for, prove_model, BATCHES};

fn models() -> Vec<(&'static str, TestModel)> {
    vec![
        ("cnn_2d", cnn_2d(1)),
        ("cnn_pools", cnn_pools(2)),
        ("cnn_1d", cnn_1d(3)),
    ]
}

#[test]
fn cnn_relations_hold_at_random_points() {
    relations_hold(&models(), 7, 7);
}

#[test]
fn cnn_proofs_are_produced_for_every_model_and_batch() {
    let h = Hyrax::default();
    for (name, m) in models().into_iter().chain([("lenet", lenet(4))]) {
        let c = Circuit::parse(&m.circuit_json).unwrap();
        for batch in BATCHES {
            let input = input_for(&c, batch, 11);
            let start = Instant::now();
            let proof = prove_model(&h, &m, &input, batch);
            println!(
                "{name} batch {batch}: {} bytes in {:?}",
                proof.len(),
                start.elapsed()
            );
        }
    }
}

/// The cheating witnesses of the vectors (circuits/vectors/inference.json) break
/// the relation each case names.
#[test]
fn cnn_cheats_break_the_named_relation() {
    use zkml_core::inference::testkit::witness_tampered;
    let batch = 1;
    for (m, tg, edit, expect) in [
        (cnn_2d(21), 0usize, 1i128, "instance final value"),
        (cnn_2d(21), 1, 1, "S D != 0"),
        (cnn_2d(21), 1, -1, "range"),
        (cnn_pools(22), 1, 1, "sumpool"),
    ] {
        let c = Circuit::parse(&m.circuit_json).unwrap();
        let input = rand_small(batch * c.input.features, 8, 22 + batch as u64);
        let (lo, hi) = (c.gadgets[tg].lo as i128, c.gadgets[tg].hi as i128);
        let tamper = move |z: &mut [i128]| {
            let i = z
                .iter()
                .position(|v| (lo..=hi).contains(&(v + edit)))
                .unwrap();
            z[i] += edit;
        };
        let (cols, _) = witness_tampered(&c, &m.model_stack, &input, batch, tg, &tamper);
        let err = check_relations(&m, &input, &cols, batch, 5).unwrap_err();
        assert!(err.contains(expect), "gadget {tg} edit {edit}: {err}");
    }
    // Two selectors, or none, at one position: sum S != 1.
    let m = cnn_2d(21);
    let c = Circuit::parse(&m.circuit_json).unwrap();
    let input = rand_small(c.input.features, 8, 23);
    let (cols, _) = witness(&c, &m.model_stack, &input, 1);
    let sel: Vec<usize> = (0..4)
        .map(|w| {
            c.columns()
                .iter()
                .position(|s| s.gadget == 1 && s.kind == ColumnKind::PoolSel(w))
                .unwrap()
        })
        .collect();
    let on = (0..4).find(|&w| cols[sel[w]][0] == 1).unwrap();
    for (w, v) in [((on + 1) % 4, 1), (on, 0)] {
        let mut bad = cols.clone();
        bad[sel[w]][0] = v;
        let err = check_relations(&m, &input, &bad, 1, 5).unwrap_err();
        assert!(err.contains("sum S"), "{err}");
    }
}
