//! Spatial reductions (conv.md sections 3 and 5, nonlinear.md section 2): power-of-two
//! pooling (`sumpool`, `maxpool`), general windows through the wiring (`winsum`,
//! `winmax`) and the sum over each channel's real region (`spatialsum`).

use ark_ff::One;

use super::{columns_of, At, Contribution, Ctx, GadgetProver, Instance, Open, Opened};
use crate::error::Result;
use crate::field::Fr;
use crate::inference::circuit::{ColumnKind, TensorRef};
use crate::inference::spatial::{geom, window_point, Geom};
use crate::inference::Claims;
use crate::inference::{spatialsum, window};
use crate::mle::eq_table;
use crate::sumcheck::product::Term;
use crate::sumcheck::{PairProduct, ProductSum};
use crate::transcript::Transcript;

use crate::declare::{linear, Check, Claim, ClaimStream, Expr};
use crate::inference::circuit::Producer;
use crate::inference::declared::{check_id, eq_tau, Declarer, Own};
use crate::mle::evaluate;
use ark_ff::Zero;

/// The geometry of a validated pooling or window gadget.
fn geometry(cx: &Ctx<'_>, g: usize) -> Geom {
    geom(&cx.c.gadgets[g].producer).expect("a validated pooling gadget")
}

/// The point's coordinates after the spatial output variables: `(r_c, r_b)`.
fn channel_batch<'a>(cx: &Ctx<'_>, g: usize, r_g: &'a [Fr]) -> &'a [Fr] {
    let (lt2, lt1) = geometry(cx, g).out_vars();
    &r_g[lt2 + lt1..]
}

/// `x`'s limbs at every window point (a sumpool's or maxpool's acc-evals).
fn window_limbs(
    cx: &Ctx<'_>,
    claims: &mut Claims<'_>,
    (g, x): (usize, TensorRef),
    r_g: &[Fr],
    evals: &mut Vec<Fr>,
) {
    let geo = geometry(cx, g);
    for w in 0..cx.c.gadgets[g].producer.windows() {
        let p = window_point(&geo, r_g, w);
        claims.tensor_limbs(cx.cols, x, &p, evals);
    }
}

/// Sum over power-of-two windows; the clamp zerocheck only.
pub struct Sumpool {
    pub g: usize,
    pub x: TensorRef,
}

impl GadgetProver for Sumpool {
    fn index(&self) -> usize {
        self.g
    }

    fn acc_evals(
        &mut self,
        cx: &Ctx<'_>,
        claims: &mut Claims<'_>,
        r_g: &[Fr],
        _acc: Fr,
        evals: &mut Vec<Fr>,
    ) -> Result<()> {
        window_limbs(cx, claims, (self.g, self.x), r_g, evals);
        Ok(())
    }

    /// `acc == 2^l sum_w X_w` over the window points (conv.md 3).
    fn declare_acc(
        &self,
        d: &Declarer<'_>,
        r_g: &[Fr],
        vals: &mut ClaimStream<'_>,
        own: &Own,
        checks: &mut Vec<Check>,
    ) -> Result<Vec<Expr>> {
        let xs = declare_windows(d, (self.g, self.x), r_g, vals);
        let lshift = match &d.c().gadgets[self.g].producer {
            Producer::Sumpool { lshift, .. } => *lshift,
            _ => 0,
        };
        let total = linear(xs.into_iter().map(|x| (Fr::one(), x)), Fr::zero()) << lshift;
        let e = own.acc.clone() - total;
        checks.push(Check::zero(check_id(d.c(), self.g, "relation"), e));
        Ok(Vec::new())
    }
}

/// Max over power-of-two windows: the zerocheck `sum_x eq(tau, x) sum_w S_w D_w`.
pub struct Maxpool {
    pub g: usize,
    pub x: TensorRef,
}

impl GadgetProver for Maxpool {
    fn index(&self) -> usize {
        self.g
    }

    fn acc_evals(
        &mut self,
        cx: &Ctx<'_>,
        claims: &mut Claims<'_>,
        r_g: &[Fr],
        _acc: Fr,
        evals: &mut Vec<Fr>,
    ) -> Result<()> {
        window_limbs(cx, claims, (self.g, self.x), r_g, evals);
        Ok(())
    }

    fn zerocheck_vars(&self, cx: &Ctx<'_>) -> Option<usize> {
        Some(cx.c.gadget_vars(self.g, cx.b))
    }

