//! Rearranging tensors (circuits/rearrange.md): strict parsing, the reference
//! witness satisfies every relation (support/relations.rs, with the verifier's
//! evaluation of `Sel_k`) at batch 1 and 3, proofs are produced, and each cheating
//! case of the vectors breaks the relation it names.

use serde_json::{json, Value};
use zkml_core::field::Fr;
use zkml_core::inference::circuit::{Circuit, TensorRef};
use zkml_core::inference::rearrange::{rearrange_params, rearrange_parts, set_part_skew};
use zkml_core::inference::tensors::Columns;
use zkml_core::inference::testkit::{verifying_key, witness, witness_tampered, TestModel};
use zkml_core::inference::testkit_rearrange::{
    rearrange_concat3, rearrange_concat_h, rearrange_reshape, rearrange_transpose,
    rearrange_width_one,
};
use zkml_core::inference::{prove, InferenceInput};
use zkml_core::pcs::hyrax::Hyrax;
use zkml_core::testing::{rand_frs, rand_small};

#[path = "support/relations.rs"]
mod relations;
use relations::check_relations;

#[path = "support/rearrange_cheats.rs"]
mod rearrange_cheats;
use rearrange_cheats::{rearrange_gadget, set_padding, swap_neighbours};

fn models() -> Vec<(&'static str, TestModel)> {
    vec![
        ("rearrange_transpose", rearrange_transpose(71)),
        ("rearrange_reshape", rearrange_reshape(72)),
        ("rearrange_concat_h", rearrange_concat_h(73)),
        ("rearrange_concat3", rearrange_concat3(74)),
        ("rearrange_width_one", rearrange_width_one(75)),
    ]
}

fn input_for(c: &Circuit, batch: usize, seed: u64) -> Vec<i64> {
    rand_small(batch * c.input.features, c.input.bits, seed)
}

#[test]
fn rearrange_relations_hold_at_random_points() {
    for (name, m) in models() {
        let c = Circuit::parse(&m.circuit_json).unwrap();
        for batch in [1usize, 3] {
            let input = input_for(&c, batch, 5 + batch as u64);
            let (cols, _) = witness(&c, &m.model_stack, &input, batch);
            if let Err(e) = check_relations(&m, &input, &cols, batch, 9) {
                panic!("{name} batch {batch}: {e}");
            }
        }
    }
}

fn prove_model(h: &Hyrax, m: &TestModel, input: &[i64], batch: usize) -> Vec<u8> {
    let c = Circuit::parse(&m.circuit_json).unwrap();
    let (_, digest) = verifying_key(h, m);
    let (cols, out) = witness(&c, &m.model_stack, input, batch);
    prove(
        h,
        InferenceInput {
            circuit_json: &m.circuit_json,
            model_stack: &m.model_stack,
            columns: cols,
            batch,
            input,
            output: &out,
            vk_digest: digest,
        },
    )
    .unwrap()
}

#[test]
fn rearrange_proofs_are_produced_for_every_model_and_batch() {
    let h = Hyrax::default();
    for (name, m) in models() {
        let c = Circuit::parse(&m.circuit_json).unwrap();
        for batch in [1usize, 3] {
            let input = input_for(&c, batch, 11);
            let proof = prove_model(&h, &m, &input, batch);
            assert!(proof.len() > 1000, "{name}");
        }
    }
}

/// The skew hook changes the parts' values sent (sum kept) and the proof, and the
/// skewed claims fail the first part's sumcheck.
#[test]
fn part_skew_keeps_the_sum_and_fails_a_part() {
    let h = Hyrax::default();
    for m in [rearrange_concat_h(73), rearrange_concat3(74)] {
        let c = Circuit::parse(&m.circuit_json).unwrap();
        let g = rearrange_gadget(&c);
        let input = input_for(&c, 1, 3);
        let (cols, _) = witness(&c, &m.model_stack, &input, 1);
        let cc = Columns::new(&c, &cols);
        let r = rand_frs(c.gadget_vars(g, 1), 4);
        let honest = rearrange_parts(&c, &cc, (&input, 1), g, &r).unwrap();
        set_part_skew(5);
        let skewed = rearrange_parts(&c, &cc, (&input, 1), g, &r).unwrap();
        let cheat = prove_model(&h, &m, &input, 1);
        let err = check_relations(&m, &input, &cols, 1, 9).unwrap_err();
        set_part_skew(0);
        assert_eq!(skewed[0], honest[0] + Fr::from(5u64));
        assert_eq!(
            skewed.iter().copied().sum::<Fr>(),
            honest.iter().copied().sum::<Fr>()
        );
        assert_ne!(cheat, prove_model(&h, &m, &input, 1));
        assert!(
            err.contains(&format!("gadget {g}: rearrange instance 0")),
            "{err}"
        );
    }
}

#[test]
fn rearrange_cheats_break_the_named_relation() {
    let what = "rearrange sum_k E_k == acc(r_g)";
    for batch in [1usize, 3] {
        for (_, m) in models() {
            let c = Circuit::parse(&m.circuit_json).unwrap();
            let g = rearrange_gadget(&c);
            let input = input_for(&c, batch, 41);
            let (honest, _) = witness(&c, &m.model_stack, &input, batch);
            let swap = swap_neighbours(&c, &m, &input, batch);
            let pad = set_padding(&c, g);
            for tamper in [&swap as &dyn Fn(&mut [i128]), &pad] {
                let (cols, _) = witness_tampered(&c, &m.model_stack, &input, batch, g, tamper);
                assert_ne!(cols, honest);
                let err = check_relations(&m, &input, &cols, batch, 5).unwrap_err();
                assert!(err.contains(&format!("gadget {g}: {what}")), "{err}");
            }
        }
    }
}

