"""Witness hooks of the producers multiplying by a committed weight matrix: `dense`
(circuits/inference.md section 1) and `conv` (circuits/conv.md, computed by
`zkml.witness_spatial`). The accumulator bound is checked on the actual values."""

from __future__ import annotations

import numpy as np

from zkml.compiler.circuit import Gadget
from zkml.compiler.producers import Conv, Dense
from zkml.quant.rounding import check_bound, exact_matmul
from zkml.witness_ops.base import Context, Extra, maxabs, producer_of
from zkml.witness_spatial import conv_acc

__all__ = ["dense", "conv"]


def dense(ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
    """`acc = x W^T + 2^bias_shift b`."""
    p = producer_of(g, Dense)
    x = ctx.value(p.x)
    w = ctx.matrix(p.weight)
    bound = maxabs(x) * (int(np.abs(w).sum(axis=1).max()) if w.size else 0)
    bias = None
    if p.bias is not None:
        bias = ctx.matrix(p.bias)[0] << np.int64(p.bias_shift)
        bound += maxabs(bias)
    check_bound(bound + (1 << g.shift), f"gadget {g.source}")
    acc = exact_matmul(x, w.T, max(bound, 1))
    return (acc + bias if bias is not None else acc), {}



def conv(ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
    """`acc = sum W X + 2^bias_shift bias[o]` over the padded output (conv.md)."""
    p = producer_of(g, Conv)
    bias = None if p.bias is None else ctx.matrix(p.bias)[0] << np.int64(p.bias_shift)
    return conv_acc(g, ctx.value(p.x), ctx.matrix(p.weight), bias), {}
