"""Errors a service can catch (P6 item 4): one hierarchy under `zkml.errors.ZkmlError`,
messages that say what happened first, and the exit codes of `zkml`.

The table `CASES` runs each fault through the API (the exception type) and through the
CLI in process (the exit code and the first words on stderr); the exit codes are also
checked in fresh processes, and Ctrl-C with a real SIGINT.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import pkgutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "inference"))

from harness import run_cli  # noqa: E402
from inference_models import mlp, save  # noqa: E402

import zkml  # noqa: E402
import zkml.errors as errors  # noqa: E402
from zkml.errors import (  # noqa: E402
    EXIT_ERROR,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_INVALID_PROOF,
    ArtifactError,
    CompiledModelError,
    FileError,
    InputError,
    InvalidKeyError,
    ModelError,
    ProofFormatError,
    ProverArgumentError,
    ProverCheckError,
    ProverError,
    ProverFormatError,
    StatementMismatchError,
    TruncatedProofError,
    VerificationError,
    ZkmlError,
)

REPO = Path(__file__).resolve().parents[1]
ZKML = [sys.executable, "-m", "zkml.cli.main"]

#: Exception classes defined in zkml that are not ZkmlErrors, and why that is right.
INTERNAL_EXCEPTIONS = {
    # raised by ONNX op handlers and turned into a ModelError naming the node
    # (zkml.onnx_import.convert) before it leaves the importer
    "zkml.onnx_import.builder.HandlerError",
}


# -- the hierarchy -----------------------------------------------------------------------

def _zkml_modules() -> list[str]:
    import zkml as package

    names = [m.name for m in pkgutil.walk_packages(package.__path__, "zkml.")]
    return [n for n in names if n != "zkml._native" and ".cli." not in n and n != "zkml.cli"]


def test_every_exception_class_of_zkml_is_a_zkml_error():
    found = []
    for name in _zkml_modules():
        module = importlib.import_module(name)
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != name or not issubclass(cls, BaseException) or \
                    issubclass(cls, Warning):
                continue
            found.append(cls)
            if f"{name}.{cls_name}" not in INTERNAL_EXCEPTIONS:
                assert issubclass(cls, ZkmlError), f"{name}.{cls_name}"
    assert len(found) >= 20  # the walk saw the package (errors, onnx_import, quant, ...)


def test_the_three_things_a_service_tells_apart():
    assert not issubclass(VerificationError, ArtifactError | InputError | ModelError)
    for cls in (ArtifactError, InputError, ModelError, ProverError):
        assert not issubclass(cls, VerificationError)
    # a bad key is the key's fault, not the proof's
    assert issubclass(InvalidKeyError, ArtifactError)
    assert not issubclass(InvalidKeyError, VerificationError)
    assert issubclass(TruncatedProofError, ProofFormatError)
    assert issubclass(StatementMismatchError, VerificationError)
    assert issubclass(CompiledModelError, ArtifactError) and \
        issubclass(CompiledModelError, ModelError)
    assert issubclass(errors.OutputExistsError, FileError)
    from zkml.fileio import OutputExistsError
    from zkml.quant.container import CompiledModelError as Container

    assert OutputExistsError is errors.OutputExistsError and Container is CompiledModelError


def test_every_public_class_is_documented_in_the_module_text():
    doc = errors.__doc__
    public = [n for n in errors.__all__ if isinstance(getattr(errors, n), type)
              and issubclass(getattr(errors, n), ZkmlError)]
    assert len(public) == 17
    for name in public:
        assert name in doc, name


@pytest.mark.parametrize("cls, code", [
    (VerificationError, EXIT_INVALID_PROOF), (ProofFormatError, EXIT_INVALID_PROOF),
    (TruncatedProofError, EXIT_INVALID_PROOF), (StatementMismatchError, EXIT_INVALID_PROOF),
    (InvalidKeyError, EXIT_ERROR), (FileError, EXIT_ERROR), (CompiledModelError, EXIT_ERROR),
    (InputError, EXIT_ERROR), (ModelError, EXIT_ERROR), (ProverError, EXIT_ERROR),
    (ProverArgumentError, EXIT_ERROR), (ProverFormatError, EXIT_ERROR),
    (ProverCheckError, EXIT_ERROR),
])
def test_exit_code_of_each_class(cls, code):
    assert errors.exit_code(cls("x")) == code


def test_the_native_modules_classes_stay_prover_errors():
    # one class per Rust Error variant (rust/py/src/lib.rs::error_class); every
    # `except ProverError` still catches each, and each keeps ProverError's summary
    for cls in (ProverArgumentError, ProverFormatError, ProverCheckError):
        assert issubclass(cls, ProverError) and not issubclass(cls, VerificationError)
        assert str(cls("x", check="c")).startswith("proving failed: x")
    assert issubclass(ProverArgumentError, InputError)
    assert issubclass(ProverFormatError, InputError)
    assert not issubclass(ProverCheckError, InputError)


def test_the_check_id_survives_pickling_for_each_native_class():
    import pickle

    for cls in (ProverArgumentError, ProverFormatError, ProverCheckError):
        made = cls("proof rejected: logup group 0", check="logup.group-sum")
        exc = pickle.loads(pickle.dumps(made))
        assert type(exc) is cls and exc.check == "logup.group-sum"


def test_exit_code_of_other_exceptions():
    assert errors.exit_code(KeyboardInterrupt()) == EXIT_INTERRUPTED
    assert errors.exit_code(PermissionError(13, "Permission denied")) == EXIT_ERROR
    assert errors.exit_code(MemoryError()) == EXIT_ERROR
    assert errors.exit_code(RuntimeError("a bug")) == EXIT_INTERNAL


def test_messages_say_what_happened_first():
    assert str(VerificationError("logup: p(0)+p(1) != claim")) == \
        "invalid proof: logup: p(0)+p(1) != claim"
    assert str(TruncatedProofError("x: truncated")) == "truncated proof: x: truncated"
    assert str(InvalidKeyError("circuit: not JSON")) == \
        "invalid verifying key: circuit: not JSON"
    assert str(InputError("no input examples given")) == "bad input: no input examples given"
    exc = VerificationError("invalid proof: already said")  # never said twice
    assert str(exc) == "invalid proof: already said" and exc.detail == exc.args[0]
    assert InputError("x").detail == "x"
    assert str(FileError("proof not found: p")) == "proof not found: p"
    assert str(StatementMismatchError("the proof is about another input (...)")) == \
        "the proof is about another input (...)"


@pytest.mark.parametrize("key", [None, 5, "text is not a path to a key", ["k"]])
def test_what_is_not_a_key_is_an_invalid_key(key):
    with pytest.raises((InvalidKeyError, FileError)) as info:
        zkml.Verifier(key)
    assert not isinstance(info.value, VerificationError)


def test_file_error_from_an_os_error_names_the_users_path():
    exc = FileError.from_os(OSError(28, "No space left on device", "/tmp/.m.vk.x.tmp"),
                            "write", "out/m.vk")
    assert str(exc) == "cannot write out/m.vk: No space left on device"


# -- the table of cases: API exception, CLI exit code and first words ---------------------

@dataclass(frozen=True)
class Files:
    """A compiled model with its key, a valid proof and input, another model's proof,
    and one damaged file per case."""

    dir: Path
    compiled: object = field(repr=False)

    def __truediv__(self, name: str) -> Path:
        return self.dir / name


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Files:
    tmp = tmp_path_factory.mktemp("errors")
    rng = np.random.default_rng(0)
    compiled = zkml.compile(save(mlp([12, 8, 5], seed=3), tmp, "m.onnx"),
                            calibration=rng.normal(size=(16, 12)),
                            output_path=tmp / "m.zkmlc", vk_path=tmp / "m.vk")
    other = zkml.compile(save(mlp([12, 8, 5], seed=4), tmp, "o.onnx"),
                         calibration=rng.normal(size=(16, 12)))
    x = rng.uniform(-1, 1, size=(2, 12)).round(3)
    (tmp / "in.json").write_text(json.dumps({"input_data": x.tolist()}))
    (tmp / "other_in.json").write_text(json.dumps({"input_data": (x[::-1]).tolist()}))
    proof = zkml.prove(compiled, x).proof
    (tmp / "p.proof").write_bytes(proof)
    (tmp / "o.proof").write_bytes(zkml.prove(other, x).proof)
    tampered = bytearray(proof)
    tampered[len(proof) // 2] ^= 1
    (tmp / "tampered.proof").write_bytes(bytes(tampered))
    (tmp / "truncated.proof").write_bytes(proof[: len(proof) // 2])
    key = bytearray(compiled.verifying_key)
    key[100] ^= 0xFF  # inside the circuit description
    (tmp / "corrupt.vk").write_bytes(bytes(key))
    zc = (tmp / "m.zkmlc").read_bytes()
    (tmp / "corrupt.zkmlc").write_bytes(zc[: len(zc) // 2])
    row = ", ".join(["0.5"] * 11)
    for name, first in (("nan", "NaN"), ("inf", "1e400"), ("bigint", "1" + "0" * 400)):
        (tmp / f"{name}.json").write_text(f'{{"input_data": [[{first}, {row}]]}}')
    (tmp / "shape.json").write_text(json.dumps({"input_data": [[0.5] * 5]}))
    (tmp / "deep.json").write_text("[" * 10_000 + "]" * 10_000)
    (tmp / "adir").mkdir()
    return Files(tmp, compiled)


def _load_then_prove(f: Files, name: str):
    from zkml.inputs import load_input_file

    return zkml.prove(f.compiled, load_input_file(f / name))


def _unreadable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening any file for reading fails as it does without read permission (the tests
    run as root, whom file modes do not stop)."""
    import zkml.fileio

    def refuse(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(zkml.fileio, "open", refuse, raising=False)


@dataclass(frozen=True)
class Case:
    """One fault: `api(files)` raises `error`; `zkml cli(files)` exits `code` with stderr
    starting "error: " + `first`. `patch` prepares both runs (a monkeypatch)."""

    api: Callable[[Files], object] | None
    error: type[ZkmlError] | None
    cli: Callable[[Files], list[str]]
    code: int
    first: str
    patch: Callable[[pytest.MonkeyPatch], None] | None = None


def _verify_args(proof: str, *more: str) -> Callable[[Files], list[str]]:
    return lambda f: ["verify", str(f / proof), "--vk", str(f / "m.vk"), *more]


def _prove_args(compiled: str, inputs: str) -> Callable[[Files], list[str]]:
    return lambda f: ["prove", str(f / compiled), "--input", str(f / inputs), "-o",
                      str(f / "out.proof"), "--force"]


def _vk(f: Files) -> bytes:
    return f.compiled.verifying_key


CASES: dict[str, Case] = {
    "tampered proof": Case(
        lambda f: zkml.verify(f / "tampered.proof", _vk(f)), VerificationError,
        _verify_args("tampered.proof"), EXIT_INVALID_PROOF, "invalid proof: "),
    "truncated proof": Case(
        lambda f: zkml.verify(f / "truncated.proof", _vk(f)), TruncatedProofError,
        _verify_args("truncated.proof"), EXIT_INVALID_PROOF, "truncated proof: "),
    "a key given as the proof": Case(
        lambda f: zkml.verify(_vk(f), _vk(f)), ProofFormatError,
        _verify_args("m.vk"), EXIT_INVALID_PROOF, "invalid proof: "),
    "proof for another model": Case(
        lambda f: zkml.verify(f / "o.proof", _vk(f)), VerificationError,
        _verify_args("o.proof"), EXIT_INVALID_PROOF,
        "invalid proof: the proof is for another model"),
    "proof about another input": Case(
        lambda f: zkml.verify(f / "p.proof", f.compiled,
                              expected_input=json.loads((f / "other_in.json").read_text())
                              ["input_data"]),
        StatementMismatchError, lambda f: _verify_args("p.proof", "--input")(f)
        + [str(f / "other_in.json")], EXIT_INVALID_PROOF,
        "the proof is about another input"),
    "missing proof file": Case(
        lambda f: zkml.verify(f / "none.proof", _vk(f)), FileError,
        _verify_args("none.proof"), EXIT_ERROR, "proof not found: "),
    "directory as the proof": Case(
        lambda f: zkml.verify(f / "adir", _vk(f)), FileError,
        _verify_args("adir"), EXIT_ERROR, "Invalid value for 'ARTIFACT'"),
    "unreadable proof": Case(
        lambda f: zkml.verify(f / "p.proof", _vk(f)), FileError,
        _verify_args("p.proof"), EXIT_ERROR, "cannot read proof ", _unreadable),
    "corrupt key": Case(
        lambda f: zkml.verify(f / "p.proof", (f / "corrupt.vk").read_bytes()),
        InvalidKeyError, lambda f: ["verify", str(f / "p.proof"), "--vk",
                                    str(f / "corrupt.vk")], EXIT_ERROR,
        "invalid verifying key: "),
    "a proof given as the key": Case(
        lambda f: zkml.Verifier((f / "p.proof").read_bytes()), InvalidKeyError,
        lambda f: ["verify", str(f / "p.proof"), "--vk", str(f / "p.proof")], EXIT_ERROR,
        "invalid verifying key: "),
    "corrupt compiled model": Case(
        lambda f: zkml.load(f / "corrupt.zkmlc"), CompiledModelError,
        _prove_args("corrupt.zkmlc", "in.json"), EXIT_ERROR, "invalid compiled model: "),
    "missing input file": Case(
        lambda f: _load_then_prove(f, "none.json"), FileError,
        _prove_args("m.zkmlc", "none.json"), EXIT_ERROR, "input file not found: "),
    "input with NaN": Case(
        lambda f: _load_then_prove(f, "nan.json"), InputError,
        _prove_args("m.zkmlc", "nan.json"), EXIT_ERROR, "bad input: "),
    "input JSON with 1e400": Case(
        lambda f: _load_then_prove(f, "inf.json"), InputError,
        _prove_args("m.zkmlc", "inf.json"), EXIT_ERROR, "bad input: "),
    "input JSON with 10**400": Case(
        lambda f: _load_then_prove(f, "bigint.json"), InputError,
        _prove_args("m.zkmlc", "bigint.json"), EXIT_ERROR,
        "bad input: input example 0 holds an integer too large for a float"),
    "expected input with 10**400": Case(
        lambda f: zkml.verify(f / "p.proof", _vk(f), expected_input=[[10**400] + [0] * 11]),
        InputError, lambda f: _verify_args("p.proof", "--input")(f) + [str(f / "bigint.json")],
        EXIT_ERROR, "bad input: "),
    "input JSON nested too deeply": Case(
        lambda f: _load_then_prove(f, "deep.json"), InputError,
        _prove_args("m.zkmlc", "deep.json"), EXIT_ERROR, "bad input: "),
    "wrong input shape": Case(
        lambda f: _load_then_prove(f, "shape.json"), InputError,
        _prove_args("m.zkmlc", "shape.json"), EXIT_ERROR, "bad input: input example 0 has 5"),
    "malformed input digest": Case(
        lambda f: zkml.verify(f / "p.proof", _vk(f), expected_input_digest="xyz"), InputError,
        _verify_args("p.proof", "--input-digest", "xyz"), EXIT_ERROR,
        "Invalid value for '--input-digest': an input digest is hex digits"),
    "bad CLI option": Case(
        None, None, lambda f: ["prove", str(f / "m.zkmlc"), "--bogus"], EXIT_ERROR,
        "No such option '--bogus'"),
}


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.api is not None])
def test_case_through_the_api(files, monkeypatch, name):
    case = CASES[name]
    if case.patch is not None:
        case.patch(monkeypatch)
    with pytest.raises(case.error) as info:
        case.api(files)
    assert type(info.value) is case.error or case.error is VerificationError
    assert errors.exit_code(info.value) == case.code


