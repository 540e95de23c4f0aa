//! The first group of the batched sumcheck (inference.md section 4, conv.md
//! section 2, nonlinear.md sections 2 and 8): one instance per dense, conv,
//! spatialsum, winsum or mul gadget, two per winmax, one per part of a concat or
//! rearrange (rearrange.md), in gadget order.

use rayon::prelude::*;

use super::circuit::{Circuit, ColumnKind, ModelTensor, Producer, TensorRef};
use super::conv::{ConvDims, ConvProver};
use super::spatial::{geom, lp};
use super::tensors::{model_table, tensor_table, Columns};
use super::window;
use super::Claims;
use crate::error::Result;
use crate::field::Fr;
use crate::mle::eq_table;
use crate::sumcheck::{PairProduct, ProductSum, SumcheckProver};
use crate::wiring::wire_table_y;

/// A dense (`sum_i x(i, r_b) W(i, r_o)`), conv or spatialsum (`sum 2^l M X`) instance.
pub enum MatInst {
    Dense(PairProduct<'static>),
    Conv(ConvProver),
    Sum(PairProduct<'static>),
    /// A winmax's instance (a) (conv.md section 5): `eq z Vc`, degree 3.
    Prod(ProductSum),
}

impl MatInst {
    /// The weight's value at the instance's point (folded at `r_o`).
    fn final_weight(&self) -> Fr {
        match self {
            MatInst::Dense(p) => p.final_evals()[1],
            MatInst::Conv(p) => p.final_weight(),
            MatInst::Sum(_) | MatInst::Prod(_) => unreachable!("no weight"),
        }
    }
}

impl SumcheckProver for MatInst {
    fn num_vars(&self) -> usize {
        match self {
            MatInst::Dense(p) | MatInst::Sum(p) => p.num_vars(),
            MatInst::Conv(p) => p.num_vars(),
            MatInst::Prod(p) => p.num_vars(),
        }
    }
    fn degree(&self) -> usize {
        match self {
            MatInst::Prod(p) => p.degree(),
            _ => 2,
        }
    }
    fn round_evals(&self) -> Vec<Fr> {
        match self {
            MatInst::Dense(p) | MatInst::Sum(p) => p.round_evals(),
            MatInst::Conv(p) => p.round_evals(),
            MatInst::Prod(p) => p.round_evals(),
        }
    }
    fn bind(&mut self, c: Fr) {
        match self {
            MatInst::Dense(p) | MatInst::Sum(p) => p.bind(c),
            MatInst::Conv(p) => p.bind(c),
            MatInst::Prod(p) => p.bind(c),
        }
    }
}

/// What the sumcheck-evals of one instance need.
pub struct MatInfo {
    x: TensorRef,
    /// `None` for a spatialsum.
    weight: Option<ModelTensor>,
    r_o: Vec<Fr>,
    /// The batch part of `r_g`; for a spatialsum the whole `r_g = (r_c, r_b)`.
    r_b: Vec<Fr>,
    /// `None` for dense; the conv's variable parts otherwise.
    conv: Option<ConvDims>,
    n_in_vars: usize,
    /// Also the `v` limbs of `x` (a winmax's instance (a) on its own output).
    with_v: bool,
    /// A mul's second operand: its `u` limbs follow `x`'s.
    y: Option<TensorRef>,
    /// Coordinates before the instance's point (a concat part's `r_s`).
    pre: Vec<Fr>,
}

impl MatInfo {
    /// An instance without weight whose sumcheck-evals are `x`'s limbs at `(s, r_rest)`.
    fn limbs_at(x: TensorRef, r_rest: &[Fr], n: usize, with_v: bool) -> Self {
        MatInfo {
            x,
            weight: None,
            r_o: Vec::new(),
            r_b: r_rest.to_vec(),
            conv: None,
            n_in_vars: n,
            with_v,
            y: None,
            pre: Vec::new(),
        }
    }
}

/// `out[k] = sum_r weights[r] table[r * n + k]`: bind a row-major table's high
/// variables (rows) to the point of `weights`.
pub fn fold_rows(table: &[Fr], weights: &[Fr], n: usize) -> Vec<Fr> {
    (0..n)
        .into_par_iter()
        .with_min_len(256)
        .map(|k| {
            table[k..]
                .iter()
                .step_by(n)
                .zip(weights)
                .map(|(v, w)| *v * w)
                .sum()
        })
        .collect()
}

/// `(r_low, r_o, r_b)` of a dense or conv gadget's point: the spatial output
/// parts (empty for dense), the output-feature part and the batch part.
pub fn split_point<'a>(c: &Circuit, g: usize, r: &'a [Fr]) -> (&'a [Fr], &'a [Fr], &'a [Fr]) {
    let gad = &c.gadgets[g];
    let (low, out) = match geom(&gad.producer) {
        Some(geo) => {
            let (a, b) = geo.out_vars();
            (a + b, lp(geo.c_out))
        }
        None => (0, lp(gad.features)),
    };
    let (r_low, rest) = r.split_at(low);
    let (r_o, r_b) = rest.split_at(out);
    (r_low, r_o, r_b)
}

/// The instances of the dense, conv, spatialsum and window gadgets, in gadget
/// order (a winmax: (a) then (b), with its `gamma_g` from `gammas`).
#[allow(clippy::too_many_arguments)]
pub fn build(
    c: &Circuit,
    cols: &Columns,
    model: &[Fr],
    input: &[i64],
    b: usize,
    r: &[Vec<Fr>],
    gammas: &[Option<Fr>],
) -> Result<(Vec<MatInst>, Vec<MatInfo>)> {
    let mut insts = Vec::new();
    let mut infos = Vec::new();
    for (g, gad) in c.gadgets.iter().enumerate() {
        let (x, weight) = match &gad.producer {
            Producer::Dense { x, weight, .. } | Producer::Conv { x, weight, .. } => (x, weight),
            Producer::Spatialsum { x, .. } => {
                let inst = super::spatialsum::instance(c, cols, input, b, g, &r[g])?;
                infos.push(MatInfo {
                    x: *x,
                    weight: None,
                    r_o: Vec::new(),
                    r_b: r[g].clone(),
                    conv: None,
                    n_in_vars: inst.num_vars(),
                    with_v: false,
                    y: None,
                    pre: Vec::new(),
                });
                insts.push(MatInst::Sum(inst));
                continue;
            }
            Producer::Winsum(w) | Producer::Winmax(w) => {
                let geo = geom(&gad.producer).expect("validated window");
                let (lt2, lt1) = geo.out_vars();
                let rest = &r[g][lt2 + lt1..];
                if let Some(gamma) = gammas[g] {
                    let (ia, ib) = window::winmax_instances(c, cols, (input, b), g, &r[g], gamma)?;
                    let own = TensorRef::Gadget(g);
                    infos.push(MatInfo::limbs_at(own, rest, ia.num_vars(), true));
                    insts.push(MatInst::Prod(ia));
                    infos.push(MatInfo::limbs_at(w.x, rest, ib.num_vars(), false));
                    insts.push(MatInst::Sum(ib));
                } else {
                    let inst = window::winsum_instance(c, cols, (input, b), g, &r[g])?;
                    infos.push(MatInfo::limbs_at(w.x, rest, inst.num_vars(), false));
                    insts.push(MatInst::Sum(inst));
                }
                continue;
            }
            Producer::Mul { x, y } => {
                // nonlinear.md section 8: over all the gadget's variables.
                let inst = super::product::instance(c, cols, (input, b), g, &r[g])?;
                let mut info = MatInfo::limbs_at(*x, &[], inst.num_vars(), false);
                info.y = Some(*y);
                infos.push(info);
                insts.push(MatInst::Prod(inst));
                continue;
            }
            Producer::Concat { .. } => {
                // nonlinear.md section 11: one instance per part, in part order.
                for p in super::combine::concat_instances(c, cols, (input, b), g, &r[g])? {
                    let mut info = MatInfo::limbs_at(p.x, &p.r_b, p.inst.num_vars(), false);
                    info.pre = p.r_s;
                    infos.push(info);
                    insts.push(MatInst::Sum(p.inst));
                }
                continue;
            }
            Producer::Rearrange { .. } => {
                // rearrange.md section 3: one instance per part, in part order.
                for p in super::rearrange::rearrange_instances(c, cols, (input, b), g, &r[g])? {
                    infos.push(MatInfo::limbs_at(p.x, &p.r_b, p.inst.num_vars(), false));
                    insts.push(MatInst::Sum(p.inst));
                }
                continue;
            }
            _ => continue,
        };
        let wt = c.tensor(weight)?;
        let n_in = c.width(*x).next_power_of_two();
        let (r_low, r_o, r_b) = split_point(c, g, &r[g]);
        let xr = fold_rows(&tensor_table(c, cols, *x, input, b), &eq_table(r_b), n_in);
        let wr = fold_rows(model_table(model, wt), &eq_table(r_o), wt.cols_pad());
        let (inst, conv) = match geom(&gad.producer) {
            Some(geo) => {
                let (lt2, _) = geo.out_vars();
                let (r_x, r_y) = r_low.split_at(lt2);
                let a1 = wire_table_y(&geo.axes[0], r_y)?;
                let a2 = wire_table_y(&geo.axes[1], r_x)?;
                let d = ConvDims::from_array(geo.conv_vars());
                (MatInst::Conv(ConvProver::new(d, wr, xr, a1, a2)), Some(d))
            }
            None => (MatInst::Dense(PairProduct::new(xr, wr)?), None),
        };
        insts.push(inst);
        infos.push(MatInfo {
            x: *x,
            weight: Some(wt.clone()),
            r_o: r_o.to_vec(),
            r_b: r_b.to_vec(),
            conv,
            n_in_vars: lp(n_in),
            with_v: false,
            y: None,
            pre: Vec::new(),
        });
    }
    Ok((insts, infos))
}

/// The sumcheck-evals of the group: dense `g`: the `u` limbs of `x` at `(s, r_b)`,
/// then `W(s, r_o)`; conv `g`: the `u` limbs of `x` at `(s_x', s_y', s_c, r_b)`,
/// then `W(s_j, s_i, s_c, r_o)`; spatialsum `g`: the `u` limbs of `x` at
/// `(s_x', s_y', r_g)`; mul `g`: the `u` limbs of `x`, then of `y`, at `s_g`;
/// concat `g`: part `k`'s `u` limbs at `(r_s, s_c', r_b)`, in part order;
/// rearrange `g`: part `k`'s `u` limbs at `(s_k, r_b)`, in part order.
pub fn sumcheck_evals(
    claims: &mut Claims<'_>,
    cols: &Columns,
    insts: &[MatInst],
    infos: &[MatInfo],
    point: &[Fr],
    out: &mut Vec<Fr>,
) {
    for (inst, info) in insts.iter().zip(infos) {
        let n = inst.num_vars();
        let s = &point[point.len() - n..];
        let Some(weight) = &info.weight else {
            // A spatialsum: `r_b` holds the whole `r_g = (r_c, r_b)`.
            let p: Vec<Fr> = info.pre.iter().chain(s).chain(&info.r_b).copied().collect();
            claims.tensor_limbs(cols, info.x, &p, out);
            if let (true, TensorRef::Gadget(g)) = (info.with_v, info.x) {
                for ci in cols.of(g, ColumnKind::V) {
                    let v = crate::mle::evaluate(&cols.tables[ci], &p);
                    claims.column(ci, &p, v);
                    out.push(v);
                }
            }
            if let Some(y) = info.y {
                claims.tensor_limbs(cols, y, &p, out);
            }
            continue;
        };
        let (xp, wp): (Vec<Fr>, Vec<Fr>) = match info.conv {
            None => {
                debug_assert_eq!(n, info.n_in_vars);
                (
                    s.iter().chain(&info.r_b).copied().collect(),
                    s.iter().chain(&info.r_o).copied().collect(),
                )
            }
            Some(d) => {
                let (sxy, rest) = s.split_at(d.s2 + d.s1);
                let s_c = &rest[d.k2 + d.k1..];
                (
                    sxy.iter().chain(s_c).chain(&info.r_b).copied().collect(),
                    rest.iter().chain(&info.r_o).copied().collect(),
                )
            }
        };
        claims.tensor_limbs(cols, info.x, &xp, out);
        let wv = inst.final_weight();
        claims.model(weight, &wp, wv);
        out.push(wv);
    }
}
