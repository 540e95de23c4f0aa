//! `circuits/vectors/zk_key.json` (circuits/zk_inference.md 4): hiding verifying keys
//! (kind 6) of three models of `inference.json` (the first MLP, the residual MLP,
//! `cnn_2d`), built with fixed model row blinders and a fixed blinder seed (test builds
//! only), and dishonest keys of the first model: each checked here (the Rust check,
//! committed values as points) as pytest checks it (`zkml/verifier/zk_key.py`). Each
//! model's stack, row blinders and kind-4 key come along for the Python tests (a
//! native rebuild must give the same `C_P`; a kind-4 body presented as kind 6).

use serde_json::json;
use zkml_core::declare::dec;
use zkml_core::field::Fr;
use zkml_core::inference::circuit::Circuit;
use zkml_core::inference::model_key::{build_verifying_key, padding_indicator};
use zkml_core::inference::testkit::{mlp_full, TestModel};
use zkml_core::inference::testkit_cnn::cnn_2d;
use zkml_core::pcs::hyrax::Hyrax;
use zkml_core::zk::Blinds;
use zkml_core::zk_key::check::check_hiding_key;
use zkml_core::zk_key::{build_hiding_verifying_key_seeded, Cheat};

#[path = "support/vector_file.rs"]
mod vector_file;
use vector_file::check_or_write;

/// The proof's blinder seed (`Blinds::from_seed`, hedged with the transcript state).
const SEED: [u8; 32] = [11; 32];

/// Fixed row blinders of a model (in a compiled model they are drawn once at random).
fn model_blinders(c: &Circuit, i: u8) -> Vec<Fr> {
    let ms = &c.model_stack;
    Blinds::from_seed([i; 32], [0; 32]).draw_n(1 << (ms.num_vars - ms.log_cols))
}

fn verify(h: &Hyrax, key: &[u8]) -> Option<&'static str> {
    check_hiding_key(h, key).err().map(|e| e.check().unwrap())
}

/// The first model's dishonest keys: (name, key bytes).
fn cheats(h: &Hyrax, m: &TestModel, c: &Circuit, blinders: &[Fr]) -> Vec<(&'static str, Vec<u8>)> {
    let build = |model: &[i64], cheat: Cheat| {
        build_hiding_verifying_key_seeded(h, &m.circuit_json, model, blinders, SEED, &cheat)
            .unwrap()
    };
    let ms = &c.model_stack;
    let t0 = &ms.tensors[0];
    let mut out = Vec::new();
    // An entry one above the range, counted by a forged multiplicity at the table's top.
    let mut big = m.model_stack.clone();
    big[t0.offset] = 1 << (ms.range_bits - 1);
    let z = padding_indicator(c);
    let mut mult = vec![0i64; 1 << ms.range_bits];
    let off = 1i64 << (ms.range_bits - 1);
    for (v, zi) in big.iter().zip(&z) {
        if zi == &Fr::from(0u64) {
            let u = (v + off).min((1 << ms.range_bits) - 1);
            mult[u as usize] += 1;
        }
    }
    let forged = Cheat {
        multiplicities: Some(mult),
        ..Cheat::default()
    };
    out.push((
        "entry out of range, forged multiplicity",
        build(&big, forged),
    ));
    let mut padded = m.model_stack.clone();
    assert!(t0.cols < t0.cols_pad());
    padded[t0.offset + t0.cols] = 1;
    out.push(("nonzero padding", build(&padded, Cheat::default())));
    for (j, name) in [
        (0, "wrong P(rho) commitment"),
        (1, "wrong m(rho_t) commitment"),
    ] {
        let mut leaf_shift = [Fr::from(0u64); 2];
        leaf_shift[j] = Fr::from(1u64);
        let cheat = Cheat {
            leaf_shift,
            ..Cheat::default()
        };
        out.push((name, build(&m.model_stack, cheat)));
    }
    let mut k4 = build_verifying_key(h, &m.circuit_json, &m.model_stack).unwrap();
    k4[6] = 6;
    out.push(("a kind-4 key's body as kind 6", k4));
    out
}

#[test]
fn vectors_zk_key() {
    let h = Hyrax::default();
    let models = [
        ("mlp", mlp_full(&[6, 8, 5], false, false, None, 1)),
        ("mlp_residual", mlp_full(&[5, 4, 3], true, false, None, 2)),
        ("cnn_2d", cnn_2d(21)),
    ];
    let mut out = Vec::new();
    for (i, (name, m)) in models.iter().enumerate() {
        let c = Circuit::parse(&m.circuit_json).unwrap();
        let blinders = model_blinders(&c, i as u8 + 1);
        let key = build_hiding_verifying_key_seeded(
            &h,
            &m.circuit_json,
            &m.model_stack,
            &blinders,
            SEED,
            &Cheat::default(),
        )
        .unwrap();
        assert_eq!(verify(&h, &key), None, "{name}");
        let mut cases = vec![json!({"name": "honest", "key": hex::encode(&key),
                                    "valid": true, "check": null})];
        if i == 0 {
            for (case, bytes) in cheats(&h, m, &c, &blinders) {
                let why = verify(&h, &bytes);
                assert!(why.is_some(), "{case}");
                cases.push(json!({"name": case, "key": hex::encode(&bytes),
                                  "valid": false, "check": why}));
            }
        }
        let kind4 = build_verifying_key(&h, &m.circuit_json, &m.model_stack).unwrap();
        out.push(json!({
            "name": name,
            "model_stack": m.model_stack,
            "model_blinders": blinders.iter().map(dec).collect::<Vec<String>>(),
            "kind4_key": hex::encode(kind4),
            "cases": cases,
        }));
    }
    check_or_write(
        "zk_key.json",
        json!({"seed": "zkml/hyrax/generators/v1", "blinder_seed": hex::encode(SEED),
               "models": out}),
    );
}
