//! Elementwise gadgets: `add`, `identity`, `affine` (inference.md section 6), `addconst`
//! (nonlinear.md section 10), the product `mul` (section 8) and the table gadget
//! (section 3: a lookup of pairs, no relation at its accumulator point).

use super::{acc_instance, At, Contribution, Ctx, GadgetProver, Open, Opened};
use crate::error::Result;
use crate::field::Fr;
use crate::inference::circuit::{Circuit, Gadget, TensorRef};
use crate::inference::producer::{self as op, Add, Affine, Identity, Op, ProducerJson};
use crate::inference::table::{self as table, TableGadget, TableJson};
use crate::inference::tensors::model_table;
#[cfg(any(test, feature = "testkit"))]
use crate::inference::testkit::{RefCx, Reference};
use crate::inference::Claims;
use crate::inference::{combine, product};
use crate::mle::evaluate;

use crate::declare::{fr_i128, linear, Claim, Expr};
use crate::inference::declared::{Decl, Own};
use crate::mle::eq_eval;

/// Which linear op an [`Elementwise`] gadget is.
pub enum Linear<'a> {
    Add(&'a Add),
    Identity(&'a Identity),
    Affine(&'a Affine),
}

impl Linear<'_> {
    /// The operands in order.
    fn operands(&self) -> Vec<TensorRef> {
        match self {
            Linear::Add(p) => vec![p.x, p.y],
            Linear::Identity(p) => vec![p.x],
            Linear::Affine(p) => p.terms.iter().map(|t| t.0).collect(),
        }
    }
}

/// `add`, `identity` or `affine`: the operands' limbs at the gadget's point; a row
/// value `y` of an add is broadcast, its limbs at `(r_grp, r_b)` (nonlinear.md
/// sections 6, 12).
pub struct Elementwise<'a> {
    pub g: usize,
    pub op: Linear<'a>,
}

impl GadgetProver for Elementwise<'_> {
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
        for x in self.op.operands() {
            let p = &r_g[r_g.len() - cx.c.tensor_vars(x, cx.b)..];
            claims.tensor_limbs(cx.cols, x, p, evals);
        }
        Ok(())
    }

    /// `acc == X(r_g)`, `sa 2^la X(r_g) + sb 2^lb Y(r_grp, r_b)` or `sum_k c_k X_k(r_g)`.
    fn declare_acc(&self, cx: &mut Decl<'_, '_>, own: &Own) -> Result<Vec<Expr>> {
        let (c, r_g, b) = (cx.d.c(), cx.at, cx.d.cx.b);
        let at = |x: TensorRef| &r_g[r_g.len() - c.tensor_vars(x, b)..];
        let xs: Vec<Expr> = (self.op.operands().into_iter())
            .map(|x| cx.value(x, at(x)))
            .collect();
        let rhs = match &self.op {
            Linear::Add(p) => {
                let sx = (xs[0].clone() << p.lshifts[0]).scaled(fr_i128(p.signs[0].into()));
                let sy = (xs[1].clone() << p.lshifts[1]).scaled(fr_i128(p.signs[1].into()));
                cx.check(self.g, "relation", own.acc.clone() - sx - sy);
                return Ok(Vec::new());
            }
            Linear::Affine(p) => linear(
                p.terms
                    .iter()
                    .zip(xs)
                    .map(|(t, x)| (fr_i128(t.1.into()), x)),
                Fr::from(0u64),
            ),
            Linear::Identity(_) => xs[0].clone(),
        };
        cx.check(self.g, "relation", own.acc.clone() - rhs);
        Ok(Vec::new())
    }
}

/// `acc = 2^l x + C[f]`: `x`'s limbs at `r_g`, then `C(r_f)` (a model-stack claim).
pub struct Addconst<'a> {
    pub g: usize,
    pub p: &'a op::Addconst,
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
        claims.tensor_limbs(cx.cols, self.p.x, r_g, evals);
        let t = cx.c.tensor(&self.p.c)?;
        let r_f = &r_g[..crate::inference::log2(t.cols_pad())];
        let v = evaluate(model_table(cx.model, t), r_f);
        claims.model(t, r_f, v);
        evals.push(v);
        Ok(())
    }

    /// `acc == 2^l X(r_g) + C(r_f)` (nonlinear.md section 10).
    fn declare_acc(&self, cx: &mut Decl<'_, '_>, own: &Own) -> Result<Vec<Expr>> {
        let xv = cx.value(self.p.x, cx.at);
        let cv = cx.vals.next_claim();
        let e = own.acc.clone() - (xv << self.p.lshift) - cv;
        cx.check(self.g, "relation", e);
        Ok(Vec::new())
    }
}

