//! Hiding inference proofs (kind 5, circuits/zk_inference.md) and
//! `circuits/vectors/zk_inference.json`: honest proofs of vector model families pass
//! the Rust check (`zk_inference::replay`: every check over the proof's points, the
//! committed sumcheck, the hiding opening, the merged check), cheating proofs fail it,
//! and the vector file holds proofs made with fixed blinder seeds (test builds only)
//! for the Python verifier.

use ark_bn254::G1Affine;
use ark_ec::CurveGroup;
use ark_ff::{One, Zero};
use serde_json::{json, Value};
use zkml_core::declare::{Claim, Expr};
use zkml_core::encoding::{g1_to_bytes, Reader};
use zkml_core::field::Fr;
use zkml_core::inference::circuit::Circuit;
use zkml_core::inference::model_key::vk_digest;
use zkml_core::inference::testkit::{mlp_full, verifying_key, witness, TestModel};
use zkml_core::inference::testkit_combine::concat_flat;
use zkml_core::inference::testkit_nonlinear::silu;
use zkml_core::inference::testkit_softmax::softmax_head;
use zkml_core::inference::testkit_window::win_1d;
use zkml_core::inference::InferenceInput;
use zkml_core::pcs::hyrax::Hyrax;
use zkml_core::pcs::Shape;
use zkml_core::testing::rand_small;
use zkml_core::zk::declared::linear_form;
use zkml_core::zk::{Blinds, Gens, Hidden};
use zkml_core::zk_inference::replay::{self, Key};
use zkml_core::zk_inference::trace::{Cheat, Trace};
use zkml_core::zk_inference::{
    input_commitment, input_rows, output_commitment, output_rows, prove_seeded, prove_traced,
    Visibility, VISIBILITY, VISIBILITY_COMMITTED_INPUT, VISIBILITY_COMMITTED_OUTPUT,
    VISIBILITY_PRIVATE_INPUT, VISIBILITY_PUBLIC_WEIGHTS,
};

#[path = "support/vector_file.rs"]
mod vector_file;
use vector_file::check_or_write;

/// A model's statement and witness at one batch size, and its key: kind 4 as built,
/// or (`blinded`) in kind-4 format with the model rows blinded by nonzero blinders.
struct Run {
    name: &'static str,
    m: TestModel,
    c: Circuit,
    batch: usize,
    input: Vec<i64>,
    cols: Vec<Vec<i64>>,
    out: Vec<i64>,
    vk: Vec<u8>,
    shape: Shape,
    rows: Vec<G1Affine>,
    model_blinds: Vec<Fr>,
    /// The statement's visibility word (zk_inference.md 1) and a committed input's
    /// row blinders (none otherwise).
    visibility: u32,
    input_blinds: Vec<Fr>,
    /// A committed output's row blinders (zk_inference.md 1.6; none otherwise).
    output_blinds: Vec<Fr>,
}

impl Run {
    fn new(h: &Hyrax, name: &'static str, m: TestModel, batch: usize, seed: u64) -> Self {
        let c = Circuit::parse(&m.circuit_json).unwrap();
        let input = rand_small(batch * c.input.features, c.input.bits.min(8), seed);
        let (cols, out) = witness(&c, &m.model_stack, &input, batch);
        let (vk, _) = verifying_key(h, &m);
        let shape = Shape::new(c.model_stack.num_vars, c.model_stack.log_cols).unwrap();
        let rows = model_rows(&vk, m.circuit_json.len(), shape);
        let model_blinds = vec![Fr::zero(); shape.rows()];
        Run {
            name,
            m,
            c,
            batch,
            input,
            cols,
            out,
            vk,
            shape,
            rows,
            model_blinds,
            visibility: VISIBILITY,
            input_blinds: Vec::new(),
            output_blinds: Vec::new(),
        }
    }

    /// The same statement with a committed input (zk_inference.md 1.4) whose row
    /// blinders are drawn from `seed`.
    fn committed(mut self, h: &Hyrax, name: &'static str, seed: [u8; 32]) -> Self {
        let rows = input_rows(&self.m.circuit_json, self.batch).unwrap();
        self.input_blinds = Blinds::from_seed(seed, [1; 32]).draw_n(rows);
        self.visibility = VISIBILITY_COMMITTED_INPUT;
        self.name = name;
        let c_x = self.input_commitment(h);
        assert_eq!(c_x.len(), rows);
        self
    }

