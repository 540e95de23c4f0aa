//! The inference prover (circuits/inference.md section 4): commit the witness,
//! prove every lookup with one LogUp-GKR, every layer relation in one batched
//! sumcheck, and every claim with one BatchOpen over the witness and model stacks.

use ark_ff::Zero;
use rayon::prelude::*;

use super::circuit::{int_width, Circuit, ColumnKind, INPUT_COLUMNS};
use super::declared::Record;
use super::gadgets::{self, Contribution, Ctx, Instance};
use super::table::{self, TableGadget};
use super::tensors::Columns;
use super::{output, Claims, INFERENCE_TAG};
use crate::artifact::Kind;
use crate::declare::{Check, Expr};
use crate::encoding::ints_bytes;
use crate::error::{Error, Result};
use crate::field::{from_i64, Fr};
use crate::logup::TreeEnd;
use crate::mle::evaluate;
use crate::pcs::hyrax::Hyrax;
use crate::pcs::Shape;
use crate::pipeline::{
    self, claim_prefix, Backend, Batched, Channel, Messages, NamedClaims, ProofKind, Tree,
    WitnessStack, LEAF_EVALS, SUMCHECK_EVALS,
};
use crate::sumcheck::SumcheckProver;

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
        None => table::multiplicities(&c, &inp.columns, inp.input, inp.batch),
    };
    let ch = Channel::new(INFERENCE_TAG, Kind::Inference);
    prove_parsed(
        hyrax,
        &c,
        inp,
        (mult, tmult),
        ch,
        None,
        None,
        Default::default(),
    )
}

/// Prove on the backend `b` (kind 3's [`Channel`], or a hiding backend) with every
/// multiplicity counted from the witness; `visibility` is the word a hiding statement
/// carries after the batch size (zk_inference.md 1), `decl` where to leave the
/// declarations when asked.
pub(crate) fn prove_on<B: Backend>(
    hyrax: &Hyrax,
    inp: InferenceInput<'_>,
    b: B,
    visibility: Option<u32>,
    decl: DeclOut<'_>,
    owner: OwnerBlinds<'_>,
) -> Result<Vec<u8>> {
    let mut c = Circuit::parse(inp.circuit_json)?;
    let mut inp = inp;
    c.private_input = visibility.is_some_and(private_input);
    if c.private_input {
        // zk_inference.md 1.3: the input's limbs join the witness, after every column
        if inp.input.len() != inp.batch * c.input.features {
            return bad("input length does not match the circuit and batch");
        }
        let limbs = super::tensors::input_limb_columns(&c, inp.input, inp.batch);
        inp.columns.extend(limbs);
    }
    check_statement(&c, &inp)?;
    let mult = multiplicities(&c, &inp.columns);
    let tmult = table::multiplicities(&c, &inp.columns, inp.input, inp.batch);
    prove_parsed(hyrax, &c, inp, (mult, tmult), b, visibility, decl, owner)
}

#[cfg(any(test, feature = "testkit"))]
/// Like [`prove`], also returning the proof's declarations (circuits/checks.md) as the
/// prover's gadgets state them (`declared.rs`).
pub fn prove_declared(
    hyrax: &Hyrax,
    inp: InferenceInput<'_>,
) -> Result<(Vec<u8>, super::declared::Declarations)> {
    let mut decl = None;
    let ch = Channel::new(INFERENCE_TAG, Kind::Inference);
    let proof = prove_on(hyrax, inp, ch, None, Some(&mut decl), Default::default())?;
    Ok((proof, decl.expect("declared")?))
}

/// Whether visibility word `v` keeps the input out of the statement (bits 0-1 not
/// `0`, zk_inference.md 1).
pub fn private_input(v: u32) -> bool {
    v & 3 != 0
}

/// The row blinders of the stacks a hiding statement carries besides the key's: a
/// committed input's (zk_inference.md 1.4) and a committed output's (1.6), each the
/// owner's, none when that tensor is not committed.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct OwnerBlinds<'a> {
    pub input: Option<&'a [Fr]>,
    pub output: Option<&'a [Fr]>,
}

