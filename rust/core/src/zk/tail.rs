//! The tail of a hiding proof (circuits/zk.md 5.5) after `"zk-products"`: the batched
//! proof of product's vectors `V_x`, `V_y` with `delta`, `gamma` (sigma.md 7), the one
//! linear check's `tau`, the sigma batch (the batched proof of product, then one proof
//! of dot product per stack), and the one merged check `sum_k rho^k E_k == O` with
//! `E_0` the linear equation and `E_1, E_2, ...` every sigma equation in batch order.

use ark_bn254::{G1Affine, G1Projective};
use ark_ff::{One, Zero};

use super::blinds::Blinds;
use super::linear::{linear_residue, LinearChecks};
use super::pedersen::Gens;
use super::products::{self, PointTriple, ProductProof, Triple};
use super::sigma::{self, Equation, Proof, Statement, Witness};
use crate::encoding::{Reader, Writer};
use crate::error::{format_at, reject_at, Result};
use crate::field::Fr;
use crate::transcript::Transcript;

/// The batched proof of product (absent when the proof has no products), `tau`, then
/// the proofs of dot product.
#[derive(Clone, Debug, PartialEq)]
pub struct Tail {
    pub products: Option<ProductProof>,
    pub tau: Fr,
    pub proofs: Vec<Proof>,
}

impl Tail {
    /// `[V_x V_y] || tau || [product sigma part] || dot products` (zk.md 5.5).
    pub fn write(&self, w: &mut Writer) {
        if let Some(p) = &self.products {
            p.write_vectors(w);
        }
        w.fr(&self.tau);
        if let Some(p) = &self.products {
            p.write_sigma(w);
        }
        sigma::write_batch(w, &self.proofs);
    }

    /// Read the tail of a proof with `m` products and these dot-product statements
    /// (their count and lengths fix every size).
    pub fn read(r: &mut Reader, m: usize, dots: &[Statement]) -> Result<Self> {
        let vectors = if m > 0 {
            Some(ProductProof::read_vectors(r)?)
        } else {
            None
        };
        let tau = r.fr("zk-linear-blinder")?;
        let products = match vectors {
            Some(v) => Some(ProductProof::read_sigma(r, v, m)?),
            None => None,
        };
        Ok(Self {
            products,
            tau,
            proofs: sigma::read_batch(r, dots)?,
        })
    }
}

/// The prover's tail: `V_x`, `V_y`, `"zk-linear"` and `tau` over `checks`, then the
/// sigma batch: the batched proof of `triples` (in `"zk-products"` order), then the
/// dot products of `dots` in the caller's order. `gens` has at least
/// `triples.len()` generators.
pub fn prove(
    gens: &Gens,
    t: &mut Transcript,
    checks: LinearChecks,
    triples: &[Triple],
    dots: &[(Statement, Witness)],
    blinds: &mut Blinds,
) -> Tail {
    let committed = (!triples.is_empty()).then(|| products::commit(gens, t, triples, blinds));
    let tau = checks.finish(t);
    let pending_p = committed.map(|c| products::first(gens, triples, c, blinds));
    let pending: Vec<sigma::Pending> = dots
        .iter()
        .map(|(s, _)| sigma::first(gens, s, blinds))
        .collect();
    let mut points: Vec<G1Affine> = pending_p
        .iter()
        .flat_map(|p| p.first_messages().to_vec())
        .collect();
    points.extend(pending.iter().flat_map(|p| p.first_messages().to_vec()));
    t.absorb_points("sigma-first", &points);
    let c = t.squeeze("sigma-c");
    let products = pending_p.map(|p| products::respond(p, triples, c));
    let proofs: Vec<Proof> = pending
        .into_iter()
        .zip(dots)
        .map(|(p, (_, w))| sigma::respond(p, w, c))
        .collect();
    t.absorb_frs("sigma-responses", &responses(products.as_ref(), &proofs));
    t.squeeze("sigma-merge");
    Tail {
        products,
        tau,
        proofs,
    }
}

fn responses(products: Option<&ProductProof>, proofs: &[Proof]) -> Vec<Fr> {
    let mut out = products.map(|p| p.responses()).unwrap_or_default();
    out.extend(proofs.iter().flat_map(|p| p.responses.clone()));
    out
}

/// The Rust check with the linear forms and the products as points (tests): the
/// challenges of the tail, then one MSM; `zk.merged` unless it is the identity.
pub fn verify(
    gens: &Gens,
    t: &mut Transcript,
    linear: &[G1Projective],
    triples: &[PointTriple],
    dots: &[Statement],
    tail: &Tail,
) -> Result<()> {
    if tail.products.is_some() == triples.is_empty() || dots.len() != tail.proofs.len() {
        return format_at(
            "sigma.shape",
            "the tail's proofs do not match the statements",
        );
    }
    let ch = tail
        .products
        .as_ref()
        .map(|p| products::absorb_vectors(t, &p.vectors));
    let e0 = linear_residue(gens, t, linear, tail.tau);
    let mut points: Vec<G1Affine> = tail.products.iter().flat_map(|p| p.first).collect();
    points.extend(tail.proofs.iter().flat_map(|p| p.first.clone()));
    t.absorb_points("sigma-first", &points);
    let c = t.squeeze("sigma-c");
    t.absorb_frs(
        "sigma-responses",
        &responses(tail.products.as_ref(), &tail.proofs),
    );
    let rho = t.squeeze("sigma-merge");
    let mut eqs: Vec<Equation> = vec![vec![(Fr::one(), e0)]];
    if let (Some(p), Some(ch)) = (&tail.products, ch) {
        eqs.extend(products::equations(gens, triples, p, ch, c)?);
    }
    for (s, p) in dots.iter().zip(&tail.proofs) {
        eqs.extend(sigma::equations(gens, s, p, c)?);
    }
    if sigma::fold(&eqs, rho).is_zero() {
        Ok(())
    } else {
        reject_at("zk.merged", "the merged check of a hiding proof fails")
    }
}
