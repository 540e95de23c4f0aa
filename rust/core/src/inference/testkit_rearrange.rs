//! Test models for circuits/rearrange.md (transpose, reshape, concat along any axis,
//! broadcast and choice by region, all as blocks), built on the CNN builder; every
//! dim is a non-power of two so the index map crosses padding. Their integer
//! witness comes from `testkit::witness` (rearrange.rs's reference accumulator).

use serde_json::{json, Value};

use super::rearrange::Block;
use super::testkit::TestModel;
use super::testkit_cnn::{Cnn, T};

/// A block (rearrange.md section 1).
pub fn block(part: usize, start: &[usize], size: &[usize], offset: u64, strides: &[u64]) -> Block {
    Block {
        part,
        start: start.to_vec(),
        size: size.to_vec(),
        offset,
        strides: strides.to_vec(),
    }
}

/// A block as its producer JSON object (exactly the spec's keys).
pub fn block_json(b: &Block) -> Value {
    json!({"part": b.part, "start": b.start, "size": b.size, "offset": b.offset,
        "strides": b.strides})
}

/// Row-major strides of a shape (last axis 1).
pub fn row_strides(shape: &[usize]) -> Vec<u64> {
    let mut s = vec![1u64; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1] as u64;
    }
    s
}

/// `dims` and blocks of `transpose(concat_axis(views), perm)` (ONNX Concat along
/// `axis` of the parts viewed as row-major `views`, then Transpose by `perm`): one
/// block per part, at its running offset along the concat axis (the examples of
/// rearrange.md section 1).
pub fn views_blocks(views: &[Vec<usize>], axis: usize, perm: &[usize]) -> (Vec<usize>, Vec<Block>) {
    let mut vshape = views[0].clone();
    vshape[axis] = views.iter().map(|v| v[axis]).sum();
    let dims: Vec<usize> = perm.iter().map(|&p| vshape[p]).collect();
    let q = perm
        .iter()
        .position(|&p| p == axis)
        .expect("perm holds the axis");
    let mut at = 0usize;
    let mut blocks = Vec::with_capacity(views.len());
    for (k, v) in views.iter().enumerate() {
        let rs = row_strides(v);
        let mut start = vec![0usize; perm.len()];
        start[q] = at;
        let size: Vec<usize> = perm.iter().map(|&p| v[p]).collect();
        let strides: Vec<u64> = perm.iter().map(|&p| rs[p]).collect();
        blocks.push(block(k, &start, &size, 0, &strides));
        at += v[axis];
    }
    (dims, blocks)
}

impl Cnn {
    /// A rearrange of `parts` by `blocks` over the index space `dims`, laid out as
    /// `out_shape` (shift 0, the union of the parts' ranges); `[n]` gives a flat
    /// tensor.
    pub fn rearrange(
        &mut self,
        parts: &[&T],
        out_shape: &[usize],
        dims: &[usize],
        blocks: &[Block],
    ) -> T {
        let shapes: Vec<Vec<usize>> = parts
            .iter()
            .map(|p| p.shape.clone().unwrap_or_else(|| vec![p.features]))
            .collect();
        let lo = parts.iter().map(|p| p.lo).min().expect("parts");
        let hi = parts.iter().map(|p| p.hi).max().expect("parts");
        let refs: Vec<_> = parts.iter().map(|p| p.r.clone()).collect();
        let blocks: Vec<Value> = blocks.iter().map(block_json).collect();
        let producer = json!({"op": "rearrange", "parts": refs, "shapes": shapes,
            "out_shape": out_shape, "dims": dims, "blocks": blocks});
        let n = out_shape.iter().product();
        let shape = (out_shape.len() > 1).then(|| out_shape.to_vec());
        self.gadget(producer, shape, n, 0, (lo, hi), (0, 0), "rearrange")
    }

    /// [`Cnn::rearrange`] of `transpose(concat_axis(views of parts), perm)`.
    pub fn rearrange_views(
        &mut self,
        parts: &[&T],
        views: &[Vec<usize>],
        axis: usize,
        perm: &[usize],
        out_shape: &[usize],
    ) -> T {
        let (dims, blocks) = views_blocks(views, axis, perm);
        self.rearrange(parts, out_shape, &dims, &blocks)
    }
}

/// A conv's `[3, 5, 6]` output transposed into a flat tensor in `(H, W, C)` order
/// (90 features of 128), dense head.
pub fn rearrange_transpose(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(Some(vec![2, 5, 6]), 60, seed);
    let a = m.conv(&x, 3, &[3, 3], &[1, 1], &[1, 1], &[1, 1]);
    let t = m.rearrange_views(&[&a], &[vec![3, 5, 6]], 0, &[1, 2, 0], &[90]);
    let o = m.dense(&t, 4, false);
    m.finish(&o, false)
}

