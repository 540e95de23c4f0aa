"""Float (float64) semantics of the canonical ops; used for shapes and calibration."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from zkml.geometry import avgpool_divisor, conv_geometry, conv_nd, pool_geometry, windows
from zkml.onnx_import.graph import Graph, Node

__all__ = ["FUNCTIONS", "run_node", "run_graph"]

def erf(x: np.ndarray) -> np.ndarray:
    """The error function on float64 arrays.

    scipy (which ships with scikit-learn) is imported here, on first use, not at module
    import: it costs about 0.1 s, and `zkml compile` imports this module for every model.
    Without scipy, math.erf element by element.
    """
    try:
        from scipy.special import erf as fast
    except ImportError:  # pragma: no cover - depends on the environment
        fast = np.frompyfunc(math.erf, 1, 1)
    return np.asarray(fast(np.asarray(x, dtype=np.float64)), dtype=np.float64)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # exp of a non-positive argument only, so large |x| neither overflows nor warns.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "erf": erf,
    "exp": np.exp,
    "gelu": lambda x: 0.5 * x * (1.0 + erf(x / math.sqrt(2.0))),
    "gelu_tanh": _gelu_tanh,
}


def _conv(x, w, b=None, *, strides, pads, dilations, group):
    g = conv_geometry(x.shape[2:], w.shape[2:], strides, pads, dilations)
    y = conv_nd(x, w, g, group, np.matmul)
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * len(g.out))
    return y


def _matmul(x, w, b=None, *, side):
    y = np.matmul(x, w) if side == "right" else np.matmul(w, x)
    return y if b is None else y + b


def _affine(x, scale, shift, *, axis):
    shape = [1] * x.ndim
    shape[axis] = -1
    return x * scale.reshape(shape) + shift.reshape(shape)


def _maxpool(x, *, kernel, strides, pads, dilations, ceil_mode):
    g = pool_geometry(x.shape[2:], kernel, strides, pads, dilations, ceil_mode)
    return windows(x, g, -np.inf).max(axis=-1)


def _avgpool(x, *, kernel, strides, pads, dilations, ceil_mode, count_include_pad):
    g = pool_geometry(x.shape[2:], kernel, strides, pads, dilations, ceil_mode)
    total = windows(x, g, 0.0).sum(axis=-1)
    return total / avgpool_divisor(g, count_include_pad)


def _softmax(x, *, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _argmax(x, *, axis, keepdims, select_last_index):
    if select_last_index:
        idx = x.shape[axis] - 1 - np.argmax(np.flip(x, axis=axis), axis=axis)
    else:
        idx = np.argmax(x, axis=axis)
    return np.expand_dims(idx, axis) if keepdims else idx


def _clip(x, *, lo, hi):
    return np.clip(x, -np.inf if lo is None else lo, np.inf if hi is None else hi)


_OPS: dict[str, Callable[..., np.ndarray]] = {
    "matmul": _matmul,
    "conv": _conv,
    "affine": _affine,
    "add": lambda a, b, *, signs: signs[0] * a + signs[1] * b,
    "mul": lambda a, b: a * b,
    # dir max(dir sx a, dir sy b): Max (dir 1), Min (dir -1), Abs (b = a, sy = -1)
    "max2": lambda a, b, *, signs, dir: dir * np.maximum(dir * signs[0] * a, dir * signs[1] * b),
    "relu": lambda x: np.maximum(x, 0.0),
    "leaky_relu": lambda x, *, alpha: np.where(x >= 0, x, alpha * x),
    "clip": _clip,
    "func": lambda x, *, fn: FUNCTIONS[fn](x),
    "softmax": _softmax,
    "maxpool": _maxpool,
    "avgpool": _avgpool,
    "mean": lambda x, *, axes, keepdims: x.mean(axis=tuple(axes), keepdims=bool(keepdims)),
    "reduce_max": lambda x, *, axes, keepdims: x.max(axis=tuple(axes), keepdims=bool(keepdims)),
    "argmax": _argmax,
    "concat": lambda *xs, axis: np.concatenate(xs, axis=axis),
    "reshape": lambda x, *, shape: x.reshape(shape),
    "transpose": lambda x, *, perm: x.transpose(perm),
}


def run_node(op: str, inputs: list[np.ndarray], attrs: dict) -> np.ndarray:
    """Evaluate one canonical op in float64."""
    return np.asarray(_OPS[op](*inputs, **attrs))


def run_graph(graph: Graph, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Run the whole graph; returns every computed tensor and the inputs (not constants)."""
    values: dict[str, np.ndarray] = {k: np.asarray(v, dtype=np.float64) for k, v in feeds.items()}

    def get(name: str) -> np.ndarray:
        return values[name] if name in values else graph.constants[name]

    node: Node
    for node in graph.nodes:
        values[node.output] = run_node(node.op, [get(i) for i in node.inputs], node.attrs)
    return values
