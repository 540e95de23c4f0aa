//! The inference prover (circuits/inference.md section 4): commit the witness,
//! prove every lookup with one LogUp-GKR, every layer relation in one batched
//! sumcheck, and every claim with one BatchOpen over the witness and model stacks.

use ark_ff::Zero;
use rayon::prelude::*;

use super::circuit::{int_width, Circuit, ColumnKind};
use super::gadgets::{self, Contribution, Ctx};
use super::layout::assign;
use super::tensors::Columns;
use super::{output, table, Claims, INFERENCE_TAG};
use crate::artifact::{write_header, Kind};
use crate::encoding::{ints_bytes, Writer};
use crate::error::{Error, Result};
use crate::field::{from_i64, Fr};
use crate::logup;
use crate::mle::evaluate;
use crate::pcs::batch::{self, ProverStack};
use crate::pcs::hyrax::Hyrax;
use crate::pcs::{Pcs, Shape};
use crate::sumcheck::{self, SumcheckProver};
use crate::transcript::Transcript;

/// Everything the prover is given (the witness builder computes the columns).
pub struct InferenceInput<'a> {
    pub circuit_json: &'a [u8],
    pub model_stack: &'a [i64],
    /// The committed limb columns in circuit order, each `B' n_g'` entries.
    pub columns: Vec<Vec<i64>>,
    pub batch: usize,
    pub input: &'a [i64],
    pub output: &'a [i64],
    pub vk_digest: [u8; 32],
}

fn bad<T>(msg: impl Into<String>) -> Result<T> {
    Err(Error::InvalidArgument(msg.into()))
}

/// Lookup multiplicities of the witness columns.
pub fn multiplicities(c: &Circuit, columns: &[Vec<i64>]) -> Vec<i64> {
    super::count_lookups(
        c.columns()
            .iter()
            .zip(columns)
            .map(|(s, v)| (s.width, v.as_slice())),
        c.limb_bits,
    )
}

/// Prove with every multiplicity counted from the witness: the range table's `m`
/// from the limb columns, each table gadget's `t_g` from its operand.
pub fn prove(hyrax: &Hyrax, inp: InferenceInput<'_>) -> Result<Vec<u8>> {
    prove_with(hyrax, inp, None, None)
}

#[cfg(any(test, feature = "testkit"))]
/// Like [`prove`] with given range-table multiplicities (soundness tests use wrong ones).
pub fn prove_with_multiplicities(
    hyrax: &Hyrax,
    inp: InferenceInput<'_>,
    mult: Vec<i64>,
) -> Result<Vec<u8>> {
    prove_with(hyrax, inp, Some(mult), None)
}

#[cfg(any(test, feature = "testkit"))]
/// Like [`prove`] with given table-gadget multiplicities `t_g` (gadget order).
pub fn prove_with_table_multiplicities(
    hyrax: &Hyrax,
    inp: InferenceInput<'_>,
    tmult: Vec<Vec<i64>>,
) -> Result<Vec<u8>> {
    prove_with(hyrax, inp, None, Some(tmult))
}

#[cfg(any(test, feature = "testkit"))]
/// Like [`prove`] with both kinds of multiplicities given (the lookup-separation tests
/// move a count from one table to another).
pub fn prove_with_all_multiplicities(
    hyrax: &Hyrax,
    inp: InferenceInput<'_>,
    mult: Vec<i64>,
    tmult: Vec<Vec<i64>>,
) -> Result<Vec<u8>> {
    prove_with(hyrax, inp, Some(mult), Some(tmult))
}

fn prove_with(
    hyrax: &Hyrax,
    inp: InferenceInput<'_>,
    mult: Option<Vec<i64>>,
    tmult: Option<Vec<Vec<i64>>>,
) -> Result<Vec<u8>> {
    let c = Circuit::parse(inp.circuit_json)?;
    check_statement(&c, &inp)?;
    let mult = mult.unwrap_or_else(|| multiplicities(&c, &inp.columns));
    let tmult = match tmult {
        Some(t) => t,
        None => table::multiplicities(&c, &inp.columns, inp.input, inp.batch)?,
    };
    prove_parsed(hyrax, &c, inp, mult, tmult)
}

/// Lengths of the statement and of the witness columns.
fn check_statement(c: &Circuit, inp: &InferenceInput<'_>) -> Result<()> {
    let b = inp.batch;
    if b == 0 || b > 1 << 16 {
        return bad("batch size out of limits");
    }
    if inp.input.len() != b * c.input.features || inp.output.len() != b * c.output_len() {
        return bad("input or output length does not match the circuit and batch");
    }
    if inp.model_stack.len() != 1 << c.model_stack.num_vars {
        return bad("model stack length does not match the circuit");
    }
    let specs = c.columns();
    if inp.columns.len() != specs.len() {
        return bad(format!("expected {} witness columns", specs.len()));
    }
    for (i, (v, s)) in inp.columns.iter().zip(&specs).enumerate() {
        let n = c.column_vars(s, b);
        if v.len() != 1 << n {
            return bad(format!(
                "witness column {i} has {} entries, expected {}",
                v.len(),
                1 << n
            ));
        }
    }
    Ok(())
}

