//! Spatial reductions (conv.md sections 3 and 5, nonlinear.md section 2): power-of-two
//! pooling (`sumpool`, `maxpool`), general windows through the wiring (`winsum`,
//! `winmax`) and the sum over each channel's real region (`spatialsum`).

use ark_ff::One;

use super::{columns_of, At, Contribution, Ctx, GadgetProver, Instance, Open, Opened};
use crate::error::Result;
use crate::field::Fr;
use crate::inference::circuit::{ColumnKind, Gadget, TensorRef};
use crate::inference::producer::{self as op, ExtraColumn, Op, Pool, ProducerJson, Window};
use crate::inference::spatial::{self, window_point, Geom, MaxpoolJson, SumpoolJson};
#[cfg(any(test, feature = "testkit"))]
use crate::inference::testkit::{RefCx, Reference};
#[cfg(any(test, feature = "testkit"))]
use crate::inference::testkit_cnn::{max_columns, spatial_acc};
use crate::inference::window::{WinmaxJson, WinsumJson};
use crate::inference::Claims;
use crate::inference::{spatialsum, window};
use crate::mle::eq_table;
use crate::pipeline::Messages;
use crate::sumcheck::product::Term;
use crate::sumcheck::{PairProduct, ProductSum};

use super::acc_instance;
use crate::declare::{linear, Claim, ClaimStream, Expr};
use crate::field::{pow2, powers};
use crate::inference::circuit::Circuit;
use crate::inference::declared::{eq_tau, Decl, Declarer, Own};
use crate::inference::rowops::half;
use crate::inference::spatial::lp;
use crate::mle::eq_eval;
use crate::mle::evaluate;
use crate::wiring::{wire_eval, Axis};
use ark_ff::{Field, Zero};

/// The point's coordinates after the spatial output variables: `(r_c, r_b)`.
fn channel_batch<'a>(geo: &Geom, r_g: &'a [Fr]) -> &'a [Fr] {
    let (lt2, lt1) = geo.out_vars();
    &r_g[lt2 + lt1..]
}

/// `x`'s limbs at every window point (a sumpool's or maxpool's acc-evals).
fn window_limbs(cx: &Ctx<'_>, claims: &mut Claims<'_>, p: &Pool, r_g: &[Fr], evals: &mut Vec<Fr>) {
    for w in 0..p.geo.taps() {
        let pt = window_point(&p.geo, r_g, w);
        claims.tensor_limbs(cx.cols, p.x, &pt, evals);
    }
}

/// Sum over power-of-two windows; the clamp zerocheck only.
pub struct Sumpool<'a> {
    pub g: usize,
    pub p: &'a Pool,
}

impl GadgetProver for Sumpool<'_> {
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
        window_limbs(cx, claims, self.p, r_g, evals);
        Ok(())
    }

    /// `acc == 2^l sum_w X_w` over the window points (conv.md 3).
    fn declare_acc(&self, cx: &mut Decl<'_, '_>, own: &Own) -> Result<Vec<Expr>> {
        let xs = declare_windows(cx, self.p);
        let total = linear(xs.into_iter().map(|x| (Fr::one(), x)), Fr::zero()) << self.p.bits;
        cx.check(self.g, "relation", own.acc.clone() - total);
        Ok(Vec::new())
    }
}

/// Max over power-of-two windows: the zerocheck `sum_x eq(tau, x) sum_w S_w D_w`.
pub struct Maxpool<'a> {
    pub g: usize,
    pub p: &'a Pool,
}

