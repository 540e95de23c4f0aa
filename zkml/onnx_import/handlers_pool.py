"""Handlers of pooling, reductions, ArgMax and Concat."""

# Handlers are named after ONNX ops and take ONNX's input names (tinygrad style).
# ruff: noqa: N802, N803

from __future__ import annotations

from zkml.onnx_import.builder import Builder, Sym, Value, as_float, const, is_const, unsupported
from zkml.onnx_import.registry import handler, norm_axis, resolve_pads, spatial_attr


def _pool_attrs(X: Value, auto_pad, kernel_shape, pads, strides, dilations) -> dict:
    if is_const(X):
        raise unsupported("pooling a constant is not supported")
    n = X.ndim - 2
    if n < 1:
        raise unsupported(f"pooling needs an (N, C, ...) input, got shape {X.shape}")
    if kernel_shape is None or len(kernel_shape) != n:
        raise unsupported(f"kernel_shape must have {n} entries")
    kernel = tuple(int(k) for k in kernel_shape)
    strides_t = spatial_attr(strides, n, 1, "strides")
    dil = spatial_attr(dilations, n, 1, "dilations")
    pad = resolve_pads(auto_pad, pads, X.shape[2:], kernel, strides_t, dil)
    for i in range(n):
        if max(pad[i], pad[n + i]) >= (kernel[i] - 1) * dil[i] + 1:
            raise unsupported("pads must be smaller than the pooling window")
    return {"kernel": kernel, "strides": strides_t, "pads": pad, "dilations": dil}


@handler
def MaxPool(b: Builder, X: Value, *, auto_pad: str = "NOTSET", ceil_mode: int = 0,
            dilations: list[int] | None = None, kernel_shape: list[int] | None = None,
            pads: list[int] | None = None, storage_order: int = 0,
            strides: list[int] | None = None) -> Sym:
    """Window maximum; padding never wins (it acts as minus infinity)."""
    attrs = _pool_attrs(X, auto_pad, kernel_shape, pads, strides, dilations)
    return b.emit("maxpool", [X], ceil_mode=bool(ceil_mode), **attrs)


@handler
def AveragePool(b: Builder, X: Value, *, auto_pad: str = "NOTSET", ceil_mode: int = 0,
                count_include_pad: int = 0, dilations: list[int] | None = None,
                kernel_shape: list[int] | None = None, pads: list[int] | None = None,
                strides: list[int] | None = None) -> Sym:
    """Window mean; the divisor counts real elements (or padding too, if asked)."""
    attrs = _pool_attrs(X, auto_pad, kernel_shape, pads, strides, dilations)
    return b.emit("avgpool", [X], ceil_mode=bool(ceil_mode),
                  count_include_pad=bool(count_include_pad), **attrs)


def _spatial_axes(X: Value) -> tuple[int, ...]:
    if is_const(X) or X.ndim < 3:
        raise unsupported("global pooling needs a computed (N, C, ...) input")
    return tuple(range(2, X.ndim))


@handler
def GlobalAveragePool(b: Builder, X: Value) -> Sym:
    """Mean over all spatial axes, keeping them as size 1."""
    return b.emit("mean", [X], axes=_spatial_axes(X), keepdims=True)


@handler
def GlobalMaxPool(b: Builder, X: Value) -> Sym:
    """Maximum over all spatial axes, keeping them as size 1."""
    return b.emit("reduce_max", [X], axes=_spatial_axes(X), keepdims=True)


def _reduce_axes(X: Value, axes: Value | None, noop_with_empty_axes: int):
    if is_const(X):
        raise unsupported("reducing a constant is not supported")
    values = None if axes is None else const(axes, "axes").reshape(-1)
    if values is None or values.size == 0:
        return None if noop_with_empty_axes else tuple(range(X.ndim))
    return tuple(sorted({norm_axis(int(a), X.ndim) for a in values}))


@handler
def ReduceMean(b: Builder, data: Value, axes: Value | None = None, *, keepdims: int = 1,
               noop_with_empty_axes: int = 0) -> Value:
    """Mean over constant axes (as PyTorch's x.mean(dims) exports)."""
    red = _reduce_axes(data, axes, noop_with_empty_axes)
    return data if red is None else b.emit("mean", [data], axes=red, keepdims=bool(keepdims))


@handler
def ReduceMax(b: Builder, data: Value, axes: Value | None = None, *, keepdims: int = 1,
              noop_with_empty_axes: int = 0) -> Value:
    """Maximum over constant axes."""
    red = _reduce_axes(data, axes, noop_with_empty_axes)
    if red is None:
        return data
    return b.emit("reduce_max", [data], axes=red, keepdims=bool(keepdims))


@handler
def ArgMax(b: Builder, data: Value, *, axis: int = 0, keepdims: int = 1,
           select_last_index: int = 0) -> Sym:
    """Index of the maximum; ties go to the first index (or the last, if asked)."""
    if is_const(data):
        raise unsupported("ArgMax of a constant is not supported")
    return b.emit("argmax", [data], axis=norm_axis(axis, data.ndim), keepdims=bool(keepdims),
                  select_last_index=bool(select_last_index))


@handler
def Concat(b: Builder, *inputs: Value, axis: int) -> Sym:
    """Concatenation; constant parts become constants of the graph."""
    ndim = next(v.ndim for v in inputs if not is_const(v))
    parts = [as_float(v) for v in inputs]
    return b.emit("concat", parts, axis=norm_axis(axis, ndim))
