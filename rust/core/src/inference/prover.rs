//! The inference prover (circuits/inference.md section 4): commit the witness,
//! prove every lookup with one LogUp-GKR, every layer relation in one batched
//! sumcheck, and every claim with one BatchOpen over the witness and model stacks.

use ark_ff::{One, Zero};
use rayon::prelude::*;

use super::circuit::{int_width, Circuit, ColumnKind, Producer, TensorRef};
use super::layout::assign;
use super::tensors::{model_table, tensor_table, Columns};
use super::{output_mask, Claims, INFERENCE_TAG};
use crate::artifact::{write_header, Kind, FORMAT_VERSION};
use crate::encoding::{ints_bytes, Writer};
use crate::error::{Error, Result};
use crate::field::{from_i64, pow2, Fr};
use crate::logup;
use crate::mle::{eq_table, evaluate};
use crate::pcs::batch::{self, ProverStack};
use crate::pcs::hyrax::Hyrax;
use crate::pcs::{Pcs, Shape};
use crate::sumcheck::product::Term;
use crate::sumcheck::{self, PairProduct, ProductSum, SumcheckProver};
use crate::transcript::Transcript;

/// Everything the prover is given (the witness builder computes the columns).
pub struct InferenceInput<'a> {
    pub circuit_json: &'a [u8],
    pub model_stack: &'a [i64],
    /// The committed limb columns in circuit order, each `B' n_g'` entries.
    pub columns: Vec<Vec<i64>>,
    pub batch: usize,
    pub input: &'a [i64],
    pub output: &'a [i64],
    pub vk_digest: [u8; 32],
}

fn bad<T>(msg: impl Into<String>) -> Result<T> {
    Err(Error::InvalidArgument(msg.into()))
}

/// Lookup multiplicities of the witness columns.
pub fn multiplicities(c: &Circuit, columns: &[Vec<i64>]) -> Vec<i64> {
    super::count_lookups(
        c.columns()
            .iter()
            .zip(columns)
            .map(|(s, v)| (s.width, v.as_slice())),
    )
}

pub fn prove(hyrax: &Hyrax, inp: InferenceInput<'_>) -> Result<Vec<u8>> {
    let c = Circuit::parse(inp.circuit_json)?;
    let m = multiplicities(&c, &inp.columns);
    prove_parsed(hyrax, &c, inp, m)
}

/// Like [`prove`] with given multiplicities (soundness tests use wrong ones).
pub fn prove_with_multiplicities(
    hyrax: &Hyrax,
    inp: InferenceInput<'_>,
    mult: Vec<i64>,
) -> Result<Vec<u8>> {
    let c = Circuit::parse(inp.circuit_json)?;
    prove_parsed(hyrax, &c, inp, mult)
}

