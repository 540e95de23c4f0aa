//! Gadget producers (circuits/inference.md section 6, conv.md, nonlinear.md,
//! rearrange.md): what writes each gadget's accumulator, as parsed from the
//! circuit's JSON, and the per-producer checks of `Circuit::validate` (the
//! producer-specific ones delegated to the modules proving them).

use serde::Deserialize;

use super::circuit::{padded_size, Circuit, Gadget, MAX_BITS};
use crate::error::{Error, Result};

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
        #[serde(deserialize_with = "super::circuit::required")]
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
    /// A 1-D or 2-D convolution (circuits/conv.md section 2).
    Conv {
        x: TensorRef,
        weight: String,
        #[serde(deserialize_with = "super::circuit::required")]
        bias: Option<String>,
        bias_shift: u32,
        in_shape: Vec<usize>,
        out_shape: Vec<usize>,
        kernel: Vec<usize>,
        strides: Vec<usize>,
        dilations: Vec<usize>,
        pads: Vec<usize>,
    },
    /// Sum over power-of-two windows, `acc = 2^lshift sum_w x_w` (conv.md section 3).
    Sumpool {
        x: TensorRef,
        in_shape: Vec<usize>,
        out_shape: Vec<usize>,
        window: Vec<usize>,
        lshift: u32,
    },
    /// Max over power-of-two windows with committed differences and selectors.
    Maxpool {
        x: TensorRef,
        in_shape: Vec<usize>,
        out_shape: Vec<usize>,
        window: Vec<usize>,
        diff_bits: u32,
    },
    /// Sum over the real spatial region of each channel, `acc = 2^lshift sum_s x`
    /// (circuits/nonlinear.md section 2): a flat output with `features = C`.
    Spatialsum {
        x: TensorRef,
        in_shape: Vec<usize>,
        lshift: u32,
    },
    /// `z = T[x - lo_x]` for the public table `T` in the model stack (nonlinear.md
    /// section 3): a lookup of pairs, no relation at the accumulator point.
    Table {
        x: TensorRef,
        table: String,
    },
    /// General pooling windows through the wiring (conv.md section 5; window.rs).
    #[serde(deserialize_with = "super::window::winsum")]
    Winsum(super::window::Window),
    #[serde(deserialize_with = "super::window::winmax")]
    Winmax(super::window::Window),
    /// `z[g][b] = max_{i < n} x[b][i + P g]` with committed differences `D` and
    /// selectors `S` of `x`'s length (nonlinear.md sections 7, 12).
    Rowmax {
        x: TensorRef,
        n: usize,
        diff_bits: u32,
    },
    /// `acc = x y` elementwise (nonlinear.md section 8; product.rs).
    Mul {
        x: TensorRef,
        y: TensorRef,
    },
    /// `q = round(2^lshift x / y_b)` for a row value `y` (one value per group and
    /// batch row), with committed `R`, `Rc` (nonlinear.md sections 7, 12).
    Rowdiv {
        x: TensorRef,
        y: TensorRef,
        lshift: u32,
        rem_bits: u32,
    },
    /// `acc = dir max(dir sx 2^lx x, dir sy 2^ly y)` elementwise with committed
    /// differences `A`, `B` (circuits/max.md; gadgets/max2.rs).
    Max2 {
        x: TensorRef,
        y: TensorRef,
        signs: [i64; 2],
        lshifts: [u32; 2],
        dir: i64,
        diff_bits: u32,
    },
    /// `acc = 2^lshift x + C[f]` with `C` a model-stack row (nonlinear.md section 10).
    Addconst {
        x: TensorRef,
        c: String,
        lshift: u32,
    },
    /// Concatenation along channels (nonlinear.md section 11; combine.rs).
    Concat {
        parts: Vec<TensorRef>,
        shapes: Vec<Vec<usize>>,
    },
    /// A public gather (transpose, reshape, concat along any axis, broadcast,
    /// choice by region) described by blocks tiling the output's index space
    /// (circuits/rearrange.md; rearrange.rs).
    Rearrange {
        parts: Vec<TensorRef>,
        shapes: Vec<Vec<usize>>,
        out_shape: Vec<usize>,
        dims: Vec<usize>,
        blocks: Vec<super::rearrange::Block>,
    },
}

