//! The four sigma proofs of circuits/sigma.md section 3 (opening, equality, product,
//! dot product), proved as a batch with one challenge and checked as one merged MSM
//! (section 4).
//!
//! The prover runs in two phases so that a hiding proof can absorb the first messages
//! of every proof it contains before the one challenge: [`first`] draws the nonces and
//! returns the first messages, [`respond`] answers a challenge. The checker turns each
//! proof into equations (`(scalar, point)` terms summing to the identity) so that a
//! caller can fold them into its own single MSM.

use ark_bn254::{G1Affine, G1Projective};
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::{One, Zero};

use super::blinds::Blinds;
use super::pedersen::Gens;
use crate::encoding::{Reader, Writer};
use crate::error::{format_at, reject_at, Result};
use crate::field::{inner_product, powers, Fr};
use crate::transcript::Transcript;

/// What a proof speaks about: public to both sides (absorbed by the caller).
#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    /// Knowledge of the opening of `c`.
    Opening { c: G1Affine },
    /// `c1` and `c2` commit the same value.
    Equality { c1: G1Affine, c2: G1Affine },
    /// `cz` commits the product of the values of `cx` and `cy`.
    Product {
        cx: G1Affine,
        cy: G1Affine,
        cz: G1Affine,
    },
    /// `cy` commits `<a, x>` for the vector `x` committed by `cx`.
    DotProduct {
        cx: G1Affine,
        a: Vec<Fr>,
        cy: G1Affine,
    },
}

/// The prover's secrets for a statement (values and blinders).
#[derive(Clone, Debug)]
pub enum Witness {
    Opening {
        v: Fr,
        t: Fr,
    },
    Equality {
        t1: Fr,
        t2: Fr,
    },
    Product {
        x: Fr,
        tx: Fr,
        y: Fr,
        ty: Fr,
        tz: Fr,
    },
    DotProduct {
        x: Vec<Fr>,
        tx: Fr,
        ty: Fr,
    },
}

/// One proof: its first messages, then its responses.
#[derive(Clone, Debug, PartialEq)]
pub struct Proof {
    pub first: Vec<G1Affine>,
    pub responses: Vec<Fr>,
}

/// A proof between its two phases: the first messages and the nonces behind them.
pub struct Pending {
    first: Vec<G1Affine>,
    nonces: Vec<Fr>,
}

impl Statement {
    /// (first-message points, response scalars) of this statement's proof.
    pub fn sizes(&self) -> (usize, usize) {
        match self {
            Statement::Opening { .. } => (1, 2),
            Statement::Equality { .. } => (1, 1),
            Statement::Product { .. } => (3, 5),
            Statement::DotProduct { a, .. } => (2, a.len() + 2),
        }
    }
}

impl Pending {
    /// The first messages (what `"sigma-first"` absorbs).
    pub fn first_messages(&self) -> &[G1Affine] {
        &self.first
    }
}

/// Phase one: draw the nonces and form the first messages.
pub fn first(gens: &Gens, stmt: &Statement, blinds: &mut Blinds) -> Pending {
    let aff = |p: G1Projective| p.into_affine();
    match stmt {
        Statement::Opening { .. } => {
            let n = blinds.draw_n(2);
            let first = vec![gens.commit_scalar(n[0], n[1])];
            Pending { first, nonces: n }
        }
        Statement::Equality { .. } => {
            let n = blinds.draw_n(1);
            Pending {
                first: vec![aff(gens.mul_h(n[0]))],
                nonces: n,
            }
        }
        Statement::Product { cx, .. } => {
            let n = blinds.draw_n(5);
            let first = vec![
                gens.commit_scalar(n[0], n[1]),
                gens.commit_scalar(n[2], n[3]),
                aff(*cx * n[2] + gens.mul_h(n[4])),
            ];
            Pending { first, nonces: n }
        }
        Statement::DotProduct { a, .. } => {
            let n = blinds.draw_n(a.len() + 2);
            let (r_d, r_b) = (n[a.len()], n[a.len() + 1]);
            let d = &n[..a.len()];
            let first = vec![
                gens.commit_vec(d, r_d),
                gens.commit_scalar(inner_product(a, d), r_b),
            ];
            Pending { first, nonces: n }
        }
    }
}

