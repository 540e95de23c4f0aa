"""Pooling producers: `sumpool` and `maxpool` over non-overlapping windows
(circuits/conv.md) and `spatialsum`, the sum over a whole real map
(circuits/nonlinear.md section 2). Their witness is computed by `zkml.witness_spatial`
over the padded spatial layout."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from zkml.compiler.producers.base import (
    Context,
    Extra,
    Producer,
    Ref,
    Shape,
    difference_selector_widths,
    ref_label,
    shape_label,
)

if TYPE_CHECKING:
    import numpy as np

    from zkml.compiler.circuit import Gadget

__all__ = ["SpatialSum", "SumPool", "MaxPool"]


@dataclass(frozen=True)
class SpatialSum(Producer):
    """`acc[c] = 2^lshift sum_s X[c][s]` over the real map of `in_shape`; a flat output."""

    op: ClassVar[str] = "spatialsum"
    x: Ref
    in_shape: Shape
    lshift: int = 0

    def describe(self, width_of: Callable[[Ref], int], features: int) -> str:
        """The map's shape (and a nonzero lshift)."""
        lsh = f" <<{self.lshift}" if self.lshift else ""
        return f"spatialsum({ref_label(self.x)} {shape_label(self.in_shape)}){lsh}"

    def witness(self, ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
        """`acc[c] = 2^l sum_s X[c][s]` over the real map."""
        from zkml.witness_spatial import spatialsum_acc

        return spatialsum_acc(g, ctx.value(self.x)), {}


@dataclass(frozen=True)
class SumPool(Producer):
    """`acc = 2^lshift sum_w X(window point w)`, windows `window` tiling `in_shape`."""

    op: ClassVar[str] = "sumpool"
    SPATIAL: ClassVar[bool] = True
    x: Ref
    in_shape: Shape
    out_shape: Shape
    window: Shape
    lshift: int = 0

    @property
    def windows(self) -> int:
        """Entries per window (`prod window`)."""
        return math.prod(self.window)

    def layout(self) -> Shape:
        """The output's spatial shape."""
        return self.out_shape

    def describe(self, width_of: Callable[[Ref], int], features: int) -> str:
        """The shapes and the window (and a nonzero lshift)."""
        lsh = getattr(self, "lshift", 0)
        return (f"{self.op}({ref_label(self.x)} {shape_label(self.in_shape)} -> "
                f"{shape_label(self.out_shape)}, window {shape_label(self.window)})"
                + (f" <<{lsh}" if lsh else ""))

    def witness(self, ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
        """`acc = 2^l sum_w X(window point w)`."""
        from zkml.witness_spatial import sumpool_acc

        return sumpool_acc(g, ctx.value(self.x)), {}


@dataclass(frozen=True)
class MaxPool(Producer):
    """`z = max_w X(window point w)`, committing `D_w` (`diff_bits`) and `S_w` per window
    point."""

    op: ClassVar[str] = "maxpool"
    SPATIAL: ClassVar[bool] = True
    EXACT: ClassVar[bool] = True
    x: Ref
    in_shape: Shape
    out_shape: Shape
    window: Shape
    diff_bits: int

    windows = SumPool.windows
    layout = SumPool.layout
    describe = SumPool.describe

    def extra_widths(self) -> list[tuple[str, int]]:
        """Every `D_w`, then every selector `S_w`."""
        return difference_selector_widths(self.windows, self.diff_bits)

    def witness(self, ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
        """The window maximum and its `D_w`, `S_w`."""
        from zkml.witness_spatial import maxpool_acc

        return maxpool_acc(g, ctx.spatial_value(self.x, self.in_shape))
