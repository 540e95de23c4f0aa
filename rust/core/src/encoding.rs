//! Strict byte encodings of `circuits/encoding.md`: big-endian integers, canonical
//! field elements, validated G1 points, counted vectors, no trailing bytes.

use ark_bn254::{Fq, G1Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, PrimeField};

use crate::error::{format_at, Result};
use crate::field::{fr_from_bytes, fr_to_bytes, Fr};

pub const FR_BYTES: usize = 32;
pub const G1_BYTES: usize = 64;
/// Largest number of variables any polynomial, stack or sumcheck may have.
pub const MAX_NUM_VARS: u32 = 30;

fn fq_to_bytes(x: &Fq) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&x.into_bigint().to_bytes_be());
    out
}

fn fq_from_bytes(b: &[u8]) -> Result<Fq> {
    let x = Fq::from_be_bytes_mod_order(b);
    if fq_to_bytes(&x) != b {
        return format_at(
            "encoding.point",
            "non-canonical base-field coordinate (>= p)",
        );
    }
    Ok(x)
}

/// 64-byte uncompressed `x || y`; infinity is 64 zero bytes.
pub fn g1_to_bytes(p: &G1Affine) -> [u8; 64] {
    let mut out = [0u8; 64];
    if let Some((x, y)) = p.xy() {
        out[..32].copy_from_slice(&fq_to_bytes(&x));
        out[32..].copy_from_slice(&fq_to_bytes(&y));
    }
    out
}

/// Strict: canonical coordinates and on the curve (cofactor 1, so in the group).
pub fn g1_from_bytes(b: &[u8]) -> Result<G1Affine> {
    if b.len() != G1_BYTES {
        return format_at("encoding.point", "G1 point must be 64 bytes");
    }
    if b.iter().all(|&x| x == 0) {
        return Ok(G1Affine::identity());
    }
    let x = fq_from_bytes(&b[..32])?;
    let y = fq_from_bytes(&b[32..])?;
    let p = G1Affine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return format_at("encoding.point", "G1 point is not on the curve");
    }
    Ok(p)
}

/// `u32 count || count * width-byte big-endian two's complement` (inference.md).
pub fn ints_bytes(v: &[i64], width: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + v.len() * width);
    out.extend_from_slice(&(v.len() as u32).to_be_bytes());
    for x in v {
        out.extend_from_slice(&x.to_be_bytes()[8 - width..]);
    }
    out
}

/// Append-only writer.
#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn u8(&mut self, x: u8) {
        self.buf.push(x);
    }
    pub fn u16(&mut self, x: u16) {
        self.buf.extend_from_slice(&x.to_be_bytes());
    }
    pub fn u32(&mut self, x: u32) {
        self.buf.extend_from_slice(&x.to_be_bytes());
    }
    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }
    pub fn fr(&mut self, x: &Fr) {
        self.buf.extend_from_slice(&fr_to_bytes(x));
    }
    pub fn frs(&mut self, v: &[Fr]) {
        self.u32(v.len() as u32);
        v.iter().for_each(|x| self.fr(x));
    }
    /// `Ints`: a count, then `width`-byte big-endian two's complement values.
    pub fn ints(&mut self, v: &[i64], width: usize) {
        self.bytes(&ints_bytes(v, width));
    }

    pub fn points(&mut self, v: &[G1Affine]) {
        self.u32(v.len() as u32);
        v.iter().for_each(|p| self.bytes(&g1_to_bytes(p)));
    }
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Strict reader: every read checks the remaining length first, vector counts are
/// checked against the bytes left before anything is allocated.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if self.remaining() < n {
            return format_at(
                "proof.truncated",
                format!("truncated input while reading {what}"),
            );
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    pub fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }
    pub fn u16(&mut self, what: &str) -> Result<u16> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    pub fn u32(&mut self, what: &str) -> Result<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn fr(&mut self, what: &str) -> Result<Fr> {
        fr_from_bytes(self.take(FR_BYTES, what)?).map_err(|e| e.within(what))
    }
    pub fn point(&mut self, what: &str) -> Result<G1Affine> {
        g1_from_bytes(self.take(G1_BYTES, what)?).map_err(|e| e.within(what))
    }

    /// A counted vector whose count the statement already fixes.
    fn count(&mut self, expected: usize, elem: usize, what: &str) -> Result<usize> {
        let n = self.u32(what)? as usize;
        if n != expected {
            return format_at(
                "proof.shape",
                format!("{what}: expected {expected} elements, found {n}"),
            );
        }
        if n.saturating_mul(elem) > self.remaining() {
            return format_at(
                "proof.truncated",
                format!("truncated input while reading {what}"),
            );
        }
        Ok(n)
    }

    pub fn frs(&mut self, expected: usize, what: &str) -> Result<Vec<Fr>> {
        let n = self.count(expected, FR_BYTES, what)?;
        (0..n).map(|_| self.fr(what)).collect()
    }

    pub fn points(&mut self, expected: usize, what: &str) -> Result<Vec<G1Affine>> {
        let n = self.count(expected, G1_BYTES, what)?;
        (0..n).map(|_| self.point(what)).collect()
    }

    /// Reject trailing bytes.
    pub fn finish(self) -> Result<()> {
        if self.remaining() != 0 {
            return format_at(
                "proof.trailing-bytes",
                format!("{} trailing bytes", self.remaining()),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::G1Projective;
    use ark_ec::PrimeGroup;

    #[test]
    fn points_round_trip_and_reject_bad() {
        let g = (G1Projective::generator() * Fr::from(7u64)).into();
        assert_eq!(g1_from_bytes(&g1_to_bytes(&g)).unwrap(), g);
        assert!(g1_from_bytes(&[0u8; 64]).unwrap().is_zero());
        let mut off = g1_to_bytes(&g);
        off[63] ^= 1;
        let check = |b: &[u8]| g1_from_bytes(b).err().and_then(|e| e.check());
        assert_eq!(check(&off), Some("encoding.point"));
        let mut big = [0xffu8; 64];
        big[0] = 0x40;
        assert_eq!(check(&big), Some("encoding.point"));
    }

    #[test]
    fn reader_checks_counts_and_trailing() {
        let mut w = Writer::new();
        w.frs(&[Fr::from(1u64), Fr::from(2u64)]);
        w.u8(9);
        let bytes = w.finish();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.frs(3, "v").unwrap_err().check(), Some("proof.shape"));
        let mut r = Reader::new(&bytes);
        assert_eq!(r.frs(2, "v").unwrap().len(), 2);
        assert_eq!(
            r.finish().unwrap_err().check(),
            Some("proof.trailing-bytes")
        );
        // A huge count is refused before allocation.
        let mut r = Reader::new(&[0xff, 0xff, 0xff, 0xff]);
        let err = r.frs(0xffff_ffff, "v").unwrap_err();
        assert_eq!(err.check(), Some("proof.truncated"));
    }
}
