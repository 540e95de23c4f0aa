"""Moving entries between layouts: ONNX Transpose, Reshape into another layout, Concat
along any axis, and the flat copy of a spatial output -> `rearrange` gadgets
(circuits/rearrange.md).

A tensor's real entries, per batch row, are listed in **logical order** (row-major over
its layout's real dims); for every IR tensor that is its ONNX order over the non-batch
axes, whatever layout holds it (a flat `[n]`, a spatial `(C, S..)`, or a spatial layout
of a flattened tensor). So a reshape never reorders entries: it only changes the layout
the consumers need. A transpose and a concat reorder them; `move` emits the gadget for
any of these (one block per part). `broadcast` spreads a tensor over more axes (stride 0
on the broadcast axes: a per-channel gate over a map, for `mul` and `add`), and
`choose` takes each entry from one of several same-shaped tensors by region (one block
per box of a constant choice).

- `transpose` keeping the batch axis first -> `rearrange` of one part (a transpose that
  moves only size-1 axes reorders nothing and is bookkeeping, like a reshape);
- `reshape` keeping the row count: bookkeeping when the tensor's layout serves its
  readers (a flatten of a spatial tensor, a flat tensor staying flat, a spatial tensor
  keeping its shape, or any tensor read only by reshapes and transposes); otherwise ->
  `rearrange` into the layout its readers need (spatial `(C, S..)` for an `(N, C, S..)`
  tensor that ops other than reshapes and transposes read, flat otherwise);
- `concat` along the channels or features of parts held in their own layouts -> the
  `concat` gadget (`zkml.compiler.combine`, cheaper to verify); along any other non-batch
  axis, or of parts in other layouts (a flattened spatial tensor with a flat one, a
  padded flat concat) -> `rearrange` with one part per input;
- the model's output, when it is held in a spatial or padded layout -> `flat_output`
  appends a `rearrange` to the flat `[n]` layout (the statement carries ONNX order,
  unpadded).

Every gadget has shift 0, divisor 1, no excess and the clamp range `[lo, hi]` covering
every part's range and 0 (padded output positions hold 0), so `z = acc`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from zkml.compiler import combine
from zkml.compiler.circuit import (
    MAX_FEATURES,
    MAX_REARRANGE_BLOCKS,
    MAX_REARRANGE_PARTS,
    MAX_REARRANGE_STRIDE,
    MAX_VIEW_DIMS,
    Block,
    ceil_log2,
    padded_width,
)
from zkml.compiler.producers import Rearrange
from zkml.compiler.shapes import volume_layout
from zkml.compiler.state import Layout, State, refuse
from zkml.quant.ir import QOp, QTensor

__all__ = ["HANDLERS", "move", "hold", "repeat_flat", "fuse_relabels", "broadcast",
           "broadcast_like", "broadcast_both", "choose", "boxes", "part_shape",
           "target_layout", "flat_output", "gather_input", "concat_flat"]

#: Readers that take a tensor in whatever layout holds it (they only relabel or move).
_MOVERS = ("reshape", "transpose")


def _count(shape: tuple[int, ...] | list[int]) -> int:
    return int(np.prod(shape, dtype=np.int64)) if len(shape) else 1


def _layout_width(shape: tuple[int, ...]) -> int:
    """`width` of a rearrange layout: `n` for a flat `[n]`, else `prod pad(shape)`."""
    return shape[0] if len(shape) == 1 else padded_width(shape)


def part_shape(s: State, op: QOp, name: str) -> tuple[int, ...]:
    """The rearrange layout (`[n]` or `[C, S..]`) of IR tensor `name` as it is held,
    checking that its gadget's width fits it. A padded flat tensor (layout `(C,)`, a
    concat's `pad(C)` features) is `[C, 1]`: the same positions."""
    t = s.model.tensor(name)
    ref = s.ref(op, name)
    if not t.shape or t.shape[0] != s.rows:
        raise refuse(op, f"tensor {name!r} has shape {list(t.shape)}; expected {s.rows} "
                         "row(s)")
    count = _count(t.shape[1:])
    layout = s.layout(name)
    if layout is None:
        shape: tuple[int, ...] = (count,)
    elif len(layout) == 1:
        shape = (int(layout[0]), 1)
    else:
        shape = tuple(int(v) for v in layout)
    if _count(shape) != count or s.width(ref) != _layout_width(shape):
        raise refuse(op, f"tensor {name!r} of shape {list(t.shape)} is held in {s.width(ref)} "
                         f"features, which do not fit the layout {list(shape)}")
    return shape


