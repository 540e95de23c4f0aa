"""CNNs end to end: zkml.compile -> zkml.prove -> zkml.verify (circuits/conv.md).

These need the native prover with conv support and the Python verifier; while
`zkml._native` cannot prove the conv probe circuit (`inference_models.native_conv_ready`
tries it and catches the prover's error) they are skipped with that reason.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from inference_models import (
    CNN_CASES,
    Net,
    needs_affine,
    needs_conv_prover,
    needs_verifier,
    save,
)

import zkml
from zkml.errors import VerificationError

pytestmark = [needs_conv_prover, needs_verifier]

ROOT = Path(__file__).resolve().parents[2]


def _compile(tmp_path: Path, model, name: str):
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    cal = np.random.default_rng(3).normal(size=(16, *dims[1:]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return zkml.compile(save(model, tmp_path, f"{name}.onnx"), calibration=cal), dims


def _prove_and_verify(cm, dims: list[int], batch: int) -> None:
    x = np.random.default_rng(batch).normal(size=(batch, *dims[1:]))
    result = zkml.prove(cm, x)
    expect = np.concatenate([cm.execute(cm.quantize_inputs(ex[None])).outputs(cm.model)["y"]
                             .reshape(1, -1) for ex in x])
    assert np.array_equal(result.outputs, expect)
    verified = zkml.verify(result.proof, cm.verifying_key)
    assert np.array_equal(np.array(verified.outputs), result.outputs)
    assert np.array_equal(np.array(verified.inputs), result.inputs)
    assert verified.vk_digest == cm.vk_digest


E2E = ["lenet_avg", "lenet_max", "strided_padded", "dilated", "grouped", "depthwise",
       "conv1d", "residual", "gap4x4", "gmp4x4", "relu_on_input", "avgpool_4x2",
       "pool_then_relu"]


@pytest.mark.parametrize("name", E2E)
@pytest.mark.parametrize("batch", [1, 4])
def test_cnn_proves_and_verifies(tmp_path, name, batch):
    cm, dims = _compile(tmp_path, CNN_CASES[name](), name)
    _prove_and_verify(cm, dims, batch)


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
    cm, dims = _compile(tmp_path, ALL_CONV[name](), name)
    assert not any(g.op == "dense" for g in cm.circuit.gadgets)
    _prove_and_verify(cm, dims, batch)


@needs_affine
def test_cnn_with_leaky_relu_proves_and_verifies(tmp_path):
    cm, dims = _compile(tmp_path, CNN_CASES["bn_no_bias_leaky"](), "leaky")
    _prove_and_verify(cm, dims, 2)


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
    cm, dims = _compile(tmp_path, model, name)
    _prove_and_verify(cm, dims, 1)


def test_tampered_cnn_proof_is_rejected(tmp_path):
    cm, dims = _compile(tmp_path, CNN_CASES["lenet_max"](), "tamper")
    x = np.random.default_rng(0).normal(size=(1, *dims[1:]))
    proof = bytearray(zkml.prove(cm, x).proof)
    proof[len(proof) // 2] ^= 1
    with pytest.raises(VerificationError):
        zkml.verify(bytes(proof), cm.verifying_key)


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
                          calibration=rng.normal(size=(8, 64)))
    assert cm.circuit.input_shape == (1, 8, 8)
    assert [g.op for g in cm.circuit.gadgets] == ["conv", "dense"]
    x = rng.normal(size=(batch, 64))
    result = zkml.prove(cm, x)
    expect = np.concatenate([cm.execute(cm.quantize_inputs(e[None])).outputs(cm.model)["y"]
                             for e in x])
    assert np.array_equal(result.outputs, expect)
    verified = zkml.verify(result.proof, cm.verifying_key)
    assert np.array_equal(np.array(verified.outputs), result.outputs)
