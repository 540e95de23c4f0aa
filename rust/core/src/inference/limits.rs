//! Every limit of the circuit description (circuits/inference.md section 6, conv.md,
//! nonlinear.md, rearrange.md, wiring.md), in one place. The values equal the named
//! table `limits` of `circuits/circuit.schema.json`; `tests/circuit_schema.rs` checks
//! each one against it.

/// Features of a tensor, model tensor rows and cols, a shape's entries and padded width.
pub const MAX_FEATURES: usize = 1 << 20;
/// Shifts, lshifts, bias shifts, excess bits, diff and rem bits, a gadget's value width.
pub const MAX_BITS: u32 = 64;
/// `input.bits` is `1..=62`.
pub const MAX_INPUT_BITS: u32 = 62;
/// `|frac_bits| <= 1024` (the input's and every gadget's).
pub const MAX_FRAC_BITS: i64 = 1024;
/// A clamp bound: `|lo|, |hi| < 2^62`, so every relation's terms stay far below `r`.
pub const MAX_ABS_BOUND: i64 = 1 << 62;
/// Divisors are `1 <= d < 2^40` (nonlinear.md section 1).
pub const MAX_DIVISOR: u64 = 1 << 40;
/// The limb widths a circuit may choose (`"limb_bits"`, nonlinear.md section 5).
pub const LIMB_BITS: [u32; 2] = [8, 16];
/// Widest model-stack entry: the verifying key's range table has `2^R` entries, and
/// every model-stack entry is proven in `[0, 2^R)` (section 7).
pub const MAX_RANGE_BITS: u32 = 16;
/// `model_stack.num_vars` (every committed table has at most `2^30` entries).
pub const MAX_NUM_VARS: usize = crate::encoding::MAX_NUM_VARS as usize;
/// Gadgets per circuit.
pub const MAX_GADGETS: usize = 1 << 16;
/// An affine has `1..=8` terms with `|c_k| < 2^40`.
pub const MAX_AFFINE_TERMS: usize = 8;
pub const MAX_AFFINE_COEFF: u64 = 1 << 40;
/// Function tables have `2^t` entries, `1 <= t <= 20` (nonlinear.md section 3).
pub const MAX_TABLE_BITS: u32 = 20;
/// The most taps `prod K_a` of a winsum or winmax (nonlinear.md section 9).
pub const MAX_WINDOW_TAPS: usize = 1024;
/// A wiring axis's lengths and kernel, and its stride, dilation and pad (wiring.md).
pub const MAX_WIRE_LEN: usize = crate::wiring::MAX_LEN;
pub const MAX_WIRE_STEP: usize = crate::wiring::MAX_STEP;
/// A concat has `2..=64` parts (nonlinear.md section 11).
pub const MAX_CONCAT_PARTS: usize = 64;
/// A rearrange has `1..=64` parts, an index space of `1..=6` dims, `1..=4096`
/// blocks, and block offsets and strides below `2^31` (rearrange.md section 1).
pub const MAX_REARRANGE_PARTS: usize = 64;
pub const MAX_VIEW_DIMS: usize = 6;
pub const MAX_REARRANGE_BLOCKS: usize = 4096;
pub const MAX_REARRANGE_STRIDE: u64 = 1 << 31;
/// The circuit JSON's size in bytes, and how deep it may nest (a circuit nests 5
/// deep; deeper input is refused before decoding).
pub const MAX_CIRCUIT_JSON_BYTES: usize = 1 << 25;
pub const MAX_JSON_DEPTH: usize = 16;