    /// The same statement with a committed output (zk_inference.md 1.6, bit 3) whose
    /// row blinders are drawn from `seed`.
    fn committed_output(mut self, h: &Hyrax, name: &'static str, seed: [u8; 32]) -> Self {
        let rows = output_rows(&self.m.circuit_json, self.batch).unwrap();
        self.output_blinds = Blinds::from_seed(seed, [2; 32]).draw_n(rows);
        self.visibility |= VISIBILITY_COMMITTED_OUTPUT;
        self.name = name;
        assert_eq!(self.output_commitment(h).len(), rows);
        self
    }

    fn output_commitment(&self, h: &Hyrax) -> Vec<G1Affine> {
        output_commitment(
            h,
            &self.m.circuit_json,
            &self.out,
            self.batch,
            &self.output_blinds,
        )
        .unwrap()
    }

    /// The same statement declaring the weights public (zk_inference.md 1.5).
    fn public_weights(mut self) -> Self {
        self.visibility |= VISIBILITY_PUBLIC_WEIGHTS;
        self
    }

    fn input_commitment(&self, h: &Hyrax) -> Vec<G1Affine> {
        input_commitment(
            h,
            &self.m.circuit_json,
            &self.input,
            self.batch,
            &self.input_blinds,
        )
        .unwrap()
    }

    fn vis(&self) -> Visibility<'_> {
        (self.visibility, &self.input_blinds, &self.output_blinds)
    }

    /// The same statement with a private input (zk_inference.md 1.3).
    fn private(mut self, name: &'static str) -> Self {
        self.visibility = VISIBILITY_PRIVATE_INPUT;
        self.name = name;
        self
    }

    /// The same model against a kind-4-format key whose model commitment is blinded
    /// with `seed`'s blinders (its well-formedness proof no longer verifies; a test
    /// loads it by trusted digest).
    fn blinded(mut self, h: &Hyrax, seed: [u8; 32]) -> Self {
        let gens = Gens::new(&h.seed_digest, 1);
        self.model_blinds = Blinds::from_seed(seed, [0; 32]).draw_n(self.shape.rows());
        self.rows = self
            .rows
            .iter()
            .zip(&self.model_blinds)
            .map(|(r, b)| (*r + gens.h * b).into_affine())
            .collect();
        let at = rows_offset(self.m.circuit_json.len());
        for (i, r) in self.rows.iter().enumerate() {
            self.vk[at + 64 * i..at + 64 * (i + 1)].copy_from_slice(&g1_to_bytes(r));
        }
        self
    }

    fn digest(&self) -> [u8; 32] {
        vk_digest(&self.vk)
    }

    fn input(&self) -> InferenceInput<'_> {
        InferenceInput {
            circuit_json: &self.m.circuit_json,
            model_stack: &self.m.model_stack,
            columns: self.cols.clone(),
            batch: self.batch,
            input: &self.input,
            output: &self.out,
            vk_digest: self.digest(),
        }
    }

    /// A traced proof with the blinder seed `seed`, getting `cheat` wrong, and the
    /// Rust check's verdict (`Ok` or the failed check's id).
    fn check(
        &self,
        h: &Hyrax,
        seed: [u8; 32],
        cheat: Cheat,
        blinds: &[Fr],
    ) -> (Vec<u8>, Result<(), String>) {
        let mut trace = Trace::default();
        let proof =
            prove_traced(h, self.input(), blinds, self.vis(), seed, cheat, &mut trace).unwrap();
        let key = Key {
            digest: self.digest(),
            shape: self.shape,
            rows: &self.rows,
        };
        let verdict = replay::check(h, &self.c, &key, &proof, &trace)
            .map_err(|e| e.check().unwrap_or("none").to_string());
        (proof, verdict)
    }
}

