//! Gadget producers (circuits/inference.md section 6, conv.md, nonlinear.md,
//! rearrange.md): what writes each gadget's accumulator, validated. The parser builds
//! each once from its JSON ([`build`]; the producer-specific checks delegated to the
//! modules proving them), with what the checks derived (geometry, group sizes, index
//! maps, table tensors), so a prover takes its producer as it is and never re-checks.

use super::circuit::{padded_size, Circuit, ColumnKind, Gadget, MAX_BITS};
use crate::error::{Error, Result};

pub use super::combine::Concat;
pub use super::gadgets::max2::Max2;
pub use super::producer_json::{ProducerJson, TensorRef};
pub use super::rearrange::Rearrange;
pub use super::rowops::{Rowdiv, Rowmax};
pub use super::spatial::{Conv, Geom, Pool};
pub use super::table::Table;
pub use super::window::Window;

fn invalid<T>(msg: impl Into<String>) -> Result<T> {
    Err(Error::InvalidArgument(format!("circuit: {}", msg.into())))
}

/// `dense`: `acc = W x + 2^bias_shift b` (inference.md section 6).
#[derive(Clone, Debug)]
pub struct Dense {
    pub x: TensorRef,
    pub weight: String,
    pub bias: Option<String>,
    /// The stored bias is `bias / 2^bias_shift`: the accumulator adds `2^bias_shift * bias`.
    pub bias_shift: u32,
}

/// `add`: `acc = sa 2^la x + sb 2^lb y`, `y` possibly a row value (nonlinear.md 6, 12).
#[derive(Clone, Debug)]
pub struct Add {
    pub x: TensorRef,
    pub y: TensorRef,
    pub signs: [i64; 2],
    pub lshifts: [u32; 2],
}

/// `identity`: `acc = x`.
#[derive(Clone, Debug)]
pub struct Identity {
    pub x: TensorRef,
}

/// `affine`: `acc = sum_k c_k x_k` (LeakyRelu lowers to three of these).
#[derive(Clone, Debug)]
pub struct Affine {
    pub terms: Vec<(TensorRef, i64)>,
}

/// `mul`: `acc = x y` elementwise (nonlinear.md section 8; product.rs).
#[derive(Clone, Debug)]
pub struct Mul {
    pub x: TensorRef,
    pub y: TensorRef,
}

/// `addconst`: `acc = 2^lshift x + C[f]`, `C` a model-stack row (nonlinear.md 10).
#[derive(Clone, Debug)]
pub struct Addconst {
    pub x: TensorRef,
    pub c: String,
    pub lshift: u32,
}

/// `spatialsum`: `acc = 2^lshift sum_s x` over each channel's real region
/// (nonlinear.md section 2): a flat output with `features = C`.
#[derive(Clone, Debug)]
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

