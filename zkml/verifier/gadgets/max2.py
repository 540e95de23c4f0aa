"""The elementwise maximum or minimum of two tensors, `"op": "max2"` (circuits/max.md):
ONNX Max, Min and Abs (`Abs(x) = max(x, -x)`).

With `X = sx 2^lx x`, `Y = sy 2^ly y` and `dir` = +1 (max) or -1 (min), the gadget's
accumulator is `acc = dir max(dir X, dir Y)`. Committed after the usual columns: the
limbs of `A = dir (acc - X)` and `B = dir (acc - Y)`, each `diff_bits` wide, so the
range check gives `A, B >= 0` (max.md 2). At the acc point `r_g` the verifier requires
`acc == X(r_g) + dir A(r_g)` (`relation-x`) and `acc == Y(r_g) + dir B(r_g)`
(`relation-y`): both identities of multilinear polynomials at a random point, so they
hold on every entry. The gadget's one zerocheck instance (always present) has the summand
`eq(tau_g, v) [A B + beta_g (z - hi) e+ + beta_g^2 (z - lo) e-]`: `A B = 0` on every
entry, and `A, B < 2^64` make the product an integer far below the field's prime, so
one of them is 0, i.e. `acc` is `X` or `Y`, the larger (max) or the smaller (min) of
the two (circuits/soundness.md, the max2 rows).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from zkml.verifier.circuit_limits import MAX_BITS
from zkml.verifier.declarations import Claim, Expr
from zkml.verifier.gadgets.base import GadgetCheck, RunContext
from zkml.verifier.records import (
    MAX_SHIFT,
    ColumnSpec,
    GadgetFields,
    Producer,
    err,
    int_field,
    obj,
    parse_ref,
)

__all__ = ["Max2", "Max2Producer"]


# --- the producer record and its strict parsing (records.py's readers) ---


@dataclass(frozen=True)
class Max2Producer(Producer):
    """max2 (max.md 1): acc = dir max(dir sx 2^lx x, dir sy 2^ly y); its A and B columns
    are `diff_bits` wide."""

    y: int | None
    signs: tuple[int, int]
    lshifts: tuple[int, int]
    dir: int
    diff_bits: int

_KEYS = {"op", "x", "y", "signs", "lshifts", "dir", "diff_bits"}


def _unit_pair(v: object, what: str) -> tuple[int, int]:
    if not isinstance(v, list) or len(v) != 2:
        raise err(f"{what} must be a list of two integers")
    out = (int_field(v[0], f"{what}[0]", -1, 1), int_field(v[1], f"{what}[1]", -1, 1))
    if 0 in out:
        raise err(f"{what} must be +1 or -1")
    return out


def _parse(prod: dict, what: str, pw: str, gf: GadgetFields) -> Max2Producer:
    """max.md 1: both operands of width `features`, signs and dir +-1, lshifts
    0..64, 1 <= diff_bits <= 64."""
    obj(prod, _KEYS, pw)
    x = parse_ref(prod["x"], gf.index, f"{pw} x")
    y = parse_ref(prod["y"], gf.index, f"{pw} y")
    signs = _unit_pair(prod["signs"], f"{pw} signs")
    if not isinstance(prod["lshifts"], list) or len(prod["lshifts"]) != 2:
        raise err(f"{pw} lshifts must be a list of two integers")
    lshifts = tuple(int_field(v, f"{pw} lshifts[{i}]", 0, MAX_SHIFT)
                    for i, v in enumerate(prod["lshifts"]))
    direction = int_field(prod["dir"], f"{pw} dir", -1, 1)
    if direction == 0:
        raise err(f"{pw} dir must be +1 or -1")
    w = int_field(prod["diff_bits"], f"{pw} diff_bits", 1, MAX_BITS)
    if gf.width(x) != gf.features or gf.width(y) != gf.features:
        raise err(f"{what}: max2 inputs have {gf.width(x)} and {gf.width(y)} features, "
                  f"expected {gf.features}")
    return Max2Producer(x, y=y, signs=signs, lshifts=lshifts, dir=direction, diff_bits=w)


class Max2(GadgetCheck):
    """Max / min: the two linear checks at the acc point and the A B zerocheck."""

    OP = "max2"
    RECORD = Max2Producer
    ALWAYS_ZEROCHECK = True
    ZEROCHECK_NAME = "max2"
    p: Max2Producer
    parse = staticmethod(_parse)

    @staticmethod
    def extra_columns(p: Max2Producer, gf: GadgetFields, fv: int  # type: ignore[override]
                      ) -> list[ColumnSpec]:
        """A limbs then B limbs, of the gadget's length."""
        return [ColumnSpec("A", p.diff_bits, fv), ColumnSpec("B", p.diff_bits, fv)]

    def acc_count(self) -> int:
        """Own columns (A, B included), then x's and y's u limbs at r_g."""
        c, p = self.c, self.p
        return len(self.g.own) + len(c.u_of(p.x)) + len(c.u_of(p.y))

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[Claim], acc: Expr
                 ) -> None:
        """acc == sx 2^lx X(r) + dir A(r) and acc == sy 2^ly Y(r) + dir B(r)."""
        p = self.p
        # A and B are own columns: the base check has read them with u .. em
        a, b = ctx.limbs(self.cv["A"]), ctx.limbs(self.cv["B"])
        for k, (ref, diff, side) in enumerate(((p.x, a, "x"), (p.y, b, "y"))):
            v = p.signs[k] * (ctx.value(ref, vals, r) << p.lshifts[k])
            self.require(ctx, f"relation-{side}", acc - v - p.dir * diff,
                         f"max2 acc != s{side} 2^l{side} {side.upper()} + dir "
                         f"{'AB'[k]} at the acc point")

    def zerocheck_evals(self) -> int:
        """u, ep, em, A, B limbs."""
        g = self.g
        return len(g.u) + len(g.ep) + len(g.em) + len(g.group("A")) + len(g.group("B"))

    def zerocheck_value(self, ctx: RunContext, s: list[int], vals: Iterator[Claim]) -> Expr:
        """eq(tau, s) [A B + beta (z - hi) e+ + beta^2 (z - lo) e-] (the terms of an
        absent column dropped): one product A B, one per clamp term."""
        g = self.g
        z = ctx.value(g.index, vals, s)
        ep = ctx.limbs(ctx.take(g.ep, vals, s))
        em = ctx.limbs(ctx.take(g.em, vals, s))
        a = ctx.limbs(ctx.take(g.group("A"), vals, s))
        b = ctx.limbs(ctx.take(g.group("B"), vals, s))
        return self.eq_tau(s) * g.with_clamp_terms(a * b, z, ep, em, self.beta)
