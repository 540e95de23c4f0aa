"""Byte search for a learned scalar multiplier (a scalar Mul on a flat tensor and on a
map): its quantized integer occurs in no encoding in the hiding key or proof, neither as
a field element, nor as i64 / i32, nor as the decimal text of the key's circuit
description, where it stood as an `affine` coefficient before it moved into the model
stack (circuits/quantization.md, "What the circuit may depend on"). Precision `high`
gives 16-bit weights, so the integer has at least 14 bits and no chance match."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from test_zka_bytes import _fr_encodings, _int_encodings

import zkml
from tests.learned_models import scalar_mul_flat, scalar_mul_spatial
from tests.quant.quant_models import save
from zkml.quant.container import npy_bytes

CASES = {"flat": scalar_mul_flat, "spatial": scalar_mul_spatial}


def _compiled(tmp_path: Path, name: str):
    model = CASES[name]()
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    cal = np.random.default_rng(3).normal(size=(16, *dims[1:]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm = zkml.compile(save(model, tmp_path, f"{name}.onnx"), calibration=cal,
                          precision="high")
    return cm, dims


def _multiplier(cm) -> int:
    (op,) = [op for op in cm.model.ops if op.op == "mul"]
    (c,) = [n for n in op.inputs if n in cm.model.constants]
    return int(cm.model.constants[c].reshape(-1)[0])


def _text(v: int) -> list[bytes]:
    """The decimal text of `v` as a JSON number, after each separator JSON uses."""
    return [f"{sep}{v}{end}".encode() for sep in (",", ":", "[", " ")
            for end in (",", "]", "}")]


@pytest.mark.parametrize("name", list(CASES))
def test_learned_scalar_in_no_encoding_in_hiding_key_or_proof(tmp_path, name):
    cm, dims = _compiled(tmp_path, name)
    k = _multiplier(cm)
    assert abs(k) >= 1 << 12
    proof = zkml.prove(cm, np.random.default_rng(4).normal(size=dims)).proof
    binary = set(_fr_encodings(k)) | set(_int_encodings(k))
    for blob, what in ((proof, "proof"), (cm.verifying_key, "key")):
        found = [n for n in binary | set(_text(k)) if n in blob]
        assert not found, f"the multiplier {k} in the hiding {what}: {found[:3]}"
    # live: the compiled model's model stack holds it (i64), and the text search finds
    # the public numbers of the key's circuit (a gadget's clamp bound)
    assert any(n in npy_bytes(cm.compiled_circuit.model_stack) for n in binary)
    lo = cm.circuit.gadgets[-1].lo
    assert any(n in cm.verifying_key for n in _text(lo))
