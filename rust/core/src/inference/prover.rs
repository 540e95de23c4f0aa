//! The inference prover (circuits/inference.md section 4): commit the witness,
//! prove every lookup with one LogUp-GKR, every layer relation in one batched
//! sumcheck, and every claim with one BatchOpen over the witness and model stacks.

use ark_ff::{One, Zero};
use rayon::prelude::*;

use super::circuit::{int_width, Circuit, ColumnKind, Producer, TensorRef};
use super::layout::assign;
use super::spatial::{geom, window_point};
use super::tensors::{model_table, tensor_table, Columns};
use super::{matmul, output_mask, rowops, table, window, zerocheck, Claims, INFERENCE_TAG};
use crate::artifact::{write_header, Kind};
use crate::encoding::{ints_bytes, Writer};
use crate::error::{Error, Result};
use crate::field::{from_i64, pow2, Fr};
use crate::logup;
use crate::mle::{eq_table, evaluate};
use crate::pcs::batch::{self, ProverStack};
use crate::pcs::hyrax::Hyrax;
use crate::pcs::{Pcs, Shape};
use crate::sumcheck::product::Term;
use crate::sumcheck::{self, ProductSum, SumcheckProver};
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

/// Like [`prove`] with given range-table multiplicities (soundness tests use wrong ones).
pub fn prove_with_multiplicities(
    hyrax: &Hyrax,
    inp: InferenceInput<'_>,
    mult: Vec<i64>,
) -> Result<Vec<u8>> {
    prove_with(hyrax, inp, Some(mult), None)
}

