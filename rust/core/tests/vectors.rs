//! Cross-language test vectors (circuits/vectors/). With `ZKML_WRITE_VECTORS=1`
//! (`make vectors`) this writes the files; otherwise it fails when the Rust side
//! no longer produces exactly what is committed. pytest checks the same files
//! with the pure-Python verifier.

use ark_ff::{BigInteger, PrimeField};
use serde_json::{json, Value};
use zkml_core::encoding::{g1_to_bytes, Writer};
use zkml_core::field::{fr_to_bytes, from_i64, Fr};
use zkml_core::mle::{eq_table, evaluate};
use zkml_core::pcs::batch::StackClaims;
use zkml_core::pcs::generators::{generators, seed_digest, DEFAULT_SEED};
use zkml_core::pcs::hyrax::Hyrax;
use zkml_core::pcs::{Pcs, Shape};
use zkml_core::proofs::{
    prove_batch_opening, prove_product_sumcheck, verify_artifact, CommittedStack,
};
use zkml_core::sumcheck::product::Term;
use zkml_core::sumcheck::{self, ProductSum};
use zkml_core::testing::{rand_frs, rand_small};
use zkml_core::transcript::Transcript;
use zkml_core::wiring;

#[path = "support/vector_file.rs"]
mod vector_file;
use vector_file::check_or_write;

fn dec(x: &Fr) -> Value {
    Value::String(x.into_bigint().to_string())
}

fn decs(v: &[Fr]) -> Value {
    Value::Array(v.iter().map(dec).collect())
}

fn small(n: usize, bits: u32, seed: u64) -> Vec<Fr> {
    rand_small(n, bits, seed)
        .into_iter()
        .map(from_i64)
        .collect()
}

#[test]
fn vectors_transcript() {
    let mut cases = Vec::new();
    for (tag, ops) in [
        (
            "zkml/test",
            vec![
                ("absorb", "a", vec![1u8, 2, 3]),
                ("squeeze", "c", vec![]),
                ("squeeze", "c", vec![]),
            ],
        ),
        ("", vec![("squeeze", "", vec![])]),
        (
            "zkml/other",
            vec![
                ("absorb", "empty", vec![]),
                ("absorb", "big", vec![0xab; 100]),
                ("squeeze", "x", vec![]),
            ],
        ),
    ] {
        let mut t = Transcript::new(tag.as_bytes());
        let mut out = Vec::new();
        for (op, label, data) in ops {
            if op == "absorb" {
                t.absorb(label, &data);
                out.push(json!({"op": "absorb", "label": label, "data": hex::encode(&data)}));
            } else {
                let c = t.squeeze(label);
                out.push(json!({"op": "squeeze", "label": label, "challenge": dec(&c)}));
            }
        }
        cases.push(json!({"tag": tag, "ops": out, "final_state": hex::encode(t.state())}));
    }
    // Typed absorbs, as their byte strings.
    let mut w = Writer::new();
    w.frs(&[Fr::from(5u64), from_i64(-1)]);
    let mut t = Transcript::new(b"typed");
    t.absorb_frs("v", &[Fr::from(5u64), from_i64(-1)]);
    let c = t.squeeze("c");
    cases.push(json!({"tag": "typed", "ops": [
        {"op": "absorb", "label": "v", "data": hex::encode(&w.buf)},
        {"op": "squeeze", "label": "c", "challenge": dec(&c)}], "final_state": hex::encode(t.state())}));
    check_or_write("transcript.json", json!({"cases": cases}));
}

