//! Spatial tensors (circuits/conv.md section 1): layouts, the checks of conv and
//! pooling gadgets, and their geometry normalised to two spatial axes.
//!
//! A 1-D tensor `[C, S]` is handled as the 2-D tensor `[C, 1, S]`: its layout
//! `s + pad(S) c` is the same, and a trivial first axis (length 1, kernel 1) has
//! zero variables and wiring `W~ = 1`, so one code path serves both.

use serde::Deserialize;

use super::circuit::{padded_size, Circuit, ColumnKind, Gadget, MAX_BITS};
use super::producer::{earlier, ExtraColumn, ProducerJson, TensorRef};
use crate::error::{Error, Result};
use crate::field::Fr;
use crate::wiring::Axis;

fn invalid<T>(i: usize, msg: &str) -> Result<T> {
    Err(Error::InvalidArgument(format!(
        "circuit: gadget {i}: {msg}"
    )))
}

/// A validated conv (conv.md section 2): its operand, weight, bias and geometry.
#[derive(Clone, Debug)]
pub struct Conv {
    pub x: TensorRef,
    pub weight: String,
    pub bias: Option<String>,
    pub bias_shift: u32,
    pub geo: Geom,
}

/// A validated sumpool or maxpool (conv.md section 3): power-of-two windows with
/// stride = window; `bits` is a sumpool's `lshift` or a maxpool's `diff_bits`.
#[derive(Clone, Debug)]
pub struct Pool {
    pub x: TensorRef,
    pub bits: u32,
    pub geo: Geom,
}

/// A max's committed columns: `K` differences of `bits`, then `K` 1-bit selectors.
pub fn max_columns(k: usize, bits: u32) -> Vec<ExtraColumn> {
    let diffs = (0..k).map(|w| (ColumnKind::PoolDiff(w), bits, None));
    diffs
        .chain((0..k).map(|w| (ColumnKind::PoolSel(w), 1, None)))
        .collect()
}

/// `log2 pad(n)`.
pub fn lp(n: usize) -> usize {
    n.next_power_of_two().trailing_zeros() as usize
}

/// Channels and two spatial axes (the first trivial for 1-D): `axes[0]` is the
/// first spatial axis (`y`), `axes[1]` the last, lowest one (`x`).
#[derive(Clone, Copy, Debug)]
pub struct Geom {
    pub c_in: usize,
    pub c_out: usize,
    pub axes: [Axis; 2],
}

impl Geom {
    /// Log sizes `(pS_2, pS_1, pK_2, pK_1, pC)` of the conv instance's variable parts.
    pub fn conv_vars(&self) -> [usize; 5] {
        let [a1, a2] = self.axes;
        [lp(a2.n_in), lp(a1.n_in), lp(a2.k), lp(a1.k), lp(self.c_in)]
    }

    /// Log sizes of the output's spatial parts `(pT_2, pT_1)`.
    pub fn out_vars(&self) -> (usize, usize) {
        (lp(self.axes[1].n_out), lp(self.axes[0].n_out))
    }

    /// The taps (windows) `K_1 K_2`.
    pub fn taps(&self) -> usize {
        self.axes[0].k * self.axes[1].k
    }

    /// Padded input width `pC pS_1 pS_2`.
    pub fn in_width(&self) -> usize {
        self.c_in.next_power_of_two()
            * self.axes[0].n_in.next_power_of_two()
            * self.axes[1].n_in.next_power_of_two()
    }

    /// Padded output width `pO pT_1 pT_2`.
    pub fn out_width(&self) -> usize {
        self.c_out.next_power_of_two()
            * self.axes[0].n_out.next_power_of_two()
            * self.axes[1].n_out.next_power_of_two()
    }
}

fn two_d(v: &[usize], one: usize) -> [usize; 2] {
    if v.len() == 1 {
        [one, v[0]]
    } else {
        [v[0], v[1]]
    }
}

/// A conv as read: a 1-D or 2-D convolution (section 2).
#[derive(Clone, Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "struct variant ProducerJson::Conv with 10 elements"
)]
pub struct ConvJson {
    pub x: TensorRef,
    pub weight: String,
    #[serde(deserialize_with = "super::circuit::required")]
    pub bias: Option<String>,
    pub bias_shift: u32,
    pub in_shape: Vec<usize>,
    pub out_shape: Vec<usize>,
    pub kernel: Vec<usize>,
    pub strides: Vec<usize>,
    pub dilations: Vec<usize>,
    pub pads: Vec<usize>,
}

