//! Limb width, row-broadcast add, rowmax and rowdiv (circuits/nonlinear.md sections
//! 5-7): strict parsing, the reference witness satisfies every relation
//! (support/relations.rs) at batch 1 and 3 with `L = 8` and `L = 16`, proofs are
//! produced, and each cheating witness of the vectors breaks the relation it names.

use serde_json::{json, Value};
use zkml_core::inference::circuit::{limb_widths, Circuit, ColumnKind};
use zkml_core::inference::testkit::{with_limb_bits, witness, TestModel};
use zkml_core::inference::testkit_cnn::cnn_2d;
use zkml_core::inference::testkit_nonlinear::tables;
use zkml_core::inference::testkit_softmax::{
    softmax_grouped_axis0, softmax_grouped_channels, softmax_head,
};
use zkml_core::inference::{leaf_slots, prover};

#[path = "support/relations.rs"]
mod relations;
use relations::{check_relations, relations_hold};

#[path = "support/runs.rs"]
mod runs;
use runs::{input_for, proofs_are_produced};

#[path = "support/softmax_cheats.rs"]
mod softmax_cheats;

fn models() -> Vec<(&'static str, TestModel)> {
    vec![
        ("softmax_head", softmax_head(41)),
        ("softmax_head_l16", with_limb_bits(softmax_head(41), 16)),
        ("softmax_grouped_axis0", softmax_grouped_axis0(42)),
        ("softmax_grouped_channels", softmax_grouped_channels(43)),
        (
            "softmax_grouped_channels_l16",
            with_limb_bits(softmax_grouped_channels(43), 16),
        ),
        ("cnn_2d_l16", with_limb_bits(cnn_2d(1), 16)),
        ("tables_l16", with_limb_bits(tables(34), 16)),
    ]
}

#[test]
fn row_and_limb16_relations_hold_at_random_points() {
    relations_hold(&models(), 5, 9);
}

/// Batch row `b`'s first `n` logits: gadget 0's output (16 a row, offset 128).
fn logits(c: &Circuit, cols: &[Vec<i64>], b: usize, n: usize) -> Vec<i64> {
    let u0 = c
        .columns()
        .iter()
        .position(|s| s.gadget == 0 && s.kind == ColumnKind::U)
        .unwrap();
    (0..n).map(|i| cols[u0][b * 16 + i] - 128).collect()
}

/// The exponentials `e` (the exp table at `(h - max + 1) / 2`) and the naive
/// integer softmax `min(round(64 e / sum e), 63)` of one group of logits.
fn naive_softmax(h: &[i64]) -> (Vec<i64>, Vec<i64>) {
    let t = zkml_core::inference::testkit_softmax::exp_table(8, 6);
    let mx = *h.iter().max().unwrap();
    let e: Vec<i64> = h
        .iter()
        .map(|v| t[((v - mx + 1).div_euclid(2) + 128) as usize])
        .collect();
    let s: i64 = e.iter().sum();
    let q = e
        .iter()
        .map(|ei| (128 * ei + s).div_euclid(2 * s).min(63))
        .collect();
    (e, q)
}

/// The softmax head's output against a naive integer softmax of its logits.
#[test]
fn softmax_head_computes_the_integer_softmax() {
    let m = softmax_head(41);
    let c = Circuit::parse(&m.circuit_json).unwrap();
    let input = input_for(&c, 3, 6);
    let (cols, out) = witness(&c, &m.model_stack, &input, 3);
    for b in 0..3 {
        let (e, q) = naive_softmax(&logits(&c, &cols, b, 10));
        for i in 0..10 {
            assert_eq!(out[b * 10 + i], q[i], "row {b} entry {i}");
        }
        assert!(e.contains(&64));
    }
}

#[test]
fn row_and_limb16_proofs_are_produced() {
    proofs_are_produced(&models());
}

#[test]
fn softmax_cheats_break_the_named_relation() {
    let m = softmax_head(41);
    let c = Circuit::parse(&m.circuit_json).unwrap();
    let input = input_for(&c, 1, 43);
    let (honest, _) = witness(&c, &m.model_stack, &input, 1);
    check_relations(&m, &input, &honest, 1, 5).unwrap();
    for ch in softmax_cheats::softmax_cheats(&m, &c, &input) {
        assert_ne!(ch.cols, honest, "{}", ch.name);
        assert!(!ch.why.is_empty() && ch.out.len() == 10);
        let e = check_relations(&m, &input, &ch.cols, 1, 5).unwrap_err();
        assert!(e.contains(ch.relation), "{}: {e}", ch.name);
    }
}

