//! Sumcheck (circuits/sumcheck.md): one prover trait, one generic driver.
//!
//! Every layer protocol implements [`SumcheckProver`] for its own polynomial and
//! hands it to [`prove`] or [`prove_batched`]; no layer writes its own round loop.
//! Round `j` binds variable `x_j` (LSB first, see `mle`).

pub mod eq;
pub mod fraction;
pub mod pair;
pub mod product;

use ark_ff::{Field, One, Zero};

use crate::encoding::{Reader, Writer, MAX_NUM_VARS};
use crate::error::{format_at, Error, Result};
use crate::field::{interpolate_at, Fr};
use crate::transcript::Transcript;

pub use eq::{prove_eq, verify_eq, EqFactoredProver, EqSumcheckProof};
pub use fraction::FractionLayer;
pub use pair::PairProduct;
pub use product::ProductSum;

pub const MAX_DEGREE: usize = 4;

/// One sumcheck instance `sum_x g(x)`, seen by the driver.
pub trait SumcheckProver: Send {
    fn num_vars(&self) -> usize;
    fn degree(&self) -> usize;
    /// This round's polynomial at `t = 0, 2, 3, ..., degree`; the driver derives
    /// `t = 1` from the running claim, which saves a product per term.
    fn round_evals(&self) -> Vec<Fr>;
    /// Fix the current lowest variable to `c`.
    fn bind(&mut self, c: Fr);
}

impl<T: SumcheckProver + ?Sized> SumcheckProver for Box<T> {
    fn num_vars(&self) -> usize {
        (**self).num_vars()
    }
    fn degree(&self) -> usize {
        (**self).degree()
    }
    fn round_evals(&self) -> Vec<Fr> {
        (**self).round_evals()
    }
    fn bind(&mut self, c: Fr) {
        (**self).bind(c)
    }
}

/// Round polynomials, each as its values at `0..=degree`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SumcheckProof {
    pub num_vars: usize,
    pub degree: usize,
    pub rounds: Vec<Vec<Fr>>,
}

impl SumcheckProof {
    pub fn write(&self, w: &mut Writer) {
        w.u32(self.num_vars as u32);
        w.u32(self.degree as u32);
        self.rounds.iter().flatten().for_each(|x| w.fr(x));
    }

    /// Parse a proof whose shape the protocol already fixes.
    pub fn read(r: &mut Reader, num_vars: usize, degree: usize) -> Result<Self> {
        let n = r.u32("sumcheck rounds")? as usize;
        let d = r.u32("sumcheck degree")? as usize;
        if n != num_vars || d != degree {
            return format_at("sumcheck.shape", format!(
                "sumcheck shape ({n} rounds, degree {d}) differs from the statement ({num_vars}, {degree})"
            ));
        }
        if n > MAX_NUM_VARS as usize || !(1..=MAX_DEGREE).contains(&d) {
            return format_at("proof.limits", "sumcheck shape out of limits");
        }
        if n * (d + 1) * 32 > r.remaining() {
            return format_at(
                "proof.truncated",
                "truncated input while reading sumcheck rounds",
            );
        }
        let rounds = (0..n)
            .map(|_| (0..=d).map(|_| r.fr("sumcheck round value")).collect())
            .collect::<Result<_>>()?;
        Ok(Self {
            num_vars: n,
            degree: d,
            rounds,
        })
    }
}

/// Prove one instance; returns the proof and the point (variable order).
pub fn prove(
    t: &mut Transcript,
    inst: &mut dyn SumcheckProver,
    claim: Fr,
) -> (SumcheckProof, Vec<Fr>) {
    run_rounds(t, &mut [inst], &[Fr::one()], &[claim])
}

/// Prove several instances as one (front-padded to the largest); returns the proof,
/// the full point and the batching weights `beta^i`. Instance `i`'s point is the
/// last `num_vars_i` coordinates.
pub fn prove_batched(
    t: &mut Transcript,
    insts: &mut [&mut dyn SumcheckProver],
    claims: &[Fr],
) -> (SumcheckProof, Vec<Fr>, Vec<Fr>) {
    let weights = batch_weights(t, claims);
    let (proof, point) = run_rounds(t, insts, &weights, claims);
    (proof, point, weights)
}

fn batch_weights(t: &mut Transcript, claims: &[Fr]) -> Vec<Fr> {
    claims.iter().for_each(|c| t.absorb_fr("batch-claim", c));
    let beta = t.squeeze("sumcheck-batch");
    crate::field::powers(beta, claims.len())
}

pub(crate) fn pow2(k: usize) -> Fr {
    Fr::from(2u64).pow([k as u64])
}

fn run_rounds(
    t: &mut Transcript,
    insts: &mut [&mut dyn SumcheckProver],
    weights: &[Fr],
    claims: &[Fr],
) -> (SumcheckProof, Vec<Fr>) {
    let (n, d) = shape(insts);
    let combined: Fr = claims
        .iter()
        .zip(insts.iter())
        .zip(weights)
        .map(|((c, p), w)| *c * pow2(n - p.num_vars()) * w)
        .sum();
    absorb_header(t, n, d, &combined);
    let (rounds, point) = drive_rounds(insts, weights, claims, |total| {
        t.absorb_frs("sumcheck-round", total);
        t.squeeze("sumcheck-challenge")
    });
    (
        SumcheckProof {
            num_vars: n,
            degree: d,
            rounds,
        },
        point,
    )
}