/// The map agrees with the builder's intent on one entry per model.
#[test]
fn index_maps_by_hand() {
    let c = Circuit::parse(&rearrange_transpose(71).circuit_json).unwrap();
    let (parts, map) = rearrange_params(&c, 1).unwrap();
    assert_eq!(parts, &[TensorRef::Gadget(0)]);
    // Output (h, w, c) = (1, 2, 1) is logical 1 * 18 + 2 * 3 + 1 = 25; it reads
    // channel 1, row 1, column 2 of the [4, 8, 8]-padded map.
    let e = map.entries[25];
    assert_eq!((e.dst, e.part, e.src), (25, 0, 64 + 8 + 2));
    let c = Circuit::parse(&rearrange_reshape(72).circuit_json).unwrap();
    let (_, map) = rearrange_params(&c, 1).unwrap();
    // Flat entry 44 is (4, 2, 2) of [5, 3, 3], padded [8, 4, 4].
    let e = map.entries[44];
    assert_eq!((e.dst, e.part, e.src), (4 * 16 + 2 * 4 + 2, 0, 44));
}

fn edit(m: &TestModel, g: usize, f: impl Fn(&mut Value)) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(&m.circuit_json).unwrap();
    f(&mut v["gadgets"][g]["producer"]);
    serde_json::to_vec(&v).unwrap()
}

#[test]
fn rearrange_parsing_is_strict() {
    let tr = rearrange_transpose(71);
    let cat = rearrange_concat3(74);
    let ok = |j: &[u8]| Circuit::parse(j).is_ok();
    assert!(ok(&tr.circuit_json) && ok(&cat.circuit_json));
    let gc = rearrange_gadget(&Circuit::parse(&cat.circuit_json).unwrap());
    let bad: Vec<Vec<u8>> = vec![
        // No parts; 65 parts.
        edit(&tr, 1, |p| {
            p["parts"] = json!([]);
            p["shapes"] = json!([]);
            p["views"] = json!([]);
        }),
        edit(&tr, 1, |p| {
            p["parts"] = json!(vec![0; 65]);
            p["shapes"] = json!(vec![[3, 5, 6]; 65]);
            p["views"] = json!(vec![[3, 5, 6]; 65]);
            p["out_shape"] = json!([90 * 65]);
        }),
        // Shapes and views of another length than parts.
        edit(&cat, gc, |p| p["shapes"] = json!([[3, 5, 6], [18]])),
        edit(&cat, gc, |p| p["views"] = json!([[3, 5, 6], [3, 1, 6]])),
        // A part's layout does not match its width (flat 18 read as 16; a [3, 5, 6]
        // map read as flat).
        edit(&cat, gc, |p| {
            p["shapes"][1] = json!([16]);
            p["views"][1] = json!([2, 1, 8]);
        }),
        edit(&tr, 1, |p| p["shapes"][0] = json!([90])),
        // A layout of 4 dims.
        edit(&tr, 1, |p| p["shapes"][0] = json!([3, 5, 6, 1])),
        // A view not covering its part; views disagreeing off the axis.
        edit(&tr, 1, |p| p["views"][0] = json!([3, 5, 5])),
        edit(&cat, gc, |p| p["views"][1] = json!([1, 3, 6])),
        // Views of different lengths; 7 dims; a zero dim.
        edit(&cat, gc, |p| p["views"][1] = json!([3, 6])),
        edit(&tr, 1, |p| {
            p["views"][0] = json!([3, 5, 6, 1, 1, 1, 1]);
            p["perm"] = json!([1, 2, 0, 3, 4, 5, 6]);
        }),
        edit(&tr, 1, |p| p["views"][0] = json!([3, 5, 6, 0])),
        // Axis out of range; negative.
        edit(&tr, 1, |p| p["axis"] = json!(3)),
        edit(&tr, 1, |p| p["axis"] = json!(-1)),
        // Perm repeated, too short, out of range.
        edit(&tr, 1, |p| p["perm"] = json!([1, 1, 0])),
        edit(&tr, 1, |p| p["perm"] = json!([1, 0])),
        edit(&tr, 1, |p| p["perm"] = json!([1, 3, 0])),
        // out_shape with another count; features not n / prod pad(out_shape).
        edit(&tr, 1, |p| p["out_shape"] = json!([91])),
        edit(&tr, 1, |p| p["out_shape"] = json!([3, 30])),
        // A later gadget as a part; a part that is not a tensor reference.
        edit(&cat, gc, |p| p["parts"][2] = json!(gc)),
        edit(&cat, gc, |p| p["parts"][2] = json!("x")),
        // Missing and unknown keys.
        edit(&tr, 1, |p| {
            p.as_object_mut().unwrap().remove("perm");
        }),
        edit(&tr, 1, |p| p["x"] = json!(0)),
    ];
    for (i, j) in bad.iter().enumerate() {
        match Circuit::parse(j) {
            Ok(_) => panic!("case {i} must be rejected"),
            Err(e) => assert!(matches!(e, zkml_core::error::Error::InvalidArgument(_))),
        }
    }
    // A flat output's features are n, not pad(n).
    let mut v: Value = serde_json::from_slice(&tr.circuit_json).unwrap();
    v["gadgets"][1]["features"] = json!(128);
    assert!(!ok(&serde_json::to_vec(&v).unwrap()));
}
