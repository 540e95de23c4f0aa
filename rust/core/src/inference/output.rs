//! The output check (inference.md section 4, argmax section 4b): the statement's
//! output against the output gadget `L`, instances of the output group of the
//! batched sumcheck. `eq`, the mask and `z_L` (or `eq_b`, `S`, `z_L`) are separate
//! multilinear factors: the verifier evaluates each, so none is folded into another.

use crate::pipeline::features_batch;
use ark_ff::{One, Zero};

use super::circuit::{ColumnKind, TensorRef};
use super::gadgets::{column_evals, At, Contribution, Ctx, Open, Opened};
use super::tensors::pad_matrix;
use super::{log2, output_mask, Claims};
use crate::error::Result;
use crate::field::Fr;
use crate::mle::{eq_table, evaluate};
use crate::pipeline::Messages;
use crate::sumcheck::product::Term;
use crate::sumcheck::ProductSum;

use super::declared::{Declarer, GadgetDecl, InstanceClaims};
use super::spatialsum::lt;
use crate::declare::{Check, Claim, ClaimStream, Expr};
use crate::mle::eq_eval;

/// The message of a committed output (zk_inference.md 1.6): `Y~(r_out)`, committed.
pub const OUTPUT_EVALS: &str = "output-evals";

/// The output group's instances (their sumcheck-evals: `z_L`'s `u` limbs) and,
/// with an argmax output, its message (the `D` limbs at `r_d`, `A`, `C`), sent here.
pub fn prove(
    cx: &Ctx<'_>,
    t: &mut dyn Messages,
    claims: &mut Claims<'_>,
    output: &[i64],
) -> Result<(Vec<Contribution>, Option<Vec<Fr>>)> {
    let c = cx.c;
    let lg = c.output.gadget;
    let n_l = c.gadget_vars(lg, cx.b);
    let out_feat = c.output.features;
    let zl = cx.tensor_table(TensorRef::Gadget(lg));
    let mask = output_mask(out_feat, cx.b, zl.len());
    let (insts, msg) = if c.output.argmax {
        let np = out_feat.next_power_of_two();
        let r_d = t.squeeze_n("argmax-point", n_l);
        let r_b = &r_d[log2(np)..];
        let mut evals = Vec::new();
        column_evals(
            cx.cols,
            claims,
            &cx.cols.of(lg, ColumnKind::D),
            &r_d,
            &mut evals,
        );
        let mut sel = vec![Fr::zero(); zl.len()];
        for (row, k) in output.iter().enumerate() {
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
        t.send_values("argmax-evals", None, &evals)?;
        let insts = vec![(vec![eb_tab, sel, zl.clone()], a), (vec![er, mask, zl], cm)];
        (insts, Some(evals))
    } else {
        let r_out = t.squeeze_n("output-point", n_l);
        let y_claim = evaluate(&pad_matrix(output, cx.b, out_feat), &r_out);
        if claims.output_committed() {
            // zk_inference.md 1.6: Y~(r_out) is sent committed, a claim on the output stack
            t.send_values(OUTPUT_EVALS, None, &[y_claim])?;
            claims.output_value(&r_out, y_claim);
            claims.sent(OUTPUT_EVALS, 0, &[y_claim])?;
        }
        (vec![(vec![eq_table(&r_out), mask, zl], y_claim)], None)
    };
    let mut out = Vec::with_capacity(insts.len());
    for (tables, claim) in insts {
        let term = Term {
            coeff: Fr::one(),
            factors: vec![0, 1, 2],
        };
        let opens = vec![Open::Limbs(TensorRef::Gadget(lg), At::Point)];
        out.push(Contribution {
            inst: Box::new(Opened::at_point(
                ProductSum::new(tables, vec![term])?,
                opens,
            )),
            claim,
        });
    }
    Ok((out, msg))
}

// --- declarations (circuits/checks.md; built only when asked, `declared.rs`) ---

/// The output's checks (with ArgMax, `gadget.argmax.d` over the argmax-evals at
/// `r_d`) and its instances' `(gadget, name, claim)` in order.
pub fn declare_output(d: &Declarer<'_>) -> Result<(GadgetDecl, InstanceClaims)> {
    let (cx, rec) = (&d.cx, d.rec);
    let c = cx.c;
    let lg = c.output.gadget;
    let mut decl = GadgetDecl::default();
    let Some(msg) = &rec.argmax else {
        let y = pad_matrix(d.output, cx.b, c.output.features);
        let v = evaluate(&y, &rec.out_point);
        let claim = if rec.committed_output {
            Claim::committed(format!("{OUTPUT_EVALS}[0]"), v)
        } else {
            Claim::public("Y(r_out)", v)
        };
        let claim = claim.into();
        return Ok((decl, vec![(lg, "output".to_string(), claim)]));
    };
    let mut am = ClaimStream::new("argmax-evals", msg, 0);
    let dv = d.limbs(d.take(lg, ColumnKind::D, &mut am));
    let (a, cm) = (am.next_claim(), am.next_claim());
    let fv = log2(c.output.features.next_power_of_two());
    let (r_i, r_b) = features_batch(&rec.out_point, fv);
    let top = lt(r_i, c.output.features);
    let eb = eq_table(r_b);
    let last = c.output.argmax_last == Some(true);
    let strict: Fr = (0..cx.b)
        .map(|b| {
            let k = d.output[b] as usize;
            eb[b]
                * if last {
                    top - lt(r_i, k + 1)
                } else {
                    lt(r_i, k)
                }
        })
        .sum();
    let e = Expr::from(a.clone()).scaled(top)
        - cm.clone()
        - Claim::public("argmax.strict(r_d)", strict)
        - dv;
    decl.checks.push(Check::zero("gadget.argmax.d", e));
    Ok((
        decl,
        vec![
            (lg, "select".to_string(), a.into()),
            (lg, "masked".to_string(), cm.into()),
        ],
    ))
}

/// An output instance's value `weight(s) z_L(s)` (the weight public, computed here
/// from the prover's own tables of section 4 and 4b).
pub fn declare_output_value(
    d: &Declarer<'_>,
    name: &str,
    lg: usize,
    s: &[Fr],
    vals: &mut ClaimStream<'_>,
) -> Result<Expr> {
    let (cx, c) = (&d.cx, d.cx.c);
    let len = 1usize << s.len();
    let mask = evaluate(&output_mask(c.output.features, cx.b, len), s);
    let r = &d.rec.out_point;
    let weight = match name {
        "select" => {
            let np = c.output.features.next_power_of_two();
            let fv = log2(np);
            let mut sel = vec![Fr::zero(); len];
            for (row, k) in d.output.iter().enumerate() {
                if (0..c.output.features as i64).contains(k) {
                    sel[row * np + *k as usize] = Fr::one();
                }
            }
            eq_eval(features_batch(r, fv).1, features_batch(s, fv).1) * evaluate(&sel, s)
        }
        _ => eq_eval(r, s) * mask,
    };
    let z = d.value(TensorRef::Gadget(lg), vals, s);
    Ok(Expr::from(Claim::public(format!("output.{name}(s)"), weight)) * z)
}
