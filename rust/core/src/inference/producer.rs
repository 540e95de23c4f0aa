//! Gadget producers (circuits/inference.md section 6, conv.md, nonlinear.md,
//! rearrange.md): what writes each gadget's accumulator, validated. Every op is one
//! [`Op`], the struct its JSON reads into; the parser builds each producer once from
//! it (`ProducerJson::build`; the op's checks delegated to the modules proving it),
//! with what the checks derived (geometry, group sizes, index maps, table tensors), so
//! a prover takes its producer as it is and never re-checks.

use serde::Deserialize;

use super::circuit::{padded_size, Circuit, ColumnKind, Gadget, MAX_BITS};
use super::gadgets::GadgetProver;
use crate::error::{Error, Result};

pub use super::combine::Concat;
pub use super::gadgets::{Producer, ProducerJson};
pub use super::rearrange::Rearrange;
pub use super::rowops::{Rowdiv, Rowmax};
pub use super::spatial::{Conv, Geom, Pool};
pub use super::table::Table;
pub use super::window::Window;

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

/// One op of the circuit JSON, implemented by the struct its JSON reads into (exactly
/// its keys: `#[serde(deny_unknown_fields)]`).
///
/// A new gadget (gadgets/max2.rs is the example): in `gadgets/<op>.rs`, its JSON
/// struct, `impl Op` for it and its [`GadgetProver`]; then, in gadgets/mod.rs, `pub mod
/// <op>;` and ONE line `"<op>" => Variant(<op>::Type),` in the `producers!` list, which
/// generates [`ProducerJson`], [`Producer`] and every dispatch on them (`build`,
/// `output_refusal`, `op_name`, `extra_columns`, `prover`, the test kits'
/// `reference`). No other file changes.
///
/// The ops that were struct variants of `ProducerJson` before this trait set serde's
/// `expecting` to the wording it gave those variants, so that every refusal of a
/// malformed producer reads as it did.
pub trait Op: Clone + std::fmt::Debug + serde::de::DeserializeOwned {
    /// The validated producer, the payload of the op's [`Producer`] variant (one type
    /// may serve two ops: a sumpool's and a maxpool's [`Pool`]).
    type Valid: Clone + std::fmt::Debug;

    /// Gadget `i`'s checks (operands are earlier tensors, shapes match the referenced
    /// tensors and the gadget's features), and its validated producer.
    fn build(
        &self,
        c: &Circuit<ProducerJson>,
        i: usize,
        g: &Gadget<ProducerJson>,
    ) -> Result<Self::Valid>;

    /// Why this producer may not be the output gadget, checked before any producer
    /// is built (conv.md: a spatial tensor has padding the statement cannot carry).
    fn output_refusal(&self) -> Option<&'static str> {
        None
    }

    /// The columns the producer commits after the common ones, in spec order.
    fn extra_columns(_p: &Self::Valid) -> Vec<ExtraColumn> {
        Vec::new()
    }

    /// Gadget `g`'s prover, taking its validated producer as it is.
    fn prover<'a>(g: usize, p: &'a Self::Valid) -> Box<dyn GadgetProver + 'a>;

    /// The honest accumulator and extra columns over the operands' integer tables
    /// (the test kits' witness, testkit.rs).
    #[cfg(any(test, feature = "testkit"))]
    fn reference<'a>(
        p: &'a Self::Valid,
        cx: &super::testkit::RefCx<'_>,
    ) -> super::testkit::Reference<'a>;
}

