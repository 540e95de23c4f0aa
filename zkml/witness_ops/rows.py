"""Witness of the row producers (circuits/nonlinear.md sections 6, 7, 12): row values
broadcast along a row (group), Softmax's `rowmax` and `rowdiv`."""

from __future__ import annotations

import numpy as np

from zkml.compiler.circuit import Gadget, ceil_log2
from zkml.compiler.producers import RowDiv, RowMax
from zkml.errors import ProverError
from zkml.quant.rounding import check_bound
from zkml.witness_ops.base import Context, Extra, maxabs, producer_of

__all__ = ["row_values", "rowmax_acc", "rowdiv_acc", "rowmax", "rowdiv"]


def row_values(y: np.ndarray, width: int) -> np.ndarray:
    """A row value `y` `(B', pad(G))` broadcast along the low `log2 P` feature positions of
    a `(B', width)` tensor, `P = width / pad(G)` (nonlinear.md sections 6, 12: the value
    of group `g` at every position `i + P g`); a tensor of the full width as it is."""
    return np.repeat(y, width // y.shape[1], axis=1) if y.shape[1] < width else y


def rowmax_acc(g: Gadget, x: np.ndarray) -> tuple[np.ndarray, Extra]:
    """A rowmax gadget (nonlinear.md sections 7, 12) over its operand `x` `(B', width(x))`
    read as `pad(G)` groups of `P` entries: `z[b][g] = max_{i < n} x[b][i + P g]` for every
    padded row and group, `D = mask (z - x)` and `S` one-hot on the first maximum of the
    real entries (zero on padding), both of `x`'s shape."""
    n = producer_of(g, RowMax).n
    groups = 1 << ceil_log2(g.features)
    rows, width = x.shape
    x3 = x.reshape(rows, groups, width // groups)
    sel = x3[:, :, :n].argmax(axis=2)  # numpy returns the first maximum
    z = np.take_along_axis(x3, sel[:, :, None], axis=2)[:, :, 0]
    pos = np.arange(width // groups)
    mask = (pos < n).astype(np.int64)[None, None, :]
    diff = mask * (z[:, :, None] - x3)
    onehot = (pos[None, None, :] == sel[:, :, None]).astype(np.int64)
    return z, {"D": diff.reshape(rows, width), "S": onehot.reshape(rows, width)}


def rowdiv_acc(g: Gadget, x: np.ndarray, y: np.ndarray, where: str = "rowdiv"
               ) -> tuple[np.ndarray, Extra]:
    """A rowdiv gadget (nonlinear.md sections 7, 12): `q = floor((2^(l+1) x + y) / (2 y))`
    over the whole padded tensor, `y` the row value of `x`'s group (broadcast along its
    positions), with `R = 2^(l+1) x + y - 2 y q` and `Rc = 2 y - 1 - R`."""
    lshift = producer_of(g, RowDiv).lshift
    if y.size and int(y.min()) < 1:
        raise ProverError(f"{where}: a row's divisor is {int(y.min())} < 1 (the circuit "
                          "guarantees y >= 1 on every row)")
    y = row_values(y, x.shape[1])
    check_bound((maxabs(x) << (lshift + 1)) + 2 * maxabs(y), where)
    num = (x << np.int64(lshift + 1)) + y
    q = np.floor_divide(num, 2 * y)
    rem = num - 2 * y * q
    return q, {"R": rem, "Rc": 2 * y - 1 - rem}


def rowmax(ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
    """The rowmax hook: `rowmax_acc` of its operand."""
    return rowmax_acc(g, ctx.value(g.x))


def rowdiv(ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
    """The rowdiv hook: `rowdiv_acc` of its operand and row value."""
    p = producer_of(g, RowDiv)
    return rowdiv_acc(g, ctx.value(p.x), ctx.value(p.y), f"gadget {g.source}")
