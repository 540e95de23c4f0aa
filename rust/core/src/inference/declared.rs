//! An inference proof's declarations on the prover's side (circuits/checks.md): the
//! record of what the prover sent and squeezed, and the driver that asks every gadget
//! (`GadgetProver::declare_*`, beside its prover code) for its acc-point checks and its
//! instances' claims and values, in the verifier's order (checks.md 4).
//!
//! Built only when asked ([`super::prover::prove_declared`], tests; the hiding prover
//! later): the normal prove path records nothing.

use ark_ff::Zero;
use serde_json::{json, Value};

use super::circuit::{Circuit, ColumnKind, TensorRef, INPUT_COLUMNS};
use super::gadgets::{self, Ctx};
use crate::declare::{linear, Check, Claim, ClaimStream, Expr, InstanceDecl};
use crate::error::Result;
use crate::field::{powers, Fr};
use crate::mle::{eq_eval, evaluate};

/// What an honest prover sent and squeezed, as the declarations read it.
#[derive(Default, Clone, Debug)]
pub struct Record {
    /// Each gadget's acc point `r_g`, acc-evals and the message after them.
    pub r: Vec<Vec<Fr>>,
    pub acc: Vec<Vec<Fr>>,
    pub after: Vec<Option<Vec<Fr>>>,
    /// Each gadget's dense-group instance count.
    pub dense: Vec<usize>,
    /// The zerochecks: gadget, `tau_g`, `beta_g`.
    pub zerochecks: Vec<(usize, Vec<Fr>, Fr)>,
    /// The output point (`r_out` or `r_d`) and the argmax-evals.
    pub out_point: Vec<Fr>,
    pub argmax: Option<Vec<Fr>>,
    /// Whether the output is committed (zk_inference.md 1.6: `Y~(r_out)` is the
    /// committed claim `output-evals[0]`, not a public value).
    pub committed_output: bool,
    /// Every instance's claim value, point `s` and sumcheck-evals, in instance order.
    pub claims: Vec<Fr>,
    pub points: Vec<Vec<Fr>>,
    pub evals: Vec<Vec<Fr>>,
    /// The batching challenge and the batched sumcheck's final value.
    pub rho: Fr,
    pub last: Fr,
    /// LogUp (nonlinear.md 3): `alpha`, `beta`, every tree's point, every tree's leaf
    /// claims `(P, Q)` at its point (the claims `logup-root[2i]`, `[2i+1]`), and the
    /// leaf evals.
    pub alpha: Fr,
    pub beta: Fr,
    pub leaf_points: Vec<Vec<Fr>>,
    pub roots: Vec<(Fr, Fr)>,
    pub leaf: Vec<Fr>,
    /// The transcript before each gadget's messages after its acc-evals (a winmax
    /// squeezes its `gamma_g` there first).
    pub before_after: Vec<crate::transcript::Transcript>,
}

/// One gadget's declarations: its acc-point checks and its instances.
#[derive(Default, Clone, Debug)]
pub struct GadgetDecl {
    pub checks: Vec<Check>,
    pub instances: Vec<InstanceDecl>,
}

/// A proof's declarations: the table gadgets' leaf checks, per gadget its acc-point
/// checks and instances, the output's, the checks made while the instances' values
/// are read (a winmax's), and the final check.
#[derive(Clone, Debug)]
pub struct Declarations {
    pub leaves: Vec<Check>,
    pub gadgets: Vec<GadgetDecl>,
    pub output: GadgetDecl,
    pub values: Vec<Check>,
    pub last: Check,
}

impl Declarations {
    /// Every check in the verifier's order of evaluation (checks.md 4).
    pub fn checks(&self) -> impl Iterator<Item = &Check> {
        self.leaves
            .iter()
            .chain(
                self.gadgets
                    .iter()
                    .chain([&self.output])
                    .flat_map(|g| &g.checks),
            )
            .chain(&self.values)
            .chain([&self.last])
    }

    /// The canonical JSON of circuits/vectors/declarations.json.
    pub fn canonical(&self) -> Value {
        let list = |cs: &[Check]| cs.iter().map(Check::canonical).collect::<Vec<_>>();
        let one = |g: &GadgetDecl| {
            json!({"checks": list(&g.checks),
                   "instances": g.instances.iter().map(InstanceDecl::canonical).collect::<Vec<_>>()})
        };
        json!({"leaves": list(&self.leaves),
               "gadgets": self.gadgets.iter().map(one).collect::<Vec<_>>(),
               "output": one(&self.output), "values": list(&self.values),
               "final": self.last.canonical()})
    }
}

