//! Small convolutional test models and the spatial part of the reference witness
//! (circuits/conv.md), computed over the whole padded tensors independently of
//! `zkml/witness.py`: padded conv outputs get `2^d bias`, pools read padded entries.

use serde_json::{json, Value};

use super::circuit::{bit_length, Circuit, Gadget, Producer};
use super::spatial::{layout, window_offsets};
use super::testkit::{assemble_stack, excess_bits, TestModel, TestTensor};
use crate::testing::rand_small;

/// A tensor of a model under construction.
#[derive(Clone, Debug)]
pub struct T {
    pub(crate) r: Value,
    /// `[C, S_1(, S_2)]`, or `None` for a flat tensor.
    pub(crate) shape: Option<Vec<usize>>,
    pub(crate) features: usize,
    pub(crate) width: usize,
    pub(crate) lo: i64,
    pub(crate) hi: i64,
}

impl T {
    /// Padded positions of the real entries (ONNX order).
    fn real(&self) -> Vec<usize> {
        match &self.shape {
            Some(s) => layout(s),
            None => (0..self.features).collect(),
        }
    }
    pub(crate) fn amax(&self) -> i128 {
        self.lo.unsigned_abs().max(self.hi.unsigned_abs()) as i128
    }
}

/// Builder of a CNN test model: 8-bit activations, ReLU after convs, shift 6.
pub struct Cnn {
    pub(crate) tensors: Vec<TestTensor>,
    pub(crate) gadgets: Vec<Value>,
    input: Value,
    seed: u64,
}

fn pad_prod(dims: &[usize]) -> usize {
    dims.iter().map(|d| d.next_power_of_two()).product()
}

