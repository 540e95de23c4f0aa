"""Add/Sub/Mul/Div, activations, tables and Softmax against onnxruntime."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper
from quant_models import compile_and_compare, f32, make_model


@pytest.mark.parametrize(
    "op,const_shape,const_first",
    [
        ("Add", (3, 1, 1), False),  # per-channel bias
        ("Add", (), True),
        ("Sub", (1, 3, 4, 4), False),
        ("Sub", (4,), True),  # const - x
        ("Mul", (3, 1, 1), False),
        ("Mul", (), True),
        ("Div", (3, 1, 1), False),
        ("Div", (), False),
    ],
)
def test_binary_with_constant(tmp_path, op, const_shape, const_first):
    rng = np.random.default_rng(len(const_shape) + len(op))
    c = rng.uniform(0.5, 2.0, size=const_shape) * rng.choice([-1, 1], size=const_shape)
    ins = ["c", "x"] if const_first else ["x", "c"]
    model = make_model([helper.make_node(op, ins, ["y"])], {"x": [1, 3, 4, 4]}, ["y"],
                       {"c": f32(c)})
    samples = rng.uniform(-2, 2, size=(5, 1, 3, 4, 4))
    lip = 1.0 if op in ("Add", "Sub") else float(np.abs(c).max() if op == "Mul" else
                                                 np.abs(1 / c).max())
    compile_and_compare(tmp_path, model, samples, lip=lip + 1, x_l1=2.0)


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul"])
@pytest.mark.parametrize("y_shape", [(1, 4), (2, 1), (2, 4)])
def test_binary_two_inputs_broadcast(tmp_path, op, y_shape):
    rng = np.random.default_rng(len(op) + sum(y_shape))
    model = make_model([helper.make_node(op, ["x", "y"], ["z"])],
                       {"x": [2, 4], "y": list(y_shape)}, ["z"])
    samples = {"x": rng.uniform(-3, 3, size=(6, 2, 4)),
               "y": rng.uniform(-0.5, 0.5, size=(6, *y_shape))}
    compile_and_compare(tmp_path, model, samples, lip=3.0 if op == "Mul" else 1.0)


def test_residual_add_of_branches(tmp_path):
    rng = np.random.default_rng(5)
    w = rng.normal(size=(6, 6)) * 0.3
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["h"]),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("Add", ["x", "r"], ["y"]),
    ]
    model = make_model(nodes, {"x": [1, 6]}, ["y"], {"W": f32(w)})
    samples = rng.uniform(-4, 4, size=(6, 1, 6))
    compile_and_compare(tmp_path, model, samples, lip=1 + np.abs(w).sum(0).max(), x_l1=24)


def test_swish_product_of_two_tensors(tmp_path):
    rng = np.random.default_rng(6)
    nodes = [helper.make_node("Sigmoid", ["x"], ["s"]), helper.make_node("Mul", ["x", "s"], ["y"])]
    model = make_model(nodes, {"x": [2, 8]}, ["y"])
    samples = rng.uniform(-6, 6, size=(5, 2, 8))
    compile_and_compare(tmp_path, model, samples, lip=6.0)


@pytest.mark.parametrize("alpha", [0.01, 0.2, 0.5])
@pytest.mark.parametrize("shape", [(3, 5), (1, 2, 4, 4)])
def test_leaky_relu(tmp_path, alpha, shape):
    rng = np.random.default_rng(int(alpha * 100))
    model = make_model([helper.make_node("LeakyRelu", ["x"], ["y"], alpha=alpha)],
                       {"x": list(shape)}, ["y"])
    compile_and_compare(tmp_path, model, rng.uniform(-5, 5, size=(5, *shape)))


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 5)])
def test_relu_and_neg(tmp_path, shape):
    rng = np.random.default_rng(8)
    nodes = [helper.make_node("Neg", ["x"], ["n"]), helper.make_node("Relu", ["n"], ["y"])]
    model = make_model(nodes, {"x": list(shape)}, ["y"])
    cm, _, _ = compile_and_compare(tmp_path, model, rng.uniform(-3, 3, size=(4, *shape)))
    assert [op.op for op in cm.model.ops] == ["mul", "relu"]


@pytest.mark.parametrize("bounds", [(0.0, 6.0), (-1.0, 1.0), (None, 0.5), (-0.25, None)])
@pytest.mark.parametrize("shape", [(2, 6), (1, 3, 4, 4)])
def test_clip(tmp_path, bounds, shape):
    rng = np.random.default_rng(9)
    inits, ins = {}, ["x"]
    for name, v in zip(("lo", "hi"), bounds, strict=True):
        if v is None:
            ins.append("")
        else:
            inits[name] = f32(v)
            ins.append(name)
    model = make_model([helper.make_node("Clip", ins, ["y"])], {"x": list(shape)}, ["y"], inits)
    compile_and_compare(tmp_path, model, rng.uniform(-8, 8, size=(5, *shape)))


def test_clip_old_opset_attributes_are_converted(tmp_path):
    rng = np.random.default_rng(10)
    model = make_model([helper.make_node("Clip", ["x"], ["y"], min=0.0, max=6.0)],
                       {"x": [2, 6]}, ["y"], opset=6)
    cm, _, _ = compile_and_compare(tmp_path, model, rng.uniform(-8, 8, size=(5, 2, 6)))
    assert cm.source["opset"] == 6 and cm.source["target_opset"] == 21


@pytest.mark.parametrize(
    "op,attrs,lip,lo,hi",
    [
        ("Sigmoid", {}, 0.25, -10, 10),
        ("Sigmoid", {}, 0.25, -1, 1),
        ("Tanh", {}, 1.0, -4, 4),
        ("Tanh", {}, 1.0, -0.2, 0.3),
        ("Erf", {}, 1.2, -3, 3),
        ("Gelu", {}, 1.2, -5, 5),
        ("Gelu", {"approximate": "tanh"}, 1.2, -3, 8),
        ("Exp", {}, 8.0, -4, 2),
    ],
)
@pytest.mark.parametrize("precision", ["small", "balanced", "high"])
@pytest.mark.parametrize("shape", [(4, 8), (1, 3, 5, 5)])
def test_function_tables(tmp_path, op, attrs, lip, lo, hi, precision, shape):
    rng = np.random.default_rng(11)
    model = make_model([helper.make_node(op, ["x"], ["y"], **attrs)], {"x": list(shape)}, ["y"])
    cm, _, _ = compile_and_compare(tmp_path, model, rng.uniform(lo, hi, size=(6, *shape)),
                                   lip=lip, precision=precision)
    tables = [t for t in cm.model.tensors.values() if t.role == "table"]
    assert len(tables) == 1 and tables[0].shape[0] <= 2 ** cm.model.precision["table_bits"]


def test_gelu_as_pytorch_exports_it(tmp_path):
    rng = np.random.default_rng(12)
    nodes = [
        helper.make_node("Div", ["x", "sqrt2"], ["a"]),
        helper.make_node("Erf", ["a"], ["b"]),
        helper.make_node("Add", ["b", "one"], ["c"]),
        helper.make_node("Mul", ["x", "c"], ["d"]),
        helper.make_node("Mul", ["d", "half"], ["y"]),
    ]
    inits = {"sqrt2": f32(1.4142135), "one": f32(1.0), "half": f32(0.5)}
    model = make_model(nodes, {"x": [2, 8]}, ["y"], inits, opset=17)
    compile_and_compare(tmp_path, model, rng.uniform(-4, 4, size=(5, 2, 8)), lip=4.0)


@pytest.mark.parametrize("shape,axis", [((1, 10), -1), ((2, 3, 5), 1), ((1, 100), 1),
                                        ((4, 7), 0)])
@pytest.mark.parametrize("spread", [1.0, 8.0])
@pytest.mark.parametrize("precision", ["small", "balanced", "high"])
def test_softmax(tmp_path, shape, axis, spread, precision):
    rng = np.random.default_rng(13 + len(shape))
    model = make_model([helper.make_node("Softmax", ["x"], ["y"], axis=axis)],
                       {"x": list(shape)}, ["y"])
    cm, _, _ = compile_and_compare(tmp_path, model, rng.normal(size=(6, *shape)) * spread,
                                   lip=2.0, precision=precision)
    assert "div" in [op.op for op in cm.model.ops]
