//! Function tables (circuits/nonlinear.md section 3): each table gadget `g` is a
//! lookup of the pairs `(x - lo_x, z)` into the public table `(j, T[j])` stored in
//! the model stack, with its own two LogUp trees
//!
//! ```text
//! lookups (depth n_g):  p = 1,       q = alpha - (x[i] - lo_x) - beta z[i]
//! table   (depth t):    p = -t_g[j], q = alpha - j - beta T[j]
//! ```
//!
//! The multiplicities `t_g` are counted by the prover from the committed operand (or
//! the public input), as the byte table's `m` are.

use ark_ff::One;
use rayon::prelude::*;
use serde::Deserialize;

use super::circuit::{Circuit, ColumnKind, Gadget, ModelTensor, MAX_TABLE_BITS};
use super::producer::{earlier, ProducerJson, TensorRef};
use super::tensors::{input_ints, model_table, tensor_table, Columns};
use super::Claims;
use crate::error::{Error, Result};
use crate::field::{from_i64, Fr};
use crate::mle::evaluate;

use crate::declare::{Check, Claim, ClaimStream, Expr};
use crate::field::pow2;

/// A table producer as read: `z = T[x - lo_x]` for the public table `T` in the model
/// stack (nonlinear.md section 3): a lookup of pairs, no relation at the accumulator
/// point.
#[derive(Clone, Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "struct variant ProducerJson::Table with 2 elements"
)]
pub struct TableJson {
    pub x: TensorRef,
    pub table: String,
}

/// A validated table producer: its operand, the operand's `lo_x` and the table.
#[derive(Clone, Debug)]
pub struct Table {
    pub x: TensorRef,
    pub lo_x: i64,
    pub tensor: ModelTensor,
}

/// One table gadget: its index, operand, operand's `lo_x` and table tensor (what
/// its prover states as its lookup, `GadgetProver::table_lookup`).
#[derive(Clone, Debug)]
pub struct TableGadget {
    pub g: usize,
    pub x: TensorRef,
    pub lo_x: i64,
    pub tensor: ModelTensor,
}

impl TableGadget {
    /// `t`: the table has `2^t` entries.
    pub fn bits(&self) -> usize {
        self.tensor.cols.trailing_zeros() as usize
    }
}

/// The table lookups of a circuit's gadgets, in gadget order (each gadget's prover
/// states its own).
pub fn gadgets(c: &Circuit) -> Vec<TableGadget> {
    (0..c.gadgets.len())
        .filter_map(|g| super::gadgets::prover(c, g).table_lookup())
        .collect()
}

/// `x - lo_x` over the whole padded operand tensor (`B' n_g'` entries), from the
/// integer witness columns or the zero-padded public input.
pub fn operand_offsets(
    c: &Circuit,
    columns: &[Vec<i64>],
    input: &[i64],
    batch: usize,
    tg: &TableGadget,
) -> Vec<i64> {
    match tg.x {
        TensorRef::Input => input_ints(c, input, batch)
            .into_iter()
            .map(|v| v - tg.lo_x)
            .collect(),
        TensorRef::Gadget(xg) => {
            let specs = c.columns();
            let len = 1usize << c.gadget_vars(xg, batch);
            let mut out = vec![0i64; len];
            let limbs = (0..specs.len())
                .filter(|&i| specs[i].gadget == xg && specs[i].kind == ColumnKind::U);
            for (j, ci) in limbs.enumerate() {
                out.iter_mut()
                    .zip(&columns[ci])
                    .for_each(|(o, v)| *o = o.wrapping_add(v.wrapping_shl(c.limb_bits * j as u32)));
            }
            out
        }
    }
}

/// The multiplicities `t_g` of every table gadget: how often each `j < 2^t` occurs
/// as `x - lo_x`. Values outside are left uncounted (the verifier then rejects).
pub fn multiplicities(
    c: &Circuit,
    columns: &[Vec<i64>],
    input: &[i64],
    batch: usize,
) -> Vec<Vec<i64>> {
    gadgets(c)
        .iter()
        .map(|tg| {
            let mut t = vec![0i64; tg.tensor.cols];
            for v in operand_offsets(c, columns, input, batch, tg) {
                if (0..t.len() as i64).contains(&v) {
                    t[v as usize] += 1;
                }
            }
            t
        })
        .collect()
}

/// The two trees of each table gadget, in gadget order.
#[allow(clippy::too_many_arguments)]
pub fn trees(
    c: &Circuit,
    tgs: &[TableGadget],
    cols: &Columns,
    model: &[Fr],
    input: &[i64],
    batch: usize,
    (alpha, beta): (Fr, Fr),
    mults: &[Vec<Fr>],
) -> Vec<(Vec<Fr>, Vec<Fr>)> {
    let mut out = Vec::with_capacity(2 * tgs.len());
    for (tg, mult) in tgs.iter().zip(mults) {
        let xt = tensor_table(c, cols, tg.x, input, batch);
        let zt = tensor_table(c, cols, TensorRef::Gadget(tg.g), input, batch);
        let shifted = alpha + from_i64(tg.lo_x);
        let q: Vec<Fr> = xt
            .par_iter()
            .zip(zt.par_iter())
            .map(|(x, z)| shifted - x - beta * z)
            .collect();
        out.push((vec![Fr::one(); q.len()], q));
        let tab = model_table(model, &tg.tensor);
        let qt: Vec<Fr> = tab
            .par_iter()
            .enumerate()
            .map(|(j, v)| alpha - Fr::from(j as u64) - beta * v)
            .collect();
        out.push((mult.iter().map(|m| -*m).collect(), qt));
    }
    out
}

