//! Row maximum and row division (nonlinear.md sections 7, 12; the instances in
//! `rowops.rs`): each a zerocheck, a rowmax's over its operand's length.

use super::{columns_of, At, Ctx, GadgetProver, Instance, Open, Opened};
use crate::error::Result;
use crate::field::Fr;
use crate::inference::circuit::{ColumnKind, TensorRef};
use crate::inference::rowops;
use crate::inference::Claims;

use crate::declare::Check;
use crate::declare::{ClaimStream, Expr};
use crate::inference::circuit::Producer;
use crate::inference::declared::{check_id, eq_tau, Declarer, Own};
use crate::inference::spatialsum::lt;
use ark_ff::One;

/// `z[g][b] = max_i x[b][i + P g]`: `S` at `(1/2.., r_grp, r_b)` after its own columns.
pub struct Rowmax {
    pub g: usize,
    pub x: TensorRef,
}

impl GadgetProver for Rowmax {
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
        rowops::rowmax_acc_evals(cx.cols, claims, self.g, r_g, evals);
        Ok(())
    }

    fn zerocheck_vars(&self, cx: &Ctx<'_>) -> Option<usize> {
        Some(cx.c.tensor_vars(self.x, cx.b))
    }

    /// Its sumcheck-evals: `x`'s `u` limbs, the gadget's `u` limbs at the
    /// `(group, batch)` part, the `D` limbs, `S`.
    fn zerocheck(&self, cx: &Ctx<'_>, tau: &[Fr], beta: Fr) -> Result<Box<dyn Instance>> {
        let g = self.g;
        let inst = rowops::rowmax_instance(cx.c, cx.cols, cx.input, cx.b, g, tau, beta)?;
        let opens = vec![
            Open::Limbs(self.x, At::Point),
            Open::Columns(
                cx.cols.of(g, ColumnKind::U),
                At::Suffix(cx.c.gadget_vars(g, cx.b)),
            ),
            Open::Columns(
                columns_of(cx.cols, g, &[ColumnKind::RowDiff, ColumnKind::RowSel]),
                At::Point,
            ),
        ];
        Ok(Box::new(Opened::at_point(inst, opens)))
    }

    /// `P S(1/2.., r_grp, r_b) == 1`: the row sums of `S` are 1 (nonlinear.md 7).
    fn declare_acc(
        &self,
        d: &Declarer<'_>,
        _r_g: &[Fr],
        vals: &mut ClaimStream<'_>,
        _own: &Own,
        checks: &mut Vec<Check>,
    ) -> Result<Vec<Expr>> {
        let k = row_vars(d, self.g);
        let centre = d.take(self.g, ColumnKind::RowSel, vals);
        let e = (d.limbs(centre) << k as u32) - Expr::i(1);
        checks.push(Check::zero(check_id(d.c(), self.g, "selectors"), e));
        Ok(Vec::new())
    }

    fn zerocheck_name(&self) -> String {
        "rowmax".to_string()
    }

    /// `eq(tau, s) [D - mask z + mask X + beta (1 - mask) S + beta^2 S D]`, mask =
    /// `lt(s_i, n)` public (nonlinear.md 7, 12).
    fn declare_zerocheck_value(
        &self,
        d: &Declarer<'_>,
        (tau, beta): (&[Fr], Fr),
        s: &[Fr],
        vals: &mut ClaimStream<'_>,
        _checks: &mut Vec<Check>,
    ) -> Result<Expr> {
        let (g, k) = (self.g, row_vars(d, self.g));
        let xv = d.value(self.x, vals, s);
        let z = d.value(TensorRef::Gadget(g), vals, &s[k..]);
        let diff = d.limbs(d.take(g, ColumnKind::RowDiff, vals));
        let sel = d.limbs(d.take(g, ColumnKind::RowSel, vals));
        let n = match &d.c().gadgets[g].producer {
            Producer::Rowmax { n, .. } => *n,
            _ => 0,
        };
        let mask = lt(&s[..k], n);
        let term = diff.clone() - z.scaled(mask)
            + xv.scaled(mask)
            + sel.clone().scaled(beta * (Fr::one() - mask))
            + sel.scaled(beta * beta) * diff;
        Ok(eq_tau(g, tau, s) * term)
    }
}

/// `q = round(2^l x / y_b)`: `y`'s limbs at `(r_grp, r_b)` after its own columns.
pub struct Rowdiv {
    pub g: usize,
    pub x: TensorRef,
    pub y: TensorRef,
}

