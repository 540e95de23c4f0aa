"""Witness of the producers gathering several parts: `concat` (circuits/nonlinear.md
section 11) copies each part's real channels (with their padded spatial slabs) to channels
`off_k + c'` of its output, zero past `C`; `rearrange` (circuits/rearrange.md) copies every
real entry of its parts to the position the public index map gives (`rearrange_index`),
zero at the output's padded positions."""

from __future__ import annotations

import numpy as np

from zkml.compiler.circuit import Gadget, ceil_log2
from zkml.compiler.producers import Concat, Rearrange
from zkml.witness_ops.base import Context, Extra, producer_of
from zkml.witness_spatial import padded_dims

__all__ = ["concat_acc", "layout_positions", "rearrange_sources", "rearrange_index",
           "rearrange_acc", "rearrange_logical", "concat", "rearrange"]


def concat_acc(g: Gadget, parts: list[np.ndarray]) -> np.ndarray:
    """A concat gadget (nonlinear.md section 11): channel `off_k + c'` of the output is
    channel `c' < C_k` of part `k` (its whole padded spatial slab), channels `c >= C` are
    0; parts `(B', prod pad(shape_k))`, output `(B', pad(C) prod pad(S))`."""
    p = producer_of(g, Concat)
    shape = p.concat_shape
    pdims = padded_dims(shape)
    out = np.zeros((parts[0].shape[0], *pdims), dtype=np.int64)
    off = 0
    for x, sh in zip(parts, p.shapes, strict=True):
        view = x.reshape(x.shape[0], *padded_dims(sh))
        out[:, off : off + sh[0]] = view[:, : sh[0]]
        off += sh[0]
    return out.reshape(out.shape[0], -1)

def layout_positions(shape: tuple[int, ...]) -> np.ndarray:
    """`pos(i)` for every real entry `i` (logical order) of a rearrange layout
    (circuits/rearrange.md section 1): `i` for a flat `[n]`, else the row-major index
    over the padded dims of the entry's multi-index (conv.md section 1)."""
    if len(shape) == 1:
        return np.arange(shape[0], dtype=np.int64)
    pdims = padded_dims(shape)
    grid = np.arange(int(np.prod(pdims)), dtype=np.int64).reshape(pdims)
    return grid[tuple(slice(0, v) for v in shape)].reshape(-1)

def rearrange_sources(g: Gadget) -> tuple[np.ndarray, np.ndarray]:
    """For every real output entry `j` of a rearrange gadget (logical order), the part
    `k(j)` and the logical index `i(j)` of the part's real entry it takes
    (circuits/rearrange.md section 1): each block's box of the index space, row-major,
    reads `offset + sum_j (o_j - start_j) strides_j`."""
    p = producer_of(g, Rearrange)
    dims = p.dims
    m = len(dims)
    rs = [int(np.prod(dims[j + 1:], dtype=np.int64)) for j in range(m)]
    total = int(np.prod(dims, dtype=np.int64))
    part = np.full(total, -1, dtype=np.int64)
    src = np.zeros(total, dtype=np.int64)
    for b in p.blocks:
        # Broadcast one arange per axis over the box: its output indices and the entries
        # they read, both row-major over the box.
        dst = np.zeros(b.size, dtype=np.int64)
        idx = np.full(b.size, b.offset, dtype=np.int64)
        for j in range(m):
            shape = [1] * m
            shape[j] = b.size[j]
            o = np.arange(b.size[j], dtype=np.int64).reshape(shape)
            dst = dst + (b.start[j] + o) * rs[j]
            idx = idx + o * b.strides[j]
        part[dst.reshape(-1)] = b.part
        src[dst.reshape(-1)] = idx.reshape(-1)
    if (part < 0).any():
        raise AssertionError("rearrange blocks do not cover the index space")
    return part, src

def rearrange_index(g: Gadget) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The public index map of a rearrange gadget (circuits/rearrange.md section 1): for
    every real output entry `j` in logical order, `(dst(j), k(j), pos_k(i(j)))`."""
    p = producer_of(g, Rearrange)
    part, src = rearrange_sources(g)
    # Every part's real positions side by side: part k's logical index i sits at
    # base[k] + i.
    counts = [int(np.prod(sh, dtype=np.int64)) for sh in p.shapes]
    base = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    positions = np.concatenate([layout_positions(sh) for sh in p.shapes])
    return layout_positions(p.out_shape), part, positions[base[part] + src]

def rearrange_acc(g: Gadget, parts: list[np.ndarray]) -> np.ndarray:
    """A rearrange gadget's acc (circuits/rearrange.md section 2) over the padded output
    `(B', pad(features))`: `acc[b][dst(j)] = X_k(j)[b][pos(i(j))]`, 0 at padded positions;
    `parts` are the parts' padded tables `(B', width_k)`."""
    dst, part, pos = rearrange_index(g)
    shapes = producer_of(g, Rearrange).shapes
    widths = [v[0] if len(v) == 1 else int(np.prod(padded_dims(v))) for v in shapes]
    # Only the first width_k columns of a part are its tensor (a flat part's table may be
    # wider when padded to a power of two elsewhere).
    table = np.concatenate([x[:, :w] for x, w in zip(parts, widths, strict=True)], axis=1)
    base = np.concatenate([[0], np.cumsum(widths)]).astype(np.int64)
    # The table is padded to pad(features) like every gadget's (a flat [n] output too).
    out = np.zeros((table.shape[0], 1 << ceil_log2(g.features)), dtype=np.int64)
    out[:, dst] = table[:, base[part] + pos]
    return out

def rearrange_logical(g: Gadget, parts: list[np.ndarray]) -> np.ndarray:
    """A rearrange's real entries `(n, prod out_shape)` in logical order from its parts'
    real entries `(n, prod shape_k)` in logical order: output entry `j` is part `k(j)`'s
    entry `i(j)` (circuits/rearrange.md section 1, independently of the layouts)."""
    part, src = rearrange_sources(g)
    counts = [x.shape[1] for x in parts]
    base = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return np.concatenate(parts, axis=1)[:, base[part] + src]


def concat(ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
    """The concat hook: `concat_acc` of its parts."""
    return concat_acc(g, [ctx.value(p) for p in g.producer.operands()]), {}


def rearrange(ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
    """The rearrange hook: `rearrange_acc` of its parts."""
    return rearrange_acc(g, [ctx.value(p) for p in g.producer.operands()]), {}
