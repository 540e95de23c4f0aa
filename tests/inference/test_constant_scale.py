"""Multiplication by a non-scalar constant: one value per channel of a spatial tensor (an
unfolded BatchNormalization, a layer scale) is a depthwise 1x1 `conv` gadget; one value
per feature of a flat tensor is a `dense` gadget with a diagonal weight. Compile,
witness against the executor, prove and verify; other constant shapes are refused."""

from __future__ import annotations

import numpy as np
import pytest
from harness import compile_float, prove_and_check
from inference_models import Net, compile_circuit_only, f32, make_model
from onnx import helper

from zkml.compiler import nonlinear
from zkml.errors import ModelError
from zkml.witness import build_witness


def preact_bn_cnn() -> object:
    """conv, conv, residual add, BatchNormalization after the add (nothing to fold it
    into: a per-channel multiply and add), ReLU, flatten, Gemm."""
    net = Net([1, 3, 6, 6], seed=5).conv(4, 3, pads=[1, 1, 1, 1])
    h = net.x
    net.conv(4, 3, pads=[1, 1, 1, 1])
    net._emit("Add", [h, net.x], net.shape)
    rng = np.random.default_rng(0)
    net.inits.update({"g": f32(rng.uniform(0.5, 1.5, 4)), "b": f32(rng.normal(0, 0.1, 4)),
                      "mu": f32(rng.normal(0, 0.1, 4)), "var": f32(rng.uniform(0.5, 1.5, 4))})
    net._emit("BatchNormalization", [net.x, "g", "b", "mu", "var"], net.shape)
    return net.relu().flatten().gemm(3).model()


def layer_scale_cnn() -> object:
    """conv 2 -> 5 on a 7x7 map (1-D: 11), `x * gamma` with gamma of shape (5, 1, 1)."""
    net = Net([1, 2, 7, 7], seed=6).conv(5, 3, pads=[1, 1, 1, 1]).relu()
    net.inits["gamma"] = f32(np.array([0.5, -1.25, 2.0, 0.1, 1.0]).reshape(5, 1, 1))
    net._emit("Mul", ["gamma", net.x], net.shape)
    return net.flatten().gemm(3).model()


def feature_scale_mlp(n: int = 10) -> object:
    rng = np.random.default_rng(7)
    nodes = [helper.make_node("Gemm", ["x", "W0", "b0"], ["h"], name="fc0"),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node("Mul", ["r", "s"], ["a"], name="scale"),
             helper.make_node("Gemm", ["a", "W1", "b1"], ["y"], name="fc1")]
    inits = {"W0": f32(rng.normal(0, 0.5, (6, n))), "b0": f32(rng.normal(0, 0.1, n)),
             "s": f32(rng.uniform(-2, 2, n)), "W1": f32(rng.normal(0, 0.3, (n, 3))),
             "b1": f32(np.zeros(3))}
    return make_model(nodes, {"x": [1, 6]}, ["y"], inits)


CASES = {"preact_bn_cnn": (preact_bn_cnn, ["conv", "conv", "add", "conv", "addconst", "dense"]),
         "layer_scale_cnn": (layer_scale_cnn, ["conv", "conv", "dense"]),
         "feature_scale_mlp": (feature_scale_mlp, ["dense", "dense", "dense"])}


@pytest.mark.parametrize("name", list(CASES))
def test_constant_scales_compile_to_depthwise_or_diagonal(tmp_path, name):
    cm, _ = compile_float(tmp_path, CASES[name][0](), name)
    c = cm.circuit
    assert [g.op for g in c.gadgets] == CASES[name][1]
    scale = next(g for g in c.gadgets if "scale" in g.source or "batchnorm" in g.source.lower()
                 or "mul" in g.source.lower())
    if scale.op == "conv":
        p = scale.producer
        assert p.in_shape == p.out_shape and set(p.kernel) == {1}
    x = np.random.default_rng(1).integers(-500, 500, size=(3, c.input_features))
    build_witness(cm.compiled_circuit, cm.model, x)  # checks every gadget vs the executor


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("batch", [1, 3])
def test_constant_scales_prove_and_verify(tmp_path, name, batch):
    cm, _ = compile_float(tmp_path, CASES[name][0](), name)
    prove_and_check(cm, batch, tamper=4, tamper_at=3)


def test_wide_feature_scale_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(nonlinear, "MAX_DIAGONAL_FEATURES", 8)
    with pytest.raises(ModelError, match=r"node 'scale' \(op mul\) cannot be proven yet: a "
                                         r"per-feature scale of 10 features"):
        compile_circuit_only(tmp_path, feature_scale_mlp(10))


def test_per_position_constant_is_refused(tmp_path):
    net = Net([1, 2, 5, 5], seed=8).conv(3, 3, pads=[1, 1, 1, 1])
    net.inits["m"] = f32(np.random.default_rng(0).normal(size=(3, 5, 5)))
    net._emit("Mul", [net.x, "m"], net.shape)
    with pytest.raises(ModelError, match=r"\(op mul\) cannot be proven yet: multiplication by "
                                         r"a constant of shape \[3, 5, 5\]"):
        compile_circuit_only(tmp_path, net.flatten().gemm(2).model())
