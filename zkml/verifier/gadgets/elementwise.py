"""Elementwise gadgets checked at the acc point (inference.md 4, nonlinear.md 6, 8, 10):
identity, add (with a row-broadcast y), affine, addconst; and mul, whose product is one
dense-group instance `sum_v eq(r_g, v) X(v) Y(v) = acc(r_g)`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from zkml.verifier.circuit_limits import MAX_AFFINE_COEFF, MAX_AFFINE_TERMS
from zkml.verifier.declarations import Claim, Expr, linear, public
from zkml.verifier.field import eq_eval
from zkml.verifier.gadgets.base import DENSE, GadgetCheck, Instance, RunContext
from zkml.verifier.layout import Layout
from zkml.verifier.nonlinear import check_addconst
from zkml.verifier.records import (
    MAX_SHIFT,
    GadgetFields,
    Producer,
    err,
    int_field,
    obj,
    parse_ref,
    row_length,
    str_field,
)
from zkml.verifier.rows import row_vars

__all__ = ["Identity", "Add", "Affine", "AddConst", "Mul", "IdentityProducer",
           "AddProducer", "AffineProducer", "AddConstProducer", "MulProducer"]


# --- the producer records and their strict parsing (records.py's readers) ---


@dataclass(frozen=True)
class IdentityProducer(Producer):
    """identity: acc = x."""


@dataclass(frozen=True)
class AddProducer(Producer):
    """add (nonlinear.md 6, 12): acc = sa 2^la x + sb 2^lb y (y's row values
    broadcast when width(y) < features)."""

    y: int | None
    signs: tuple[int, int]
    lshifts: tuple[int, int]


@dataclass(frozen=True)
class AffineProducer(Producer):
    """affine: acc = sum_k c_k x_k over (operand, coefficient) terms (`x` the first's)."""

    terms: tuple[tuple[int | None, int], ...]


@dataclass(frozen=True)
class AddConstProducer(Producer):
    """addconst (nonlinear.md 10): acc = 2^lshift x + C, C the model tensor `constant`."""

    lshift: int
    constant: str


@dataclass(frozen=True)
class MulProducer(Producer):
    """mul (nonlinear.md 8): acc = x y elementwise."""

    y: int | None


def _pair(v: object, what: str, allowed: tuple[int, int] | None, lo: int, hi: int) -> tuple:
    if not isinstance(v, list) or len(v) != 2:
        raise err(f"{what} must be a list of two integers")
    out = tuple(int_field(e, f"{what}[{i}]", lo, hi) for i, e in enumerate(v))
    if allowed is not None and any(e not in allowed for e in out):
        raise err(f"{what} must be +1 or -1")
    return out


def _addconst(prod: dict, what: str, pw: str, gf: GadgetFields) -> AddConstProducer:
    """addconst (nonlinear.md 10): acc = 2^l x + C, C a 1 x width(x) model tensor."""
    obj(prod, {"op", "x", "c", "lshift"}, pw)
    x = parse_ref(prod["x"], gf.index, f"{pw} x")
    name = str_field(prod["c"], f"{pw} c")
    lshift = int_field(prod["lshift"], f"{pw} lshift", 0, MAX_SHIFT)
    width_x = gf.width(x)
    if width_x != gf.features:
        raise err(f"{what}: addconst input has width {width_x}, expected {gf.features}")
    ten = gf.model.tensors.get(name)
    if ten is None:
        raise err(f"{what}: constant {name!r} is not a model tensor")
    if ten.rows != 1 or ten.cols != width_x:
        raise err(f"{what}: constant {name!r} is {ten.rows}x{ten.cols}, expected 1x{width_x}")
    return AddConstProducer(x, lshift=lshift, constant=name)


def _parse_add(prod: dict, what: str, pw: str, gf: GadgetFields) -> AddProducer:
    """add (nonlinear.md 6, 12): y of width(x) or broadcast row values."""
    idx, features = gf.index, gf.features
    obj(prod, {"op", "x", "y", "signs", "lshifts"}, pw)
    x = parse_ref(prod["x"], idx, f"{pw} x")
    y = parse_ref(prod["y"], idx, f"{pw} y")
    signs = _pair(prod["signs"], f"{pw} signs", (1, -1), -1, 1)
    lshifts = _pair(prod["lshifts"], f"{pw} lshifts", None, 0, MAX_SHIFT)
    if gf.width(x) != features:
        raise err(f"{what}: add inputs have {gf.width(x)} and {gf.width(y)} features, "
                  f"expected {features} for x")
    if gf.width(y) != features:  # nonlinear.md 6, 12: y's row values broadcast
        row_length(f"{what}: add inputs have {gf.width(x)} and {gf.width(y)} features",
                   "y", features, gf.width(y))
    return AddProducer(x, y=y, signs=signs, lshifts=lshifts)


def _parse_mul(prod: dict, what: str, pw: str, gf: GadgetFields) -> MulProducer:
    """mul (nonlinear.md 8): acc = x y elementwise."""
    idx, features = gf.index, gf.features
    obj(prod, {"op", "x", "y"}, pw)
    x = parse_ref(prod["x"], idx, f"{pw} x")
    y = parse_ref(prod["y"], idx, f"{pw} y")
    if gf.width(x) != features or gf.width(y) != features:
        raise err(f"{what}: mul inputs have {gf.width(x)} and {gf.width(y)} features, "
                  f"expected {features}")
    return MulProducer(x, y=y)


def _parse_identity(prod: dict, what: str, pw: str, gf: GadgetFields) -> IdentityProducer:
    """identity: acc = x."""
    idx, features = gf.index, gf.features
    obj(prod, {"op", "x"}, pw)
    x = parse_ref(prod["x"], idx, f"{pw} x")
    if gf.width(x) != features:
        raise err(f"{what}: identity input has {gf.width(x)} features, expected {features}")
    return IdentityProducer(x)


def _parse_affine(prod: dict, what: str, pw: str, gf: GadgetFields) -> AffineProducer:
    """affine: acc = sum_k c_k x_k, 1..8 terms."""
    idx, features = gf.index, gf.features
    obj(prod, {"op", "terms"}, pw)
    raw = prod["terms"]
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_AFFINE_TERMS:
        raise err(f"{pw} terms must be a list of 1..{MAX_AFFINE_TERMS} [x, coeff] pairs")
    parsed = []
    for k, term in enumerate(raw):
        if not isinstance(term, list) or len(term) != 2:
            raise err(f"{pw} term {k} must be [x, coeff]")
        xk = parse_ref(term[0], idx, f"{pw} term {k} x")
        ck = int_field(term[1], f"{pw} term {k} coeff", -MAX_AFFINE_COEFF + 1,
                       MAX_AFFINE_COEFF - 1)
        if gf.width(xk) != features:
            raise err(f"{what}: affine term {k} has {gf.width(xk)} features, expected "
                      f"{features}")
        parsed.append((xk, ck))
    return AffineProducer(parsed[0][0], terms=tuple(parsed))


class Identity(GadgetCheck):
    """acc == X(r_g) (the base check's defaults)."""

    OP = "identity"
    RECORD = IdentityProducer
    parse = staticmethod(_parse_identity)


class Add(GadgetCheck):
    """acc == sa 2^la X(r_g) + sb 2^lb Y(r_grp, r_b) (y's row values broadcast)."""

    OP = "add"
    RECORD = AddProducer
    p: AddProducer
    parse = staticmethod(_parse_add)

    def acc_count(self) -> int:
        """Own columns, x's u limbs, y's u limbs."""
        c, p = self.c, self.p
        return len(self.g.own) + len(c.u_of(p.x)) + len(c.u_of(p.y))

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[Claim], acc: Expr
                 ) -> None:
        """nonlinear.md 6, 12: y at (r_grp, r_b)."""
        p = self.p
        xv = ctx.value(p.x, vals, r)
        yv = ctx.value(p.y, vals, r[row_vars(ctx, self.g) :])
        (sa, sb), (la, lb) = p.signs, p.lshifts
        self.require(ctx, "relation", acc - sa * (xv << la) - sb * (yv << lb),
                     "add accumulator mismatch")


