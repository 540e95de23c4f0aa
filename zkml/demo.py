"""`make demo`: compile, prove and verify the bundled example model end to end.

The model is artifacts/digits_mlp.onnx, an MLP 64-32-32-10 trained on scikit-learn's
digits (see artifacts/README.md). The demo compiles it with its calibration samples
(quantize, compile the circuit, commit to the weights, build the verifying key: hiding,
the default), proves the bundled test digits in one batched zero-knowledge proof (kind 5:
it reveals the digits and the outputs, nothing about the weights) with the Rust prover,
verifies the proof with
the pure-Python verifier in a fresh `zkml verify` process (what an auditor runs) and in
process (what a service embedding `zkml.Verifier` does), and shows that a proof with one
flipped bit is rejected. Everything it writes goes to `demo-out/`.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
import warnings
from pathlib import Path

import zkml
from zkml.errors import VerificationError
from zkml.fileio import write_atomic

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
MODEL = "digits_mlp.onnx"
CALIBRATION = "digits_calibration.npy"
INPUT = "digits_input.json"
LABELS = "digits_labels.json"


def _zkml_command() -> list[str]:
    """The installed `zkml` script next to this interpreter, else `python -m` it."""
    script = Path(sys.executable).parent / "zkml"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "zkml.cli.main"]


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _zkml(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    start = time.perf_counter()
    res = subprocess.run([*_zkml_command(), *args], capture_output=True, text=True)
    return res, time.perf_counter() - start


def _indent(text: str, prefix: str = "   | ") -> str:
    return "\n".join(prefix + line for line in text.rstrip("\n").splitlines())


def _fail(message: str) -> int:
    print(f"ERROR: {message}", file=sys.stderr)
    return 1


def _expect_rejection(title: str, args: list[str]) -> int:
    """Run `zkml ARGS` in a fresh process, show the command and what it printed; returns
    its exit code (the caller fails the demo on 0)."""
    res, _ = _zkml(*args)
    print(f"\n{title}")
    print(f"   $ zkml {shlex.join(args)}")
    print(_indent(res.stdout + res.stderr))
    return res.returncode


def run(out_dir: Path, artifacts: Path = ARTIFACTS, *, quiet: bool = False) -> int:
    """Run the demo, writing its files to `out_dir`; returns a process exit code. The
    compile and prove stages print their lines on stderr (`zkml.progress`) unless
    `quiet`."""
    from zkml.inputs import load_input_file
    from zkml.progress import Progress

    model, calibration = artifacts / MODEL, artifacts / CALIBRATION
    missing = [n for n in (MODEL, CALIBRATION, INPUT, LABELS) if not (artifacts / n).is_file()]
    if missing:
        return _fail(f"the bundled example is not in {artifacts} (missing {', '.join(missing)}); "
                     "run the demo from a clone of the repository or pass the directory "
                     "(artifacts= in Python, --artifacts DIR on the command line)")
    out_dir.mkdir(parents=True, exist_ok=True)
    inputs = load_input_file(artifacts / INPUT)
    labels = json.loads((artifacts / LABELS).read_text())["labels"]
    compiled_path = out_dir / "digits_mlp.zkmlc"
    vk_path = out_dir / "digits_mlp.vk"
    proof_path = out_dir / "digits_mlp.proof"
    tampered_path = out_dir / "digits_mlp.tampered.proof"

    print(f"zkml demo: an MLP 64-32-32-10 trained on scikit-learn's digits ({_rel(model)})")

    # 1. Compile: what the model owner runs once.
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = zkml.compile(model, calibration=str(calibration), output_path=compiled_path,
                                vk_path=vk_path, overwrite=True,
                                progress=Progress(quiet=quiet, command="compile"))
    t_compile = time.perf_counter() - start
    fid = compiled.fidelity
    logits = fid["outputs"]["logits"]
    circuit = compiled.circuit
    print(f"\n1. compile (quantize, compile the circuit, commit to the weights, hiding): "
          f"{t_compile:.2f} s")
    print(f"   {compiled.model.summary()['weights']} weights at "
          f"{compiled.model.precision['weight_bits']} bits, activations at "
          f"{compiled.model.precision['activation_bits']} bits; {len(circuit.gadgets)} gadgets")
    print(f"   fidelity on {fid['samples']} calibration samples: logits max abs error "
          f"{logits['max_abs_error']:.3g}, argmax agreement "
          f"{100 * logits['argmax_agreement']:.1f}%")
    print(f"   -> {_rel(compiled_path)} ({compiled_path.stat().st_size / 1024:.0f} KB, "
          f"weights and blinders: secret, mode 0600, stays with the prover)")
    key = "hiding verifying key" if compiled.hiding else "verifying key"
    print(f"   -> {_rel(vk_path)} ({key}, {len(compiled.verifying_key) / 1024:.1f} KB, "
          f"no weights; digest {compiled.vk_digest.hex()[:16]})")

    # 2. Prove: a batch of test digits in one proof.
    start = time.perf_counter()
    result = zkml.prove(compiled, inputs, progress=Progress(quiet=quiet, command="prove"))
    t_prove = time.perf_counter() - start
    result.save(proof_path, overwrite=True)
    kind = "hiding proof" if result.hiding else "proof"
    print(f"\n2. prove {result.batch} test digits in one {kind}: {t_prove:.3f} s "
          f"(prover core {result.timings['prove']:.3f} s)")
    print(f"   -> {_rel(proof_path)} ({len(result.proof) / 1024:.1f} KB)")

    # 3. Verify as an auditor: a fresh process with the proof, the verifying key and the
    # input the auditor expects the proof to be about.
    args = ["verify", _rel(proof_path), "--vk", _rel(vk_path), "--input",
            _rel(artifacts / INPUT)]
    res, t_cli = _zkml(*args)
    print("\n3. verify in a fresh process (pure Python, proof + verifying key + expected input):")
    print(f"   $ zkml {shlex.join(args)}")
    print(_indent(res.stdout + res.stderr))
    if res.returncode != 0:
        return _fail(f"zkml verify exited with {res.returncode}")
    print(f"   exit 0; whole command {t_cli:.2f} s (Python start-up and key check included)")

    # 4. Verify as a service: build the Verifier once, call it per proof.
    start = time.perf_counter()
    verifier = zkml.Verifier(vk_path.read_bytes())
    t_load = time.perf_counter() - start
    start = time.perf_counter()
    verified = verifier.verify(proof_path.read_bytes())
    t_verify = time.perf_counter() - start
    print(f"\n4. verify in process (zkml.Verifier, as a service does): key checked in "
          f"{t_load:.3f} s, proof in {t_verify:.3f} s")
    if [list(r) for r in verified.outputs] != result.outputs.tolist():
        return _fail("the verified outputs differ from the proven ones")
    right = 0
    print("   digit  proven class  true label")
    for i, (pred, label) in enumerate(zip(verified.predictions, labels, strict=True)):
        right += pred == label
        print(f"   {i:>5}  {pred:>12}  {label:>10}  {'ok' if pred == label else 'WRONG'}")
    print(f"   {right}/{len(labels)} correct")

    # 5. A proof with one flipped bit.
    data = bytearray(result.proof)
    data[len(data) // 2] ^= 1
    write_atomic(tampered_path, bytes(data), overwrite=True, what="tampered proof")
    args = ["verify", _rel(tampered_path), "--vk", _rel(vk_path)]
    code = _expect_rejection("5. the same proof with one bit flipped:", args)
    if code == 0:
        return _fail("a tampered proof was accepted")
    try:
        verifier.verify(bytes(data))
    except VerificationError:
        pass
    else:
        return _fail("zkml.Verifier accepted a tampered proof")
    print(f"   exit {code}: rejected")

    # 6. The valid proof checked against another input (one pixel changed): rejected.
    other = [list(row) for row in inputs]
    other[0][27] = 1.0 - other[0][27]
    other_path = out_dir / "other_input.json"
    write_atomic(other_path, json.dumps({"input_data": other}).encode(), overwrite=True,
                 what="changed input")
    args = ["verify", _rel(proof_path), "--vk", _rel(vk_path), "--input", _rel(other_path)]
    code = _expect_rejection("6. the valid proof, checked against an input with one pixel "
                             "changed:", args)
    if code == 0:
        return _fail("a proof passed as a proof about another input")
    print(f"   exit {code}: rejected (the proof is about the original input)")

    print(f"\nfigures: compile {t_compile:.2f} s, prove {t_prove:.3f} s for {result.batch} "
          f"digits, proof {len(result.proof) / 1024:.1f} KB, verify {t_verify:.3f} s in process "
          f"({t_cli:.2f} s as a fresh `zkml verify`), {right}/{len(labels)} digits right")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: `python -m zkml.demo [--out DIR] [--quiet]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo-out", help="directory for the demo's files")
    parser.add_argument("--artifacts", default=str(ARTIFACTS),
                        help="directory with the bundled model, calibration and inputs")
    parser.add_argument("--quiet", action="store_true",
                        help="no stage lines on stderr (the demo's own report is printed)")
    args = parser.parse_args(argv)
    return run(Path(args.out), Path(args.artifacts), quiet=args.quiet)


if __name__ == "__main__":
    sys.exit(main())
