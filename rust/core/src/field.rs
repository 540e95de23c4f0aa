//! BN254 scalar field helpers and the canonical 32-byte big-endian encoding.

use ark_ff::{BigInteger, Field, PrimeField, Zero};
use rayon::prelude::*;

pub use ark_bn254::Fr;

use crate::error::{format_at, Result};

/// Signed integer to field element (`-1` maps to `r - 1`).
#[inline]
pub fn from_i64(v: i64) -> Fr {
    if v >= 0 {
        Fr::from(v as u64)
    } else {
        -Fr::from(v.unsigned_abs())
    }
}

/// The signed integer a field element represents, if it lies in `(-2^63, 2^63)`.
pub fn to_small(x: &Fr) -> Option<i64> {
    let b = x.into_bigint();
    let limbs = b.as_ref();
    if limbs[1..].iter().all(|&l| l == 0) && limbs[0] < (1u64 << 63) {
        return Some(limbs[0] as i64);
    }
    let n = (-*x).into_bigint();
    let nl = n.as_ref();
    if nl[1..].iter().all(|&l| l == 0) && nl[0] < (1u64 << 63) {
        return Some(-(nl[0] as i64));
    }
    None
}

/// 32-byte big-endian canonical encoding.
pub fn fr_to_bytes(x: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&x.into_bigint().to_bytes_be());
    out
}

/// Strict decoding: exactly 32 bytes, value < r.
pub fn fr_from_bytes(b: &[u8]) -> Result<Fr> {
    if b.len() != 32 {
        return format_at("encoding.field-element", "field element must be 32 bytes");
    }
    let x = Fr::from_be_bytes_mod_order(b);
    if fr_to_bytes(&x) != b {
        return format_at(
            "encoding.field-element",
            "non-canonical field element (>= r)",
        );
    }
    Ok(x)
}

/// Reduce a big-endian byte string of any length mod r.
pub fn fr_from_be_mod_order(b: &[u8]) -> Fr {
    Fr::from_be_bytes_mod_order(b)
}

/// `2^k` in Fr (any `k`: shifts of the circuit reach 64 bits).
pub fn pow2(k: u32) -> Fr {
    use ark_ff::Field;
    Fr::from(2u64).pow([k as u64])
}

/// `[1, a, a^2, ..., a^(n-1)]`.
pub fn powers(a: Fr, n: usize) -> Vec<Fr> {
    let mut out = Vec::with_capacity(n);
    let mut cur = Fr::from(1u64);
    for _ in 0..n {
        out.push(cur);
        cur *= a;
    }
    out
}

/// `sum_i a_i * b_i`, parallel for long inputs.
pub fn inner_product(a: &[Fr], b: &[Fr]) -> Fr {
    debug_assert_eq!(a.len(), b.len());
    if a.len() < 1 << 12 {
        return a.iter().zip(b).map(|(x, y)| *x * y).sum();
    }
    a.par_iter().zip(b.par_iter()).map(|(x, y)| *x * y).sum()
}

/// Value at `c` of the polynomial of degree `d = evals.len() - 1` through
/// `(0, evals[0]), ..., (d, evals[d])` (circuits/conventions.md).
pub fn interpolate_at(evals: &[Fr], c: Fr) -> Fr {
    let d = evals.len();
    let nodes: Vec<Fr> = (0..d as u64).map(Fr::from).collect();
    // If c is a node the formula below divides by zero; return the value itself.
    if let Some(j) = nodes.iter().position(|x| *x == c) {
        return evals[j];
    }
    let mut total = Fr::zero();
    for j in 0..d {
        let mut num = Fr::from(1u64);
        let mut den = Fr::from(1u64);
        for m in 0..d {
            if m != j {
                num *= c - nodes[m];
                den *= nodes[j] - nodes[m];
            }
        }
        total += evals[j] * num * den.inverse().expect("distinct nodes");
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_round_trip() {
        for v in [0i64, 1, -1, 127, -128, i64::MAX, i64::MIN + 1] {
            assert_eq!(to_small(&from_i64(v)), Some(v));
        }
        assert_eq!(to_small(&Fr::from(1u128 << 64)), None);
    }

    #[test]
    fn encoding_is_strict() {
        let x = from_i64(-5);
        assert_eq!(fr_from_bytes(&fr_to_bytes(&x)).unwrap(), x);
        // r itself is not canonical.
        let r = Fr::MODULUS.to_bytes_be();
        let check = |b: &[u8]| fr_from_bytes(b).err().and_then(|e| e.check());
        assert_eq!(check(&r), Some("encoding.field-element"));
        assert_eq!(check(&[0u8; 31]), Some("encoding.field-element"));
    }

    #[test]
    fn interpolation_matches_polynomial() {
        // p(t) = 3 t^3 - t + 7
        let p = |t: Fr| Fr::from(3u64) * t * t * t - t + Fr::from(7u64);
        let evals: Vec<Fr> = (0..4u64).map(|t| p(Fr::from(t))).collect();
        for c in [Fr::from(2u64), Fr::from(11u64), from_i64(-9)] {
            assert_eq!(interpolate_at(&evals, c), p(c));
        }
    }
}
