"""Blinders never repeat (zka_blinders): no point or scalar of a kind-5 proof appears
twice among many proofs of one statement, made here and by two processes proving at once
with one compiled model file, and no two of them share a 16-byte run past the statement;
kind-3 proofs of the same statement repeat everything (the
check is live)."""

from __future__ import annotations

import pytest
from zka_blinders import (
    local_proofs,
    prove_in_processes,
    repeats,
    same_statement,
    shared_runs,
)
from zka_elements import statement_end
from zka_models import inputs, vk_of

from zkml.verifier.inference import InferenceVerifier


def _run(models, tmp_path, n_local: int, n_each: int, runs: bool = False) -> None:
    cm, vk = models.a5, vk_of(models.a5)
    x = inputs(1, seed=41)
    proofs = local_proofs(cm, x, n_local) + prove_in_processes(cm, x, tmp_path, n_each)
    assert len(proofs) == n_local + 2 * n_each and same_statement(vk, proofs)
    InferenceVerifier(vk).verify(proofs[-1])  # the processes' proofs are honest ones
    total, dup = repeats(vk, proofs)
    # every 32-byte element past each proof's statement is compared (all its bytes but
    # the u32 depths and counts, under 64 bytes a proof), and none repeats
    uncounted = sum(len(p) - statement_end(vk, p) for p in proofs) - 32 * total
    assert total > 0 and 0 <= uncounted < 64 * len(proofs)
    assert dup == 0
    if runs:  # and no 16-byte run past the statement is shared by any two of them
        assert shared_runs(vk, proofs) == 0
    # live: two kind-3 proofs of the statement share every element
    a, b = local_proofs(models.a3, x, 2)
    assert a == b


def test_blinders_never_repeat_across_proofs_and_processes(models, tmp_path):
    _run(models, tmp_path, n_local=3, n_each=3, runs=True)


@pytest.mark.slow
def test_blinders_never_repeat_many_proofs(models, tmp_path):
    _run(models, tmp_path, n_local=50, n_each=100)
