//! Row maximum and row division (nonlinear.md sections 7, 12; the instances in
//! `rowops.rs`): each a zerocheck, a rowmax's over its operand's length.

use super::{columns_of, At, Ctx, GadgetProver, Instance, Open, Opened};
use crate::error::Result;
use crate::field::Fr;
use crate::inference::circuit::{Circuit, ColumnKind, Gadget, TensorRef};
use crate::inference::producer::{ExtraColumn, Op, ProducerJson};
use crate::inference::rowops::{self, RowdivJson, RowmaxJson};
#[cfg(any(test, feature = "testkit"))]
use crate::inference::testkit::{RefCx, Reference};
#[cfg(any(test, feature = "testkit"))]
use crate::inference::testkit_softmax::{rowdiv_acc, rowmax_acc, rowmax_columns};
use crate::inference::Claims;

use crate::declare::Expr;
use crate::inference::declared::{eq_tau, Decl, Own};
use crate::inference::producer as op;
use crate::inference::spatialsum::lt;
use ark_ff::One;

/// `z[g][b] = max_i x[b][i + P g]`: `S` at `(1/2.., r_grp, r_b)` after its own columns.
pub struct Rowmax<'a> {
    pub g: usize,
    pub p: &'a op::Rowmax,
}

impl GadgetProver for Rowmax<'_> {
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
        Some(cx.c.tensor_vars(self.p.x, cx.b))
    }

    /// Its sumcheck-evals: `x`'s `u` limbs, the gadget's `u` limbs at the
    /// `(group, batch)` part, the `D` limbs, `S`.
    fn zerocheck(&self, cx: &Ctx<'_>, tau: &[Fr], beta: Fr) -> Result<Box<dyn Instance>> {
        let g = self.g;
        let inst = rowops::rowmax_instance(cx.c, cx.cols, cx.ib(), (g, self.p), tau, beta)?;
        let opens = vec![
            Open::Limbs(self.p.x, At::Point),
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
    fn declare_acc(&self, cx: &mut Decl<'_, '_>, _own: &Own) -> Result<Vec<Expr>> {
        let k = crate::inference::log2(self.p.group);
        let centre = cx.limbs_of(self.g, ColumnKind::RowSel);
        cx.check(self.g, "selectors", (centre << k as u32) - Expr::i(1));
        Ok(Vec::new())
    }

    fn zerocheck_name(&self) -> String {
        "rowmax".to_string()
    }

    /// `eq(tau, s) [D - mask z + mask X + beta (1 - mask) S + beta^2 S D]`, mask =
    /// `lt(s_i, n)` public (nonlinear.md 7, 12).
    fn declare_zerocheck_value(
        &self,
        cx: &mut Decl<'_, '_>,
        (tau, beta): (&[Fr], Fr),
    ) -> Result<Expr> {
        let (g, k, s) = (self.g, crate::inference::log2(self.p.group), cx.at);
        let xv = cx.value(self.p.x, s);
        let z = cx.value(TensorRef::Gadget(g), &s[k..]);
        let diff = cx.limbs_of(g, ColumnKind::RowDiff);
        let sel = cx.limbs_of(g, ColumnKind::RowSel);
        let mask = lt(&s[..k], self.p.n);
        let term = diff.clone() - z.scaled(mask)
            + xv.scaled(mask)
            + sel.clone().scaled(beta * (Fr::one() - mask))
            + sel.scaled(beta * beta) * diff;
        Ok(eq_tau(g, tau, s) * term)
    }
}

/// `q = round(2^l x / y_b)`: `y`'s limbs at `(r_grp, r_b)` after its own columns.
pub struct Rowdiv<'a> {
    pub g: usize,
    pub p: &'a op::Rowdiv,
}

