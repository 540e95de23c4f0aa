"""ArgMax as a tensor of indices, from existing gadgets: any axis, any rank, first or last
maximum, read by further ops or beside other outputs.

The model's single output ArgMax over the features keeps the cheaper statement of
circuits/inference.md section 4b (`zkml.compiler.build`). Everywhere else the indices are
computed in the circuit. With `t = bits(n)` (so `2^t > n - 1`) and the ArgMax axis moved
last (grouped rows `(G, n)`, circuits/nonlinear.md section 12):

    x'_i = 2^t x_i + c_i           addconst, c_i = n - 1 - i (first maximum) or i (last)
    m'   = max_i x'_i              rowmax (G features)
    m    = max_i x_i               rowmax
    r    = m' - 2^t m              affine: the largest c_i among the maximal x_i
    k    = n - 1 - r  (first)      affine (r, -1) then addconst n - 1;  k = r (last)

Since `0 <= c_i < 2^t`, `m' = 2^t max x + max{c_i : x_i = max x}` exactly, so `k` is
the first (last) index of the maximum, as ONNX ArgMax with `select_last_index` 0 (1).
Every step is an exact integer gadget with shift 0; the intermediates have no IR tensor
of their own and are mapped onto the ArgMax's output (the witness check compares the
last gadget with the executor, `zkml.witness`).
"""

from __future__ import annotations

import numpy as np

from zkml.compiler import rearrange
from zkml.compiler.circuit import bits
from zkml.compiler.producers import AddConst, Affine, Producer, RowMax
from zkml.compiler.state import State, refuse, signed_bits
from zkml.quant.ir import QOp

__all__ = ["argmax_tensor"]


def _append(s: State, qop: QOp, name: str, features: int, lo: int, hi: int,
            producer: Producer) -> int:
    """An exact gadget (shift 0, no excess) of `qop`, mapped onto IR tensor `name`."""
    s.gadgets.append(dict(producer=producer, features=features, shift=0, lo=lo, hi=hi, frac_bits=0,
                          source=qop.source or qop.name, bound=max(abs(lo), abs(hi)),
                          layout=None, excess=(0, 0)))
    s.tips.append(name)
    return len(s.gadgets) - 1


def argmax_tensor(s: State, op: QOp) -> None:
    """ONNX ArgMax of any non-batch axis -> the index tensor (module docstring)."""
    m = s.model
    src, out = m.tensor(op.inputs[0]), m.tensor(op.output)
    rank = len(src.shape)
    axis = int(op.attrs["axis"]) % rank
    if axis == 0:
        raise refuse(op, "an ArgMax across the batch axis (rows are independent examples)")
    dims = tuple(int(v) for v in src.shape[1:])
    n = dims[axis - 1]
    groups = int(np.prod(dims, dtype=np.int64)) // n
    if n < 2:
        raise refuse(op, "an ArgMax over a single entry (it is 0)")
    if n >= 1 << 15:
        raise refuse(op, f"an ArgMax over {n} entries; at most 2^15 - 1")
    t = bits(n - 1)
    rest = [a for a in range(len(dims)) if a != axis - 1]
    grouped = (groups, n)
    if rank == 2 and s.layout(src.name) is None:
        x, width, layout = s.ref(op, src.name), n, None
    else:
        x = rearrange.move(s, op, [src.name], [dims], 0, (*rest, axis - 1), grouped)
        width, layout = s.width(x), grouped
    lo_x, hi_x = s.clamp_range(x)
    if max(abs(lo_x), abs(hi_x)) << (t + 1) >= 1 << 62:
        raise refuse(op, "the operand is too wide to carry the index in its low bits")
    name = out.name
    last = bool(op.attrs["select_last_index"])
    # c_i at every position i of every group (0 on padded positions and groups).
    pad_n = width if layout is None else width // (1 << (groups - 1).bit_length())
    c = np.zeros(width, dtype=np.int64)
    per = np.arange(n, dtype=np.int64) if last else n - 1 - np.arange(n, dtype=np.int64)
    for g in range(groups if layout is not None else 1):
        c[g * pad_n : g * pad_n + n] = per
    # The indices follow the shape alone (public), so their width may be measured.
    const = s.stack_tensor(f"{op.source or op.name}:argmax", c.reshape(1, -1),
                           signed_bits(c))
    # x' on every padded entry too (0 + 0 there): its range holds 0
    lo_p, hi_p = min(lo_x << t, 0), max((hi_x << t) + n - 1, 0)
    xp = _append(s, op, name, width, lo_p, hi_p, AddConst(x, const, t))
    g_feats = groups if layout is not None else 1
    mp = _append(s, op, name, g_feats, lo_p, hi_p, RowMax(xp, n, max(1, bits(hi_p - lo_p))))
    mx = _append(s, op, name, g_feats, lo_x, hi_x, RowMax(x, n, max(1, bits(hi_x - lo_x))))
    # r = m' - 2^t m: the largest c among the maxima, exactly in [0, n - 1]
    r = _append(s, op, name, g_feats, 0, n - 1, Affine(((mp, 1), (mx, -(1 << t)))))
    k = r
    if not last:
        neg = _append(s, op, name, g_feats, -(n - 1), 0, Affine(((r, -1),)))
        top_row = np.full((1, g_feats), n - 1, dtype=np.int64)
        top = s.stack_tensor(f"{op.source or op.name}:argmax_top", top_row,
                             signed_bits(top_row))
        k = _append(s, op, name, g_feats, 0, n - 1, AddConst(neg, top, 0))
    if int(np.prod(out.shape[1:], dtype=np.int64)) != g_feats:
        raise refuse(op, f"output shape {list(out.shape)} is not one index per group")
    s.refs[name] = k
    s.layouts[name] = None
