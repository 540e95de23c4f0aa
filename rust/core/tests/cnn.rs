//! Completeness of CNN inference proofs (circuits/conv.md). There is no Rust
//! inference verifier (the Python verifier checks the vectors), so these tests
//! check what the verifier relies on: the reference witness satisfies every
//! relation at random points (each conv instance's sum equals `acc - 2^d bias`,
//! pooling acc-evals, maxpool D/S identities and pointwise zerocheck), and the
//! prover produces a proof for every model and batch size.

use std::time::Instant;

use ark_ff::{One, Zero};
use zkml_core::field::{from_i64, pow2, Fr};
use zkml_core::inference::circuit::{Circuit, ColumnKind, Producer, TensorRef};
use zkml_core::inference::matmul;
use zkml_core::inference::spatial::{geom, window_point};
use zkml_core::inference::tensors::{combine_evals, model_table, tensor_table, Columns};
use zkml_core::inference::testkit::{verifying_key, witness, TestModel};
use zkml_core::inference::testkit_cnn::{cnn_1d, cnn_2d, cnn_pools, lenet};
use zkml_core::inference::{acc_from_evals, prove, InferenceInput};
use zkml_core::mle::evaluate;
use zkml_core::pcs::hyrax::Hyrax;
use zkml_core::sumcheck::{self, SumcheckProver};
use zkml_core::testing::{rand_frs, rand_small};
use zkml_core::transcript::Transcript;
use zkml_core::wiring::wire_eval;

fn models() -> Vec<(&'static str, TestModel)> {
    vec![
        ("cnn_2d", cnn_2d(1)),
        ("cnn_pools", cnn_pools(2)),
        ("cnn_1d", cnn_1d(3)),
    ]
}

fn ensure(ok: bool, what: String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what)
    }
}

