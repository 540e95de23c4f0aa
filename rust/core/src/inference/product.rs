//! Elementwise producers: the checks of `add`, `identity`, `affine` (inference.md
//! section 6) and the elementwise product `"mul"` (circuits/nonlinear.md section 8),
//! `acc = x y`, checked by one instance in the dense group
//!
//! ```text
//! sum_v eq(r_g, v) X(v) Y(v) = acc(r_g)      (over all the gadget's variables; degree 3)
//! ```
//!
//! `eq`, `X` and `Y` are separate multilinear factors (the verifier evaluates each).

use ark_ff::One;

use super::circuit::{Circuit, Gadget, Producer, TensorRef};
use super::limits::{MAX_AFFINE_COEFF, MAX_AFFINE_TERMS, MAX_BITS};
use super::tensors::{tensor_table, Columns};
use crate::error::{Error, Result};
use crate::field::Fr;
use crate::mle::eq_table;
use crate::sumcheck::product::Term;
use crate::sumcheck::ProductSum;

/// The checks of an elementwise gadget `i` (`add`, `identity`, `affine`, `mul`).
pub fn validate(c: &Circuit, i: usize, g: &Gadget) -> Result<()> {
    let refs_ok = |t: TensorRef| match t {
        TensorRef::Input => true,
        TensorRef::Gadget(j) => j < i,
    };
    let same = |t: TensorRef| refs_ok(t) && c.width(t) == g.features;
    let (ok, what) = match &g.producer {
        Producer::Add {
            x,
            y,
            signs,
            lshifts,
        } => {
            // nonlinear.md sections 6, 12: y of the same width, or a row value of
            // `1 <= G < width(x)` groups broadcast along the position inside a group.
            let wy = refs_ok(*y).then(|| c.width(*y));
            let y_ok = wy.is_some_and(|w| {
                w == g.features
                    || (w < g.features && super::rowops::group_size(g.features, w).is_some())
            });
            let ok = same(*x)
                && y_ok
                && signs.iter().all(|s| *s == 1 || *s == -1)
                // inference.md section 6: lshifts 0..64, as every other shift.
                && lshifts.iter().all(|l| *l <= MAX_BITS);
            (ok, "add operands do not match")
        }
        Producer::Identity { x } => (same(*x), "identity operand does not match"),
        Producer::Affine { terms } => {
            let ok = (1..=MAX_AFFINE_TERMS).contains(&terms.len())
                && terms
                    .iter()
                    .all(|(x, k)| same(*x) && k.unsigned_abs() < MAX_AFFINE_COEFF);
            (ok, "affine terms do not match")
        }
        // nonlinear.md section 8: width(x) == width(y) == features.
        Producer::Mul { x, y } => (same(*x) && same(*y), "mul operands do not match"),
        _ => (false, "not an elementwise gadget"),
    };
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "circuit: gadget {i}: {what}"
        )))
    }
}

/// The operands `(x, y)` of a mul gadget.
pub fn operands(c: &Circuit, g: usize) -> Option<(TensorRef, TensorRef)> {
    match &c.gadgets[g].producer {
        Producer::Mul { x, y } => Some((*x, *y)),
        _ => None,
    }
}

/// Mul gadget `g`'s instance: factors `(eq(r_g, .), X, Y)`, one term of degree 3.
pub fn instance(
    c: &Circuit,
    cols: &Columns,
    (input, b): (&[i64], usize),
    g: usize,
    r_g: &[Fr],
) -> Result<ProductSum> {
    let (x, y) = operands(c, g).expect("a mul gadget");
    let tables = vec![
        eq_table(r_g),
        tensor_table(c, cols, x, input, b),
        tensor_table(c, cols, y, input, b),
    ];
    let term = Term {
        coeff: Fr::one(),
        factors: vec![0, 1, 2],
    };
    ProductSum::new(tables, vec![term])
}

/// The elementwise product `x y` of two integer tensors (the witness's `acc`).
pub fn reference_acc(xt: &[i128], yt: &[i128]) -> Vec<i128> {
    xt.iter().zip(yt).map(|(a, b)| a * b).collect()
}
