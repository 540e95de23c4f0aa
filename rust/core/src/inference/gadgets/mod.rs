//! The gadget protocol interface (circuits/inference.md section 4): what one gadget
//! contributes to an inference proof, implemented once per gadget in its own module.
//!
//! The driver (`prover.rs`) runs the transcript schedule and asks every gadget, in
//! gadget order, for its acc-evals (after its own columns), the messages it sends
//! right after them, its dense-group instances and its zerocheck instance. Every
//! instance carries the evaluations it sends after the batched sumcheck
//! ([`Instance::sumcheck_evals`]), declared as data by [`Opened`] where it can be.

pub mod elementwise;
pub mod matmul;
pub mod max2;
pub mod parts;
pub mod pooling;
pub mod rows;

use super::producer::producers;
use super::{combine, producer as op, rearrange, rowops, spatial, table, window};

// The one list of ops: `"tag" => Variant(Type),` where `Type` is the struct the op's
// JSON reads into and implements `Op` (producer.rs), its impl beside its prover in
// this directory. A new gadget adds its module above and one line here.
producers! {
    "dense" => Dense(op::Dense),
    "add" => Add(op::Add),
    "identity" => Identity(op::Identity),
    "affine" => Affine(op::Affine),
    /// A 1-D or 2-D convolution (circuits/conv.md section 2).
    "conv" => Conv(spatial::ConvJson),
    /// Sum over power-of-two windows, `acc = 2^lshift sum_w x_w` (conv.md section 3).
    "sumpool" => Sumpool(spatial::SumpoolJson),
    /// Max over power-of-two windows with committed differences and selectors.
    "maxpool" => Maxpool(spatial::MaxpoolJson),
    "spatialsum" => Spatialsum(op::Spatialsum),
    /// `z = T[x - lo_x]` for a public table in the model stack (nonlinear.md 3).
    "table" => Table(table::TableJson),
    /// General pooling windows through the wiring (conv.md section 5; window.rs).
    "winsum" => Winsum(window::WinsumJson),
    "winmax" => Winmax(window::WinmaxJson),
    /// `z[g][b] = max_{i < n} x[b][i + P g]` (nonlinear.md sections 7, 12).
    "rowmax" => Rowmax(rowops::RowmaxJson),
    "mul" => Mul(op::Mul),
    /// `q = round(2^lshift x / y_b)` for a row value `y` (nonlinear.md 7, 12).
    "rowdiv" => Rowdiv(rowops::RowdivJson),
    /// `acc = dir max(dir sx 2^lx x, dir sy 2^ly y)` (circuits/max.md).
    "max2" => Max2(max2::Max2),
    "addconst" => Addconst(op::Addconst),
    /// Concatenation along channels (nonlinear.md section 11; combine.rs).
    "concat" => Concat(combine::ConcatJson),
    /// A public gather described by blocks (circuits/rearrange.md; rearrange.rs).
    "rearrange" => Rearrange(rearrange::RearrangeJson),
}

use ark_ff::One;

use super::circuit::{Circuit, ColumnKind, TensorRef};
use super::declared::{self, Decl, Own};
use super::table::TableGadget;
use super::tensors::{tensor_table, Columns};
use super::Claims;
use crate::declare::Expr;
use crate::error::Result;
use crate::field::{from_i64, Fr};
use crate::mle::{eq_table, evaluate};
use crate::pipeline::Messages;
use crate::sumcheck::product::Term;
use crate::sumcheck::{ProductSum, SumcheckProver};

/// What every gadget reads while proving: the circuit, the witness tables, the model
/// stack, the public input and the batch size.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub c: &'a Circuit,
    pub cols: &'a Columns,
    pub model: &'a [Fr],
    pub input: &'a [i64],
    pub b: usize,
}

impl Ctx<'_> {
    /// `(input, batch)`, as the gadget modules take them.
    pub fn ib(&self) -> (&[i64], usize) {
        (self.input, self.b)
    }

    /// A tensor's field table (`B' pad(width)` entries).
    pub fn tensor_table(&self, t: TensorRef) -> Vec<Fr> {
        tensor_table(self.c, self.cols, t, self.input, self.b)
    }
}

/// A sumcheck instance with the evaluations it sends after the batched sumcheck.
pub trait Instance: SumcheckProver {
    /// The sumcheck-evals (with their claims) at the instance's point `s`, the last
    /// `num_vars` coordinates of the batched point.
    fn sumcheck_evals(&self, cx: &Ctx<'_>, claims: &mut Claims<'_>, s: &[Fr], out: &mut Vec<Fr>);
}

/// An instance and its claim.
pub type Contribution = crate::pipeline::Claimed<dyn Instance>;

/// One gadget's part of the proof. Every method has the default of a gadget that
/// contributes nothing at that step; the zerocheck's default is the clamp check of
/// a gadget with `ep`/`em` columns (inference.md section 4).
pub trait GadgetProver {
    /// The acc-evals after the gadget's own columns at its point `r_g`; `acc` is the
    /// accumulator those columns give.
    fn acc_evals(
        &mut self,
        _cx: &Ctx<'_>,
        _claims: &mut Claims<'_>,
        _r_g: &[Fr],
        _acc: Fr,
        _evals: &mut Vec<Fr>,
    ) -> Result<()> {
        Ok(())
    }

