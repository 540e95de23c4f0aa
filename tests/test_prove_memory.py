"""Prove memory (zkml.prove_memory): `zkml compile` prints the estimated peak memory of a
proof, and a proof whose estimate exceeds the memory it may use is refused before any
work with one line and exit 4 (ProveMemoryError from `zkml.prove`), never an abort
midway; `--ignore-memory` / `check_memory=False` proves anyway. The limit is set
artificially low with ZKML_PROVE_MEMORY so that the tests stay small and fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "inference"))

from harness import run_cli  # noqa: E402
from inference_models import compile_mlp  # noqa: E402

import zkml  # noqa: E402
from zkml.errors import EXIT_MEMORY, ProveMemoryError, ProverError, exit_code  # noqa: E402
from zkml.prove_memory import (  # noqa: E402
    MEMORY_ENV,
    available_bytes,
    check_prove_memory,
    estimate_prove_bytes,
    format_bytes,
    parse_bytes,
)


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    """A non-hiding MLP 12-8-5, its compiled file and an input file of 2 examples."""
    tmp = tmp_path_factory.mktemp("mem")
    cm, _ = compile_mlp(tmp, [12, 8, 5], seed=3)
    cm.save(tmp / "m.zkmlc")
    x = np.random.default_rng(0).uniform(-1, 1, size=(2, 12))
    (tmp / "x.json").write_text(json.dumps({"input_data": x.tolist()}))
    return tmp, cm, x


def test_the_estimate_grows_with_the_batch_and_covers_the_stack(case):
    _, cm, _ = case
    c = cm.circuit
    one, many = estimate_prove_bytes(c, 1), estimate_prove_bytes(c, 64)
    assert many > one
    # at least the model stack and the witness as 32-byte field elements
    assert one >= 32 * ((1 << c.model_stack.num_vars) + c.witness_size(1))


def test_parse_bytes_reads_counts_and_suffixes():
    assert parse_bytes("1073741824") == 1 << 30
    assert parse_bytes("8G") == 8 << 30
    assert parse_bytes("512m") == 512 << 20
    assert parse_bytes("1.5GiB") == 3 << 29
    with pytest.raises(ValueError):
        parse_bytes("lots")
    assert format_bytes(3 << 29) == "1.5 GB"


def test_the_environment_variable_sets_the_limit(monkeypatch):
    monkeypatch.setenv(MEMORY_ENV, "3M")
    assert available_bytes() == 3 << 20
    monkeypatch.setenv(MEMORY_ENV, "plenty")
    with pytest.raises(ProverError, match=MEMORY_ENV):
        available_bytes()


def test_check_refuses_over_the_limit_and_passes_under_it(case):
    _, cm, _ = case
    need = estimate_prove_bytes(cm.circuit, 2)
    assert check_prove_memory(cm.circuit, 2, limit=need) == need
    with pytest.raises(ProveMemoryError) as info:
        check_prove_memory(cm.circuit, 2, limit=need - 1)
    msg = str(info.value)
    assert msg.startswith("not enough memory: proving 2 row(s) needs about")
    assert "\n" not in msg and exit_code(info.value) == EXIT_MEMORY == 4


def test_prove_refuses_up_front_and_proves_when_told_to_ignore(case, monkeypatch):
    _, cm, x = case
    monkeypatch.setenv(MEMORY_ENV, "1M")
    with pytest.raises(ProveMemoryError, match="needs about"):
        zkml.prove(cm, x)
    result = zkml.prove(cm, x, check_memory=False)
    assert zkml.verify(result.proof, cm.verifying_key).batch == 2
    monkeypatch.setenv(MEMORY_ENV, "64G")
    assert zkml.prove(cm, x).batch == 2


def test_cli_prove_refuses_with_one_line_and_exit_4(case, monkeypatch, capsys):
    tmp, _, _ = case
    monkeypatch.setenv(MEMORY_ENV, "1M")
    args = ["prove", str(tmp / "m.zkmlc"), "--input", str(tmp / "x.json"),
            "-o", str(tmp / "refused.proof")]
    code, out, err = run_cli(args, capsys)
    assert code == 4 and out == ""
    assert err.startswith("error: not enough memory: proving 2 row(s) needs about ")
    assert err.count("\n") == 1 and "--ignore-memory" in err
    assert not (tmp / "refused.proof").exists()
    code, out, err = run_cli([*args, "--ignore-memory"], capsys)
    assert code == 0 and (tmp / "refused.proof").exists(), err


def test_cli_compile_prints_the_estimate(case, monkeypatch):
    from zkml.cli.compile_cmd import prove_memory_line

    _, cm, _ = case
    need = format_bytes(estimate_prove_bytes(cm.circuit, 1))
    monkeypatch.setenv(MEMORY_ENV, "64G")
    assert prove_memory_line(cm.circuit) == (
        f"estimated prove memory: {need} for one example (64.0 GB available now: fits)")
    monkeypatch.setenv(MEMORY_ENV, "1K")
    assert prove_memory_line(cm.circuit).endswith(
        "(1.0 KB available now: does NOT fit: zkml prove will refuse it)")
