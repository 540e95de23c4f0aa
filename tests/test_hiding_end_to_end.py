"""Hiding proofs end to end (circuits/zk_inference.md): hiding is the default, so
`zkml.compile` and `zkml compile` build a kind-6 key and keep the model's row blinders in
the compiled model (0600, never in the key); `prove` then makes kind-5 proofs that the
pure-Python verifier accepts as hiding, for the same statement a kind-3 proof states.
The non-hiding mode (kind 4 and kind 3) is asked for by name: `hiding=False`,
`--non-hiding`. `zkml verify --model` reads only the key and input shapes from the
compiled model, never its weights or blinders."""

from __future__ import annotations

import json
import os
import shutil
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "inference"))
from harness import run_cli  # noqa: E402

import zkml  # noqa: E402
from zkml.artifacts import (  # noqa: E402
    KIND_HIDING_INFERENCE,
    KIND_HIDING_VERIFYING_KEY,
    KIND_VERIFYING_KEY,
)
from zkml.errors import CompiledModelError, VerificationError  # noqa: E402
from zkml.verifier import VerifyingKey  # noqa: E402

ART = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="module")
def hiding_model(tmp_path_factory):
    d = tmp_path_factory.mktemp("hiding")
    cal = np.load(ART / "digits_calibration.npy")
    cm = zkml.compile(ART / "digits_mlp.onnx", calibration=cal, output_path=d / "m.zkmlc",
                      vk_path=d / "m.vk")  # the default: hiding
    return cm, d


def _inputs() -> np.ndarray:
    return np.array(json.loads((ART / "digits_input.json").read_text())["input_data"][0],
                    dtype=np.float64).reshape(1, -1)


def test_hiding_compile_keeps_blinders_secret(hiding_model):
    cm, d = hiding_model
    rows = 1 << (cm.circuit.model_stack.num_vars - cm.circuit.model_stack.log_cols)
    assert cm.hiding and len(cm.model_blinders) == 32 * rows
    key = (d / "m.vk").read_bytes()
    assert key[6] == KIND_HIDING_VERIFYING_KEY
    # the blinders are in the compiled model, which only its owner can read, not in the key
    assert os.stat(d / "m.zkmlc").st_mode & 0o777 == 0o600
    assert all(cm.model_blinders[i:i + 32] not in key
               for i in range(0, len(cm.model_blinders), 32))
    again = zkml.load(d / "m.zkmlc")
    assert again.model_blinders == cm.model_blinders and again.verifying_key == key
    assert VerifyingKey.from_bytes(key).hiding


def test_hiding_proof_verifies_with_the_same_statement(hiding_model):
    cm, d = hiding_model
    res = zkml.prove(cm, _inputs())
    assert res.hiding and res.proof[6] == KIND_HIDING_INFERENCE
    v = zkml.verify(res.proof, d / "m.vk", expected_input=_inputs())
    assert v.hiding
    assert [list(r) for r in v.outputs] == res.outputs.tolist()
    # fresh randomness: the same input gives another proof of the same statement
    other = zkml.prove(cm, _inputs())
    assert other.proof != res.proof and other.outputs.tolist() == res.outputs.tolist()


