"""Dense and conv gadgets (inference.md 4, conv.md 2): `acc(r_g)` less the bias is
reduced by one dense-group instance over x's (or the conv's) variables."""

from __future__ import annotations

from collections.abc import Iterator

from zkml.verifier.circuit import Layout, log2_ceil
from zkml.verifier.conv import conv_acc_claim, conv_instance_value
from zkml.verifier.field import R
from zkml.verifier.gadgets.base import DENSE, GadgetCheck, Instance, RunContext

__all__ = ["Dense", "Conv"]


class Dense(GadgetCheck):
    """acc = W x + 2^bias_shift b: `sum_j W(r_o, j) X(j, r_b) = acc(r_g) - 2^s b(r_o)`."""

    def acc_count(self) -> int:
        """Own columns, then the bias claim b(r_o) if any."""
        return len(self.g.own) + (self.g.bias is not None)

    def dense_instances(self, lay: Layout) -> list[Instance]:
        """One instance over log2 pad(width(x)) variables: x's u limbs, then W."""
        g = self.g
        return [self.instance(DENSE, "dense", log2_ceil(self.c.width_of(g.x)),
                              len(self.c.u_of(g.x)) + 1)]

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[int], acc: int) -> None:
        """The claim acc(r_g) - 2^bias_shift b(r_o), recording the bias claim."""
        g = self.g
        if g.bias is not None:
            b = next(vals)
            ctx.model_claim(ctx.bias_claims, g.bias, r[: g.log_features], b)
            acc -= b << g.bias_shift
        self.claim = acc % R

    def dense_value(self, ctx: RunContext, inst: Instance, s: list[int],
                    vals: Iterator[int]) -> int:
        """X(s, r_b) W(r_o, s), recording the weight claim."""
        g = self.g
        r_o, r_b = self.point[: g.log_features], self.point[g.log_features :]
        xv = ctx.value(g.x, vals, [*s, *r_b])
        w = next(vals)
        ctx.model_claim(ctx.w_claims, g.weight or "", [*s, *r_o], w)
        return xv * w % R


class Conv(Dense):
    """conv.md 2: the dense relation through the conv's wiring."""

    def dense_instances(self, lay: Layout) -> list[Instance]:
        """One instance over the conv's variables: x's u limbs, then W."""
        g = self.g
        if g.conv is None:
            return []
        return [self.instance(DENSE, "conv", g.conv.num_vars, len(self.c.u_of(g.x)) + 1)]

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[int], acc: int) -> None:
        """acc(r_g) less the bias (conv.md 2)."""
        self.claim = conv_acc_claim(ctx, self.g, r, vals, acc)

    def dense_value(self, ctx: RunContext, inst: Instance, s: list[int],
                    vals: Iterator[int]) -> int:
        """The conv instance's final value (conv.md 2)."""
        return conv_instance_value(ctx, self.g, self.point, s, vals)
