//! Final checks declared as data (circuits/checks.md), on the prover's side.
//!
//! The same model as the Python verifier's `zkml/verifier/declarations.py`: a [`Claim`]
//! is one named value, committed (a message entry, named by message and position such
//! as `acc-evals[3][0]` or `sumcheck-evals[7]`) or public (computed from the statement,
//! the circuit and the challenges); an [`Expr`] is a sum of terms, each a public
//! coefficient times an ordered product of factors (a claim, or an expression: a linear
//! form of committed claims is one factor); a [`Check`] is `expr == 0` or `expr != 0`
//! under a stable id. Under hiding (circuits/zk.md) the prover commits exactly the
//! partial products these declarations multiply, left to right, so the algebra below
//! builds terms exactly as the Python algebra does (`+` concatenates terms, `*` merges
//! the factors of one-term sides, a constant scales).
//!
//! Declarations are built only when asked (tests, and the hiding prover): never on the
//! normal prove path. [`Expr::eval`] is the clear evaluator; [`Expr::canonical`] the
//! JSON form `circuits/vectors/declarations.json` pins across languages.

use std::ops::{Add, Mul, Neg, Shl, Sub};

use ark_ff::{Field, One, PrimeField, Zero};
use serde_json::{json, Value};

use crate::field::Fr;

/// One named value: committed (sent by the prover) or public; `value` is `None` for a
/// public claim the prover names but does not compute (module doc of its gadget).
#[derive(Clone, Debug, PartialEq)]
pub struct Claim {
    pub name: String,
    pub committed: bool,
    pub value: Option<Fr>,
}

impl Claim {
    /// A committed claim with the value the prover sent.
    pub fn committed(name: impl Into<String>, value: Fr) -> Self {
        Claim {
            name: name.into(),
            committed: true,
            value: Some(value),
        }
    }

    /// A public claim the prover computes.
    pub fn public(name: impl Into<String>, value: Fr) -> Self {
        Claim {
            name: name.into(),
            committed: false,
            value: Some(value),
        }
    }

    /// A public claim named only (its value is the verifier's; the prover does not
    /// compute it today).
    pub fn named(name: impl Into<String>) -> Self {
        Claim {
            name: name.into(),
            committed: false,
            value: None,
        }
    }
}

/// A factor of a term: a claim or a whole expression (a linear form is one factor).
#[derive(Clone, Debug, PartialEq)]
pub enum Factor {
    Claim(Claim),
    Expr(Expr),
}

impl Factor {
    /// Whether any claim in it is committed.
    pub fn committed(&self) -> bool {
        match self {
            Factor::Claim(c) => c.committed,
            Factor::Expr(e) => e.committed(),
        }
    }
}

/// `coeff * prod(factors)`, the coefficient public.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    pub coeff: Fr,
    pub factors: Vec<Factor>,
}

/// A sum of terms.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Expr {
    pub terms: Vec<Term>,
}

impl Expr {
    /// The constant `c` (one factor-free term, kept even when zero, as in Python).
    pub fn int(c: Fr) -> Self {
        Expr {
            terms: vec![Term {
                coeff: c,
                factors: Vec::new(),
            }],
        }
    }

    /// The constant of a signed integer.
    pub fn i(c: i128) -> Self {
        Expr::int(fr_i128(c))
    }

    /// Whether any factor is committed.
    pub fn committed(&self) -> bool {
        self.terms
            .iter()
            .any(|t| t.factors.iter().any(Factor::committed))
    }

    /// `c * self`, distributed over the terms.
    pub fn scaled(mut self, c: Fr) -> Self {
        self.terms.iter_mut().for_each(|t| t.coeff *= c);
        self
    }

    fn single(&self) -> Option<&Term> {
        (self.terms.len() == 1).then(|| &self.terms[0])
    }

