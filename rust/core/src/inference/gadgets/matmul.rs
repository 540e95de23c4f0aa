//! Dense and conv gadgets (inference.md section 4, conv.md section 2): one instance
//! in the dense group, `sum_i x(i, r_b) W(i, r_o) = acc(r_g) - 2^d bias(r_o)` (a conv's
//! over its wiring), whose weight value is sent with `x`'s limbs after the sumcheck.

use ark_ff::Zero;

use super::{Contribution, Ctx, GadgetProver, Instance};
use crate::error::Result;
use crate::field::{pow2, Fr};
use crate::inference::circuit::{Circuit, Gadget, ModelTensor, TensorRef};
use crate::inference::conv::{ConvDims, ConvProver};
use crate::inference::matmul::{fold_rows, split_point};
use crate::inference::producer::{self as op, Conv, Dense, Geom, Op, ProducerJson};
use crate::inference::spatial::{self, ConvJson};
use crate::inference::tensors::model_table;
#[cfg(any(test, feature = "testkit"))]
use crate::inference::testkit::{RefCx, Reference};
use crate::inference::Claims;
use crate::mle::{eq_table, evaluate};
use crate::sumcheck::{PairProduct, SumcheckProver};
use crate::wiring::{wire_eval, wire_table_y};

use crate::declare::{Claim, Expr};
use crate::inference::declared::{Decl, Own};

/// A dense or conv gadget: its operand, weight and bias names, a conv's geometry,
/// and (after the acc-evals) its instance's claim.
pub struct MatMul<'a> {
    pub g: usize,
    pub x: TensorRef,
    pub weight: &'a str,
    pub bias: Option<&'a str>,
    pub bias_shift: u32,
    pub geo: Option<&'a Geom>,
    pub claim: Fr,
}

impl<'a> MatMul<'a> {
    pub fn dense(g: usize, p: &'a Dense) -> Self {
        MatMul {
            g,
            x: p.x,
            weight: &p.weight,
            bias: p.bias.as_deref(),
            bias_shift: p.bias_shift,
            geo: None,
            claim: Fr::zero(),
        }
    }

    pub fn conv(g: usize, p: &'a Conv) -> Self {
        MatMul {
            geo: Some(&p.geo),
            x: p.x,
            weight: &p.weight,
            bias: p.bias.as_deref(),
            bias_shift: p.bias_shift,
            g,
            claim: Fr::zero(),
        }
    }
}

// --- the ops (producer.rs `Op`): checks in producer.rs, spatial.rs ---

impl Op for Dense {
    type Valid = Dense;

    fn build(
        &self,
        c: &Circuit<ProducerJson>,
        i: usize,
        g: &Gadget<ProducerJson>,
    ) -> Result<Dense> {
        op::dense(c, i, g, self)
    }

    fn prover<'a>(g: usize, p: &'a Dense) -> Box<dyn GadgetProver + 'a> {
        Box::new(MatMul::dense(g, p))
    }

    /// `W x + 2^bias_shift b` over the padded rows and features.
    #[cfg(any(test, feature = "testkit"))]
    fn reference<'a>(p: &'a Dense, cx: &RefCx<'_>) -> Reference<'a> {
        let (xt, nin) = cx.table(p.x);
        let np = cx.g.features.next_power_of_two();
        let wv = cx.slot(&p.weight);
        let bv = p.bias.as_deref().map(|n| cx.slot(n));
        let mut acc = vec![0i128; cx.bp * np];
        for r in 0..cx.bp {
            for o in 0..np {
                let mut s: i128 = bv.map_or(0, |bv| (bv[o] as i128) << p.bias_shift);
                for i in 0..nin {
                    s += xt[r * nin + i] * wv[o * nin + i] as i128;
                }
                acc[r * np + o] = s;
            }
        }
        Reference::acc(acc)
    }
}

impl Op for ConvJson {
    type Valid = Conv;

