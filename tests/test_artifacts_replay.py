"""Replay the committed example (artifacts/): the old proof still verifies, states what the
quantized model computes, and the key is what compiling the committed ONNX file gives.

The example is hiding, as `zkml compile` makes it by default: a kind-6 key and a kind-5
proof. The non-hiding pair of the same model and inputs (a kind-4 key and a kind-3
proof, tests/data/) is replayed beside it: both formats stay readable, and both proofs
state the same statement.

A change to the proof or key format, the transcript or the quantization that breaks these
files fails here; regenerate them with `python artifacts/make_example.py --prove` (the
non-hiding pair: `--non-hiding`) only when the break is intended (and say so in the
commit).
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import zkml
from zkml.errors import VerificationError

ART = Path(__file__).resolve().parents[1] / "artifacts"
ONNX = ART / "digits_mlp.onnx"
CALIBRATION = ART / "digits_calibration.npy"
INPUT = ART / "digits_input.json"
LABELS = ART / "digits_labels.json"
VK = ART / "digits_mlp.vk"
PROOF = ART / "digits_mlp.proof"
DATA = Path(__file__).resolve().parent / "data"
#: the non-hiding pair (make_example.py --non-hiding): deterministic, so recompiling
#: gives exactly this key
KIND4_VK = DATA / "digits_mlp.kind4.vk"
KIND3_PROOF = DATA / "digits_mlp.kind3.proof"


def _examples() -> np.ndarray:
    return np.asarray(json.loads(INPUT.read_text())["input_data"], dtype=np.float64)


def _labels() -> list[int]:
    return json.loads(LABELS.read_text())["labels"]


@pytest.fixture(scope="module")
def verified() -> zkml.VerifiedInference:
    return zkml.verify(PROOF, VK)


@pytest.fixture(scope="module")
def recompiled():
    """The committed ONNX file compiled non-hiding (deterministic: no blinders)."""
    pytest.importorskip("onnx")
    pytest.importorskip("zkml._native")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return zkml.compile(ONNX, calibration=str(CALIBRATION), hiding=False)


def test_committed_files_are_small_and_complete():
    for path in (ONNX, CALIBRATION, INPUT, LABELS, VK, PROOF, ART / "make_example.py",
                 ART / "README.md", KIND4_VK, KIND3_PROOF):
        assert path.is_file(), path
    assert sum(p.stat().st_size for p in ART.iterdir() if p.is_file()) < 1 << 20
    assert VK.read_bytes()[:7] == b"ZKML\x00\x01\x06"  # hiding key, the default
    assert PROOF.read_bytes()[:7] == b"ZKML\x00\x01\x05"  # hiding inference proof
    assert KIND4_VK.read_bytes()[:7] == b"ZKML\x00\x01\x04"
    assert KIND3_PROOF.read_bytes()[:7] == b"ZKML\x00\x02\x03"  # inference proofs: format 2


def test_committed_proof_verifies_with_the_committed_key(verified):
    assert verified.hiding
    examples = _examples()
    assert verified.batch == len(examples) == len(_labels())
    assert len(verified.inputs) == len(verified.outputs) == len(examples)
    assert all(len(row) == 64 for row in verified.inputs)
    assert all(len(row) == 10 for row in verified.outputs)
    assert not verified.argmax
    assert verified.vk_digest == zkml.Verifier(VK.read_bytes()).vk_digest
    # The statement's inputs are the committed examples at the input scale.
    scale = 2.0 ** verified.input_frac_bits
    assert np.array_equal(np.array(verified.inputs), np.floor(examples * scale + 0.5))
    # The example model classifies these test digits correctly.
    assert verified.predictions == _labels()


def test_the_low_level_verifier_accepts_it_too():
    from zkml.verifier import InferenceVerifier, VerifyingKey

    vk = VerifyingKey.from_bytes(VK.read_bytes())
    assert vk.hiding
    st = InferenceVerifier(vk).verify(PROOF.read_bytes())
    assert st.batch == len(_examples())


def test_the_non_hiding_pair_states_the_same_statement(verified):
    """The kind-3 proof of the same inputs, against the kind-4 key of the same model:
    valid, not hiding, and the same input and output as the hiding proof."""
    plain = zkml.verify(KIND3_PROOF, KIND4_VK)
    assert not plain.hiding and plain.vk_digest != verified.vk_digest
    assert plain.inputs == verified.inputs and plain.outputs == verified.outputs
    assert plain.input_digest == verified.input_digest
    assert plain.output_digest == verified.output_digest
    data = bytearray(KIND3_PROOF.read_bytes())
    data[len(data) // 2] ^= 1
    with pytest.raises(VerificationError):
        zkml.verify(bytes(data), KIND4_VK)
    with pytest.raises(VerificationError):  # a kind-3 proof names the kind-4 key
        zkml.verify(KIND3_PROOF, VK)


def test_a_tampered_proof_is_rejected():
    data = bytearray(PROOF.read_bytes())
    data[len(data) // 2] ^= 1
    with pytest.raises(VerificationError):
        zkml.verify(bytes(data), VK)
    with pytest.raises(VerificationError):
        zkml.verify(PROOF.read_bytes()[:-1], VK)


def test_recompiling_gives_the_committed_key(recompiled):
    """Non-hiding `zkml compile` is deterministic: same ONNX + calibration, same kind-4
    key. The hiding key's blinders are fresh at every compile, so only its circuit (and
    the model stack's shape) can match: it does."""
    from zkml.artifacts import parse_verifying_key

    assert recompiled.verifying_key == KIND4_VK.read_bytes()
    assert recompiled.vk_digest == zkml.Verifier(KIND4_VK.read_bytes()).vk_digest
    hiding, plain = parse_verifying_key(VK.read_bytes()), parse_verifying_key(
        recompiled.verifying_key)
    assert hiding.hiding and hiding.circuit_json == plain.circuit_json
    assert (hiding.num_vars, hiding.log_cols) == (plain.num_vars, plain.log_cols)


