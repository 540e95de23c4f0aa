"""Hiding verifying keys (kind 6, circuits/zk_inference.md section 4).

Kind 4's statement (every model-stack entry in `[-2^(R-1), 2^(R-1))`, zero padding) with
the model commitment `C_P` and the multiplicity commitment `C_m` blinded and the
well-formedness proof hiding: the hiding LogUp (zk.md 5.6) over kind 4's three trees, the
two leaf evaluations as commitments, kind 4's six leaf equations (`key_common`) as zero
checks over commitments, the hiding opening (5.4) of `P` at `rho` and `m` at `rho_t`,
and the tail (5.5): one merged MSM. The key reveals the circuit and the commitments.

`parse_zk_wf` reads the proof strictly, every size bounded before anything is read;
`verify_zk_wf` runs the protocol. A failure is a VerificationError with its check id
(the caller, `VerifyingKey`, raises it as InvalidKeyError): parse ids, `zk.products`,
or `zk.merged` (the one check that every equation of the proof folds into).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zkml.errors import ProofFormatError
from zkml.verifier.circuit import Circuit
from zkml.verifier.declarations import Claim, run_check
from zkml.verifier.encoding import G1Point, Reader
from zkml.verifier.key_common import leaf_checks
from zkml.verifier.proofs import KIND_HIDING_VERIFYING_KEY, KIND_VERSIONS
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk.backend import Committed, CommittedBackend, products_needed
from zkml.verifier.zk.forms import Form
from zkml.verifier.zk.logup import LayerDecl, ZkTree, declare, parse_zk_logup, verify_zk_logup
from zkml.verifier.zk.opening import HidingStack, verify_opening
from zkml.verifier.zk.sigma import MAX_DOT_LENGTH, Gens
from zkml.verifier.zk.tail import verify_tail

__all__ = ["ZK_WF_TAG", "ZkWellFormednessProof", "parse_zk_wf", "verify_zk_wf",
           "products_count"]

ZK_WF_TAG = "zkml/model-wf-zk"
_G1, _FR = 64, 32


@dataclass(frozen=True)
class ZkWellFormednessProof:
    """`ZkLogupProof || Vec<G1> logup-leaf-evals (2) || HidingOpening (P, m) ||
    Vec<G1> zk-products || G1 V_x || G1 V_y || Fr tau || SigmaBatch` (zk.md 5.5). The
    opening's messages and the tail (the product vectors, `tau` and the sigma batch) are
    kept as their bytes, strictly parsed once here and read again, with their
    statements, when the proof is checked."""

    logup: tuple[ZkTree, ...]
    leaf_evals: tuple[G1Point, ...]
    opening: bytes
    products: tuple[G1Point, ...]
    tail: bytes


def products_count(num_vars: int, range_bits: int) -> int:
    """The `"zk-products"` a key with these depths takes: its LogUp's (zk.md 5.6, one
    group of three trees of depths `[n, R, 1]`); the leaf equations multiply no two
    committed values. Counted by evaluating the declarations' shape."""
    roots = [[Claim(f"r{i}{j}", 0) for j in range(4)] for i in range(3)]
    layers: list[list[LayerDecl]] = [
        [LayerDecl(0, Claim("f", 0), (Claim("a", 0), Claim("b", 0), Claim("c", 0),
                                      Claim("d", 0))) for _ in range(1, d)]
        for d in (num_vars, range_bits, 1)]
    return products_needed(declare((3,), roots, layers))


def _points(rd: Reader, count: int, what: str) -> bytes:
    """`count` points, no count on the wire: bounded by the bytes left, each decoded
    strictly; returns their bytes."""
    data = rd.raw(count * _G1, what)
    sub = Reader(data)
    for _ in range(count):
        sub.g1(what)
    return data


def _sigma_layout(num_products: int, dot_lengths: Sequence[int]) -> list[tuple[int, int]]:
    """(points, scalars) of each sigma proof, in batch order (sigma.md 4): the batched
    proof of product (sigma.md 7: six points, `2m + 5` scalars), then the dot products."""
    product = [(6, 2 * num_products + 5)] if num_products else []
    return product + [(2, k + 2) for k in dot_lengths]