    /// The value, or `None` when a public claim carries no value (the clear backend).
    pub fn eval(&self) -> Option<Fr> {
        let mut total = Fr::zero();
        for t in &self.terms {
            let mut v = t.coeff;
            for f in &t.factors {
                v *= match f {
                    Factor::Claim(c) => c.value?,
                    Factor::Expr(e) => e.eval()?,
                };
            }
            total += v;
        }
        Some(total)
    }

    /// The public claims named without a value, in order.
    pub fn unvalued(&self, out: &mut Vec<String>) {
        for f in self.terms.iter().flat_map(|t| &t.factors) {
            match f {
                Factor::Claim(c) if c.value.is_none() => out.push(c.name.clone()),
                Factor::Claim(_) => {}
                Factor::Expr(e) => e.unvalued(out),
            }
        }
    }

    /// Every committed claim in it (with repeats), in order.
    pub fn committed_claims<'a>(&'a self, out: &mut Vec<&'a Claim>) {
        for f in self.terms.iter().flat_map(|t| &t.factors) {
            match f {
                Factor::Claim(c) if c.committed => out.push(c),
                Factor::Claim(_) => {}
                Factor::Expr(e) => e.committed_claims(out),
            }
        }
    }

    /// The committed claim `name` moved by `delta` (cheating tests).
    pub fn tamper(&mut self, name: &str, delta: Fr) {
        for f in self.terms.iter_mut().flat_map(|t| &mut t.factors) {
            match f {
                Factor::Claim(c) if c.committed && c.name == name => {
                    c.value = c.value.map(|v| v + delta)
                }
                Factor::Claim(_) => {}
                Factor::Expr(e) => e.tamper(name, delta),
            }
        }
    }

    /// The canonical JSON form (circuits/checks.md 5): the factor-free terms summed into
    /// `const`, then every term with factors in order; a factor expression that is one
    /// factor times 1 is written as that factor. Public claims carry their value (or
    /// null), committed ones their name only.
    pub fn canonical(&self) -> Value {
        let mut constant = Fr::zero();
        let mut terms = Vec::new();
        for t in &self.terms {
            if t.factors.is_empty() {
                constant += t.coeff;
                continue;
            }
            let fs: Vec<Value> = t.factors.iter().map(canonical_factor).collect();
            terms.push(json!({"coeff": dec(&t.coeff), "factors": fs}));
        }
        json!({"const": dec(&constant), "terms": terms})
    }
}

fn canonical_factor(f: &Factor) -> Value {
    match f {
        Factor::Claim(c) => json!({
            "claim": c.name,
            "committed": c.committed,
            "value": if c.committed { Value::Null } else { c.value.as_ref().map_or(Value::Null, |v| Value::String(dec(v))) },
        }),
        Factor::Expr(e) => {
            let lone = e.terms.iter().filter(|t| !t.factors.is_empty()).count() == 1
                && e.terms
                    .iter()
                    .all(|t| !t.factors.is_empty() || t.coeff.is_zero());
            if let (true, Some(t)) = (lone, e.terms.iter().find(|t| !t.factors.is_empty())) {
                if t.coeff.is_one() && t.factors.len() == 1 {
                    return canonical_factor(&t.factors[0]);
                }
            }
            json!({"expr": e.canonical(), "committed": e.committed()})
        }
    }
}

/// A field element as a decimal string (the vectors' encoding).
pub fn dec(x: &Fr) -> String {
    x.into_bigint().to_string()
}

/// A signed integer in the field.
pub fn fr_i128(v: i128) -> Fr {
    let m = Fr::from(v.unsigned_abs());
    if v < 0 {
        -m
    } else {
        m
    }
}

impl From<Claim> for Expr {
    fn from(c: Claim) -> Self {
        Expr {
            terms: vec![Term {
                coeff: Fr::one(),
                factors: vec![Factor::Claim(c)],
            }],
        }
    }
}