/// A sumpool as read: sum over power-of-two windows, `acc = 2^lshift sum_w x_w`
/// (section 3).
#[derive(Clone, Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "struct variant ProducerJson::Sumpool with 5 elements"
)]
pub struct SumpoolJson {
    pub x: TensorRef,
    pub in_shape: Vec<usize>,
    pub out_shape: Vec<usize>,
    pub window: Vec<usize>,
    pub lshift: u32,
}

/// A maxpool as read: max over power-of-two windows with committed differences and
/// selectors (section 3).
#[derive(Clone, Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "struct variant ProducerJson::Maxpool with 5 elements"
)]
pub struct MaxpoolJson {
    pub x: TensorRef,
    pub in_shape: Vec<usize>,
    pub out_shape: Vec<usize>,
    pub window: Vec<usize>,
    pub diff_bits: u32,
}

/// Why no conv, pooling or window gadget may be the output: its tensor has padding
/// the statement could not carry.
pub const SPATIAL_OUTPUT: &str = "the output gadget may not be a conv or pooling gadget";

impl ConvJson {
    /// Its geometry as read (`None` for malformed lengths).
    pub fn geom(&self) -> Option<Geom> {
        let params: [&[usize]; 4] = [&self.kernel, &self.strides, &self.dilations, &self.pads];
        geom_of(&self.in_shape, &self.out_shape, params)
    }
}

/// A pool's geometry: stride = window, no padding or dilation.
fn pool_geom(in_shape: &[usize], out_shape: &[usize], window: &[usize]) -> Option<Geom> {
    let (ones, zeros) = (vec![1; window.len()], vec![0; window.len()]);
    geom_of(in_shape, out_shape, [window, window, &ones, &zeros])
}

impl SumpoolJson {
    pub fn geom(&self) -> Option<Geom> {
        pool_geom(&self.in_shape, &self.out_shape, &self.window)
    }
}

impl MaxpoolJson {
    pub fn geom(&self) -> Option<Geom> {
        pool_geom(&self.in_shape, &self.out_shape, &self.window)
    }
}

/// The geometry of shapes `[C, S..]` to `[C', T..]` with per-axis kernel, strides,
/// dilations and pads.
pub fn geom_of(in_shape: &[usize], out_shape: &[usize], params: [&[usize]; 4]) -> Option<Geom> {
    let n = in_shape.len();
    if !(2..=3).contains(&n) || out_shape.len() != n || params.iter().any(|v| v.len() != n - 1) {
        return None;
    }
    let [kernel, strides, dilations, pads] = params;
    let s = two_d(&in_shape[1..], 1);
    let t = two_d(&out_shape[1..], 1);
    let k = two_d(kernel, 1);
    let st = two_d(strides, 1);
    let d = two_d(dilations, 1);
    let pd = two_d(pads, 0);
    let axis = |a: usize| Axis::new(t[a], s[a], k[a], st[a], d[a], pd[a]).ok();
    Some(Geom {
        c_in: in_shape[0],
        c_out: out_shape[0],
        axes: [axis(0)?, axis(1)?],
    })
}

/// The checks of conv.md sections 2, 3 and 5 every spatial gadget `i` shares: its
/// operand `x` an earlier tensor, its geometry `geo` as read (`None`: malformed)
/// within limits, and the padded shapes the widths of `x` and of the gadget.
pub fn checked_geom(
    c: &Circuit<ProducerJson>,
    i: usize,
    g: &Gadget<ProducerJson>,
    (x, in_shape, out_shape): (TensorRef, &[usize], &[usize]),
    geo: Option<Geom>,
) -> Result<Geom> {
    if !earlier(i, x) {
        return invalid(i, "operand is not an earlier tensor");
    }
    let Some(geo) = geo else {
        return invalid(i, "shapes, kernel or axis parameters out of limits");
    };
    let (Some(win), Some(wout)) = (padded_size(in_shape), padded_size(out_shape)) else {
        return invalid(i, "shapes out of limits");
    };
    if c.width(x) != win || g.features != wout {
        return invalid(i, "widths do not match the padded shapes");
    }
    Ok(geo)
}

/// A conv gadget `i`: the shared checks, then its weight is
/// `C_out x (pad(K) pad(C_in))`, its bias `1 x C_out`.
pub fn conv(
    c: &Circuit<ProducerJson>,
    i: usize,
    g: &Gadget<ProducerJson>,
    j: &ConvJson,
) -> Result<Conv> {
    let geo = checked_geom(c, i, g, (j.x, &j.in_shape, &j.out_shape), j.geom())?;
    let w = c.tensor(&j.weight)?;
    let taps =
        padded_size(&j.kernel).and_then(|k| k.checked_mul(j.in_shape[0].next_power_of_two()));
    if w.rows != geo.c_out || Some(w.cols) != taps || j.bias_shift > MAX_BITS {
        return invalid(i, "conv weight shape does not match");
    }
    if let Some(b) = &j.bias {
        let b = c.tensor(b)?;
        if b.rows != 1 || b.cols != geo.c_out {
            return invalid(i, "conv bias shape does not match");
        }
    }
    Ok(Conv {
        x: j.x,
        weight: j.weight.clone(),
        bias: j.bias.clone(),
        bias_shift: j.bias_shift,
        geo,
    })
}