#[test]
fn vectors_encoding() {
    let r_bytes = Fr::MODULUS.to_bytes_be();
    let mut r_plus_5 = Fr::MODULUS;
    r_plus_5.add_with_carry(&5u64.into());
    let fr_valid: Vec<Value> = [
        Fr::from(0u64),
        Fr::from(1u64),
        from_i64(-1),
        rand_frs(1, 1)[0],
    ]
    .iter()
    .map(|x| json!({"hex": hex::encode(fr_to_bytes(x)), "value": dec(x)}))
    .collect();
    let g = generators(&seed_digest(DEFAULT_SEED), 2);
    let g1_valid: Vec<Value> = g[..2]
        .iter()
        .map(|p| {
            let b = g1_to_bytes(p);
            json!({"hex": hex::encode(b), "x": dec_fq(&b[..32]), "y": dec_fq(&b[32..]), "infinity": false})
        })
        .chain(std::iter::once(json!({"hex": "00".repeat(64), "x": "0", "y": "0", "infinity": true})))
        .collect();
    let good = g1_to_bytes(&g[0]);
    let mut off_curve = good;
    off_curve[63] ^= 1;
    let mut y_plus_p = good;
    y_plus_p[32..].copy_from_slice(&add_p(&good[32..]));
    let p_bytes = ark_bn254::Fq::MODULUS.to_bytes_be();
    let x_is_p: Vec<u8> = p_bytes.iter().chain(good[32..].iter()).copied().collect();
    check_or_write(
        "encoding.json",
        json!({
            "fr_valid": fr_valid,
            "fr_invalid": [
                {"hex": hex::encode(&r_bytes), "why": "equal to r"},
                {"hex": hex::encode(r_plus_5.to_bytes_be()), "why": "r + 5, non-canonical"},
                {"hex": "ff".repeat(32), "why": "2^256 - 1"},
                {"hex": "00".repeat(31), "why": "31 bytes"},
                {"hex": "00".repeat(33), "why": "33 bytes"}],
            "g1_valid": g1_valid,
            "g1_invalid": [
                {"hex": hex::encode(off_curve), "why": "not on the curve"},
                {"hex": hex::encode(y_plus_p), "why": "y + p, non-canonical coordinate"},
                {"hex": hex::encode(&x_is_p), "why": "x equal to p"},
                {"hex": format!("{}01", "00".repeat(63)), "why": "(0, 1) is not on the curve"},
                {"hex": "00".repeat(63), "why": "63 bytes"}],
        }),
    );
}

fn dec_fq(b: &[u8]) -> String {
    ark_bn254::Fq::from_be_bytes_mod_order(b)
        .into_bigint()
        .to_string()
}

fn add_p(b: &[u8]) -> Vec<u8> {
    let mut x = ark_bn254::Fq::from_be_bytes_mod_order(b).into_bigint();
    x.add_with_carry(&ark_bn254::Fq::MODULUS);
    x.to_bytes_be()
}

#[test]
fn vectors_generators() {
    let d = seed_digest(DEFAULT_SEED);
    let g = generators(&d, 1024);
    let gens: Vec<Value> = [0usize, 1, 2, 3, 7, 100, 511, 1023]
        .iter()
        .map(|&i| {
            let b = g1_to_bytes(&g[i]);
            json!({"index": i, "x": dec_fq(&b[..32]), "y": dec_fq(&b[32..])})
        })
        .collect();
    let other = generators(&seed_digest(b"other"), 1);
    let ob = g1_to_bytes(&other[0]);
    check_or_write(
        "generators.json",
        json!({"seed": "zkml/hyrax/generators/v1", "seed_digest": hex::encode(d), "generators": gens,
               "other_seed": {"seed": "other", "index": 0, "x": dec_fq(&ob[..32]), "y": dec_fq(&ob[32..])}}),
    );
}

#[test]
fn vectors_mle() {
    let cases: Vec<Value> = [0usize, 1, 3, 5]
        .iter()
        .map(|&n| {
            let t = small(1 << n, 8, n as u64);
            let z = rand_frs(n, 10 + n as u64);
            json!({"table": decs(&t), "point": decs(&z), "value": dec(&evaluate(&t, &z)), "eq_table": decs(&eq_table(&z))})
        })
        .collect();
    check_or_write("mle.json", json!({"cases": cases}));
}

