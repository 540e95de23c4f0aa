"""Adding a constant tensor and concatenating along channels (circuits/nonlinear.md
sections 10 and 11).

- `add` of a computed tensor `x` and a constant `c` (GELU's `1 + erf`, `x + c`, `x - c`)
  -> an `addconst` gadget: `acc = 2^l x + C[f]`, `l` the operand's lshift, `C` the
  constant times its sign and `2^lshift_c`, broadcast to `x`'s shape (a scalar, a row of
  features or a per-channel constant) and laid out in `x`'s layout (the constant at the
  real positions, 0 at padded ones), stored in the model stack as a `1 x width(x)` row.
  `C` must fit the model stack's 16-bit entries; `c - x` (a negated operand) is refused.
- `concat` of computed tensors along the channel axis of spatial `(N, C_k, S..)` tensors
  or the feature axis of flat `(N, C_k)` ones -> a `concat` gadget (shift 0, the output
  tensor's clamp range, which covers every part's). Parts keep their own shapes; the
  output has `C = sum C_k` channels in the padded layout of `[C, S..]`. A flat part's
  width is its feature count `C_k` (a spatial part's `prod pad(shape)`); a flat output
  with `C` not a power of two is held in the layout `(C,)` (its `pad(C)` features, zero
  past `C`), so it cannot itself be a part of a later flat concat.
"""

from __future__ import annotations

import numpy as np

from zkml.compiler.circuit import (
    MAX_BITS,
    MAX_CONCAT_PARTS,
    MAX_RANGE_BITS,
    padded_width,
)
from zkml.compiler.producers import AddConst, Affine, Concat
from zkml.compiler.shapes import scatter_columns
from zkml.compiler.state import Layout, State, refuse, signed_bits
from zkml.quant.ir import QOp
from zkml.quant.ops.base import magnitude

__all__ = ["add_const", "HANDLERS"]


def add_const(s: State, op: QOp) -> None:
    """`add(x, c)` with `c` a constant -> `addconst` (nonlinear.md section 10)."""
    m = s.model
    a_name, b_name = op.inputs
    signs, lshifts = tuple(op.attrs["signs"]), tuple(op.attrs["lshifts"])
    if a_name in m.constants and b_name in m.constants:
        raise refuse(op, "both operands are constants")
    k = 0 if b_name in m.constants else 1  # index of the computed operand
    x_name, c_name = (a_name, b_name) if k == 0 else (b_name, a_name)
    out = m.tensor(op.output)
    t_x = m.tensor(x_name)
    if t_x.shape != out.shape:
        raise refuse(op, f"the constant {c_name!r} broadcasts {list(t_x.shape)} to "
                         f"{list(out.shape)}; only a constant that fits the tensor's shape "
                         "is added")
    c = np.asarray(m.constants[c_name]).astype(np.int64)
    try:
        full = np.broadcast_to(c, out.shape)
    except ValueError:
        raise refuse(op, f"the constant {c_name!r} of shape {list(c.shape)} does not "
                         f"broadcast to {list(out.shape)}") from None
    if c.ndim == len(out.shape) and c.shape[0] != 1:
        raise refuse(op, f"the constant {c_name!r} differs between rows (shape "
                         f"{list(c.shape)}); only one constant for every row is supported")
    lc = int(lshifts[1 - k])
    if not 0 <= lc < MAX_BITS or not 0 <= int(lshifts[k]) <= MAX_BITS:
        raise refuse(op, f"lshifts {list(lshifts)} out of range")
    row = (full[0].reshape(1, -1) << np.int64(lc)) * np.int64(signs[1 - k])
    # The constant's public format at the sum's scale (a negated -2^(b-1) needs one bit
    # more), stored in at most MAX_RANGE_BITS bits; its values must fit (refused here,
    # at compile time, otherwise) but never set a circuit field.
    t_c = m.tensor(c_name)
    stored = min(t_c.bits + lc + (signs[1 - k] < 0), MAX_RANGE_BITS)
    width = signed_bits(row)
    if width > stored:
        raise refuse(op, f"the constant {c_name!r} at the sum's scale needs {width}-bit "
                         f"entries; the model stack holds at most {MAX_RANGE_BITS}-bit ones "
                         "(use a precision with fewer activation bits)")
    x = s.ref(op, x_name)
    layout = s.layout(x_name)
    n = s.view(op, out, layout)
    if s.width(x) != n:
        raise refuse(op, f"an operand of width {s.width(x)} for {n} features")
    if signs[k] != 1:
        x = _negated(s, op, x, layout)
    crow = scatter_columns(np.ascontiguousarray(row), layout)
    name = s.stack_tensor(c_name, np.ascontiguousarray(crow, dtype=np.int64), stored,
                          ("addconst", tuple(out.shape), layout, lc, int(signs[1 - k])))
    lo, hi = s.clamp_range(x)
    bound = (max(abs(lo), abs(hi)) << int(lshifts[k])) + (magnitude(t_c) << lc)
    s.add_gadget(op, out, bound, AddConst(x, name, int(lshifts[k])), layout,
                 shift=int(op.attrs["shift"]))


