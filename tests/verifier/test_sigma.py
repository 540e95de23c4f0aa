"""circuits/vectors/sigma.json through the pure-Python sigma verifier (circuits/sigma.md):
the reserved generators, the honest batch, and every cheating batch rejected with the
check id the Rust side gives; plus the simulator of section 3, which makes accepting
transcripts without any witness (why the proofs reveal nothing)."""

from __future__ import annotations

import random

import pytest

from tests.verifier.zk_vectors import expect, load, point
from zkml.verifier.encoding import Reader, enc_g1
from zkml.verifier.field import R
from zkml.verifier.generators import seed_digest
from zkml.verifier.msm import msm
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk.forms import Form
from zkml.verifier.zk.products import (
    ProductProof,
    Triple,
    product_equations,
    read_product_sigma,
    read_vectors,
    verify_products_alone,
)
from zkml.verifier.zk.sigma import Gens, Proof, Statement, equations, fold, read_batch, verify_batch

VECTORS = load("sigma.json")
GENS = Gens.of(seed_digest(VECTORS["seed"].encode()), 4)



def _statements(case: dict) -> list[Statement]:
    return [Statement(s["kind"], tuple(Form.of(point(p)) for p in s["points"]),
                      tuple(int(a) for a in s["a"])) for s in case["statements"]]


def _verify(case: dict) -> None:
    stmts = _statements(case)
    t = Transcript(VECTORS["tag"].encode())
    t.absorb_points("sigma-statement", [point(p) for s in case["statements"]
                                        for p in s["points"]])
    r = Reader(bytes.fromhex(case["proof"]))
    proofs = read_batch(r, stmts)
    r.finish()
    verify_batch(GENS, t, stmts, proofs)


def test_reserved_generators_match_rust() -> None:
    assert enc_g1(GENS.h).hex() == VECTORS["h"]
    assert enc_g1(GENS.g_e).hex() == VECTORS["g_e"]
    assert GENS.h not in GENS.g and GENS.g_e not in GENS.g and GENS.h != GENS.g_e


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"])
def test_vector_case(case: dict) -> None:
    expect(case, _verify)


def test_every_kind_is_covered() -> None:
    (honest,) = [c for c in VECTORS["cases"] if c["name"] == "honest"]
    assert {s["kind"] for s in honest["statements"]} == {"opening", "equality", "product",
                                                          "dot_product"}


def _simulate(s: Statement, c: int, rng: random.Random) -> Proof:
    """Sigma.md section 3's simulator: random responses, each first message solved from
    its equation (`first = lhs - c * commitment`); no witness used."""
    z = tuple(rng.randrange(R) for _ in range(s.sizes()[1]))
    zero = Proof(tuple(None for _ in range(s.sizes()[0])), z)
    # With every first message at infinity, equation k's sum is lhs_k - c C; the real
    # first message must equal exactly that sum.
    first = tuple(msm([p for _, p in e], [v for v, _ in e])
                  for e in equations(GENS, s, zero, c))
    return Proof(first, z)


def test_simulated_transcripts_verify_without_a_witness() -> None:
    rng = random.Random(5)
    stmts = _statements(VECTORS["cases"][0])
    # A false product and unrelated commitments too: the simulator needs no witness.
    stmts.append(Statement("product", (Form.of(GENS.h), Form.of(GENS.g_e),
                                       Form.of(GENS.h) + Form.of(GENS.g_e))))
    c = rng.randrange(R)
    for s in stmts:
        p = _simulate(s, c, rng)
        eqs = equations(GENS, s, p, c)
        assert fold(eqs, rng.randrange(R)) is None
        assert all(msm([q for _, q in e], [v for v, _ in e]) is None for e in eqs)
        # ... and a simulated proof moved anywhere fails like a real one.
        bad = Proof(p.first, (p.responses[0] + 1,) + p.responses[1:])
        assert fold(equations(GENS, s, bad, c), 7) is not None


def _triples(case: dict) -> list[Triple]:
    return [Triple(*(Form.of(point(p)) for p in tr)) for tr in case["triples"]]


def _verify_products(case: dict) -> None:
    """sigma.md 7 alone: the triples' points absorbed as `"sigma-statement"`, then the
    proof's own steps and one MSM."""
    triples = _triples(case)
    t = Transcript(VECTORS["tag"].encode())
    t.absorb_points("sigma-statement", [point(p) for tr in case["triples"] for p in tr])
    r = Reader(bytes.fromhex(case["proof"]))
    proof = read_product_sigma(r, read_vectors(r), len(triples))
    r.finish()
    verify_products_alone(GENS, t, triples, proof)


@pytest.mark.parametrize("case", VECTORS["product_batch"], ids=lambda c: c["name"])
def test_product_batch_vector_case(case: dict) -> None:
    expect(case, _verify_products)


def test_simulated_product_batch_verifies_without_a_witness() -> None:
    """sigma.md 7's simulator: uniform V_x, V_y, T_1 and responses; the other five first
    messages solved from their equations at the programmed challenges. The statement is
    false (a product of unrelated points), so no witness could have been used."""
    rng = random.Random(8)
    triples = _triples(VECTORS["product_batch"][0])
    triples.append(Triple(Form.of(GENS.h), Form.of(GENS.g_e), Form.of(GENS.h)))
    triples = triples[-4:]
    m = len(triples)
    ch, c = (rng.randrange(R), rng.randrange(R)), rng.randrange(R)
    vectors = (msm([GENS.h], [rng.randrange(R)]), msm([GENS.h], [rng.randrange(R)]))
    t_1 = msm([GENS.g_e, GENS.h], [rng.randrange(R), rng.randrange(R)])
    resp = [rng.randrange(R) for _ in range(2 * m + 5)]
    blank = (None, None, None, None, t_1, None)
    zero = ProductProof(vectors, blank, tuple(resp[:m]), tuple(resp[m:2 * m]),
                        tuple(resp[2 * m:]))
    eqs = product_equations(GENS, triples, zero, ch, c)
    solved = [msm([p for _, p in e], [v for v, _ in e]) for e in eqs]
    first = (solved[0], solved[1], solved[2], solved[3], t_1, solved[4])
    sim = ProductProof(vectors, first, zero.fx, zero.fy, zero.u)
    assert fold(product_equations(GENS, triples, sim, ch, c), 7) is None
    bad = ProductProof(vectors, first, (sim.fx[0] + 1,) + sim.fx[1:], sim.fy, sim.u)
    assert fold(product_equations(GENS, triples, bad, ch, c), 7) is not None