/// Where a declaring prover leaves its declarations.
pub(crate) type DeclOut<'o> = Option<&'o mut Option<Result<super::declared::Declarations>>>;

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

#[allow(clippy::too_many_arguments)]
fn prove_parsed<B: Backend>(
    hyrax: &Hyrax,
    c: &Circuit,
    inp: InferenceInput<'_>,
    (mult, tmult): (Vec<i64>, Vec<Vec<i64>>),
    backend: B,
    visibility: Option<u32>,
    decl: DeclOut<'_>,
    owner: OwnerBlinds<'_>,
) -> Result<Vec<u8>> {
    let b = inp.batch;
    let tgs = table::gadgets(c);
    let t_ok = tmult.len() == tgs.len()
        && tmult
            .iter()
            .zip(&tgs)
            .all(|(t, tg)| t.len() == tg.tensor.cols);
    if mult.len() != 1 << c.limb_bits || !t_ok {
        return bad("multiplicity columns do not match the circuit");
    }
    // Witness stack: the limb columns, the range table's multiplicities (2^L
    // entries), then each table gadget's multiplicities (nonlinear.md sections 3, 5).
    let parts: Vec<&[i64]> = inp
        .columns
        .iter()
        .chain(std::iter::once(&mult))
        .chain(&tmult)
        .map(|v| v.as_slice())
        .collect();
    let witness = WitnessStack::commit(hyrax, &parts)?;
    let model: Vec<Fr> = inp.model_stack.par_iter().map(|v| from_i64(*v)).collect();
    let cols = Columns::new(c, &inp.columns);
    let cx = Ctx {
        c,
        cols: &cols,
        model: &model,
        input: inp.input,
        b,
    };
    let mut kind = Inference {
        cx,
        claims: Claims::new(witness.slots.clone(), witness.num_vars, c),
        statement: &inp,
        visibility,
        seed_digest: hyrax.seed_digest,
        model_shape: Shape::new(c.model_stack.num_vars, c.model_stack.log_cols)?,
        tgs,
        mult: mult.iter().map(|v| from_i64(*v)).collect(),
        tmult: tmult
            .iter()
            .map(|t| t.iter().map(|v| from_i64(*v)).collect())
            .collect(),
        record: None,
        committed: None,
        committed_out: None,
    };
    if let Some(blinds) = owner.input {
        let limbs = &inp.columns[inp.columns.len() - c.input_columns().len()..];
        let ci = CommittedStack::new(hyrax, limbs, blinds)?;
        kind.claims = kind
            .claims
            .with_input_stack(ci.stack.slots.clone(), ci.stack.num_vars);
        kind.committed = Some(ci);
    }
    if let Some(blinds) = owner.output {
        let co = CommittedStack::new(hyrax, &[output_table(c, inp.output, b)?], blinds)?;
        let (slot, n) = (co.stack.slots[0], co.stack.num_vars);
        kind.claims = kind.claims.with_output_stack(slot, n);
        kind.committed_out = Some(co);
    }
    if decl.is_some() || B::DECLARED {
        kind.record = Some(Record::default());
    }
    let proof = pipeline::prove(hyrax, backend, &mut kind, &witness)?;
    if let (Some(out), Some(rec)) = (decl, &kind.record) {
        *out = Some(super::declared::declare(
            kind.cx,
            rec,
            kind.statement.output,
        ));
    }
    Ok(proof)
}

/// The inference proof as a user of the proof pipeline (inference.md section 5).
struct Inference<'a> {
    cx: Ctx<'a>,
    claims: Claims<'a>,
    statement: &'a InferenceInput<'a>,
    /// The visibility word of a hiding statement (zk_inference.md 1); none in kind 3.
    visibility: Option<u32>,
    seed_digest: [u8; 32],
    model_shape: Shape,
    tgs: Vec<TableGadget>,
    /// The range table's multiplicities `m` and each table gadget's `t_g`.
    mult: Vec<Fr>,
    tmult: Vec<Vec<Fr>>,
    /// What the declarations read, when they are asked for (never on the normal path).
    record: Option<Record>,
    /// A committed input's stack and its blinded commitment (zk_inference.md 1.4).
    committed: Option<CommittedStack>,
    /// A committed output's stack and its blinded commitment (zk_inference.md 1.6).
    committed_out: Option<CommittedStack>,
}

