"""ReduceMean / ReduceMax over any non-batch axes: a `rearrange` gadget moves the kept
axes first and the reduced ones last (circuits/rearrange.md), then the spatial sum or
window maximum of the global-pooling case reduces the last axis. Compile, witness
against the executor, prove and verify; the batch axis is never reduced."""

from __future__ import annotations

import numpy as np
import pytest
from harness import compile_float, prove_and_check
from inference_models import Net, compile_circuit_only, f32, make_model
from onnx import helper

from zkml.errors import ModelError
from zkml.witness import build_witness


def _reduce(op: str, axes: list[int], keepdims: int = 1, shape=(1, 3, 5, 6)) -> object:
    """conv 3 -> 4 (3x3, pad 1), ReLU, `op` over `axes` (an attribute: opset 17),
    flatten, Gemm."""
    net = Net(list(shape), seed=11).conv(4, 3, pads=[1] * (2 * (len(shape) - 2))).relu()
    red = {a % len(net.shape) for a in axes}
    out = [1 if i in red else d for i, d in enumerate(net.shape) if keepdims or i not in red]
    net._emit(op, [net.x], out, axes=axes, keepdims=keepdims)
    return net.flatten().gemm(3).model()


def _flat_mean() -> object:
    """Gemm 6 -> 10, ReLU, reshape to (N, 2, 5), ReduceMean over the last axis, Gemm."""
    rng = np.random.default_rng(12)
    nodes = [helper.make_node("Gemm", ["x", "W0", "b0"], ["h"], name="fc0"),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node("Reshape", ["r", "shape"], ["r3"], name="rs"),
             helper.make_node("ReduceMean", ["r3"], ["m"], axes=[-1], keepdims=0,
                              name="mean_last"),
             helper.make_node("Gemm", ["m", "W1", "b1"], ["y"], name="fc1")]
    inits = {"W0": f32(rng.normal(0, 0.5, (6, 10))), "b0": f32(rng.normal(0, 0.1, 10)),
             "shape": np.array([1, 2, 5], dtype=np.int64),
             "W1": f32(rng.normal(0, 0.5, (2, 3))), "b1": f32(np.zeros(3))}
    return make_model(nodes, {"x": [1, 6]}, ["y"], inits)


CASES = {
    "mean_channels": lambda: _reduce("ReduceMean", [1]),          # CBAM's channel pooling
    "max_channels": lambda: _reduce("ReduceMax", [1]),
    "mean_width": lambda: _reduce("ReduceMean", [3], keepdims=0),
    "max_height": lambda: _reduce("ReduceMax", [2]),
    "mean_all": lambda: _reduce("ReduceMean", [1, 2, 3]),
    "max_chan_w": lambda: _reduce("ReduceMax", [1, 3], keepdims=0),
    "mean_1d_channels": lambda: _reduce("ReduceMean", [1], shape=(1, 2, 7)),
    "flat_mean_last": _flat_mean,
}


@pytest.mark.parametrize("name", list(CASES))
def test_reductions_rearrange_then_reduce(tmp_path, name):
    cm, _ = compile_float(tmp_path, CASES[name](), name)
    ops = [g.op for g in cm.circuit.gadgets]
    assert "rearrange" in ops
    after = ops[ops.index("rearrange") + 1]
    assert after in ("spatialsum", "maxpool", "winmax")
    x = np.random.default_rng(1).integers(-3000, 3000, size=(3, cm.circuit.input_features))
    build_witness(cm.compiled_circuit, cm.model, x)  # every gadget vs the executor


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("batch", [1, 3])
def test_reductions_prove_and_verify(tmp_path, name, batch):
    cm, _ = compile_float(tmp_path, CASES[name](), name)
    prove_and_check(cm, batch, tamper=2 if batch == 1 else None)


def test_global_pooling_needs_no_rearrange(tmp_path):
    cm = compile_circuit_only(tmp_path, _reduce("ReduceMean", [2, 3]))
    assert "rearrange" not in [g.op for g in cm.circuit.gadgets]


def test_reducing_the_batch_axis_is_refused(tmp_path):
    with pytest.raises(ModelError, match=r"\(op mean\) cannot be proven yet: a reduction over "
                                         r"axes \[0.*the batch axis is never reduced"):
        compile_circuit_only(tmp_path, _reduce("ReduceMean", [0, 1]))
