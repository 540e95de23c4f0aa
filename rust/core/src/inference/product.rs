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
use super::producer::{earlier, Add, Affine, Identity, Mul, Producer, ProducerJson, TensorRef};
use super::tensors::{tensor_table, Columns};
use crate::error::{Error, Result};
use crate::field::Fr;
use crate::mle::eq_table;
use crate::sumcheck::product::Term;
use crate::sumcheck::ProductSum;

/// The checks of an elementwise gadget `i` (`add`, `identity`, `affine`, `mul`), and
/// its producer.
pub fn build(c: &Circuit<ProducerJson>, i: usize, g: &Gadget<ProducerJson>) -> Result<Producer> {
    let refs_ok = |t: TensorRef| earlier(i, t);
    let same = |t: TensorRef| refs_ok(t) && c.width(t) == g.features;
    let (built, what) = match &g.producer {
        ProducerJson::Add {
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
            let p = Producer::Add(Add {
                x: *x,
                y: *y,
                signs: *signs,
                lshifts: *lshifts,
            });
            (ok.then_some(p), "add operands do not match")
        }
        ProducerJson::Identity { x } => {
            let p = Producer::Identity(Identity { x: *x });
            (same(*x).then_some(p), "identity operand does not match")
        }
        ProducerJson::Affine { terms } => {
            let ok = (1..=MAX_AFFINE_TERMS).contains(&terms.len())
                && terms
                    .iter()
                    .all(|(x, k)| same(*x) && k.unsigned_abs() < MAX_AFFINE_COEFF);
            let p = Producer::Affine(Affine {
                terms: terms.clone(),
            });
            (ok.then_some(p), "affine terms do not match")
        }
        // nonlinear.md section 8: width(x) == width(y) == features.
        ProducerJson::Mul { x, y } => {
            let p = Producer::Mul(Mul { x: *x, y: *y });
            (
                (same(*x) && same(*y)).then_some(p),
                "mul operands do not match",
            )
        }
        _ => (None, "not an elementwise gadget"),
    };
    built.ok_or_else(|| Error::InvalidArgument(format!("circuit: gadget {i}: {what}")))
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