/// A committed input (zk_inference.md 1.4: the stack of the input's limb columns) or
/// output (1.6: the stack of the output's values), and its row commitments blinded
/// with the owner's blinders.
pub struct CommittedStack {
    pub stack: WitnessStack,
    pub rows: crate::pcs::hyrax::Commitment,
}

/// A committed output's one column (zk_inference.md 1.6): the output's values `y`
/// (B rows of the circuit's output features) as the padded `B' x pad(features)`
/// matrix the output point `r_out` reads, zero elsewhere. An ArgMax output has no
/// such column (its indices are not the output gadget's values): InvalidArgument.
pub fn output_table(c: &Circuit, y: &[i64], batch: usize) -> Result<Vec<i64>> {
    let f = c.output.features;
    if c.output.argmax {
        return bad("a committed output of an ArgMax circuit is not built (zk_inference.md 1.6)");
    }
    if batch == 0 || y.len() != batch * f {
        return bad("output length does not match the circuit and batch");
    }
    let np = f.next_power_of_two();
    let mut out = vec![0i64; batch.next_power_of_two() * np];
    for (row, vals) in y.chunks(f).enumerate() {
        out[row * np..row * np + f].copy_from_slice(vals);
    }
    Ok(out)
}

impl CommittedStack {
    /// The columns `parts` as a stack (the witness stack's layout), committed with the
    /// row blinders `blinds` (one per row; InvalidArgument otherwise).
    pub fn new(hyrax: &Hyrax, parts: &[Vec<i64>], blinds: &[Fr]) -> Result<Self> {
        let parts: Vec<&[i64]> = parts.iter().map(|v| v.as_slice()).collect();
        let stack = WitnessStack::commit(hyrax, &parts)?;
        if blinds.len() != stack.shape.rows() {
            return bad(format!(
                "{} row blinders, the committed stack has {} rows",
                blinds.len(),
                stack.shape.rows()
            ));
        }
        let gens = crate::zk::Gens::new(&hyrax.seed_digest, 1);
        let rows = crate::zk::opening::blind_rows(&gens, &stack.commitment, blinds);
        Ok(Self { stack, rows })
    }
}

