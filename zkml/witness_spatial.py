"""Witness of the spatial gadgets (circuits/conv.md), vectorised with numpy.

Tensors are `(B', width)` int64 arrays whose feature index is the padded spatial layout
`s_2 + pad(S_2) (s_1 + pad(S_1) c)`. Every function computes the gadget's relation over
the WHOLE padded tensor, as the spec states it:

- `conv`: `acc = sum W X + 2^d bias[o]` where the wiring reads only real input
  positions and real output positions (a padded output position `y >= T_a` gets
  `2^d bias[o]`, a padded output channel 0; padded input channels meet zero weights);
- `sumpool`: `acc = 2^l sum_w X(window point w)` at every padded output position,
  reading padded input entries where the window points there;
- `maxpool`: `z = max_w X(window w)`, `D_w = z - X_w`, `S` one-hot on the first
  maximum, at padded positions too;
- `winsum` / `winmax` (conv.md section 5): tap `t = (i(, j))` (last axis fastest) of
  output `(c, y(, x))` reads input `(c, s y + d i - p(, ...))` when that lies inside the
  input and the output is real (`y < T_a`); `V_t` is 1 then, else 0. `winsum`:
  `acc = 2^l sum_t V_t X_t`. `winmax`: `z` the maximum over the reading taps,
  `D_t = V_t (z - X_t)`, `S_t` one-hot on the first maximum among the reading taps;
  where no tap reads (a padded output position, outside the real region `Rg`) `z = 0`
  and every `D_t`, `S_t` is 0 (`sum_t S_t = Rg`, `z (1 - Rg) = 0`);
- `spatialsum` (circuits/nonlinear.md section 2): `acc[b][c] = 2^l sum_{s_a < S_a} X`
  over the real map only, for every padded row and channel (a flat `(B', pad(C))` tensor).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

from zkml.geometry import WindowGeometry, conv_nd
from zkml.quant.rounding import check_bound, exact_matmul

if TYPE_CHECKING:
    from zkml.compiler.circuit import Gadget

__all__ = ["padded_dims", "layout_input", "real_region", "conv_acc", "sumpool_acc",
           "maxpool_acc", "window_taps", "winsum_acc", "winmax_acc", "spatialsum_acc"]


def padded_dims(shape: tuple[int, ...]) -> tuple[int, ...]:
    """`pad(v)` of each dim: the least power of two `>= v` (conv.md section 1)."""
    # (`1 << ceil_log2(v)`, written out: this module imports nothing of `zkml.compiler`
    # at run time, as the gadget modules of `zkml.compiler.producers` import it.)
    return tuple(1 << max(v - 1, 0).bit_length() for v in shape)


def layout_input(x: np.ndarray, shape: tuple[int, ...], rows: int) -> np.ndarray:
    """Rows of ONNX-order inputs `(B, prod shape)` -> the padded spatial layout
    `(rows, prod pad(shape))`, zero elsewhere (padded batch rows included)."""
    out = np.zeros((rows, *padded_dims(shape)), dtype=np.int64)
    out[(slice(0, x.shape[0]), *(slice(0, v) for v in shape))] = x.reshape(-1, *shape)
    return out.reshape(rows, -1)


def real_region(z: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The real entries of padded-layout rows `(n, width)` in ONNX order `(n, prod shape)`."""
    view = z.reshape(z.shape[0], *padded_dims(shape))
    return view[(slice(None), *(slice(0, v) for v in shape))].reshape(z.shape[0], -1)


def _maxabs(a: np.ndarray) -> int:
    return int(np.abs(a).max()) if a.size else 0


