//! The hot instance `sum_x f(x) g(x)` (degree 2), specialised: round 0 reads the
//! caller's tables without copying, and each bind computes the next round's values
//! in the same pass over memory. `ProductSum` is the general form and its oracle
//! in the tests below.

use std::borrow::Cow;

use ark_ff::Zero;
use rayon::prelude::*;

use super::SumcheckProver;
use crate::error::{Error, Result};
use crate::field::Fr;
use crate::mle::{num_vars, PAR_THRESHOLD};

pub struct PairProduct<'a> {
    f: Cow<'a, [Fr]>,
    g: Cow<'a, [Fr]>,
    num_vars: usize,
    /// Values at t = 0 and t = 2 of the current round, computed during the last bind.
    next: Option<[Fr; 2]>,
}

/// Values at t = 0 and t = 2 of one pair's contribution.
#[inline(always)]
fn pair_evals(f0: Fr, f1: Fr, g0: Fr, g1: Fr) -> [Fr; 2] {
    let f2 = f1 + f1 - f0;
    let g2 = g1 + g1 - g0;
    [f0 * g0, f2 * g2]
}

#[inline(always)]
fn add2(a: [Fr; 2], b: [Fr; 2]) -> [Fr; 2] {
    [a[0] + b[0], a[1] + b[1]]
}

impl<'a> PairProduct<'a> {
    pub fn new(f: impl Into<Cow<'a, [Fr]>>, g: impl Into<Cow<'a, [Fr]>>) -> Result<Self> {
        let (f, g) = (f.into(), g.into());
        let n = num_vars(f.len())
            .filter(|_| f.len() == g.len())
            .ok_or_else(|| {
                Error::InvalidArgument("tables must have equal power-of-two length".into())
            })?;
        Ok(Self {
            f,
            g,
            num_vars: n,
            next: None,
        })
    }

    pub fn claim(&self) -> Fr {
        crate::field::inner_product(&self.f, &self.g)
    }

    /// The current (partly bound) tables `f` and `g`.
    pub fn tables(&self) -> (&[Fr], &[Fr]) {
        (&self.f, &self.g)
    }

    /// `[f(r), g(r)]` once every variable is bound.
    pub fn final_evals(&self) -> [Fr; 2] {
        [self.f[0], self.g[0]]
    }
}

impl SumcheckProver for PairProduct<'_> {
    fn num_vars(&self) -> usize {
        self.num_vars
    }

    fn degree(&self) -> usize {
        2
    }

    fn round_evals(&self) -> Vec<Fr> {
        if let Some(e) = self.next {
            return e.to_vec();
        }
        let body = |(f, g): (&[Fr], &[Fr])| pair_evals(f[0], f[1], g[0], g[1]);
        let e = if self.f.len() >= PAR_THRESHOLD {
            self.f
                .par_chunks(2)
                .zip(self.g.par_chunks(2))
                .map(body)
                .reduce(|| [Fr::zero(); 2], add2)
        } else {
            self.f
                .chunks(2)
                .zip(self.g.chunks(2))
                .map(body)
                .fold([Fr::zero(); 2], add2)
        };
        e.to_vec()
    }

    fn bind(&mut self, c: Fr) {
        let half = self.f.len() / 2;
        let mut nf = vec![Fr::zero(); half];
        let mut ng = vec![Fr::zero(); half];
        // Each output pair comes from four inputs; fold them and, while they are in
        // registers, add their contribution to the next round.
        type Chunk<'x> = ((&'x mut [Fr], &'x mut [Fr]), (&'x [Fr], &'x [Fr]));
        let fold_chunk = |((of, og), (f, g)): Chunk<'_>| -> [Fr; 2] {
            let mut acc = [Fr::zero(); 2];
            for i in 0..of.len() / 2 {
                let b = 4 * i;
                let fa = f[b] + c * (f[b + 1] - f[b]);
                let fb = f[b + 2] + c * (f[b + 3] - f[b + 2]);
                let ga = g[b] + c * (g[b + 1] - g[b]);
                let gb = g[b + 2] + c * (g[b + 3] - g[b + 2]);
                of[2 * i] = fa;
                of[2 * i + 1] = fb;
                og[2 * i] = ga;
                og[2 * i + 1] = gb;
                acc = add2(acc, pair_evals(fa, fb, ga, gb));
            }
            acc
        };
        if half == 1 {
            nf[0] = self.f[0] + c * (self.f[1] - self.f[0]);
            ng[0] = self.g[0] + c * (self.g[1] - self.g[0]);
            self.next = None;
        } else {
            const CHUNK: usize = 1 << 11;
            let e = if half >= PAR_THRESHOLD {
                nf.par_chunks_mut(CHUNK)
                    .zip(ng.par_chunks_mut(CHUNK))
                    .zip(
                        self.f
                            .par_chunks(2 * CHUNK)
                            .zip(self.g.par_chunks(2 * CHUNK)),
                    )
                    .map(fold_chunk)
                    .reduce(|| [Fr::zero(); 2], add2)
            } else {
                fold_chunk(((&mut nf, &mut ng), (&self.f, &self.g)))
            };
            self.next = Some(e);
        }
        self.f = Cow::Owned(nf);
        self.g = Cow::Owned(ng);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sumcheck::{prove, ProductSum};
    use crate::testing::rand_frs;
    use crate::transcript::Transcript;

    #[test]
    fn matches_the_general_prover_byte_for_byte() {
        for n in [1usize, 2, 3, 12, 14] {
            let f = rand_frs(1 << n, 1);
            let g = rand_frs(1 << n, 2);
            let mut fast = PairProduct::new(&f[..], &g[..]).unwrap();
            let mut slow = ProductSum::product(f.clone(), g.clone()).unwrap();
            assert_eq!(fast.claim(), slow.claim());
            let claim = slow.claim();
            let a = prove(&mut Transcript::new(b"p"), &mut fast, claim);
            let b = prove(&mut Transcript::new(b"p"), &mut slow, claim);
            assert_eq!(a, b, "n = {n}");
            assert_eq!(fast.final_evals().to_vec(), slow.final_evals());
        }
    }
}
