"""Grouped rows (nonlinear.md 7, 12): rowmax and rowdiv, each checked at the acc point
and by one zerocheck-group instance (a rowmax's over x's variables)."""

from __future__ import annotations

from collections.abc import Iterator

from zkml.verifier.circuit import log2_ceil
from zkml.verifier.gadgets.base import GadgetCheck, RunContext
from zkml.verifier.rows import (
    check_rowdiv,
    check_rowmax,
    rowdiv_instance_value,
    rowmax_instance_value,
)

__all__ = ["RowMax", "RowDiv"]


class RowMax(GadgetCheck):
    """The row maximum: selectors summing to 1 per row and the D / S zerocheck."""

    ALWAYS_ZEROCHECK = True
    ZEROCHECK_NAME = "rowmax"

    def acc_count(self) -> int:
        """Own u limbs at r_b, then S at the centre."""
        return len(self.g.own) + 1

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[int], acc: int) -> None:
        """P S(1/2.., r_grp, r_b) == 1."""
        check_rowmax(ctx, self.g, r, vals)

    def zerocheck_feature_vars(self) -> int:
        """Over x's variables (tau_g has x's length)."""
        return log2_ceil(self.c.width_of(self.g.x))

    def zerocheck_evals(self) -> int:
        """x's u limbs, u, D limbs, S."""
        c, g = self.c, self.g
        return len(c.u_of(g.x)) + len(g.u) + len(g.row_d) + len(g.row_s)

    def zerocheck_value(self, ctx: RunContext, s: list[int], vals: Iterator[int]) -> int:
        """The rowmax instance's final value."""
        return rowmax_instance_value(ctx, self.g, self.tau, self.beta, s, vals)


class RowDiv(GadgetCheck):
    """The row division: R + Rc at the acc point; its instance carries the clamp terms."""

    ALWAYS_ZEROCHECK = True
    ZEROCHECK_NAME = "rowdiv"

    def acc_count(self) -> int:
        """Own columns (R, Rc included), then y's u limbs at r_b."""
        return len(self.g.own) + len(self.c.u_of(self.g.y))

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[int], acc: int) -> None:
        """R(r_g) + Rc(r_g) == 2 y(r_grp, r_b) - 1."""
        check_rowdiv(ctx, self.g, r, vals, self.cv)

    def zerocheck_evals(self) -> int:
        """x's and y's u limbs, u, ep, em, R limbs."""
        c, g = self.c, self.g
        return (len(c.u_of(g.x)) + len(c.u_of(g.y)) + len(g.u) + len(g.ep) + len(g.em)
                + len(g.div_r))

    def zerocheck_value(self, ctx: RunContext, s: list[int], vals: Iterator[int]) -> int:
        """The rowdiv instance's final value."""
        return rowdiv_instance_value(ctx, self.g, self.tau, self.beta, s, vals)