def _readers(s: State, name: str) -> list[QOp]:
    return [op for op in s.model.ops if name in op.inputs]


def _takes_any_layout(s: State, op: QOp, name: str) -> bool:
    """`op` reads `name` in whatever layout holds it: a reshape, a transpose, a concat
    along an axis other than the channels, or a `mul` / `add` that broadcasts it (a
    rearrange gadget reads it)."""
    if op.op == "concat":
        rank = len(s.model.tensor(op.output).shape)
        return rank > 0 and int(op.attrs["axis"]) % rank != 1
    if op.op in ("mul", "add") and len(op.inputs) == 2 and \
            not any(n in s.model.constants for n in op.inputs):
        shape = s.model.tensor(name).shape
        return len(shape) > 2 and shape != s.model.tensor(op.output).shape
    return op.op in _MOVERS


def _only_moved(s: State, name: str) -> bool:
    """Nothing but ops that take any layout reads `name`."""
    return all(_takes_any_layout(s, op, name) for op in _readers(s, name))


def target_layout(s: State, out: QTensor) -> Layout:
    """The layout a moved tensor `out` should be held in: spatial `(C, S..)` when it is an
    `(N, C, S..)` tensor with a 1-D or 2-D map that some op other than a reshape, a
    transpose or a concat along a non-channel axis reads (convolutions, pooling,
    elementwise ops, channel concats keep or need it), flat otherwise (cheaper: no
    padding; a dense layer reads it as it is)."""
    if len(out.shape) not in (3, 4, 5) or out.name in s.model.outputs.values() or \
            not _readers(s, out.name) or _only_moved(s, out.name):
        return None
    # A volume (N, C, D, H, W) is held as (C*D, H, W) (zkml.compiler.volume).
    layout = volume_layout(out.shape) if len(out.shape) == 5 else \
        tuple(int(v) for v in out.shape[1:])
    return layout if padded_width(layout) <= MAX_FEATURES else None


def _row_strides(dims: tuple[int, ...]) -> tuple[int, ...]:
    """Row-major strides of `dims` (the last axis fastest)."""
    return tuple(_count(dims[j + 1:]) for j in range(len(dims)))


