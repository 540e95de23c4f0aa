"""The canonical op `softmax` (input x; attr axis). It has no IR op of its own: along
the last axis it lowers to a row maximum (`reduce_max`), the shifted input (`add`), an
exp `table`, the row sum (`reduce_sum`) and a rounded division (`div`); along any other
axis, between two `transpose`s (quantization.md).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from zkml.quant.ops.base import OpSpec
from zkml.quant.rounding import bits_for, frac_bits_for
from zkml.quant.tables import TABLE_VALUE_BITS

if TYPE_CHECKING:
    from zkml.onnx_import.graph import Node
    from zkml.quant.ir import QTensor
    from zkml.quant.lower import Lowering


def _softmax_reference(x, *, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _softmax_lower(low: Lowering, node: Node) -> None:
    x = low.t(node.inputs[0])
    rank = len(x.shape)
    axis = node.attrs["axis"] % rank
    if axis == rank - 1:
        _softmax_last(low, x, node.output, low.g.shapes[node.output], x.name)
        return
    # Softmax is equivariant under permutations of the other axes: move the axis
    # last, normalize there, move it back (explicit transposes, so every IR tensor
    # keeps ONNX order and a circuit reduces only over a last axis).
    perm = [i for i in range(rank) if i != axis] + [axis]
    inv = [perm.index(i) for i in range(rank)]
    moved = tuple(x.shape[i] for i in perm)
    xt = low.add_tensor(low.fresh(node.output, "moved"), moved, x.frac_bits, x.bits)
    low.op("transpose", [x.name], xt, perm=perm)
    yt = low.fresh(node.output, "last")
    _softmax_last(low, low.t(xt), yt, moved, x.name)
    y = low.t(yt)
    low.add_tensor(node.output, low.g.shapes[node.output], y.frac_bits, y.bits)
    low.op("transpose", [yt], node.output, perm=inv)


def _softmax_last(low: Lowering, x: QTensor, out: str, out_shape: tuple[int, ...],
                  calibrated: str) -> None:
    """Softmax of `x` along its last axis into the new tensor `out` (quantization.md);
    `calibrated` names the tensor whose calibrated range `x` has."""
    a, tb = low.p.activation_bits, low.p.table_bits
    axis = len(x.shape) - 1
    n = x.shape[axis]
    eb = min(a, TABLE_VALUE_BITS)
    fe = eb - 2  # exp(d) <= 1 for d <= 0, and 1.0 = 2^fe fits eb bits
    m = low.add_tensor(low.fresh(out, "max"), _kept(x.shape, axis), x.frac_bits, x.bits)
    low.op("reduce_max", [x.name], m, axes=[axis], keepdims=True)
    # d = x - max <= 0; below -radius exp(d) rounds to 0, so the domain stops there.
    peak = low.stats.max_abs.get(calibrated, 0.0) or 1.0
    radius = min(2.0 * peak, (fe + 1) * math.log(2.0) + 1.0)
    fd = min(frac_bits_for(radius, tb), x.frac_bits)
    d = low.add_tensor(low.fresh(out, "shifted"), x.shape, fd, tb)
    low.op("add", [x.name, m], d, signs=[1, -1], lshifts=[0, 0], shift=x.frac_bits - fd)
    e = low.add_tensor(low.fresh(out, "exp"), x.shape, fe, eb)
    low.op("table", [d, low.table("exp", fd, tb, fe, eb)], e, fn="exp")
    s_bits = bits_for(n * ((1 << (eb - 1)) - 1))
    s = low.add_tensor(low.fresh(out, "sum"), _kept(x.shape, axis), fe, s_bits)
    low.op("reduce_sum", [e], s, axes=[axis], keepdims=True)
    # y = e / s exactly rounded (a division with range-checked remainder), not a
    # reciprocal table: s spans [2^fe, n * 2^fe], and a table over that span loses
    # relative precision at its low end, which is where a confident softmax lives.
    fy = a - 2  # probabilities lie in [0, 1]
    low.add_tensor(out, out_shape, fy, a)
    low.op("div", [e, s], out, lshift=fy)


def _kept(shape: tuple[int, ...], axis: int) -> tuple[int, ...]:
    return tuple(1 if i == axis else d for i, d in enumerate(shape))


OPS = (
    OpSpec("softmax", inputs=("x",), attrs=("axis",), reference=_softmax_reference,
           lower=_softmax_lower),
)
