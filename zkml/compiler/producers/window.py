"""General pooling windows through the wiring MLE (circuits/conv.md section 5):
`winsum` and `winmax`, with `kernel`, `strides`, `dilations` and begin `pads`. Their
witness is computed by `zkml.witness_spatial` over the padded spatial layout."""

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
    geometry_label,
    ref_label,
    shape_label,
)

if TYPE_CHECKING:
    import numpy as np

    from zkml.compiler.circuit import Gadget

__all__ = ["WinSum", "WinMax"]


@dataclass(frozen=True)
class WinSum(Producer):
    """`acc = 2^lshift sum_t V_t X_t` over the taps of each window."""

    op: ClassVar[str] = "winsum"
    SPATIAL: ClassVar[bool] = True
    x: Ref
    in_shape: Shape
    out_shape: Shape
    kernel: Shape
    strides: Shape
    dilations: Shape
    pads: Shape
    lshift: int = 0

    @property
    def taps(self) -> int:
        """Taps of a window (`prod kernel`)."""
        return math.prod(self.kernel)

    def layout(self) -> Shape:
        """The output's spatial shape."""
        return self.out_shape

    def describe(self, width_of: Callable[[Ref], int], features: int) -> str:
        """The shapes and the window geometry (and a nonzero lshift)."""
        lsh = getattr(self, "lshift", 0)
        return (f"{self.op}({ref_label(self.x)} {shape_label(self.in_shape)} -> "
                f"{shape_label(self.out_shape)}, "
                f"{geometry_label(self.kernel, self.strides, self.dilations, self.pads)})"
                + (f" <<{lsh}" if lsh else ""))

    def witness(self, ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
        """`acc = 2^l sum_t V_t X_t`."""
        from zkml.witness_spatial import winsum_acc

        return winsum_acc(g, ctx.spatial_value(self.x, self.in_shape)), {}


@dataclass(frozen=True)
class WinMax(Producer):
    """The maximum over the reading taps, committing `D_t` (`diff_bits`) and `S_t` per
    tap."""

    op: ClassVar[str] = "winmax"
    SPATIAL: ClassVar[bool] = True
    EXACT: ClassVar[bool] = True
    x: Ref
    in_shape: Shape
    out_shape: Shape
    kernel: Shape
    strides: Shape
    dilations: Shape
    pads: Shape
    diff_bits: int

    taps = WinSum.taps
    layout = WinSum.layout
    describe = WinSum.describe

    def extra_widths(self) -> list[tuple[str, int]]:
        """Every `D_t`, then every selector `S_t`."""
        return difference_selector_widths(self.taps, self.diff_bits)

    def witness(self, ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
        """The maximum over the reading taps and its `D_t`, `S_t`."""
        from zkml.witness_spatial import winmax_acc

        return winmax_acc(g, ctx.spatial_value(self.x, self.in_shape))