def _emit(s: State, op: QOp, srcs: list[str], dims: tuple[int, ...], blocks: list[Block],
          out_layout: Layout, out: QTensor | None,
          held: tuple[list[int], tuple[int, ...]] | None = None) -> int:
    """Append a `rearrange` gadget of the parts `srcs` with the index space `dims` tiled by
    `blocks`, checking what circuits/rearrange.md section 1 asks of them (the tiling is
    the callers' construction; the strict parser re-checks it on the round trip).
    `held = (gadgets, shape)` names the parts by gadget instead (intermediates with no
    IR tensor of their own, all in the layout `shape`); `srcs` then only names them."""
    if not 1 <= len(srcs) <= MAX_REARRANGE_PARTS:
        raise refuse(op, f"{len(srcs)} parts; 1 to {MAX_REARRANGE_PARTS} are supported")
    if held is None:
        shapes = tuple(part_shape(s, op, name) for name in srcs)
    else:
        shapes = tuple(held[1] for _ in srcs)
    if not 1 <= len(dims) <= MAX_VIEW_DIMS:
        raise refuse(op, f"the entries are moved as a tensor of {len(dims)} axes; 1 to "
                         f"{MAX_VIEW_DIMS} are supported")
    if not 1 <= len(blocks) <= MAX_REARRANGE_BLOCKS:
        raise refuse(op, f"the move takes {len(blocks)} blocks; at most "
                         f"{MAX_REARRANGE_BLOCKS} are supported")
    total = _count(dims)
    out_shape = (total,) if out_layout is None else tuple(int(v) for v in out_layout)
    if len(out_shape) not in (1, 2, 3) or _count(out_shape) != total:
        raise refuse(op, f"the output layout {list(out_shape)} does not hold {total} entries")
    for sh in (*shapes, out_shape):
        if (1 << ceil_log2(sh[0]) if len(sh) == 1 else padded_width(sh)) > MAX_FEATURES:
            raise refuse(op, f"the layout {list(sh)} is wider than 2^20 features")
    for b in blocks:
        if b.corner >= _count(shapes[b.part]):
            raise refuse(op, f"a block reads entry {b.corner} of {srcs[b.part]!r}, which "
                             f"has {_count(shapes[b.part])}")
        if max(b.offset, *b.strides) >= MAX_REARRANGE_STRIDE:
            raise refuse(op, "a block's offset or stride reaches 2^31")
    parts = tuple(s.ref(op, name) for name in srcs) if held is None else tuple(held[0])
    lo = min(0, *(s.clamp_range(p)[0] for p in parts))
    hi = max(0, *(s.clamp_range(p)[1] for p in parts))
    frac = (out if out is not None else s.model.tensor(srcs[0])).frac_bits
    producer = Rearrange(parts, tuple(shapes), out_shape=out_shape, dims=tuple(dims),
                         blocks=tuple(blocks))
    s.gadgets.append(dict(producer=producer, features=_layout_width(out_shape), shift=0,
                          lo=lo, hi=hi, frac_bits=frac, source=op.source or op.name,
                          bound=max(-lo, hi), layout=out_layout, excess=(0, 0)))
    index = len(s.gadgets) - 1
    if out is None:
        # Mapped onto the tensor its first part's gadget holds (which the witness check
        # recognises as a move; srcs[0] may be a relabelling of it, e.g. a reshape).
        s.tips.append(s.tensor_of(parts[0]))
    else:
        s.tips.append(out.name)
        s.refs[out.name] = index
        s.layouts[out.name] = out_layout
    return index


def move(s: State, op: QOp, srcs: list[str], views: list[tuple[int, ...]], axis: int,
         perm: tuple[int, ...] | list[int], out_layout: Layout,
         out: QTensor | None = None) -> int:
    """Append a `rearrange` gadget (circuits/rearrange.md) concatenating and transposing
    its parts, and return its index: one block per part, at the part's running offset
    along the concatenation axis, reading it with the row-major strides of its view.

    Args:
        s: the compiler state.
        op: the IR op the gadget implements (named in refusals and as the source).
        srcs: the IR tensors of the parts, 1 to 64, each held as `part_shape` says.
        views: per part, its per-row entries (logical order = ONNX order over the
            non-batch axes) read as a row-major tensor of this shape; all of the same
            length (1 to 6 dims) and equal off `axis`.
        axis: the views' axis the parts are concatenated along (0-based, no batch axis).
        perm: the transpose applied after the concatenation (ONNX Transpose semantics).
        out_layout: None for a flat `[n]` output, else the spatial `(C, S_1(, S_2))` whose
            real entries, in logical order, are the result's in row-major order.
        out: the IR tensor the result is (registered in the state's refs and layouts);
            None for an intermediate: the gadget is then mapped onto the tensor of
            `srcs[0]`'s gadget and the witness check compares it with its parts
            (`zkml.witness`).

    The gadget has shift 0, divisor 1, no excess, and `[lo, hi]` the union of the parts'
    clamp ranges and 0, so `z = acc`.
    """
    if not 1 <= len(srcs) <= MAX_REARRANGE_PARTS or len(views) != len(srcs):
        raise refuse(op, f"{len(srcs)} parts; 1 to {MAX_REARRANGE_PARTS} are supported")
    views_t = tuple(tuple(int(d) for d in v) for v in views)
    m = len(views_t[0])
    if not 1 <= m <= MAX_VIEW_DIMS or any(len(v) != m for v in views_t):
        raise refuse(op, f"the tensors have {m} axes besides the batch; at most "
                         f"{MAX_VIEW_DIMS} are supported")
    if not 0 <= axis < m or any(v[:axis] + v[axis + 1:] != views_t[0][:axis] +
                                views_t[0][axis + 1:] for v in views_t):
        raise refuse(op, f"the parts' shapes {[list(v) for v in views_t]} differ off the "
                         f"axis {axis + 1}")
    perm_t = tuple(int(p) for p in perm)
    if sorted(perm_t) != list(range(m)):
        raise refuse(op, f"perm {list(perm_t)} is not a permutation of {m} axes")
    for v, name in zip(views_t, srcs, strict=True):
        count = _count(part_shape(s, op, name))
        if min(v) < 1 or _count(v) != count:
            raise refuse(op, f"the view {list(v)} does not hold the {count} entries of "
                             f"{name!r}")
    cat = list(views_t[0])
    cat[axis] = sum(v[axis] for v in views_t)
    dims = tuple(cat[p] for p in perm_t)
    # Output axis j is the concatenation's axis perm[j]; a part fills the range of the
    # concatenation axis after the parts before it.
    there = perm_t.index(axis)
    blocks, off = [], 0
    for k, v in enumerate(views_t):
        rs = _row_strides(v)
        start = tuple(off if j == there else 0 for j in range(m))
        size = tuple(v[axis] if j == there else dims[j] for j in range(m))
        blocks.append(Block(k, start, size, 0, tuple(rs[p] for p in perm_t)))
        off += v[axis]
    return _emit(s, op, list(srcs), dims, blocks, out_layout, out)