/// What a gadget's declarations read: the prover's context and the record.
pub struct Declarer<'a> {
    pub cx: Ctx<'a>,
    pub rec: &'a Record,
    /// The statement's output.
    pub output: &'a [i64],
}

impl Declarer<'_> {
    pub fn c(&self) -> &Circuit {
        self.cx.c
    }

    /// `sum_j 2^(L j) v_j`, a linear form of the claims.
    pub fn limbs(&self, vals: Vec<Claim>) -> Expr {
        let l = self.cx.c.limb_bits;
        linear(
            vals.into_iter()
                .enumerate()
                .map(|(j, v)| (crate::field::pow2(l * j as u32), Expr::from(v))),
            Fr::zero(),
        )
    }

    /// Gadget `g`'s columns of `kind`: their next claims.
    pub fn take(&self, g: usize, kind: ColumnKind, vals: &mut ClaimStream<'_>) -> Vec<Claim> {
        vals.take(self.cx.cols.of(g, kind).len())
    }

    /// A tensor's value at `z`: `lo` plus its `u` limbs, or the public input's MLE (a
    /// private input's is `lo` plus its limbs too, zk_inference.md 1.3).
    pub fn value(&self, t: TensorRef, vals: &mut ClaimStream<'_>, z: &[Fr]) -> Expr {
        let c = self.cx.c;
        match t {
            TensorRef::Input if !c.private_input => {
                let x = evaluate(&self.cx.tensor_table(TensorRef::Input), z);
                Claim::public("X_in", x).into()
            }
            TensorRef::Input => {
                let lo = c.range(t).0;
                Expr::i(lo.into()) + self.limbs(self.take(INPUT_COLUMNS, ColumnKind::U, vals))
            }
            TensorRef::Gadget(g) => {
                let lo = c.gadgets[g].lo;
                Expr::i(lo.into()) + self.limbs(self.take(g, ColumnKind::U, vals))
            }
        }
    }

    /// The `u` limb count of a tensor (none for a public input).
    pub fn u_count(&self, t: TensorRef) -> usize {
        match t {
            TensorRef::Input => self.cx.cols.of(INPUT_COLUMNS, ColumnKind::U).len(),
            TensorRef::Gadget(g) => self.cx.cols.of(g, ColumnKind::U).len(),
        }
    }
}

/// One declaration step of a gadget (`GadgetProver::declare_*`): the declarer, the
/// point the values are read at (`r_g` for the acc-point checks, an instance's `s`
/// for its value), those values in the verifier's order, and the checks made so far.
pub struct Decl<'r, 'v> {
    pub d: &'r Declarer<'r>,
    pub at: &'r [Fr],
    pub vals: &'r mut ClaimStream<'v>,
    pub checks: &'r mut Vec<Check>,
}

impl Decl<'_, '_> {
    /// A tensor's value at `z` from the next values ([`Declarer::value`]).
    pub fn value(&mut self, t: TensorRef, z: &[Fr]) -> Expr {
        self.d.value(t, self.vals, z)
    }

    /// Gadget `g`'s `kind` columns from the next values, their limbs combined.
    pub fn limbs_of(&mut self, g: usize, kind: ColumnKind) -> Expr {
        self.d.limbs(self.d.take(g, kind, self.vals))
    }

    /// Gadget `g`'s `kind` columns from the next values, each claim on its own.
    pub fn take(&mut self, g: usize, kind: ColumnKind) -> Vec<Claim> {
        self.d.take(g, kind, self.vals)
    }

    /// `term + beta (z - hi) e+ + beta^2 (z - lo) e-` for gadget `g`, a clamp term
    /// dropped when its column is absent: the clamp a gadget's own zerocheck carries
    /// (rowdiv, max2; nonlinear.md 7, max.md).
    pub fn with_clamp_terms(
        &self,
        g: usize,
        term: Expr,
        z: Expr,
        ep: Expr,
        em: Expr,
        beta: Fr,
    ) -> Expr {
        let gad = &self.d.c().gadgets[g];
        let has = |k| !self.d.cx.cols.of(g, k).is_empty();
        let mut term = term;
        if has(ColumnKind::Ep) {
            term = term + (z.clone() - Expr::i(gad.hi.into())).scaled(beta) * ep;
        }
        if has(ColumnKind::Em) {
            term = term + (z - Expr::i(gad.lo.into())).scaled(beta * beta) * em;
        }
        term
    }

