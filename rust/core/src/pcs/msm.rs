//! Multi-scalar multiplication for commitments.
//!
//! Committed values are mostly small integers (quantized weights and activations,
//! remainders, limbs). A bucket MSM over their signed magnitudes costs about one
//! mixed addition per value per 8-bit window, against ~254/c windows for a
//! full-size scalar, which is what makes committing 2^20 values cheap.

use ark_bn254::{G1Affine, G1Projective};
use ark_ec::{AdditiveGroup, VariableBaseMSM};
use ark_ff::Zero;

use crate::field::Fr;

/// Bits needed for the magnitude of the largest `|v|`.
pub fn magnitude_bits(scalars: &[i64]) -> u32 {
    let max = scalars.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0);
    64 - max.leading_zeros()
}

/// `sum_j scalars[j] * bases[j]` for small signed scalars (`|v| < 2^bits`).
pub fn msm_small(bases: &[G1Affine], scalars: &[i64], bits: u32) -> G1Projective {
    debug_assert!(bases.len() >= scalars.len());
    if bits == 0 {
        return G1Projective::zero();
    }
    let c = bits.min(8);
    let windows = bits.div_ceil(c);
    let mask = (1u64 << c) - 1;
    let mut buckets = vec![G1Projective::zero(); mask as usize];
    let mut acc = G1Projective::zero();
    for w in (0..windows).rev() {
        for _ in 0..c {
            acc.double_in_place();
        }
        buckets.iter_mut().for_each(|b| *b = G1Projective::zero());
        let shift = w * c;
        for (base, s) in bases.iter().zip(scalars) {
            let digit = (s.unsigned_abs() >> shift) & mask;
            if digit != 0 {
                let b = &mut buckets[digit as usize - 1];
                if *s > 0 {
                    *b += base;
                } else {
                    *b -= base;
                }
            }
        }
        // sum_k (k+1) * bucket[k] by running sums from the top.
        let mut running = G1Projective::zero();
        let mut window_sum = G1Projective::zero();
        for b in buckets.iter().rev() {
            running += b;
            window_sum += running;
        }
        acc += window_sum;
    }
    acc
}

/// Full-size scalars: arkworks' Pippenger.
pub fn msm_field(bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
    G1Projective::msm(&bases[..scalars.len()], scalars).expect("lengths match")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::from_i64;
    use crate::pcs::generators::{generators, seed_digest, DEFAULT_SEED};
    use crate::testing::rand_small;

    #[test]
    fn small_msm_matches_field_msm() {
        let g = generators(&seed_digest(DEFAULT_SEED), 300);
        for (bits, n) in [
            (1u32, 5usize),
            (4, 300),
            (8, 300),
            (13, 77),
            (16, 300),
            (40, 9),
        ] {
            let s = rand_small(n, bits, bits as u64);
            let want = msm_field(&g, &s.iter().map(|v| from_i64(*v)).collect::<Vec<_>>());
            assert_eq!(msm_small(&g, &s, magnitude_bits(&s)), want, "bits {bits}");
        }
        assert!(msm_small(&g, &[0, 0], 0).is_zero());
        assert_eq!(magnitude_bits(&[i64::MIN + 1]), 63);
    }
}
