//! Small dense circuits with a reference witness builder, for tests, vectors and
//! benchmarks. The product's witness builder is `zkml/witness.py`; this one follows
//! the same text (circuits/inference.md section 2) independently.

use serde_json::json;

use super::circuit::{bit_length, limb_widths, Circuit, Gadget, TensorRef};
use crate::pcs::hyrax::Hyrax;
use crate::testing::rand_small;

pub struct TestModel {
    pub circuit_json: Vec<u8>,
    pub model_stack: Vec<i64>,
}

pub(crate) fn excess_bits(acc_max: i128, shift: u32, lo: i64, hi: i64) -> (u32, u32) {
    excess_bits_div(acc_max, 1 << shift, lo, hi)
}

/// Excess widths for `|acc| <= acc_max` requantized by `d` (round half up).
pub(crate) fn excess_bits_div(acc_max: i128, d: i128, lo: i64, hi: i64) -> (u32, u32) {
    let floor_shift = |a: i128| (a + d / 2).div_euclid(d);
    let (qmax, qmin) = (floor_shift(acc_max), floor_shift(-acc_max));
    let ep = bit_length((qmax - hi as i128).max(0) as u128);
    let em = bit_length((lo as i128 - qmin).max(0) as u128);
    (ep, em)
}

/// A dense network `dims[0] -> dims[1] -> ...` with ReLU on hidden layers and 8-bit
/// activations; with `residual`, one extra same-width layer whose output is added
/// to its input (an `add` gadget).
pub fn mlp(dims: &[usize], residual: bool, seed: u64) -> TestModel {
    mlp_with(dims, residual, false, seed)
}

/// [`mlp`], optionally with an ArgMax output (section 4b).
pub fn mlp_with(dims: &[usize], residual: bool, argmax: bool, seed: u64) -> TestModel {
    mlp_full(dims, residual, argmax, None, seed)
}