fn prove_parsed(
    hyrax: &Hyrax,
    c: &Circuit,
    inp: InferenceInput<'_>,
    mult: Vec<i64>,
) -> Result<Vec<u8>> {
    let b = inp.batch;
    if b == 0 || b > 1 << 16 {
        return bad("batch size out of limits");
    }
    if inp.input.len() != b * c.input.features || inp.output.len() != b * c.output_len() {
        return bad("input or output length does not match the circuit and batch");
    }
    if inp.model_stack.len() != 1 << c.model_stack.num_vars {
        return bad("model stack length does not match the circuit");
    }
    let specs = c.columns();
    if inp.columns.len() != specs.len() || mult.len() != 256 {
        return bad(format!("expected {} witness columns", specs.len()));
    }
    let col_vars: Vec<usize> = specs.iter().map(|s| c.gadget_vars(s.gadget, b)).collect();
    for (i, (v, n)) in inp.columns.iter().zip(&col_vars).enumerate() {
        if v.len() != 1 << n {
            return bad(format!(
                "witness column {i} has {} entries, expected {}",
                v.len(),
                1 << n
            ));
        }
    }

    // Witness stack: the limb columns, then the multiplicities.
    let mut sizes = col_vars.clone();
    sizes.push(8);
    let (wslots, n_w) = assign(&sizes);
    let mut wstack = vec![0i64; 1 << n_w];
    for (vals, slot) in inp
        .columns
        .iter()
        .chain(std::iter::once(&mult))
        .zip(&wslots)
    {
        wstack[slot.offset..slot.offset + vals.len()].copy_from_slice(vals);
    }
    let wshape = Shape::square(n_w);
    let wcom = hyrax.commit_small(wshape, &wstack)?;
    let wtable: Vec<Fr> = wstack.iter().map(|v| from_i64(*v)).collect();
    let model: Vec<Fr> = inp.model_stack.par_iter().map(|v| from_i64(*v)).collect();
    let cols = Columns {
        specs: specs.clone(),
        tables: inp
            .columns
            .iter()
            .map(|v| v.iter().map(|x| from_i64(*x)).collect())
            .collect(),
    };
    let mult_fr: Vec<Fr> = mult.iter().map(|v| from_i64(*v)).collect();

    let mut t = Transcript::new(INFERENCE_TAG);
    t.absorb_u32("version", FORMAT_VERSION as u32);
    t.absorb("generators", &hyrax.seed_digest);
    t.absorb("vk", &inp.vk_digest);
    t.absorb_u32("batch", b as u32);
    let (olo, ohi) = c.output_range();
    let x_bytes = ints_bytes(inp.input, c.input_width());
    let y_bytes = ints_bytes(inp.output, int_width(olo, ohi));
    t.absorb("input", &x_bytes);
    t.absorb("output", &y_bytes);
    Hyrax::absorb_commitment(&mut t, "witness-commitment", &wcom);

    let mut claims = Claims::new(wslots.clone(), n_w, c);
    let mut w = Writer::new();

    // Lookups: one LogUp-GKR over every limb entry (twice for narrow limbs).
    let alpha = t.squeeze("logup-alpha");
    let (leaf_slots, depth) = super::leaf_layout(c, b);
    let tables: Vec<&[Fr]> = cols.tables.iter().map(|t| t.as_slice()).collect();
    let trees = super::lookup_trees(&leaf_slots, depth, alpha, &tables, &mult_fr);
    let (lproof, points) = logup::prove(&mut t, trees);
    let (rho, rho_t) = (&points[0], &points[1]);
    let mut leaf_evals = Vec::with_capacity(specs.len() + 1);
    for (ci, n) in col_vars.iter().enumerate() {
        let v = evaluate(&cols.tables[ci], &rho[..*n]);
        claims.column(ci, &rho[..*n], v);
        leaf_evals.push(v);
    }
    let mv = evaluate(&mult_fr, rho_t);
    claims.multiplicities(rho_t, mv);
    leaf_evals.push(mv);
    t.absorb_frs("logup-leaf-evals", &leaf_evals);

    // Accumulator points: each gadget's relation at its own random point.
    let r: Vec<Vec<Fr>> = (0..c.gadgets.len())
        .map(|g| t.squeeze_n("acc-point", c.gadget_vars(g, b)))
        .collect();
    let mut acc_msgs = Vec::with_capacity(c.gadgets.len());
    let mut dense_claims = Vec::new();
    for (g, gad) in c.gadgets.iter().enumerate() {
        let mut evals = Vec::new();
        // The gadget's own columns; the argmax differences are sent at r_d instead.
        let own: Vec<usize> = (0..specs.len())
            .filter(|&i| specs[i].gadget == g && specs[i].kind != ColumnKind::D)
            .collect();
        for &ci in &own {
            let v = evaluate(&cols.tables[ci], &r[g]);
            claims.column(ci, &r[g], v);
            evals.push(v);
        }
        let acc = super::acc_from_evals(gad, &specs, &own, &evals);
        let feat_vars = super::log2(gad.features.next_power_of_two());
        match &gad.producer {
            Producer::Dense {
                bias, bias_shift, ..
            } => {
                let bias_v = match bias {
                    Some(name) => {
                        let bt = c.tensor(name)?;
                        let v = evaluate(model_table(&model, bt), &r[g][..feat_vars]);
                        claims.model(bt, &r[g][..feat_vars], v);
                        evals.push(v);
                        v * pow2(*bias_shift)
                    }
                    None => Fr::zero(),
                };
                dense_claims.push(acc - bias_v);
            }
            Producer::Add { x, y, .. } => {
                for operand in [x, y] {
                    claims.tensor_limbs(&cols, *operand, &r[g], &mut evals);
                }
            }
            Producer::Identity { x } => claims.tensor_limbs(&cols, *x, &r[g], &mut evals),
            Producer::Affine { terms } => {
                for (x, _) in terms {
                    claims.tensor_limbs(&cols, *x, &r[g], &mut evals);
                }
            }
        }
        t.absorb_frs("acc-evals", &evals);
        acc_msgs.push(evals);
    }

    // Zerocheck and output points.
    let zc: Vec<usize> = (0..c.gadgets.len())
        .filter(|&g| {
            !cols.of(g, ColumnKind::Ep).is_empty() || !cols.of(g, ColumnKind::Em).is_empty()
        })
        .collect();
    let taus: Vec<(Vec<Fr>, Fr)> = zc
        .iter()
        .map(|&g| {
            (
                t.squeeze_n("zerocheck-tau", c.gadget_vars(g, b)),
                t.squeeze("zerocheck-beta"),
            )
        })
        .collect();
    let lg = c.output.gadget;
    let n_l = c.gadget_vars(lg, b);
    let out_feat = c.output.features;
    let np = out_feat.next_power_of_two();
    // eq, mask and z_L (or eq_b, S, z_L) are separate multilinear factors: the
    // verifier evaluates each, so none may be folded into another's table.
    let zl = tensor_table(c, &cols, TensorRef::Gadget(lg), inp.input, b);
    let mask = output_mask(out_feat, b, zl.len());
    let mut argmax_msg = None;
    let out_insts: Vec<(Vec<Vec<Fr>>, Fr)> = if c.output.argmax {
        let r_d = t.squeeze_n("argmax-point", n_l);
        let r_b = &r_d[super::log2(np)..];
        let mut evals = Vec::new();
        for ci in cols.of(lg, ColumnKind::D) {
            let v = evaluate(&cols.tables[ci], &r_d);
            claims.column(ci, &r_d, v);
            evals.push(v);
        }
        let mut sel = vec![Fr::zero(); zl.len()];
        for (row, k) in inp.output.iter().enumerate() {
            if (0..out_feat as i64).contains(k) {
                sel[row * np + *k as usize] = Fr::one();
            }
        }
        let eb = eq_table(r_b);
        let eb_tab: Vec<Fr> = (0..zl.len()).map(|i| eb[i / np]).collect();
        let er = eq_table(&r_d);
        let a: Fr = (0..zl.len()).map(|i| eb_tab[i] * sel[i] * zl[i]).sum();
        let cm: Fr = (0..zl.len()).map(|i| er[i] * mask[i] * zl[i]).sum();
        evals.push(a);
        evals.push(cm);
        t.absorb_frs("argmax-evals", &evals);
        argmax_msg = Some(evals);
        vec![(vec![eb_tab, sel, zl.clone()], a), (vec![er, mask, zl], cm)]
    } else {
        let r_out = t.squeeze_n("output-point", n_l);
        let y_claim = evaluate(&super::tensors::pad_matrix(inp.output, b, out_feat), &r_out);
        vec![(vec![eq_table(&r_out), mask, zl], y_claim)]
    };

    // Instances of the one batched sumcheck.
    // Dense instances first (their final W values are read back below), then the rest.
    let mut dense_insts: Vec<PairProduct<'static>> = Vec::new();
    let mut insts: Vec<Box<dyn SumcheckProver>> = Vec::new();
    let mut inst_claims = Vec::new();
    let mut dense_iter = dense_claims.into_iter();
    let mut dense_info = Vec::new();
    for (g, gad) in c.gadgets.iter().enumerate() {
        if let Producer::Dense { x, weight, .. } = &gad.producer {
            let wt = c.tensor(weight)?;
            let n_in = c.features(*x).next_power_of_two();
            let n_out = gad.features.next_power_of_two();
            let feat_vars = super::log2(n_out);
            let (r_o, r_b) = r[g].split_at(feat_vars);
            let xt = tensor_table(c, &cols, *x, inp.input, b);
            let eb = eq_table(r_b);
            let eo = eq_table(r_o);
            let fold_rows = |table: &[Fr], weights: &[Fr]| -> Vec<Fr> {
                let mut out = vec![Fr::zero(); n_in];
                for (row, wgt) in table.chunks(n_in).zip(weights) {
                    out.iter_mut().zip(row).for_each(|(o, v)| *o += *wgt * v);
                }
                out
            };
            let xr = fold_rows(&xt, &eb);
            let wr = fold_rows(model_table(&model, wt), &eo);
            dense_insts.push(PairProduct::new(xr, wr)?);
            inst_claims.push(dense_iter.next().expect("one claim per dense gadget"));
            dense_info.push((*x, wt.clone(), r_o.to_vec(), r_b.to_vec()));
        }
    }
    for (&g, (tau, beta)) in zc.iter().zip(&taus) {
        let gad = &c.gadgets[g];
        let len = 1 << c.gadget_vars(g, b);
        let z = cols.combine(&cols.of(g, ColumnKind::U), gad.lo, len);
        let ep = cols.of(g, ColumnKind::Ep);
        let em = cols.of(g, ColumnKind::Em);
        let mut tables = vec![eq_table(tau), z];
        let mut terms = Vec::new();
        if !ep.is_empty() {
            tables.push(cols.combine(&ep, 0, len));
            let e = tables.len() - 1;
            terms.push(Term {
                coeff: Fr::one(),
                factors: vec![0, 1, e],
            });
            terms.push(Term {
                coeff: -from_i64(gad.hi),
                factors: vec![0, e],
            });
        }
        if !em.is_empty() {
            tables.push(cols.combine(&em, 0, len));
            let e = tables.len() - 1;
            terms.push(Term {
                coeff: *beta,
                factors: vec![0, 1, e],
            });
            terms.push(Term {
                coeff: -*beta * from_i64(gad.lo),
                factors: vec![0, e],
            });
        }
        insts.push(Box::new(ProductSum::new(tables, terms)?));
        inst_claims.push(Fr::zero());
    }
    let n_out_insts = out_insts.len();
    for (tables, claim) in out_insts {
        let term = vec![Term {
            coeff: Fr::one(),
            factors: vec![0, 1, 2],
        }];
        insts.push(Box::new(ProductSum::new(tables, term)?));
        inst_claims.push(claim);
    }

    let mut refs: Vec<&mut dyn SumcheckProver> = dense_insts
        .iter_mut()
        .map(|x| x as &mut dyn SumcheckProver)
        .chain(
            insts
                .iter_mut()
                .map(|x| x.as_mut() as &mut dyn SumcheckProver),
        )
        .collect();
    let (sc, point, _) = sumcheck::prove_batched(&mut t, &mut refs, &inst_claims);
    drop(refs);

    let n_max = point.len();
    let suffix = |n: usize| &point[n_max - n..];

    let mut sc_evals = Vec::new();
    for ((x, wt, r_o, r_b), inst) in dense_info.iter().zip(&dense_insts) {
        let n_in_vars = super::log2(c.features(*x).next_power_of_two());
        let s = suffix(n_in_vars);
        let xp: Vec<Fr> = s.iter().chain(r_b.iter()).copied().collect();
        claims.tensor_limbs(&cols, *x, &xp, &mut sc_evals);
        let wp: Vec<Fr> = s.iter().chain(r_o.iter()).copied().collect();
        // W folded at r_o, then bound at s: the instance's final value is W(s, r_o).
        let wv = inst.final_evals()[1];
        claims.model(wt, &wp, wv);
        sc_evals.push(wv);
    }
    for &g in &zc {
        let s = suffix(c.gadget_vars(g, b)).to_vec();
        for kind in [ColumnKind::U, ColumnKind::Ep, ColumnKind::Em] {
            for ci in cols.of(g, kind) {
                let v = evaluate(&cols.tables[ci], &s);
                claims.column(ci, &s, v);
                sc_evals.push(v);
            }
        }
    }
    let s_out = suffix(n_l).to_vec();
    for _ in 0..n_out_insts {
        claims.tensor_limbs(&cols, TensorRef::Gadget(lg), &s_out, &mut sc_evals);
    }
    t.absorb_frs("sumcheck-evals", &sc_evals);

    let ms = &c.model_stack;
    let mshape = Shape::new(ms.num_vars, ms.log_cols)?;
    let (wclaims, mclaims) = claims.finish();
    let opening = batch::prove(
        hyrax,
        &mut t,
        &[
            ProverStack {
                shape: wshape,
                table: &wtable,
                claims: &wclaims,
            },
            ProverStack {
                shape: mshape,
                table: &model,
                claims: &mclaims,
            },
        ],
    );

    write_header(&mut w, Kind::Inference);
    w.bytes(&inp.vk_digest);
    w.u32(b as u32);
    w.bytes(&x_bytes);
    w.bytes(&y_bytes);
    Hyrax::write_commitment(&wcom, &mut w);
    lproof.write(&mut w);
    w.frs(&leaf_evals);
    acc_msgs.iter().for_each(|e| w.frs(e));
    if let Some(e) = &argmax_msg {
        w.frs(e);
    }
    sc.write(&mut w);
    w.frs(&sc_evals);
    opening.write(&mut w);
    Ok(w.finish())
}
