//! Row maximum and row division (circuits/nonlinear.md section 7), and the
//! row-broadcast operands they use (section 6).
//!
//! ```text
//! rowmax: sum_x eq(tau, x) [ D - mask z_b + mask X + beta (S - mask S) + beta^2 S D ] = 0
//!         (over x's variables), and 2^m S(1/2.., r_b) = 1 at the gadget's point
//! rowdiv: sum_x eq(tau, x) [ 2^(l+1) X + y_b - 2 y_b q - R
//!                            + beta (z - hi) e+ + beta^2 (z - lo) e- ] = 0,
//!         and R + Rc = 2 y_b - 1 at the gadget's point
//! ```
//!
//! Rows are grouped (section 12): a row is a pair (group `g`, batch row `b`), the
//! feature index of `x` splits as `f = i + P g` (`i` the low `log2 P` variables).
//! `z_b` and `y_b` are row values (width `G`) broadcast along `i`: their value at
//! `(r_i, r_grp, r_b)` is their MLE at `(r_grp, r_b)`. `G = 1` (`P = pad(width(x))`)
//! is sections 6-7. Every factor (`eq`, `mask`, the broadcast) is its own
//! multilinear table, never folded into another.

use ark_ff::{Field, One};
use serde::Deserialize;

use super::circuit::{Circuit, ColumnKind, Gadget, MAX_BITS};
use super::producer::{earlier, ExtraColumn, ProducerJson, TensorRef};
use super::tensors::{tensor_table, Columns};
use super::Claims;
use crate::error::{Error, Result};
use crate::field::{from_i64, pow2, Fr};
use crate::mle::{eq_table, evaluate};
use crate::sumcheck::product::Term;
use crate::sumcheck::ProductSum;

/// The group size `P = pad(wide) / pad(groups)` when `1 <= groups` and `pad(groups)`
/// divides `pad(wide)` (nonlinear.md section 12), else `None`.
pub fn group_size(wide: usize, groups: usize) -> Option<usize> {
    let (pw, pg) = (wide.next_power_of_two(), groups.next_power_of_two());
    (groups >= 1 && pg <= pw).then_some(pw / pg)
}

/// A validated rowmax: `z[g][b] = max_{i < n} x[b][i + P g]`, `group` the size `P`
/// (of `x`'s width over the gadget's features).
#[derive(Clone, Debug)]
pub struct Rowmax {
    pub x: TensorRef,
    pub n: usize,
    pub diff_bits: u32,
    pub group: usize,
}

impl Rowmax {
    /// `D` and the 1-bit `S`, both of `x`'s length (nonlinear.md section 7).
    pub fn columns(&self) -> Vec<ExtraColumn> {
        vec![
            (ColumnKind::RowDiff, self.diff_bits, Some(self.x)),
            (ColumnKind::RowSel, 1, Some(self.x)),
        ]
    }
}

/// A validated rowdiv: `q = round(2^lshift x / y_b)`, `group` the size `P` (of the
/// gadget's features over `y`'s width).
#[derive(Clone, Debug)]
pub struct Rowdiv {
    pub x: TensorRef,
    pub y: TensorRef,
    pub lshift: u32,
    pub rem_bits: u32,
    pub group: usize,
}

impl Rowdiv {
    /// `R` and `Rc = 2 y_b - 1 - R`, of `rem_bits` each.
    pub fn columns(&self) -> Vec<ExtraColumn> {
        vec![
            (ColumnKind::DivRem, self.rem_bits, None),
            (ColumnKind::DivRemc, self.rem_bits, None),
        ]
    }
}

/// A rowmax as read: `z[g][b] = max_{i < n} x[b][i + P g]` with committed
/// differences `D` and selectors `S` of `x`'s length (nonlinear.md sections 7, 12).
#[derive(Clone, Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "struct variant ProducerJson::Rowmax with 3 elements"
)]
pub struct RowmaxJson {
    pub x: TensorRef,
    pub n: usize,
    pub diff_bits: u32,
}

/// A rowdiv as read: `q = round(2^lshift x / y_b)` for a row value `y` (one value per
/// group and batch row), with committed `R`, `Rc` (nonlinear.md sections 7, 12).
#[derive(Clone, Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "struct variant ProducerJson::Rowdiv with 4 elements"
)]
pub struct RowdivJson {
    pub x: TensorRef,
    pub y: TensorRef,
    pub lshift: u32,
    pub rem_bits: u32,
}

fn mismatch(i: usize, what: &str) -> Error {
    Error::InvalidArgument(format!(
        "circuit: gadget {i}: {what} parameters do not match"
    ))
}

