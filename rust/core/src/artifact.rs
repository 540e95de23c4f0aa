//! The artifact container (circuits/encoding.md): `"ZKML" || u16 version || u8 kind || body`.

use crate::encoding::{Reader, Writer};
use crate::error::{format_err, Result};

pub const MAGIC: &[u8; 4] = b"ZKML";
pub const FORMAT_VERSION: u16 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    PcsBatchOpening = 1,
    ProductSumcheck = 2,
    Inference = 3,
    VerifyingKey = 4,
}

impl Kind {
    pub fn from_u8(x: u8) -> Result<Self> {
        match x {
            1 => Ok(Self::PcsBatchOpening),
            2 => Ok(Self::ProductSumcheck),
            3 => Ok(Self::Inference),
            4 => Ok(Self::VerifyingKey),
            _ => format_err(format!("unknown artifact kind {x}")),
        }
    }

    /// The transcript's proof-type tag.
    pub fn tag(self) -> &'static [u8] {
        match self {
            Self::PcsBatchOpening => b"zkml/pcs-batch-opening",
            Self::ProductSumcheck => b"zkml/product-sumcheck",
            Self::Inference => b"zkml/inference",
            Self::VerifyingKey => b"zkml/verifying-key",
        }
    }
}

pub fn write_header(w: &mut Writer, kind: Kind) {
    w.bytes(MAGIC);
    w.u16(FORMAT_VERSION);
    w.u8(kind as u8);
}

pub fn read_header(r: &mut Reader) -> Result<Kind> {
    if r.take(4, "magic")? != MAGIC {
        return format_err("not a zkml artifact (bad magic)");
    }
    let v = r.u16("format version")?;
    if v != FORMAT_VERSION {
        return format_err(format!("unsupported format version {v}"));
    }
    Kind::from_u8(r.u8("kind")?)
}
