//! `concat` (nonlinear.md section 11) and `rearrange` (rearrange.md section 3): the
//! parts' values `E_1..E_K` right after the acc-evals, and one dense-group instance
//! per part (in part order) whose sumcheck-evals are the part's limbs.

use super::{At, Contribution, Ctx, GadgetProver, Open, Opened};
use crate::error::Result;
use crate::field::Fr;
use crate::inference::parts::{part_values, PartInstance};
use crate::inference::{combine, rearrange};
use crate::transcript::Transcript;

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
}