    /// Its sumcheck-evals: every `S_w`, then every `D_w` limb.
    fn zerocheck(&self, cx: &Ctx<'_>, tau: &[Fr], _beta: Fr) -> Result<Box<dyn Instance>> {
        let (cols, g) = (cx.cols, self.g);
        let len = 1 << cx.c.gadget_vars(g, cx.b);
        let k = cx.c.gadgets[g].producer.windows();
        let mut tables = vec![eq_table(tau)];
        let mut terms = Vec::new();
        for w in 0..k {
            tables.push(cols.combine(&cols.of(g, ColumnKind::PoolSel(w)), 0, len));
        }
        for w in 0..k {
            tables.push(cols.combine(&cols.of(g, ColumnKind::PoolDiff(w)), 0, len));
            terms.push(Term {
                coeff: Fr::one(),
                factors: vec![0, 1 + w, 1 + k + w],
            });
        }
        let kinds: Vec<ColumnKind> = (0..k)
            .map(ColumnKind::PoolSel)
            .chain((0..k).map(ColumnKind::PoolDiff))
            .collect();
        let opens = vec![Open::Columns(columns_of(cols, g, &kinds), At::Point)];
        Ok(Box::new(Opened::at_point(
            ProductSum::new(tables, terms)?,
            opens,
        )))
    }

    /// `D_w == z - X_w` per window and `sum_w S_w == 1` (conv.md 3).
    fn declare_acc(
        &self,
        d: &Declarer<'_>,
        r_g: &[Fr],
        vals: &mut ClaimStream<'_>,
        own: &Own,
        checks: &mut Vec<Check>,
    ) -> Result<Vec<Expr>> {
        let xs = declare_windows(d, (self.g, self.x), r_g, vals);
        for (dw, xw) in own.d.iter().zip(xs) {
            let e = d.limbs(dw.clone()) - own.z.clone() + xw;
            checks.push(Check::zero(check_id(d.c(), self.g, "difference"), e));
        }
        let sel = own.s.iter().map(|s| (Fr::one(), Expr::from(s.clone())));
        let e = linear(sel, -Fr::one());
        checks.push(Check::zero(check_id(d.c(), self.g, "selectors"), e));
        Ok(Vec::new())
    }

    /// `eq(tau, s) sum_w S_w(s) D_w(s)`: every `S_w`, then every `D_w`'s limbs.
    fn declare_zerocheck_value(
        &self,
        d: &Declarer<'_>,
        (tau, _): (&[Fr], Fr),
        s: &[Fr],
        vals: &mut ClaimStream<'_>,
        _checks: &mut Vec<Check>,
    ) -> Result<Expr> {
        Ok(eq_tau(self.g, tau, s) * selected_differences(d, self.g, vals))
    }
}

/// An instance whose sumcheck-evals are `x`'s limbs at `(s, post)`.
fn limbs_after(inst: PairProduct<'static>, x: TensorRef, post: &[Fr], claim: Fr) -> Contribution {
    Contribution {
        inst: Box::new(Opened {
            prover: inst,
            pre: Vec::new(),
            post: post.to_vec(),
            opens: vec![Open::Limbs(x, At::Point)],
        }),
        claim,
    }
}

/// `acc(r_c, r_b) = sum 2^l M X(., r_c, r_b)`: one dense-group instance.
pub struct Spatialsum {
    pub g: usize,
    pub x: TensorRef,
}

impl GadgetProver for Spatialsum {
    fn index(&self) -> usize {
        self.g
    }

    fn dense(&mut self, cx: &Ctx<'_>, r_g: &[Fr], acc: Fr) -> Result<Vec<Contribution>> {
        let inst = spatialsum::instance(cx.c, cx.cols, cx.input, cx.b, self.g, r_g)?;
        Ok(vec![limbs_after(inst, self.x, r_g, acc)])
    }

    /// The instance's claim is `acc(r_g)`.
    fn declare_acc(
        &self,
        _d: &Declarer<'_>,
        _r_g: &[Fr],
        _vals: &mut ClaimStream<'_>,
        own: &Own,
        _checks: &mut Vec<Check>,
    ) -> Result<Vec<Expr>> {
        Ok(vec![own.acc.clone()])
    }

    /// `M(s) 2^l X(s, r_c, r_b)`, the mask `M` public (nonlinear.md 2).
    fn declare_dense_value(
        &self,
        d: &Declarer<'_>,
        _k: usize,
        s: &[Fr],
        vals: &mut ClaimStream<'_>,
        _checks: &mut Vec<Check>,
    ) -> Result<Expr> {
        let (_, dims, lshift) = spatialsum::params(d.c(), self.g).expect("a spatialsum");
        let p: Vec<Fr> = s.iter().chain(&d.rec.r[self.g]).copied().collect();
        let xv = d.value(self.x, vals, &p);
        let mask = evaluate(&spatialsum::mask_table(dims), s);
        let m = Claim::public(format!("g{}.mask(s)", self.g), mask);
        Ok(Expr::from(m) * (xv << lshift))
    }
}

/// A general window sum: one dense-group instance over the wiring.
pub struct Winsum {
    pub g: usize,
    pub x: TensorRef,
}

impl GadgetProver for Winsum {
    fn index(&self) -> usize {
        self.g
    }

    fn dense(&mut self, cx: &Ctx<'_>, r_g: &[Fr], acc: Fr) -> Result<Vec<Contribution>> {
        let inst = window::winsum_instance(cx.c, cx.cols, cx.ib(), self.g, r_g)?;
        let rest = channel_batch(cx, self.g, r_g);
        Ok(vec![limbs_after(inst, self.x, rest, acc)])
    }
}