def _compact(dims: tuple[int, ...], strides: tuple[int, ...]
             ) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """One block's index space with its size-1 axes dropped and adjacent axes merged where
    the entries they read continue each other (`t_j = t_{j+1} d_{j+1}`, both broadcast
    axes included): the same map over fewer axes."""
    kept = [(d, t) for d, t in zip(dims, strides, strict=True) if d != 1]
    merged: list[tuple[int, int]] = []
    for d, t in kept:
        if merged and merged[-1][1] == t * d:
            merged[-1] = (merged[-1][0] * d, t)
        else:
            merged.append((d, t))
    if not merged:
        return (1,), (0,)
    return tuple(d for d, _ in merged), tuple(t for _, t in merged)


def broadcast(s: State, op: QOp, src: str, src_view: tuple[int, ...],
              out_dims: tuple[int, ...], out_layout: Layout,
              out: QTensor | None = None) -> int:
    """Append a `rearrange` gadget broadcasting `src` to `out_dims` (numpy rules) and return
    its index: one block, stride 0 on the broadcast axes.

    Args:
        s: the compiler state.
        op: the IR op the gadget serves (named in refusals and as the source).
        src: the IR tensor broadcast, held as `part_shape` says.
        src_view: its per-row entries (logical order) as a row-major tensor; aligned with
            `out_dims` from the right (missing leading axes are 1), each axis 1 or equal.
        out_dims: the per-row shape of the result (no batch axis).
        out_layout: None for a flat `[n]` result, else its spatial layout (or `(C, 1)`
            for a padded flat one) holding `prod out_dims` real entries.
        out: the IR tensor the result is; None for an intermediate mapped onto `src`.
    """
    out_dims = tuple(int(d) for d in out_dims)
    view = tuple(int(d) for d in src_view)
    if len(view) > len(out_dims) or any(
            v not in (1, d) for v, d in zip(view[::-1], out_dims[::-1], strict=False)):
        raise refuse(op, f"{list(view)} does not broadcast to {list(out_dims)}")
    view = (1,) * (len(out_dims) - len(view)) + view
    count = _count(part_shape(s, op, src))
    if _count(view) != count:
        raise refuse(op, f"the view {list(view)} does not hold the {count} entries of "
                         f"{src!r}")
    rs = _row_strides(view)
    strides = tuple(r if v == d else 0 for r, v, d in zip(rs, view, out_dims, strict=True))
    dims, strides = _compact(out_dims, strides)
    block = Block(0, (0,) * len(dims), dims, 0, strides)
    return _emit(s, op, [src], dims, [block], out_layout, out)


