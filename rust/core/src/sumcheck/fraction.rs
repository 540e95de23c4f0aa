//! The LogUp-GKR layer instance (circuits/logup.md), specialised:
//! `sum_x eq(r, x) (p0 q1 + p1 q0 + lambda q0 q1)`, degree 3. The general
//! `ProductSum` proves the same sum; the test below holds them equal.

use ark_ff::Zero;
use rayon::prelude::*;

use super::SumcheckProver;
use crate::field::Fr;
use crate::mle::{fold, PAR_THRESHOLD};

pub struct FractionLayer {
    /// eq(r, .), p0, p1, q0, q1
    t: [Vec<Fr>; 5],
    lambda: Fr,
    num_vars: usize,
}

impl FractionLayer {
    pub fn new(
        eq: Vec<Fr>,
        p0: Vec<Fr>,
        p1: Vec<Fr>,
        q0: Vec<Fr>,
        q1: Vec<Fr>,
        lambda: Fr,
    ) -> Self {
        let num_vars = eq.len().trailing_zeros() as usize;
        Self {
            t: [eq, p0, p1, q0, q1],
            lambda,
            num_vars,
        }
    }

    /// `[p0(s), p1(s), q0(s), q1(s)]` once every variable is bound.
    pub fn final_evals(&self) -> [Fr; 4] {
        [self.t[1][0], self.t[2][0], self.t[3][0], self.t[4][0]]
    }
}

type Acc = [Fr; 3];

fn add3(a: Acc, b: Acc) -> Acc {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

impl SumcheckProver for FractionLayer {
    fn num_vars(&self) -> usize {
        self.num_vars
    }

    fn degree(&self) -> usize {
        3
    }

    fn round_evals(&self) -> Vec<Fr> {
        let lambda = self.lambda;
        let [e, p0, p1, q0, q1] = &self.t;
        // Values at t = 0, 2, 3 of each table's line through (f[2i], f[2i+1]).
        let body = |i: usize| -> Acc {
            let at = |f: &Vec<Fr>| {
                let (a, b) = (f[2 * i], f[2 * i + 1]);
                let d = b - a;
                let two = b + d;
                [a, two, two + d]
            };
            let (ev, a0, a1, b0, b1) = (at(e), at(p0), at(p1), at(q0), at(q1));
            let mut out = [Fr::zero(); 3];
            for k in 0..3 {
                out[k] = ev[k] * (a0[k] * b1[k] + a1[k] * b0[k] + lambda * b0[k] * b1[k]);
            }
            out
        };
        let half = e.len() / 2;
        let acc = if half >= PAR_THRESHOLD {
            (0..half)
                .into_par_iter()
                .with_min_len(1 << 10)
                .map(body)
                .reduce(|| [Fr::zero(); 3], add3)
        } else {
            (0..half).map(body).fold([Fr::zero(); 3], add3)
        };
        acc.to_vec()
    }

    fn bind(&mut self, c: Fr) {
        if self.t[0].len() >= PAR_THRESHOLD {
            self.t.par_iter_mut().for_each(|f| *f = fold(f, c));
        } else {
            self.t.iter_mut().for_each(|f| *f = fold(f, c));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sumcheck::product::Term;
    use crate::sumcheck::{prove, ProductSum};
    use crate::testing::rand_frs;
    use crate::transcript::Transcript;
    use ark_ff::One;

    #[test]
    fn matches_the_general_prover_byte_for_byte() {
        for n in [1usize, 3, 13] {
            let t: Vec<Vec<Fr>> = (0..5).map(|k| rand_frs(1 << n, 10 + k)).collect();
            let lambda = Fr::from(7u64);
            let one = Fr::one();
            let terms = vec![
                Term {
                    coeff: one,
                    factors: vec![0, 1, 4],
                },
                Term {
                    coeff: one,
                    factors: vec![0, 2, 3],
                },
                Term {
                    coeff: lambda,
                    factors: vec![0, 3, 4],
                },
            ];
            let mut slow = ProductSum::new(t.clone(), terms).unwrap();
            let claim = slow.claim();
            let mut fast = FractionLayer::new(
                t[0].clone(),
                t[1].clone(),
                t[2].clone(),
                t[3].clone(),
                t[4].clone(),
                lambda,
            );
            let a = prove(&mut Transcript::new(b"f"), &mut fast, claim);
            let b = prove(&mut Transcript::new(b"f"), &mut slow, claim);
            assert_eq!(a, b);
            assert_eq!(
                fast.final_evals().to_vec(),
                slow.final_evals()[1..].to_vec()
            );
        }
    }
}
