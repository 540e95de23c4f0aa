//! Fixed-base scalar multiplication for `G_e` and `H`: a hiding proof multiplies these
//! two points by a fresh scalar for every committed value, round value, blinded row
//! and sigma first message (zk.md 5), so a variable-base ladder per product was most
//! of the hiding prover's extra time. A table of `d 2^(8k) P` for every byte position
//! `k < 32` and digit `d < 256` turns `v P` into 32 mixed additions (the scalar's
//! little-endian bytes select one entry per position). The result is the same group
//! element, so proofs are byte-identical (the tests compare with the plain product).
//!
//! Tables cost `32 * 256` points (512 KiB) per base and a few milliseconds to build;
//! they are built once per process for each base and shared.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use ark_bn254::{G1Affine, G1Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{BigInteger, PrimeField, Zero};

use crate::field::Fr;

/// Byte positions of a scalar (the field has 254 bits, so 32 bytes).
const POSITIONS: usize = 32;
/// Digits per position (one byte).
const DIGITS: usize = 256;

/// `rows[k][d] = d 2^(8k) P` for one base `P`.
pub struct FixedBase {
    rows: Vec<Vec<G1Affine>>,
}

impl FixedBase {
    fn build(base: G1Affine) -> Self {
        let mut rows = Vec::with_capacity(POSITIONS);
        let mut step = base.into_group();
        for _ in 0..POSITIONS {
            let mut row = Vec::with_capacity(DIGITS);
            let mut acc = G1Projective::zero();
            for _ in 0..DIGITS {
                row.push(acc);
                acc += step;
            }
            rows.push(G1Projective::normalize_batch(&row));
            step = acc; // 256 * step: the next byte position's unit
        }
        Self { rows }
    }

    /// The shared table of `base` (built on first use in this process).
    pub fn of(base: G1Affine) -> Arc<FixedBase> {
        static CACHE: OnceLock<Mutex<HashMap<[u8; 64], Arc<FixedBase>>>> = OnceLock::new();
        let key = crate::encoding::g1_to_bytes(&base);
        let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
        // a poisoned lock only means another thread panicked while inserting: the map
        // itself is still a map of complete tables
        let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(key)
            .or_insert_with(|| Arc::new(FixedBase::build(base)))
            .clone()
    }

    /// `v P` as a projective point.
    pub fn mul(&self, v: Fr) -> G1Projective {
        let bytes = v.into_bigint().to_bytes_le();
        let mut acc = G1Projective::zero();
        for (row, &d) in self.rows.iter().zip(&bytes) {
            if d != 0 {
                acc += row[d as usize];
            }
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcs::generators::{derive, seed_digest, DEFAULT_SEED};
    use ark_ff::UniformRand;

    #[test]
    fn fixed_base_equals_the_plain_product() {
        let base = derive(&seed_digest(DEFAULT_SEED), u32::MAX);
        let table = FixedBase::of(base);
        let mut rng = ark_std::test_rng();
        let mut scalars: Vec<Fr> = (0..64).map(|_| Fr::rand(&mut rng)).collect();
        scalars.extend([
            Fr::zero(),
            Fr::from(1u64),
            Fr::from(255u64),
            Fr::from(256u64),
            -Fr::from(1u64),
        ]);
        for v in scalars {
            assert_eq!(table.mul(v).into_affine(), (base * v).into_affine());
        }
    }
}
