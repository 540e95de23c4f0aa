//! Zero-knowledge building blocks (circuits/sigma.md): hiding Pedersen commitments,
//! the hedged blinder generator, and the four sigma proofs (opening, equality,
//! product, dot product) with one challenge per batch and one merged check.
//!
//! Hiding proofs (circuits/zk.md) are made of these: every private message becomes a
//! commitment, every product check a proof of product, every opening a proof of dot
//! product.

pub mod blinds;
pub mod declared;
pub mod hidden;
pub mod linear;
pub mod pedersen;
pub mod sigma;
pub mod sumcheck;

pub use blinds::Blinds;
pub use hidden::Hidden;
pub use pedersen::Gens;
