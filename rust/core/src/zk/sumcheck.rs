//! The committed sumcheck (circuits/zk.md 5.2): sumcheck.md's batched sumcheck with
//! each round sent as `d` commitments (to `p(0)` and `p(2..d)`; `p(1)` is the running
//! claim minus `p(0)`, so the verifier derives its commitment) and the claims hidden.
//! The round values come from the same driver as the clear sumcheck.

use ark_bn254::G1Affine;

use super::blinds::Blinds;
use super::hidden::Hidden;
use super::pedersen::Gens;
use crate::encoding::{Reader, Writer};
use crate::error::Result;
use crate::field::{interpolate_at, powers, Fr};
use crate::sumcheck::eq::{check_point, drive_eq_rounds, sent_values};
use crate::sumcheck::{drive_rounds, pow2, shape, EqFactoredProver, SumcheckProver};
use crate::transcript::Transcript;

/// The rounds: per round the commitments to `p(0), p(2), .., p(d)`.
#[derive(Clone, Debug, PartialEq)]
pub struct ZkSumcheckProof {
    pub num_vars: usize,
    pub degree: usize,
    pub rounds: Vec<Vec<G1Affine>>,
}

impl ZkSumcheckProof {
    /// `n * d` points, no counts (the statement fixes both).
    pub fn write(&self, w: &mut Writer) {
        self.rounds
            .iter()
            .flatten()
            .for_each(|p| w.bytes(&crate::encoding::g1_to_bytes(p)));
    }

    /// Read the rounds of a sumcheck whose shape the statement fixes.
    pub fn read(r: &mut Reader, num_vars: usize, degree: usize) -> Result<Self> {
        let rounds = (0..num_vars)
            .map(|_| (0..degree).map(|_| r.point("zk sumcheck round")).collect())
            .collect::<Result<_>>()?;
        Ok(Self {
            num_vars,
            degree,
            rounds,
        })
    }
}

/// What the committed sumcheck leaves: the point, the batching weights and the final
/// claim's opening (its form is what the verifier derives from the rounds).
pub struct ZkSumcheckRun {
    pub proof: ZkSumcheckProof,
    pub point: Vec<Fr>,
    pub weights: Vec<Fr>,
    pub last: Hidden,
}

/// Prove `insts` with hidden `claims` as one committed batched sumcheck (zk.md 5.2).
pub fn prove_batched(
    gens: &Gens,
    t: &mut Transcript,
    insts: &mut [&mut dyn SumcheckProver],
    claims: &[Hidden],
    blinds: &mut Blinds,
) -> ZkSumcheckRun {
    let (n, d) = shape(insts);
    t.absorb_u32("zk-sumcheck-vars", n as u32);
    t.absorb_u32("zk-sumcheck-degree", d as u32);
    let weights = powers(t.squeeze("sumcheck-batch"), claims.len());
    let scaled: Vec<Fr> = insts
        .iter()
        .zip(&weights)
        .map(|(p, w)| *w * pow2(n - p.num_vars()))
        .collect();
    let mut claim = super::hidden::combine(&scaled, claims);
    let values: Vec<Fr> = claims.iter().map(|h| h.v).collect();
    let mut rounds = Vec::with_capacity(n);
    let (_, point) = drive_rounds(insts, &weights, &values, |total| {
        let (points, next, c) = commit_round(gens, t, total, claim, blinds);
        rounds.push(points);
        claim = next;
        c
    });
    ZkSumcheckRun {
        proof: ZkSumcheckProof {
            num_vars: n,
            degree: d,
            rounds,
        },
        point,
        weights,
        last: claim,
    }
}

/// Commit one round's values (`total` at `0..=d`), absorb the points, squeeze the
/// challenge; return the points, the next claim's opening and the challenge.
fn commit_round(
    gens: &Gens,
    t: &mut Transcript,
    total: &[Fr],
    claim: Hidden,
    blinds: &mut Blinds,
) -> (Vec<G1Affine>, Hidden, Fr) {
    let sent: Vec<Hidden> = std::iter::once(total[0])
        .chain(total[2..].iter().copied())
        .map(|v| Hidden::fresh(v, blinds))
        .collect();
    let points: Vec<G1Affine> = sent.iter().map(|h| h.point(gens)).collect();
    t.absorb_points("zk-sumcheck-round", &points);
    let c = t.squeeze("sumcheck-challenge");
    // E_0 = A_0, E_1 = C - A_0, E_k = A_k: the blinders follow the values.
    let mut all = vec![sent[0], claim - sent[0]];
    all.extend_from_slice(&sent[1..]);
    let blinders: Vec<Fr> = all.iter().map(|h| h.t).collect();
    let next = Hidden {
        v: interpolate_at(total, c),
        t: interpolate_at(&blinders, c),
    };
    (points, next, c)
}