    fn build(&self, c: &Circuit<ProducerJson>, i: usize, g: &Gadget<ProducerJson>) -> Result<Conv> {
        spatial::conv(c, i, g, self)
    }

    fn output_refusal(&self) -> Option<&'static str> {
        Some(spatial::SPATIAL_OUTPUT)
    }

    fn prover<'a>(g: usize, p: &'a Conv) -> Box<dyn GadgetProver + 'a> {
        Box::new(MatMul::conv(g, p))
    }

    #[cfg(any(test, feature = "testkit"))]
    fn reference<'a>(p: &'a Conv, cx: &RefCx<'_>) -> Reference<'a> {
        let xt = cx.table(p.x).0;
        let spatial_acc = crate::inference::testkit_cnn::spatial_acc;
        Reference::acc(spatial_acc(cx.c, cx.g, cx.model_stack, &xt, cx.bp).0)
    }
}

impl GadgetProver for MatMul<'_> {
    fn index(&self) -> usize {
        self.g
    }

    /// The bias at `r_o` (a model-stack claim), when there is one.
    fn acc_evals(
        &mut self,
        cx: &Ctx<'_>,
        claims: &mut Claims<'_>,
        r_g: &[Fr],
        acc: Fr,
        evals: &mut Vec<Fr>,
    ) -> Result<()> {
        let (_, r_o, _) = split_point(cx.c, self.g, r_g);
        let bias_v = match self.bias {
            Some(name) => {
                let bt = cx.c.tensor(name)?;
                let v = evaluate(model_table(cx.model, bt), r_o);
                claims.model(bt, r_o, v);
                evals.push(v);
                v * pow2(self.bias_shift)
            }
            None => Fr::zero(),
        };
        self.claim = acc - bias_v;
        Ok(())
    }

    fn dense(&mut self, cx: &Ctx<'_>, r_g: &[Fr], _acc: Fr) -> Result<Vec<Contribution>> {
        let (c, g) = (cx.c, self.g);
        let wt = c.tensor(self.weight)?;
        let n_in = c.width(self.x).next_power_of_two();
        let (r_low, r_o, r_b) = split_point(c, g, r_g);
        let xr = fold_rows(&cx.tensor_table(self.x), &eq_table(r_b), n_in);
        let wr = fold_rows(model_table(cx.model, wt), &eq_table(r_o), wt.cols_pad());
        let kind = match self.geo {
            Some(geo) => {
                let (lt2, _) = geo.out_vars();
                let (r_x, r_y) = r_low.split_at(lt2);
                let a1 = wire_table_y(&geo.axes[0], r_y)?;
                let a2 = wire_table_y(&geo.axes[1], r_x)?;
                let d = ConvDims::from_array(geo.conv_vars());
                Kind::Conv(Box::new(ConvProver::new(d, wr, xr, a1, a2)), d)
            }
            None => Kind::Dense(PairProduct::new(xr, wr)?),
        };
        let inst = MatInst {
            kind,
            x: self.x,
            weight: wt.clone(),
            r_o: r_o.to_vec(),
            r_b: r_b.to_vec(),
        };
        Ok(vec![Contribution {
            inst: Box::new(inst),
            claim: self.claim,
        }])
    }

    /// The claim `acc(r_g) - 2^bias_shift b(r_o)` (the bias claim is an acc-eval).
    fn declare_acc(&self, cx: &mut Decl<'_, '_>, own: &Own) -> Result<Vec<Expr>> {
        let mut acc = own.acc.clone();
        if self.bias.is_some() {
            acc = acc - (Expr::from(cx.vals.next_claim()) << self.bias_shift);
        }
        Ok(vec![acc])
    }

    /// Dense: `X(s, r_b) W(r_o, s)`. Conv (conv.md 2): `wire(s) W X` at
    /// `s = (s_x', s_y', s_j, s_i, s_c)`, X at `(s_x', s_y', s_c, r_b)` and the public
    /// wiring product `W~_1(r_y, s_i, s_y') W~_2(r_x, s_j, s_x')`.
    fn declare_dense_value(&self, cx: &mut Decl<'_, '_>, _k: usize) -> Result<Expr> {
        let (c, s) = (cx.d.c(), cx.at);
        let r_g = &cx.d.rec.r[self.g];
        let (_, _, r_b) = split_point(c, self.g, r_g);
        if let Some(geo) = self.geo {
            let [s2, s1, k2, k1, _] = geo.conv_vars();
            let (s_x, rest) = s.split_at(s2);
            let (s_y, rest) = rest.split_at(s1);
            let (s_j, rest) = rest.split_at(k2);
            let (s_i, s_c) = rest.split_at(k1);
            let (lt2, lt1) = geo.out_vars();
            let (r_x, r_y) = (&r_g[..lt2], &r_g[lt2..lt2 + lt1]);
            let xp: Vec<Fr> = s_x
                .iter()
                .chain(s_y)
                .chain(s_c)
                .chain(r_b)
                .copied()
                .collect();
            let xv = cx.value(self.x, &xp);
            let w = cx.vals.next_claim();
            let wire =
                wire_eval(&geo.axes[0], r_y, s_i, s_y)? * wire_eval(&geo.axes[1], r_x, s_j, s_x)?;
            let wire = Claim::public(format!("g{}.wire(s)", self.g), wire);
            return Ok(Expr::from(wire) * w * xv);
        }
        let p: Vec<Fr> = s.iter().chain(r_b).copied().collect();
        let xv = cx.value(self.x, &p);
        Ok(xv * cx.vals.next_claim())
    }
}

