"""Handlers of the weighted ops: Gemm, MatMul, Conv, BatchNormalization."""

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
from zkml.onnx_import.registry import handler, resolve_pads, spatial_attr


def _both_computed(op: str) -> HandlerError:
    return HandlerError(
        f"{op} of two computed tensors is not supported: one operand must be a constant "
        "weight (an initializer or Constant node)",
        NonConstantWeightError,
    )


def _scaled(k: float, w: np.ndarray) -> np.ndarray:
    """`k * w` in float64, contiguous (a transposed weight is copied); `w` itself when it
    is a contiguous float64 array and `k`, an attribute's value, is 1."""
    out = as_float(w) if k == 1 else k * as_float(w)
    return out if out.flags.c_contiguous else np.ascontiguousarray(out)


@handler
def Gemm(b: Builder, A: Value, B: Value, C: Value | None = None, *, alpha: float = 1.0,
         beta: float = 1.0, transA: int = 0, transB: int = 0) -> Sym:
    """Y = alpha * A' @ B' + beta * C with one of A, B a constant weight."""
    # alpha / beta of 1 keep the input itself (named after it); otherwise a derived
    # constant, freshly named whatever its values.
    bias = None if C is None else _scaled(beta, const(C, "bias C"))
    if is_const(B) and not is_const(A):
        x = b.emit("transpose", [A], perm=(1, 0)) if transA else A
        w = _scaled(alpha, B.T if transB else B)
        return b.emit("matmul", [x, w] + ([bias] if bias is not None else []), side="right")
    if is_const(A) and not is_const(B):
        x = b.emit("transpose", [B], perm=(1, 0)) if transB else B
        w = _scaled(alpha, A.T if transA else A)
        return b.emit("matmul", [x, w] + ([bias] if bias is not None else []), side="left")
    raise _both_computed("Gemm")


@handler
def MatMul(b: Builder, A: Value, B: Value) -> Sym:
    """Matrix product (numpy semantics) with one side a constant weight."""
    if is_const(B) and not is_const(A):
        if B.ndim < 2 or A.ndim < 2:
            raise unsupported("MatMul with a 1-D operand is not supported")
        return b.emit("matmul", [A, as_float(B)], side="right")
    if is_const(A) and not is_const(B):
        if A.ndim < 2 or B.ndim < 2:
            raise unsupported("MatMul with a 1-D operand is not supported")
        return b.emit("matmul", [B, as_float(A)], side="left")
    raise _both_computed("MatMul")


@handler
def Conv(b: Builder, X: Value, W: Value, B: Value | None = None, *, auto_pad: str = "NOTSET",
         dilations: list[int] | None = None, group: int = 1,
         kernel_shape: list[int] | None = None, pads: list[int] | None = None,
         strides: list[int] | None = None) -> Sym:
    """N-d grouped convolution (1-D and 2-D in practice), ONNX padding rules."""
    if is_const(X):
        raise unsupported("Conv of a constant input is not supported")
    w = as_float(const(W, "weight W"))
    n = X.ndim - 2
    if n < 1 or w.ndim != X.ndim:
        raise unsupported(f"Conv needs (N, C, ...) input and weight of the same rank, got "
                          f"input {X.shape} and weight {w.shape}")
    kernel = tuple(w.shape[2:])
    if kernel_shape is not None and tuple(kernel_shape) != kernel:
        raise unsupported(f"kernel_shape {tuple(kernel_shape)} disagrees with weight {w.shape}")
    if group < 1 or X.shape[1] % group or w.shape[0] % group or w.shape[1] * group != X.shape[1]:
        raise unsupported(f"group={group} does not fit input channels {X.shape[1]} and weight "
                          f"{w.shape}")
    strides_t = spatial_attr(strides, n, 1, "strides")
    dil = spatial_attr(dilations, n, 1, "dilations")
    pad = resolve_pads(auto_pad, pads, X.shape[2:], kernel, strides_t, dil)
    inputs: list[Value] = [X, w]
    if B is not None:
        inputs.append(as_float(const(B, "bias B")))
    return b.emit("conv", inputs, strides=strides_t, pads=pad, dilations=dil, group=int(group))


@handler
def BatchNormalization(b: Builder, X: Value, scale: Value, B: Value, input_mean: Value,
                       input_var: Value, *, epsilon: float = 1e-5, momentum: float = 0.9,
                       training_mode: int = 0) -> Sym:
    """Inference-mode batch norm as a per-channel affine map (folded later when possible)."""
    if training_mode:
        raise unsupported("BatchNormalization in training mode is not supported")
    if is_const(X):
        raise unsupported("BatchNormalization of a constant input is not supported")
    gamma = const(scale, "scale").astype(np.float64)
    beta = const(B, "bias B").astype(np.float64)
    mean = const(input_mean, "input_mean").astype(np.float64)
    var = const(input_var, "input_var").astype(np.float64)
    a = gamma / np.sqrt(var + epsilon)
    return b.emit("affine", [X, a, beta - mean * a], axis=1)