/// Where a kind-4 key's model row commitments start: header (7), the circuit's
/// `u32` length and bytes, the shape (8), the rows' `u32` count.
fn rows_offset(circuit_len: usize) -> usize {
    7 + 4 + circuit_len + 8 + 4
}

fn model_rows(vk: &[u8], circuit_len: usize, shape: Shape) -> Vec<G1Affine> {
    let mut r = Reader::new(&vk[rows_offset(circuit_len) - 4..]);
    r.points(shape.rows(), "model rows").unwrap()
}

/// A field element as 32 big-endian bytes in hex (the encoding of encoding.md).
fn fr_hex(v: &Fr) -> String {
    use ark_ff::{BigInteger, PrimeField};
    hex::encode(v.into_bigint().to_bytes_be())
}

fn seed(k: u8) -> [u8; 32] {
    [k; 32]
}

/// The vector families: a dense MLP, an argmax output, a table gadget with products
/// (SiLU), a winmax (a challenge and a message after its acc-evals), a concat (its
/// parts), a softmax head (row max and division), and the MLP with blinded model rows.
fn runs(h: &Hyrax) -> Vec<Run> {
    vec![
        Run::new(h, "mlp", mlp_full(&[6, 8, 5], false, false, None, 1), 1, 8),
        Run::new(
            h,
            "mlp_argmax",
            mlp_full(&[6, 8, 5], false, true, None, 3),
            2,
            10,
        ),
        Run::new(h, "silu", silu(51), 1, 52),
        Run::new(h, "win_1d", win_1d(33), 1, 34),
        Run::new(h, "concat_flat", concat_flat(62), 1, 63),
        Run::new(h, "softmax_head", softmax_head(41), 1, 42),
        Run::new(
            h,
            "mlp_blinded_model",
            mlp_full(&[6, 8, 5], false, false, None, 1),
            2,
            9,
        )
        .blinded(h, seed(200)),
        Run::new(h, "mlp", mlp_full(&[6, 8, 5], false, false, None, 1), 2, 8)
            .private("mlp_private_input"),
        Run::new(h, "win_1d", win_1d(33), 1, 34).private("win_1d_private_input"),
        Run::new(h, "concat_flat", concat_flat(62), 1, 63).private("concat_private_input"),
        Run::new(h, "mlp", mlp_full(&[6, 8, 5], false, false, None, 1), 2, 8).committed(
            h,
            "mlp_committed_input",
            seed(210),
        ),
        Run::new(h, "win_1d", win_1d(33), 1, 34).committed(h, "win_1d_committed_input", seed(211)),
        Run::new(h, "mlp", mlp_full(&[6, 8, 5], false, false, None, 1), 1, 12)
            .private("mlp_private_input_public_weights")
            .public_weights(),
        Run::new(
            h,
            "mlp_12bit",
            wide_input(mlp_full(&[6, 8, 5], false, false, None, 1)),
            2,
            13,
        )
        .private("mlp_12bit_private_input"),
        Run::new(
            h,
            "mlp_12bit",
            wide_input(mlp_full(&[6, 8, 5], false, false, None, 1)),
            2,
            14,
        )
        .committed(h, "mlp_12bit_committed_input", seed(212)),
        Run::new(h, "mlp", mlp_full(&[6, 8, 5], false, false, None, 1), 2, 15).committed_output(
            h,
            "mlp_committed_output",
            seed(213),
        ),
        Run::new(h, "mlp", mlp_full(&[6, 8, 5], false, false, None, 1), 2, 16)
            .committed(h, "mlp_committed_input_output", seed(214))
            .committed_output(h, "mlp_committed_input_output", seed(215)),
        Run::new(h, "mlp", mlp_full(&[6, 8, 5], false, false, None, 1), 1, 17)
            .private("mlp_private_input_public_weights_committed_output")
            .public_weights()
            .committed_output(
                h,
                "mlp_private_input_public_weights_committed_output",
                seed(216),
            ),
    ]
}

/// Where the runs with a committed output start in [`runs`].
const COMMITTED_OUTPUT_RUNS: usize = 15;

