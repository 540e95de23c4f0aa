//! The tail of a hiding proof (circuits/zk.md 5.5) after `"zk-products"`: the one
//! linear check's `tau`, the sigma batch (proofs of product, then one proof of dot
//! product per stack), and the one merged check `sum_k rho^k E_k == O` with `E_0` the
//! linear equation and `E_1, E_2, ...` every sigma equation in batch order.

use ark_bn254::G1Projective;
use ark_ff::{One, Zero};

use super::blinds::Blinds;
use super::linear::{linear_residue, LinearChecks};
use super::pedersen::Gens;
use super::sigma::{self, Equation, Proof, Statement, Witness};
use crate::encoding::{Reader, Writer};
use crate::error::{reject_at, Result};
use crate::field::Fr;
use crate::transcript::Transcript;

/// `tau`, then the sigma batch.
#[derive(Clone, Debug, PartialEq)]
pub struct Tail {
    pub tau: Fr,
    pub proofs: Vec<Proof>,
}

impl Tail {
    pub fn write(&self, w: &mut Writer) {
        w.fr(&self.tau);
        sigma::write_batch(w, &self.proofs);
    }

    /// Read the tail of a proof whose sigma statements are `stmts` (their kinds and
    /// lengths fix every size).
    pub fn read(r: &mut Reader, stmts: &[Statement]) -> Result<Self> {
        let tau = r.fr("zk-linear-blinder")?;
        Ok(Self {
            tau,
            proofs: sigma::read_batch(r, stmts)?,
        })
    }
}

/// The prover's tail: `"zk-linear"` and `tau` over `checks`, then the sigma batch of
/// `items` (products first, then the dot products: the caller's order is the batch's).
pub fn prove(
    gens: &Gens,
    t: &mut Transcript,
    checks: LinearChecks,
    items: &[(Statement, Witness)],
    blinds: &mut Blinds,
) -> Tail {
    let tau = checks.finish(t);
    let proofs = sigma::prove_batch(gens, t, items, blinds);
    Tail { tau, proofs }
}

/// The Rust check with the linear forms as points (tests): the challenges of the tail,
/// then one MSM; `zk.merged` unless it is the identity.
pub fn verify(
    gens: &Gens,
    t: &mut Transcript,
    linear: &[G1Projective],
    stmts: &[Statement],
    tail: &Tail,
) -> Result<()> {
    let e0 = linear_residue(gens, t, linear, tail.tau);
    let (c, rho) = sigma::batch_challenges(t, stmts, &tail.proofs)?;
    let mut eqs: Vec<Equation> = vec![vec![(Fr::one(), e0)]];
    for (s, p) in stmts.iter().zip(&tail.proofs) {
        eqs.extend(sigma::equations(gens, s, p, c)?);
    }
    if sigma::fold(&eqs, rho).is_zero() {
        Ok(())
    } else {
        reject_at("zk.merged", "the merged check of a hiding proof fails")
    }
}