/// The leaf evals of the table gadgets (after the byte table's), with their claims:
/// for each, at its lookup point `rho_g` and table point `rho_gt`, the `u` limbs of
/// `x` (none for the input), the `u` limbs of `g`, `t_g(rho_gt)`, `T(rho_gt)`.
pub fn leaf_evals(
    tgs: &[TableGadget],
    cols: &Columns,
    model: &[Fr],
    mults: &[Vec<Fr>],
    points: &[Vec<Fr>],
    claims: &mut Claims<'_>,
    out: &mut Vec<Fr>,
) {
    for (k, tg) in tgs.iter().enumerate() {
        let (rho_g, rho_gt) = (&points[2 * k], &points[2 * k + 1]);
        claims.tensor_limbs(cols, tg.x, rho_g, out);
        claims.tensor_limbs(cols, TensorRef::Gadget(tg.g), rho_g, out);
        let tv = evaluate(&mults[k], rho_gt);
        claims.table_multiplicities(k, rho_gt, tv);
        out.push(tv);
        let mv = evaluate(model_table(model, &tg.tensor), rho_gt);
        claims.model(&tg.tensor, rho_gt, mv);
        out.push(mv);
    }
}

/// The checks of table gadget `i` (nonlinear.md section 3), and its producer with its
/// table tensor.
pub fn build(
    c: &Circuit<ProducerJson>,
    i: usize,
    g: &Gadget<ProducerJson>,
    j: &TableJson,
) -> Result<Table> {
    let invalid = |m: &str| Err(Error::InvalidArgument(format!("circuit: gadget {i}: {m}")));
    let x = j.x;
    if !earlier(i, x) {
        return invalid("operand is not an earlier tensor");
    }
    let tt = c.tensor(&j.table)?;
    let (lo_x, hi_x) = c.range(x);
    let t_ok = tt.rows == 1
        && tt.cols.is_power_of_two()
        && (1..=MAX_TABLE_BITS).contains(&tt.cols.trailing_zeros());
    if !t_ok || (hi_x - lo_x + 1) as u128 != tt.cols as u128 {
        return invalid("table must be 1 x 2^t with 2^t = hi_x - lo_x + 1");
    }
    if g.features != c.width(x) || g.features < 2 {
        return invalid("table operand width does not match");
    }
    if g.shift != 0 || g.divisor != 1 || g.excess_hi_bits != 0 || g.excess_lo_bits != 0 {
        return invalid("table needs shift 0, divisor 1 and no excess");
    }
    Ok(Table {
        x,
        lo_x,
        tensor: tt.clone(),
    })
}

// --- declarations (circuits/checks.md; built only when asked, `declared.rs`) ---

/// Each table gadget's four leaf checks (nonlinear.md 3), in gadget order: its trees'
/// leaf claims `P, Q` (the LogUp's `logup-root[j]`, after the range group's four)
/// against the leaf evals at `rho_g` and `rho_gt`:
///
/// ```text
/// P_g == 1,               Q_g == alpha - (X(rho_g) - lo_x) - beta Z(rho_g)
/// P_gt == -t_g(rho_gt),   Q_gt == alpha - T_t(rho_gt) - beta T(rho_gt)
/// ```
pub fn declare_leaves(d: &crate::inference::declared::Declarer<'_>) -> Result<Vec<Check>> {
    let (c, rec) = (d.c(), d.rec);
    let nc = d.cx.cols.tables.len();
    let mut vals = ClaimStream::new("logup-leaf-evals", &rec.leaf, nc + 1);
    let mut out = Vec::new();
    for (k, tg) in gadgets(c).iter().enumerate() {
        let (rho, rho_t) = (&rec.leaf_points[2 + 2 * k], &rec.leaf_points[3 + 2 * k]);
        let ((p, q), (pt, qt)) = (rec.roots[2 + 2 * k], rec.roots[3 + 2 * k]);
        let root = |j: usize, v: Fr| {
            Expr::from(Claim::committed(
                format!("logup-root[{}]", 4 + 4 * k + j),
                v,
            ))
        };
        let xv = d.value(tg.x, &mut vals, rho) - Expr::i(tg.lo_x.into());
        let zv = d.value(TensorRef::Gadget(tg.g), &mut vals, rho);
        let t_eval = Expr::from(vals.next_claim());
        let t_val = Expr::from(vals.next_claim());
        let tt: Fr = (0..tg.bits()).map(|j| rho_t[j] * pow2(j as u32)).sum();
        let t_t = Claim::public(format!("g{}.T_t(rho_t)", tg.g), tt);
        let (alpha, beta) = (Expr::int(rec.alpha), rec.beta);
        let id = |n: &str| format!("gadget.table.{n}");
        out.push(Check::zero(id("lookup-p"), root(0, p) - Expr::i(1)));
        let e = root(1, q) - alpha.clone() + xv + zv.scaled(beta);
        out.push(Check::zero(id("lookup-q"), e));
        out.push(Check::zero(id("table-p"), root(2, pt) + t_eval));
        let e = root(3, qt) - alpha + t_t + t_val.scaled(beta);
        out.push(Check::zero(id("table-q"), e));
    }
    Ok(out)
}
