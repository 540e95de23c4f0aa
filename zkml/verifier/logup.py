"""LogUp-GKR verification (logup.md): a fraction tree whose root must sum to zero.

`logup_verify` reduces the claim "the 2^D leaf fractions p_i / q_i sum to zero" to
claims `P = p_D(rho)` and `Q = q_D(rho)` on the leaf MLEs, which the caller checks
against its leaf layout. Every layer is one degree-3 sumcheck whose final value is
checked here with eq computed by the verifier.
"""

from __future__ import annotations

from dataclasses import dataclass

from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier.encoding import MAX_NUM_VARS, Reader, enc_fr, enc_u32
from zkml.verifier.field import R, eq_eval
from zkml.verifier.sumcheck import (
    SumcheckProof,
    encode_sumcheck_proof,
    parse_sumcheck_proof,
    sumcheck_verify,
)
from zkml.verifier.transcript import Transcript

__all__ = ["LogupLayer", "LogupProof", "parse_logup_proof", "encode_logup_proof", "logup_verify"]

#: Four field elements: [p0, p1, q0, q1] (the root, or a layer's child evaluations).
Quad = tuple[int, int, int, int]


@dataclass(frozen=True)
class LogupLayer:
    """Layer k (1 <= k < D): the sumcheck over k variables and [p0(s), p1(s), q0(s), q1(s)]."""

    sumcheck: SumcheckProof
    evals: Quad


@dataclass(frozen=True)
class LogupProof:
    """`u32 D || Fr[4] root || for k = 1..D-1: SumcheckProof(k, 3) || Fr[4] evals`."""

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
        raise ProofFormatError(f"{what}: depth {d}, the statement fixes {num_vars}")
    if not 1 <= d <= MAX_NUM_VARS:
        raise ProofFormatError(f"{what}: depth {d} outside 1..{MAX_NUM_VARS}")
    # the rounds alone are sum_k k*4*32 bytes: reject a short proof before reading it
    if 128 * d + (d - 1) * d * 64 + (d - 1) * 8 > reader.remaining:
        raise ProofFormatError(f"{what}: truncated (depth {d})")
    root = _quad(reader, f"{what} root")
    layers = []
    for k in range(1, d):
        sc = parse_sumcheck_proof(reader, k, 3, f"{what} layer {k} sumcheck")
        layers.append(LogupLayer(sc, _quad(reader, f"{what} layer {k} evals")))
    return LogupProof(d, root, tuple(layers))


def encode_logup_proof(proof: LogupProof) -> bytes:
    """The bytes `parse_logup_proof` reads (for tests and tools)."""
    out = [enc_u32(proof.num_vars)] + [enc_fr(v) for v in proof.root]
    for layer in proof.layers:
        out.append(encode_sumcheck_proof(layer.sumcheck))
        out += [enc_fr(v) for v in layer.evals]
    return b"".join(out)


def logup_verify(
    transcript: Transcript, num_vars: int, proof: LogupProof, what: str = "logup"
) -> tuple[list[int], int, int]:
    """Verify the fraction tree of depth `D = num_vars`; returns (rho, P, Q).

    The caller must check `P == p_D(rho)` and `Q == q_D(rho)` against the leaves.
    """
    if proof.num_vars != num_vars or len(proof.layers) != num_vars - 1 or num_vars < 1:
        raise VerificationError(f"{what}: proof depth does not match the statement")
    root = proof.root
    transcript.absorb_frs("logup-root", root)
    if (root[0] * root[3] + root[1] * root[2]) % R != 0:
        raise VerificationError(f"{what}: the fractions do not sum to zero")
    if root[2] * root[3] % R == 0:
        raise VerificationError(f"{what}: zero denominator at the root")
    mu = transcript.squeeze("logup-mu")
    r = [mu]
    p_claim = (root[0] + mu * (root[1] - root[0])) % R
    q_claim = (root[2] + mu * (root[3] - root[2])) % R
    for k, layer in enumerate(proof.layers, start=1):
        lam = transcript.squeeze("logup-lambda")
        s, final = sumcheck_verify(
            transcript, p_claim + lam * q_claim, k, 3, layer.sumcheck, f"{what} layer {k}"
        )
        e = layer.evals
        transcript.absorb_frs("logup-layer-evals", e)
        expected = eq_eval(r, s) * (e[0] * e[3] + e[1] * e[2] + lam * e[2] * e[3]) % R
        if final != expected:
            raise VerificationError(f"{what} layer {k}: sumcheck final != eq * layer relation")
        mu = transcript.squeeze("logup-mu")
        r = [mu, *s]
        p_claim = (e[0] + mu * (e[1] - e[0])) % R
        q_claim = (e[2] + mu * (e[3] - e[2])) % R
    return r, p_claim, q_claim
