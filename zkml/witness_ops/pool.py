"""Witness hooks of the pooling producers, computed by `zkml.witness_spatial` over the
padded spatial layout (circuits/conv.md): `sumpool`, `maxpool`, the general windows
`winsum`, `winmax` (section 5) and `spatialsum` (circuits/nonlinear.md section 2)."""

from __future__ import annotations

import numpy as np

from zkml.compiler.circuit import Gadget, padded_width
from zkml.compiler.producers import MaxPool, WinMax, WinSum
from zkml.witness_ops.base import Context, Extra, producer_of
from zkml.witness_spatial import (
    maxpool_acc,
    spatialsum_acc,
    sumpool_acc,
    winmax_acc,
    winsum_acc,
)

__all__ = ["sumpool", "maxpool", "winsum", "winmax", "spatialsum"]


def _spatial_operand(ctx: Context, g: Gadget, kind: type[MaxPool | WinSum | WinMax]
                     ) -> np.ndarray:
    """The operand, in the padded layout of the producer's `in_shape`."""
    x = ctx.value(g.x)
    assert x.shape[1] == padded_width(producer_of(g, kind).in_shape)
    return x


def sumpool(ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
    """`acc = 2^l sum_w X(window point w)`."""
    return sumpool_acc(g, ctx.value(g.x)), {}


def maxpool(ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
    """The window maximum and its `D_w`, `S_w`."""
    return maxpool_acc(g, _spatial_operand(ctx, g, MaxPool))


def winsum(ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
    """`acc = 2^l sum_t V_t X_t`."""
    return winsum_acc(g, _spatial_operand(ctx, g, WinSum)), {}


def winmax(ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
    """The maximum over the reading taps and its `D_t`, `S_t`."""
    return winmax_acc(g, _spatial_operand(ctx, g, WinMax))


def spatialsum(ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
    """`acc[c] = 2^l sum_s X[c][s]` over the real map."""
    return spatialsum_acc(g, ctx.value(g.x)), {}
