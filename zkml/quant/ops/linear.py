"""The weighted ops `matmul` and `conv`: one operand a constant weight, an optional bias.

| op | inputs | attrs |
|---|---|---|
| matmul | x, w[, b] | side: "right" (x @ w + b) or "left" (w @ x + b) |
| conv | x, w[, b] | strides, pads (`[begin.., end..]`), dilations, group |

The accumulator is at the product scale of input and weight; the bias is stored at that
scale, and the sum requantizes by `shift` to the output's scale (quantization.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from zkml.geometry import conv_geometry, conv_nd
from zkml.quant.ops.base import Mag, OpSpec, checked, magnitude, requant
from zkml.quant.rounding import exact_matmul

if TYPE_CHECKING:
    from zkml.onnx_import.graph import Node
    from zkml.quant.ir import QModel, QOp
    from zkml.quant.lower import Lowering

#: Bits a bias keeps (quantization.md): the model stack's entries are range-checked
#: in a 2^16-entry table, so wider biases are rounded to a multiple of a power of two.
BIAS_STORED_BITS = 16


def _conv_reference(x, w, b=None, *, strides, pads, dilations, group):
    g = conv_geometry(x.shape[2:], w.shape[2:], strides, pads, dilations)
    y = conv_nd(x, w, g, group, np.matmul)
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * len(g.out))
    return y


def _matmul_reference(x, w, b=None, *, side):
    y = np.matmul(x, w) if side == "right" else np.matmul(w, x)
    return y if b is None else y + b


def _weighted(low: Lowering, node: Node, kind: str, **attrs) -> None:
    x = low.t(node.inputs[0])
    w = low.const_tensor(node.inputs[1], low.p.weight_bits)
    acc_frac = x.frac_bits + low.t(w).frac_bits
    ins = [x.name, w]
    if len(node.inputs) > 2:
        ins.append(low.exact_const(node.inputs[2], acc_frac, BIAS_STORED_BITS))
    fy = low.act_frac(node.output, cap=acc_frac)
    low.add_tensor(node.output, low.g.shapes[node.output], fy, low.p.activation_bits)
    low.op(kind, ins, node.output, shift=acc_frac - fy, **attrs)


def _matmul_lower(low: Lowering, node: Node) -> None:
    _weighted(low, node, "matmul", side=node.attrs["side"])


def _conv_lower(low: Lowering, node: Node) -> None:
    a = node.attrs
    _weighted(low, node, "conv", strides=list(a["strides"]), pads=list(a["pads"]),
              dilations=list(a["dilations"]), group=a["group"])


def _fan_in(model: QModel, op: QOp) -> int:
    """Products summed into one accumulator entry: the weight's shape only (for a
    conv, `C_in / group` times the kernel; padded taps only lower the real count)."""
    shape = model.tensor(op.inputs[1]).shape
    if op.op == "conv":
        return int(np.prod(shape[1:], dtype=np.int64))
    if not shape:
        return 0
    # x @ w sums over w's rows (a 1-D w is one column); w @ x over its columns.
    return int(shape[-2] if op.attrs["side"] == "right" and len(shape) > 1 else shape[-1])


def _linear_bound(model: QModel, op: QOp, mag: Mag) -> int:
    """The public worst case of |acc|: `fan_in * mag(x) * mag(w) + mag(b)`, every weight
    and the bias at the largest magnitude their formats allow (quantization.md, "What
    the circuit may depend on"). It sizes circuit columns (the saturation excess), so
    it may not follow the weights' values, which a hiding proof keeps secret."""
    bias = mag(2) if len(op.inputs) > 2 else 0
    return _fan_in(model, op) * mag(0) * mag(1) + bias


def _products(model: QModel, op: QOp) -> int:
    """A bound on every output's `sum |x w|` from the actual weights: `mag(x)` times the
    largest `sum |w|` over outputs (cached), after the public bound passed `checked`.
    Tighter than `_linear_bound`, it only picks the executor's exact float64 fast path
    in `exact_matmul` and never reaches the circuit."""
    checked(model, op, _linear_bound)
    key = ("wsum", op.name)
    if key not in model.cache:
        w = np.abs(model.constants[op.inputs[1]]).astype(np.int64)
        if op.op == "conv":
            per_out = w.reshape(w.shape[0], -1).sum(axis=1)
        elif op.attrs["side"] == "right":
            per_out = w.sum(axis=-2)
        else:
            per_out = w.sum(axis=-1)
        model.cache[key] = int(per_out.max()) if per_out.size else 0
    return magnitude(model.tensor(op.inputs[0])) * model.cache[key]


def _matmul_execute(model: QModel, op: QOp, x: np.ndarray, w: np.ndarray, *b: np.ndarray):
    bound = _products(model, op)
    acc = exact_matmul(x, w, bound) if op.attrs["side"] == "right" else exact_matmul(w, x, bound)
    if b:
        acc = acc + b[0]
    return requant(acc, op.attrs["shift"], model.tensor(op.output))


def _conv_execute(model: QModel, op: QOp, x: np.ndarray, w: np.ndarray, *b: np.ndarray):
    a = op.attrs
    bound = _products(model, op)
    g = conv_geometry(x.shape[2:], w.shape[2:], a["strides"], a["pads"], a["dilations"])
    acc = conv_nd(x, w, g, a["group"], lambda p, q: exact_matmul(p, q, bound))
    if b:
        acc = acc + b[0].reshape((1, -1) + (1,) * len(g.out))
    return requant(acc, a["shift"], model.tensor(op.output))


OPS = (
    OpSpec("matmul", inputs=("x", "w", "b?"), attrs=("side",), reference=_matmul_reference,
           lower=_matmul_lower, qattrs=("side", "shift"), execute=_matmul_execute,
           bound=_linear_bound, saturating=True),
    OpSpec("conv", inputs=("x", "w", "b?"), attrs=("strides", "pads", "dilations", "group"),
           reference=_conv_reference, lower=_conv_lower,
           qattrs=("strides", "pads", "dilations", "group", "shift"), execute=_conv_execute,
           bound=_linear_bound, saturating=True),
)
