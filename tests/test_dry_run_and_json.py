"""The dry run (`zkml.check`, `zkml prove --dry-run`) and the machine-readable output of
`zkml verify|prove|inspect --json` (README, "Machine-readable output").

The dry run quantizes as `prove` does, runs the integer executor, builds and checks the
witness, and with the ONNX file compares the float model; it proves nothing, writes
nothing and never loads the native prover. Its outputs and digests are those a real
proof then states. The JSON objects carry pinned key sets (schema version 1), their
values equal the API's, and a rejected proof prints an error object and exits non-zero.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "inference"))
from harness import run_cli  # noqa: E402
from inference_models import compile_mlp, mlp, save, with_argmax  # noqa: E402
from test_multi_io import two_heads, two_towers  # noqa: E402

import zkml  # noqa: E402
from zkml.errors import InputError, StatementMismatchError, VerificationError  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ART = REPO / "artifacts"

# -- the documented key sets (schema version 1); changing one is a schema change -------

STATEMENT = {"kind", "verifying_key_digest", "batch", "input", "output", "visibility"}
INPUT = {"digest", "values", "frac_bits", "scale"}
OUTPUT = {"digest", "values", "frac_bits", "scale", "floats", "argmax", "predictions", "parts"}
VISIBILITY = {"hiding": False, "input": "public", "output": "public", "weights": "committed"}
HIDING_VISIBILITY = {"hiding": True, "input": "public", "output": "public", "weights": "private"}
HEAD = {"schema", "schema_version"}
VERIFY = HEAD | STATEMENT | {"valid", "input_check", "sizes", "timings"}
PROVE = HEAD | STATEMENT | {"clipping", "proof_path", "sizes", "timings"}
CHECK = HEAD | STATEMENT | {"clipping", "witness", "float", "timings"}
INPUT_CHECK = {"matched", "file", "digest", "rows", "clipping"}
CLIPPING = {"clipped", "total", "outside_calibration", "inputs"}
FLOAT_OUTPUT = {"values", "max_abs_diff", "mean_abs_diff", "max_abs_float", "agreeing",
                "compared"}
INSPECT_PROOF = HEAD | {"kind", "artifact_kind", "size", "verified", "verifying_key_digest",
                        "batch", "input", "output", "witness_rows", "hiding", "visibility",
                        "sections"}
SECTIONS = {"header", "statement", "witness_commitment", "messages"}
INSPECT_TENSOR = {"digest", "count", "min", "max", "values"}
INSPECT_KEY = HEAD | {"kind", "artifact_kind", "size", "verified", "digest", "circuit",
                      "witness_columns", "commitment", "wellformedness_proof_size"}
INSPECT_COMPILED = HEAD | {"kind", "artifact_kind", "size", "verified", "source", "inputs",
                           "outputs", "ops", "weights", "precision", "fidelity", "circuit",
                           "witness_columns", "commitment_size", "verifying_key"}
ERROR = {"type", "classes", "message"}


def _json(args: list[str], capsys, code: int = 0) -> dict:
    """`zkml ARGS` in process: exactly one JSON object on stdout, the expected exit code
    (1 an invalid proof, 2 any other error: zkml.errors)."""
    rc, out, err = run_cli(args, capsys)
    assert rc == code, err
    assert out.count("\n") == 1, out
    return json.loads(out)


def _executor(cm, x: np.ndarray, name: str) -> np.ndarray:
    """The integer executor's output `name`, example by example (the reference)."""
    shape = tuple(cm.input_shape)
    return np.concatenate([cm.execute(cm.quantize_inputs(ex.reshape(shape)))
                           .outputs(cm.model)[name].reshape(shape[0], -1) for ex in x])


