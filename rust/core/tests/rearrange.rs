//! Rearranging tensors (circuits/rearrange.md): strict parsing, the reference
//! witness satisfies every relation (support/relations.rs, with the verifier's
//! evaluation of `Sel_k`) at batch 1 and 3, proofs are produced, and each cheating
//! case of the vectors breaks the relation it names.

use serde_json::{json, Value};
use zkml_core::field::Fr;
use zkml_core::inference::circuit::{Circuit, TensorRef};
use zkml_core::inference::circuit::{Producer, CIRCUIT_CHECK};
use zkml_core::inference::parts::set_part_skew;
use zkml_core::inference::rearrange::{rearrange_parts, Rearrange, RearrangeMap};

/// Gadget `g`'s rearrange producer: its parts and index map.
fn rearrange_params(c: &Circuit, g: usize) -> (&[TensorRef], &RearrangeMap) {
    let p = rearrange_of(c, g);
    (&p.parts, &p.map)
}

fn rearrange_of(c: &Circuit, g: usize) -> &Rearrange {
    match &c.gadgets[g].producer {
        Producer::Rearrange(p) => p,
        _ => panic!("gadget {g} is not a rearrange"),
    }
}
use zkml_core::inference::tensors::Columns;
use zkml_core::inference::testkit::{witness, witness_tampered, TestModel};
use zkml_core::inference::testkit_rearrange::{
    rearrange_broadcast, rearrange_choice, rearrange_concat3, rearrange_concat_h, rearrange_output,
    rearrange_reshape, rearrange_transpose, rearrange_width_one,
};
use zkml_core::pcs::hyrax::Hyrax;
use zkml_core::testing::rand_frs;

#[path = "support/relations.rs"]
mod relations;
use relations::{check_relations, relations_hold};

#[path = "support/runs.rs"]
mod runs;
use runs::{input_for, proofs_are_produced, prove_model};

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
        ("rearrange_broadcast", rearrange_broadcast(76)),
        ("rearrange_choice", rearrange_choice(77)),
        ("rearrange_output", rearrange_output(78, false)),
    ]
}

#[test]
fn rearrange_relations_hold_at_random_points() {
    relations_hold(&models(), 5, 9);
}

#[test]
fn rearrange_proofs_are_produced_for_every_model_and_batch() {
    proofs_are_produced(&models());
}