impl GadgetProver for Maxpool<'_> {
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
        window_limbs(cx, claims, self.p, r_g, evals);
        Ok(())
    }

    fn zerocheck_vars(&self, cx: &Ctx<'_>) -> Option<usize> {
        Some(cx.c.gadget_vars(self.g, cx.b))
    }

    /// Its sumcheck-evals: every `S_w`, then every `D_w` limb.
    fn zerocheck(&self, cx: &Ctx<'_>, tau: &[Fr], _beta: Fr) -> Result<Box<dyn Instance>> {
        let (cols, g) = (cx.cols, self.g);
        let len = 1 << cx.c.gadget_vars(g, cx.b);
        let k = self.p.geo.taps();
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
    fn declare_acc(&self, cx: &mut Decl<'_, '_>, own: &Own) -> Result<Vec<Expr>> {
        let xs = declare_windows(cx, self.p);
        for (dw, xw) in own.d.iter().zip(xs) {
            let e = cx.d.limbs(dw.clone()) - own.z.clone() + xw;
            cx.check(self.g, "difference", e);
        }
        let sel = own.s.iter().map(|s| (Fr::one(), Expr::from(s.clone())));
        cx.check(self.g, "selectors", linear(sel, -Fr::one()));
        Ok(Vec::new())
    }

    /// `eq(tau, s) sum_w S_w(s) D_w(s)`: every `S_w`, then every `D_w`'s limbs.
    fn declare_zerocheck_value(
        &self,
        cx: &mut Decl<'_, '_>,
        (tau, _): (&[Fr], Fr),
    ) -> Result<Expr> {
        let sd = selected_differences(cx, self.g, self.p.geo.taps());
        Ok(eq_tau(self.g, tau, cx.at) * sd)
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
pub struct Spatialsum<'a> {
    pub g: usize,
    pub p: &'a op::Spatialsum,
}

impl GadgetProver for Spatialsum<'_> {
    fn index(&self) -> usize {
        self.g
    }

    fn dense(&mut self, cx: &Ctx<'_>, r_g: &[Fr], acc: Fr) -> Result<Vec<Contribution>> {
        let inst = spatialsum::instance(cx.c, cx.cols, cx.ib(), self.p, r_g)?;
        Ok(vec![limbs_after(inst, self.p.x, r_g, acc)])
    }

    fn declare_acc(&self, _cx: &mut Decl<'_, '_>, own: &Own) -> Result<Vec<Expr>> {
        acc_instance(own)
    }

    /// `M(s) 2^l X(s, r_c, r_b)`, the mask `M` public (nonlinear.md 2).
    fn declare_dense_value(&self, cx: &mut Decl<'_, '_>, _k: usize) -> Result<Expr> {
        let s = cx.at;
        let p: Vec<Fr> = s.iter().chain(&cx.d.rec.r[self.g]).copied().collect();
        let xv = cx.value(self.p.x, &p);
        let mask = evaluate(&spatialsum::mask_table(self.p.dims()), s);
        let m = Claim::public(format!("g{}.mask(s)", self.g), mask);
        Ok(Expr::from(m) * (xv << self.p.lshift))
    }
}

/// A general window sum: one dense-group instance over the wiring.
pub struct Winsum<'a> {
    pub g: usize,
    pub w: &'a Window,
}

impl GadgetProver for Winsum<'_> {
    fn index(&self) -> usize {
        self.g
    }

    fn dense(&mut self, cx: &Ctx<'_>, r_g: &[Fr], acc: Fr) -> Result<Vec<Contribution>> {
        let inst = window::winsum_instance(cx.c, cx.cols, cx.ib(), self.w, r_g)?;
        let rest = channel_batch(&self.w.geo, r_g);
        Ok(vec![limbs_after(inst, self.w.x, rest, acc)])
    }

    fn declare_acc(&self, _cx: &mut Decl<'_, '_>, own: &Own) -> Result<Vec<Expr>> {
        acc_instance(own)
    }

    /// `2^l prod_a A_a(r_T_a, s_a) X(s, r_c, r_b)`, the areas public (conv.md 5).
    fn declare_dense_value(&self, cx: &mut Decl<'_, '_>, _k: usize) -> Result<Expr> {
        let (w, geo, s) = (self.w, &self.w.geo, cx.at);
        let (r_t, rest) = out_parts(geo, &cx.d.rec.r[self.g]);
        let p: Vec<Fr> = s.iter().chain(rest).copied().collect();
        let xv = cx.value(w.x, &p);
        let mut area = pow2(w.bits); // a winsum's bits are its lshift
        for (a, (r, s_in)) in geo.axes.iter().zip(r_t.into_iter().zip(in_parts(geo, s))) {
            let m_k = lp(a.k);
            area *= wire_eval(a, r, &vec![half(); m_k], s_in)? * pow2(m_k as u32);
        }
        let area = Claim::public(format!("g{}.area(s)", self.g), area);
        Ok(Expr::from(area) * xv)
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
pub struct Winmax<'a> {
    pub g: usize,
    pub w: &'a Window,
    /// The instances, from `after_acc` (which squeezes `gamma_g`) until `dense`.
    pub state: Option<WinmaxState>,
}

