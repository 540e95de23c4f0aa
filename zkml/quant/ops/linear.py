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
from zkml.quant.ops.base import Mag, OpSpec, checked, requant
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


def _weight_sum(model: QModel, op: QOp) -> int:
    """max over outputs of sum |w| (cached): the matmul/conv gain on |x|."""
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
    return model.cache[key]


def _bias_max(model: QModel, op: QOp) -> int:
    return int(np.abs(model.constants[op.inputs[2]]).max()) if len(op.inputs) > 2 else 0


def _linear_bound(model: QModel, op: QOp, mag: Mag) -> int:
    return mag(0) * _weight_sum(model, op) + _bias_max(model, op)


def _matmul_execute(model: QModel, op: QOp, x: np.ndarray, w: np.ndarray, *b: np.ndarray):
    bound = checked(model, op, _linear_bound)
    acc = exact_matmul(x, w, bound) if op.attrs["side"] == "right" else exact_matmul(w, x, bound)
    if b:
        acc = acc + b[0]
    return requant(acc, op.attrs["shift"], model.tensor(op.output))


def _conv_execute(model: QModel, op: QOp, x: np.ndarray, w: np.ndarray, *b: np.ndarray):
    a = op.attrs
    bound = checked(model, op, _linear_bound)
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
