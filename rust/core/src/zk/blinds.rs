//! The hedged blinder generator (circuits/sigma.md section 5): OS randomness mixed with
//! the transcript state, expanded by SHA-256 with a counter.
//!
//! Why hedged: a broken or repeated OS seed alone would repeat nonces across proofs
//! (which reveals witnesses); mixing in the transcript state keeps distinct
//! statements apart, and the OS seed keeps repeated statements apart.

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::field::{fr_from_be_mod_order, Fr};

const DOMAIN: &[u8] = b"zkml-blind-v1";

/// A source of blinders and nonces; every draw is fresh (the counter never repeats).
pub struct Blinds {
    seed: [u8; 32],
    state: [u8; 32],
    counter: u64,
}

impl Blinds {
    /// A generator seeded by the operating system, hedged with `state` (the transcript
    /// state when the proof starts).
    pub fn hedged(state: [u8; 32]) -> Result<Self> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|e| {
            Error::InvalidArgument(format!("the operating system's generator failed: {e}"))
        })?;
        Ok(Self {
            seed,
            state,
            counter: 0,
        })
    }

    /// A deterministic generator for test vectors (test builds only: a fixed seed in a
    /// real proof would repeat nonces).
    #[cfg(any(test, feature = "testkit"))]
    pub fn from_seed(seed: [u8; 32], state: [u8; 32]) -> Self {
        Self {
            seed,
            state,
            counter: 0,
        }
    }

    /// The next uniform scalar.
    pub fn draw(&mut self) -> Fr {
        let mut wide = [0u8; 64];
        for (i, chunk) in wide.chunks_mut(32).enumerate() {
            let mut h = Sha256::new();
            h.update(DOMAIN);
            h.update(self.seed);
            h.update(self.state);
            h.update(self.counter.to_be_bytes());
            h.update([i as u8]);
            chunk.copy_from_slice(&h.finalize());
        }
        self.counter += 1;
        fr_from_be_mod_order(&wide)
    }

    /// The next `n` scalars.
    pub fn draw_n(&mut self, n: usize) -> Vec<Fr> {
        (0..n).map(|_| self.draw()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_never_repeat_and_depend_on_seed_and_state() {
        let mut a = Blinds::from_seed([1; 32], [2; 32]);
        let xs = a.draw_n(64);
        let mut sorted = xs.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 64);
        assert_ne!(Blinds::from_seed([1; 32], [3; 32]).draw(), xs[0]);
        assert_ne!(Blinds::from_seed([4; 32], [2; 32]).draw(), xs[0]);
        assert_eq!(Blinds::from_seed([1; 32], [2; 32]).draw(), xs[0]);
    }

    #[test]
    fn hedged_generators_differ_for_one_state() {
        let x = Blinds::hedged([0; 32]).unwrap().draw();
        let y = Blinds::hedged([0; 32]).unwrap().draw();
        assert_ne!(x, y);
    }
}
