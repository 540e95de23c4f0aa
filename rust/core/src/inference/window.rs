//! General pooling windows (circuits/conv.md section 5): `"winsum"` and `"winmax"`,
//! any kernel, stride, dilation and begin padding, through the wiring MLE.
//!
//! Taps `t = j + K_2 i` (last axis fastest; a 1-D window is the 2-D window with a
//! trivial first axis, spatial.rs, so its taps are `t = j`). The per-axis sums over
//! taps are separable: `sum_t c_t A_1(i) A_2(j) = (sum_i gamma^(K_2 i) A_1(i))
//! (sum_j gamma^j A_2(j))`, so every table here is a product of two axis tables.

use ark_ff::{Field, One};
use serde::Deserialize;

use super::circuit::{Circuit, ColumnKind, Gadget, MAX_BITS};
use super::limits::MAX_WINDOW_TAPS;
use super::matmul::fold_rows;
use super::producer::{ProducerJson, TensorRef};
use super::spatial::{checked_geom, geom_of, lp, Geom};
use super::tensors::{tensor_table, Columns};
use crate::error::{Error, Result};
use crate::field::{pow2, Fr};
use crate::mle::{eq_table, evaluate};
use crate::sumcheck::product::Term;
use crate::sumcheck::{PairProduct, ProductSum, SumcheckProver};
use crate::wiring::{wire_table_y, Axis};

/// A window producer as read (conv.md section 5): the geometry keys, then `$last`
/// (a winsum's `lshift`, a winmax's `diff_bits`), exactly these keys.
macro_rules! window_json {
    ($(#[$doc:meta])* $name:ident, $last:ident, $max:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            pub x: TensorRef,
            pub in_shape: Vec<usize>,
            pub out_shape: Vec<usize>,
            pub kernel: Vec<usize>,
            pub strides: Vec<usize>,
            pub dilations: Vec<usize>,
            pub pads: Vec<usize>,
            pub $last: u32,
        }

        impl $name {
            /// Its geometry as read (`None` for malformed lengths).
            pub fn geom(&self) -> Option<Geom> {
                let params: [&[usize]; 4] = [&self.kernel, &self.strides, &self.dilations, &self.pads];
                geom_of(&self.in_shape, &self.out_shape, params)
            }

            /// The shared spatial checks (spatial.rs), then [`build`]'s.
            pub fn check(
                &self,
                c: &Circuit<ProducerJson>,
                i: usize,
                g: &Gadget<ProducerJson>,
            ) -> Result<Window> {
                let shapes = (self.x, &self.in_shape[..], &self.out_shape[..]);
                let geo = checked_geom(c, i, g, shapes, self.geom())?;
                build(i, g, (self.x, &self.kernel, self.$last), geo, $max)
            }
        }
    };
}
window_json!(
    /// A winsum as read: a sum over general pooling windows.
    WinsumJson, lshift, false
);
window_json!(
    /// A winmax as read: a max over general pooling windows.
    WinmaxJson, diff_bits, true
);

/// A validated winsum or winmax: its operand, `bits` (a winsum's lshift, a winmax's
/// diff bits) and geometry.
#[derive(Clone, Debug)]
pub struct Window {
    pub x: TensorRef,
    pub bits: u32,
    pub geo: Geom,
}

fn invalid<T>(i: usize, msg: &str) -> Result<T> {
    Err(Error::InvalidArgument(format!(
        "circuit: gadget {i}: {msg}"
    )))
}

/// Whether every real output position `y < n_out` of an axis reads some input
/// through a tap, in `O(n_out)`.
fn every_output_reads(a: &Axis) -> bool {
    let (s, d, p, n) = (
        a.stride as i64,
        a.dilation as i64,
        a.pad as i64,
        a.n_in as i64,
    );
    (0..a.n_out as i64).all(|y| {
        // Smallest tap i >= 0 with s y + d i - p >= 0.
        let need = p - s * y;
        let i0 = if need <= 0 { 0 } else { (need + d - 1) / d };
        i0 < a.k as i64 && s * y + d * i0 - p < n
    })
}