#[test]
fn vectors_wiring() {
    // (name, n_out, n_in, k, stride, dilation, pad)
    let axes = [
        ("lenet-conv1", 24, 28, 5, 1, 1, 0),
        ("lenet-conv2", 8, 12, 5, 1, 1, 0),
        ("lenet-pool1", 12, 24, 2, 2, 1, 0),
        ("lenet-pool2", 4, 8, 2, 2, 1, 0),
        ("strided-padded", 16, 32, 3, 2, 1, 1),
        ("same-3", 28, 28, 3, 1, 1, 1),
        ("dilated", 12, 16, 3, 1, 2, 0),
        ("stride3-dilation2-pad3", 7, 20, 4, 3, 2, 3),
        ("resnet-stem", 112, 224, 7, 2, 1, 3),
        ("pointwise", 7, 7, 1, 1, 1, 0),
        ("global", 1, 13, 13, 1, 1, 0),
        ("unit", 1, 1, 1, 1, 1, 0),
    ];
    let cases: Vec<Value> = axes
        .iter()
        .enumerate()
        .map(|(j, &(name, n_out, n_in, k, stride, dilation, pad))| {
            let a = wiring::Axis::new(n_out, n_in, k, stride, dilation, pad).unwrap();
            let (my, mk, mx) = a.vars();
            let seed = 700 + 10 * j as u64;
            let (ry, ri, rx) = (
                rand_frs(my, seed),
                rand_frs(mk, seed + 1),
                rand_frs(mx, seed + 2),
            );
            let value = wiring::wire_eval(&a, &ry, &ri, &rx).unwrap();
            assert_eq!(value, wiring::wire_mle_naive(&a, &ry, &ri, &rx).unwrap());
            json!({"name": name, "n_out": n_out, "n_in": n_in, "k": k, "stride": stride,
                   "dilation": dilation, "pad": pad, "ry": decs(&ry), "ri": decs(&ri),
                   "rx": decs(&rx), "value": dec(&value)})
        })
        .collect();
    check_or_write("wiring.json", json!({"cases": cases}));
}

#[test]
fn vectors_sumcheck() {
    let mut cases = Vec::new();
    let run = |name: &str, tag: &str, tau_n: usize, tables: Vec<Vec<Fr>>, terms: Vec<Term>| {
        let n = tables[0].len().trailing_zeros() as usize;
        let mut t = Transcript::new(tag.as_bytes());
        let tau = t.squeeze_n("zerocheck-tau", tau_n);
        let mut tables = tables;
        if tau_n > 0 {
            tables.insert(0, eq_table(&tau));
        }
        let mut inst = ProductSum::new(tables.clone(), terms.clone()).unwrap();
        let claim = inst.claim();
        let d = inst_degree(&terms);
        let (proof, point) = sumcheck::prove(&mut t, &mut inst, claim);
        let mut w = Writer::new();
        proof.write(&mut w);
        let mut tv = Transcript::new(tag.as_bytes());
        tv.squeeze_n("zerocheck-tau", tau_n);
        let (_, fin) = sumcheck::verify(&mut tv, name, claim, n, d, &proof).unwrap();
        let mut case = json!({
            "name": name, "tag": tag, "num_vars": n, "degree": d, "tables": tables.iter().map(|t| decs(t)).collect::<Vec<_>>(),
            "terms": terms.iter().map(|t| json!({"coeff": dec(&t.coeff), "factors": t.factors})).collect::<Vec<_>>(),
            "claim": dec(&claim), "proof": hex::encode(&w.buf), "challenges": decs(&point), "final": dec(&fin)});
        if tau_n > 0 {
            case["tau"] = decs(&tau);
        }
        case
    };
    let one = Fr::from(1u64);
    cases.push(run(
        "product",
        "zkml/test-sumcheck",
        0,
        vec![small(16, 8, 1), small(16, 8, 2)],
        vec![Term {
            coeff: one,
            factors: vec![0, 1],
        }],
    ));
    cases.push(run(
        "degree-4 mixed",
        "zkml/test-sumcheck",
        0,
        (0..4).map(|i| rand_frs(8, 20 + i)).collect(),
        vec![
            Term {
                coeff: from_i64(3),
                factors: vec![0, 1, 2, 3],
            },
            Term {
                coeff: from_i64(-2),
                factors: vec![1],
            },
        ],
    ));
    let a = small(8, 8, 5);
    let b = small(8, 8, 6);
    let c: Vec<Fr> = a.iter().zip(&b).map(|(x, y)| *x * y).collect();
    cases.push(run(
        "zerocheck a*b=c",
        "zkml/test-zerocheck",
        3,
        vec![a, b, c],
        vec![
            Term {
                coeff: one,
                factors: vec![0, 1, 2],
            },
            Term {
                coeff: from_i64(-1),
                factors: vec![0, 3],
            },
        ],
    ));
    check_or_write("sumcheck.json", json!({"cases": cases}));
}

