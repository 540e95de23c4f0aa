"""The batched proof of product (circuits/sigma.md 7): one proof that `x_i y_i = z_i` for
every product and inverse of a hiding proof, 2 + 6 points and `2m + 5` scalars for `m`
products (the per-product proof of sigma.md 3 costs 3 points and 5 scalars each).

The prover sends `V_x`, `V_y`, vector commitments (generators `G_0..G_{m-1}`) to the left
and right factors; `delta = "zk-product-link"` ties them to the factors' own commitments
and `gamma = "zk-product-batch"` folds the `m` product equations into one. The sigma part
(six first messages, `f_x`, `f_y`, five blinder responses) answers the sigma batch's
challenge; its five equations join the caller's merged MSM, where `G_0..G_{m-1}` merge
with the hiding opening's dot-product generators.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier.encoding import Reader
from zkml.verifier.field import R
from zkml.verifier.msm import G1Point
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk.forms import Form
from zkml.verifier.zk.sigma import MAX_DOT_LENGTH, Equation, Gens, fold

__all__ = ["MAX_PRODUCTS", "Triple", "ProductProof", "read_vectors", "read_product_sigma",
           "absorb_vectors", "product_equations", "verify_products_alone"]

#: The most products one proof may hold (its vectors use `G_0..G_{m-1}`).
MAX_PRODUCTS = MAX_DOT_LENGTH


@dataclass(frozen=True)
class Triple:
    """`x y = z` over commitments (forms); an inverse is `(expr, C_inv, G_e)`."""

    x: Form
    y: Form
    z: Form


@dataclass(frozen=True)
class ProductProof:
    """`V_x, V_y`; first messages `D_x, D_y, B_x, B_y, T_1, T_0`; responses `f_x`, `f_y`
    (`m` each) and `u` (five blinder responses)."""

    vectors: tuple[G1Point, G1Point]
    first: tuple[G1Point, ...]
    fx: tuple[int, ...]
    fy: tuple[int, ...]
    u: tuple[int, ...]

    def responses(self) -> list[int]:
        """Every response in wire order (what `"sigma-responses"` absorbs first)."""
        return [*self.fx, *self.fy, *self.u]


def read_vectors(r: Reader) -> tuple[G1Point, G1Point]:
    """`V_x`, `V_y` (sent before `tau`, zk.md 5.5)."""
    return r.g1("zk-product-vectors"), r.g1("zk-product-vectors")


def read_product_sigma(r: Reader, vectors: tuple[G1Point, G1Point], m: int) -> ProductProof:
    """The sigma part of a proof of `m` products: six points, `f_x`, `f_y`, `u`."""
    if not 0 < m <= MAX_PRODUCTS:
        raise ProofFormatError(f"{m} products out of 1..2^15", check="proof.limits")
    if (6 * 64 + (2 * m + 5) * 32) > r.remaining:
        raise ProofFormatError("batched proof of product: truncated", check="proof.truncated")
    first = tuple(r.g1("sigma first message") for _ in range(6))
    fx = tuple(r.fr("sigma response") for _ in range(m))
    fy = tuple(r.fr("sigma response") for _ in range(m))
    u = tuple(r.fr("sigma response") for _ in range(5))
    return ProductProof(vectors, first, fx, fy, u)


def absorb_vectors(t: Transcript, vectors: tuple[G1Point, G1Point]) -> tuple[int, int]:
    """Absorb `V_x`, `V_y`; squeeze `delta` (linking) and `gamma` (batching)."""
    t.absorb_points("zk-product-vectors", list(vectors))
    delta = t.squeeze("zk-product-link")
    return delta, t.squeeze("zk-product-batch")


def _powers(a: int, n: int) -> list[int]:
    out, w = [], 1
    for _ in range(n):
        out.append(w)
        w = w * a % R
    return out


def product_equations(gens: Gens, triples: Sequence[Triple], p: ProductProof,
                      challenges: tuple[int, int], c: int) -> list[Equation]:
    """The five equations at the sigma challenge `c` (sigma.md 7), each `lhs - rhs`:
    the two vector openings, the two links to the factors' commitments, the product."""
    m = len(triples)
    if len(p.fx) != m or len(p.fy) != m or len(p.first) != 6 or len(p.u) != 5:
        raise ProofFormatError("a product proof's size does not match its products",
                               check="sigma.shape")
    if m > len(gens.g):
        raise ProofFormatError("more products than generators", check="sigma.shape")
    delta, gamma = challenges
    ds, gs = _powers(delta, m), _powers(gamma, m)
    g_e, h, m1, mc = gens.g_e, gens.h, R - 1, (R - c) % R
    d_x, d_y, b_x, b_y, t_1, t_0 = p.first
    u = p.u

    def vector(f: Sequence[int], ui: int, d: G1Point, v: G1Point) -> Equation:
        return [*zip(f, gens.g[:m], strict=True), (ui, h), (m1, d), (mc, v)]

    def link(f: Sequence[int], ui: int, b: G1Point, forms: Sequence[Form]) -> Equation:
        e: Equation = [(sum(w * x for w, x in zip(ds, f, strict=True)) % R, g_e), (ui, h),
                       (m1, b)]
        for w, form in zip(ds, forms, strict=True):
            e += form.terms(mc * w % R)
        return e

    gf = sum(w * x % R * y for w, x, y in zip(gs, p.fx, p.fy, strict=True)) % R
    prod: Equation = [(gf, g_e), (u[4], h), (m1, t_0), (mc, t_1)]
    mc2 = mc * c % R
    for w, tr in zip(gs, triples, strict=True):
        prod += tr.z.terms(mc2 * w % R)
    return [vector(p.fx, u[0], d_x, p.vectors[0]), vector(p.fy, u[1], d_y, p.vectors[1]),
            link(p.fx, u[2], b_x, [tr.x for tr in triples]),
            link(p.fy, u[3], b_y, [tr.y for tr in triples]), prod]


def verify_products_alone(gens: Gens, t: Transcript, triples: Sequence[Triple],
                          p: ProductProof) -> None:
    """The proof on its own (sigma.md 7's standalone form, the vectors'): `delta`,
    `gamma`, `"sigma-first"`, `c`, `"sigma-responses"`, `rho`, one MSM; raises
    VerificationError (`sigma.equations`) unless it is the identity. The caller has
    absorbed the statement."""
    ch = absorb_vectors(t, p.vectors)
    t.absorb_points("sigma-first", list(p.first))
    c = t.squeeze("sigma-c")
    t.absorb_frs("sigma-responses", p.responses())
    rho = t.squeeze("sigma-merge")
    if fold(product_equations(gens, triples, p, ch, c), rho) is not None:
        raise VerificationError("the batched proof of product fails", check="sigma.equations")
