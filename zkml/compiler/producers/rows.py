"""Row producers (circuits/nonlinear.md sections 7, 12): Softmax's `rowmax` and
`rowdiv`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from zkml.compiler.producers.base import Producer, Ref, ref_label

__all__ = ["RowMax", "RowDiv"]


@dataclass(frozen=True)
class RowMax(Producer):
    """The maximum of the first `n` entries of each row (group) of `x`, committing `D`
    and `S` of the operand's length."""

    op: ClassVar[str] = "rowmax"
    EXACT: ClassVar[bool] = True
    OPERAND_COLUMNS: ClassVar[tuple[str, ...]] = ("D", "S")
    x: Ref
    n: int
    diff_bits: int

    def extra_widths(self) -> list[tuple[str, int]]:
        """`D` (`diff_bits`) and the selector `S`."""
        return [("D", self.diff_bits), ("S", 1)]

    def describe(self, width_of: Callable[[Ref], int], features: int) -> str:
        """`rowmax(x, n ..)`."""
        return f"rowmax({ref_label(self.x)}, n {self.n})"


@dataclass(frozen=True)
class RowDiv(Producer):
    """`q = floor((2^(l+1) x + y) / (2 y))` for the row value `y`, committing `R` and `Rc`
    of `remainder_bits` (the JSON's `rem_bits`)."""

    op: ClassVar[str] = "rowdiv"
    REFS: ClassVar[tuple[str, ...]] = ("x", "y")
    JSON_NAMES: ClassVar[dict[str, str]] = {"remainder_bits": "rem_bits"}
    KEEPS_LAYOUT: ClassVar[bool] = True
    x: Ref
    y: Ref
    lshift: int
    remainder_bits: int

    def extra_widths(self) -> list[tuple[str, int]]:
        """The remainder `R` and its complement `Rc`."""
        return [("R", self.remainder_bits), ("Rc", self.remainder_bits)]

    def describe(self, width_of: Callable[[Ref], int], features: int) -> str:
        """`rowdiv(x <<l, / y)`."""
        return f"rowdiv({ref_label(self.x)} <<{self.lshift}, / {ref_label(self.y)})"
