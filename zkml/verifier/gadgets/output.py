"""The output check (inference.md 4, 4b): not a gadget but the circuit's output; its
instances close the batched sumcheck (the output group). Without ArgMax one instance
`sum_x eq(r_out, x) mask(x) z_L(x) = Y~(r_out)` against the public output's MLE; with
ArgMax the argmax-evals (d limbs, then A and C_m) at r_d and the `select` and `masked`
instances. A committed output (circuits/zk_inference.md 1.6) has no public `Y`: the
claim `Y~(r_out)` is the commitment `output-evals[0]`, sent right after `r_out`, also a
claim on the output stack at `r_out` (`stack_claim`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from zkml.verifier.argmax import argmax_d_check, masked_weight, output_mask, select_weight
from zkml.verifier.axes import BATCH
from zkml.verifier.declarations import Claim, Expr, public
from zkml.verifier.field import R, eq_eval, eq_table
from zkml.verifier.gadgets.base import OUTPUT, Instance, RunContext
from zkml.verifier.layout import Layout, log2_ceil

if TYPE_CHECKING:
    from zkml.verifier.circuit import Circuit

__all__ = ["OutputCheck", "public_mle"]


def public_mle(vals: Sequence[int], rows: int, cols: int, point: Sequence[int]) -> int:
    """MLE at `point` of the rows x cols matrix `vals` zero-padded to powers of two."""
    lc = log2_ceil(cols)
    ef = eq_table(point[:lc])
    eb = eq_table(point[lc:])
    total = 0
    for b in range(rows):
        row = vals[b * cols : (b + 1) * cols]
        total += eb[b] * (sum(v * e for v, e in zip(row, ef, strict=False)) % R)
    return total % R


class OutputCheck:
    """The output instances' declarations, claims and final values."""

    def __init__(self, circuit: Circuit) -> None:
        self.c = circuit
        self.fv = log2_ceil(circuit.output_features)
        self.r_out: list[int] = []
        self.y: Sequence[int] = ()
        self.claims: dict[str, Claim] = {}
        #: a committed output's message `output-evals` (its one point), set by the
        #: kind-5 parser; None when the output is public
        self.committed_evals: list | None = None
        #: a committed output's claim on its stack: `(r_out, value)` (under hiding
        #: the value is the claim's form), once the output point is squeezed
        self.stack_claim: tuple | None = None

    def argmax_count(self) -> int:
        """How many argmax-evals the proof sends (none without ArgMax)."""
        return len(self.c.d) + 2 if self.c.argmax else 0

    def instances(self, lay: Layout) -> list[Instance]:
        """`select` and `masked` (ArgMax) or `output`, over the output's variables."""
        c = self.c
        nv = lay.axes(self.fv).num_vars
        evals = len(c.gadgets[c.output_gadget].u)
        names = ("select", "masked") if c.argmax else ("output",)
        return [Instance(self, c.output_gadget, n, OUTPUT, nv, evals) for n in names]

    def challenge(self, ctx: RunContext, y: Sequence[int], argmax_evals: list[int]) -> None:
        """Squeeze the output point; with ArgMax absorb and check the argmax-evals."""
        c, t, lay = self.c, ctx.transcript, ctx.layout
        self.y = y
        if not c.argmax:
            self.r_out = t.squeeze_n("output-point", lay.axes(self.fv).num_vars)
            if self.committed_evals is not None:
                self._committed_claim(ctx)
                return
            mle = public_mle(y, ctx.batch, c.output_features, self.r_out)
            self.claims = {"output": public("Y(r_out)", mle)}
            return
        self.r_out = t.squeeze_n("argmax-point", lay.axes(self.fv).num_vars)
        ctx.absorb("argmax-evals", argmax_evals)
        am = ctx.stream("argmax-evals", argmax_evals)
        d = ctx.limbs(ctx.take(c.d, am, self.r_out))
        a, cm = next(am), next(am)
        ctx.declare(argmax_d_check(self.r_out, self.fv, c.output_features, y, d, a, cm,
                                   c.argmax_last))
        self.claims = {"select": a, "masked": cm}

    def _committed_claim(self, ctx: RunContext) -> None:
        """zk_inference.md 1.6: absorb `output-evals`; its one entry is the output
        instance's claim and the output stack's claim at `r_out`."""
        evals = self.committed_evals or []
        ctx.absorb("output-evals", evals)
        y = next(ctx.stream("output-evals", evals))
        self.claims = {"output": y}
        self.stack_claim = (tuple(self.r_out), ctx.opened(y))

    def claim_of(self, inst: Instance) -> Claim:
        """Y~(r_out) (public, or committed: 1.6), or A and C_m."""
        return self.claims[inst.name]

    def value(self, ctx: RunContext, inst: Instance, s: list[int], vals: Iterator[Claim]
              ) -> Expr:
        """weight(s) z_L(s) for the instance's (public) weight."""
        fv, n_out, batch = self.fv, self.c.output_features, ctx.batch
        z = ctx.value(inst.gadget, vals, s)
        if inst.name == "select":
            weight = select_weight(ctx.layout.axes(fv).part(self.r_out, BATCH), s, fv, self.y)
        elif inst.name == "masked":
            weight = masked_weight(self.r_out, s, fv, n_out, batch)
        else:
            weight = eq_eval(self.r_out, s) * output_mask(s, fv, n_out, batch) % R
        return public(f"output.{inst.name}(s)", weight) * z
