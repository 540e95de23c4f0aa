"""Forgetting one digit class (3) from the client's fine-tuned MLP 64-32-10: the first
dense layer (X is the data) and the second (X is the model's own activations), measured
on the updated compiled model's integer execution and in float."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest
from unlearn_helpers import accuracies, float_outputs, int_outputs

from zkml.artifacts import parse_verifying_key
from zkml.compiled_model import CompiledModel
from zkml.unlearn.request import Request

CLASS = 3


def _models(flow):
    return CompiledModel.load(flow.compiled), CompiledModel.load(flow.result.model)


def _check_accuracy(flow, weight: str) -> None:
    """On the held-out test set, both the integer execution of the compiled models (what
    a proof is about) and the float model with the layer replaced must meet the bounds
    (first layer, measured: forget class 1.00 -> 0.00, other classes 0.981 -> 0.978 in
    both); on the client's own data, the integer execution and the report."""
    old, new = _models(flow)
    xt, yt = flow.case.test
    xc, yc = flow.case.client_data
    for before, after in (
        (int_outputs(old, xt), int_outputs(new, xt)),
        (float_outputs(flow.case.client_onnx, xt),
         float_outputs(flow.case.client_onnx, xt, new, weight)),
    ):
        f0, o0 = accuracies(before, yt, CLASS)
        f1, o1 = accuracies(after, yt, CLASS)
        assert f0 - f1 >= 0.5, (f0, f1)          # the forget class is forgotten
        assert abs(o1 - o0) <= 0.05, (o0, o1)     # the other test classes are kept
    c0, r0 = accuracies(int_outputs(old, xc), yc, CLASS)
    c1, r1 = accuracies(int_outputs(new, xc), yc, CLASS)
    assert abs(r1 - r0) <= 0.05, (r0, r1)         # the client's retained data is kept
    # the report's numbers are the compiled models' integer execution, before and after
    rep = flow.result.report
    assert rep["before"] == pytest.approx({"retain_accuracy": r0, "forget_class_accuracy": c0})
    assert rep["after"] == pytest.approx({"retain_accuracy": r1, "forget_class_accuracy": c1})
    assert rep["after"]["forget_class_accuracy"] <= 0.5
    assert "unverified" in rep


@pytest.mark.parametrize("flow_name, weight", [("digits_flow", "fc1.weight"),
                                               ("digits_flow2", "fc2.weight")])
def test_forgets_the_class_and_keeps_the_rest(request, flow_name, weight):
    _check_accuracy(request.getfixturevalue(flow_name), weight)


@pytest.mark.parametrize("flow_name", ["digits_flow", "digits_flow2"])
def test_only_the_mask_and_affected_blocks_change(request, flow_name):
    flow = request.getfixturevalue(flow_name)
    old, new = _models(flow)
    req = Request.load(flow.request)
    w_old = old.model.constants[req.weight].T
    w_new = new.model.constants[req.weight].T
    assert (w_new[req.mask] == 0).all() and (w_old[req.mask] != 0).any()
    affected = set(req.affected())
    for o in range(req.d_out):
        for j in range(req.blocks_per_row):
            sl = slice(j * req.block, (j + 1) * req.block)
            if (o, j) not in affected:
                assert np.array_equal(w_new[o, sl], w_old[o, sl])
    for name, arr in old.model.constants.items():
        if name != req.weight:
            assert np.array_equal(new.model.constants[name], arr), name
    assert (w_new != w_old).sum() > req.mask.sum()  # the compensation moved unmasked weights


@pytest.mark.parametrize("flow_name", ["digits_flow", "digits_flow2"])
def test_same_circuit_new_commitment_and_blinders_by_row(request, flow_name):
    flow = request.getfixturevalue(flow_name)
    old, new = _models(flow)
    ko, kn = parse_verifying_key(old.verifying_key), parse_verifying_key(new.verifying_key)
    assert ko.circuit_json == kn.circuit_json
    assert new.verifying_key == flow.result.vk.read_bytes()
    rows = flow.result.report["changed_rows"]
    changed = set(_witness(flow)["changed_rows"])
    assert len(changed) == rows > 0
    pts_o, pts_n = _points(old.commitment), _points(new.commitment)
    assert len(pts_o) == len(pts_n)
    for i, (a, b) in enumerate(zip(pts_o, pts_n, strict=True)):
        assert (a == b) == (i not in changed), i
    bo, bn = old.model_blinders, new.model_blinders
    for i in range(len(bo) // 32):
        assert (bo[32 * i:32 * i + 32] == bn[32 * i:32 * i + 32]) == (i not in changed)


def _points(vec: bytes) -> list[bytes]:
    """A `Vec<G1>`'s points (u32 count, then fixed-size points)."""
    n = int.from_bytes(vec[:4], "big")
    size = (len(vec) - 4) // n
    assert 4 + n * size == len(vec)
    return [vec[4 + i * size:4 + (i + 1) * size] for i in range(n)]


def _witness(flow) -> dict:
    import json

    return json.loads(flow.result.witness.read_text())


def test_files_are_secret_and_never_overwritten(digits_flow):
    from zkml.unlearn.register import opening_path

    for p in (digits_flow.result.model, digits_flow.result.witness,
              opening_path(digits_flow.record)):
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o600, p
    from zkml.errors import OutputExistsError
    from zkml.unlearn.apply import apply_update

    with pytest.raises(OutputExistsError):
        apply_update(digits_flow.compiled, digits_flow.request, digits_flow.case.client,
                     digits_flow.record, digits_flow.result.directory)


def test_inference_proof_on_the_updated_model_verifies_with_the_new_key(digits_flow):
    import zkml
    from zkml.errors import VerificationError

    old, new = _models(digits_flow)
    x = digits_flow.case.test[0][:1].astype(np.float32)
    proof = zkml.prove(new, x)
    assert proof.hiding
    verified = zkml.verify(proof.proof, new.verifying_key)
    assert list(verified.predictions) == list(int_outputs(new, x).argmax(axis=1))
    with pytest.raises(VerificationError):
        zkml.verify(proof.proof, old.verifying_key)
