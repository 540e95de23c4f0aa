//! Test models for circuits/nonlinear.md sections 10 and 11 (adding a constant,
//! channel concatenation), built on the CNN builder. Their integer witness comes
//! from `testkit::witness` (combine.rs's reference accumulators, in Rust).

use serde_json::json;

use super::testkit::{excess_bits, TestModel};
use super::testkit_cnn::{Cnn, T};
use super::testkit_nonlinear::tanh_table;
use crate::testing::rand_small;

impl Cnn {
    /// `z = clamp(round((2^lshift x + C[f]) / 2^shift), lo, hi)` with `values` the
    /// constant over `x`'s width (0 at padded positions).
    pub fn addconst(
        &mut self,
        x: &T,
        values: Vec<i64>,
        (lshift, shift): (u32, u32),
        (lo, hi): (i64, i64),
    ) -> T {
        assert_eq!(values.len(), x.width);
        let cmax = values.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0) as i128;
        let ex = excess_bits((x.amax() << lshift) + cmax, shift, lo, hi);
        let name = format!("ac{}", self.gadgets.len());
        self.tensors.push((name.clone(), 1, x.width, values));
        let producer = json!({"op": "addconst", "x": x.r, "c": name, "lshift": lshift});
        let (shape, f) = (x.shape.clone(), x.features);
        self.gadget(producer, shape, f, shift, (lo, hi), ex, "addconst")
    }

    /// The concatenation of `parts` along channels (shift 0, the union of their
    /// ranges). A flat result has `pad(C)` features.
    pub fn concat(&mut self, parts: &[&T]) -> T {
        let shapes: Vec<Vec<usize>> = parts
            .iter()
            .map(|p| p.shape.clone().unwrap_or_else(|| vec![p.features]))
            .collect();
        let lo = parts.iter().map(|p| p.lo).min().expect("parts");
        let hi = parts.iter().map(|p| p.hi).max().expect("parts");
        let ch: usize = shapes.iter().map(|s| s[0]).sum();
        let refs: Vec<_> = parts.iter().map(|p| p.r.clone()).collect();
        let producer = json!({"op": "concat", "parts": refs, "shapes": shapes});
        match parts[0].shape.as_ref() {
            Some(s) => {
                let mut shape = vec![ch];
                shape.extend(&s[1..]);
                let n = shape.iter().product();
                self.gadget(producer, Some(shape), n, 0, (lo, hi), (0, 0), "concat")
            }
            None => {
                let n = ch.next_power_of_two();
                self.gadget(producer, None, n, 0, (lo, hi), (0, 0), "concat")
            }
        }
    }
}

/// Two conv branches (3 and 5 channels, 5x5 maps) concatenated along channels
/// (`[8, 5, 5]`), dense head.
pub fn concat_cnn(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(Some(vec![2, 5, 5]), 50, seed);
    let a = m.conv(&x, 3, &[3, 3], &[1, 1], &[1, 1], &[1, 1]);
    let b = m.conv(&x, 5, &[3, 3], &[1, 1], &[1, 1], &[1, 1]);
    let k = m.concat(&[&a, &b]);
    let o = m.dense(&k, 4, false);
    m.finish(&o, false)
}

/// A flat concat of the public input (6 features) and a dense output (3 features):
/// `C = 9`, 16 features. The dense reads `2 x + C` of the input (an addconst with
/// `lshift = 1` and a per-feature constant).
pub fn concat_flat(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(None, 6, seed);
    let p = m.addconst(&x, rand_small(6, 5, seed + 3), (1, 1), (-128, 127));
    let d = m.dense(&p, 3, true);
    let k = m.concat(&[&x, &d]);
    let o = m.dense(&k, 4, false);
    m.finish(&o, false)
}

/// GELU in the shape `0.5 x (1 + erf)`: dense `h`, an erf-like table `e` (values in
/// `[-127, 127]`), `a = e + 127` (addconst into `[0, 254]`, so with a `v` column),
/// `mul(h, a)` with shift 8, dense head.
pub fn gelu(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(None, 6, seed);
    let h = m.dense(&x, 8, false);
    let e = m.table(&h, "erf8", tanh_table(8, 24), (-127, 127));
    let a = m.addconst(&e, vec![127; 8], (0, 0), (0, 254));
    let g = m.mul(&h, &a, 8, (-128, 127));
    let o = m.dense(&g, 4, false);
    m.finish(&o, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inference::circuit::Circuit;

    #[test]
    fn models_parse() {
        for m in [concat_cnn(1), concat_flat(2), gelu(3)] {
            Circuit::parse(&m.circuit_json).unwrap();
        }
    }
}
