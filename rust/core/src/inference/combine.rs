//! Producers combining tensors (circuits/nonlinear.md sections 10 and 11):
//!
//! * `addconst`: `acc = 2^l x + C[f]`, checked at the gadget's point from `x`'s limbs
//!   and the model-stack claim `C(r_f)` (no sumcheck instance);
//! * `concat`: channel concatenation, `acc(r_s, r_c, r_b) = sum_k E_k` with one
//!   dense-group instance per part
//!
//! ```text
//! sum_{c'} W~_k(r_c, (), c') X_k(r_s, c', r_b) = E_k
//! ```
//!
//! over `log2 pad(C_k)` variables, `W~_k` the wiring MLE of the axis
//! `(C, C_k, 1, 1, 1, off_k)`.

use serde::Deserialize;

use super::circuit::{padded_size, Circuit, Gadget};
use super::limits::{MAX_BITS, MAX_CONCAT_PARTS};
use super::parts::{part_instances, part_values, PartInstance};
use super::producer::{earlier, Addconst, ProducerJson, TensorRef};
use super::tensors::Columns;
use crate::error::{Error, Result};
use crate::field::Fr;
use crate::wiring::Axis;

fn invalid<T>(i: usize, what: &str) -> Result<T> {
    Err(Error::InvalidArgument(format!(
        "circuit: gadget {i}: {what}"
    )))
}

/// The geometry of a concat: channels `C`, the padded spatial size `prod pad(S_a)`,
/// and each part's `(C_k, off_k)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConcatGeom {
    pub channels: usize,
    pub spatial: usize,
    pub parts: Vec<(usize, usize)>,
}

impl ConcatGeom {
    pub fn new(shapes: &[Vec<usize>]) -> Option<Self> {
        let first = shapes.first()?;
        // `get`: an empty first shape is refused, not sliced (a panic on input).
        let spatial = padded_size(first.get(1..)?)?;
        let mut parts = Vec::with_capacity(shapes.len());
        let mut off = 0usize;
        for s in shapes {
            if s.is_empty() || s.len() > 3 || s[1..] != first[1..] || s[0] == 0 {
                return None;
            }
            parts.push((s[0], off));
            off = off.checked_add(s[0])?;
        }
        Some(ConcatGeom {
            channels: off,
            spatial,
            parts,
        })
    }

    /// The wiring axis of part `k`: `(n_out, n_in, k, s, d, p) = (C, C_k, 1, 1, 1, off_k)`.
    pub fn axis(&self, k: usize) -> Result<Axis> {
        let (ck, off) = self.parts[k];
        Axis::new(self.channels, ck, 1, 1, 1, off)
    }

    /// The output's features `pad(C) prod pad(S_a)`.
    pub fn features(&self) -> usize {
        self.channels.next_power_of_two() * self.spatial
    }
}

/// A validated concat: its parts and geometry.
#[derive(Clone, Debug)]
pub struct Concat {
    pub parts: Vec<TensorRef>,
    pub geo: ConcatGeom,
}

/// A concat as read: channel concatenation of `parts` of the given shapes
/// (nonlinear.md section 11).
#[derive(Clone, Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "struct variant ProducerJson::Concat with 2 elements"
)]
pub struct ConcatJson {
    pub parts: Vec<TensorRef>,
    pub shapes: Vec<Vec<usize>>,
}

/// The checks of an `addconst` gadget `i` (nonlinear.md section 10).
pub fn addconst(
    c: &Circuit<ProducerJson>,
    i: usize,
    g: &Gadget<ProducerJson>,
    p: &Addconst,
) -> Result<Addconst> {
    let t = c.tensor(&p.c)?;
    let ok = earlier(i, p.x)
        && c.width(p.x) == g.features
        && p.lshift <= MAX_BITS
        && t.rows == 1
        && t.cols == c.width(p.x);
    if !ok {
        return invalid(i, "addconst shapes do not match");
    }
    Ok(p.clone())
}

/// The checks of a `concat` gadget `i` (nonlinear.md section 11), and its producer
/// with its geometry.
pub fn concat(
    c: &Circuit<ProducerJson>,
    i: usize,
    g: &Gadget<ProducerJson>,
    j: &ConcatJson,
) -> Result<Concat> {
    let (parts, shapes) = (&j.parts, &j.shapes);
    let k = parts.len();
    if !(2..=MAX_CONCAT_PARTS).contains(&k)
        || shapes.len() != k
        || !parts.iter().all(|p| earlier(i, *p))
    {
        return invalid(i, "concat parts out of limits");
    }
    let Some(geo) = ConcatGeom::new(shapes) else {
        return invalid(i, "concat shapes do not match");
    };
    let widths_ok = parts.iter().zip(shapes).all(|(p, s)| {
        let w = c.width(*p);
        if s.len() == 1 {
            w == s[0]
        } else {
            padded_size(s) == Some(w)
        }
    });
    let axes_ok = (0..k).all(|j| geo.axis(j).is_ok());
    if !widths_ok || !axes_ok || g.features != geo.features() {
        return invalid(i, "concat shapes do not match");
    }
    Ok(Concat {
        parts: parts.clone(),
        geo,
    })
}

