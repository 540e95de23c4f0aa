"""Handlers of pass-through and shape ops: they move values, never change them."""

# Handlers are named after ONNX ops and take ONNX's input names (tinygrad style).
# ruff: noqa: N802, N803

from __future__ import annotations

import numpy as np
from onnx import TensorProto

from zkml.onnx_import.builder import Builder, Value, const, is_const, unsupported
from zkml.onnx_import.registry import handler, norm_axis

_FLOAT_TYPES = {TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16, TensorProto.BFLOAT16}


@handler
def Identity(b: Builder, input: Value) -> Value:  # noqa: A002
    """Removed: the output is the input."""
    return input


@handler
def Dropout(b: Builder, data: Value, ratio: Value | None = None,
            training_mode: Value | None = None, *, seed: int | None = None) -> Value:
    """Removed: inference-mode dropout is the identity (the mask output is unsupported)."""
    if training_mode is not None and bool(np.any(const(training_mode, "training_mode"))):
        raise unsupported("Dropout in training mode is not supported")
    return data


def _to_float_only(to: int) -> None:
    if to not in _FLOAT_TYPES:
        name = TensorProto.DataType.Name(to) if to in TensorProto.DataType.values() else to
        raise unsupported(f"casting a computed tensor to {name} is not supported "
                          "(only casts between float types)")


@handler
def Cast(b: Builder, input: Value, *, to: int, saturate: int = 1) -> Value:  # noqa: A002
    """Removed for float-to-float casts (every value is quantized anyway)."""
    _to_float_only(to)
    return input


@handler
def CastLike(b: Builder, input: Value, target_type: Value, *,  # noqa: A002
             saturate: int = 1) -> Value:
    """Removed for float-to-float casts."""
    if is_const(target_type) and target_type.dtype.kind != "f":
        raise unsupported("casting a computed tensor to a non-float type is not supported")
    return input


def _reshape(b: Builder, x: Value, shape: tuple[int, ...]) -> Value:
    if tuple(shape) == tuple(x.shape):
        return x
    return b.emit("reshape", [x], shape=tuple(int(d) for d in shape))


@handler
def Reshape(b: Builder, data: Value, shape: Value, *, allowzero: int = 0) -> Value:
    """Reshape to a constant shape (0 copies a dimension unless allowzero, -1 is inferred)."""
    target = [int(d) for d in const(shape, "shape").reshape(-1)]
    if not allowzero:
        target = [data.shape[i] if d == 0 else d for i, d in enumerate(target)]
    try:
        resolved = np.empty(data.shape, dtype=np.int8).reshape(target).shape
    except ValueError as exc:
        raise unsupported(f"cannot reshape {data.shape} to {tuple(target)}") from exc
    return _reshape(b, data, resolved)


@handler
def Flatten(b: Builder, input: Value, *, axis: int = 1) -> Value:  # noqa: A002
    """Reshape to 2-D around `axis`."""
    if not -input.ndim <= axis <= input.ndim:
        raise unsupported(f"axis {axis} is out of range for a rank-{input.ndim} tensor")
    axis = input.ndim + axis if axis < 0 else axis
    lead = int(np.prod(input.shape[:axis], dtype=np.int64))
    return _reshape(b, input, (lead, int(np.prod(input.shape[axis:], dtype=np.int64))))


def _axes(axes: Value | None, ndim: int) -> list[int] | None:
    if axes is None:
        return None
    return sorted({norm_axis(int(a), ndim) for a in const(axes, "axes").reshape(-1)})


@handler
def Squeeze(b: Builder, data: Value, axes: Value | None = None) -> Value:
    """Drop size-1 axes (all of them, or the given ones)."""
    picked = _axes(axes, data.ndim)
    if picked is None:
        picked = [i for i, d in enumerate(data.shape) if d == 1]
    if any(data.shape[a] != 1 for a in picked):
        raise unsupported(f"cannot squeeze axes {picked} of shape {data.shape}")
    return _reshape(b, data, tuple(d for i, d in enumerate(data.shape) if i not in picked))


@handler
def Unsqueeze(b: Builder, data: Value, axes: Value) -> Value:
    """Insert size-1 axes."""
    picked = _axes(axes, data.ndim + len(const(axes, "axes").reshape(-1)))
    shape = list(data.shape)
    for a in picked:
        shape.insert(a, 1)
    return _reshape(b, data, tuple(shape))


@handler
def Transpose(b: Builder, data: Value, *, perm: list[int] | None = None) -> Value:
    """Permute axes (default: reverse them)."""
    p = tuple(range(data.ndim))[::-1] if perm is None else tuple(int(a) for a in perm)
    if sorted(p) != list(range(data.ndim)):
        raise unsupported(f"perm {p} is not a permutation of {data.ndim} axes")
    return data if p == tuple(range(data.ndim)) else b.emit("transpose", [data], perm=p)


@handler
def Shape(b: Builder, data: Value, *, end: int | None = None, start: int = 0) -> np.ndarray:
    """The static shape, as a constant."""
    return np.array(data.shape[slice(start, end)], dtype=np.int64)


@handler
def Size(b: Builder, data: Value) -> np.ndarray:
    """The static element count, as a constant."""
    return np.array(int(np.prod(data.shape, dtype=np.int64)), dtype=np.int64)

