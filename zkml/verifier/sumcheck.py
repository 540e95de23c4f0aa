"""Sumcheck verification (sumcheck.md): the single, the batched and the eq-factored form.

The verifier only reduces a sum claim to a claim `final == g(point)`; checking that
final value is the caller's job, and a sumcheck whose final value is not checked
proves nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zkml.errors import ProofFormatError, TruncatedProofError, VerificationError
from zkml.verifier.encoding import MAX_DEGREE, MAX_NUM_VARS, Reader, enc_frs, enc_u32
from zkml.verifier.field import R, lagrange_eval
from zkml.verifier.transcript import Transcript

__all__ = [
    "SumcheckProof",
    "parse_sumcheck_proof",
    "encode_sumcheck_proof",
    "sumcheck_verify",
    "BatchedSumcheckResult",
    "batched_sumcheck_verify",
    "EqSumcheckProof",
    "parse_eq_sumcheck_proof",
    "encode_eq_sumcheck_proof",
    "eq_sumcheck_verify",
    "eq_round_values",
    "check_eq_point",
]


@dataclass(frozen=True)
class SumcheckProof:
    """`num_vars` round polynomials of degree `degree`, each as values at 0..degree."""

    num_vars: int
    degree: int
    rounds: tuple[tuple[int, ...], ...]


def parse_sumcheck_proof(
    reader: Reader, num_vars: int, degree: int, what: str = "sumcheck"
) -> SumcheckProof:
    """Read `u32 n || u32 d || n*(d+1) Fr`; n and d must equal what the protocol fixes."""
    n = reader.u32(f"{what} num_vars")
    d = reader.u32(f"{what} degree")
    if n != num_vars:
        raise ProofFormatError(f"{what}: {n} rounds, the statement fixes {num_vars}",
                               check="sumcheck.shape")
    if d != degree:
        raise ProofFormatError(f"{what}: degree {d}, the statement fixes {degree}",
                               check="sumcheck.shape")
    if n > MAX_NUM_VARS or not 1 <= d <= MAX_DEGREE:
        raise ProofFormatError(f"{what}: shape (n={n}, d={d}) outside the limits",
                               check="proof.limits")
    if n * (d + 1) * 32 > reader.remaining:
        raise TruncatedProofError(f"{what}: truncated round polynomials", check="proof.truncated")
    rounds = tuple(
        tuple(reader.fr(f"{what} round {j} value {t}") for t in range(d + 1)) for j in range(n)
    )
    return SumcheckProof(n, d, rounds)


def encode_sumcheck_proof(proof: SumcheckProof) -> bytes:
    """The bytes `parse_sumcheck_proof` reads (used by tests and tools)."""
    out = [enc_u32(proof.num_vars), enc_u32(proof.degree)]
    out += [enc_frs(e)[4:] for e in proof.rounds]
    return b"".join(out)


def sumcheck_verify(
    transcript: Transcript,
    claim: int,
    num_vars: int,
    degree: int,
    proof: SumcheckProof,
    what: str = "sumcheck",
) -> tuple[list[int], int]:
    """Run the sumcheck verifier; returns (point, final) with point in variable order.

    Raises VerificationError naming the round whose p(0) + p(1) differs from the claim.
    """
    if proof.num_vars != num_vars or proof.degree != degree:
        raise VerificationError(f"{what}: proof shape does not match the statement",
                                check="sumcheck.shape")
    if len(proof.rounds) != num_vars or any(len(e) != degree + 1 for e in proof.rounds):
        raise VerificationError(f"{what}: malformed round polynomials", check="sumcheck.shape")
    transcript.absorb_u32("sumcheck-vars", num_vars)
    transcript.absorb_u32("sumcheck-degree", degree)
    claim %= R
    transcript.absorb_fr("sumcheck-claim", claim)
    point = []
    for j, e in enumerate(proof.rounds):
        if (e[0] + e[1]) % R != claim:
            raise VerificationError(f"{what} round {j}: p(0)+p(1) != claim",
                                    check="sumcheck.round-sum")
        transcript.absorb_frs("sumcheck-round", e)
        c = transcript.squeeze("sumcheck-challenge")
        point.append(c)
        claim = lagrange_eval(e, c)
    return point, claim


@dataclass(frozen=True)
class BatchedSumcheckResult:
    """Outcome of a batched sumcheck; the caller checks
    `final == sum_i beta^i * g_i(points[i])`."""

    beta: int
    point: list[int]
    final: int
    points: list[list[int]]

    def combine(self, values: Sequence[int]) -> int:
        """sum_i beta^i * values[i] mod r (the expected final from per-instance values)."""
        acc = 0
        for v in reversed(values):
            acc = (acc * self.beta + v) % R
        return acc


def batched_sumcheck_verify(
    transcript: Transcript,
    claims: Sequence[int],
    num_vars: Sequence[int],
    degrees: Sequence[int],
    proof: SumcheckProof,
    what: str = "batched sumcheck",
) -> BatchedSumcheckResult:
    """Several front-padded instances run as one sumcheck (sumcheck.md, "Batched")."""
    k = len(claims)
    if k == 0 or len(num_vars) != k or len(degrees) != k:
        raise VerificationError(f"{what}: empty or inconsistent instance list",
                                check="sumcheck.batch-shape")
    n = max(num_vars)
    d = max(degrees)
    for c in claims:
        transcript.absorb_fr("batch-claim", c)
    beta = transcript.squeeze("sumcheck-batch")
    claim = 0
    for i in range(k - 1, -1, -1):
        claim = (claim * beta + (claims[i] << (n - num_vars[i]))) % R
    point, final = sumcheck_verify(transcript, claim, n, d, proof, what)
    points = [point[n - ni :] for ni in num_vars]
    return BatchedSumcheckResult(beta, point, final, points)


@dataclass(frozen=True)
class EqSumcheckProof:
    """An eq-factored sumcheck (sumcheck.md): per round `g(0), g(2), .., g(d)`."""

    num_vars: int
    degree: int
    rounds: tuple[tuple[int, ...], ...]


def parse_eq_sumcheck_proof(
    reader: Reader, num_vars: int, degree: int, what: str = "sumcheck"
) -> EqSumcheckProof:
    """Read `u32 n || u32 d || n*d Fr`; n and d must equal what the protocol fixes."""
    n = reader.u32(f"{what} num_vars")
    d = reader.u32(f"{what} degree")
    if n != num_vars or d != degree:
        raise ProofFormatError(f"{what}: shape (n={n}, d={d}), the statement fixes "
                               f"({num_vars}, {degree})", check="sumcheck.shape")
    if n > MAX_NUM_VARS or not 1 <= d <= MAX_DEGREE:
        raise ProofFormatError(f"{what}: shape (n={n}, d={d}) outside the limits",
                               check="proof.limits")
    if n * d * 32 > reader.remaining:
        raise TruncatedProofError(f"{what}: truncated round values", check="proof.truncated")
    rounds = tuple(
        tuple(reader.fr(f"{what} round {j} value {t}") for t in range(d)) for j in range(n)
    )
    return EqSumcheckProof(n, d, rounds)


def encode_eq_sumcheck_proof(proof: EqSumcheckProof) -> bytes:
    """The bytes `parse_eq_sumcheck_proof` reads (used by tests and tools)."""
    out = [enc_u32(proof.num_vars), enc_u32(proof.degree)]
    out += [enc_frs(e)[4:] for e in proof.rounds]
    return b"".join(out)


def eq_round_values(sent: Sequence[int], h: int, r_j: int) -> list[int]:
    """`g` at `0..d` from the sent `g(0), g(2..d)` and the K-free claim
    `h = (1 - r_j) g(0) + r_j g(1)`; `r_j` must be non-zero (checked by the caller)."""
    g1 = (h - (1 - r_j) * sent[0]) * pow(r_j, -1, R) % R
    return [sent[0] % R, g1, *(v % R for v in sent[1:])]


def check_eq_point(r: Sequence[int], what: str) -> None:
    """Reject an eq point with a zero coordinate: `g_j(1)`'s derivation divides by
    `r_j` (sumcheck.md, "Degenerate challenge")."""
    for j, x in enumerate(r):
        if x % R == 0:
            raise VerificationError(f"{what}: eq point coordinate {j} is zero",
                                    check="sumcheck.eq-degenerate")


def eq_sumcheck_verify(
    transcript: Transcript,
    claim: int,
    r: Sequence[int],
    degree: int,
    proof: EqSumcheckProof,
    what: str = "sumcheck",
) -> tuple[list[int], int]:
    """The eq-factored sumcheck of `sum_x eq(r, x) F(x) = claim` (sumcheck.md); returns
    (point, final) where the caller checks `final == F(point)` (no eq factor: the claim
    is tracked divided by `eq(r_<j, c_<j)`)."""
    n = len(r)
    if proof.num_vars != n or proof.degree != degree or len(proof.rounds) != n or any(
            len(e) != degree for e in proof.rounds):
        raise VerificationError(f"{what}: proof shape does not match the statement",
                                check="sumcheck.shape")
    check_eq_point(r, what)
    transcript.absorb_u32("eq-sumcheck-vars", n)
    transcript.absorb_u32("eq-sumcheck-degree", degree)
    h = claim % R
    transcript.absorb_fr("sumcheck-claim", h)
    point = []
    for sent, r_j in zip(proof.rounds, r, strict=True):
        transcript.absorb_frs("eq-sumcheck-round", sent)
        c = transcript.squeeze("sumcheck-challenge")
        point.append(c)
        h = lagrange_eval(eq_round_values(sent, h, r_j), c)
    return point, h
