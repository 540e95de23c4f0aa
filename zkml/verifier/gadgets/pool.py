"""Spatial sums and pooling (nonlinear.md 2, conv.md 3): a spatialsum reduces `acc(r_g)`
by one dense-group instance over the spatial variables; a sumpool or maxpool reads its
windows' values at the acc point, a maxpool adds its selector zerocheck."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from zkml.verifier.circuit_limits import MAX_BITS
from zkml.verifier.declarations import Claim, Expr
from zkml.verifier.gadgets.base import DENSE, GadgetCheck, Instance, RunContext
from zkml.verifier.layout import Layout, log2_ceil
from zkml.verifier.nonlinear import spatialsum_instance_value
from zkml.verifier.pool import check_maxpool, check_sumpool, maxpool_zerocheck_value
from zkml.verifier.records import (
    MAX_SHIFT,
    ColumnSpec,
    GadgetFields,
    Producer,
    check_widths,
    dims,
    err,
    int_field,
    obj,
    parse_ref,
)
from zkml.verifier.spatial import PoolSpec, pad, padded_size

__all__ = ["SpatialSum", "SumPool", "MaxPool", "SpatialSumProducer", "PoolProducer"]


# --- the producer records and their strict parsing (records.py's readers) ---


@dataclass(frozen=True)
class SpatialSumProducer(Producer):
    """spatialsum (nonlinear.md 2, 7): acc = 2^lshift sum over the spatial axes of x,
    read as `in_shape = [C, S_1(, S_2)]`."""

    sum_shape: tuple[int, ...]
    lshift: int

    @property
    def sum_vars(self) -> int:
        """The instance's variables, sum_a log2 pad(S_a)."""
        return sum(log2_ceil(s) for s in self.sum_shape[1:])


@dataclass(frozen=True)
class PoolProducer(Producer):
    """sumpool / maxpool (conv.md 3): the pooling shapes and windows (a sumpool's lshift,
    a maxpool's diff_bits in `pool`)."""

    pool: PoolSpec


def _pool(prod: dict, what: str, pw: str, gf: GadgetFields, x: int | None) -> PoolSpec:
    in_shape = dims(prod["in_shape"], f"{pw} in_shape", (2, 3))
    k = len(in_shape) - 1
    out_shape = dims(prod["out_shape"], f"{pw} out_shape", (k + 1,))
    window = dims(prod["window"], f"{pw} window", (k,))
    if in_shape[0] != out_shape[0]:
        raise err(f"{what}: pool channels {in_shape[0]} != {out_shape[0]}")
    for a in range(k):
        if window[a] & (window[a] - 1):
            raise err(f"{what}: pool window[{a}] = {window[a]} is not a power of two")
        if window[a] * out_shape[a + 1] > in_shape[a + 1]:
            raise err(f"{what}: pool axis {a}: window {window[a]} x out {out_shape[a + 1]} "
                      f"exceeds in {in_shape[a + 1]}")
    check_widths(what, "pool", gf, x, in_shape, out_shape)
    if prod["op"] == "sumpool":
        return PoolSpec(in_shape, out_shape, window,
                        lshift=int_field(prod["lshift"], f"{pw} lshift", 0, MAX_SHIFT))
    return PoolSpec(in_shape, out_shape, window,
                    diff_bits=int_field(prod["diff_bits"], f"{pw} diff_bits", 1, MAX_BITS))


def _parse_pool(prod: dict, what: str, pw: str, gf: GadgetFields) -> PoolProducer:
    """sumpool / maxpool (conv.md 3)."""
    op, idx = prod["op"], gf.index
    extra = "lshift" if op == "sumpool" else "diff_bits"
    obj(prod, {"op", "x", "in_shape", "out_shape", "window", extra}, pw)
    x = parse_ref(prod["x"], idx, f"{pw} x")
    pool = _pool(prod, what, pw, gf, x)
    if op == "maxpool" and not gf.plain:
        raise err(f"{what}: a maxpool needs shift 0, divisor 1 and excess_hi_bits = "
                  f"excess_lo_bits = 0")
    return PoolProducer(x, pool=pool)


