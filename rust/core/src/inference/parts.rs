//! The parts machinery shared by `concat` (circuits/nonlinear.md section 11) and
//! `rearrange` (circuits/rearrange.md section 3): the output at its point is the sum
//! of the parts' values `E_1..E_K`, each proved by one dense-group instance
//!
//! ```text
//! sum_i Sel_k(i) X_k(r_s, i, r_b) = E_k
//! ```
//!
//! over `log2 pad(width_k)` variables, `Sel_k` the producer's selector table at the
//! output point (a wiring MLE for a concat, a scattered 0/1 selection for a
//! rearrange) and `X_k` part `k`'s table folded by `eq(r_b)` (and, for a concat, by
//! `eq(r_s)` over its spatial entries).

use super::circuit::{Circuit, TensorRef};
use super::matmul::fold_rows;
use super::tensors::{tensor_table, Columns};
use crate::error::Result;
use crate::field::Fr;
use crate::mle::eq_table;
use crate::sumcheck::PairProduct;

/// One part's instance and what its sumcheck-evals need.
pub struct PartInstance {
    pub inst: PairProduct<'static>,
    pub x: TensorRef,
    /// `r_s`: part `k`'s limbs are opened at `(r_s, s, r_b)` (empty for a rearrange).
    pub r_s: Vec<Fr>,
    pub r_b: Vec<Fr>,
}

/// The parts' instances in part order: the pairs `(sels[k], X_k(r_s, ., r_b))`,
/// `X_k` read as row-major `(b, i, s)` with `len(sels[k]) 2^|r_s|` entries a row:
/// the batch folded by `eq(r_b)`, then (if `r_s` is not empty) the spatial entries
/// by `eq(r_s)`.
pub fn part_instances(
    c: &Circuit,
    cols: &Columns,
    (input, b): (&[i64], usize),
    parts: &[TensorRef],
    sels: Vec<Vec<Fr>>,
    (r_s, r_b): (&[Fr], &[Fr]),
) -> Result<Vec<PartInstance>> {
    let eb = eq_table(r_b);
    let es = (!r_s.is_empty()).then(|| eq_table(r_s));
    let mut out = Vec::with_capacity(parts.len());
    for (&x, sel) in parts.iter().zip(sels) {
        let row = fold_rows(
            &tensor_table(c, cols, x, input, b),
            &eb,
            sel.len() << r_s.len(),
        );
        let xr = match &es {
            Some(es) => row
                .chunks(es.len())
                .map(|ch| ch.iter().zip(es).map(|(v, e)| *v * e).sum())
                .collect(),
            None => row,
        };
        out.push(PartInstance {
            inst: PairProduct::new(sel, xr)?,
            x,
            r_s: r_s.to_vec(),
            r_b: r_b.to_vec(),
        });
    }
    Ok(out)
}

#[cfg(any(test, feature = "testkit"))]
thread_local! {
    static PART_SKEW: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Test hook (a cheating prover): while nonzero, the parts' values sent by a concat
/// or a rearrange are `E_1 + delta, E_2 - delta, E_3.., E_K` (their sum kept; no
/// effect with one part). Thread-local.
#[cfg(any(test, feature = "testkit"))]
#[doc(hidden)]
pub fn set_part_skew(delta: u64) {
    PART_SKEW.with(|s| s.set(delta));
}

/// The parts' values `E_1..E_K` sent: the instances' claims (skewed by the hook).
pub fn part_values(insts: &[PartInstance]) -> Vec<Fr> {
    #[allow(unused_mut)]
    let mut e: Vec<Fr> = insts.iter().map(|p| p.inst.claim()).collect();
    #[cfg(any(test, feature = "testkit"))]
    if e.len() >= 2 {
        let delta = Fr::from(PART_SKEW.with(|s| s.get()));
        e[0] += delta;
        e[1] -= delta;
    }
    e
}
