"""Softmax along any axis (circuits/nonlinear.md section 12): the quantizer moves the
axis last with explicit transposes; the compiler holds the operand as grouped rows
`(G, n)` (a `rearrange` when it is held otherwise) and the Softmax pipeline reads one row
value per group: `rowmax` of `G` features, the grouped `add`, the exp table, a
`spatialsum` over `[G, n]`, the grouped `rowdiv`. Compile, witness against the executor,
prove and verify."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from harness import compile_float, prove_and_check
from inference_models import Net, compile_circuit_only, f32, make_model
from onnx import helper

from zkml.quant.executor import dequantize
from zkml.witness import build_witness


def _flat3d(axis: int) -> object:
    """Gemm 6 -> 15, reshape to (N, 3, 5), Softmax along `axis`: the model's output."""
    rng = np.random.default_rng(21)
    nodes = [helper.make_node("Gemm", ["x", "W0", "b0"], ["h"], name="fc0"),
             helper.make_node("Reshape", ["h", "shape"], ["h3"], name="rs"),
             helper.make_node("Softmax", ["h3"], ["y"], axis=axis, name="sm")]
    inits = {"W0": f32(rng.normal(0, 0.7, (6, 15))), "b0": f32(rng.normal(0, 0.2, 15)),
             "shape": np.array([1, 3, 5], dtype=np.int64)}
    return make_model(nodes, {"x": [1, 6]}, ["y"], inits)


def _spatial(axis: int, head: bool = True) -> object:
    """conv 2 -> 3 (3x3) on a 6x7 map, ReLU, Softmax along `axis`, then flatten + Gemm
    (or the Softmax is the output)."""
    net = Net([1, 2, 6, 7], seed=22).conv(3, 3).relu().softmax(axis=axis)
    return (net.flatten().gemm(2) if head else net).model()


CASES = {
    "spatial_last": lambda: _spatial(-1),        # G = C * H groups of W
    "spatial_channels": lambda: _spatial(1),     # per-pixel softmax over the channels
    "spatial_rows": lambda: _spatial(2, head=False),
    "flat3d_last": lambda: _flat3d(-1),
    "flat3d_middle": lambda: _flat3d(1),
}


@pytest.mark.parametrize("name", list(CASES))
def test_grouped_softmax_compiles_and_witness_matches_executor(tmp_path, name):
    cm = compile_circuit_only(tmp_path, CASES[name]())
    gadgets = cm.circuit.gadgets
    (rm,) = [g for g in gadgets if g.op == "rowmax"]
    (rd,) = [g for g in gadgets if g.op == "rowdiv"]
    assert rm.features > 1 and gadgets[int(rd.producer.y)].features == rm.features
    x = np.random.default_rng(1).integers(-3000, 3000, size=(3, cm.circuit.input_features))
    build_witness(cm.compiled_circuit, cm.model, x)  # every gadget vs the executor


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("batch", [1, 3])
def test_grouped_softmax_proves_and_verifies(tmp_path, name, batch):
    cm, _ = compile_float(tmp_path, CASES[name](), name)
    prove_and_check(cm, batch, tamper=1 if batch == 1 else None)


def test_grouped_softmax_is_close_to_float(tmp_path):
    """Probabilities of the per-pixel Softmax within 2^-8 of onnxruntime's float ones."""
    model = CASES["spatial_rows"]()
    cm = compile_circuit_only(tmp_path, model)
    x = np.random.default_rng(5).normal(size=(1, 2, 6, 7))
    got = dequantize(cm.model, cm.execute(cm.quantize_inputs(x)))["y"]

    sess = ort.InferenceSession(model.SerializeToString())
    want = sess.run(None, {"x": x.astype(np.float32)})[0]
    assert np.abs(np.asarray(got).reshape(want.shape) - want).max() < 2 ** -8