/// `m` with 12-bit inputs: a private input of two limbs (8 bits and a 4-bit one, whose
/// range check takes a second, scaled slot); the witness's values stay 8-bit.
fn wide_input(m: TestModel) -> TestModel {
    let mut v: Value = serde_json::from_slice(&m.circuit_json).unwrap();
    v["input"]["bits"] = json!(12);
    TestModel {
        circuit_json: serde_json::to_vec(&v).unwrap(),
        model_stack: m.model_stack,
    }
}

/// A committed input (zk_inference.md 1.4): two proofs with the owner's blinders both
/// pass and carry the same commitment, `input_commitment`'s (the Python verifier's
/// tests swap in another input's commitment, test_zk_visibility.py).
#[test]
fn a_committed_input_is_reused_and_bound() {
    let h = Hyrax::default();
    let all = runs(&h);
    let run = &all[10];
    assert_eq!(run.visibility, VISIBILITY_COMMITTED_INPUT);
    let c_x = run.input_commitment(&h);
    let (a, va) = run.check(&h, seed(20), Cheat::None, &run.model_blinds);
    let (b, vb) = run.check(&h, seed(21), Cheat::None, &run.model_blinds);
    assert_eq!((va, vb), (Ok(()), Ok(())));
    let at = 7 + 32 + 4 + 4 + 4; // header, vk digest, B, V, the count of C_X
    let bytes: Vec<u8> = c_x.iter().flat_map(g1_to_bytes).collect();
    assert_eq!(&a[at..at + bytes.len()], bytes.as_slice());
    assert_eq!(&b[at..at + bytes.len()], bytes.as_slice());
    assert_ne!(a, b);
}

/// A committed output (zk_inference.md 1.6): the statement carries `output_commitment`'s
/// rows in the output's place and no output value; two proofs of one output under the
/// same blinders carry the same commitment; a proof with other blinders fails; an
/// ArgMax output cannot be committed.
#[test]
fn a_committed_output_is_bound_and_reused() {
    let h = Hyrax::default();
    let all = runs(&h);
    let run = &all[COMMITTED_OUTPUT_RUNS];
    assert_eq!(run.visibility, VISIBILITY_COMMITTED_OUTPUT);
    let c_y = run.output_commitment(&h);
    let (a, va) = run.check(&h, seed(22), Cheat::None, &run.model_blinds);
    let (b, vb) = run.check(&h, seed(23), Cheat::None, &run.model_blinds);
    assert_eq!((va, vb), (Ok(()), Ok(())));
    // header, vk digest, B, V, the input (count and one byte per value), C_Y's count
    let at = 7 + 32 + 4 + 4 + 4 + run.input.len() + 4;
    let bytes: Vec<u8> = c_y.iter().flat_map(g1_to_bytes).collect();
    assert_eq!(&a[at..at + bytes.len()], bytes.as_slice());
    assert_eq!(&b[at..at + bytes.len()], bytes.as_slice());
    assert_ne!(a, b);
    // the Rust check with a C_Y under other blinders in the statement fails
    let mut other = a.clone();
    let mut moved = run.output_blinds.clone();
    moved[0] += Fr::one();
    let c_other = output_commitment(&h, &run.m.circuit_json, &run.out, run.batch, &moved).unwrap();
    other[at..at + 64].copy_from_slice(&g1_to_bytes(&c_other[0]));
    let mut trace = Trace::default();
    prove_traced(
        &h,
        run.input(),
        &run.model_blinds,
        run.vis(),
        seed(22),
        Cheat::None,
        &mut trace,
    )
    .unwrap();
    let key = Key {
        digest: run.digest(),
        shape: run.shape,
        rows: &run.rows,
    };
    assert!(replay::check(&h, &run.c, &key, &other, &trace).is_err());
    // an ArgMax output has no committed form: refused
    let am = &all[1];
    assert!(output_rows(&am.m.circuit_json, am.batch).is_err());
    let few = [Fr::one()];
    let vis = (VISIBILITY_COMMITTED_OUTPUT, &[][..], &few[..]);
    let err = prove_seeded(&h, am.input(), &am.model_blinds, vis, seed(1)).unwrap_err();
    assert!(matches!(err, zkml_core::Error::InvalidArgument(_)), "{err}");
    // output blinders without bit 3, or bit 3 without them
    let vis = (VISIBILITY, &[][..], &run.output_blinds[..]);
    assert!(prove_seeded(&h, run.input(), &run.model_blinds, vis, seed(1)).is_err());
    let vis = (VISIBILITY_COMMITTED_OUTPUT, &[][..], &[][..]);
    assert!(prove_seeded(&h, run.input(), &run.model_blinds, vis, seed(1)).is_err());
}

