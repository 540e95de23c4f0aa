//! `concat` (nonlinear.md section 11) and `rearrange` (rearrange.md section 3): the
//! parts' values `E_1..E_K` right after the acc-evals, and one dense-group instance
//! per part (in part order) whose sumcheck-evals are the part's limbs.

use super::{At, Contribution, Ctx, GadgetProver, Open, Opened};
use crate::error::Result;
use crate::field::Fr;
use crate::inference::circuit::Gadget;
use crate::inference::combine::ConcatJson;
use crate::inference::parts::{part_values, PartInstance};
use crate::inference::producer::{Concat, Op, ProducerJson, Rearrange};
use crate::inference::rearrange::RearrangeJson;
#[cfg(any(test, feature = "testkit"))]
use crate::inference::testkit::{RefCx, Reference};
use crate::inference::{combine, rearrange};
use crate::pipeline::{features_batch, Messages};

use crate::declare::{Claim, ClaimStream, Expr};
use crate::inference::circuit::Circuit;
use crate::inference::declared::{op_name, Decl, Own};
use crate::inference::log2;
use crate::wiring::wire_eval;

/// Which of the two producers.
#[derive(Clone, Copy)]
enum Which<'a> {
    Concat(&'a Concat),
    Rearrange(&'a Rearrange),
}

/// A concat or rearrange gadget and, after its acc-evals, its parts' instances and
/// values.
pub struct Parts<'a> {
    g: usize,
    which: Which<'a>,
    parts: Vec<(PartInstance, Fr)>,
}

impl<'a> Parts<'a> {
    pub fn concat(g: usize, p: &'a Concat) -> Self {
        Parts {
            g,
            which: Which::Concat(p),
            parts: Vec::new(),
        }
    }

    pub fn rearrange(g: usize, p: &'a Rearrange) -> Self {
        Parts {
            g,
            which: Which::Rearrange(p),
            parts: Vec::new(),
        }
    }

    /// The label of the parts' values in the transcript.
    fn label(&self) -> &'static str {
        match self.which {
            Which::Concat(_) => "concat-parts",
            Which::Rearrange(_) => "rearrange-parts",
        }
    }
}

