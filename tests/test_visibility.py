"""Per-tensor visibility from the API (zkml.visibility; circuits/zk_inference.md 1.3):
`zkml.prove(..., input="private")` on a model compiled with `hiding=True` makes a
kind-5 proof whose statement carries no input; `zkml.verify` accepts it, reports the
visibility and no input, and refuses to compare it with an expected input; bad or
unbuilt choices and a private input or committed output without a hiding key are
InputErrors (committed outputs: test_committed_output.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "inference"))
from harness import run_cli  # noqa: E402

import zkml  # noqa: E402
from zkml.errors import InputError, StatementMismatchError  # noqa: E402
from zkml.statement import statement_digests  # noqa: E402
from zkml.visibility import Visibility, proof_visibility, visibility_word  # noqa: E402

ART = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("visibility")
    cal = np.load(ART / "digits_calibration.npy")
    hiding = zkml.compile(ART / "digits_mlp.onnx", calibration=cal,
                          output_path=d / "h.zkmlc", vk_path=d / "h.vk", hiding=True)
    clear = zkml.compile(ART / "digits_mlp.onnx", calibration=cal,
                         output_path=d / "c.zkmlc", vk_path=d / "c.vk", hiding=False)
    return hiding, clear, d


def _inputs() -> np.ndarray:
    return np.array(json.loads((ART / "digits_input.json").read_text())["input_data"][0],
                    dtype=np.float64).reshape(1, -1)


def test_visibility_words():
    assert visibility_word(hiding=True) == 0 and visibility_word(hiding=False) == 0
    assert visibility_word("private", hiding=True) == 1
    for bad in ("secret", None, 1, "PUBLIC"):
        with pytest.raises(InputError, match="must be one of"):
            visibility_word(bad, hiding=True)
    with pytest.raises(InputError, match="must be one of"):
        visibility_word(output="private", hiding=True)
    assert visibility_word("committed", hiding=True) == 2
    assert visibility_word(output="committed", hiding=True) == 8
    assert visibility_word("committed", "committed", hiding=True) == 10
    assert visibility_word("private", "committed", hiding=False, weights="public") == 13
    with pytest.raises(InputError, match="committed output needs a hiding proof"):
        visibility_word(output="committed", hiding=False)
    with pytest.raises(InputError, match="hiding"):
        visibility_word("private", hiding=False)


def test_a_private_input_proof_verifies_without_its_input(models):
    hiding, _, d = models
    res = zkml.prove(hiding, _inputs(), input="private")
    assert res.hiding and res.visibility == Visibility(True, "private", "public", "private")
    assert res.visibility.input_private
    v = zkml.verify(res.proof, d / "h.vk")
    assert v.hiding and v.inputs == () and v.input_digest == b""
    assert v.visibility.to_json() == {"hiding": True, "input": "private", "output": "public",
                                      "weights": "private"}
    assert [list(r) for r in v.outputs] == res.outputs.tolist()
    # the public proof of the same input states it; the private one does not carry it
    public = zkml.prove(hiding, _inputs())
    assert public.visibility.input == "public"
    row = res.inputs.astype("<i8").tobytes()
    in_digest, _ = statement_digests(hiding.circuit, res.batch, res.inputs.tolist(),
                                     res.outputs.tolist())
    assert row not in res.proof and in_digest not in res.proof
    assert zkml.verify(public.proof, d / "h.vk").inputs == tuple(map(tuple, res.inputs))


def test_a_private_input_cannot_be_compared_with_an_expected_one(models):
    hiding, _, d = models
    res = zkml.prove(hiding, _inputs(), input="private")
    with pytest.raises(StatementMismatchError) as info:
        zkml.verify(res.proof, d / "h.vk", expected_input=_inputs())
    assert info.value.check == "statement.input-private"
    with pytest.raises(StatementMismatchError):
        zkml.verify(res.proof, d / "h.vk", expected_input_digest="00" * 8)


def test_bad_choices_are_input_errors(models):
    hiding, clear, _ = models
    with pytest.raises(InputError, match="hiding"):
        zkml.prove(clear, _inputs(), input="private")
    with pytest.raises(InputError, match="must be one of"):
        zkml.prove(hiding, _inputs(), output="hidden")
    assert proof_visibility(zkml.prove(clear, _inputs()).proof) == Visibility(False)


def test_cli_private_input_shows_no_input(models, tmp_path, capsys):
    _, _, d = models
    inp = str(ART / "digits_input.json")
    proof = tmp_path / "p.proof"
    code, out, err = run_cli(["prove", str(d / "h.zkmlc"), "--input", inp, "-o", str(proof),
                              "--input-visibility", "private", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["visibility"] == {"hiding": True, "input": "private", "output": "public",
                                 "weights": "private"}
    assert doc["input"]["digest"] is None and doc["input"]["values"] is None
    code, out, err = run_cli(["verify", str(proof), "--vk", str(d / "h.vk"), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["visibility"]["input"] == "private" and doc["input"]["digest"] is None
    code, out, err = run_cli(["verify", str(proof), "--vk", str(d / "h.vk")], capsys)
    assert code == 0 and "input private" in out, err
    code, out, err = run_cli(["verify", str(proof), "--vk", str(d / "h.vk"), "--input", inp],
                             capsys)
    assert code != 0 and "private" in err


def test_a_committed_input_is_reused_through_its_opening(models, tmp_path):
    import os

    from zkml.errors import ZkmlError
    from zkml.input_opening import InputOpening

    hiding, _, d = models
    first = zkml.prove(hiding, _inputs(), input="committed")
    opening = first.input_opening
    assert first.visibility.input == "committed" and opening.batch == first.batch
    path = opening.save(tmp_path / "x.opening")
    assert os.stat(path).st_mode & 0o777 == 0o600
    with pytest.raises(ZkmlError):  # never over an existing file
        opening.save(path)
    again = zkml.prove(hiding, _inputs(), input="committed", input_opening=path)
    assert again.input_opening == InputOpening.load(path) == opening
    a, b = (zkml.verify(r.proof, d / "h.vk") for r in (first, again))
    assert a.visibility.input == "committed" and a.inputs == () and a.input_digest == b""
    assert a.input_commitment_digest == b.input_commitment_digest == opening.digest
    assert opening.commitment in first.proof and opening.commitment in again.proof
    assert first.proof != again.proof
    # the opening is the input's own: another input, or another model's, is refused
    other = _inputs() * 0.5
    with pytest.raises(InputError, match="another input"):
        zkml.prove(hiding, other, input="committed", input_opening=path)
    with pytest.raises(InputError, match="committed"):
        zkml.prove(hiding, _inputs(), input_opening=path)
    with pytest.raises(InputError):
        InputOpening.from_bytes(b'{"format": "zkml-input-opening", "version": 1}')


def test_cli_committed_input_opening_out_and_reuse(models, tmp_path, capsys):
    _, _, d = models
    inp, opening = str(ART / "digits_input.json"), tmp_path / "x.opening"
    args = ["prove", str(d / "h.zkmlc"), "--input", inp, "--input-visibility", "committed"]
    code, out, err = run_cli(args + ["-o", str(tmp_path / "a.proof")], capsys)
    assert code != 0 and "--opening-out" in err  # a new opening must be kept
    code, out, err = run_cli(args + ["-o", str(tmp_path / "a.proof"), "--opening-out",
                                     str(opening), "--json"], capsys)
    assert code == 0, err
    first = json.loads(out)
    assert first["visibility"]["input"] == "committed" and first["input"]["digest"] is None
    assert opening.stat().st_mode & 0o777 == 0o600
    code, out, err = run_cli(args + ["-o", str(tmp_path / "b.proof"), "--opening-out",
                                     str(opening)], capsys)
    assert code != 0  # never over an existing opening
    code, out, err = run_cli(args + ["-o", str(tmp_path / "b.proof"), "--input-opening",
                                     str(opening)], capsys)
    assert code == 0, err
    digests = []
    for name in ("a.proof", "b.proof"):
        code, out, err = run_cli(["verify", str(tmp_path / name), "--vk", str(d / "h.vk"),
                                  "--json"], capsys)
        assert code == 0, err
        digests.append(json.loads(out)["input"]["commitment"])
    assert digests[0] == digests[1] == first["input"]["commitment"] is not None
    code, out, err = run_cli(["verify", str(tmp_path / "b.proof"), "--vk", str(d / "h.vk")],
                             capsys)
    assert code == 0 and f"input committed {digests[0][:16]}" in out, out


def test_public_weights_with_a_non_hiding_key(models):
    from zkml.errors import VerificationError
    from zkml.verifier.encoding import enc_u32

    hiding, clear, d = models
    res = zkml.prove(clear, _inputs(), input="private", weights="public")
    assert res.hiding and res.visibility == Visibility(True, "private", "public", "public")
    v = zkml.verify(res.proof, d / "c.vk")
    assert v.visibility.weights == "public" and v.inputs == ()
    assert [list(r) for r in v.outputs] == res.outputs.tolist()
    # the word of a hiding key's proof cannot claim public weights
    at = 7 + 32 + 4
    proof = zkml.prove(hiding, _inputs()).proof
    with pytest.raises(VerificationError) as info:
        zkml.verify(proof[:at] + enc_u32(4) + proof[at + 4:], d / "h.vk")
    assert info.value.check == "zk.visibility"
    with pytest.raises(InputError, match="non-hiding key"):
        zkml.prove(hiding, _inputs(), weights="public")
    with pytest.raises(InputError, match="hiding key"):
        zkml.prove(clear, _inputs(), weights="private")
    with pytest.raises(InputError, match="must be one of"):
        zkml.prove(clear, _inputs(), weights="open")


def test_cli_public_weights(models, tmp_path, capsys):
    _, _, d = models
    code, out, err = run_cli(["prove", str(d / "c.zkmlc"), "--input",
                              str(ART / "digits_input.json"), "-o", str(tmp_path / "p.proof"),
                              "--input-visibility", "private", "--weights-visibility",
                              "public", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["visibility"] == {"hiding": True, "input": "private",
                                             "output": "public", "weights": "public"}
    code, out, err = run_cli(["verify", str(tmp_path / "p.proof"), "--vk", str(d / "c.vk"),
                              "--json"], capsys)
    assert code == 0 and json.loads(out)["visibility"]["weights"] == "public", err