impl<'a> Winmax<'a> {
    pub fn new(g: usize, w: &'a Window) -> Self {
        Winmax { g, w, state: None }
    }

    /// Instances (a) and (b) for `gamma_g`; returns `E_g`.
    pub fn prepare(&mut self, cx: &Ctx<'_>, r_g: &[Fr], gamma: Fr) -> Result<Fr> {
        let gw = (self.g, self.w);
        let (a, b) = window::winmax_instances(cx.c, cx.cols, cx.ib(), gw, r_g, gamma)?;
        let e = b.claim();
        let claim_a = window::winmax_claim_a(cx.cols, gw, r_g, gamma, e);
        self.state = Some(WinmaxState { a, b, claim_a, e });
        Ok(e)
    }
}

impl GadgetProver for Winmax<'_> {
    fn index(&self) -> usize {
        self.g
    }

    fn after_acc(
        &mut self,
        cx: &Ctx<'_>,
        m: &mut dyn Messages,
        r_g: &[Fr],
    ) -> Result<Option<Vec<Fr>>> {
        let gamma = m.squeeze("window-gamma");
        let e = self.prepare(cx, r_g, gamma)?;
        m.send_values("window-e", Some(self.g), &[e])?;
        Ok(Some(vec![e]))
    }

    #[cfg(any(test, feature = "testkit"))]
    fn after_acc_for(&mut self, cx: &Ctx<'_>, r_g: &[Fr], gamma: Option<Fr>) -> Result<()> {
        match gamma {
            Some(gamma) => self.prepare(cx, r_g, gamma).map(drop),
            None => {
                let mut ch =
                    crate::pipeline::Channel::new(b"testkit", crate::artifact::Kind::Inference);
                self.after_acc(cx, &mut ch, r_g).map(drop)
            }
        }
    }

    /// (a) opens `z`'s `u` and `v` limbs, (b) `x`'s limbs, each at `(s, r_c, r_b)`.
    fn dense(&mut self, cx: &Ctx<'_>, r_g: &[Fr], _acc: Fr) -> Result<Vec<Contribution>> {
        let st = self.state.take().expect("after_acc ran before dense");
        let rest = channel_batch(&self.w.geo, r_g);
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
        Ok(vec![a, limbs_after(st.b, self.w.x, rest, st.e)])
    }

    fn zerocheck_vars(&self, cx: &Ctx<'_>) -> Option<usize> {
        Some(cx.c.gadget_vars(self.g, cx.b))
    }

    /// Its sumcheck-evals: every `S_t`, every `D_t` limb, then `z`'s `u` (and `v`) limbs.
    fn zerocheck(&self, cx: &Ctx<'_>, tau: &[Fr], beta: Fr) -> Result<Box<dyn Instance>> {
        let g = self.g;
        let inst = window::zerocheck_instance(cx.c, cx.cols, cx.ib(), (g, self.w), tau, beta)?;
        let k = self.w.geo.taps();
        let kinds: Vec<ColumnKind> = (0..k)
            .map(ColumnKind::PoolSel)
            .chain((0..k).map(ColumnKind::PoolDiff))
            .chain([ColumnKind::U, ColumnKind::V])
            .collect();
        let opens = vec![Open::Columns(columns_of(cx.cols, g, &kinds), At::Point)];
        Ok(Box::new(Opened::at_point(inst, opens)))
    }

    /// `sum_t S_t(r_g) == Rg(r_g)` at the acc point; instance (a) claims `E + sum_t
    /// gamma^t D_t(r_g)`, (b) claims `E` (conv.md 5; `E` sent after the acc-evals).
    fn declare_acc(&self, cx: &mut Decl<'_, '_>, own: &Own) -> Result<Vec<Expr>> {
        let (g, geo, d) = (self.g, &self.w.geo, cx.d);
        let region = Claim::public(
            format!("g{g}.Rg(r_g)"),
            region(geo, out_parts(geo, cx.at).0),
        );
        let sel = own.s.iter().map(|s| (Fr::one(), Expr::from(s.clone())));
        cx.check(g, "selectors", linear(sel, Fr::zero()) - region);
        let sent = d.rec.after[g].as_deref().unwrap_or_default();
        let e = Expr::from(ClaimStream::new(format!("window-e[{g}]"), sent, 0).next_claim());
        let gamma = gamma(d, g);
        let diffs = own.d.iter().scan(Fr::one(), |c, dt| {
            let item = (*c, d.limbs(dt.clone()));
            *c *= gamma;
            Some(item)
        });
        let claim_a = linear(
            std::iter::once((Fr::one(), e.clone())).chain(diffs),
            Fr::zero(),
        );
        Ok(vec![claim_a, e])
    }

    fn instance_name(&self, _c: &Circuit, k: usize) -> String {
        ["winmax_a", "winmax_b"][k].to_string()
    }

    /// (a): `eq(r_g', s) Vc(s) z(s, r_c, r_b)`; (b): `Ac(s) X(s, r_c, r_b)`; `Vc`, `Ac`
    /// public (conv.md 5).
    fn declare_dense_value(&self, cx: &mut Decl<'_, '_>, k: usize) -> Result<Expr> {
        let (g, geo, s) = (self.g, &self.w.geo, cx.at);
        let r_g = &cx.d.rec.r[g];
        let weights = tap_weights(geo, gamma(cx.d, g));
        let (r_t, rest) = out_parts(geo, r_g);
        let p: Vec<Fr> = s.iter().chain(rest).copied().collect();
        if k == 0 {
            let z = winmax_z(cx, g, &p, "a");
            let (lt2, lt1) = geo.out_vars();
            let mut vc = eq_eval(&r_g[..lt2 + lt1], s);
            for ((a, ws), s_t) in geo.axes.iter().zip(&weights).zip(out_parts(geo, &p).0) {
                let reads: Fr = (0..a.k)
                    .map(|i| Ok(ws[i] * reads(a, s_t, i)?))
                    .sum::<Result<Fr>>()?;
                vc *= reads;
            }
            return Ok(Expr::from(Claim::public(format!("g{g}.eq*Vc(s)"), vc)) * z);
        }
        let xv = cx.value(self.w.x, &p);
        let mut ac = Fr::one();
        for (((a, ws), r), s_in) in geo.axes.iter().zip(&weights).zip(r_t).zip(in_parts(geo, s)) {
            let total: Fr = (0..a.k)
                .map(|i| Ok(ws[i] * wire_eval(a, r, &tap_bits(a, i), s_in)?))
                .sum::<Result<Fr>>()?;
            ac *= total;
        }
        Ok(Expr::from(Claim::public(format!("g{g}.Ac(s)"), ac)) * xv)
    }

    /// `eq(tau, s) [sum_t S_t D_t + beta sum_t S_t (1 - V_t(s)) + beta^2 z (1 - Rg(s))]`,
    /// reading every `S_t`, every `D_t`'s limbs, then `z`'s `u` (and `v`) limbs.
    fn declare_zerocheck_value(
        &self,
        cx: &mut Decl<'_, '_>,
        (tau, beta): (&[Fr], Fr),
    ) -> Result<Expr> {
        let (g, geo, s) = (self.g, &self.w.geo, cx.at);
        let n = geo.taps();
        let sel: Vec<Claim> = (0..n)
            .flat_map(|t| cx.take(g, ColumnKind::PoolSel(t)))
            .collect();
        let sd = {
            let ds: Vec<Expr> = (0..n)
                .map(|t| cx.limbs_of(g, ColumnKind::PoolDiff(t)))
                .collect();
            sel.iter()
                .zip(ds)
                .fold(Expr::i(0), |t, (a, b)| t + Expr::from(a.clone()) * b)
        };
        let z = winmax_z(cx, g, s, "zerocheck");
        let s_t = out_parts(geo, s).0;
        // V_t = prod_a V_{a, t_a}, the last axis fastest
        let mut taps = vec![Fr::one()];
        for (a, r) in geo.axes.iter().zip(&s_t) {
            let per: Vec<Fr> = (0..a.k).map(|i| reads(a, r, i)).collect::<Result<_>>()?;
            taps = taps
                .iter()
                .flat_map(|v| per.iter().map(move |r| *v * r))
                .collect();
        }
        let unread = sel
            .iter()
            .zip(taps)
            .map(|(a, v)| (beta * (Fr::one() - v), Expr::from(a.clone())));
        let total = sd
            + linear(unread, Fr::zero())
            + z.scaled(beta * beta * (Fr::one() - region(geo, s_t)));
        Ok(eq_tau(g, tau, s) * total)
    }
}