/// Phase two: the responses to challenge `c` (nonce plus `c` times secret, section 3).
pub fn respond(pending: Pending, wit: &Witness, c: Fr) -> Proof {
    let n = &pending.nonces;
    let responses = match wit {
        Witness::Opening { v, t } => vec![n[0] + c * v, n[1] + c * t],
        Witness::Equality { t1, t2 } => vec![n[0] + c * (*t1 - t2)],
        Witness::Product { x, tx, y, ty, tz } => vec![
            n[0] + c * x,
            n[1] + c * tx,
            n[2] + c * y,
            n[3] + c * ty,
            n[4] + c * (*tz - *tx * y),
        ],
        Witness::DotProduct { x, tx, ty } => {
            let k = x.len();
            let mut z: Vec<Fr> = n[..k].iter().zip(x).map(|(d, x)| *d + c * x).collect();
            z.push(n[k] + c * tx);
            z.push(n[k + 1] + c * ty);
            z
        }
    };
    Proof {
        first: pending.first,
        responses,
    }
}

/// Prove a batch (section 4): first messages, `sigma-c`, responses, `sigma-merge`.
/// The caller has absorbed the statements.
pub fn prove_batch(
    gens: &Gens,
    t: &mut Transcript,
    items: &[(Statement, Witness)],
    blinds: &mut Blinds,
) -> Vec<Proof> {
    let pending: Vec<Pending> = items.iter().map(|(s, _)| first(gens, s, blinds)).collect();
    let points: Vec<G1Affine> = pending.iter().flat_map(|p| p.first.clone()).collect();
    t.absorb_points("sigma-first", &points);
    let c = t.squeeze("sigma-c");
    let proofs: Vec<Proof> = pending
        .into_iter()
        .zip(items)
        .map(|(p, (_, w))| respond(p, w, c))
        .collect();
    let responses: Vec<Fr> = proofs.iter().flat_map(|p| p.responses.clone()).collect();
    t.absorb_frs("sigma-responses", &responses);
    t.squeeze("sigma-merge");
    proofs
}

/// A batch's bytes: per proof its points then its scalars, no counts (section 4).
pub fn write_batch(w: &mut Writer, proofs: &[Proof]) {
    for p in proofs {
        p.first
            .iter()
            .for_each(|q| w.bytes(&crate::encoding::g1_to_bytes(q)));
        p.responses.iter().for_each(|x| w.fr(x));
    }
}

/// Read a batch for `stmts`: exactly the sizes their kinds give.
pub fn read_batch(r: &mut Reader<'_>, stmts: &[Statement]) -> Result<Vec<Proof>> {
    stmts
        .iter()
        .map(|s| {
            let (np, nf) = s.sizes();
            let first = (0..np)
                .map(|_| r.point("sigma first message"))
                .collect::<Result<_>>()?;
            let responses = (0..nf)
                .map(|_| r.fr("sigma response"))
                .collect::<Result<_>>()?;
            Ok(Proof { first, responses })
        })
        .collect()
}

/// One equation: `(scalar, point)` terms whose sum must be the identity.
pub type Equation = Vec<(Fr, G1Affine)>;

/// The equations of one proof at challenge `c` (section 3), each as `lhs - rhs`.
pub fn equations(gens: &Gens, stmt: &Statement, p: &Proof, c: Fr) -> Result<Vec<Equation>> {
    let (np, nf) = stmt.sizes();
    if p.first.len() != np || p.responses.len() != nf {
        return format_at("sigma.shape", "a proof's size does not match its statement");
    }
    let (g_e, h, m1) = (gens.g_e, gens.h, -Fr::one());
    let (f, z) = (&p.first, &p.responses);
    Ok(match stmt {
        Statement::Opening { c: cc } => {
            vec![vec![(z[0], g_e), (z[1], h), (m1, f[0]), (-c, *cc)]]
        }
        Statement::Equality { c1, c2 } => {
            vec![vec![(z[0], h), (m1, f[0]), (-c, *c1), (c, *c2)]]
        }
        Statement::Product { cx, cy, cz } => vec![
            vec![(z[0], g_e), (z[1], h), (m1, f[0]), (-c, *cx)],
            vec![(z[2], g_e), (z[3], h), (m1, f[1]), (-c, *cy)],
            vec![(z[2], *cx), (z[4], h), (m1, f[2]), (-c, *cz)],
        ],
        Statement::DotProduct { cx, a, cy } => {
            let k = a.len();
            if k > gens.g().len() {
                return format_at("sigma.shape", "a dot product longer than the generators");
            }
            let mut e1: Equation = z[..k]
                .iter()
                .copied()
                .zip(gens.g().iter().copied())
                .collect();
            e1.extend([(z[k], h), (m1, f[0]), (-c, *cx)]);
            let e2 = vec![
                (inner_product(a, &z[..k]), g_e),
                (z[k + 1], h),
                (m1, f[1]),
                (-c, *cy),
            ];
            vec![e1, e2]
        }
    })
}