impl GadgetProver for Parts<'_> {
    fn index(&self) -> usize {
        self.g
    }

    fn after_acc(
        &mut self,
        cx: &Ctx<'_>,
        m: &mut dyn Messages,
        r_g: &[Fr],
    ) -> Result<Option<Vec<Fr>>> {
        let insts = match self.which {
            Which::Concat(p) => combine::concat_instances(cx.c, cx.cols, cx.ib(), p, r_g)?,
            Which::Rearrange(p) => rearrange::rearrange_instances(cx.c, cx.cols, cx.ib(), p, r_g)?,
        };
        let e = part_values(&insts);
        m.send_values(self.label(), Some(self.g), &e)?;
        self.parts = insts.into_iter().zip(e.iter().copied()).collect();
        Ok(Some(e))
    }

    /// Part `k`'s limbs at `(r_s, s, r_b)` (`r_s` empty for a rearrange).
    fn dense(&mut self, _cx: &Ctx<'_>, _r_g: &[Fr], _acc: Fr) -> Result<Vec<Contribution>> {
        let parts = std::mem::take(&mut self.parts);
        Ok(parts
            .into_iter()
            .map(|(p, e)| Contribution {
                inst: Box::new(Opened {
                    prover: p.inst,
                    pre: p.r_s,
                    post: p.r_b,
                    opens: vec![Open::Limbs(p.x, At::Point)],
                }),
                claim: e,
            })
            .collect())
    }

    /// The parts `E_1..E_K` (sent after the acc-evals) sum to `acc(r_g)`; part `k`'s
    /// instance claims `E_k` (nonlinear.md 11, rearrange.md 3).
    fn declare_acc(&self, cx: &mut Decl<'_, '_>, own: &Own) -> Result<Vec<Expr>> {
        let sent = cx.d.rec.after[self.g].as_deref().unwrap_or_default();
        let mut msg = ClaimStream::new(format!("{}[{}]", self.label(), self.g), sent, 0);
        let parts: Vec<Expr> = msg.take(sent.len()).into_iter().map(Expr::from).collect();
        let total = parts.iter().fold(Expr::i(0), |t, e| t + e.clone());
        cx.check(self.g, "parts", total - own.acc.clone());
        Ok(parts)
    }

    fn instance_name(&self, c: &Circuit, k: usize) -> String {
        format!("{}.{k}", op_name(c, self.g))
    }

    /// Concat: `W~_k(r_c, (), s) X_k(r_s, s, r_b)`; rearrange: `Sel_k(r_o, s)
    /// X_k(s, r_b)`; the wiring and the selection public.
    fn declare_dense_value(&self, cx: &mut Decl<'_, '_>, k: usize) -> Result<Expr> {
        let (g, s) = (self.g, cx.at);
        let r_g = &cx.d.rec.r[g];
        let (name, weight, x, point) = match self.which {
            Which::Concat(p) => {
                let geo = &p.geo;
                let ls = log2(geo.spatial);
                let lc = log2(geo.channels.next_power_of_two());
                let (r_s, rest) = r_g.split_at(ls);
                let (r_c, r_b) = rest.split_at(lc);
                let w = wire_eval(&geo.axis(k)?, r_c, &[], s)?;
                let pt: Vec<Fr> = r_s.iter().chain(s).chain(r_b).copied().collect();
                (format!("g{g}.wire[{k}](s)"), w, p.parts[k], pt)
            }
            Which::Rearrange(p) => {
                let (r_o, r_b) = features_batch(r_g, log2(p.map.out_pad));
                let pt: Vec<Fr> = s.iter().chain(r_b).copied().collect();
                let sel = p.map.sel_eval(k, r_o, s);
                (format!("g{g}.sel[{k}](s)"), sel, p.parts[k], pt)
            }
        };
        let xv = cx.value(x, &point);
        Ok(Expr::from(Claim::public(name, weight)) * xv)
    }
}

// --- the ops (producer.rs `Op`): checks in combine.rs, rearrange.rs ---

impl Op for ConcatJson {
    type Valid = Concat;

    fn build(
        &self,
        c: &Circuit<ProducerJson>,
        i: usize,
        g: &Gadget<ProducerJson>,
    ) -> Result<Concat> {
        combine::concat(c, i, g, self)
    }

    fn prover<'a>(g: usize, p: &'a Concat) -> Box<dyn GadgetProver + 'a> {
        Box::new(Parts::concat(g, p))
    }

    #[cfg(any(test, feature = "testkit"))]
    fn reference<'a>(p: &'a Concat, cx: &RefCx<'_>) -> Reference<'a> {
        let xs: Vec<Vec<i128>> = p.parts.iter().map(|t| cx.table(*t).0).collect();
        Reference::acc(combine::concat_acc(&p.geo, &xs, cx.bp))
    }
}

impl Op for RearrangeJson {
    type Valid = Rearrange;

    fn build(
        &self,
        c: &Circuit<ProducerJson>,
        i: usize,
        g: &Gadget<ProducerJson>,
    ) -> Result<Rearrange> {
        rearrange::build(c, i, g, self)
    }

    /// Only a flat rearrange may be the output (rearrange.md section 5).
    fn output_refusal(&self) -> Option<&'static str> {
        (self.out_shape.len() != 1).then_some("the output gadget may not be a spatial rearrange")
    }

    fn prover<'a>(g: usize, p: &'a Rearrange) -> Box<dyn GadgetProver + 'a> {
        Box::new(Parts::rearrange(g, p))
    }

    #[cfg(any(test, feature = "testkit"))]
    fn reference<'a>(p: &'a Rearrange, cx: &RefCx<'_>) -> Reference<'a> {
        let xs: Vec<Vec<i128>> = p.parts.iter().map(|t| cx.table(*t).0).collect();
        Reference::acc(rearrange::rearrange_acc(&p.map, &xs, cx.bp))
    }
}
