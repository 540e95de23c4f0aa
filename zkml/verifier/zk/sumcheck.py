"""The committed sumcheck (circuits/zk.md 5.2): rounds are `d` commitments each (to
`p(0)`, `p(2)..p(d)`; `p(1)`'s form is the running claim minus `p(0)`), claims are
linear forms, and the final claim is a form the caller checks through the one linear
check or a proof of product."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from zkml.errors import ProofFormatError
from zkml.verifier.encoding import MAX_DEGREE, MAX_NUM_VARS, Reader
from zkml.verifier.field import R
from zkml.verifier.msm import G1Point
from zkml.verifier.sumcheck import check_eq_point
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk.forms import Form

__all__ = ["read_rounds", "verify_batched", "verify_eq", "lagrange_basis"]


def read_rounds(r: Reader, num_vars: int, degree: int) -> list[list[G1Point]]:
    """`n * d` points (the statement fixes both; no counts)."""
    if not 0 <= num_vars <= MAX_NUM_VARS or not 1 <= degree <= MAX_DEGREE:
        raise ProofFormatError("zk sumcheck shape out of limits", check="proof.limits")
    return [[r.g1("zk sumcheck round") for _ in range(degree)] for _ in range(num_vars)]


def lagrange_basis(d: int, c: int) -> list[int]:
    """`L_k(c)` for the Lagrange basis on the nodes `0..d`: `prod_{j != k} (c - j) /
    (k - j)`, from prefix and suffix products of `c - j` (one inversion of the
    denominators' product, which depend on `d` only)."""
    c %= R
    if c <= d:
        return [int(k == c) for k in range(d + 1)]
    diffs = [c - j for j in range(d + 1)]
    prefix = [1] * (d + 2)
    for j in range(d + 1):
        prefix[j + 1] = prefix[j] * diffs[j] % R
    inv = _inverse_denominators(d)
    out = [0] * (d + 1)
    suffix = 1
    for k in range(d, -1, -1):
        out[k] = prefix[k] * suffix % R * inv[k] % R
        suffix = suffix * diffs[k] % R
    return out


@functools.cache
def _inverse_denominators(d: int) -> tuple[int, ...]:
    """`1 / prod_{j != k} (k - j)` mod r for k = 0..d."""
    out = []
    for k in range(d + 1):
        den = 1
        for j in range(d + 1):
            if j != k:
                den = den * (k - j) % R
        out.append(pow(den, -1, R))
    return tuple(out)


def verify_batched(t: Transcript, claims: Sequence[Form], inst_vars: Sequence[int], degree: int,
                   rounds: Sequence[Sequence[G1Point]]) -> tuple[list[int], list[int], Form]:
    """Run the rounds on the transcript; returns the point, the batching weights `beta^i`
    and the final claim's form. Instance `i`'s point is the last `inst_vars[i]`
    coordinates; the caller checks the final form against the instances' values."""
    n = max(inst_vars, default=0)
    if len(claims) != len(inst_vars) or len(rounds) != n or any(len(a) != degree
                                                                 for a in rounds):
        raise ProofFormatError("zk sumcheck shape differs from the statement",
                               check="sumcheck.shape")
    t.absorb_u32("zk-sumcheck-vars", n)
    t.absorb_u32("zk-sumcheck-degree", degree)
    beta = t.squeeze("sumcheck-batch")
    weights = [pow(beta, i, R) for i in range(len(claims))]
    claim = Form.combine((w * pow(2, n - nv, R) % R, c)
                         for w, nv, c in zip(weights, inst_vars, claims, strict=True))
    point = []
    for a in rounds:
        t.absorb_points("zk-sumcheck-round", list(a))
        c = t.squeeze("sumcheck-challenge")
        a0 = Form.of(a[0])
        values = [a0, claim - a0, *(Form.of(p) for p in a[1:])]
        claim = Form.combine(zip(lagrange_basis(degree, c), values, strict=True))
        point.append(c)
    return point, weights, claim


def verify_eq(t: Transcript, claim: Form, r: Sequence[int], degree: int,
              rounds: Sequence[Sequence[G1Point]]) -> tuple[list[int], Form]:
    """The committed eq-factored sumcheck (zk.md 5.2, "Eq-factored") of
    `sum_x eq(r, x) F(x)` against the claim form; each round holds `g(0), g(2..d)`'s
    commitments and `g(1)`'s form is `r_j^{-1} (H - (1 - r_j) g(0))`. Returns the point
    and the final (K-free) form, which the caller checks against `F(point)`."""
    n = len(r)
    if len(rounds) != n or any(len(a) != degree for a in rounds):
        raise ProofFormatError("zk eq sumcheck shape differs from the statement",
                               check="sumcheck.shape")
    check_eq_point(r, "zk eq sumcheck")
    t.absorb_u32("zk-eq-sumcheck-vars", n)
    t.absorb_u32("zk-eq-sumcheck-degree", degree)
    h, point = claim, []
    for a, r_j in zip(rounds, r, strict=True):
        t.absorb_points("zk-eq-sumcheck-round", list(a))
        c = t.squeeze("sumcheck-challenge")
        a0 = Form.of(a[0])
        inv = pow(r_j, -1, R)
        g1 = Form.combine([(inv, h), (-(1 - r_j) * inv % R, a0)])
        values = [a0, g1, *(Form.of(p) for p in a[1:])]
        h = Form.combine(zip(lagrange_basis(degree, c), values, strict=True))
        point.append(c)
    return point, h