def _parse_spatialsum(prod: dict, what: str, pw: str, gf: GadgetFields
                      ) -> SpatialSumProducer:
    """spatialsum (nonlinear.md 2, 7)."""
    idx, features = gf.index, gf.features
    obj(prod, {"op", "x", "in_shape", "lshift"}, pw)
    x = parse_ref(prod["x"], idx, f"{pw} x")
    sum_shape = dims(prod["in_shape"], f"{pw} in_shape", (2, 3))
    lshift = int_field(prod["lshift"], f"{pw} lshift", 0, MAX_SHIFT)
    # nonlinear.md 7: pad(width(x)) == prod pad(in_shape) (a flat row of n features
    # has the layout of [1, n]; spatial widths are powers of two already)
    if pad(gf.width(x)) != padded_size(sum_shape):
        raise err(f"{what}: spatialsum input has width {gf.width(x)}, in_shape "
                  f"{list(sum_shape)} needs a padded width of {padded_size(sum_shape)}")
    if features != sum_shape[0]:
        raise err(f"{what}: spatialsum features {features} != channels {sum_shape[0]}")
    return SpatialSumProducer(x, sum_shape=sum_shape, lshift=lshift)


class SpatialSum(GadgetCheck):
    """nonlinear.md 2: `sum 2^l M X(., r_c, r_b) = acc(r_g)`."""

    OP = "spatialsum"
    RECORD = SpatialSumProducer
    p: SpatialSumProducer
    parse = staticmethod(_parse_spatialsum)

    def acc_count(self) -> int:
        """Own columns only."""
        return len(self.g.own)

    def dense_instances(self, lay: Layout) -> list[Instance]:
        """Over the spatial variables; x's u limbs."""
        p = self.p
        return [self.instance(DENSE, "spatialsum", p.sum_vars, len(self.c.u_of(p.x)))]

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[Claim], acc: Expr
                 ) -> None:
        """The instance's claim is acc(r_g)."""
        self.claim = acc

    def dense_value(self, ctx: RunContext, inst: Instance, s: list[int],
                    vals: Iterator[Claim]) -> Expr:
        """2^l M(s) X(s, r_c, r_b)."""
        return spatialsum_instance_value(ctx, self.g, self.point, s, vals)


class SumPool(GadgetCheck):
    """conv.md 3: acc == 2^l sum_w X(window w at r_g)."""

    OP = "sumpool"
    RECORD = PoolProducer
    PADDED_OUTPUT = True
    p: PoolProducer
    parse = staticmethod(_parse_pool)

    def acc_count(self) -> int:
        """Own columns, then x's u limbs per window."""
        p = self.p
        return len(self.g.own) + p.pool.windows * len(self.c.u_of(p.x))

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[Claim], acc: Expr
                 ) -> None:
        """The windows' sum."""
        check_sumpool(ctx, self.g, r, vals, acc)


class MaxPool(SumPool):
    """conv.md 3: differences and selectors at the acc point, and their zerocheck."""

    OP = "maxpool"
    ALWAYS_ZEROCHECK = True

    @staticmethod
    def extra_columns(p: PoolProducer, gf: GadgetFields, fv: int  # type: ignore[override]
                      ) -> list[ColumnSpec]:
        """Per window D_w limbs, then every S_w (`p` is its own parser's record)."""
        n = p.pool.windows
        return ([ColumnSpec(f"D{w}", p.pool.diff_bits, fv) for w in range(n)]
                + [ColumnSpec(f"S{w}", 1, fv) for w in range(n)])

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[Claim], acc: Expr
                 ) -> None:
        """z - X_w == D_w and one selector per output."""
        cv, n = self.cv, self.p.pool.windows
        d = [cv[f"D{w}"] for w in range(n)]
        s = [c for w in range(n) for c in cv[f"S{w}"]]
        check_maxpool(ctx, self.g, r, vals, d, s, cv["z"])

    def zerocheck_evals(self) -> int:
        """The selectors, then the D_w limbs."""
        g = self.g
        return sum(len(c) for c in g.numbered("S") + g.numbered("D"))

    def zerocheck_value(self, ctx: RunContext, s: list[int], vals: Iterator[Claim]) -> Expr:
        """The selector zerocheck's final value."""
        return maxpool_zerocheck_value(ctx, self.g, self.eq_tau(s), s, vals)