// --- declarations (circuits/checks.md; built only when asked, `declared.rs`) ---

/// `x` at every window point of `cx.at = r_g`, in window order (a sumpool's or
/// maxpool's acc-evals after the own columns).
fn declare_windows(cx: &mut Decl<'_, '_>, p: &Pool) -> Vec<Expr> {
    let r_g = cx.at;
    (0..p.geo.taps())
        .map(|w| cx.value(p.x, &window_point(&p.geo, r_g, w)))
        .collect()
}

/// `sum_w S_w D_w` of gadget `g`'s `k` windows from every `S_w`, then every `D_w`'s
/// limbs (one product per window, summed from 0 as the verifier does).
fn selected_differences(cx: &mut Decl<'_, '_>, g: usize, k: usize) -> Expr {
    let sel: Vec<Claim> = (0..k)
        .flat_map(|w| cx.take(g, ColumnKind::PoolSel(w)))
        .collect();
    let ds: Vec<Expr> = (0..k)
        .map(|w| cx.limbs_of(g, ColumnKind::PoolDiff(w)))
        .collect();
    sel.into_iter()
        .zip(ds)
        .fold(Expr::i(0), |t, (a, b)| t + Expr::from(a) * b)
}

/// `((r_T_1, r_T_2), (r_c, r_b))` of a window gadget's point `(r_x, r_y, r_c, r_b)`:
/// per axis in `geo.axes` order (a 1-D window's first axis trivial, spatial.rs).
fn out_parts<'a>(geo: &Geom, r: &'a [Fr]) -> ([&'a [Fr]; 2], &'a [Fr]) {
    let (lt2, lt1) = geo.out_vars();
    ([&r[lt2..lt2 + lt1], &r[..lt2]], &r[lt2 + lt1..])
}

/// `(s_y', s_x')` of a point over the input's spatial variables `(x', y')`.
fn in_parts<'a>(geo: &Geom, s: &'a [Fr]) -> [&'a [Fr]; 2] {
    let n2 = lp(geo.axes[1].n_in);
    [&s[n2..], &s[..n2]]
}

