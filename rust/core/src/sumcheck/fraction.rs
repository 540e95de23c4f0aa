//! The LogUp-GKR layer instance (circuits/logup.md), specialised:
//! `sum_x eq(r, x) F(x)` with `F = p0 q1 + p1 q0 + lambda q0 q1`, degree 2 in each
//! variable, proven by the eq-factored sumcheck (sumcheck.md; `super::eq`).
//!
//! In round `j` the full round polynomial is `K_j eq(r_j, X) g(X)` with
//! `K_j = prod_{i<j} eq(r_i, c_i)` and `g(X) = sum_x' eq(r_{>j}, x') F(c, X, x')` of
//! degree 2; the instance computes `g` only (two points per pair, the eq table of the
//! remaining variables folded separately) and tracks the claim without `K_j`.

use std::cell::Cell;

use ark_ff::{Field, One, Zero};
use rayon::prelude::*;

use super::eq::EqFactoredProver;
use crate::field::Fr;
use crate::mle::{eq_table, PAR_THRESHOLD};

pub struct FractionLayer {
    /// p0, p1, q0, q1 (folded with the challenges so far).
    t: [Vec<Fr>; 4],
    r: Vec<Fr>,
    /// eq table of `r[round + 1..]`.
    rest: Vec<Fr>,
    /// The running claim without `K_j`: `(1 - r_j) g(0) + r_j g(1)`.
    claim: Fr,
    round: usize,
    lambda: Fr,
    num_vars: usize,
    /// `G(0), G(1), G(2)` of the current round, for `bind`.
    g: Cell<[Fr; 3]>,
}

impl FractionLayer {
    /// The layer's instance for the eq point `r` and its claim `P(r) + lambda Q(r)`.
    pub fn new(
        r: &[Fr],
        p0: Vec<Fr>,
        p1: Vec<Fr>,
        q0: Vec<Fr>,
        q1: Vec<Fr>,
        lambda: Fr,
        claim: Fr,
    ) -> Self {
        let num_vars = r.len();
        Self {
            t: [p0, p1, q0, q1],
            r: r.to_vec(),
            rest: eq_table(&r[num_vars.min(1)..]),
            claim,
            round: 0,
            lambda,
            num_vars,
            g: Cell::new([Fr::zero(); 3]),
        }
    }

    /// `[p0(s), p1(s), q0(s), q1(s)]` once every variable is bound.
    pub fn final_evals(&self) -> [Fr; 4] {
        [self.t[0][0], self.t[1][0], self.t[2][0], self.t[3][0]]
    }
}

/// The quadratic through `(0, g0), (1, g1), (2, g2)` at `x`.
fn quadratic(g: [Fr; 3], x: Fr) -> Fr {
    let two_inv = Fr::from(2u64).inverse().expect("2 is invertible");
    let (d1, d2) = (g[1] - g[0], g[2] - g[1]);
    g[0] + x * d1 + x * (x - Fr::one()) * (d2 - d1) * two_inv
}

/// `v[i] = f(v[2i], v[2i + 1])` for the first half, then drop the second half and
/// its memory. Ascending, entry `i` reads `2i >= i`: nothing it reads is written yet.
fn halve_in_place(v: &mut Vec<Fr>, f: impl Fn(Fr, Fr) -> Fr) {
    let half = v.len() / 2;
    for i in 0..half {
        v[i] = f(v[2 * i], v[2 * i + 1]);
    }
    v.truncate(half);
    v.shrink_to_fit();
}

type Acc = [Fr; 2];

fn add2(a: Acc, b: Acc) -> Acc {
    [a[0] + b[0], a[1] + b[1]]
}

impl EqFactoredProver for FractionLayer {
    fn num_vars(&self) -> usize {
        self.num_vars
    }

    fn degree(&self) -> usize {
        2
    }