/// The checks of conv.md section 5 beyond the shared spatial ones (spatial.rs:
/// axis limits, widths): equal channel counts; winsum: `0 <= lshift <= 64`;
/// winmax: `1 <= diff_bits <= 64`, shift 0, divisor 1, no excess, and every real
/// output reads at least one tap. Then the producer with its geometry.
pub fn build(
    i: usize,
    g: &Gadget<ProducerJson>,
    (x, kernel, bits): (TensorRef, &[usize], u32),
    geo: Geom,
    max: bool,
) -> Result<Window> {
    if geo.c_in != geo.c_out {
        return invalid(i, "window channel counts differ");
    }
    // nonlinear.md section 9: at most 1024 taps.
    let taps = kernel.iter().try_fold(1usize, |a, k| a.checked_mul(*k));
    if taps.is_none_or(|t| t > MAX_WINDOW_TAPS) {
        return invalid(i, "window has more than 1024 taps");
    }
    if !max {
        if bits > MAX_BITS {
            return invalid(i, "winsum needs lshift in 0..64");
        }
        return Ok(Window { x, bits, geo });
    }
    let bits_ok = (1..=MAX_BITS).contains(&bits);
    if !bits_ok || g.shift != 0 || g.divisor != 1 || g.excess_hi_bits != 0 || g.excess_lo_bits != 0
    {
        return invalid(
            i,
            "winmax needs shift 0, divisor 1, no excess and 1..64 diff bits",
        );
    }
    if !geo.axes.iter().all(every_output_reads) {
        return invalid(i, "winmax has an output whose window reads only padding");
    }
    Ok(Window { x, bits, geo })
}

/// The input position read by tap `i` of output `y` on an axis, if any.
pub fn pos(a: &Axis, y: usize, i: usize) -> Option<usize> {
    if y >= a.n_out || i >= a.k {
        return None;
    }
    let v = (a.stride * y + a.dilation * i) as i64 - a.pad as i64;
    (0..a.n_in as i64).contains(&v).then_some(v as usize)
}

/// Tap `t`'s indices `(i, j)` (axis 1, axis 2).
pub fn tap(geo: &Geom, t: usize) -> (usize, usize) {
    (t / geo.axes[1].k, t % geo.axes[1].k)
}

// ---------------------------------------------------------------- witness

/// Per tap, the entry `X_t` over the gadget's padded output (`bp` batch rows; 0
/// where the tap reads nothing) and `V_t`.
pub fn taps(geo: &Geom, xt: &[i128], bp: usize) -> (Vec<Vec<i128>>, Vec<Vec<bool>>) {
    let [a1, a2] = geo.axes;
    let p2 = |n: usize| n.next_power_of_two();
    let (ps1, ps2, pt1, pt2) = (p2(a1.n_in), p2(a2.n_in), p2(a1.n_out), p2(a2.n_out));
    let (win, wout, pc) = (geo.in_width(), geo.out_width(), p2(geo.c_out));
    let k = a1.k * a2.k;
    let mut xs = vec![vec![0i128; bp * wout]; k];
    let mut vs = vec![vec![false; bp * wout]; k];
    for t in 0..k {
        let (i, j) = tap(geo, t);
        for y in 0..pt1 {
            let Some(iy) = pos(&a1, y, i) else { continue };
            for x in 0..pt2 {
                let Some(ix) = pos(&a2, x, j) else { continue };
                for row in 0..bp * pc {
                    let f = x + pt2 * (y + pt1 * row);
                    xs[t][f] = xt[row / pc * win + ix + ps2 * (iy + ps1 * (row % pc))];
                    vs[t][f] = true;
                }
            }
        }
    }
    (xs, vs)
}

/// The accumulator of a winsum (`2^l sum_t X_t`) or winmax (the max over reading
/// taps, 0 where none reads), and the taps.
pub fn reference_acc(w: &Window, max: bool, xt: &[i128], bp: usize) -> (Vec<i128>, Vec<Vec<i128>>) {
    let geo = &w.geo;
    let (xs, vs) = taps(geo, xt, bp);
    let n = bp * geo.out_width();
    let acc = (0..n)
        .map(|f| {
            if max {
                (0..xs.len())
                    .filter(|&t| vs[t][f])
                    .map(|t| xs[t][f])
                    .max()
                    .unwrap_or(0)
            } else {
                xs.iter().map(|x| x[f]).sum::<i128>() << w.bits
            }
        })
        .collect();
    (acc, xs)
}