/// Declares, from the one list of ops (`"tag" => Variant(Type),` each `Type` an
/// [`Op`]; gadgets/mod.rs), [`ProducerJson`], [`Producer`] and their dispatch. The
/// list's order is serde's (its message for an unknown op names the tags in order).
macro_rules! producers {
    ($($(#[$doc:meta])* $name:literal => $variant:ident($json:ty),)*) => {
        /// A producer as its JSON states it: the `"op"` tag, then exactly the keys of
        /// that op's struct, read by serde before any check.
        #[derive(Clone, Debug, serde::Deserialize)]
        #[serde(tag = "op")]
        pub enum ProducerJson {
            $($(#[$doc])* #[serde(rename = $name)] $variant($json),)*
        }

        /// A validated producer: one named struct per op.
        #[derive(Clone, Debug)]
        pub enum Producer {
            $($(#[$doc])* $variant(<$json as $crate::inference::producer::Op>::Valid),)*
        }

        impl ProducerJson {
            /// Gadget `i`'s producer from its JSON, after its checks (`Op::build`).
            pub fn build(
                &self,
                c: &$crate::inference::circuit::Circuit<ProducerJson>,
                i: usize,
                g: &$crate::inference::circuit::Gadget<ProducerJson>,
            ) -> $crate::error::Result<Producer> {
                use $crate::inference::producer::Op;
                match self {
                    $(ProducerJson::$variant(p) => p.build(c, i, g).map(Producer::$variant),)*
                }
            }

            /// Why this producer may not be the output gadget (`Op::output_refusal`).
            pub fn output_refusal(&self) -> Option<&'static str> {
                use $crate::inference::producer::Op;
                match self {
                    $(ProducerJson::$variant(p) => p.output_refusal(),)*
                }
            }
        }

        impl Producer {
            /// The op's name in the circuit JSON.
            pub fn op_name(&self) -> &'static str {
                match self {
                    $(Producer::$variant(_) => $name,)*
                }
            }

            /// The columns the producer commits after the common ones, in spec order: a
            /// max's differences and selectors, a rowmax's `D`, `S`, a rowdiv's `R`, `Rc`.
            pub fn extra_columns(&self) -> Vec<$crate::inference::producer::ExtraColumn> {
                use $crate::inference::producer::Op;
                match self {
                    $(Producer::$variant(p) => <$json>::extra_columns(p),)*
                }
            }

            /// Gadget `g`'s prover (`Op::prover`).
            pub fn prover(
                &self,
                g: usize,
            ) -> Box<dyn $crate::inference::gadgets::GadgetProver + '_> {
                use $crate::inference::producer::Op;
                match self {
                    $(Producer::$variant(p) => <$json>::prover(g, p),)*
                }
            }

            /// The honest accumulator and extra columns (`Op::reference`).
            #[cfg(any(test, feature = "testkit"))]
            pub fn reference(
                &self,
                cx: &$crate::inference::testkit::RefCx<'_>,
            ) -> $crate::inference::testkit::Reference<'_> {
                use $crate::inference::producer::Op;
                match self {
                    $(Producer::$variant(p) => <$json>::reference(p, cx),)*
                }
            }
        }
    };
}
pub(crate) use producers;

// The ops whose JSON struct is their validated producer (their `Op` impls beside
// their provers in gadgets/).

/// `dense`: `acc = W x + 2^bias_shift b` (inference.md section 6).
#[derive(Clone, Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "struct variant ProducerJson::Dense with 4 elements"
)]
pub struct Dense {
    pub x: TensorRef,
    pub weight: String,
    #[serde(deserialize_with = "super::circuit::required")]
    pub bias: Option<String>,
    /// The stored bias is `bias / 2^bias_shift`: the accumulator adds `2^bias_shift * bias`.
    pub bias_shift: u32,
}

/// `add`: `acc = sa 2^la x + sb 2^lb y`, `y` possibly a row value (nonlinear.md 6, 12).
#[derive(Clone, Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "struct variant ProducerJson::Add with 4 elements"
)]
pub struct Add {
    pub x: TensorRef,
    pub y: TensorRef,
    pub signs: [i64; 2],
    pub lshifts: [u32; 2],
}

/// `identity`: `acc = x`.
#[derive(Clone, Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "struct variant ProducerJson::Identity with 1 element"
)]
pub struct Identity {
    pub x: TensorRef,
}

/// `affine`: `acc = sum_k c_k x_k` (LeakyRelu lowers to three of these).
#[derive(Clone, Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "struct variant ProducerJson::Affine with 1 element"
)]
pub struct Affine {
    pub terms: Vec<(TensorRef, i64)>,
}