/// A sumpool gadget `i`: the shared checks, then [`pool`]'s with its lshift.
pub fn sumpool(
    c: &Circuit<ProducerJson>,
    i: usize,
    g: &Gadget<ProducerJson>,
    j: &SumpoolJson,
) -> Result<Pool> {
    let geo = checked_geom(c, i, g, (j.x, &j.in_shape, &j.out_shape), j.geom())?;
    pool(i, g, (j.x, &j.window, j.lshift), geo, false)
}

/// A maxpool gadget `i`: the shared checks, then [`pool`]'s with its diff bits.
pub fn maxpool(
    c: &Circuit<ProducerJson>,
    i: usize,
    g: &Gadget<ProducerJson>,
    j: &MaxpoolJson,
) -> Result<Pool> {
    let geo = checked_geom(c, i, g, (j.x, &j.in_shape, &j.out_shape), j.geom())?;
    pool(i, g, (j.x, &j.window, j.diff_bits), geo, true)
}

/// A sumpool (`bits` its lshift) or maxpool (`bits` its diff bits): power-of-two
/// windows inside the input, equal channels; a maxpool needs shift 0, divisor 1, no
/// excess and 1..64 diff bits.
fn pool(
    i: usize,
    g: &Gadget<ProducerJson>,
    (x, window, bits): (TensorRef, &[usize], u32),
    geo: Geom,
    max: bool,
) -> Result<Pool> {
    let pow2 = window.iter().all(|k| k.is_power_of_two());
    let fits = geo.axes.iter().all(|a| a.k * a.n_out <= a.n_in);
    if geo.c_in != geo.c_out || !pow2 || !fits {
        return invalid(i, "pooling windows do not fit the input");
    }
    let p = Pool { x, bits, geo };
    if max {
        if !(1..=MAX_BITS).contains(&bits)
            || g.shift != 0
            || g.divisor != 1
            || g.excess_hi_bits != 0
            || g.excess_lo_bits != 0
        {
            return invalid(
                i,
                "maxpool needs shift 0, divisor 1, no excess and 1..64 diff bits",
            );
        }
        return Ok(p);
    }
    if bits > MAX_BITS {
        return invalid(i, "sumpool lshift out of limits");
    }
    Ok(p)
}

/// Padded index of each ONNX-order feature of a shaped tensor (`[C, S_1(, S_2)]`).
pub fn layout(shape: &[usize]) -> Vec<usize> {
    let s = two_d(&shape[1..], 1);
    let ps = [s[0].next_power_of_two(), s[1].next_power_of_two()];
    let mut out = Vec::with_capacity(shape.iter().product());
    for c in 0..shape[0] {
        for y in 0..s[0] {
            for x in 0..s[1] {
                out.push(x + ps[1] * (y + ps[0] * c));
            }
        }
    }
    out
}

/// Window `w`'s offsets `(w_1, w_2)` (last axis fastest).
pub fn window_offsets(geo: &Geom, w: usize) -> (usize, usize) {
    (w / geo.axes[1].k, w % geo.axes[1].k)
}

fn bits(v: usize, n: usize) -> impl Iterator<Item = Fr> {
    (0..n).map(move |k| Fr::from(((v >> k) & 1) as u64))
}

