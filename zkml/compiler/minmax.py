"""Compiling Max, Min and Abs (the IR's `max2`) to a `max2` gadget (circuits/max.md).

`acc = dir max(dir sx 2^lx x, dir sy 2^ly y)` over two operands of the same shape and
layout (the ONNX handlers refuse broadcasting), then the gadget's requantization by
`2^shift` and clamp. The committed differences `A = dir (acc - X)`, `B = dir (acc - Y)`
are at most `|X| + |Y|`, so `diff_bits = bits(max|X| + max|Y|)` from the operands' clamp
ranges (padded entries included: they are clamped values or the input's zeros).
"""

from __future__ import annotations

from zkml.compiler.circuit import MAX_BITS, bits
from zkml.compiler.producers import Max2
from zkml.compiler.state import State, refuse
from zkml.quant.executor import accumulator_bound
from zkml.quant.ir import QOp

__all__ = ["HANDLERS"]


def _max2(s: State, op: QOp) -> None:
    m = s.model
    a_name, b_name = op.inputs
    out = m.tensor(op.output)
    if m.tensor(a_name).shape != out.shape or m.tensor(b_name).shape != out.shape:
        raise refuse(op, "a maximum or minimum of tensors of different shapes")
    x, y = s.ref(op, a_name), s.ref(op, b_name)
    layout = s.layout(a_name)
    if s.layout(b_name) != layout:
        raise refuse(op, "the operands are laid out differently (a spatial tensor and a "
                         "flattened one)")
    lshifts = tuple(int(v) for v in op.attrs["lshifts"])
    mags = [max(abs(v) for v in s.clamp_range(ref)) << k
            for ref, k in zip((x, y), lshifts, strict=True)]
    diff_bits = max(bits(mags[0] + mags[1]), 1)
    if diff_bits > MAX_BITS:
        raise refuse(op, f"the operands' difference could reach 2^{diff_bits - 1}; it must "
                         f"stay below 2^{MAX_BITS}")
    signs = (int(op.attrs["signs"][0]), int(op.attrs["signs"][1]))
    producer = Max2(x, y, signs, (lshifts[0], lshifts[1]), int(op.attrs["dir"]), diff_bits)
    s.add_gadget(op, out, accumulator_bound(m, op), producer, layout,
                 shift=op.attrs["shift"])


HANDLERS = {"max2": _max2}