def broadcast_like(s: State, op: QOp, src: str, like: str) -> int:
    """Broadcast IR tensor `src` to the shape of IR tensor `like`, into the layout `like`
    is held in (so that a same-shape gadget reads both), batch axis kept; returns the
    gadget index (an intermediate mapped onto `src`)."""
    a, b = s.model.tensor(src), s.model.tensor(like)
    if len(a.shape) != len(b.shape) or not a.shape or a.shape[0] != s.rows or \
            b.shape[0] != s.rows:
        raise refuse(op, f"broadcasting {list(a.shape)} to {list(b.shape)}: only the "
                         f"non-batch axes of tensors with {s.rows} row(s) are broadcast")
    shape = part_shape(s, op, like)
    return broadcast(s, op, src, tuple(a.shape[1:]), tuple(b.shape[1:]),
                     None if len(shape) == 1 else shape)


def hold(s: State, op: QOp, name: str, layout: Layout) -> str | int:
    """The gadget holding IR tensor `name` in `layout`: its own when it is held so, else a
    `rearrange` into it (an intermediate: the entries keep their logical order)."""
    if s.layout(name) == layout:
        return s.ref(op, name)
    dims = tuple(int(v) for v in s.model.tensor(name).shape[1:])
    return move(s, op, [name], [dims], 0, tuple(range(len(dims))), layout)


def broadcast_both(s: State, op: QOp, a: str, b: str, out: QTensor
                   ) -> tuple[int, int, Layout]:
    """Two operands that both broadcast (`(N, C, 1) + (N, 1, W)`): each moved to `out`'s
    shape in the layout `out`'s readers need (`target_layout`); returns both gadgets and
    that layout, for the same-shape gadget that combines them."""
    ta, tb = s.model.tensor(a), s.model.tensor(b)
    if any(not t.shape or t.shape[0] != s.rows for t in (ta, tb)) or \
            out.shape[0] != s.rows:
        raise refuse(op, f"broadcasting {list(ta.shape)} and {list(tb.shape)}: only the "
                         f"non-batch axes of tensors with {s.rows} row(s) are broadcast")
    layout = target_layout(s, out)
    dims = tuple(int(v) for v in out.shape[1:])
    return (broadcast(s, op, a, tuple(ta.shape[1:]), dims, layout),
            broadcast(s, op, b, tuple(tb.shape[1:]), dims, layout), layout)


def boxes(region: np.ndarray, limit: int = MAX_REARRANGE_BLOCKS
          ) -> list[tuple[tuple[int, ...], tuple[int, ...]]] | None:
    """A greedy decomposition of `region`'s index space into boxes `(start, size)` on which
    `region` is constant, in row-major order of their starts; None past `limit` boxes.

    From the first index not yet covered, the box grows along the last axis, then along
    each earlier axis in turn, while the new slab is uncovered and of the same value.
    """
    region = np.asarray(region)
    shape = region.shape
    free = np.ones(shape, dtype=bool)
    flat = free.reshape(-1)
    out: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    p, chunk = 0, 1024
    while True:
        # Everything before p is covered (boxes start at the first free index), so the
        # search only moves forward.
        hit = -1
        while p < flat.size:
            ahead = np.flatnonzero(flat[p : p + chunk])
            if ahead.size:
                hit = p + int(ahead[0])
                break
            p += chunk
            chunk *= 2
        if hit < 0:
            return out
        if len(out) == limit:
            return None
        p = hit
        start = np.unravel_index(hit, shape)
        value = region[start]
        size = [1] * len(shape)
        for j in range(len(shape) - 1, -1, -1):
            while start[j] + size[j] < shape[j]:
                slab = tuple(slice(a + n, a + n + 1) if i == j else slice(a, a + n)
                             for i, (a, n) in enumerate(zip(start, size, strict=True)))
                if not (free[slab].all() and (region[slab] == value).all()):
                    break
                size[j] += 1
        box = tuple(slice(a, a + n) for a, n in zip(start, size, strict=True))
        free[box] = False
        out.append((tuple(int(a) for a in start), tuple(size)))


