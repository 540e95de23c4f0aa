//! The circuit description (circuits/inference.md section 6): parsed from its
//! canonical JSON, validated, and expanded into committed columns and layouts.

use crate::pipeline::Axes;
use serde::Deserialize;

use crate::error::{Error, Result};

pub use super::producer::{Producer, ProducerJson, TensorRef};

use super::limits::{
    LIMB_BITS, MAX_ABS_BOUND, MAX_CIRCUIT_JSON_BYTES, MAX_DIVISOR, MAX_FRAC_BITS, MAX_GADGETS,
    MAX_INPUT_BITS, MAX_JSON_DEPTH, MAX_NUM_VARS,
};
pub use super::limits::{MAX_BITS, MAX_FEATURES, MAX_TABLE_BITS};

fn invalid<T>(msg: impl Into<String>) -> Result<T> {
    Err(Error::InvalidArgument(format!("circuit: {}", msg.into())))
}

/// The check id of a circuit description that does not parse or is outside the
/// limits (circuits/soundness.md section 6; the Python verifier's for a key's
/// circuit): every refusal of [`Circuit::parse`] is a format error with this id.
pub const CIRCUIT_CHECK: &str = "key.circuit";

/// A gadget's header and its producer: `P` is [`ProducerJson`] as read, then the
/// validated [`Producer`] (`Circuit::parse`).

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gadget<P = Producer> {
    pub producer: P,
    pub features: usize,
    pub shift: u32,
    pub lo: i64,
    pub hi: i64,
    pub excess_hi_bits: u32,
    pub excess_lo_bits: u32,
    /// Requantization by `divisor` instead of `2^shift` when `> 1` (nonlinear.md section 1).
    pub divisor: u64,
    pub frac_bits: i64,
    pub source: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    pub features: usize,
    pub bits: u32,
    pub frac_bits: i64,
    /// `null` (flat) or `[C, S_1(, S_2)]`; a required key (conv.md section 1).
    #[serde(deserialize_with = "required")]
    pub shape: Option<Vec<usize>>,
}

/// An `Option` whose key must be present (`null` allowed): `deserialize_with` turns
/// off serde's "missing means None" for `Option` fields.
pub(super) fn required<'de, D, T>(d: D) -> std::result::Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d)
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    pub gadget: usize,
    pub features: usize,
    /// The statement's output is the first argmax of each row (section 4b).
    pub argmax: bool,
    /// Present only as `true` (with `argmax`): the last argmax instead (section 4b). The
    /// prover's messages do not depend on it (the witness's `d` column does).
    #[serde(default)]
    pub argmax_last: Option<bool>,
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

/// The circuit description; `P` as in [`Gadget`].
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Circuit<P = Producer> {
    pub format: String,
    pub version: u32,
    /// Limb width `L` in `{8, 16}` (nonlinear.md section 5).
    pub limb_bits: u32,
    pub input: InputSpec,
    pub output: OutputSpec,
    pub gadgets: Vec<Gadget<P>>,
    pub model_stack: ModelStack,
    /// A hiding statement's input is not public (zk_inference.md 1.3): the input's `u`
    /// limbs are witness columns, after every other ([`Circuit::columns`]). Set by
    /// the hiding prover from the visibility word, never by the description.
    #[serde(skip)]
    pub private_input: bool,
}

/// The `gadget` index of the input's limb columns (zk_inference.md 1.3): no gadget's.
pub const INPUT_COLUMNS: usize = usize::MAX;

/// What a committed column holds (inference.md section 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    U,
    V,
    Rem,
    /// `d - 1 - rem` of a gadget with a divisor `d > 1` (nonlinear.md section 1).
    Remc,
    Ep,
    Em,
    /// ArgMax differences (section 4b), attributed to the output gadget.
    D,
    /// Maxpool difference `D_w = z - x_w` of window `w` (conv.md section 3).
    PoolDiff(usize),
    /// Maxpool selector `S_w` of window `w` (one 1-bit limb).
    PoolSel(usize),
    /// Rowmax difference `D = mask (z_b - x)` (of `x`'s length).
    RowDiff,
    /// Rowmax selector `S` (one 1-bit limb, of `x`'s length).
    RowSel,
    /// Rowdiv remainder `R`.
    DivRem,
    /// Rowdiv complement `Rc = 2 y_b - 1 - R`.
    DivRemc,
    /// A producer's own column group `k`, named by its module (max2's `A`, `B`), so
    /// a gadget's columns need no variant here.
    Op(usize),
}