/// softmax_grouped_axis0's output (ONNX order) against a naive integer softmax along
/// axis 0 of its `[5, 3]` logits.
#[test]
fn grouped_softmax_computes_the_integer_softmax_along_axis_0() {
    let m = softmax_grouped_axis0(42);
    let c = Circuit::parse(&m.circuit_json).unwrap();
    let input = input_for(&c, 3, 7);
    let (cols, out) = witness(&c, &m.model_stack, &input, 3);
    for b in 0..3 {
        let h = logits(&c, &cols, b, 15);
        for j in 0..3 {
            let col: Vec<i64> = (0..5).map(|a| h[a * 3 + j]).collect();
            let (_, q) = naive_softmax(&col);
            for a in 0..5 {
                assert_eq!(out[b * 15 + a * 3 + j], q[a], "row {b} entry ({a}, {j})");
            }
        }
    }
}

/// The grouped cheats (section 12) on the last real group of each grouped model.
#[test]
fn grouped_softmax_cheats_break_the_named_relation() {
    // Input seeds 62 and 63: the vectors' batch-1 inputs (vectors_nonlinear.rs).
    for (m, gm, seed) in [
        (softmax_grouped_axis0(42), 2, 44),
        (softmax_grouped_axis0(42), 2, 62),
        (softmax_grouped_channels(43), 2, 44),
        (softmax_grouped_channels(43), 2, 63),
    ] {
        let c = Circuit::parse(&m.circuit_json).unwrap();
        let input = input_for(&c, 1, seed);
        let (honest, _) = witness(&c, &m.model_stack, &input, 1);
        check_relations(&m, &input, &honest, 1, 5).unwrap();
        let cheats = softmax_cheats::grouped_cheats(&m, &c, &input, gm);
        assert_eq!(cheats.len(), 11);
        for ch in cheats {
            assert_ne!(ch.cols, honest, "{}", ch.name);
            let e = check_relations(&m, &input, &ch.cols, 1, 5).unwrap_err();
            assert!(e.contains(ch.relation), "{}: {e}", ch.name);
        }
    }
}

/// `L = 16`: limbs of 16 bits with an exact top limb, and `m` of `2^16` entries
/// counting every lookup (the scaled one of a narrow limb too), against a naive count.
#[test]
fn limb16_columns_and_multiplicities() {
    assert_eq!(limb_widths(13, 16), vec![13]);
    assert_eq!(limb_widths(40, 16), vec![16, 16, 8]);
    assert_eq!(limb_widths(40, 8), vec![8; 5]);
    let (slots, _) = leaf_slots(&[(16, 3), (6, 3)], 16);
    let scales: Vec<u64> = slots.iter().map(|s| s.scale).collect();
    assert_eq!(scales, vec![1, 1, 1 << 10]);
    let m8 = tables(34);
    let m16 = with_limb_bits(tables(34), 16);
    let c8 = Circuit::parse(&m8.circuit_json).unwrap();
    let c16 = Circuit::parse(&m16.circuit_json).unwrap();
    assert!(c16.columns().len() < c8.columns().len());
    let input = input_for(&c16, 3, 2);
    let (cols, _) = witness(&c16, &m16.model_stack, &input, 3);
    let mult = prover::multiplicities(&c16, &cols);
    assert_eq!(mult.len(), 1 << 16);
    let mut naive = vec![0i64; 1 << 16];
    for (s, col) in c16.columns().iter().zip(&cols) {
        for &v in col {
            naive[v as usize] += 1;
            if s.width < 16 {
                naive[(v << (16 - s.width)) as usize] += 1;
            }
        }
    }
    assert_eq!(mult, naive);
    // Same values as with L = 8 (the 14-bit dense output: 2 limbs -> 1).
    let (cols8, out8) = witness(&c8, &m8.model_stack, &input, 3);
    let (_, out16) = witness(&c16, &m16.model_stack, &input, 3);
    assert_eq!(out8, out16);
    assert_ne!(cols8.len(), cols.len());
}

