"""Row producers (circuits/nonlinear.md sections 7, 12): Softmax's `rowmax` and
`rowdiv`, and their witness over row values broadcast along a row (group)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from zkml.compiler.producers.base import (
    Context,
    Extra,
    Producer,
    Ref,
    ceil_log2,
    maxabs,
    producer_of,
    ref_label,
)
from zkml.errors import ProverError

if TYPE_CHECKING:
    import numpy as np

    from zkml.compiler.circuit import Gadget

__all__ = ["RowMax", "RowDiv", "row_values", "rowmax_acc", "rowdiv_acc"]


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

    def witness(self, ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
        """`rowmax_acc` of the operand."""
        return rowmax_acc(g, ctx.value(self.x))


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

    def witness(self, ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
        """`rowdiv_acc` of the operand and its row value."""
        return rowdiv_acc(g, ctx.value(self.x), ctx.value(self.y), f"gadget {g.source}")


# --- the witness (numpy, imported when called) ---


def row_values(y: np.ndarray, width: int) -> np.ndarray:
    """A row value `y` `(B', pad(G))` broadcast along the low `log2 P` feature positions of
    a `(B', width)` tensor, `P = width / pad(G)` (nonlinear.md sections 6, 12: the value
    of group `g` at every position `i + P g`); a tensor of the full width as it is."""
    import numpy as np

    return np.repeat(y, width // y.shape[1], axis=1) if y.shape[1] < width else y


def rowmax_acc(g: Gadget, x: np.ndarray) -> tuple[np.ndarray, Extra]:
    """A rowmax gadget (nonlinear.md sections 7, 12) over its operand `x` `(B', width(x))`
    read as `pad(G)` groups of `P` entries: `z[b][g] = max_{i < n} x[b][i + P g]` for every
    padded row and group, `D = mask (z - x)` and `S` one-hot on the first maximum of the
    real entries (zero on padding), both of `x`'s shape."""
    import numpy as np

    n = producer_of(g, RowMax).n
    groups = 1 << ceil_log2(g.features)
    rows, width = x.shape
    x3 = x.reshape(rows, groups, width // groups)
    sel = x3[:, :, :n].argmax(axis=2)  # numpy returns the first maximum
    z = np.take_along_axis(x3, sel[:, :, None], axis=2)[:, :, 0]
    pos = np.arange(width // groups)
    mask = (pos < n).astype(np.int64)[None, None, :]
    diff = mask * (z[:, :, None] - x3)
    onehot = (pos[None, None, :] == sel[:, :, None]).astype(np.int64)
    return z, {"D": diff.reshape(rows, width), "S": onehot.reshape(rows, width)}


def rowdiv_acc(g: Gadget, x: np.ndarray, y: np.ndarray, where: str = "rowdiv"
               ) -> tuple[np.ndarray, Extra]:
    """A rowdiv gadget (nonlinear.md sections 7, 12): `q = floor((2^(l+1) x + y) / (2 y))`
    over the whole padded tensor, `y` the row value of `x`'s group (broadcast along its
    positions), with `R = 2^(l+1) x + y - 2 y q` and `Rc = 2 y - 1 - R`."""
    import numpy as np

    from zkml.quant.rounding import check_bound

    lshift = producer_of(g, RowDiv).lshift
    if y.size and int(y.min()) < 1:
        raise ProverError(f"{where}: a row's divisor is {int(y.min())} < 1 (the circuit "
                          "guarantees y >= 1 on every row)")
    y = row_values(y, x.shape[1])
    check_bound((maxabs(x) << (lshift + 1)) + 2 * maxabs(y), where)
    num = (x << np.int64(lshift + 1)) + y
    q = np.floor_divide(num, 2 * y)
    rem = num - 2 * y * q
    return q, {"R": rem, "Rc": 2 * y - 1 - rem}
