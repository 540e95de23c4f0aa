"""CLI: compile outputs, inspect, and the error paths of prove and verify (one line, exit 1)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from harness import run_cli as _cli
from inference_models import mlp, save

# Every test here builds a verifying key with the native module.




def _one_line_error(code: int, err: str, needle: str, exit_code: int = 2) -> None:
    """One line on stderr and the exit code: 1 for a fault in the proof, else 2."""
    assert code == exit_code, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert needle in err, err


@pytest.fixture
def compiled_files(tmp_path, capsys):
    model = save(mlp([12, 8, 5], seed=3), tmp_path, "m.onnx")
    cal = tmp_path / "cal.npy"
    np.save(cal, np.random.default_rng(0).normal(size=(16, 12)))
    code, out, err = _cli(["compile", str(model), "--calibration", str(cal)], capsys)
    assert code == 0, err
    assert "circuit: 2 gadgets" in out and "verifying key" in out
    return tmp_path, model, tmp_path / "m.zkmlc", tmp_path / "m.vk"


def test_compile_writes_model_and_key_and_never_overwrites(compiled_files, capsys):
    tmp, model, zc, vk = compiled_files
    # hiding is the default: a kind-6 key
    assert zc.is_file() and vk.is_file() and vk.read_bytes()[:7] == b"ZKML\x00\x01\x06"
    mask = os.umask(0)
    os.umask(mask)
    # the key gets the mode a plain open() gives; the compiled model (weights) is secret
    assert vk.stat().st_mode & 0o777 == 0o666 & ~mask
    assert zc.stat().st_mode & 0o777 == 0o600
    before = zc.read_bytes()
    code, _, err = _cli(["compile", str(model)], capsys)
    _one_line_error(code, err, "exists")
    assert zc.read_bytes() == before
    code, _, err = _cli(["compile", str(model), "--force", "--quiet"], capsys)
    assert code == 0 and err == ""
    code, _, err = _cli(["compile", str(model), "-o", str(model)], capsys)
    _one_line_error(code, err, "refusing to overwrite the input file")
    code, _, err = _cli(["compile", str(model), "-o", str(tmp / "x.z"), "--vk", str(tmp / "x.z")],
                        capsys)
    _one_line_error(code, err, "same file")


def test_compile_refuses_an_unprovable_model(tmp_path, capsys):
    from inference_models import f32, make_model
    from onnx import TensorProto, helper

    # (an ArgMax across the batch axis: the statement holds one index per row)
    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"], name="mm"),
             helper.make_node("ArgMax", ["h"], ["y"], axis=0, keepdims=0, name="across")]
    model = make_model(nodes, {"x": [1, 4]}, {"y": TensorProto.INT64}, {"W": f32(np.eye(4))})
    path = save(model, tmp_path, "s.onnx")
    code, out, err = _cli(["compile", str(path)], capsys)
    _one_line_error(code, err, "cannot be proven yet")
    assert not (tmp_path / "s.zkmlc").exists() and not (tmp_path / "s.vk").exists()


def test_inspect_compiled_and_key(compiled_files, capsys):
    tmp, _, zc, vk = compiled_files
    code, out, err = _cli(["inspect", str(zc)], capsys)
    assert code == 0, err
    assert "compiled model" in out and "g0: dense(input, W=W0, b=b0)" in out
    assert "model stack" in out and "verifying key" in out
    code, out, err = _cli(["inspect", str(vk)], capsys)
    assert code == 0 and "hiding verifying key (kind 6)" in out and "g1: dense(g0" in out
    (tmp / "junk").write_bytes(b"hello")
    code, _, err = _cli(["inspect", str(tmp / "junk")], capsys)
    _one_line_error(code, err, "is not a zkml")
    code, _, err = _cli(["inspect", str(tmp / "missing")], capsys)
    _one_line_error(code, err, "not found")


def test_prove_input_errors(compiled_files, capsys):
    tmp, _, zc, _ = compiled_files
    bad_shape = tmp / "bad.json"
    bad_shape.write_text(json.dumps({"input_data": [[0.5] * 11]}))
    code, _, err = _cli(["prove", str(zc), "--input", str(bad_shape)], capsys)
    _one_line_error(code, err, "has 11 values; expected 12")
    npy = tmp / "bad.npy"
    np.save(npy, np.zeros((3, 7)))
    code, _, err = _cli(["prove", str(zc), "--input", str(npy)], capsys)
    _one_line_error(code, err, "input has shape (3, 7); expected (1, 12)")
    (tmp / "notjson.json").write_text("{")
    code, _, err = _cli(["prove", str(zc), "--input", str(tmp / "notjson.json")], capsys)
    _one_line_error(code, err, "not valid JSON")
    (tmp / "nokey.json").write_text(json.dumps({"data": []}))
    code, _, err = _cli(["prove", str(zc), "--input", str(tmp / "nokey.json")], capsys)
    _one_line_error(code, err, "input_data")
    code, _, err = _cli(["prove", str(zc), "--input", str(tmp / "missing.json")], capsys)
    _one_line_error(code, err, "input file not found")
    (tmp / "x.txt").write_text("1 2 3")
    code, _, err = _cli(["prove", str(zc), "--input", str(tmp / "x.txt")], capsys)
    _one_line_error(code, err, ".json (EZKL style), .npy or .npz")


def test_prove_model_errors(compiled_files, capsys):
    tmp, _, zc, _ = compiled_files
    good = tmp / "in.json"
    good.write_text(json.dumps({"input_data": [[0.1] * 12]}))
    code, _, err = _cli(["prove", str(tmp / "none.zkmlc"), "--input", str(good)], capsys)
    _one_line_error(code, err, "not found")
    raw = bytearray(zc.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (tmp / "corrupt.zkmlc").write_bytes(bytes(raw))
    code, _, err = _cli(["prove", str(tmp / "corrupt.zkmlc"), "--input", str(good)], capsys)
    assert code == 2 and err.startswith("error: invalid compiled model: ")
    assert err.count("\n") == 1
    (tmp / "m.proof").write_bytes(b"old")
    code, _, err = _cli(["prove", str(zc), "--input", str(good)], capsys)
    _one_line_error(code, err, "exists")
    assert (tmp / "m.proof").read_bytes() == b"old"


def test_verify_errors_without_a_prover(compiled_files, capsys):
    tmp, _, zc, vk = compiled_files
    fake = tmp / "fake.proof"
    fake.write_bytes(b"ZKML\x00\x01\x03" + bytes(40))
    code, _, err = _cli(["verify", str(fake)], capsys)
    _one_line_error(code, err, "needs exactly one of --vk VK or --model COMPILED")
    code, _, err = _cli(["verify", str(fake), "--vk", str(vk), "--model", str(zc)], capsys)
    _one_line_error(code, err, "exactly one")
    code, _, err = _cli(["verify", str(fake), "--vk", str(zc)], capsys)
    _one_line_error(code, err, "not a zkml verifying key")
    code, _, err = _cli(["verify", str(vk)], capsys)
    _one_line_error(code, err, "is a verifying key, not a proof", exit_code=1)
    code, _, err = _cli(["verify", str(fake), "--vk", str(vk)], capsys)
    assert code == 1 and err.startswith("error: ")
    code, _, err = _cli(["verify", str(tmp / "missing.proof"), "--vk", str(vk)], capsys)
    _one_line_error(code, err, "not found")
    (tmp / "junk.proof").write_bytes(b"not a proof at all")
    code, _, err = _cli(["verify", str(tmp / "junk.proof")], capsys)
    _one_line_error(code, err, "magic", exit_code=1)
