//! The convolution gadget's sumcheck instance (circuits/conv.md section 2):
//!
//! ```text
//! sum_{x', y', j, i, c} W(j, i, c) X(x', y', c) A_1(y', i) A_2(x', j)
//! ```
//!
//! with `W` folded at `r_o`, `X` at `r_b`, and `A_a = W~_a(r_a, ., .)` the wiring
//! tables (`wiring::wire_table_y`). Each variable occurs in exactly two factors, so
//! the round polynomials have degree 2, and no table of the full product's size is
//! ever built: the prover runs three phases, each a pair product over a small table.
//!
//! 1. bind `x'`: pair `A_2(x', j)` with `H(x', j) = sum_{y', c} X(x', y', c) M(y', j, c)`,
//!    `M(y', j, c) = sum_i W(j, i, c) A_1(y', i)` (H is linear in X, hence multilinear
//!    in `x'`, so the pair's round polynomials over `x'` are the summand's);
//! 2. bind `y'`: pair `A_1(y', i)` with `H_2(y', i) = sum_c X(s_x', y', c) N(i, c)`,
//!    `N(i, c) = sum_j W(j, i, c) A_2(s_x', j)`;
//! 3. bind `(j, i, c)`: pair `W` with `A_2(s_x', j) A_1(s_y', i) X(s_x', s_y', c)`.
//!
//! Cost per conv: `O(pS_2 pK_2 pS_1 pC + pS_1 pK_1 pK_2 pC)`, independent of `O`.

use ark_ff::Zero;
use rayon::prelude::*;

use crate::field::Fr;
use crate::mle::eq_table;
use crate::sumcheck::{PairProduct, SumcheckProver};

/// Log sizes of the instance's variable parts, LSB first: `x'`, `y'`, `j`, `i`, `c`.
#[derive(Clone, Copy, Debug)]
pub struct ConvDims {
    pub s2: usize,
    pub s1: usize,
    pub k2: usize,
    pub k1: usize,
    pub c: usize,
}

impl ConvDims {
    pub fn from_array(v: [usize; 5]) -> Self {
        Self {
            s2: v[0],
            s1: v[1],
            k2: v[2],
            k1: v[3],
            c: v[4],
        }
    }

    pub fn num_vars(&self) -> usize {
        self.s2 + self.s1 + self.k2 + self.k1 + self.c
    }
}

/// The conv instance's prover.
pub struct ConvProver {
    d: ConvDims,
    /// `W(j, i, c)` at `r_o`, index `j + pK_2 (i + pK_1 c)`.
    w: Vec<Fr>,
    /// `X(x', y', c)` at `r_b` (bound in place as phases end), index `x' + pS_2 (y' + pS_1 c)`.
    x: Vec<Fr>,
    /// `A_1(y', i)`, index `y' + pS_1 i`.
    a1: Vec<Fr>,
    /// `A_2(x', j)`, then `A_2(s_x', j)` after phase 1.
    a2: Vec<Fr>,
    phase: usize,
    left: usize,
    chal: Vec<Fr>,
    cur: PairProduct<'static>,
}

/// `out[r] = sum_k e[k] t[k + len(e) r]`: bind a table's low variables to the point of `e`.
fn bind_low(t: &[Fr], e: &[Fr]) -> Vec<Fr> {
    t.par_chunks(e.len())
        .map(|row| row.iter().zip(e).map(|(a, b)| *a * b).sum())
        .collect()
}

impl ConvProver {
    /// `w`, `x`, `a1`, `a2` as documented on the fields; lengths must match `d`.
    pub fn new(d: ConvDims, w: Vec<Fr>, x: Vec<Fr>, a1: Vec<Fr>, a2: Vec<Fr>) -> Self {
        assert_eq!(w.len(), 1 << (d.k2 + d.k1 + d.c));
        assert_eq!(x.len(), 1 << (d.s2 + d.s1 + d.c));
        assert_eq!(a1.len(), 1 << (d.s1 + d.k1));
        assert_eq!(a2.len(), 1 << (d.s2 + d.k2));
        let placeholder = PairProduct::new(vec![Fr::zero()], vec![Fr::zero()]).expect("1 entry");
        let mut p = Self {
            d,
            w,
            x,
            a1,
            a2,
            phase: 0,
            left: 0,
            chal: Vec::new(),
            cur: placeholder,
        };
        p.start_phase1();
        p.skip_empty();
        p
    }

