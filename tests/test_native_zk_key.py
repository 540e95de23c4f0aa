"""Kind-6 keys built by the native prover (`zkml.prover.build_hiding_verifying_key`) and
checked by the pure-Python verifier: honest keys load with `C_P` exactly the rows of the
model's blinders (those of circuits/vectors/zk_key.json), fresh blinders elsewhere; a
model stack with an entry out of range or nonzero padding gives a key the verifier
refuses."""

from __future__ import annotations

import numpy as np
import pytest

from tests.verifier.zk_vectors import load
from zkml import prover
from zkml.errors import InvalidKeyError, ProverArgumentError
from zkml.verifier import VerifyingKey
from zkml.verifier import model_key as mk

pytest.importorskip("zkml._native")

MODEL = load("zk_key.json")["models"][0]
VECTOR_KEY = VerifyingKey.from_bytes(bytes.fromhex(MODEL["cases"][0]["key"]))
CIRCUIT = VECTOR_KEY.circuit.json_bytes
STACK = np.array(MODEL["model_stack"], dtype=np.int64)
BLINDERS = [int(b) for b in MODEL["model_blinders"]]


def _load(data: bytes) -> VerifyingKey:
    mk._checked.clear()
    return VerifyingKey.from_bytes(data)


def test_native_keys_load_and_share_the_models_commitment() -> None:
    a = prover.build_hiding_verifying_key(CIRCUIT, STACK, BLINDERS)
    b = prover.build_hiding_verifying_key(CIRCUIT, STACK, BLINDERS)
    assert a != b  # fresh blinders for everything but C_P
    ka, kb = _load(a), _load(b)
    assert ka.hiding and ka.commitment == kb.commitment == VECTOR_KEY.commitment
    assert ka.multiplicity_commitment != kb.multiplicity_commitment


def test_drawn_blinders_are_fresh_and_one_per_row() -> None:
    x, y = prover.draw_model_blinders(CIRCUIT), prover.draw_model_blinders(CIRCUIT)
    assert len(x) == len(y) == len(BLINDERS) and x != y
    k = _load(prover.build_hiding_verifying_key(CIRCUIT, STACK, x))
    assert k.commitment != VECTOR_KEY.commitment
    with pytest.raises(ProverArgumentError):
        prover.build_hiding_verifying_key(CIRCUIT, STACK, x[1:])


def _tensor0() -> tuple[int, int, int]:
    t = next(iter(VECTOR_KEY.circuit.model.tensors.values()))
    return t.offset, t.cols, 1 << t.log_cols


@pytest.mark.parametrize("edit", ["above", "below", "padding"])
def test_a_stack_out_of_range_or_nonzero_in_padding_is_refused(edit: str) -> None:
    half = 1 << (VECTOR_KEY.circuit.model.range_bits - 1)
    offset, cols, cols_pad = _tensor0()
    stack = STACK.copy()
    if edit == "padding":
        assert cols < cols_pad
        stack[offset + cols] = 1
    else:
        stack[offset] = half if edit == "above" else -half - 1
    data = prover.build_hiding_verifying_key(CIRCUIT, stack, BLINDERS)
    with pytest.raises(InvalidKeyError) as info:
        _load(data)
    assert info.value.check == "zk.merged"
