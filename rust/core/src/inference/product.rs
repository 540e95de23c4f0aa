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

use super::circuit::{Circuit, Gadget};
use super::limits::{MAX_AFFINE_COEFF, MAX_AFFINE_TERMS, MAX_BITS};
use super::producer::{earlier, Add, Affine, Identity, Mul, ProducerJson, TensorRef};
use super::tensors::{tensor_table, Columns};
use crate::error::{Error, Result};
use crate::field::Fr;
use crate::mle::eq_table;
use crate::sumcheck::product::Term;
use crate::sumcheck::ProductSum;

fn invalid<T>(i: usize, what: &str) -> Result<T> {
    Err(Error::InvalidArgument(format!(
        "circuit: gadget {i}: {what}"
    )))
}

/// Whether `t` is a tensor before gadget `i` with the gadget's features.
fn same(c: &Circuit<ProducerJson>, i: usize, g: &Gadget<ProducerJson>, t: TensorRef) -> bool {
    earlier(i, t) && c.width(t) == g.features
}

/// An add gadget `i`: `y` of the same width, or a row value of `1 <= G < width(x)`
/// groups broadcast along the position inside a group (nonlinear.md sections 6, 12).
pub fn add(c: &Circuit<ProducerJson>, i: usize, g: &Gadget<ProducerJson>, p: &Add) -> Result<Add> {
    let wy = earlier(i, p.y).then(|| c.width(p.y));
    let y_ok = wy.is_some_and(|w| {
        w == g.features || (w < g.features && super::rowops::group_size(g.features, w).is_some())
    });
    let ok = same(c, i, g, p.x)
        && y_ok
        && p.signs.iter().all(|s| *s == 1 || *s == -1)
        // inference.md section 6: lshifts 0..64, as every other shift.
        && p.lshifts.iter().all(|l| *l <= MAX_BITS);
    if !ok {
        return invalid(i, "add operands do not match");
    }
    Ok(p.clone())
}

/// An identity gadget `i`: its operand has the gadget's features.
pub fn identity(
    c: &Circuit<ProducerJson>,
    i: usize,
    g: &Gadget<ProducerJson>,
    p: &Identity,
) -> Result<Identity> {
    if !same(c, i, g, p.x) {
        return invalid(i, "identity operand does not match");
    }
    Ok(p.clone())
}

/// An affine gadget `i`: 1 to `MAX_AFFINE_TERMS` terms of the gadget's width.
pub fn affine(
    c: &Circuit<ProducerJson>,
    i: usize,
    g: &Gadget<ProducerJson>,
    p: &Affine,
) -> Result<Affine> {
    let ok = (1..=MAX_AFFINE_TERMS).contains(&p.terms.len())
        && p.terms
            .iter()
            .all(|(x, k)| same(c, i, g, *x) && k.unsigned_abs() < MAX_AFFINE_COEFF);
    if !ok {
        return invalid(i, "affine terms do not match");
    }
    Ok(p.clone())
}

/// A mul gadget `i`: `width(x) == width(y) == features` (nonlinear.md section 8).
pub fn mul(c: &Circuit<ProducerJson>, i: usize, g: &Gadget<ProducerJson>, p: &Mul) -> Result<Mul> {
    if !(same(c, i, g, p.x) && same(c, i, g, p.y)) {
        return invalid(i, "mul operands do not match");
    }
    Ok(p.clone())
}

/// A mul's instance at `r_g`: factors `(eq(r_g, .), X, Y)`, one term of degree 3.
pub fn instance(
    c: &Circuit,
    cols: &Columns,
    (input, b): (&[i64], usize),
    p: &Mul,
    r_g: &[Fr],
) -> Result<ProductSum> {
    let tables = vec![
        eq_table(r_g),
        tensor_table(c, cols, p.x, input, b),
        tensor_table(c, cols, p.y, input, b),
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