def _onnxruntime(path: Path, feeds: list[dict], name: str) -> np.ndarray:
    """The float model's output `name` run by run (onnxruntime straight, not zkml)."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return np.concatenate([np.asarray(sess.run([name], {k: np.asarray(v, np.float32)
                                                        for k, v in f.items()})[0])
                           .reshape(len(next(iter(f.values()))), -1) for f in feeds])


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    """The bundled digits MLP compiled into files, its 8 test digits, and a proof of
    them written by `zkml.prove`."""
    tmp = tmp_path_factory.mktemp("digits")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm = zkml.compile(ART / "digits_mlp.onnx", calibration=ART / "digits_calibration.npy",
                          output_path=tmp / "d.zkmlc", vk_path=tmp / "d.vk")
    data = json.loads((ART / "digits_input.json").read_text())["input_data"]
    result = zkml.prove(cm, data)
    result.save(tmp / "d.proof")
    return tmp, cm, np.asarray(data), result


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """An MLP on 12 features, its ONNX file and compiled file, and 3 normal examples."""
    tmp = tmp_path_factory.mktemp("small")
    cm, onnx_path = compile_mlp(tmp, [12, 8, 5], seed=3)
    cm.save(tmp / "m.zkmlc")
    (tmp / "m.vk").write_bytes(cm.verifying_key)
    return tmp, cm, onnx_path, np.random.default_rng(0).normal(size=(3, 12))


# -- zkml.check ----------------------------------------------------------------------


def test_check_equals_the_executor_the_float_model_and_the_proof(digits):
    tmp, cm, x, proved = digits
    result = zkml.check(cm, x.tolist(), onnx_path=ART / "digits_mlp.onnx")
    assert result.witness_ok and result.witness_error is None
    assert np.array_equal(result.outputs, _executor(cm, x, "logits"))
    # what the proof states: the same integers, digests and predictions
    verified = zkml.verify(proved.proof, tmp / "d.vk")
    assert np.array_equal(result.outputs, np.array(verified.outputs))
    assert np.array_equal(result.inputs, np.array(verified.inputs))
    assert (result.input_digest, result.output_digest, result.vk_digest) == \
        (verified.input_digest, verified.output_digest, verified.vk_digest)
    assert result.predictions.tolist() == verified.predictions
    assert result.clipping.count == 0 and result.clipping.total == x.size
    # the float model, run here with onnxruntime directly
    floats = _onnxruntime(ART / "digits_mlp.onnx", [{"input": ex[None]} for ex in x], "logits")
    assert np.allclose(result.float_outputs["logits"], floats)
    d = result.differences["logits"]
    diff = np.abs(result.outputs_float - floats)
    assert d.max_abs_diff == pytest.approx(diff.max()) and d.max_abs_diff > 0
    assert d.mean_abs_diff == pytest.approx(diff.mean())
    agree = int(np.count_nonzero(result.outputs.argmax(1) == floats.argmax(1)))
    assert (d.agreeing, d.compared) == (agree, 8)
    assert set(result.timings) == {"quantize", "witness", "float"}


def test_check_counts_clipping_and_strict_refuses(small):
    _, cm, onnx_path, x = small
    wide = x.copy()
    wide[1, 4] = 1e6
    wide[2, 0] = -1e6
    result = zkml.check(cm, wide, onnx_path=onnx_path)
    assert (result.clipping.count, result.clipping.above, result.clipping.below) == (2, 1, 1)
    assert "2 of 36 values" in result.clipping.describe()
    # the executor runs on the clipped integers, which is what a proof would state
    assert np.array_equal(result.outputs, _executor(cm, np.clip(wide, -1e3, 1e3), "y"))
    assert result.differences["y"].max_abs_diff > zkml.check(
        cm, x, onnx_path=onnx_path).differences["y"].max_abs_diff
    with pytest.raises(InputError, match="would be clipped"):
        zkml.check(cm, wide, strict=True)
    assert zkml.check(cm, x, strict=True).clipping.count == 0


def test_check_quantized_inputs_and_a_path(small):
    tmp, cm, onnx_path, x = small
    q = zkml.check(cm, x).inputs
    again = zkml.check(tmp / "m.zkmlc", q, quantized=True, onnx_path=onnx_path)
    assert np.array_equal(again.inputs, q) and again.clipping.count == 0
    assert np.array_equal(again.outputs, zkml.check(cm, x).outputs)
    # the float model sees the integers' float values
    assert again.differences["y"].max_abs_diff < 0.1


def test_check_refuses_another_onnx_file(small, tmp_path):
    _, cm, _, x = small
    other = save(mlp([12, 8, 5], seed=4), tmp_path, "other.onnx")
    with pytest.raises(zkml.errors.InputError, match="not the ONNX file this model was "
                                                     "compiled from"):
        zkml.check(cm, x, onnx_path=other)


def test_check_reports_a_witness_that_cannot_be_built(small, capsys):
    """A compiled file whose stored weights differ from its model (corrupt): prove would
    refuse it; the dry run reports why and still gives the executor's outputs."""
    tmp, cm, _, x = small
    bad = zkml.load(tmp / "m.zkmlc")
    t = bad.circuit.model_stack.tensors[0]
    bad.compiled_circuit.model_stack[t.offset] += 1
    result = zkml.check(bad, x)
    assert not result.witness_ok and "differs from the integer executor" in result.witness_error
    assert np.array_equal(result.outputs, _executor(cm, x, "y"))
    bad.save(tmp / "bad.zkmlc", overwrite=True)
    np.save(tmp / "x.npy", x)
    # one object (the report, not an error object besides); the exit code of ProverError
    doc = _json(["prove", str(tmp / "bad.zkmlc"), "--input", str(tmp / "x.npy"), "--dry-run",
                 "--json"], capsys, code=2)
    assert doc["schema"] == "zkml/check" and doc["witness"]["ok"] is False
    assert doc["witness"]["error"] == result.witness_error