def _negated(s: State, op: QOp, x: str | int, layout) -> int:
    """`c - x` adds `c` to `-x`: a helper `affine(x, -1)` gadget, shift 0, range `[-hi, -lo]`
    (exact, so no excess); the witness check reads it as `-t` of `x`'s IR tensor `t`."""
    lo, hi = s.clamp_range(x)
    name = s.tensor_of(x)
    s.gadgets.append(dict(producer=Affine(((x, -1),)), features=s.width(x), shift=0,
                          lo=-hi, hi=-lo, frac_bits=s.model.tensor(name).frac_bits,
                          source=op.source or op.name, bound=max(abs(lo), abs(hi)),
                          excess=(0, 0), layout=layout))
    s.tips.append(name)
    return len(s.gadgets) - 1


def _part_shape(s: State, op: QOp, name: str, spatial_dims: int) -> tuple[int, ...]:
    """The shape `[C_k, S..]` of a concat part, checking its width: `C_k` for a flat part,
    `prod pad(shape)` for a spatial one."""
    t = s.model.tensor(name)
    layout = s.layout(name)
    if spatial_dims == 0:
        shape: tuple[int, ...] = (int(t.shape[1]),)
        if layout is not None and tuple(layout) != shape:
            raise refuse(op, f"the part {name!r} is a flattened spatial tensor "
                             f"{list(layout)}; only flat tensors or spatial tensors of the "
                             "same spatial dims are concatenated")
    else:
        shape = tuple(int(v) for v in t.shape[1:])
        if layout is None or tuple(layout) != shape:
            raise refuse(op, f"the part {name!r} of shape {list(t.shape)} is not held in "
                             "its spatial layout")
    width = s.width(s.ref(op, name))
    if width != (shape[0] if spatial_dims == 0 else padded_width(shape)):
        raise refuse(op, f"the flat part {name!r} holds {shape[0]} features in {width} (an "
                         "earlier concatenation); concatenate all the parts in one Concat")
    return shape


def _concat(s: State, op: QOp) -> None:
    """`concat` along the channel / feature axis (nonlinear.md section 11)."""
    m = s.model
    out = m.tensor(op.output)
    for name in op.inputs:
        if name in m.constants:
            raise refuse(op, f"the part {name!r} is a constant; only computed tensors are "
                             "concatenated")
    if not 2 <= len(op.inputs) <= MAX_CONCAT_PARTS:
        raise refuse(op, f"{len(op.inputs)} parts; 2 to {MAX_CONCAT_PARTS} are supported")
    rank = len(out.shape)
    axis = int(op.attrs["axis"]) % max(rank, 1)
    if rank not in (2, 3, 4) or out.shape[0] != s.rows or axis != 1:
        raise refuse(op, f"concatenation along axis {op.attrs['axis']} of {list(out.shape)} "
                         "tensors; only along the channels of (N, C, S..) tensors or the "
                         f"features of flat (N, n) tensors with {s.rows} row(s)")
    shapes = tuple(_part_shape(s, op, name, rank - 2) for name in op.inputs)
    parts = tuple(s.ref(op, name) for name in op.inputs)
    channels = sum(sh[0] for sh in shapes)
    full = (channels, *shapes[0][1:])
    layout: Layout = full
    if rank == 2 and channels & (channels - 1) == 0:
        layout = None  # pad(C) == C: an ordinary flat tensor
    bound = max(max(abs(v) for v in s.clamp_range(p)) for p in parts)
    s.add_gadget(op, out, bound, Concat(parts, shapes), layout, shift=0)
    g = s.gadgets[-1]
    lo = min(s.clamp_range(p)[0] for p in parts)
    hi = max(s.clamp_range(p)[1] for p in parts)
    if lo < g["lo"] or hi > g["hi"]:
        raise refuse(op, f"the parts range over [{lo}, {hi}], wider than the output's "
                         f"[{g['lo']}, {g['hi']}]")


HANDLERS = {"concat": _concat}