/// A winmax's instances (a), (b) and their claims, made after `gamma_g`.
pub struct WinmaxState {
    a: ProductSum,
    b: PairProduct<'static>,
    claim_a: Fr,
    e: Fr,
}

/// A general window max (conv.md section 5): `gamma_g` and `E_g` after its
/// acc-evals, instances (a) and (b) in the dense group, and its zerocheck.
pub struct Winmax {
    pub g: usize,
    pub x: TensorRef,
    pub state: Option<WinmaxState>,
}

impl Winmax {
    /// Instances (a) and (b) for `gamma_g`; returns `E_g`.
    pub fn prepare(&mut self, cx: &Ctx<'_>, r_g: &[Fr], gamma: Fr) -> Result<Fr> {
        let (a, b) = window::winmax_instances(cx.c, cx.cols, cx.ib(), self.g, r_g, gamma)?;
        let e = b.claim();
        let claim_a = window::winmax_claim_a(cx.c, cx.cols, self.g, r_g, gamma, e);
        self.state = Some(WinmaxState { a, b, claim_a, e });
        Ok(e)
    }
}

impl GadgetProver for Winmax {
    fn index(&self) -> usize {
        self.g
    }

    fn after_acc(
        &mut self,
        cx: &Ctx<'_>,
        t: &mut Transcript,
        r_g: &[Fr],
    ) -> Result<Option<Vec<Fr>>> {
        let gamma = t.squeeze("window-gamma");
        let e = self.prepare(cx, r_g, gamma)?;
        t.absorb_frs("window-e", &[e]);
        Ok(Some(vec![e]))
    }

    /// (a) opens `z`'s `u` and `v` limbs, (b) `x`'s limbs, each at `(s, r_c, r_b)`.
    fn dense(&mut self, cx: &Ctx<'_>, r_g: &[Fr], _acc: Fr) -> Result<Vec<Contribution>> {
        let st = self.state.take().expect("after_acc ran before dense");
        let rest = channel_batch(cx, self.g, r_g);
        let own = TensorRef::Gadget(self.g);
        let a = Contribution {
            inst: Box::new(Opened {
                prover: st.a,
                pre: Vec::new(),
                post: rest.to_vec(),
                opens: vec![
                    Open::Limbs(own, At::Point),
                    Open::Columns(cx.cols.of(self.g, ColumnKind::V), At::Point),
                ],
            }),
            claim: st.claim_a,
        };
        Ok(vec![a, limbs_after(st.b, self.x, rest, st.e)])
    }

    fn zerocheck_vars(&self, cx: &Ctx<'_>) -> Option<usize> {
        Some(cx.c.gadget_vars(self.g, cx.b))
    }

    /// Its sumcheck-evals: every `S_t`, every `D_t` limb, then `z`'s `u` (and `v`) limbs.
    fn zerocheck(&self, cx: &Ctx<'_>, tau: &[Fr], beta: Fr) -> Result<Box<dyn Instance>> {
        let g = self.g;
        let inst = window::zerocheck_instance(cx.c, cx.cols, cx.ib(), g, tau, beta)?;
        let k = cx.c.gadgets[g].producer.windows();
        let kinds: Vec<ColumnKind> = (0..k)
            .map(ColumnKind::PoolSel)
            .chain((0..k).map(ColumnKind::PoolDiff))
            .chain([ColumnKind::U, ColumnKind::V])
            .collect();
        let opens = vec![Open::Columns(columns_of(cx.cols, g, &kinds), At::Point)];
        Ok(Box::new(Opened::at_point(inst, opens)))
    }
}

// --- declarations (circuits/checks.md; built only when asked, `declared.rs`) ---

/// `x` at every window point of `r_g`, in window order (a sumpool's or maxpool's
/// acc-evals after the own columns).
fn declare_windows(
    d: &Declarer<'_>,
    (g, x): (usize, TensorRef),
    r_g: &[Fr],
    vals: &mut ClaimStream<'_>,
) -> Vec<Expr> {
    let geo = geometry(&d.cx, g);
    (0..d.c().gadgets[g].producer.windows())
        .map(|w| d.value(x, vals, &window_point(&geo, r_g, w)))
        .collect()
}

/// `sum_w S_w D_w` from every `S_w`, then every `D_w`'s limbs (one product per
/// window, summed from 0 as the verifier does).
fn selected_differences(d: &Declarer<'_>, g: usize, vals: &mut ClaimStream<'_>) -> Expr {
    let k = d.c().gadgets[g].producer.windows();
    let sel: Vec<Claim> = (0..k)
        .flat_map(|w| d.take(g, ColumnKind::PoolSel(w), vals))
        .collect();
    let ds: Vec<Expr> = (0..k)
        .map(|w| d.limbs(d.take(g, ColumnKind::PoolDiff(w), vals)))
        .collect();
    sel.into_iter()
        .zip(ds)
        .fold(Expr::i(0), |t, (a, b)| t + Expr::from(a) * b)
}