/// Every malformed variant is refused (never a panic).
#[test]
fn malformed_row_circuits_are_refused() {
    let parse = |v: &Value| Circuit::parse(&serde_json::to_vec(v).unwrap());
    let base: Value = serde_json::from_slice(&softmax_head(41).circuit_json).unwrap();
    assert!(parse(&base).is_ok());
    for lb in [
        json!(7),
        json!(32),
        json!(0),
        json!("8"),
        json!(true),
        json!(8.0),
    ] {
        let mut v = base.clone();
        v["limb_bits"] = lb.clone();
        assert!(parse(&v).is_err(), "limb_bits {lb}");
    }
    let mut v = base.clone();
    v.as_object_mut().unwrap().remove("limb_bits");
    assert!(parse(&v).is_err(), "limb_bits missing");
    let mut v = base.clone();
    v["limb_bits"] = json!(16);
    assert!(parse(&v).is_ok());
    // (gadget, inside the producer?, key, value or None to delete)
    let edits: Vec<(usize, bool, &str, Option<Value>)> = vec![
        (1, true, "n", Some(json!(0))),
        (1, true, "n", Some(json!(17))),
        (1, true, "n", None),
        (1, true, "diff_bits", Some(json!(0))),
        (1, true, "diff_bits", Some(json!(65))),
        (1, false, "features", Some(json!(2))),
        (1, false, "shift", Some(json!(1))),
        (1, false, "divisor", Some(json!(3))),
        (1, false, "excess_hi_bits", Some(json!(1))),
        (1, false, "lo", Some(json!(-127))),
        (1, false, "hi", Some(json!(126))),
        (1, true, "x", Some(json!(1))),
        (1, true, "extra", Some(json!(1))),
        (2, true, "y", Some(json!(4))), // a later gadget
        (2, true, "x", Some(json!(1))), // a one-feature x is not broadcast
        (5, true, "y", Some(json!(5))), // y is not an earlier tensor
        (5, true, "x", Some(json!(1))),
        (5, true, "rem_bits", Some(json!(0))),
        (5, true, "rem_bits", Some(json!(65))),
        (5, true, "lshift", Some(json!(65))),
        (5, true, "lshift", None),
        (5, false, "shift", Some(json!(1))),
        (5, false, "divisor", Some(json!(3))),
        (5, false, "features", Some(json!(9))),
        (4, true, "in_shape", Some(json!([1, 17]))),
        (4, true, "in_shape", Some(json!([2, 10]))),
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
    // A row sum over [1, 9] of the 10-feature (16 wide) tensor reads 9 entries: fine.
    let mut v = base.clone();
    v["gadgets"][4]["producer"]["in_shape"] = json!([1, 9]);
    assert!(parse(&v).is_ok());
    // Grouped rows (section 12): the 6-wide input as y of the 10-feature add is a row
    // value of G = 6 groups of P = 16 / 8 = 2; a rowdiv y of 10 features has P = 1.
    for (g, key, val) in [(2, "y", json!("input")), (5, "y", json!(3))] {
        let mut v = base.clone();
        v["gadgets"][g]["producer"][key] = val;
        assert!(parse(&v).is_ok(), "gadget {g} {key}");
    }
}

/// Grouped rows (section 12) on softmax_grouped_axis0: 0 dense 15, 1 rearrange
/// `[3, 5]` (32 wide), 2 rowmax (G = 3, P = 8), 3 add, 4 exp table, 5 row sum,
/// 6 rowdiv, 7 rearrange back. `n <= P`, `pad(G)` divides the wide width.
#[test]
fn malformed_grouped_circuits_are_refused() {
    let parse = |v: &Value| Circuit::parse(&serde_json::to_vec(v).unwrap());
    let base: Value = serde_json::from_slice(&softmax_grouped_axis0(42).circuit_json).unwrap();
    assert!(parse(&base).is_ok());
    // (gadget, edits: (inside the producer?, key, value)), accepted?
    type Edit = (bool, &'static str, Value);
    let cases: Vec<(usize, Vec<Edit>, bool)> = vec![
        (2, vec![(true, "n", json!(8))], true),
        (2, vec![(true, "n", json!(9))], false), // n > P
        (2, vec![(false, "features", json!(4))], true),
        (2, vec![(false, "features", json!(5))], false), // P = 4 < n = 5
        (2, vec![(false, "features", json!(0))], false),
        (2, vec![(false, "features", json!(33))], false), // pad(G) > 32
        (3, vec![(true, "x", json!(2))], false),          // x narrower than features
        (3, vec![(true, "y", json!(0))], true),           // G = 15 groups of P = 2
        (6, vec![(true, "y", json!(0))], true),
        (6, vec![(true, "y", json!(6))], false),
        // x of 3 features, y 32 wide: pad(G) does not divide pad(features).
        (
            6,
            vec![
                (true, "x", json!(5)),
                (true, "y", json!(1)),
                (false, "features", json!(3)),
            ],
            false,
        ),
        // a 3-wide add with a 32-wide y.
        (
            3,
            vec![
                (true, "x", json!(2)),
                (true, "y", json!(1)),
                (false, "features", json!(3)),
            ],
            false,
        ),
    ];
    for (g, edits, ok) in cases {
        let mut v = base.clone();
        for (inner, key, val) in &edits {
            let obj = if *inner {
                &mut v["gadgets"][g]["producer"]
            } else {
                &mut v["gadgets"][g]
            };
            obj[*key] = val.clone();
        }
        match parse(&v) {
            Ok(_) => assert!(ok, "gadget {g} {edits:?} accepted"),
            Err(e) => {
                // Refused by the edited gadget's own checks.
                assert!(!ok, "gadget {g} {edits:?}: {e}");
                assert!(e.to_string().contains(&format!("gadget {g}:")), "{e}");
            }
        }
    }
}