#[test]
fn honest_hiding_proofs_pass_and_cheats_fail_the_rust_check() {
    let h = Hyrax::default();
    for (i, run) in runs(&h).iter().enumerate() {
        let s = seed(i as u8 + 1);
        let (proof, verdict) = run.check(&h, s, Cheat::None, &run.model_blinds);
        assert_eq!(verdict, Ok(()), "{}", run.name);
        // the traced prover and the vector prover make the same bytes
        let again = prove_seeded(&h, run.input(), &run.model_blinds, run.vis(), s).unwrap();
        assert_eq!(again, proof, "{}", run.name);
    }
    let all = runs(&h);
    let (mlp, blinded) = (&all[0], &all[6]);
    // a changed byte anywhere (a point off the curve, another point, a scalar) fails
    let mut trace = Trace::default();
    let proof = prove_traced(
        &h,
        mlp.input(),
        &mlp.model_blinds,
        mlp.vis(),
        seed(1),
        Cheat::None,
        &mut trace,
    )
    .unwrap();
    let key = Key {
        digest: mlp.digest(),
        shape: mlp.shape,
        rows: &mlp.rows,
    };
    for at in [100, proof.len() / 3, proof.len() / 2, proof.len() - 40] {
        let mut bad = proof.clone();
        bad[at] ^= 1;
        assert!(
            replay::check(&h, &mlp.c, &key, &bad, &trace).is_err(),
            "byte {at}"
        );
    }
    let short = &proof[..proof.len() - 1];
    assert!(replay::check(&h, &mlp.c, &key, short, &trace).is_err());
    let wrong_acc = Cheat::Value("acc-evals[0][0]".into());
    assert_eq!(
        mlp.check(&h, seed(1), wrong_acc, &mlp.model_blinds).1,
        Err("zk.merged".into())
    );
    let wrong_leaf = Cheat::Value("logup-leaf-evals[0]".into());
    assert_eq!(
        mlp.check(&h, seed(1), wrong_leaf, &mlp.model_blinds).1,
        Err("zk.merged".into())
    );
    assert_eq!(
        mlp.check(&h, seed(1), Cheat::Product, &mlp.model_blinds).1,
        Err("zk.merged".into())
    );
    // an opening with the wrong model blinders (the key's rows were blinded otherwise)
    let zeros = vec![Fr::zero(); blinded.shape.rows()];
    assert_eq!(
        blinded.check(&h, seed(7), Cheat::None, &zeros).1,
        Err("zk.merged".into())
    );
}

