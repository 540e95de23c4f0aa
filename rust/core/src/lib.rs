//! zkml prover core: BN254 field helpers, the SHA-256 Fiat-Shamir transcript,
//! dense multilinear polynomials, a generic sumcheck, and Hyrax commitments.
//!
//! Pure Rust, no Python: the binding crate (`rust/py`) wraps it as `zkml._native`.
//! Every protocol here implements the text in `circuits/`; the pure-Python verifier
//! implements the same text independently.

pub mod artifact;
pub mod declare;
pub mod encoding;
pub mod error;
pub mod field;
pub mod inference;
pub mod logup;
pub mod mle;
pub mod pcs;
pub mod pipeline;
pub mod profile;
pub mod proofs;
pub mod sumcheck;
#[cfg(any(test, feature = "testkit"))]
pub mod testing;
pub mod transcript;
pub mod wiring;
pub mod zk;
pub mod zk_inference;
pub mod zk_key;

pub use error::{Error, Result};
pub use field::Fr;