    fn start_phase1(&mut self) {
        let (ns2, ns1, nk2, nk1, nc) = self.sizes();
        // M(y', j, c) = sum_i W(j, i, c) A_1(y', i), index y' + pS_1 (j + pK_2 c).
        let m: Vec<Fr> = (0..ns1 * nk2 * nc)
            .into_par_iter()
            .map(|idx| {
                let (y, j, c) = (idx % ns1, (idx / ns1) % nk2, idx / (ns1 * nk2));
                (0..nk1)
                    .map(|i| self.w[j + nk2 * (i + nk1 * c)] * self.a1[y + ns1 * i])
                    .sum()
            })
            .collect();
        // H(x', j) = sum_{y', c} X(x', y', c) M(y', j, c), index x' + pS_2 j.
        let h: Vec<Fr> = (0..nk2)
            .into_par_iter()
            .flat_map_iter(|j| {
                let mut row = vec![Fr::zero(); ns2];
                for c in 0..nc {
                    for y in 0..ns1 {
                        let mv = m[y + ns1 * (j + nk2 * c)];
                        if mv.is_zero() {
                            continue;
                        }
                        let xs = &self.x[ns2 * (y + ns1 * c)..ns2 * (y + ns1 * c + 1)];
                        row.iter_mut().zip(xs).for_each(|(o, v)| *o += mv * v);
                    }
                }
                row
            })
            .collect();
        self.cur = PairProduct::new(std::mem::take(&mut self.a2), h).expect("pow2 tables");
        self.phase = 1;
        self.left = self.d.s2;
    }

    fn start_phase2(&mut self) {
        let (_, ns1, _, nk1, nc) = self.sizes();
        self.a2 = self.cur.tables().0.to_vec();
        self.x = bind_low(&self.x, &eq_table(&self.chal));
        self.chal.clear();
        // N(i, c) = sum_j W(j, i, c) A_2(s_x', j), index i + pK_1 c.
        let n: Vec<Fr> = bind_low(&self.w, &self.a2);
        // H_2(y', i) = sum_c X(s_x', y', c) N(i, c), index y' + pS_1 i.
        let h2: Vec<Fr> = (0..ns1 * nk1)
            .into_par_iter()
            .map(|idx| {
                let (y, i) = (idx % ns1, idx / ns1);
                (0..nc).map(|c| self.x[y + ns1 * c] * n[i + nk1 * c]).sum()
            })
            .collect();
        self.cur = PairProduct::new(std::mem::take(&mut self.a1), h2).expect("pow2 tables");
        self.phase = 2;
        self.left = self.d.s1;
    }

    fn start_phase3(&mut self) {
        let (_, _, nk2, nk1, nc) = self.sizes();
        let a1 = self.cur.tables().0.to_vec();
        let xc = bind_low(&self.x, &eq_table(&self.chal));
        self.chal.clear();
        let g: Vec<Fr> = (0..nk2 * nk1 * nc)
            .into_par_iter()
            .map(|idx| {
                let (j, i, c) = (idx % nk2, (idx / nk2) % nk1, idx / (nk2 * nk1));
                self.a2[j] * a1[i] * xc[c]
            })
            .collect();
        self.cur = PairProduct::new(std::mem::take(&mut self.w), g).expect("pow2 tables");
        self.phase = 3;
        self.left = self.d.k2 + self.d.k1 + self.d.c;
    }

    /// Move past phases that have no variables left.
    fn skip_empty(&mut self) {
        while self.left == 0 && self.phase < 3 {
            if self.phase == 1 {
                self.start_phase2();
            } else {
                self.start_phase3();
            }
        }
    }

