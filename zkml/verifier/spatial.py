"""Spatial tensors (conv.md section 1): padded layouts, the shaped public input's MLE,
and the parameters of the conv and pooling producers.

A spatial tensor `[C, S_1(, S_2)]` is stored over its padded dims, last axis lowest:
`f = s_2 + pad(S_2) (s_1 + pad(S_1) c)`, so a point is `(r_{S_2}, r_{S_1}, r_c, r_b)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zkml.verifier.field import R, eq_table
from zkml.verifier.layout import log2_ceil
from zkml.verifier.wiring import Axis

__all__ = ["pad", "padded_size", "ConvSpec", "PoolSpec", "WindowSpec", "split_point",
           "input_mle"]


def pad(v: int) -> int:
    """pad(v) = 2^ceil(log2 v)."""
    return 1 << log2_ceil(v)


def padded_size(dims: Sequence[int]) -> int:
    """prod pad(dims): the width of a tensor with these dims."""
    out = 1
    for d in dims:
        out *= pad(d)
    return out


@dataclass(frozen=True)
class ConvSpec:
    """A validated conv producer: dims `[C, S..]` -> `[O, T..]`, one wiring axis per
    spatial axis (ONNX order)."""

    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    kernel: tuple[int, ...]
    axes: tuple[Axis, ...]

    @property
    def log_channels(self) -> int:
        """log2 pad(C)."""
        return log2_ceil(self.in_shape[0])

    @property
    def num_vars(self) -> int:
        """Variables of the conv's sumcheck instance: x'.., j.., c."""
        return (sum(log2_ceil(s) for s in self.in_shape[1:])
                + sum(log2_ceil(k) for k in self.kernel) + self.log_channels)


@dataclass(frozen=True)
class PoolSpec:
    """A validated sumpool / maxpool producer: window = stride = `window[a]`, powers of two."""

    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    window: tuple[int, ...]
    lshift: int = 0
    diff_bits: int = 0

    @property
    def windows(self) -> int:
        """Number of window offsets, prod K_a."""
        out = 1
        for k in self.window:
            out *= k
        return out

    def offsets(self) -> list[tuple[int, ...]]:
        """Window offsets (w_1(, w_2)) in order, the last axis fastest."""
        out: list[tuple[int, ...]] = [()]
        for k in self.window:
            out = [(*o, w) for o in out for w in range(k)]
        return out

    def window_point(self, r_g: Sequence[int], offset: Sequence[int]) -> list[int]:
        """The input point read by window `offset` at the output point `r_g` (conv.md 3):
        per axis (last first) bits(w_a) || r_{T_a} || zeros up to log2 pad(S_a), then
        r_c, r_b."""
        point: list[int] = []
        pos = 0
        for a in reversed(range(len(self.window))):
            kb = log2_ceil(self.window[a])
            tb = log2_ceil(self.out_shape[a + 1])
            sb = log2_ceil(self.in_shape[a + 1])
            point += [(offset[a] >> j) & 1 for j in range(kb)]
            point += r_g[pos : pos + tb]
            point += [0] * (sb - kb - tb)
            pos += tb
        return point + list(r_g[pos:])


def split_point(point: Sequence[int], sizes: Sequence[int]) -> list[list[int]]:
    """Cut `point` into consecutive parts of the given lengths (the rest is a last part)."""
    out, pos = [], 0
    for n in sizes:
        out.append(list(point[pos : pos + n]))
        pos += n
    out.append(list(point[pos:]))
    return out


def input_mle(vals: Sequence[int], batch: int, features: int,
              shape: tuple[int, ...] | None, point: Sequence[int]) -> int:
    """MLE at `point` of the public input (B rows of `features` ints, ONNX order, unpadded)
    zero-padded to the batch, and for a shaped input laid out over the padded spatial
    layout (conv.md 1); flat inputs pad the features to a power of two."""
    dims = (features,) if shape is None else shape
    parts = split_point(point, [log2_ceil(d) for d in reversed(dims)])
    tables = [eq_table(p) for p in parts[:-1]]  # last axis first
    eb = eq_table(parts[-1])
    # weights over the unpadded row-major index: the last axis varies fastest
    weights = [1]
    for d, tab in zip(dims, reversed(tables), strict=True):
        weights = [w * e % R for w in weights for e in tab[:d]]
    total = 0
    for b in range(batch):
        row = vals[b * features : (b + 1) * features]
        total += eb[b] * (sum(v * e for v, e in zip(row, weights, strict=True)) % R)
    return total % R


@dataclass(frozen=True)
class WindowSpec:
    """A validated winsum / winmax producer (conv.md section 5): dims `[C, S..]` ->
    `[C, T..]`, one wiring axis per spatial axis (ONNX order), window taps in place of
    kernel taps."""

    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    kernel: tuple[int, ...]
    axes: tuple[Axis, ...]
    lshift: int = 0
    diff_bits: int = 0

    @property
    def taps(self) -> int:
        """Number of taps, prod K_a."""
        out = 1
        for k in self.kernel:
            out *= k
        return out

    @property
    def in_vars(self) -> int:
        """sum_a log2 pad(S_a): the variables (x'.., y'..) of winsum / winmax (b)."""
        return sum(log2_ceil(s) for s in self.in_shape[1:])

    @property
    def out_vars(self) -> int:
        """sum_a log2 pad(T_a): the variables (x.., y..) of winmax (a)."""
        return sum(log2_ceil(t) for t in self.out_shape[1:])
