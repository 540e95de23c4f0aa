//! The SHA-256 duplex transcript of `circuits/transcript.md`.

use ark_bn254::G1Affine;
use sha2::{Digest, Sha256};

use crate::encoding::g1_to_bytes;
use crate::field::{fr_from_be_mod_order, fr_to_bytes, Fr};

#[derive(Clone, Debug)]
pub struct Transcript {
    state: [u8; 32],
}

impl Transcript {
    /// `state = H("zkml-transcript-v1" || u32(len(tag)) || tag)`; the tag names the proof type.
    pub fn new(tag: &[u8]) -> Self {
        let mut h = Sha256::new();
        h.update(b"zkml-transcript-v1");
        h.update((tag.len() as u32).to_be_bytes());
        h.update(tag);
        Self {
            state: h.finalize().into(),
        }
    }

    pub fn state(&self) -> [u8; 32] {
        self.state
    }

    pub fn absorb(&mut self, label: &str, data: &[u8]) {
        let mut h = Sha256::new();
        h.update(self.state);
        h.update([0x01]);
        h.update((label.len() as u32).to_be_bytes());
        h.update(label.as_bytes());
        h.update((data.len() as u64).to_be_bytes());
        h.update(data);
        self.state = h.finalize().into();
    }

    pub fn absorb_u32(&mut self, label: &str, x: u32) {
        self.absorb(label, &x.to_be_bytes());
    }

    pub fn absorb_fr(&mut self, label: &str, x: &Fr) {
        self.absorb(label, &fr_to_bytes(x));
    }

    pub fn absorb_frs(&mut self, label: &str, v: &[Fr]) {
        let mut data = Vec::with_capacity(4 + 32 * v.len());
        data.extend_from_slice(&(v.len() as u32).to_be_bytes());
        v.iter()
            .for_each(|x| data.extend_from_slice(&fr_to_bytes(x)));
        self.absorb(label, &data);
    }

    pub fn absorb_points(&mut self, label: &str, v: &[G1Affine]) {
        let mut data = Vec::with_capacity(4 + 64 * v.len());
        data.extend_from_slice(&(v.len() as u32).to_be_bytes());
        v.iter()
            .for_each(|p| data.extend_from_slice(&g1_to_bytes(p)));
        self.absorb(label, &data);
    }

    /// Advance the state and derive a challenge by 64-byte wide reduction mod r.
    pub fn squeeze(&mut self, label: &str) -> Fr {
        let mut h = Sha256::new();
        h.update(self.state);
        h.update([0x02]);
        h.update((label.len() as u32).to_be_bytes());
        h.update(label.as_bytes());
        self.state = h.finalize().into();
        let mut wide = [0u8; 64];
        for (i, chunk) in wide.chunks_mut(32).enumerate() {
            let mut h = Sha256::new();
            h.update(self.state);
            h.update([i as u8]);
            chunk.copy_from_slice(&h.finalize());
        }
        fr_from_be_mod_order(&wide)
    }

    pub fn squeeze_n(&mut self, label: &str, n: usize) -> Vec<Fr> {
        (0..n).map(|_| self.squeeze(label)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squeezes_differ_and_depend_on_everything() {
        let mut a = Transcript::new(b"t");
        let c1 = a.squeeze("c");
        let c2 = a.squeeze("c");
        assert_ne!(c1, c2);
        let mut b = Transcript::new(b"t");
        b.absorb("x", b"");
        assert_ne!(b.squeeze("c"), c1);
        let mut c = Transcript::new(b"u");
        assert_ne!(c.squeeze("c"), c1);
    }
}
