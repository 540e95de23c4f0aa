"""`mul` (inputs a, b; no attrs): the elementwise product with broadcasting, `b` a
constant or a tensor; `acc = a * b` at the sum of the two scales, requantized by
`shift` (quantization.md). ONNX Mul, Div by a constant and Neg import as it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from zkml.quant.ops.base import Mag, OpSpec, checked, requant

if TYPE_CHECKING:
    from zkml.onnx_import.graph import Node
    from zkml.quant.ir import QModel, QOp
    from zkml.quant.lower import Lowering


def _mul_lower(low: Lowering, node: Node) -> None:
    a_name, b_name = node.inputs
    a = low.operand(a_name, None, low.p.weight_bits)
    b = low.operand(b_name, None, low.p.weight_bits)
    f = low.t(a).frac_bits + low.t(b).frac_bits
    fy = low.act_frac(node.output, cap=f)
    low.add_tensor(node.output, low.g.shapes[node.output], fy, low.p.activation_bits)
    low.op("mul", [a, b], node.output, shift=f - fy)


def _mul_bound(model: QModel, op: QOp, mag: Mag) -> int:
    return mag(0) * mag(1)


def _mul_execute(model: QModel, op: QOp, x: np.ndarray, y: np.ndarray):
    checked(model, op, _mul_bound)
    return requant(x * y, op.attrs["shift"], model.tensor(op.output))


OPS = (
    OpSpec("mul", inputs=("a", "b"), reference=lambda a, b: a * b, lower=_mul_lower,
           qattrs=("shift",), execute=_mul_execute, bound=_mul_bound, saturating=True),
)