/// One committed limb column of a gadget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    pub gadget: usize,
    pub kind: ColumnKind,
    pub limb: usize,
    pub width: u32,
    /// `log2` of the column's padded row width: the gadget's features, or for a
    /// rowmax's `D` and `S` its operand's width (nonlinear.md section 7).
    pub feat_vars: usize,
}

pub fn bit_length(m: u128) -> u32 {
    128 - m.leading_zeros()
}

/// Limb widths of a `bits`-wide value: `L`-bit limbs, the top one exact.
pub fn limb_widths(bits: u32, limb_bits: u32) -> Vec<u32> {
    (0..bits.div_ceil(limb_bits))
        .map(|j| (bits - limb_bits * j).min(limb_bits))
        .collect()
}

impl<P> Gadget<P> {
    /// The same header with another producer.
    pub fn with<Q>(&self, producer: Q) -> Gadget<Q> {
        Gadget {
            producer,
            features: self.features,
            shift: self.shift,
            lo: self.lo,
            hi: self.hi,
            excess_hi_bits: self.excess_hi_bits,
            excess_lo_bits: self.excess_lo_bits,
            divisor: self.divisor,
            frac_bits: self.frac_bits,
            source: self.source.clone(),
        }
    }

    pub fn value_bits(&self) -> u32 {
        bit_length((self.hi - self.lo) as u128)
    }

    /// `hi - z` is committed only when `[lo, hi]` is not a power-of-two range.
    pub fn has_v(&self) -> bool {
        !((self.hi - self.lo) as u128 + 1).is_power_of_two()
    }

    /// Width of `rem`: `shift`, or `bits(d - 1)` with a divisor `d > 1`.
    pub fn rem_bits(&self) -> u32 {
        if self.divisor > 1 {
            bit_length(self.divisor as u128 - 1)
        } else {
            self.shift
        }
    }

    /// Width of `remc = d - 1 - rem` (0 without a divisor).
    pub fn remc_bits(&self) -> u32 {
        if self.divisor > 1 {
            self.rem_bits()
        } else {
            0
        }
    }
}

impl<P> Circuit<P> {
    /// Limb widths of a `bits`-wide value with this circuit's `L`.
    pub fn limbs(&self, bits: u32) -> Vec<u32> {
        limb_widths(bits, self.limb_bits)
    }

    /// log2 of a column's length for batch `b`: its `(features, batch)` axes
    /// (pipeline.md, "Axes").
    pub fn column_vars(&self, s: &Column, batch: usize) -> usize {
        Axes::features_batch(s.feat_vars, batch).num_vars()
    }

    /// log2 of a tensor's padded length (`B' pad(width)`) for batch `b`.
    pub fn tensor_vars(&self, t: TensorRef, batch: usize) -> usize {
        Axes::features_batch(log2(self.width(t).next_power_of_two()), batch).num_vars()
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

    /// Width of a tensor reference (conv.md section 1): a gadget's features; the
    /// input's padded spatial size when it has a shape, else its features.
    pub fn width(&self, t: TensorRef) -> usize {
        match t {
            TensorRef::Input => match &self.input.shape {
                Some(shape) => shape.iter().map(|d| d.next_power_of_two()).product(),
                None => self.input.features,
            },
            TensorRef::Gadget(g) => self.gadgets[g].features,
        }
    }

    /// The value range `[lo, hi]` of a tensor: a gadget's, or the input's
    /// `[-2^(b-1), 2^(b-1) - 1]`.
    pub fn range(&self, t: TensorRef) -> (i64, i64) {
        match t {
            TensorRef::Input => {
                let half = 1i64 << (self.input.bits - 1);
                (-half, half - 1)
            }
            TensorRef::Gadget(g) => (self.gadgets[g].lo, self.gadgets[g].hi),
        }
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
        let fv = log2(self.gadgets[g].features.next_power_of_two());
        Axes::features_batch(fv, batch).num_vars()
    }
}

impl Circuit {
    /// Gadget `index`'s columns in spec order: the common ones, then its producer's.
    pub fn gadget_columns(&self, index: usize) -> Vec<Column> {
        let g = &self.gadgets[index];
        let own_vars = log2(g.features.next_power_of_two());
        let mut out = Vec::new();
        let mut push = |kind, bits: u32, feat_vars: usize| {
            for (limb, width) in self.limbs(bits).into_iter().enumerate() {
                out.push(Column {
                    gadget: index,
                    kind,
                    limb,
                    width,
                    feat_vars,
                });
            }
        };
        push(ColumnKind::U, g.value_bits(), own_vars);
        if g.has_v() {
            push(ColumnKind::V, g.value_bits(), own_vars);
        }
        push(ColumnKind::Rem, g.rem_bits(), own_vars);
        push(ColumnKind::Remc, g.remc_bits(), own_vars);
        push(ColumnKind::Ep, g.excess_hi_bits, own_vars);
        push(ColumnKind::Em, g.excess_lo_bits, own_vars);
        for (kind, bits, over) in g.producer.extra_columns() {
            let vars = over.map_or(own_vars, |t| log2(self.width(t).next_power_of_two()));
            push(kind, bits, vars);
        }
        out
    }

