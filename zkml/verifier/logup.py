"""LogUp-GKR verification (logup.md): fraction trees whose leaves sum to zero.

`logup_verify_trees` reduces the claim "the leaf fractions p_i / q_i of each group of
trees sum to zero" to claims `P = p_D(rho)` and `Q = q_D(rho)` on each tree's leaf MLEs, which
the caller checks against its leaf layout. Every layer is one eq-factored sumcheck of degree 2
(sumcheck.md) whose final value is checked here against the layer relation (no eq factor).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zkml.errors import ProofFormatError, TruncatedProofError, VerificationError
from zkml.verifier.encoding import MAX_NUM_VARS, Reader, enc_fr, enc_u32
from zkml.verifier.field import R
from zkml.verifier.sumcheck import (
    EqSumcheckProof,
    encode_eq_sumcheck_proof,
    eq_sumcheck_verify,
    parse_eq_sumcheck_proof,
)
from zkml.verifier.transcript import Transcript

__all__ = [
    "LogupLayer",
    "LogupProof",
    "parse_logup_proof",
    "parse_logup_trees",
    "encode_logup_proof",
    "logup_verify",
    "logup_verify_trees",
]

#: Four field elements: [p0, p1, q0, q1] (the root, or a layer's child evaluations).
Quad = tuple[int, int, int, int]


@dataclass(frozen=True)
class LogupLayer:
    """Layer k (1 <= k < D): the eq-factored sumcheck over k variables and
    [p0(s), p1(s), q0(s), q1(s)]."""

    sumcheck: EqSumcheckProof
    evals: Quad


@dataclass(frozen=True)
class LogupProof:
    """`u32 D || Fr[4] root || for k = 1..D-1: EqSumcheckProof(k, 2) || Fr[4] evals`."""

    num_vars: int
    root: Quad
    layers: tuple[LogupLayer, ...]


def _quad(reader: Reader, what: str) -> Quad:
    a, b, c, d = (reader.fr(f"{what}[{i}]") for i in range(4))
    return (a, b, c, d)


def parse_logup_proof(reader: Reader, num_vars: int, what: str = "logup") -> LogupProof:
    """Read a LogupProof whose depth `D` must equal `num_vars` (fixed by the protocol)."""
    d = reader.u32(f"{what} depth")
    if d != num_vars:
        raise ProofFormatError(f"{what}: depth {d}, the statement fixes {num_vars}",
                               check="logup.shape")
    if not 1 <= d <= MAX_NUM_VARS:
        raise ProofFormatError(f"{what}: depth {d} outside 1..{MAX_NUM_VARS}", check="proof.limits")
    # root and evals 128 D, the rounds sum_k k*2*32, headers 8 (D - 1): reject a short
    # proof before reading it
    if 128 * d + (d - 1) * d * 32 + (d - 1) * 8 > reader.remaining:
        raise TruncatedProofError(f"{what}: truncated (depth {d})", check="proof.truncated")
    root = _quad(reader, f"{what} root")
    layers = []
    for k in range(1, d):
        sc = parse_eq_sumcheck_proof(reader, k, 2, f"{what} layer {k} sumcheck")
        layers.append(LogupLayer(sc, _quad(reader, f"{what} layer {k} evals")))
    return LogupProof(d, root, tuple(layers))


def parse_logup_trees(
    reader: Reader, depths: Sequence[int], what: str = "logup"
) -> tuple[LogupProof, ...]:
    """Read one LogupProof per tree, each of the depth the protocol fixes."""
    return tuple(parse_logup_proof(reader, d, f"{what} tree {i}") for i, d in enumerate(depths))


def encode_logup_proof(proof: LogupProof) -> bytes:
    """The bytes `parse_logup_proof` reads (for tests and tools)."""
    out = [enc_u32(proof.num_vars)] + [enc_fr(v) for v in proof.root]
    for layer in proof.layers:
        out.append(encode_eq_sumcheck_proof(layer.sumcheck))
        out += [enc_fr(v) for v in layer.evals]
    return b"".join(out)


def logup_verify_trees(
    transcript: Transcript,
    depths: Sequence[int],
    proofs: Sequence[LogupProof],
    what: str = "logup",
    groups: Sequence[int] | None = None,
) -> list[tuple[list[int], int, int]]:
    """Verify fraction trees whose leaves sum to zero group by group (logup.md).

    `groups` partitions the trees into consecutive groups (tree counts in order; None:
    one group of all trees). Each group is one table's entries and the lookups against
    that table, and must sum to zero on its own, so a lookup is never paid for by
    another table's entries (circuits/soundness.md, lookup separation). Every root is
    absorbed before any layer; returns each tree's (rho, P, Q), which the caller checks
    against that tree's leaf layout.
    """
    named = groups is not None  # errors name the group when the caller has groups
    groups = (len(depths),) if groups is None else tuple(groups)
    if any(g < 1 for g in groups) or sum(groups) != len(depths):
        raise VerificationError(f"{what}: tree groups do not partition the trees",
                                check="logup.groups")
    if len(proofs) != len(depths):
        raise VerificationError(f"{what}: {len(proofs)} trees, the statement fixes {len(depths)}",
                                check="logup.shape")
    for proof, d in zip(proofs, depths, strict=True):
        if proof.num_vars != d or len(proof.layers) != d - 1 or d < 1:
            raise VerificationError(f"{what}: proof depth does not match the statement",
                                    check="logup.shape")
    for proof in proofs:
        transcript.absorb_frs("logup-root", proof.root)
    start = 0
    for g, count in enumerate(groups):
        where = f"{what} group {g}" if named else what
        _check_group_sum([p.root for p in proofs[start:start + count]], where)
        start += count
    return [
        _verify_layers(transcript, proof, f"{what} tree {i}" if len(proofs) > 1 else what)
        for i, proof in enumerate(proofs)
    ]


def _check_group_sum(roots: Sequence[Quad], what: str) -> None:
    """The roots' fractions add to zero: zero numerator, nonzero denominator."""
    num, den = 0, 1
    for root in roots:
        p_i = (root[0] * root[3] + root[1] * root[2]) % R
        q_i = root[2] * root[3] % R
        num, den = (num * q_i + p_i * den) % R, den * q_i % R
    if num != 0:
        raise VerificationError(
            f"{what}: the fractions do not sum to zero (a lookup is not in its own table)",
            check="logup.group-sum",
        )
    if den == 0:
        raise VerificationError(f"{what}: zero denominator at a root",
                                check="logup.root-denominator")


