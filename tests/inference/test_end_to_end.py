"""End to end: compile, prove with the native prover, verify with the pure-Python verifier."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
from harness import check_proof
from inference_models import (
    compile_mlp,
    leaky_mlp,
    mlp,
    save,
    with_argmax,
)

import zkml
from zkml.errors import VerificationError

REPO = Path(__file__).resolve().parents[2]

# (dims, options, batch)
CASES = {
    "pow2-b1": ([16, 16, 8], {}, 1),
    "pow2-b4": ([16, 16, 8], {}, 4),
    "pow2-residual-b2": ([8, 8, 8, 8, 4], {"residual": True}, 2),
    "pow2-relu6-b4": ([8, 16, 4], {"clip": 6.0}, 4),
    "pow2-flatten-b2": ([16, 8, 4], {"in_shape": [1, 1, 4, 4]}, 2),
    "pow2-rows2-b4": ([8, 8, 4], {"in_shape": [2, 8]}, 4),
    "odd-b1": ([12, 8, 5], {}, 1),
    "odd-b3": ([10, 12, 8, 3], {"residual": True}, 3),
    "odd-relu6-b5": ([10, 16, 6], {"clip": 6.0}, 5),
    "pow2-nobias-b1": ([8, 4], {"bias": False}, 1),
}
# "odd" cases: B x n_out is not a power-of-two region, so the output mask matters
# (inference.md section 4: the output instance has three factors eq, mask, z_L).


def _examples(cm, batch: int, seed: int = 0) -> np.ndarray:
    shape = cm.input_shape
    rows = shape[0]
    assert batch % rows == 0
    return np.random.default_rng(seed).normal(scale=1.5, size=(batch // rows, *shape))


@pytest.mark.parametrize("name", list(CASES))
def test_prove_and_verify(tmp_path, name):
    dims, opts, batch = CASES[name]
    shape = opts.get("in_shape") or [1, dims[0]]
    cal = np.random.default_rng(1).normal(scale=1.5, size=(32, *shape[1:]))
    cm, _ = compile_mlp(tmp_path, dims, calibration=cal, **opts)
    result, verified = check_proof(cm, _examples(cm, batch))
    assert result.batch == batch and result.outputs.shape == (batch, dims[-1])
    assert verified.predictions == result.predictions.tolist()
    assert np.allclose(verified.outputs_float, result.outputs_float)


def test_circuit_without_zerocheck_instances(tmp_path):
    """A model of exact gadgets only (a Sigmoid table at precision small, the input its
    operand): no ep/em columns, so the batched sumcheck has no zerocheck instance. (A
    dense layer always has them: its public bound, every weight at its format's extreme,
    exceeds the output's range, quantization.md "What the circuit may depend on".)"""
    from inference_models import make_model
    from onnx import helper

    model = make_model([helper.make_node("Sigmoid", ["x"], ["y"])], {"x": [1, 8]}, ["y"], {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm = zkml.compile(save(model, tmp_path, "small.onnx"), precision="small",
                          hiding=False)
    assert [g.op for g in cm.circuit.gadgets] == ["table"]
    assert not any(g.excess_hi_bits or g.excess_lo_bits for g in cm.circuit.gadgets)
    result = zkml.prove(cm, np.random.default_rng(2).uniform(-1, 1, size=(2, 8)))
    verified = zkml.verify(result.proof, cm.verifying_key)
    assert np.array_equal(np.array(verified.outputs), result.outputs)


@pytest.mark.parametrize("batch", [1, 3])
def test_argmax_output(tmp_path, batch):
    model = with_argmax(mlp([10, 12, 6], seed=7))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm = zkml.compile(save(model, tmp_path, "am.onnx"),
                          calibration=np.random.default_rng(0).normal(size=(32, 10)), hiding=False)
    assert cm.circuit.argmax
    x = np.random.default_rng(batch).normal(size=(batch, 10))
    result = zkml.prove(cm, x)
    assert result.outputs.shape == (batch, 1)
    labels = [int(cm.run(row[None, :])["y"][0]) for row in x]
    assert result.predictions.tolist() == labels
    verified = zkml.verify(result.proof, cm.verifying_key)
    assert verified.argmax and verified.predictions == labels


@pytest.fixture(scope="module")
def proven(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    cm, _ = compile_mlp(tmp, [16, 16, 8], residual=False, name="a")
    result = zkml.prove(cm, _examples(cm, 2))
    return tmp, cm, result


def test_tampered_proofs_are_rejected(proven):
    _, cm, result = proven
    proof = result.proof
    verifier = zkml.Verifier(cm.verifying_key)
    verifier.verify(proof)
    # statement (batch, input, output) and proof body positions
    for pos in (7, 7 + 32 + 3, 7 + 32 + 4 + 4 + 31, len(proof) // 2, len(proof) - 1):
        bad = bytearray(proof)
        bad[pos] ^= 1
        with pytest.raises(VerificationError):
            verifier.verify(bytes(bad))
    with pytest.raises(VerificationError):
        verifier.verify(proof[:-1])
    with pytest.raises(VerificationError):
        verifier.verify(proof + b"\x00")


def test_proof_for_another_model_is_rejected(proven, tmp_path):
    _, cm, result = proven
    other, _ = compile_mlp(tmp_path, [16, 16, 8], seed=9, name="b")
    with pytest.raises(VerificationError, match="another model"):
        zkml.verify(result.proof, other.verifying_key)


def test_verifier_is_reusable_across_threads(proven):
    _, cm, result = proven
    verifier = zkml.Verifier(cm)
    results, errors = [], []

    def run():
        try:
            results.append(verifier.verify(result.proof).outputs)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 3 and len(set(results)) == 1


def _run_cli(args: list[str], probe: bool = False) -> subprocess.CompletedProcess:
    code = ("import sys\nfrom zkml.cli.main import main\nrc = main(sys.argv[1:])\n"
            "heavy = [m for m in ('onnx', 'onnxruntime', 'galois', 'numpy') if m in sys.modules]\n"
            "print('MODULES', ','.join(heavy))\nsys.exit(rc)\n")
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=REPO, timeout=300)


def test_cli_compile_prove_verify_inspect(tmp_path):
    model = save(mlp([16, 16, 8], seed=4), tmp_path, "m.onnx")
    cal = tmp_path / "cal.npy"
    np.save(cal, np.random.default_rng(0).normal(size=(16, 16)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from zkml.cli.main import main

        assert main(["compile", str(model), "--calibration", str(cal), "--quiet"]) == 0
    inputs = tmp_path / "in.json"
    inputs.write_text(json.dumps({"input_data": np.random.default_rng(5).normal(
        size=(2, 16)).tolist()}))
    proc = _run_cli(["prove", str(tmp_path / "m.zkmlc"), "--input", str(inputs)])
    assert proc.returncode == 0, proc.stderr
    assert "proved 2 example(s)" in proc.stdout and "argmax" in proc.stdout
    assert "onnx" not in proc.stdout.split("MODULES")[1]
    proven_lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("  example")]
    proof = tmp_path / "m.proof"
    assert proof.is_file()
    for key in (["--vk", str(tmp_path / "m.vk")], ["--model", str(tmp_path / "m.zkmlc")]):
        proc = _run_cli(["verify", str(proof), *key])
        assert proc.returncode == 0, proc.stderr
        assert "valid hiding inference proof" in proc.stdout  # the default
        verified_lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("  example")]
        assert verified_lines == proven_lines
        heavy = proc.stdout.split("MODULES")[1].strip()
        assert heavy == "", f"verify imported {heavy}"
    bad = bytearray(proof.read_bytes())
    bad[-5] ^= 1
    (tmp_path / "bad.proof").write_bytes(bytes(bad))
    proc = _run_cli(["verify", str(tmp_path / "bad.proof"), "--vk", str(tmp_path / "m.vk")])
    # Stage lines (stderr is not a terminal) may come first when verification is slow:
    # the error is the one line that starts with "error: ", and it is the last.
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error: ")]
    assert proc.returncode == 1 and len(errors) == 1
    assert proc.stderr.rstrip().splitlines()[-1] == errors[0]
    proc = _run_cli(["inspect", str(proof)])
    assert proc.returncode == 0 and "hiding inference proof (kind 5)" in proc.stdout
    assert "batch: 2" in proc.stdout


# LeakyRelu (three affine gadgets, inference.md section 2): (alpha, leaky_mlp options, batch)
LEAKY_CASES = {
    "alpha0.01-b1": (0.01, {}, 1),
    "alpha0.01-b3": (0.01, {}, 3),
    "alpha0.2-b1": (0.2, {}, 1),
    "alpha0.2-b3": (0.2, {}, 3),
    "alpha1.5-b1": (1.5, {}, 1),
    "alpha1.5-b3": (1.5, {}, 3),
    "input-relu-b3": (0.1, {"on_input": True, "after": "relu"}, 3),
    "clip-b1": (0.3, {"after": "clip"}, 1),
}


def _compile_leaky(tmp_path, alpha: float, opts: dict, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return zkml.compile(save(leaky_mlp([10, 12, 8, 5], alpha, **opts), tmp_path, "lk.onnx"),
                            calibration=np.random.default_rng(1).normal(scale=2.0, size=(32, 10)),
                            **kwargs, hiding=False)


@pytest.mark.parametrize("name", list(LEAKY_CASES))
def test_leaky_relu_prove_and_verify(tmp_path, name):
    alpha, opts, batch = LEAKY_CASES[name]
    cm = _compile_leaky(tmp_path, alpha, opts)
    assert sum(g.op == "affine" for g in cm.circuit.gadgets) == 3 * (2 + opts.get("on_input", 0))
    check_proof(cm, np.random.default_rng(batch).normal(scale=2.0, size=(batch, 10)))


def _leaky_output_model(tmp_path):
    """Gemm -> LeakyRelu as the output: the output gadget is the affine `z`."""
    from inference_models import f32, make_model
    from onnx import helper

    rng = np.random.default_rng(3)
    nodes = [helper.make_node("Gemm", ["x", "W", "b"], ["h"], name="fc"),
             helper.make_node("LeakyRelu", ["h"], ["y"], alpha=0.2, name="lk")]
    model = make_model(nodes, {"x": [1, 8]}, ["y"],
                       {"W": f32(rng.normal(size=(8, 6)) * 0.5), "b": f32(rng.normal(size=6))})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return zkml.compile(save(model, tmp_path, "lkout.onnx"),
                            calibration=rng.normal(size=(32, 8)), hiding=False)


def test_leaky_relu_wrong_output_is_rejected(tmp_path):
    from zkml.compiler.circuit import limb_widths
    from zkml.errors import ProverError
    from zkml.prover import prove_inference
    from zkml.quant.rounding import quantize_float
    from zkml.witness import build_witness

    cm = _leaky_output_model(tmp_path)
    c, cc = cm.circuit, cm.compiled_circuit
    assert c.output.op == "affine" and c.output_gadget == 3
    x = quantize_float(np.random.default_rng(4).normal(size=(3, 8)), c.input_frac_bits,
                       c.input_bits)
    w = build_witness(cc, cm.model, x)
    verifier = zkml.Verifier(cm.verifying_key)

    def prove(columns, outputs):
        return prove_inference(c.to_bytes(), cc.model_stack, columns, w.batch, w.inputs,
                               outputs, cm.vk_digest)

    verifier.verify(prove(w.columns, w.outputs))
    # 1. the honest witness with a wrong statement output
    wrong = w.outputs.copy()
    wrong[1, 2] = wrong[1, 2] + 1 if wrong[1, 2] < c.output.hi else wrong[1, 2] - 1
    # 2. a witness whose LeakyRelu output entry is changed to match that wrong output (the
    #    affine relation at the gadget's point then fails)
    first = sum(len(limb_widths(wd)) for g in c.gadgets[:3] for _, wd in g.value_widths())
    u_bits = c.output.u_bits
    cols = [col.copy() for col in w.columns]
    width = 1 << (c.output.features - 1).bit_length()
    u = sum(cols[first + j] << (8 * j) for j in range(len(limb_widths(u_bits))))
    u[1 * width + 2] = wrong[1, 2] - c.output.lo
    for j in range(len(limb_widths(u_bits))):
        cols[first + j] = (u >> (8 * j)) & 0xFF
    if c.output.has_v:
        v_first = first + len(limb_widths(u_bits))
        v = (c.output.hi - c.output.lo) - u
        for j in range(len(limb_widths(u_bits))):
            cols[v_first + j] = (v >> (8 * j)) & 0xFF
    for columns in (w.columns, cols):
        try:
            proof = prove(columns, wrong)
        except ProverError:
            continue  # the prover may refuse an inconsistent statement outright
        with pytest.raises(VerificationError):
            verifier.verify(proof)


def test_leaky_relu_compiled_file_round_trip(tmp_path):
    """The saved file (circuit section with the helper gadgets' tensor map) loads, and a
    proof from the loaded model verifies with the saved key."""
    from zkml.compiled_model import CompiledModel

    cm = _compile_leaky(tmp_path, 0.2, {"on_input": True}, output_path=tmp_path / "lk.zkmlc",
                        vk_path=tmp_path / "lk.vk")
    loaded = CompiledModel.load(tmp_path / "lk.zkmlc")
    assert loaded.circuit == cm.circuit and loaded.verifying_key == cm.verifying_key
    assert loaded.compiled_circuit.meta_json() == cm.compiled_circuit.meta_json()
    result = zkml.prove(loaded, np.random.default_rng(0).normal(size=(3, 10)))
    verified = zkml.verify(result.proof, (tmp_path / "lk.vk").read_bytes())
    assert np.array_equal(np.array(verified.outputs), result.outputs)
