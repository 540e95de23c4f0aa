//! The prover's side of the Fiat-Shamir channel: every message is absorbed into the
//! transcript and written to the proof in one step, so a proof's byte order is its
//! transcript order by construction (circuits/transcript.md).

use crate::artifact::{write_header, Kind};
use crate::encoding::Writer;
use crate::field::Fr;
use crate::pcs::hyrax::{Commitment, Hyrax};
use crate::pcs::Pcs;
use crate::transcript::Transcript;

/// A transcript and the proof being written.
pub struct Channel {
    t: Transcript,
    w: Writer,
}

impl Channel {
    /// A channel for a proof of `kind` under the transcript `tag`: the artifact header is
    /// written first and the format version absorbed first (circuits/proofs.md).
    pub fn new(tag: &[u8], kind: Kind) -> Self {
        let mut t = Transcript::new(tag);
        t.absorb_u32("version", kind.version() as u32);
        let mut w = Writer::new();
        write_header(&mut w, kind);
        Self { t, w }
    }

    /// The transcript, for challenges and for sub-protocols that absorb their own
    /// messages (their bytes then go through [`Channel::writer`]).
    pub fn transcript(&mut self) -> &mut Transcript {
        &mut self.t
    }

    /// The transcript as it stands (read only).
    pub fn state(&self) -> &Transcript {
        &self.t
    }

    /// The proof writer, for messages a sub-protocol has already absorbed.
    pub fn writer(&mut self) -> &mut Writer {
        &mut self.w
    }

    /// Absorb `data` without writing it (statement parts the verifier knows).
    pub fn absorb(&mut self, label: &str, data: &[u8]) {
        self.t.absorb(label, data);
    }

    /// Send bytes.
    pub fn send_bytes(&mut self, label: &str, data: &[u8]) {
        self.t.absorb(label, data);
        self.w.bytes(data);
    }

    /// Send a u32.
    pub fn send_u32(&mut self, label: &str, x: u32) {
        self.t.absorb_u32(label, x);
        self.w.u32(x);
    }

    /// Send field elements.
    pub fn send_frs(&mut self, label: &str, v: &[Fr]) {
        self.t.absorb_frs(label, v);
        self.w.frs(v);
    }

    /// Send a Hyrax commitment.
    pub fn send_commitment(&mut self, label: &str, c: &Commitment) {
        Hyrax::absorb_commitment(&mut self.t, label, c);
        Hyrax::write_commitment(c, &mut self.w);
    }

    /// One challenge.
    pub fn squeeze(&mut self, label: &str) -> Fr {
        self.t.squeeze(label)
    }

    /// `n` challenges.
    pub fn squeeze_n(&mut self, label: &str, n: usize) -> Vec<Fr> {
        self.t.squeeze_n(label, n)
    }

    /// The proof's bytes.
    pub fn finish(self) -> Vec<u8> {
        self.w.finish()
    }
}
