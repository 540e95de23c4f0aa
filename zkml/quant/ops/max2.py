"""`max2` (inputs a, b; attrs signs `(sa, sb)`, dir): `dir * max(dir * sa * a, dir * sb
* b)` of two tensors of one shape: ONNX Max (dir 1), Min (dir -1) and Abs (`b = a`,
`sb = -1`); the handlers are `zkml.onnx_import.handlers_minmax`, the circuit
circuits/max.md.

In the IR both operands are aligned to the finer of their scales by left shifts, as for
an `add`; `acc` is the chosen scaled operand, requantized by `shift` (quantization.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from zkml.quant.ops.base import Mag, OpSpec, checked, requant

if TYPE_CHECKING:
    from zkml.onnx_import.graph import Node
    from zkml.quant.ir import QModel, QOp
    from zkml.quant.lower import Lowering


def _max2_reference(a, b, *, signs, dir):
    return dir * np.maximum(dir * signs[0] * a, dir * signs[1] * b)


def _max2_lower(low: Lowering, node: Node) -> None:
    """Max / Min of two tensors at the finer scale `f` of the two (`lshifts` align
    them, as for an add), requantized to the output's scale (quantization.md)."""
    a, b = node.inputs
    fa, fb = low.t(a).frac_bits, low.t(b).frac_bits
    f = max(fa, fb)
    fy = low.act_frac(node.output, cap=f)
    low.add_tensor(node.output, low.g.shapes[node.output], fy, low.p.activation_bits)
    low.op("max2", [a, b], node.output, signs=list(node.attrs["signs"]),
           lshifts=[f - fa, f - fb], dir=int(node.attrs["dir"]), shift=f - fy)


def _max2_bound(model: QModel, op: QOp, mag: Mag) -> int:
    """acc is one of the two scaled operands."""
    return max(mag(0) << op.attrs["lshifts"][0], mag(1) << op.attrs["lshifts"][1])


def _max2_execute(model: QModel, op: QOp, x: np.ndarray, y: np.ndarray):
    (sa, sb), (la, lb), d = op.attrs["signs"], op.attrs["lshifts"], op.attrs["dir"]
    checked(model, op, _max2_bound)
    acc = d * np.maximum(d * sa * (x << np.int64(la)), d * sb * (y << np.int64(lb)))
    return requant(acc, op.attrs["shift"], model.tensor(op.output))


OPS = (
    OpSpec("max2", inputs=("a", "b"), attrs=("signs", "dir"), reference=_max2_reference,
           lower=_max2_lower, qattrs=("signs", "lshifts", "dir", "shift"),
           execute=_max2_execute, bound=_max2_bound, saturating=True),
)