impl GadgetProver for Rowdiv<'_> {
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
        let p = rowops::suffix(r_g, cx.c.tensor_vars(self.p.y, cx.b));
        claims.tensor_limbs(cx.cols, self.p.y, p, evals);
        Ok(())
    }

    fn zerocheck_vars(&self, cx: &Ctx<'_>) -> Option<usize> {
        Some(cx.c.gadget_vars(self.g, cx.b))
    }

    /// Its sumcheck-evals: `x`'s `u` limbs, `y`'s at the `(group, batch)` part, the
    /// gadget's `u`, `ep`, `em` limbs, `R` limbs.
    fn zerocheck(&self, cx: &Ctx<'_>, tau: &[Fr], beta: Fr) -> Result<Box<dyn Instance>> {
        let g = self.g;
        let inst = rowops::rowdiv_instance(cx.c, cx.cols, cx.ib(), (g, self.p), tau, beta)?;
        let kinds = [
            ColumnKind::U,
            ColumnKind::Ep,
            ColumnKind::Em,
            ColumnKind::DivRem,
        ];
        let opens = vec![
            Open::Limbs(self.p.x, At::Point),
            Open::Limbs(self.p.y, At::Suffix(cx.c.tensor_vars(self.p.y, cx.b))),
            Open::Columns(columns_of(cx.cols, g, &kinds), At::Point),
        ];
        Ok(Box::new(Opened::at_point(inst, opens)))
    }

    /// `R(r_g) + Rc(r_g) == 2 y(r_grp, r_b) - 1` (nonlinear.md 7, 12).
    fn declare_acc(&self, cx: &mut Decl<'_, '_>, own: &Own) -> Result<Vec<Expr>> {
        let y = self.p.y;
        let p = rowops::suffix(cx.at, cx.d.c().tensor_vars(y, cx.d.cx.b));
        let yv = cx.value(y, p);
        let e = own.r.clone() + own.rc.clone() - yv.scaled(Fr::from(2u64)) + Expr::i(1);
        cx.check(self.g, "remainder", e);
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
        cx: &mut Decl<'_, '_>,
        (tau, beta): (&[Fr], Fr),
    ) -> Result<Expr> {
        let (d, g, s) = (cx.d, self.g, cx.at);
        let (c, lshift) = (d.c(), self.p.lshift);
        let xv = cx.value(self.p.x, s);
        let yv = cx.value(self.p.y, rowops::suffix(s, c.tensor_vars(self.p.y, d.cx.b)));
        let z = cx.value(TensorRef::Gadget(g), s);
        let ep = cx.limbs_of(g, ColumnKind::Ep);
        let em = cx.limbs_of(g, ColumnKind::Em);
        let rem = cx.limbs_of(g, ColumnKind::DivRem);
        let q = z.clone() + ep.clone() - em.clone();
        let two = Fr::from(2u64);
        let term = (xv << (lshift + 1)) + yv.clone() - yv.scaled(two) * q - rem;
        Ok(eq_tau(g, tau, s) * cx.with_clamp_terms(g, term, z, ep, em, beta))
    }
}

// --- the ops (producer.rs `Op`): checks in rowops.rs ---

impl Op for RowmaxJson {
    type Valid = op::Rowmax;

    fn build(
        &self,
        c: &Circuit<ProducerJson>,
        i: usize,
        g: &Gadget<ProducerJson>,
    ) -> Result<op::Rowmax> {
        rowops::rowmax(c, i, g, self)
    }

    fn extra_columns(p: &op::Rowmax) -> Vec<ExtraColumn> {
        p.columns()
    }

    fn prover<'a>(g: usize, p: &'a op::Rowmax) -> Box<dyn GadgetProver + 'a> {
        Box::new(Rowmax { g, p })
    }

    /// `D`, `S` from the written `z` and the operand.
    #[cfg(any(test, feature = "testkit"))]
    fn reference<'a>(p: &'a op::Rowmax, cx: &RefCx<'_>) -> Reference<'a> {
        let (xt, nx) = cx.table(p.x);
        let acc = rowmax_acc(&xt, nx / cx.g.features.next_power_of_two(), p.n);
        Reference::from_z(acc, move |z| {
            let (d, s) = rowmax_columns(z, &xt, p.n);
            vec![d, s]
        })
    }
}

impl Op for RowdivJson {
    type Valid = op::Rowdiv;

    fn build(
        &self,
        c: &Circuit<ProducerJson>,
        i: usize,
        g: &Gadget<ProducerJson>,
    ) -> Result<op::Rowdiv> {
        rowops::rowdiv(c, i, g, self)
    }

    fn extra_columns(p: &op::Rowdiv) -> Vec<ExtraColumn> {
        p.columns()
    }

    fn prover<'a>(g: usize, p: &'a op::Rowdiv) -> Box<dyn GadgetProver + 'a> {
        Box::new(Rowdiv { g, p })
    }

    /// `q`, then `R` and `Rc` of the honest quotient.
    #[cfg(any(test, feature = "testkit"))]
    fn reference<'a>(p: &'a op::Rowdiv, cx: &RefCx<'_>) -> Reference<'a> {
        let (xt, _) = cx.table(p.x);
        let (yt, ny) = cx.table(p.y);
        let np = cx.g.features.next_power_of_two();
        let (acc, r, rc) = rowdiv_acc(&xt, &yt, np / ny, p.lshift);
        Reference::with_extra(acc, vec![r, rc])
    }
}
