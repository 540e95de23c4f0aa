"""A small ResNet-style CNN built the way torch.onnx.export writes it (opset 17): named
nodes, Constant nodes, BatchNormalization, an Identity on a shared weight, MaxPool, a
residual Add, GlobalAveragePool and a Shape/Gather/Concat/Reshape flatten."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper, numpy_helper
from quant_models import f32, make_model, ort_run, save, steps_sum

from zkml.compile_api import compile_model
from zkml.quant.compiled import CompiledModel
from zkml.quant.executor import accumulator_bound


def _const(name: str, value: np.ndarray):
    return helper.make_node("Constant", [], [name], name=f"/{name}",
                            value=numpy_helper.from_array(value, name))


def _bn(prefix: str, x: str, y: str, c: int, rng, inits: dict, as_constants: list | None):
    params = {
        f"{prefix}.weight": f32(rng.uniform(0.5, 1.5, c)),
        f"{prefix}.bias": f32(rng.normal(0, 0.2, c)),
        f"{prefix}.running_mean": f32(rng.normal(0, 0.3, c)),
        f"{prefix}.running_var": f32(rng.uniform(0.5, 2.0, c)),
    }
    if as_constants is None:
        inits.update(params)
    else:
        as_constants.extend(_const(k, v) for k, v in params.items())
    return helper.make_node("BatchNormalization", [x, *params], [y], epsilon=1e-5,
                            momentum=0.9, name=f"/{prefix.replace('.', '/')}/BatchNormalization")


def resnet_like(flatten_with_reshape: bool, seed: int = 0):
    rng = np.random.default_rng(seed)

    def he(*shape):
        return f32(rng.normal(0, np.sqrt(2.0 / np.prod(shape[1:])), shape))

    inits = {
        "conv1.weight": he(8, 3, 3, 3),
        "layer1.0.conv1.weight": he(8, 8, 3, 3),
        "layer1.0.conv2.weight": he(8, 8, 3, 3),
        "fc.weight": he(10, 8),
        "fc.bias": f32(rng.normal(0, 0.1, 10)),
    }
    consts: list = []
    nodes = [
        helper.make_node("Conv", ["input", "conv1.weight"], ["/conv1/Conv_output_0"],
                         name="/conv1/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        _bn("bn1", "/conv1/Conv_output_0", "/bn1/BatchNormalization_output_0", 8, rng, inits,
            None),
        helper.make_node("Relu", ["/bn1/BatchNormalization_output_0"], ["/relu/Relu_output_0"],
                         name="/relu/Relu"),
        helper.make_node("MaxPool", ["/relu/Relu_output_0"], ["/maxpool/MaxPool_output_0"],
                         name="/maxpool/MaxPool", kernel_shape=[3, 3], strides=[2, 2],
                         pads=[1, 1, 1, 1], ceil_mode=0),
        # A shared weight comes out of the exporter behind an Identity.
        helper.make_node("Identity", ["layer1.0.conv1.weight"], ["onnx::Conv_99"],
                         name="Identity_0"),
        helper.make_node("Conv", ["/maxpool/MaxPool_output_0", "onnx::Conv_99"],
                         ["/layer1/layer1.0/conv1/Conv_output_0"],
                         name="/layer1/layer1.0/conv1/Conv", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], strides=[1, 1], dilations=[1, 1], group=1),
        _bn("layer1.0.bn1", "/layer1/layer1.0/conv1/Conv_output_0", "/layer1/bn1_out", 8, rng,
            inits, consts),
        helper.make_node("Relu", ["/layer1/bn1_out"], ["/layer1/relu_out"],
                         name="/layer1/layer1.0/relu/Relu"),
        helper.make_node("Conv", ["/layer1/relu_out", "layer1.0.conv2.weight"],
                         ["/layer1/conv2_out"], name="/layer1/layer1.0/conv2/Conv",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        _bn("layer1.0.bn2", "/layer1/conv2_out", "/layer1/bn2_out", 8, rng, inits, consts),
        helper.make_node("Add", ["/layer1/bn2_out", "/maxpool/MaxPool_output_0"],
                         ["/layer1/add_out"], name="/layer1/layer1.0/Add"),
        helper.make_node("Relu", ["/layer1/add_out"], ["/layer1/relu1_out"],
                         name="/layer1/layer1.0/relu_1/Relu"),
        helper.make_node("GlobalAveragePool", ["/layer1/relu1_out"], ["/avgpool/out"],
                         name="/avgpool/GlobalAveragePool"),
    ]
    if flatten_with_reshape:
        nodes += [
            helper.make_node("Shape", ["/avgpool/out"], ["/Shape_output_0"], name="/Shape"),
            _const("/Constant_output_0", np.array(0, dtype=np.int64)),
            helper.make_node("Gather", ["/Shape_output_0", "/Constant_output_0"],
                             ["/Gather_output_0"], name="/Gather", axis=0),
            _const("/Constant_1_output_0", np.array([0], dtype=np.int64)),
            helper.make_node("Unsqueeze", ["/Gather_output_0", "/Constant_1_output_0"],
                             ["/Unsqueeze_output_0"], name="/Unsqueeze"),
            _const("/Constant_2_output_0", np.array([-1], dtype=np.int64)),
            helper.make_node("Concat", ["/Unsqueeze_output_0", "/Constant_2_output_0"],
                             ["/Concat_output_0"], name="/Concat", axis=0),
            helper.make_node("Reshape", ["/avgpool/out", "/Concat_output_0"], ["/flat"],
                             name="/Reshape"),
        ]
    else:
        nodes.append(helper.make_node("Flatten", ["/avgpool/out"], ["/flat"], name="/Flatten",
                                      axis=1))
    nodes.append(helper.make_node("Gemm", ["/flat", "fc.weight", "fc.bias"], ["output"],
                                  name="/fc/Gemm", alpha=1.0, beta=1.0, transB=1))
    model = make_model(consts + nodes, {"input": [1, 3, 16, 16]}, ["output"], inits, opset=17)
    return model


@pytest.mark.parametrize("flatten_with_reshape", [False, True])
def test_cnn_imports_folds_and_stays_faithful(tmp_path, flatten_with_reshape):
    model = resnet_like(flatten_with_reshape)
    rng = np.random.default_rng(1)
    samples = rng.normal(size=(32, 1, 3, 16, 16))
    np.save(tmp_path / "cal.npy", samples)
    path = save(model, tmp_path, "cnn.onnx")
    cm = compile_model(path, calibration=tmp_path / "cal.npy",
                       output_path=tmp_path / "cnn.zkml")
    kinds = [op.op for op in cm.model.ops]
    # BatchNorm folded into the convs; Identity, Shape, Gather, ... gone.
    assert kinds == ["conv", "relu", "maxpool", "conv", "relu", "conv", "add", "relu", "mean",
                     "reshape", "matmul"]
    assert cm.source["opset"] == 17
    rep = cm.fidelity["outputs"]["output"]
    peak = rep["max_abs_float"]
    print(f"cnn (reshape={flatten_with_reshape}): max abs err {rep['max_abs_error']:.4g}, "
          f"mean {rep['mean_abs_error']:.4g}, |float| max {peak:.3g}, argmax agreement "
          f"{rep['argmax_agreement']:.3f}")
    assert rep["argmax_agreement"] >= 0.96
    assert rep["max_abs_error"] <= 0.02 * peak
    # The reported numbers match an independent onnxruntime run on held-out inputs.
    loaded = CompiledModel.load(tmp_path / "cnn.zkml")
    x = rng.normal(size=(1, 3, 16, 16))
    err = np.abs(loaded.run(x)["output"] - ort_run(model, {"input": x})["output"]).max()
    assert err <= 0.02 * peak and err < 50 * steps_sum(cm)


def test_cnn_trace_has_prover_witness(tmp_path):
    model = resnet_like(False)
    rng = np.random.default_rng(2)
    cm = compile_model(save(model, tmp_path), calibration=rng.normal(size=(8, 1, 3, 16, 16)))
    trace = cm.execute(cm.quantize_inputs(rng.normal(size=(1, 3, 16, 16))))
    for op in cm.model.ops:
        assert op.output in trace.tensors
        t = cm.model.tensor(op.output)
        v = trace.tensors[op.output]
        assert v.min() >= t.lo and v.max() <= t.hi
        if op.op in ("conv", "matmul", "add"):
            aux = trace.aux[op.name]
            k = op.attrs["shift"]
            # acc + 2^(k-1) = q * 2^k + rem, 0 <= rem < 2^k, output = saturate(q)
            half = (1 << (k - 1)) if k else 0
            assert np.array_equal(aux["acc"] + half, aux["quotient"] * (1 << k) + aux["remainder"])
            assert aux["remainder"].min() >= 0 and aux["remainder"].max() < (1 << k)
            assert np.array_equal(np.clip(aux["quotient"], t.lo, t.hi), v)
            assert np.abs(aux["acc"]).max() <= accumulator_bound(cm.model, op)
        if op.op == "maxpool":
            assert "selector" in trace.aux[op.name]
