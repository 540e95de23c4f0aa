//! Divisors, spatial sums and function tables (circuits/nonlinear.md): strict
//! parsing, the reference witness satisfies every relation (support/relations.rs)
//! at batch 1 and 3, proofs are produced, and each cheating witness of the vectors
//! breaks the relation its case names.

use serde_json::{json, Value};
use zkml_core::inference::circuit::{Circuit, ColumnKind};
use zkml_core::inference::table;
use zkml_core::inference::testkit::{
    verifying_key, witness, witness_edited, witness_tampered, Requantized, TestModel,
};
use zkml_core::inference::testkit_nonlinear::{gap_dense, ssum_1d, ssum_2d, tables};
use zkml_core::inference::{prove, prove_with_table_multiplicities};
use zkml_core::pcs::hyrax::Hyrax;

#[path = "support/relations.rs"]
mod relations;
use relations::{check_relations, check_tables, relations_hold};

#[path = "support/runs.rs"]
mod runs;
use runs::{inference_input, input_for, proofs_are_produced};

fn models() -> Vec<(&'static str, TestModel)> {
    vec![
        ("gap_dense", gap_dense(31)),
        ("ssum_2d", ssum_2d(32)),
        ("ssum_1d", ssum_1d(33)),
        ("tables", tables(34)),
    ]
}

#[test]
fn nonlinear_relations_hold_at_random_points() {
    relations_hold(&models(), 5, 9);
}

#[test]
fn nonlinear_proofs_are_produced_for_every_model_and_batch() {
    proofs_are_produced(&models());
}

/// The multiplicities `t_g` count `x - lo_x` over the whole padded operand: for a
/// table on the input, the zero padding counts at `j = 2^(b-1)`.
#[test]
fn table_multiplicities_count_the_padded_operand() {
    let m = tables(34);
    let c = Circuit::parse(&m.circuit_json).unwrap();
    for batch in [1usize, 3] {
        let input = input_for(&c, batch, 3);
        let (cols, _) = witness(&c, &m.model_stack, &input, batch);
        let tm = table::multiplicities(&c, &cols, &input, batch);
        assert_eq!(tm.len(), 2);
        assert_eq!((tm[0].len(), tm[1].len()), (256, 4096));
        // Naive count for the input-fed table: every padded entry of the input.
        let bp = batch.next_power_of_two();
        let mut naive = vec![0i64; 256];
        for r in 0..bp {
            for f in 0..8 {
                let v = if r < batch && f < 6 {
                    input[r * 6 + f]
                } else {
                    0
                };
                naive[(v + 128) as usize] += 1;
            }
        }
        assert_eq!(tm[0], naive);
        let total = (bp * 8) as i64;
        assert!(tm.iter().all(|t| t.iter().sum::<i64>() == total));
    }
}

/// A cheating prover's cases, as in the vectors: each breaks the named relation.
#[test]
fn nonlinear_cheats_break_the_named_relation() {
    let batch = 1;
    // gap_dense: gadget 1 is the spatialsum with divisor 49.
    let m = gap_dense(31);
    let c = Circuit::parse(&m.circuit_json).unwrap();
    let input = input_for(&c, batch, 41);
    let g = 1;
    let d = c.gadgets[g].divisor as i128;
    let err = |cols: &[Vec<i64>]| check_relations(&m, &input, cols, batch, 5).unwrap_err();
    let bump = |z: &mut [i128]| {
        let i = z.iter().position(|v| *v < 127).unwrap();
        z[i] += 1;
    };
    let (cols, _) = witness_tampered(&c, &m.model_stack, &input, batch, g, &bump);
    assert!(err(&cols).contains("spatialsum instance"));
    let over = |p: &mut Requantized| {
        let i = p.z.iter().position(|v| *v > 0).unwrap();
        p.z[i] -= 1;
        p.rem[i] += d;
        p.remc[i] = d - 1 - p.rem[i];
    };
    let (cols, _) = witness_edited(&c, &m.model_stack, &input, batch, g, &over);
    assert!(err(&cols).contains("range"), "{}", err(&cols));
    let off = |p: &mut Requantized| {
        let i = p.z.iter().position(|v| *v > 0).unwrap();
        p.remc[i] += if p.remc[i] == 0 { 1 } else { -1 };
    };
    let (cols, _) = witness_edited(&c, &m.model_stack, &input, batch, g, &off);
    assert!(err(&cols).contains("rem + remc"), "{}", err(&cols));
    let (honest, _) = witness(&c, &m.model_stack, &input, batch);
    let (cols, _) = padded_sum_witness(&m, &c, &input);
    assert_ne!(cols, honest, "the conv's padding must be nonzero");
    assert!(err(&cols).contains("spatialsum instance"));

    // tables: a wrong output of the tanh table (gadget 3), or of the input-fed one.
    let m = tables(34);
    let c = Circuit::parse(&m.circuit_json).unwrap();
    let input = input_for(&c, batch, 42);
    for g in [0usize, 3] {
        let (cols, _) = witness_tampered(&c, &m.model_stack, &input, batch, g, &bump);
        let e = check_relations(&m, &input, &cols, batch, 5).unwrap_err();
        assert!(e.contains("table LogUp"), "{e}");
    }
    let (cols, _) = witness(&c, &m.model_stack, &input, batch);
    let mut tm = table::multiplicities(&c, &cols, &input, batch);
    tm[1][7] += 1;
    let e = check_tables(&m, &input, &cols, batch, &tm, 5).unwrap_err();
    assert!(e.contains("table LogUp"), "{e}");
}