def test_tampered_hiding_proof_is_rejected(hiding_model):
    cm, d = hiding_model
    proof = bytearray(zkml.prove(cm, _inputs()).proof)
    proof[len(proof) // 2] ^= 1
    with pytest.raises(VerificationError):
        zkml.verify(bytes(proof), d / "m.vk")


def test_blinders_that_do_not_fit_the_key_are_refused(hiding_model, tmp_path):
    cm, _ = hiding_model
    cm.model_blinders, saved = cm.model_blinders[:-32], cm.model_blinders
    try:
        cm.save(tmp_path / "bad.zkmlc")
    finally:
        cm.model_blinders = saved
    with pytest.raises(CompiledModelError, match="blinders"):
        zkml.load(tmp_path / "bad.zkmlc")


def test_cli_compile_is_hiding_unless_non_hiding_is_named(tmp_path, capsys):
    for name in ("digits_mlp.onnx", "digits_calibration.npy", "digits_input.json"):
        shutil.copy(ART / name, tmp_path / name)
    onnx_path = tmp_path / "digits_mlp.onnx"
    cal = str(tmp_path / "digits_calibration.npy")
    code, out, err = run_cli(["compile", str(onnx_path), "--calibration", cal, "--quiet"],
                             capsys)
    assert code == 0, err
    model, vk = onnx_path.with_suffix(".zkmlc"), onnx_path.with_suffix(".vk")
    assert vk.read_bytes()[6] == KIND_HIDING_VERIFYING_KEY
    code, out, err = run_cli(["prove", str(model), "--input",
                              str(tmp_path / "digits_input.json"), "-o",
                              str(tmp_path / "p.proof"), "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["visibility"]["hiding"] is True
    code, out, err = run_cli(["verify", str(tmp_path / "p.proof"), "--vk", str(vk)], capsys)
    assert code == 0, err
    assert "valid hiding inference proof" in out
    # the non-hiding key only by name; --hiding is the default's accepted alias
    for flag, kind in (("--non-hiding", KIND_VERIFYING_KEY), ("--hiding",
                                                               KIND_HIDING_VERIFYING_KEY)):
        code, _, err = run_cli(["compile", str(onnx_path), "--calibration", cal, "--quiet",
                                "--force", flag, "--vk", str(tmp_path / f"{flag}.vk")], capsys)
        assert code == 0, err
        assert (tmp_path / f"{flag}.vk").read_bytes()[6] == kind


def _public_part(src: Path, dst: Path) -> Path:
    """A copy of a compiled model file without its weights, model stack and blinders."""
    secret = ("model/constants/", "circuit/model_stack.npy", "circuit/model_blinders.bin")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if not info.filename.startswith(secret):
                zout.writestr(info, zin.read(info))
    return dst


def test_verify_model_reads_only_the_key_and_input_shapes(hiding_model, tmp_path, capsys):
    """`zkml verify --model` and `zkml.verify(proof, "m.zkmlc")` verify from a compiled
    model whose secret entries are gone: they never read them."""
    cm, d = hiding_model
    proof = tmp_path / "p.proof"
    proof.write_bytes(zkml.prove(cm, _inputs()).proof)
    public = _public_part(d / "m.zkmlc", tmp_path / "public.zkmlc")
    with pytest.raises(CompiledModelError):
        zkml.load(public)  # what the prover needs is gone
    assert zkml.verify(proof, public, expected_input=_inputs()).hiding
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"input_data": _inputs().tolist()}))
    for extra in ([], ["--input", str(one)]):
        code, out, err = run_cli(["verify", str(proof), "--model", str(public), *extra],
                                 capsys)
        assert code == 0 and "valid hiding inference proof" in out, err
    # the input shapes come from the model's graph: (1, 64) runs, so eight digits on
    # file are eight rows, not the one the proof is about
    code, _, err = run_cli(["verify", str(proof), "--model", str(public), "--input",
                            str(ART / "digits_input.json")], capsys)
    assert code == 1 and "input" in err, err


def _windows(data: bytes, start: int, width: int = 16) -> set[bytes]:
    return {data[i:i + width] for i in range(start, len(data) - width + 1)}


def test_two_hiding_proofs_of_one_statement_share_no_bytes_past_it(hiding_model):
    """Fresh blinders everywhere: after the statement (key digest, batch, visibility,
    input, output, which are equal), no 16-byte run of one proof appears in the other,
    so proofs of the same input cannot be linked by their bytes, unlike kind 3's
    deterministic proofs (soundness.md rule 13)."""
    cm, _ = hiding_model
    a, b = zkml.prove(cm, _inputs()).proof, zkml.prove(cm, _inputs()).proof
    # the statement ends where the witness commitment's count starts; find the first
    # differing byte and step back over that count (4 bytes)
    first = next(i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y)
    start = first - 4
    assert a[:start] == b[:start] and start < 7 + 32 + 8 + 4 * 1000
    assert not _windows(a, start) & _windows(b, start)
