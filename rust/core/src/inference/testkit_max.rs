//! Test models for circuits/max.md: elementwise maxima, minima and absolute values
//! (`max2` gadgets), built on the CNN builder. Their integer witness comes from
//! `testkit::witness` (computed in Rust, independently of `zkml/witness.py`).

use serde_json::json;

use super::circuit::bit_length;
use super::testkit::{excess_bits, TestModel};
use super::testkit_cnn::{Cnn, T};

impl Cnn {
    /// `dir max(dir sx 2^lx x, dir sy 2^ly y)` requantized by `2^shift` into `[lo, hi]`;
    /// `diff_bits` from `|X - Y| <= |X| + |Y|`, the excess widths from `|acc| <= max(|X|, |Y|)`.
    #[allow(clippy::too_many_arguments)]
    pub fn max2(
        &mut self,
        x: &T,
        y: &T,
        signs: [i64; 2],
        lshifts: [u32; 2],
        dir: i64,
        shift: u32,
        (lo, hi): (i64, i64),
    ) -> T {
        assert_eq!(x.width, y.width);
        let (mx, my) = (x.amax() << lshifts[0], y.amax() << lshifts[1]);
        let diff_bits = bit_length((mx + my) as u128);
        let ex = excess_bits(mx.max(my), shift, lo, hi);
        let producer = json!({"op": "max2", "x": x.r, "y": y.r, "signs": signs,
            "lshifts": lshifts, "dir": dir, "diff_bits": diff_bits});
        let source = if dir > 0 { "max" } else { "min" };
        self.gadget(
            producer,
            x.shape.clone(),
            x.features,
            shift,
            (lo, hi),
            ex,
            source,
        )
    }
}

/// Max, min and abs (max.md): two dense layers `h`, `k`; `max(h, k)`; `min(2 h, -k)`
/// halved into `[-100, 100]` (both excess columns, and `v`); `|x|` of the public input
/// (`max(x, -x)`, 6 features with padding, one excess bit); a dense layer on it; the
/// minimum of the first two; an add; a dense head.
pub fn minmax(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(None, 6, seed);
    let h = m.dense(&x, 8, false);
    let k = m.dense(&x, 8, false);
    let mx = m.max2(&h, &k, [1, 1], [0, 0], 1, 0, (-128, 127));
    let mn = m.max2(&h, &k, [1, -1], [1, 0], -1, 1, (-100, 100));
    let ab = m.max2(&x, &x, [1, -1], [0, 0], 1, 0, (0, 127));
    let d = m.dense(&ab, 8, false);
    let s = m.max2(&mx, &mn, [1, 1], [0, 0], -1, 0, (-128, 127));
    let a = m.add(&s, &d);
    let o = m.dense(&a, 4, false);
    m.finish(&o, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inference::circuit::{Circuit, ColumnKind};
    use crate::inference::gadgets::max2::{A, B};

    #[test]
    fn the_model_parses_with_its_difference_columns() {
        let m = minmax(3);
        let c = Circuit::parse(&m.circuit_json).unwrap();
        let kinds: Vec<ColumnKind> = c.gadget_columns(3).iter().map(|s| s.kind).collect();
        // min(2h, -k) >> 1: u, v, rem (shift 1), ep, em, then A and B (9 bits: 2 limbs)
        assert_eq!(kinds.iter().filter(|k| **k == A).count(), 2);
        assert_eq!(kinds.last(), Some(&B));
        assert!(kinds.contains(&ColumnKind::Ep) && kinds.contains(&ColumnKind::Em));
    }

    #[test]
    fn each_op_name_is_its_json_op() {
        let m = minmax(3);
        let c = Circuit::parse(&m.circuit_json).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&m.circuit_json).unwrap();
        for (g, gad) in c.gadgets.iter().enumerate() {
            let op = json["gadgets"][g]["producer"]["op"].as_str().unwrap();
            assert_eq!(gad.producer.op_name(), op);
        }
        assert_eq!(c.gadgets[2].producer.op_name(), "max2");
    }
}
