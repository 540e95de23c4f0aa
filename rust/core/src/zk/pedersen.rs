//! Hiding Pedersen commitments (circuits/sigma.md sections 1, 2).

use std::sync::Arc;

use ark_bn254::{G1Affine, G1Projective};
use ark_ec::CurveGroup;

use super::fixed_base::FixedBase;
use crate::field::Fr;
use crate::pcs::generators::{derive, generators};
use crate::pcs::msm::msm_field;

/// The blinding generator's index in the seed's sequence (hyrax.md reserves it).
pub const H_INDEX: u32 = u32::MAX;
/// The committed-scalar generator's index.
pub const G_E_INDEX: u32 = u32::MAX - 1;

/// `G_0 .. G_{n-1}`, `G_e` and `H` for one seed.
#[derive(Clone)]
pub struct Gens {
    g: Arc<Vec<G1Affine>>,
    n: usize,
    pub g_e: G1Affine,
    pub h: G1Affine,
    /// Fixed-base tables of `G_e` and `H` (shared per process; fixed_base.rs).
    t_e: Arc<FixedBase>,
    t_h: Arc<FixedBase>,
}

impl Gens {
    /// The generators of `seed_digest` for vectors of length up to `n`.
    pub fn new(seed_digest: &[u8; 32], n: usize) -> Self {
        let (g_e, h) = (derive(seed_digest, G_E_INDEX), derive(seed_digest, H_INDEX));
        Self {
            g: generators(seed_digest, n),
            n,
            g_e,
            h,
            t_e: FixedBase::of(g_e),
            t_h: FixedBase::of(h),
        }
    }

    /// These generators, or the seed's first `n` when there are fewer (the batched proof
    /// of product's vectors may be longer than any stack's columns, sigma.md 7).
    pub fn at_least(self, seed_digest: &[u8; 32], n: usize) -> Self {
        if n <= self.n {
            self
        } else {
            Self::new(seed_digest, n)
        }
    }

    /// `v G_e` (fixed base).
    pub fn mul_g_e(&self, v: Fr) -> G1Projective {
        self.t_e.mul(v)
    }

    /// `t H` (fixed base).
    pub fn mul_h(&self, t: Fr) -> G1Projective {
        self.t_h.mul(t)
    }

    /// `Com(v; t) = v G_e + t H`, projective (for a caller that normalizes a batch).
    pub fn commit_scalar_proj(&self, v: Fr, t: Fr) -> G1Projective {
        self.mul_g_e(v) + self.mul_h(t)
    }

    /// `G_0 .. G_{n-1}`.
    pub fn g(&self) -> &[G1Affine] {
        &self.g[..self.n]
    }

    /// `Com(v; t) = v G_e + t H`.
    pub fn commit_scalar(&self, v: Fr, t: Fr) -> G1Affine {
        self.commit_scalar_proj(v, t).into_affine()
    }

    /// `Com(x; t) = sum_i x_i G_i + t H` (`x` no longer than the generators).
    pub fn commit_vec(&self, x: &[Fr], t: Fr) -> G1Affine {
        self.commit_vec_proj(x, t).into_affine()
    }

    pub(crate) fn commit_vec_proj(&self, x: &[Fr], t: Fr) -> G1Projective {
        assert!(x.len() <= self.n, "vector longer than the generators");
        msm_field(&self.g, x) + self.mul_h(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcs::generators::{seed_digest, DEFAULT_SEED};
    use ark_ec::AffineRepr;

    #[test]
    fn extra_generators_are_distinct_and_valid() {
        let gens = Gens::new(&seed_digest(DEFAULT_SEED), 4);
        assert!(gens.h.is_on_curve() && gens.g_e.is_on_curve());
        assert_ne!(gens.h, gens.g_e);
        assert!(gens.g().iter().all(|g| *g != gens.h && *g != gens.g_e));
        assert!(!gens.h.is_zero());
    }

    #[test]
    fn commitments_are_additive() {
        let gens = Gens::new(&seed_digest(DEFAULT_SEED), 3);
        let (a, b) = (
            [Fr::from(2u64), Fr::from(5u64)],
            [Fr::from(7u64), Fr::from(1u64)],
        );
        let sum: Vec<Fr> = a.iter().zip(&b).map(|(x, y)| *x + y).collect();
        let lhs = gens.commit_vec(&sum, Fr::from(9u64));
        let rhs = gens.commit_vec(&a, Fr::from(4u64)) + gens.commit_vec(&b, Fr::from(5u64));
        assert_eq!(lhs, rhs.into_affine());
        let s = gens.commit_scalar(Fr::from(3u64), Fr::from(0u64));
        assert_eq!(s, (gens.g_e * Fr::from(3u64)).into_affine());
    }
}
