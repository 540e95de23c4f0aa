"""The statement the user checks (circuits/inference.md section 4, "Statement digests"):
a valid proof about input X must not pass as a proof about another input.

The input digest is SHA256 of the proof's `u32 B || Ints(X)` bytes; `zkml prove` prints
it and `zkml verify` prints the same. `zkml verify --input FILE` and
`Verifier.verify(expected_input=...)` quantize the expected input exactly as the prover
does and reject a proof about any other input (one pixel changed by more than half a
quantization step, the examples in another order, another batch size), as does an
expected input digest. Checked on proofs made here, on a model with two inputs, and on
the bundled example.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from harness import run_cli as _cli
from inference_models import compile_mlp, f32, make_model, mlp, save, with_argmax
from onnx import helper

import zkml
from zkml.artifacts import statement_widths
from zkml.errors import (
    ClippingWarning,
    InputError,
    StatementMismatchError,
    VerificationError,
)
from zkml.statement import InputLayout, quantize_input, statement_digests

REPO = Path(__file__).resolve().parents[2]
ART = REPO / "artifacts"
HEX16 = re.compile(r"statement: verifying key ([0-9a-f]{16}), input ([0-9a-f]{16}), "
                   r"output ([0-9a-f]{16})")

# Every test here proves with the native module.




def _digests_in_proof(proof: bytes, circuit) -> tuple[bytes, bytes]:
    """The spec's digests read straight from the proof bytes: header (7 bytes), vk digest
    (32), then `u32 B || Ints(X) || Ints(Y)`; a hiding proof (kind 5) has its visibility
    word `u32 V` after `B`, which neither digest covers."""
    w_in, w_out = statement_widths(circuit)
    pos = 7 + 32
    batch = proof[pos : pos + 4]
    x_at = pos + 4 + (4 if proof[6] == 5 else 0)
    n_x = struct.unpack(">I", proof[x_at : x_at + 4])[0]
    x_end = x_at + 4 + n_x * w_in
    n_y = struct.unpack(">I", proof[x_end : x_end + 4])[0]
    y_bytes = proof[x_end : x_end + 4 + n_y * w_out]
    return (hashlib.sha256(batch + proof[x_at:x_end]).digest(),
            hashlib.sha256(batch + y_bytes).digest())


@pytest.fixture(scope="module")
def mlp_case(tmp_path_factory):
    """An MLP on 12 features (input shape (1, 12)), its files, and a proof about 3 runs."""
    tmp = tmp_path_factory.mktemp("stmt")
    cm, _ = compile_mlp(tmp, [12, 8, 5], seed=3)
    cm.save(tmp / "m.zkmlc")
    (tmp / "m.vk").write_bytes(cm.verifying_key)
    x = np.random.default_rng(0).normal(size=(3, 12))
    return tmp, cm, x, zkml.prove(cm, x)


def _step(cm) -> float:
    return 2.0 ** -cm.circuit.input_frac_bits


# -- digests ----------------------------------------------------------------------------


def test_digests_are_the_statement_bytes(mlp_case):
    _, cm, _, result = mlp_case
    verified = zkml.verify(result.proof, cm.verifying_key)
    in_d, out_d = _digests_in_proof(result.proof, cm.circuit)
    assert (verified.input_digest, verified.output_digest) == (in_d, out_d)
    # The prover's side computes the same from its own statement.
    assert statement_digests(cm.circuit, result.batch, result.inputs, result.outputs) == \
        (in_d, out_d)
    assert verified.input_digest != verified.output_digest


def test_argmax_output_digest(tmp_path):
    """An ArgMax output states one index per row, one byte each."""
    model = with_argmax(mlp([6, 8, 4], seed=2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm = zkml.compile(save(model, tmp_path, "am.onnx"),
                          calibration=np.random.default_rng(1).normal(size=(16, 6)), hiding=False)
    result = zkml.prove(cm, np.random.default_rng(4).normal(size=(2, 6)))
    verified = zkml.verify(result.proof, cm)
    assert verified.argmax and statement_widths(cm.circuit)[1] == 1
    assert (verified.input_digest, verified.output_digest) == \
        _digests_in_proof(result.proof, cm.circuit)


# -- the API ----------------------------------------------------------------------------


def test_the_right_input_verifies_in_every_form(mlp_case):
    _, cm, x, result = mlp_case
    key_only = zkml.Verifier(cm.verifying_key)
    with_shapes = zkml.Verifier(cm)
    for verifier in (key_only, with_shapes):
        for form in (x, x.tolist(), {"x": x}, x.reshape(3, 1, 12)):
            verified = verifier.verify(result.proof, expected_input=form)
            assert np.array_equal(np.array(verified.inputs), result.inputs)
    # zkml.verify takes it too, and the integers with quantized=True.
    zkml.verify(result.proof, cm, expected_input=x)
    zkml.verify(result.proof, cm.verifying_key, expected_input=result.inputs, quantized=True)
    # A change below half a quantization step gives the same statement.
    nudged = x.copy()
    q = result.inputs[0, 0] * _step(cm)
    nudged[0, 0] = q + 0.4 * _step(cm)
    zkml.verify(result.proof, cm, expected_input=nudged)


def _one_pixel(x: np.ndarray, step: float) -> np.ndarray:
    y = x.copy()
    y[1, 7] += 3 * step
    return y


OTHER_INPUTS = {
    "one value": (lambda x, s: _one_pixel(x, s), "row 1 differs first at feature 7"),
    "another order": (lambda x, s: x[[1, 0, 2]], "the same rows in another order"),
    "fewer examples": (lambda x, s: x[:2], "the proof states 3 rows, the expected input has 2"),
    "more examples": (lambda x, s: np.concatenate([x, x[:1]]),
                      "the proof states 3 rows, the expected input has 4"),
}


@pytest.mark.parametrize("name", list(OTHER_INPUTS))
def test_another_input_is_rejected(mlp_case, name):
    _, cm, x, result = mlp_case
    change, reason = OTHER_INPUTS[name]
    other = change(x, _step(cm))
    for vk in (cm, cm.verifying_key):
        with pytest.raises(StatementMismatchError, match="the proof is about another input") \
                as info:
            zkml.verify(result.proof, vk, expected_input=other)
        assert info.value.check == "statement.input-digest"
        assert reason in str(info.value)  # the user's answer: what differs
        expected = zkml.Verifier(vk).quantize_input(other).digest
        assert f"expected {expected.hex()[:16]}" in str(info.value)
    # Still a VerificationError: a service that catches those rejects it.
    assert issubclass(StatementMismatchError, VerificationError)


def test_expected_input_digest(mlp_case):
    _, cm, x, result = mlp_case
    verifier = zkml.Verifier(cm.verifying_key)
    digest = verifier.verify(result.proof).input_digest
    for form in (digest, digest.hex(), digest.hex()[:16], digest.hex()[:17].upper()):
        verifier.verify(result.proof, expected_input_digest=form)
    other = verifier.quantize_input(x[:2]).digest
    with pytest.raises(StatementMismatchError, match=f"expected {other.hex()[:16]}") as info:
        verifier.verify(result.proof, expected_input_digest=other.hex())
    assert info.value.check == "statement.input-digest"
    for bad in (digest.hex()[:15], "z" * 16, digest[:7], 12345):
        with pytest.raises(InputError, match="an input digest"):
            verifier.verify(result.proof, expected_input_digest=bad)


def test_expected_input_errors(mlp_case):
    _, cm, x, result = mlp_case
    verifier = zkml.Verifier(cm.verifying_key)
    with pytest.raises(InputError, match="whole rows"):
        verifier.verify(result.proof, expected_input=x[:, :10])
    with pytest.raises(InputError, match="several inputs"):
        verifier.verify(result.proof, expected_input=[x[0].tolist(), x[1, :6].tolist() * 4])
    with pytest.raises(InputError, match="named inputs"):
        verifier.verify(result.proof, expected_input={"a": x, "b": x})
    with pytest.raises(InputError, match="36 values are non-finite"):
        verifier.verify(result.proof, expected_input=np.full((3, 12), np.nan))
    with pytest.raises(InputError, match="must be integers"):
        verifier.verify(result.proof, expected_input=x, quantized=True)


def test_quantization_and_clipping_agree_with_prove(mlp_case):
    _, cm, x, _ = mlp_case
    c = cm.circuit
    hi = 2.0 ** (c.input_bits - 1 - c.input_frac_bits)
    wide = x.copy()
    wide[0, :3] = 4 * hi      # 3 values above the input range
    wide[2, 5] = -4 * hi      # 1 below
    wide[1, 0] = hi * 0.5     # inside
    with pytest.warns(ClippingWarning, match="4 of 36 values outside"):
        result = zkml.prove(cm, wide)
    for layout in (InputLayout.of(c), InputLayout.of(c, cm.input_shapes)):
        q = quantize_input(wide, layout)
        assert np.array_equal(np.array(q.rows), result.inputs)
        assert (q.clipping.below, q.clipping.above, q.clipping.total) == (1, 3, 36)
        assert "4 of 36 values outside the representable range" in q.clipping.describe()
    with pytest.warns(ClippingWarning):
        zkml.verify(result.proof, cm.verifying_key, expected_input=wide)
    assert quantize_input(x, InputLayout.of(c)).clipping.describe() == ""


# -- several inputs ---------------------------------------------------------------------


def _two_inputs():
    """img (1, 1, 2, 2) and vec (1, 3), concatenated after Flatten, then Gemm."""
    rng = np.random.default_rng(11)
    nodes = [helper.make_node("Flatten", ["img"], ["f"], axis=1, name="flat"),
             helper.make_node("Concat", ["f", "vec"], ["cat"], axis=1, name="cat"),
             helper.make_node("Gemm", ["cat", "W", "b"], ["y"], name="fc")]
    inits = {"W": f32(rng.normal(0, 0.5, (7, 3))), "b": f32(rng.normal(0, 0.1, 3))}
    return make_model(nodes, {"img": [1, 1, 2, 2], "vec": [1, 3]}, ["y"], inits)


def test_several_inputs(tmp_path, capsys):
    rng = np.random.default_rng(12)
    cal = {"img": rng.normal(size=(16, 1, 2, 2)), "vec": rng.normal(size=(16, 3))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm = zkml.compile(save(_two_inputs(), tmp_path, "two.onnx"), calibration=cal,
                          output_path=tmp_path / "two.zkmlc", vk_path=tmp_path / "two.vk",
                          hiding=False)
    img, vec = rng.normal(size=(2, 1, 1, 2, 2)), rng.normal(size=(2, 1, 3))
    result = zkml.prove(cm, {"img": img, "vec": vec})
    for form in ({"vec": vec, "img": img}, [img, vec]):
        q = zkml.Verifier(cm).quantize_input(form)
        assert np.array_equal(np.array(q.rows), result.inputs)
        zkml.verify(result.proof, cm, expected_input=form)
    # The inputs swapped between the two examples: another statement.
    with pytest.raises(StatementMismatchError, match="row 0 differs"):
        zkml.verify(result.proof, cm, expected_input={"img": img, "vec": vec[::-1]})
    # The key alone does not record the inputs' names and shapes.
    with pytest.raises(InputError, match="compiled model"):
        zkml.verify(result.proof, cm.verifying_key, expected_input={"img": img, "vec": vec})
    # The CLI: JSON with one list per input (two examples each) needs --model.
    doc = {"input_data": [img.reshape(-1).tolist(), vec.reshape(-1).tolist()]}
    (tmp_path / "in.json").write_text(json.dumps(doc))
    code, out, err = _cli(["prove", str(tmp_path / "two.zkmlc"), "--input",
                           str(tmp_path / "in.json")], capsys)
    assert code == 0, err
    proof = str(tmp_path / "two.proof")
    code, out, err = _cli(["verify", proof, "--model", str(tmp_path / "two.zkmlc"), "--input",
                           str(tmp_path / "in.json")], capsys)
    assert code == 0, err
    assert "input: matches" in out
    code, out, err = _cli(["verify", proof, "--vk", str(tmp_path / "two.vk"), "--input",
                           str(tmp_path / "in.json")], capsys)
    assert code == 2 and "--model" in err and err.count("\n") == 1, err


# -- the command line -------------------------------------------------------------------


def _write_json(path: Path, x: np.ndarray) -> Path:
    path.write_text(json.dumps({"input_data": x.tolist()}))
    return path


def test_cli_prove_and_verify_print_the_same_digests(mlp_case, capsys):
    tmp, cm, x, _ = mlp_case
    inp = _write_json(tmp / "cli_in.json", x)
    proof = tmp / "cli.proof"
    code, out, err = _cli(["prove", str(tmp / "m.zkmlc"), "--input", str(inp), "-o",
                           str(proof), "--force"], capsys)
    assert code == 0, err
    proved = HEX16.search(out).groups()
    assert "note:" not in out  # nothing clipped
    code, out, err = _cli(["verify", str(proof), "--vk", str(tmp / "m.vk")], capsys)
    assert code == 0, err
    assert HEX16.search(out).groups() == proved
    assert proved[0] == cm.vk_digest.hex()[:16]
    assert "input: not checked" in out
    digest = zkml.verify(proof, cm).input_digest
    assert proved[1] == digest.hex()[:16]
    np.save(tmp / "cli_in.npy", x)
    for args in (["--input", str(inp)], ["--input", str(tmp / "cli_in.npy")],
                 ["--input-digest", proved[1]], ["--input-digest", digest.hex()],
                 ["--input", str(inp), "--input-digest", proved[1]]):
        for key in (["--vk", str(tmp / "m.vk")], ["--model", str(tmp / "m.zkmlc")]):
            code, out, err = _cli(["verify", str(proof), *key, *args], capsys)
            assert code == 0, (args, err)
            assert "input: matches" in out and HEX16.search(out).groups() == proved


@pytest.mark.parametrize("name", list(OTHER_INPUTS))
def test_cli_rejects_another_input(mlp_case, capsys, name):
    tmp, cm, x, result = mlp_case
    (tmp / "r.proof").write_bytes(result.proof)
    change, reason = OTHER_INPUTS[name]
    other = _write_json(tmp / f"other_{name.replace(' ', '_')}.json", change(x, _step(cm)))
    for key in (["--vk", str(tmp / "m.vk")], ["--model", str(tmp / "m.zkmlc")]):
        code, out, err = _cli(["verify", str(tmp / "r.proof"), *key, "--input", str(other)],
                              capsys)
        assert code == 1 and out == "", out
        assert err.startswith("error: the proof is about another input (input digest ")
        assert err.count("\n") == 1 and reason in err, err


def test_cli_input_digest_errors(mlp_case, capsys):
    tmp, cm, x, result = mlp_case
    (tmp / "d.proof").write_bytes(result.proof)
    other = zkml.Verifier(cm).quantize_input(x[:1]).digest.hex()
    code, out, err = _cli(["verify", str(tmp / "d.proof"), "--vk", str(tmp / "m.vk"),
                           "--input-digest", other[:20]], capsys)
    assert code == 1 and f"expected {other[:16]}" in err and err.count("\n") == 1, err
    code, out, err = _cli(["verify", str(tmp / "d.proof"), "--vk", str(tmp / "m.vk"),
                           "--input-digest", "abc"], capsys)
    assert code == 2 and "16 to 64 hex digits" in err, err


def test_cli_reports_clipping_on_both_sides(mlp_case, capsys):
    tmp, cm, x, _ = mlp_case
    wide = x.copy()
    wide[0, 0] = 2.0 ** (cm.circuit.input_bits - cm.circuit.input_frac_bits)
    inp = _write_json(tmp / "wide.json", wide)
    code, out, err = _cli(["prove", str(tmp / "m.zkmlc"), "--input", str(inp), "-o",
                           str(tmp / "wide.proof"), "--force"], capsys)
    assert code == 0, err
    note = "1 of 36 values outside the representable range"
    assert f'warning: input "x": {note}' in err
    code, out, err = _cli(["verify", str(tmp / "wide.proof"), "--vk", str(tmp / "m.vk"),
                           "--input", str(inp)], capsys)
    assert code == 0 and f"warning: input: {note}" in err, err
    assert "1 value(s) clipped as the prover clips them" in out


def _imported(args: list[str]) -> str:
    """Run `zkml ARGS` in a fresh process (exit 0 required); the heavy modules it loaded."""
    code = ("import sys\nfrom zkml.cli.main import main\nrc = main(sys.argv[1:])\n"
            "bad = [m for m in ('onnx', 'onnxruntime', 'zkml._native', 'numpy') "
            "if m in sys.modules]\nprint('MODULES', ','.join(bad))\nsys.exit(rc)\n")
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split("MODULES")[1].strip()


def test_cli_verify_input_imports_neither_onnx_nor_the_prover(mlp_case):
    tmp, _, x, result = mlp_case
    proof = tmp / "i.proof"
    proof.write_bytes(result.proof)
    inp = _write_json(tmp / "i.json", x)
    for key in (["--vk", str(tmp / "m.vk")], ["--model", str(tmp / "m.zkmlc")]):
        # Reading and quantizing the file needs numpy, nothing heavier.
        assert _imported(["verify", str(proof), *key, "--input", str(inp)]) == "numpy"
    # A digest is checked without numpy.
    digest = zkml.verify(result.proof, tmp / "m.vk").input_digest.hex()
    assert _imported(["verify", str(proof), "--vk", str(tmp / "m.vk"), "--input-digest",
                      digest[:16]]) == ""


# -- the bundled example ----------------------------------------------------------------


def _bundled_input() -> list:
    return json.loads((ART / "digits_input.json").read_text())["input_data"]


def test_bundled_proof_is_about_the_bundled_input(tmp_path, capsys):
    proof, vk = ART / "digits_mlp.proof", ART / "digits_mlp.vk"
    data = _bundled_input()
    verified = zkml.verify(proof, vk, expected_input=data)
    assert verified.input_digest == _digests_in_proof(proof.read_bytes(), _vk_circuit(vk))[0]
    code, out, err = _cli(["verify", str(proof), "--vk", str(vk), "--input",
                           str(ART / "digits_input.json")], capsys)
    assert code == 0, err
    assert f"input {verified.input_digest.hex()[:16]}" in out
    # Another digit image: one pixel brightened by more than a quantization step.
    frac = zkml.Verifier(vk).input_layout.frac_bits
    data[5][20] += 3 * 2.0 ** -frac
    with pytest.raises(StatementMismatchError, match="row 5 differs first at feature 20"):
        zkml.verify(proof, vk, expected_input=data)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"input_data": data}))
    code, out, err = _cli(["verify", str(proof), "--vk", str(vk), "--input", str(other)],
                          capsys)
    assert code == 1 and "the proof is about another input" in err, err


def _vk_circuit(vk: Path):
    from zkml.artifacts import parse_verifying_key

    return parse_verifying_key(vk.read_bytes()).circuit
