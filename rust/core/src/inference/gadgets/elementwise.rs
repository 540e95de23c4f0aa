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
