//! Declarations evaluated over commitments on the prover's side (circuits/zk.md 5.3):
//! the twin of the verifier's `zkml/verifier/zk/backend.py`. It visits terms in order
//! and factors left to right exactly as the verifier's `evaluate` does, so the product
//! commitments it makes are the verifier's `"zk-products"` in order.
//!
//! A committed claim's opening comes from the caller (the claims were committed when
//! their message was sent); products and inverses get fresh blinders; zero checks join
//! the one linear check; each product or inverse adds a proof of product to the sigma
//! batch.

use ark_bn254::G1Affine;
use ark_ff::{Field, Zero};

use super::blinds::Blinds;
use super::hidden::Hidden;
use super::linear::LinearChecks;
use super::pedersen::Gens;
use super::sigma::{Statement, Witness};
use crate::declare::{Check, CheckKind, Claim, Expr, Factor};
use crate::error::{Error, Result};
use crate::field::Fr;

/// A value during evaluation: public, or committed with its opening.
#[derive(Clone, Copy, Debug)]
enum Val {
    Public(Fr),
    Hidden(Hidden),
}

/// The prover's evaluator: what the declarations cost, collected in order.
pub struct HiddenEval<'a> {
    gens: &'a Gens,
    blinds: &'a mut Blinds,
    /// The `"zk-products"` message: product and inverse commitments in order.
    pub products: Vec<G1Affine>,
    /// The proofs of product for the sigma batch, in the same order.
    pub items: Vec<(Statement, Witness)>,
    /// The zero checks' forms.
    pub linear: LinearChecks,
}

impl<'a> HiddenEval<'a> {
    pub fn new(gens: &'a Gens, blinds: &'a mut Blinds) -> Self {
        Self {
            gens,
            blinds,
            products: Vec::new(),
            items: Vec::new(),
            linear: LinearChecks::default(),
        }
    }

    /// Run one check (a check with no committed claim is public: nothing to prove).
    /// `open` gives a committed claim's opening.
    pub fn run(&mut self, check: &Check, open: &dyn Fn(&Claim) -> Result<Hidden>) -> Result<()> {
        if !check.expr.committed() {
            return Ok(());
        }
        let v = self.hidden(&check.expr, open)?;
        match check.kind {
            CheckKind::Zero => self.linear.push(v),
            CheckKind::NonZero => {
                let inv = v.v.inverse().unwrap_or(Fr::zero());
                let inv = Hidden::fresh(inv, self.blinds);
                self.product_of(v, inv, Hidden::public(Fr::from(1u64)), inv);
            }
        }
        Ok(())
    }

    fn hidden(&mut self, e: &Expr, open: &dyn Fn(&Claim) -> Result<Hidden>) -> Result<Hidden> {
        match self.eval(e, open)? {
            Val::Hidden(h) => Ok(h),
            Val::Public(_) => Err(Error::InvalidArgument(
                "a committed check evaluated public".into(),
            )),
        }
    }

    /// The verifier's `evaluate`: per term, public factors multiply the coefficient,
    /// committed ones chain through products left to right.
    fn eval(&mut self, e: &Expr, open: &dyn Fn(&Claim) -> Result<Hidden>) -> Result<Val> {
        let (mut constant, mut acc): (Fr, Option<Hidden>) = (Fr::zero(), None);
        for t in &e.terms {
            let mut public = t.coeff;
            let mut handles = Vec::new();
            for f in &t.factors {
                match (f, f.committed()) {
                    (Factor::Claim(c), false) => public *= public_value(c)?,
                    (Factor::Claim(c), true) => handles.push(open(c)?),
                    (Factor::Expr(x), _) => match self.eval(x, open)? {
                        Val::Public(v) => public *= v,
                        Val::Hidden(h) => handles.push(h),
                    },
                }
            }
            let Some((first, rest)) = handles.split_first() else {
                constant += public;
                continue;
            };
            let mut h = *first;
            for other in rest {
                let z = Hidden::fresh(h.v * other.v, self.blinds);
                h = self.product_of(h, *other, z, z);
            }
            let h = h * public;
            acc = Some(acc.map_or(h, |a| a + h));
        }
        Ok(match acc {
            None => Val::Public(constant),
            Some(h) => Val::Hidden(h + Hidden::public(constant)),
        })
    }

    /// Send `sent`'s commitment (a product `z`, or an inverse `y` when `z` is the public
    /// 1) and prove `z = x y`.
    fn product_of(&mut self, x: Hidden, y: Hidden, z: Hidden, sent: Hidden) -> Hidden {
        self.products.push(sent.point(self.gens));
        let stmt = Statement::Product {
            cx: x.point(self.gens),
            cy: y.point(self.gens),
            cz: z.point(self.gens),
        };
        let wit = Witness::Product {
            x: x.v,
            tx: x.t,
            y: y.v,
            ty: y.t,
            tz: z.t,
        };
        self.items.push((stmt, wit));
        z
    }
}

fn public_value(c: &Claim) -> Result<Fr> {
    c.value
        .ok_or_else(|| Error::InvalidArgument(format!("public claim {} has no value", c.name)))
}
