"""The integer reference executor: it defines the quantized semantics exactly.

Every op is numpy int64 arithmetic, vectorized, with static worst-case bounds checked
before a product or sum is formed and every result range-checked against its tensor's
bit bound; nothing wraps (a violation raises `QuantOverflowError`). The returned
`Trace` holds every tensor and, per op, the auxiliary values a prover commits to:
accumulators, rescale quotients (before saturation) and remainders, pooling selectors
and divisors. circuits/quantization.md is the prose form of this file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from zkml.errors import InputError, ModelError
from zkml.geometry import avgpool_divisor, conv_geometry, conv_nd, pool_geometry, windows
from zkml.quant.ir import QModel, QOp, QTensor
from zkml.quant.rounding import (
    QuantOverflowError,
    check_bound,
    check_range,
    exact_matmul,
    quantize_float,
    round_div,
    round_shift,
    saturate,
)

__all__ = [
    "Trace", "execute", "quantize_inputs", "dequantize", "accumulator_bound",
    "accumulator_bounds",
]

Aux = dict[str, np.ndarray]


@dataclass
class Trace:
    """Everything one run computed.

    `tensors` maps every input and computed tensor to its int64 values; `aux` maps each
    op name to its auxiliary arrays (see circuits/quantization.md for each op's keys).
    """

    tensors: dict[str, np.ndarray] = field(default_factory=dict)
    aux: dict[str, Aux] = field(default_factory=dict)

    def outputs(self, model: QModel) -> dict[str, np.ndarray]:
        """The integer outputs under their public names."""
        return {name: self.tensors[t] for name, t in model.outputs.items()}


def _mag(t: QTensor) -> int:
    """Largest magnitude a tensor may hold."""
    return 1 << (t.bits - 1)


def _requant(acc: np.ndarray, shift: int, out: QTensor) -> tuple[np.ndarray, Aux]:
    q, rem = round_shift(acc, shift)
    return saturate(q, out.bits), {"acc": acc, "quotient": q, "remainder": rem}


def _weight_sum(model: QModel, op: QOp) -> int:
    """max over outputs of sum |w| (cached): the matmul/conv gain on |x|."""
    key = ("wsum", op.name)
    if key not in model.cache:
        w = np.abs(model.constants[op.inputs[1]]).astype(np.int64)
        if op.op == "conv":
            per_out = w.reshape(w.shape[0], -1).sum(axis=1)
        elif op.attrs["side"] == "right":
            per_out = w.sum(axis=-2)
        else:
            per_out = w.sum(axis=-1)
        model.cache[key] = int(per_out.max()) if per_out.size else 0
    return model.cache[key]


def _bias_max(model: QModel, op: QOp) -> int:
    return int(np.abs(model.constants[op.inputs[2]]).max()) if len(op.inputs) > 2 else 0


#: A per-op accumulator bound: `(model, op, mag)` -> `max |acc|`, `mag(i)` the largest
#: magnitude of input `i` (ops without an entry: `mag(0)`, the largest input).
Bound = Callable[[QModel, QOp, Callable[[int], int]], int]


def _linear_bound(model: QModel, op: QOp, mag: Callable[[int], int]) -> int:
    return mag(0) * _weight_sum(model, op) + _bias_max(model, op)


def _add_bound(model: QModel, op: QOp, mag: Callable[[int], int]) -> int:
    return (mag(0) << op.attrs["lshifts"][0]) + (mag(1) << op.attrs["lshifts"][1])


def _leaky_relu_bound(model: QModel, op: QOp, mag: Callable[[int], int]) -> int:
    return mag(0) * max(abs(op.attrs["alpha"]), 1 << op.attrs["alpha_shift"])


def _avgpool_bound(model: QModel, op: QOp, mag: Callable[[int], int]) -> int:
    return (mag(0) * int(np.prod(op.attrs["kernel"]))) << op.attrs["lshift"]


def _sum_bound(model: QModel, op: QOp, mag: Callable[[int], int]) -> int:
    shape = model.tensor(op.inputs[0]).shape
    n = int(np.prod([shape[i] for i in op.attrs["axes"]]))
    return (mag(0) * n) << op.attrs.get("lshift", 0)


def accumulator_bound(model: QModel, op: QOp) -> int:
    """Static worst case of |acc| for `op`: the exact integer an op forms before it
    requantizes or divides (for other ops, the largest input magnitude). It follows from
    the input bit bounds and the actual weights, so a circuit can size its columns (for
    example the saturation excess) from it. Each op's bound is its `_BOUNDS` entry, next
    to its executor. Cached on the model."""
    key = ("bound", op.name)
    if key in model.cache:
        return model.cache[key]

    def mag(i: int) -> int:
        return _mag(model.tensor(op.inputs[i]))

    bound = _BOUNDS[op.op](model, op, mag) if op.op in _BOUNDS else mag(0)
    model.cache[key] = bound
    return bound


def accumulator_bounds(model: QModel) -> dict[str, int]:
    """`accumulator_bound` of every op, by op name."""
    return {op.name: accumulator_bound(model, op) for op in model.ops}


def _checked(model: QModel, op: QOp) -> int:
    """The op's accumulator bound, refused if it (with the rounding offset) nears 2^62."""
    bound = accumulator_bound(model, op)
    check_bound(bound + (1 << op.attrs.get("shift", 0)), f"op {op.name}")
    return bound


def _matmul(model: QModel, op: QOp, x: np.ndarray, w: np.ndarray, *b: np.ndarray):
    bound = _checked(model, op)
    acc = exact_matmul(x, w, bound) if op.attrs["side"] == "right" else exact_matmul(w, x, bound)
    if b:
        acc = acc + b[0]
    return _requant(acc, op.attrs["shift"], model.tensor(op.output))


def _conv(model: QModel, op: QOp, x: np.ndarray, w: np.ndarray, *b: np.ndarray):
    a = op.attrs
    bound = _checked(model, op)
    g = conv_geometry(x.shape[2:], w.shape[2:], a["strides"], a["pads"], a["dilations"])
    acc = conv_nd(x, w, g, a["group"], lambda p, q: exact_matmul(p, q, bound))
    if b:
        acc = acc + b[0].reshape((1, -1) + (1,) * len(g.out))
    return _requant(acc, a["shift"], model.tensor(op.output))


def _add(model: QModel, op: QOp, x: np.ndarray, y: np.ndarray):
    (sa, sb), (la, lb), k = op.attrs["signs"], op.attrs["lshifts"], op.attrs["shift"]
    _checked(model, op)
    acc = sa * (x << np.int64(la)) + sb * (y << np.int64(lb))
    return _requant(acc, k, model.tensor(op.output))


def _max2_bound(model: QModel, op: QOp, mag: Callable[[int], int]) -> int:
    """acc is one of the two scaled operands."""
    return max(mag(0) << op.attrs["lshifts"][0], mag(1) << op.attrs["lshifts"][1])


def _max2(model: QModel, op: QOp, x: np.ndarray, y: np.ndarray):
    (sa, sb), (la, lb), d = op.attrs["signs"], op.attrs["lshifts"], op.attrs["dir"]
    _checked(model, op)
    acc = d * np.maximum(d * sa * (x << np.int64(la)), d * sb * (y << np.int64(lb)))
    return _requant(acc, op.attrs["shift"], model.tensor(op.output))


def _mul(model: QModel, op: QOp, x: np.ndarray, y: np.ndarray):
    _checked(model, op)
    return _requant(x * y, op.attrs["shift"], model.tensor(op.output))


def _div(model: QModel, op: QOp, num: np.ndarray, den: np.ndarray):
    # Round half up of num * 2^l / den as floor((2 * num * 2^l + den) / (2 * den)): no
    # floor(den / 2), so a prover needs no parity bit of the divisor.
    _checked(model, op)
    if den.size and int(den.min()) <= 0:
        raise QuantOverflowError(f"op {op.name}: divisor must be positive, got {int(den.min())}")
    t = (num << np.int64(op.attrs["lshift"] + 1)) + den
    q = np.floor_divide(t, 2 * den)
    rem = t - q * 2 * den
    y = saturate(q, model.tensor(op.output).bits)
    return y, {"quotient": q, "remainder": rem}


def _rescale(model: QModel, op: QOp, x: np.ndarray):
    _checked(model, op)
    return _requant(x, op.attrs["shift"], model.tensor(op.output))


def _relu(model: QModel, op: QOp, x: np.ndarray):
    return np.maximum(x, 0), {}


def _leaky_relu(model: QModel, op: QOp, x: np.ndarray):
    alpha, k = op.attrs["alpha"], op.attrs["alpha_shift"]
    check_bound(accumulator_bound(model, op) + (1 << k), f"op {op.name}")
    # Computed for every element so the trace has fixed shape; used where x < 0.
    q, rem = round_shift(x * np.int64(alpha), k)
    y = saturate(np.where(x >= 0, x, q), model.tensor(op.output).bits)
    return y, {"quotient": q, "remainder": rem}


def _clip(model: QModel, op: QOp, x: np.ndarray):
    lo, hi = op.attrs["lo"], op.attrs["hi"]
    return np.clip(x, lo, hi).astype(np.int64), {}


def _table(model: QModel, op: QOp, x: np.ndarray, table: np.ndarray):
    tin = model.tensor(op.inputs[0])
    if table.shape != (1 << tin.bits,):
        raise ModelError(f"op {op.name}: table size {table.shape} does not match input bits")
    # Index = x + 2^(bits-1): the table lists outputs for inputs lo, lo+1, ..., hi.
    return table[x - tin.lo], {}


def _maxpool(model: QModel, op: QOp, x: np.ndarray):
    a = op.attrs
    g = pool_geometry(x.shape[2:], a["kernel"], a["strides"], a["pads"], a["dilations"],
                      a["ceil_mode"])
    # Padding sits below the input's range, so it never wins a window.
    win = windows(x, g, model.tensor(op.inputs[0]).lo - 1)
    sel = np.argmax(win, axis=-1)
    return np.take_along_axis(win, sel[..., None], axis=-1)[..., 0], {"selector": sel}


def _avgpool(model: QModel, op: QOp, x: np.ndarray):
    a = op.attrs
    g = pool_geometry(x.shape[2:], a["kernel"], a["strides"], a["pads"], a["dilations"],
                      a["ceil_mode"])
    _checked(model, op)
    total = windows(x, g, 0).sum(axis=-1) << np.int64(a["lshift"])
    d = avgpool_divisor(g, a["count_include_pad"])
    q, rem = round_div(total, d)
    y = saturate(q, model.tensor(op.output).bits)
    return y, {"sum": total, "divisor": d, "quotient": q, "remainder": rem}


def _mean(model: QModel, op: QOp, x: np.ndarray):
    axes, keep = tuple(op.attrs["axes"]), op.attrs["keepdims"]
    d = int(np.prod([x.shape[i] for i in axes], dtype=np.int64))
    _checked(model, op)
    total = x.sum(axis=axes, keepdims=keep) << np.int64(op.attrs["lshift"])
    q, rem = round_div(total, d)
    y = saturate(q, model.tensor(op.output).bits)
    return y, {"sum": total, "divisor": np.array(d, dtype=np.int64), "quotient": q,
               "remainder": rem}


def _moved(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Reduced axes moved last and flattened into one."""
    rest = [i for i in range(x.ndim) if i not in axes]
    y = x.transpose(rest + list(axes))
    return y.reshape(y.shape[: len(rest)] + (-1,))


def _keep(y: np.ndarray, x: np.ndarray, axes: tuple[int, ...], keep: bool) -> np.ndarray:
    if not keep:
        return y
    return y.reshape([1 if i in axes else x.shape[i] for i in range(x.ndim)])


def _reduce_max(model: QModel, op: QOp, x: np.ndarray):
    axes = tuple(op.attrs["axes"])
    flat = _moved(x, axes)
    sel = np.argmax(flat, axis=-1)
    m = np.take_along_axis(flat, sel[..., None], axis=-1)[..., 0]
    keep = op.attrs["keepdims"]
    return _keep(m, x, axes, keep), {"selector": _keep(sel, x, axes, keep)}


def _reduce_sum(model: QModel, op: QOp, x: np.ndarray):
    axes = tuple(op.attrs["axes"])
    _checked(model, op)
    return x.sum(axis=axes, keepdims=op.attrs["keepdims"]), {}


def _argmax(model: QModel, op: QOp, x: np.ndarray):
    axis = op.attrs["axis"]
    if op.attrs["select_last_index"]:
        idx = x.shape[axis] - 1 - np.argmax(np.flip(x, axis=axis), axis=axis)
    else:
        idx = np.argmax(x, axis=axis)  # numpy, like ONNX, returns the first maximum
    idx = idx.astype(np.int64)
    return (np.expand_dims(idx, axis) if op.attrs["keepdims"] else idx), {}


def _concat(model: QModel, op: QOp, *xs: np.ndarray):
    return np.concatenate(xs, axis=op.attrs["axis"]), {}


def _reshape(model: QModel, op: QOp, x: np.ndarray):
    return x.reshape(op.attrs["shape"]), {}


def _transpose(model: QModel, op: QOp, x: np.ndarray):
    return np.ascontiguousarray(x.transpose(op.attrs["perm"])), {}


_BOUNDS: dict[str, Bound] = {
    "matmul": _linear_bound, "conv": _linear_bound, "add": _add_bound,
    "mul": lambda model, op, mag: mag(0) * mag(1),
    "max2": _max2_bound,
    "div": lambda model, op, mag: (mag(0) << (op.attrs["lshift"] + 1)) + mag(1),
    "leaky_relu": _leaky_relu_bound, "avgpool": _avgpool_bound,
    "mean": _sum_bound, "reduce_sum": _sum_bound,
}  # fmt: skip


_OPS: dict[str, Callable[..., tuple[np.ndarray, Aux]]] = {
    "matmul": _matmul, "conv": _conv, "add": _add, "mul": _mul, "div": _div,
    "rescale": _rescale, "max2": _max2,
    "relu": _relu, "leaky_relu": _leaky_relu, "clip": _clip, "table": _table,
    "maxpool": _maxpool, "avgpool": _avgpool, "mean": _mean, "reduce_max": _reduce_max,
    "reduce_sum": _reduce_sum, "argmax": _argmax, "concat": _concat, "reshape": _reshape,
    "transpose": _transpose,
}  # fmt: skip


def _as_feeds(model: QModel, inputs: Mapping[str, np.ndarray] | np.ndarray) -> dict:
    if not isinstance(inputs, Mapping):
        if len(model.inputs) != 1:
            raise InputError(f"the model has {len(model.inputs)} inputs; pass a name -> array map")
        inputs = {model.inputs[0]: inputs}
    missing = [n for n in model.inputs if n not in inputs]
    if missing:
        raise InputError(f"missing model input {missing[0]!r}")
    return dict(inputs)


def execute(model: QModel, inputs: Mapping[str, np.ndarray] | np.ndarray) -> Trace:
    """Run the quantized model on integer inputs and return the full trace.

    Raises `QuantOverflowError` if an input is outside its bit bound or any value could
    overflow, and `ModelError` for malformed inputs.
    """
    trace = Trace()
    for name, value in _as_feeds(model, inputs).items():
        t = model.tensor(name)
        arr = np.asarray(value)
        if arr.dtype.kind not in "iu":
            raise InputError(f"input {name!r} must hold integers (quantize it first)")
        if tuple(arr.shape) != t.shape:
            raise InputError(f"input {name!r} has shape {arr.shape}, the model needs {t.shape}")
        check_range(arr, t.bits, f"input {name!r}")
        trace.tensors[name] = arr.astype(np.int64)
    for op in model.ops:
        args = [
            trace.tensors[i] if i in trace.tensors else model.constants[i] for i in op.inputs
        ]
        out, aux = _OPS[op.op](model, op, *args)
        t = model.tensor(op.output)
        if tuple(out.shape) != t.shape:
            raise QuantOverflowError(f"op {op.name}: shape {out.shape} differs from {t.shape}")
        check_range(out, t.bits, f"op {op.name} output {op.output!r}")
        trace.tensors[op.output] = out.astype(np.int64, copy=False)
        if aux:
            trace.aux[op.name] = aux
    return trace


def quantize_inputs(model: QModel, inputs: Mapping[str, np.ndarray] | np.ndarray) -> dict:
    """Float inputs to the model's input integers (round half up, saturate)."""
    feeds = _as_feeds(model, inputs)
    out = {}
    for name in model.inputs:
        t = model.tensor(name)
        out[name] = quantize_float(np.asarray(feeds[name], dtype=np.float64), t.frac_bits, t.bits)
    return out


def dequantize(model: QModel, trace: Trace) -> dict[str, np.ndarray]:
    """The float values of the outputs: `q * 2^-frac_bits`."""
    return {
        name: np.ldexp(trace.tensors[t].astype(np.float64), -model.tensor(t).frac_bits)
        for name, t in model.outputs.items()
    }