fn inst_degree(terms: &[Term]) -> usize {
    terms.iter().map(|t| t.factors.len()).max().unwrap()
}

#[test]
fn vectors_hyrax() {
    let h = Hyrax::default();
    let cases: Vec<Value> = [(0usize, 0usize, 8u32, 1u64), (3, 2, 8, 2), (4, 2, 16, 3), (5, 3, 0, 4), (4, 1, 254, 5)]
        .iter()
        .map(|&(n, c, bits, seed)| {
            let shape = Shape::new(n, c).unwrap();
            let table = if bits == 254 { rand_frs(1 << n, seed) } else if bits == 0 { vec![Fr::from(0u64); 1 << n] } else { small(1 << n, bits, seed) };
            let mut w = Writer::new();
            Hyrax::write_commitment(&h.commit(shape, &table).unwrap(), &mut w);
            json!({"num_vars": n, "log_cols": c, "table": decs(&table), "commitment": hex::encode(&w.buf)})
        })
        .collect();
    check_or_write("hyrax.json", json!({"cases": cases}));
}

fn committed(
    h: &Hyrax,
    shape: Shape,
    table: &[Fr],
    points: Vec<Vec<Fr>>,
    lie: bool,
) -> CommittedStack {
    let mut claims = StackClaims::default();
    for z in points {
        let v = evaluate(table, &z);
        claims.push(z, v);
    }
    if lie {
        claims.values[0] += Fr::from(1u64);
    }
    CommittedStack {
        shape,
        commitment: h.commit(shape, table).unwrap(),
        claims,
    }
}

