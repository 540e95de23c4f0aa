"""Artifact container and the proof kinds of the foundation (proofs.md).

Each kind is parsed completely (strictly, with every count checked before it is
used) before any check runs; then its transcript absorbs the whole statement before
the first challenge, exactly in the order proofs.md lists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier.encoding import MAX_CLAIMS, MAX_STACKS, G1Point, Reader, enc_g1s
from zkml.verifier.field import R
from zkml.verifier.hyrax import (
    Claim,
    Stack,
    StackOpening,
    batch_open_verify,
    check_shape,
    parse_batch_opening_proof,
)
from zkml.verifier.sumcheck import SumcheckProof, parse_sumcheck_proof, sumcheck_verify
from zkml.verifier.transcript import Transcript

__all__ = [
    "MAGIC",
    "VERSION",
    "KIND_VERSIONS",
    "KIND_PCS_BATCH_OPENING",
    "KIND_PRODUCT_SUMCHECK",
    "KIND_INFERENCE",
    "KIND_VERIFYING_KEY",
    "KIND_HIDING_INFERENCE",
    "INFERENCE_KINDS",
    "KIND_HIDING_VERIFYING_KEY",
    "KIND_NAMES",
    "Statement",
    "StackStatement",
    "BatchOpeningStatement",
    "ProductSumcheckStatement",
    "read_header",
    "parse_artifact",
    "verify_parsed",
]

MAGIC = b"ZKML"
VERSION = 1
KIND_PCS_BATCH_OPENING = 1
KIND_PRODUCT_SUMCHECK = 2
KIND_INFERENCE = 3
KIND_VERIFYING_KEY = 4
#: hiding inference proofs (circuits/zk_inference.md 1): kind 3's statement, every
#: private message committed
KIND_HIDING_INFERENCE = 5
#: the kinds verified against a model's verifying key
INFERENCE_KINDS = (KIND_INFERENCE, KIND_HIDING_INFERENCE)
KIND_HIDING_VERIFYING_KEY = 6
#: Each kind's current format version (encoding.md): inference proofs are at 2 since
#: their lookups balance per table (circuits/soundness.md, lookup separation).
KIND_VERSIONS = {
    KIND_PCS_BATCH_OPENING: VERSION,
    KIND_PRODUCT_SUMCHECK: VERSION,
    KIND_INFERENCE: 2,
    KIND_VERIFYING_KEY: VERSION,
    KIND_HIDING_INFERENCE: 1,
    KIND_HIDING_VERIFYING_KEY: VERSION,
}
KIND_NAMES = {
    KIND_PCS_BATCH_OPENING: "pcs-batch-opening",
    KIND_PRODUCT_SUMCHECK: "product-sumcheck",
    KIND_INFERENCE: "inference",
    KIND_VERIFYING_KEY: "verifying-key",
    KIND_HIDING_INFERENCE: "hiding-inference",
    KIND_HIDING_VERIFYING_KEY: "hiding-verifying-key",
}

GeneratorFn = Callable[[int], Sequence[G1Point]]


@dataclass(frozen=True)
class StackStatement:
    """A committed stack of the statement and the claims proven on it."""

    num_vars: int
    log_cols: int
    commitment: tuple[G1Point, ...]
    claims: tuple[Claim, ...]

    def commitment_bytes(self) -> bytes:
        """The commitment as its `Vec<G1>` encoding (for comparison with a known model)."""
        return enc_g1s(self.commitment)


@dataclass(frozen=True)
class Statement:
    """What a verified artifact proves. Subclasses carry the kind's public values."""

    kind: int
    kind_name: str
    seed_digest: bytes


@dataclass(frozen=True)
class BatchOpeningStatement(Statement):
    """Kind 1: each stack s evaluates to v_{s,k} at z_{s,k}."""

    stacks: tuple[StackStatement, ...]


@dataclass(frozen=True)
class ProductSumcheckStatement(Statement):
    """Kind 2: sum_x f(x) g(x) = claimed_sum for the committed f and g (same shape)."""

    num_vars: int
    log_cols: int
    commitment_f: tuple[G1Point, ...]
    commitment_g: tuple[G1Point, ...]
    claimed_sum: int