/// [`mlp_with`], with LeakyRelu `(alpha, alpha_shift)` instead of ReLU after the
/// first layer: three affine gadgets (inference.md section 2).
pub fn mlp_full(
    dims: &[usize],
    residual: bool,
    argmax: bool,
    leaky: Option<(i64, u32)>,
    seed: u64,
) -> TestModel {
    let shift = 6u32;
    let mut tensors = Vec::new(); // (name, rows, cols, values)
    let mut gadgets = Vec::new();
    let mut prev = json!("input");
    let mut prev_feat = dims[0];
    let last = dims.len() - 1;
    for (l, &n) in dims.iter().enumerate().skip(1) {
        let w = rand_small(n * prev_feat, 5, seed + l as u64);
        let b = rand_small(n, 8, seed + 100 + l as u64);
        let row_max: i128 = w
            .chunks(prev_feat)
            .map(|r| r.iter().map(|v| v.unsigned_abs() as i128).sum())
            .max()
            .unwrap_or(0);
        // Every second layer stores its bias halved, exercising `bias_shift`.
        let bias_shift = (l as u32 + 1) % 2;
        let acc_max = 128 * row_max + (128 << bias_shift);
        let (lo, hi) = if l == last || (l == 1 && leaky.is_some()) {
            (-128i64, 127i64)
        } else {
            (0, 127)
        };
        let (ep, em) = excess_bits(acc_max, shift, lo, hi);
        tensors.push((format!("w{l}"), n, prev_feat, w));
        tensors.push((format!("b{l}"), 1, n, b));
        gadgets.push(json!({
            "producer": {"op": "dense", "x": prev, "weight": format!("w{l}"), "bias": format!("b{l}"), "bias_shift": bias_shift},
            "features": n, "shift": shift, "lo": lo, "hi": hi, "excess_hi_bits": ep, "excess_lo_bits": em, "divisor": 1,
            "frac_bits": 4, "source": format!("fc{l}")}));
        let mut g = gadgets.len() - 1;
        if let (Some((alpha, k)), 1) = (leaky, l) {
            let pos = excess_bits(128, 0, 0, 127);
            let neg = excess_bits(128, 0, 0, 128);
            let out = excess_bits(127 * (1 << k) + 128 * alpha.abs() as i128, k, -128, 127);
            for (terms, lo, hi, (ep, em)) in [
                (json!([[g, 1]]), 0, 127, pos),
                (json!([[g, -1]]), 0, 128, neg),
                (json!([[g + 1, 1i64 << k], [g + 2, -alpha]]), -128, 127, out),
            ] {
                let sh = if hi == 127 && lo == -128 { k } else { 0 };
                gadgets.push(json!({
                    "producer": {"op": "affine", "terms": terms},
                    "features": n, "shift": sh, "lo": lo, "hi": hi, "excess_hi_bits": ep, "excess_lo_bits": em, "divisor": 1,
                    "frac_bits": 4, "source": "leaky"}));
            }
            g = gadgets.len() - 1;
        }
        if residual && l == 1 {
            let w2 = rand_small(n * n, 4, seed + 50);
            let row_max: i128 = w2
                .chunks(n)
                .map(|r| r.iter().map(|v| v.unsigned_abs() as i128).sum())
                .max()
                .unwrap_or(0);
            let (ep, em) = excess_bits(128 * row_max, shift, 0, 127);
            tensors.push(("wres".into(), n, n, w2));
            gadgets.push(json!({
                "producer": {"op": "dense", "x": g, "weight": "wres", "bias": null, "bias_shift": 0},
                "features": n, "shift": shift, "lo": 0, "hi": 127, "excess_hi_bits": ep, "excess_lo_bits": em, "divisor": 1,
                "frac_bits": 4, "source": "res"}));
            let (ep, em) = excess_bits(128 + 256, 1, 0, 127);
            gadgets.push(json!({
                "producer": {"op": "add", "x": g, "y": g + 1, "signs": [1, 1], "lshifts": [0, 1]},
                "features": n, "shift": 1, "lo": 0, "hi": 127, "excess_hi_bits": ep, "excess_lo_bits": em, "divisor": 1,
                "frac_bits": 4, "source": "add"}));
        }
        prev = json!(gadgets.len() - 1);
        prev_feat = n;
    }
    let (stack, entries, num_vars) = assemble_stack(&tensors);
    let circuit = json!({
        "format": "zkml-circuit", "version": 1,
        "input": {"features": dims[0], "bits": 8, "frac_bits": 4, "shape": null}, "limb_bits": 8,
        "output": {"gadget": gadgets.len() - 1, "features": dims[last], "argmax": argmax},
        "gadgets": gadgets,
        "model_stack": {"num_vars": num_vars, "log_cols": num_vars / 2, "range_bits": 8, "tensors": entries},
    });
    TestModel {
        circuit_json: serde_json::to_vec(&circuit).expect("json"),
        model_stack: stack,
    }
}

/// A model tensor of a test model: name, rows, cols and the real `rows x cols` values.
pub(crate) type TestTensor = (String, usize, usize, Vec<i64>);

/// The model stack of `tensors` (slots largest first, consecutive, so aligned), its
/// circuit entries and its variable count.
pub(crate) fn assemble_stack(tensors: &[TestTensor]) -> (Vec<i64>, Vec<serde_json::Value>, usize) {
    let mut order: Vec<usize> = (0..tensors.len()).collect();
    let slot = |i: usize| tensors[i].1.next_power_of_two() * tensors[i].2.next_power_of_two();
    order.sort_by_key(|&i| std::cmp::Reverse(slot(i)));
    let total: usize = order.iter().map(|&i| slot(i)).sum();
    let num_vars = total.next_power_of_two().trailing_zeros() as usize;
    let mut stack = vec![0i64; 1 << num_vars];
    let mut entries = Vec::new();
    let mut offset = 0;
    for i in order {
        let (name, rows, cols, vals) = &tensors[i];
        let cp = cols.next_power_of_two();
        for r in 0..*rows {
            stack[offset + r * cp..offset + r * cp + cols]
                .copy_from_slice(&vals[r * cols..(r + 1) * cols]);
        }
        entries.push(json!({"name": name, "rows": rows, "cols": cols, "offset": offset}));
        offset += slot(i);
    }
    (stack, entries, num_vars)
}

