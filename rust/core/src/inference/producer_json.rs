//! A producer as its JSON states it (circuits/inference.md section 6, conv.md,
//! nonlinear.md, rearrange.md): exactly the keys of each op, read by serde before any
//! check. `Circuit::parse` turns each into its validated `Producer` (producer.rs).

use serde::Deserialize;

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
pub enum ProducerJson {
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
    Winsum(super::window::WindowJson),
    #[serde(deserialize_with = "super::window::winmax")]
    Winmax(super::window::WindowJson),
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
    /// `acc = dir max(dir sx 2^lx x, dir sy 2^ly y)` (circuits/max.md; gadgets/max2.rs).
    Max2(super::gadgets::max2::Max2),
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

impl ProducerJson {
    /// Whether this producer writes a spatial tensor with padding the statement
    /// could not carry (conv.md: such a gadget may not be the output).
    pub fn is_spatial(&self) -> bool {
        matches!(
            self,
            ProducerJson::Conv { .. }
                | ProducerJson::Sumpool { .. }
                | ProducerJson::Maxpool { .. }
                | ProducerJson::Winsum(_)
                | ProducerJson::Winmax(_)
        )
    }

    /// The single operand of a conv or pooling gadget.
    pub fn x_ref(&self) -> Option<TensorRef> {
        match self {
            ProducerJson::Conv { x, .. }
            | ProducerJson::Sumpool { x, .. }
            | ProducerJson::Maxpool { x, .. } => Some(*x),
            ProducerJson::Winsum(w) | ProducerJson::Winmax(w) => Some(w.x),
            _ => None,
        }
    }
}