fn prove_parsed(
    hyrax: &Hyrax,
    c: &Circuit,
    inp: InferenceInput<'_>,
    mult: Vec<i64>,
    tmult: Vec<Vec<i64>>,
) -> Result<Vec<u8>> {
    let b = inp.batch;
    let specs = c.columns();
    let col_vars: Vec<usize> = specs.iter().map(|s| c.column_vars(s, b)).collect();
    let tgs = table::gadgets(c)?;
    let t_ok = tmult.len() == tgs.len()
        && tmult
            .iter()
            .zip(&tgs)
            .all(|(t, tg)| t.len() == tg.tensor.cols);
    if mult.len() != 1 << c.limb_bits || !t_ok {
        return bad("multiplicity columns do not match the circuit");
    }

    let mut timer = crate::profile::Timer::new("inference");
    // Witness stack: the limb columns, the range table's multiplicities (2^L
    // entries), then each table gadget's multiplicities (nonlinear.md sections 3, 5).
    let mut sizes = col_vars.clone();
    sizes.push(c.limb_bits as usize);
    sizes.extend(tgs.iter().map(|tg| tg.bits()));
    let (wslots, n_w) = assign(&sizes);
    let mut wstack = vec![0i64; 1 << n_w];
    for (vals, slot) in inp
        .columns
        .iter()
        .chain(std::iter::once(&mult))
        .chain(&tmult)
        .zip(&wslots)
    {
        wstack[slot.offset..slot.offset + vals.len()].copy_from_slice(vals);
    }
    let wshape = Shape::square(n_w);
    let wcom = hyrax.commit_small(wshape, &wstack)?;
    let wtable: Vec<Fr> = wstack.iter().map(|v| from_i64(*v)).collect();
    let model: Vec<Fr> = inp.model_stack.par_iter().map(|v| from_i64(*v)).collect();
    let cols = Columns::new(c, &inp.columns);
    let mult_fr: Vec<Fr> = mult.iter().map(|v| from_i64(*v)).collect();
    let tmult_fr: Vec<Vec<Fr>> = tmult
        .iter()
        .map(|t| t.iter().map(|v| from_i64(*v)).collect())
        .collect();
    let cx = Ctx {
        c,
        cols: &cols,
        model: &model,
        input: inp.input,
        b,
    };

    timer.mark("commit");
    let mut t = Transcript::new(INFERENCE_TAG);
    t.absorb_u32("version", Kind::Inference.version() as u32);
    t.absorb("generators", &hyrax.seed_digest);
    t.absorb("vk", &inp.vk_digest);
    t.absorb_u32("batch", b as u32);
    let (olo, ohi) = c.output_range();
    let x_bytes = ints_bytes(inp.input, c.input_width());
    let y_bytes = ints_bytes(inp.output, int_width(olo, ohi));
    t.absorb("input", &x_bytes);
    t.absorb("output", &y_bytes);
    Hyrax::absorb_commitment(&mut t, "witness-commitment", &wcom);

    let mut claims = Claims::new(wslots.clone(), n_w, c);
    let mut w = Writer::new();

    // Lookups: one LogUp-GKR over every limb entry (twice for narrow limbs).
    let alpha = t.squeeze("logup-alpha");
    let beta = t.squeeze("logup-beta");
    let (leaf_slots, depth) = super::leaf_layout(c, b);
    let tables: Vec<&[Fr]> = cols.tables.iter().map(|t| t.as_slice()).collect();
    let mut trees = super::lookup_trees(&leaf_slots, depth, alpha, &tables, &mult_fr);
    trees.extend(table::trees(
        c,
        &tgs,
        &cols,
        &model,
        inp.input,
        b,
        (alpha, beta),
        &tmult_fr,
    ));
    let (lproof, points) = logup::prove(&mut t, trees);
    let (rho, rho_t) = (&points[0], &points[1]);
    let mut leaf_evals = Vec::with_capacity(specs.len() + 1);
    for (ci, n) in col_vars.iter().enumerate() {
        let v = evaluate(&cols.tables[ci], &rho[..*n]);
        claims.column(ci, &rho[..*n], v);
        leaf_evals.push(v);
    }
    let mv = evaluate(&mult_fr, rho_t);
    claims.multiplicities(rho_t, mv);
    leaf_evals.push(mv);
    table::leaf_evals(
        &tgs,
        &cols,
        &model,
        &tmult_fr,
        &points[2..],
        &mut claims,
        &mut leaf_evals,
    );
    t.absorb_frs("logup-leaf-evals", &leaf_evals);

    timer.mark("logup");
    // Accumulator points: each gadget's relation at its own random point; then each
    // gadget's acc-evals and the messages it sends right after them.
    let r: Vec<Vec<Fr>> = (0..c.gadgets.len())
        .map(|g| t.squeeze_n("acc-point", c.gadget_vars(g, b)))
        .collect();
    let mut provers: Vec<_> = (0..c.gadgets.len())
        .map(|g| gadgets::prover(c, g))
        .collect();
    let mut acc_msgs = Vec::with_capacity(c.gadgets.len());
    let mut accs = Vec::with_capacity(c.gadgets.len());
    for (g, gp) in provers.iter_mut().enumerate() {
        let (mut evals, acc) = own_acc_evals(&cx, &mut claims, g, &r[g]);
        gp.acc_evals(&cx, &mut claims, &r[g], acc, &mut evals)?;
        t.absorb_frs("acc-evals", &evals);
        let after = gp.after_acc(&cx, &mut t, &r[g])?;
        acc_msgs.push((evals, after));
        accs.push(acc);
    }

    timer.mark("acc-evals");
    // Zerocheck and output points.
    let zc: Vec<(usize, Vec<Fr>, Fr)> = provers
        .iter()
        .enumerate()
        .filter_map(|(g, gp)| Some((g, gp.zerocheck_vars(&cx)?)))
        .map(|(g, n)| {
            let tau = t.squeeze_n("zerocheck-tau", n);
            (g, tau, t.squeeze("zerocheck-beta"))
        })
        .collect();
    let (out_insts, argmax_msg) = output::prove(&cx, &mut t, &mut claims, inp.output)?;

    // Instances of the one batched sumcheck: the dense group in gadget order, the
    // zerochecks, the output.
    let mut insts: Vec<Contribution> = Vec::new();
    for (g, gp) in provers.iter_mut().enumerate() {
        insts.extend(gp.dense(&cx, &r[g], accs[g])?);
    }
    for (g, tau, beta) in &zc {
        let inst = provers[*g].zerocheck(&cx, tau, *beta)?;
        insts.push(Contribution {
            inst,
            claim: Fr::zero(),
        });
    }
    insts.extend(out_insts);

    timer.mark("instances");
    let inst_claims: Vec<Fr> = insts.iter().map(|i| i.claim).collect();
    let mut refs: Vec<&mut dyn SumcheckProver> = insts
        .iter_mut()
        .map(|x| x.inst.as_mut() as &mut dyn SumcheckProver)
        .collect();
    let (sc, point, _) = sumcheck::prove_batched(&mut t, &mut refs, &inst_claims);
    drop(refs);

    timer.mark("sumcheck");
    let mut sc_evals = Vec::new();
    for i in &insts {
        let s = &point[point.len() - i.inst.num_vars()..];
        i.inst.sumcheck_evals(&cx, &mut claims, s, &mut sc_evals);
    }
    t.absorb_frs("sumcheck-evals", &sc_evals);

    timer.mark("sumcheck-evals");
    let ms = &c.model_stack;
    let mshape = Shape::new(ms.num_vars, ms.log_cols)?;
    let (wclaims, mclaims) = claims.finish();
    let opening = batch::prove(
        hyrax,
        &mut t,
        &[
            ProverStack {
                shape: wshape,
                table: &wtable,
                claims: &wclaims,
            },
            ProverStack {
                shape: mshape,
                table: &model,
                claims: &mclaims,
            },
        ],
    );

    timer.mark("opening");
    write_header(&mut w, Kind::Inference);
    w.bytes(&inp.vk_digest);
    w.u32(b as u32);
    w.bytes(&x_bytes);
    w.bytes(&y_bytes);
    Hyrax::write_commitment(&wcom, &mut w);
    lproof.write(&mut w);
    w.frs(&leaf_evals);
    for (e, after) in &acc_msgs {
        w.frs(e);
        if let Some(a) = after {
            w.frs(a);
        }
    }
    if let Some(e) = &argmax_msg {
        w.frs(e);
    }
    sc.write(&mut w);
    w.frs(&sc_evals);
    opening.write(&mut w);
    Ok(w.finish())
}

