//! Polynomial commitments behind one trait, and the claim-batching protocol that
//! turns many claims per committed stack into one opening (circuits/hyrax.md).
//!
//! Hyrax is the backend today; a KZG-style backend can implement [`Pcs`] later
//! without touching the layer protocols, which only speak to [`batch`].

pub mod batch;
pub mod generators;
pub mod hyrax;
pub mod msm;

use crate::encoding::{Reader, Writer, MAX_NUM_VARS};
use crate::error::{Error, Result};
use crate::field::Fr;
use crate::transcript::Transcript;

/// How a polynomial with `num_vars` variables is laid out as a matrix:
/// `2^log_cols` columns (the low index bits), `2^(num_vars - log_cols)` rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub num_vars: usize,
    pub log_cols: usize,
}

impl Shape {
    /// Default: `ceil(n / 2)` column bits.
    pub fn square(num_vars: usize) -> Self {
        Self {
            num_vars,
            log_cols: num_vars.div_ceil(2),
        }
    }

    pub fn new(num_vars: usize, log_cols: usize) -> Result<Self> {
        if num_vars > MAX_NUM_VARS as usize || log_cols > num_vars {
            return Err(Error::InvalidArgument(format!(
                "shape ({num_vars} vars, {log_cols} column bits) out of limits"
            )));
        }
        Ok(Self { num_vars, log_cols })
    }

    pub fn rows(&self) -> usize {
        1 << (self.num_vars - self.log_cols)
    }

    pub fn cols(&self) -> usize {
        1 << self.log_cols
    }

    /// Number of table entries, `2^num_vars`.
    pub fn entries(&self) -> usize {
        1 << self.num_vars
    }

    pub fn write(&self, w: &mut Writer) {
        w.u32(self.num_vars as u32);
        w.u32(self.log_cols as u32);
    }

    pub fn read(r: &mut Reader) -> Result<Self> {
        let n = r.u32("num_vars")?;
        let c = r.u32("log_cols")?;
        Self::new(n as usize, c as usize).map_err(|e| Error::Format {
            check: "proof.limits",
            detail: e.to_string(),
        })
    }

    pub fn absorb(&self, t: &mut Transcript) {
        t.absorb_u32("num-vars", self.num_vars as u32);
        t.absorb_u32("log-cols", self.log_cols as u32);
    }
}

/// One opening to check: the commitment, the point, the claimed value, the proof.
pub struct OpeningClaim<'a, P: Pcs> {
    pub shape: Shape,
    pub commitment: &'a P::Commitment,
    pub point: &'a [Fr],
    pub value: Fr,
    pub opening: &'a P::Opening,
}

pub trait Pcs {
    type Commitment: Clone;
    type Opening: Clone;

    fn commit(&self, shape: Shape, table: &[Fr]) -> Result<Self::Commitment>;
    fn open(&self, shape: Shape, table: &[Fr], point: &[Fr]) -> Self::Opening;

    fn write_commitment(c: &Self::Commitment, w: &mut Writer);
    fn read_commitment(shape: Shape, r: &mut Reader) -> Result<Self::Commitment>;
    fn absorb_commitment(t: &mut Transcript, label: &str, c: &Self::Commitment);
    fn write_opening(o: &Self::Opening, w: &mut Writer);
    fn read_opening(shape: Shape, r: &mut Reader) -> Result<Self::Opening>;

    /// Absorb each opening, then check all of them together (Hyrax merges their
    /// MSMs under one transcript challenge).
    fn prover_absorb_openings(t: &mut Transcript, openings: &[Self::Opening]);
    fn verify_openings(&self, t: &mut Transcript, claims: &[OpeningClaim<'_, Self>]) -> Result<()>
    where
        Self: Sized;
}