def test_verified_outputs_are_the_quantized_models(verified, recompiled):
    """The proven outputs are exactly the integer reference executor's on the inputs."""
    for i, row in enumerate(_examples()):
        q_in = recompiled.quantize_inputs(row[None, :].astype(np.float32))
        assert list(q_in.values())[0].reshape(-1).tolist() == list(verified.inputs[i])
        out = recompiled.execute(q_in).outputs(recompiled.model)
        assert list(out) == ["logits"]
        assert out["logits"].reshape(-1).tolist() == list(verified.outputs[i]), i
        floats = recompiled.run(row[None, :].astype(np.float32))["logits"].reshape(-1)
        assert floats.tolist() == verified.outputs_float[i], i


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "zkml.cli.main", *args], capture_output=True,
                          text=True, timeout=120)


def test_cli_verifies_the_committed_proof(verified):
    res = _cli("verify", str(PROOF), "--vk", str(VK))
    assert res.returncode == 0, res.stderr
    assert "valid hiding inference proof" in res.stdout
    assert "verified output:" in res.stdout
    lines = res.stdout.splitlines()
    for i, label in enumerate(_labels()):
        line = next(ln for ln in lines if ln.lstrip().startswith(f"example {i}: ["))
        assert line.endswith(f"argmax {label}"), line


def test_cli_rejects_a_corrupted_copy_in_one_line(tmp_path):
    bad = tmp_path / "corrupt.proof"
    data = bytearray(PROOF.read_bytes())
    data[len(data) // 3] ^= 0x10
    bad.write_bytes(bytes(data))
    res = _cli("verify", str(bad), "--vk", str(VK), "--quiet")
    assert res.returncode != 0
    assert res.stdout == ""
    # --quiet: no stage lines (a loaded machine prints one for a slow stage), so the
    # error is the only line.
    assert res.stderr.startswith("error: ") and res.stderr.count("\n") == 1, res.stderr


#: The committed example's proof as format 1 wrote it (before lookup separation).
FORMAT1_PROOF = Path(__file__).resolve().parent / "data" / "digits_mlp.format1.proof"


def test_a_format_1_proof_is_refused_as_unsupported():
    """Format 1 checked all LogUp trees as one sum (circuits/soundness.md rule 10): its
    proofs are refused by version, with the reason, even though this one is honest."""
    data = FORMAT1_PROOF.read_bytes()
    assert data[4:6] == b"\x00\x01" and data[6] == 3
    with pytest.raises(VerificationError, match="unsupported proof version 1: .*lookup"):
        zkml.verify(data, KIND4_VK.read_bytes())
    # --quiet: no stage line for a slow key check on a loaded machine
    res = _cli("verify", str(FORMAT1_PROOF), "--vk", str(KIND4_VK), "--quiet")
    assert res.returncode == 1
    assert res.stderr.startswith("error: invalid proof: unsupported proof version 1") and \
        res.stderr.count("\n") == 1, res.stderr
