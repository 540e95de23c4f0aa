"""The `max2` gadget (circuits/max.md): ONNX Max, Min and Abs (the quantized IR's `max2`)
as `acc = dir max(dir sx 2^lx x, dir sy 2^ly y)`, committing `A = dir (acc - X)` and
`B = dir (acc - Y)` of `diff_bits` each (both `>= 0`, one of them 0 at every entry). It
keeps its first operand's layout (both operands share it: the lowering refuses mixed
layouts).

The module is the gadget's whole prover side in Python: its record, its witness and its
lowering (`LOWERINGS`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from zkml.compiler.limits import MAX_BITS
from zkml.compiler.producers.base import (
    Context,
    Extra,
    Lowering,
    Producer,
    Ref,
    bits,
    maxabs,
    producer_of,
    ref_label,
    refuse,
)

if TYPE_CHECKING:
    import numpy as np

    from zkml.compiler.circuit import Gadget
    from zkml.compiler.state import State
    from zkml.quant.ir import QOp

__all__ = ["Max2", "max2_acc", "LOWERINGS"]


@dataclass(frozen=True)
class Max2(Producer):
    """`dir = +1` for a maximum, `-1` for a minimum; `Abs(x)` is `x` and `y = x` with
    `signs = (1, -1)`."""

    op: ClassVar[str] = "max2"
    REFS: ClassVar[tuple[str, ...]] = ("x", "y")
    KEEPS_LAYOUT: ClassVar[bool] = True
    x: Ref
    y: Ref
    signs: tuple[int, int]
    lshifts: tuple[int, int]
    dir: int
    diff_bits: int

    def extra_widths(self) -> list[tuple[str, int]]:
        """`A` then `B`, both `diff_bits` wide (max.md 2)."""
        return [("A", self.diff_bits), ("B", self.diff_bits)]

    def describe(self, width_of: Callable[[Ref], int], features: int) -> str:
        """`max(+x<<lx, -y<<ly)` (`min` for `dir = -1`)."""
        sx, sy = ("+" if s > 0 else "-" for s in self.signs)
        name = "max" if self.dir > 0 else "min"
        return (f"{name}({sx}{ref_label(self.x)}<<{self.lshifts[0]}, "
                f"{sy}{ref_label(self.y)}<<{self.lshifts[1]})")

    def witness(self, ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
        """`max2_acc` of the two operands."""
        return max2_acc(g, ctx.value(self.x), ctx.value(self.y))


def max2_acc(g: Gadget, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, Extra]:
    """`acc = dir max(dir X, dir Y)` over the whole padded tensors (padding included) and
    the values of its `A`, `B` columns."""
    import numpy as np

    from zkml.quant.rounding import check_bound

    p = producer_of(g, Max2)
    (sx, sy), (lx, ly), d = p.signs, p.lshifts, p.dir
    amax = max(maxabs(x) << lx, maxabs(y) << ly)
    check_bound(2 * amax + (1 << g.shift), f"gadget {g.source}")  # |X - Y| <= 2 max
    xs, ys = sx * (x << np.int64(lx)), sy * (y << np.int64(ly))
    acc = d * np.maximum(d * xs, d * ys)
    return acc, {"A": d * (acc - xs), "B": d * (acc - ys)}


def lower_max2(s: State, op: QOp) -> None:
    """The IR's `max2` as a `max2` gadget over two operands of the same shape and layout
    (the ONNX handlers refuse broadcasting), then the gadget's requantization by
    `2^shift` and clamp. The committed differences `A`, `B` are at most `|X| + |Y|`, so
    `diff_bits = bits(max|X| + max|Y|)` from the operands' clamp ranges (padded entries
    included: they are clamped values or the input's zeros)."""
    from zkml.quant.executor import accumulator_bound

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


#: The quantized IR's ops this module lowers (collected into `zkml.compiler.build`'s
#: table by `zkml.compiler.producers.LOWERINGS`).
LOWERINGS: dict[str, Lowering] = {"max2": lower_max2}
