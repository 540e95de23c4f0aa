"""`div` (inputs n, d; attr lshift), an IR op only: the rounded division `n * 2^l / d` by
a positive tensor `d` (broadcast), with a range-checked remainder; softmax's
normalization (zkml.quant.ops.softmax) emits it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from zkml.quant.ops.base import Mag, OpSpec, checked
from zkml.quant.rounding import QuantOverflowError, saturate

if TYPE_CHECKING:
    from zkml.quant.ir import QModel, QOp


def _div_bound(model: QModel, op: QOp, mag: Mag) -> int:
    return (mag(0) << (op.attrs["lshift"] + 1)) + mag(1)


def _div_execute(model: QModel, op: QOp, num: np.ndarray, den: np.ndarray):
    # Round half up of num * 2^l / den as floor((2 * num * 2^l + den) / (2 * den)): no
    # floor(den / 2), so a prover needs no parity bit of the divisor.
    checked(model, op, _div_bound)
    if den.size and int(den.min()) <= 0:
        raise QuantOverflowError(f"op {op.name}: divisor must be positive, got {int(den.min())}")
    t = (num << np.int64(op.attrs["lshift"] + 1)) + den
    q = np.floor_divide(t, 2 * den)
    rem = t - q * 2 * den
    y = saturate(q, model.tensor(op.output).bits)
    return y, {"quotient": q, "remainder": rem}


OPS = (
    OpSpec("div", inputs=("n", "d"), qattrs=("lshift",), execute=_div_execute,
           bound=_div_bound, saturating=True),
)
