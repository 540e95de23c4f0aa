"""circuits/max.md end to end: ONNX Max, Min and Abs compile to `max2` gadgets (a
scalar bound to a clamp), prove and verify through the public API, and match onnxruntime
within the quantization error; broadcasting and non-scalar constant operands are refused
with a ModelError naming the node."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from harness import compile_float, float_runs, prove_and_check
from inference_models import f32, make_model
from onnx import helper

from zkml.errors import ModelError


def minmax_model(seed: int = 5) -> object:
    """Two dense branches `h` (bias) and `k` (4x larger weights: another scale), then
    `Max(h, k)`, `Min(h, k, |x|)` (three inputs, chained), `Max(., 0)` (a ReLU: a clamp),
    `Min(., 0.5)` (a clamp), their sum and a dense head."""
    rng = np.random.default_rng(seed)
    inits = {"W1": f32(rng.normal(0, 0.4, (8, 8))), "b1": f32(rng.normal(0, 0.1, 8)),
             "W2": f32(rng.normal(0, 1.6, (8, 8))), "W3": f32(rng.normal(0, 0.4, (8, 4))),
             "zero": f32(0.0), "half": f32(0.5)}
    nodes = [
        helper.make_node("Gemm", ["x", "W1", "b1"], ["h"], name="dense_h"),
        helper.make_node("MatMul", ["x", "W2"], ["k"], name="dense_k"),
        helper.make_node("Abs", ["x"], ["a"], name="abs_x"),
        helper.make_node("Max", ["h", "k"], ["m"], name="max_hk"),
        helper.make_node("Min", ["h", "k", "a"], ["n"], name="min_hka"),
        helper.make_node("Max", ["m", "zero"], ["r"], name="relu_as_max"),
        helper.make_node("Min", ["n", "half"], ["c"], name="clip_as_min"),
        helper.make_node("Add", ["r", "c"], ["s"], name="sum"),
        helper.make_node("MatMul", ["s", "W3"], ["y"], name="head"),
    ]
    return make_model(nodes, {"x": [1, 8]}, ["y"], inits)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    return compile_float(tmp_path_factory.mktemp("minmax"), minmax_model(), "minmax")[0]


def test_the_ops_are_max2_gadgets_and_scalar_bounds_clamps(compiled):
    ops = [g for g in compiled.circuit.to_json()["gadgets"] if g["producer"]["op"] == "max2"]
    by_source = {g["source"]: g["producer"] for g in ops}
    # Max(h, k); Min(h, k, |x|) as two chained pairs; Abs(x) = max(x, -x)
    assert sorted(g["source"] for g in ops) == ["abs_x", "max_hk", "min_hka", "min_hka"]
    dirs = sorted(p["dir"] for p in by_source.values())
    assert dirs == [-1, 1, 1]
    assert by_source["abs_x"]["signs"] == [1, -1]
    assert by_source["abs_x"]["x"] == by_source["abs_x"]["y"] == "input"
    # h and k have different scales: the lshifts align them
    assert any(p["lshifts"] != [0, 0] for p in by_source.values())
    # Max(m, 0) and Min(n, 0.5) are clamps of the max2 gadgets' values, not max2 gadgets
    assert all(g["source"] not in ("relu_as_max", "clip_as_min") for g in ops)


@pytest.mark.parametrize("batch", [1, 3])
def test_max_min_abs_prove_verify_and_match_onnxruntime(compiled, batch):
    _, verified = prove_and_check(compiled, batch, tamper=1)
    sess = ort.InferenceSession(minmax_model().SerializeToString())
    want = np.concatenate([sess.run(None, {"x": run.reshape(compiled.input_shape)
                                           .astype(np.float32)})[0]
                           for run in float_runs(compiled, batch)])
    got = np.array(verified.outputs_float).reshape(want.shape)
    assert np.abs(got - want).max() <= 2 ** -4 * max(1.0, float(np.abs(want).max()))


def _refused(tmp_path, nodes, inits, match: str) -> None:
    model = make_model(nodes, {"x": [1, 8]}, ["y"], {"W": f32(np.eye(8)), **inits})
    with pytest.raises(ModelError, match=match):
        compile_float(tmp_path, model, "refused")


def test_broadcasting_between_tensors_is_refused_naming_the_node(tmp_path):
    nodes = [helper.make_node("ReduceMax", ["x"], ["m"], keepdims=1, name="rowmax"),
             helper.make_node("Max", ["x", "m"], ["z"], name="bcast_max"),
             helper.make_node("MatMul", ["z", "W"], ["y"], name="head")]
    _refused(tmp_path, nodes, {}, r"node 'bcast_max' \(Max\).*broadcasting")


def test_a_non_scalar_constant_operand_is_refused_naming_the_node(tmp_path):
    nodes = [helper.make_node("Min", ["x", "c"], ["z"], name="min_const"),
             helper.make_node("MatMul", ["z", "W"], ["y"], name="head")]
    _refused(tmp_path, nodes, {"c": f32(np.arange(8.0))},
             r"node 'min_const' \(Min\).*non-scalar constant")
