//! The eq-factored sumcheck (circuits/sumcheck.md, "Eq-factored sumcheck"; Gruen,
//! "Some improvements for the PIOP for ZeroCheck", 2024, section 3): proves
//! `sum_x eq(r, x) F(x) = claim` for a public point `r` with the eq factor split off
//! the round polynomials. Round `j` sends `g_j` (degree `d` = F's degree per variable)
//! at `0, 2..d`; `g_j(1)` follows from the running claim, and the verifier tracks the
//! claim divided by `K_j = eq(r_{<j}, c_{<j})`, so it never multiplies or divides by
//! `K_j` and the final check carries no eq factor. LogUp's layers use it (logup.md).

use ark_ff::{Field, One, Zero};

use crate::encoding::{Reader, Writer, MAX_NUM_VARS};
use crate::error::{format_at, reject_at, Result};
use crate::field::{interpolate_at, Fr};
use crate::transcript::Transcript;

use super::MAX_DEGREE;

/// One eq-factored instance `sum_x eq(r, x) F(x)`, seen by the driver.
pub trait EqFactoredProver: Send {
    fn num_vars(&self) -> usize;
    /// `F`'s degree in each variable (the degree of `g_j`).
    fn degree(&self) -> usize;
    /// This round's `g_j` at `0, 1, ..., degree`, without the factor `K_j`:
    /// `g_j(X) = sum_x eq(r_{>j}, x) F(c_{<j}, X, x)`.
    fn round_g(&self) -> Vec<Fr>;
    /// Fix the current lowest variable to `c`.
    fn bind(&mut self, c: Fr);
}

/// Per round `g_j(0), g_j(2), .., g_j(d)` (`d` values; `g_j(1)` is derived).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EqSumcheckProof {
    pub num_vars: usize,
    pub degree: usize,
    pub rounds: Vec<Vec<Fr>>,
}

impl EqSumcheckProof {
    /// `u32 n || u32 d || n * d * Fr`.
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
                "eq-factored sumcheck shape ({n} rounds, degree {d}) differs from the statement ({num_vars}, {degree})"
            ));
        }
        if n > MAX_NUM_VARS as usize || !(1..=MAX_DEGREE).contains(&d) {
            return format_at("proof.limits", "sumcheck shape out of limits");
        }
        if n * d * 32 > r.remaining() {
            return format_at(
                "proof.truncated",
                "truncated input while reading sumcheck rounds",
            );
        }
        let rounds = (0..n)
            .map(|_| (0..d).map(|_| r.fr("sumcheck round value")).collect())
            .collect::<Result<_>>()?;
        Ok(Self {
            num_vars: n,
            degree: d,
            rounds,
        })
    }
}

/// `g_j` at `0..=d` from the sent values at `0, 2..d` and the running (K-free) claim
/// `h = (1 - r_j) g(0) + r_j g(1)`; `None` when `r_j = 0` (the claim then fixes `g(0)`
/// only, and the verifier rejects: sumcheck.md).
pub fn full_g(sent: &[Fr], h: Fr, rj: Fr) -> Option<Vec<Fr>> {
    let inv = rj.inverse()?;
    let g1 = (h - (Fr::one() - rj) * sent[0]) * inv;
    let mut g = Vec::with_capacity(sent.len() + 1);
    g.push(sent[0]);
    g.push(g1);
    g.extend_from_slice(&sent[1..]);
    Some(g)
}

/// The sent values of a round: `g` at `0, 2..d`.
pub fn sent_values(g: &[Fr]) -> Vec<Fr> {
    std::iter::once(g[0])
        .chain(g[2..].iter().copied())
        .collect()
}

/// Reject a point with a zero coordinate (the derivation of `g_j(1)` divides by `r_j`).
pub fn check_point(context: &str, r: &[Fr]) -> Result<()> {
    match r.iter().position(Fr::is_zero) {
        Some(j) => reject_at(
            "sumcheck.eq-degenerate",
            format!("{context}: eq point coordinate {j} is zero"),
        ),
        None => Ok(()),
    }
}

/// The round loop shared by the clear and the committed variant: each round's `g` at
/// `0..=d` goes to `send`, which puts it on the transcript and returns the challenge.
pub(crate) fn drive_eq_rounds(
    inst: &mut dyn EqFactoredProver,
    mut send: impl FnMut(&[Fr]) -> Fr,
) -> Vec<Fr> {
    (0..inst.num_vars())
        .map(|_| {
            let c = send(&inst.round_g());
            inst.bind(c);
            c
        })
        .collect()
}

fn absorb_header(t: &mut Transcript, n: usize, d: usize, claim: &Fr) {
    t.absorb_u32("eq-sumcheck-vars", n as u32);
    t.absorb_u32("eq-sumcheck-degree", d as u32);
    t.absorb_fr("sumcheck-claim", claim);
}

/// Prove one instance (its eq point `r` is the instance's); returns the proof and the
/// point (variable order).
pub fn prove_eq(
    t: &mut Transcript,
    inst: &mut dyn EqFactoredProver,
    claim: Fr,
) -> (EqSumcheckProof, Vec<Fr>) {
    let (n, d) = (inst.num_vars(), inst.degree());
    absorb_header(t, n, d, &claim);
    let mut rounds = Vec::with_capacity(n);
    let point = drive_eq_rounds(inst, |g| {
        let sent = sent_values(g);
        t.absorb_frs("eq-sumcheck-round", &sent);
        rounds.push(sent);
        t.squeeze("sumcheck-challenge")
    });
    let proof = EqSumcheckProof {
        num_vars: n,
        degree: d,
        rounds,
    };
    (proof, point)
}