impl Cnn {
    /// A model whose input has `shape` (`None`: flat with `features`).
    pub fn new(shape: Option<Vec<usize>>, features: usize, seed: u64) -> (Self, T) {
        let width = shape.as_deref().map_or(features, pad_prod);
        let input = json!({"features": features, "bits": 8, "frac_bits": 4, "shape": shape});
        let t = T {
            r: json!("input"),
            shape,
            features,
            width,
            lo: -128,
            hi: 127,
        };
        let m = Cnn {
            tensors: Vec::new(),
            gadgets: Vec::new(),
            input,
            seed,
        };
        (m, t)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn gadget(
        &mut self,
        producer: Value,
        shape: Option<Vec<usize>>,
        features: usize,
        shift: u32,
        (lo, hi): (i64, i64),
        (ep, em): (u32, u32),
        source: &str,
    ) -> T {
        let width = shape.as_deref().map_or(features, pad_prod);
        self.gadgets.push(
            json!({"producer": producer, "features": width, "shift": shift,
            "lo": lo, "hi": hi, "excess_hi_bits": ep, "excess_lo_bits": em, "divisor": 1, "frac_bits": 4,
            "source": source}),
        );
        T {
            r: json!(self.gadgets.len() - 1),
            shape,
            features,
            width,
            lo,
            hi,
        }
    }

    pub(crate) fn next_seed(&mut self) -> u64 {
        self.seed += 17;
        self.seed
    }

    /// A conv with ReLU; `pads` are begin pads (end pads equal).
    pub fn conv(
        &mut self,
        x: &T,
        out_ch: usize,
        kernel: &[usize],
        strides: &[usize],
        dilations: &[usize],
        pads: &[usize],
    ) -> T {
        let in_shape = x.shape.clone().expect("conv of a spatial tensor");
        let c = in_shape[0];
        let out: Vec<usize> = (0..kernel.len())
            .map(|a| {
                let span = dilations[a] * (kernel[a] - 1) + 1;
                (in_shape[1 + a] + 2 * pads[a] - span) / strides[a] + 1
            })
            .collect();
        let taps = c.next_power_of_two() * pad_prod(kernel);
        let (pk, k2) = if kernel.len() == 2 {
            (
                [kernel[0].next_power_of_two(), kernel[1].next_power_of_two()],
                kernel[1],
            )
        } else {
            ([1, kernel[0].next_power_of_two()], kernel[0])
        };
        let k1 = if kernel.len() == 2 { kernel[0] } else { 1 };
        let seed = self.next_seed();
        let vals = rand_small(out_ch * c * k1 * k2, 4, seed);
        let mut w = vec![0i64; out_ch * taps];
        let mut it = vals.iter();
        for o in 0..out_ch {
            for ch in 0..c {
                for i in 0..k1 {
                    for j in 0..k2 {
                        w[o * taps + j + pk[1] * (i + pk[0] * ch)] = *it.next().expect("value");
                    }
                }
            }
        }
        let row_max: i128 = w
            .chunks(taps)
            .map(|r| r.iter().map(|v| v.unsigned_abs() as i128).sum())
            .max()
            .unwrap_or(0);
        let l = self.gadgets.len();
        let bias = rand_small(out_ch, 6, seed + 1);
        self.tensors.push((format!("cw{l}"), out_ch, taps, w));
        self.tensors.push((format!("cb{l}"), 1, out_ch, bias));
        let acc_max = x.amax() * row_max + (32 << 1);
        let (ep, em) = excess_bits(acc_max, 6, 0, 127);
        let mut out_shape = vec![out_ch];
        out_shape.extend(&out);
        let producer = json!({"op": "conv", "x": x.r, "weight": format!("cw{l}"),
            "bias": format!("cb{l}"), "bias_shift": 1, "in_shape": in_shape,
            "out_shape": out_shape, "kernel": kernel, "strides": strides,
            "dilations": dilations, "pads": pads});
        let n = out_shape.iter().product();
        self.gadget(producer, Some(out_shape), n, 6, (0, 127), (ep, em), "conv")
    }

    fn pooled(x: &T, window: &[usize]) -> (Vec<usize>, Vec<usize>) {
        let in_shape = x.shape.clone().expect("pool of a spatial tensor");
        let mut out = vec![in_shape[0]];
        out.extend(window.iter().enumerate().map(|(a, k)| in_shape[1 + a] / k));
        (in_shape, out)
    }

    /// An average pool: `acc = 2^lshift sum`, shift `lshift + log2 prod K`.
    pub fn sumpool(&mut self, x: &T, window: &[usize], lshift: u32) -> T {
        let (in_shape, out) = Self::pooled(x, window);
        let k: usize = window.iter().product();
        let shift = lshift + k.trailing_zeros();
        let producer = json!({"op": "sumpool", "x": x.r, "in_shape": in_shape,
            "out_shape": out, "window": window, "lshift": lshift});
        let n = out.iter().product();
        self.gadget(
            producer,
            Some(out),
            n,
            shift,
            (x.lo, x.hi),
            (0, 0),
            "avgpool",
        )
    }

    pub fn maxpool(&mut self, x: &T, window: &[usize]) -> T {
        let (in_shape, out) = Self::pooled(x, window);
        let diff_bits = bit_length((x.hi - x.lo) as u128);
        let producer = json!({"op": "maxpool", "x": x.r, "in_shape": in_shape,
            "out_shape": out, "window": window, "diff_bits": diff_bits});
        let n = out.iter().product();
        self.gadget(producer, Some(out), n, 0, (x.lo, x.hi), (0, 0), "maxpool")
    }

    /// `(x + y + 1) >> 1` of two tensors of the same shape, clamped to `[0, 127]`.
    pub fn add(&mut self, x: &T, y: &T) -> T {
        assert_eq!(x.width, y.width);
        let producer = json!({"op": "add", "x": x.r, "y": y.r, "signs": [1, 1], "lshifts": [0, 0]});
        let ex = excess_bits(x.amax() + y.amax(), 1, 0, 127);
        self.gadget(
            producer,
            x.shape.clone(),
            x.features,
            1,
            (0, 127),
            ex,
            "add",
        )
    }

    /// A dense layer over the real entries of `x` (zero weights on its padding).
    pub fn dense(&mut self, x: &T, n: usize, relu: bool) -> T {
        let seed = self.next_seed();
        let real = x.real();
        let vals = rand_small(n * real.len(), 4, seed);
        let mut w = vec![0i64; n * x.width];
        for o in 0..n {
            for (k, &f) in real.iter().enumerate() {
                w[o * x.width + f] = vals[o * real.len() + k];
            }
        }
        let row_max: i128 = vals
            .chunks(real.len())
            .map(|r| r.iter().map(|v| v.unsigned_abs() as i128).sum())
            .max()
            .unwrap_or(0);
        let l = self.gadgets.len();
        self.tensors.push((format!("dw{l}"), n, x.width, w));
        self.tensors
            .push((format!("db{l}"), 1, n, rand_small(n, 8, seed + 1)));
        let (lo, hi) = if relu { (0, 127) } else { (-128, 127) };
        let ex = excess_bits(x.amax() * row_max + 128, 6, lo, hi);
        let producer = json!({"op": "dense", "x": x.r, "weight": format!("dw{l}"),
            "bias": format!("db{l}"), "bias_shift": 0});
        self.gadget(producer, None, n, 6, (lo, hi), ex, "fc")
    }

    pub fn finish(self, out: &T, argmax: bool) -> TestModel {
        let (stack, entries, num_vars) = assemble_stack(&self.tensors);
        let circuit = json!({
            "format": "zkml-circuit", "version": 1, "input": self.input, "limb_bits": 8,
            "output": {"gadget": self.gadgets.len() - 1, "features": out.features, "argmax": argmax},
            "gadgets": self.gadgets,
            "model_stack": {"num_vars": num_vars, "log_cols": num_vars / 2, "range_bits": 8, "tensors": entries},
        });
        TestModel {
            circuit_json: serde_json::to_vec(&circuit).expect("json"),
            model_stack: stack,
        }
    }
}

/// A 2-D CNN on a shaped `[2, 8, 8]` input: conv 3x3 stride 2 pad 1, 2x2 maxpool,
/// 1x1 conv, residual add of two spatial tensors, dense head.
pub fn cnn_2d(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(Some(vec![2, 8, 8]), 128, seed);
    let a = m.conv(&x, 3, &[3, 3], &[2, 2], &[1, 1], &[1, 1]);
    let p = m.maxpool(&a, &[2, 2]);
    let q = m.conv(&p, 3, &[1, 1], &[1, 1], &[1, 1], &[0, 0]);
    let s = m.add(&p, &q);
    let h = m.dense(&s, 5, true);
    let o = m.dense(&h, 4, false);
    m.finish(&o, false)
}

/// Dilation 2 with "same" padding, 2x2 sumpool, a global 4x4 sumpool with lshift,
/// a 4x4 conv and a 2x2 maxpool over the odd 5x5 map, two dense heads added.
pub fn cnn_pools(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(Some(vec![1, 8, 8]), 64, seed);
    let a = m.conv(&x, 2, &[3, 3], &[1, 1], &[2, 2], &[2, 2]);
    let p = m.sumpool(&a, &[2, 2], 0);
    let g = m.sumpool(&p, &[4, 4], 1);
    let b = m.conv(&x, 2, &[4, 4], &[1, 1], &[1, 1], &[0, 0]);
    let q = m.maxpool(&b, &[2, 2]);
    let h1 = m.dense(&q, 3, true);
    let h2 = m.dense(&g, 3, true);
    let s = m.add(&h1, &h2);
    let out = m.dense(&s, 3, false);
    m.finish(&out, false)
}

/// A 1-D CNN on a shaped `[2, 10]` input: conv k3 pad 1, maxpool 2, dense head.
pub fn cnn_1d(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(Some(vec![2, 10]), 20, seed);
    let a = m.conv(&x, 3, &[3], &[1], &[1], &[1]);
    let p = m.maxpool(&a, &[2]);
    let o = m.dense(&p, 4, false);
    m.finish(&o, true)
}

/// LeNet-5 sized: 28x28 input, conv 1->6 5x5, 2x2 maxpool, conv 6->16 5x5, 2x2
/// maxpool, dense 256 -> 120 -> 84 -> 10.
pub fn lenet(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(Some(vec![1, 28, 28]), 784, seed);
    let a = m.conv(&x, 6, &[5, 5], &[1, 1], &[1, 1], &[0, 0]);
    let p = m.maxpool(&a, &[2, 2]);
    let b = m.conv(&p, 16, &[5, 5], &[1, 1], &[1, 1], &[0, 0]);
    let q = m.maxpool(&b, &[2, 2]);
    let h = m.dense(&q, 120, true);
    let h = m.dense(&h, 84, true);
    let o = m.dense(&h, 10, false);
    m.finish(&o, false)
}

/// The accumulator of a conv or pooling gadget over the padded output (batch rows
/// `bp`), and for pools the window entries (per window, the output-sized table).
pub fn spatial_acc(
    c: &Circuit,
    g: &Gadget,
    model_stack: &[i64],
    xt: &[i128],
    bp: usize,
) -> (Vec<i128>, Vec<Vec<i128>>) {
    let geo = *g.producer.geom().expect("spatial gadget");
    let [a1, a2] = geo.axes;
    let p2 = |n: usize| n.next_power_of_two();
    let (ps1, ps2, pt1, pt2) = (p2(a1.n_in), p2(a2.n_in), p2(a1.n_out), p2(a2.n_out));
    let (win, wout) = (geo.in_width(), geo.out_width());
    let pco = p2(geo.c_out);
    let mut acc = vec![0i128; bp * wout];
    if let Producer::Conv(p) = &g.producer {
        let (weight, bias, bias_shift) = (&p.weight, &p.bias, p.bias_shift);
        let wt = c.tensor(weight).expect("weight");
        let wv = &model_stack[wt.offset..wt.offset + wt.slot_size()];
        let taps = wt.cols_pad();
        let bv = bias.as_ref().map(|n| {
            let t = c.tensor(n).expect("bias");
            &model_stack[t.offset..t.offset + t.slot_size()]
        });
        let (pk1, pk2) = (p2(a1.k), p2(a2.k));
        let pos = |a: &crate::wiring::Axis, y: usize, i: usize| -> Option<usize> {
            let v = (a.stride * y + a.dilation * i) as i64 - a.pad as i64;
            (0..a.n_in as i64).contains(&v).then_some(v as usize)
        };
        for b in 0..bp {
            for o in 0..pco {
                for y in 0..pt1 {
                    for x in 0..pt2 {
                        let mut s: i128 = bv.map_or(0, |bv| (bv[o] as i128) << bias_shift);
                        // Wire(y, i, y') needs y < T: a padded output reads nothing.
                        if y < a1.n_out && x < a2.n_out {
                            for ch in 0..geo.c_in {
                                for i in 0..a1.k {
                                    let Some(iy) = pos(&a1, y, i) else { continue };
                                    for j in 0..a2.k {
                                        let Some(ix) = pos(&a2, x, j) else { continue };
                                        let wgt = wv[o * taps + j + pk2 * (i + pk1 * ch)] as i128;
                                        s += wgt * xt[b * win + ix + ps2 * (iy + ps1 * ch)];
                                    }
                                }
                            }
                        }
                        acc[b * wout + x + pt2 * (y + pt1 * o)] = s;
                    }
                }
            }
        }
        return (acc, Vec::new());
    }
    let k = g.producer.windows();
    let mut windows = vec![vec![0i128; bp * wout]; k];
    for (w, table) in windows.iter_mut().enumerate() {
        let (w1, w2) = window_offsets(&geo, w);
        for b in 0..bp {
            for ch in 0..pco {
                for y in 0..pt1 {
                    for x in 0..pt2 {
                        let f = (a2.k * x + w2) + ps2 * ((a1.k * y + w1) + ps1 * ch);
                        table[b * wout + x + pt2 * (y + pt1 * ch)] = xt[b * win + f];
                    }
                }
            }
        }
    }
    match &g.producer {
        Producer::Sumpool(p) => {
            for (i, a) in acc.iter_mut().enumerate() {
                *a = windows.iter().map(|t| t[i]).sum::<i128>() << p.bits;
            }
        }
        _ => {
            for (i, a) in acc.iter_mut().enumerate() {
                *a = windows.iter().map(|t| t[i]).max().unwrap_or(0);
            }
        }
    }
    (acc, windows)
}

/// A maxpool's `D_w = z - x_w` and one-hot `S_w` on the first window entry equal to `z`.
pub fn max_columns(z: &[i128], windows: &[Vec<i128>]) -> (Vec<Vec<i128>>, Vec<Vec<i128>>) {
    let d = windows
        .iter()
        .map(|t| z.iter().zip(t).map(|(a, b)| a - b).collect())
        .collect();
    let mut s = vec![vec![0i128; z.len()]; windows.len()];
    for i in 0..z.len() {
        let first = (0..windows.len())
            .find(|&w| windows[w][i] == z[i])
            .unwrap_or(0);
        s[first][i] = 1;
    }
    (d, s)
}