impl<T: Into<Expr>> Add<T> for Expr {
    type Output = Expr;
    fn add(mut self, other: T) -> Expr {
        self.terms.extend(other.into().terms);
        self
    }
}

impl<T: Into<Expr>> Sub<T> for Expr {
    type Output = Expr;
    fn sub(mut self, other: T) -> Expr {
        self.terms.extend(other.into().scaled(-Fr::one()).terms);
        self
    }
}

impl Neg for Expr {
    type Output = Expr;
    fn neg(self) -> Expr {
        self.scaled(-Fr::one())
    }
}

impl Shl<u32> for Expr {
    type Output = Expr;
    /// Times `2^k` (a public shift).
    fn shl(self, k: u32) -> Expr {
        self.scaled(Fr::from(2u64).pow([u64::from(k)]))
    }
}

impl<T: Into<Expr>> Mul<T> for Expr {
    type Output = Expr;
    /// Python's `_product`: a constant side scales the other; one-term sides merge
    /// their factors; a longer sum is one factor.
    fn mul(self, other: T) -> Expr {
        let b = other.into();
        if let Some(t) = self.single().filter(|t| t.factors.is_empty()) {
            return b.scaled(t.coeff);
        }
        if let Some(t) = b.single().filter(|t| t.factors.is_empty()) {
            return self.scaled(t.coeff);
        }
        let split = |e: Expr| -> (Fr, Vec<Factor>) {
            if e.terms.len() == 1 {
                let t = e.terms.into_iter().next().expect("one term");
                (t.coeff, t.factors)
            } else {
                (Fr::one(), vec![Factor::Expr(e)])
            }
        };
        let (ca, mut fa) = split(self);
        let (cb, fb) = split(b);
        fa.extend(fb);
        Expr {
            terms: vec![Term {
                coeff: ca * cb,
                factors: fa,
            }],
        }
    }
}

/// `const + sum c_k x_k` (Python's `linear`: the constant term only when non-zero).
pub fn linear(items: impl IntoIterator<Item = (Fr, Expr)>, constant: Fr) -> Expr {
    let mut terms = Vec::new();
    if !constant.is_zero() {
        terms.push(Term {
            coeff: constant,
            factors: Vec::new(),
        });
    }
    for (c, x) in items {
        terms.extend(x.scaled(c).terms);
    }
    Expr { terms }
}

/// The kind of a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckKind {
    Zero,
    NonZero,
}

/// `expr == 0` or `expr != 0` under its id (`gadget.<op>.<check>`, `inference.final`).
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub id: String,
    pub kind: CheckKind,
    pub expr: Expr,
}

impl Check {
    pub fn zero(id: impl Into<String>, expr: Expr) -> Self {
        Check {
            id: id.into(),
            kind: CheckKind::Zero,
            expr,
        }
    }

    /// Whether the check holds in the clear (`None` when a public value is unnamed).
    pub fn holds(&self) -> Option<bool> {
        let v = self.expr.eval()?;
        Some(match self.kind {
            CheckKind::Zero => v.is_zero(),
            CheckKind::NonZero => !v.is_zero(),
        })
    }

    pub fn canonical(&self) -> Value {
        let kind = match self.kind {
            CheckKind::Zero => "zero",
            CheckKind::NonZero => "nonzero",
        };
        json!({"id": self.id, "kind": kind, "expr": self.expr.canonical()})
    }
}

/// One instance of a batched sumcheck as declared: its claim (the sum it reduces) and
/// its value at the sumcheck point.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceDecl {
    pub name: String,
    pub gadget: usize,
    pub claim: Expr,
    pub value: Expr,
}

impl InstanceDecl {
    pub fn canonical(&self) -> Value {
        json!({"name": self.name, "gadget": self.gadget,
               "claim": self.claim.canonical(), "value": self.value.canonical()})
    }
}

/// The committed claims `label[j]` of one message, in the order sent.
pub struct ClaimStream<'a> {
    label: String,
    vals: &'a [Fr],
    pos: usize,
}

