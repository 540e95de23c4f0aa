"""`add` (inputs a, b; attr signs `(sa, sb)`): `sa * a + sb * b` with broadcasting, signs
+-1 (ONNX Add and Sub; a bias or residual). In the IR, `acc = sa * (a << la) + sb *
(b << lb)`, the left shifts aligning the two scales exactly, requantized by `shift`
(quantization.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from zkml.quant.ops.base import Mag, OpSpec, checked, requant

if TYPE_CHECKING:
    from zkml.onnx_import.graph import Node
    from zkml.quant.ir import QModel, QOp
    from zkml.quant.lower import Lowering

#: Bits of an added constant at the sum's scale (the model stack's signed entries).
CONST_STORED_BITS = 16


def _add_lower(low: Lowering, node: Node) -> None:
    a_name, b_name = node.inputs
    a_sym = None if a_name in low.g.constants else a_name
    b_sym = None if b_name in low.g.constants else b_name
    a = low.operand(a_name, b_sym, low.p.activation_bits)
    b = low.operand(b_name, a_sym, low.p.activation_bits)
    fa, fb = low.t(a).frac_bits, low.t(b).frac_bits
    f = max(fa, fb)
    if (a_sym is None) != (b_sym is None):
        a, b, f = _const_sum_scale(low, a, b, f)
        fa, fb = low.t(a).frac_bits, low.t(b).frac_bits
    fy = low.act_frac(node.output, cap=f)
    low.add_tensor(node.output, low.g.shapes[node.output], fy, low.p.activation_bits)
    low.op("add", [a, b], node.output, signs=list(node.attrs["signs"]),
           lshifts=[f - fa, f - fb], shift=f - fy)


def _const_sum_scale(low: Lowering, a: str, b: str, f: int) -> tuple[str, str, int]:
    """`x + c` is summed at the finer scale `f` of the two, but the circuit stores `c`
    at that scale in the model stack, whose entries have at most `CONST_STORED_BITS`
    bits: when `c` would need more (1.0 next to a 2^-15 sigmoid), sum at `c`'s own
    scale instead, the tensor rescaled to it (round half up: an explicit op)."""
    c, x = (a, b) if low.t(a).role == "weight" else (b, a)
    fc = low.t(c).frac_bits
    # The constant's format at scale f, not its values: the choice shapes the circuit.
    if fc >= f or low.t(c).bits + f - fc <= CONST_STORED_BITS:
        return a, b, f
    moved = low.rescale(x, fc, low.p.activation_bits)
    return (moved, c, fc) if x == a else (c, moved, fc)


def _add_bound(model: QModel, op: QOp, mag: Mag) -> int:
    return (mag(0) << op.attrs["lshifts"][0]) + (mag(1) << op.attrs["lshifts"][1])


def _add_execute(model: QModel, op: QOp, x: np.ndarray, y: np.ndarray):
    (sa, sb), (la, lb), k = op.attrs["signs"], op.attrs["lshifts"], op.attrs["shift"]
    checked(model, op, _add_bound)
    acc = sa * (x << np.int64(la)) + sb * (y << np.int64(lb))
    return requant(acc, k, model.tensor(op.output))


OPS = (
    OpSpec("add", inputs=("a", "b"), attrs=("signs",),
           reference=lambda a, b, *, signs: signs[0] * a + signs[1] * b, lower=_add_lower,
           qattrs=("signs", "lshifts", "shift"), execute=_add_execute, bound=_add_bound,
           saturating=True),
)
