//! Declarations evaluated over commitments on the prover's side (circuits/zk.md 5.3):
//! the twin of the verifier's `zkml/verifier/zk/backend.py`. It visits terms in order
//! and factors left to right exactly as the verifier's `evaluate` does, so the product
//! commitments it makes are the verifier's `"zk-products"` in order.
//!
//! A committed claim's opening comes from the caller (the claims were committed when
//! their message was sent); products and inverses get fresh blinders; zero checks join
//! the one linear check; each product or inverse adds a triple to the batched proof of
//! product (sigma.md 7) in the sigma batch.
//!
//! One evaluator serves three backends: `HiddenEval` (openings), `PointEval` (the Rust
//! check of tests, with points) and `products_needed` (a count: the verifier reads
//! `"zk-products"` without a count, zk.md 5.5).

use std::ops::{Add, Mul};

use ark_bn254::{G1Affine, G1Projective};
use ark_ff::{Field, Zero};

use super::blinds::Blinds;
use super::hidden::Hidden;
use super::linear::LinearChecks;
use super::pedersen::Gens;
use super::products::{PointTriple, Triple};
use crate::declare::{Check, CheckKind, Claim, Expr, Factor};
use crate::error::{format_at, Error, Result};
use crate::field::Fr;

/// A value during evaluation: public, or committed (a backend's handle).
#[derive(Clone, Copy, Debug)]
enum Val<H> {
    Public(Fr),
    Hidden(H),
}

/// What evaluating a declaration asks of a backend: committed handles that add and
/// scale by public values, a public value as a handle, and products of two handles.
trait Backend {
    type H: Copy + Add<Output = Self::H> + Mul<Fr, Output = Self::H>;
    fn load(&mut self, c: &Claim) -> Result<Self::H>;
    fn constant(&self, v: Fr) -> Self::H;
    fn product(&mut self, a: Self::H, b: Self::H) -> Result<Self::H>;
}

