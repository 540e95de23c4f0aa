//! The circuit schema (circuits/circuit.schema.json) against the Rust parser: every
//! limit constant equals the schema's limit table, and the parser rejects every case
//! of the schema-generated mutation corpus (circuits/vectors/circuit_mutations.json,
//! written by tests/circuit_mutations.py) while accepting its base circuits.

use std::path::PathBuf;

use serde_json::Value;
use zkml_core::inference::circuit::Circuit;
use zkml_core::inference::limits as lim;

fn circuits_file(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../circuits")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("circuits file");
    serde_json::from_str(&text).expect("circuits JSON")
}

#[test]
fn limits_equal_the_schema_table() {
    let schema = circuits_file("circuit.schema.json");
    let table = schema["limits"].as_object().expect("limit table");
    let ours: Vec<(&str, i128)> = vec![
        ("MAX_FEATURES", lim::MAX_FEATURES as i128),
        ("MAX_BITS", lim::MAX_BITS as i128),
        ("MAX_INPUT_BITS", lim::MAX_INPUT_BITS as i128),
        ("MAX_FRAC_BITS", lim::MAX_FRAC_BITS as i128),
        ("MAX_ABS_BOUND", lim::MAX_ABS_BOUND as i128),
        ("MAX_DIVISOR", lim::MAX_DIVISOR as i128),
        ("MAX_RANGE_BITS", lim::MAX_RANGE_BITS as i128),
        ("MAX_NUM_VARS", lim::MAX_NUM_VARS as i128),
        ("MAX_GADGETS", lim::MAX_GADGETS as i128),
        ("MAX_AFFINE_TERMS", lim::MAX_AFFINE_TERMS as i128),
        ("MAX_AFFINE_COEFF", lim::MAX_AFFINE_COEFF as i128),
        ("MAX_TABLE_BITS", lim::MAX_TABLE_BITS as i128),
        ("MAX_WINDOW_TAPS", lim::MAX_WINDOW_TAPS as i128),
        ("MAX_WIRE_LEN", lim::MAX_WIRE_LEN as i128),
        ("MAX_WIRE_STEP", lim::MAX_WIRE_STEP as i128),
        ("MAX_CONCAT_PARTS", lim::MAX_CONCAT_PARTS as i128),
        ("MAX_REARRANGE_PARTS", lim::MAX_REARRANGE_PARTS as i128),
        ("MAX_VIEW_DIMS", lim::MAX_VIEW_DIMS as i128),
        ("MAX_REARRANGE_BLOCKS", lim::MAX_REARRANGE_BLOCKS as i128),
        ("MAX_REARRANGE_STRIDE", lim::MAX_REARRANGE_STRIDE as i128),
        (
            "MAX_CIRCUIT_JSON_BYTES",
            lim::MAX_CIRCUIT_JSON_BYTES as i128,
        ),
        ("MAX_JSON_DEPTH", lim::MAX_JSON_DEPTH as i128),
    ];
    for (name, value) in &ours {
        let want = table[*name]["value"].as_i64().expect("integer limit") as i128;
        assert_eq!(*value, want, "{name}");
    }
    let limb: Vec<u64> = table["LIMB_BITS"]["values"]
        .as_array()
        .expect("values")
        .iter()
        .map(|v| v.as_u64().expect("integer"))
        .collect();
    assert_eq!(limb, lim::LIMB_BITS.map(u64::from).to_vec());
    // Every limit of the schema has its constant here.
    assert_eq!(
        table.len(),
        ours.len() + 1,
        "a schema limit without a Rust constant"
    );
}

/// `doc` with an RFC 6902 `add` / `replace` / `remove` operation applied.
fn apply(doc: &mut Value, op: &Value) {
    let path = op["path"].as_str().expect("path");
    let (parent, last) = path.rsplit_once('/').expect("pointer");
    let last = last.replace("~1", "/").replace("~0", "~");
    let node = doc.pointer_mut(parent).expect("parent exists");
    let kind = op["op"].as_str().expect("op");
    match node {
        Value::Array(items) => {
            let idx = if last == "-" {
                items.len()
            } else {
                last.parse().expect("index")
            };
            match kind {
                "add" => items.insert(idx, op["value"].clone()),
                "replace" => items[idx] = op["value"].clone(),
                _ => {
                    items.remove(idx);
                }
            }
        }
        Value::Object(map) => {
            if kind == "remove" {
                map.remove(&last);
            } else {
                map.insert(last, op["value"].clone());
            }
        }
        _ => panic!("{path}: parent is not a container"),
    }
}

#[test]
fn the_parser_rejects_every_mutation() {
    let corpus = circuits_file("vectors/circuit_mutations.json");
    let bases = corpus["bases"].as_object().expect("bases");
    for (name, text) in bases {
        let text = text.as_str().expect("circuit text");
        if let Err(e) = Circuit::parse(text.as_bytes()) {
            panic!("base {name} is rejected: {e}");
        }
    }
    let cases = corpus["cases"].as_array().expect("cases");
    assert!(cases.len() > 500, "the corpus is unexpectedly small");
    let mut accepted = Vec::new();
    for case in cases {
        let base = bases[case["base"].as_str().expect("base")]
            .as_str()
            .expect("text");
        let mut doc: Value = serde_json::from_str(base).expect("base JSON");
        for op in case["patch"].as_array().expect("patch") {
            apply(&mut doc, op);
        }
        let bytes = serde_json::to_vec(&doc).expect("encode");
        // A panic is a parser bug as much as an acceptance: both are collected.
        let verdict = std::panic::catch_unwind(|| Circuit::parse(&bytes).is_ok());
        if !matches!(verdict, Ok(false)) {
            let what = if verdict.is_ok() {
                "accepted"
            } else {
                "panicked"
            };
            accepted.push(format!(
                "{what} {} [{}]: {}",
                case["base"], case["rule"], case["why"]
            ));
        }
    }
    assert!(
        accepted.is_empty(),
        "mutations not rejected:\n{}",
        accepted.join("\n")
    );
}
