//! Row maximum and row division (nonlinear.md sections 7, 12; the instances in
//! `rowops.rs`): each a zerocheck, a rowmax's over its operand's length.

use super::{columns_of, At, Ctx, GadgetProver, Instance, Open, Opened};
use crate::error::Result;
use crate::field::Fr;
use crate::inference::circuit::{ColumnKind, TensorRef};
use crate::inference::rowops;
use crate::inference::Claims;

/// `z[g][b] = max_i x[b][i + P g]`: `S` at `(1/2.., r_grp, r_b)` after its own columns.
pub struct Rowmax {
    pub g: usize,
    pub x: TensorRef,
}

impl GadgetProver for Rowmax {
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
        rowops::rowmax_acc_evals(cx.cols, claims, self.g, r_g, evals);
        Ok(())
    }

    fn zerocheck_vars(&self, cx: &Ctx<'_>) -> Option<usize> {
        Some(cx.c.tensor_vars(self.x, cx.b))
    }

    /// Its sumcheck-evals: `x`'s `u` limbs, the gadget's `u` limbs at the
    /// `(group, batch)` part, the `D` limbs, `S`.
    fn zerocheck(&self, cx: &Ctx<'_>, tau: &[Fr], beta: Fr) -> Result<Box<dyn Instance>> {
        let g = self.g;
        let inst = rowops::rowmax_instance(cx.c, cx.cols, cx.input, cx.b, g, tau, beta)?;
        let opens = vec![
            Open::Limbs(self.x, At::Point),
            Open::Columns(
                cx.cols.of(g, ColumnKind::U),
                At::Suffix(cx.c.gadget_vars(g, cx.b)),
            ),
            Open::Columns(
                columns_of(cx.cols, g, &[ColumnKind::RowDiff, ColumnKind::RowSel]),
                At::Point,
            ),
        ];
        Ok(Box::new(Opened::at_point(inst, opens)))
    }
}

/// `q = round(2^l x / y_b)`: `y`'s limbs at `(r_grp, r_b)` after its own columns.
pub struct Rowdiv {
    pub g: usize,
    pub x: TensorRef,
    pub y: TensorRef,
}

impl GadgetProver for Rowdiv {
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
        let p = rowops::suffix(r_g, cx.c.tensor_vars(self.y, cx.b));
        claims.tensor_limbs(cx.cols, self.y, p, evals);
        Ok(())
    }

    fn zerocheck_vars(&self, cx: &Ctx<'_>) -> Option<usize> {
        Some(cx.c.gadget_vars(self.g, cx.b))
    }

    /// Its sumcheck-evals: `x`'s `u` limbs, `y`'s at the `(group, batch)` part, the
    /// gadget's `u`, `ep`, `em` limbs, `R` limbs.
    fn zerocheck(&self, cx: &Ctx<'_>, tau: &[Fr], beta: Fr) -> Result<Box<dyn Instance>> {
        let g = self.g;
        let inst = rowops::rowdiv_instance(cx.c, cx.cols, cx.input, cx.b, g, tau, beta)?;
        let kinds = [
            ColumnKind::U,
            ColumnKind::Ep,
            ColumnKind::Em,
            ColumnKind::DivRem,
        ];
        let opens = vec![
            Open::Limbs(self.x, At::Point),
            Open::Limbs(self.y, At::Suffix(cx.c.tensor_vars(self.y, cx.b))),
            Open::Columns(columns_of(cx.cols, g, &kinds), At::Point),
        ];
        Ok(Box::new(Opened::at_point(inst, opens)))
    }
}
