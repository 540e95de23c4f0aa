"""ArgMax outputs beyond the first maximum of a flat tensor (inference.md section 4b):
the last maximum (`select_last_index = 1`: `"argmax_last": true`, `GT` in place of
`LT`), and the ArgMax of a flattened spatial tensor (a flat copy first). Ties make the
two differ: the model repeats a logit."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from inference_models import Net, f32, make_model, save
from onnx import TensorProto, helper

import zkml
from zkml.errors import VerificationError
from zkml.verifier.argmax import check_argmax_d


def _tied(last: int) -> object:
    """Gemm 6 -> 5 whose logits 1 and 3 are equal (the same weight column), ArgMax."""
    rng = np.random.default_rng(31)
    w = rng.normal(0, 0.5, (6, 5))
    w[:, 3] = w[:, 1]  # every input ties logits 1 and 3
    nodes = [helper.make_node("Gemm", ["x", "W"], ["h"], name="fc"),
             helper.make_node("ArgMax", ["h"], ["y"], axis=1, keepdims=0,
                              select_last_index=last, name="am")]
    return make_model(nodes, {"x": [1, 6]}, {"y": TensorProto.INT64}, {"W": f32(w)})


def _spatial_argmax() -> object:
    net = Net([1, 2, 5, 5], seed=32).conv(3, 3, pads=[1, 1, 1, 1]).relu().flatten()
    net._emit("ArgMax", [net.x], [1], axis=1, keepdims=0)
    model = net.model()
    model.graph.output[0].type.tensor_type.elem_type = TensorProto.INT64
    return model


def _compile(tmp_path, model, name):
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    cal = np.random.default_rng(3).normal(size=(16, *dims[1:]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return zkml.compile(save(model, tmp_path, f"{name}.onnx"), calibration=cal,
                            hiding=False), dims


def _ties(cm, x) -> np.ndarray:
    return np.concatenate([cm.execute(cm.quantize_inputs(r[None])).outputs(cm.model)["y"]
                           .reshape(1, -1) for r in x])


@pytest.mark.parametrize("last", [0, 1])
@pytest.mark.parametrize("batch", [1, 3])
def test_argmax_first_and_last_of_tied_logits(tmp_path, last, batch):
    cm, dims = _compile(tmp_path, _tied(last), f"tied{last}")
    assert cm.circuit.argmax and cm.circuit.argmax_last == bool(last)
    assert ("argmax_last" in cm.circuit.to_json()["output"]) == bool(last)
    x = np.random.default_rng(batch).normal(size=(batch, *dims[1:])) + 2.0
    expect = _ties(cm, x)
    if batch == 3:
        assert (expect == (3 if last else 1)).any()  # the tie decides some rows
    result = zkml.prove(cm, x)
    assert np.array_equal(result.outputs, expect)
    verified = zkml.verify(result.proof, cm.verifying_key)
    assert np.array_equal(np.array(verified.outputs), expect)


def test_the_other_tied_index_is_rejected():
    """With a tie at {1, 3}, only 3 passes the last-maximum check and only 1 the first's
    (the check of section 4b at a random point, with honest A and C)."""
    import random

    from zkml.verifier.field import R, eq_table

    z = [5, 9, 2, 9, 1, 0, 0, 0]  # one row, n_out = 5, padded to 8
    rnd = random.Random(4)
    r = [rnd.randrange(R) for _ in range(3)]
    e = eq_table(r)
    def mle(v: list[int]) -> int:
        return sum(p * q for p, q in zip(e, v, strict=True)) % R

    a = 9  # z_L[b][k_b], both for k = 1 and k = 3
    c = mle([zi if i < 5 else 0 for i, zi in enumerate(z)])
    for last, good, bad in ((False, 1, 3), (True, 3, 1)):
        def d_of(k: int, last: bool = last) -> int:
            strict = [int(i > k if last else i < k) for i in range(8)]
            return mle([(a - z[i] - strict[i]) if i < 5 else 0 for i in range(8)])
        check_argmax_d(r, 3, 5, [good], d_of(good), a, c, last)
        with pytest.raises(VerificationError):
            # the honest d of the other index: its range check would fail (-1 at the tie),
            # and the claimed index does not match it either
            check_argmax_d(r, 3, 5, [bad], d_of(good), a, c, last)


def test_argmax_of_a_flattened_spatial_tensor(tmp_path):
    cm, dims = _compile(tmp_path, _spatial_argmax(), "spatial_argmax")
    ops = [g.op for g in cm.circuit.gadgets]
    assert ops[-1] == "rearrange" and cm.circuit.argmax
    x = np.random.default_rng(5).normal(size=(2, *dims[1:]))
    result = zkml.prove(cm, x)
    assert np.array_equal(result.outputs, _ties(cm, x))
    zkml.verify(result.proof, cm.verifying_key)


@pytest.mark.parametrize("value,argmax", [(False, True), (None, True), (1, True), (True, False)])
def test_parsers_refuse_a_malformed_argmax_last(tmp_path, value, argmax):
    import json

    from zkml.compiler.circuit import CircuitFormatError, canonical_json
    from zkml.compiler.circuit_load import circuit_from_bytes
    from zkml.errors import ProofFormatError
    from zkml.verifier.circuit import parse_circuit

    cm, _ = _compile(tmp_path, _tied(1), "tied")
    doc = json.loads(cm.circuit.to_bytes())
    doc["output"]["argmax_last"], doc["output"]["argmax"] = value, argmax
    with pytest.raises(CircuitFormatError):
        circuit_from_bytes(canonical_json(doc))
    with pytest.raises(ProofFormatError, match="argmax"):
        parse_circuit(canonical_json(doc))
