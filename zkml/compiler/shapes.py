"""Tensor layouts shared by the compiler's handlers (circuits/conv.md section 1).

The padded layout of a spatial tensor and where a flat operand's columns land in it,
and the 2-D layout `(C*D, H, W)` that holds a volume `(N, C, D, H, W)`. Pure shape
arithmetic: it imports no handler module, so every handler (`combine`, `rearrange`,
`spatial`, `volume`) can build on it without an import cycle.
"""

from __future__ import annotations

import numpy as np

from zkml.compiler.circuit import ceil_log2, padded_width
from zkml.compiler.state import Layout

__all__ = ["padded_index", "scatter_columns", "is_volume", "volume_layout"]


def padded_index(shape: tuple[int, ...]) -> np.ndarray:
    """For each entry of a `shape` tensor in ONNX (C) order, its index in the padded
    layout `s_2 + pad(S_2) (s_1 + pad(S_1) c)` (conv.md section 1)."""
    grid = np.indices(shape).reshape(len(shape), -1)
    idx = np.zeros(grid.shape[1], dtype=np.int64)
    for axis, dim in enumerate(shape):
        idx = idx * (1 << ceil_log2(dim)) + grid[axis]
    return idx


def scatter_columns(wt: np.ndarray, layout: Layout) -> np.ndarray:
    """A dense weight `(n_out, n_x)` whose columns follow a flattened spatial operand
    (ONNX order `c*H*W + h*W + w`), scattered into the operand's padded layout with zeros
    elsewhere; unchanged for a flat operand."""
    if layout is None:
        return wt
    out = np.zeros((wt.shape[0], padded_width(layout)), dtype=np.int64)
    out[:, padded_index(layout)] = wt
    return out


def is_volume(shape: tuple[int, ...]) -> bool:
    """An `(N, C, D, H, W)` tensor."""
    return len(shape) == 5


def volume_layout(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """The layout `(C*D, H, W)` of an `(N, C, D, H, W)` tensor."""
    _, c, d, h, w = (int(v) for v in shape)
    return (c * d, h, w)