@dataclass(frozen=True)
class _Kind1:
    digest: bytes
    stacks: tuple[StackStatement, ...]
    openings: list[StackOpening]


@dataclass(frozen=True)
class _Kind2:
    digest: bytes
    num_vars: int
    log_cols: int
    cf: tuple[G1Point, ...]
    cg: tuple[G1Point, ...]
    sigma: int
    sumcheck: SumcheckProof
    a: int
    b: int
    openings: list[StackOpening]


def _parse_kind1(rd: Reader) -> _Kind1:
    digest = rd.raw(32, "seed digest")
    num_stacks = rd.u32("stack count")
    if not 1 <= num_stacks <= MAX_STACKS:
        raise ProofFormatError(f"stack count {num_stacks} out of range 1..{MAX_STACKS}",
                               check="proof.limits")
    stacks = []
    for s in range(num_stacks):
        n = rd.u32(f"stack {s} num_vars")
        c = rd.u32(f"stack {s} log_cols")
        check_shape(n, c, f"stack {s}")
        com = rd.g1_vec(f"stack {s} commitment", expected=1 << (n - c))
        k = rd.u32(f"stack {s} claim count")
        if not 1 <= k <= MAX_CLAIMS:
            raise ProofFormatError(f"stack {s}: claim count {k} out of range 1..{MAX_CLAIMS}",
                                   check="proof.limits")
        if k * (4 + 32 * n + 32) > rd.remaining:
            raise ProofFormatError(f"stack {s}: {k} claims exceed the remaining bytes",
                                   check="proof.truncated")
        claims = []
        for i in range(k):
            z = rd.fr_vec(f"stack {s} claim {i} point", expected=n)
            v = rd.fr(f"stack {s} claim {i} value")
            claims.append((tuple(z), v))
        stacks.append(StackStatement(n, c, tuple(com), tuple(claims)))
    openings = parse_batch_opening_proof(rd, [(st.num_vars, st.log_cols) for st in stacks])
    rd.finish()
    return _Kind1(digest, tuple(stacks), openings)


def _parse_kind2(rd: Reader) -> _Kind2:
    digest = rd.raw(32, "seed digest")
    n = rd.u32("num_vars")
    c = rd.u32("log_cols")
    check_shape(n, c, "product-sumcheck")
    rows = 1 << (n - c)
    cf = rd.g1_vec("commitment of f", expected=rows)
    cg = rd.g1_vec("commitment of g", expected=rows)
    sigma = rd.fr("claimed sum")
    sc = parse_sumcheck_proof(rd, n, 2, "product sumcheck")
    a = rd.fr("eval of f")
    b = rd.fr("eval of g")
    openings = parse_batch_opening_proof(rd, [(n, c), (n, c)])
    rd.finish()
    return _Kind2(digest, n, c, tuple(cf), tuple(cg), sigma, sc, a, b, openings)


def read_header(data: bytes) -> tuple[int, Reader]:
    """Check magic and version; returns (kind, a reader positioned at the body).

    Unknown kinds are rejected here; the caller parses the body of a known kind.
    """
    rd = Reader(data)
    if rd.raw(4, "magic") != MAGIC:
        raise ProofFormatError("bad magic (not a zkml artifact)", check="proof.magic")
    version = rd.u16("version")
    kind = rd.u8("kind")
    if kind not in KIND_NAMES:
        raise ProofFormatError(f"unknown artifact kind {kind}", check="proof.header-kind")
    if version != KIND_VERSIONS[kind]:
        raise ProofFormatError(unsupported_version(kind, version), check="proof.version")
    return kind, rd


def unsupported_version(kind: int, version: int) -> str:
    """The error for an artifact whose version is not its kind's current one."""
    if kind == KIND_INFERENCE and version == 1:
        return ("unsupported proof version 1: inference proofs of version 1 are refused "
                "because a lookup could balance against another table's entries "
                "(circuits/soundness.md, lookup separation); prove again with this zkml")
    return (f"unsupported format version {version} (this zkml reads version "
            f"{KIND_VERSIONS[kind]} of a {KIND_NAMES[kind]} artifact)")