impl ProofKind for Inference<'_> {
    type Instance = dyn Instance;

    fn prover(inst: &mut Self::Instance) -> &mut dyn SumcheckProver {
        inst
    }

    fn statement(&mut self, ch: &mut Channel) {
        let (c, inp) = (self.cx.c, self.statement);
        let (olo, ohi) = c.output_range();
        ch.absorb("generators", &self.seed_digest);
        ch.send_bytes("vk", &inp.vk_digest);
        ch.send_u32("batch", inp.batch as u32);
        if let Some(v) = self.visibility {
            ch.send_u32("visibility", v);
        }
        // a private input is in the witness only (zk_inference.md 1.3), a committed
        // one is its commitment (1.4)
        if let Some(ci) = &self.committed {
            ch.send_commitment("input", &ci.rows);
        } else if !c.private_input {
            ch.send_bytes("input", &ints_bytes(inp.input, c.input_width()));
        }
        // a committed output is its commitment (zk_inference.md 1.6)
        if let Some(co) = &self.committed_out {
            ch.send_commitment("output", &co.rows);
        } else {
            ch.send_bytes("output", &ints_bytes(inp.output, int_width(olo, ohi)));
        }
    }

    /// One LogUp over every limb entry (twice for narrow limbs), then each table
    /// gadget's pair of trees.
    fn lookup_trees(&mut self, alpha: Fr, beta: Fr) -> Result<Vec<Tree>> {
        let cx = &self.cx;
        let (leaf_slots, depth) = super::leaf_layout(cx.c, cx.b);
        let tables: Vec<&[Fr]> = cx.cols.tables.iter().map(|t| t.as_slice()).collect();
        let mut trees = super::lookup_trees(&leaf_slots, depth, alpha, &tables, &self.mult);
        trees.extend(table::trees(
            cx.c,
            &self.tgs,
            cx.cols,
            cx.model,
            cx.input,
            cx.b,
            (alpha, beta),
            &self.tmult,
        ));
        if let Some(rec) = &mut self.record {
            (rec.alpha, rec.beta) = (alpha, beta);
        }
        Ok(trees)
    }

    /// The range group, then one group per table gadget (nonlinear.md 3).
    fn lookup_groups(&self) -> Vec<usize> {
        std::iter::once(2)
            .chain(self.tgs.iter().map(|_| 2))
            .collect()
    }

    fn leaf_evals(&mut self, ends: &[TreeEnd]) -> Result<Vec<Fr>> {
        let cx = &self.cx;
        let points: Vec<Vec<Fr>> = ends.iter().map(|e| e.point.clone()).collect();
        let (rho, rho_t) = (&points[0], &points[1]);
        let mut out = Vec::with_capacity(cx.cols.tables.len() + 1);
        for (ci, spec) in cx.cols.specs.iter().enumerate() {
            let n = cx.c.column_vars(spec, cx.b);
            let v = evaluate(&cx.cols.tables[ci], &rho[..n]);
            self.claims.column(ci, &rho[..n], v);
            if spec.gadget == INPUT_COLUMNS {
                // a committed input's limb: the same claim on its stack (zk_inference.md 1.4)
                self.claims.input_limb(spec.limb, &rho[..n], v);
            }
            out.push(v);
        }
        let mv = evaluate(&self.mult, rho_t);
        self.claims.multiplicities(rho_t, mv);
        out.push(mv);
        table::leaf_evals(
            &self.tgs,
            cx.cols,
            cx.model,
            &self.tmult,
            &points[2..],
            &mut self.claims,
            &mut out,
        );
        self.claims.sent(LEAF_EVALS, 0, &out)?;
        if let Some(rec) = &mut self.record {
            // every tree's leaf claims (P, Q) at its point, as the LogUp ends
            rec.roots = ends.iter().map(|e| (e.p, e.q)).collect();
            rec.leaf_points = points;
            rec.leaf = out.clone();
        }
        Ok(out)
    }

    /// Each gadget's relation at its own random point: its acc-evals and the messages
    /// right after them; the zerocheck and output challenges; then the instances: the
    /// dense group in gadget order, the zerochecks, the output.
    fn relations(&mut self, ch: &mut dyn Messages) -> Result<Vec<Contribution>> {
        let (cx, claims) = (&self.cx, &mut self.claims);
        let (c, b) = (cx.c, cx.b);
        let r: Vec<Vec<Fr>> = (0..c.gadgets.len())
            .map(|g| ch.squeeze_n("acc-point", c.gadget_vars(g, b)))
            .collect();
        let mut provers: Vec<_> = (0..c.gadgets.len())
            .map(|g| gadgets::prover(c, g))
            .collect();
        let mut accs = Vec::with_capacity(c.gadgets.len());
        for (g, gp) in provers.iter_mut().enumerate() {
            let (mut evals, acc) = own_acc_evals(cx, claims, g, &r[g]);
            gp.acc_evals(cx, claims, &r[g], acc, &mut evals)?;
            ch.send_values("acc-evals", Some(g), &evals)?;
            claims.sent(&claim_prefix("acc-evals", Some(g)), 0, &evals)?;
            if let Some(rec) = &mut self.record {
                rec.before_after.push(ch.fork());
            }
            let after = gp.after_acc(cx, ch, &r[g])?;
            if let Some(rec) = &mut self.record {
                rec.r.push(r[g].clone());
                rec.acc.push(evals);
                rec.after.push(after);
            }
            accs.push(acc);
        }
        let zc: Vec<(usize, Vec<Fr>, Fr)> = provers
            .iter()
            .enumerate()
            .filter_map(|(g, gp)| Some((g, gp.zerocheck_vars(cx)?)))
            .map(|(g, n)| {
                let tau = ch.squeeze_n("zerocheck-tau", n);
                (g, tau, ch.squeeze("zerocheck-beta"))
            })
            .collect();
        let output = self.statement.output;
        if let Some(rec) = &mut self.record {
            // the output point, squeezed the same way on a copy of the transcript
            let label = if c.output.argmax {
                "argmax-point"
            } else {
                "output-point"
            };
            let n = c.gadget_vars(c.output.gadget, b);
            rec.out_point = ch.fork().squeeze_n(label, n);
            rec.committed_output = claims.output_committed();
            rec.zerochecks = zc.clone();
        }
        let (out_insts, argmax_msg) = output::prove(cx, ch, claims, output)?;
        if let Some(e) = &argmax_msg {
            claims.sent("argmax-evals", 0, e)?;
        }
        let mut insts: Vec<Contribution> = Vec::new();
        for (g, gp) in provers.iter_mut().enumerate() {
            let dense = gp.dense(cx, &r[g], accs[g])?;
            if let Some(rec) = &mut self.record {
                rec.dense.push(dense.len());
            }
            insts.extend(dense);
        }
        for (g, tau, beta) in &zc {
            let inst = provers[*g].zerocheck(cx, tau, *beta)?;
            insts.push(Contribution {
                inst,
                claim: Fr::zero(),
            });
        }
        insts.extend(out_insts);
        if let Some(rec) = &mut self.record {
            rec.argmax = argmax_msg;
            rec.claims = insts.iter().map(|i| i.claim).collect();
        }
        Ok(insts)
    }

    fn sumcheck_evals(&mut self, inst: &dyn Instance, s: &[Fr], out: &mut Vec<Fr>) -> Result<()> {
        let start = out.len();
        inst.sumcheck_evals(&self.cx, &mut self.claims, s, out);
        self.claims.sent(SUMCHECK_EVALS, start, out)?;
        if let Some(rec) = &mut self.record {
            rec.points.push(s.to_vec());
            rec.evals.push(out[start..].to_vec());
        }
        Ok(())
    }

    fn batched(&mut self, b: &Batched) {
        if let Some(rec) = &mut self.record {
            rec.rho = b.weights.get(1).copied().unwrap_or_default();
            rec.last = b.last;
        }
    }

    fn other_stacks(&self) -> Vec<(Shape, &[Fr])> {
        let mut out = vec![(self.model_shape, self.cx.model)];
        for s in self.committed.iter().chain(&self.committed_out) {
            out.push((s.stack.shape, s.stack.table.as_slice()));
        }
        out
    }

    fn opening_claims(&mut self) -> Vec<NamedClaims> {
        let (w, m) = self.claims.take();
        let mut out = vec![w, m];
        if self.committed.is_some() {
            out.push(self.claims.take_input());
        }
        if self.committed_out.is_some() {
            out.push(self.claims.take_output());
        }
        out
    }

    /// Every instance's claim (`declared.rs`), from the record of stage 4.
    fn declared_claims(&mut self) -> Result<Vec<Expr>> {
        let rec = self.record.as_ref().ok_or_else(not_recorded)?;
        super::declared::declare_claims(self.cx, rec, self.statement.output)
    }

    /// The range group's leaf checks, then kind 3's declarations in checks.md 4's
    /// order (zk_inference.md 3, items 2 and 3).
    fn declared_checks(&mut self) -> Result<Vec<Check>> {
        let rec = self.record.as_ref().ok_or_else(not_recorded)?;
        let decl = super::declared::declare(self.cx, rec, self.statement.output)?;
        let mut checks = super::declared::range_leaves(self.cx, rec)?;
        checks.extend(decl.checks().cloned());
        Ok(checks)
    }
}

fn not_recorded() -> Error {
    Error::InvalidArgument("the proof's record was not kept".into())
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
