//! The elementwise maximum or minimum of two tensors, `"op": "max2"` (circuits/max.md):
//!
//! ```text
//! acc = dir * max(dir X, dir Y),   X = sx 2^lx x,  Y = sy 2^ly y,  dir = +1 (max) or -1 (min)
//! ```
//!
//! with committed `A = dir (acc - X)` and `B = dir (acc - Y)` (both range-checked to
//! `diff_bits`, so `A, B >= 0`), the zerocheck `A B = 0` on every entry (one of them is
//! zero: `acc` is `X` or `Y`), and two linear checks at the acc point,
//! `acc = X + dir A` and `acc = Y + dir B`. ONNX `Abs(x)` is `max(x, -x)`.

use ark_ff::One;
use serde::Deserialize;

use super::{columns_of, At, Ctx, GadgetProver, Instance, Open, Opened};
use crate::declare::{fr_i128, Expr};
use crate::error::{Error, Result};
use crate::field::{from_i64, Fr};
use crate::inference::circuit::{Circuit, ColumnKind, Gadget, MAX_BITS};
use crate::inference::declared::{eq_tau, Decl, Own};
use crate::inference::producer::{earlier, ExtraColumn, Op, ProducerJson, TensorRef};
#[cfg(any(test, feature = "testkit"))]
use crate::inference::testkit::{RefCx, Reference};
use crate::inference::Claims;
use crate::mle::eq_table;
use crate::sumcheck::product::Term;
use crate::sumcheck::ProductSum;

/// The differences `A = dir (acc - X)` and `B = dir (acc - Y)` (max.md 2).
pub const A: ColumnKind = ColumnKind::Op(0);
pub const B: ColumnKind = ColumnKind::Op(1);

/// A `max2` producer: its JSON form (exactly these keys) and, once [`Op::build`] has
/// checked it, its validated form.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Max2 {
    pub x: TensorRef,
    pub y: TensorRef,
    pub signs: [i64; 2],
    pub lshifts: [u32; 2],
    pub dir: i64,
    pub diff_bits: u32,
}

impl Op for Max2 {
    type Valid = Max2;

    /// max.md 1: both operands earlier tensors of `features` entries, signs and `dir`
    /// in `{1, -1}`, lshifts and `diff_bits` within `MAX_BITS` (`diff_bits >= 1`).
    fn build(&self, c: &Circuit<ProducerJson>, i: usize, g: &Gadget<ProducerJson>) -> Result<Max2> {
        let same = |t: TensorRef| earlier(i, t) && c.width(t) == g.features;
        let unit = |s: &i64| *s == 1 || *s == -1;
        let ok = same(self.x)
            && same(self.y)
            && self.signs.iter().all(unit)
            && unit(&self.dir)
            && self.lshifts.iter().all(|l| *l <= MAX_BITS)
            && (1..=MAX_BITS).contains(&self.diff_bits);
        if !ok {
            return Err(Error::InvalidArgument(format!(
                "circuit: gadget {i}: max2 operands do not match"
            )));
        }
        Ok(*self)
    }

    /// `A` then `B`, `diff_bits` wide, of the gadget's own length (max.md 2).
    fn extra_columns(p: &Max2) -> Vec<ExtraColumn> {
        vec![(A, p.diff_bits, None), (B, p.diff_bits, None)]
    }

    fn prover<'a>(g: usize, p: &'a Max2) -> Box<dyn GadgetProver + 'a> {
        Box::new(Max2Prover { g, p })
    }

    /// `acc`, then `A` and `B` as its extra columns ([`reference`]).
    #[cfg(any(test, feature = "testkit"))]
    fn reference<'a>(p: &'a Max2, cx: &RefCx<'_>) -> Reference<'a> {
        let (acc, a, b) = reference(p, &cx.table(p.x).0, &cx.table(p.y).0);
        Reference::with_extra(acc, vec![a, b])
    }
}

/// The honest `acc`, `A` and `B` over two padded operand tables (the test kits'
/// witness; the Python prover computes the same in zkml/witness_ops/max2.py).
pub fn reference(p: &Max2, x: &[i128], y: &[i128]) -> (Vec<i128>, Vec<i128>, Vec<i128>) {
    let d = i128::from(p.dir);
    let scale = |v: i128, k: usize| i128::from(p.signs[k]) * (v << p.lshifts[k]);
    let mut out = (Vec::new(), Vec::new(), Vec::new());
    for (a, b) in x.iter().zip(y) {
        let (xv, yv) = (scale(*a, 0), scale(*b, 1));
        let acc = d * (d * xv).max(d * yv);
        out.0.push(acc);
        out.1.push(d * (acc - xv));
        out.2.push(d * (acc - yv));
    }
    out
}

/// The `max2` gadget: operands' limbs at `r_g` after its own columns (`A`, `B`
/// included); one zerocheck instance `A B` carrying the clamp terms.
pub struct Max2Prover<'a> {
    pub g: usize,
    pub p: &'a Max2,
}