/// The verifier's `evaluate`: per term, public factors multiply the coefficient,
/// committed ones chain through products left to right.
fn eval<B: Backend>(b: &mut B, e: &Expr) -> Result<Val<B::H>> {
    let (mut constant, mut acc): (Fr, Option<B::H>) = (Fr::zero(), None);
    for t in &e.terms {
        let mut public = t.coeff;
        let mut handles = Vec::new();
        for f in &t.factors {
            match (f, f.committed()) {
                (Factor::Claim(c), false) => public *= public_value(c)?,
                (Factor::Claim(c), true) => handles.push(b.load(c)?),
                (Factor::Expr(x), _) => match eval(b, x)? {
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
            h = b.product(h, *other)?;
        }
        let h = h * public;
        acc = Some(acc.map_or(h, |a| a + h));
    }
    Ok(match acc {
        None => Val::Public(constant),
        Some(h) => Val::Hidden(h + b.constant(constant)),
    })
}

/// A committed check's value (a check whose value is public is a caller's bug here).
fn hidden<B: Backend>(b: &mut B, e: &Expr) -> Result<B::H> {
    match eval(b, e)? {
        Val::Hidden(h) => Ok(h),
        Val::Public(_) => Err(Error::InvalidArgument(
            "a committed check evaluated public".into(),
        )),
    }
}

/// The prover's evaluator: what the declarations cost, collected in order.
pub struct HiddenEval<'a> {
    gens: &'a Gens,
    blinds: &'a mut Blinds,
    /// The `"zk-products"` message: product and inverse commitments in order.
    pub products: Vec<G1Affine>,
    /// The batched proof of product's triples `(x, y, z)`, in the same order.
    pub triples: Vec<Triple>,
    /// The zero checks' forms.
    pub linear: LinearChecks,
}

/// `HiddenEval` with the caller's openings of committed claims.
struct Opened<'e, 'a> {
    ev: &'e mut HiddenEval<'a>,
    open: &'e dyn Fn(&Claim) -> Result<Hidden>,
}

impl Backend for Opened<'_, '_> {
    type H = Hidden;
    fn load(&mut self, c: &Claim) -> Result<Hidden> {
        (self.open)(c)
    }
    fn constant(&self, v: Fr) -> Hidden {
        Hidden::public(v)
    }
    fn product(&mut self, a: Hidden, b: Hidden) -> Result<Hidden> {
        let z = Hidden::fresh(a.v * b.v, self.ev.blinds);
        Ok(self.ev.product_of(a, b, z, z))
    }
}

impl<'a> HiddenEval<'a> {
    pub fn new(gens: &'a Gens, blinds: &'a mut Blinds) -> Self {
        Self {
            gens,
            blinds,
            products: Vec::new(),
            triples: Vec::new(),
            linear: LinearChecks::default(),
        }
    }

    /// Run one check (a check with no committed claim is public: nothing to prove).
    /// `open` gives a committed claim's opening.
    pub fn run(&mut self, check: &Check, open: &dyn Fn(&Claim) -> Result<Hidden>) -> Result<()> {
        if !check.expr.committed() {
            return Ok(());
        }
        let v = hidden(&mut Opened { ev: self, open }, &check.expr)?;
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

    /// Send `sent`'s commitment (a product `z`, or an inverse `y` when `z` is the public
    /// 1) and add `z = x y` to the batched proof of product.
    fn product_of(&mut self, x: Hidden, y: Hidden, z: Hidden, sent: Hidden) -> Hidden {
        self.products.push(sent.point(self.gens));
        self.triples.push((x, y, z));
        z
    }
}

/// The verifier's twin with committed values as points (the Rust check of tests; the
/// Python verifier keeps forms, zk.md 5.1): it takes the `"zk-products"` points in
/// evaluation order and collects the batched proof of product's triples and the linear
/// check's points.
pub struct PointEval<'a> {
    gens: &'a Gens,
    products: &'a [G1Affine],
    next: usize,
    /// The triples `(X, Y, Z)` of the batched proof of product, in order.
    pub triples: Vec<PointTriple>,
    /// The zero checks' points, in check order.
    pub linear: Vec<G1Projective>,
}

/// `PointEval` with the caller's points of committed claims.
struct Sealed<'e, 'a> {
    ev: &'e mut PointEval<'a>,
    open: &'e dyn Fn(&Claim) -> Result<G1Projective>,
}

impl Backend for Sealed<'_, '_> {
    type H = G1Projective;
    fn load(&mut self, c: &Claim) -> Result<G1Projective> {
        (self.open)(c)
    }
    fn constant(&self, v: Fr) -> G1Projective {
        self.ev.gens.mul_g_e(v)
    }
    fn product(&mut self, a: G1Projective, b: G1Projective) -> Result<G1Projective> {
        let z: G1Projective = self.ev.take("a product")?.into();
        self.ev.triples.push((a, b, z));
        Ok(z)
    }
}

impl<'a> PointEval<'a> {
    pub fn new(gens: &'a Gens, products: &'a [G1Affine]) -> Self {
        Self {
            gens,
            products,
            next: 0,
            triples: Vec::new(),
            linear: Vec::new(),
        }
    }

    fn take(&mut self, what: &str) -> Result<G1Affine> {
        let Some(p) = self.products.get(self.next) else {
            return format_at("zk.products", format!("zk-products ends before {what}"));
        };
        self.next += 1;
        Ok(*p)
    }

    /// Run one check as `HiddenEval::run` does; `open` gives a committed claim's point.
    pub fn run(
        &mut self,
        check: &Check,
        open: &dyn Fn(&Claim) -> Result<G1Projective>,
    ) -> Result<()> {
        if !check.expr.committed() {
            return Ok(());
        }
        let v = hidden(&mut Sealed { ev: self, open }, &check.expr)?;
        match check.kind {
            CheckKind::Zero => self.linear.push(v),
            CheckKind::NonZero => {
                let inv = self.take(&format!("the inverse of {}", check.id))?;
                self.triples.push((v, inv.into(), self.gens.g_e.into()));
            }
        }
        Ok(())
    }

    /// Every product commitment was used (a longer message is malformed).
    pub fn finish(&self) -> Result<()> {
        if self.next != self.products.len() {
            return format_at("zk.products", "unused zk-products");
        }
        Ok(())
    }
}

/// A backend over openings that refuses products: a sumcheck's claim is a linear
/// form of committed claims (zk_inference.md 1.1, `zk.claim-linear`), evaluated before
/// the challenges a product's commitment would have to precede.
struct LinearOpenings<'e>(&'e dyn Fn(&Claim) -> Result<Hidden>);

