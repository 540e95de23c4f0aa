"""Public API properties: import hygiene, no asserts, thread safety, the Verifier object."""

from __future__ import annotations

import ast
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from reference_prover import RefStack, kind1_artifact, kind2_artifact, rand_point, rand_table

import zkml.verifier
from zkml.errors import ModelError, ProverError, VerificationError, ZkmlError
from zkml.verifier import DEFAULT_SEED, Verifier, verify_artifact

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "zkml" / "verifier"


def test_import_is_light_and_never_native():
    code = (
        "import sys, zkml.verifier\n"
        "heavy = {'numpy', 'galois', 'onnx', 'onnxruntime', 'py_ecc', 'torch'}\n"
        "bad = [m for m in sys.modules\n"
        "       if m.split('.')[0] in heavy or m.startswith('zkml._native')]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


def test_sources_never_reference_native_or_assert():
    for path in PKG.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            assert not isinstance(node, ast.Assert), f"{path.name}:{node.lineno} uses assert"
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names]
                mod = getattr(node, "module", None) or ""
                assert "_native" not in mod and not any("_native" in n for n in names), path
                for banned in ("numpy", "galois", "onnx", "py_ecc"):
                    assert not mod.startswith(banned), path
                    assert not any(n.startswith(banned) for n in names), path


def test_rejection_survives_optimize_flag():
    rng = random.Random(1)
    st = RefStack(rand_table(rng, 3), 3, 1, [rand_point(rng, 3)])
    st.values = [1]
    data = kind1_artifact([st])
    code = (
        "import sys\n"
        "from zkml.verifier import verify_artifact\n"
        "from zkml.errors import VerificationError\n"
        "try:\n"
        "    verify_artifact(bytes.fromhex(sys.argv[1]))\n"
        "except VerificationError as e:\n"
        "    print('rejected', e)\n"
        "else:\n"
        "    print('accepted')\n"
    )
    out = subprocess.run(
        [sys.executable, "-O", "-c", code, data.hex()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.startswith("rejected")


def test_error_hierarchy():
    for cls in (VerificationError, ProverError, ModelError):
        assert issubclass(cls, ZkmlError)
    assert issubclass(ZkmlError, Exception)


def test_public_api_surface():
    for name in zkml.verifier.__all__:
        assert hasattr(zkml.verifier, name), name
    assert DEFAULT_SEED == b"zkml/hyrax/generators/v1"
    with pytest.raises(TypeError):
        Verifier(seed="text")  # type: ignore[arg-type]
    v = Verifier(precompute=4)
    assert v.seed_digest.hex().startswith("10bfa566")


def test_verifier_shared_by_threads():
    rng = random.Random(2)
    good, bad = [], []
    for k in range(3):
        st = RefStack(rand_table(rng, 4), 4, 2, [rand_point(rng, 4) for _ in range(2)])
        good.append(kind1_artifact([st]))
        f, g = rand_table(rng, 3), rand_table(rng, 3)
        good.append(kind2_artifact(f, g, 3, 1))
        bad.append(kind2_artifact(f, g, 3, 1, sigma=k))
    verifier = Verifier()
    errors: list[str] = []

    def work(i):
        for j in range(4):
            data = good[(i + j) % len(good)]
            if verifier.verify(data).kind not in (1, 2):
                errors.append("bad statement")
            try:
                verifier.verify(bad[(i + j) % len(bad)])
                errors.append("accepted a bad proof")
            except VerificationError:
                pass

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []


def test_bytes_like_inputs():
    rng = random.Random(3)
    st = RefStack(rand_table(rng, 2), 2, 1, [rand_point(rng, 2)])
    data = kind1_artifact([st])
    assert verify_artifact(bytearray(data)).kind == 1
    assert verify_artifact(memoryview(data)).kind == 1


def test_column_limit():
    rng = random.Random(4)
    st = RefStack(rand_table(rng, 4), 4, 3, [rand_point(rng, 4)])
    data = kind1_artifact([st])
    assert Verifier(max_log_cols=3).verify(data).kind == 1
    with pytest.raises(VerificationError) as exc_info:
        Verifier(max_log_cols=2).verify(data)
    assert exc_info.value.check == "verifier.column-limit"
