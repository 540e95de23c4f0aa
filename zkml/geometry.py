"""Window geometry shared by convolution and pooling, for floats and integers alike.

The float reference and the integer executor of each windowed op (zkml.quant.ops) use
the same window extraction, so they differ only in arithmetic; this module imports
neither zkml.quant nor zkml.onnx_import. Windows are
gathered with one strided slice per kernel offset (a loop over the kernel, never over
elements).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "WindowGeometry", "conv_geometry", "pool_geometry", "windows", "conv_nd", "avgpool_divisor",
]


@dataclass(frozen=True)
class WindowGeometry:
    """Sliding-window layout over the trailing spatial axes of an (N, C, *spatial) array."""

    spatial: tuple[int, ...]
    kernel: tuple[int, ...]
    strides: tuple[int, ...]
    pads_begin: tuple[int, ...]
    pads_end: tuple[int, ...]
    dilations: tuple[int, ...]
    out: tuple[int, ...]

    @property
    def kernel_size(self) -> int:
        return int(np.prod(self.kernel))


def _extent(k: int, d: int) -> int:
    return (k - 1) * d + 1


def conv_geometry(
    spatial: Sequence[int],
    kernel: Sequence[int],
    strides: Sequence[int],
    pads: Sequence[int],
    dilations: Sequence[int],
) -> WindowGeometry:
    """Geometry of an ONNX Conv (explicit pads `[b_1..b_n, e_1..e_n]`, floor rounding)."""
    n = len(spatial)
    pb, pe = tuple(pads[:n]), tuple(pads[n:])
    out = tuple(
        (spatial[i] + pb[i] + pe[i] - _extent(kernel[i], dilations[i])) // strides[i] + 1
        for i in range(n)
    )
    if min(out) <= 0:
        raise ValueError(f"kernel {tuple(kernel)} does not fit input {tuple(spatial)}")
    return WindowGeometry(
        tuple(spatial), tuple(kernel), tuple(strides), pb, pe, tuple(dilations), out
    )


def pool_geometry(
    spatial: Sequence[int],
    kernel: Sequence[int],
    strides: Sequence[int],
    pads: Sequence[int],
    dilations: Sequence[int],
    ceil_mode: bool,
) -> WindowGeometry:
    """Geometry of ONNX MaxPool/AveragePool; with ceil_mode a last partial window counts
    only if it starts inside the input or its left padding (as ONNX and PyTorch do)."""
    n = len(spatial)
    pb, pe = tuple(pads[:n]), tuple(pads[n:])
    out = []
    for i in range(n):
        span = spatial[i] + pb[i] + pe[i] - _extent(kernel[i], dilations[i])
        o = (-(-span // strides[i]) if ceil_mode else span // strides[i]) + 1
        if ceil_mode and (o - 1) * strides[i] >= spatial[i] + pb[i]:
            o -= 1
        out.append(o)
    if min(out) <= 0:
        raise ValueError(f"pool window {tuple(kernel)} does not fit input {tuple(spatial)}")
    return WindowGeometry(
        tuple(spatial), tuple(kernel), tuple(strides), pb, pe, tuple(dilations), tuple(out)
    )


def windows(x: np.ndarray, g: WindowGeometry, pad_value) -> np.ndarray:
    """Gather windows: (N, C, *spatial) -> (N, C, *out, K), K = prod(kernel) in C order.

    Positions outside the input (padding, and the overhang of ceil-mode windows) hold
    `pad_value`.
    """
    n = len(g.spatial)
    lead = x.shape[: x.ndim - n]
    # Enough room at the end for every window, including ceil-mode overhang.
    need = [
        (g.out[i] - 1) * g.strides[i] + _extent(g.kernel[i], g.dilations[i])
        for i in range(n)
    ]
    ends = [max(need[i] - g.pads_begin[i] - g.spatial[i], 0) for i in range(n)]
    width = [(0, 0)] * len(lead) + [(g.pads_begin[i], ends[i]) for i in range(n)]
    xp = np.pad(x, width, mode="constant", constant_values=pad_value)
    cols = []
    for offs in itertools.product(*(range(k) for k in g.kernel)):
        idx = tuple(
            slice(
                offs[i] * g.dilations[i],
                offs[i] * g.dilations[i] + (g.out[i] - 1) * g.strides[i] + 1,
                g.strides[i],
            )
            for i in range(n)
        )
        cols.append(xp[(Ellipsis, *idx)])
    return np.stack(cols, axis=-1)


def conv_nd(x: np.ndarray, w: np.ndarray, g: WindowGeometry, group: int, matmul) -> np.ndarray:
    """Grouped N-d convolution without bias: (N, C, *sp) * (M, C/group, *k) -> (N, M, *out).

    `matmul(a, b)` performs the products, so the integer executor can pass its exact,
    overflow-checked matmul and the float reference plain numpy.
    """
    n_batch, c = x.shape[:2]
    m = w.shape[0]
    cg, mg = c // group, m // group
    win = windows(x, g, 0)  # (N, C, *out, K)
    p = int(np.prod(g.out))
    k = g.kernel_size
    cols = win.reshape(n_batch, group, cg, p, k).transpose(0, 1, 3, 2, 4)
    cols = cols.reshape(n_batch, group, p, cg * k)
    wm = w.reshape(group, mg, cg * k).transpose(0, 2, 1)  # (G, Cg*K, Mg)
    out = matmul(cols, wm)  # (N, G, P, Mg)
    return out.transpose(0, 1, 3, 2).reshape(n_batch, m, *g.out)


def avgpool_divisor(g: WindowGeometry, count_include_pad: bool) -> np.ndarray:
    """Per-window element count, shape (*out), int64: the real elements only, or with
    count_include_pad also the explicit padding (never the ceil-mode overhang beyond the
    padding; onnxruntime counts the same way)."""
    n = len(g.spatial)
    if count_include_pad:
        padded = tuple(g.spatial[i] + g.pads_begin[i] + g.pads_end[i] for i in range(n))
        g = WindowGeometry(padded, g.kernel, g.strides, (0,) * n, (0,) * n, g.dilations, g.out)
        ones = np.ones((1, 1, *padded), dtype=np.int64)
    else:
        ones = np.ones((1, 1, *g.spatial), dtype=np.int64)
    return windows(ones, g, 0).sum(axis=-1)[0, 0]