/// `acc = x y`: its acc-evals are its own columns only; one dense-group instance
/// `sum_v eq(r_g, v) X(v) Y(v) = acc(r_g)`, then `x`'s and `y`'s limbs at `s_g`.
pub struct Mul<'a> {
    pub g: usize,
    pub p: &'a op::Mul,
}

impl GadgetProver for Mul<'_> {
    fn index(&self) -> usize {
        self.g
    }

    fn dense(&mut self, cx: &Ctx<'_>, r_g: &[Fr], acc: Fr) -> Result<Vec<Contribution>> {
        let inst = crate::inference::product::instance(cx.c, cx.cols, cx.ib(), self.p, r_g)?;
        let opens = vec![
            Open::Limbs(self.p.x, At::Point),
            Open::Limbs(self.p.y, At::Point),
        ];
        Ok(vec![Contribution {
            inst: Box::new(Opened::at_point(inst, opens)),
            claim: acc,
        }])
    }

    fn declare_acc(&self, _cx: &mut Decl<'_, '_>, own: &Own) -> Result<Vec<Expr>> {
        acc_instance(own)
    }

    /// `eq(r_g, s) X(s) Y(s)`: one term of three factors.
    fn declare_dense_value(&self, cx: &mut Decl<'_, '_>, _k: usize) -> Result<Expr> {
        let s = cx.at;
        let xv = cx.value(self.p.x, s);
        let yv = cx.value(self.p.y, s);
        let eq = eq_eval(&cx.d.rec.r[self.g], s);
        let eq = Claim::public(format!("g{}.eq(r,s)", self.g), eq);
        Ok(Expr::from(eq) * xv * yv)
    }
}

/// A table gadget: nothing but its own columns at its point; its pairs are proved by
/// the LogUp (table.rs), as its lookup states.
pub struct Table<'a> {
    pub g: usize,
    pub p: &'a op::Table,
}

impl GadgetProver for Table<'_> {
    fn index(&self) -> usize {
        self.g
    }

    fn table_lookup(&self) -> Option<TableGadget> {
        Some(TableGadget {
            g: self.g,
            x: self.p.x,
            lo_x: self.p.lo_x,
            tensor: self.p.tensor.clone(),
        })
    }
}

// --- the ops (producer.rs `Op`): checks in product.rs, combine.rs, table.rs ---

impl Op for Add {
    type Valid = Add;

    fn build(&self, c: &Circuit<ProducerJson>, i: usize, g: &Gadget<ProducerJson>) -> Result<Add> {
        product::add(c, i, g, self)
    }

    fn prover<'a>(g: usize, p: &'a Add) -> Box<dyn GadgetProver + 'a> {
        Box::new(Elementwise {
            g,
            op: Linear::Add(p),
        })
    }

    /// A narrower `y` is a row value broadcast along the `P` positions of each group
    /// (nonlinear.md sections 6, 12).
    #[cfg(any(test, feature = "testkit"))]
    fn reference<'a>(p: &'a Add, cx: &RefCx<'_>) -> Reference<'a> {
        let (xt, _) = cx.table(p.x);
        let (yt, ny) = cx.table(p.y);
        let group = cx.g.features.next_power_of_two() / ny;
        let scaled = |k: usize, v: i128| p.signs[k] as i128 * (v << p.lshifts[k]);
        let acc = xt.iter().enumerate();
        Reference::acc(
            acc.map(|(i, a)| scaled(0, *a) + scaled(1, yt[i / group]))
                .collect(),
        )
    }
}

impl Op for Identity {
    type Valid = Identity;

    fn build(
        &self,
        c: &Circuit<ProducerJson>,
        i: usize,
        g: &Gadget<ProducerJson>,
    ) -> Result<Identity> {
        product::identity(c, i, g, self)
    }