def test_check_argmax_and_several_inputs_and_outputs(tmp_path):
    """An ArgMax output is compared as indices; two inputs are split per input for the
    float model; two outputs are compared each at its own scale."""
    rng = np.random.default_rng(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        am = zkml.compile(save(with_argmax(mlp([6, 8, 4], seed=2)), tmp_path, "am.onnx"),
                          calibration=rng.normal(size=(32, 6)))
        towers = zkml.compile(save(two_towers(), tmp_path, "t.onnx"),
                              calibration={"img": rng.normal(size=(32, 1, 4, 4)),
                                           "vec": rng.normal(size=(32, 5))})
        heads = zkml.compile(save(two_heads(), tmp_path, "h.onnx"),
                             calibration=rng.normal(size=(32, 6)))
    x = rng.normal(size=(5, 6))
    r = zkml.check(am, x, onnx_path=tmp_path / "am.onnx")
    d = r.differences["y"]
    assert r.argmax and r.outputs.shape == (5, 1) and d.compared == 5
    assert d.agreeing == int(np.count_nonzero(r.float_outputs["y"][:, 0] == r.outputs[:, 0]))
    feeds = {"img": rng.normal(size=(3, 1, 1, 4, 4)), "vec": rng.normal(size=(3, 1, 5))}
    r = zkml.check(towers, {"img": feeds["img"][:, 0], "vec": feeds["vec"][:, 0]},
                   onnx_path=tmp_path / "t.onnx")
    runs = [{"img": feeds["img"][i], "vec": feeds["vec"][i]} for i in range(3)]
    assert np.allclose(r.float_outputs["y"], _onnxruntime(tmp_path / "t.onnx", runs, "y"))
    assert r.witness_ok and r.differences["y"].max_abs_diff < 0.1
    r = zkml.check(heads, x, onnx_path=tmp_path / "h.onnx")
    named = r.output_dict(dequantize=True)
    for name in ("logits", "reg"):
        ref = _onnxruntime(tmp_path / "h.onnx", [{"x": ex[None]} for ex in x], name)
        assert r.differences[name].max_abs_diff == pytest.approx(np.abs(named[name] - ref).max())


def test_check_needs_neither_the_prover_nor_onnx(small):
    tmp, _, _, x = small
    np.save(tmp / "n.npy", x)
    code = ("import sys, numpy as np, zkml\n"
            f"r = zkml.check({str(tmp / 'm.zkmlc')!r}, np.load({str(tmp / 'n.npy')!r}))\n"
            "assert r.witness_ok\n"
            "print([m for m in ('zkml._native', 'onnx', 'onnxruntime') if m in sys.modules])\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


# -- zkml prove --dry-run ------------------------------------------------------------


def test_dry_run_prints_what_the_proof_then_states_and_writes_nothing(digits, capsys):
    tmp, _, _, _ = digits
    before = sorted(p.name for p in tmp.iterdir())
    inp = str(ART / "digits_input.json")
    code, out, err = run_cli(["prove", str(tmp / "d.zkmlc"), "--input", inp, "--dry-run",
                              "--onnx", str(ART / "digits_mlp.onnx")], capsys)
    assert code == 0, err
    assert sorted(p.name for p in tmp.iterdir()) == before
    assert "no proof made, no file written" in out and "witness: ok" in out
    assert "input: no value clipped" in out and "argmax agree 8/8" in out
    dry_statement = next(ln for ln in out.splitlines() if ln.startswith("statement: "))
    code, out, err = run_cli(["prove", str(tmp / "d.zkmlc"), "--input", inp, "-o",
                              str(tmp / "real.proof")], capsys)
    assert code == 0, err
    real = next(ln for ln in out.splitlines() if ln.startswith("statement: "))
    # the default model is hiding, and so would its proof be
    assert dry_statement == f"{real} (what a hiding proof would state)"
    assert "(hiding proof, " in out
    (tmp / "real.proof").unlink()
    code, out, _ = run_cli(["prove", str(tmp / "d.zkmlc"), "--input", inp, "--dry-run"],
                           capsys)
    assert code == 0 and "float model: not compared (pass --onnx" in out
    code, _, err = run_cli(["prove", str(tmp / "d.zkmlc"), "--input", inp, "--onnx",
                            str(ART / "digits_mlp.onnx")], capsys)
    assert code == 2 and "add --dry-run" in err


def test_dry_run_reports_the_visibility_the_proof_then_has(digits, small, capsys):
    """A hiding model's dry run says hiding (it once said not hiding), as its proof
    does; a model compiled non-hiding says not hiding."""
    tmp, cm, _, _ = digits
    inp = str(ART / "digits_input.json")
    doc = _json(["prove", str(tmp / "d.zkmlc"), "--input", inp, "--dry-run", "--json"],
                capsys)
    assert cm.hiding and zkml.check(cm, json.loads(Path(inp).read_text())["input_data"]).hiding
    assert doc["visibility"] == HIDING_VISIBILITY
    proved = _json(["prove", str(tmp / "d.zkmlc"), "--input", inp, "-o",
                    str(tmp / "vis.proof"), "--json"], capsys)
    (tmp / "vis.proof").unlink()
    assert proved["visibility"] == doc["visibility"]
    stmp, scm, _, x = small
    np.save(stmp / "vis.npy", x)
    doc = _json(["prove", str(stmp / "m.zkmlc"), "--input", str(stmp / "vis.npy"),
                 "--dry-run", "--json"], capsys)
    assert not scm.hiding and doc["visibility"] == VISIBILITY
    code, out, _ = run_cli(["prove", str(stmp / "m.zkmlc"), "--input", str(stmp / "vis.npy"),
                            "--dry-run"], capsys)
    assert code == 0 and "(what a non-hiding proof would state)" in out


def test_dry_run_json_counts_clipping(small, capsys):
    tmp, cm, onnx_path, x = small
    wide = x.copy()
    wide[0, 3] = 5e4
    np.save(tmp / "wide.npy", wide)
    before = sorted(p.name for p in tmp.iterdir())
    doc = _json(["prove", str(tmp / "m.zkmlc"), "--input", str(tmp / "wide.npy"), "--dry-run",
                 "--json", "--onnx", str(onnx_path)], capsys)
    assert sorted(p.name for p in tmp.iterdir()) == before
    assert set(doc) == CHECK and doc["schema"] == "zkml/check" and doc["schema_version"] == 1
    assert set(doc["input"]) == INPUT and set(doc["output"]) == OUTPUT
    assert set(doc["clipping"]) == CLIPPING and doc["clipping"]["clipped"] == 1
    api = zkml.check(cm, wide, onnx_path=onnx_path)
    assert doc["output"]["values"] == api.outputs.tolist()
    assert doc["input"]["values"] == api.inputs.tolist()
    assert doc["output"]["digest"] == api.output_digest.hex()
    assert doc["witness"] == {"ok": True, "error": None}
    assert set(doc["float"]) == {"onnx", "outputs"} and set(doc["float"]["outputs"]) == {"y"}
    y = doc["float"]["outputs"]["y"]
    assert set(y) == FLOAT_OUTPUT and y["max_abs_diff"] == api.differences["y"].max_abs_diff
    code, out, err = run_cli(["prove", str(tmp / "m.zkmlc"), "--input", str(tmp / "wide.npy"),
                              "--dry-run", "--strict", "--json"], capsys)
    assert code == 2 and "would be clipped" in err
    assert json.loads(out)["error"]["type"] == "InputError"


# -- zkml prove --json and zkml verify --json --------------------------------------------


def _check_statement(doc: dict, verified) -> None:
    """A statement object carries exactly the verified statement's values, and says what
    the proof reveals: a hiding one (kind 5, the default) nothing about the weights."""
    assert set(doc["input"]) == INPUT and set(doc["output"]) == OUTPUT
    assert doc["kind"] == "inference"
    assert doc["visibility"] == (HIDING_VISIBILITY if verified.hiding else VISIBILITY)
    assert doc["verifying_key_digest"] == verified.vk_digest.hex()
    assert doc["batch"] == verified.batch
    assert doc["input"]["values"] == [list(r) for r in verified.inputs]
    assert doc["input"]["digest"] == verified.input_digest.hex()
    assert doc["input"]["scale"] == 2.0 ** -verified.input_frac_bits
    assert doc["output"]["values"] == [list(r) for r in verified.outputs]
    assert doc["output"]["digest"] == verified.output_digest.hex()
    assert doc["output"]["floats"] == verified.outputs_float
    assert doc["output"]["predictions"] == verified.predictions
    assert doc["output"]["argmax"] is verified.argmax


def test_prove_json_is_the_statement_the_proof_verifies_to(small, capsys):
    tmp, cm, _, x = small
    np.save(tmp / "p.npy", x)
    doc = _json(["prove", str(tmp / "m.zkmlc"), "--input", str(tmp / "p.npy"), "-o",
                 str(tmp / "p.proof"), "--json"], capsys)
    assert set(doc) == PROVE and doc["schema"] == "zkml/prove"
    proof = Path(doc["proof_path"]).read_bytes()
    assert doc["sizes"] == {"proof": len(proof)}
    assert {"load", "quantize", "witness", "prove", "total"} <= set(doc["timings"])
    _check_statement(doc, zkml.verify(proof, cm.verifying_key))
    assert doc["output"]["parts"] == [{"name": "y", "offset": 0, "features": 5,
                                       "frac_bits": doc["output"]["frac_bits"]}]
    assert doc["clipping"]["clipped"] == 0


def test_verify_json_equals_the_api(digits, capsys):
    tmp, _, _, _ = digits
    proof, vk = str(tmp / "d.proof"), str(tmp / "d.vk")
    verified = zkml.Verifier(Path(vk).read_bytes()).verify(Path(proof).read_bytes())
    doc = _json(["verify", proof, "--vk", vk, "--json"], capsys)
    assert set(doc) == VERIFY and doc["schema"] == "zkml/verify" and doc["valid"] is True
    _check_statement(doc, verified)
    assert doc["input_check"] is None and doc["output"]["parts"] is None
    assert doc["sizes"] == {"proof": Path(proof).stat().st_size}
    assert set(doc["timings"]) == {"key", "verify"}
    inp = str(ART / "digits_input.json")
    doc = _json(["verify", proof, "--model", str(tmp / "d.zkmlc"), "--input", inp,
                 "--input-digest", verified.input_digest.hex()[:16], "--json"], capsys)
    check = doc["input_check"]
    assert set(check) == INPUT_CHECK and check["matched"] is True and check["rows"] == 8
    assert check["file"] == inp and check["digest"] == verified.input_digest.hex()[:16]
    assert set(check["clipping"]) == CLIPPING and check["clipping"]["clipped"] == 0
    # an option that does not parse is a usage error: no object, exit code 2
    code, out, err = run_cli(["verify", proof, "--vk", vk, "--input-digest", "abc", "--json"],
                             capsys)
    assert (code, out) == (2, "") and "16 to 64 hex digits" in err


def test_verify_json_reports_a_rejection_and_exits_non_zero(digits, capsys):
    tmp, _, _, _ = digits
    data = bytearray((tmp / "d.proof").read_bytes())
    data[len(data) // 2] ^= 1
    (tmp / "t.proof").write_bytes(bytes(data))
    with pytest.raises(VerificationError) as caught:
        zkml.verify(bytes(data), tmp / "d.vk")
    doc = _json(["verify", str(tmp / "t.proof"), "--vk", str(tmp / "d.vk"), "--json"], capsys,
                code=1)
    assert set(doc) == HEAD | {"valid", "error"} and doc["valid"] is False
    assert set(doc["error"]) == ERROR and doc["error"]["message"] == str(caught.value)
    assert "VerificationError" in doc["error"]["classes"]
    other = tmp / "other.json"
    other.write_text(json.dumps({"input_data": [[0.5] * 64]}))
    with pytest.raises(StatementMismatchError):
        zkml.verify(tmp / "d.proof", tmp / "d.vk", expected_input=[[0.5] * 64])
    doc = _json(["verify", str(tmp / "d.proof"), "--vk", str(tmp / "d.vk"), "--input",
                 str(other), "--json"], capsys, code=1)
    assert doc["error"]["type"] == "StatementMismatchError"
    assert doc["error"]["classes"][:2] == ["StatementMismatchError", "VerificationError"]


def test_verify_json_stays_light(digits):
    tmp, _, _, _ = digits
    code = ("import sys\nfrom zkml.cli.main import main\n"
            f"rc = main(['verify', {str(tmp / 'd.proof')!r}, '--vk', {str(tmp / 'd.vk')!r}, "
            "'--json'])\n"
            "print([m for m in ('numpy', 'onnx', 'zkml._native') if m in sys.modules])\n"
            "sys.exit(rc)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr
    doc, modules = proc.stdout.splitlines()
    assert json.loads(doc)["valid"] is True and modules == "[]"


def test_verify_json_of_a_foundation_artifact(tmp_path, capsys):
    from zkml.prover import prove_product_sumcheck

    rng = np.random.default_rng(0)
    f, g = rng.integers(0, 100, 16).tolist(), rng.integers(0, 100, 16).tolist()
    (tmp_path / "s.proof").write_bytes(prove_product_sumcheck(f, g, 2))
    doc = _json(["verify", str(tmp_path / "s.proof"), "--json"], capsys)
    assert set(doc) == HEAD | {"valid", "kind", "statement", "sizes", "timings"}
    assert doc["kind"] == "product-sumcheck"
    assert doc["statement"] == {"num_vars": 4,
                                "claimed_sum": str(sum(a * b for a, b in zip(f, g, strict=True)))}


# -- zkml inspect ------------------------------------------------------------------------


def test_inspect_json_of_a_proof_key_and_compiled_model(digits, capsys):
    tmp, cm, _, _ = digits
    verified = zkml.verify(tmp / "d.proof", tmp / "d.vk")
    doc = _json(["inspect", str(tmp / "d.proof"), "--json"], capsys)
    assert set(doc) == INSPECT_PROOF and doc["schema"] == "zkml/inspect"
    assert doc["kind"] == "inference" and doc["verified"] is False
    assert set(doc["input"]) == INSPECT_TENSOR and set(doc["output"]) == INSPECT_TENSOR
    assert doc["input"]["values"] == [list(r) for r in verified.inputs]
    assert doc["output"]["values"] == [list(r) for r in verified.outputs]
    assert doc["input"]["digest"] == verified.input_digest.hex()
    assert doc["output"]["digest"] == verified.output_digest.hex()
    assert doc["verifying_key_digest"] == cm.vk_digest.hex() and doc["batch"] == 8
    # the default: a hiding proof, its visibility word and its sections
    assert doc["artifact_kind"] == 5 and doc["hiding"] is True
    assert doc["visibility"] == {"word": 0, **HIDING_VISIBILITY}
    _check_sections(doc, (tmp / "d.proof").read_bytes())
    doc = _json(["inspect", str(tmp / "d.vk"), "--json"], capsys)
    assert set(doc) == INSPECT_KEY and doc["kind"] == "verifying-key"
    assert doc["digest"] == cm.vk_digest.hex() and doc["circuit"] == cm.circuit.to_json()
    doc = _json(["inspect", str(tmp / "d.zkmlc"), "--json"], capsys)
    assert set(doc) == INSPECT_COMPILED and doc["kind"] == "compiled-model"
    assert doc["verifying_key"] == {"digest": cm.vk_digest.hex(),
                                    "size": len(cm.verifying_key)}
    assert doc["inputs"] == [{"name": "input", "shape": [1, 64]}]
    assert doc["source"]["sha256"] == cm.source["sha256"]
    (tmp / "junk").write_bytes(b"not a zkml file")
    doc = _json(["inspect", str(tmp / "junk"), "--json"], capsys, code=2)
    assert set(doc) == HEAD | {"error"} and "is not a zkml" in doc["error"]["message"]


def _check_sections(doc: dict, proof: bytes) -> None:
    """The sections tile the proof: header, statement (kind 5: 4 bytes more for the
    visibility word), witness commitment (a count and 64 bytes a row), messages."""
    sec = doc["sections"]
    assert set(sec) == SECTIONS and sum(sec.values()) == len(proof) == doc["size"]
    assert sec["header"] == 7 and sec["witness_commitment"] == 4 + 64 * doc["witness_rows"]
    xs = sum(map(len, doc["input"]["values"]))
    assert sec["statement"] >= 32 + 4 + (4 if doc["hiding"] else 0) + xs
    assert 0 < sec["messages"] < len(proof)


def test_inspect_a_non_hiding_proof(small, capsys):
    tmp, cm, _, x = small
    proof = zkml.prove(cm, x).proof
    (tmp / "k3.proof").write_bytes(proof)
    doc = _json(["inspect", str(tmp / "k3.proof"), "--json"], capsys)
    assert set(doc) == INSPECT_PROOF and doc["artifact_kind"] == 3 and doc["hiding"] is False
    assert doc["visibility"] == {"word": None, **VISIBILITY}
    _check_sections(doc, proof)
    verified = zkml.verify(proof, cm.verifying_key)
    assert doc["input"]["digest"] == verified.input_digest.hex()
    code, out, err = run_cli(["inspect", str(tmp / "k3.proof")], capsys)
    assert code == 0 and out.startswith("inference proof (kind 3), "), err
    assert "visibility: not hiding (kind 3): input public, output public, weights committed" \
        in out


def test_inspect_labels_a_proofs_statement(digits, capsys):
    tmp, _, _, _ = digits
    verified = zkml.verify(tmp / "d.proof", tmp / "d.vk")
    code, out, err = run_cli(["inspect", str(tmp / "d.proof")], capsys)
    assert code == 0, err
    size = (tmp / "d.proof").stat().st_size
    assert out.startswith(f"hiding inference proof (kind 5), {size} bytes\n")
    assert "  visibility: word 0: input public, output public, weights private\n" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("  sections (bytes): "))
    sizes = [int(w.strip(",")) for w in line.split() if w.strip(",").isdigit()]
    assert sizes[0] == 7 and sizes[2] == 4 + 64 * 64 and sum(sizes) == size  # 64 rows
    assert "not verified: the statement below is what the proof claims" in out
    assert (f"input (quantized): 512 values (8 rows of 64) in [0, 16384], digest "
            f"{verified.input_digest.hex()[:16]}") in out
    assert "output (quantized): 80 values (8 rows of 10)" in out
    row0 = ", ".join(str(v) for v in verified.outputs[0])
    assert f"    output row 0: [{row0}]" in out