/// Verify a batch read by [`read_batch`]: the challenges of section 4, then every
/// equation folded by powers of `sigma-merge` into one MSM that must be the identity.
pub fn verify_batch(
    gens: &Gens,
    t: &mut Transcript,
    stmts: &[Statement],
    proofs: &[Proof],
) -> Result<()> {
    let (c, rho) = batch_challenges(t, stmts, proofs)?;
    let mut eqs = Vec::new();
    for (s, p) in stmts.iter().zip(proofs) {
        eqs.extend(equations(gens, s, p, c)?);
    }
    if fold(&eqs, rho).is_zero() {
        Ok(())
    } else {
        reject_at("sigma.equations", "a sigma proof does not verify")
    }
}

/// The verifier's steps of section 4 on the transcript: absorb the first messages,
/// `c = "sigma-c"`, absorb the responses, `rho = "sigma-merge"`. Returns `(c, rho)`;
/// a hiding proof folds its own linear equation in with the same `rho` (zk.md 5.5).
pub fn batch_challenges(
    t: &mut Transcript,
    stmts: &[Statement],
    proofs: &[Proof],
) -> Result<(Fr, Fr)> {
    if stmts.len() != proofs.len() {
        return format_at("sigma.shape", "proof count does not match the statements");
    }
    let points: Vec<G1Affine> = proofs.iter().flat_map(|p| p.first.clone()).collect();
    t.absorb_points("sigma-first", &points);
    let c = t.squeeze("sigma-c");
    let responses: Vec<Fr> = proofs.iter().flat_map(|p| p.responses.clone()).collect();
    t.absorb_frs("sigma-responses", &responses);
    Ok((c, t.squeeze("sigma-merge")))
}

/// `sum_k rho^k E_k` as one MSM.
pub fn fold(eqs: &[Equation], rho: Fr) -> G1Projective {
    let weights = powers(rho, eqs.len());
    let (mut scalars, mut bases) = (Vec::new(), Vec::new());
    for (w, e) in weights.iter().zip(eqs) {
        for (s, p) in e {
            scalars.push(*w * s);
            bases.push(*p);
        }
    }
    G1Projective::msm(&bases, &scalars).expect("lengths match")
}

