"""Spatial sums and pooling (nonlinear.md 2, conv.md 3): a spatialsum reduces `acc(r_g)`
by one dense-group instance over the spatial variables; a sumpool or maxpool reads its
windows' values at the acc point, a maxpool adds its selector zerocheck."""

from __future__ import annotations

from collections.abc import Iterator

from zkml.verifier.circuit import Layout
from zkml.verifier.declarations import Claim, Expr
from zkml.verifier.gadgets.base import DENSE, GadgetCheck, Instance, RunContext
from zkml.verifier.nonlinear import spatialsum_instance_value
from zkml.verifier.pool import check_maxpool, check_sumpool, maxpool_zerocheck_value
from zkml.verifier.producers import (
    MAX_BITS,
    MAX_SHIFT,
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

__all__ = ["SpatialSum", "SumPool", "MaxPool"]


# --- the producer object (strict parsing, producers.py's readers) ---


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


def _parse_pool(prod: dict, what: str, pw: str, gf: GadgetFields) -> Producer:
    """sumpool / maxpool (conv.md 3)."""
    op, idx = prod["op"], gf.index
    extra = "lshift" if op == "sumpool" else "diff_bits"
    obj(prod, {"op", "x", "in_shape", "out_shape", "window", extra}, pw)
    x = parse_ref(prod["x"], idx, f"{pw} x")
    pool = _pool(prod, what, pw, gf, x)
    if op == "maxpool" and not gf.plain:
        raise err(f"{what}: a maxpool needs shift 0, divisor 1 and excess_hi_bits = "
                  f"excess_lo_bits = 0")
    return Producer(op, x, pool=pool)


def _parse_spatialsum(prod: dict, what: str, pw: str, gf: GadgetFields) -> Producer:
    """spatialsum (nonlinear.md 2, 7)."""
    op, idx, features = prod["op"], gf.index, gf.features
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
    return Producer(op, x, sum_shape=sum_shape, lshift=lshift)


class SpatialSum(GadgetCheck):
    """nonlinear.md 2: `sum 2^l M X(., r_c, r_b) = acc(r_g)`."""

    parse = staticmethod(_parse_spatialsum)

    def acc_count(self) -> int:
        """Own columns only."""
        return len(self.g.own)

    def dense_instances(self, lay: Layout) -> list[Instance]:
        """Over the spatial variables; x's u limbs."""
        g = self.g
        return [self.instance(DENSE, "spatialsum", g.sum_vars, len(self.c.u_of(g.x)))]

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

    PADDED_OUTPUT = True

    parse = staticmethod(_parse_pool)

    def acc_count(self) -> int:
        """Own columns, then x's u limbs per window."""
        g = self.g
        if g.pool is None:
            return super().acc_count()
        return len(g.own) + g.pool.windows * len(self.c.u_of(g.x))

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[Claim], acc: Expr
                 ) -> None:
        """The windows' sum."""
        check_sumpool(ctx, self.g, r, vals, acc)


class MaxPool(SumPool):
    """conv.md 3: differences and selectors at the acc point, and their zerocheck."""

    ALWAYS_ZEROCHECK = True

    @staticmethod
    def extra_columns(p: Producer, gf: GadgetFields, fv: int) -> list[tuple[str, int, int]]:
        """Per window D_w limbs, then every S_w."""
        if p.pool is None:
            return []
        n = p.pool.windows
        return ([(f"D{w}", p.pool.diff_bits, fv) for w in range(n)]
                + [(f"S{w}", 1, fv) for w in range(n)])

    @staticmethod
    def selector_windows(p: Producer) -> int:
        """One per pooling window."""
        return 0 if p.pool is None else p.pool.windows

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[Claim], acc: Expr
                 ) -> None:
        """z - X_w == D_w and one selector per output."""
        cv = self.cv
        check_maxpool(ctx, self.g, r, vals, cv["D"], cv["S"], cv["z"])

    def zerocheck_evals(self) -> int:
        """The selectors, then the D_w limbs."""
        g = self.g
        return len(g.pool_s) + sum(len(d) for d in g.pool_d)

    def zerocheck_value(self, ctx: RunContext, s: list[int], vals: Iterator[Claim]) -> Expr:
        """The selector zerocheck's final value."""
        return maxpool_zerocheck_value(ctx, self.g, self.eq_tau(s), s, vals)