def conv_acc(g: Gadget, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None
             ) -> np.ndarray:
    """The conv accumulator over the padded output `(B', features)`.

    `weight` is the padded stack matrix `(rows', pad(C) prod pad(K))`, `bias` the padded
    bias row (already shifted by `bias_shift`) or None.
    """
    p = g.producer
    rows = x.shape[0]
    c, o = p.in_shape[0], p.out_shape[0]
    n = len(p.kernel)
    xs = x.reshape(rows, *padded_dims(p.in_shape))
    xs = xs[(slice(None), slice(0, c), *(slice(0, v) for v in p.in_shape[1:]))]
    w = weight[:o].reshape(o, *padded_dims((c, *p.kernel)))
    w = w[(slice(None), slice(0, c), *(slice(0, k) for k in p.kernel))]
    bound = _maxabs(xs) * (int(np.abs(w).reshape(o, -1).sum(axis=1).max()) if w.size else 0)
    if bias is not None:
        bound += _maxabs(bias)
    check_bound(bound + (1 << g.shift), f"gadget {g.source}")
    # End pads only set T_a; `windows` pads the end as far as the output needs.
    geom = WindowGeometry(tuple(p.in_shape[1:]), tuple(p.kernel), tuple(p.strides),
                          tuple(p.pads), (0,) * n, tuple(p.dilations), tuple(p.out_shape[1:]))
    real = conv_nd(xs, w, geom, 1, lambda a, b: exact_matmul(a, b, max(bound, 1)))
    acc = np.zeros((rows, *padded_dims(p.out_shape)), dtype=np.int64)
    if bias is not None:
        acc += bias[: acc.shape[1]].reshape((1, -1) + (1,) * n)
    acc[(slice(None), slice(0, o), *(slice(0, t) for t in p.out_shape[1:]))] += real
    return acc.reshape(rows, -1)


def _windows(g: Gadget, x: np.ndarray) -> np.ndarray:
    """Window entries at every padded output position: `(B', pC, pT.., K)`, window index
    `w_2 + K_2 w_1` (last axis fastest). Output `(c, y, x)` reads input
    `(c, K_1 y + w_1, K_2 x + w_2)`, inside the padded input since `K_a pad(T_a) <= pad(S_a)`."""
    p = g.producer
    rows = x.shape[0]
    pin, pout = padded_dims(p.in_shape), padded_dims(p.out_shape)
    xs = x.reshape(rows, *pin)
    cut = xs[(slice(None), slice(None), *(slice(0, k * t) for k, t in
                                          zip(p.window, pout[1:], strict=True)))]
    split = [rows, pin[0]]
    for k, t in zip(p.window, pout[1:], strict=True):
        split += [t, k]
    win = cut.reshape(split)
    n = len(p.window)
    order = [0, 1, *(2 + 2 * a for a in range(n)), *(3 + 2 * a for a in range(n))]
    return win.transpose(order).reshape(rows, *pout, p.windows)


def sumpool_acc(g: Gadget, x: np.ndarray) -> np.ndarray:
    """`acc = 2^l sum_w X(window point w)` over the padded output `(B', features)`."""
    p = g.producer
    check_bound((_maxabs(x) * p.windows << p.lshift) + (1 << g.shift), f"gadget {g.source}")
    total = _windows(g, x).sum(axis=-1)
    return (total << np.int64(p.lshift)).reshape(x.shape[0], -1)


