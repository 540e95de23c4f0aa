//! A committed value on the prover's side (circuits/zk.md 5.1): the value and the
//! blinder its commitment uses. Linear maps act on both, so the prover always knows
//! the opening of every linear form the verifier builds from the proof's points.

use std::ops::{Add, Mul, Sub};

use ark_bn254::G1Affine;
use ark_ff::Zero;

use super::blinds::Blinds;
use super::pedersen::Gens;
use crate::field::Fr;

/// `Com(v; t)` known by its opening.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hidden {
    pub v: Fr,
    pub t: Fr,
}

impl Hidden {
    /// A fresh commitment to `v` (a new blinder).
    pub fn fresh(v: Fr, blinds: &mut Blinds) -> Self {
        Self {
            v,
            t: blinds.draw(),
        }
    }

    /// A public value (blinder 0: the form `v G_e`).
    pub fn public(v: Fr) -> Self {
        Self { v, t: Fr::zero() }
    }

    /// Its commitment `v G_e + t H`.
    pub fn point(&self, gens: &Gens) -> G1Affine {
        gens.commit_scalar(self.v, self.t)
    }
}

impl Add for Hidden {
    type Output = Hidden;
    fn add(self, o: Hidden) -> Hidden {
        Hidden {
            v: self.v + o.v,
            t: self.t + o.t,
        }
    }
}

impl Sub for Hidden {
    type Output = Hidden;
    fn sub(self, o: Hidden) -> Hidden {
        Hidden {
            v: self.v - o.v,
            t: self.t - o.t,
        }
    }
}

impl Mul<Fr> for Hidden {
    type Output = Hidden;
    fn mul(self, c: Fr) -> Hidden {
        Hidden {
            v: self.v * c,
            t: self.t * c,
        }
    }
}

/// `sum_k c_k h_k`.
pub fn combine(coeffs: &[Fr], hs: &[Hidden]) -> Hidden {
    coeffs
        .iter()
        .zip(hs)
        .fold(Hidden::public(Fr::zero()), |acc, (c, h)| acc + *h * *c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcs::generators::{seed_digest, DEFAULT_SEED};
    use ark_ec::CurveGroup;

    #[test]
    fn linear_maps_commute_with_commitments() {
        let gens = Gens::new(&seed_digest(DEFAULT_SEED), 1);
        let mut b = Blinds::from_seed([3; 32], [0; 32]);
        let (x, y) = (
            Hidden::fresh(Fr::from(5u64), &mut b),
            Hidden::fresh(Fr::from(9u64), &mut b),
        );
        let c = Fr::from(7u64);
        let lhs = (x * c - y).point(&gens);
        let rhs = (x.point(&gens) * c - y.point(&gens)).into_affine();
        assert_eq!(lhs, rhs);
        assert_eq!(combine(&[c, Fr::from(1u64)], &[x, y]).v, Fr::from(44u64));
    }
}