/// The batch's (variables, degree): the largest of its instances'.
pub(crate) fn shape(insts: &[&mut dyn SumcheckProver]) -> (usize, usize) {
    let n = insts.iter().map(|p| p.num_vars()).max().unwrap_or(0);
    let d = insts.iter().map(|p| p.degree()).max().unwrap_or(1);
    (n, d)
}

/// The round loop shared by the clear and the committed sumcheck (zk.md 5.2): each
/// round's combined values at `0..=d` go to `send`, which puts them on the transcript
/// (in clear or committed) and returns the round's challenge.
pub(crate) fn drive_rounds(
    insts: &mut [&mut dyn SumcheckProver],
    weights: &[Fr],
    claims: &[Fr],
    mut send: impl FnMut(&[Fr]) -> Fr,
) -> (Vec<Vec<Fr>>, Vec<Fr>) {
    let (n, d) = shape(insts);
    let half = Fr::from(2u64).inverse().expect("2 is invertible");
    let mut cur: Vec<Fr> = insts
        .iter()
        .zip(claims)
        .map(|(p, c)| *c * pow2(n - p.num_vars()))
        .collect();
    let mut rounds = Vec::with_capacity(n);
    let mut point = Vec::with_capacity(n);
    for j in 0..n {
        let polys: Vec<Vec<Fr>> = insts
            .iter()
            .zip(&cur)
            .map(|(p, c)| {
                if j < n - p.num_vars() {
                    vec![*c * half; d + 1]
                } else {
                    full_round_poly(&p.round_evals(), *c, d)
                }
            })
            .collect();
        let mut total = vec![Fr::zero(); d + 1];
        for (poly, w) in polys.iter().zip(weights) {
            total.iter_mut().zip(poly).for_each(|(a, b)| *a += *w * b);
        }
        let c = send(&total);
        for ((p, poly), claim) in insts.iter_mut().zip(&polys).zip(cur.iter_mut()) {
            *claim = interpolate_at(poly, c);
            if j >= n - p.num_vars() {
                p.bind(c);
            }
        }
        rounds.push(total);
        point.push(c);
    }
    (rounds, point)
}

/// Values at `0..=d` from an instance's values at `0, 2..=d_i` and its claim.
fn full_round_poly(evals: &[Fr], claim: Fr, d: usize) -> Vec<Fr> {
    let mut vals = Vec::with_capacity(d + 1);
    vals.push(evals[0]);
    vals.push(claim - evals[0]);
    vals.extend_from_slice(&evals[1..]);
    let own = vals.clone();
    for x in vals.len()..=d {
        vals.push(interpolate_at(&own, Fr::from(x as u64)));
    }
    vals
}

fn absorb_header(t: &mut Transcript, n: usize, d: usize, claim: &Fr) {
    t.absorb_u32("sumcheck-vars", n as u32);
    t.absorb_u32("sumcheck-degree", d as u32);
    t.absorb_fr("sumcheck-claim", claim);
}

/// Verify rounds against `claim`; returns `(point, final)`. The caller must check
/// `final == g(point)`.
pub fn verify(
    t: &mut Transcript,
    context: &str,
    claim: Fr,
    num_vars: usize,
    degree: usize,
    proof: &SumcheckProof,
) -> Result<(Vec<Fr>, Fr)> {
    if proof.num_vars != num_vars || proof.degree != degree || proof.rounds.len() != num_vars {
        return Err(Error::Rejected {
            check: "sumcheck.shape",
            detail: format!("{context}: sumcheck shape mismatch"),
        });
    }
    absorb_header(t, num_vars, degree, &claim);
    let mut claim = claim;
    let mut point = Vec::with_capacity(num_vars);
    for (j, e) in proof.rounds.iter().enumerate() {
        if e.len() != degree + 1 {
            return Err(Error::Sumcheck {
                check: "sumcheck.shape",
                context: context.into(),
                round: j,
                reason: "wrong number of values".into(),
            });
        }
        if e[0] + e[1] != claim {
            return Err(Error::Sumcheck {
                check: "sumcheck.round-sum",
                context: context.into(),
                round: j,
                reason: "p(0) + p(1) != claim".into(),
            });
        }
        t.absorb_frs("sumcheck-round", e);
        let c = t.squeeze("sumcheck-challenge");
        claim = interpolate_at(e, c);
        point.push(c);
    }
    Ok((point, claim))
}

/// What a batched verification leaves to the caller: check
/// `final == sum_i weights[i] * g_i(point[n - n_i..])`.
pub struct BatchedOutcome {
    pub point: Vec<Fr>,
    pub final_claim: Fr,
    pub weights: Vec<Fr>,
}

pub fn verify_batched(
    t: &mut Transcript,
    context: &str,
    claims: &[Fr],
    num_vars: &[usize],
    degree: usize,
    proof: &SumcheckProof,
) -> Result<BatchedOutcome> {
    let weights = batch_weights(t, claims);
    let n = num_vars.iter().copied().max().unwrap_or(0);
    let combined = claims
        .iter()
        .zip(num_vars)
        .zip(&weights)
        .map(|((c, k), w)| *c * w * pow2(n - k))
        .sum();
    let (point, final_claim) = verify(t, context, combined, n, degree, proof)?;
    Ok(BatchedOutcome {
        point,
        final_claim,
        weights,
    })
}

#[cfg(test)]
mod tests;