class Affine(GadgetCheck):
    """acc == sum_k c_k X_k(r_g)."""

    OP = "affine"
    RECORD = AffineProducer
    p: AffineProducer
    parse = staticmethod(_parse_affine)

    def acc_count(self) -> int:
        """Own columns, then each term's u limbs."""
        return len(self.g.own) + sum(len(self.c.u_of(x)) for x, _ in self.p.terms)

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[Claim], acc: Expr
                 ) -> None:
        """The sum of the terms at r_g."""
        total = linear((ck, ctx.value(xk, vals, r)) for xk, ck in self.p.terms)
        self.require(ctx, "relation", acc - total, "affine accumulator mismatch")


class AddConst(GadgetCheck):
    """nonlinear.md 10: acc == 2^l X(r_g) + C(r_f)."""

    OP = "addconst"
    RECORD = AddConstProducer
    READS_MODEL = True
    parse = staticmethod(_addconst)

    def acc_count(self) -> int:
        """Own columns, x's u limbs, then C(r_f)."""
        return len(self.g.own) + len(self.c.u_of(self.p.x)) + 1

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[Claim], acc: Expr
                 ) -> None:
        """The constant's model claim and the sum."""
        check_addconst(ctx, self.g, r, vals, acc)


class Mul(GadgetCheck):
    """nonlinear.md 8: one dense instance over all the gadget's variables."""

    OP = "mul"
    RECORD = MulProducer
    p: MulProducer
    parse = staticmethod(_parse_mul)

    def acc_count(self) -> int:
        """Own columns only."""
        return len(self.g.own)

    def dense_instances(self, lay: Layout) -> list[Instance]:
        """x's u limbs, then y's u limbs (none for the input)."""
        c, p = self.c, self.p
        return [self.instance(DENSE, "mul", lay.axes(self.g.log_features).num_vars,
                              len(c.u_of(p.x)) + len(c.u_of(p.y)))]

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[Claim], acc: Expr
                 ) -> None:
        """The instance's claim is acc(r_g)."""
        self.claim = acc

    def dense_value(self, ctx: RunContext, inst: Instance, s: list[int],
                    vals: Iterator[Claim]) -> Expr:
        """eq(r_g, s) X(s) Y(s): one product of two committed factors."""
        xv = ctx.value(self.p.x, vals, s)
        yv = ctx.value(self.p.y, vals, s)
        return public(f"g{self.g.index}.eq(r,s)", eq_eval(self.point, s)) * xv * yv