/// Every family of `inference.json` (each op, table, window, part, row and limb
/// width), at batch 1 and 3: its hiding proof passes the Rust check.
#[test]
fn every_vector_family_proves_hiding() {
    use zkml_core::inference::testkit::with_limb_bits;
    use zkml_core::inference::testkit_cnn::{cnn_1d, cnn_2d, cnn_pools};
    use zkml_core::inference::testkit_combine::{concat_cnn, gelu};
    use zkml_core::inference::testkit_max::minmax;
    use zkml_core::inference::testkit_nonlinear::{gap_dense, ssum_1d, ssum_2d, tables};
    use zkml_core::inference::testkit_rearrange::{
        rearrange_broadcast, rearrange_choice, rearrange_concat3, rearrange_concat_h,
        rearrange_reshape, rearrange_transpose,
    };
    use zkml_core::inference::testkit_softmax::{softmax_grouped_axis0, softmax_grouped_channels};
    use zkml_core::inference::testkit_window::{win_avg, win_stem};
    let h = Hyrax::default();
    let models: Vec<(&'static str, TestModel)> = vec![
        ("mlp_residual", mlp_full(&[5, 4, 3], true, false, None, 2)),
        (
            "mlp_leaky",
            mlp_full(&[6, 8, 5], false, false, Some((13, 6)), 4),
        ),
        ("cnn_2d", cnn_2d(21)),
        ("cnn_pools", cnn_pools(22)),
        ("cnn_1d", cnn_1d(23)),
        ("gap_dense", gap_dense(31)),
        ("ssum_2d", ssum_2d(32)),
        ("ssum_1d", ssum_1d(33)),
        ("tables", tables(34)),
        ("tables_l16", with_limb_bits(tables(34), 16)),
        ("softmax_head_l16", with_limb_bits(softmax_head(41), 16)),
        ("softmax_grouped_axis0", softmax_grouped_axis0(42)),
        ("softmax_grouped_channels", softmax_grouped_channels(43)),
        ("win_stem", win_stem(31)),
        ("win_avg", win_avg(32)),
        ("concat_cnn", concat_cnn(61)),
        ("gelu", gelu(63)),
        ("minmax", minmax(71)),
        ("rearrange_transpose", rearrange_transpose(71)),
        ("rearrange_reshape", rearrange_reshape(72)),
        ("rearrange_concat_h", rearrange_concat_h(73)),
        ("rearrange_concat3", rearrange_concat3(74)),
        ("rearrange_broadcast", rearrange_broadcast(75)),
        ("rearrange_choice", rearrange_choice(76)),
    ];
    for (name, m) in models {
        for (batch, vis) in [
            (1, VISIBILITY),
            (3, VISIBILITY),
            (2, VISIBILITY_PRIVATE_INPUT),
        ] {
            let copy = TestModel {
                circuit_json: m.circuit_json.clone(),
                model_stack: m.model_stack.clone(),
            };
            let mut run = Run::new(&h, name, copy, batch, 5);
            run.visibility = vis;
            if vis == VISIBILITY_COMMITTED_INPUT {
                run = run.committed(&h, name, seed(9));
            }
            let verdict = run.check(&h, seed(3), Cheat::None, &run.model_blinds).1;
            assert_eq!(verdict, Ok(()), "{name} batch {batch} visibility {vis}");
        }
    }
}

#[test]
fn a_claim_with_a_product_and_wrong_blinders_are_refused() {
    let h = Hyrax::default();
    let all_runs = runs(&h);
    let run = &all_runs[0];
    let short = vec![Fr::zero(); run.shape.rows() - 1];
    let err = prove_seeded(&h, run.input(), &short, (VISIBILITY, &[], &[]), seed(1)).unwrap_err();
    assert!(matches!(err, zkml_core::Error::InvalidArgument(_)), "{err}");
    // a visibility word this prover does not make
    let blinds = &run.model_blinds;
    let err = prove_seeded(&h, run.input(), blinds, (3, &[], &[]), seed(1)).unwrap_err();
    assert!(matches!(err, zkml_core::Error::InvalidArgument(_)), "{err}");
    let err = prove_seeded(&h, run.input(), blinds, (16, &[], &[]), seed(1)).unwrap_err();
    assert!(matches!(err, zkml_core::Error::InvalidArgument(_)), "{err}");
    // public weights with blinded model rows (a kind-6 key's)
    let blinded = &all_runs[6];
    let public = (VISIBILITY_PUBLIC_WEIGHTS, &[][..], &[][..]);
    let err = prove_seeded(&h, blinded.input(), &blinded.model_blinds, public, seed(1));
    assert!(matches!(err, Err(zkml_core::Error::InvalidArgument(_))));
    let err = prove_seeded(&h, run.input(), blinds, (4 | 3, &[], &[]), seed(1)).unwrap_err();
    assert!(matches!(err, zkml_core::Error::InvalidArgument(_)), "{err}");
    // a committed input without its blinders, or with too few
    let err = prove_seeded(&h, run.input(), blinds, (2, &[], &[]), seed(1)).unwrap_err();
    assert!(matches!(err, zkml_core::Error::InvalidArgument(_)), "{err}");
    let few = [Fr::one()];
    let rows = input_rows(&run.m.circuit_json, run.batch).unwrap();
    assert!(rows > 1);
    let err = prove_seeded(&h, run.input(), blinds, (2, &few, &[]), seed(1)).unwrap_err();
    assert!(matches!(err, zkml_core::Error::InvalidArgument(_)), "{err}");
    // an instance claim is a linear form: a product of two committed claims is refused
    let (a, b) = (
        Claim::committed("a", Fr::one()),
        Claim::committed("b", Fr::one()),
    );
    let open = |_: &Claim| Ok(Hidden::public(Fr::one()));
    let err = linear_form(&(Expr::from(a) * Expr::from(b)), &open).unwrap_err();
    assert!(matches!(err, zkml_core::Error::InvalidArgument(_)), "{err}");
}