def _tail(rd: Reader, num_products: int, layout: Sequence[tuple[int, int]]) -> bytes:
    """`[G1 V_x || G1 V_y] || Fr tau || SigmaBatch` of `layout`: its size bounded by the
    bytes left, then every point and scalar decoded strictly; returns its bytes."""
    vectors = 2 if num_products else 0
    data = rd.raw(vectors * _G1 + _FR + sum(p * _G1 + f * _FR for p, f in layout), "tail")
    sub = Reader(data)
    for _ in range(vectors):
        sub.g1("zk-product-vectors")
    sub.fr("zk-linear-blinder")
    for n_pts, n_frs in layout:
        for _ in range(n_pts):
            sub.g1("sigma first message")
        for _ in range(n_frs):
            sub.fr("sigma response")
    return data


def parse_zk_wf(rd: Reader, num_vars: int, log_cols: int, range_bits: int
                ) -> tuple[tuple[G1Point, ...], ZkWellFormednessProof]:
    """`Vec<G1> C_m || ZkWellFormednessProof` after the key's head (the shapes are the
    circuit's, already checked); returns `C_m` and the proof."""
    if log_cols > 15 or 1 << log_cols > MAX_DOT_LENGTH:
        raise ProofFormatError(f"model stack: {log_cols} column bits > 15", check="proof.limits")
    m_vars, m_cols = range_bits, range_bits // 2
    mult = tuple(rd.g1_vec("multiplicity commitment", expected=1 << (m_vars - m_cols)))
    logup = tuple(parse_zk_logup(rd, (num_vars, m_vars, 1)))
    leaf = tuple(rd.g1_vec("logup-leaf-evals", expected=2))
    opening = _points(rd, 2 * num_vars + 1 + 2 * m_vars + 1, "hiding opening")
    n = rd.count(_G1, "zk-products")
    want = products_count(num_vars, m_vars)
    if n != want:
        raise ProofFormatError(f"zk-products: {n} commitments, the checks take {want}",
                               check="zk.products")
    products = tuple(rd.g1("zk-products") for _ in range(n))
    tail = _tail(rd, n, _sigma_layout(n, (1 << log_cols, 1 << m_cols)))
    return mult, ZkWellFormednessProof(logup, leaf, opening, products, tail)


def verify_zk_wf(circuit: Circuit, commitment: Sequence[G1Point],
                 multiplicity_commitment: Sequence[G1Point], wf: ZkWellFormednessProof,
                 seed_dig: bytes) -> None:
    """zk_inference.md 4's protocol for the generators of `seed_dig`; raises
    VerificationError naming the first check that fails."""
    ms = circuit.model
    n, c, rb = ms.num_vars, ms.log_cols, ms.range_bits
    gens = Gens.of(seed_dig, max(1 << c, 1 << (rb // 2), len(wf.products)))
    t = Transcript(ZK_WF_TAG)
    t.absorb_u32("version", KIND_VERSIONS[KIND_HIDING_VERIFYING_KEY])
    t.absorb_bytes("generators", seed_dig)
    t.absorb_bytes("circuit", circuit.json_bytes)
    t.absorb_points("model-commitment", list(commitment))
    t.absorb_points("multiplicity-commitment", list(multiplicity_commitment))
    alpha = t.squeeze("logup-alpha")
    beta = t.squeeze("logup-beta")
    results, checks = verify_zk_logup(t, wf.logup, (3,), gens.g_e)
    t.absorb_points("logup-leaf-evals", list(wf.leaf_evals))

    def seal(f: Form) -> Committed:
        return Committed(f, gens.g_e)

    leaf = [Form.of(p) for p in wf.leaf_evals]
    trees = [(rho, seal(p), seal(q)) for rho, p, q in results]
    checks += leaf_checks(ms, alpha, beta, trees, [seal(f) for f in leaf])
    stacks = [HidingStack(n, c, tuple(commitment), ((tuple(results[0][0]), leaf[0]),)),
              HidingStack(rb, rb // 2, tuple(multiplicity_commitment),
                          ((tuple(results[1][0]), leaf[1]),))]
    r = Reader(wf.opening)
    opening_linear, dots = verify_opening(t, r, stacks)
    r.finish()
    t.absorb_points("zk-products", list(wf.products))
    backend = CommittedBackend(gens.g_e, wf.products)
    for check in checks:
        run_check(check, backend)
    backend.finish()
    r = Reader(wf.tail)
    verify_tail(gens, t, r, [*backend.linear, *opening_linear], backend.triples, dots)
    r.finish()