    fn prover<'a>(g: usize, p: &'a Identity) -> Box<dyn GadgetProver + 'a> {
        Box::new(Elementwise {
            g,
            op: Linear::Identity(p),
        })
    }

    #[cfg(any(test, feature = "testkit"))]
    fn reference<'a>(p: &'a Identity, cx: &RefCx<'_>) -> Reference<'a> {
        Reference::acc(cx.table(p.x).0)
    }
}

impl Op for Affine {
    type Valid = Affine;

    fn build(
        &self,
        c: &Circuit<ProducerJson>,
        i: usize,
        g: &Gadget<ProducerJson>,
    ) -> Result<Affine> {
        product::affine(c, i, g, self)
    }

    fn prover<'a>(g: usize, p: &'a Affine) -> Box<dyn GadgetProver + 'a> {
        Box::new(Elementwise {
            g,
            op: Linear::Affine(p),
        })
    }

    #[cfg(any(test, feature = "testkit"))]
    fn reference<'a>(p: &'a Affine, cx: &RefCx<'_>) -> Reference<'a> {
        let mut acc = vec![0i128; cx.bp * cx.g.features.next_power_of_two()];
        for (x, coeff) in &p.terms {
            let (xt, _) = cx.table(*x);
            acc.iter_mut()
                .zip(&xt)
                .for_each(|(a, v)| *a += *coeff as i128 * v);
        }
        Reference::acc(acc)
    }
}

impl Op for op::Mul {
    type Valid = op::Mul;

    fn build(
        &self,
        c: &Circuit<ProducerJson>,
        i: usize,
        g: &Gadget<ProducerJson>,
    ) -> Result<op::Mul> {
        product::mul(c, i, g, self)
    }

    fn prover<'a>(g: usize, p: &'a op::Mul) -> Box<dyn GadgetProver + 'a> {
        Box::new(Mul { g, p })
    }

    #[cfg(any(test, feature = "testkit"))]
    fn reference<'a>(p: &'a op::Mul, cx: &RefCx<'_>) -> Reference<'a> {
        Reference::acc(product::reference_acc(&cx.table(p.x).0, &cx.table(p.y).0))
    }
}

impl Op for op::Addconst {
    type Valid = op::Addconst;

    fn build(
        &self,
        c: &Circuit<ProducerJson>,
        i: usize,
        g: &Gadget<ProducerJson>,
    ) -> Result<op::Addconst> {
        combine::addconst(c, i, g, self)
    }

    fn prover<'a>(g: usize, p: &'a op::Addconst) -> Box<dyn GadgetProver + 'a> {
        Box::new(Addconst { g, p })
    }

    #[cfg(any(test, feature = "testkit"))]
    fn reference<'a>(p: &'a op::Addconst, cx: &RefCx<'_>) -> Reference<'a> {
        let t = cx.c.tensor(&p.c).expect("constant");
        let cv = &cx.model_stack[t.offset..t.offset + t.cols_pad()];
        Reference::acc(combine::addconst_acc(&cx.table(p.x).0, cv, p.lshift))
    }
}

impl Op for TableJson {
    type Valid = op::Table;

    fn build(
        &self,
        c: &Circuit<ProducerJson>,
        i: usize,
        g: &Gadget<ProducerJson>,
    ) -> Result<op::Table> {
        table::build(c, i, g, self)
    }

    fn prover<'a>(g: usize, p: &'a op::Table) -> Box<dyn GadgetProver + 'a> {
        Box::new(Table { g, p })
    }

    /// `T[x - lo_x]`, 0 for an `x` outside the table.
    #[cfg(any(test, feature = "testkit"))]
    fn reference<'a>(p: &'a op::Table, cx: &RefCx<'_>) -> Reference<'a> {
        let t = &p.tensor;
        let tv = &cx.model_stack[t.offset..t.offset + t.cols];
        let lookup = |v: &i128| {
            let j = usize::try_from(v - p.lo_x as i128).ok();
            j.and_then(|j| tv.get(j)).map_or(0, |t| *t as i128)
        };
        Reference::acc(cx.table(p.x).0.iter().map(lookup).collect())
    }
}
