"""CNNs end to end: zkml.compile -> zkml.prove -> zkml.verify (circuits/conv.md)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from harness import check_proof, compile_float, expect_tampered_rejected, prove_and_check
from inference_models import CNN_CASES, Net, save

import zkml

ROOT = Path(__file__).resolve().parents[2]


E2E = ["lenet_avg", "lenet_max", "strided_padded", "dilated", "grouped", "depthwise",
       "conv1d", "residual", "gap4x4", "gmp4x4", "relu_on_input", "avgpool_4x2",
       "pool_then_relu"]


@pytest.mark.parametrize("name", E2E)
@pytest.mark.parametrize("batch", [1, 4])
def test_cnn_proves_and_verifies(tmp_path, name, batch):
    cm, _ = compile_float(tmp_path, CNN_CASES[name](), name)
    prove_and_check(cm, batch)


ALL_CONV = {
    # NiN / SqueezeNet style: no dense layer, a 1x1 conv to the classes, then GAP.
    "conv_gap": lambda: Net([1, 3, 8, 8], seed=9).conv(6, 3, pads=[1, 1, 1, 1]).relu()
    .conv(4, 1).global_pool("avg").flatten().model(),
    # A model that ends in a convolution: its spatial output is copied flat.
    "conv_out": lambda: Net([1, 2, 6, 5], seed=10).conv(3, 3, pads=[1, 1, 1, 1]).relu()
    .conv(2, 3).model(),
}


@pytest.mark.parametrize("name", list(ALL_CONV))
@pytest.mark.parametrize("batch", [1, 3])
def test_models_without_a_dense_layer_prove_and_verify(tmp_path, name, batch):
    cm, _ = compile_float(tmp_path, ALL_CONV[name](), name)
    assert not any(g.op == "dense" for g in cm.circuit.gadgets)
    prove_and_check(cm, batch)


def test_cnn_with_leaky_relu_proves_and_verifies(tmp_path):
    cm, _ = compile_float(tmp_path, CNN_CASES["bn_no_bias_leaky"](), "leaky")
    prove_and_check(cm, 2)


@pytest.mark.parametrize("name", ["lenet_avg", "lenet_max"])
def test_benchmark_lenets_prove_and_verify(tmp_path, name):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import models
    finally:
        sys.path.pop(0)
    model, shape = models.BUILDERS[name]()
    model.graph.output[0].name = "y"
    model.graph.node[-1].output[0] = "y"
    cm, _ = compile_float(tmp_path, model, name)
    prove_and_check(cm, 1)


def test_tampered_cnn_proof_is_rejected(tmp_path):
    cm, dims = compile_float(tmp_path, CNN_CASES["lenet_max"](), "tamper")
    x = np.random.default_rng(0).normal(size=(1, *dims[1:]))
    expect_tampered_rejected(cm, zkml.prove(cm, x).proof)


@pytest.mark.parametrize("batch", [1, 3])
def test_flat_input_reshaped_into_channels(tmp_path, batch):
    """A flat (1, 64) input reshaped to (1, 1, 8, 8) before a conv: the circuit's input is
    shaped, the statement keeps the flat ONNX order."""
    from inference_models import f32, make_model
    from onnx import helper, numpy_helper

    rng = np.random.default_rng(4)
    nodes = [helper.make_node("Reshape", ["x", "shp"], ["r"]),
             helper.make_node("Conv", ["r", "W1"], ["a"]),
             helper.make_node("Relu", ["a"], ["b"]),
             helper.make_node("Flatten", ["b"], ["f"]),
             helper.make_node("Gemm", ["f", "W2"], ["y"])]
    model = make_model(nodes, {"x": [1, 64]}, ["y"], {"W1": f32(rng.normal(size=(3, 1, 3, 3))),
                                                      "W2": f32(rng.normal(size=(108, 4)))})
    model.graph.initializer.append(
        numpy_helper.from_array(np.array([1, 1, 8, 8], dtype=np.int64), "shp"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm = zkml.compile(save(model, tmp_path, "flat.onnx"),
                          calibration=rng.normal(size=(8, 64)), hiding=False)
    assert cm.circuit.input_shape == (1, 8, 8)
    assert [g.op for g in cm.circuit.gadgets] == ["conv", "dense"]
    check_proof(cm, rng.normal(size=(batch, 64)))
