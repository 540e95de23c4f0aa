"""Measurements of the unlearning tests: accuracies and errors of a compiled model's
integer execution and of the float model with one layer replaced."""

from __future__ import annotations

import numpy as np

from zkml.compiled_model import CompiledModel
from zkml.quant.rounding import quantize_float
from zkml.unlearn.apply import run_model


def int_outputs(cm: CompiledModel, x: np.ndarray) -> np.ndarray:
    """The dequantized output of the integer executor, per sample."""
    t = cm.model.tensor(cm.model.inputs[0])
    xq = quantize_float(x, t.frac_bits, t.bits).astype(np.int64)
    out = next(iter(cm.model.outputs.values()))
    return run_model(cm.model, xq, [out])[out] * 2.0 ** -cm.model.tensor(out).frac_bits


def float_outputs(onnx_path, x: np.ndarray, cm: CompiledModel | None = None,
                  weight: str | None = None) -> np.ndarray:
    """The float model's output; with `cm` and `weight`, that layer's weight replaced by
    the compiled model's integers, dequantized (the update applied in float)."""
    from zkml.unlearn.netgrad import load_net

    net = load_net(onnx_path)
    if cm is not None:
        t = cm.model.tensor(weight)
        net.consts[weight] = cm.model.constants[weight] * 2.0 ** -t.frac_bits
    return net.forward(x)[net.output]


def accuracies(out: np.ndarray, y: np.ndarray, c: int) -> tuple[float, float]:
    """(accuracy on class c, accuracy on the other classes)."""
    pred = out.argmax(axis=1)
    return float(np.mean(pred[y == c] == c)), float(np.mean(pred[y != c] == y[y != c]))
