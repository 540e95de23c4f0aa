"""Reductions over a set of axes: `mean`, `reduce_max` and the IR-only `reduce_sum`.

| op | inputs | attrs (graph) | attrs (IR) |
|---|---|---|---|
| mean | x | axes, keepdims | axes, keepdims, lshift |
| reduce_max | x | axes, keepdims | axes, keepdims |
| reduce_sum | x | (IR only: softmax's row sum) | axes, keepdims |

A mean is the rounded division of the sum (shifted left by `lshift`) by the element
count; a maximum keeps the input's scale and records the selected element
(quantization.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from zkml.quant.ops.base import Mag, OpSpec, checked
from zkml.quant.rounding import round_div, saturate

if TYPE_CHECKING:
    from zkml.onnx_import.graph import Node
    from zkml.quant.ir import QModel, QOp
    from zkml.quant.lower import Lowering


def _mean_reference(x, *, axes, keepdims):
    return x.mean(axis=tuple(axes), keepdims=bool(keepdims))


def _reduce_max_reference(x, *, axes, keepdims):
    return x.max(axis=tuple(axes), keepdims=bool(keepdims))


def _mean_lower(low: Lowering, node: Node) -> None:
    low.averaging(node, "mean", axes=list(node.attrs["axes"]),
                  keepdims=bool(node.attrs["keepdims"]))


def _reduce_max_lower(low: Lowering, node: Node) -> None:
    low.same_scale(node, "reduce_max", axes=list(node.attrs["axes"]),
                   keepdims=bool(node.attrs["keepdims"]))


def _sum_bound(model: QModel, op: QOp, mag: Mag) -> int:
    shape = model.tensor(op.inputs[0]).shape
    n = int(np.prod([shape[i] for i in op.attrs["axes"]]))
    return (mag(0) * n) << op.attrs.get("lshift", 0)


def _mean_execute(model: QModel, op: QOp, x: np.ndarray):
    axes, keep = tuple(op.attrs["axes"]), op.attrs["keepdims"]
    d = int(np.prod([x.shape[i] for i in axes], dtype=np.int64))
    checked(model, op, _sum_bound)
    total = x.sum(axis=axes, keepdims=keep) << np.int64(op.attrs["lshift"])
    q, rem = round_div(total, d)
    y = saturate(q, model.tensor(op.output).bits)
    return y, {"sum": total, "divisor": np.array(d, dtype=np.int64), "quotient": q,
               "remainder": rem}


def _moved(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Reduced axes moved last and flattened into one."""
    rest = [i for i in range(x.ndim) if i not in axes]
    y = x.transpose(rest + list(axes))
    return y.reshape(y.shape[: len(rest)] + (-1,))


def _keep(y: np.ndarray, x: np.ndarray, axes: tuple[int, ...], keep: bool) -> np.ndarray:
    if not keep:
        return y
    return y.reshape([1 if i in axes else x.shape[i] for i in range(x.ndim)])


def _reduce_max_execute(model: QModel, op: QOp, x: np.ndarray):
    axes = tuple(op.attrs["axes"])
    flat = _moved(x, axes)
    sel = np.argmax(flat, axis=-1)
    m = np.take_along_axis(flat, sel[..., None], axis=-1)[..., 0]
    keep = op.attrs["keepdims"]
    return _keep(m, x, axes, keep), {"selector": _keep(sel, x, axes, keep)}


def _reduce_sum_execute(model: QModel, op: QOp, x: np.ndarray):
    axes = tuple(op.attrs["axes"])
    checked(model, op, _sum_bound)
    return x.sum(axis=axes, keepdims=op.attrs["keepdims"]), {}


OPS = (
    OpSpec("mean", inputs=("x",), attrs=("axes", "keepdims"), reference=_mean_reference,
           lower=_mean_lower, qattrs=("axes", "keepdims", "lshift"), execute=_mean_execute,
           bound=_sum_bound, saturating=True),
    OpSpec("reduce_max", inputs=("x",), attrs=("axes", "keepdims"),
           reference=_reduce_max_reference, lower=_reduce_max_lower,
           qattrs=("axes", "keepdims"), execute=_reduce_max_execute),
    OpSpec("reduce_sum", inputs=("x",), qattrs=("axes", "keepdims"),
           execute=_reduce_sum_execute, bound=_sum_bound),
)