/// `L`-bit limbs of `v`; a negative `v` (only a cheating witness has one) is
/// committed as its field value in the lowest limb, as a cheater would.
pub(crate) fn limbs(v: i128, bits: u32, l: u32) -> Vec<i64> {
    if v < 0 {
        let mut out = vec![0; limb_widths(bits, l).len()];
        out[0] = v as i64;
        return out;
    }
    limb_widths(bits, l)
        .iter()
        .enumerate()
        .map(|(j, _)| ((v >> (l as usize * j)) & ((1 << l) - 1)) as i64)
        .collect()
}

/// The witness columns (circuit order) and the real `B x n_out` output for `input`.
pub fn witness(
    c: &Circuit,
    model_stack: &[i64],
    input: &[i64],
    b: usize,
) -> (Vec<Vec<i64>>, Vec<i64>) {
    witness_tampered(c, model_stack, input, b, usize::MAX, &|_| {})
}

/// A gadget's requantized values over its padded tensor (inference.md section 2,
/// nonlinear.md section 1), from which its columns are written.
#[derive(Clone, Debug)]
pub struct Requantized {
    pub z: Vec<i128>,
    pub rem: Vec<i128>,
    /// `d - 1 - rem` (empty-width column without a divisor).
    pub remc: Vec<i128>,
    pub ep: Vec<i128>,
    pub em: Vec<i128>,
    /// A rowdiv's `R` and `Rc` (from the honest quotient), a max2's `A` and `B` (from the
    /// honest accumulator); empty otherwise.
    pub extra: Vec<Vec<i128>>,
}

/// `acc + 2^(k-1) = 2^k q + rem` (or `acc + floor(d/2) = d q + rem` with a divisor
/// `d > 1`), `z = clamp(q, lo, hi)`, `e+ = max(q - hi, 0)`, `e- = max(lo - q, 0)`.
pub fn requantize(g: &Gadget, acc: &[i128]) -> Requantized {
    let d: i128 = if g.divisor > 1 {
        g.divisor as i128
    } else {
        1 << g.shift
    };
    let (q, rem): (Vec<i128>, Vec<i128>) = acc
        .iter()
        .map(|a| {
            let t = a + d / 2;
            (t.div_euclid(d), t.rem_euclid(d))
        })
        .unzip();
    let (lo, hi) = (g.lo as i128, g.hi as i128);
    Requantized {
        z: q.iter().map(|v| (*v).clamp(lo, hi)).collect(),
        remc: rem.iter().map(|r| d - 1 - r).collect(),
        rem,
        ep: q.iter().map(|v| (v - hi).max(0)).collect(),
        em: q.iter().map(|v| (lo - v).max(0)).collect(),
        extra: Vec::new(),
    }
}

/// What a producer's reference reads (`Producer::reference`): the circuit, the
/// gadget, the model stack, the padded batch `bp` and the earlier tensors.
pub struct RefCx<'a> {
    pub c: &'a Circuit,
    pub g: &'a Gadget,
    pub model_stack: &'a [i64],
    pub bp: usize,
    input: &'a [i64],
    b: usize,
    /// The gadgets' padded outputs so far, row-major `(B', n')`.
    z: &'a [Vec<i128>],
}

