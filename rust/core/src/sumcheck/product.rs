//! The general instance: `g(x) = sum_t coeff_t * prod_{m in term_t} f_m(x)`,
//! each term a product of at most [`MAX_DEGREE`] tables.

use ark_ff::Zero;
use rayon::prelude::*;

use super::{SumcheckProver, MAX_DEGREE};
use crate::error::{Error, Result};
use crate::field::Fr;
use crate::mle::{fold, num_vars, PAR_THRESHOLD};

#[derive(Clone, Debug)]
pub struct Term {
    pub coeff: Fr,
    pub factors: Vec<usize>,
}

pub struct ProductSum {
    tables: Vec<Vec<Fr>>,
    terms: Vec<Term>,
    num_vars: usize,
    degree: usize,
}

impl ProductSum {
    pub fn new(tables: Vec<Vec<Fr>>, terms: Vec<Term>) -> Result<Self> {
        let bad = |m: &str| Err(Error::InvalidArgument(m.into()));
        let Some(first) = tables.first() else {
            return bad("no tables");
        };
        let Some(n) = num_vars(first.len()) else {
            return bad("table length must be a power of two");
        };
        if tables.iter().any(|t| t.len() != first.len()) {
            return bad("tables differ in length");
        }
        let degree = terms.iter().map(|t| t.factors.len()).max().unwrap_or(0);
        if !(1..=MAX_DEGREE).contains(&degree) || terms.iter().any(|t| t.factors.is_empty()) {
            return bad("every term needs 1..=4 factors");
        }
        if terms
            .iter()
            .flat_map(|t| &t.factors)
            .any(|&f| f >= tables.len())
        {
            return bad("term refers to a missing table");
        }
        Ok(Self {
            tables,
            terms,
            num_vars: n,
            degree,
        })
    }

    /// Plain product of two tables, `sum_x f(x) g(x)`.
    pub fn product(f: Vec<Fr>, g: Vec<Fr>) -> Result<Self> {
        Self::new(
            vec![f, g],
            vec![Term {
                coeff: Fr::from(1u64),
                factors: vec![0, 1],
            }],
        )
    }

    /// `sum_x g(x)` over the (remaining) hypercube.
    pub fn claim(&self) -> Fr {
        let at = |i: usize| -> Fr {
            self.terms
                .iter()
                .map(|t| t.coeff * t.factors.iter().map(|&f| self.tables[f][i]).product::<Fr>())
                .sum()
        };
        (0..self.tables[0].len()).into_par_iter().map(at).sum()
    }

    /// Each table's value once every variable is bound.
    pub fn final_evals(&self) -> Vec<Fr> {
        self.tables.iter().map(|t| t[0]).collect()
    }
}

impl SumcheckProver for ProductSum {
    fn num_vars(&self) -> usize {
        self.num_vars
    }

    fn degree(&self) -> usize {
        self.degree
    }

    fn round_evals(&self) -> Vec<Fr> {
        let d = self.degree;
        let m = self.tables.len();
        let half = self.tables[0].len() / 2;
        // Per pair i: each table's line through (f[2i], f[2i+1]) at t = 0, 2..=d,
        // then each term's product; accumulate per term, apply coefficients once.
        let points = d; // t = 0, 2, ..., d
        let nterms = self.terms.len();
        let accumulate = |(mut acc, mut buf): (Vec<Fr>, Vec<Fr>), i: usize| {
            for (k, tab) in self.tables.iter().enumerate() {
                let a0 = tab[2 * i];
                let diff = tab[2 * i + 1] - a0;
                let row = &mut buf[k * points..(k + 1) * points];
                row[0] = a0;
                let mut v = tab[2 * i + 1];
                for slot in row.iter_mut().skip(1) {
                    v += diff;
                    *slot = v;
                }
            }
            for (ti, term) in self.terms.iter().enumerate() {
                for s in 0..points {
                    let mut prod = buf[term.factors[0] * points + s];
                    for &f in &term.factors[1..] {
                        prod *= buf[f * points + s];
                    }
                    acc[ti * points + s] += prod;
                }
            }
            (acc, buf)
        };
        let init = || {
            (
                vec![Fr::zero(); nterms * points],
                vec![Fr::zero(); m * points],
            )
        };
        let acc = if half >= PAR_THRESHOLD {
            (0..half)
                .into_par_iter()
                .with_min_len(1 << 10)
                .fold(init, accumulate)
                .map(|(acc, _)| acc)
                .reduce(
                    || vec![Fr::zero(); nterms * points],
                    |mut a, b| {
                        a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                        a
                    },
                )
        } else {
            (0..half).fold(init(), accumulate).0
        };
        (0..points)
            .map(|s| {
                self.terms
                    .iter()
                    .enumerate()
                    .map(|(ti, t)| t.coeff * acc[ti * points + s])
                    .sum()
            })
            .collect()
    }

    fn bind(&mut self, c: Fr) {
        if self.tables[0].len() >= PAR_THRESHOLD {
            self.tables.par_iter_mut().for_each(|t| *t = fold(t, c));
        } else {
            self.tables.iter_mut().for_each(|t| *t = fold(t, c));
        }
    }
}