/// A winmax's `D_t = V_t (z - X_t)` and `S_t`: one-hot on the first reading tap
/// with `X_t = z` (the first reading tap if none: a cheating witness), zero where
/// no tap reads.
pub fn max_columns(
    w: &Window,
    z: &[i128],
    xs: &[Vec<i128>],
    bp: usize,
) -> (Vec<Vec<i128>>, Vec<Vec<i128>>) {
    let geo = &w.geo;
    let (_, vs) = taps(geo, &vec![0; bp * geo.in_width()], bp);
    let d = (0..xs.len())
        .map(|t| {
            (0..z.len())
                .map(|f| if vs[t][f] { z[f] - xs[t][f] } else { 0 })
                .collect()
        })
        .collect();
    let mut s = vec![vec![0i128; z.len()]; xs.len()];
    for f in 0..z.len() {
        let reading: Vec<usize> = (0..xs.len()).filter(|&t| vs[t][f]).collect();
        let pick = reading
            .iter()
            .find(|&&t| xs[t][f] == z[f])
            .or(reading.first());
        if let Some(&t) = pick {
            s[t][f] = 1;
        }
    }
    (d, s)
}

// ---------------------------------------------------------------- prover

/// `(r_x, r_y, (r_c, r_b))` of a window gadget's point.
fn split<'a>(geo: &Geom, r_g: &'a [Fr]) -> (&'a [Fr], &'a [Fr], &'a [Fr]) {
    let (lt2, lt1) = geo.out_vars();
    let (r_x, rest) = r_g.split_at(lt2);
    let (r_y, rest) = rest.split_at(lt1);
    (r_x, r_y, rest)
}

/// Tap weights `(gamma^(K_2 i))_i` and `(gamma^j)_j`.
fn coefs(geo: &Geom, gamma: Fr) -> (Vec<Fr>, Vec<Fr>) {
    let k2 = geo.axes[1].k;
    let g2 = gamma.pow([k2 as u64]);
    (
        crate::field::powers(g2, geo.axes[0].k),
        crate::field::powers(gamma, k2),
    )
}

/// `P(x') = sum_i coef[i] W~(r, bits(i), x')` over `x' < pad(n_in)`, from `wire_table_y`.
pub fn tap_sums(a: &Axis, r: &[Fr], coef: &[Fr]) -> Result<Vec<Fr>> {
    let t = wire_table_y(a, r)?;
    let n = 1usize << lp(a.n_in);
    Ok((0..n)
        .map(|x| (0..a.k).map(|i| coef[i] * t[x + n * i]).sum())
        .collect())
}

/// `sum_i coef[i] V_i(y)` over `y < pad(n_out)`.
fn v_sums(a: &Axis, coef: &[Fr]) -> Vec<Fr> {
    (0..a.n_out.next_power_of_two())
        .map(|y| {
            (0..a.k)
                .filter(|&i| pos(a, y, i).is_some())
                .map(|i| coef[i])
                .sum()
        })
        .collect()
}

/// The pair `(X(., r_c, r_b), scale * P_2(x') P_1(y'))` over `(x', y')`.
#[allow(clippy::too_many_arguments)]
fn tap_pair(
    c: &Circuit,
    cols: &Columns,
    (input, b): (&[i64], usize),
    x: TensorRef,
    geo: &Geom,
    r_g: &[Fr],
    (c1, c2): (&[Fr], &[Fr]),
    scale: Fr,
) -> Result<PairProduct<'static>> {
    let (r_x, r_y, rest) = split(geo, r_g);
    let p1 = tap_sums(&geo.axes[0], r_y, c1)?;
    let p2 = tap_sums(&geo.axes[1], r_x, c2)?;
    let a: Vec<Fr> = p1
        .iter()
        .flat_map(|v1| p2.iter().map(move |v2| scale * v1 * v2))
        .collect();
    let xr = fold_rows(
        &tensor_table(c, cols, x, input, b),
        &eq_table(rest),
        a.len(),
    );
    PairProduct::new(xr, a)
}

/// A winsum's instance `sum_{x', y'} 2^l X(x', y', r_c, r_b) A_1(r_y, y') A_2(r_x, x')`.
pub fn winsum_instance(
    c: &Circuit,
    cols: &Columns,
    ib: (&[i64], usize),
    w: &Window,
    r_g: &[Fr],
) -> Result<PairProduct<'static>> {
    let geo = &w.geo;
    let ones1 = vec![Fr::one(); geo.axes[0].k];
    let ones2 = vec![Fr::one(); geo.axes[1].k];
    let scale = pow2(w.bits);
    tap_pair(c, cols, ib, w.x, geo, r_g, (&ones1, &ones2), scale)
}