    /// The check `gadget.<op>.<name>` of gadget `g`: `e == 0`.
    pub fn check(&mut self, g: usize, name: &str, e: Expr) {
        let id = check_id(self.d.c(), g, name);
        self.checks.push(Check::zero(id, e));
    }
}

/// A gadget's own columns at its acc point, read in the verifier's order (u, v, rem,
/// remc, ep, em, the pool differences and selectors, R, Rc), and the accumulator.
pub struct Own {
    pub z: Expr,
    pub u: Expr,
    pub v: Expr,
    pub rem: Expr,
    pub remc: Expr,
    pub d: Vec<Vec<Claim>>,
    pub s: Vec<Claim>,
    pub r: Expr,
    pub rc: Expr,
    pub acc: Expr,
}

/// Read the own columns (`_own_values` of zkml/verifier/gadgets/base.py).
pub fn own_values(d: &Declarer<'_>, g: usize, vals: &mut ClaimStream<'_>) -> Own {
    let gad = &d.c().gadgets[g];
    let mut lin = |k: ColumnKind| d.limbs(d.take(g, k, vals));
    let u = lin(ColumnKind::U);
    let v = lin(ColumnKind::V);
    let rem = lin(ColumnKind::Rem);
    let remc = lin(ColumnKind::Remc);
    let ep = lin(ColumnKind::Ep);
    let em = lin(ColumnKind::Em);
    let windows = (0..)
        .take_while(|&w| !d.cx.cols.of(g, ColumnKind::PoolSel(w)).is_empty())
        .count();
    let dw = (0..windows)
        .map(|w| d.take(g, ColumnKind::PoolDiff(w), vals))
        .collect();
    let s = (0..windows)
        .flat_map(|w| d.take(g, ColumnKind::PoolSel(w), vals))
        .collect();
    let r = d.limbs(d.take(g, ColumnKind::DivRem, vals));
    let rc = d.limbs(d.take(g, ColumnKind::DivRemc, vals));
    let z = Expr::i(gad.lo.into()) + u.clone();
    let q = z.clone() + ep - em;
    let acc = if gad.divisor > 1 {
        let dv = gad.divisor as i128;
        q * Expr::i(dv) + rem.clone() - Expr::i(dv / 2)
    } else if gad.shift == 0 {
        q
    } else {
        (q << gad.shift) + rem.clone() - Expr::i(1i128 << (gad.shift - 1))
    };
    Own {
        z,
        u,
        v,
        rem,
        remc,
        d: dw,
        s,
        r,
        rc,
        acc,
    }
}

/// The id `gadget.<op>.<name>`.
pub fn check_id(c: &Circuit, g: usize, name: &str) -> String {
    format!("gadget.{}.{name}", op_name(c, g))
}

/// The op's name in the circuit JSON.
pub fn op_name(c: &Circuit, g: usize) -> &'static str {
    c.gadgets[g].producer.op_name()
}

/// The common acc-point checks (z + v = hi, rem + remc = d - 1), then the op's.
fn gadget_acc(
    d: &Declarer<'_>,
    gp: &dyn gadgets::GadgetProver,
    g: usize,
) -> Result<(Vec<Check>, Vec<Expr>)> {
    let rec = d.rec;
    let gad = &d.c().gadgets[g];
    let mut vals = ClaimStream::new(format!("acc-evals[{g}]"), &rec.acc[g], 0);
    let own = own_values(d, g, &mut vals);
    let mut checks = Vec::new();
    if !d.cx.cols.of(g, ColumnKind::V).is_empty() {
        let e = own.z.clone() + own.v.clone() - Expr::i(gad.hi.into());
        checks.push(Check::zero(check_id(d.c(), g, "z-plus-v"), e));
    }
    if gad.divisor > 1 {
        let e = own.rem.clone() + own.remc.clone() - Expr::i(gad.divisor as i128 - 1);
        checks.push(Check::zero(check_id(d.c(), g, "rem-plus-remc"), e));
    }
    let mut cx = Decl {
        d,
        at: &rec.r[g],
        vals: &mut vals,
        checks: &mut checks,
    };
    let claims = gp.declare_acc(&mut cx, &own)?;
    Ok((checks, claims))
}

