//! Softmax test models (circuits/nonlinear.md sections 6 and 7) and the reference
//! witness of `rowmax` and `rowdiv`, computed over the whole padded tensors in Rust,
//! independently of `zkml/witness.py`.
//!
//! Softmax lowers to `m = rowmax(x)`, `d = add(x, -m)` (a row-broadcast `y`),
//! `e = table(d)`, `s = spatialsum(e)` over the row and `y = rowdiv(e, s)`. The exp
//! table is integer-only: `T(0) = 2^f`, `T(x - 1) = floor(15 T(x) / 16)` for `x <= 0`,
//! `T(x) = 2^f` for `x > 0` (only padded features reach positive inputs).

use serde_json::json;

use super::circuit::bit_length;
use super::testkit::{excess_bits, TestModel};
use super::testkit_cnn::{Cnn, T};

/// `z[b] = max_{i < n} x[b][i]` over rows of `np` entries.
pub fn rowmax_acc(xt: &[i128], np: usize, n: usize) -> Vec<i128> {
    xt.chunks(np)
        .map(|row| row[..n].iter().copied().max().unwrap_or(0))
        .collect()
}

/// A rowmax's `D = mask (z_b - x)` and the selector `S` on the first real entry
/// equal to `z_b` (entry 0 when there is none: a cheating `z`), over `x`'s length.
pub fn rowmax_columns(z: &[i128], xt: &[i128], n: usize) -> (Vec<i128>, Vec<i128>) {
    let np = xt.len() / z.len();
    let mut d = vec![0i128; xt.len()];
    let mut s = vec![0i128; xt.len()];
    for (b, zb) in z.iter().enumerate() {
        let row = &xt[b * np..(b + 1) * np];
        for i in 0..n {
            d[b * np + i] = zb - row[i];
        }
        let first = (0..n).find(|&i| row[i] == *zb).unwrap_or(0);
        s[b * np + first] = 1;
    }
    (d, s)
}

/// A rowdiv's `q = floor((2^(l+1) x + y_b) / (2 y_b))`, `R` and `Rc = 2 y_b - 1 - R`
/// over rows of `np` entries (`y` one value per row). A row with `y_b <= 0` (only a
/// cheating witness has one) gets `q = 0`, `R = 2^(l+1) x + y_b`.
pub fn rowdiv_acc(
    xt: &[i128],
    yt: &[i128],
    np: usize,
    l: u32,
) -> (Vec<i128>, Vec<i128>, Vec<i128>) {
    let mut q = vec![0i128; xt.len()];
    let mut r = vec![0i128; xt.len()];
    let mut rc = vec![0i128; xt.len()];
    for (i, x) in xt.iter().enumerate() {
        let y = yt[i / np];
        let num = (x << (l + 1)) + y;
        if y > 0 {
            q[i] = num.div_euclid(2 * y);
            r[i] = num.rem_euclid(2 * y);
        } else {
            r[i] = num;
        }
        rc[i] = 2 * y - 1 - r[i];
    }
    (q, r, rc)
}

/// The integer exp-like table over `x = j - 2^(t-1)`, `T(0) = 2^f`.
pub fn exp_table(t: u32, f: u32) -> Vec<i64> {
    let half = 1i64 << (t - 1);
    let mut out = vec![1i64 << f; 1 << t];
    for j in (0..half as usize).rev() {
        out[j] = out[j + 1] * 15 / 16;
    }
    out
}

/// `(G, n)` of a tensor read in rows: a `[G, n]` spatial tensor, or a flat one
/// (`G = 1`, `n` its features).
fn rows_of(x: &T) -> (usize, usize) {
    match x.shape.as_deref() {
        Some([g, n]) => (*g, *n),
        Some(_) => panic!("rows of a [G, n] tensor"),
        None => (1, x.features),
    }
}

impl Cnn {
    /// `z[g][b] = max_{i < n} x[b][i + P g]` over each row's `n` real entries (a
    /// flat `x`: one group of `n = x.features`; a `[G, n]` one: `G` groups).
    pub fn rowmax(&mut self, x: &T) -> T {
        let (g, n) = rows_of(x);
        let diff_bits = bit_length((x.hi - x.lo) as u128);
        let producer = json!({"op": "rowmax", "x": x.r, "n": n, "diff_bits": diff_bits});
        self.gadget(producer, None, g, 0, (x.lo, x.hi), (0, 0), "rowmax")
    }

    /// `clamp(round((x - m_b) / 2^shift), lo, hi)` with `m` one value per row.
    pub fn sub_rows(&mut self, x: &T, m: &T, shift: u32, (lo, hi): (i64, i64)) -> T {
        assert_eq!(m.features, rows_of(x).0);
        let producer =
            json!({"op": "add", "x": x.r, "y": m.r, "signs": [1, -1], "lshifts": [0, 0]});
        let ex = excess_bits(x.amax() + m.amax(), shift, lo, hi);
        let shape = x.shape.clone();
        self.gadget(producer, shape, x.features, shift, (lo, hi), ex, "sub-max")
    }

    /// The sum of each row's real entries (a spatial sum over `in_shape = [G, n]`,
    /// `[1, n]` for a flat tensor), into `[lo, hi]`.
    pub fn rowsum(&mut self, x: &T, (lo, hi): (i64, i64)) -> T {
        let (g, n) = rows_of(x);
        let n = n as i64;
        let (amin, amax) = (n * x.lo.min(0), n * x.hi.max(0));
        let ex = (
            bit_length((amax - hi).max(0) as u128),
            bit_length((lo - amin).max(0) as u128),
        );
        let producer = json!({"op": "spatialsum", "x": x.r, "in_shape": [g, n], "lshift": 0});
        self.gadget(producer, None, g, 0, (lo, hi), ex, "rowsum")
    }