/// The window point of `r_g = (r_x, r_y, r_c, r_b)` for window `w` (conv.md section 3).
pub fn window_point(geo: &Geom, r_g: &[Fr], w: usize) -> Vec<Fr> {
    let (w1, w2) = window_offsets(geo, w);
    let (lt2, lt1) = geo.out_vars();
    let [a1, a2] = geo.axes;
    let (r_x, rest) = r_g.split_at(lt2);
    let (r_y, rest) = rest.split_at(lt1);
    let axis = |off: usize, a: &Axis, r: &[Fr]| -> Vec<Fr> {
        let kb = lp(a.k);
        let mut v: Vec<Fr> = bits(off, kb).chain(r.iter().copied()).collect();
        v.resize(lp(a.n_in), Fr::from(0u64));
        v
    };
    let mut out = axis(w2, &a2, r_x);
    out.extend(axis(w1, &a1, r_y));
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inference::circuit::Circuit;
    use crate::mle::evaluate;
    use crate::testing::rand_frs;

    #[test]
    fn window_point_reads_the_window_entry() {
        // A 2x2 pool of a [3, 6, 5] map into [3, 3, 2]: check on boolean points
        // and at a random point by linearity (the window point is affine in r_g).
        let p = MaxpoolJson {
            x: TensorRef::Input,
            in_shape: vec![3, 6, 5],
            out_shape: vec![3, 3, 2],
            window: vec![2, 2],
            diff_bits: 8,
        };
        let geo = p.geom().unwrap();
        let table = rand_frs(geo.in_width() * 2, 5);
        let out_vars = lp(geo.out_width()) + 1;
        for idx in 0..1 << out_vars {
            let r: Vec<Fr> = bits(idx, out_vars).collect();
            let (x, y, c, b) = (idx & 1, (idx >> 1) & 3, (idx >> 3) & 3, idx >> 5);
            for w in 0..4 {
                let (w1, w2) = window_offsets(&geo, w);
                let f = (2 * x + w2) + 8 * ((2 * y + w1) + 8 * c) + 256 * b;
                assert_eq!(evaluate(&table, &window_point(&geo, &r, w)), table[f]);
            }
        }
    }

    /// Every malformed variant of a valid CNN circuit is refused with an error
    /// (never a panic).
    #[test]
    fn malformed_spatial_circuits_are_refused() {
        use serde_json::{json, Value};
        let base: Value =
            serde_json::from_slice(&super::super::testkit_cnn::cnn_2d(1).circuit_json).unwrap();
        assert!(Circuit::parse(&serde_json::to_vec(&base).unwrap()).is_ok());
        // (gadget index or None for the input, key, new value or None to delete)
        let edits: Vec<(Option<usize>, &str, Option<Value>)> = vec![
            (None, "shape", None),
            (None, "shape", Some(json!([2, 8, 9]))),
            (None, "shape", Some(json!([2, 2, 4, 8]))),
            (None, "shape", Some(json!([0, 8, 8]))),
            (Some(0), "kernel", Some(json!([3]))),
            (Some(0), "kernel", Some(json!([3, 0]))),
            (Some(0), "strides", Some(json!([2, 0]))),
            (Some(0), "pads", Some(json!([1, 70000]))),
            (Some(0), "dilations", Some(json!([1, -1]))),
            (Some(0), "in_shape", Some(json!([2, 8, 17]))),
            (Some(0), "in_shape", Some(json!([4, 8, 8]))),
            (Some(0), "out_shape", Some(json!([3, 4, 2]))),
            (Some(0), "out_shape", Some(json!([4, 4, 4]))),
            (Some(0), "kernel", Some(json!([5, 5]))),
            (Some(0), "bias", None),
            (Some(0), "groups", Some(json!(1))),
            (Some(0), "x", Some(json!(3))),
            (Some(1), "window", Some(json!([2, 3]))),
            (Some(1), "window", Some(json!([4, 4]))),
            (Some(1), "out_shape", Some(json!([2, 2, 2]))),
            (Some(1), "diff_bits", Some(json!(0))),
            (Some(1), "diff_bits", Some(json!(65))),
            (Some(1), "lshift", Some(json!(0))),
        ];
        for (g, key, val) in edits {
            let mut v = base.clone();
            let obj = match g {
                None => &mut v["input"],
                Some(g) => &mut v["gadgets"][g]["producer"],
            };
            let obj = obj.as_object_mut().unwrap();
            match val.clone() {
                Some(x) => obj.insert(key.into(), x),
                None => obj.remove(key),
            };
            let bytes = serde_json::to_vec(&v).unwrap();
            assert!(
                Circuit::parse(&bytes).is_err(),
                "{g:?} {key} {val:?} accepted"
            );
        }
        // A maxpool with a shift, and a conv as the output gadget.
        let mut v = base.clone();
        v["gadgets"][1]["shift"] = json!(1);
        assert!(Circuit::parse(&serde_json::to_vec(&v).unwrap()).is_err());
        let mut v = base.clone();
        v["output"] =
            json!({"gadget": 0, "features": v["gadgets"][0]["features"], "argmax": false});
        assert!(Circuit::parse(&serde_json::to_vec(&v).unwrap()).is_err());
    }

    #[test]
    fn layout_is_row_major_over_padded_dims() {
        assert_eq!(layout(&[2, 3]), vec![0, 1, 2, 4, 5, 6]);
        let l = layout(&[1, 3, 3]);
        assert_eq!(l, vec![0, 1, 2, 4, 5, 6, 8, 9, 10]);
    }
}
