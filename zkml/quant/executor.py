"""The integer reference executor: it defines the quantized semantics exactly.

Every op is numpy int64 arithmetic, vectorized, with static worst-case bounds checked
before a product or sum is formed and every result range-checked against its tensor's
bit bound; nothing wraps (a violation raises `QuantOverflowError`). The returned
`Trace` holds every tensor and, per op, the auxiliary values a prover commits to:
accumulators, rescale quotients (before saturation) and remainders, pooling selectors
and divisors. Each op's arithmetic is the `execute` of its `OpSpec` in zkml.quant.ops;
this module runs them in order. circuits/quantization.md is the prose form of the two.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from zkml.errors import InputError
from zkml.quant.ir import QModel, QOp
from zkml.quant.ops import SPECS
from zkml.quant.ops.base import Aux, Bound, Executor, op_bound
from zkml.quant.rounding import QuantOverflowError, check_range, quantize_float

__all__ = [
    "Trace", "execute", "quantize_inputs", "dequantize", "accumulator_bound",
    "accumulator_bounds",
]


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


def accumulator_bound(model: QModel, op: QOp) -> int:
    """Static worst case of |acc| for `op`: the exact integer an op forms before it
    requantizes or divides (for other ops, the largest input magnitude). It follows from
    the tensors' formats (bit widths, shapes, shifts) alone, never from the weights'
    values, so a circuit sizes its columns (for example the saturation excess) from it
    without revealing them (quantization.md, "What the circuit may depend on"). Each
    op's bound is the `bound` of its `OpSpec`, next to its executor in zkml.quant.ops.
    Cached on the model."""
    return op_bound(model, op, _BOUNDS.get(op.op))


def accumulator_bounds(model: QModel) -> dict[str, int]:
    """`accumulator_bound` of every op, by op name."""
    return {op.name: accumulator_bound(model, op) for op in model.ops}


# The dispatch tables, from each op's declaration (ops without a bound: the input's).
_BOUNDS: dict[str, Bound] = {name: s.bound for name, s in SPECS.items() if s.bound is not None}
_OPS: dict[str, Executor] = {name: s.execute for name, s in SPECS.items() if s.execute is not None}


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