@pytest.mark.parametrize("name", list(CASES))
def test_case_through_the_cli(files, monkeypatch, capsys, name):
    case = CASES[name]
    if case.patch is not None:
        case.patch(monkeypatch)
    before = sorted(p.name for p in files.dir.iterdir())
    code, out, err = run_cli(case.cli(files), capsys)
    assert code == case.code, err
    assert err.startswith("error: " + case.first) and err.count("\n") == 1, err
    assert "Traceback" not in err and out == ""
    assert sorted(p.name for p in files.dir.iterdir()) == before  # nothing written


def test_a_valid_proof_exits_0(files, capsys):
    code, out, err = run_cli(_verify_args("p.proof", "--input")(files)
                             + [str(files / "in.json")], capsys)
    assert code == 0 and err == "" and "valid hiding inference proof" in out


def test_a_bug_exits_3_with_its_traceback(files, monkeypatch, capsys):
    def broken(self, *args, **kwargs):
        raise RuntimeError("a planted bug")

    monkeypatch.setattr(zkml.api.Verifier, "verify", broken)
    code, _, err = run_cli(_verify_args("p.proof")(files), capsys)
    assert code == EXIT_INTERNAL
    assert "Traceback" in err and err.splitlines()[-1] == (
        "error: internal error (a bug in zkml; please report it): RuntimeError: a planted bug")


