//! The artifact container (circuits/encoding.md): `"ZKML" || u16 version || u8 kind || body`.

use crate::encoding::{Reader, Writer};
use crate::error::{format_at, Result};

pub const MAGIC: &[u8; 4] = b"ZKML";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    PcsBatchOpening = 1,
    ProductSumcheck = 2,
    Inference = 3,
    VerifyingKey = 4,
    HidingInference = 5,
    HidingVerifyingKey = 6,
}

impl Kind {
    pub fn from_u8(x: u8) -> Result<Self> {
        match x {
            1 => Ok(Self::PcsBatchOpening),
            2 => Ok(Self::ProductSumcheck),
            3 => Ok(Self::Inference),
            4 => Ok(Self::VerifyingKey),
            5 => Ok(Self::HidingInference),
            6 => Ok(Self::HidingVerifyingKey),
            _ => format_at("proof.header-kind", format!("unknown artifact kind {x}")),
        }
    }

    /// The kind's current format version (circuits/encoding.md). Each kind has its own:
    /// inference proofs are at 2 since their lookups balance per table
    /// (circuits/soundness.md, lookup separation); the other kinds did not change.
    pub fn version(self) -> u16 {
        match self {
            Self::Inference => 2,
            _ => 1,
        }
    }

    /// The transcript's proof-type tag.
    pub fn tag(self) -> &'static [u8] {
        match self {
            Self::PcsBatchOpening => b"zkml/pcs-batch-opening",
            Self::ProductSumcheck => b"zkml/product-sumcheck",
            Self::Inference => b"zkml/inference",
            Self::VerifyingKey => b"zkml/verifying-key",
            Self::HidingInference => b"zkml/inference-zk",
            Self::HidingVerifyingKey => b"zkml/model-wf-zk",
        }
    }
}

pub fn write_header(w: &mut Writer, kind: Kind) {
    w.bytes(MAGIC);
    w.u16(kind.version());
    w.u8(kind as u8);
}

pub fn read_header(r: &mut Reader) -> Result<Kind> {
    if r.take(4, "magic")? != MAGIC {
        return format_at("proof.magic", "not a zkml artifact (bad magic)");
    }
    let v = r.u16("format version")?;
    let kind = Kind::from_u8(r.u8("kind")?)?;
    if v != kind.version() {
        return format_at("proof.version", unsupported_version(kind, v));
    }
    Ok(kind)
}

/// The error for an artifact of another format version than its kind's current one.
fn unsupported_version(kind: Kind, v: u16) -> String {
    let current = kind.version();
    if kind == Kind::Inference && v == 1 {
        return "unsupported proof version 1: inference proofs of version 1 are refused \
                because a lookup could balance against another table's entries \
                (circuits/soundness.md, lookup separation); prove again with this zkml"
            .to_string();
    }
    format!("unsupported format version {v} (this zkml reads version {current} of this kind)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(version: u16, kind: u8) -> Vec<u8> {
        let mut w = Writer::new();
        w.bytes(MAGIC);
        w.u16(version);
        w.u8(kind);
        w.finish()
    }

    #[test]
    fn each_kind_reads_its_own_version() {
        for kind in [
            Kind::PcsBatchOpening,
            Kind::ProductSumcheck,
            Kind::Inference,
            Kind::VerifyingKey,
            Kind::HidingInference,
            Kind::HidingVerifyingKey,
        ] {
            let ok = header(kind.version(), kind as u8);
            assert_eq!(read_header(&mut Reader::new(&ok)).unwrap(), kind);
        }
    }

    #[test]
    fn a_format_1_inference_proof_is_refused_as_unsound() {
        let old = header(1, Kind::Inference as u8);
        let err = read_header(&mut Reader::new(&old)).unwrap_err();
        assert_eq!(err.check(), Some("proof.version"));
        // the refusal's words are the user's answer (circuits/soundness.md, rule 10)
        assert!(
            err.to_string().contains("unsupported proof version 1"),
            "{err}"
        );
        let future = header(3, Kind::VerifyingKey as u8);
        let err = read_header(&mut Reader::new(&future)).unwrap_err();
        assert_eq!(err.check(), Some("proof.version"));
        let bad_kind = header(1, 9);
        let err = read_header(&mut Reader::new(&bad_kind)).unwrap_err();
        assert_eq!(err.check(), Some("proof.header-kind"));
        let err = read_header(&mut Reader::new(b"ZKMX\x00\x01\x01")).unwrap_err();
        assert_eq!(err.check(), Some("proof.magic"));
    }
}