impl Producer {
    /// Whether this producer writes a spatial tensor with padding the statement
    /// could not carry (conv.md: such a gadget may not be the output).
    pub fn is_spatial(&self) -> bool {
        matches!(
            self,
            Producer::Conv { .. }
                | Producer::Sumpool { .. }
                | Producer::Maxpool { .. }
                | Producer::Winsum(_)
                | Producer::Winmax(_)
        )
    }

    /// The single operand of a conv or pooling gadget.
    pub fn x_ref(&self) -> Option<TensorRef> {
        match self {
            Producer::Conv { x, .. }
            | Producer::Sumpool { x, .. }
            | Producer::Maxpool { x, .. } => Some(*x),
            Producer::Winsum(w) | Producer::Winmax(w) => Some(w.x),
            _ => None,
        }
    }

    /// The number of pooling windows `prod K_a` (0 for other producers).
    pub fn windows(&self) -> usize {
        match self {
            Producer::Sumpool { window, .. } | Producer::Maxpool { window, .. } => {
                window.iter().product()
            }
            Producer::Winsum(w) | Producer::Winmax(w) => w.kernel.iter().product(),
            _ => 0,
        }
    }
}

/// The checks of gadget `i`'s producer: operands are earlier tensors, and shapes
/// match the referenced tensors and the gadget's features.
pub fn validate(c: &Circuit, i: usize, g: &Gadget) -> Result<()> {
    let refs_ok = |t: TensorRef| match t {
        TensorRef::Input => true,
        TensorRef::Gadget(j) => j < i,
    };
    match &g.producer {
        Producer::Dense {
            x,
            weight,
            bias,
            bias_shift,
        } => {
            let w = c.tensor(weight)?;
            if !refs_ok(*x)
                || w.cols != c.width(*x)
                || w.rows != g.features
                || *bias_shift > MAX_BITS
            {
                return invalid(format!("gadget {i}: dense shapes do not match"));
            }
            if let Some(b) = bias {
                let b = c.tensor(b)?;
                if b.rows != 1 || b.cols != g.features {
                    return invalid(format!("gadget {i}: bias shape does not match"));
                }
            }
        }
        Producer::Rowmax { .. } | Producer::Rowdiv { .. } => {
            super::rowops::validate(c, i, g)?;
        }
        Producer::Add { .. }
        | Producer::Identity { .. }
        | Producer::Affine { .. }
        | Producer::Mul { .. } => super::product::validate(c, i, g)?,
        Producer::Addconst { .. } | Producer::Concat { .. } => {
            super::combine::validate(c, i, g)?;
        }
        Producer::Rearrange { .. } => super::rearrange::validate(c, i, g)?,
        Producer::Max2 { .. } => super::gadgets::max2::validate(c, i, g)?,
        Producer::Spatialsum {
            x,
            in_shape,
            lshift,
        } => {
            let ok = refs_ok(*x)
                && (2..=3).contains(&in_shape.len())
                && padded_size(in_shape) == Some(c.width(*x).next_power_of_two())
                && g.features == in_shape[0]
                && *lshift <= MAX_BITS;
            if !ok {
                return invalid(format!("gadget {i}: spatialsum shapes do not match"));
            }
        }
        Producer::Table { x, table } => {
            if !refs_ok(*x) {
                return invalid(format!("gadget {i}: operand is not an earlier tensor"));
            }
            super::table::validate(c, i, g, *x, table)?;
        }
        Producer::Conv { .. }
        | Producer::Sumpool { .. }
        | Producer::Maxpool { .. }
        | Producer::Winsum(_)
        | Producer::Winmax(_) => {
            if !g.producer.x_ref().is_some_and(refs_ok) {
                return invalid(format!("gadget {i}: operand is not an earlier tensor"));
            }
            super::spatial::validate(c, i, g)?;
        }
    }
    Ok(())
}