    /// Parse and validate a circuit description; every refusal is a format error
    /// with the id [`CIRCUIT_CHECK`] (the description is data, not the caller's sizes).
    pub fn parse(json: &[u8]) -> Result<Self> {
        Self::parse_checked(json).map_err(|e| match e {
            Error::InvalidArgument(detail) => Error::Format {
                check: CIRCUIT_CHECK,
                detail,
            },
            other => other,
        })
    }

    fn parse_checked(json: &[u8]) -> Result<Self> {
        if json.len() > MAX_CIRCUIT_JSON_BYTES {
            return invalid(format!(
                "JSON of {} bytes exceeds {MAX_CIRCUIT_JSON_BYTES}",
                json.len()
            ));
        }
        if json_depth(json) > MAX_JSON_DEPTH {
            return invalid(format!("JSON nested deeper than {MAX_JSON_DEPTH}"));
        }
        let c: Circuit<ProducerJson> = serde_json::from_slice(json)
            .map_err(|e| Error::InvalidArgument(format!("circuit JSON: {e}")))?;
        c.validate()?;
        c.build()
    }

    /// Every committed limb column, in spec order: gadgets in order, then the
    /// argmax differences.
    pub fn columns(&self) -> Vec<Column> {
        let mut out: Vec<Column> = self
            .gadgets
            .iter()
            .enumerate()
            .flat_map(|(i, _)| self.gadget_columns(i))
            .collect();
        if self.output.argmax {
            let lg = self.output.gadget;
            let feat_vars = log2(self.gadgets[lg].features.next_power_of_two());
            for (limb, width) in self
                .limbs(self.gadgets[lg].value_bits())
                .into_iter()
                .enumerate()
            {
                out.push(Column {
                    gadget: lg,
                    kind: ColumnKind::D,
                    limb,
                    width,
                    feat_vars,
                });
            }
        }
        out.extend(self.input_columns());
        out
    }

    /// A private input's `u` limb columns (zk_inference.md 1.3): `x - lo` over the
    /// input's padded table, `bits` wide; none for a public input.
    pub fn input_columns(&self) -> Vec<Column> {
        if !self.private_input {
            return Vec::new();
        }
        let feat_vars = log2(self.width(TensorRef::Input).next_power_of_two());
        self.limbs(self.input.bits)
            .into_iter()
            .enumerate()
            .map(|(limb, width)| Column {
                gadget: INPUT_COLUMNS,
                kind: ColumnKind::U,
                limb,
                width,
                feat_vars,
            })
            .collect()
    }
}

impl Circuit<ProducerJson> {
    /// The checks of the description before its producers' (inference.md section 6).
    fn validate(&self) -> Result<()> {
        if self.format != "zkml-circuit" || self.version != 1 {
            return invalid("unknown format or version");
        }
        if !LIMB_BITS.contains(&self.limb_bits) {
            return invalid("limb_bits must be 8 or 16");
        }
        let feat_ok = |n: usize| (1..=MAX_FEATURES).contains(&n);
        let frac_ok = |f: i64| (-MAX_FRAC_BITS..=MAX_FRAC_BITS).contains(&f);
        if !(1..=MAX_INPUT_BITS).contains(&self.input.bits) || !frac_ok(self.input.frac_bits) {
            return invalid("input bits or frac_bits out of limits");
        }
        if !(1..=MAX_GADGETS).contains(&self.gadgets.len()) {
            return invalid(format!("a circuit has 1 to {MAX_GADGETS} gadgets"));
        }
        if !feat_ok(self.input.features) || !feat_ok(self.output.features) {
            return invalid("feature count out of limits");
        }
        if let Some(shape) = &self.input.shape {
            let ok = (2..=3).contains(&shape.len())
                && padded_size(shape).is_some_and(feat_ok)
                && shape.iter().product::<usize>() == self.input.features;
            if !ok {
                return invalid("input shape does not match its features");
            }
        }
        if self.output.gadget >= self.gadgets.len()
            || self.gadgets[self.output.gadget].features != self.output.features
        {
            return invalid("output must name a gadget with its feature count");
        }
        if self
            .output
            .argmax_last
            .is_some_and(|last| !last || !self.output.argmax)
        {
            return invalid("output.argmax_last, when present, must be true with argmax true");
        }
        // conv.md, rearrange.md section 5: no spatial tensor may be the output.
        if let Some(why) = self.gadgets[self.output.gadget].producer.output_refusal() {
            return invalid(why);
        }
        self.check_model_stack()
    }

