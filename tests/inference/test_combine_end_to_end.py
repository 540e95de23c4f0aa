"""circuits/nonlinear.md sections 10-11 end to end: zkml.compile -> zkml.prove ->
zkml.verify for models with an added constant (`x + c`, a per-channel constant, GELU
exported as Div/Erf/Add/Mul/Mul) or a concatenation (conv branches, dense branches)."""

from __future__ import annotations

import numpy as np
import pytest
from harness import compile_float, prove_and_check
from inference_models import COMBINE_CASES, Net, f32, make_model
from onnx import helper


def _const_minus_mlp():
    """Gemm 6 -> 10, ReLU, `c - r` (a 10-vector constant minus the tensor), Gemm 10 -> 3."""
    rng = np.random.default_rng(71)
    inits = {"W0": f32(rng.normal(0, 0.5, size=(6, 10))), "b0": f32(rng.normal(0, 0.1, 10)),
             "c": f32(rng.normal(0, 0.5, 10)), "W1": f32(rng.normal(0, 0.3, size=(10, 3))),
             "b1": f32(np.zeros(3))}
    nodes = [helper.make_node("Gemm", ["x", "W0", "b0"], ["h"], name="fc0"),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node("Sub", ["c", "r"], ["a"], name="c_minus"),
             helper.make_node("Gemm", ["a", "W1", "b1"], ["y"], name="fc1")]
    return make_model(nodes, {"x": [1, 6]}, ["y"], inits)


def _one_minus_sigmoid_cnn():
    """conv 2 -> 3 on a 5x5 map, `1 - sigmoid(h)` on the spatial tensor, flatten, Gemm."""
    net = Net([1, 2, 5, 5], seed=72).conv(3, 3)
    net._emit("Sigmoid", [net.x], net.shape)
    net.inits["one"] = f32(1.0)
    net._emit("Sub", ["one", net.x], net.shape)
    return net.flatten().gemm(3).model()


LOCAL = {"const_minus_mlp": _const_minus_mlp, "one_minus_sigmoid_cnn": _one_minus_sigmoid_cnn}

CASES = ["const_minus_mlp", "one_minus_sigmoid_cnn", "concat_cnn", "concat_cnn_rows4",
         "concat_mlp", "concat_mlp_rows4", "addconst_row",
         "addconst_cnn", "gelu_erf_mlp", "gelu_erf_cnn"]


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("batch", [1, 4])
def test_combined_models_prove_and_verify(tmp_path, name, batch):
    model = LOCAL[name]() if name in LOCAL else COMBINE_CASES[name]()
    cm, _ = compile_float(tmp_path, model, name)
    prove_and_check(cm, batch)
