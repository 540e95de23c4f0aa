//! Typed errors. Verifier paths return these; they never panic on input.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// The bytes do not parse under the strict rules of `circuits/encoding.md`.
    #[error("malformed input: {0}")]
    Format(String),
    /// A sumcheck round check failed.
    #[error("{context}: sumcheck round {round}: {reason}")]
    Sumcheck {
        context: String,
        round: usize,
        reason: String,
    },
    /// A proof was rejected at a named check.
    #[error("proof rejected: {0}")]
    Rejected(String),
    /// The caller asked for something the prover cannot do (wrong sizes, limits).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn format_err<T>(msg: impl Into<String>) -> Result<T> {
    Err(Error::Format(msg.into()))
}

pub(crate) fn reject<T>(msg: impl Into<String>) -> Result<T> {
    Err(Error::Rejected(msg.into()))
}