/// Declares [`Producer`], one variant per op with its circuit-JSON name beside it, and
/// [`Producer::op_name`] from those names: a new op is one line of `producers!`.
macro_rules! producers {
    ($($(#[$doc:meta])* $name:literal => $variant:ident($ty:ty),)*) => {
        /// A validated producer: one named struct per op.
        #[derive(Clone, Debug)]
        pub enum Producer {
            $($(#[$doc])* $variant($ty),)*
        }

        impl Producer {
            /// The op's name in the circuit JSON.
            pub fn op_name(&self) -> &'static str {
                match self {
                    $(Producer::$variant(_) => $name,)*
                }
            }
        }
    };
}

producers! {
    "dense" => Dense(Dense),
    "add" => Add(Add),
    "identity" => Identity(Identity),
    "affine" => Affine(Affine),
    /// A 1-D or 2-D convolution (circuits/conv.md section 2).
    "conv" => Conv(Conv),
    /// Sum over power-of-two windows, `acc = 2^lshift sum_w x_w` (conv.md section 3).
    "sumpool" => Sumpool(Pool),
    /// Max over power-of-two windows with committed differences and selectors.
    "maxpool" => Maxpool(Pool),
    "spatialsum" => Spatialsum(Spatialsum),
    /// `z = T[x - lo_x]` for a public table in the model stack (nonlinear.md 3).
    "table" => Table(Table),
    /// General pooling windows through the wiring (conv.md section 5; window.rs).
    "winsum" => Winsum(Window),
    "winmax" => Winmax(Window),
    /// `z[g][b] = max_{i < n} x[b][i + P g]` (nonlinear.md sections 7, 12).
    "rowmax" => Rowmax(Rowmax),
    "mul" => Mul(Mul),
    /// `q = round(2^lshift x / y_b)` for a row value `y` (nonlinear.md 7, 12).
    "rowdiv" => Rowdiv(Rowdiv),
    "addconst" => Addconst(Addconst),
    /// `acc = dir max(dir sx 2^lx x, dir sy 2^ly y)` (circuits/max.md; gadgets/max2.rs).
    "max2" => Max2(Max2),
    /// Concatenation along channels (nonlinear.md section 11; combine.rs).
    "concat" => Concat(Concat),
    /// A public gather described by blocks (circuits/rearrange.md; rearrange.rs).
    "rearrange" => Rearrange(Rearrange),
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

    /// The columns the producer commits after the common ones, in spec order: a
    /// max's differences and selectors, a rowmax's `D`, `S`, a rowdiv's `R`, `Rc`.
    pub fn extra_columns(&self) -> Vec<ExtraColumn> {
        match self {
            Producer::Maxpool(p) => super::spatial::max_columns(p.geo.taps(), p.bits),
            Producer::Winmax(w) => super::spatial::max_columns(w.geo.taps(), w.bits),
            Producer::Rowmax(p) => p.columns(),
            Producer::Rowdiv(p) => p.columns(),
            Producer::Max2(p) => p.columns(),
            _ => Vec::new(),
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

/// Gadget `i`'s producer from its JSON, after its checks: operands are earlier
/// tensors, and shapes match the referenced tensors and the gadget's features.
pub fn build(c: &Circuit<ProducerJson>, i: usize, g: &Gadget<ProducerJson>) -> Result<Producer> {
    use ProducerJson as J;
    match &g.producer {
        J::Dense { .. } => dense(c, i, g),
        J::Spatialsum { .. } => spatialsum(c, i, g),
        J::Rowmax { .. } | J::Rowdiv { .. } => super::rowops::build(c, i, g),
        J::Add { .. } | J::Identity { .. } | J::Affine { .. } | J::Mul { .. } => {
            super::product::build(c, i, g)
        }
        J::Addconst { .. } | J::Concat { .. } => super::combine::build(c, i, g),
        J::Rearrange { .. } => super::rearrange::build(c, i, g),
        J::Max2(_) => super::gadgets::max2::build(c, i, g),
        J::Table { x, table } => {
            if !earlier(i, *x) {
                return invalid(format!("gadget {i}: operand is not an earlier tensor"));
            }
            super::table::build(c, i, g, *x, table)
        }
        J::Conv { .. } | J::Sumpool { .. } | J::Maxpool { .. } | J::Winsum(_) | J::Winmax(_) => {
            if !g.producer.x_ref().is_some_and(|x| earlier(i, x)) {
                return invalid(format!("gadget {i}: operand is not an earlier tensor"));
            }
            super::spatial::build(c, i, g)
        }
    }
}

/// A dense gadget `i`: `weight` is `features x width(x)`, a bias `1 x features`.
fn dense(c: &Circuit<ProducerJson>, i: usize, g: &Gadget<ProducerJson>) -> Result<Producer> {
    let ProducerJson::Dense {
        x,
        weight,
        bias,
        bias_shift,
    } = &g.producer
    else {
        return invalid(format!("gadget {i}: not a dense gadget"));
    };
    let w = c.tensor(weight)?;
    if !earlier(i, *x) || w.cols != c.width(*x) || w.rows != g.features || *bias_shift > MAX_BITS {
        return invalid(format!("gadget {i}: dense shapes do not match"));
    }
    if let Some(b) = bias {
        let b = c.tensor(b)?;
        if b.rows != 1 || b.cols != g.features {
            return invalid(format!("gadget {i}: bias shape does not match"));
        }
    }
    Ok(Producer::Dense(Dense {
        x: *x,
        weight: weight.clone(),
        bias: bias.clone(),
        bias_shift: *bias_shift,
    }))
}

/// A spatialsum gadget `i`: a `[C, S_1(, S_2)]` operand and `features = C`.
fn spatialsum(c: &Circuit<ProducerJson>, i: usize, g: &Gadget<ProducerJson>) -> Result<Producer> {
    let ProducerJson::Spatialsum {
        x,
        in_shape,
        lshift,
    } = &g.producer
    else {
        return invalid(format!("gadget {i}: not a spatialsum gadget"));
    };
    let ok = earlier(i, *x)
        && (2..=3).contains(&in_shape.len())
        && padded_size(in_shape) == Some(c.width(*x).next_power_of_two())
        && g.features == in_shape[0]
        && *lshift <= MAX_BITS;
    if !ok {
        return invalid(format!("gadget {i}: spatialsum shapes do not match"));
    }
    Ok(Producer::Spatialsum(Spatialsum {
        x: *x,
        in_shape: in_shape.clone(),
        lshift: *lshift,
    }))
}