impl<'a> ClaimStream<'a> {
    pub fn new(label: impl Into<String>, vals: &'a [Fr], start: usize) -> Self {
        ClaimStream {
            label: label.into(),
            vals,
            pos: start,
        }
    }

    /// The next claim.
    ///
    /// # Panics
    /// When the message has no more entries (a declaration reading more than the
    /// prover sent is a bug of the declaration).
    pub fn next_claim(&mut self) -> Claim {
        let j = self.pos;
        self.pos += 1;
        Claim::committed(format!("{}[{j}]", self.label), self.vals[j])
    }

    /// The next `n` claims.
    pub fn take(&mut self, n: usize) -> Vec<Claim> {
        (0..n).map(|_| self.next_claim()).collect()
    }

    /// How many entries were read.
    pub fn position(&self) -> usize {
        self.pos
    }
}

/// The value at `c` of the polynomial with the given values at `0..=d` (the batched
/// sumcheck's final value from its last round).
pub fn interpolate(vals: &[Fr], c: Fr) -> Fr {
    let n = vals.len();
    let mut total = Fr::zero();
    for (i, v) in vals.iter().enumerate() {
        let (mut num, mut den) = (Fr::one(), Fr::one());
        for j in (0..n).filter(|&j| j != i) {
            num *= c - Fr::from(j as u64);
            den *= Fr::from(i as u64) - Fr::from(j as u64);
        }
        total += *v * num * den.inverse().expect("distinct nodes");
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, v: u64) -> Expr {
        Claim::committed(name, Fr::from(v)).into()
    }

    #[test]
    fn products_merge_one_term_sides_and_keep_sums_as_factors() {
        // 2abc: one term of three factors
        let e = (c("a", 3) * c("b", 4)) * c("c", 5) * Expr::i(2);
        assert_eq!(e.terms.len(), 1);
        assert_eq!(e.terms[0].factors.len(), 3);
        assert_eq!(e.eval(), Some(Fr::from(120u64)));
        // (a + 2b - 1)(c - d): two factors, each a sum
        let f =
            (c("a", 1) + c("b", 2).scaled(Fr::from(2u64)) - Expr::i(1)) * (c("c", 3) - c("d", 4));
        assert_eq!(f.terms[0].factors.len(), 2);
        assert_eq!(f.eval(), Some(-Fr::from(4u64)));
        assert_eq!((c("a", 6) << 2).eval(), Some(Fr::from(24u64)));
    }

    #[test]
    fn an_unnamed_public_value_is_not_evaluated_and_tampering_moves_a_claim() {
        let mut e = Expr::from(Claim::named("p")) * c("a", 2) + c("a", 2);
        assert_eq!(e.eval(), None);
        let mut names = Vec::new();
        e.unvalued(&mut names);
        assert_eq!(names, ["p"]);
        let mut ok = c("a", 2) - Expr::i(2);
        assert_eq!(Check::zero("t", ok.clone()).holds(), Some(true));
        ok.tamper("a", Fr::one());
        assert_eq!(Check::zero("t", ok).holds(), Some(false));
        e.tamper("a", Fr::one());
    }

    #[test]
    fn canonical_form_sums_constants_and_unwraps_lone_factors() {
        let e =
            Expr::i(3) + (Expr::i(0) + c("u", 1)) * Claim::public("w", Fr::from(5u64)) - Expr::i(1);
        let v = e.canonical();
        assert_eq!(v["const"], "2");
        assert_eq!(v["terms"][0]["factors"][0]["claim"], "u");
        assert_eq!(v["terms"][0]["factors"][1]["value"], "5");
        assert_eq!(
            interpolate(
                &[Fr::from(1u64), Fr::from(3u64), Fr::from(5u64)],
                Fr::from(7u64)
            ),
            Fr::from(15u64)
        );
    }
}