/// A dense output of 45 features reshaped into channels `[5, 3, 3]`, conv, then a
/// dense head over the conv's real entries (the flatten).
pub fn rearrange_reshape(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(None, 6, seed);
    let d = m.dense(&x, 45, true);
    let s = m.rearrange(&[&d], &[5, 3, 3], &[45], &[block(0, &[0], &[45], 0, &[1])]);
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
    let k = m.rearrange_views(
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
    let k = m.rearrange_views(
        &[&a, &d, &b],
        &[vec![3, 5, 6], vec![3, 1, 6], vec![3, 3, 6]],
        1,
        &[0, 2, 1],
        &[3, 6, 9],
    );
    let o = m.dense(&k, 4, false);
    m.finish(&o, false)
}

/// A per-channel value broadcast over a map: the spatial sum (a global average
/// pool) of a conv's `[3, 5, 6]` output, a flat tensor of 3, spread over
/// `[3, 5, 6]` (strides `[1, 0, 0]`), added to the conv's output, dense head.
pub fn rearrange_broadcast(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(Some(vec![2, 5, 6]), 60, seed);
    let a = m.conv(&x, 3, &[3, 3], &[1, 1], &[1, 1], &[1, 1]);
    let s = m.spatialsum(&a, 0, (0, 127));
    let b = m.rearrange(
        &[&s],
        &[3, 5, 6],
        &[3, 5, 6],
        &[block(0, &[0, 0, 0], &[3, 5, 6], 0, &[1, 0, 0])],
    );
    let y = m.add(&a, &b);
    let o = m.dense(&y, 4, false);
    m.finish(&o, false)
}

/// A choice between two conv maps `[3, 5, 6]` by region: rows 0..2 from the
/// first, rows 2..5 from the second on columns 0..4, and columns 4..6 from the
/// first on channels 0..2 and the second on channel 2 (four blocks, each reading
/// its part at the same index), dense head.
pub fn rearrange_choice(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(Some(vec![2, 5, 6]), 60, seed);
    let a = m.conv(&x, 3, &[3, 3], &[1, 1], &[1, 1], &[1, 1]);
    let b = m.conv(&x, 3, &[1, 3], &[1, 1], &[1, 1], &[0, 1]);
    let dims = [3, 5, 6];
    let rs = row_strides(&dims);
    let region = |part: usize, start: &[usize], size: &[usize]| {
        let offset: u64 = start.iter().zip(&rs).map(|(&a, &t)| a as u64 * t).sum();
        block(part, start, size, offset, &rs)
    };
    let blocks = [
        region(0, &[0, 0, 0], &[3, 2, 6]),
        region(1, &[0, 2, 0], &[3, 3, 4]),
        region(0, &[0, 2, 4], &[2, 3, 2]),
        region(1, &[2, 2, 4], &[1, 3, 2]),
    ];
    let k = m.rearrange(&[&a, &b], &dims, &dims, &blocks);
    let o = m.dense(&k, 4, false);
    m.finish(&o, false)
}

/// A flat concat of a one-feature dense output (a part of width 1: its instance
/// has no variables) and a five-feature one, dense head.
pub fn rearrange_width_one(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(None, 6, seed);
    let a = m.dense(&x, 1, true);
    let b = m.dense(&x, 5, false);
    let k = m.rearrange_views(&[&a, &b], &[vec![1], vec![5]], 0, &[0], &[6]);
    let o = m.dense(&k, 3, false);
    m.finish(&o, false)
}

/// A rearrange as the circuit's output (rearrange.md section 5): a dense output of
/// 6 with its halves swapped into a flat `[6]`, or into `[2, 3]` when `spatial`
/// (a circuit the parser rejects).
pub fn rearrange_output(seed: u64, spatial: bool) -> TestModel {
    let (mut m, x) = Cnn::new(None, 6, seed);
    let d = m.dense(&x, 6, false);
    let blocks = [block(0, &[0], &[3], 3, &[1]), block(0, &[3], &[3], 0, &[1])];
    let out: &[usize] = if spatial { &[2, 3] } else { &[6] };
    let k = m.rearrange(&[&d], out, &[6], &blocks);
    let mut model = m.finish(&k, false);
    // The output's features are the gadget's (8 for [2, 3]).
    let mut v: Value = serde_json::from_slice(&model.circuit_json).expect("json");
    let g = v["output"]["gadget"].as_u64().expect("gadget") as usize;
    v["output"]["features"] = v["gadgets"][g]["features"].clone();
    model.circuit_json = serde_json::to_vec(&v).expect("json");
    model
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
            rearrange_broadcast(6),
            rearrange_choice(7),
            rearrange_output(8, false),
        ] {
            Circuit::parse(&m.circuit_json).unwrap();
        }
        assert!(Circuit::parse(&rearrange_output(8, true).circuit_json).is_err());
    }
}