/// A winmax's instances (a) `sum eq(r_g', .) z(., r_c, r_b) Vc` and
/// (b) `sum X(., r_c, r_b) Ac`.
pub fn winmax_instances(
    c: &Circuit,
    cols: &Columns,
    (input, b): (&[i64], usize),
    (g, w): (usize, &Window),
    r_g: &[Fr],
    gamma: Fr,
) -> Result<(ProductSum, PairProduct<'static>)> {
    let geo = &w.geo;
    let (c1, c2) = coefs(geo, gamma);
    let inst_b = tap_pair(c, cols, (input, b), w.x, geo, r_g, (&c1, &c2), Fr::one())?;
    let (lt2, lt1) = geo.out_vars();
    let (v1, v2) = (v_sums(&geo.axes[0], &c1), v_sums(&geo.axes[1], &c2));
    let vc: Vec<Fr> = v1
        .iter()
        .flat_map(|a| v2.iter().map(move |b| *a * b))
        .collect();
    let zt = tensor_table(c, cols, TensorRef::Gadget(g), input, b);
    let zr = fold_rows(&zt, &eq_table(&r_g[lt2 + lt1..]), vc.len());
    let term = Term {
        coeff: Fr::one(),
        factors: vec![0, 1, 2],
    };
    let inst_a = ProductSum::new(vec![eq_table(&r_g[..lt2 + lt1]), zr, vc], vec![term])?;
    Ok((inst_a, inst_b))
}

/// A winmax's instance (a) claim `E + sum_t c_t D_t(r_g)`, `E` instance (b)'s.
pub fn winmax_claim_a(
    cols: &Columns,
    (g, w): (usize, &Window),
    r_g: &[Fr],
    gamma: Fr,
    e: Fr,
) -> Fr {
    let geo = &w.geo;
    let (c1, c2) = coefs(geo, gamma);
    let len = 1usize << r_g.len();
    let mut a = e;
    for t in 0..geo.taps() {
        let (i, j) = tap(geo, t);
        let d = cols.combine(&cols.of(g, ColumnKind::PoolDiff(t)), 0, len);
        a += c1[i] * c2[j] * evaluate(&d, r_g);
    }
    a
}

/// A winmax's claims `(E + sum_t c_t D_t(r_g), E)` of instances (a) and (b).
pub fn winmax_claims(
    c: &Circuit,
    cols: &Columns,
    ib: (&[i64], usize),
    gw: (usize, &Window),
    r_g: &[Fr],
    gamma: Fr,
) -> Result<(Fr, Fr)> {
    let (_, inst_b) = winmax_instances(c, cols, ib, gw, r_g, gamma)?;
    let e = inst_b.claim();
    Ok((winmax_claim_a(cols, gw, r_g, gamma, e), e))
}

/// The winmax zerocheck `sum eq(tau, .) [sum_t S_t D_t + beta sum_t S_t (1 - V_t)
/// + beta^2 z (1 - Rg)]`.
pub fn zerocheck_instance(
    c: &Circuit,
    cols: &Columns,
    (input, b): (&[i64], usize),
    (g, w): (usize, &Window),
    tau: &[Fr],
    beta: Fr,
) -> Result<ProductSum> {
    let geo = &w.geo;
    let len = 1usize << c.gadget_vars(g, b);
    let k = geo.taps();
    let [a1, a2] = geo.axes;
    let (pt1, pt2) = (a1.n_out.next_power_of_two(), a2.n_out.next_power_of_two());
    let yx = |f: usize| ((f / pt2) % pt1, f % pt2);
    let mut tables = vec![eq_table(tau)];
    for t in 0..k {
        tables.push(cols.combine(&cols.of(g, ColumnKind::PoolSel(t)), 0, len));
    }
    for t in 0..k {
        tables.push(cols.combine(&cols.of(g, ColumnKind::PoolDiff(t)), 0, len));
    }
    for t in 0..k {
        let (i, j) = tap(geo, t);
        tables.push(
            (0..len)
                .map(|f| {
                    let (y, x) = yx(f);
                    Fr::from(u64::from(
                        pos(&a1, y, i).is_some() && pos(&a2, x, j).is_some(),
                    ))
                })
                .collect(),
        );
    }
    tables.push(tensor_table(c, cols, TensorRef::Gadget(g), input, b));
    tables.push(
        (0..len)
            .map(|f| {
                let (y, x) = yx(f);
                Fr::from(u64::from(y < a1.n_out && x < a2.n_out))
            })
            .collect(),
    );
    let (z, rg) = (1 + 3 * k, 2 + 3 * k);
    let b2 = beta * beta;
    let term = |coeff: Fr, factors: Vec<usize>| Term { coeff, factors };
    let mut terms = Vec::new();
    for t in 0..k {
        let (s, d, v) = (1 + t, 1 + k + t, 1 + 2 * k + t);
        terms.push(term(Fr::one(), vec![0, s, d]));
        terms.push(term(beta, vec![0, s]));
        terms.push(term(-beta, vec![0, s, v]));
    }
    terms.push(term(b2, vec![0, z]));
    terms.push(term(-b2, vec![0, z, rg]));
    let inst = ProductSum::new(tables, terms)?;
    debug_assert!(inst.num_vars() == tau.len());
    Ok(inst)
}