def logup_verify(
    transcript: Transcript, num_vars: int, proof: LogupProof, what: str = "logup"
) -> tuple[list[int], int, int]:
    """Verify one fraction tree of depth `D = num_vars`; returns (rho, P, Q)."""
    return logup_verify_trees(transcript, [num_vars], [proof], what)[0]


def _verify_layers(
    transcript: Transcript, proof: LogupProof, what: str
) -> tuple[list[int], int, int]:
    root = proof.root
    mu = transcript.squeeze("logup-mu")
    r = [mu]
    p_claim = (root[0] + mu * (root[1] - root[0])) % R
    q_claim = (root[2] + mu * (root[3] - root[2])) % R
    for k, layer in enumerate(proof.layers, start=1):
        lam = transcript.squeeze("logup-lambda")
        s, final = eq_sumcheck_verify(
            transcript, p_claim + lam * q_claim, r, 2, layer.sumcheck, f"{what} layer {k}"
        )
        e = layer.evals
        transcript.absorb_frs("logup-layer-evals", e)
        # the eq-factored final is already divided by eq(r, s): the relation alone
        expected = (e[0] * e[3] + e[1] * e[2] + lam * e[2] * e[3]) % R
        if final != expected:
            raise VerificationError(f"{what} layer {k}: sumcheck final != layer relation",
                                    check="logup.layer")
        mu = transcript.squeeze("logup-mu")
        r = [mu, *s]
        p_claim = (e[0] + mu * (e[1] - e[0])) % R
        q_claim = (e[2] + mu * (e[3] - e[2])) % R
    return r, p_claim, q_claim