    /// `round(2^l x / y_b)` clamped to `[lo, hi]`, for `0 <= x <= y_b`.
    pub fn rowdiv(&mut self, x: &T, y: &T, l: u32, (lo, hi): (i64, i64)) -> T {
        assert!(y.features == rows_of(x).0 && y.lo >= 0);
        let rem_bits = bit_length((2 * y.hi - 1) as u128);
        let qmax = 1i64 << l;
        let ex = (bit_length((qmax - hi).max(0) as u128), 0);
        let producer =
            json!({"op": "rowdiv", "x": x.r, "y": y.r, "lshift": l, "rem_bits": rem_bits});
        let shape = x.shape.clone();
        self.gadget(producer, shape, x.features, 0, (lo, hi), ex, "softmax")
    }

    /// The softmax pipeline of section 7 over the rows of `x` (flat, or `[G, n]`
    /// grouped rows, section 12): `(x - m) / 2` into the exp table's domain
    /// `[-128, 127]`, `T(0) = 64`, row sums in `[0, 1023]`, `l = 6` into `[0, 63]`.
    pub fn softmax(&mut self, x: &T) -> T {
        let mx = self.rowmax(x);
        let d = self.sub_rows(x, &mx, 1, (-128, 127));
        let e = self.table(&d, "exp8", exp_table(8, 6), (0, 64));
        let s = self.rowsum(&e, (0, 1023));
        self.rowdiv(&e, &s, 6, (0, 63))
    }
}

/// A softmax head on a dense net: dense 6 -> 10 logits, then `rowmax`, the
/// broadcast subtraction `(x - m) / 2` into the exp table's domain `[-128, 127]`,
/// the exp table (`T(0) = 64`, values in `[0, 64]`, so with a `v` column), the row
/// sum over `n = 10` features (`in_shape = [1, 10]`), and `rowdiv` with `l = 6`
/// into `[0, 63]` (a one-hot row gives `q = 64`: an excess column).
pub fn softmax_head(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(None, 6, seed);
    let h = m.dense(&x, 10, false);
    let y = m.softmax(&h);
    m.finish(&y, false)
}

/// Softmax along axis 0 of a dense output viewed as `[5, 3]` (nonlinear.md section
/// 12): a transpose into `[G, n] = [3, 5]` (`P = 8`, one padded group), the grouped
/// pipeline, and a transpose back into the flat ONNX order (15 outputs).
pub fn softmax_grouped_axis0(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(None, 6, seed);
    let h = m.dense(&x, 15, false);
    let t = m.rearrange_views(&[&h], &[vec![5, 3]], 0, &[1, 0], &[3, 5]);
    let y = m.softmax(&t);
    let o = m.rearrange_views(&[&y], &[vec![3, 5]], 0, &[1, 0], &[15]);
    m.finish(&o, false)
}

/// Softmax over the channels of a conv's `[3, 2, 3]` output: rearranged into
/// `[G, n] = [6, 3]` (`(H, W)` groups, `P = 4`, two padded groups), the grouped
/// pipeline, dense head.
pub fn softmax_grouped_channels(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(Some(vec![2, 2, 3]), 12, seed);
    let a = m.conv(&x, 3, &[3, 3], &[1, 1], &[1, 1], &[1, 1]);
    let t = m.rearrange_views(&[&a], &[vec![3, 2, 3]], 0, &[1, 2, 0], &[6, 3]);
    let y = m.softmax(&t);
    let o = m.dense(&y, 4, false);
    m.finish(&o, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inference::circuit::{Circuit, Producer};

    #[test]
    fn exp_table_is_monotone_and_saturates() {
        let t = exp_table(8, 6);
        assert_eq!((t[128], t[127], t[255], t[0]), (64, 60, 64, 0));
        assert!(t.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn row_reference_against_naive_loops() {
        // rows of 4 (3 real), two rows
        let xt = [5i128, -2, 5, 9, -7, -3, -9, 100];
        let z = rowmax_acc(&xt, 4, 3);
        assert_eq!(z, vec![5, -3]);
        let (d, s) = rowmax_columns(&z, &xt, 3);
        assert_eq!(d, vec![0, 7, 0, 0, 4, 0, 6, 0]);
        assert_eq!(s, vec![1, 0, 0, 0, 0, 1, 0, 0]);
        let (q, r, rc) = rowdiv_acc(&[3, 0, 7, 5], &[7, 10], 2, 2);
        for (i, x) in [3i128, 0, 7, 5].iter().enumerate() {
            let y = [7i128, 10][i / 2];
            // round half up of 4 x / y
            let naive = (8 * x + y).div_euclid(2 * y);
            assert_eq!(q[i], naive);
            assert_eq!(8 * x + y, 2 * y * q[i] + r[i]);
            assert!(0 <= r[i] && r[i] < 2 * y && r[i] + rc[i] == 2 * y - 1);
        }
        assert_eq!(q, vec![2, 0, 3, 2]);
    }

    #[test]
    fn softmax_head_parses() {
        let m = softmax_head(5);
        let c = Circuit::parse(&m.circuit_json).unwrap();
        assert_eq!(c.gadgets.len(), 6);
        assert_eq!(c.gadgets[5].excess_hi_bits, 1);
        // Grouped rows: rowmax of G features over a [G, n] tensor.
        for (m, g, n) in [
            (softmax_grouped_axis0(1), 3, 5),
            (softmax_grouped_channels(2), 6, 3),
        ] {
            let c = Circuit::parse(&m.circuit_json).unwrap();
            assert_eq!(c.gadgets[2].features, g);
            assert_eq!(c.gadgets[5].features, g);
            assert!(matches!(&c.gadgets[2].producer, Producer::Rowmax(p) if p.n == n));
        }
    }
}
