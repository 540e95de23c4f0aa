"""Grouped rows (nonlinear.md 7, 12): rowmax and rowdiv, each checked at the acc point
and by one zerocheck-group instance (a rowmax's over x's variables)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from zkml.verifier.circuit_limits import MAX_BITS, MAX_FEATURES
from zkml.verifier.declarations import Claim, Expr
from zkml.verifier.gadgets.base import GadgetCheck, RunContext
from zkml.verifier.layout import log2_ceil
from zkml.verifier.records import (
    MAX_SHIFT,
    ColumnSpec,
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

__all__ = ["RowMax", "RowDiv", "RowMaxProducer", "RowDivProducer"]


# --- the producer records and their strict parsing (records.py's readers) ---


@dataclass(frozen=True)
class RowMaxProducer(Producer):
    """rowmax (nonlinear.md 7, 12): the maximum of the first `n` entries of each of x's
    rows; its D columns are `diff_bits` wide."""

    n: int
    diff_bits: int


@dataclass(frozen=True)
class RowDivProducer(Producer):
    """rowdiv (nonlinear.md 7, 12): x divided by y's row values (scaled by 2^lshift);
    its R and Rc columns are `rem_bits` wide."""

    y: int | None
    lshift: int
    rem_bits: int


def _rowmax(prod: dict, what: str, pw: str, gf: GadgetFields) -> RowMaxProducer:
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
    return RowMaxProducer(x, n=n, diff_bits=w)


def _rowdiv(prod: dict, what: str, pw: str, gf: GadgetFields) -> RowDivProducer:
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
    return RowDivProducer(x, y=y, lshift=lshift, rem_bits=w)


class RowMax(GadgetCheck):
    """The row maximum: selectors summing to 1 per row and the D / S zerocheck."""

    OP = "rowmax"
    RECORD = RowMaxProducer
    ALWAYS_ZEROCHECK = True
    ZEROCHECK_NAME = "rowmax"
    p: RowMaxProducer
    parse = staticmethod(_rowmax)

    @staticmethod
    def extra_columns(p: RowMaxProducer, gf: GadgetFields, fv: int  # type: ignore[override]
                      ) -> list[ColumnSpec]:
        """nonlinear.md 7: D limbs then S, of x's length (not the gadget's own)."""
        fx = log2_ceil(gf.width(p.x))
        return [ColumnSpec("D", p.diff_bits, fx, own=False),
                ColumnSpec("S", 1, fx, own=False)]

    def acc_count(self) -> int:
        """Own u limbs at r_b, then S at the centre."""
        return len(self.g.own) + 1

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[Claim], acc: Expr
                 ) -> None:
        """P S(1/2.., r_grp, r_b) == 1."""
        check_rowmax(ctx, self.g, r, vals)

    def zerocheck_feature_vars(self) -> int:
        """Over x's variables (tau_g has x's length)."""
        return log2_ceil(self.c.width_of(self.p.x))

    def zerocheck_evals(self) -> int:
        """x's u limbs, u, D limbs, S."""
        c, g = self.c, self.g
        return len(c.u_of(self.p.x)) + len(g.u) + len(g.group("D")) + len(g.group("S"))

    def zerocheck_value(self, ctx: RunContext, s: list[int], vals: Iterator[Claim]) -> Expr:
        """The rowmax instance's final value."""
        return rowmax_instance_value(ctx, self.g, self.eq_tau(s), self.beta, s, vals)


class RowDiv(GadgetCheck):
    """The row division: R + Rc at the acc point; its instance carries the clamp terms."""

    OP = "rowdiv"
    RECORD = RowDivProducer
    ALWAYS_ZEROCHECK = True
    ZEROCHECK_NAME = "rowdiv"
    p: RowDivProducer
    parse = staticmethod(_rowdiv)

    @staticmethod
    def extra_columns(p: RowDivProducer, gf: GadgetFields, fv: int  # type: ignore[override]
                      ) -> list[ColumnSpec]:
        """R limbs then Rc limbs, of the gadget's length."""
        return [ColumnSpec("R", p.rem_bits, fv), ColumnSpec("Rc", p.rem_bits, fv)]

    def acc_count(self) -> int:
        """Own columns (R, Rc included), then y's u limbs at r_b."""
        return len(self.g.own) + len(self.c.u_of(self.p.y))

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[Claim], acc: Expr
                 ) -> None:
        """R(r_g) + Rc(r_g) == 2 y(r_grp, r_b) - 1."""
        check_rowdiv(ctx, self.g, r, vals, self.cv)

    def zerocheck_evals(self) -> int:
        """x's and y's u limbs, u, ep, em, R limbs."""
        c, g, p = self.c, self.g, self.p
        return (len(c.u_of(p.x)) + len(c.u_of(p.y)) + len(g.u) + len(g.ep) + len(g.em)
                + len(g.group("R")))

    def zerocheck_value(self, ctx: RunContext, s: list[int], vals: Iterator[Claim]) -> Expr:
        """The rowdiv instance's final value."""
        return rowdiv_instance_value(ctx, self.g, self.eq_tau(s), self.beta, s, vals)