/// The checks a verifier makes, on a witness: limb ranges (LogUp), then every
/// gadget's relation at a random point. `Err` names the first failure.
fn check_relations(
    m: &TestModel,
    input: &[i64],
    cols_i: &[Vec<i64>],
    batch: usize,
    seed: u64,
) -> Result<(), String> {
    let c = Circuit::parse(&m.circuit_json).unwrap();
    let specs = c.columns();
    for (s, col) in specs.iter().zip(cols_i) {
        ensure(
            col.iter().all(|v| (0..1i64 << s.width).contains(v)),
            format!("range: column {s:?}"),
        )?;
    }
    let cols = Columns {
        specs: specs.clone(),
        tables: cols_i
            .iter()
            .map(|v| v.iter().map(|x| from_i64(*x)).collect())
            .collect(),
    };
    let model: Vec<Fr> = m.model_stack.iter().map(|v| from_i64(*v)).collect();
    let tensor_at = |t: TensorRef, p: &[Fr]| evaluate(&tensor_table(&c, &cols, t, input, batch), p);
    let r: Vec<Vec<Fr>> = (0..c.gadgets.len())
        .map(|g| rand_frs(c.gadget_vars(g, batch), seed + 100 + g as u64))
        .collect();
    let (insts, _) = matmul::build(&c, &cols, &model, input, batch, &r).unwrap();
    let mut insts = insts.into_iter();
    for (g, gad) in c.gadgets.iter().enumerate() {
        let own: Vec<usize> = (0..specs.len())
            .filter(|&i| specs[i].gadget == g && specs[i].kind != ColumnKind::D)
            .collect();
        let evals: Vec<Fr> = own
            .iter()
            .map(|&ci| evaluate(&cols.tables[ci], &r[g]))
            .collect();
        let acc = acc_from_evals(gad, &specs, &own, &evals);
        let pick = |kind: ColumnKind| -> Fr {
            let e: Vec<Fr> = cols
                .of(g, kind)
                .iter()
                .map(|&ci| evaluate(&cols.tables[ci], &r[g]))
                .collect();
            combine_evals(&e, 0)
        };
        match &gad.producer {
            Producer::Dense {
                bias, bias_shift, ..
            }
            | Producer::Conv {
                bias, bias_shift, ..
            } => {
                let (_, r_o, _) = matmul::split_point(&c, g, &r[g]);
                let bv = bias.as_ref().map_or(Fr::zero(), |n| {
                    evaluate(model_table(&model, c.tensor(n).unwrap()), r_o) * pow2(*bias_shift)
                });
                // Run the instance and check its final value as the verifier does,
                // with the wiring MLE evaluated by `wire_eval` (O(log) per axis).
                let mut inst = insts.next().unwrap();
                let claim = acc - bv;
                let n = inst.num_vars();
                let (proof, _) = sumcheck::prove(&mut Transcript::new(b"t"), &mut inst, claim);
                let (s, fin) =
                    sumcheck::verify(&mut Transcript::new(b"t"), "conv", claim, n, 2, &proof)
                        .map_err(|e| format!("gadget {g}: {e}"))?;
                let (r_low, r_o, r_b) = matmul::split_point(&c, g, &r[g]);
                let (x, weight) = match &gad.producer {
                    Producer::Dense { x, weight, .. } | Producer::Conv { x, weight, .. } => {
                        (*x, weight)
                    }
                    _ => unreachable!(),
                };
                let wtab = model_table(&model, c.tensor(weight).unwrap());
                let cat = |a: &[&[Fr]]| a.concat();
                let expect = match geom(&gad.producer) {
                    None => tensor_at(x, &cat(&[&s, r_b])) * evaluate(wtab, &cat(&[&s, r_o])),
                    Some(geo) => {
                        let [ls2, ls1, lk2, lk1, _] = geo.conv_vars();
                        let (sx, rest) = s.split_at(ls2);
                        let (sy, rest) = rest.split_at(ls1);
                        let (sj, rest) = rest.split_at(lk2);
                        let (si, sc) = rest.split_at(lk1);
                        let (r_x, r_y) = r_low.split_at(geo.out_vars().0);
                        evaluate(wtab, &cat(&[sj, si, sc, r_o]))
                            * tensor_at(x, &cat(&[sx, sy, sc, r_b]))
                            * wire_eval(&geo.axes[0], r_y, si, sy).unwrap()
                            * wire_eval(&geo.axes[1], r_x, sj, sx).unwrap()
                    }
                };
                ensure(fin == expect, format!("gadget {g}: instance final value"))?;
            }
            Producer::Add {
                x,
                y,
                signs,
                lshifts,
            } => {
                let v = from_i64(signs[0]) * pow2(lshifts[0]) * tensor_at(*x, &r[g])
                    + from_i64(signs[1]) * pow2(lshifts[1]) * tensor_at(*y, &r[g]);
                ensure(acc == v, format!("gadget {g}: add"))?;
            }
            Producer::Sumpool { x, lshift, .. } => {
                let geo = geom(&gad.producer).unwrap();
                let s: Fr = (0..gad.producer.windows())
                    .map(|w| tensor_at(*x, &window_point(&geo, &r[g], w)))
                    .sum();
                ensure(acc == pow2(*lshift) * s, format!("gadget {g}: sumpool"))?;
            }
            Producer::Maxpool { x, .. } => {
                let geo = geom(&gad.producer).unwrap();
                let k = gad.producer.windows();
                let mut sel = Fr::zero();
                for w in 0..k {
                    let xw = tensor_at(*x, &window_point(&geo, &r[g], w));
                    ensure(
                        pick(ColumnKind::PoolDiff(w)) == acc - xw,
                        format!("gadget {g}: D_{w}"),
                    )?;
                    sel += pick(ColumnKind::PoolSel(w));
                }
                ensure(sel == Fr::one(), format!("gadget {g}: sum S"))?;
                let len = 1 << c.gadget_vars(g, batch);
                for i in 0..len {
                    let dot: Fr = (0..k)
                        .map(|w| {
                            let s = cols.combine(&cols.of(g, ColumnKind::PoolSel(w)), 0, len)[i];
                            s * cols.combine(&cols.of(g, ColumnKind::PoolDiff(w)), 0, len)[i]
                        })
                        .sum();
                    ensure(dot.is_zero(), format!("gadget {g}: S D != 0 at {i}"))?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[test]
fn cnn_relations_hold_at_random_points() {
    for (name, m) in models() {
        for batch in [1usize, 3] {
            let c = Circuit::parse(&m.circuit_json).unwrap();
            let input = rand_small(batch * c.input.features, 8, 7 + batch as u64);
            let (cols, _) = witness(&c, &m.model_stack, &input, batch);
            if let Err(e) = check_relations(&m, &input, &cols, batch, 7) {
                panic!("{name} batch {batch}: {e}");
            }
        }
    }
}

#[test]
fn cnn_proofs_are_produced_for_every_model_and_batch() {
    let h = Hyrax::default();
    for (name, m) in models().into_iter().chain([("lenet", lenet(4))]) {
        let c = Circuit::parse(&m.circuit_json).unwrap();
        let (_, digest) = verifying_key(&h, &m);
        for batch in [1usize, 3] {
            let input = rand_small(batch * c.input.features, 8, 11);
            let (cols, out) = witness(&c, &m.model_stack, &input, batch);
            let start = Instant::now();
            let proof = prove(
                &h,
                InferenceInput {
                    circuit_json: &m.circuit_json,
                    model_stack: &m.model_stack,
                    columns: cols,
                    batch,
                    input: &input,
                    output: &out,
                    vk_digest: digest,
                },
            )
            .unwrap();
            println!(
                "{name} batch {batch}: {} bytes in {:?}",
                proof.len(),
                start.elapsed()
            );
        }
    }
}

/// The cheating witnesses of the vectors (circuits/vectors/inference.json) break
/// the relation each case names.
#[test]
fn cnn_cheats_break_the_named_relation() {
    use zkml_core::inference::testkit::witness_tampered;
    let batch = 1;
    for (m, tg, edit, expect) in [
        (cnn_2d(21), 0usize, 1i128, "instance final value"),
        (cnn_2d(21), 1, 1, "S D != 0"),
        (cnn_2d(21), 1, -1, "range"),
        (cnn_pools(22), 1, 1, "sumpool"),
    ] {
        let c = Circuit::parse(&m.circuit_json).unwrap();
        let input = rand_small(batch * c.input.features, 8, 22 + batch as u64);
        let (lo, hi) = (c.gadgets[tg].lo as i128, c.gadgets[tg].hi as i128);
        let tamper = move |z: &mut [i128]| {
            let i = z
                .iter()
                .position(|v| (lo..=hi).contains(&(v + edit)))
                .unwrap();
            z[i] += edit;
        };
        let (cols, _) = witness_tampered(&c, &m.model_stack, &input, batch, tg, &tamper);
        let err = check_relations(&m, &input, &cols, batch, 5).unwrap_err();
        assert!(err.contains(expect), "gadget {tg} edit {edit}: {err}");
    }
    // Two selectors, or none, at one position: sum S != 1.
    let m = cnn_2d(21);
    let c = Circuit::parse(&m.circuit_json).unwrap();
    let input = rand_small(c.input.features, 8, 23);
    let (cols, _) = witness(&c, &m.model_stack, &input, 1);
    let sel: Vec<usize> = (0..4)
        .map(|w| {
            c.columns()
                .iter()
                .position(|s| s.gadget == 1 && s.kind == ColumnKind::PoolSel(w))
                .unwrap()
        })
        .collect();
    let on = (0..4).find(|&w| cols[sel[w]][0] == 1).unwrap();
    for (w, v) in [((on + 1) % 4, 1), (on, 0)] {
        let mut bad = cols.clone();
        bad[sel[w]][0] = v;
        let err = check_relations(&m, &input, &bad, 1, 5).unwrap_err();
        assert!(err.contains("sum S"), "{err}");
    }
}
