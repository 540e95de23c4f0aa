"""`argmax` (input x; attrs axis, keepdims, select_last_index): the index of the maximum
along one axis, ties to the first index (or the last, if asked), as ONNX ArgMax. The
output is an integer tensor at scale 1, as wide as the largest index needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from zkml.quant.ops.base import OpSpec
from zkml.quant.rounding import bits_for

if TYPE_CHECKING:
    from zkml.onnx_import.graph import Node
    from zkml.quant.ir import QModel, QOp
    from zkml.quant.lower import Lowering

_ATTRS = ("axis", "keepdims", "select_last_index")


def _argmax_reference(x, *, axis, keepdims, select_last_index):
    if select_last_index:
        idx = x.shape[axis] - 1 - np.argmax(np.flip(x, axis=axis), axis=axis)
    else:
        idx = np.argmax(x, axis=axis)
    return np.expand_dims(idx, axis) if keepdims else idx


def _argmax_lower(low: Lowering, node: Node) -> None:
    x = low.t(node.inputs[0])
    n = x.shape[node.attrs["axis"]]
    low.add_tensor(node.output, low.g.shapes[node.output], 0, bits_for(n - 1))
    low.op("argmax", [x.name], node.output, axis=node.attrs["axis"],
           keepdims=bool(node.attrs["keepdims"]),
           select_last_index=bool(node.attrs["select_last_index"]))


def _argmax_execute(model: QModel, op: QOp, x: np.ndarray):
    axis = op.attrs["axis"]
    if op.attrs["select_last_index"]:
        idx = x.shape[axis] - 1 - np.argmax(np.flip(x, axis=axis), axis=axis)
    else:
        idx = np.argmax(x, axis=axis)  # numpy, like ONNX, returns the first maximum
    idx = idx.astype(np.int64)
    return (np.expand_dims(idx, axis) if op.attrs["keepdims"] else idx), {}


OPS = (
    OpSpec("argmax", inputs=("x",), attrs=_ATTRS, reference=_argmax_reference,
           lower=_argmax_lower, qattrs=_ATTRS, execute=_argmax_execute),
)