    /// Messages sent right after the acc-evals (sent here through `m` under the
    /// gadget's label, with the challenges drawn before them), or `None`.
    fn after_acc(
        &mut self,
        _cx: &Ctx<'_>,
        _m: &mut dyn Messages,
        _r_g: &[Fr],
    ) -> Result<Option<Vec<Fr>>> {
        Ok(None)
    }

    /// What [`GadgetProver::after_acc`] makes, for the challenge `gamma` when given
    /// (a winmax's `gamma_g`) instead of a transcript's: the relation tests run the
    /// instances without a proof.
    #[cfg(any(test, feature = "testkit"))]
    fn after_acc_for(&mut self, cx: &Ctx<'_>, r_g: &[Fr], _gamma: Option<Fr>) -> Result<()> {
        let mut ch = crate::pipeline::Channel::new(b"testkit", crate::artifact::Kind::Inference);
        self.after_acc(cx, &mut ch, r_g)?;
        Ok(())
    }

    /// The gadget's instances in the dense group of the batched sumcheck; `acc` is the
    /// accumulator its own columns give at `r_g` (the claim of a gadget whose whole
    /// accumulator is one instance).
    fn dense(&mut self, _cx: &Ctx<'_>, _r_g: &[Fr], _acc: Fr) -> Result<Vec<Contribution>> {
        Ok(Vec::new())
    }

    /// The gadget index.
    fn index(&self) -> usize;

    /// The variables of the gadget's zerocheck, `None` without one.
    fn zerocheck_vars(&self, cx: &Ctx<'_>) -> Option<usize> {
        let g = self.index();
        let clamped =
            !cx.cols.of(g, ColumnKind::Ep).is_empty() || !cx.cols.of(g, ColumnKind::Em).is_empty();
        clamped.then(|| cx.c.gadget_vars(g, cx.b))
    }

    /// The zerocheck instance at `tau` with challenge `beta` (claim 0).
    fn zerocheck(&self, cx: &Ctx<'_>, tau: &[Fr], beta: Fr) -> Result<Box<dyn Instance>> {
        clamp_zerocheck(cx, self.index(), tau, beta)
    }

    /// The pairs the gadget looks up in a public table, proved by the LogUp with
    /// their own two trees (nonlinear.md section 3; table.rs); `None` for most.
    fn table_lookup(&self) -> Option<TableGadget> {
        None
    }

    // --- declarations (circuits/checks.md; built only when asked, `declared.rs`) ---

    /// The op's checks at the acc point `cx.at = r_g` after the common ones, reading
    /// the acc-evals after the own columns from `cx.vals`; returns its dense-group
    /// instances' claims, in order. The default: no check, no dense instance.
    fn declare_acc(&self, _cx: &mut Decl<'_, '_>, _own: &Own) -> Result<Vec<Expr>> {
        Ok(Vec::new())
    }

    /// The name of its `k`-th dense-group instance (the verifier's instance names).
    fn instance_name(&self, c: &Circuit, _k: usize) -> String {
        declared::op_name(c, self.index()).to_string()
    }

    /// The name of its zerocheck instance.
    fn zerocheck_name(&self) -> String {
        "zerocheck".to_string()
    }

    /// Its `k`-th dense-group instance's value at `cx.at = s`, reading its
    /// sumcheck-evals (a winmax declares checks here too: the verifier makes them
    /// while it reads the values, after every acc-point check).
    fn declare_dense_value(&self, _cx: &mut Decl<'_, '_>, k: usize) -> Result<Expr> {
        Err(crate::error::Error::InvalidArgument(format!(
            "gadget {}: instance {k} has no declaration",
            self.index()
        )))
    }

    /// Its zerocheck's value at `cx.at = s` (default: the clamp check's; a winmax
    /// declares checks here too).
    fn declare_zerocheck_value(&self, cx: &mut Decl<'_, '_>, tb: (&[Fr], Fr)) -> Result<Expr> {
        Ok(declared::clamp_value(
            cx.d,
            self.index(),
            tb,
            cx.at,
            cx.vals,
        ))
    }
}

/// The acc-point declaration of a gadget whose one dense-group instance claims its
/// whole accumulator `acc(r_g)` (mul, spatialsum, winsum).
pub fn acc_instance(own: &Own) -> Result<Vec<Expr>> {
    Ok(vec![own.acc.clone()])
}

/// Where an evaluation is taken: the instance's point, or its last `n` coordinates.
#[derive(Clone, Copy, Debug)]
pub enum At {
    Point,
    Suffix(usize),
}

/// One group of sumcheck-evals.
#[derive(Clone, Debug)]
pub enum Open {
    /// The `u` limbs of a tensor (nothing for the public input).
    Limbs(TensorRef, At),
    /// Committed columns, in order.
    Columns(Vec<usize>, At),
}