/// `Rg = prod_a lt(r_T_a, T_a)`, the MLE of the real output region.
fn region(geo: &Geom, r_t: [&[Fr]; 2]) -> Fr {
    geo.axes
        .iter()
        .zip(r_t)
        .map(|(a, r)| spatialsum::lt(r, a.n_out))
        .product()
}

/// `V_{a,i}(r_T) = 2^(m_S) W~_a(r_T, bits(i), (1/2, ..))`: tap `i` reads something.
fn reads(a: &Axis, r_t: &[Fr], i: usize) -> Result<Fr> {
    let m_s = lp(a.n_in);
    Ok(wire_eval(a, r_t, &tap_bits(a, i), &vec![half(); m_s])? * pow2(m_s as u32))
}

/// `bits(i)` over the axis's kernel variables, lowest first.
fn tap_bits(a: &Axis, i: usize) -> Vec<Fr> {
    (0..lp(a.k))
        .map(|b| Fr::from(((i >> b) & 1) as u64))
        .collect()
}

/// Per axis, the tap weights `gamma^(i w_a)` (`w_a` the later axes' taps): their
/// product over the axes is `gamma^t` of tap `t`.
fn tap_weights(geo: &Geom, gamma: Fr) -> [Vec<Fr>; 2] {
    let [a1, a2] = geo.axes;
    [powers(gamma.pow([a2.k as u64]), a1.k), powers(gamma, a2.k)]
}