/// The verifier's side with claims as points (the Rust check used by tests; the
/// Python verifier keeps linear forms and evaluates them once, zk.md 5.1). Returns the
/// point, the weights and the final claim's commitment.
pub fn verify_batched(
    t: &mut Transcript,
    claims: &[ark_bn254::G1Projective],
    inst_vars: &[usize],
    degree: usize,
    proof: &ZkSumcheckProof,
) -> Result<(Vec<Fr>, Vec<Fr>, ark_bn254::G1Projective)> {
    let n = inst_vars.iter().copied().max().unwrap_or(0);
    if proof.num_vars != n || proof.degree != degree || proof.rounds.len() != n {
        return crate::error::format_at("sumcheck.shape", "zk sumcheck shape differs");
    }
    t.absorb_u32("zk-sumcheck-vars", n as u32);
    t.absorb_u32("zk-sumcheck-degree", degree as u32);
    let weights = powers(t.squeeze("sumcheck-batch"), claims.len());
    let mut claim: ark_bn254::G1Projective = claims
        .iter()
        .zip(inst_vars)
        .zip(&weights)
        .map(|((c, nv), w)| *c * (*w * pow2(n - nv)))
        .sum();
    let mut point = Vec::with_capacity(n);
    for round in &proof.rounds {
        if round.len() != degree {
            return crate::error::format_at("sumcheck.shape", "zk sumcheck round size");
        }
        t.absorb_points("zk-sumcheck-round", round);
        let c = t.squeeze("sumcheck-challenge");
        let a0: ark_bn254::G1Projective = round[0].into();
        let mut e = vec![a0, claim - a0];
        e.extend(round[1..].iter().map(|p| ark_bn254::G1Projective::from(*p)));
        claim = lagrange_at(degree, c)
            .iter()
            .zip(&e)
            .map(|(l, p)| *p * l)
            .sum();
        point.push(c);
    }
    Ok((point, weights, claim))
}

/// `E_1 = r_j^{-1} (H - (1 - r_j) E_0)`: `g(1)`'s opening from the running (K-free)
/// claim (zk.md 5.2). `r_j = 0` gives an arbitrary opening: the verifier rejects such a
/// point by name (`sumcheck.eq-degenerate`) before it derives anything.
fn derive_one(h: Hidden, a0: Hidden, rj: Fr) -> Hidden {
    (h - a0 * (Fr::from(1u64) - rj)) * ark_ff::Field::inverse(&rj).unwrap_or_default()
}

/// The committed eq-factored sumcheck (zk.md 5.2, "Eq-factored"): `inst` proves
/// `sum_x eq(r, x) F(x)` against the hidden `claim`; each round commits to `g(0)` and
/// `g(2..d)`. `weights` is `[1]` (one instance, no batching challenge).
pub fn prove_eq(
    gens: &Gens,
    t: &mut Transcript,
    inst: &mut dyn EqFactoredProver,
    r: &[Fr],
    claim: Hidden,
    blinds: &mut Blinds,
) -> ZkSumcheckRun {
    let (n, d) = (inst.num_vars(), inst.degree());
    t.absorb_u32("zk-eq-sumcheck-vars", n as u32);
    t.absorb_u32("zk-eq-sumcheck-degree", d as u32);
    let mut h = claim;
    let mut rounds = Vec::with_capacity(n);
    let point = drive_eq_rounds(inst, |g| {
        let sent: Vec<Hidden> = sent_values(g)
            .into_iter()
            .map(|v| Hidden::fresh(v, blinds))
            .collect();
        let points: Vec<G1Affine> = sent.iter().map(|x| x.point(gens)).collect();
        t.absorb_points("zk-eq-sumcheck-round", &points);
        let c = t.squeeze("sumcheck-challenge");
        let mut all = vec![sent[0], derive_one(h, sent[0], r[rounds.len()])];
        all.extend_from_slice(&sent[1..]);
        let (vs, ts): (Vec<Fr>, Vec<Fr>) = all.iter().map(|x| (x.v, x.t)).unzip();
        h = Hidden {
            v: interpolate_at(&vs, c),
            t: interpolate_at(&ts, c),
        };
        rounds.push(points);
        c
    });
    ZkSumcheckRun {
        proof: ZkSumcheckProof {
            num_vars: n,
            degree: d,
            rounds,
        },
        point,
        weights: vec![Fr::from(1u64)],
        last: h,
    }
}

/// [`prove_eq`]'s verifier with claims as points (tests; the Python verifier keeps
/// forms). Returns the point and the final claim's commitment (K-free: the caller
/// checks it against `F(point)`, no eq factor).
pub fn verify_eq(
    t: &mut Transcript,
    claim: ark_bn254::G1Projective,
    r: &[Fr],
    degree: usize,
    proof: &ZkSumcheckProof,
) -> Result<(Vec<Fr>, ark_bn254::G1Projective)> {
    let n = r.len();
    if proof.num_vars != n
        || proof.degree != degree
        || proof.rounds.len() != n
        || proof.rounds.iter().any(|a| a.len() != degree)
    {
        return crate::error::format_at("sumcheck.shape", "zk eq sumcheck shape differs");
    }
    check_point("zk eq sumcheck", r)?;
    t.absorb_u32("zk-eq-sumcheck-vars", n as u32);
    t.absorb_u32("zk-eq-sumcheck-degree", degree as u32);
    let mut h = claim;
    let mut point = Vec::with_capacity(n);
    for (round, &rj) in proof.rounds.iter().zip(r) {
        t.absorb_points("zk-eq-sumcheck-round", round);
        let c = t.squeeze("sumcheck-challenge");
        let a0: ark_bn254::G1Projective = round[0].into();
        let inv = ark_ff::Field::inverse(&rj).expect("check_point: r_j != 0");
        let mut e = vec![a0, (h - a0 * (Fr::from(1u64) - rj)) * inv];
        e.extend(round[1..].iter().map(|p| ark_bn254::G1Projective::from(*p)));
        h = lagrange_at(degree, c)
            .iter()
            .zip(&e)
            .map(|(l, p)| *p * l)
            .sum();
        point.push(c);
    }
    Ok((point, h))
}

/// `L_k(c)` for the Lagrange basis on the nodes `0..=d`.
pub fn lagrange_at(d: usize, c: Fr) -> Vec<Fr> {
    (0..=d)
        .map(|k| {
            let mut unit = vec![Fr::from(0u64); d + 1];
            unit[k] = Fr::from(1u64);
            interpolate_at(&unit, c)
        })
        .collect()
}
