"""The `table` producer (circuits/nonlinear.md section 3): `z = T[x - lo_x]` over the
whole padded tensor (padding included)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from zkml.compiler.producers.base import Context, Extra, Producer, Ref, ref_label
from zkml.errors import ProverError

if TYPE_CHECKING:
    import numpy as np

    from zkml.compiler.circuit import Gadget

__all__ = ["Table", "table_lookup"]


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

    def witness(self, ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
        """The lookup of the operand in the model-stack table."""
        lo_x = ctx.circuit.x_range(self.x)[0]
        return table_lookup(ctx.matrix(self.table)[0], ctx.value(self.x), lo_x,
                            f"gadget {g.source}"), {}


def table_lookup(table: np.ndarray, x: np.ndarray, lo_x: int, where: str = "table"
                 ) -> np.ndarray:
    """`z = T[x - lo_x]` elementwise (nonlinear.md section 3) over a whole padded tensor."""
    import numpy as np

    idx = x - np.int64(lo_x)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= table.size):
        raise ProverError(f"{where}: an operand leaves the table's domain (the circuit's "
                          "bounds are wrong)")
    return table[idx]
