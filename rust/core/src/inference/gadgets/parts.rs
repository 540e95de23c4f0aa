//! `concat` (nonlinear.md section 11) and `rearrange` (rearrange.md section 3): the
//! parts' values `E_1..E_K` right after the acc-evals, and one dense-group instance
//! per part (in part order) whose sumcheck-evals are the part's limbs.

use super::{At, Contribution, Ctx, GadgetProver, Open, Opened};
use crate::error::Result;
use crate::field::Fr;
use crate::inference::parts::{part_values, PartInstance};
use crate::inference::{combine, rearrange};
use crate::transcript::Transcript;

use crate::declare::{Check, Claim, ClaimStream, Expr};
use crate::inference::circuit::Circuit;
use crate::inference::combine::concat_params;
use crate::inference::declared::{check_id, op_name, Declarer, Own};
use crate::inference::log2;
use crate::inference::rearrange::rearrange_params;
use crate::wiring::wire_eval;

/// Which of the two producers.
#[derive(Clone, Copy)]
enum Which {
    Concat,
    Rearrange,
}

/// A concat or rearrange gadget and, after its acc-evals, its parts' instances and
/// values.
pub struct Parts {
    g: usize,
    which: Which,
    parts: Vec<(PartInstance, Fr)>,
}

impl Parts {
    pub fn concat(g: usize) -> Self {
        Parts {
            g,
            which: Which::Concat,
            parts: Vec::new(),
        }
    }

    pub fn rearrange(g: usize) -> Self {
        Parts {
            g,
            which: Which::Rearrange,
            parts: Vec::new(),
        }
    }
}

impl GadgetProver for Parts {
    fn index(&self) -> usize {
        self.g
    }

    fn after_acc(
        &mut self,
        cx: &Ctx<'_>,
        t: &mut Transcript,
        r_g: &[Fr],
    ) -> Result<Option<Vec<Fr>>> {
        let (insts, label) = match self.which {
            Which::Concat => (
                combine::concat_instances(cx.c, cx.cols, cx.ib(), self.g, r_g)?,
                "concat-parts",
            ),
            Which::Rearrange => (
                rearrange::rearrange_instances(cx.c, cx.cols, cx.ib(), self.g, r_g)?,
                "rearrange-parts",
            ),
        };
        let e = part_values(&insts);
        t.absorb_frs(label, &e);
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
    fn declare_acc(
        &self,
        d: &Declarer<'_>,
        _r_g: &[Fr],
        _vals: &mut ClaimStream<'_>,
        own: &Own,
        checks: &mut Vec<Check>,
    ) -> Result<Vec<Expr>> {
        let label = match self.which {
            Which::Concat => "concat-parts",
            Which::Rearrange => "rearrange-parts",
        };
        let sent = d.rec.after[self.g].as_deref().unwrap_or_default();
        let mut msg = ClaimStream::new(format!("{label}[{}]", self.g), sent, 0);
        let parts: Vec<Expr> = msg.take(sent.len()).into_iter().map(Expr::from).collect();
        let total = parts.iter().fold(Expr::i(0), |t, e| t + e.clone());
        let e = total - own.acc.clone();
        checks.push(Check::zero(check_id(d.c(), self.g, "parts"), e));
        Ok(parts)
    }

    fn instance_name(&self, c: &Circuit, k: usize) -> String {
        format!("{}.{k}", op_name(c, self.g))
    }

    /// Concat: `W~_k(r_c, (), s) X_k(r_s, s, r_b)`; rearrange: `Sel_k(r_o, s)
    /// X_k(s, r_b)`; the wiring and the selection public.
    fn declare_dense_value(
        &self,
        d: &Declarer<'_>,
        k: usize,
        s: &[Fr],
        vals: &mut ClaimStream<'_>,
        _checks: &mut Vec<Check>,
    ) -> Result<Expr> {
        let (c, g) = (d.c(), self.g);
        let r_g = &d.rec.r[g];
        let (name, weight, x, point) = match self.which {
            Which::Concat => {
                let (parts, geo) = concat_params(c, g).expect("a validated concat");
                let ls = log2(geo.spatial);
                let lc = log2(geo.channels.next_power_of_two());
                let (r_s, rest) = r_g.split_at(ls);
                let (r_c, r_b) = rest.split_at(lc);
                let w = wire_eval(&geo.axis(k)?, r_c, &[], s)?;
                let p: Vec<Fr> = r_s.iter().chain(s).chain(r_b).copied().collect();
                (format!("g{g}.wire[{k}](s)"), w, parts[k], p)
            }
            Which::Rearrange => {
                let (parts, map) = rearrange_params(c, g).expect("a validated rearrange");
                let (r_o, r_b) = r_g.split_at(log2(map.out_pad));
                let p: Vec<Fr> = s.iter().chain(r_b).copied().collect();
                (
                    format!("g{g}.sel[{k}](s)"),
                    map.sel_eval(k, r_o, s),
                    parts[k],
                    p,
                )
            }
        };
        let xv = d.value(x, vals, &point);
        Ok(Expr::from(Claim::public(name, weight)) * xv)
    }
}
