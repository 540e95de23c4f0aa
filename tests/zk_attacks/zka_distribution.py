"""The per-position distinguisher: proofs of one statement by two models with other
weights (the twins: equal outputs, equal public scales) are cut into 32-byte positions
after the statement, and each position's values over many proofs from one model are
compared with the other model's by a two-sample Kolmogorov-Smirnov test. A proof that
hides the weights makes every position's two samples draws of one distribution, so about
`alpha` of the positions fall under `alpha` by chance and no more; kind-3 proofs (one
fixed proof per statement and model) differ in most positions with `D = 1`."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from zka_elements import statement_end

from zkml.verifier.model_key import VerifyingKey


def positions(vk: VerifyingKey, proofs: Sequence[bytes]) -> np.ndarray:
    """proofs x positions: each 32-byte chunk after the statement as a float in [0, 1)
    (its big-endian value over 2^256; equal chunks give equal floats)."""
    start = statement_end(vk, proofs[0])
    rows = []
    for p in proofs:
        body = p[start:]
        rows.append([int.from_bytes(body[i:i + 32].ljust(32, b"\0"), "big") / 2.0 ** 256
                     for i in range(0, len(body), 32)])
    return np.array(rows)


def ks_pvalue(a: np.ndarray, b: np.ndarray) -> float:
    """The two-sample Kolmogorov-Smirnov test's p-value (asymptotic Kolmogorov
    distribution with Stephens' small-sample correction)."""
    both = np.concatenate([a, b])
    fa = np.searchsorted(np.sort(a), both, side="right") / len(a)
    fb = np.searchsorted(np.sort(b), both, side="right") / len(b)
    d = float(np.max(np.abs(fa - fb)))
    if d == 0.0:
        return 1.0
    en = math.sqrt(len(a) * len(b) / (len(a) + len(b)))
    lam = (en + 0.12 + 0.11 / en) * d
    p = 2 * sum((-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101))
    return min(1.0, max(0.0, p))


def flagged(a: np.ndarray, b: np.ndarray, alpha: float) -> tuple[int, int]:
    """(positions whose samples differ at level `alpha`, positions compared)."""
    assert a.shape[1] == b.shape[1], "the two models' proofs have different layouts"
    hits = sum(ks_pvalue(a[:, k], b[:, k]) < alpha for k in range(a.shape[1]))
    return hits, a.shape[1]


def binomial_tail_bound(n: int, alpha: float, p_fail: float) -> int:
    """The least `m` with P(Binomial(n, alpha) > m) < p_fail: more flagged positions than
    this means the samples differ (a false alarm has probability below `p_fail`)."""
    m, cdf = 0, 0.0
    term = (1 - alpha) ** n
    while True:
        cdf += term
        if 1 - cdf < p_fail:
            return m
        term *= (n - m) / (m + 1) * alpha / (1 - alpha)
        m += 1
