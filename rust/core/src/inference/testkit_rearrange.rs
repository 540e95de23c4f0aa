//! Test models for circuits/rearrange.md (transpose, reshape and concat along any
//! axis), built on the CNN builder; every dim is a non-power of two so the index
//! map crosses padding. Their integer witness comes from `testkit::witness`
//! (rearrange.rs's reference accumulator).

use serde_json::json;

use super::testkit::TestModel;
use super::testkit_cnn::{Cnn, T};

impl Cnn {
    /// `transpose(concat_axis(views of parts), perm)` laid out as `out_shape`
    /// (shift 0, the union of the parts' ranges); `[n]` gives a flat tensor.
    pub fn rearrange(
        &mut self,
        parts: &[&T],
        views: &[Vec<usize>],
        axis: usize,
        perm: &[usize],
        out_shape: &[usize],
    ) -> T {
        let shapes: Vec<Vec<usize>> = parts
            .iter()
            .map(|p| p.shape.clone().unwrap_or_else(|| vec![p.features]))
            .collect();
        let lo = parts.iter().map(|p| p.lo).min().expect("parts");
        let hi = parts.iter().map(|p| p.hi).max().expect("parts");
        let refs: Vec<_> = parts.iter().map(|p| p.r.clone()).collect();
        let producer = json!({"op": "rearrange", "parts": refs, "shapes": shapes,
            "views": views, "axis": axis, "perm": perm, "out_shape": out_shape});
        let n = out_shape.iter().product();
        let shape = (out_shape.len() > 1).then(|| out_shape.to_vec());
        self.gadget(producer, shape, n, 0, (lo, hi), (0, 0), "rearrange")
    }
}

/// A conv's `[3, 5, 6]` output transposed into a flat tensor in `(H, W, C)` order
/// (90 features of 128), dense head.
pub fn rearrange_transpose(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(Some(vec![2, 5, 6]), 60, seed);
    let a = m.conv(&x, 3, &[3, 3], &[1, 1], &[1, 1], &[1, 1]);
    let t = m.rearrange(&[&a], &[vec![3, 5, 6]], 0, &[1, 2, 0], &[90]);
    let o = m.dense(&t, 4, false);
    m.finish(&o, false)
}

/// A dense output of 45 features reshaped into channels `[5, 3, 3]`, conv, then a
/// dense head over the conv's real entries (the flatten).
pub fn rearrange_reshape(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(None, 6, seed);
    let d = m.dense(&x, 45, true);
    let s = m.rearrange(&[&d], &[vec![45]], 0, &[0], &[5, 3, 3]);
    let a = m.conv(&s, 2, &[3, 3], &[1, 1], &[1, 1], &[1, 1]);
    let o = m.dense(&a, 4, false);
    m.finish(&o, false)
}

/// Two conv maps `[3, 5, 6]` and `[3, 2, 6]` concatenated along H into
/// `[3, 7, 6]`, dense head.
pub fn rearrange_concat_h(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(Some(vec![2, 5, 6]), 60, seed);
    let a = m.conv(&x, 3, &[3, 3], &[1, 1], &[1, 1], &[1, 1]);
    let b = m.conv(&x, 3, &[4, 1], &[1, 1], &[1, 1], &[0, 0]);
    let k = m.rearrange(
        &[&a, &b],
        &[vec![3, 5, 6], vec![3, 2, 6]],
        1,
        &[0, 1, 2],
        &[3, 7, 6],
    );
    let o = m.dense(&k, 4, false);
    m.finish(&o, false)
}

/// Three parts along H: a conv map `[3, 5, 6]`, a flat dense output of 18 (viewed
/// as `[3, 1, 6]`) and a conv map `[3, 3, 6]`, transposed to `[3, 6, 9]` (W before
/// H), dense head.
pub fn rearrange_concat3(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(Some(vec![2, 5, 6]), 60, seed);
    let a = m.conv(&x, 3, &[3, 3], &[1, 1], &[1, 1], &[1, 1]);
    let d = m.dense(&x, 18, false);
    let b = m.conv(&x, 3, &[3, 1], &[1, 1], &[1, 1], &[0, 0]);
    let k = m.rearrange(
        &[&a, &d, &b],
        &[vec![3, 5, 6], vec![3, 1, 6], vec![3, 3, 6]],
        1,
        &[0, 2, 1],
        &[3, 6, 9],
    );
    let o = m.dense(&k, 4, false);
    m.finish(&o, false)
}

/// A flat concat of a one-feature dense output (a part of width 1: its instance
/// has no variables) and a five-feature one, dense head.
pub fn rearrange_width_one(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(None, 6, seed);
    let a = m.dense(&x, 1, true);
    let b = m.dense(&x, 5, false);
    let k = m.rearrange(&[&a, &b], &[vec![1], vec![5]], 0, &[0], &[6]);
    let o = m.dense(&k, 3, false);
    m.finish(&o, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inference::circuit::Circuit;

    #[test]
    fn models_parse() {
        for m in [
            rearrange_transpose(1),
            rearrange_reshape(2),
            rearrange_concat_h(3),
            rearrange_concat3(4),
            rearrange_width_one(5),
        ] {
            Circuit::parse(&m.circuit_json).unwrap();
        }
    }
}
