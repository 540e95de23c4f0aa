//! Claim batching (circuits/hyrax.md, proofs.md "BatchOpen"): all claims on a stack
//! become one claim at one point by a degree-2 sumcheck over `P(x) * E(x)`,
//! `E = sum_k alpha^k eq(z_k, .)`; then one opening per stack, checked together.

use super::{OpeningClaim, Pcs, Shape};
use crate::encoding::{Reader, Writer};
use crate::error::{format_at, reject_at, Result};
use crate::field::{powers, Fr};
use crate::mle::{eq_combination, eq_eval};
use crate::sumcheck::{self, PairProduct, SumcheckProof};
use crate::transcript::Transcript;

pub const MAX_CLAIMS: usize = 1 << 16;
pub const MAX_STACKS: usize = 64;

/// Claims `P(points[k]) = values[k]` on one stack.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StackClaims {
    pub points: Vec<Vec<Fr>>,
    pub values: Vec<Fr>,
}

impl StackClaims {
    pub fn push(&mut self, point: Vec<Fr>, value: Fr) {
        self.points.push(point);
        self.values.push(value);
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    fn check(&self, shape: Shape, s: usize) -> Result<()> {
        if self.is_empty() || self.len() > MAX_CLAIMS || self.points.len() != self.values.len() {
            return reject_at(
                "batch-open.shape",
                format!("stack {s}: claim count out of limits"),
            );
        }
        if self.points.iter().any(|z| z.len() != shape.num_vars) {
            return reject_at(
                "batch-open.shape",
                format!("stack {s}: claim point has the wrong length"),
            );
        }
        Ok(())
    }

    pub fn write(&self, w: &mut Writer) {
        w.u32(self.len() as u32);
        for (z, v) in self.points.iter().zip(&self.values) {
            w.frs(z);
            w.fr(v);
        }
    }

    pub fn read(shape: Shape, r: &mut Reader) -> Result<Self> {
        let k = r.u32("claim count")? as usize;
        if k == 0 || k > MAX_CLAIMS {
            return format_at("proof.limits", "claim count out of limits");
        }
        let mut out = Self::default();
        for _ in 0..k {
            let z = r.frs(shape.num_vars, "claim point")?;
            let v = r.fr("claim value")?;
            out.push(z, v);
        }
        Ok(out)
    }
}

pub struct StackProof<P: Pcs> {
    pub sumcheck: SumcheckProof,
    pub eval: Fr,
    pub opening: P::Opening,
}

pub struct BatchOpeningProof<P: Pcs> {
    pub stacks: Vec<StackProof<P>>,
}

impl<P: Pcs> BatchOpeningProof<P> {
    pub fn write(&self, w: &mut Writer) {
        for s in &self.stacks {
            s.sumcheck.write(w);
            w.fr(&s.eval);
            P::write_opening(&s.opening, w);
        }
    }

