"""Pooling, reductions, ArgMax, Concat and shape ops against onnxruntime."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from quant_models import compile_and_compare, f32, make_model, ort_run, save

from zkml.compile_api import compile_model

POOL_CASES = [
    ((1, 2, 8, 8), {"kernel_shape": [2, 2], "strides": [2, 2]}),
    ((1, 2, 7, 7), {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}),
    ((2, 3, 9, 9), {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
    ((1, 2, 8, 8), {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}),
    ((1, 2, 7, 7), {"kernel_shape": [2, 3], "strides": [2, 2], "pads": [0, 1, 1, 0],
                    "ceil_mode": 1}),
    ((1, 2, 9, 9), {"kernel_shape": [2, 2], "dilations": [2, 2]}),
    ((1, 3, 7, 7), {"kernel_shape": [3, 3], "auto_pad": "SAME_UPPER", "strides": [2, 2]}),
    ((1, 2, 10), {"kernel_shape": [3], "strides": [2], "pads": [1, 1]}),  # 1-D
]


@pytest.mark.parametrize("x_shape,attrs", POOL_CASES)
def test_maxpool(tmp_path, x_shape, attrs):
    rng = np.random.default_rng(sum(x_shape))
    model = make_model([helper.make_node("MaxPool", ["x"], ["y"], **attrs)],
                       {"x": list(x_shape)}, ["y"])
    cm, _, _ = compile_and_compare(tmp_path, model, rng.normal(size=(4, *x_shape)) * 3)
    trace = cm.execute(cm.quantize_inputs(rng.normal(size=x_shape)))
    sel = trace.aux[cm.model.ops[0].name]["selector"]
    assert sel.shape == trace.tensors["y"].shape
    assert sel.min() >= 0 and sel.max() < int(np.prod(attrs["kernel_shape"]))


@pytest.mark.parametrize("x_shape,attrs", POOL_CASES)
@pytest.mark.parametrize("count_include_pad", [0, 1])
def test_average_pool(tmp_path, x_shape, attrs, count_include_pad):
    rng = np.random.default_rng(sum(x_shape) + count_include_pad)
    node = helper.make_node("AveragePool", ["x"], ["y"], count_include_pad=count_include_pad,
                            **attrs)
    model = make_model([node], {"x": list(x_shape)}, ["y"])
    compile_and_compare(tmp_path, model, rng.normal(size=(4, *x_shape)) * 3)


@pytest.mark.parametrize("x_shape", [(1, 3, 5, 5), (2, 4, 7, 7), (1, 2, 6), (1, 8, 4, 4)])
@pytest.mark.parametrize("op", ["GlobalAveragePool", "GlobalMaxPool"])
def test_global_pool(tmp_path, x_shape, op):
    rng = np.random.default_rng(len(x_shape) + x_shape[-1])
    model = make_model([helper.make_node(op, ["x"], ["y"])], {"x": list(x_shape)}, ["y"])
    cm, _, _ = compile_and_compare(tmp_path, model, rng.uniform(-2, 3, size=(4, *x_shape)))
    if op == "GlobalAveragePool":
        aux = cm.execute(cm.quantize_inputs(np.ones(x_shape))).aux[cm.model.ops[0].name]
        assert int(aux["divisor"]) == int(np.prod(x_shape[2:]))
        assert np.all((aux["remainder"] >= 0) & (aux["remainder"] < aux["divisor"]))


@pytest.mark.parametrize("keepdims", [0, 1])
@pytest.mark.parametrize("axes", [[1], [2, 3], [-1]])
@pytest.mark.parametrize("op", ["ReduceMean", "ReduceMax"])
def test_reductions(tmp_path, keepdims, axes, op):
    rng = np.random.default_rng(len(axes) + keepdims)
    model = make_model([helper.make_node(op, ["x", "axes"], ["y"], keepdims=keepdims)],
                       {"x": [1, 3, 4, 5]}, ["y"], {"axes": np.array(axes, dtype=np.int64)})
    compile_and_compare(tmp_path, model, rng.normal(size=(4, 1, 3, 4, 5)))


@pytest.mark.parametrize("axis,keepdims,last", [(1, 1, 0), (1, 0, 0), (0, 1, 0), (-1, 0, 1)])
def test_argmax(tmp_path, axis, keepdims, last):
    rng = np.random.default_rng(14)
    node = helper.make_node("ArgMax", ["x"], ["y"], axis=axis, keepdims=keepdims,
                            select_last_index=last)
    model = make_model([node], {"x": [3, 6]}, {"y": TensorProto.INT64})
    # Integer-valued floats: ties exist in float and survive quantization exactly.
    samples = rng.integers(-3, 4, size=(8, 3, 6)).astype(np.float64)
    cm, worst, _ = compile_and_compare(tmp_path, model, samples)
    assert worst == 0.0
    assert cm.fidelity["outputs"]["y"]["argmax_agreement"] == 1.0


def test_argmax_ties_pick_first_index(tmp_path):
    model = make_model([helper.make_node("ArgMax", ["x"], ["y"], axis=1, keepdims=0)],
                       {"x": [1, 5]}, {"y": TensorProto.INT64})
    cm = compile_model(save(model, tmp_path), calibration=np.ones((2, 1, 5)))
    assert cm.run(np.array([[1.0, 3.0, 3.0, 0.0, 3.0]]))["y"].tolist() == [1.0]


def test_concat_of_differently_scaled_tensors_and_constants(tmp_path):
    rng = np.random.default_rng(15)
    nodes = [
        helper.make_node("Mul", ["x", "ten"], ["big"]),
        helper.make_node("Concat", ["x", "big", "c"], ["y"], axis=1),
    ]
    inits = {"ten": f32(10.0), "c": f32(rng.normal(size=(2, 3)))}
    model = make_model(nodes, {"x": [2, 4]}, ["y"], inits)
    cm, _, _ = compile_and_compare(tmp_path, model, rng.uniform(-1, 1, size=(5, 2, 4)), lip=10)
    assert "rescale" in [op.op for op in cm.model.ops]


@pytest.mark.parametrize(
    "nodes,inits",
    [
        ([helper.make_node("Flatten", ["x"], ["y"], axis=1)], {}),
        ([helper.make_node("Flatten", ["x"], ["y"], axis=-1)], {}),
        ([helper.make_node("Flatten", ["x"], ["y"], axis=0)], {}),
        ([helper.make_node("Reshape", ["x", "s"], ["y"])], {"s": np.array([0, -1])}),
        ([helper.make_node("Transpose", ["x"], ["y"], perm=[0, 2, 3, 1])], {}),
        ([helper.make_node("Unsqueeze", ["x", "a"], ["u"]),
          helper.make_node("Squeeze", ["u", "a"], ["y"])], {"a": np.array([2])}),
        ([helper.make_node("Identity", ["x"], ["i"]),
          helper.make_node("Dropout", ["i"], ["d"]),
          helper.make_node("Cast", ["d"], ["y"], to=TensorProto.FLOAT)], {}),
    ],
)
def test_shape_ops_move_values_unchanged(tmp_path, nodes, inits):
    rng = np.random.default_rng(16)
    inits = {k: v.astype(np.int64) for k, v in inits.items()}
    model = make_model(nodes, {"x": [1, 2, 3, 4]}, ["y"], inits)
    cm, _, _ = compile_and_compare(tmp_path, model, rng.normal(size=(3, 1, 2, 3, 4)))
    assert {op.op for op in cm.model.ops} <= {"reshape", "transpose"}


def test_intermediate_tensor_as_output(tmp_path):
    rng = np.random.default_rng(17)
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Sigmoid", ["r"], ["y"])]
    model = make_model(nodes, {"x": [2, 3]}, ["y"])
    path = save(model, tmp_path)
    cm = compile_model(path, calibration=rng.normal(size=(4, 2, 3)), outputs=["r"])
    assert list(cm.model.outputs) == ["r"] and [op.op for op in cm.model.ops] == ["relu"]
    x = rng.normal(size=(2, 3))
    assert np.allclose(cm.run(x)["r"], np.maximum(x, 0), atol=1e-3)
    assert ort_run(model, {"x": x})["y"].shape == (2, 3)