enum Kind {
    Dense(PairProduct<'static>),
    Conv(Box<ConvProver>, ConvDims),
}

/// A dense or conv instance and where its sumcheck-evals are taken.
struct MatInst {
    kind: Kind,
    x: TensorRef,
    weight: ModelTensor,
    r_o: Vec<Fr>,
    r_b: Vec<Fr>,
}

impl SumcheckProver for MatInst {
    fn num_vars(&self) -> usize {
        match &self.kind {
            Kind::Dense(p) => p.num_vars(),
            Kind::Conv(p, _) => p.num_vars(),
        }
    }
    fn degree(&self) -> usize {
        2
    }
    fn round_evals(&self) -> Vec<Fr> {
        match &self.kind {
            Kind::Dense(p) => p.round_evals(),
            Kind::Conv(p, _) => p.round_evals(),
        }
    }
    fn bind(&mut self, c: Fr) {
        match &mut self.kind {
            Kind::Dense(p) => p.bind(c),
            Kind::Conv(p, _) => p.bind(c),
        }
    }
}

impl Instance for MatInst {
    /// Dense: the `u` limbs of `x` at `(s, r_b)`, then `W(s, r_o)`; conv: the `u`
    /// limbs of `x` at `(s_x', s_y', s_c, r_b)`, then `W(s_j, s_i, s_c, r_o)`.
    fn sumcheck_evals(&self, cx: &Ctx<'_>, claims: &mut Claims<'_>, s: &[Fr], out: &mut Vec<Fr>) {
        let cat = |a: &[Fr], b: &[Fr]| -> Vec<Fr> { a.iter().chain(b).copied().collect() };
        let (xp, wp, wv) = match &self.kind {
            Kind::Dense(p) => (cat(s, &self.r_b), cat(s, &self.r_o), p.final_evals()[1]),
            Kind::Conv(p, d) => {
                let (sxy, rest) = s.split_at(d.s2 + d.s1);
                let s_c = &rest[d.k2 + d.k1..];
                let xp: Vec<Fr> = sxy.iter().chain(s_c).chain(&self.r_b).copied().collect();
                (xp, cat(rest, &self.r_o), p.final_weight())
            }
        };
        claims.tensor_limbs(cx.cols, self.x, &xp, out);
        claims.model(&self.weight, &wp, wv);
        out.push(wv);
    }
}