/// Gadget `g`'s own columns at its point `r_g` (with their claims), then the
/// accumulator they give. The argmax differences are sent at `r_d` instead, a
/// rowmax's `D` not at all and its `S` at `(1/2.., r_b)`.
fn own_acc_evals(cx: &Ctx<'_>, claims: &mut Claims<'_>, g: usize, r_g: &[Fr]) -> (Vec<Fr>, Fr) {
    let specs = &cx.cols.specs;
    let own: Vec<usize> = (0..specs.len())
        .filter(|&i| specs[i].gadget == g && !not_at_acc_point(specs[i].kind))
        .collect();
    let mut evals = Vec::with_capacity(own.len());
    for &ci in &own {
        let v = evaluate(&cx.cols.tables[ci], r_g);
        claims.column(ci, r_g, v);
        evals.push(v);
    }
    let acc = super::acc_from_evals(&cx.c.gadgets[g], specs, &own, &evals, cx.c.limb_bits);
    (evals, acc)
}

/// Columns not evaluated at their gadget's acc point: argmax differences, a
/// rowmax's `D` and `S` (of its operand's length).
fn not_at_acc_point(kind: ColumnKind) -> bool {
    matches!(
        kind,
        ColumnKind::D | ColumnKind::RowDiff | ColumnKind::RowSel
    )
}
