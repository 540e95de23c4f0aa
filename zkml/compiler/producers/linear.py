"""Producers multiplying by a committed weight matrix: `dense` (circuits/inference.md
section 1) and `conv` (circuits/conv.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from zkml.compiler.producers.base import (
    Producer,
    Ref,
    Shape,
    geometry_label,
    ref_label,
    shape_label,
)

__all__ = ["Dense", "Conv"]


@dataclass(frozen=True)
class Dense(Producer):
    """`acc = W x + 2^bias_shift b` with the model-stack tensors `weight` and `bias`."""

    op: ClassVar[str] = "dense"
    x: Ref
    weight: str
    bias: str | None = None
    bias_shift: int = 0

    def stack_tensors(self) -> tuple[str, ...]:
        """The weight and the bias (if any)."""
        return (self.weight,) if self.bias is None else (self.weight, self.bias)

    def describe(self, width_of: Callable[[Ref], int], features: int) -> str:
        """`dense(x, W=.., b=..)`."""
        return f"dense({ref_label(self.x)}, W={self.weight}" + \
            (f", b={self.bias})" if self.bias else ")")


@dataclass(frozen=True)
class Conv(Dense):
    """A convolution over the padded spatial layout of `in_shape` into that of
    `out_shape` (`kernel`, `strides`, `dilations`, begin `pads`), conv.md."""

    op: ClassVar[str] = "conv"
    SPATIAL: ClassVar[bool] = True
    in_shape: Shape = ()
    out_shape: Shape = ()
    kernel: Shape = ()
    strides: Shape = ()
    dilations: Shape = ()
    pads: Shape = ()

    def layout(self) -> Shape:
        """The output's spatial shape."""
        return self.out_shape

    def describe(self, width_of: Callable[[Ref], int], features: int) -> str:
        """The shapes, tensors and window geometry."""
        bias = f", b={self.bias}" if self.bias else ""
        return (f"conv({ref_label(self.x)} {shape_label(self.in_shape)} -> "
                f"{shape_label(self.out_shape)}, W={self.weight}{bias}, "
                f"{geometry_label(self.kernel, self.strides, self.dilations, self.pads)})")