/// The checks of a rowmax gadget `i` (nonlinear.md sections 7, 12), and its producer
/// with its group size.
pub fn rowmax(
    c: &Circuit<ProducerJson>,
    i: usize,
    g: &Gadget<ProducerJson>,
    j: &RowmaxJson,
) -> Result<Rowmax> {
    let refs_ok = earlier(i, j.x);
    let (lo_x, hi_x) = if refs_ok { c.range(j.x) } else { (0, 0) };
    let p = refs_ok
        .then(|| group_size(c.width(j.x), g.features))
        .flatten();
    let ok = p.is_some_and(|p| (1..=p).contains(&j.n))
        && (1..=MAX_BITS).contains(&j.diff_bits)
        && g.shift == 0
        && g.divisor == 1
        && g.excess_hi_bits == 0
        && g.excess_lo_bits == 0
        && g.lo <= lo_x
        && hi_x <= g.hi;
    let group = p.filter(|_| ok).ok_or_else(|| mismatch(i, "rowmax"))?;
    Ok(Rowmax {
        x: j.x,
        n: j.n,
        diff_bits: j.diff_bits,
        group,
    })
}

/// The checks of a rowdiv gadget `i` (nonlinear.md sections 7, 12), and its producer
/// with its group size.
pub fn rowdiv(
    c: &Circuit<ProducerJson>,
    i: usize,
    g: &Gadget<ProducerJson>,
    j: &RowdivJson,
) -> Result<Rowdiv> {
    let shapes_ok = earlier(i, j.x) && earlier(i, j.y) && c.width(j.x) == g.features;
    let p = shapes_ok.then(|| group_size(g.features, c.width(j.y)));
    let ok = j.lshift <= MAX_BITS
        && (1..=MAX_BITS).contains(&j.rem_bits)
        && g.shift == 0
        && g.divisor == 1;
    let group = p
        .flatten()
        .filter(|_| ok)
        .ok_or_else(|| mismatch(i, "rowdiv"))?;
    Ok(Rowdiv {
        x: j.x,
        y: j.y,
        lshift: j.lshift,
        rem_bits: j.rem_bits,
        group,
    })
}

/// The last `n` coordinates of `point` (a tensor's point inside a longer one: a
/// row value's `(group, batch)` part).
pub fn suffix(point: &[Fr], n: usize) -> &[Fr] {
    &point[point.len() - n..]
}

/// `1/2` in the field.
pub fn half() -> Fr {
    Fr::from(2u64).inverse().expect("2 is invertible")
}

/// `[i % np < n]` over `len` entries (rows of `np = P` features).
pub fn row_mask(n: usize, np: usize, len: usize) -> Vec<Fr> {
    (0..len).map(|i| Fr::from(u64::from(i % np < n))).collect()
}

/// A one-value-per-row table (a row value, `pad(G) B'` entries) broadcast to rows
/// of `np = P` features.
pub fn broadcast(t: &[Fr], np: usize) -> Vec<Fr> {
    t.iter().flat_map(|v| std::iter::repeat_n(*v, np)).collect()
}

/// The acc-evals of a rowmax after its own `u` (and `v`) limbs: `S` at
/// `(1/2, .., 1/2, r_grp, r_b)` (the `log2 P` position variables `1/2`).
pub fn rowmax_acc_evals(
    cols: &Columns,
    claims: &mut Claims<'_>,
    g: usize,
    r_g: &[Fr],
    evals: &mut Vec<Fr>,
) {
    for ci in cols.of(g, ColumnKind::RowSel) {
        // S has x's length: log2 P more variables than the gadget's point.
        let pv = cols.tables[ci].len().trailing_zeros() as usize - r_g.len();
        let mut p = vec![half(); pv];
        p.extend_from_slice(r_g);
        let v = evaluate(&cols.tables[ci], &p);
        claims.column(ci, &p, v);
        evals.push(v);
    }
}

/// The tables `(X, z_b)` of a rowmax over `x`'s length, and the mask.
fn rowmax_tables(
    c: &Circuit,
    cols: &Columns,
    input: &[i64],
    b: usize,
    (g, p): (usize, &Rowmax),
) -> (Vec<Fr>, Vec<Fr>, Vec<Fr>) {
    let xt = tensor_table(c, cols, p.x, input, b);
    let zt = tensor_table(c, cols, TensorRef::Gadget(g), input, b);
    let zb = broadcast(&zt, p.group);
    let mask = row_mask(p.n, p.group, xt.len());
    (xt, zb, mask)
}

/// The rowmax instance (claim 0).
pub fn rowmax_instance(
    c: &Circuit,
    cols: &Columns,
    (input, b): (&[i64], usize),
    (g, p): (usize, &Rowmax),
    tau: &[Fr],
    beta: Fr,
) -> Result<ProductSum> {
    let (xt, zb, mask) = rowmax_tables(c, cols, input, b, (g, p));
    let len = xt.len();
    let d = cols.combine(&cols.of(g, ColumnKind::RowDiff), 0, len);
    let s = cols.combine(&cols.of(g, ColumnKind::RowSel), 0, len);
    // Factors: 0 eq, 1 D, 2 mask, 3 z_b, 4 X, 5 S.
    let tables = vec![eq_table(tau), d, mask, zb, xt, s];
    let t = |coeff: Fr, factors: Vec<usize>| Term { coeff, factors };
    let terms = vec![
        t(Fr::one(), vec![0, 1]),
        t(-Fr::one(), vec![0, 2, 3]),
        t(Fr::one(), vec![0, 2, 4]),
        t(beta, vec![0, 5]),
        t(-beta, vec![0, 2, 5]),
        t(beta * beta, vec![0, 5, 1]),
    ];
    ProductSum::new(tables, terms)
}