    pub fn read(shapes: &[Shape], r: &mut Reader) -> Result<Self> {
        let stacks = shapes
            .iter()
            .map(|shape| {
                Ok(StackProof {
                    sumcheck: SumcheckProof::read(r, shape.num_vars, 2)?,
                    eval: r.fr("stack evaluation")?,
                    opening: P::read_opening(*shape, r)?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self { stacks })
    }
}

fn absorb_claims_and_draw(t: &mut Transcript, claims: &[&StackClaims]) -> Vec<Vec<Fr>> {
    for c in claims {
        t.absorb_u32("claims", c.len() as u32);
        for (z, v) in c.points.iter().zip(&c.values) {
            t.absorb_frs("claim-point", z);
            t.absorb_fr("claim-value", v);
        }
    }
    // Every claim of every stack is bound before the first batching challenge.
    claims
        .iter()
        .map(|c| powers(t.squeeze("batch-alpha"), c.len()))
        .collect()
}

fn batched_value(alphas: &[Fr], values: &[Fr]) -> Fr {
    alphas.iter().zip(values).map(|(a, v)| *a * v).sum()
}

/// One stack for the prover: its shape, table and claims.
pub struct ProverStack<'a> {
    pub shape: Shape,
    pub table: &'a [Fr],
    pub claims: &'a StackClaims,
}

pub fn prove<P: Pcs>(
    pcs: &P,
    t: &mut Transcript,
    stacks: &[ProverStack<'_>],
) -> BatchOpeningProof<P> {
    let claims: Vec<&StackClaims> = stacks.iter().map(|s| s.claims).collect();
    let alphas = absorb_claims_and_draw(t, &claims);
    let mut points = Vec::with_capacity(stacks.len());
    let mut partial = Vec::with_capacity(stacks.len());
    for (s, alpha) in stacks.iter().zip(&alphas) {
        let e = eq_combination(&s.claims.points, alpha, s.shape.num_vars);
        let mut inst = PairProduct::new(s.table, e).expect("valid tables");
        let (proof, r) = sumcheck::prove(t, &mut inst, batched_value(alpha, &s.claims.values));
        let eval = inst.final_evals()[0];
        t.absorb_fr("stack-eval", &eval);
        points.push(r);
        partial.push((proof, eval));
    }
    let openings: Vec<P::Opening> = stacks
        .iter()
        .zip(&points)
        .map(|(s, r)| pcs.open(s.shape, s.table, r))
        .collect();
    P::prover_absorb_openings(t, &openings);
    BatchOpeningProof {
        stacks: partial
            .into_iter()
            .zip(openings)
            .map(|((sumcheck, eval), opening)| StackProof {
                sumcheck,
                eval,
                opening,
            })
            .collect(),
    }
}

/// One stack for the verifier: its shape, commitment and claims.
pub struct VerifierStack<'a, P: Pcs> {
    pub shape: Shape,
    pub commitment: &'a P::Commitment,
    pub claims: &'a StackClaims,
}

pub fn verify<P: Pcs>(
    pcs: &P,
    t: &mut Transcript,
    stacks: &[VerifierStack<'_, P>],
    proof: &BatchOpeningProof<P>,
) -> Result<()> {
    if stacks.is_empty() || stacks.len() > MAX_STACKS || proof.stacks.len() != stacks.len() {
        return reject_at("batch-open.shape", "stack count out of limits");
    }
    for (i, s) in stacks.iter().enumerate() {
        s.claims.check(s.shape, i)?;
    }
    let claims: Vec<&StackClaims> = stacks.iter().map(|s| s.claims).collect();
    let alphas = absorb_claims_and_draw(t, &claims);
    let mut points = Vec::with_capacity(stacks.len());
    for (i, ((s, alpha), p)) in stacks.iter().zip(&alphas).zip(&proof.stacks).enumerate() {
        let ctx = format!("stack {i} claim batching");
        let claim = batched_value(alpha, &s.claims.values);
        let (r, fin) = sumcheck::verify(t, &ctx, claim, s.shape.num_vars, 2, &p.sumcheck)?;
        t.absorb_fr("stack-eval", &p.eval);
        let e_r: Fr = s
            .claims
            .points
            .iter()
            .zip(alpha)
            .map(|(z, a)| *a * eq_eval(z, &r))
            .sum();
        if fin != p.eval * e_r {
            return reject_at(
                "batch-open.combination",
                format!("{ctx}: final value does not match the stack evaluation"),
            );
        }
        points.push(r);
    }
    let openings: Vec<OpeningClaim<'_, P>> = stacks
        .iter()
        .zip(&points)
        .zip(&proof.stacks)
        .map(|((s, r), p)| OpeningClaim {
            shape: s.shape,
            commitment: s.commitment,
            point: r,
            value: p.eval,
            opening: &p.opening,
        })
        .collect();
    pcs.verify_openings(t, &openings)
}
