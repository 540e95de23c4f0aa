"""ArgMax as an index tensor computed by gadgets (`zkml.compiler.argmax`): along any axis
(a per-pixel ArgMax over the channels, a per-token one), first or last maximum, beside
other outputs, or read by further ops. Compile, witness against the executor (the chain's
last gadget), prove and verify."""

from __future__ import annotations

import numpy as np
import pytest
from harness import check_proof, compile_float, float_runs
from inference_models import Net, f32, make_model
from onnx import TensorProto, helper

import zkml


def _int_output(model, i: int = 0):
    model.graph.output[i].type.tensor_type.elem_type = TensorProto.INT64
    return model


def _per_pixel(last: int = 0) -> object:
    """conv 2 -> 4 on a 5x6 map, ArgMax over the channels (a segmentation map)."""
    net = Net([1, 2, 5, 6], seed=3).conv(4, 3, pads=[1, 1, 1, 1])
    net._emit("ArgMax", [net.x], [1, 5, 6], axis=1, keepdims=0, select_last_index=last)
    return _int_output(net.model())


def _per_token() -> object:
    """Gemm 6 -> 15, reshape (N, 3, 5), ArgMax over the last axis keeping it."""
    rng = np.random.default_rng(41)
    nodes = [helper.make_node("Gemm", ["x", "W", "b"], ["h"], name="fc"),
             helper.make_node("Reshape", ["h", "s"], ["h3"], name="rs"),
             helper.make_node("ArgMax", ["h3"], ["y"], axis=-1, keepdims=1, name="am")]
    inits = {"W": f32(rng.normal(size=(6, 15))), "b": f32(np.zeros(15)),
             "s": np.array([1, 3, 5], dtype=np.int64)}
    return make_model(nodes, {"x": [1, 6]}, {"y": TensorProto.INT64}, inits)


def _logits_and_label(last: int) -> object:
    """Two outputs: the logits and their ArgMax (tied logits 1 and 3)."""
    rng = np.random.default_rng(42)
    w = rng.normal(size=(6, 5))
    w[:, 3] = w[:, 1]
    nodes = [helper.make_node("Gemm", ["x", "W", "b"], ["logits"], name="fc"),
             helper.make_node("ArgMax", ["logits"], ["label"], axis=1, keepdims=0,
                              select_last_index=last, name="am")]
    return make_model(nodes, {"x": [1, 6]},
                      {"logits": TensorProto.FLOAT, "label": TensorProto.INT64},
                      {"W": f32(w), "b": f32(np.zeros(5))})


def _index_read_further() -> object:
    """The ArgMax index (kept, cast to float) added to the logits."""
    rng = np.random.default_rng(43)
    nodes = [helper.make_node("Gemm", ["x", "W", "b"], ["h"], name="fc"),
             helper.make_node("ArgMax", ["h"], ["k"], axis=1, keepdims=1, name="am"),
             helper.make_node("Cast", ["k"], ["kf"], to=TensorProto.FLOAT, name="cast"),
             helper.make_node("Add", ["kf", "h"], ["y"], name="add")]
    return make_model(nodes, {"x": [1, 6]}, ["y"],
                      {"W": f32(rng.normal(size=(6, 4))), "b": f32(np.zeros(4))})


@pytest.mark.parametrize("last", [0, 1])
@pytest.mark.parametrize("batch", [1, 3])
def test_per_pixel_argmax(tmp_path, last, batch):
    cm, _ = compile_float(tmp_path, _per_pixel(last), f"seg{last}")
    ops = [g.op for g in cm.circuit.gadgets]
    assert ops.count("rowmax") == 2 and not cm.circuit.argmax
    assert cm.circuit.output_features == 5 * 6
    check_proof(cm, float_runs(cm, batch), tamper=1 if batch == 1 else None)


@pytest.mark.parametrize("batch", [1, 3])
def test_per_token_argmax(tmp_path, batch):
    cm, _ = compile_float(tmp_path, _per_token(), "tok")
    assert cm.circuit.output_features == 3
    check_proof(cm, float_runs(cm, batch))


@pytest.mark.parametrize("last", [0, 1])
def test_logits_and_their_label(tmp_path, last):
    cm, _ = compile_float(tmp_path, _logits_and_label(last), f"two{last}")
    x = float_runs(cm, 4) + 2.0
    result = zkml.prove(cm, x)
    verified = zkml.verify(result.proof, cm.verifying_key)
    assert np.array_equal(np.array(verified.outputs), result.outputs)
    got = result.output_dict()
    for i, row in enumerate(x):
        ex = cm.execute(cm.quantize_inputs(row[None])).outputs(cm.model)
        assert got["label"][i].reshape(-1).tolist() == ex["label"].reshape(-1).tolist()
        assert np.array_equal(got["logits"][i].reshape(-1), ex["logits"].reshape(-1))
    labels = got["label"].reshape(-1)
    assert (labels == (3 if last else 1)).any()  # ties decided as ONNX does


def test_index_read_by_further_ops(tmp_path):
    cm, _ = compile_float(tmp_path, _index_read_further(), "further")
    check_proof(cm, float_runs(cm, 3), tamper=1)
