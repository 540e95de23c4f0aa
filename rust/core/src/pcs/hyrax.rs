//! Hyrax (Wahby et al. 2018, section 6): Pedersen commitments to the rows of the
//! table's matrix, openings by one vector-matrix product (circuits/hyrax.md).
//!
//! The prover's opening costs O(N) field operations and no group operations; the
//! verifier pays one MSM over rows + columns, merged across all stacks of a proof.

use std::sync::Arc;

use ark_bn254::{G1Affine, G1Projective};
use ark_ec::CurveGroup;
use ark_ff::Zero;
use rayon::prelude::*;

use super::generators::{generators, seed_digest, DEFAULT_SEED};
use super::msm::{magnitude_bits, msm_field, msm_small};
use super::{OpeningClaim, Pcs, Shape};
use crate::encoding::{Reader, Writer};
use crate::error::{reject_at, Error, Result};
use crate::field::{inner_product, powers, to_small, Fr};
use crate::mle::{eq_table, PAR_THRESHOLD};
use crate::transcript::Transcript;

/// Row commitments `C_i = sum_j M[i][j] G_j`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commitment {
    pub rows: Vec<G1Affine>,
}

/// `w = E_{z_hi}^T M`: the verifier checks it against the row commitments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opening {
    pub w: Vec<Fr>,
}

pub struct Hyrax {
    pub seed_digest: [u8; 32],
}

impl Default for Hyrax {
    fn default() -> Self {
        Self::with_seed(DEFAULT_SEED)
    }
}

impl Hyrax {
    pub fn with_seed(seed: &[u8]) -> Self {
        Self {
            seed_digest: seed_digest(seed),
        }
    }

    pub fn generators(&self, n: usize) -> Arc<Vec<G1Affine>> {
        generators(&self.seed_digest, n)
    }

    /// Commit small signed integers (quantized tensors): the fast path.
    pub fn commit_small(&self, shape: Shape, values: &[i64]) -> Result<Commitment> {
        check_len(shape, values.len())?;
        let g = self.generators(shape.cols());
        let bits = magnitude_bits(values);
        let rows: Vec<G1Projective> = values
            .par_chunks(shape.cols())
            .map(|row| msm_small(&g, row, bits))
            .collect();
        Ok(Commitment {
            rows: G1Projective::normalize_batch(&rows),
        })
    }

    fn commit_field(&self, shape: Shape, table: &[Fr]) -> Commitment {
        let g = self.generators(shape.cols());
        // arkworks parallelises inside each MSM; nesting a parallel loop over rows
        // around it deepens rayon's work-stealing stacks until they overflow.
        let rows: Vec<G1Projective> = table
            .chunks(shape.cols())
            .map(|row| msm_field(&g, row))
            .collect();
        Commitment {
            rows: G1Projective::normalize_batch(&rows),
        }
    }
}

fn check_len(shape: Shape, len: usize) -> Result<()> {
    if len != shape.entries() {
        return Err(Error::InvalidArgument(format!(
            "table has {len} entries, shape needs {}",
            shape.entries()
        )));
    }
    Ok(())
}

/// Split a point into its column part (low variables) and row part.
pub fn split_point(shape: Shape, point: &[Fr]) -> (&[Fr], &[Fr]) {
    point.split_at(shape.log_cols)
}

impl Pcs for Hyrax {
    type Commitment = Commitment;
    type Opening = Opening;

    /// Uses the small-scalar path when every entry is a small signed integer.
    fn commit(&self, shape: Shape, table: &[Fr]) -> Result<Commitment> {
        check_len(shape, table.len())?;
        let small: Option<Vec<i64>> = table.par_iter().map(to_small).collect();
        match small {
            Some(v) => self.commit_small(shape, &v),
            None => Ok(self.commit_field(shape, table)),
        }
    }

    fn open(&self, shape: Shape, table: &[Fr], point: &[Fr]) -> Opening {
        let (_, hi) = split_point(shape, point);
        let l = eq_table(hi);
        let cols = shape.cols();
        let add_row = |mut acc: Vec<Fr>, (row, li): (&[Fr], &Fr)| {
            acc.iter_mut().zip(row).for_each(|(a, m)| *a += *li * m);
            acc
        };
        let w = if table.len() >= PAR_THRESHOLD {
            table
                .par_chunks(cols)
                .zip(l.par_iter())
                .fold(|| vec![Fr::zero(); cols], add_row)
                .reduce(
                    || vec![Fr::zero(); cols],
                    |mut a, b| {
                        a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                        a
                    },
                )
        } else {
            table
                .chunks(cols)
                .zip(l.iter())
                .fold(vec![Fr::zero(); cols], add_row)
        };
        Opening { w }
    }

    fn write_commitment(c: &Commitment, w: &mut Writer) {
        w.points(&c.rows);
    }

    fn read_commitment(shape: Shape, r: &mut Reader) -> Result<Commitment> {
        Ok(Commitment {
            rows: r.points(shape.rows(), "commitment rows")?,
        })
    }

    fn absorb_commitment(t: &mut Transcript, label: &str, c: &Commitment) {
        t.absorb_points(label, &c.rows);
    }

    fn write_opening(o: &Opening, w: &mut Writer) {
        w.frs(&o.w);
    }

    fn read_opening(shape: Shape, r: &mut Reader) -> Result<Opening> {
        Ok(Opening {
            w: r.frs(shape.cols(), "hyrax opening vector")?,
        })
    }

    fn prover_absorb_openings(t: &mut Transcript, openings: &[Opening]) {
        openings.iter().for_each(|o| t.absorb_frs("hyrax-w", &o.w));
        t.squeeze("merge-rho");
    }

    fn verify_openings(&self, t: &mut Transcript, claims: &[OpeningClaim<'_, Self>]) -> Result<()> {
        for (s, c) in claims.iter().enumerate() {
            if c.opening.w.len() != c.shape.cols()
                || c.commitment.rows.len() != c.shape.rows()
                || c.point.len() != c.shape.num_vars
            {
                return reject_at(
                    "batch-open.shape",
                    format!("stack {s}: opening shape mismatch"),
                );
            }
            t.absorb_frs("hyrax-w", &c.opening.w);
            let (lo, _) = split_point(c.shape, c.point);
            if inner_product(&c.opening.w, &eq_table(lo)) != c.value {
                return reject_at(
                    "hyrax.eval",
                    format!("stack {s}: opened value does not match the claim"),
                );
            }
        }
        let rho = t.squeeze("merge-rho");
        let weights = powers(rho, claims.len());
        let cols = claims.iter().map(|c| c.shape.cols()).max().unwrap_or(0);
        let mut bases = Vec::new();
        let mut scalars = Vec::new();
        let mut col_scalars = vec![Fr::zero(); cols];
        for (c, rho_s) in claims.iter().zip(&weights) {
            let (_, hi) = split_point(c.shape, c.point);
            let l = eq_table(hi);
            bases.extend_from_slice(&c.commitment.rows);
            scalars.extend(l.iter().map(|x| *x * rho_s));
            col_scalars
                .iter_mut()
                .zip(&c.opening.w)
                .for_each(|(a, w)| *a += *w * rho_s);
        }
        let g = self.generators(cols);
        bases.extend_from_slice(&g[..cols]);
        scalars.extend(col_scalars.iter().map(|x| -*x));
        if !msm_field(&bases, &scalars).is_zero() {
            return reject_at(
                "hyrax.opening",
                "merged Hyrax check failed: openings do not match the commitments",
            );
        }
        Ok(())
    }
}