    /// The model stack's shape and its tensors' slots (inference.md section 6).
    fn check_model_stack(&self) -> Result<()> {
        let ms = &self.model_stack;
        if !(1..=MAX_NUM_VARS).contains(&ms.num_vars)
            || ms.log_cols > ms.num_vars
            || !(1..=super::limits::MAX_RANGE_BITS).contains(&ms.range_bits)
        {
            return invalid("model stack shape out of limits");
        }
        let mut slots: Vec<(usize, usize)> = Vec::new();
        for (j, t) in ms.tensors.iter().enumerate() {
            if t.name.is_empty() || ms.tensors[..j].iter().any(|u| u.name == t.name) {
                return invalid(format!("model tensor {j} has an empty or repeated name"));
            }
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
        Ok(())
    }

    /// Gadget `i`'s header: features, bounds, shifts, divisor and bit widths.
    fn check_gadget(&self, i: usize, g: &Gadget<ProducerJson>) -> Result<()> {
        let feat_ok = |n: usize| (1..=MAX_FEATURES).contains(&n);
        let frac_ok = |f: i64| (-MAX_FRAC_BITS..=MAX_FRAC_BITS).contains(&f);
        let bound_ok = |v: i64| v.unsigned_abs() < MAX_ABS_BOUND as u64;
        if !feat_ok(g.features)
            || g.lo > g.hi
            || !bound_ok(g.lo)
            || !bound_ok(g.hi)
            || g.shift > MAX_BITS
            || !frac_ok(g.frac_bits)
        {
            return invalid(format!("gadget {i}: parameters out of limits"));
        }
        if !(1..MAX_DIVISOR).contains(&g.divisor) || (g.divisor > 1 && g.shift != 0) {
            return invalid(format!("gadget {i}: divisor out of limits or with a shift"));
        }
        if g.excess_hi_bits > MAX_BITS || g.excess_lo_bits > MAX_BITS || g.value_bits() > MAX_BITS {
            return invalid(format!("gadget {i}: bit widths out of limits"));
        }
        Ok(())
    }

    /// Every gadget checked, its producer validated and built, in gadget order
    /// (producer.rs).
    fn build(self) -> Result<Circuit> {
        let gadgets = (0..self.gadgets.len())
            .map(|i| {
                let g = &self.gadgets[i];
                self.check_gadget(i, g)?;
                Ok(g.with(g.producer.build(&self, i, g)?))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Circuit {
            format: self.format,
            version: self.version,
            limb_bits: self.limb_bits,
            input: self.input,
            output: self.output,
            gadgets,
            model_stack: self.model_stack,
            private_input: false,
        })
    }
}

/// How deep objects and lists nest in JSON text (brackets inside strings skipped), so
/// deep input is refused before serde recurses into it.
pub fn json_depth(json: &[u8]) -> usize {
    let (mut depth, mut max, mut in_str, mut escaped) = (0usize, 0usize, false, false);
    for &b in json {
        if in_str {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// `prod pad(d)` over dims, `None` on overflow or a zero dim.
pub fn padded_size(dims: &[usize]) -> Option<usize> {
    dims.iter().try_fold(1usize, |acc, &d| {
        if d == 0 || d > 1 << 24 {
            None
        } else {
            acc.checked_mul(d.next_power_of_two())
        }
    })
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