def choose(s: State, op: QOp, srcs: list[str], region_of: np.ndarray, layout: Layout,
           out: QTensor | None = None, gadgets: list[int] | None = None) -> int:
    """Append a `rearrange` gadget choosing among same-shaped parts by region and return
    its index: output entry `o` (of the index space `region_of.shape`, logical order) is
    part `region_of[o]`'s entry at the same index. One block per box of a constant
    choice (`boxes`); refused past 4096 boxes.

    Args:
        s: the compiler state.
        op: the IR op the gadget serves (named in refusals and as the source).
        srcs: the IR tensors of the parts (1 to 64), each with `region_of.size` entries.
        region_of: integer array of part indices, the parts' per-row logical shape.
        layout: None for a flat `[n]` result, else its spatial layout.
        out: the IR tensor the result is; None for an intermediate mapped onto `srcs[0]`.
        gadgets: the parts as gadgets held in `layout` (intermediates with no IR tensor of
            their own, e.g. one average per divisor); `srcs` then only names them.
    """
    region = np.asarray(region_of)
    if region.size == 0 or not np.issubdtype(region.dtype, np.integer) or \
            region.min() < 0 or region.max() >= len(srcs):
        raise refuse(op, f"a choice among {len(srcs)} parts needs part indices in "
                         f"[0, {len(srcs)})")
    # Size-1 axes carry no choice; the index space keeps the others (at least one).
    dims = tuple(int(d) for d in region.shape if d != 1) or (1,)
    region = region.reshape(dims)
    if len(dims) > MAX_VIEW_DIMS:
        raise refuse(op, f"a choice over {len(dims)} axes; at most {MAX_VIEW_DIMS} are "
                         "supported")
    found = boxes(region)
    if found is None:
        raise refuse(op, f"the choice among the parts by region takes more than "
                         f"{MAX_REARRANGE_BLOCKS} boxes")
    rs = _row_strides(dims)
    blocks = [Block(int(region[start]), start, size,
                    sum(a * r for a, r in zip(start, rs, strict=True)), rs)
              for start, size in found]
    held = None
    if gadgets is not None:
        held = (list(gadgets), (region.size,) if layout is None else tuple(layout))
    return _emit(s, op, list(srcs), dims, blocks, layout, out, held)


def repeat_flat(s: State, op: QOp, gadget: str | int, n: int, width: int,
                out: QTensor | None = None) -> int:
    """A `rearrange` of the flat `n`-entry tensor held by `gadget` into `width` flat
    entries: with `n == 1` the entry repeated `width` times (a stride-0 block), with
    `width <= n` the first `width` entries. `gadget` needs no IR tensor of its own."""
    if n == 1:
        blocks = [Block(0, (0,), (width,), 0, (0,))]
    elif width <= n:
        blocks = [Block(0, (0,), (width,), 0, (1,))]
    else:
        raise refuse(op, f"internal: repeat {n} entries into {width}")
    name = out.name if out is not None else s.tensor_of(gadget)
    return _emit(s, op, [name], (width,), blocks, None, out, ([gadget], (n,)))


def _relabel(s: State, op: QOp, src: str, out: QTensor) -> None:
    """`out` holds `src`'s entries in the same logical order: keep `src`'s gadget when its
    layout serves `out`'s readers, else move the entries into the layout they need."""
    layout = s.layout(src)
    target = tuple(int(v) for v in out.shape[1:])
    want = target_layout(s, out)
    if want is not None:
        keep = layout == want
    else:
        # A flat tensor stays flat; a flatten of a spatial tensor keeps its padded layout
        # (a dense consumer scatters its weight columns into it); reshapes, transposes and
        # the output's flat copy read any layout.
        keep = layout is None or len(target) == 1 or _only_moved(s, out.name) or \
            out.name in s.model.outputs.values()
    if keep:
        s.refs[out.name] = s.ref(op, src)
        s.layouts[out.name] = layout
        return
    move(s, op, [src], [(_count(target),)], 0, (0,), want, out)