/// The generic clamp zerocheck's value `eq(tau, s) [(z - hi) e+ + beta u e-]`.
pub fn clamp_value(
    d: &Declarer<'_>,
    g: usize,
    (tau, beta): (&[Fr], Fr),
    s: &[Fr],
    vals: &mut ClaimStream<'_>,
) -> Expr {
    let gad = &d.c().gadgets[g];
    let u = d.limbs(d.take(g, ColumnKind::U, vals));
    let ep_n = d.cx.cols.of(g, ColumnKind::Ep).len();
    let em_n = d.cx.cols.of(g, ColumnKind::Em).len();
    let ep = d.limbs(d.take(g, ColumnKind::Ep, vals));
    let em = d.limbs(d.take(g, ColumnKind::Em, vals));
    let z = Expr::i(gad.lo.into()) + u.clone();
    let mut term = if ep_n > 0 {
        (z - Expr::i(gad.hi.into())) * ep
    } else {
        Expr::i(0)
    };
    if em_n > 0 {
        term = term + Expr::int(beta) * u * em;
    }
    eq_tau(g, tau, s) * term
}

/// `eq(tau_g, s)`, the public weight of a zerocheck.
pub fn eq_tau(g: usize, tau: &[Fr], s: &[Fr]) -> Expr {
    Claim::public(format!("g{g}.eq(tau,s)"), eq_eval(tau, s)).into()
}

/// The instances' `(gadget, name, claim)` in order.
pub type InstanceClaims = Vec<(usize, String, Expr)>;

/// What the acc stage declares (checks.md 4, steps 2 and 3): per gadget its acc-point
/// checks, the output's checks, and every instance's `(gadget, name, claim)` in
/// instance order (the dense group, the zerochecks, the output).
struct AccStage {
    gadgets: Vec<GadgetDecl>,
    output: GadgetDecl,
    names: InstanceClaims,
    /// How many of them are the dense group's.
    n_dense: usize,
}