impl Backend for LinearOpenings<'_> {
    type H = Hidden;
    fn load(&mut self, c: &Claim) -> Result<Hidden> {
        (self.0)(c)
    }
    fn constant(&self, v: Fr) -> Hidden {
        Hidden::public(v)
    }
    fn product(&mut self, _: Hidden, _: Hidden) -> Result<Hidden> {
        claim_not_linear()
    }
}

/// The same over points (the Rust check of tests).
struct LinearPoints<'e> {
    gens: &'e Gens,
    open: &'e dyn Fn(&Claim) -> Result<G1Projective>,
}

impl Backend for LinearPoints<'_> {
    type H = G1Projective;
    fn load(&mut self, c: &Claim) -> Result<G1Projective> {
        (self.open)(c)
    }
    fn constant(&self, v: Fr) -> G1Projective {
        self.gens.mul_g_e(v)
    }
    fn product(&mut self, _: G1Projective, _: G1Projective) -> Result<G1Projective> {
        claim_not_linear()
    }
}

/// The prover's refusal (zk_inference.md 1.1: a verifier refuses such a claim as
/// `zk.claim-linear`; a prover is asked for something it cannot do).
fn claim_not_linear<T>() -> Result<T> {
    Err(Error::InvalidArgument(
        "zk.claim-linear: a claim multiplies two committed values (it must be a linear form)"
            .into(),
    ))
}

/// The opening of `e`, a linear form of committed claims (`open` gives each one's):
/// a public value is `v G_e` with blinder 0; a product of two committed factors is
/// refused (an invalid argument).
pub fn linear_form(e: &Expr, open: &dyn Fn(&Claim) -> Result<Hidden>) -> Result<Hidden> {
    Ok(match eval(&mut LinearOpenings(open), e)? {
        Val::Public(v) => Hidden::public(v),
        Val::Hidden(h) => h,
    })
}

/// [`linear_form`] with committed values as points (the Rust check of tests).
pub fn linear_point(
    gens: &Gens,
    e: &Expr,
    open: &dyn Fn(&Claim) -> Result<G1Projective>,
) -> Result<G1Projective> {
    Ok(match eval(&mut LinearPoints { gens, open }, e)? {
        Val::Public(v) => gens.mul_g_e(v),
        Val::Hidden(h) => h,
    })
}

/// Counts the products a backend makes (values are irrelevant: every handle is 0).
struct Counter(usize);

impl Backend for Counter {
    type H = Fr;
    fn load(&mut self, _: &Claim) -> Result<Fr> {
        Ok(Fr::zero())
    }
    fn constant(&self, v: Fr) -> Fr {
        v
    }
    fn product(&mut self, _: Fr, _: Fr) -> Result<Fr> {
        self.0 += 1;
        Ok(Fr::zero())
    }
}

/// How many `"zk-products"` points `checks` take (zk.md 5.5: the declarations fix the
/// count, the message carries none): a product per committed factor after a term's
/// first, an inverse per committed `!= 0`.
pub fn products_needed(checks: &[Check]) -> Result<usize> {
    let mut c = Counter(0);
    for check in checks.iter().filter(|k| k.expr.committed()) {
        hidden(&mut c, &check.expr)?;
        if check.kind == CheckKind::NonZero {
            c.0 += 1;
        }
    }
    Ok(c.0)
}

fn public_value(c: &Claim) -> Result<Fr> {
    c.value
        .ok_or_else(|| Error::InvalidArgument(format!("public claim {} has no value", c.name)))
}