def _reshape(s: State, op: QOp) -> None:
    m = s.model
    src, out = m.tensor(op.inputs[0]), m.tensor(op.output)
    s.ref(op, src.name)
    if len(out.shape) < 2 or len(src.shape) < 2 or out.shape[0] != src.shape[0]:
        raise refuse(op, f"reshape {src.shape} -> {out.shape} changes the row layout")
    _relabel(s, op, src.name, out)


def _transpose(s: State, op: QOp) -> None:
    m = s.model
    src, out = m.tensor(op.inputs[0]), m.tensor(op.output)
    s.ref(op, src.name)
    perm = [int(p) for p in op.attrs["perm"]]
    if not src.shape or src.shape[0] != s.rows or perm[0] != 0:
        raise refuse(op, f"transpose {list(src.shape)} by {perm} moves the batch axis; only "
                         f"transposes keeping the {s.rows} row(s) first are supported")
    dims = [int(d) for d in src.shape[1:]]
    # Size-1 axes hold no order: drop them, so that the view stays small and a transpose
    # that keeps the other axes in order is recognised as a reshape.
    kept = [i for i, d in enumerate(dims) if d != 1]
    rank = {axis: j for j, axis in enumerate(kept)}
    order = [rank[p - 1] for p in perm[1:] if p - 1 in rank]
    if order == sorted(order):
        _relabel(s, op, src.name, out)
        return
    view = tuple(dims[i] for i in kept)
    if len(view) > MAX_VIEW_DIMS:
        raise refuse(op, f"transpose of a tensor with {len(view)} axes besides the batch; at "
                         f"most {MAX_VIEW_DIMS} are supported")
    move(s, op, [src.name], [view], 0, order, target_layout(s, out), out)


def _channel_concat(s: State, op: QOp) -> bool:
    """The `concat` gadget (nonlinear.md section 11) takes this concatenation: along the
    channels / features, every part held in its own layout at its own width."""
    m = s.model
    out = m.tensor(op.output)
    rank = len(out.shape)
    if rank not in (2, 3, 4) or out.shape[0] != s.rows or \
            int(op.attrs["axis"]) % rank != 1 or \
            not 2 <= len(op.inputs) <= MAX_REARRANGE_PARTS:
        return False
    for name in op.inputs:
        t = m.tensor(name)
        layout = s.layout(name)
        if rank == 2:
            c = int(t.shape[1])
            if layout not in (None, (c,)) or s.width(s.ref(op, name)) != c:
                return False
        elif layout is None or tuple(layout) != tuple(t.shape[1:]):
            return False
    return True


def _concat(s: State, op: QOp) -> None:
    m = s.model
    for name in op.inputs:
        if name in m.constants:
            raise refuse(op, f"the part {name!r} is a constant; only computed tensors are "
                             "concatenated")
    if _channel_concat(s, op):
        combine.HANDLERS["concat"](s, op)
        return
    out = m.tensor(op.output)
    rank = len(out.shape)
    axis = int(op.attrs["axis"]) % max(rank, 1)
    if rank < 2 or out.shape[0] != s.rows or axis == 0:
        raise refuse(op, f"concatenation along axis {op.attrs['axis']} of {list(out.shape)} "
                         f"tensors; only along a non-batch axis of tensors with {s.rows} "
                         "row(s)")
    views = [tuple(int(d) for d in m.tensor(name).shape[1:]) for name in op.inputs]
    move(s, op, list(op.inputs), views, axis - 1, tuple(range(rank - 1)),
         target_layout(s, out), out)


def flat_output(s: State, name: str) -> int:
    """A `rearrange` copying the output tensor `name` (held in a spatial or padded
    layout) into the flat `[n]` layout, ONNX order; returns its gadget index (mapped onto
    `name`, which it equals)."""
    op = next(op for op in reversed(s.model.ops) if op.output == name)
    return move(s, op, [name], [(_count(s.model.tensor(name).shape[1:]),)], 0, (0,), None)


HANDLERS = {"reshape": _reshape, "transpose": _transpose, "concat": _concat}


