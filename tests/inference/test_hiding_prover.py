"""The native hiding inference prover (kind 5, circuits/zk_inference.md) through the
binding: a proof of a compiled model is a kind-5 artifact naming its key, made with
fresh blinders each time; wrong model blinders are typed errors. The verifier of kind 5
is checked against circuits/vectors/zk_inference.json."""

from __future__ import annotations

import hashlib
import struct

import numpy as np
import pytest
from harness import circuit_inputs
from inference_models import compile_circuit_only, mlp

from zkml.errors import ProverArgumentError, ProverFormatError
from zkml.verifier.field import R
from zkml.witness import build_witness

native = pytest.importorskip("zkml._native")


def _args(tmp_path, batch: int = 2):
    """Kind 3's arguments for a small MLP, and its model stack's row count."""
    from zkml.prover import build_verifying_key

    cm = compile_circuit_only(tmp_path, mlp([6, 8, 4]), name="mlp")
    cc = cm.compiled_circuit
    c = cc.circuit
    cj = c.to_bytes()
    vk = build_verifying_key(cj, cc.model_stack)
    w = build_witness(cc, cm.model, circuit_inputs(c, batch, seed=5))

    def arr(a) -> np.ndarray:
        return np.ascontiguousarray(np.asarray(a).reshape(-1), dtype=np.int64)

    args = (cj, arr(cc.model_stack), [arr(col) for col in w.columns], w.batch,
            arr(w.inputs), arr(w.outputs), hashlib.sha256(vk).digest())
    ms = c.model_stack
    return args, 1 << (ms.num_vars - ms.log_cols)


def test_a_hiding_proof_is_a_kind5_artifact_with_fresh_blinders(tmp_path):
    args, rows = _args(tmp_path)
    zeros = bytes(32 * rows)
    a = native.prove_hiding_inference(*args, zeros)
    b = native.prove_hiding_inference(*args, zeros)
    assert a[:7] == b"ZKML" + struct.pack(">HB", 1, 5)
    assert a[7:39] == args[6]  # the key's digest, then the batch and the visibility word 0
    assert a[39:47] == struct.pack(">II", args[3], 0)
    assert len(a) == len(b) and a != b  # same shapes, other blinders


def test_wrong_model_blinders_are_typed_errors(tmp_path):
    args, rows = _args(tmp_path, batch=1)
    with pytest.raises(ProverArgumentError):
        native.prove_hiding_inference(*args, bytes(32 * (rows + 1)))
    with pytest.raises(ProverArgumentError):
        native.prove_hiding_inference(*args, bytes(31))
    not_canonical = R.to_bytes(32, "big") + bytes(32 * (rows - 1))
    with pytest.raises(ProverFormatError):
        native.prove_hiding_inference(*args, not_canonical)
