//! Test models with general pooling windows (circuits/conv.md section 5): a ResNet
//! stem max pool, a 3x3 average with divisor 9, a 1-D dilated max pool. The integer
//! witness is computed by testkit.rs (window.rs: `reference_acc`, `max_columns`).

use serde_json::json;

use super::circuit::bit_length;
use super::testkit::TestModel;
use super::testkit_cnn::{Cnn, T};

impl Cnn {
    fn window_out(
        x: &T,
        kernel: &[usize],
        strides: &[usize],
        dil: &[usize],
        pads: &[usize],
    ) -> (Vec<usize>, Vec<usize>) {
        let in_shape = x.shape.clone().expect("window of a spatial tensor");
        let mut out = vec![in_shape[0]];
        out.extend((0..kernel.len()).map(|a| {
            let span = dil[a] * (kernel[a] - 1) + 1;
            (in_shape[1 + a] + 2 * pads[a] - span) / strides[a] + 1
        }));
        (in_shape, out)
    }

    /// A max pool over general windows (padding reads nothing: ONNX `-inf`).
    pub fn winmax(
        &mut self,
        x: &T,
        kernel: &[usize],
        strides: &[usize],
        dil: &[usize],
        pads: &[usize],
    ) -> T {
        let (in_shape, out) = Self::window_out(x, kernel, strides, dil, pads);
        let diff_bits = bit_length((x.hi - x.lo) as u128);
        let producer = json!({"op": "winmax", "x": x.r, "in_shape": in_shape,
            "out_shape": out, "kernel": kernel, "strides": strides, "dilations": dil,
            "pads": pads, "diff_bits": diff_bits});
        let n = out.iter().product();
        let (lo, hi) = (x.lo.min(0), x.hi.max(0));
        self.gadget(producer, Some(out), n, 0, (lo, hi), (0, 0), "maxpool")
    }

    /// An average pool (`count_include_pad = 1`): winsum divided by `prod K`.
    pub fn winavg(&mut self, x: &T, kernel: &[usize], strides: &[usize], pads: &[usize]) -> T {
        let dil = vec![1; kernel.len()];
        let (in_shape, out) = Self::window_out(x, kernel, strides, &dil, pads);
        let k: usize = kernel.iter().product();
        let producer = json!({"op": "winsum", "x": x.r, "in_shape": in_shape,
            "out_shape": out, "kernel": kernel, "strides": strides, "dilations": dil,
            "pads": pads, "lshift": 0});
        let n = out.iter().product();
        let t = self.gadget(producer, Some(out), n, 0, (x.lo, x.hi), (0, 0), "avgpool");
        self.gadgets.last_mut().expect("gadget")["divisor"] = json!(k);
        t
    }
}

/// ResNet stem style: conv 3x3 pad 1 on `[2, 9, 9]`, max pool 3x3 stride 2 pad 1
/// (9x9 -> 5x5, padded to 8x8), dense head.
pub fn win_stem(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(Some(vec![2, 9, 9]), 162, seed);
    let a = m.conv(&x, 3, &[3, 3], &[1, 1], &[1, 1], &[1, 1]);
    let p = m.winmax(&a, &[3, 3], &[2, 2], &[1, 1], &[1, 1]);
    let h = m.dense(&p, 6, true);
    let o = m.dense(&h, 4, false);
    m.finish(&o, false)
}

/// A 3x3 stride-1 average with padding 1 (divisor 9) on a `[2, 7, 7]` input, dense head.
pub fn win_avg(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(Some(vec![2, 7, 7]), 98, seed);
    let p = m.winavg(&x, &[3, 3], &[1, 1], &[1, 1]);
    let o = m.dense(&p, 4, false);
    m.finish(&o, false)
}

/// 1-D: conv k3 pad 1 on `[2, 12]`, max pool kernel 3 stride 2 dilation 2 pad 2
/// (12 -> 6), dense head with argmax.
pub fn win_1d(seed: u64) -> TestModel {
    let (mut m, x) = Cnn::new(Some(vec![2, 12]), 24, seed);
    let a = m.conv(&x, 3, &[3], &[1], &[1], &[1]);
    let p = m.winmax(&a, &[3], &[2], &[2], &[2]);
    let o = m.dense(&p, 4, false);
    m.finish(&o, true)
}