impl GadgetProver for Max2Prover<'_> {
    fn index(&self) -> usize {
        self.g
    }

    fn acc_evals(
        &mut self,
        cx: &Ctx<'_>,
        claims: &mut Claims<'_>,
        r_g: &[Fr],
        _acc: Fr,
        evals: &mut Vec<Fr>,
    ) -> Result<()> {
        claims.tensor_limbs(cx.cols, self.p.x, r_g, evals);
        claims.tensor_limbs(cx.cols, self.p.y, r_g, evals);
        Ok(())
    }

    fn zerocheck_vars(&self, cx: &Ctx<'_>) -> Option<usize> {
        Some(cx.c.gadget_vars(self.g, cx.b))
    }

    /// Its sumcheck-evals: the gadget's `u`, `ep`, `em` limbs, then `A`, `B` limbs.
    fn zerocheck(&self, cx: &Ctx<'_>, tau: &[Fr], beta: Fr) -> Result<Box<dyn Instance>> {
        let inst = instance(cx, self.g, tau, beta)?;
        let kinds = [ColumnKind::U, ColumnKind::Ep, ColumnKind::Em, A, B];
        let opens = vec![Open::Columns(
            columns_of(cx.cols, self.g, &kinds),
            At::Point,
        )];
        Ok(Box::new(Opened::at_point(inst, opens)))
    }

    /// `acc == X(r_g) + dir A(r_g)` and `acc == Y(r_g) + dir B(r_g)` (max.md 3).
    fn declare_acc(&self, cx: &mut Decl<'_, '_>, own: &Own) -> Result<Vec<Expr>> {
        let (g, p, r_g) = (self.g, self.p, cx.at);
        let a = cx.limbs_of(g, A);
        let b = cx.limbs_of(g, B);
        let dir = fr_i128(p.dir.into());
        for (k, (t, diff)) in [(p.x, a), (p.y, b)].into_iter().enumerate() {
            let v = (cx.value(t, r_g) << p.lshifts[k]).scaled(fr_i128(p.signs[k].into()));
            let e = own.acc.clone() - v - diff.scaled(dir);
            cx.check(g, ["relation-x", "relation-y"][k], e);
        }
        Ok(Vec::new())
    }

    fn zerocheck_name(&self) -> String {
        "max2".to_string()
    }

    /// `eq(tau, s) [A B + beta (z - hi) e+ + beta^2 (z - lo) e-]` (the clamp terms of
    /// an absent column dropped).
    fn declare_zerocheck_value(
        &self,
        cx: &mut Decl<'_, '_>,
        (tau, beta): (&[Fr], Fr),
    ) -> Result<Expr> {
        let (g, s) = (self.g, cx.at);
        let z = cx.value(TensorRef::Gadget(g), s);
        let ep = cx.limbs_of(g, ColumnKind::Ep);
        let em = cx.limbs_of(g, ColumnKind::Em);
        let a = cx.limbs_of(g, A);
        let b = cx.limbs_of(g, B);
        Ok(eq_tau(g, tau, s) * cx.with_clamp_terms(g, a * b, z, ep, em, beta))
    }
}

/// The zerocheck `sum_v eq(tau, v) [A B + beta (z - hi) e+ + beta^2 (z - lo) e-]`
/// (claim 0; degree 3).
fn instance(cx: &Ctx<'_>, g: usize, tau: &[Fr], beta: Fr) -> Result<ProductSum> {
    let (c, cols) = (cx.c, cx.cols);
    let gad = &c.gadgets[g];
    let len = 1 << c.gadget_vars(g, cx.b);
    // Factors: 0 eq, 1 A, 2 B, 3 z, then e+ and e- when present.
    let mut tables = vec![
        eq_table(tau),
        cols.combine(&cols.of(g, A), 0, len),
        cols.combine(&cols.of(g, B), 0, len),
        cols.combine(&cols.of(g, ColumnKind::U), gad.lo, len),
    ];
    let t = |coeff: Fr, factors: Vec<usize>| Term { coeff, factors };
    let mut terms = vec![t(Fr::one(), vec![0, 1, 2])];
    for (kind, w, bound) in [
        (ColumnKind::Ep, beta, gad.hi),
        (ColumnKind::Em, beta * beta, gad.lo),
    ] {
        let idx = cols.of(g, kind);
        if idx.is_empty() {
            continue;
        }
        tables.push(cols.combine(&idx, 0, len));
        let e = tables.len() - 1;
        terms.push(t(w, vec![0, 3, e]));
        terms.push(t(-w * from_i64(bound), vec![0, e]));
    }
    ProductSum::new(tables, terms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_is_max_and_min_with_one_zero_difference() {
        let x = [3i128, -2, 5, 0];
        let y = [1i128, 4, 5, -7];
        let mut p = Max2 {
            x: TensorRef::Input,
            y: TensorRef::Input,
            signs: [1, 1],
            lshifts: [0, 0],
            dir: 1,
            diff_bits: 4,
        };
        let (acc, a, b) = reference(&p, &x, &y);
        assert_eq!(acc, vec![3, 4, 5, 0]);
        assert!(a
            .iter()
            .zip(&b)
            .all(|(a, b)| *a >= 0 && *b >= 0 && a * b == 0));
        p.dir = -1;
        assert_eq!(reference(&p, &x, &y).0, vec![1, -2, 5, -7]);
        // Abs(x) = max(x, -x): y = x with sy = -1
        p = Max2 {
            dir: 1,
            signs: [1, -1],
            ..p
        };
        assert_eq!(reference(&p, &x, &x).0, vec![3, 2, 5, 0]);
        // scales aligned by the lshifts: max(2 x, y)
        p = Max2 {
            signs: [1, 1],
            lshifts: [1, 0],
            ..p
        };
        let (acc, a, b) = reference(&p, &x, &y);
        assert_eq!(acc, vec![6, 4, 10, 0]);
        assert_eq!((a[1], b[1]), (8, 0));
    }
}
