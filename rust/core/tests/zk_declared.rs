//! `circuits/vectors/zk_declared.json` (circuits/zk.md 5.3): the declarations of honest
//! proofs of vector models, evaluated over commitments by the prover's `HiddenEval`:
//! every committed claim committed afresh, the products and inverses it makes (the
//! `zk-products` message), and the tail (zk.md 5.5: the batched proof of product's
//! vectors, the linear check's `tau`, the sigma batch). pytest rebuilds
//! the same checks from their canonical JSON and runs them through the verifier's
//! CommittedBackend. A case with one claim committed off by one must fail.

use std::collections::BTreeMap;

use ark_ff::{One, Zero};
use serde_json::{json, Value};
use zkml_core::declare::{Check, CheckKind, Claim, Expr};
use zkml_core::encoding::{g1_to_bytes, Writer};
use zkml_core::field::Fr;
use zkml_core::inference::circuit::Circuit;
use zkml_core::inference::prover::prove_declared;
use zkml_core::inference::testkit::{mlp_full, verifying_key, witness, TestModel};
use zkml_core::inference::testkit_nonlinear::silu;
use zkml_core::inference::testkit_softmax::softmax_head;
use zkml_core::inference::InferenceInput;
use zkml_core::pcs::generators::{seed_digest, DEFAULT_SEED};
use zkml_core::pcs::hyrax::Hyrax;
use zkml_core::testing::rand_small;
use zkml_core::transcript::Transcript;
use zkml_core::zk::declared::HiddenEval;
use zkml_core::zk::tail;
use zkml_core::zk::{Blinds, Gens, Hidden};

#[path = "support/vector_file.rs"]
mod vector_file;
use vector_file::check_or_write;

const TAG: &[u8] = b"zkml-zk-declared-vectors";

fn hexp(p: &ark_bn254::G1Affine) -> Value {
    Value::String(hex::encode(g1_to_bytes(p)))
}

fn checks_of(m: &TestModel, batch: usize, seed: u64) -> Vec<Check> {
    let h = Hyrax::default();
    let c = Circuit::parse(&m.circuit_json).unwrap();
    let input = rand_small(batch * c.input.features, c.input.bits.min(8), seed);
    let (_, digest) = verifying_key(&h, m);
    let (cols, out) = witness(&c, &m.model_stack, &input, batch);
    let inp = InferenceInput {
        circuit_json: &m.circuit_json,
        model_stack: &m.model_stack,
        columns: cols,
        batch,
        input: &input,
        output: &out,
        vk_digest: digest,
    };
    let (_, decl) = prove_declared(&h, inp).unwrap();
    decl.checks().cloned().collect()
}

/// Commit every committed claim (name order; `shift` moves the first one's value),
/// evaluate every check over commitments, and return the case.
fn case(gens: &Gens, name: &str, checks: &[Check], shift: Fr) -> Value {
    let mut claims: BTreeMap<String, Fr> = BTreeMap::new();
    for chk in checks {
        let mut cs: Vec<&Claim> = Vec::new();
        chk.expr.committed_claims(&mut cs);
        for c in cs {
            claims.insert(c.name.clone(), c.value.unwrap());
        }
    }
    let mut t = Transcript::new(TAG);
    let mut blinds = Blinds::from_seed([5; 32], t.state());
    let mut open: BTreeMap<String, Hidden> = BTreeMap::new();
    for (i, (n, v)) in claims.iter().enumerate() {
        let v = if i == 0 { *v + shift } else { *v };
        open.insert(n.clone(), Hidden::fresh(v, &mut blinds));
    }
    let points: Vec<_> = open.values().map(|h| h.point(gens)).collect();
    t.absorb_points("zk-claims", &points);
    let mut ev = HiddenEval::new(gens, &mut blinds);
    let lookup = |c: &Claim| Ok(open[&c.name]);
    for chk in checks {
        ev.run(chk, &lookup).unwrap();
    }
    let HiddenEval {
        products,
        triples,
        linear,
        ..
    } = ev;
    t.absorb_points("zk-products", &products);
    let gens = &gens
        .clone()
        .at_least(&seed_digest(DEFAULT_SEED), triples.len());
    let tail = tail::prove(gens, &mut t, linear, &triples, &[], &mut blinds);
    let mut w = Writer::new();
    tail.write(&mut w);
    let names: Vec<&String> = open.keys().collect();
    json!({
        "name": name,
        "checks": checks.iter().map(|c| c.canonical()).collect::<Vec<_>>(),
        "claims": names.iter().zip(&points).map(|(n, p)| json!({"name": n, "point": hexp(p)})).collect::<Vec<_>>(),
        "products": products.iter().map(hexp).collect::<Vec<_>>(),
        "tail": hex::encode(w.finish()),
        "valid": shift.is_zero(),
        "check": if shift.is_zero() { Value::Null } else { json!("zk.merged") },
    })
}

/// No gadget declares `expr != 0` today (LogUp's roots will, zk.md 6), so the vector adds
/// one over the first check's committed claims: `(a + 1) b != 0`, an inverse and a product.
fn nonzero_on_first_claims(checks: &[Check]) -> Check {
    let mut cs: Vec<&Claim> = Vec::new();
    checks.iter().for_each(|c| c.expr.committed_claims(&mut cs));
    let (a, b) = (cs[0].clone(), cs[1].clone());
    Check {
        id: "test.nonzero".into(),
        kind: CheckKind::NonZero,
        expr: (Expr::from(a) + Expr::i(1)) * Expr::from(b),
    }
}

#[test]
fn vectors_zk_declared() {
    let gens = Gens::new(&seed_digest(DEFAULT_SEED), 1);
    let models = [
        (
            "mlp_argmax",
            mlp_full(&[6, 8, 5], false, true, None, 3),
            2usize,
            10u64,
        ),
        ("silu", silu(51), 1, 52),
        ("softmax_head", softmax_head(41), 1, 42),
    ];
    let mut cases = Vec::new();
    for (name, m, batch, seed) in models {
        let mut checks = checks_of(&m, batch, seed);
        if name == "mlp_argmax" {
            checks.push(nonzero_on_first_claims(&checks));
        }
        cases.push(case(&gens, name, &checks, Fr::zero()));
        if name == "mlp_argmax" {
            cases.push(case(
                &gens,
                "mlp_argmax, a claim committed off by one",
                &checks,
                Fr::one(),
            ));
        }
    }
    check_or_write(
        "zk_declared.json",
        json!({"seed": "zkml/hyrax/generators/v1", "tag": String::from_utf8(TAG.to_vec()).unwrap(), "cases": cases}),
    );
}
