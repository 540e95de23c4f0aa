"""The `max2` producer (circuits/max.md): ONNX Max, Min and Abs as
`acc = dir max(dir sx 2^lx x, dir sy 2^ly y)`, committing `A = dir (acc - X)` and
`B = dir (acc - Y)` of `diff_bits` each. It keeps its first operand's layout (both
operands share it: the compiler refuses mixed layouts)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from zkml.compiler.producers.base import Producer, Ref, ref_label

__all__ = ["Max2"]


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
