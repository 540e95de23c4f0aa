//! The circuit description (circuits/inference.md section 6): parsed from its
//! canonical JSON, validated, and expanded into committed columns and layouts.

use serde::Deserialize;

use crate::error::{Error, Result};

pub const MAX_FEATURES: usize = 1 << 20;
pub const MAX_BITS: u32 = 64;
pub const LIMB_BITS: u32 = 8;

fn invalid<T>(msg: impl Into<String>) -> Result<T> {
    Err(Error::InvalidArgument(format!("circuit: {}", msg.into())))
}

/// A tensor reference: the public input or an earlier gadget's output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TensorRef {
    Input,
    Gadget(usize),
}

impl<'de> Deserialize<'de> for TensorRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        match v {
            serde_json::Value::String(s) if s == "input" => Ok(TensorRef::Input),
            serde_json::Value::Number(n) if n.as_u64().is_some() => {
                Ok(TensorRef::Gadget(n.as_u64().unwrap_or(0) as usize))
            }
            _ => Err(serde::de::Error::custom(
                "tensor reference must be \"input\" or a gadget index",
            )),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub enum Producer {
    Dense {
        x: TensorRef,
        weight: String,
        bias: Option<String>,
        /// The stored bias is `bias / 2^bias_shift`: the accumulator adds `2^bias_shift * bias`.
        bias_shift: u32,
    },
    Add {
        x: TensorRef,
        y: TensorRef,
        signs: [i64; 2],
        lshifts: [u32; 2],
    },
    Identity {
        x: TensorRef,
    },
    /// `acc = sum_k c_k x_k` (LeakyRelu lowers to three of these).
    Affine {
        terms: Vec<(TensorRef, i64)>,
    },
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gadget {
    pub producer: Producer,
    pub features: usize,
    pub shift: u32,
    pub lo: i64,
    pub hi: i64,
    pub excess_hi_bits: u32,
    pub excess_lo_bits: u32,
    pub frac_bits: i64,
    pub source: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    pub features: usize,
    pub bits: u32,
    pub frac_bits: i64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    pub gadget: usize,
    pub features: usize,
    /// The statement's output is the first argmax of each row (section 4b).
    pub argmax: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelTensor {
    pub name: String,
    pub rows: usize,
    pub cols: usize,
    pub offset: usize,
}

impl ModelTensor {
    pub fn rows_pad(&self) -> usize {
        self.rows.next_power_of_two()
    }
    pub fn cols_pad(&self) -> usize {
        self.cols.next_power_of_two()
    }
    pub fn slot_size(&self) -> usize {
        self.rows_pad() * self.cols_pad()
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelStack {
    pub num_vars: usize,
    pub log_cols: usize,
    pub range_bits: u32,
    pub tensors: Vec<ModelTensor>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Circuit {
    pub format: String,
    pub version: u32,
    pub input: InputSpec,
    pub output: OutputSpec,
    pub gadgets: Vec<Gadget>,
    pub model_stack: ModelStack,
}

/// What a committed column holds (inference.md section 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    U,
    V,
    Rem,
    Ep,
    Em,
    /// ArgMax differences (section 4b), attributed to the output gadget.
    D,
}

/// One committed limb column of a gadget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    pub gadget: usize,
    pub kind: ColumnKind,
    pub limb: usize,
    pub width: u32,
}

pub fn bit_length(m: u128) -> u32 {
    128 - m.leading_zeros()
}

/// Limb widths of a `bits`-wide value: 8-bit limbs, the top one exact.
pub fn limb_widths(bits: u32) -> Vec<u32> {
    (0..bits.div_ceil(LIMB_BITS))
        .map(|j| (bits - LIMB_BITS * j).min(LIMB_BITS))
        .collect()
}

impl Gadget {
    pub fn value_bits(&self) -> u32 {
        bit_length((self.hi - self.lo) as u128)
    }

    /// `hi - z` is committed only when `[lo, hi]` is not a power-of-two range.
    pub fn has_v(&self) -> bool {
        !((self.hi - self.lo) as u128 + 1).is_power_of_two()
    }

    /// This gadget's columns in spec order.
    pub fn columns(&self, index: usize) -> Vec<Column> {
        let mut out = Vec::new();
        let mut push = |kind, bits: u32| {
            for (limb, width) in limb_widths(bits).into_iter().enumerate() {
                out.push(Column {
                    gadget: index,
                    kind,
                    limb,
                    width,
                });
            }
        };
        push(ColumnKind::U, self.value_bits());
        if self.has_v() {
            push(ColumnKind::V, self.value_bits());
        }
        push(ColumnKind::Rem, self.shift);
        push(ColumnKind::Ep, self.excess_hi_bits);
        push(ColumnKind::Em, self.excess_lo_bits);
        out
    }
}

impl Circuit {
    pub fn parse(json: &[u8]) -> Result<Self> {
        let c: Circuit = serde_json::from_slice(json)
            .map_err(|e| Error::InvalidArgument(format!("circuit JSON: {e}")))?;
        c.validate()?;
        Ok(c)
    }

    pub fn tensor(&self, name: &str) -> Result<&ModelTensor> {
        match self.model_stack.tensors.iter().find(|t| t.name == name) {
            Some(t) => Ok(t),
            None => invalid(format!("unknown model tensor {name}")),
        }
    }

    /// Features of a tensor reference.
    pub fn features(&self, t: TensorRef) -> usize {
        match t {
            TensorRef::Input => self.input.features,
            TensorRef::Gadget(g) => self.gadgets[g].features,
        }
    }

    fn validate(&self) -> Result<()> {
        if self.format != "zkml-circuit" || self.version != 1 {
            return invalid("unknown format or version");
        }
        let feat_ok = |n: usize| (1..=MAX_FEATURES).contains(&n);
        if !(1..=62).contains(&self.input.bits) {
            return invalid("input bits out of limits");
        }
        if !feat_ok(self.input.features) || !feat_ok(self.output.features) {
            return invalid("feature count out of limits");
        }
        if self.output.gadget >= self.gadgets.len()
            || self.gadgets[self.output.gadget].features != self.output.features
        {
            return invalid("output must name a gadget with its feature count");
        }
        let ms = &self.model_stack;
        if ms.num_vars > 30
            || ms.log_cols > ms.num_vars
            || !(1..=super::model_key::MAX_RANGE_BITS).contains(&ms.range_bits)
        {
            return invalid("model stack shape out of limits");
        }
        let mut slots: Vec<(usize, usize)> = Vec::new();
        for t in &ms.tensors {
            let size = t.slot_size();
            if t.rows == 0
                || t.cols == 0
                || t.offset % size != 0
                || t.offset + size > 1 << ms.num_vars
            {
                return invalid(format!(
                    "model tensor {} slot is not aligned inside the stack",
                    t.name
                ));
            }
            if slots
                .iter()
                .any(|(o, s)| t.offset < o + s && *o < t.offset + size)
            {
                return invalid(format!("model tensor {} overlaps another", t.name));
            }
            slots.push((t.offset, size));
        }
        for (i, g) in self.gadgets.iter().enumerate() {
            let refs_ok = |t: TensorRef| match t {
                TensorRef::Input => true,
                TensorRef::Gadget(j) => j < i,
            };
            if !feat_ok(g.features) || g.lo > g.hi || g.shift > MAX_BITS {
                return invalid(format!("gadget {i}: parameters out of limits"));
            }
            if g.excess_hi_bits > MAX_BITS
                || g.excess_lo_bits > MAX_BITS
                || g.value_bits() > MAX_BITS
            {
                return invalid(format!("gadget {i}: bit widths out of limits"));
            }
            match &g.producer {
                Producer::Dense {
                    x,
                    weight,
                    bias,
                    bias_shift,
                } => {
                    let w = self.tensor(weight)?;
                    if !refs_ok(*x)
                        || w.cols != self.features(*x)
                        || w.rows != g.features
                        || *bias_shift > MAX_BITS
                    {
                        return invalid(format!("gadget {i}: dense shapes do not match"));
                    }
                    if let Some(b) = bias {
                        let b = self.tensor(b)?;
                        if b.rows != 1 || b.cols != g.features {
                            return invalid(format!("gadget {i}: bias shape does not match"));
                        }
                    }
                }
                Producer::Add {
                    x,
                    y,
                    signs,
                    lshifts,
                } => {
                    let same = self.features(*x) == g.features && self.features(*y) == g.features;
                    let signs_ok = signs.iter().all(|s| *s == 1 || *s == -1);
                    if !refs_ok(*x)
                        || !refs_ok(*y)
                        || !same
                        || !signs_ok
                        || lshifts.iter().any(|l| *l > 32)
                    {
                        return invalid(format!("gadget {i}: add operands do not match"));
                    }
                }
                Producer::Identity { x } => {
                    if !refs_ok(*x) || self.features(*x) != g.features {
                        return invalid(format!("gadget {i}: identity operand does not match"));
                    }
                }
                Producer::Affine { terms } => {
                    let ok = (1..=8).contains(&terms.len())
                        && terms.iter().all(|(x, c)| {
                            refs_ok(*x)
                                && self.features(*x) == g.features
                                && c.unsigned_abs() < 1 << 40
                        });
                    if !ok {
                        return invalid(format!("gadget {i}: affine terms do not match"));
                    }
                }
            }
        }
        Ok(())
    }

    /// Every committed limb column, in spec order: gadgets in order, then the
    /// argmax differences.
    pub fn columns(&self) -> Vec<Column> {
        let mut out: Vec<Column> = self
            .gadgets
            .iter()
            .enumerate()
            .flat_map(|(i, g)| g.columns(i))
            .collect();
        if self.output.argmax {
            let lg = self.output.gadget;
            for (limb, width) in limb_widths(self.gadgets[lg].value_bits())
                .into_iter()
                .enumerate()
            {
                out.push(Column {
                    gadget: lg,
                    kind: ColumnKind::D,
                    limb,
                    width,
                });
            }
        }
        out
    }

    /// Byte width of the statement's input integers.
    pub fn input_width(&self) -> usize {
        let half = 1i128 << (self.input.bits - 1);
        int_width(-half, half - 1)
    }

    /// The statement's output range.
    pub fn output_range(&self) -> (i128, i128) {
        let g = &self.gadgets[self.output.gadget];
        if self.output.argmax {
            (0, self.output.features as i128 - 1)
        } else {
            (g.lo as i128, g.hi as i128)
        }
    }

    /// Values per example in the statement's output.
    pub fn output_len(&self) -> usize {
        if self.output.argmax {
            1
        } else {
            self.output.features
        }
    }

    /// log2 of a gadget tensor's padded length for batch `b`.
    pub fn gadget_vars(&self, g: usize, batch: usize) -> usize {
        log2(batch.next_power_of_two()) + log2(self.gadgets[g].features.next_power_of_two())
    }
}

/// The smallest of 1, 2, 4, 8 bytes whose two's complement range holds `[lo, hi]`.
pub fn int_width(lo: i128, hi: i128) -> usize {
    [1usize, 2, 4, 8]
        .into_iter()
        .find(|w| {
            let half = 1i128 << (8 * w - 1);
            -half <= lo && hi < half
        })
        .unwrap_or(8)
}

pub fn log2(n: usize) -> usize {
    n.trailing_zeros() as usize
}
