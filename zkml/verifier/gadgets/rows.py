"""Grouped rows (nonlinear.md 7, 12): rowmax and rowdiv, each checked at the acc point
and by one zerocheck-group instance (a rowmax's over x's variables)."""

from __future__ import annotations

from collections.abc import Iterator

from zkml.verifier.circuit import log2_ceil
from zkml.verifier.declarations import Claim, Expr
from zkml.verifier.gadgets.base import GadgetCheck, RunContext
from zkml.verifier.producers import (
    MAX_BITS,
    MAX_FEATURES,
    MAX_SHIFT,
    GadgetFields,
    Producer,
    err,
    int_field,
    obj,
    parse_ref,
    row_length,
)
from zkml.verifier.rows import (
    check_rowdiv,
    check_rowmax,
    rowdiv_instance_value,
    rowmax_instance_value,
)

__all__ = ["RowMax", "RowDiv"]


# --- the producer object (strict parsing, producers.py's readers) ---


def _rowmax(prod: dict, what: str, pw: str, gf: GadgetFields) -> Producer:
    obj(prod, {"op", "x", "n", "diff_bits"}, pw)
    x = parse_ref(prod["x"], gf.index, f"{pw} x")
    width_x = gf.width(x)
    n = int_field(prod["n"], f"{pw} n", 1, MAX_FEATURES)
    w = int_field(prod["diff_bits"], f"{pw} diff_bits", 1, MAX_BITS)
    groups = gf.features
    p_len = row_length(what, "rowmax x", width_x, groups)
    if n > p_len:
        raise err(f"{what}: rowmax n = {n} exceeds P = {p_len} (G = {groups} groups of "
                  f"width(x) = {width_x})")
    if p_len * (groups - 1) + n > width_x:  # the last real group's real entries are real
        raise err(f"{what}: rowmax n = {n} exceeds width(x) = {width_x} in group "
                  f"{groups - 1} (P = {p_len}: needs P (G - 1) + n <= width(x))")
    if not gf.plain:
        raise err(f"{what}: a rowmax gadget needs shift 0, divisor 1 and excess_hi_bits = "
                  f"excess_lo_bits = 0")
    lo_x, hi_x = gf.range_of(x)
    if gf.lo > lo_x or gf.hi < hi_x:
        raise err(f"{what}: rowmax range [{gf.lo}, {gf.hi}] does not cover x's range "
                  f"[{lo_x}, {hi_x}]")
    return Producer("rowmax", x, row_n=n, diff_bits=w)


def _rowdiv(prod: dict, what: str, pw: str, gf: GadgetFields) -> Producer:
    obj(prod, {"op", "x", "y", "lshift", "rem_bits"}, pw)
    x = parse_ref(prod["x"], gf.index, f"{pw} x")
    y = parse_ref(prod["y"], gf.index, f"{pw} y")
    lshift = int_field(prod["lshift"], f"{pw} lshift", 0, MAX_SHIFT)
    w = int_field(prod["rem_bits"], f"{pw} rem_bits", 1, MAX_BITS)
    if gf.width(x) != gf.features:
        raise err(f"{what}: rowdiv x has width {gf.width(x)}, expected {gf.features}")
    row_length(what, "rowdiv y", gf.features, gf.width(y))
    if gf.shift or gf.divisor != 1:
        raise err(f"{what}: a rowdiv gadget needs shift 0 and divisor 1")
    return Producer("rowdiv", x, y=y, lshift=lshift, rem_bits=w)


class RowMax(GadgetCheck):
    """The row maximum: selectors summing to 1 per row and the D / S zerocheck."""

    parse = staticmethod(_rowmax)

    @staticmethod
    def extra_columns(p: Producer, gf: GadgetFields, fv: int) -> list[tuple[str, int, int]]:
        """nonlinear.md 7: D limbs then S, of x's length."""
        fx = log2_ceil(gf.width(p.x))
        return [("D", p.diff_bits, fx), ("S", 1, fx)]

    ALWAYS_ZEROCHECK = True
    ZEROCHECK_NAME = "rowmax"

    def acc_count(self) -> int:
        """Own u limbs at r_b, then S at the centre."""
        return len(self.g.own) + 1

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[Claim], acc: Expr
                 ) -> None:
        """P S(1/2.., r_grp, r_b) == 1."""
        check_rowmax(ctx, self.g, r, vals)

    def zerocheck_feature_vars(self) -> int:
        """Over x's variables (tau_g has x's length)."""
        return log2_ceil(self.c.width_of(self.g.x))

    def zerocheck_evals(self) -> int:
        """x's u limbs, u, D limbs, S."""
        c, g = self.c, self.g
        return len(c.u_of(g.x)) + len(g.u) + len(g.row_d) + len(g.row_s)

    def zerocheck_value(self, ctx: RunContext, s: list[int], vals: Iterator[Claim]) -> Expr:
        """The rowmax instance's final value."""
        return rowmax_instance_value(ctx, self.g, self.eq_tau(s), self.beta, s, vals)


class RowDiv(GadgetCheck):
    """The row division: R + Rc at the acc point; its instance carries the clamp terms."""

    parse = staticmethod(_rowdiv)

    @staticmethod
    def extra_columns(p: Producer, gf: GadgetFields, fv: int) -> list[tuple[str, int, int]]:
        """R limbs then Rc limbs, of the gadget's length."""
        return [("R", p.rem_bits, fv), ("Rc", p.rem_bits, fv)]

    ALWAYS_ZEROCHECK = True
    ZEROCHECK_NAME = "rowdiv"

    def acc_count(self) -> int:
        """Own columns (R, Rc included), then y's u limbs at r_b."""
        return len(self.g.own) + len(self.c.u_of(self.g.y))

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[Claim], acc: Expr
                 ) -> None:
        """R(r_g) + Rc(r_g) == 2 y(r_grp, r_b) - 1."""
        check_rowdiv(ctx, self.g, r, vals, self.cv)

    def zerocheck_evals(self) -> int:
        """x's and y's u limbs, u, ep, em, R limbs."""
        c, g = self.c, self.g
        return (len(c.u_of(g.x)) + len(c.u_of(g.y)) + len(g.u) + len(g.ep) + len(g.em)
                + len(g.div_r))

    def zerocheck_value(self, ctx: RunContext, s: list[int], vals: Iterator[Claim]) -> Expr:
        """The rowdiv instance's final value."""
        return rowdiv_instance_value(ctx, self.g, self.eq_tau(s), self.beta, s, vals)