impl RefCx<'_> {
    /// A tensor's padded integer table (row-major `(B', n')`) and its row width `n'`.
    pub fn table(&self, t: TensorRef) -> (Vec<i128>, usize) {
        let c = self.c;
        match t {
            TensorRef::Input => {
                let n = c.input.features;
                let np = c.width(TensorRef::Input).next_power_of_two();
                let map: Vec<usize> = match &c.input.shape {
                    Some(shape) => super::spatial::layout(shape),
                    None => (0..n).collect(),
                };
                let mut out = vec![0i128; self.bp * np];
                for r in 0..self.b {
                    for i in 0..n {
                        out[r * np + map[i]] = self.input[r * n + i] as i128;
                    }
                }
                (out, np)
            }
            TensorRef::Gadget(g) => (self.z[g].clone(), c.gadgets[g].features.next_power_of_two()),
        }
    }

    /// The model stack's entries in the slot of tensor `name`.
    pub fn slot(&self, name: &str) -> &[i64] {
        let t = self.c.tensor(name).expect("model tensor");
        &self.model_stack[t.offset..t.offset + t.slot_size()]
    }
}

/// Extra columns computed from a gadget's output `z` as written.
pub type FromZ<'a> = Box<dyn Fn(&[i128]) -> Vec<Vec<i128>> + 'a>;

/// A producer's honest accumulator over its padded output, and its extra columns in
/// `Producer::extra_columns` order.
pub struct Reference<'a> {
    pub acc: Vec<i128>,
    /// Extra columns known with the accumulator (a rowdiv's `R`, `Rc`, a max2's `A`,
    /// `B`): a cheating witness edits them with the rest ([`Requantized::extra`]).
    pub extra: Vec<Vec<i128>>,
    /// Or extra columns from the output `z` as written, after any edit (a max's `D`,
    /// `S`, a rowmax's `D`, `S`).
    pub from_z: Option<FromZ<'a>>,
}

impl<'a> Reference<'a> {
    /// An accumulator without extra columns.
    pub fn acc(acc: Vec<i128>) -> Self {
        Self::with_extra(acc, Vec::new())
    }

    /// An accumulator and the extra columns known with it.
    pub fn with_extra(acc: Vec<i128>, extra: Vec<Vec<i128>>) -> Self {
        Reference {
            acc,
            extra,
            from_z: None,
        }
    }

    /// An accumulator and its extra columns from the written `z`.
    pub fn from_z(acc: Vec<i128>, f: impl Fn(&[i128]) -> Vec<Vec<i128>> + 'a) -> Self {
        Reference {
            acc,
            extra: Vec::new(),
            from_z: Some(Box::new(f)),
        }
    }
}

/// A cheating prover's witness: gadget `tg`'s output `z` (padded, after the clamp)
/// is passed through `tamper`; its own columns and every later gadget are then
/// computed honestly from the changed `z` (a maxpool's or rowmax's `D` and `S`
/// included; a rowdiv's `R`, `Rc` stay those of the honest quotient).
pub fn witness_tampered(
    c: &Circuit,
    model_stack: &[i64],
    input: &[i64],
    b: usize,
    tg: usize,
    tamper: &dyn Fn(&mut [i128]),
) -> (Vec<Vec<i64>>, Vec<i64>) {
    witness_edited(c, model_stack, input, b, tg, &|p: &mut Requantized| {
        tamper(&mut p.z)
    })
}