impl GadgetProver for Rowdiv {
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
        let p = rowops::suffix(r_g, cx.c.tensor_vars(self.y, cx.b));
        claims.tensor_limbs(cx.cols, self.y, p, evals);
        Ok(())
    }

    fn zerocheck_vars(&self, cx: &Ctx<'_>) -> Option<usize> {
        Some(cx.c.gadget_vars(self.g, cx.b))
    }

    /// Its sumcheck-evals: `x`'s `u` limbs, `y`'s at the `(group, batch)` part, the
    /// gadget's `u`, `ep`, `em` limbs, `R` limbs.
    fn zerocheck(&self, cx: &Ctx<'_>, tau: &[Fr], beta: Fr) -> Result<Box<dyn Instance>> {
        let g = self.g;
        let inst = rowops::rowdiv_instance(cx.c, cx.cols, cx.input, cx.b, g, tau, beta)?;
        let kinds = [
            ColumnKind::U,
            ColumnKind::Ep,
            ColumnKind::Em,
            ColumnKind::DivRem,
        ];
        let opens = vec![
            Open::Limbs(self.x, At::Point),
            Open::Limbs(self.y, At::Suffix(cx.c.tensor_vars(self.y, cx.b))),
            Open::Columns(columns_of(cx.cols, g, &kinds), At::Point),
        ];
        Ok(Box::new(Opened::at_point(inst, opens)))
    }

    /// `R(r_g) + Rc(r_g) == 2 y(r_grp, r_b) - 1` (nonlinear.md 7, 12).
    fn declare_acc(
        &self,
        d: &Declarer<'_>,
        r_g: &[Fr],
        vals: &mut ClaimStream<'_>,
        own: &Own,
        checks: &mut Vec<Check>,
    ) -> Result<Vec<Expr>> {
        let p = rowops::suffix(r_g, d.c().tensor_vars(self.y, d.cx.b));
        let yv = d.value(self.y, vals, p);
        let e = own.r.clone() + own.rc.clone() - yv.scaled(Fr::from(2u64)) + Expr::i(1);
        checks.push(Check::zero(check_id(d.c(), self.g, "remainder"), e));
        Ok(Vec::new())
    }

    fn zerocheck_name(&self) -> String {
        "rowdiv".to_string()
    }

    /// `eq(tau, s) [2^(l+1) X + y - 2 y q - R + beta (z - hi) e+ + beta^2 (z - lo) e-]`
    /// with `q = z + e+ - e-` (nonlinear.md 7, 12; the clamp terms of an absent column
    /// dropped).
    fn declare_zerocheck_value(
        &self,
        d: &Declarer<'_>,
        (tau, beta): (&[Fr], Fr),
        s: &[Fr],
        vals: &mut ClaimStream<'_>,
        _checks: &mut Vec<Check>,
    ) -> Result<Expr> {
        let (c, g) = (d.c(), self.g);
        let gad = &c.gadgets[g];
        let xv = d.value(self.x, vals, s);
        let yv = d.value(
            self.y,
            vals,
            rowops::suffix(s, c.tensor_vars(self.y, d.cx.b)),
        );
        let z = d.value(TensorRef::Gadget(g), vals, s);
        let (has_ep, has_em) = (
            !d.cx.cols.of(g, ColumnKind::Ep).is_empty(),
            !d.cx.cols.of(g, ColumnKind::Em).is_empty(),
        );
        let ep = d.limbs(d.take(g, ColumnKind::Ep, vals));
        let em = d.limbs(d.take(g, ColumnKind::Em, vals));
        let rem = d.limbs(d.take(g, ColumnKind::DivRem, vals));
        let lshift = match &gad.producer {
            Producer::Rowdiv { lshift, .. } => *lshift,
            _ => 0,
        };
        let q = z.clone() + ep.clone() - em.clone();
        let two = Fr::from(2u64);
        let mut term = (xv << (lshift + 1)) + yv.clone() - yv.scaled(two) * q - rem;
        if has_ep {
            term = term + (z.clone() - Expr::i(gad.hi.into())).scaled(beta) * ep;
        }
        if has_em {
            term = term + (z - Expr::i(gad.lo.into())).scaled(beta * beta) * em;
        }
        Ok(eq_tau(g, tau, s) * term)
    }
}

/// `log2 P`: the position variables inside a row group (a rowmax's operand over its
/// own features, nonlinear.md 12).
fn row_vars(d: &Declarer<'_>, g: usize) -> usize {
    crate::inference::log2(rowops::row_group_size(d.c(), g))
}