def parse_artifact(data: bytes) -> tuple[int, _Kind1 | _Kind2]:
    """Parse the container and the whole body of a kind-1 or kind-2 artifact.

    Kinds 3 and 5 (inference, hiding inference) need their verifying key to be parsed
    and kind 4 is a key, not a proof: they are rejected here (see
    `zkml.verifier.inference`).
    """
    kind, rd = read_header(data)
    if kind in INFERENCE_KINDS:
        raise VerificationError(f"an inference proof (kind {kind}) needs its verifying key",
                                check="proof.header-kind")
    if kind in (KIND_VERIFYING_KEY, KIND_HIDING_VERIFYING_KEY):
        raise VerificationError(
            f"a verifying key (kind {kind}) is not a proof: load it with "
            "VerifyingKey.from_bytes",
            check="proof.header-kind",
        )
    if kind == KIND_PCS_BATCH_OPENING:
        return kind, _parse_kind1(rd)
    if kind == KIND_PRODUCT_SUMCHECK:
        return kind, _parse_kind2(rd)
    raise ProofFormatError(f"unknown artifact kind {kind}", check="proof.header-kind")


def _check_seed(digest: bytes, expected: bytes) -> None:
    if digest != expected:
        raise VerificationError("artifact uses generators of another seed",
                                check="proof.generator-seed")


def _verify_kind1(p: _Kind1, seed_digest: bytes, gens: GeneratorFn) -> BatchOpeningStatement:
    _check_seed(p.digest, seed_digest)
    t = Transcript("zkml/pcs-batch-opening")
    t.absorb_u32("version", VERSION)
    t.absorb_bytes("generators", p.digest)
    t.absorb_u32("stacks", len(p.stacks))
    for st in p.stacks:
        t.absorb_u32("num-vars", st.num_vars)
        t.absorb_u32("log-cols", st.log_cols)
        t.absorb_points("commitment", st.commitment)
    stacks = [Stack(st.num_vars, st.log_cols, st.commitment, st.claims) for st in p.stacks]
    batch_open_verify(t, stacks, p.openings, gens)
    return BatchOpeningStatement(
        KIND_PCS_BATCH_OPENING, KIND_NAMES[KIND_PCS_BATCH_OPENING], p.digest, p.stacks
    )


def _verify_kind2(p: _Kind2, seed_digest: bytes, gens: GeneratorFn) -> ProductSumcheckStatement:
    _check_seed(p.digest, seed_digest)
    t = Transcript("zkml/product-sumcheck")
    t.absorb_u32("version", VERSION)
    t.absorb_bytes("generators", p.digest)
    t.absorb_u32("num-vars", p.num_vars)
    t.absorb_u32("log-cols", p.log_cols)
    t.absorb_points("commitment-f", p.cf)
    t.absorb_points("commitment-g", p.cg)
    t.absorb_fr("claimed-sum", p.sigma)
    r, final = sumcheck_verify(t, p.sigma, p.num_vars, 2, p.sumcheck, "product sumcheck")
    t.absorb_fr("eval-f", p.a)
    t.absorb_fr("eval-g", p.b)
    if p.a * p.b % R != final:
        raise VerificationError("product sumcheck: f(r) * g(r) != final", check="product.final")
    rt = tuple(r)
    stacks = [
        Stack(p.num_vars, p.log_cols, p.cf, ((rt, p.a),)),
        Stack(p.num_vars, p.log_cols, p.cg, ((rt, p.b),)),
    ]
    batch_open_verify(t, stacks, p.openings, gens)
    return ProductSumcheckStatement(
        KIND_PRODUCT_SUMCHECK,
        KIND_NAMES[KIND_PRODUCT_SUMCHECK],
        p.digest,
        p.num_vars,
        p.log_cols,
        p.cf,
        p.cg,
        p.sigma,
    )


def verify_parsed(
    kind: int, parsed: _Kind1 | _Kind2, seed_digest: bytes, gens: GeneratorFn
) -> Statement:
    """Run the checks of a parsed artifact; raises VerificationError on rejection."""
    if kind == KIND_PCS_BATCH_OPENING and isinstance(parsed, _Kind1):
        return _verify_kind1(parsed, seed_digest, gens)
    if kind == KIND_PRODUCT_SUMCHECK and isinstance(parsed, _Kind2):
        return _verify_kind2(parsed, seed_digest, gens)
    raise VerificationError(f"no verifier for artifact kind {kind}", check="proof.header-kind")
