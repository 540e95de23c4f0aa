//! Dense multilinear polynomials as evaluation tables.
//!
//! Convention (circuits/conventions.md), stated once for the whole crate: a table
//! `f` of length `2^n` is the MLE `f(x) = sum_i f[i] eq(x, bits(i))` where variable
//! `x_0` is the **least significant bit** of the index. Sumcheck rounds bind `x_0`
//! first, and Hyrax matrices take the low bits as the column index.

use ark_ff::{One, Zero};
use rayon::prelude::*;

use crate::field::Fr;

/// Below this size parallel iteration costs more than it saves.
pub const PAR_THRESHOLD: usize = 1 << 12;

/// `eq(x, y) = prod_k (x_k y_k + (1 - x_k)(1 - y_k))`.
pub fn eq_eval(x: &[Fr], y: &[Fr]) -> Fr {
    debug_assert_eq!(x.len(), y.len());
    x.iter()
        .zip(y)
        .map(|(a, b)| *a * b + (Fr::one() - a) * (Fr::one() - b))
        .product()
}

/// Sequential eq table scaled by `scale`: `out[i] = scale * eq(point, bits(i))`.
fn eq_table_seq(point: &[Fr], scale: Fr) -> Vec<Fr> {
    let mut t = vec![Fr::zero(); 1 << point.len()];
    t[0] = scale;
    let mut size = 1;
    // Expanding from the last variable down leaves x_0 on the lowest index bit.
    for z in point.iter().rev() {
        for i in (0..size).rev() {
            let v = t[i];
            let hi = v * z;
            t[2 * i + 1] = hi;
            t[2 * i] = v - hi;
        }
        size *= 2;
    }
    t
}

/// `out[i] = scale * eq(point, bits(i))`, one multiplication per entry, parallel
/// as the tensor product `eq(z_lo) (x) eq(z_hi)` for large tables.
pub fn eq_table_scaled(point: &[Fr], scale: Fr) -> Vec<Fr> {
    let n = point.len();
    if (1usize << n) < PAR_THRESHOLD {
        return eq_table_seq(point, scale);
    }
    let a = n / 2;
    let lo = eq_table_seq(&point[..a], Fr::one());
    let hi = eq_table_seq(&point[a..], scale);
    let mut out = vec![Fr::zero(); 1 << n];
    out.par_chunks_mut(1 << a)
        .zip(hi.par_iter())
        .for_each(|(row, h)| row.iter_mut().zip(&lo).for_each(|(o, l)| *o = *h * l));
    out
}

pub fn eq_table(point: &[Fr]) -> Vec<Fr> {
    eq_table_scaled(point, Fr::one())
}

/// `target[i] += scale * eq(point, bits(i))`.
///
/// Trailing coordinates that are exactly 0 or 1 (the selector bits of a tensor in a
/// stack, circuits/hyrax.md) confine the support to one aligned block, so a claim
/// on a small tensor costs its own size, not the stack's.
pub fn add_scaled_eq(target: &mut [Fr], point: &[Fr], scale: Fr) {
    debug_assert_eq!(target.len(), 1 << point.len());
    let mut m = point.len();
    let mut block = 0usize;
    while m > 0 && (point[m - 1].is_zero() || point[m - 1].is_one()) {
        block = (block << 1) | usize::from(point[m - 1].is_one());
        m -= 1;
    }
    // The last coordinate is the index's most significant bit, so `block` holds the
    // fixed high bits in order.
    let dst = &mut target[block << m..(block + 1) << m];
    let a = m / 2;
    let lo = eq_table_seq(&point[..a], Fr::one());
    let hi = eq_table_seq(&point[a..m], scale);
    let body = |(row, h): (&mut [Fr], &Fr)| {
        row.iter_mut().zip(&lo).for_each(|(o, l)| *o += *h * l);
    };
    if dst.len() >= PAR_THRESHOLD {
        dst.par_chunks_mut(1 << a).zip(hi.par_iter()).for_each(body);
    } else {
        dst.chunks_mut(1 << a).zip(hi.iter()).for_each(body);
    }
}

