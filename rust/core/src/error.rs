//! Typed errors. Verifier paths return these; they never panic on input.
//!
//! A rejection and a format error carry the id of the check that failed (`check`: a
//! dotted id such as `"logup.group-sum"`, the same id the Python verifier gives the
//! same check; the table is in `circuits/soundness.md`, "Check ids"). Tests match on
//! the id, never on the message text; the binding hands it to Python as `exc.check`.

use thiserror::Error;

/// The id of a format error raised through `format_err` (no finer id given).
pub const FORMAT: &str = "proof.format";
/// The id of a rejection raised through `reject` (no finer id given).
pub const REJECTED: &str = "proof.rejected";

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// The bytes do not parse under the strict rules of `circuits/encoding.md`.
    #[error("malformed input: {detail}")]
    Format { check: &'static str, detail: String },
    /// A sumcheck round check failed.
    #[error("{context}: sumcheck round {round}: {reason}")]
    Sumcheck {
        check: &'static str,
        context: String,
        round: usize,
        reason: String,
    },
    /// A proof was rejected at the check `check`.
    #[error("proof rejected: {detail}")]
    Rejected { check: &'static str, detail: String },
    /// The caller asked for something the prover cannot do (wrong sizes, limits).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl Error {
    /// The id of the failed check; None for an invalid argument (no check failed).
    pub fn check(&self) -> Option<&'static str> {
        match self {
            Error::Format { check, .. }
            | Error::Sumcheck { check, .. }
            | Error::Rejected { check, .. } => Some(check),
            Error::InvalidArgument(_) => None,
        }
    }

    /// The same error with `what` (the field being read) before its detail.
    pub(crate) fn within(self, what: &str) -> Self {
        match self {
            Error::Format { check, detail } => Error::Format {
                check,
                detail: format!("{what}: {detail}"),
            },
            Error::Rejected { check, detail } => Error::Rejected {
                check,
                detail: format!("{what}: {detail}"),
            },
            other => other,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// A format error without a finer id (`FORMAT`).
pub fn format_err<T>(msg: impl Into<String>) -> Result<T> {
    format_at(FORMAT, msg)
}

/// A format error at the parse check `check`.
pub fn format_at<T>(check: &'static str, msg: impl Into<String>) -> Result<T> {
    Err(Error::Format {
        check,
        detail: msg.into(),
    })
}

/// A rejection without a finer id (`REJECTED`).
pub fn reject<T>(msg: impl Into<String>) -> Result<T> {
    reject_at(REJECTED, msg)
}

/// A rejection at the check `check`.
pub fn reject_at<T>(check: &'static str, msg: impl Into<String>) -> Result<T> {
    Err(Error::Rejected {
        check,
        detail: msg.into(),
    })
}
