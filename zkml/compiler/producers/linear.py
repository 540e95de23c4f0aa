"""Producers multiplying by a committed weight matrix: `dense` (circuits/inference.md
section 1) and `conv` (circuits/conv.md, its witness computed by `zkml.witness_spatial`).
The accumulator bound is checked on the actual values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from zkml.compiler.producers.base import (
    Context,
    Extra,
    Producer,
    Ref,
    Shape,
    geometry_label,
    maxabs,
    ref_label,
    shape_label,
)

if TYPE_CHECKING:
    import numpy as np

    from zkml.compiler.circuit import Gadget

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

    def witness(self, ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
        """`acc = x W^T + 2^bias_shift b`."""
        import numpy as np

        from zkml.quant.rounding import check_bound, exact_matmul

        x = ctx.value(self.x)
        w = ctx.matrix(self.weight)
        bound = maxabs(x) * (int(np.abs(w).sum(axis=1).max()) if w.size else 0)
        bias = None
        if self.bias is not None:
            bias = ctx.matrix(self.bias)[0] << np.int64(self.bias_shift)
            bound += maxabs(bias)
        check_bound(bound + (1 << g.shift), f"gadget {g.source}")
        acc = exact_matmul(x, w.T, max(bound, 1))
        return (acc + bias if bias is not None else acc), {}


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

    def witness(self, ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
        """`acc = sum W X + 2^bias_shift bias[o]` over the padded output (conv.md)."""
        import numpy as np

        from zkml.witness_spatial import conv_acc

        bias = (None if self.bias is None
                else ctx.matrix(self.bias)[0] << np.int64(self.bias_shift))
        return conv_acc(g, ctx.value(self.x), ctx.matrix(self.weight), bias), {}
