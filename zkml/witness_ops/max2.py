"""The witness of a `max2` gadget (circuits/max.md): the elementwise maximum (`dir = +1`)
or minimum (`dir = -1`) of `X = sx 2^lx x` and `Y = sy 2^ly y` over the whole padded
tensors (padding included), with its committed differences `A = dir (acc - X)` and
`B = dir (acc - Y)` (both `>= 0`, one of them 0 at every entry)."""

from __future__ import annotations

import numpy as np

from zkml.compiler.circuit import Gadget
from zkml.compiler.producers import Max2
from zkml.quant.rounding import check_bound
from zkml.witness_ops.base import Context, Extra, maxabs, producer_of

__all__ = ["max2_acc", "max2"]


def max2_acc(g: Gadget, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, Extra]:
    """`acc = dir max(dir X, dir Y)` and the values of its `A`, `B` columns."""
    p = producer_of(g, Max2)
    (sx, sy), (lx, ly), d = p.signs, p.lshifts, p.dir
    amax = max(maxabs(x) << lx, maxabs(y) << ly)
    check_bound(2 * amax + (1 << g.shift), f"gadget {g.source}")  # |X - Y| <= 2 max
    xs, ys = sx * (x << np.int64(lx)), sy * (y << np.int64(ly))
    acc = d * np.maximum(d * xs, d * ys)
    return acc, {"A": d * (acc - xs), "B": d * (acc - ys)}


def max2(ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
    """The max2 hook: `max2_acc` of its two operands."""
    p = producer_of(g, Max2)
    return max2_acc(g, ctx.value(p.x), ctx.value(p.y))