    fn round_g(&self) -> Vec<Fr> {
        let lambda = self.lambda;
        let [p0, p1, q0, q1] = &self.t;
        let rest = &self.rest;
        // G at X = 0 and X = 2 over the pairs (2i, 2i + 1).
        let body = |i: usize| -> Acc {
            let (a, b, c, d) = (2 * i, 2 * i + 1, 2 * i, 2 * i + 1);
            let f = |x0: Fr, x1: Fr, y0: Fr, y1: Fr| x0 * y1 + x1 * y0 + lambda * y0 * y1;
            let two = |v: &Vec<Fr>, lo: usize, hi: usize| v[hi] + v[hi] - v[lo];
            let g0 = f(p0[a], p1[a], q0[c], q1[c]);
            let g2 = f(two(p0, a, b), two(p1, a, b), two(q0, c, d), two(q1, c, d));
            [rest[i] * g0, rest[i] * g2]
        };
        let half = p0.len() / 2;
        let [g0, g2] = if half >= PAR_THRESHOLD {
            (0..half)
                .into_par_iter()
                .with_min_len(1 << 10)
                .map(body)
                .reduce(|| [Fr::zero(); 2], add2)
        } else {
            (0..half).map(body).fold([Fr::zero(); 2], add2)
        };
        // claim = (1 - r_j) g(0) + r_j g(1); r_j = 0 (the verifier then rejects,
        // sumcheck.md) leaves g(1) to the tables.
        let rj = self.r[self.round];
        let g1 = match rj.inverse() {
            Some(ri) => (self.claim - (Fr::one() - rj) * g0) * ri,
            None => (0..half)
                .map(|i| {
                    rest[i]
                        * (p0[2 * i + 1] * q1[2 * i + 1]
                            + p1[2 * i + 1] * q0[2 * i + 1]
                            + lambda * q0[2 * i + 1] * q1[2 * i + 1])
                })
                .sum(),
        };
        let g = [g0, g1, g2];
        self.g.set(g);
        g.to_vec()
    }

    fn bind(&mut self, c: Fr) {
        self.claim = quadratic(self.g.get(), c);
        // In place, one table per task: no second copy of the tables (LogUp's
        // largest layer is the prover's peak memory).
        if self.t[0].len() >= PAR_THRESHOLD {
            self.t
                .par_iter_mut()
                .for_each(|f| halve_in_place(f, |a, b| a + c * (b - a)));
        } else {
            self.t
                .iter_mut()
                .for_each(|f| halve_in_place(f, |a, b| a + c * (b - a)));
        }
        // eq(r_{j+1}, 0) + eq(r_{j+1}, 1) = 1: summing pairs drops r_{j+1}.
        if self.rest.len() > 1 {
            halve_in_place(&mut self.rest, |a, b| a + b);
        }
        self.round += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sumcheck::eq::eq_at;
    use crate::sumcheck::product::Term;
    use crate::sumcheck::{ProductSum, SumcheckProver};
    use crate::testing::rand_frs;

    /// The general prover's round polynomial (at 0, 2, 3) is `K_j eq(r_j, X) g(X)`
    /// round by round, under the same challenges, and both end on the same tables.
    #[test]
    fn g_times_the_split_eq_is_the_general_provers_round() {
        for n in [1usize, 2, 3, 13] {
            let r = rand_frs(n, 9);
            let t: Vec<Vec<Fr>> = (0..4).map(|k| rand_frs(1 << n, 10 + k)).collect();
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
            let mut tables = vec![eq_table(&r)];
            tables.extend(t.iter().cloned());
            let mut slow = ProductSum::new(tables, terms).unwrap();
            let claim = slow.claim();
            let [p0, p1, q0, q1] = std::array::from_fn(|k| t[k].clone());
            let mut fast = FractionLayer::new(&r, p0, p1, q0, q1, lambda, claim);
            let mut k = Fr::one();
            for (j, c) in rand_frs(n, 99).into_iter().enumerate() {
                let g = fast.round_g();
                let want = slow.round_evals();
                for (v, x) in want.iter().zip([0u64, 2, 3]) {
                    let x = Fr::from(x);
                    assert_eq!(*v, k * eq_at(r[j], x) * quadratic([g[0], g[1], g[2]], x));
                }
                k *= eq_at(r[j], c);
                fast.bind(c);
                slow.bind(c);
            }
            assert_eq!(
                fast.final_evals().to_vec(),
                slow.final_evals()[1..].to_vec()
            );
        }
    }

    #[test]
    fn quadratic_interpolates() {
        let g = [Fr::from(5u64), Fr::from(11u64), Fr::from(21u64)]; // 2x^2 + 4x + 5
        assert_eq!(quadratic(g, Fr::from(3u64)), Fr::from(35u64));
    }
}