# -- Ctrl-C ------------------------------------------------------------------------------

@pytest.mark.parametrize("stage", ["fidelity", "prove"])
def test_ctrl_c_in_process_exits_130_and_leaves_nothing(files, tmp_path, monkeypatch, capsys,
                                                        stage):
    """A stage interrupted (KeyboardInterrupt, as Ctrl-C raises it): 130, one line, no
    file written."""
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    work = tmp_path / "work"
    work.mkdir()
    if stage == "fidelity":
        monkeypatch.setattr("zkml.quant.fidelity.fidelity_report", interrupt)
        args = ["compile", str(files / "m.onnx"), "-o", str(work / "m.zkmlc"), "--vk",
                str(work / "m.vk")]
    else:
        # either prover: the model is hiding by default (kind 5), kind 3 otherwise
        monkeypatch.setattr("zkml.prover.prove_inference", interrupt)
        monkeypatch.setattr("zkml.prover.prove_hiding_inference", interrupt)
        args = _prove_args("m.zkmlc", "in.json")(files)[:-3] + ["-o", str(work / "p.proof")]
    code, out, err = run_cli(args, capsys)
    assert code == EXIT_INTERRUPTED and err == "error: interrupted\n" and out == ""
    assert list(work.iterdir()) == []


# A compile that stops in its fidelity stage until SIGINT arrives: the parent sends the
# signal once the child has said it is there, so the test does not depend on timing. The
# child waits in short sleeps, as real work runs bytecode: the kernel may deliver the
# signal to one of onnxruntime's threads, and the main thread only sees it when it next
# runs Python code (one long blocking wait would not wake up). The child restores
# Python's Ctrl-C handler: a test run started as a background job (`make test &`, CI
# runners) inherits SIGINT ignored, and a process that ignores SIGINT rightly never
# sees Ctrl-C; the test plays a foreground terminal's Ctrl-C.
_WAITING_COMPILE = """
import signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)
import zkml.quant.fidelity as fidelity
def wait_for_ctrl_c(*args, **kwargs):
    print("in fidelity", file=sys.stderr, flush=True)
    for _ in range(2400):
        time.sleep(0.05)
    raise SystemExit("no SIGINT arrived")
fidelity.fidelity_report = wait_for_ctrl_c
from zkml.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_sigint_during_compile_exits_130_and_leaves_nothing(files, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    args = ["compile", str(files / "m.onnx"), "-o", str(work / "m.zkmlc"), "--vk",
            str(work / "m.vk")]
    proc = subprocess.Popen([sys.executable, "-c", _WAITING_COMPILE, *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stderr:  # stage lines, then the marker
        lines.append(line)
        if line == "in fidelity\n":
            break
    proc.send_signal(signal.SIGINT)
    out, rest = proc.communicate(timeout=120)
    assert proc.returncode == EXIT_INTERRUPTED, lines + [rest]
    assert rest == "error: interrupted\n" and out == ""
    assert any(line.startswith("[zkml] compile: quantize ... ") for line in lines), lines
    assert list(work.iterdir()) == []


# -- the exit codes in fresh processes -----------------------------------------------------

def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([*ZKML, *args], capture_output=True, text=True, cwd=REPO, env=env,
                          timeout=300)


@pytest.mark.parametrize("proof, code, first", [
    ("p.proof", 0, ""),
    ("tampered.proof", EXIT_INVALID_PROOF, "error: invalid proof: "),
    ("none.proof", EXIT_ERROR, "error: proof not found: "),
])
def test_exit_codes_of_a_fresh_process(files, proof, code, first):
    # --quiet: no stage line for a slow key check on a loaded machine; errors still print
    res = _run("verify", str(files / proof), "--vk", str(files / "m.vk"), "--quiet")
    assert res.returncode == code, res.stderr
    assert res.stderr.startswith(first) and res.stderr.count("\n") == (1 if first else 0)


def test_usage_error_of_a_fresh_process():
    res = _run("verify", "--no-such-option")
    assert res.returncode == EXIT_ERROR
    assert res.stderr == "error: No such option '--no-such-option'.\n"


def test_help_documents_the_exit_codes():
    res = _run("--help")
    assert res.returncode == 0
    for code in ("0 ", "1 ", "2 ", "3 ", "4 ", "130 "):
        assert f"\n    {code}" in res.stdout, res.stdout