def window_taps(g: Gadget, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tap values and reading masks of a winsum / winmax gadget at every padded output
    position: `X` `(B', pC, pT.., K)` (0 where the tap reads nothing) and `V` `(pT.., K)`
    (bool), taps `t = j + K_2 i` (last axis fastest, conv.md section 5)."""
    p = g.producer
    rows = x.shape[0]
    pin, pout = padded_dims(p.in_shape), padded_dims(p.out_shape)
    xs = x.reshape(rows, *pin)
    n = len(p.kernel)
    # Per axis and per kernel offset: input index of each padded output, and whether it reads.
    axes = []
    for a in range(n):
        y = np.arange(pout[1 + a])
        per = []
        for i in range(p.kernel[a]):
            pos = p.strides[a] * y + p.dilations[a] * i - p.pads[a]
            ok = (pos >= 0) & (pos < p.in_shape[1 + a]) & (y < p.out_shape[1 + a])
            per.append((np.where(ok, pos, 0), ok))
        axes.append(per)
    vals, masks = [], []
    for offs in itertools.product(*(range(k) for k in p.kernel)):
        idx = [axes[a][offs[a]][0] for a in range(n)]
        ok = [axes[a][offs[a]][1] for a in range(n)]
        grid = np.ix_(*idx)
        mask = np.ones(pout[1:], dtype=bool)
        for a in range(n):
            shape = [1] * n
            shape[a] = -1
            mask = mask & ok[a].reshape(shape)
        vals.append(np.where(mask, xs[(slice(None), slice(None), *grid)], 0))
        masks.append(mask)
    return np.stack(vals, axis=-1), np.stack(masks, axis=-1)


def winsum_acc(g: Gadget, x: np.ndarray) -> np.ndarray:
    """`acc = 2^l sum_t V_t X_t` over the padded output `(B', features)`."""
    p = g.producer
    check_bound((_maxabs(x) * p.taps << p.lshift) + g.divisor + (1 << g.shift),
                f"gadget {g.source}")
    vals, _ = window_taps(g, x)
    return (vals.sum(axis=-1) << np.int64(p.lshift)).reshape(x.shape[0], -1)


def winmax_acc(g: Gadget, x: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The maximum `z` over the reading taps (winmax's acc: shift 0, no excess) and its
    extra committed values `D_t = V_t (z - X_t)`, `S_t` one-hot on the first maximum among
    the reading taps.

    Where no tap reads (the padded output positions `y >= T_a`, outside the real region
    `Rg`), `z = 0` and every `D_t`, `S_t` is 0: conv.md section 5's `sum_t S_t = Rg` and
    `z (1 - Rg) = 0` (the compiler keeps 0 inside the gadget's clamp range). Every real
    output has a reading tap (the compiler refuses windows reading only padding).
    """
    p = g.producer
    vals, mask = window_taps(g, x)
    rows = x.shape[0]
    below = np.int64(min(g.lo, int(vals.min()) if vals.size else 0) - 1)
    cand = np.where(mask, vals, below)
    sel = cand.argmax(axis=-1)  # numpy returns the first maximum
    reads = mask.any(axis=-1)
    z = np.take_along_axis(cand, sel[..., None], axis=-1)[..., 0]
    z = np.where(reads, z, np.int64(0))
    diff = np.where(mask, z[..., None] - vals, 0).reshape(rows, -1, p.taps)
    onehot = (sel[..., None] == np.arange(p.taps)) & reads[..., None]
    onehot = onehot.astype(np.int64).reshape(rows, -1, p.taps)
    extra = {}
    for t in range(p.taps):
        extra[f"D{t}"] = diff[:, :, t]
    for t in range(p.taps):
        extra[f"S{t}"] = onehot[:, :, t]
    return z.reshape(rows, -1), extra


def spatialsum_acc(g: Gadget, x: np.ndarray) -> np.ndarray:
    """`acc[b][c] = 2^l sum_{s_a < S_a} X[b][c][s..]` for every row and every padded channel
    `c < pad(C)` of the flat output `(B', pad(C))`; padded spatial entries are not read."""
    p = g.producer
    rows = x.shape[0]
    area = 1
    for v in p.in_shape[1:]:
        area *= v
    check_bound((_maxabs(x) * area << p.lshift) + g.divisor + (1 << g.shift),
                f"gadget {g.source}")
    xs = x.reshape(rows, *padded_dims(p.in_shape))
    real = xs[(slice(None), slice(None), *(slice(0, v) for v in p.in_shape[1:]))]
    total = real.reshape(rows, real.shape[1], -1).sum(axis=-1)
    return total << np.int64(p.lshift)


def maxpool_acc(g: Gadget, x: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The window maximum `z` (the maxpool's acc, shift 0) and its extra committed values:
    `D_w = z - X_w` and the one-hot selector `S_w` of the first maximum."""
    p = g.producer
    win = _windows(g, x)
    rows = x.shape[0]
    sel = win.argmax(axis=-1)  # numpy returns the first maximum
    z = np.take_along_axis(win, sel[..., None], axis=-1)
    diff = (z - win).reshape(rows, -1, p.windows)
    onehot = (sel.reshape(rows, -1, 1) == np.arange(p.windows)).astype(np.int64)
    extra = {}
    for w in range(p.windows):
        extra[f"D{w}"] = diff[:, :, w]
        extra[f"S{w}"] = onehot[:, :, w]
    return z.reshape(rows, -1), extra