/// The rowdiv instance (claim 0), with the gadget's clamp terms when it has
/// `ep`/`em` columns.
pub fn rowdiv_instance(
    c: &Circuit,
    cols: &Columns,
    (input, b): (&[i64], usize),
    (g, p): (usize, &Rowdiv),
    tau: &[Fr],
    beta: Fr,
) -> Result<ProductSum> {
    let gad = &c.gadgets[g];
    let np = p.group;
    let xt = tensor_table(c, cols, p.x, input, b);
    let len = xt.len();
    let yb = broadcast(&tensor_table(c, cols, p.y, input, b), np);
    let z = cols.combine(&cols.of(g, ColumnKind::U), gad.lo, len);
    let r = cols.combine(&cols.of(g, ColumnKind::DivRem), 0, len);
    // Factors: 0 eq, 1 X, 2 y_b, 3 z, 4 R, then e+ and e- when present.
    let mut tables = vec![eq_table(tau), xt, yb, z, r];
    let t = |coeff: Fr, factors: Vec<usize>| Term { coeff, factors };
    let two = Fr::from(2u64);
    let mut terms = vec![
        t(pow2(p.lshift + 1), vec![0, 1]),
        t(Fr::one(), vec![0, 2]),
        t(-two, vec![0, 2, 3]),
        t(-Fr::one(), vec![0, 4]),
    ];
    let (ep, em) = (cols.of(g, ColumnKind::Ep), cols.of(g, ColumnKind::Em));
    if !ep.is_empty() {
        tables.push(cols.combine(&ep, 0, len));
        let e = tables.len() - 1;
        terms.push(t(-two, vec![0, 2, e]));
        terms.push(t(beta, vec![0, 3, e]));
        terms.push(t(-beta * from_i64(gad.hi), vec![0, e]));
    }
    if !em.is_empty() {
        tables.push(cols.combine(&em, 0, len));
        let e = tables.len() - 1;
        let b2 = beta * beta;
        terms.push(t(two, vec![0, 2, e]));
        terms.push(t(b2, vec![0, 3, e]));
        terms.push(t(-b2 * from_i64(gad.lo), vec![0, e]));
    }
    ProductSum::new(tables, terms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::rand_frs;

    #[test]
    fn centre_value_times_size_is_the_sum() {
        // sum over the low m variables of a multilinear f is 2^m f(1/2.., r_b).
        let (m, nb) = (4usize, 2usize);
        let t = rand_frs(1 << (m + nb), 3);
        let rb = rand_frs(nb, 4);
        let eb = eq_table(&rb);
        let naive: Fr = (0..t.len()).map(|i| eb[i >> m] * t[i]).sum();
        let mut p = vec![half(); m];
        p.extend_from_slice(&rb);
        assert_eq!(pow2(m as u32) * evaluate(&t, &p), naive);
    }

    #[test]
    fn group_size_needs_fewer_padded_groups_than_entries() {
        assert_eq!(group_size(10, 1), Some(16));
        assert_eq!(group_size(32, 3), Some(8));
        assert_eq!(group_size(32, 6), Some(4));
        assert_eq!(group_size(15, 15), Some(1));
        assert_eq!(group_size(32, 33), None);
        assert_eq!(group_size(32, 0), None);
    }

    #[test]
    fn grouped_broadcast_mle_reads_the_group_and_batch_variables() {
        // G = 3 (pad 4) groups of P = 8, two batch rows: y at (r_grp, r_b).
        let y = rand_frs(8, 7);
        let p = rand_frs(6, 8);
        assert_eq!(evaluate(&broadcast(&y, 8), &p), evaluate(&y, suffix(&p, 3)));
        let mask = row_mask(5, 8, 64);
        assert_eq!(
            evaluate(&mask, &p),
            super::super::spatialsum::lt(&p[..3], 5)
        );
    }

    #[test]
    fn broadcast_mle_ignores_the_feature_variables() {
        let y = rand_frs(4, 5);
        let yb = broadcast(&y, 8);
        let p = rand_frs(5, 6);
        assert_eq!(evaluate(&yb, &p), evaluate(&y, &p[3..]));
        let mask = row_mask(5, 8, 32);
        assert_eq!(
            evaluate(&mask, &p),
            super::super::spatialsum::lt(&p[..3], 5)
        );
    }
}
