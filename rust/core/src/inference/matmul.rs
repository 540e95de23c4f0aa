//! Helpers of the dense group's instances (inference.md section 4, conv.md section 2):
//! folding a row-major table's rows, and splitting a dense or conv gadget's point.
//! The instances themselves are the gadgets' (`gadgets/`).

use crate::pipeline::features_batch;
use rayon::prelude::*;

use super::circuit::Circuit;
use super::spatial::lp;
use crate::field::Fr;

/// `out[k] = sum_r weights[r] table[r * n + k]`: bind a row-major table's high
/// variables (rows) to the point of `weights`.
pub fn fold_rows(table: &[Fr], weights: &[Fr], n: usize) -> Vec<Fr> {
    (0..n)
        .into_par_iter()
        .with_min_len(256)
        .map(|k| {
            table[k..]
                .iter()
                .step_by(n)
                .zip(weights)
                .map(|(v, w)| *v * w)
                .sum()
        })
        .collect()
}

/// `(r_low, r_o, r_b)` of a dense or conv gadget's point: the spatial output
/// parts (empty for dense), the output-feature part and the batch part.
pub fn split_point<'a>(c: &Circuit, g: usize, r: &'a [Fr]) -> (&'a [Fr], &'a [Fr], &'a [Fr]) {
    let gad = &c.gadgets[g];
    let (low, out) = match gad.producer.geom() {
        Some(geo) => {
            let (a, b) = geo.out_vars();
            (a + b, lp(geo.c_out))
        }
        None => (0, lp(gad.features)),
    };
    let (r_low, rest) = r.split_at(low);
    let (r_o, r_b) = features_batch(rest, out);
    (r_low, r_o, r_b)
}
