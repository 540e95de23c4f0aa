"""Hiding commitments' generators and the four sigma proofs (circuits/sigma.md): opening,
equality, product and dot product, read as a batch and checked as one merged MSM.

A statement's commitments are linear forms (`zkml.verifier.zk.forms`: a point the prover
sent, or a combination of them), so a proof can speak about a committed value that was
never sent as one point. Each proof becomes equations, lists of `(scalar, point)` terms
whose sum must be the identity; a batch folds all of them with powers of the
`sigma-merge` challenge into one MSM, so a hiding proof can add its sigma equations to
its own single MSM.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier.encoding import Reader
from zkml.verifier.field import R
from zkml.verifier.generators import derive_generator, generators
from zkml.verifier.msm import G1Point, msm
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk.forms import Form

__all__ = ["H_INDEX", "G_E_INDEX", "Gens", "Statement", "Proof", "Equation", "read_batch",
           "equations", "batch_challenges", "verify_batch", "fold"]

#: The blinding generator's index in the seed's sequence (hyrax.md reserves it).
H_INDEX = (1 << 32) - 1
#: The committed-scalar generator's index.
G_E_INDEX = (1 << 32) - 2
#: Longest dot product a statement may ask for (hyrax.md's generator bound, 2^15 columns
#: of a 30-variable stack).
MAX_DOT_LENGTH = 1 << 15

Equation = list[tuple[int, G1Point]]
KINDS = ("opening", "equality", "product", "dot_product")


@dataclass(frozen=True)
class Gens:
    """`G_0 .. G_{n-1}`, `G_e` and `H` of one seed (sigma.md section 1)."""

    g: tuple[G1Point, ...]
    g_e: G1Point
    h: G1Point

    @classmethod
    def of(cls, seed_digest: bytes, n: int) -> Gens:
        """The generators of `seed_digest` for vectors of length up to `n`."""
        if not 0 <= n <= MAX_DOT_LENGTH:
            raise ProofFormatError(f"{n} generators out of limits", check="sigma.shape")
        return cls(tuple(generators(seed_digest, n)), derive_generator(seed_digest, G_E_INDEX),
                   derive_generator(seed_digest, H_INDEX))


@dataclass(frozen=True)
class Statement:
    """What a proof speaks about: `kind` (one of KINDS), its commitments in sigma.md's
    order (opening `C`; equality `C_1, C_2`; product `C_x, C_y, C_z`; dot product `C_x,
    C_y`) as linear forms, and, for a dot product, the public vector `a`."""

    kind: str
    commitments: tuple[Form, ...]
    a: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        want = {"opening": 1, "equality": 2, "product": 3, "dot_product": 2}.get(self.kind)
        if want is None or len(self.commitments) != want:
            raise ProofFormatError(f"bad sigma statement {self.kind!r}", check="sigma.shape")
        if (self.kind == "dot_product") != bool(self.a) or len(self.a) > MAX_DOT_LENGTH:
            raise ProofFormatError("a dot product needs 1..2^15 coefficients",
                                   check="sigma.shape")

    def sizes(self) -> tuple[int, int]:
        """(first-message points, response scalars) of this statement's proof."""
        return {"opening": (1, 2), "equality": (1, 1), "product": (3, 5),
                "dot_product": (2, len(self.a) + 2)}[self.kind]


@dataclass(frozen=True)
class Proof:
    """One proof: its first messages, then its responses."""

    first: tuple[G1Point, ...]
    responses: tuple[int, ...]


def read_batch(r: Reader, stmts: Sequence[Statement]) -> list[Proof]:
    """Exactly the points and scalars the statements' kinds give (sigma.md section 4)."""
    out = []
    for s in stmts:
        n_pts, n_frs = s.sizes()
        first = tuple(r.g1("sigma first message") for _ in range(n_pts))
        out.append(Proof(first, tuple(r.fr("sigma response") for _ in range(n_frs))))
    return out


def equations(gens: Gens, s: Statement, p: Proof, c: int) -> list[Equation]:
    """The equations of one proof at challenge `c`, each as `lhs - rhs` (section 3)."""
    if (len(p.first), len(p.responses)) != s.sizes():
        raise ProofFormatError("a proof's size does not match its statement",
                               check="sigma.shape")
    g_e, h, m1, mc = gens.g_e, gens.h, R - 1, (R - c) % R
    f, z, cs = p.first, p.responses, s.commitments
    if s.kind == "opening":
        return [[(z[0], g_e), (z[1], h), (m1, f[0]), *cs[0].terms(mc)]]
    if s.kind == "equality":
        return [[(z[0], h), (m1, f[0]), *cs[0].terms(mc), *cs[1].terms(c)]]
    if s.kind == "product":
        cx, cy, cz = cs
        return [[(z[0], g_e), (z[1], h), (m1, f[0]), *cx.terms(mc)],
                [(z[2], g_e), (z[3], h), (m1, f[1]), *cy.terms(mc)],
                [*cx.terms(z[2]), (z[4], h), (m1, f[2]), *cz.terms(mc)]]
    return _dot_product(gens, s, p, mc)


def _dot_product(gens: Gens, s: Statement, p: Proof, mc: int) -> list[Equation]:
    k = len(s.a)
    if k > len(gens.g):
        raise ProofFormatError("a dot product longer than the generators", check="sigma.shape")
    cx, cy = s.commitments
    z, f = p.responses, p.first
    e1: Equation = list(zip(z[:k], gens.g[:k], strict=True))
    e1 += [(z[k], gens.h), (R - 1, f[0]), *cx.terms(mc)]
    az = sum(a * v for a, v in zip(s.a, z[:k], strict=True)) % R
    e2: Equation = [(az, gens.g_e), (z[k + 1], gens.h), (R - 1, f[1]), *cy.terms(mc)]
    return [e1, e2]


def fold(eqs: Sequence[Equation], rho: int) -> G1Point:
    """`sum_k rho^k E_k` as one MSM (the identity is None)."""
    scalars: list[int] = []
    points: list[G1Point] = []
    w = 1
    for e in eqs:
        for s, pt in e:
            scalars.append(w * s % R)
            points.append(pt)
        w = w * rho % R
    return msm(points, scalars)


def batch_challenges(t: Transcript, stmts: Sequence[Statement], proofs: Sequence[Proof]
                     ) -> tuple[int, int]:
    """Section 4 on the transcript: absorb the first messages, `c = "sigma-c"`, absorb the
    responses, `rho = "sigma-merge"`. A hiding proof folds its linear equation in with the
    same `rho` (zk.md 5.5)."""
    if len(stmts) != len(proofs):
        raise ProofFormatError("proof count does not match the statements", check="sigma.shape")
    t.absorb_points("sigma-first", [q for p in proofs for q in p.first])
    c = t.squeeze("sigma-c")
    t.absorb_frs("sigma-responses", [v for p in proofs for v in p.responses])
    return c, t.squeeze("sigma-merge")


def verify_batch(gens: Gens, t: Transcript, stmts: Sequence[Statement],
                 proofs: Sequence[Proof]) -> None:
    """The challenges of section 4, then every equation folded into one MSM; raises
    VerificationError (`sigma.equations`) unless it is the identity. The caller has
    absorbed the statements."""
    c, rho = batch_challenges(t, stmts, proofs)
    eqs = [e for s, p in zip(stmts, proofs, strict=True) for e in equations(gens, s, p, c)]
    if fold(eqs, rho) is not None:
        raise VerificationError("a sigma proof does not verify", check="sigma.equations")