#[test]
fn vectors_proofs() {
    let h = Hyrax::default();
    let mut cases = Vec::new();
    let mut push = |name: &str, kind: u8, bytes: &[u8], valid: bool, why: &str| {
        assert_eq!(verify_artifact(&h, bytes).is_ok(), valid, "{name}");
        cases.push(json!({"name": name, "kind": kind, "artifact": hex::encode(bytes), "valid": valid, "why": why}));
    };
    let s0 = Shape::new(5, 3).unwrap();
    let t0 = small(32, 8, 1);
    let mut sel = rand_frs(5, 2);
    sel[4] = Fr::from(1u64);
    let a = committed(&h, s0, &t0, vec![rand_frs(5, 3), sel], false);
    let one_stack = prove_batch_opening(&h, &[(&a, &t0)]);
    push("one stack, two claims", 1, &one_stack, true, "");
    let s1 = Shape::new(3, 1).unwrap();
    let t1 = rand_frs(8, 4);
    let b = committed(&h, s1, &t1, vec![rand_frs(3, 5)], false);
    push(
        "two stacks",
        1,
        &prove_batch_opening(&h, &[(&a, &t0), (&b, &t1)]),
        true,
        "",
    );
    let liar = committed(&h, s0, &t0, vec![rand_frs(5, 3)], true);
    push(
        "false claim",
        1,
        &prove_batch_opening(&h, &[(&liar, &t0)]),
        false,
        "claimed value is wrong",
    );
    let mut wrong_com = committed(&h, s0, &t0, vec![rand_frs(5, 3)], false);
    wrong_com.commitment = h.commit(s0, &small(32, 8, 77)).unwrap();
    push(
        "wrong commitment",
        1,
        &prove_batch_opening(&h, &[(&wrong_com, &t0)]),
        false,
        "commitment to another table",
    );
    let h2 = Hyrax::with_seed(b"other");
    let c2 = committed(&h2, s0, &t0, vec![rand_frs(5, 3)], false);
    push(
        "other generators",
        1,
        &prove_batch_opening(&h2, &[(&c2, &t0)]),
        false,
        "generators from seed 'other'",
    );

    let mut trailing = one_stack.clone();
    trailing.push(0);
    push("trailing byte", 1, &trailing, false, "trailing bytes");
    push(
        "truncated",
        1,
        &one_stack[..one_stack.len() - 1],
        false,
        "truncated",
    );
    let mut version = one_stack.clone();
    version[5] = 2;
    push("unknown version", 1, &version, false, "format version 2");
    let mut kind = one_stack.clone();
    kind[6] = 9;
    push("unknown kind", 9, &kind, false, "kind 9");
    // Offsets: header 7, digest 32, u32 S, shape 8, commitment 4 + rows*64, u32 K, point 4 + 5*32.
    let value_at = 7 + 32 + 4 + 8 + 4 + 4 * 64 + 4 + 4 + 5 * 32;
    let mut noncanon = one_stack.clone();
    let v = Fr::from_be_bytes_mod_order(&noncanon[value_at..value_at + 32]).into_bigint();
    let mut vr = v;
    if !vr.add_with_carry(&Fr::MODULUS) {
        noncanon[value_at..value_at + 32].copy_from_slice(&vr.to_bytes_be());
        push(
            "non-canonical claim value",
            1,
            &noncanon,
            false,
            "claim value + r",
        );
    }
    let mut off = one_stack.clone();
    off[7 + 32 + 4 + 8 + 4 + 63] ^= 1;
    push("commitment off curve", 1, &off, false, "row 0 y changed");
    let mut count = one_stack.clone();
    count[7 + 32 + 4 + 8 + 3] = 5;
    push(
        "row count differs from shape",
        1,
        &count,
        false,
        "commitment count 5 for 4 rows",
    );

    let sp = Shape::square(4);
    let f = small(16, 8, 8);
    let g = rand_frs(16, 9);
    let prod = prove_product_sumcheck(&h, sp, &f, &g).unwrap();
    push("product sumcheck", 2, &prod, true, "");
    // sigma sits after header, digest, shape and two 4-row commitments.
    let sigma_at = 7 + 32 + 8 + 2 * (4 + 4 * 64);
    let mut bad_sigma = prod.clone();
    bad_sigma[sigma_at + 31] ^= 1;
    push(
        "product wrong claimed sum",
        2,
        &bad_sigma,
        false,
        "sigma changed",
    );
    let mut bad_round = prod.clone();
    bad_round[sigma_at + 32 + 8 + 31] ^= 1;
    push(
        "product tampered round",
        2,
        &bad_round,
        false,
        "first round value changed",
    );
    check_or_write("proofs.json", json!({"cases": cases}));
}

mod inference_vectors {
    use super::*;

    #[test]
    fn vectors_inference() {
        let h = Hyrax::default();
        let mut models = crate::vectors_mlp::mlp_models(&h);
        models.extend(crate::vectors_cnn::cnn_models(&h));
        models.extend(crate::vectors_nonlinear::nonlinear_models(&h));
        models.extend(crate::vectors_window::window_models(&h));
        models.extend(crate::vectors_combine::combine_models(&h));
        models.extend(crate::vectors_rearrange::rearrange_models(&h));
        models.extend(crate::vectors_max::max_models(&h));
        check_or_write("inference.json", json!({"models": models}));
    }
}

#[path = "support/runs.rs"]
mod runs;

#[path = "support/vectors_common.rs"]
mod vectors_common;

#[path = "support/vectors_mlp.rs"]
mod vectors_mlp;

#[path = "support/vectors_cnn.rs"]
mod vectors_cnn;

#[path = "support/vectors_nonlinear.rs"]
mod vectors_nonlinear;

#[path = "support/vectors_combine.rs"]
mod vectors_combine;

#[path = "support/vectors_rearrange.rs"]
mod vectors_rearrange;

#[path = "support/rearrange_cheats.rs"]
mod rearrange_cheats;

#[path = "support/vectors_window.rs"]
mod vectors_window;

#[path = "support/vectors_max.rs"]
mod vectors_max;

#[path = "support/window_cheats.rs"]
mod window_cheats;

#[path = "support/softmax_cheats.rs"]
mod softmax_cheats;