/// `mul`: `acc = x y` elementwise (nonlinear.md section 8; product.rs).
#[derive(Clone, Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "struct variant ProducerJson::Mul with 2 elements"
)]
pub struct Mul {
    pub x: TensorRef,
    pub y: TensorRef,
}

/// `addconst`: `acc = 2^lshift x + C[f]`, `C` a model-stack row (nonlinear.md 10).
#[derive(Clone, Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "struct variant ProducerJson::Addconst with 3 elements"
)]
pub struct Addconst {
    pub x: TensorRef,
    pub c: String,
    pub lshift: u32,
}

/// `spatialsum`: `acc = 2^lshift sum_s x` over each channel's real region
/// (nonlinear.md section 2): a flat output with `features = C`.
#[derive(Clone, Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "struct variant ProducerJson::Spatialsum with 3 elements"
)]
pub struct Spatialsum {
    pub x: TensorRef,
    pub in_shape: Vec<usize>,
    pub lshift: u32,
}

impl Spatialsum {
    /// The real spatial sizes `(S_1, S_2)` (1-D: `(1, S_1)`).
    pub fn dims(&self) -> (usize, usize) {
        super::spatialsum::spatial_dims(&self.in_shape)
    }
}

/// A committed column a producer adds after the common ones: its kind, width and
/// the tensor whose length it has (`None`: the gadget's own).
pub type ExtraColumn = (ColumnKind, u32, Option<TensorRef>);

impl Producer {
    /// The geometry of a conv, pooling or window gadget.
    pub fn geom(&self) -> Option<&Geom> {
        match self {
            Producer::Conv(p) => Some(&p.geo),
            Producer::Sumpool(p) | Producer::Maxpool(p) => Some(&p.geo),
            Producer::Winsum(w) | Producer::Winmax(w) => Some(&w.geo),
            _ => None,
        }
    }

    /// The number of pooling windows (taps) `prod K_a` (0 for other producers).
    pub fn windows(&self) -> usize {
        match self {
            Producer::Sumpool(p) | Producer::Maxpool(p) => p.geo.taps(),
            Producer::Winsum(w) | Producer::Winmax(w) => w.geo.taps(),
            _ => 0,
        }
    }
}

/// Whether `t` is the input or a gadget before gadget `i`.
pub fn earlier(i: usize, t: TensorRef) -> bool {
    match t {
        TensorRef::Input => true,
        TensorRef::Gadget(j) => j < i,
    }
}

/// A dense gadget `i`: `weight` is `features x width(x)`, a bias `1 x features`.
pub fn dense(
    c: &Circuit<ProducerJson>,
    i: usize,
    g: &Gadget<ProducerJson>,
    p: &Dense,
) -> Result<Dense> {
    let w = c.tensor(&p.weight)?;
    if !earlier(i, p.x) || w.cols != c.width(p.x) || w.rows != g.features || p.bias_shift > MAX_BITS
    {
        return invalid(format!("gadget {i}: dense shapes do not match"));
    }
    if let Some(b) = &p.bias {
        let b = c.tensor(b)?;
        if b.rows != 1 || b.cols != g.features {
            return invalid(format!("gadget {i}: bias shape does not match"));
        }
    }
    Ok(p.clone())
}

/// A spatialsum gadget `i`: a `[C, S_1(, S_2)]` operand and `features = C`.
pub fn spatialsum(
    c: &Circuit<ProducerJson>,
    i: usize,
    g: &Gadget<ProducerJson>,
    p: &Spatialsum,
) -> Result<Spatialsum> {
    let ok = earlier(i, p.x)
        && (2..=3).contains(&p.in_shape.len())
        && padded_size(&p.in_shape) == Some(c.width(p.x).next_power_of_two())
        && g.features == p.in_shape[0]
        && p.lshift <= MAX_BITS;
    if !ok {
        return invalid(format!("gadget {i}: spatialsum shapes do not match"));
    }
    Ok(p.clone())
}
