//! Test models for circuits/nonlinear.md: constant divisors, spatial sums and
//! function tables, built on the CNN builder. Their integer witness comes from
//! `testkit::witness` (computed here in Rust, independently of `zkml/witness.py`).
//!
//! The tables are integer-only (no floating point, so every platform writes the
//! same vectors): a sigmoid-like `round(127 (|x| + x + c) / (2 (|x| + c)))` and a
//! tanh-like `round(127 x / (|x| + c))`.

use serde_json::json;

use super::testkit::{excess_bits, excess_bits_div, TestModel};
use super::testkit_cnn::{Cnn, T};
use crate::testing::rand_small;

/// `round(num / den)`, half up, for `den > 0`.
fn round_div(num: i64, den: i64) -> i64 {
    (2 * num + den).div_euclid(2 * den)
}

/// A sigmoid-like table over `x = j - 2^(t-1)`, values in `[0, 127]`.
pub fn sigmoid_table(t: u32, c: i64) -> Vec<i64> {
    let half = 1i64 << (t - 1);
    (0..1i64 << t)
        .map(|j| {
            let x = j - half;
            round_div(127 * (x.abs() + x + c), 2 * (x.abs() + c))
        })
        .collect()
}

/// A tanh-like table over `x = j - 2^(t-1)`, values in `[-127, 127]`.
pub fn tanh_table(t: u32, c: i64) -> Vec<i64> {
    let half = 1i64 << (t - 1);
    (0..1i64 << t)
        .map(|j| {
            let x = j - half;
            round_div(127 * x, x.abs() + c)
        })
        .collect()
}

impl Cnn {
    /// The sum over each channel's real spatial region, requantized by its size
    /// (a global average pool), `acc = 2^lshift sum`.
    pub fn spatialsum(&mut self, x: &T, lshift: u32, (lo, hi): (i64, i64)) -> T {
        let in_shape = x.shape.clone().expect("spatialsum of a spatial tensor");
        let d: usize = in_shape[1..].iter().product();
        let acc_max = (x.amax() * d as i128) << lshift;
        let ex = excess_bits_div(acc_max, d as i128, lo, hi);
        let producer =
            json!({"op": "spatialsum", "x": x.r, "in_shape": in_shape, "lshift": lshift});
        let out = self.gadget(producer, None, in_shape[0], 0, (lo, hi), ex, "gap");
        self.set_divisor(d as u64);
        out
    }

    /// Set the last gadget's divisor (its shift must be 0).
    pub fn set_divisor(&mut self, d: u64) {
        let g = self.gadgets.last_mut().expect("a gadget");
        g["divisor"] = json!(d);
    }

    /// `z = T[x - lo_x]` for a table of `hi_x - lo_x + 1` entries stored as `name`.
    pub fn table(&mut self, x: &T, name: &str, values: Vec<i64>, (lo, hi): (i64, i64)) -> T {
        assert_eq!(values.len() as i64, x.hi - x.lo + 1);
        let cols = values.len();
        self.tensors.push((name.into(), 1, cols, values));
        let producer = json!({"op": "table", "x": x.r, "table": name});
        self.gadget(
            producer,
            x.shape.clone(),
            x.features,
            0,
            (lo, hi),
            (0, 0),
            name,
        )
    }

    /// A requantizing identity `z = clamp(round(x / 2^shift), lo, hi)`.
    pub fn rescale(&mut self, x: &T, shift: u32, (lo, hi): (i64, i64)) -> T {
        let ex = excess_bits(x.amax(), shift, lo, hi);
        let producer = json!({"op": "identity", "x": x.r});
        self.gadget(
            producer,
            x.shape.clone(),
            x.features,
            shift,
            (lo, hi),
            ex,
            "rescale",
        )
    }

    /// An elementwise product `z = clamp(round(x y / 2^shift), lo, hi)` (nonlinear.md
    /// section 8).
    pub fn mul(&mut self, x: &T, y: &T, shift: u32, (lo, hi): (i64, i64)) -> T {
        assert_eq!(x.width, y.width);
        let ex = excess_bits(x.amax() * y.amax(), shift, lo, hi);
        let producer = json!({"op": "mul", "x": x.r, "y": y.r});
        self.gadget(
            producer,
            x.shape.clone(),
            x.features,
            shift,
            (lo, hi),
            ex,
            "mul",
        )
    }

