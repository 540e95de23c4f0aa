//! MLE of the 1-D convolution wiring predicate (circuits/wiring.md).
//!
//! `Wire(y, i, x) = [y < n_out] [i < k] [x < n_in] [s y + d i = x + p]` is recognised
//! by a digit-serial automaton read LSB first, so its MLE is a forward pass over at
//! most `8 (s + d + 1)` states per bit: `O(log n)` field operations for the verifier.
//! The prover side ([`wire_table_y`]) binds `y` and tabulates the rest.

use std::collections::BTreeMap;

use ark_ff::{One, Zero};

use crate::error::{Error, Result};
use crate::field::Fr;
use crate::mle::eq_table;

/// Limits of circuits/wiring.md; they keep `s y + d i` far inside `i64`.
pub const MAX_LEN: usize = 1 << 24;
pub const MAX_STEP: usize = 1 << 16;
/// Tables beyond this many variables are refused rather than allocated.
const MAX_TABLE_VARS: usize = 30;

/// One spatial axis of a convolution or pooling window.
///
/// Fields are public for convenience; every function here validates before use, so
/// an out-of-range axis gives `Error::InvalidArgument`, never a panic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Axis {
    pub n_out: usize,
    pub n_in: usize,
    pub k: usize,
    pub stride: usize,
    pub dilation: usize,
    pub pad: usize,
}

fn invalid<T>(msg: String) -> Result<T> {
    Err(Error::InvalidArgument(msg))
}

/// `ceil(log2 n)`, 0 for `n <= 1`.
fn log2_ceil(n: usize) -> usize {
    (usize::BITS - (n.max(1) - 1).leading_zeros()) as usize
}

fn bit(n: usize, t: usize) -> bool {
    t < usize::BITS as usize && (n >> t) & 1 == 1
}

impl Axis {
    pub fn new(
        n_out: usize,
        n_in: usize,
        k: usize,
        stride: usize,
        dilation: usize,
        pad: usize,
    ) -> Result<Self> {
        let a = Axis {
            n_out,
            n_in,
            k,
            stride,
            dilation,
            pad,
        };
        a.validate()?;
        Ok(a)
    }

    pub fn validate(&self) -> Result<()> {
        for (name, v) in [("n_out", self.n_out), ("n_in", self.n_in), ("k", self.k)] {
            if !(1..=MAX_LEN).contains(&v) {
                return invalid(format!("wiring: {name} = {v} outside [1, 2^24]"));
            }
        }
        for (name, v) in [("stride", self.stride), ("dilation", self.dilation)] {
            if !(1..=MAX_STEP).contains(&v) {
                return invalid(format!("wiring: {name} = {v} outside [1, 2^16]"));
            }
        }
        if self.pad > MAX_STEP {
            return invalid(format!("wiring: pad = {} above 2^16", self.pad));
        }
        Ok(())
    }

    /// `(m_y, m_k, m_x)`: the variable counts of `y`, `i` and `x`.
    pub fn vars(&self) -> (usize, usize, usize) {
        (
            log2_ceil(self.n_out),
            log2_ceil(self.k),
            log2_ceil(self.n_in),
        )
    }

    /// The integer predicate `Wire(y, i, x)`.
    pub fn wire(&self, y: usize, i: usize, x: usize) -> bool {
        let lhs = self.stride as u128 * y as u128 + self.dilation as u128 * i as u128;
        y < self.n_out && i < self.k && x < self.n_in && lhs == x as u128 + self.pad as u128
    }

    /// `L = 1 + max(m_y, m_k, m_x, bitlen(p))`: the `+ 1` covers `bitlen(n) = m + 1`
    /// when a length is a power of two.
    fn num_bits(&self) -> usize {
        let (my, mk, mx) = self.vars();
        let pad_bits = (usize::BITS - self.pad.leading_zeros()) as usize;
        1 + my.max(mk).max(mx).max(pad_bits)
    }

    fn check_point(&self, name: &str, got: usize, want: usize) -> Result<()> {
        if got != want {
            return invalid(format!(
                "wiring: {name} has {got} coordinates, axis needs {want}"
            ));
        }
        Ok(())
    }