    fn sizes(&self) -> (usize, usize, usize, usize, usize) {
        let d = self.d;
        (1 << d.s2, 1 << d.s1, 1 << d.k2, 1 << d.k1, 1 << d.c)
    }

    /// `W(s_j, s_i, s_c)` (at `r_o`) once every variable is bound.
    pub fn final_weight(&self) -> Fr {
        self.cur.final_evals()[0]
    }
}

impl SumcheckProver for ConvProver {
    fn num_vars(&self) -> usize {
        self.d.num_vars()
    }

    fn degree(&self) -> usize {
        2
    }

    fn round_evals(&self) -> Vec<Fr> {
        self.cur.round_evals()
    }

    fn bind(&mut self, c: Fr) {
        self.cur.bind(c);
        self.chal.push(c);
        self.left -= 1;
        self.skip_empty();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mle::evaluate;
    use crate::sumcheck::product::Term;
    use crate::sumcheck::ProductSum;
    use crate::testing::rand_frs;

    /// The summand's four factors broadcast over all variables: the naive oracle.
    fn naive(d: ConvDims, w: &[Fr], x: &[Fr], a1: &[Fr], a2: &[Fr]) -> ProductSum {
        let n = d.num_vars();
        let (ns2, ns1, nk2, nk1) = (1 << d.s2, 1 << d.s1, 1 << d.k2, 1 << d.k1);
        let mut t: Vec<Vec<Fr>> = (0..4).map(|_| Vec::with_capacity(1 << n)).collect();
        for idx in 0..1usize << n {
            let xp = idx % ns2;
            let y = (idx / ns2) % ns1;
            let j = (idx / (ns2 * ns1)) % nk2;
            let i = (idx / (ns2 * ns1 * nk2)) % nk1;
            let c = idx / (ns2 * ns1 * nk2 * nk1);
            t[0].push(w[j + nk2 * (i + nk1 * c)]);
            t[1].push(x[xp + ns2 * (y + ns1 * c)]);
            t[2].push(a1[y + ns1 * i]);
            t[3].push(a2[xp + ns2 * j]);
        }
        let term = Term {
            coeff: Fr::from(1u64),
            factors: vec![0, 1, 2, 3],
        };
        ProductSum::new(t, vec![term]).unwrap()
    }

    #[test]
    fn matches_the_naive_product_round_by_round() {
        for (k, dims) in [
            [2usize, 2, 1, 1, 1],
            [3, 2, 2, 2, 2],
            [0, 0, 0, 0, 0],
            [2, 0, 1, 0, 2],
            [0, 3, 0, 2, 1],
            [1, 1, 0, 0, 0],
        ]
        .into_iter()
        .enumerate()
        {
            let d = ConvDims::from_array(dims);
            let s = 10 * k as u64;
            let w = rand_frs(1 << (d.k2 + d.k1 + d.c), s + 1);
            let x = rand_frs(1 << (d.s2 + d.s1 + d.c), s + 2);
            let a1 = rand_frs(1 << (d.s1 + d.k1), s + 3);
            let a2 = rand_frs(1 << (d.s2 + d.k2), s + 4);
            let mut oracle = naive(d, &w, &x, &a1, &a2);
            let mut fast = ConvProver::new(d, w.clone(), x, a1, a2);
            let chal = rand_frs(d.num_vars(), s + 5);
            for c in &chal {
                let (a, b) = (fast.round_evals(), oracle.round_evals());
                // t = 0 and t = 2 agree (the oracle also sends t = 3, 4).
                assert_eq!(a[..], b[..2], "dims {dims:?}");
                fast.bind(*c);
                oracle.bind(*c);
            }
            let (wj, rest) = chal[d.s2 + d.s1..].split_at(d.k2);
            let wpoint: Vec<Fr> = wj.iter().chain(rest).copied().collect();
            assert_eq!(fast.final_weight(), evaluate(&w, &wpoint));
        }
    }
}