/// Like [`witness_tampered`], editing every requantized value of gadget `tg`
/// (`z`, `rem`, `remc`, `e+`, `e-`); later gadgets read the edited `z`.
pub fn witness_edited(
    c: &Circuit,
    model_stack: &[i64],
    input: &[i64],
    b: usize,
    tg: usize,
    tamper: &dyn Fn(&mut Requantized),
) -> (Vec<Vec<i64>>, Vec<i64>) {
    let bp = b.next_power_of_two();
    let mut z: Vec<Vec<i128>> = Vec::new(); // padded tensors, row-major (B', n')
    let mut columns = Vec::new();
    for g in &c.gadgets {
        let cx = RefCx {
            c,
            g,
            model_stack,
            bp,
            input,
            b,
            z: &z,
        };
        let r = g.producer.reference(&cx);
        let mut p = requantize(g, &r.acc);
        p.extra = r.extra;
        if z.len() == tg {
            tamper(&mut p);
        }
        let lb = c.limb_bits;
        let mut push = |vals: &[i128], bits: u32| {
            let per: Vec<Vec<i64>> = vals.iter().map(|v| limbs(*v, bits, lb)).collect();
            for j in 0..limb_widths(bits, lb).len() {
                columns.push(per.iter().map(|l| l[j]).collect());
            }
        };
        let (lo, hi) = (g.lo as i128, g.hi as i128);
        let vb = g.value_bits();
        push(&p.z.iter().map(|v| v - lo).collect::<Vec<_>>(), vb);
        if g.has_v() {
            push(&p.z.iter().map(|v| hi - v).collect::<Vec<_>>(), vb);
        }
        push(&p.rem, g.rem_bits());
        push(&p.remc, g.remc_bits());
        push(&p.ep, g.excess_hi_bits);
        push(&p.em, g.excess_lo_bits);
        // as wide as the producer's extra columns say; a max's from the written z
        let extra = r.from_z.map_or(p.extra, |f| f(&p.z));
        for ((_, bits, _), v) in g.producer.extra_columns().iter().zip(&extra) {
            push(v, *bits);
        }
        z.push(p.z);
    }
    let lg = c.output.gadget;
    let (n, np) = (c.output.features, c.output.features.next_power_of_two());
    if c.output.argmax {
        let zl = &z[lg];
        let first_max = |r: usize| {
            (0..n).fold(0, |k, i| {
                if zl[r * np + i] > zl[r * np + k] {
                    i
                } else {
                    k
                }
            })
        };
        let ks: Vec<usize> = (0..b).map(first_max).collect();
        let mut d = vec![0i128; bp * np];
        for (r, &k) in ks.iter().enumerate() {
            for i in 0..n {
                d[r * np + i] = zl[r * np + k] - zl[r * np + i] - i128::from(i < k);
            }
        }
        let (bits, lb) = (c.gadgets[lg].value_bits(), c.limb_bits);
        let per: Vec<Vec<i64>> = d.iter().map(|v| limbs(*v, bits, lb)).collect();
        for j in 0..limb_widths(bits, lb).len() {
            columns.push(per.iter().map(|l| l[j]).collect());
        }
        return (columns, ks.iter().map(|k| *k as i64).collect());
    }
    let out = (0..b)
        .flat_map(|r| (0..n).map(move |o| (r, o)))
        .map(|(r, o)| z[lg][r * np + o] as i64)
        .collect();
    (columns, out)
}

/// The same model with limb width `L` (`"limb_bits"`, nonlinear.md section 5).
pub fn with_limb_bits(m: TestModel, limb_bits: u32) -> TestModel {
    let mut v: serde_json::Value = serde_json::from_slice(&m.circuit_json).expect("json");
    v["limb_bits"] = json!(limb_bits);
    TestModel {
        circuit_json: serde_json::to_vec(&v).expect("json"),
        model_stack: m.model_stack,
    }
}

/// The kind-4 verifying key (with its well-formedness proof) and its digest.
pub fn verifying_key(hyrax: &Hyrax, m: &TestModel) -> (Vec<u8>, [u8; 32]) {
    let vk = super::model_key::build_verifying_key(hyrax, &m.circuit_json, &m.model_stack)
        .expect("valid test model");
    let d = super::model_key::vk_digest(&vk);
    (vk, d)
}

/// Best wall time of `runs` proofs of `inp` (the benchmark examples' loop), and the
/// proof's size.
pub fn best_prove_time(
    hyrax: &Hyrax,
    inp: &super::InferenceInput<'_>,
    runs: usize,
) -> (f64, usize) {
    let mut best = f64::INFINITY;
    let mut size = 0;
    for _ in 0..runs.max(1) {
        let t = std::time::Instant::now();
        let p = super::prove(
            hyrax,
            super::InferenceInput {
                columns: inp.columns.clone(),
                ..*inp
            },
        )
        .expect("prove");
        best = best.min(t.elapsed().as_secs_f64());
        size = p.len();
    }
    (best, size)
}
