"""Hyrax commitments and the BatchOpen verifier (hyrax.md, proofs.md "BatchOpen").

All claims on a stack are reduced to one point by a degree-2 sumcheck, and the row
and column checks of every stack's opening are merged into one multi-scalar
multiplication over all row commitments and the column generators.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier.encoding import MAX_CLAIMS, MAX_NUM_VARS, G1Point, Reader
from zkml.verifier.field import R, eq_eval, eq_table, inner
from zkml.verifier.msm import msm
from zkml.verifier.sumcheck import SumcheckProof, parse_sumcheck_proof, sumcheck_verify
from zkml.verifier.transcript import Transcript

__all__ = [
    "Claim",
    "Stack",
    "StackOpening",
    "check_shape",
    "check_claim_shapes",
    "default_log_cols",
    "commit",
    "parse_batch_opening_proof",
    "batch_open_verify",
]

#: A claim P(point) = value on a stack.
Claim = tuple[tuple[int, ...], int]


def check_shape(num_vars: int, log_cols: int, what: str) -> None:
    """Enforce the encoding.md limits on a stack shape (before anything is allocated)."""
    if num_vars > MAX_NUM_VARS:
        raise ProofFormatError(f"{what}: num_vars {num_vars} > {MAX_NUM_VARS}",
                               check="proof.limits")
    if log_cols > num_vars:
        raise ProofFormatError(f"{what}: log_cols {log_cols} > num_vars {num_vars}",
                               check="proof.limits")


def check_claim_shapes(points: Sequence[Sequence[int]], num_vars: int, what: str) -> None:
    """A stack's claims: 1..MAX_CLAIMS of them, each point with the stack's variables
    (hyrax.md; the clear and the hiding opening alike)."""
    if not 1 <= len(points) <= MAX_CLAIMS:
        raise VerificationError(f"{what}: {len(points)} claims out of range",
                                check="batch-open.shape")
    if any(len(z) != num_vars for z in points):
        raise VerificationError(f"{what}: claim point of the wrong length",
                                check="batch-open.shape")


def default_log_cols(num_vars: int) -> int:
    """ceil(n / 2): the default shape of a commitment."""
    return (num_vars + 1) // 2


@dataclass(frozen=True)
class Stack:
    """One committed polynomial and the claims made on it."""

    num_vars: int
    log_cols: int
    commitment: tuple[G1Point, ...]
    claims: tuple[Claim, ...]

    @property
    def rows(self) -> int:
        return 1 << (self.num_vars - self.log_cols)

    @property
    def cols(self) -> int:
        return 1 << self.log_cols


@dataclass(frozen=True)
class StackOpening:
    """One stack's part of a BatchOpeningProof."""

    sumcheck: SumcheckProof
    eval: int
    w: tuple[int, ...]


def commit(
    table: Sequence[int], num_vars: int, log_cols: int, gens: Sequence[G1Point]
) -> list[G1Point]:
    """Com(f): one Pedersen commitment per row of the 2^(n-c) x 2^c matrix of `table`."""
    cols = 1 << log_cols
    if len(table) != 1 << num_vars or len(gens) < cols:
        raise ValueError("commit: table or generator count does not match the shape")
    g = list(gens[:cols])
    return [msm(g, table[i : i + cols]) for i in range(0, len(table), cols)]


def parse_batch_opening_proof(
    reader: Reader, shapes: Sequence[tuple[int, int]]
) -> list[StackOpening]:
    """Read a BatchOpeningProof for stacks of shapes (num_vars, log_cols), in order."""
    out = []
    for s, (n, c) in enumerate(shapes):
        sc = parse_sumcheck_proof(reader, n, 2, f"stack {s} sumcheck")
        e = reader.fr(f"stack {s} eval")
        w = reader.fr_vec(f"stack {s} opening w", expected=1 << c)
        out.append(StackOpening(sc, e, tuple(w)))
    return out


def batch_open_verify(
    transcript: Transcript,
    stacks: Sequence[Stack],
    openings: Sequence[StackOpening],
    generators: Callable[[int], Sequence[G1Point]],
) -> None:
    """The BatchOpen verifier; the caller has absorbed every commitment already.

    `generators(k)` returns G_0..G_{k-1} of the statement's seed. Raises
    VerificationError naming the first failed check.
    """
    if len(stacks) != len(openings) or not stacks:
        raise VerificationError("batch opening: stack and opening counts differ",
                                check="batch-open.shape")
    for s, st in enumerate(stacks):
        check_shape(st.num_vars, st.log_cols, f"stack {s}")
        if len(st.commitment) != st.rows:
            raise VerificationError(f"stack {s}: commitment has {len(st.commitment)} rows",
                                    check="batch-open.shape")
        check_claim_shapes([z for z, _ in st.claims], st.num_vars, f"stack {s}")
        if len(openings[s].w) != st.cols:
            raise VerificationError(f"stack {s}: opening has {len(openings[s].w)} entries",
                                    check="batch-open.shape")

    for st in stacks:
        transcript.absorb_u32("claims", len(st.claims))
        for z, v in st.claims:
            transcript.absorb_frs("claim-point", z)
            transcript.absorb_fr("claim-value", v)
    alphas = [transcript.squeeze("batch-alpha") for _ in stacks]

    points = []
    for s, (st, op, alpha) in enumerate(zip(stacks, openings, alphas, strict=True)):
        claim = 0
        for _, v in reversed(st.claims):
            claim = (claim * alpha + v) % R
        r, final = sumcheck_verify(
            transcript, claim, st.num_vars, 2, op.sumcheck, f"stack {s} sumcheck"
        )
        transcript.absorb_fr("stack-eval", op.eval)
        eqs = 0
        for z, _ in reversed(st.claims):
            eqs = (eqs * alpha + eq_eval(z, r)) % R
        if final != op.eval * eqs % R:
            raise VerificationError(f"stack {s}: sumcheck final != eval * sum alpha^k eq(z_k, r)",
                                    check="batch-open.combination")
        points.append(r)

    for s, (st, op, r) in enumerate(zip(stacks, openings, points, strict=True)):
        transcript.absorb_frs("hyrax-w", op.w)
        if inner(op.w, eq_table(r[: st.log_cols])) != op.eval % R:
            raise VerificationError(f"stack {s}: opening <w, E_lo(r)> != eval", check="hyrax.eval")
    rho = transcript.squeeze("merge-rho")

    # sum_s rho^s sum_i E_hi[i] C_{s,i} - sum_j (sum_s rho^s w_{s,j}) G_j == O
    cols = max(st.cols for st in stacks)
    bases: list[G1Point] = []
    scalars: list[int] = []
    combined_w = [0] * cols
    rho_s = 1
    for st, op, r in zip(stacks, openings, points, strict=True):
        bases.extend(st.commitment)
        scalars.extend(rho_s * e % R for e in eq_table(r[st.log_cols :]))
        for j, wj in enumerate(op.w):
            combined_w[j] += rho_s * wj
        rho_s = rho_s * rho % R
    gens = generators(cols)
    if len(gens) != cols:
        raise VerificationError("batch opening: generator provider returned a wrong count",
                                check="batch-open.generators")
    bases.extend(gens)
    scalars.extend((-v) % R for v in combined_w)
    if msm(bases, scalars) is not None:
        raise VerificationError("batch opening: merged Hyrax check failed", check="hyrax.opening")
