"""The `table` producer (circuits/nonlinear.md section 3): `z = T[x - lo_x]`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from zkml.compiler.producers.base import Producer, Ref, ref_label

__all__ = ["Table"]


@dataclass(frozen=True)
class Table(Producer):
    """A lookup of `x` in the model-stack table `table` (one `t_g` column each)."""

    op: ClassVar[str] = "table"
    KEEPS_LAYOUT: ClassVar[bool] = True
    EXACT: ClassVar[bool] = True
    x: Ref
    table: str

    def stack_tensors(self) -> tuple[str, ...]:
        """The table."""
        return (self.table,)

    def describe(self, width_of: Callable[[Ref], int], features: int) -> str:
        """`table(x, T=..)`."""
        return f"table({ref_label(self.x)}, T={self.table})"
