use super::product::Term;
use super::*;
use crate::field::from_i64;
use crate::mle::{eq_table, evaluate};
use crate::testing::{assert_cheats_rejected_at, rand_frs, Protocol};

fn product_instance(n: usize, seed: u64) -> (ProductSum, Vec<Vec<Fr>>) {
    let f = rand_frs(1 << n, seed);
    let g = rand_frs(1 << n, seed + 1);
    (
        ProductSum::product(f.clone(), g.clone()).unwrap(),
        vec![f, g],
    )
}

#[test]
fn product_sumcheck_complete_for_several_sizes() {
    for n in [1usize, 2, 5, 10, 13] {
        let (mut inst, tables) = product_instance(n, n as u64);
        let claim = inst.claim();
        let mut tp = Transcript::new(b"test");
        let (proof, point) = prove(&mut tp, &mut inst, claim);
        let mut tv = Transcript::new(b"test");
        let (vpoint, fin) = verify(&mut tv, "t", claim, n, 2, &proof).unwrap();
        assert_eq!(vpoint, point);
        assert_eq!(
            fin,
            evaluate(&tables[0], &point) * evaluate(&tables[1], &point)
        );
        assert_eq!(tp.state(), tv.state());
    }
}

#[test]
fn degree_four_terms_with_coefficients() {
    let n = 6;
    let t: Vec<Vec<Fr>> = (0..4).map(|i| rand_frs(1 << n, 50 + i)).collect();
    let terms = vec![
        Term {
            coeff: from_i64(3),
            factors: vec![0, 1, 2, 3],
        },
        Term {
            coeff: from_i64(-1),
            factors: vec![1],
        },
        Term {
            coeff: from_i64(7),
            factors: vec![2, 2],
        },
    ];
    let mut inst = ProductSum::new(t.clone(), terms).unwrap();
    let claim = inst.claim();
    let (proof, point) = prove(&mut Transcript::new(b"d4"), &mut inst, claim);
    let (_, fin) = verify(&mut Transcript::new(b"d4"), "t", claim, n, 4, &proof).unwrap();
    let e: Vec<Fr> = t.iter().map(|x| evaluate(x, &point)).collect();
    assert_eq!(
        fin,
        from_i64(3) * e[0] * e[1] * e[2] * e[3] - e[1] + from_i64(7) * e[2] * e[2]
    );
}

#[test]
fn batched_instances_of_different_sizes() {
    let (mut a, ta) = product_instance(7, 1);
    let (mut b, tb) = product_instance(4, 2);
    let claims = [a.claim(), b.claim()];
    let mut tp = Transcript::new(b"batch");
    let (proof, point, w) = prove_batched(&mut tp, &mut [&mut a, &mut b], &claims);
    let mut tv = Transcript::new(b"batch");
    let out = verify_batched(&mut tv, "t", &claims, &[7, 4], 2, &proof).unwrap();
    assert_eq!(out.point, point);
    assert_eq!(out.weights, w);
    let g = |t: &[Vec<Fr>], p: &[Fr]| evaluate(&t[0], p) * evaluate(&t[1], p);
    let want = w[0] * g(&ta, &point) + w[1] * g(&tb, &point[3..]);
    assert_eq!(out.final_claim, want);
}

#[test]
fn tampered_round_or_claim_rejected() {
    let n = 5;
    let (mut inst, tables) = product_instance(n, 9);
    let claim = inst.claim();
    let (proof, _) = prove(&mut Transcript::new(b"x"), &mut inst, claim);
    let truth = |p: &[Fr]| evaluate(&tables[0], p) * evaluate(&tables[1], p);
    let bad_claim = verify(
        &mut Transcript::new(b"x"),
        "t",
        claim + Fr::from(1u64),
        n,
        2,
        &proof,
    );
    assert!(matches!(
        bad_claim,
        Err(Error::Sumcheck {
            check: "sumcheck.round-sum",
            round: 0,
            ..
        })
    ));
    for j in 0..n {
        for k in 0..3 {
            let mut bad = proof.clone();
            bad.rounds[j][k] += Fr::from(1u64);
            let res = verify(&mut Transcript::new(b"x"), "t", claim, n, 2, &bad);
            // Changing p(2) keeps p(0)+p(1) but moves the next claim: caught next round
            // or, in the last round, by the caller's final check.
            match res {
                Err(_) => {}
                Ok((p, fin)) => assert!(j == n - 1 && k == 2 && fin != truth(&p)),
            }
        }
    }
}

/// Zerocheck of `a * b = c` (circuits/sumcheck.md): the cheating harness runs the
/// honest prover on witnesses that break the relation at one point.
struct MulGate {
    n: usize,
}

impl Protocol for MulGate {
    type Witness = [Vec<Fr>; 3];

    fn prove(&self, w: &Self::Witness) -> Vec<u8> {
        let mut t = Transcript::new(b"mul-gate");
        let tau = t.squeeze_n("zerocheck-tau", self.n);
        let tables = vec![eq_table(&tau), w[0].clone(), w[1].clone(), w[2].clone()];
        let terms = vec![
            Term {
                coeff: Fr::from(1u64),
                factors: vec![0, 1, 2],
            },
            Term {
                coeff: from_i64(-1),
                factors: vec![0, 3],
            },
        ];
        let mut inst = ProductSum::new(tables, terms).unwrap();
        let (proof, _) = prove(&mut t, &mut inst, Fr::from(0u64));
        let mut wr = crate::encoding::Writer::new();
        proof.write(&mut wr);
        inst.final_evals()[1..].iter().for_each(|x| wr.fr(x));
        wr.finish()
    }

    fn verify(&self, bytes: &[u8]) -> crate::Result<()> {
        let mut r = crate::encoding::Reader::new(bytes);
        let proof = SumcheckProof::read(&mut r, self.n, 3)?;
        let (a, b, c) = (r.fr("a")?, r.fr("b")?, r.fr("c")?);
        r.finish()?;
        let mut t = Transcript::new(b"mul-gate");
        let tau = t.squeeze_n("zerocheck-tau", self.n);
        let (point, fin) = verify(&mut t, "mul gate", Fr::from(0u64), self.n, 3, &proof)?;
        // In a real gadget a, b, c become PCS claims; here the test knows the tables.
        if fin != crate::mle::eq_eval(&tau, &point) * (a * b - c) {
            return crate::error::reject_at("test.mul-gate-final", "mul gate final check");
        }
        Ok(())
    }
}

#[test]
fn zerocheck_rejects_wrong_witness() {
    let n = 6;
    let a = rand_frs(1 << n, 1);
    let b = rand_frs(1 << n, 2);
    let c: Vec<Fr> = a.iter().zip(&b).map(|(x, y)| *x * y).collect();
    assert_cheats_rejected_at(
        &MulGate { n },
        &[a, b, c],
        // the wrong witness gives consistent rounds; the final check g(r) catches it
        "test.mul-gate-final",
        &[
            ("one output off by one", |w| w[2][5] += Fr::from(1u64)),
            ("errors that cancel in a plain sum", |w| {
                w[2][1] += Fr::from(1u64);
                w[2][2] -= Fr::from(1u64);
            }),
            ("input changed", |w| w[0][63] = Fr::from(0u64)),
        ],
    );
}