    fn check_points(&self, ry: &[Fr], ri: &[Fr], rx: &[Fr]) -> Result<()> {
        self.validate()?;
        let (my, mk, mx) = self.vars();
        self.check_point("ry", ry.len(), my)?;
        self.check_point("ri", ri.len(), mk)?;
        self.check_point("rx", rx.len(), mx)
    }
}

/// Automaton state: carry and the three `lt` flags (bit 0: y, bit 1: i, bit 2: x).
type States = BTreeMap<(i64, u8), Fr>;

/// One variable's sub-step at bit `t`: add `coef * b` to the carry and update its
/// flag, weighting `b = 1` by `r` and `b = 0` by `1 - r` (`None`: the variable has no
/// bit here, so `b = 0` with weight 1).
fn sub_step(states: &States, r: Option<Fr>, coef: i64, n_t: bool, flag: u8) -> States {
    let mut out = States::new();
    let mut push = |c: i64, f: u8, b: bool, w: Fr| {
        let lt = (!b && n_t) || (b == n_t && f & flag != 0);
        let f2 = if lt { f | flag } else { f & !flag };
        *out.entry((c + i64::from(b) * coef, f2))
            .or_insert_with(Fr::zero) += w;
    };
    for (&(c, f), &v) in states {
        match r {
            Some(r) => {
                let hi = v * r;
                push(c, f, false, v - hi);
                push(c, f, true, hi);
            }
            None => push(c, f, false, v),
        }
    }
    out
}

/// `W~(ry, ri, rx)` by the automaton's forward pass (circuits/wiring.md), with
/// `|ry|, |ri|, |rx| = Axis::vars()`.
pub fn wire_eval(axis: &Axis, ry: &[Fr], ri: &[Fr], rx: &[Fr]) -> Result<Fr> {
    axis.check_points(ry, ri, rx)?;
    let vars: [(&[Fr], i64, usize); 3] = [
        (ry, axis.stride as i64, axis.n_out),
        (ri, axis.dilation as i64, axis.k),
        (rx, -1, axis.n_in),
    ];
    let mut states = States::from([((0, 0), Fr::one())]);
    for t in 0..axis.num_bits() {
        for (v, &(r, coef, n)) in vars.iter().enumerate() {
            states = sub_step(&states, r.get(t).copied(), coef, bit(n, t), 1 << v);
        }
        let p_t = i64::from(bit(axis.pad, t));
        // Halving is injective on even carries, so no two states merge here.
        states = states
            .into_iter()
            .filter_map(|((c, f), v)| {
                let e = c - p_t;
                (e.rem_euclid(2) == 0).then_some(((e / 2, f), v))
            })
            .collect();
    }
    Ok(states.get(&(0, 0b111)).copied().unwrap_or_else(Fr::zero))
}

/// The prover's table with `y` bound to `ry`: entry `x + 2^m_x * i` (x on the low
/// `m_x` variables, i on the high `m_k` ones) is `sum_y eq(ry, y) Wire(y, i, x)`, so
/// `mle::evaluate(table, rx || ri) = wire_eval(axis, ry, ri, rx)`.
///
/// At most one `y` solves `s y = x + p - d i`, so this costs `O(2^m_y + 2^(m_k + m_x))`.
pub fn wire_table_y(axis: &Axis, ry: &[Fr]) -> Result<Vec<Fr>> {
    axis.validate()?;
    let (my, mk, mx) = axis.vars();
    axis.check_point("ry", ry.len(), my)?;
    if mk + mx > MAX_TABLE_VARS {
        return invalid(format!("wiring: table of 2^{} entries", mk + mx));
    }
    let e = eq_table(ry);
    let mut table = vec![Fr::zero(); 1 << (mk + mx)];
    let (s, d, p) = (axis.stride as i64, axis.dilation as i64, axis.pad as i64);
    for i in 0..axis.k {
        for x in 0..axis.n_in {
            let num = x as i64 + p - d * i as i64;
            if num >= 0 && num % s == 0 && ((num / s) as usize) < axis.n_out {
                table[x + (i << mx)] = e[(num / s) as usize];
            }
        }
    }
    Ok(table)
}

