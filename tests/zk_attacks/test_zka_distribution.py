"""Indistinguishability (zka_distribution): kind-5 proofs of one statement by the model
and by its twin (other weights, the same outputs and scales) pass a per-position
two-sample test; kind-3 proofs of the same pair fail it in most positions."""

from __future__ import annotations

import time

import numpy as np
import pytest
from zka_distribution import binomial_tail_bound, flagged, positions
from zka_models import inputs, prove, vk_of

ALPHA = 1e-3


def _samples(cm, x: np.ndarray, n: int) -> np.ndarray:
    return positions(vk_of(cm), [prove(cm, x) for _ in range(n)])


def _distinguish(models, n: int) -> dict:
    x = inputs(1, seed=51)[0]
    a5, b5 = _samples(models.a5, x, n), _samples(models.b5, x, n)
    hits5, k5 = flagged(a5, b5, ALPHA)
    a3, b3 = _samples(models.a3, x, n), _samples(models.b3, x, n)
    hits3, k3 = flagged(a3, b3, ALPHA)
    return {"hits5": hits5, "k5": k5, "hits3": hits3, "k3": k3,
            "bound5": binomial_tail_bound(k5, ALPHA, 1e-6)}


def test_kind5_proofs_of_twin_models_are_indistinguishable(models):
    """16 proofs per model: a difference of the distributions in one position in a
    thousand would show; kind 3 (the control) shows it in most positions."""
    r = _distinguish(models, 16)
    assert r["hits5"] <= r["bound5"], r
    assert r["hits3"] > r["k3"] // 2, r


@pytest.mark.slow
def test_kind5_proofs_of_twin_models_are_indistinguishable_many_proofs(models):
    t = time.perf_counter()
    r = _distinguish(models, 300)
    print(f"\nzk-attacks distribution: 300 proofs per model and kind, kind 5 "
          f"{r['hits5']}/{r['k5']} positions at p<{ALPHA} (bound {r['bound5']}), kind 3 "
          f"{r['hits3']}/{r['k3']}, {time.perf_counter() - t:.1f} s")
    assert r["hits5"] <= r["bound5"], r
    assert r["hits3"] > r["k3"] // 2, r
