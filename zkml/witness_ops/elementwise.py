"""Witness hooks of the elementwise producers: `identity`, `add`, `affine`, `addconst`
(circuits/nonlinear.md section 10) and `mul` (section 8). Every bound is checked on the
actual values, so nothing wraps around in int64."""

from __future__ import annotations

import numpy as np

from zkml.compiler.circuit import Gadget
from zkml.compiler.producers import Add, AddConst, Affine, Mul
from zkml.quant.rounding import check_bound
from zkml.witness_ops.base import Context, Extra, maxabs, producer_of
from zkml.witness_ops.rows import row_values

__all__ = ["identity", "add", "affine", "addconst", "mul"]


def identity(ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
    """`acc = x`."""
    return ctx.value(g.x).copy(), {}


def add(ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
    """`acc = s_a 2^l_a x + s_b 2^l_b y`, a row value `y` broadcast (section 6)."""
    p = producer_of(g, Add)
    x, y = ctx.value(p.x), ctx.value(p.y)
    y = row_values(y, x.shape[1])
    (sa, sb), (la, lb) = p.signs, p.lshifts
    check_bound((maxabs(x) << la) + (maxabs(y) << lb) + (1 << g.shift), f"gadget {g.source}")
    return sa * (x << np.int64(la)) + sb * (y << np.int64(lb)), {}


def affine(ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
    """`acc = sum_k c_k x_k`."""
    p = producer_of(g, Affine)
    xs = [(ctx.value(x), c) for x, c in p.terms]
    # Every partial sum is at most this bound in magnitude, so nothing wraps.
    check_bound(sum(abs(c) * maxabs(x) for x, c in xs) + (1 << g.shift), f"gadget {g.source}")
    acc = np.zeros_like(xs[0][0])
    for x, c in xs:
        acc = acc + np.int64(c) * x
    return acc, {}


def addconst(ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
    """`acc = 2^lshift x + C`, the model-stack row `C` on every padded row too."""
    p = producer_of(g, AddConst)
    x = ctx.value(p.x)
    c = ctx.matrix(p.const)[0, : x.shape[1]]
    check_bound((maxabs(x) << p.lshift) + maxabs(c) + (1 << g.shift), f"gadget {g.source}")
    return (x << np.int64(p.lshift)) + c[None, :], {}


def mul(ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
    """`acc = x y` elementwise over the whole padded tensor."""
    p = producer_of(g, Mul)
    x, y = ctx.value(p.x), ctx.value(p.y)
    # The compiler bounds |x y| by the operands' ranges; check the actual values too.
    check_bound(maxabs(x) * maxabs(y) + (1 << g.shift), f"gadget {g.source}")
    return x * y, {}
