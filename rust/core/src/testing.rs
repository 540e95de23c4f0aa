//! Helpers for tests in this crate and in the gadgets built on it: deterministic
//! randomness and the cheating-prover harness of circuits/soundness.md rule 9.
//!
//! Byte-flipping a proof only shows that the transcript binds. The harness runs the
//! *honest* prover on a *wrong* witness and requires the verifier to reject, which is
//! what shows that a relation is actually enforced.

use sha2::{Digest, Sha256};

use crate::field::{fr_from_be_mod_order, Fr};
use crate::Result;

/// Deterministic pseudo-random field elements from a seed (tests and benchmarks).
pub fn rand_frs(n: usize, seed: u64) -> Vec<Fr> {
    (0..n as u64)
        .map(|i| {
            let mut h = Sha256::new();
            h.update(b"zkml-test-rng");
            h.update(seed.to_be_bytes());
            h.update(i.to_be_bytes());
            fr_from_be_mod_order(&h.finalize())
        })
        .collect()
}

/// Deterministic pseudo-random signed integers in `[-2^(bits-1), 2^(bits-1))`.
pub fn rand_small(n: usize, bits: u32, seed: u64) -> Vec<i64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            // xorshift64*: fast and good enough for test data.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let x = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
            let span = 1u64 << bits;
            (x % span) as i64 - (span / 2) as i64
        })
        .collect()
}

/// A protocol under test: an honest prover over a witness and its verifier.
pub trait Protocol {
    type Witness: Clone;
    /// Run the honest prover; the witness may violate the relation.
    fn prove(&self, witness: &Self::Witness) -> Vec<u8>;
    fn verify(&self, proof: &[u8]) -> Result<()>;
}

/// A named way of corrupting a witness.
pub type Cheat<W> = (&'static str, fn(&mut W));

/// The honest witness must be accepted, and every cheat rejected.
pub fn assert_cheats_rejected<P: Protocol>(
    p: &P,
    honest: &P::Witness,
    cheats: &[Cheat<P::Witness>],
) {
    run_cheats(p, honest, cheats, None);
}

/// As `assert_cheats_rejected`, and every cheat is rejected at the check `check`
/// (`Error::check`; the ids are listed in circuits/soundness.md, "Check ids").
pub fn assert_cheats_rejected_at<P: Protocol>(
    p: &P,
    honest: &P::Witness,
    check: &str,
    cheats: &[Cheat<P::Witness>],
) {
    run_cheats(p, honest, cheats, Some(check));
}

fn run_cheats<P: Protocol>(
    p: &P,
    honest: &P::Witness,
    cheats: &[Cheat<P::Witness>],
    check: Option<&str>,
) {
    let proof = p.prove(honest);
    if let Err(e) = p.verify(&proof) {
        panic!("honest witness rejected: {e}");
    }
    for (name, cheat) in cheats {
        let mut w = honest.clone();
        cheat(&mut w);
        let bad = p.prove(&w);
        match (p.verify(&bad), check) {
            (Ok(()), _) => panic!("cheat `{name}` was accepted"),
            (Err(e), Some(want)) => {
                assert_eq!(
                    e.check(),
                    Some(want),
                    "cheat `{name}` rejected elsewhere: {e}"
                )
            }
            (Err(_), None) => {}
        }
    }
}

/// Flip one bit in each of the given byte positions in turn (every position when
/// `positions` is empty) and require rejection each time.
pub fn assert_bit_flips_rejected(
    proof: &[u8],
    positions: &[usize],
    verify: impl Fn(&[u8]) -> Result<()>,
) {
    let all: Vec<usize> = if positions.is_empty() {
        (0..proof.len()).collect()
    } else {
        positions.to_vec()
    };
    for &i in &all {
        let mut bad = proof.to_vec();
        bad[i] ^= 0x01;
        assert!(verify(&bad).is_err(), "flipping byte {i} was accepted");
    }
}
