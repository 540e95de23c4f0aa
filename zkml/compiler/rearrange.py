"""Moving entries between layouts: ONNX Transpose, Reshape into another layout, Concat
along any axis, and the flat copy of a spatial output -> `rearrange` gadgets
(circuits/rearrange.md).

A tensor's real entries, per batch row, are listed in **logical order** (row-major over
its layout's real dims); for every IR tensor that is its ONNX order over the non-batch
axes, whatever layout holds it (a flat `[n]`, a spatial `(C, S..)`, or a spatial layout
of a flattened tensor). So a reshape never reorders entries: it only changes the layout
the consumers need. A transpose and a concat reorder them; `move` emits the gadget for
any of these.

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

import numpy as np

from zkml.compiler import combine
from zkml.compiler.circuit import (
    MAX_FEATURES,
    MAX_REARRANGE_PARTS,
    MAX_VIEW_DIMS,
    ceil_log2,
    padded_width,
)
from zkml.compiler.state import Layout, State, refuse
from zkml.quant.ir import QOp, QTensor

__all__ = ["HANDLERS", "move", "part_shape", "target_layout", "flat_output"]

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


def _takes_any_layout(s: State, op: QOp) -> bool:
    """`op` reads its operands in whatever layout holds them: a reshape, a transpose, or
    a concat along an axis other than the channels (a rearrange gadget)."""
    if op.op == "concat":
        rank = len(s.model.tensor(op.output).shape)
        return rank > 0 and int(op.attrs["axis"]) % rank != 1
    return op.op in _MOVERS


def _only_moved(s: State, name: str) -> bool:
    """Nothing but ops that take any layout reads `name`."""
    return all(_takes_any_layout(s, op) for op in _readers(s, name))


def target_layout(s: State, out: QTensor) -> Layout:
    """The layout a moved tensor `out` should be held in: spatial `(C, S..)` when it is an
    `(N, C, S..)` tensor with a 1-D or 2-D map that some op other than a reshape, a
    transpose or a concat along a non-channel axis reads (convolutions, pooling,
    elementwise ops, channel concats keep or need it), flat otherwise (cheaper: no
    padding; a dense layer reads it as it is)."""
    if len(out.shape) not in (3, 4) or out.name in s.model.outputs.values() or \
            not _readers(s, out.name) or _only_moved(s, out.name):
        return None
    layout = tuple(int(v) for v in out.shape[1:])
    return layout if padded_width(layout) <= MAX_FEATURES else None


def move(s: State, op: QOp, srcs: list[str], views: list[tuple[int, ...]], axis: int,
         perm: tuple[int, ...] | list[int], out_layout: Layout,
         out: QTensor | None = None) -> int:
    """Append a `rearrange` gadget (circuits/rearrange.md) and return its index.

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
            None for an intermediate: the gadget is then mapped onto `srcs[0]`'s tensor
            and the witness check compares it with its parts (`zkml.witness`).

    The gadget has shift 0, divisor 1, no excess, and `[lo, hi]` the union of the parts'
    clamp ranges and 0, so `z = acc`.
    """
    if not 1 <= len(srcs) <= MAX_REARRANGE_PARTS or len(views) != len(srcs):
        raise refuse(op, f"{len(srcs)} parts; 1 to {MAX_REARRANGE_PARTS} are supported")
    shapes = tuple(part_shape(s, op, name) for name in srcs)
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
    for v, sh, name in zip(views_t, shapes, srcs, strict=True):
        if min(v) < 1 or _count(v) != _count(sh):
            raise refuse(op, f"the view {list(v)} does not hold the {_count(sh)} entries of "
                             f"{name!r}")
    total = sum(_count(sh) for sh in shapes)
    out_shape = (total,) if out_layout is None else tuple(int(v) for v in out_layout)
    if len(out_shape) not in (1, 2, 3) or _count(out_shape) != total:
        raise refuse(op, f"the output layout {list(out_shape)} does not hold {total} entries")
    for sh in (*shapes, out_shape):
        if (1 << ceil_log2(sh[0]) if len(sh) == 1 else padded_width(sh)) > MAX_FEATURES:
            raise refuse(op, f"the layout {list(sh)} is wider than 2^20 features")
    parts = tuple(s.ref(op, name) for name in srcs)
    lo = min(0, *(s.clamp_range(p)[0] for p in parts))
    hi = max(0, *(s.clamp_range(p)[1] for p in parts))
    frac = (out if out is not None else s.model.tensor(srcs[0])).frac_bits
    s.gadgets.append(dict(op="rearrange", x=parts[0], parts=parts, shapes=shapes,
                          views=views_t, axis=int(axis), perm=perm_t, out_shape=out_shape,
                          features=_layout_width(out_shape), shift=0, lo=lo, hi=hi,
                          frac_bits=frac, source=op.source or op.name,
                          bound=max(-lo, hi), layout=out_layout, excess=(0, 0)))
    index = len(s.gadgets) - 1
    if out is None:
        s.tips.append(srcs[0])
    else:
        s.tips.append(out.name)
        s.refs[out.name] = index
        s.layouts[out.name] = out_layout
    return index


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