    /// A dense layer without a shift into a wide range `[lo, hi]` (no padding in x).
    pub fn dense_wide(&mut self, x: &T, n: usize, (lo, hi): (i64, i64)) -> T {
        assert!(x.shape.is_none());
        let seed = self.next_seed();
        let w = rand_small(n * x.width, 4, seed);
        let row_max: i128 = w
            .chunks(x.width)
            .map(|r| r.iter().map(|v| v.unsigned_abs() as i128).sum())
            .max()
            .unwrap_or(0);
        let l = self.gadgets.len();
        self.tensors.push((format!("ww{l}"), n, x.width, w));
        let ex = excess_bits(x.amax() * row_max, 0, lo, hi);
        let producer = json!({"op": "dense", "x": x.r, "weight": format!("ww{l}"),
            "bias": null, "bias_shift": 0});
        self.gadget(producer, None, n, 0, (lo, hi), ex, "fc-wide")
    }
}

/// Global average pooling over a 7x7 map (divisor 49) after a conv, then dense. The
/// conv's channel-0 bias is large, so its padded positions hold a nonzero value.
pub fn gap_dense(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(Some(vec![1, 9, 9]), 81, seed);
    let a = m.conv(&x, 3, &[3, 3], &[1, 1], &[1, 1], &[0, 0]);
    let bias = m.tensors.last_mut().expect("conv bias");
    bias.3[0] = 31;
    let g = m.spatialsum(&a, 0, (0, 127));
    let o = m.dense(&g, 4, false);
    m.finish(&o, false)
}

/// Spatial sums over 3x3 maps: of the shaped input (divisor 9, signed) and of a
/// conv's output with `lshift = 1` (so with an excess column), added, dense head.
pub fn ssum_2d(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(Some(vec![2, 3, 3]), 18, seed);
    let s1 = m.spatialsum(&x, 0, (-128, 127));
    let a = m.conv(&x, 3, &[3, 3], &[1, 1], &[1, 1], &[1, 1]);
    let s2 = m.spatialsum(&a, 1, (0, 127));
    let h = m.dense(&s2, 2, true);
    let s = m.add(&s1, &h);
    let o = m.dense(&s, 3, false);
    m.finish(&o, false)
}

/// A spatial sum over a 1-D map of length 5 (divisor 5) after a 1-D conv, argmax.
pub fn ssum_1d(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(Some(vec![2, 5]), 10, seed);
    let a = m.conv(&x, 3, &[3], &[1], &[1], &[1]);
    let s = m.spatialsum(&a, 0, (0, 127));
    let o = m.dense(&s, 3, false);
    m.finish(&o, true)
}

/// Function tables: a sigmoid-like table (t = 8) on the public input, a dense layer
/// into 14 bits, a rescale into 12 bits, a tanh-like table (t = 12, values in
/// `[-127, 127]`, so with a `v` column), dense head.
pub fn tables(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(None, 6, seed);
    let s = m.table(&x, "sig8", sigmoid_table(8, 32), (0, 127));
    let h = m.dense_wide(&s, 5, (-8192, 8191));
    let r = m.rescale(&h, 2, (-2048, 2047));
    let t = m.table(&r, "tanh12", tanh_table(12, 256), (-127, 127));
    let o = m.dense(&t, 4, false);
    m.finish(&o, false)
}

/// Elementwise products (nonlinear.md section 8): dense, a sigmoid-like table on
/// it, SiLU `mul(h, sigmoid(h))`, dense, a product of the public input with that
/// dense output (with excess columns), dense head.
pub fn silu(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(None, 6, seed);
    let h = m.dense(&x, 8, false);
    let s = m.table(&h, "sig8", sigmoid_table(8, 32), (0, 127));
    let a = m.mul(&h, &s, 7, (-128, 127));
    let d = m.dense(&a, 6, false);
    let p = m.mul(&x, &d, 7, (-128, 127));
    let o = m.dense(&p, 4, false);
    m.finish(&o, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inference::circuit::Circuit;

    #[test]
    fn tables_have_the_stated_ranges() {
        let s = sigmoid_table(8, 32);
        assert_eq!((s[0], s[128], s[255]), (13, 64, 114));
        assert!(s.windows(2).all(|w| w[0] <= w[1]));
        let t = tanh_table(12, 256);
        assert_eq!(t[2048], 0);
        assert!(t.iter().all(|v| (-127..=127).contains(v)));
        assert!(t.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn models_parse() {
        for m in [gap_dense(1), ssum_2d(2), ssum_1d(3), tables(4), silu(5)] {
            Circuit::parse(&m.circuit_json).unwrap();
        }
    }
}
