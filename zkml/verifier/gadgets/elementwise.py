"""Elementwise gadgets checked at the acc point (inference.md 4, nonlinear.md 6, 8, 10):
identity, add (with a row-broadcast y), affine, addconst; and mul, whose product is one
dense-group instance `sum_v eq(r_g, v) X(v) Y(v) = acc(r_g)`."""

from __future__ import annotations

from collections.abc import Iterator

from zkml.errors import VerificationError
from zkml.verifier.circuit import Layout
from zkml.verifier.field import R, eq_eval
from zkml.verifier.gadgets.base import DENSE, GadgetCheck, Instance, RunContext
from zkml.verifier.nonlinear import check_addconst
from zkml.verifier.rows import row_vars

__all__ = ["Identity", "Add", "Affine", "AddConst", "Mul"]


class Identity(GadgetCheck):
    """acc == X(r_g) (the base check's defaults)."""


class Add(GadgetCheck):
    """acc == sa 2^la X(r_g) + sb 2^lb Y(r_grp, r_b) (y's row values broadcast)."""

    def acc_count(self) -> int:
        """Own columns, x's u limbs, y's u limbs."""
        c, g = self.c, self.g
        return len(g.own) + len(c.u_of(g.x)) + len(c.u_of(g.y))

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[int], acc: int) -> None:
        """nonlinear.md 6, 12: y at (r_grp, r_b)."""
        g = self.g
        xv = ctx.value(g.x, vals, r)
        yv = ctx.value(g.y, vals, r[row_vars(ctx, g) :])
        (sa, sb), (la, lb) = g.signs, g.lshifts
        if (acc - sa * (xv << la) - sb * (yv << lb)) % R != 0:
            raise VerificationError(f"gadget {g.index}: add accumulator mismatch")


class Affine(GadgetCheck):
    """acc == sum_k c_k X_k(r_g)."""

    def acc_count(self) -> int:
        """Own columns, then each term's u limbs."""
        return len(self.g.own) + sum(len(self.c.u_of(x)) for x, _ in self.g.terms)

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[int], acc: int) -> None:
        """The sum of the terms at r_g."""
        g = self.g
        total = sum(ck * ctx.value(xk, vals, r) for xk, ck in g.terms)
        if (acc - total) % R != 0:
            raise VerificationError(f"gadget {g.index}: affine accumulator mismatch")


class AddConst(GadgetCheck):
    """nonlinear.md 10: acc == 2^l X(r_g) + C(r_f)."""

    def acc_count(self) -> int:
        """Own columns, x's u limbs, then C(r_f)."""
        return len(self.g.own) + len(self.c.u_of(self.g.x)) + 1

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[int], acc: int) -> None:
        """The constant's model claim and the sum."""
        check_addconst(ctx, self.g, r, vals, acc)


class Mul(GadgetCheck):
    """nonlinear.md 8: one dense instance over all the gadget's variables."""

    def acc_count(self) -> int:
        """Own columns only."""
        return len(self.g.own)

    def dense_instances(self, lay: Layout) -> list[Instance]:
        """x's u limbs, then y's u limbs (none for the input)."""
        c, g = self.c, self.g
        return [self.instance(DENSE, "mul", lay.log_batch + g.log_features,
                              len(c.u_of(g.x)) + len(c.u_of(g.y)))]

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[int], acc: int) -> None:
        """The instance's claim is acc(r_g)."""
        self.claim = acc

    def dense_value(self, ctx: RunContext, inst: Instance, s: list[int],
                    vals: Iterator[int]) -> int:
        """eq(r_g, s) X(s) Y(s)."""
        g = self.g
        xv = ctx.value(g.x, vals, s)
        yv = ctx.value(g.y, vals, s)
        return eq_eval(self.point, s) * xv % R * yv % R
