//! The prover's declarations (circuits/checks.md) on honest proofs of the vector models:
//! the proof is byte-identical to `prove`'s, every check holds in the clear (the final
//! check ties every instance's declared value to the batched sumcheck's final value), a
//! tampered claim fails the check that reads it, and `circuits/vectors/declarations.json`
//! pins the declarations (pytest compares them with the Python verifier's).

use ark_ff::One;
use serde_json::json;
use zkml_core::declare::Check;
use zkml_core::field::Fr;
use zkml_core::inference::circuit::Circuit;
use zkml_core::inference::declared::Declarations;
use zkml_core::inference::prover::prove_declared;
use zkml_core::inference::testkit::{mlp_full, verifying_key, witness, TestModel};
use zkml_core::inference::testkit_cnn::{cnn_1d, cnn_2d, cnn_pools};
use zkml_core::inference::testkit_combine::{concat_cnn, concat_flat};
use zkml_core::inference::testkit_max::minmax;
use zkml_core::inference::testkit_nonlinear::{gap_dense, silu, tables};
use zkml_core::inference::testkit_softmax::{softmax_grouped_axis0, softmax_head};
use zkml_core::inference::testkit_window::{win_1d, win_avg, win_stem};
use zkml_core::inference::{prove, InferenceInput};
use zkml_core::pcs::hyrax::Hyrax;
use zkml_core::testing::rand_small;

#[path = "support/vector_file.rs"]
mod vector_file;
use vector_file::check_or_write;

/// `(name, model, batch, input)` of the models covered, as inference.json builds them
/// (the MLP family's inputs, then the nonlinear family's at `seed + batch`).
fn models() -> Vec<(String, TestModel, usize, Vec<i64>)> {
    let mut out = Vec::new();
    for (name, dims, residual, argmax, leaky, batch, seed) in [
        ("mlp", vec![6usize, 8, 5], false, false, None, 1usize, 1u64),
        ("mlp_residual", vec![5, 4, 3], true, false, None, 3, 2),
        ("mlp_argmax", vec![6, 8, 5], false, true, None, 2, 3),
        (
            "mlp_leaky",
            vec![6, 8, 5],
            false,
            false,
            Some((13i64, 6u32)),
            2,
            4,
        ),
    ] {
        let input = rand_small(batch * dims[0], 8, seed + 7);
        out.push((
            name.to_string(),
            mlp_full(&dims, residual, argmax, leaky, seed),
            batch,
            input,
        ));
    }
    // the models tests/verifier/test_declarations.py picks from inference.json to cover
    // every op, and the 1-D conv, pooling and window ones (each family's input at
    // `seed + 1`, batch 1)
    let others = [
        ("cnn_2d", cnn_2d(21), 21u64),
        ("cnn_pools", cnn_pools(22), 22),
        ("cnn_1d", cnn_1d(23), 23),
        ("gap_dense", gap_dense(31), 31),
        ("tables", tables(34), 34),
        ("softmax_head", softmax_head(41), 41),
        ("silu", silu(51), 51),
        ("softmax_grouped_axis0", softmax_grouped_axis0(42), 61),
        ("win_stem", win_stem(31), 31),
        ("win_avg", win_avg(32), 32),
        ("win_1d", win_1d(33), 33),
        ("concat_cnn", concat_cnn(61), 61),
        ("concat_flat", concat_flat(62), 62),
        ("minmax", minmax(71), 71),
    ];
    for (name, m, seed) in others {
        let c = Circuit::parse(&m.circuit_json).unwrap();
        let input = rand_small(c.input.features, c.input.bits, seed + 1);
        out.push((name.to_string(), m, 1, input));
    }
    out
}

/// The honest proof and its declarations; the proof must equal `prove`'s.
fn declared(h: &Hyrax, m: &TestModel, batch: usize, input: &[i64]) -> (Vec<u8>, Declarations) {
    let c = Circuit::parse(&m.circuit_json).unwrap();
    let (_, digest) = verifying_key(h, m);
    let (cols, out) = witness(&c, &m.model_stack, input, batch);
    let inp = |cols| InferenceInput {
        circuit_json: &m.circuit_json,
        model_stack: &m.model_stack,
        columns: cols,
        batch,
        input,
        output: &out,
        vk_digest: digest,
    };
    let plain = prove(h, inp(cols.clone())).unwrap();
    let (proof, decl) = prove_declared(h, inp(cols)).unwrap();
    assert_eq!(proof, plain, "declaring changes no proof byte");
    (proof, decl)
}

fn holds(check: &Check) -> bool {
    check.holds().unwrap_or_else(|| {
        let mut names = Vec::new();
        check.expr.unvalued(&mut names);
        panic!("{}: public values not computed: {names:?}", check.id)
    })
}

#[test]
fn honest_declarations_hold_and_a_tampered_claim_fails_its_check() {
    let h = Hyrax::default();
    let mut entries = Vec::new();
    for (name, m, batch, input) in models() {
        let (proof, decl) = declared(&h, &m, batch, &input);
        for check in decl.checks() {
            assert!(
                holds(check),
                "{name}: {} fails on an honest proof",
                check.id
            );
        }
        // every committed claim of a check, moved by one, fails that check
        for check in decl.checks() {
            let mut names = Vec::new();
            check.expr.committed_claims(&mut names);
            let Some(first) = names.first() else { continue };
            let mut bad = check.clone();
            bad.expr.tamper(&first.name, Fr::one());
            assert!(
                !holds(&bad),
                "{name}: {} holds with {} tampered",
                check.id,
                first.name
            );
        }
        let proof_digest = {
            use sha2::{Digest, Sha256};
            hex::encode(Sha256::digest(&proof))
        };
        entries.push(
            json!({"name": name, "batch": batch, "proof_sha256": proof_digest,
                            "declarations": decl.canonical()}),
        );
    }
    check_or_write("declarations.json", json!({"models": entries}));
}