/// A winmax's `gamma_g`, squeezed where the prover squeezed it.
fn gamma(d: &Declarer<'_>, g: usize) -> Fr {
    d.rec.before_after[g].clone().squeeze("window-gamma")
}

/// `z` at `point` from the gadget's `u` limbs, then its `v` limbs with the check
/// `z + v == hi` there (`gadget.winmax.z-plus-v-<what>`).
fn winmax_z(cx: &mut Decl<'_, '_>, g: usize, point: &[Fr], what: &str) -> Expr {
    let z = cx.value(TensorRef::Gadget(g), point);
    if !cx.d.cx.cols.of(g, ColumnKind::V).is_empty() {
        let v = cx.limbs_of(g, ColumnKind::V);
        let e = z.clone() + v - Expr::i(cx.d.c().gadgets[g].hi.into());
        cx.check(g, &format!("z-plus-v-{what}"), e);
    }
    z
}

// --- the ops (producer.rs `Op`): checks in spatial.rs, spatialsum.rs, window.rs ---

impl Op for op::Spatialsum {
    type Valid = op::Spatialsum;

    fn build(
        &self,
        c: &Circuit<ProducerJson>,
        i: usize,
        g: &Gadget<ProducerJson>,
    ) -> Result<op::Spatialsum> {
        op::spatialsum(c, i, g, self)
    }

    fn prover<'a>(g: usize, p: &'a op::Spatialsum) -> Box<dyn GadgetProver + 'a> {
        Box::new(Spatialsum { g, p })
    }

    #[cfg(any(test, feature = "testkit"))]
    fn reference<'a>(p: &'a op::Spatialsum, cx: &RefCx<'_>) -> Reference<'a> {
        let xt = cx.table(p.x).0;
        Reference::acc(spatialsum::reference_acc(&p.in_shape, p.lshift, &xt, cx.bp))
    }
}

impl Op for SumpoolJson {
    type Valid = Pool;

    fn build(&self, c: &Circuit<ProducerJson>, i: usize, g: &Gadget<ProducerJson>) -> Result<Pool> {
        spatial::sumpool(c, i, g, self)
    }

    fn output_refusal(&self) -> Option<&'static str> {
        Some(spatial::SPATIAL_OUTPUT)
    }

    fn prover<'a>(g: usize, p: &'a Pool) -> Box<dyn GadgetProver + 'a> {
        Box::new(Sumpool { g, p })
    }

    #[cfg(any(test, feature = "testkit"))]
    fn reference<'a>(p: &'a Pool, cx: &RefCx<'_>) -> Reference<'a> {
        let xt = cx.table(p.x).0;
        Reference::acc(spatial_acc(cx.c, cx.g, cx.model_stack, &xt, cx.bp).0)
    }
}