/// Test oracle: the definition, summed over the whole hypercube (refuses more than
/// 24 variables in total).
pub fn wire_mle_naive(axis: &Axis, ry: &[Fr], ri: &[Fr], rx: &[Fr]) -> Result<Fr> {
    axis.check_points(ry, ri, rx)?;
    if ry.len() + ri.len() + rx.len() > 24 {
        return invalid("wiring: naive oracle limited to 24 variables".into());
    }
    let (ey, ei, ex) = (eq_table(ry), eq_table(ri), eq_table(rx));
    let mut acc = Fr::zero();
    for (y, wy) in ey.iter().enumerate() {
        for (i, wi) in ei.iter().enumerate() {
            for (x, wx) in ex.iter().enumerate() {
                if axis.wire(y, i, x) {
                    acc += *wy * wi * wx;
                }
            }
        }
    }
    Ok(acc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mle::evaluate;
    use crate::testing::{rand_frs, rand_small};

    /// Random small axes (stride 1..3, dilation 1..2, pad 0..3, lengths 1..13) and
    /// every degenerate combination of unit lengths.
    fn axes() -> Vec<Axis> {
        let raw = rand_small(6 * 300, 16, 7);
        let pick = |v: i64, lo: i64, hi: i64| (lo + v.rem_euclid(hi - lo + 1)) as usize;
        let mut out: Vec<Axis> = raw
            .chunks(6)
            .map(|c| {
                Axis::new(
                    pick(c[0], 1, 13),
                    pick(c[1], 1, 13),
                    pick(c[2], 1, 13),
                    pick(c[3], 1, 3),
                    pick(c[4], 1, 2),
                    pick(c[5], 0, 3),
                )
                .unwrap()
            })
            .collect();
        for mask in 0..8usize {
            let len = |b: usize, n: usize| if mask >> b & 1 == 1 { 1 } else { n };
            for pad in [0, 2] {
                out.push(Axis::new(len(0, 5), len(1, 7), len(2, 3), 2, 1, pad).unwrap());
            }
        }
        out
    }

    fn points(a: &Axis, seed: u64) -> (Vec<Fr>, Vec<Fr>, Vec<Fr>) {
        let (my, mk, mx) = a.vars();
        (
            rand_frs(my, seed),
            rand_frs(mk, seed + 1),
            rand_frs(mx, seed + 2),
        )
    }

    #[test]
    fn dp_matches_naive_oracle() {
        let all = axes();
        assert!(all.iter().any(|a| !a.n_out.is_power_of_two()));
        for (j, a) in all.iter().enumerate() {
            let (ry, ri, rx) = points(a, 1000 + 3 * j as u64);
            let got = wire_eval(a, &ry, &ri, &rx).unwrap();
            assert_eq!(got, wire_mle_naive(a, &ry, &ri, &rx).unwrap(), "{a:?}");
        }
    }

    fn bits(v: usize, m: usize) -> Vec<Fr> {
        (0..m).map(|t| Fr::from(((v >> t) & 1) as u64)).collect()
    }

    #[test]
    fn boolean_points_give_the_predicate() {
        for a in axes()
            .iter()
            .filter(|a| a.n_out * a.n_in * a.k <= 300)
            .take(40)
        {
            let (my, mk, mx) = a.vars();
            for y in 0..1 << my {
                for i in 0..1 << mk {
                    for x in 0..1 << mx {
                        let got = wire_eval(a, &bits(y, my), &bits(i, mk), &bits(x, mx));
                        let want = Fr::from(u64::from(a.wire(y, i, x)));
                        assert_eq!(got.unwrap(), want, "{a:?} at ({y}, {i}, {x})");
                    }
                }
            }
        }
    }

    /// The integer automaton of the spec: accepts exactly `Wire`, with every carry
    /// in `[-1, s + d - 1]` (the bound circuits/wiring.md states).
    #[test]
    fn automaton_accepts_the_predicate_within_the_carry_bound() {
        for a in axes().iter().take(120) {
            let (s, d) = (a.stride as i64, a.dilation as i64);
            for y in 0..a.n_out + 2 {
                for i in 0..a.k + 2 {
                    for x in 0..a.n_in + 2 {
                        let (mut c, mut lt) = (0i64, [false; 3]);
                        let mut alive = true;
                        for t in 0..a.num_bits() {
                            let b = [bit(y, t), bit(i, t), bit(x, t)];
                            let e = c + s * i64::from(b[0]) + d * i64::from(b[1])
                                - i64::from(b[2])
                                - i64::from(bit(a.pad, t));
                            if e.rem_euclid(2) != 0 {
                                alive = false;
                                break;
                            }
                            c = e / 2;
                            assert!((-1..s + d).contains(&c), "{a:?} carry {c}");
                            for (v, n) in [a.n_out, a.k, a.n_in].into_iter().enumerate() {
                                lt[v] = (!b[v] && bit(n, t)) || (b[v] == bit(n, t) && lt[v]);
                            }
                        }
                        let accept = alive && c == 0 && lt.iter().all(|&f| f);
                        assert_eq!(accept, a.wire(y, i, x), "{a:?} at ({y}, {i}, {x})");
                    }
                }
            }
        }
    }

    #[test]
    fn table_matches_dp() {
        let mut all = axes();
        all.push(Axis::new(24, 28, 5, 1, 1, 0).unwrap());
        all.push(Axis::new(16, 32, 3, 2, 1, 1).unwrap());
        for (j, a) in all.iter().enumerate() {
            let (ry, ri, rx) = points(a, 5000 + 3 * j as u64);
            let table = wire_table_y(a, &ry).unwrap();
            let point: Vec<Fr> = rx.iter().chain(&ri).copied().collect();
            let want = wire_eval(a, &ry, &ri, &rx).unwrap();
            assert_eq!(evaluate(&table, &point), want, "{a:?}");
        }
    }

    #[test]
    fn invalid_arguments_are_errors() {
        let bad = [
            (0, 4, 3, 1, 1, 0),
            (4, 0, 3, 1, 1, 0),
            (4, 4, 0, 1, 1, 0),
            (4, 4, 3, 0, 1, 0),
            (4, 4, 3, 1, 0, 0),
            (MAX_LEN + 1, 4, 3, 1, 1, 0),
            (4, 4, 3, MAX_STEP + 1, 1, 0),
            (4, 4, 3, 1, MAX_STEP + 1, 0),
            (4, 4, 3, 1, 1, MAX_STEP + 1),
            (4, 4, usize::MAX, 1, 1, usize::MAX),
        ];
        for (n_out, n_in, k, stride, dilation, pad) in bad {
            assert!(Axis::new(n_out, n_in, k, stride, dilation, pad).is_err());
            let a = Axis {
                n_out,
                n_in,
                k,
                stride,
                dilation,
                pad,
            };
            let (ry, ri, rx) = points(&a, 1);
            assert!(matches!(
                wire_eval(&a, &ry, &ri, &rx),
                Err(Error::InvalidArgument(_))
            ));
            assert!(wire_table_y(&a, &ry).is_err());
        }
        let a = Axis::new(MAX_LEN, MAX_LEN, MAX_LEN, MAX_STEP, MAX_STEP, MAX_STEP).unwrap();
        let (ry, ri, rx) = points(&a, 2);
        assert!(wire_eval(&a, &ry[1..], &ri, &rx).is_err());
        assert!(wire_eval(&a, &ry, &ri, &rx[1..]).is_err());
        assert!(wire_table_y(&a, &ry).is_err());
        let small = Axis::new(5, 7, 3, 1, 1, 0).unwrap();
        let (ry, ri, rx) = points(&small, 3);
        assert!(wire_eval(&small, &ry, &ri[1..], &rx).is_err());
        assert!(wire_table_y(&small, &ri).is_err());
    }
}
