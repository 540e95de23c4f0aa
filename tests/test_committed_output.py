"""Committed outputs from the API and the CLI (visibility bit 3, circuits/zk_inference.md
1.6): `zkml.prove(..., output="committed", output_opening=PATH)` makes a kind-5 proof
whose statement carries the output's commitment `C_Y` and no output value; the opening
file is written 0600, never over an existing file, and reused when given back (the same
`C_Y`); `zkml.open_output` returns the values after checking them against `C_Y`, the
key and a verified proof's commitment digest. Every input visibility (public, private,
committed) and public weights combine with it; `zkml prove --output-visibility committed
--output-opening-out F`, `zkml verify` and `zkml inspect` show the output by its
commitment's digest."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "inference"))
from harness import run_cli  # noqa: E402

import zkml  # noqa: E402
from zkml.errors import InputError, ZkmlError  # noqa: E402
from zkml.output_opening import OutputOpening, open_output  # noqa: E402

ART = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("committed_output")
    cal = np.load(ART / "digits_calibration.npy")
    hiding = zkml.compile(ART / "digits_mlp.onnx", calibration=cal,
                          output_path=d / "h.zkmlc", vk_path=d / "h.vk", hiding=True)
    clear = zkml.compile(ART / "digits_mlp.onnx", calibration=cal,
                         output_path=d / "c.zkmlc", vk_path=d / "c.vk", hiding=False)
    return hiding, clear, d


def _inputs(scale: float = 1.0) -> np.ndarray:
    return scale * np.array(json.loads((ART / "digits_input.json").read_text())
                            ["input_data"][0], dtype=np.float64).reshape(1, -1)


def _output_bytes(res) -> list[bytes]:
    """The proven output as the statement's `Ints` body and as i64 LE, and each nonzero
    value as a 32-byte field element: none may occur in a committed-output proof."""
    from zkml.verifier.field import R

    y = [int(v) for v in res.outputs.reshape(-1)]
    out = [b"".join(v.to_bytes(8, "little", signed=True) for v in y)]
    for w in (1, 2, 4):
        if all(-(1 << (8 * w - 1)) <= v < 1 << (8 * w - 1) for v in y):
            out.append(b"".join(v.to_bytes(w, "big", signed=True) for v in y))
    out += [(v % R).to_bytes(32, "big") for v in y if v]
    return out


@pytest.mark.parametrize("inp", ["public", "private", "committed"])
def test_committed_output_with_each_input(models, inp, tmp_path):
    hiding, _, d = models
    path = tmp_path / "y.opening"
    res = zkml.prove(hiding, _inputs(), input=inp, output="committed", output_opening=path)
    opening = res.output_opening
    assert res.visibility.output == "committed" and res.visibility.input == inp
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert OutputOpening.load(path) == opening
    assert opening.outputs == tuple(map(tuple, res.outputs.tolist()))
    v = zkml.verify(res.proof, d / "h.vk")
    assert (v.visibility.output, v.outputs, v.output_digest) == ("committed", (), b"")
    assert v.output_commitment_digest == opening.digest
    assert opening.commitment in res.proof
    for enc in _output_bytes(res):
        assert enc not in res.proof
    assert open_output(path, d / "h.vk", v) == opening.outputs


def test_public_weights_with_a_committed_output(models):
    _, clear, d = models
    res = zkml.prove(clear, _inputs(), input="private", weights="public",
                     output="committed")
    v = zkml.verify(res.proof, d / "c.vk")
    assert (v.visibility.weights, v.visibility.output, v.inputs, v.outputs) == \
        ("public", "committed", (), ())
    assert open_output(res.output_opening, d / "c.vk", v.output_commitment_digest) == \
        tuple(map(tuple, res.outputs.tolist()))
    with pytest.raises(InputError, match="hiding"):
        zkml.prove(clear, _inputs(), output="committed")


def test_the_opening_is_reused_never_overwritten_and_checked(models, tmp_path):
    hiding, _, d = models
    path = tmp_path / "y.opening"
    first = zkml.prove(hiding, _inputs(), output="committed", output_opening=path)
    before = path.read_bytes()
    again = zkml.prove(hiding, _inputs(), output="committed", output_opening=path)
    assert path.read_bytes() == before and again.output_opening == first.output_opening
    a, b = (zkml.verify(r.proof, d / "h.vk") for r in (first, again))
    assert a.output_commitment_digest == b.output_commitment_digest
    assert first.proof != again.proof
    with pytest.raises(ZkmlError):
        first.output_opening.save(path)
    # another input's output, a public output with an opening, another model's key
    with pytest.raises(InputError, match="another output"):
        zkml.prove(hiding, _inputs(0.25), output="committed", output_opening=path)
    with pytest.raises(InputError, match="output='committed'"):
        zkml.prove(hiding, _inputs(), output_opening=tmp_path / "z.opening")
    with pytest.raises(InputError, match="another model"):
        open_output(path, d / "c.vk")
    # a tampered opening: other values no longer make C_Y; another proof's digest
    op = first.output_opening
    bad = OutputOpening(op.vk_digest, op.batch, ((op.outputs[0][0] + 1, *op.outputs[0][1:]),),
                        op.blinders, op.commitment)
    with pytest.raises(InputError, match="do not make"):
        open_output(bad, d / "h.vk")
    other = zkml.prove(hiding, _inputs(0.25), output="committed")
    with pytest.raises(InputError, match="another commitment"):
        open_output(path, d / "h.vk", zkml.verify(other.proof, d / "h.vk"))
    with pytest.raises(InputError):
        OutputOpening.from_bytes(b'{"format": "zkml-output-opening", "version": 1}')


def test_cli_committed_output(models, tmp_path, capsys):
    _, _, d = models
    inp, opening, proof = str(ART / "digits_input.json"), tmp_path / "y.opening", \
        tmp_path / "a.proof"
    args = ["prove", str(d / "h.zkmlc"), "--input", inp, "--output-visibility", "committed"]
    code, out, err = run_cli(args + ["-o", str(proof)], capsys)
    assert code != 0 and "--output-opening-out" in err  # the opening must be kept
    code, out, err = run_cli(args + ["-o", str(proof), "--output-opening-out", str(opening),
                                     "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["visibility"]["output"] == "committed"
    digest = OutputOpening.load(opening).digest.hex()
    assert doc["output"]["commitment"] == digest and doc["output"]["values"] is None
    assert opening.stat().st_mode & 0o777 == 0o600
    code, out, err = run_cli(["verify", str(proof), "--vk", str(d / "h.vk"), "--json"],
                             capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["output"]["commitment"] == digest and doc["output"]["values"] is None
    code, out, err = run_cli(["verify", str(proof), "--vk", str(d / "h.vk")], capsys)
    assert code == 0 and f"output committed {digest[:16]}" in out, out
    code, out, err = run_cli(["inspect", str(proof)], capsys)
    assert code == 0 and f"output: committed {digest[:16]}" in out, out
    code, out, err = run_cli(["inspect", str(proof), "--json"], capsys)
    assert code == 0 and json.loads(out)["output"]["commitment"] == digest
    # the human-readable prove: the statement line names the commitment
    second = tmp_path / "z.opening"
    code, out, err = run_cli(args + ["-o", str(tmp_path / "b.proof"), "--output-opening-out",
                                     str(second)], capsys)
    assert code == 0, err
    shown = OutputOpening.load(second).digest.hex()[:16]
    assert f"output committed {shown}" in out and "not in the proof" in out, out
    code, out, err = run_cli(args + ["-o", str(tmp_path / "c.proof"), "--output-opening-out",
                                     str(second)], capsys)
    assert code != 0  # never over an existing opening


def test_cli_committed_input_and_output(models, tmp_path, capsys):
    """Both openings from one command: each kept 0600, each shown by its digest."""
    _, _, d = models
    x_open, y_open, proof = tmp_path / "x.opening", tmp_path / "y.opening", tmp_path / "p.proof"
    args = ["prove", str(d / "h.zkmlc"), "--input", str(ART / "digits_input.json"),
            "--input-visibility", "committed", "--output-visibility", "committed",
            "-o", str(proof)]
    code, out, err = run_cli(args + ["--opening-out", str(x_open)], capsys)
    assert code != 0 and "--output-opening-out" in err
    code, out, err = run_cli(args + ["--opening-out", str(x_open), "--output-opening-out",
                                     str(y_open), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["visibility"]["input"] == doc["visibility"]["output"] == "committed"
    for f in (x_open, y_open):
        assert f.stat().st_mode & 0o777 == 0o600
    code, out, err = run_cli(["verify", str(proof), "--vk", str(d / "h.vk"), "--json"],
                             capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["output"]["commitment"] == OutputOpening.load(y_open).digest.hex()
    from zkml.input_opening import InputOpening

    assert doc["input"]["commitment"] == InputOpening.load(x_open).digest.hex()
    assert doc["output"]["values"] is None and doc["input"]["values"] is None
    code, out, err = run_cli(["prove", str(d / "h.zkmlc"), "--input",
                              str(ART / "digits_input.json"), "-o", str(tmp_path / "q.proof"),
                              "--output-opening-out", str(tmp_path / "z.opening")], capsys)
    assert code != 0 and "--output-visibility committed" in err