/// A concat's instances in part order: the pair `(W~_k(r_c, (), .), X_k(r_s, ., r_b))`
/// over `c' < pad(C_k)`.
pub fn concat_instances(
    c: &Circuit,
    cols: &Columns,
    ib: (&[i64], usize),
    p: &Concat,
    r_g: &[Fr],
) -> Result<Vec<PartInstance>> {
    let (parts, geo) = (&p.parts, &p.geo);
    let ls = super::log2(geo.spatial);
    let lc = super::log2(geo.channels.next_power_of_two());
    let (r_s, rest) = r_g.split_at(ls);
    let (r_c, r_b) = rest.split_at(lc);
    let sels = (0..parts.len())
        .map(|k| crate::wiring::wire_table_y(&geo.axis(k)?, r_c))
        .collect::<Result<Vec<_>>>()?;
    part_instances(c, cols, ib, parts, sels, (r_s, r_b))
}

/// A concat's parts' values `E_1..E_K` at its point `r_g`.
pub fn concat_parts(
    c: &Circuit,
    cols: &Columns,
    ib: (&[i64], usize),
    p: &Concat,
    r_g: &[Fr],
) -> Result<Vec<Fr>> {
    Ok(part_values(&concat_instances(c, cols, ib, p, r_g)?))
}

/// `2^l x + C[f]` over the padded tensor (`C` the tensor's padded row of `np`).
pub fn addconst_acc(xt: &[i128], cv: &[i64], lshift: u32) -> Vec<i128> {
    let np = cv.len();
    xt.iter()
        .enumerate()
        .map(|(i, v)| (v << lshift) + cv[i % np] as i128)
        .collect()
}

/// The concatenation over the padded output (`bp` rows): channel `c` of part `k`
/// at `off_k + c` (every padded spatial entry copied), 0 on channels `>= C`.
pub fn concat_acc(geo: &ConcatGeom, parts: &[Vec<i128>], bp: usize) -> Vec<i128> {
    let sp = geo.spatial;
    let row = geo.features();
    let mut acc = vec![0i128; bp * row];
    for ((ck, off), xt) in geo.parts.iter().zip(parts) {
        let prow = ck.next_power_of_two() * sp;
        for r in 0..bp {
            let src = &xt[r * prow..r * prow + ck * sp];
            acc[r * row + off * sp..r * row + (off + ck) * sp].copy_from_slice(src);
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::from_i64;
    use crate::inference::matmul::fold_rows;
    use crate::mle::eq_table;
    use crate::mle::evaluate;
    use crate::sumcheck::PairProduct;
    use crate::testing::rand_frs;
    use crate::wiring::wire_eval;

    #[test]
    fn parts_sum_to_the_concatenation() {
        // Parts [3, 3, 5] and [5, 3, 5] (padded 4 x 4 x 8 and 8 x 4 x 8), batch 2.
        let geo = ConcatGeom::new(&[vec![3, 3, 5], vec![5, 3, 5]]).unwrap();
        assert_eq!((geo.channels, geo.spatial, geo.features()), (8, 32, 256));
        let bp = 2;
        let parts: Vec<Vec<i128>> = geo
            .parts
            .iter()
            .enumerate()
            .map(|(k, (ck, _))| {
                (0..bp * ck.next_power_of_two() * 32)
                    .map(|i| ((i * 37 + k * 11) % 53) as i128 - 26)
                    .collect()
            })
            .collect();
        let acc = concat_acc(&geo, &parts, bp);
        let accf: Vec<Fr> = acc.iter().map(|v| from_i64(*v as i64)).collect();
        let r = rand_frs(5 + 3 + 1, 3);
        let (r_s, rest) = r.split_at(5);
        let (r_c, r_b) = rest.split_at(3);
        let mut sum = Fr::from(0u64);
        for (k, xt) in parts.iter().enumerate() {
            let pck = geo.parts[k].0.next_power_of_two();
            let xf: Vec<Fr> = xt.iter().map(|v| from_i64(*v as i64)).collect();
            let row = fold_rows(&xf, &eq_table(r_b), pck * 32);
            let es = eq_table(r_s);
            let xr: Vec<Fr> = row
                .chunks(32)
                .map(|ch| ch.iter().zip(&es).map(|(v, e)| *v * e).sum())
                .collect();
            let axis = geo.axis(k).unwrap();
            let w = crate::wiring::wire_table_y(&axis, r_c).unwrap();
            let inst = PairProduct::new(w.clone(), xr.clone()).unwrap();
            // The table agrees with the verifier's wire_eval at a random c'.
            let s = rand_frs(super::super::log2(pck), 7 + k as u64);
            assert_eq!(evaluate(&w, &s), wire_eval(&axis, r_c, &[], &s).unwrap());
            sum += inst.claim();
        }
        assert_eq!(sum, evaluate(&accf, &r));
    }
}