/// An instance whose sumcheck-evals are declared as data: at `(pre, s, post)` (the
/// point between fixed coordinates), each [`Open`] in order.
pub struct Opened<P> {
    pub prover: P,
    pub pre: Vec<Fr>,
    pub post: Vec<Fr>,
    pub opens: Vec<Open>,
}

impl<P: SumcheckProver> Opened<P> {
    /// An instance opened at its own point.
    pub fn at_point(prover: P, opens: Vec<Open>) -> Self {
        Opened {
            prover,
            pre: Vec::new(),
            post: Vec::new(),
            opens,
        }
    }
}

impl<P: SumcheckProver> SumcheckProver for Opened<P> {
    fn num_vars(&self) -> usize {
        self.prover.num_vars()
    }
    fn degree(&self) -> usize {
        self.prover.degree()
    }
    fn round_evals(&self) -> Vec<Fr> {
        self.prover.round_evals()
    }
    fn bind(&mut self, c: Fr) {
        self.prover.bind(c)
    }
}

impl<P: SumcheckProver> Instance for Opened<P> {
    fn sumcheck_evals(&self, cx: &Ctx<'_>, claims: &mut Claims<'_>, s: &[Fr], out: &mut Vec<Fr>) {
        let p: Vec<Fr> = self
            .pre
            .iter()
            .chain(s)
            .chain(&self.post)
            .copied()
            .collect();
        let at = |a: At| match a {
            At::Point => &p[..],
            At::Suffix(n) => &p[p.len() - n..],
        };
        for open in &self.opens {
            match open {
                Open::Limbs(t, a) => claims.tensor_limbs(cx.cols, *t, at(*a), out),
                Open::Columns(idx, a) => column_evals(cx.cols, claims, idx, at(*a), out),
            }
        }
    }
}

/// Claims and messages for the given columns at `point`.
pub fn column_evals(
    cols: &Columns,
    claims: &mut Claims<'_>,
    idx: &[usize],
    point: &[Fr],
    out: &mut Vec<Fr>,
) {
    for &ci in idx {
        let v = evaluate(&cols.tables[ci], point);
        claims.column(ci, point, v);
        out.push(v);
    }
}

/// Gadget `g`'s columns of the given kinds, kind by kind.
pub fn columns_of(cols: &Columns, g: usize, kinds: &[ColumnKind]) -> Vec<usize> {
    kinds.iter().flat_map(|&k| cols.of(g, k)).collect()
}

/// The clamp zerocheck `sum_x eq(tau, x) ((z - hi) e+ + beta (z - lo) e-)` (claim 0);
/// its sumcheck-evals are the `u`, `ep`, `em` limbs.
pub fn clamp_zerocheck(cx: &Ctx<'_>, g: usize, tau: &[Fr], beta: Fr) -> Result<Box<dyn Instance>> {
    let (c, cols) = (cx.c, cx.cols);
    let gad = &c.gadgets[g];
    let len = 1 << c.gadget_vars(g, cx.b);
    let mut tables = vec![eq_table(tau)];
    let mut terms = Vec::new();
    tables.push(cols.combine(&cols.of(g, ColumnKind::U), gad.lo, len));
    let ep = cols.of(g, ColumnKind::Ep);
    let em = cols.of(g, ColumnKind::Em);
    if !ep.is_empty() {
        tables.push(cols.combine(&ep, 0, len));
        let e = tables.len() - 1;
        terms.push(Term {
            coeff: Fr::one(),
            factors: vec![0, 1, e],
        });
        terms.push(Term {
            coeff: -from_i64(gad.hi),
            factors: vec![0, e],
        });
    }
    if !em.is_empty() {
        tables.push(cols.combine(&em, 0, len));
        let e = tables.len() - 1;
        terms.push(Term {
            coeff: beta,
            factors: vec![0, 1, e],
        });
        terms.push(Term {
            coeff: -beta * from_i64(gad.lo),
            factors: vec![0, e],
        });
    }
    let kinds = [ColumnKind::U, ColumnKind::Ep, ColumnKind::Em];
    let opens = vec![Open::Columns(columns_of(cols, g, &kinds), At::Point)];
    Ok(Box::new(Opened::at_point(
        ProductSum::new(tables, terms)?,
        opens,
    )))
}

/// Gadget `g`'s prover, which takes its validated producer as it is.
pub fn prover<'a>(c: &'a Circuit, g: usize) -> Box<dyn GadgetProver + 'a> {
    c.gadgets[g].producer.prover(g)
}

/// Every gadget's dense-group instances at the points `r`, a winmax's for the given
/// `gamma_g` (the relation tests run them without a proof).
#[cfg(any(test, feature = "testkit"))]
pub fn dense_instances(
    cx: &Ctx<'_>,
    r: &[Vec<Fr>],
    gammas: &[Option<Fr>],
) -> Result<Vec<Box<dyn Instance>>> {
    let mut out = Vec::new();
    for (g, r_g) in r.iter().enumerate() {
        let mut p = prover(cx.c, g);
        p.after_acc_for(cx, r_g, gammas[g])?;
        // only the instances: their claims (from `acc`) are not needed here
        out.extend(p.dense(cx, r_g, Fr::default())?.into_iter().map(|c| c.inst));
    }
    Ok(out)
}
