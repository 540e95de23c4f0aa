//! Zero-knowledge building blocks (circuits/sigma.md): hiding Pedersen commitments,
//! the hedged blinder generator, and the four sigma proofs (opening, equality,
//! product, dot product) with one challenge per batch and one merged check.
//!
//! Hiding proofs (circuits/zk.md) are made of these: every private message becomes a
//! commitment, every product check a proof of product, every opening a proof of dot
//! product.
//!
//! `opening` is the hiding opening of zk.md 5.4; `tail` the proof's tail of 5.5
//! (`tau`, the sigma batch, the one merged check); `logup` the hiding LogUp-GKR of 5.6.

pub mod blinds;
pub mod declared;
pub mod fixed_base;
pub mod hidden;
pub mod linear;
pub mod logup;
pub mod opening;
pub mod pedersen;
pub mod products;
pub mod sigma;
pub mod sumcheck;
pub mod tail;

pub use blinds::Blinds;
pub use hidden::Hidden;
pub use pedersen::Gens;
