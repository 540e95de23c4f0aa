"""Many proofs on several cores: `zkml.verify_many` and `zkml.VerifierPool`.

The bundled example's committed non-hiding proof and key (tests/data/, kinds 3 and 4:
these tests are about the pool, and kind 3 verifies several times faster than the
hiding pair in artifacts/) are verified by worker processes and in process: answers in
the order given, an invalid proof's error in its slot, expected inputs checked, the key
checked once before any work, a script without a main guard told what is wrong, and
`zkml verify` never importing any of it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import zkml
import zkml.batch_verify as batch
from zkml.errors import (
    ClippingWarning,
    InputError,
    InvalidKeyError,
    ProofFormatError,
    StatementMismatchError,
    VerificationError,
    ZkmlError,
)

REPO = Path(__file__).resolve().parents[1]
ART = REPO / "artifacts"
VK = REPO / "tests" / "data" / "digits_mlp.kind4.vk"
PROOF_PATH = REPO / "tests" / "data" / "digits_mlp.kind3.proof"
PROOF = PROOF_PATH.read_bytes()
INPUT = json.loads((ART / "digits_input.json").read_text())["input_data"]


def _tampered() -> bytes:
    data = bytearray(PROOF)
    data[len(data) // 2] ^= 1
    return bytes(data)


def _other_input() -> list[list[float]]:
    other = [list(row) for row in INPUT]
    other[0][27] = 1.0 - other[0][27]
    return other


@pytest.fixture(scope="module")
def reference():
    """What one in-process Verifier says about the valid and the tampered proof."""
    verifier = zkml.Verifier(VK)
    with pytest.raises(VerificationError) as info:
        verifier.verify(_tampered())
    return verifier.verify(PROOF), str(info.value)


@pytest.fixture(scope="module")
def pool():
    with zkml.VerifierPool(VK, workers=2) as p:
        yield p


def _kinds(answers) -> list[str]:
    return [type(a).__name__ for a in answers]


@pytest.mark.parametrize("workers", [1, 2])
def test_answers_in_order_with_each_invalid_proof_in_its_slot(reference, workers):
    valid, tampered_message = reference
    proofs = [PROOF, _tampered(), str(PROOF_PATH), b"not a proof", PROOF[:100], 7, PROOF]
    answers = zkml.verify_many(proofs, VK, workers=workers)
    assert _kinds(answers) == ["VerifiedInference", "VerificationError", "VerifiedInference",
                               "ProofFormatError", "TruncatedProofError", "ProofFormatError",
                               "VerifiedInference"]
    assert answers[0] == valid and answers[2] == valid and answers[6] == valid
    assert str(answers[1]) == tampered_message
    assert str(answers[5]) == "invalid proof: proof must be bytes or a path, not int"


def test_the_pool_answers_like_one_verifier_and_stays_usable(pool, reference):
    valid, _ = reference
    assert pool.workers == 2
    first = pool.verify_many([PROOF] * 6)
    assert first == [valid] * 6
    again = pool.verify_many([_tampered(), PROOF])
    assert isinstance(again[0], VerificationError) and again[1] == valid
    assert pool.verify_many([]) == []


def test_submit_returns_a_future_that_raises_for_an_invalid_proof(pool, reference):
    valid, tampered_message = reference
    futures = [pool.submit(PROOF), pool.submit(_tampered()), pool.submit(b"junk")]
    assert futures[0].result(timeout=120) == valid
    with pytest.raises(VerificationError) as info:
        futures[1].result(timeout=120)
    assert str(info.value) == tampered_message
    with pytest.raises(ProofFormatError):
        futures[2].result(timeout=120)


def test_submit_in_process_with_one_worker(reference):
    valid, _ = reference
    with zkml.VerifierPool(VK, workers=1) as one:
        assert one.submit(PROOF).result() == valid
        with pytest.raises(VerificationError):
            one.submit(_tampered()).result()


def test_expected_inputs_are_checked_per_proof(pool):
    answers = pool.verify_many([PROOF, PROOF, PROOF],
                               expected_inputs=[INPUT, _other_input(), None])
    assert _kinds(answers) == ["VerifiedInference", "StatementMismatchError",
                               "VerifiedInference"]
    assert str(answers[1]).startswith("the proof is about another input")
    assert "row 0 differs first at feature 27" in str(answers[1])


def test_bad_expected_inputs_raise_before_any_work(pool, monkeypatch):
    def no_work(*args, **kwargs):
        raise AssertionError("a proof was sent to a worker")

    monkeypatch.setattr(pool, "_run", no_work)
    with pytest.raises(InputError, match="one entry per proof"):
        pool.verify_many([PROOF, PROOF], expected_inputs=[INPUT])
    with pytest.raises(InputError):
        pool.verify_many([PROOF], expected_inputs=[[[0.5] * 5]])
    big = [list(row) for row in INPUT]
    big[0][0] = 1e6
    with pytest.raises(InputError, match="would be clipped"):
        pool.verify_many([PROOF], expected_inputs=[big], strict=True)


def test_a_clipped_expected_input_warns_in_the_caller(pool):
    big = [list(row) for row in INPUT]
    big[0][0] = 1e6
    with pytest.warns(ClippingWarning) as record:
        answers = pool.verify_many([PROOF], expected_inputs=[big])
    assert isinstance(answers[0], StatementMismatchError)
    assert record[0].filename == __file__


def test_one_worker_starts_no_process(monkeypatch, reference):
    valid, _ = reference

    def no_pool(*args, **kwargs):
        raise AssertionError("a process pool was started")

    monkeypatch.setattr(batch, "ProcessPoolExecutor", no_pool)
    assert zkml.verify_many([PROOF, _tampered()], VK, workers=1)[0] == valid
    # one proof gains nothing from a pool either
    assert zkml.verify_many([PROOF], VK, workers=4) == [valid]


def test_a_bad_key_raises_before_any_process_starts(monkeypatch):
    def no_pool(*args, **kwargs):
        raise AssertionError("a process pool was started")

    monkeypatch.setattr(batch, "ProcessPoolExecutor", no_pool)
    key = bytearray(VK.read_bytes())
    key[100] ^= 0xFF
    with pytest.raises(InvalidKeyError):
        zkml.verify_many([PROOF, PROOF], bytes(key), workers=2)


@pytest.mark.parametrize("workers", [0, -1, 1.5, True, "2"])
def test_workers_must_be_a_positive_integer(workers):
    with pytest.raises(InputError, match="workers must be a positive integer"):
        zkml.VerifierPool(VK, workers=workers)


def test_a_missing_proof_file_raises(tmp_path):
    from zkml.errors import FileError

    with pytest.raises(FileError, match="not found"):
        zkml.verify_many([PROOF, tmp_path / "none.proof"], VK, workers=1)


def test_default_workers_are_the_usable_cores():
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
        else os.cpu_count()
    assert batch.default_workers() == expected >= 1


@pytest.mark.parametrize("workers", [1, 2])
def test_a_closed_pool_refuses_work(workers):
    pool = zkml.VerifierPool(VK, workers=workers)
    pool.close()
    with pytest.raises(batch.VerifierPoolError, match="the pool is closed"):
        pool.verify_many([PROOF])
    with pytest.raises(batch.VerifierPoolError, match="the pool is closed"):
        pool.submit(PROOF)


def test_a_broken_pool_is_a_zkml_error():
    assert issubclass(batch.VerifierPoolError, ZkmlError)
    assert not issubclass(batch.VerifierPoolError, VerificationError)


_UNGUARDED = """
import zkml
proof = open({proof!r}, "rb").read()
print(zkml.verify_many([proof, proof], {vk!r}, workers=2))
"""


def test_a_script_without_a_main_guard_is_told_what_is_wrong(tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text(_UNGUARDED.format(proof=str(PROOF_PATH), vk=str(VK)))
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=300)
    assert res.returncode == 1
    head = "zkml.batch_verify.VerifierPoolError: verifier pool failed: a worker process " \
        "stopped before answering"
    line = next((s for s in res.stderr.splitlines() if s.startswith(head)), None)
    assert line is not None, res.stderr
    assert 'if __name__ == "__main__":' in line


_GUARDED = """
import zkml

if __name__ == "__main__":
    proof = open({proof!r}, "rb").read()
    answers = zkml.verify_many([proof, proof, proof], {vk!r}, workers=2)
    print([a.predictions for a in answers])
"""


def test_a_guarded_script_uses_worker_processes(tmp_path):
    script = tmp_path / "guarded.py"
    script.write_text(_GUARDED.format(proof=str(PROOF_PATH), vk=str(VK)))
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str([[2, 0, 4, 9, 4, 1, 2, 4]] * 3)


_IMPORTS = textwrap.dedent("""
    import sys
    import zkml
    assert "zkml.batch_verify" not in sys.modules
    from zkml.cli.main import main
    code = main(["verify", {proof!r}, "--vk", {vk!r}])
    print(code, "zkml.batch_verify" in sys.modules, "numpy" in sys.modules)
""")


def test_zkml_verify_imports_none_of_it():
    res = subprocess.run([sys.executable, "-c",
                          _IMPORTS.format(proof=str(PROOF_PATH), vk=str(VK))],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[-1] == "0 False False"

