"""Handlers of elementwise ops: arithmetic with constants or tensors, activations, Softmax."""

# Handlers are named after ONNX ops and take ONNX's input names (tinygrad style).
# ruff: noqa: N802, N803

from __future__ import annotations

import numpy as np

from zkml.onnx_import.builder import (
    Builder,
    HandlerError,
    Sym,
    Value,
    as_float,
    const,
    is_const,
    unsupported,
)
from zkml.onnx_import.errors import NonConstantWeightError
from zkml.onnx_import.registry import handler, norm_axis


@handler
def Add(b: Builder, A: Value, B: Value) -> Sym:
    """Elementwise sum with broadcasting (bias, residual)."""
    return b.emit("add", [as_float(A), as_float(B)], signs=(1, 1))


@handler
def Sub(b: Builder, A: Value, B: Value) -> Sym:
    """Elementwise difference with broadcasting."""
    return b.emit("add", [as_float(A), as_float(B)], signs=(1, -1))


@handler
def Mul(b: Builder, A: Value, B: Value) -> Sym:
    """Elementwise product with broadcasting."""
    return b.emit("mul", [as_float(A), as_float(B)])


@handler
def Div(b: Builder, A: Value, B: Value) -> Sym:
    """Division by a constant, as a product with its reciprocal."""
    if not is_const(B):
        raise HandlerError(
            "division by a computed tensor is not supported; the divisor must be a constant",
            NonConstantWeightError,
        )
    d = as_float(B)
    if np.any(d == 0):
        raise unsupported("division by a constant that contains zero")
    return b.emit("mul", [as_float(A), 1.0 / d])


@handler
def Neg(b: Builder, X: Value) -> Sym:
    """Negation, as a product with -1."""
    return b.emit("mul", [X, np.array(-1.0)])


@handler
def Relu(b: Builder, X: Value) -> Sym:
    """max(x, 0)."""
    return b.emit("relu", [X])


@handler
def LeakyRelu(b: Builder, X: Value, *, alpha: float = 0.01) -> Sym:
    """x if x >= 0 else alpha * x."""
    return b.emit("leaky_relu", [X], alpha=float(alpha))


def _scalar(v: Value | None, what: str) -> float | None:
    if v is None:
        return None
    arr = const(v, what)
    if arr.size != 1:
        raise unsupported(f"{what} must be a scalar, got shape {arr.shape}")
    return float(arr.reshape(()))


@handler
def Clip(b: Builder, X: Value, min: Value | None = None,
         max: Value | None = None) -> Sym:
    """Clamp to constant bounds (ReLU6 is Clip(0, 6))."""
    lo, hi = _scalar(min, "min bound"), _scalar(max, "max bound")
    if lo is not None and hi is not None and lo > hi:
        raise unsupported(f"Clip bounds are inverted: min {lo} > max {hi}")
    return b.emit("clip", [X], lo=lo, hi=hi)


@handler
def Sigmoid(b: Builder, X: Value) -> Sym:
    """1 / (1 + exp(-x)), a table."""
    return b.emit("func", [X], fn="sigmoid")


@handler
def Tanh(b: Builder, X: Value) -> Sym:
    """tanh, a table."""
    return b.emit("func", [X], fn="tanh")


@handler
def Erf(b: Builder, X: Value) -> Sym:
    """The error function, a table (PyTorch exports GELU through it)."""
    return b.emit("func", [X], fn="erf")


@handler
def Exp(b: Builder, X: Value) -> Sym:
    """exp, a table."""
    return b.emit("func", [X], fn="exp")


@handler
def Gelu(b: Builder, X: Value, *, approximate: str = "none") -> Sym:
    """GELU (exact or tanh approximation), a table."""
    approximate = approximate.decode() if isinstance(approximate, bytes) else approximate
    if approximate not in ("none", "tanh"):
        raise unsupported(f"Gelu approximate={approximate!r} is not supported")
    return b.emit("func", [X], fn="gelu" if approximate == "none" else "gelu_tanh")


@handler
def Softmax(b: Builder, X: Value, *, axis: int = -1) -> Sym:
    """Softmax along one axis."""
    if is_const(X):
        raise unsupported("Softmax of a constant is not supported")
    return b.emit("softmax", [X], axis=norm_axis(axis, X.ndim))
