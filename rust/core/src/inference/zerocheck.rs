//! The second group of the batched sumcheck: one zerocheck per gadget with `ep`/`em`
//! columns (inference.md section 4) or a maxpool (conv.md section 3), in gadget order.

use ark_ff::One;

use super::circuit::{Circuit, ColumnKind, Producer};
use super::tensors::Columns;
use super::Claims;
use crate::error::Result;
use crate::field::{from_i64, Fr};
use crate::mle::{eq_table, evaluate};
use crate::sumcheck::product::Term;
use crate::sumcheck::ProductSum;

/// Gadgets taking part in the zerocheck loop, in order.
pub fn gadgets(c: &Circuit, cols: &Columns) -> Vec<usize> {
    (0..c.gadgets.len())
        .filter(|&g| {
            matches!(
                c.gadgets[g].producer,
                Producer::Maxpool { .. }
                    | Producer::Winmax(_)
                    | Producer::Rowmax { .. }
                    | Producer::Rowdiv { .. }
            ) || !cols.of(g, ColumnKind::Ep).is_empty()
                || !cols.of(g, ColumnKind::Em).is_empty()
        })
        .collect()
}

/// Gadget `g`'s instance: `sum_x eq(tau, x) ((z - hi) e+ + beta (z - lo) e-)`, or for
/// a maxpool `sum_x eq(tau, x) sum_w S_w(x) D_w(x)`, or a rowmax's or rowdiv's
/// (rowops.rs); the claim is 0.
pub fn instance(
    c: &Circuit,
    cols: &Columns,
    (input, b): (&[i64], usize),
    g: usize,
    tau: &[Fr],
    beta: Fr,
) -> Result<ProductSum> {
    let gad = &c.gadgets[g];
    let len = 1 << c.gadget_vars(g, b);
    match gad.producer {
        Producer::Rowmax { .. } => {
            return super::rowops::rowmax_instance(c, cols, input, b, g, tau, beta)
        }
        Producer::Rowdiv { .. } => {
            return super::rowops::rowdiv_instance(c, cols, input, b, g, tau, beta)
        }
        Producer::Winmax(_) => {
            return super::window::zerocheck_instance(c, cols, (input, b), g, tau, beta)
        }
        _ => {}
    }
    let mut tables = vec![eq_table(tau)];
    let mut terms = Vec::new();
    if let Producer::Maxpool { .. } = gad.producer {
        let k = gad.producer.windows();
        for w in 0..k {
            tables.push(cols.combine(&cols.of(g, ColumnKind::PoolSel(w)), 0, len));
        }
        for w in 0..k {
            tables.push(cols.combine(&cols.of(g, ColumnKind::PoolDiff(w)), 0, len));
            terms.push(Term {
                coeff: Fr::one(),
                factors: vec![0, 1 + w, 1 + k + w],
            });
        }
        return ProductSum::new(tables, terms);
    }
    tables.push(cols.combine(&cols.of(g, ColumnKind::U), gad.lo, len));
    let ep = cols.of(g, ColumnKind::Ep);
    let em = cols.of(g, ColumnKind::Em);
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
            coeff: beta,
            factors: vec![0, 1, e],
        });
        terms.push(Term {
            coeff: -beta * from_i64(gad.lo),
            factors: vec![0, e],
        });
    }
    ProductSum::new(tables, terms)
}

/// The instance's sumcheck-evals at `s`: `u`, `ep`, `em` limbs; for a maxpool every
/// `S_w`, then every `D_w` limb.
pub fn sumcheck_evals(
    c: &Circuit,
    claims: &mut Claims<'_>,
    cols: &Columns,
    (g, b): (usize, usize),
    s: &[Fr],
    out: &mut Vec<Fr>,
) {
    if matches!(
        c.gadgets[g].producer,
        Producer::Rowmax { .. } | Producer::Rowdiv { .. }
    ) {
        return super::rowops::sumcheck_evals(c, claims, cols, g, b, s, out);
    }
    let kinds: Vec<ColumnKind> = match c.gadgets[g].producer {
        Producer::Maxpool { .. } => {
            let k = c.gadgets[g].producer.windows();
            (0..k)
                .map(ColumnKind::PoolSel)
                .chain((0..k).map(ColumnKind::PoolDiff))
                .collect()
        }
        // conv.md section 5: every S_t, every D_t limb, then z's u (and v) limbs.
        Producer::Winmax(_) => {
            let k = c.gadgets[g].producer.windows();
            (0..k)
                .map(ColumnKind::PoolSel)
                .chain((0..k).map(ColumnKind::PoolDiff))
                .chain([ColumnKind::U, ColumnKind::V])
                .collect()
        }
        _ => vec![ColumnKind::U, ColumnKind::Ep, ColumnKind::Em],
    };
    for kind in kinds {
        for ci in cols.of(g, kind) {
            let v = evaluate(&cols.tables[ci], s);
            claims.column(ci, s, v);
            out.push(v);
        }
    }
}