/// Verify rounds against `claim` for the eq point `r`; returns `(point, final)`. The
/// caller must check `final == F(point)` (no eq factor: sumcheck.md).
pub fn verify_eq(
    t: &mut Transcript,
    context: &str,
    claim: Fr,
    r: &[Fr],
    degree: usize,
    proof: &EqSumcheckProof,
) -> Result<(Vec<Fr>, Fr)> {
    let n = r.len();
    if proof.num_vars != n
        || proof.degree != degree
        || proof.rounds.len() != n
        || proof.rounds.iter().any(|e| e.len() != degree)
    {
        return reject_at(
            "sumcheck.shape",
            format!("{context}: eq-factored sumcheck shape mismatch"),
        );
    }
    check_point(context, r)?;
    absorb_header(t, n, degree, &claim);
    let mut h = claim;
    let mut point = Vec::with_capacity(n);
    for (sent, &rj) in proof.rounds.iter().zip(r) {
        t.absorb_frs("eq-sumcheck-round", sent);
        let c = t.squeeze("sumcheck-challenge");
        let g = full_g(sent, h, rj).expect("check_point: r_j != 0");
        h = interpolate_at(&g, c);
        point.push(c);
    }
    Ok((point, h))
}

/// `eq(r_j, x) = (1 - r_j)(1 - x) + r_j x`.
pub fn eq_at(rj: Fr, x: Fr) -> Fr {
    (Fr::one() - rj) * (Fr::one() - x) + rj * x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sumcheck::FractionLayer;
    use crate::testing::rand_frs;

    fn layer(n: usize, seed: u64) -> (FractionLayer, Vec<Fr>, Vec<Vec<Fr>>, Fr) {
        let r = rand_frs(n, seed);
        let t: Vec<Vec<Fr>> = (0..4).map(|k| rand_frs(1 << n, seed + 1 + k)).collect();
        let lambda = Fr::from(11u64);
        let e = crate::mle::eq_table(&r);
        let claim: Fr = (0..1 << n)
            .map(|x| e[x] * (t[0][x] * t[3][x] + t[1][x] * t[2][x] + lambda * t[2][x] * t[3][x]))
            .sum();
        let inst = FractionLayer::new(
            &r,
            t[0].clone(),
            t[1].clone(),
            t[2].clone(),
            t[3].clone(),
            lambda,
            claim,
        );
        (inst, r, t, claim)
    }

    #[test]
    fn complete_and_the_final_claim_is_f_at_the_point() {
        for n in [1usize, 2, 5, 11] {
            let (mut inst, r, t, claim) = layer(n, 3 * n as u64);
            let mut tp = Transcript::new(b"eq");
            let (proof, point) = prove_eq(&mut tp, &mut inst, claim);
            assert!(proof.rounds.iter().all(|e| e.len() == 2));
            let mut tv = Transcript::new(b"eq");
            let (vpoint, fin) = verify_eq(&mut tv, "t", claim, &r, 2, &proof).unwrap();
            assert_eq!(vpoint, point);
            let e: Vec<Fr> = t.iter().map(|x| crate::mle::evaluate(x, &point)).collect();
            let lambda = Fr::from(11u64);
            assert_eq!(fin, e[0] * e[3] + e[1] * e[2] + lambda * e[2] * e[3]);
            assert_eq!(tp.state(), tv.state());
        }
    }

    #[test]
    fn a_wrong_sent_value_or_claim_moves_the_final() {
        let (mut inst, r, _, claim) = layer(4, 40);
        let (proof, _) = prove_eq(&mut Transcript::new(b"eq"), &mut inst, claim);
        let (_, honest) =
            verify_eq(&mut Transcript::new(b"eq"), "t", claim, &r, 2, &proof).unwrap();
        for (j, v) in [(0usize, 0usize), (2, 1), (3, 0)] {
            let mut bad = proof.clone();
            bad.rounds[j][v] += Fr::one();
            let (_, fin) = verify_eq(&mut Transcript::new(b"eq"), "t", claim, &r, 2, &bad).unwrap();
            assert_ne!(fin, honest, "round {j} value {v}");
        }
        let (_, fin) = verify_eq(
            &mut Transcript::new(b"eq"),
            "t",
            claim + Fr::one(),
            &r,
            2,
            &proof,
        )
        .unwrap();
        assert_ne!(fin, honest);
    }

    #[test]
    fn a_zero_coordinate_is_rejected_by_name() {
        let (mut inst, mut r, _, claim) = layer(3, 60);
        let (proof, _) = prove_eq(&mut Transcript::new(b"eq"), &mut inst, claim);
        r[1] = Fr::zero();
        let err = verify_eq(&mut Transcript::new(b"eq"), "t", claim, &r, 2, &proof).unwrap_err();
        assert_eq!(err.check(), Some("sumcheck.eq-degenerate"));
    }

    #[test]
    fn bytes_round_trip_and_shape_is_the_statements() {
        let (mut inst, _, _, claim) = layer(3, 70);
        let (proof, _) = prove_eq(&mut Transcript::new(b"eq"), &mut inst, claim);
        let mut w = Writer::new();
        proof.write(&mut w);
        let bytes = w.finish();
        assert_eq!(bytes.len(), 8 + 3 * 2 * 32);
        assert_eq!(
            EqSumcheckProof::read(&mut Reader::new(&bytes), 3, 2).unwrap(),
            proof
        );
        let err = EqSumcheckProof::read(&mut Reader::new(&bytes), 3, 3).unwrap_err();
        assert_eq!(err.check(), Some("sumcheck.shape"));
    }
}
