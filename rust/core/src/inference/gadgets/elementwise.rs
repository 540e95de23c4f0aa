//! Elementwise gadgets: `add`, `identity`, `affine` (inference.md section 6), `addconst`
//! (nonlinear.md section 10), the product `mul` (section 8) and the table gadget
//! (section 3: a lookup of pairs, no relation at its accumulator point).

use super::{At, Contribution, Ctx, GadgetProver, Open, Opened};
use crate::error::Result;
use crate::field::Fr;
use crate::inference::circuit::TensorRef;
use crate::inference::tensors::model_table;
use crate::inference::Claims;
use crate::mle::evaluate;

use crate::declare::{fr_i128, linear, Check, Claim, ClaimStream, Expr};
use crate::inference::circuit::Producer;
use crate::inference::declared::{check_id, Declarer, Own};
use crate::mle::eq_eval;

/// `add`, `identity` or `affine`: the operands' limbs at the gadget's point; a row
/// value `y` of an add is broadcast, its limbs at `(r_grp, r_b)` (nonlinear.md
/// sections 6, 12).
pub struct Elementwise {
    pub g: usize,
    pub operands: Vec<TensorRef>,
}

impl GadgetProver for Elementwise {
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
        for &x in &self.operands {
            let p = &r_g[r_g.len() - cx.c.tensor_vars(x, cx.b)..];
            claims.tensor_limbs(cx.cols, x, p, evals);
        }
        Ok(())
    }

    /// `acc == X(r_g)`, `sa 2^la X(r_g) + sb 2^lb Y(r_grp, r_b)` or `sum_k c_k X_k(r_g)`.
    fn declare_acc(
        &self,
        d: &Declarer<'_>,
        r_g: &[Fr],
        vals: &mut ClaimStream<'_>,
        own: &Own,
        checks: &mut Vec<Check>,
    ) -> Result<Vec<Expr>> {
        let c = d.c();
        let at = |x: TensorRef| &r_g[r_g.len() - c.tensor_vars(x, d.cx.b)..];
        let xs: Vec<Expr> = self
            .operands
            .iter()
            .map(|&x| d.value(x, vals, at(x)))
            .collect();
        let rhs = match &c.gadgets[self.g].producer {
            Producer::Add { signs, lshifts, .. } => {
                let sx = xs[0].clone() << lshifts[0];
                let sy = xs[1].clone() << lshifts[1];
                return self.relation(
                    d,
                    own.acc.clone()
                        - sx.scaled(fr_i128(signs[0].into()))
                        - sy.scaled(fr_i128(signs[1].into())),
                    checks,
                );
            }
            Producer::Affine { terms } => linear(
                terms.iter().zip(xs).map(|(t, x)| (fr_i128(t.1.into()), x)),
                Fr::from(0u64),
            ),
            _ => xs[0].clone(),
        };
        self.relation(d, own.acc.clone() - rhs, checks)
    }
}

impl Elementwise {
    fn relation(&self, d: &Declarer<'_>, e: Expr, checks: &mut Vec<Check>) -> Result<Vec<Expr>> {
        checks.push(Check::zero(check_id(d.c(), self.g, "relation"), e));
        Ok(Vec::new())
    }
}

/// `acc = 2^l x + C[f]`: `x`'s limbs at `r_g`, then `C(r_f)` (a model-stack claim).
pub struct Addconst<'a> {
    pub g: usize,
    pub x: TensorRef,
    pub name: &'a str,
}

impl GadgetProver for Addconst<'_> {
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
        claims.tensor_limbs(cx.cols, self.x, r_g, evals);
        let t = cx.c.tensor(self.name)?;
        let r_f = &r_g[..crate::inference::log2(t.cols_pad())];
        let v = evaluate(model_table(cx.model, t), r_f);
        claims.model(t, r_f, v);
        evals.push(v);
        Ok(())
    }

    /// `acc == 2^l X(r_g) + C(r_f)` (nonlinear.md section 10).
    fn declare_acc(
        &self,
        d: &Declarer<'_>,
        r_g: &[Fr],
        vals: &mut ClaimStream<'_>,
        own: &Own,
        checks: &mut Vec<Check>,
    ) -> Result<Vec<Expr>> {
        let lshift = match &d.c().gadgets[self.g].producer {
            Producer::Addconst { lshift, .. } => *lshift,
            _ => 0,
        };
        let xv = d.value(self.x, vals, r_g);
        let cv = vals.next_claim();
        let e = own.acc.clone() - (xv << lshift) - cv;
        checks.push(Check::zero(check_id(d.c(), self.g, "relation"), e));
        Ok(Vec::new())
    }
}

/// `acc = x y`: its acc-evals are its own columns only; one dense-group instance
/// `sum_v eq(r_g, v) X(v) Y(v) = acc(r_g)`, then `x`'s and `y`'s limbs at `s_g`.
pub struct Mul {
    pub g: usize,
    pub x: TensorRef,
    pub y: TensorRef,
}

impl GadgetProver for Mul {
    fn index(&self) -> usize {
        self.g
    }

    fn dense(&mut self, cx: &Ctx<'_>, r_g: &[Fr], acc: Fr) -> Result<Vec<Contribution>> {
        let inst = crate::inference::product::instance(cx.c, cx.cols, cx.ib(), self.g, r_g)?;
        let opens = vec![
            Open::Limbs(self.x, At::Point),
            Open::Limbs(self.y, At::Point),
        ];
        Ok(vec![Contribution {
            inst: Box::new(Opened::at_point(inst, opens)),
            claim: acc,
        }])
    }

    /// The instance's claim is `acc(r_g)`.
    fn declare_acc(
        &self,
        _d: &Declarer<'_>,
        _r_g: &[Fr],
        _vals: &mut ClaimStream<'_>,
        own: &Own,
        _checks: &mut Vec<Check>,
    ) -> Result<Vec<Expr>> {
        Ok(vec![own.acc.clone()])
    }

    /// `eq(r_g, s) X(s) Y(s)`: one term of three factors.
    fn declare_dense_value(
        &self,
        d: &Declarer<'_>,
        _k: usize,
        s: &[Fr],
        vals: &mut ClaimStream<'_>,
        _checks: &mut Vec<Check>,
    ) -> Result<Expr> {
        let xv = d.value(self.x, vals, s);
        let yv = d.value(self.y, vals, s);
        let eq = Claim::public(format!("g{}.eq(r,s)", self.g), eq_eval(&d.rec.r[self.g], s));
        Ok(Expr::from(eq) * xv * yv)
    }
}

/// A gadget with nothing but its own columns (a table gadget: its pairs are proved
/// by the LogUp, table.rs).
pub struct Plain {
    pub g: usize,
}

impl GadgetProver for Plain {
    fn index(&self) -> usize {
        self.g
    }
}
