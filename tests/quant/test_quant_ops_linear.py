"""Gemm, MatMul, Conv against onnxruntime, within tolerances derived from the scales."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper
from quant_models import compile_and_compare, f32, make_model


@pytest.mark.parametrize(
    "m,k,n,trans_a,trans_b,alpha,beta,bias_shape",
    [
        (1, 5, 3, 0, 0, 1.0, 1.0, (3,)),
        (4, 7, 2, 0, 1, 1.0, 1.0, (1, 2)),
        (2, 6, 4, 0, 1, 0.5, 2.0, (2, 4)),
        (3, 8, 5, 1, 0, 1.0, 1.0, None),
        (1, 16, 10, 0, 1, 1.0, 0.0, (10,)),
    ],
)
def test_gemm_weight_right(tmp_path, m, k, n, trans_a, trans_b, alpha, beta, bias_shape):
    rng = np.random.default_rng(10 + m * k + n)
    w = rng.normal(size=(n, k) if trans_b else (k, n))
    inits = {"W": f32(w)}
    ins = ["x", "W"]
    if bias_shape is not None:
        inits["C"] = f32(rng.normal(size=bias_shape))
        ins.append("C")
    node = helper.make_node("Gemm", ins, ["y"], alpha=alpha, beta=beta, transA=trans_a,
                            transB=trans_b)
    x_shape = (k, m) if trans_a else (m, k)
    model = make_model([node], {"x": list(x_shape)}, ["y"], inits)
    samples = rng.uniform(-2, 2, size=(6, *x_shape))
    w_eff = alpha * (w.T if trans_b else w)
    compile_and_compare(tmp_path, model, samples, lip=np.abs(w_eff).sum(0).max(),
                        x_l1=np.abs(samples).sum(axis=-2 if trans_a else -1).max())


def test_gemm_weight_left(tmp_path):
    rng = np.random.default_rng(1)
    a = rng.normal(size=(3, 6))
    node = helper.make_node("Gemm", ["A", "x"], ["y"], beta=1.0)
    model = make_model([node], {"x": [6, 2]}, ["y"], {"A": f32(a), "C": f32(np.ones((3, 2)))})
    model.graph.node[0].input.append("C")
    samples = rng.uniform(-1, 1, size=(5, 6, 2))
    compile_and_compare(tmp_path, model, samples, lip=np.abs(a).sum(1).max(),
                        x_l1=np.abs(samples).sum(axis=1).max())


@pytest.mark.parametrize(
    "x_shape,w_shape",
    [((1, 8), (8, 4)), ((2, 3, 8), (8, 5)), ((1, 4, 6), (6, 6))],
)
def test_matmul_weight_right(tmp_path, x_shape, w_shape):
    rng = np.random.default_rng(sum(x_shape))
    w = rng.normal(size=w_shape)
    model = make_model([helper.make_node("MatMul", ["x", "W"], ["y"])], {"x": list(x_shape)},
                       ["y"], {"W": f32(w)})
    samples = rng.uniform(-3, 3, size=(5, *x_shape))
    compile_and_compare(tmp_path, model, samples, lip=np.abs(w).sum(0).max(),
                        x_l1=np.abs(samples).sum(-1).max())


def test_matmul_weight_left_and_bias_add_folds(tmp_path):
    rng = np.random.default_rng(3)
    w = rng.normal(size=(4, 8))
    nodes = [helper.make_node("MatMul", ["W", "x"], ["h"]),
             helper.make_node("Add", ["h", "b"], ["y"])]
    inits = {"W": f32(w), "b": f32(rng.normal(size=(4, 1)))}
    model = make_model(nodes, {"x": [8, 3]}, ["y"], inits)
    samples = rng.uniform(-1, 1, size=(5, 8, 3))
    cm, _, _ = compile_and_compare(tmp_path, model, samples, lip=2 * np.abs(w).sum(1).max(),
                                   x_l1=np.abs(samples).sum(1).max())
    assert [op.op for op in cm.model.ops] == ["matmul", "add"]  # left side: add stays


def test_matmul_add_folds_into_bias(tmp_path):
    rng = np.random.default_rng(4)
    w = rng.normal(size=(6, 3))
    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"]),
             helper.make_node("Add", ["b", "h"], ["y"])]
    model = make_model(nodes, {"x": [2, 6]}, ["y"], {"W": f32(w), "b": f32(rng.normal(size=3))})
    samples = rng.uniform(-1, 1, size=(4, 2, 6))
    cm, _, _ = compile_and_compare(tmp_path, model, samples, lip=np.abs(w).sum(0).max(),
                                   x_l1=np.abs(samples).sum(-1).max())
    assert [op.op for op in cm.model.ops] == ["matmul"]
    assert len(cm.model.ops[0].inputs) == 3


CONV_CASES = [
    # x_shape, w_shape, attrs
    ((1, 3, 8, 8), (4, 3, 3, 3), {"pads": [1, 1, 1, 1]}),
    ((1, 3, 9, 9), (4, 3, 3, 3), {"strides": [2, 2]}),
    ((2, 2, 10, 10), (3, 2, 3, 3), {"dilations": [2, 2], "pads": [2, 2, 2, 2]}),
    ((1, 4, 7, 7), (6, 2, 3, 3), {"group": 2, "pads": [1, 0, 1, 0]}),
    ((1, 4, 6, 6), (4, 1, 3, 3), {"group": 4, "pads": [1, 1, 1, 1]}),  # depthwise
    ((1, 3, 7, 7), (2, 3, 2, 2), {"auto_pad": "SAME_UPPER"}),
    ((1, 3, 7, 7), (2, 3, 2, 2), {"auto_pad": "SAME_LOWER", "strides": [2, 2]}),
    ((1, 3, 7, 7), (2, 3, 3, 3), {"auto_pad": "VALID"}),
    ((1, 2, 16), (3, 2, 5), {"pads": [2, 2]}),  # 1-D
    ((2, 3, 20), (4, 3, 3), {"strides": [3], "dilations": [2]}),  # 1-D
    ((1, 3, 5, 5), (2, 3, 1, 1), {}),
]


@pytest.mark.parametrize("x_shape,w_shape,attrs", CONV_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv(tmp_path, x_shape, w_shape, attrs, bias):
    rng = np.random.default_rng(len(x_shape) * 100 + w_shape[0] * 10 + len(attrs))
    w = rng.normal(size=w_shape) * 0.5
    inits = {"W": f32(w)}
    ins = ["x", "W"]
    if bias:
        inits["B"] = f32(rng.normal(size=w_shape[0]))
        ins.append("B")
    model = make_model([helper.make_node("Conv", ins, ["y"], **attrs)], {"x": list(x_shape)},
                       ["y"], inits)
    samples = rng.uniform(-1, 1, size=(4, *x_shape))
    window = int(np.prod(w_shape[1:]))
    compile_and_compare(tmp_path, model, samples,
                        lip=np.abs(w).reshape(w_shape[0], -1).sum(1).max(), x_l1=window)


def test_conv_precision_presets_trade_error(tmp_path):
    rng = np.random.default_rng(7)
    w = rng.normal(size=(4, 3, 3, 3))
    model = make_model([helper.make_node("Conv", ["x", "W"], ["y"], pads=[1, 1, 1, 1])],
                       {"x": [1, 3, 8, 8]}, ["y"], {"W": f32(w)})
    samples = rng.uniform(-1, 1, size=(4, 1, 3, 8, 8))
    errors = {}
    for prec in ("small", "balanced", "high"):
        (tmp_path / prec).mkdir()
        cm, worst, _ = compile_and_compare(tmp_path / prec, model, samples, precision=prec,
                                           lip=np.abs(w).reshape(4, -1).sum(1).max(), x_l1=27)
        errors[prec] = worst
        assert cm.model.precision["name"] == prec
    assert errors["high"] < errors["balanced"] < errors["small"]