def gather_input(s: State, op: QOp, offset: int, count: int, out_layout: Layout,
                 out: QTensor) -> int:
    """A `rearrange` of the circuit's flat input (`[n_in]`, several model inputs side by
    side: `zkml.compiler.io`) taking its `count` entries at `offset` (one block, stride
    1) into `out_layout`; returns its index (registered as the IR tensor `out`)."""
    block = Block(0, (0,), (int(count),), int(offset), (1,))
    return _emit(s, op, ["input"], (int(count),), [block], out_layout, out,
                 held=(["input"], (s.n_in,)))


def concat_flat(s: State, op: QOp, srcs: list[str], order: list[int]) -> int:
    """A flat `rearrange` concatenating, per row, the real entries (logical order) of the
    parts `srcs[order[0]]`, `srcs[order[1]]`, ... (a part may appear several times);
    returns its index, mapped onto the tensor of `srcs[0]`'s gadget (its `x`)."""
    counts = [_count(part_shape(s, op, name)) for name in srcs]
    blocks, off = [], 0
    for k in order:
        blocks.append(Block(k, (off,), (counts[k],), 0, (1,)))
        off += counts[k]
    return _emit(s, op, list(srcs), (off,), blocks, None, None)


def _is_relabel(g: dict) -> bool:
    """A one-part rearrange whose map is the identity on logical order (a reshape: the
    entries keep their order, only the layout changes)."""
    p = g["producer"]
    if not isinstance(p, Rearrange) or len(p.parts) != 1 or len(p.blocks) != 1:
        return False
    b, dims = p.blocks[0], tuple(p.dims)
    return (b.part == 0 and b.offset == 0 and tuple(b.size) == dims
            and all(v == 0 for v in b.start) and tuple(b.strides) == _row_strides(dims))


def _readers_of(gadgets: list[dict]) -> dict[int, int]:
    """How many gadget operands read each gadget."""
    count: dict[int, int] = {}
    for g in gadgets:
        for r in set(g["producer"].operands()):
            if r != "input":
                count[int(r)] = count.get(int(r), 0) + 1
    return count


def fuse_relabels(s: State, output: int) -> int:
    """Fold a relabelling rearrange (`_is_relabel`) into the rearrange it reads when
    nothing else reads that one (a transpose then a reshape, a move into grouped rows then
    back): the pair is one gadget with the first's map and the second's layout, so one
    tensor fewer is committed. Gadget indices after a removed one shift down; returns the
    output gadget's new index. (The composed gadget computes exactly what the pair did:
    a relabel keeps the logical order.)"""
    gadgets = s.gadgets
    readers = _readers_of(gadgets)
    drop: set[int] = set()
    for j, g in enumerate(gadgets):
        if not _is_relabel(g):
            continue
        i = g["producer"].x
        if i == "input" or not isinstance(gadgets[int(i)]["producer"], Rearrange) or \
                int(i) == output or readers.get(int(i), 0) != 1 or int(i) in drop:
            continue
        first = gadgets[int(i)]
        lo, hi = min(first["lo"], g["lo"]), max(first["hi"], g["hi"])
        producer = replace(first["producer"], out_shape=g["producer"].out_shape)
        gadgets[j] = dict(first, producer=producer, features=g["features"],
                          layout=g["layout"], source=g["source"], frac_bits=g["frac_bits"],
                          lo=lo, hi=hi, bound=max(-lo, hi))
        drop.add(int(i))
    if not drop:
        return output
    new_index, k = {}, 0
    for old in range(len(gadgets)):
        if old not in drop:
            new_index[old] = k
            k += 1

    def remap(r):
        return r if r == "input" else new_index[int(r)]

    kept, tips = [], []
    for old, g in enumerate(gadgets):
        if old in drop:
            continue
        kept.append(dict(g, producer=g["producer"].remap(remap)))
        tips.append(s.tips[old])
    s.gadgets[:] = kept
    s.tips[:] = tips
    for name, r in list(s.refs.items()):
        if r == "input":
            continue
        if int(r) in drop:
            del s.refs[name]  # (read by nothing but the fused gadget)
        else:
            s.refs[name] = new_index[int(r)]
    return new_index[output]
