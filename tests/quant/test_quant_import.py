"""ONNX import: opset conversion, folding, cleanup, defaults, outputs, handler table."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper
from quant_models import compile_and_compare, f32, make_model, save

from zkml.onnx_import import import_onnx
from zkml.onnx_import.errors import UnsupportedModelError
from zkml.onnx_import.handlers import HANDLERS, supported_ops
from zkml.onnx_import.reference import run_graph


def _small_cnn(opset: int):
    rng = np.random.default_rng(opset)
    inits = {
        "w": f32(rng.normal(size=(4, 2, 3, 3)) * 0.4), "b": f32(rng.normal(size=4)),
        "g": f32(rng.uniform(0.5, 1.5, 4)), "be": f32(rng.normal(size=4)),
        "m": f32(rng.normal(size=4) * 0.1), "v": f32(rng.uniform(0.5, 2, 4)),
        "fw": f32(rng.normal(size=(16, 3))), "fb": f32(rng.normal(size=3)),
    }
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "g", "be", "m", "v"], ["n"]),
        helper.make_node("Relu", ["n"], ["r"]),
        helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("Gemm", ["f", "fw", "fb"], ["y"]),
    ]
    return make_model(nodes, {"x": [1, 2, 4, 4]}, ["y"], inits, opset=opset)


@pytest.mark.parametrize("opset", [9, 11, 13, 17, 21])
def test_old_opsets_convert_and_match(tmp_path, opset):
    model = _small_cnn(opset)
    rng = np.random.default_rng(0)
    cm, _, _ = compile_and_compare(tmp_path, model, rng.normal(size=(4, 1, 2, 4, 4)), lip=20,
                                   x_l1=40)
    assert cm.source["opset"] == opset
    assert [op.op for op in cm.model.ops] == ["conv", "relu", "maxpool", "reshape", "matmul"]


def test_float_graph_matches_onnxruntime(tmp_path):
    from quant_models import ort_run

    model = _small_cnn(17)
    imported = import_onnx(save(model, tmp_path))
    x = np.random.default_rng(1).normal(size=(1, 2, 4, 4))
    got = run_graph(imported.graph, {"x": x})[imported.graph.outputs["y"]]
    assert np.allclose(got, ort_run(model, {"x": x})["y"], atol=1e-4)


def test_batchnorm_without_a_weighted_producer_becomes_mul_add(tmp_path):
    c = 3
    inits = {"g": f32([1.0, 2.0, 0.5]), "be": f32([0.1, -0.2, 0.3]), "m": f32([0.0, 1.0, -1.0]),
             "v": f32([1.0, 4.0, 0.25])}
    model = make_model([helper.make_node("BatchNormalization", ["x", "g", "be", "m", "v"],
                                         ["y"])], {"x": [1, c, 4, 4]}, ["y"], inits)
    cm, _, _ = compile_and_compare(tmp_path, model,
                                   np.random.default_rng(2).normal(size=(4, 1, c, 4, 4)), lip=5)
    assert [op.op for op in cm.model.ops] == ["mul", "add"]


def test_batchnorm1d_after_gemm_folds(tmp_path):
    rng = np.random.default_rng(3)
    inits = {"w": f32(rng.normal(size=(5, 4))), "g": f32(rng.uniform(0.5, 2, 4)),
             "be": f32(rng.normal(size=4)), "m": f32(rng.normal(size=4)),
             "v": f32(rng.uniform(0.5, 2, 4))}
    nodes = [helper.make_node("Gemm", ["x", "w"], ["h"]),
             helper.make_node("BatchNormalization", ["h", "g", "be", "m", "v"], ["y"])]
    model = make_model(nodes, {"x": [2, 5]}, ["y"], inits)
    cm, _, _ = compile_and_compare(tmp_path, model, rng.normal(size=(4, 2, 5)), lip=20, x_l1=30)
    assert [op.op for op in cm.model.ops] == ["matmul"]


def test_conv_without_strides_or_pads_uses_onnx_defaults(tmp_path):
    rng = np.random.default_rng(4)
    model = make_model([helper.make_node("Conv", ["x", "w"], ["y"])], {"x": [1, 1, 5, 5]}, ["y"],
                       {"w": f32(rng.normal(size=(2, 1, 3, 3)))})
    imported = import_onnx(save(model, tmp_path))
    (node,) = imported.graph.nodes
    assert node.attrs["strides"] == (1, 1) and node.attrs["pads"] == (0, 0, 0, 0)
    assert node.attrs["dilations"] == (1, 1) and node.attrs["group"] == 1


def test_constant_nodes_and_initializers_listed_as_inputs(tmp_path):
    w = np.arange(6, dtype=np.float32).reshape(3, 2)
    nodes = [helper.make_node("Constant", [], ["w"], value=numpy_helper.from_array(w, "w")),
             helper.make_node("MatMul", ["x", "w"], ["h"]),
             helper.make_node("Add", ["h", "b"], ["y"])]
    model = make_model(nodes, {"x": [1, 3]}, ["y"], {"b": f32([1.0, -1.0])}, opset=11)
    # Old IR versions list initializers among the graph inputs.
    model.graph.input.append(helper.make_tensor_value_info("b", TensorProto.FLOAT, [2]))
    model.ir_version = 3
    imported = import_onnx(save(model, tmp_path))
    assert list(imported.graph.inputs) == ["x"]
    assert [n.op for n in imported.graph.nodes] == ["matmul"]


def test_default_outputs_are_all_numeric_and_can_be_picked(tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["a"]), helper.make_node("Sigmoid", ["x"], ["b"]),
             helper.make_node("ArgMax", ["x"], ["c"], axis=1)]
    model = make_model(nodes, {"x": [1, 4]}, {"a": TensorProto.FLOAT, "b": TensorProto.FLOAT,
                                              "c": TensorProto.INT64})
    path = save(model, tmp_path)
    assert list(import_onnx(path).graph.outputs) == ["a", "b", "c"]
    picked = import_onnx(path, outputs=["c", "a"])
    assert list(picked.graph.outputs) == ["c", "a"]
    assert {n.op for n in picked.graph.nodes} == {"relu", "argmax"}  # sigmoid pruned


def test_unsupported_attribute_names_it(tmp_path):
    node = helper.make_node("Relu", ["x"], ["y"], name="r", bogus=3)
    with pytest.raises(UnsupportedModelError, match=r"node 'r' \(Relu\): attribute 'bogus'"):
        import_onnx(save(make_model([node], {"x": [2]}, ["y"]), tmp_path))


def test_gelu_opset_20_model(tmp_path):
    model = make_model([helper.make_node("Gelu", ["x"], ["y"])], {"x": [3, 4]}, ["y"], opset=20)
    compile_and_compare(tmp_path, model, np.random.default_rng(5).normal(size=(4, 3, 4)) * 3,
                        lip=1.2)


def test_handlers_are_named_after_onnx_ops_with_defaults():
    ops = supported_ops()
    assert ops == sorted(HANDLERS)
    for name, fn in HANDLERS.items():
        assert fn.__name__ == name
        params = list(inspect.signature(fn).parameters.values())
        assert params[0].name == "b"  # the builder, then ONNX inputs, then attributes
        for p in params:
            if p.kind is p.KEYWORD_ONLY:
                assert p.default is not p.empty or (name, p.name) in {
                    ("Cast", "to"), ("Concat", "axis")}


def test_model_local_functions_are_inlined(tmp_path):
    rng = np.random.default_rng(6)
    fn = helper.make_function(
        "pkg.torch", "LinearRelu", ["x", "w"], ["y"],
        [helper.make_node("MatMul", ["x", "w"], ["h"]), helper.make_node("Relu", ["h"], ["y"])],
        [helper.make_opsetid("", 17)],
    )
    node = helper.make_node("LinearRelu", ["x", "W"], ["y"], domain="pkg.torch", name="block")
    model = make_model([node], {"x": [1, 4]}, ["y"], {"W": f32(rng.normal(size=(4, 3)))},
                       opset=17)
    model.opset_import.append(helper.make_opsetid("pkg.torch", 1))
    model.functions.append(fn)
    cm, _, _ = compile_and_compare(tmp_path, model, rng.normal(size=(4, 1, 4)), lip=6, x_l1=8)
    assert [op.op for op in cm.model.ops] == ["matmul", "relu"]
