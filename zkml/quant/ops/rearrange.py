"""Ops that move values without changing them: `concat`, `reshape`, `transpose`.

| op | inputs | attrs |
|---|---|---|
| concat | x1, x2, ... | axis |
| reshape | x | shape |
| transpose | x | perm |

`reshape` and `transpose` keep the input's scale; `concat` brings its parts to the
coarsest scale among its computed inputs (a constant part is stored at that scale).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from zkml.quant.ops.base import OpSpec

if TYPE_CHECKING:
    from zkml.onnx_import.graph import Node
    from zkml.quant.ir import QModel, QOp
    from zkml.quant.lower import Lowering


def _concat_lower(low: Lowering, node: Node) -> None:
    syms = [i for i in node.inputs if i not in low.g.constants]
    f = min(low.t(i).frac_bits for i in syms)
    parts = []
    for name in node.inputs:
        if name in low.g.constants:
            parts.append(low.exact_const(name, f))
        elif low.t(name).frac_bits == f:
            parts.append(name)
        else:
            parts.append(low.rescale(name, f, low.p.activation_bits))
    bits = max(low.t(p).bits for p in parts)
    low.add_tensor(node.output, low.g.shapes[node.output], f, bits)
    low.op("concat", parts, node.output, axis=node.attrs["axis"])


def _reshape_lower(low: Lowering, node: Node) -> None:
    low.same_scale(node, "reshape", shape=list(node.attrs["shape"]))


def _transpose_lower(low: Lowering, node: Node) -> None:
    low.same_scale(node, "transpose", perm=list(node.attrs["perm"]))


def _concat_execute(model: QModel, op: QOp, *xs: np.ndarray):
    return np.concatenate(xs, axis=op.attrs["axis"]), {}


def _reshape_execute(model: QModel, op: QOp, x: np.ndarray):
    return x.reshape(op.attrs["shape"]), {}


def _transpose_execute(model: QModel, op: QOp, x: np.ndarray):
    return np.ascontiguousarray(x.transpose(op.attrs["perm"])), {}


OPS = (
    OpSpec("concat", inputs=("*xs",), attrs=("axis",),
           reference=lambda *xs, axis: np.concatenate(xs, axis=axis), lower=_concat_lower,
           qattrs=("axis",), execute=_concat_execute),
    OpSpec("reshape", inputs=("x",), attrs=("shape",),
           reference=lambda x, *, shape: x.reshape(shape), lower=_reshape_lower,
           qattrs=("shape",), execute=_reshape_execute),
    OpSpec("transpose", inputs=("x",), attrs=("perm",),
           reference=lambda x, *, perm: x.transpose(perm), lower=_transpose_lower,
           qattrs=("perm",), execute=_transpose_execute),
)