#[cfg(test)]
mod tests {
    use super::super::testkit_window::{win_avg, win_stem};
    use crate::inference::circuit::Circuit;
    use serde_json::{json, Value};

    /// Every malformed variant of the window gadgets is refused with an error.
    #[test]
    fn malformed_window_gadgets_are_refused() {
        let stem: Value = serde_json::from_slice(&win_stem(1).circuit_json).unwrap();
        let avg: Value = serde_json::from_slice(&win_avg(1).circuit_json).unwrap();
        let parse = |v: &Value| Circuit::parse(&serde_json::to_vec(v).unwrap());
        assert!(parse(&stem).is_ok() && parse(&avg).is_ok());
        // (model, gadget, key, value or None to delete; "gadget." edits the gadget)
        let edits: Vec<(&Value, usize, &str, Option<Value>)> = vec![
            (&stem, 1, "diff_bits", Some(json!(0))),
            (&stem, 1, "diff_bits", Some(json!(65))),
            (&stem, 1, "diff_bits", None),
            (&stem, 1, "lshift", Some(json!(0))),
            (&stem, 1, "kernel", Some(json!([3]))),
            (&stem, 1, "kernel", Some(json!([3, 0]))),
            (&stem, 1, "strides", Some(json!([2, 0]))),
            (&stem, 1, "dilations", Some(json!([70000, 1]))),
            (&stem, 1, "pads", Some(json!([1, 70000]))),
            (&stem, 1, "in_shape", Some(json!([4, 9, 9]))),
            (&stem, 1, "out_shape", Some(json!([3, 5, 9]))),
            (&stem, 1, "out_shape", Some(json!([2, 5, 5]))),
            (&stem, 1, "x", Some(json!(1))),
            (&stem, 1, "window", Some(json!([3, 3]))),
            // A window reading only padding for the first outputs.
            (&stem, 1, "pads", Some(json!([3, 1]))),
            (&stem, 1, "gadget.shift", Some(json!(1))),
            (&stem, 1, "gadget.divisor", Some(json!(3))),
            (&stem, 1, "gadget.excess_hi_bits", Some(json!(1))),
            (&avg, 0, "lshift", None),
            (&avg, 0, "lshift", Some(json!(65))),
            (&avg, 0, "diff_bits", Some(json!(8))),
            (&avg, 0, "in_shape", Some(json!([2, 7, 9]))),
            (&avg, 0, "out_shape", Some(json!([3, 7, 7]))),
        ];
        for (base, g, key, val) in edits {
            let mut v = base.clone();
            let obj = match key.strip_prefix("gadget.") {
                Some(k) => (&mut v["gadgets"][g], k),
                None => (&mut v["gadgets"][g]["producer"], key),
            };
            let (o, k) = obj;
            let o = o.as_object_mut().unwrap();
            match val.clone() {
                Some(x) => o.insert(k.into(), x),
                None => o.remove(k),
            };
            assert!(parse(&v).is_err(), "{g} {key} {val:?} accepted");
        }
        // A window gadget may not be the output.
        let mut v = stem.clone();
        v["output"] =
            json!({"gadget": 1, "features": v["gadgets"][1]["features"], "argmax": false});
        assert!(parse(&v).is_err());
    }
}
