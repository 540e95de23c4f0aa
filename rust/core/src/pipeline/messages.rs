//! The message seam of a relation (circuits/zk.md 6, step 4): a gadget hands the values
//! it computes to [`Messages`] and draws its challenges from it, and never absorbs a
//! value itself, so one gadget serves a clear proof (the [`Channel`] sends the values,
//! kind 3) and a hiding one (one commitment per value, its opening kept by claim name,
//! zk_inference.md 1.1).

use super::Channel;
use crate::error::Result;
use crate::field::Fr;
use crate::transcript::Transcript;

/// Where a relation's messages go and its challenges come from.
pub trait Messages {
    /// One challenge.
    fn squeeze(&mut self, label: &str) -> Fr;

    /// `n` challenges.
    fn squeeze_n(&mut self, label: &str, n: usize) -> Vec<Fr>;

    /// Send `values` under the transcript `label`; entry `j` is the claim
    /// `claim_prefix(label, gadget)[j]` (checks.md 1).
    fn send_values(&mut self, label: &str, gadget: Option<usize>, values: &[Fr]) -> Result<()>;

    /// A copy of the transcript as it stands (the declarations squeeze a gadget's
    /// challenge again from it).
    fn fork(&self) -> Transcript;
}

/// The name of a message's claims without the entry index (checks.md 1): the label for
/// the pipeline's and the output's messages, `label[g]` for gadget `g`'s.
pub fn claim_prefix(label: &str, gadget: Option<usize>) -> String {
    match gadget {
        Some(g) => format!("{label}[{g}]"),
        None => label.to_string(),
    }
}

/// In the clear: absorbed and written as `Vec<Fr>` in one step.
impl Messages for Channel {
    fn squeeze(&mut self, label: &str) -> Fr {
        Channel::squeeze(self, label)
    }

    fn squeeze_n(&mut self, label: &str, n: usize) -> Vec<Fr> {
        Channel::squeeze_n(self, label, n)
    }

    fn send_values(&mut self, label: &str, _gadget: Option<usize>, values: &[Fr]) -> Result<()> {
        self.send_frs(label, values);
        Ok(())
    }

    fn fork(&self) -> Transcript {
        self.state().clone()
    }
}