/// `sum_k scales[k] * eq(points[k], .)` as a table with `2^n` entries.
///
/// Points with fixed selector bits go through [`add_scaled_eq`] (cost: their
/// block). Dense points are added row by row, all of them per row while the row is
/// in cache: one multiply-add per entry and point.
pub fn eq_combination(points: &[Vec<Fr>], scales: &[Fr], n: usize) -> Vec<Fr> {
    let mut out = vec![Fr::zero(); 1 << n];
    let is_fixed = |x: &Fr| x.is_zero() || x.is_one();
    let (dense, sparse): (Vec<_>, Vec<_>) = points
        .iter()
        .zip(scales)
        .partition(|(z, _)| z.last().is_some_and(|x| !is_fixed(x)));
    for (z, s) in sparse {
        add_scaled_eq(&mut out, z, *s);
    }
    if dense.is_empty() {
        return out;
    }
    let a = n / 2;
    let los: Vec<Vec<Fr>> = dense
        .iter()
        .map(|(z, _)| eq_table_seq(&z[..a], Fr::one()))
        .collect();
    let his: Vec<Vec<Fr>> = dense
        .iter()
        .map(|(z, s)| eq_table_seq(&z[a..], **s))
        .collect();
    let row_body = |(row, o): (usize, &mut [Fr])| {
        for (lo, hi) in los.iter().zip(&his) {
            let h = hi[row];
            o.iter_mut().zip(lo).for_each(|(x, l)| *x += h * l);
        }
    };
    if out.len() >= PAR_THRESHOLD {
        out.par_chunks_mut(1 << a).enumerate().for_each(row_body);
    } else {
        out.chunks_mut(1 << a).enumerate().for_each(row_body);
    }
    out
}

/// Bind the lowest variable to `c`: `f'[i] = f[2i] + c (f[2i+1] - f[2i])`.
pub fn fold(f: &[Fr], c: Fr) -> Vec<Fr> {
    let body = |p: &[Fr]| p[0] + c * (p[1] - p[0]);
    if f.len() >= PAR_THRESHOLD {
        f.par_chunks(2).map(body).collect()
    } else {
        f.chunks(2).map(body).collect()
    }
}

/// `f(point)` by successive folding (2^n multiplications).
pub fn evaluate(f: &[Fr], point: &[Fr]) -> Fr {
    assert_eq!(f.len(), 1 << point.len(), "table length must be 2^num_vars");
    // The first fold reads `f` itself: no full copy of a table that may be gigabytes
    // (the model stack's, when a key is built).
    let Some((first, rest)) = point.split_first() else {
        return f[0];
    };
    let mut cur = fold(f, *first);
    for c in rest {
        cur = fold(&cur, *c);
    }
    cur[0]
}

/// Number of variables of a table whose length is a power of two.
pub fn num_vars(len: usize) -> Option<usize> {
    len.is_power_of_two().then(|| len.trailing_zeros() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::rand_frs;

    /// The definition itself: sum_i f[i] * prod_k (bit ? z_k : 1 - z_k).
    fn naive_evaluate(f: &[Fr], z: &[Fr]) -> Fr {
        (0..f.len())
            .map(|i| {
                let w: Fr = (0..z.len())
                    .map(|k| {
                        if (i >> k) & 1 == 1 {
                            z[k]
                        } else {
                            Fr::one() - z[k]
                        }
                    })
                    .product();
                f[i] * w
            })
            .sum()
    }

    #[test]
    fn evaluate_and_eq_match_naive_oracle() {
        for n in [0usize, 1, 3, 6, 13] {
            let f = rand_frs(1 << n, n as u64);
            let z = rand_frs(n, 100 + n as u64);
            let want = naive_evaluate(&f, &z);
            assert_eq!(evaluate(&f, &z), want);
            let e = eq_table(&z);
            assert_eq!(f.iter().zip(&e).map(|(a, b)| *a * b).sum::<Fr>(), want);
        }
    }

    #[test]
    fn eq_combination_matches_sum_of_tables() {
        let n = 13;
        let mut pts: Vec<Vec<Fr>> = (0..4).map(|k| rand_frs(n, 40 + k)).collect();
        pts[1][12] = Fr::one();
        pts[2][12] = Fr::zero();
        pts[2][11] = Fr::zero();
        let scales = rand_frs(4, 99);
        let mut want = vec![Fr::zero(); 1 << n];
        for (z, s) in pts.iter().zip(&scales) {
            for (w, e) in want.iter_mut().zip(eq_table(z)) {
                *w += e * s;
            }
        }
        assert_eq!(eq_combination(&pts, &scales, n), want);
        assert_eq!(
            eq_combination(&[vec![]], &[Fr::from(3u64)], 0),
            vec![Fr::from(3u64)]
        );
    }

    #[test]
    fn add_scaled_eq_handles_selector_bits() {
        let n = 13;
        let mut z = rand_frs(n, 7);
        z[11] = Fr::one();
        z[12] = Fr::zero();
        z[10] = Fr::one();
        let s = Fr::from(5u64);
        let mut got = vec![Fr::zero(); 1 << n];
        add_scaled_eq(&mut got, &z, s);
        let want: Vec<Fr> = eq_table(&z).into_iter().map(|x| x * s).collect();
        assert_eq!(got, want);
    }
}