/// gap_dense's cheat "spatialsum includes a padded entry": gadget 1's accumulator
/// sums the whole padded 8x8 map of the conv output (gadget 0).
pub fn padded_sum_witness(m: &TestModel, c: &Circuit, input: &[i64]) -> (Vec<Vec<i64>>, Vec<i64>) {
    let (honest, _) = witness(c, &m.model_stack, input, 1);
    let u0 = c
        .columns()
        .iter()
        .position(|s| s.gadget == 0 && s.kind == ColumnKind::U)
        .unwrap();
    let xt: Vec<i128> = honest[u0].iter().map(|v| *v as i128).collect();
    let acc = zkml_core::inference::spatialsum::reference_acc(&[4, 8, 8], 0, &xt, 1);
    let g = c.gadgets[1].clone();
    let edit = move |p: &mut Requantized| {
        *p = zkml_core::inference::testkit::requantize(&g, &acc);
    };
    witness_edited(c, &m.model_stack, input, 1, 1, &edit)
}

#[test]
fn table_multiplicities_can_be_injected() {
    let h = Hyrax::default();
    let m = tables(34);
    let c = Circuit::parse(&m.circuit_json).unwrap();
    let (_, digest) = verifying_key(&h, &m);
    let input = input_for(&c, 1, 42);
    let (cols, out) = witness(&c, &m.model_stack, &input, 1);
    let tm = table::multiplicities(&c, &cols, &input, 1);
    let inp = || inference_input(&m, digest, 1, &input, cols.clone(), &out);
    let run = |tm: Vec<Vec<i64>>| prove_with_table_multiplicities(&h, inp(), tm);
    let honest = prove(&h, inp()).unwrap();
    assert_eq!(run(tm.clone()).unwrap(), honest);
    let mut wrong = tm.clone();
    wrong[0][3] += 1;
    assert_ne!(run(wrong).unwrap(), honest);
    assert!(run(vec![tm[0].clone()]).is_err());
    assert!(run(vec![tm[0].clone(), vec![0; 8]]).is_err());
}

/// Every malformed variant of the nonlinear circuits is refused (never a panic).
#[test]
fn malformed_nonlinear_circuits_are_refused() {
    let parse = |v: &Value| Circuit::parse(&serde_json::to_vec(v).unwrap());
    let gap: Value = serde_json::from_slice(&gap_dense(31).circuit_json).unwrap();
    let tab: Value = serde_json::from_slice(&tables(34).circuit_json).unwrap();
    let s1d: Value = serde_json::from_slice(&ssum_1d(33).circuit_json).unwrap();
    assert!(parse(&gap).is_ok() && parse(&tab).is_ok() && parse(&s1d).is_ok());
    // (model, gadget, inside the producer?, key, new value or None to delete)
    let edits: Vec<(&Value, usize, bool, &str, Option<Value>)> = vec![
        (&gap, 0, false, "divisor", None),
        (&gap, 0, false, "divisor", Some(json!(0))),
        (&gap, 0, false, "divisor", Some(json!(-3))),
        (&gap, 0, false, "divisor", Some(json!(1u64 << 40))),
        (&gap, 0, false, "divisor", Some(json!(true))),
        (&gap, 0, false, "divisor", Some(json!(49.0))),
        (&gap, 0, false, "divisor", Some(json!(3))), // with shift 6
        (&gap, 1, false, "shift", Some(json!(1))),   // with divisor 49
        (&gap, 1, false, "features", Some(json!(4))),
        (&gap, 1, true, "in_shape", Some(json!([3, 7]))),
        (&gap, 1, true, "in_shape", Some(json!([3, 7, 7, 1]))),
        (&gap, 1, true, "in_shape", Some(json!([3, 0, 7]))),
        (&gap, 1, true, "in_shape", Some(json!([3, 9, 7]))),
        (&gap, 1, true, "lshift", Some(json!(65))),
        (&gap, 1, true, "lshift", None),
        (&gap, 1, true, "x", Some(json!(1))),
        (&gap, 1, true, "window", Some(json!([7, 7]))),
        (&s1d, 1, true, "in_shape", Some(json!([2, 5]))),
        (&tab, 0, true, "table", Some(json!("tanh12"))),
        (&tab, 0, true, "table", Some(json!("nope"))),
        (&tab, 0, true, "table", None),
        (&tab, 0, true, "x", Some(json!(0))),
        (&tab, 0, false, "shift", Some(json!(1))),
        (&tab, 0, false, "divisor", Some(json!(3))),
        (&tab, 0, false, "excess_hi_bits", Some(json!(1))),
        (&tab, 0, false, "excess_lo_bits", Some(json!(1))),
        (&tab, 0, false, "features", Some(json!(8))),
        (&tab, 3, true, "x", Some(json!(1))), // 14-bit operand, 12-bit table
        (&tab, 3, true, "x", Some(json!("input"))),
        (&tab, 3, true, "extra", Some(json!(0))),
    ];
    for (base, g, inner, key, val) in edits {
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
    // A maxpool with a divisor (cnn_2d's gadget 1).
    let mut v: Value =
        serde_json::from_slice(&zkml_core::inference::testkit_cnn::cnn_2d(1).circuit_json).unwrap();
    v["gadgets"][1]["divisor"] = json!(3);
    assert!(parse(&v).is_err());
    // A table whose tensor is not one row, or not 2^t entries.
    let mut v = tab.clone();
    let ts = v["model_stack"]["tensors"].as_array_mut().unwrap();
    let sig = ts.iter_mut().find(|t| t["name"] == "sig8").unwrap();
    sig["cols"] = json!(255);
    assert!(parse(&v).is_err());
    // A table over a 1-feature operand (its lookup tree could have depth 0).
    let mut v = tab.clone();
    v["input"]["features"] = json!(1);
    v["gadgets"][0]["features"] = json!(1);
    assert!(parse(&v).is_err());
}