fn acc_stage(
    d: &Declarer<'_>,
    provers: &[Box<dyn gadgets::GadgetProver + '_>],
) -> Result<AccStage> {
    let (c, rec) = (d.c(), d.rec);
    let mut out: Vec<GadgetDecl> = Vec::new();
    let mut inst_claims: Vec<(usize, String, Expr)> = Vec::new();
    for (g, gp) in provers.iter().enumerate() {
        let (checks, claims) = gadget_acc(d, gp.as_ref(), g)?;
        for (k, claim) in claims.into_iter().enumerate() {
            inst_claims.push((g, gp.instance_name(c, k), claim));
        }
        out.push(GadgetDecl {
            checks,
            instances: Vec::new(),
        });
    }
    let (output, out_claims) = super::output::declare_output(d)?;
    // the instances in order: dense group, zerochecks, output (inference.md 5)
    let n_dense = inst_claims.len();
    let mut names: Vec<(usize, String, Expr)> = inst_claims;
    for (g, _, _) in &rec.zerochecks {
        names.push((*g, provers[*g].zerocheck_name(), Expr::i(0)));
    }
    names.extend(out_claims);
    Ok(AccStage {
        gadgets: out,
        output,
        names,
        n_dense,
    })
}

/// Every instance's claim, in instance order: what a hiding prover evaluates over
/// commitments before the batched sumcheck (zk_inference.md 1.1), from the record of
/// the acc stage alone.
pub fn declare_claims(cx: Ctx<'_>, rec: &Record, output: &[i64]) -> Result<Vec<Expr>> {
    let d = Declarer { cx, rec, output };
    let provers: Vec<_> = (0..cx.c.gadgets.len())
        .map(|g| gadgets::prover(cx.c, g))
        .collect();
    Ok(acc_stage(&d, &provers)?
        .names
        .into_iter()
        .map(|(_, _, claim)| claim)
        .collect())
}

/// Every declaration of the recorded proof (the verifier's order, checks.md 4).
pub fn declare(cx: Ctx<'_>, rec: &Record, output: &[i64]) -> Result<Declarations> {
    let d = Declarer { cx, rec, output };
    let c = cx.c;
    let provers: Vec<_> = (0..c.gadgets.len())
        .map(|g| gadgets::prover(c, g))
        .collect();
    let AccStage {
        gadgets: mut out,
        mut output,
        names,
        n_dense,
    } = acc_stage(&d, &provers)?;
    let all_evals = flat(rec);
    let mut next = 0usize;
    let mut values = Vec::new();
    let mut dense_k = vec![0usize; c.gadgets.len()];
    let mut late = Vec::new();
    for (i, (g, name, claim)) in names.into_iter().enumerate() {
        let s = &rec.points[i];
        let mut vals = ClaimStream::new("sumcheck-evals", &all_evals, next);
        let mut cx = Decl {
            d: &d,
            at: s,
            vals: &mut vals,
            checks: &mut late,
        };
        let value = if i < n_dense {
            let k = dense_k[g];
            dense_k[g] += 1;
            provers[g].declare_dense_value(&mut cx, k)?
        } else if i < n_dense + rec.zerochecks.len() {
            let (_, tau, beta) = &rec.zerochecks[i - n_dense];
            provers[g].declare_zerocheck_value(&mut cx, (tau, *beta))?
        } else {
            super::output::declare_output_value(&d, &name, g, s, &mut vals)?
        };
        next = vals.position();
        values.push(value.clone());
        let decl = InstanceDecl {
            name,
            gadget: g,
            claim,
            value,
        };
        if i < n_dense + rec.zerochecks.len() {
            out[g].instances.push(decl);
        } else {
            output.instances.push(decl);
        }
    }
    let weights = powers(rec.rho, values.len());
    let total = linear(weights.iter().zip(values).map(|(w, v)| (*w, v)), Fr::zero());
    let last = Check::zero(
        "inference.final",
        total - Expr::from(Claim::committed("sumcheck-final", rec.last)),
    );
    Ok(Declarations {
        leaves: super::table::declare_leaves(&d)?,
        gadgets: out,
        output,
        values: late,
        last,
    })
}

/// The range group's four leaf checks (inference.md 4 "Lookups", zk_inference.md 3
/// item 2), as `zkml.verifier.layout.check_lookup_trees` makes them, over the claims
/// `logup-root[0..4]` (the trees' `P`, `Q`) and `logup-leaf-evals[j]`:
///
/// ```text
/// logup.leaf-numerators:    P_0 - sum_s eq_s
/// logup.leaf-denominators:  Q_0 - (sum_s eq_s (alpha - scale_s c_s) + 1 - sum_s eq_s)
/// logup.table-claims:       P_t + m,  Q_t - (alpha - T_L(rho_t))
/// ```
///
/// with `eq_s` slot `s`'s selector at `rho`, `c_s` its column's leaf eval and `m` the
/// multiplicities' (entry `nc`, after the `nc` columns).
pub fn range_leaves(cx: Ctx<'_>, rec: &Record) -> Result<Vec<Check>> {
    let (slots, depth) = super::leaf_layout(cx.c, cx.b);
    let (Some(rho), Some(rho_t)) = (rec.leaf_points.first(), rec.leaf_points.get(1)) else {
        return Err(crate::error::Error::InvalidArgument(
            "the range trees' points were not recorded".into(),
        ));
    };
    let nc = cx.cols.tables.len();
    if rho.len() != depth || rec.roots.len() < 2 || rec.leaf.len() <= nc {
        return Err(crate::error::Error::InvalidArgument(
            "the range trees' record does not match the circuit".into(),
        ));
    }
    let leaf = |j: usize| {
        Expr::from(Claim::committed(
            format!("logup-leaf-evals[{j}]"),
            rec.leaf[j],
        ))
    };
    let [(p0, q0), (pt, qt)] = [rec.roots[0], rec.roots[1]];
    let root = |j: usize, v: Fr| Expr::from(Claim::committed(format!("logup-root[{j}]"), v));
    let alpha = rec.alpha;
    let mut sum_eq = Fr::zero();
    let mut scaled = Vec::with_capacity(slots.len());
    for s in &slots {
        let m = s.slot.log_size;
        let bits = super::layout::stack_point(&rho[..m], s.slot, depth);
        let sel = eq_eval(&bits[m..], &rho[m..]);
        sum_eq += sel;
        scaled.push((-(sel * Fr::from(s.scale)), leaf(s.column)));
    }
    let q_leaves = linear(scaled, alpha * sum_eq + Fr::from(1u64) - sum_eq);
    let t_l: Fr = rho_t
        .iter()
        .enumerate()
        .map(|(k, x)| *x * crate::field::pow2(k as u32))
        .sum();
    Ok(vec![
        Check::zero("logup.leaf-numerators", root(0, p0) - Expr::int(sum_eq)),
        Check::zero("logup.leaf-denominators", root(1, q0) - q_leaves),
        Check::zero("logup.table-claims", root(2, pt) + leaf(nc)),
        Check::zero("logup.table-claims", root(3, qt) - Expr::int(alpha - t_l)),
    ])
}

/// Every sumcheck-eval in order.
fn flat(rec: &Record) -> Vec<Fr> {
    rec.evals.iter().flatten().copied().collect()
}