impl Op for MaxpoolJson {
    type Valid = Pool;

    fn build(&self, c: &Circuit<ProducerJson>, i: usize, g: &Gadget<ProducerJson>) -> Result<Pool> {
        spatial::maxpool(c, i, g, self)
    }

    fn output_refusal(&self) -> Option<&'static str> {
        Some(spatial::SPATIAL_OUTPUT)
    }

    /// `K` differences `D_w` of `diff_bits`, then `K` 1-bit selectors `S_w`.
    fn extra_columns(p: &Pool) -> Vec<ExtraColumn> {
        spatial::max_columns(p.geo.taps(), p.bits)
    }

    fn prover<'a>(g: usize, p: &'a Pool) -> Box<dyn GadgetProver + 'a> {
        Box::new(Maxpool { g, p })
    }

    /// `D_w`, `S_w` from the written `z` and the window entries.
    #[cfg(any(test, feature = "testkit"))]
    fn reference<'a>(p: &'a Pool, cx: &RefCx<'_>) -> Reference<'a> {
        let xt = cx.table(p.x).0;
        let (acc, windows) = spatial_acc(cx.c, cx.g, cx.model_stack, &xt, cx.bp);
        Reference::from_z(acc, move |z| {
            let (d, s) = max_columns(z, &windows);
            d.into_iter().chain(s).collect()
        })
    }
}

impl Op for WinsumJson {
    type Valid = Window;

    fn build(
        &self,
        c: &Circuit<ProducerJson>,
        i: usize,
        g: &Gadget<ProducerJson>,
    ) -> Result<Window> {
        self.check(c, i, g)
    }

    fn output_refusal(&self) -> Option<&'static str> {
        Some(spatial::SPATIAL_OUTPUT)
    }

    fn prover<'a>(g: usize, w: &'a Window) -> Box<dyn GadgetProver + 'a> {
        Box::new(Winsum { g, w })
    }

    #[cfg(any(test, feature = "testkit"))]
    fn reference<'a>(w: &'a Window, cx: &RefCx<'_>) -> Reference<'a> {
        let xt = cx.table(w.x).0;
        Reference::acc(window::reference_acc(w, false, &xt, cx.bp).0)
    }
}

impl Op for WinmaxJson {
    type Valid = Window;

    fn build(
        &self,
        c: &Circuit<ProducerJson>,
        i: usize,
        g: &Gadget<ProducerJson>,
    ) -> Result<Window> {
        self.check(c, i, g)
    }

    fn output_refusal(&self) -> Option<&'static str> {
        Some(spatial::SPATIAL_OUTPUT)
    }

    /// `K` differences `D_t` of `diff_bits`, then `K` 1-bit selectors `S_t`.
    fn extra_columns(w: &Window) -> Vec<ExtraColumn> {
        spatial::max_columns(w.geo.taps(), w.bits)
    }

    fn prover<'a>(g: usize, w: &'a Window) -> Box<dyn GadgetProver + 'a> {
        Box::new(Winmax::new(g, w))
    }

    /// `D_t`, `S_t` from the written `z` and the taps.
    #[cfg(any(test, feature = "testkit"))]
    fn reference<'a>(w: &'a Window, cx: &RefCx<'_>) -> Reference<'a> {
        let xt = cx.table(w.x).0;
        let (acc, taps) = window::reference_acc(w, true, &xt, cx.bp);
        let bp = cx.bp;
        Reference::from_z(acc, move |z| {
            let (d, s) = window::max_columns(w, z, &taps, bp);
            d.into_iter().chain(s).collect()
        })
    }
}
