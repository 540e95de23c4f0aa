//! Transparent Pedersen generators by try-and-increment hash-to-curve from a public
//! seed (circuits/hyrax.md). No trusted setup: nobody knows discrete-log relations
//! between hash outputs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use ark_bn254::{Fq, G1Affine};
use ark_ff::{BigInteger, Field, PrimeField, Zero};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

pub const DEFAULT_SEED: &[u8] = b"zkml/hyrax/generators/v1";

pub fn seed_digest(seed: &[u8]) -> [u8; 32] {
    Sha256::digest(seed).into()
}

/// Generator `i` for a seed digest.
pub fn derive(digest: &[u8; 32], i: u32) -> G1Affine {
    for ctr in 0u32.. {
        let mut wide = [0u8; 64];
        for (b, chunk) in wide.chunks_mut(32).enumerate() {
            let mut h = Sha256::new();
            h.update(digest);
            h.update(i.to_be_bytes());
            h.update(ctr.to_be_bytes());
            h.update([b as u8]);
            chunk.copy_from_slice(&h.finalize());
        }
        let x = Fq::from_be_bytes_mod_order(&wide);
        let t = x * x * x + Fq::from(3u64);
        if t.is_zero() {
            continue;
        }
        if let Some(mut y) = t.sqrt() {
            // Either root is valid; the spec fixes the even one.
            if y.into_bigint().is_odd() {
                y = -y;
            }
            return G1Affine::new_unchecked(x, y);
        }
    }
    unreachable!("half of all x give a point")
}

type Cache = Mutex<HashMap<[u8; 32], Arc<Vec<G1Affine>>>>;

/// The first `n` generators for `digest` (at least `n`: the cached prefix may be
/// longer), derived once per process and shared.
pub fn generators(digest: &[u8; 32], n: usize) -> Arc<Vec<G1Affine>> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut map = cache.lock().unwrap_or_else(|p| p.into_inner());
    let have = map.get(digest).map_or(0, |v| v.len());
    if have < n {
        let mut all: Vec<G1Affine> = map.get(digest).map(|v| v.to_vec()).unwrap_or_default();
        let more: Vec<G1Affine> = (have as u32..n as u32)
            .into_par_iter()
            .map(|i| derive(digest, i))
            .collect();
        all.extend(more);
        map.insert(*digest, Arc::new(all));
    }
    map[digest].clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::AffineRepr;

    #[test]
    fn generators_are_valid_distinct_and_even() {
        let d = seed_digest(DEFAULT_SEED);
        let g = generators(&d, 64);
        for (i, p) in g.iter().enumerate() {
            assert!(p.is_on_curve() && !p.is_zero());
            assert!(p.y().unwrap().into_bigint().is_even());
            assert_eq!(*p, derive(&d, i as u32));
        }
        let other = generators(&seed_digest(b"other"), 4);
        assert_ne!(other[0], g[0]);
        assert_ne!(g[0], g[1]);
    }
}