fn case(h: &Hyrax, run: &Run, s: [u8; 32], cheat: Option<(&str, &str)>) -> Value {
    let (proof, verdict) = match cheat {
        Some((name, _)) => run.check(h, s, Cheat::Value(name.into()), &run.model_blinds),
        None => run.check(h, s, Cheat::None, &run.model_blinds),
    };
    let valid = cheat.is_none();
    assert_eq!(verdict.is_ok(), valid, "{}", run.name);
    json!({
        "name": run.name,
        "circuit": String::from_utf8(run.m.circuit_json.clone()).unwrap(),
        "vk": hex::encode(&run.vk),
        "vk_digest": hex::encode(run.digest()),
        "batch": run.batch,
        "visibility": run.visibility,
        "input": run.input,
        "input_blinds": run.input_blinds.iter().map(fr_hex).collect::<Vec<_>>(),
        "output_blinds": run.output_blinds.iter().map(fr_hex).collect::<Vec<_>>(),
        "output": run.out,
        "seed": hex::encode(s),
        "proof": hex::encode(&proof),
        "valid": valid,
        "why": cheat.map_or("", |(_, why)| why),
        "check": if valid { Value::Null } else { json!("zk.merged") },
    })
}

#[test]
fn vectors_zk_inference() {
    let h = Hyrax::default();
    let all = runs(&h);
    let mut cases: Vec<Value> = all
        .iter()
        .enumerate()
        .map(|(i, run)| case(&h, run, seed(i as u8 + 1), None))
        .collect();
    let wrong = (
        "acc-evals[0][0]",
        "acc-evals[0][0] committed to its value plus one",
    );
    cases.push(case(&h, &all[0], seed(1), Some(wrong)));
    let wrong_input = (
        "sumcheck-evals[0]",
        "a private input's limb at the first dense instance's point committed to its value \
         plus one",
    );
    cases.push(case(&h, &all[7], seed(8), Some(wrong_input)));
    let wrong_output = (
        "output-evals[0]",
        "a committed output's Y~(r_out) committed to its value plus one",
    );
    let co = COMMITTED_OUTPUT_RUNS;
    cases.push(case(&h, &all[co], seed(co as u8 + 1), Some(wrong_output)));
    check_or_write(
        "zk_inference.json",
        json!({
            "note": "Hiding inference proofs (kind 5, circuits/zk_inference.md) of vector models, \
                     proven with the blinder seed `seed` (Blinds::from_seed(seed, transcript state \
                     after the statement); test builds only). `vk` is the verifying-key artifact \
                     the proof names (vk_digest = SHA-256 of it). Every key is a kind-4 key built \
                     by the prover except `mlp_blinded_model`'s: a kind-4-format key whose model \
                     commitment rows are blinded with non-zero blinders (row i + b_i H), so its \
                     well-formedness proof does not verify; load it with \
                     VerifyingKey.from_bytes(vk, trusted_digest=sha256(vk)). `visibility` is the \
                     statement's word (1: a private input, zk_inference.md 1.3; `input` is then \
                     the prover's input, which the proof does not carry; 2: a committed input, 1.4, whose \
                     row blinders are `input_blinds`, 32-byte big-endian field elements; bit 3: a committed \
                     output, 1.6, whose row blinders are `output_blinds`, `output` the prover's \
                     output, which the proof does not carry). An invalid case is \
                     a cheating prover's proof that fails with `check`.",
            "seed": "zkml/hyrax/generators/v1",
            "cases": cases,
        }),
    );
}
