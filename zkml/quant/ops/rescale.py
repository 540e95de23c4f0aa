"""`rescale` (input x; attr shift), an IR op only: `x` requantized to a coarser-or-equal
scale and a bit bound (round half up by `2^shift`, then saturate). The lowering emits it
wherever a tensor must change scale (`zkml.quant.lower.Lowering.rescale`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from zkml.quant.ops.base import OpSpec, checked, requant

if TYPE_CHECKING:
    from zkml.quant.ir import QModel, QOp


def _rescale_execute(model: QModel, op: QOp, x: np.ndarray):
    checked(model, op, None)
    return requant(x, op.attrs["shift"], model.tensor(op.output))


OPS = (
    OpSpec("rescale", inputs=("x",), qattrs=("shift",), execute=_rescale_execute,
           saturating=True),
)
