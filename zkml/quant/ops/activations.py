"""Elementwise activations at the input's scale: `relu`, `leaky_relu`, `clip`.

| op | inputs | attrs (graph) | attrs (IR) |
|---|---|---|---|
| relu | x | | |
| leaky_relu | x | alpha (float) | alpha, alpha_shift: alpha as `alpha / 2^alpha_shift` |
| clip | x | lo, hi (float or None) | lo, hi (integers at x's scale, or None) |

The negative branch of `leaky_relu` rounds half up and saturates (quantization.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from zkml.quant.ops.base import Mag, OpSpec, op_bound
from zkml.quant.rounding import check_bound, quantize_float, round_shift, saturate

if TYPE_CHECKING:
    from zkml.onnx_import.graph import Node
    from zkml.quant.ir import QModel, QOp
    from zkml.quant.lower import Lowering


def _clip_reference(x, *, lo, hi):
    return np.clip(x, -np.inf if lo is None else lo, np.inf if hi is None else hi)


def _relu_lower(low: Lowering, node: Node) -> None:
    low.same_scale(node, "relu")


def _leaky_relu_lower(low: Lowering, node: Node) -> None:
    k = low.p.multiplier_bits
    alpha = int(quantize_float(np.array(node.attrs["alpha"]), k, k + 16))
    low.same_scale(node, "leaky_relu", alpha=alpha, alpha_shift=k)


def _clip_lower(low: Lowering, node: Node) -> None:
    x = low.t(node.inputs[0])

    def bound(v: float | None) -> int | None:
        return None if v is None else int(quantize_float(np.array(v), x.frac_bits, x.bits))

    low.same_scale(node, "clip", lo=bound(node.attrs["lo"]), hi=bound(node.attrs["hi"]))


def _relu_execute(model: QModel, op: QOp, x: np.ndarray):
    return np.maximum(x, 0), {}


def _leaky_relu_bound(model: QModel, op: QOp, mag: Mag) -> int:
    return mag(0) * max(abs(op.attrs["alpha"]), 1 << op.attrs["alpha_shift"])


def _leaky_relu_execute(model: QModel, op: QOp, x: np.ndarray):
    alpha, k = op.attrs["alpha"], op.attrs["alpha_shift"]
    check_bound(op_bound(model, op, _leaky_relu_bound) + (1 << k), f"op {op.name}")
    # Computed for every element so the trace has fixed shape; used where x < 0.
    q, rem = round_shift(x * np.int64(alpha), k)
    y = saturate(np.where(x >= 0, x, q), model.tensor(op.output).bits)
    return y, {"quotient": q, "remainder": rem}


def _clip_execute(model: QModel, op: QOp, x: np.ndarray):
    lo, hi = op.attrs["lo"], op.attrs["hi"]
    return np.clip(x, lo, hi).astype(np.int64), {}


OPS = (
    OpSpec("relu", inputs=("x",), reference=lambda x: np.maximum(x, 0.0), lower=_relu_lower,
           qattrs=(), execute=_relu_execute),
    OpSpec("leaky_relu", inputs=("x",), attrs=("alpha",),
           reference=lambda x, *, alpha: np.where(x >= 0, x, alpha * x),
           lower=_leaky_relu_lower, qattrs=("alpha", "alpha_shift"),
           execute=_leaky_relu_execute, bound=_leaky_relu_bound),
    OpSpec("clip", inputs=("x",), attrs=("lo", "hi"), reference=_clip_reference,
           lower=_clip_lower, qattrs=("lo", "hi"), execute=_clip_execute),
)