/// One statement of each kind with its witness (test builds only): the unit tests'
/// batch and `circuits/vectors/sigma.json`'s; `z` is the value `C_z` commits (the
/// honest product is 42).
#[cfg(any(test, feature = "testkit"))]
pub fn example_items(g: &Gens, z: Fr) -> Vec<(Statement, Witness)> {
    let fr = |v: u64| Fr::from(v);
    let (x, y, tx, ty, tz) = (fr(6), fr(7), fr(11), fr(12), fr(13));
    let xs = vec![fr(1), fr(2), fr(3), fr(4)];
    let a = vec![fr(5), fr(6), fr(7), fr(8)];
    vec![
        (
            Statement::Opening {
                c: g.commit_scalar(fr(9), fr(10)),
            },
            Witness::Opening {
                v: fr(9),
                t: fr(10),
            },
        ),
        (
            Statement::Equality {
                c1: g.commit_scalar(fr(3), fr(1)),
                c2: g.commit_scalar(fr(3), fr(2)),
            },
            Witness::Equality {
                t1: fr(1),
                t2: fr(2),
            },
        ),
        (
            Statement::Product {
                cx: g.commit_scalar(x, tx),
                cy: g.commit_scalar(y, ty),
                cz: g.commit_scalar(z, tz),
            },
            Witness::Product { x, tx, y, ty, tz },
        ),
        (
            Statement::DotProduct {
                cx: g.commit_vec(&xs, fr(21)),
                cy: g.commit_scalar(inner_product(&a, &xs), fr(22)),
                a,
            },
            Witness::DotProduct {
                x: xs,
                tx: fr(21),
                ty: fr(22),
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcs::generators::{seed_digest, DEFAULT_SEED};

    fn gens() -> Gens {
        Gens::new(&seed_digest(DEFAULT_SEED), 8)
    }

    fn fr(v: u64) -> Fr {
        Fr::from(v)
    }

    /// One statement of each kind with its witness; `lie` makes the product false.
    fn batch(g: &Gens, lie: bool) -> Vec<(Statement, Witness)> {
        example_items(g, fr(if lie { 43 } else { 42 }))
    }

    fn run(items: &[(Statement, Witness)], tamper: impl Fn(&mut Vec<Proof>)) -> Result<()> {
        let g = gens();
        let mut blinds = Blinds::from_seed([7; 32], [0; 32]);
        let mut proofs = prove_batch(&g, &mut Transcript::new(b"t"), items, &mut blinds);
        tamper(&mut proofs);
        let stmts: Vec<Statement> = items.iter().map(|(s, _)| s.clone()).collect();
        let mut w = Writer::new();
        write_batch(&mut w, &proofs);
        let bytes = w.finish();
        let mut r = Reader::new(&bytes);
        let read = read_batch(&mut r, &stmts)?;
        r.finish()?;
        verify_batch(&g, &mut Transcript::new(b"t"), &stmts, &read)
    }

    #[test]
    fn honest_batch_verifies() {
        run(&batch(&gens(), false), |_| {}).unwrap();
    }

    #[test]
    fn false_product_is_rejected() {
        let e = run(&batch(&gens(), true), |_| {}).unwrap_err();
        assert_eq!(e.check(), Some("sigma.equations"));
    }

    #[test]
    fn unequal_values_are_rejected() {
        let g = gens();
        let mut items = batch(&g, false);
        items[1].0 = Statement::Equality {
            c1: g.commit_scalar(fr(3), fr(1)),
            c2: g.commit_scalar(fr(4), fr(2)),
        };
        assert_eq!(
            run(&items, |_| {}).unwrap_err().check(),
            Some("sigma.equations")
        );
    }

    #[test]
    fn wrong_dot_product_is_rejected() {
        let g = gens();
        let mut items = batch(&g, false);
        if let Statement::DotProduct { cy, .. } = &mut items[3].0 {
            *cy = g.commit_scalar(fr(1), fr(22));
        }
        assert_eq!(
            run(&items, |_| {}).unwrap_err().check(),
            Some("sigma.equations")
        );
    }

    #[test]
    fn every_response_is_bound() {
        let items = batch(&gens(), false);
        for i in 0..items.len() {
            let n = items[i].0.sizes().1;
            for j in 0..n {
                let e = run(&items, |p| p[i].responses[j] += Fr::one()).unwrap_err();
                assert_eq!(e.check(), Some("sigma.equations"), "proof {i} response {j}");
            }
        }
    }

    #[test]
    fn every_first_message_is_bound() {
        let g = gens();
        let items = batch(&g, false);
        for i in 0..items.len() {
            for j in 0..items[i].0.sizes().0 {
                let e = run(&items, |p| p[i].first[j] = g.h).unwrap_err();
                assert_eq!(e.check(), Some("sigma.equations"), "proof {i} point {j}");
            }
        }
    }

    #[test]
    fn truncated_batch_is_a_format_error() {
        let items = batch(&gens(), false);
        let g = gens();
        let proofs = prove_batch(
            &g,
            &mut Transcript::new(b"t"),
            &items,
            &mut Blinds::from_seed([7; 32], [0; 32]),
        );
        let mut w = Writer::new();
        write_batch(&mut w, &proofs);
        let bytes = w.finish();
        let stmts: Vec<Statement> = items.iter().map(|(s, _)| s.clone()).collect();
        let e = read_batch(&mut Reader::new(&bytes[..bytes.len() - 1]), &stmts).unwrap_err();
        assert_eq!(e.check(), Some("proof.truncated"));
    }

    #[test]
    fn fresh_nonces_give_distinct_proofs_of_one_statement() {
        let g = gens();
        let items = batch(&g, false);
        let t = Transcript::new(b"t");
        let mut b1 = Blinds::hedged(t.state()).unwrap();
        let mut b2 = Blinds::hedged(t.state()).unwrap();
        let p1 = prove_batch(&g, &mut t.clone(), &items, &mut b1);
        let p2 = prove_batch(&g, &mut t.clone(), &items, &mut b2);
        for (a, b) in p1.iter().zip(&p2) {
            assert!(a.first.iter().zip(&b.first).all(|(x, y)| x != y));
            assert!(a.responses.iter().zip(&b.responses).all(|(x, y)| x != y));
        }
    }
}