/// The skew hook changes the parts' values sent (sum kept) and the proof, and the
/// skewed claims fail the first part's sumcheck.
#[test]
fn part_skew_keeps_the_sum_and_fails_a_part() {
    let h = Hyrax::default();
    for m in [
        rearrange_concat_h(73),
        rearrange_concat3(74),
        rearrange_choice(77),
    ] {
        let c = Circuit::parse(&m.circuit_json).unwrap();
        let g = rearrange_gadget(&c);
        let input = input_for(&c, 1, 3);
        let (cols, _) = witness(&c, &m.model_stack, &input, 1);
        let cc = Columns::new(&c, &cols);
        let r = rand_frs(c.gadget_vars(g, 1), 4);
        let honest = rearrange_parts(&c, &cc, (&input, 1), rearrange_of(&c, g), &r).unwrap();
        set_part_skew(5);
        let skewed = rearrange_parts(&c, &cc, (&input, 1), rearrange_of(&c, g), &r).unwrap();
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
    let (parts, map) = rearrange_params(&c, 1);
    assert_eq!(parts, &[TensorRef::Gadget(0)]);
    // Output (h, w, c) = (1, 2, 1) is logical 1 * 18 + 2 * 3 + 1 = 25; it reads
    // channel 1, row 1, column 2 of the [4, 8, 8]-padded map.
    let e = map.entries[25];
    assert_eq!((e.dst, e.part, e.src), (25, 0, 64 + 8 + 2));
    let c = Circuit::parse(&rearrange_reshape(72).circuit_json).unwrap();
    let (_, map) = rearrange_params(&c, 1);
    // Flat entry 44 is (4, 2, 2) of [5, 3, 3], padded [8, 4, 4].
    let e = map.entries[44];
    assert_eq!((e.dst, e.part, e.src), (4 * 16 + 2 * 4 + 2, 0, 44));
    // The broadcast (gadget 2): output (2, 4, 5) reads the sum's entry 2.
    let c = Circuit::parse(&rearrange_broadcast(76).circuit_json).unwrap();
    let (parts, map) = rearrange_params(&c, 2);
    assert_eq!(parts, &[TensorRef::Gadget(1)]);
    let e = map.entries[2 * 30 + 4 * 6 + 5];
    assert_eq!((e.dst, e.part, e.src), (2 * 64 + 4 * 8 + 5, 0, 2));
    assert!(map.entries.iter().all(|e| e.src < 3));
    // The choice (gadget 2): (2, 3, 5) from the second conv, (1, 3, 5) from the
    // first, (0, 1, 0) from the first, each at the same position.
    let c = Circuit::parse(&rearrange_choice(77).circuit_json).unwrap();
    let (_, map) = rearrange_params(&c, 2);
    for ((ch, h, w), part) in [
        ((2, 3, 5), 1),
        ((1, 3, 5), 0),
        ((0, 1, 0), 0),
        ((1, 4, 3), 1),
    ] {
        let e = map.entries[ch * 30 + h * 6 + w];
        let pos = (ch * 64 + h * 8 + w) as u32;
        assert_eq!((e.dst, e.part, e.src), (pos, part, pos));
    }
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
    // tr's block: part 0, start [0, 0, 0], size [5, 6, 3], strides [6, 1, 30]
    // over dims [5, 6, 3]; cat's: three blocks over [3, 6, 9] along axis 2.
    let bad: Vec<Vec<u8>> = vec![
        // No parts; 65 parts.
        edit(&tr, 1, |p| {
            p["parts"] = json!([]);
            p["shapes"] = json!([]);
        }),
        edit(&tr, 1, |p| {
            p["parts"] = json!(vec![0; 65]);
            p["shapes"] = json!(vec![[3, 5, 6]; 65]);
        }),
        // Shapes of another length than parts.
        edit(&cat, gc, |p| p["shapes"] = json!([[3, 5, 6], [18]])),
        // A part's layout does not match its width (flat 18 read as 16; a [3, 5, 6]
        // map read as flat); a layout of 4 dims; a zero dim.
        edit(&cat, gc, |p| p["shapes"][1] = json!([16])),
        edit(&tr, 1, |p| p["shapes"][0] = json!([90])),
        edit(&tr, 1, |p| p["shapes"][0] = json!([3, 5, 6, 1])),
        edit(&tr, 1, |p| p["shapes"][0] = json!([3, 0, 6])),
        // dims: another count, empty, 7 dims, a zero dim, negative, not a list.
        edit(&tr, 1, |p| p["dims"] = json!([5, 6, 4])),
        edit(&tr, 1, |p| p["dims"] = json!([])),
        edit(&tr, 1, |p| {
            p["dims"] = json!([5, 6, 3, 1, 1, 1, 1]);
            p["blocks"][0]["start"] = json!(vec![0; 7]);
            p["blocks"][0]["size"] = json!([5, 6, 3, 1, 1, 1, 1]);
            p["blocks"][0]["strides"] = json!([6, 1, 30, 0, 0, 0, 0]);
        }),
        edit(&tr, 1, |p| p["dims"] = json!([5, 6, 3, 0])),
        edit(&tr, 1, |p| p["dims"] = json!([-5, 6, 3])),
        edit(&tr, 1, |p| p["dims"] = json!(90)),
        // blocks: none, 4097, not a list, not an object.
        edit(&tr, 1, |p| p["blocks"] = json!([])),
        edit(&tr, 1, |p| {
            p["dims"] = json!([90]);
            let one = json!({"part": 0, "start": [0], "size": [1], "offset": 0, "strides": [0]});
            let mut v = vec![one; 4097];
            for (j, b) in v.iter_mut().enumerate() {
                b["start"] = json!([j % 90]);
            }
            p["blocks"] = json!(v);
        }),
        edit(&tr, 1, |p| p["blocks"] = p["blocks"][0].clone()),
        edit(&tr, 1, |p| p["blocks"] = json!([0])),
        // A block's part out of range; start, size or strides of another length.
        edit(&tr, 1, |p| p["blocks"][0]["part"] = json!(1)),
        edit(&cat, gc, |p| p["blocks"][1]["part"] = json!(3)),
        edit(&tr, 1, |p| p["blocks"][0]["start"] = json!([0, 0])),
        edit(&tr, 1, |p| p["blocks"][0]["size"] = json!([5, 6, 3, 1])),
        edit(&tr, 1, |p| p["blocks"][0]["strides"] = json!([6, 1])),
        // A box outside dims; a zero size (and the rest uncovered).
        edit(&tr, 1, |p| p["blocks"][0]["start"] = json!([1, 0, 0])),
        edit(&tr, 1, |p| p["blocks"][0]["size"] = json!([5, 6, 4])),
        edit(&tr, 1, |p| p["blocks"][0]["size"] = json!([5, 0, 3])),
        // Blocks overlapping (same volume, a row uncovered); one missing; one twice.
        edit(&cat, gc, |p| p["blocks"][1]["start"] = json!([0, 0, 4])),
        edit(&cat, gc, |p| {
            p["blocks"].as_array_mut().unwrap().remove(1);
        }),
        edit(&cat, gc, |p| {
            let b = p["blocks"][1].clone();
            p["blocks"].as_array_mut().unwrap().push(b);
        }),
        // Reading past the part (the corner); offset or stride at 2^31; negative;
        // fractional; a string.
        edit(&tr, 1, |p| p["blocks"][0]["offset"] = json!(1)),
        edit(&tr, 1, |p| p["blocks"][0]["strides"] = json!([6, 1, 31])),
        edit(&cat, gc, |p| p["blocks"][1]["strides"] = json!([7, 1, 6])),
        edit(&tr, 1, |p| p["blocks"][0]["offset"] = json!(1u64 << 31)),
        edit(&tr, 1, |p| {
            p["blocks"][0]["strides"] = json!([6, 1u64 << 31, 30])
        }),
        edit(&tr, 1, |p| p["blocks"][0]["offset"] = json!(-1)),
        edit(&tr, 1, |p| p["blocks"][0]["offset"] = json!(0.5)),
        edit(&tr, 1, |p| p["blocks"][0]["offset"] = json!("0")),
        // A block's missing, unknown and null keys.
        edit(&tr, 1, |p| {
            p["blocks"][0].as_object_mut().unwrap().remove("strides");
        }),
        edit(&tr, 1, |p| {
            p["blocks"][0].as_object_mut().unwrap().remove("offset");
        }),
        edit(&tr, 1, |p| p["blocks"][0]["perm"] = json!([0, 1, 2])),
        edit(&tr, 1, |p| p["blocks"][0]["part"] = json!(null)),
        // out_shape with another count; features not n / prod pad(out_shape).
        edit(&tr, 1, |p| p["out_shape"] = json!([91])),
        edit(&tr, 1, |p| p["out_shape"] = json!([3, 30])),
        // A later gadget as a part; a part that is not a tensor reference.
        edit(&cat, gc, |p| p["parts"][2] = json!(gc)),
        edit(&cat, gc, |p| p["parts"][2] = json!("x")),
        // Missing and unknown keys (the first version's among them).
        edit(&tr, 1, |p| {
            p.as_object_mut().unwrap().remove("dims");
        }),
        edit(&tr, 1, |p| {
            p.as_object_mut().unwrap().remove("blocks");
        }),
        edit(&tr, 1, |p| p["perm"] = json!([1, 2, 0])),
        edit(&tr, 1, |p| p["x"] = json!(0)),
    ];
    for (i, j) in bad.iter().enumerate() {
        match Circuit::parse(j) {
            Ok(_) => panic!("case {i} must be rejected"),
            // A refused description is a format error at `key.circuit`.
            Err(e) => assert_eq!(e.check(), Some(CIRCUIT_CHECK), "case {i}: {e:?}"),
        }
    }
    // A flat output's features are n, not pad(n).
    let mut v: Value = serde_json::from_slice(&tr.circuit_json).unwrap();
    v["gadgets"][1]["features"] = json!(128);
    assert!(!ok(&serde_json::to_vec(&v).unwrap()));
    // Still valid: a block of stride 0 everywhere (a broadcast of one entry), an
    // entry read twice and the rest never, the box split in two blocks.
    assert!(ok(&edit(&tr, 1, |p| {
        p["blocks"][0]["strides"] = json!([0, 0, 0]);
        p["blocks"][0]["offset"] = json!(89);
    })));
    assert!(ok(&edit(&tr, 1, |p| {
        let mut b = p["blocks"][0].clone();
        p["blocks"][0]["size"] = json!([2, 6, 3]);
        b["start"] = json!([2, 0, 0]);
        b["size"] = json!([3, 6, 3]);
        b["offset"] = json!(6);
        p["blocks"].as_array_mut().unwrap().push(b);
    })));
}

/// rearrange.md section 5: a flat rearrange may be the output (and proves); a
/// spatial one may not.
#[test]
fn rearrange_output_must_be_flat() {
    let flat = rearrange_output(78, false);
    let c = Circuit::parse(&flat.circuit_json).unwrap();
    assert_eq!(c.output.gadget, rearrange_gadget(&c));
    let spatial = rearrange_output(78, true);
    match Circuit::parse(&spatial.circuit_json) {
        Ok(_) => panic!("a spatial rearrange output must be rejected"),
        Err(e) => assert!(
            matches!(&e, zkml_core::error::Error::Format { check, detail }
                if *check == CIRCUIT_CHECK && detail.contains("spatial rearrange")),
            "{e:?}"
        ),
    }
    // The same gadget inside the circuit is fine (rearrange_reshape).
    assert!(Circuit::parse(&rearrange_reshape(72).circuit_json).is_ok());
}
