//! The output check (inference.md section 4, argmax section 4b): the statement's
//! output against the output gadget `L`, instances of the output group of the
//! batched sumcheck. `eq`, the mask and `z_L` (or `eq_b`, `S`, `z_L`) are separate
//! multilinear factors: the verifier evaluates each, so none is folded into another.

use ark_ff::{One, Zero};

use super::circuit::{ColumnKind, TensorRef};
use super::gadgets::{column_evals, At, Contribution, Ctx, Open, Opened};
use super::tensors::pad_matrix;
use super::{log2, output_mask, Claims};
use crate::error::Result;
use crate::field::Fr;
use crate::mle::{eq_table, evaluate};
use crate::sumcheck::product::Term;
use crate::sumcheck::ProductSum;
use crate::transcript::Transcript;

/// The output group's instances (their sumcheck-evals: `z_L`'s `u` limbs) and,
/// with an argmax output, its message (the `D` limbs at `r_d`, `A`, `C`).
pub fn prove(
    cx: &Ctx<'_>,
    t: &mut Transcript,
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
        t.absorb_frs("argmax-evals", &evals);
        let insts = vec![(vec![eb_tab, sel, zl.clone()], a), (vec![er, mask, zl], cm)];
        (insts, Some(evals))
    } else {
        let r_out = t.squeeze_n("output-point", n_l);
        let y_claim = evaluate(&pad_matrix(output, cx.b, out_feat), &r_out);
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
