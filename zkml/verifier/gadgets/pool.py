"""Spatial sums and pooling (nonlinear.md 2, conv.md 3): a spatialsum reduces `acc(r_g)`
by one dense-group instance over the spatial variables; a sumpool or maxpool reads its
windows' values at the acc point, a maxpool adds its selector zerocheck."""

from __future__ import annotations

from collections.abc import Iterator

from zkml.verifier.circuit import Layout
from zkml.verifier.gadgets.base import DENSE, GadgetCheck, Instance, RunContext
from zkml.verifier.nonlinear import spatialsum_instance_value
from zkml.verifier.pool import check_maxpool, check_sumpool, maxpool_zerocheck_value

__all__ = ["SpatialSum", "SumPool", "MaxPool"]


class SpatialSum(GadgetCheck):
    """nonlinear.md 2: `sum 2^l M X(., r_c, r_b) = acc(r_g)`."""

    def acc_count(self) -> int:
        """Own columns only."""
        return len(self.g.own)

    def dense_instances(self, lay: Layout) -> list[Instance]:
        """Over the spatial variables; x's u limbs."""
        g = self.g
        return [self.instance(DENSE, "spatialsum", g.sum_vars, len(self.c.u_of(g.x)))]

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[int], acc: int) -> None:
        """The instance's claim is acc(r_g)."""
        self.claim = acc

    def dense_value(self, ctx: RunContext, inst: Instance, s: list[int],
                    vals: Iterator[int]) -> int:
        """2^l M(s) X(s, r_c, r_b)."""
        return spatialsum_instance_value(ctx, self.g, self.point, s, vals)


class SumPool(GadgetCheck):
    """conv.md 3: acc == 2^l sum_w X(window w at r_g)."""

    def acc_count(self) -> int:
        """Own columns, then x's u limbs per window."""
        g = self.g
        if g.pool is None:
            return super().acc_count()
        return len(g.own) + g.pool.windows * len(self.c.u_of(g.x))

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[int], acc: int) -> None:
        """The windows' sum."""
        check_sumpool(ctx, self.g, r, vals, acc)


class MaxPool(SumPool):
    """conv.md 3: differences and selectors at the acc point, and their zerocheck."""

    ALWAYS_ZEROCHECK = True

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[int], acc: int) -> None:
        """z - X_w == D_w and one selector per output."""
        cv = self.cv
        check_maxpool(ctx, self.g, r, vals, cv["D"], cv["S"], cv["z"])

    def zerocheck_evals(self) -> int:
        """The selectors, then the D_w limbs."""
        g = self.g
        return len(g.pool_s) + sum(len(d) for d in g.pool_d)

    def zerocheck_value(self, ctx: RunContext, s: list[int], vals: Iterator[int]) -> int:
        """The selector zerocheck's final value."""
        return maxpool_zerocheck_value(ctx, self.g, self.tau, s, vals)
