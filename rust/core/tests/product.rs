//! Elementwise products and window-tap limits (circuits/nonlinear.md sections 8
//! and 9): strict parsing, the reference witness satisfies the mul relation
//! (support/relations.rs) at batch 1 and 3, proofs are produced, a wrong product
//! breaks the mul instance, and windows of more than 1024 taps are refused.

use serde_json::{json, Value};
use zkml_core::inference::circuit::{Circuit, Producer, TensorRef};
use zkml_core::inference::limits::MAX_WINDOW_TAPS as MAX_TAPS;
use zkml_core::inference::testkit::{witness, witness_tampered};
use zkml_core::inference::testkit_cnn::Cnn;
use zkml_core::inference::testkit_nonlinear::silu;
use zkml_core::pcs::hyrax::Hyrax;

#[path = "support/relations.rs"]
mod relations;
use relations::check_relations;

#[path = "support/runs.rs"]
mod runs;
use runs::{input_for, prove_model, BATCHES};

#[test]
fn silu_model_has_the_stated_gadgets() {
    let c = Circuit::parse(&silu(51).circuit_json).unwrap();
    let muls: Vec<(usize, TensorRef, TensorRef)> = (0..c.gadgets.len())
        .filter_map(|g| match &c.gadgets[g].producer {
            Producer::Mul(p) => Some((g, p.x, p.y)),
            _ => None,
        })
        .collect();
    use TensorRef::{Gadget, Input};
    assert_eq!(muls, vec![(2, Gadget(0), Gadget(1)), (4, Input, Gadget(3))]);
    assert!(matches!(c.gadgets[1].producer, Producer::Table(_)));
    // The input product has excess columns (|x y| / 2^7 reaches 128).
    assert!(c.gadgets[4].excess_hi_bits > 0);
}

#[test]
fn mul_relations_hold_and_proofs_are_produced() {
    let h = Hyrax::default();
    let m = silu(51);
    let c = Circuit::parse(&m.circuit_json).unwrap();
    for batch in BATCHES {
        let input = input_for(&c, batch, 7 + batch as u64);
        let (cols, _) = witness(&c, &m.model_stack, &input, batch);
        if let Err(e) = check_relations(&m, &input, &cols, batch, 9) {
            panic!("batch {batch}: {e}");
        }
        assert!(prove_model(&h, &m, &input, batch).len() > 1000);
    }
}

/// A mul output changed in one element breaks the mul instance (its claim acc(r_g)
/// is no longer sum eq X Y).
#[test]
fn wrong_product_breaks_the_mul_instance() {
    let m = silu(51);
    let c = Circuit::parse(&m.circuit_json).unwrap();
    let input = input_for(&c, 1, 8);
    for g in [2usize, 4] {
        let hi = c.gadgets[g].hi as i128;
        let bump = move |z: &mut [i128]| {
            let i = z.iter().position(|v| *v < hi).unwrap();
            z[i] += 1;
        };
        let (cols, _) = witness_tampered(&c, &m.model_stack, &input, 1, g, &bump);
        let e = check_relations(&m, &input, &cols, 1, 5).unwrap_err();
        assert!(e.contains(&format!("gadget {g}: mul instance")), "{e}");
    }
}

/// Every malformed variant of a mul gadget is refused (never a panic).
#[test]
fn malformed_mul_gadgets_are_refused() {
    let parse = |v: &Value| Circuit::parse(&serde_json::to_vec(v).unwrap());
    let base: Value = serde_json::from_slice(&silu(51).circuit_json).unwrap();
    assert!(parse(&base).is_ok());
    // (gadget, inside the producer?, key, new value or None to delete)
    let edits: Vec<(usize, bool, &str, Option<Value>)> = vec![
        (2, true, "y", None),
        (2, true, "x", None),
        (2, true, "x", Some(json!(2))),       // itself
        (2, true, "y", Some(json!(3))),       // a later gadget
        (2, true, "y", Some(json!("input"))), // width 6, not 8
        (4, true, "y", Some(json!(2))),       // width 8, not 6
        (4, true, "x", Some(json!("nope"))),
        (4, true, "x", Some(json!(-1))),
        (4, true, "signs", Some(json!([1, 1]))),
        (2, false, "features", Some(json!(6))),
    ];
    for (g, inner, key, val) in edits {
        let mut v = base.clone();
        let obj = if inner {
            &mut v["gadgets"][g]["producer"]
        } else {
            &mut v["gadgets"][g]
        };
        let obj = obj.as_object_mut().unwrap();
        match val.clone() {
            Some(x) => obj.insert(key.into(), x),
            None => obj.remove(key),
        };
        assert!(parse(&v).is_err(), "gadget {g} {key} {val:?} accepted");
    }
}

/// nonlinear.md section 9: a winsum or winmax has at most 1024 taps, checked when
/// the circuit is parsed.
#[test]
fn windows_of_more_than_1024_taps_are_refused() {
    assert_eq!(MAX_TAPS, 1024);
    let model = |hw: [usize; 2], max: bool| {
        let (mut m, x) = Cnn::new(Some(vec![1, hw[0], hw[1]]), hw[0] * hw[1], 3);
        let p = if max {
            m.winmax(&x, &hw, &[1, 1], &[1, 1], &[0, 0])
        } else {
            m.winavg(&x, &hw, &[1, 1], &[0, 0])
        };
        let o = m.dense(&p, 2, false);
        m.finish(&o, false)
    };
    for max in [false, true] {
        // 32 x 32 = 1024 taps: accepted; 25 x 41 = 1025 and 1 x 1025: refused.
        assert!(Circuit::parse(&model([32, 32], max).circuit_json).is_ok());
        for hw in [[25, 41], [1, 1025]] {
            let e = Circuit::parse(&model(hw, max).circuit_json).unwrap_err();
            assert!(e.to_string().contains("1024 taps"), "{hw:?} {max}: {e}");
        }
    }
}

/// inference.md section 6: an add's lshifts are 0..64, as every shift (the schema's
/// `MAX_BITS`); 65 is refused.
#[test]
fn add_lshifts_reach_64() {
    let m = zkml_core::inference::testkit::mlp(&[6, 8, 4], true, 71);
    let base: Value = serde_json::from_slice(&m.circuit_json).unwrap();
    let g = (0..base["gadgets"].as_array().unwrap().len())
        .find(|&g| base["gadgets"][g]["producer"]["op"] == "add")
        .expect("an add gadget");
    let parse = |l: [u32; 2]| {
        let mut v = base.clone();
        v["gadgets"][g]["producer"]["lshifts"] = json!(l);
        Circuit::parse(&serde_json::to_vec(&v).unwrap())
    };
    for ok in [[0, 33], [64, 0], [64, 64]] {
        assert!(parse(ok).is_ok(), "lshifts {ok:?} refused");
    }
    assert!(parse([65, 0]).is_err() && parse([0, 65]).is_err());
}