/// Like [`prove`] with given table-gadget multiplicities `t_g` (gadget order).
pub fn prove_with_table_multiplicities(
    hyrax: &Hyrax,
    inp: InferenceInput<'_>,
    tmult: Vec<Vec<i64>>,
) -> Result<Vec<u8>> {
    prove_with(hyrax, inp, None, Some(tmult))
}

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
    // Accumulator points: each gadget's relation at its own random point.
    let r: Vec<Vec<Fr>> = (0..c.gadgets.len())
        .map(|g| t.squeeze_n("acc-point", c.gadget_vars(g, b)))
        .collect();
    let mut acc_msgs = Vec::with_capacity(c.gadgets.len());
    let mut dense_claims = Vec::new();
    // conv.md section 5: a winmax's gamma_g and E_g, right after its acc-evals.
    let mut gammas: Vec<Option<Fr>> = vec![None; c.gadgets.len()];
    // nonlinear.md section 11: a concat's parts' values E_1..E_K, likewise.
    let mut after: Vec<Option<Vec<Fr>>> = vec![None; c.gadgets.len()];
    for (g, gad) in c.gadgets.iter().enumerate() {
        let mut evals = Vec::new();
        // The gadget's own columns of its length; the argmax differences are sent
        // at r_d instead, a rowmax's D not at all and its S at (1/2.., r_b).
        let own: Vec<usize> = (0..specs.len())
            .filter(|&i| specs[i].gadget == g && !not_at_acc_point(specs[i].kind))
            .collect();
        for &ci in &own {
            let v = evaluate(&cols.tables[ci], &r[g]);
            claims.column(ci, &r[g], v);
            evals.push(v);
        }
        let acc = super::acc_from_evals(gad, &specs, &own, &evals, c.limb_bits);
        if let Some(claim) = acc_operands(
            c,
            (&cols, &model, b),
            &mut claims,
            g,
            &r[g],
            acc,
            &mut evals,
        )? {
            dense_claims.push(claim);
        }
        t.absorb_frs("acc-evals", &evals);
        acc_msgs.push(evals);
        if let Producer::Winmax(_) = gad.producer {
            let gamma = t.squeeze("window-gamma");
            let (ca, e) = window::winmax_claims(c, &cols, (inp.input, b), g, &r[g], gamma)?;
            t.absorb_frs("window-e", &[e]);
            dense_claims.extend([ca, e]);
            gammas[g] = Some(gamma);
            after[g] = Some(vec![e]);
        }
        if let Producer::Concat { .. } = gad.producer {
            let e = super::combine::concat_parts(c, &cols, (inp.input, b), g, &r[g])?;
            t.absorb_frs("concat-parts", &e);
            dense_claims.extend(e.iter().copied());
            after[g] = Some(e);
        }
        // rearrange.md section 3: where a concat's parts would be.
        if let Producer::Rearrange { .. } = gad.producer {
            let e = super::rearrange::rearrange_parts(c, &cols, (inp.input, b), g, &r[g])?;
            t.absorb_frs("rearrange-parts", &e);
            dense_claims.extend(e.iter().copied());
            after[g] = Some(e);
        }
    }

    timer.mark("acc-evals");
    // Zerocheck and output points.
    let zc = zerocheck::gadgets(c, &cols);
    let taus: Vec<(Vec<Fr>, Fr)> = zc
        .iter()
        .map(|&g| {
            (
                t.squeeze_n("zerocheck-tau", rowops::zerocheck_vars(c, g, b)),
                t.squeeze("zerocheck-beta"),
            )
        })
        .collect();
    let lg = c.output.gadget;
    let n_l = c.gadget_vars(lg, b);
    let out_feat = c.output.features;
    let np = out_feat.next_power_of_two();
    // eq, mask and z_L (or eq_b, S, z_L) are separate multilinear factors: the
    // verifier evaluates each, so none may be folded into another's table.
    let zl = tensor_table(c, &cols, TensorRef::Gadget(lg), inp.input, b);
    let mask = output_mask(out_feat, b, zl.len());
    let mut argmax_msg = None;
    let out_insts: Vec<(Vec<Vec<Fr>>, Fr)> = if c.output.argmax {
        let r_d = t.squeeze_n("argmax-point", n_l);
        let r_b = &r_d[super::log2(np)..];
        let mut evals = Vec::new();
        for ci in cols.of(lg, ColumnKind::D) {
            let v = evaluate(&cols.tables[ci], &r_d);
            claims.column(ci, &r_d, v);
            evals.push(v);
        }
        let mut sel = vec![Fr::zero(); zl.len()];
        for (row, k) in inp.output.iter().enumerate() {
            if (0..out_feat as i64).contains(k) {
                sel[row * np + *k as usize] = Fr::one();
            }
        }
        let eb = eq_table(r_b);
        let eb_tab: Vec<Fr> = (0..zl.len()).map(|i| eb[i / np]).collect();
        let er = eq_table(&r_d);
        let a: Fr = (0..zl.len()).map(|i| eb_tab[i] * sel[i] * zl[i]).sum();
        let cm: Fr = (0..zl.len()).map(|i| er[i] * mask[i] * zl[i]).sum();
        evals.push(a);
        evals.push(cm);
        t.absorb_frs("argmax-evals", &evals);
        argmax_msg = Some(evals);
        vec![(vec![eb_tab, sel, zl.clone()], a), (vec![er, mask, zl], cm)]
    } else {
        let r_out = t.squeeze_n("output-point", n_l);
        let y_claim = evaluate(&super::tensors::pad_matrix(inp.output, b, out_feat), &r_out);
        vec![(vec![eq_table(&r_out), mask, zl], y_claim)]
    };

    // Instances of the one batched sumcheck: dense and conv gadgets (their final
    // weight values are read back below), the zerochecks, the output.
    let (mut mat_insts, mat_info) = matmul::build(c, &cols, &model, inp.input, b, &r, &gammas)?;
    let mut inst_claims = dense_claims;
    let mut insts: Vec<Box<dyn SumcheckProver>> = Vec::new();
    for (&g, (tau, beta)) in zc.iter().zip(&taus) {
        insts.push(Box::new(zerocheck::instance(
            c,
            &cols,
            (inp.input, b),
            g,
            tau,
            *beta,
        )?));
        inst_claims.push(Fr::zero());
    }
    let n_out_insts = out_insts.len();
    for (tables, claim) in out_insts {
        let term = vec![Term {
            coeff: Fr::one(),
            factors: vec![0, 1, 2],
        }];
        insts.push(Box::new(ProductSum::new(tables, term)?));
        inst_claims.push(claim);
    }

    timer.mark("instances");
    let mut refs: Vec<&mut dyn SumcheckProver> = mat_insts
        .iter_mut()
        .map(|x| x as &mut dyn SumcheckProver)
        .chain(
            insts
                .iter_mut()
                .map(|x| x.as_mut() as &mut dyn SumcheckProver),
        )
        .collect();
    let (sc, point, _) = sumcheck::prove_batched(&mut t, &mut refs, &inst_claims);
    drop(refs);

    timer.mark("sumcheck");
    let n_max = point.len();
    let suffix = |n: usize| &point[n_max - n..];

    let mut sc_evals = Vec::new();
    matmul::sumcheck_evals(
        &mut claims,
        &cols,
        &mat_insts,
        &mat_info,
        &point,
        &mut sc_evals,
    );
    for &g in &zc {
        let s = suffix(rowops::zerocheck_vars(c, g, b)).to_vec();
        zerocheck::sumcheck_evals(c, &mut claims, &cols, (g, b), &s, &mut sc_evals);
    }
    let s_out = suffix(n_l).to_vec();
    for _ in 0..n_out_insts {
        claims.tensor_limbs(&cols, TensorRef::Gadget(lg), &s_out, &mut sc_evals);
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
    for (e, we) in acc_msgs.iter().zip(&after) {
        w.frs(e);
        if let Some(we) = we {
            w.frs(we);
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

/// Columns not evaluated at their gadget's acc point: argmax differences, a
/// rowmax's `D` and `S` (of its operand's length).
fn not_at_acc_point(kind: ColumnKind) -> bool {
    matches!(
        kind,
        ColumnKind::D | ColumnKind::RowDiff | ColumnKind::RowSel
    )
}

/// The acc-evals after a gadget's own columns (operand limbs, the bias) and, for a
/// dense or conv gadget, the claim of its sumcheck instance `acc - 2^d bias(r_o)`
/// (a spatialsum's is `acc`).
#[allow(clippy::too_many_arguments)]
fn acc_operands(
    c: &Circuit,
    (cols, model, b): (&Columns, &[Fr], usize),
    claims: &mut Claims<'_>,
    g: usize,
    r_g: &[Fr],
    acc: Fr,
    evals: &mut Vec<Fr>,
) -> Result<Option<Fr>> {
    match &c.gadgets[g].producer {
        Producer::Dense {
            bias, bias_shift, ..
        }
        | Producer::Conv {
            bias, bias_shift, ..
        } => {
            let (_, r_o, _) = matmul::split_point(c, g, r_g);
            let bias_v = match bias {
                Some(name) => {
                    let bt = c.tensor(name)?;
                    let v = evaluate(model_table(model, bt), r_o);
                    claims.model(bt, r_o, v);
                    evals.push(v);
                    v * pow2(*bias_shift)
                }
                None => Fr::zero(),
            };
            return Ok(Some(acc - bias_v));
        }
        Producer::Add { x, y, .. } => {
            // A row value y is broadcast: its limbs at (r_grp, r_b) (nonlinear.md
            // sections 6, 12).
            for operand in [x, y] {
                let p = rowops::suffix(r_g, c.tensor_vars(*operand, b));
                claims.tensor_limbs(cols, *operand, p, evals);
            }
        }
        Producer::Rowmax { .. } => rowops::rowmax_acc_evals(cols, claims, g, r_g, evals),
        Producer::Rowdiv { y, .. } => {
            let p = rowops::suffix(r_g, c.tensor_vars(*y, b));
            claims.tensor_limbs(cols, *y, p, evals);
        }
        Producer::Identity { x } => claims.tensor_limbs(cols, *x, r_g, evals),
        // nonlinear.md section 10: x's limbs at r_g, then C(r_f).
        Producer::Addconst { .. } => {
            super::combine::addconst_acc_evals(c, (cols, model), claims, g, r_g, evals)?
        }
        // nonlinear.md section 11: the parts' values follow the acc-evals.
        Producer::Concat { .. } | Producer::Rearrange { .. } => {}
        // nonlinear.md: a spatialsum's instance claim is acc(r_g); a table gadget
        // has no relation at its accumulator point.
        // nonlinear.md section 8: a mul's acc-evals are its own columns only.
        Producer::Spatialsum { .. } | Producer::Winsum(_) | Producer::Mul { .. } => {
            return Ok(Some(acc))
        }
        // conv.md section 5: a winmax's claims follow gamma_g (prove_parsed).
        Producer::Winmax(_) => {}
        Producer::Table { .. } => {}
        Producer::Affine { terms } => {
            for (x, _) in terms {
                claims.tensor_limbs(cols, *x, r_g, evals);
            }
        }
        Producer::Sumpool { x, .. } | Producer::Maxpool { x, .. } => {
            let geo = geom(&c.gadgets[g].producer).expect("validated pooling gadget");
            for w in 0..c.gadgets[g].producer.windows() {
                let p = window_point(&geo, r_g, w);
                claims.tensor_limbs(cols, *x, &p, evals);
            }
        }
    }
    Ok(None)
}
