"""Handlers of ONNX Max, Min and Abs: the canonical op `max2` (zkml.quant.ops.max2,
circuits/max.md), the elementwise `dir max(dir sx a, dir sy b)` of two computed tensors
of one shape.

Max and Min of more than two inputs chain pairwise; a scalar constant operand is a clamp
(`Max(x, 0)` is a ReLU, `Min(x, 6)` a Clip); `Abs(x)` is `max(x, -x)`. Other constant
operands and broadcasting between computed tensors are refused, naming the node.
"""

# Handlers are named after ONNX ops and take ONNX's input names (tinygrad style).
# ruff: noqa: N802

from __future__ import annotations

import numpy as np

from zkml.onnx_import.builder import Builder, Sym, Value, is_const, unsupported
from zkml.onnx_import.registry import handler

__all__ = ["Max", "Min", "Abs"]


def _scalar(v: Value) -> float | None:
    """A constant with one value (any rank), else None."""
    arr = np.asarray(v, dtype=np.float64)
    return float(arr.reshape(-1)[0]) if np.unique(arr).size == 1 else None


def _pair(b: Builder, a: Value, c: Value, direction: int, what: str) -> Value:
    """`dir max(dir a, dir c)` of two operands (a constant one folded or clamped)."""
    if is_const(a) and is_const(c):
        fn = np.maximum if direction > 0 else np.minimum
        return fn(np.asarray(a, dtype=np.float64), np.asarray(c, dtype=np.float64))
    if is_const(a):
        a, c = c, a
    if is_const(c):
        bound = _scalar(c)
        if bound is None or np.broadcast_shapes(np.shape(c), a.shape) != a.shape:
            raise unsupported(f"{what} of a tensor and a non-scalar constant is not "
                              "supported (only a scalar bound: a clamp)")
        bounds = {"lo": bound, "hi": None} if direction > 0 else {"lo": None, "hi": bound}
        return b.emit("clip", [a], **bounds)
    if a.shape != c.shape:
        raise unsupported(f"{what} of tensors of shapes {a.shape} and {c.shape}: "
                          "broadcasting is not supported")
    return b.emit("max2", [a, c], signs=(1, 1), dir=direction)


def _chain(b: Builder, inputs: tuple[Value, ...], direction: int, what: str) -> Sym:
    if not inputs:
        raise unsupported(f"{what} needs at least one input")
    out = inputs[0]
    for v in inputs[1:]:
        out = _pair(b, out, v, direction, what)
    if not isinstance(out, Sym):
        raise unsupported(f"{what} of constants only is not supported")
    return out


@handler
def Max(b: Builder, *data_0: Value) -> Sym:
    """Elementwise maximum of one or more tensors (pairwise)."""
    return _chain(b, data_0, 1, "Max")


@handler
def Min(b: Builder, *data_0: Value) -> Sym:
    """Elementwise minimum of one or more tensors (pairwise)."""
    return _chain(b, data_0, -1, "Min")


@handler
def Abs(b: Builder, X: Value) -> Sym:  # noqa: N803 (ONNX's input name)
    """|x| = max(x, -x): one max2 of x with itself, the second operand negated."""
    if is_const(X):
        raise unsupported("Abs of a constant is not supported")
    return b.emit("max2", [X, X], signs=(1, -1), dir=1)
