//! The one linear check of a hiding proof (circuits/zk.md 5.3): every `expr == 0`
//! over committed values, folded by powers of `"zk-linear"`, proved by revealing the
//! folded blinder `tau`.

use ark_bn254::{G1Affine, G1Projective};
use ark_ec::CurveGroup;

use super::hidden::Hidden;
use super::pedersen::Gens;
use crate::field::{powers, Fr};
use crate::transcript::Transcript;

/// The prover's list of forms that must commit to zero, in check order.
#[derive(Default)]
pub struct LinearChecks {
    items: Vec<Hidden>,
}

impl LinearChecks {
    /// Require `h` (a linear form's opening) to be zero.
    pub fn push(&mut self, h: Hidden) {
        self.items.push(h);
    }

    /// `lambda = "zk-linear"`, `tau = sum_i lambda^i t_i`, absorbed as
    /// `"zk-linear-blinder"`; returns `tau` (the proof's scalar).
    pub fn finish(self, t: &mut Transcript) -> Fr {
        let lambda = t.squeeze("zk-linear");
        let tau = powers(lambda, self.items.len())
            .iter()
            .zip(&self.items)
            .map(|(w, h)| *w * h.t)
            .sum();
        t.absorb_fr("zk-linear-blinder", &tau);
        tau
    }
}

/// The verifier's side with forms as points (tests): `sum_i lambda^i F_i - tau H`,
/// which must be the identity.
pub fn linear_residue(
    gens: &Gens,
    t: &mut Transcript,
    forms: &[G1Projective],
    tau: Fr,
) -> G1Affine {
    let lambda = t.squeeze("zk-linear");
    t.absorb_fr("zk-linear-blinder", &tau);
    let folded: G1Projective = powers(lambda, forms.len())
        .iter()
        .zip(forms)
        .map(|(w, f)| *f * w)
        .sum();
    (folded - gens.h * tau).into_affine()
}
