"""Cheating provers against the batched proof of product (circuits/sigma.md 7) through the
pure-Python verifier's tail (zk.md 5.5): declarations evaluated by the prover's twin of the
CommittedBackend, the tail made by `zk_prover.prove_tail` (the honest algorithm run on a
false statement, or with one message chosen by the attacker), and `verify_tail` deciding.
One test per attack; each passes honestly first, so the failure is the attack's."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from tests.verifier.zk_prover import ProverBackend, commit, prove_tail
from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier.declarations import Check, Claim, nonzero_check, run_check, zero_check
from zkml.verifier.encoding import Reader
from zkml.verifier.field import R
from zkml.verifier.generators import DEFAULT_SEED, seed_digest
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk.backend import CommittedBackend
from zkml.verifier.zk.sigma import Gens
from zkml.verifier.zk.tail import verify_tail

GENS = Gens.of(seed_digest(DEFAULT_SEED), 4)
Checks = Callable[..., list[Check]]


def _products(a, b, c, d):
    """a b == c, a a == d (two products whose factors differ), a - 1 != 0 (an inverse)."""
    return [zero_check("t.ab", a * b - c, "a b != c"), zero_check("t.aa", a * a - d, "a a != d"),
            nonzero_check("t.nz", a - 1, "a == 1")]


def _run(values: tuple[int, ...], checks: Checks = _products, *, lie: dict | None = None,
         x_vector: Callable[[list[int]], list[int]] | None = None,
         witnesses: Callable[[list], list] | None = None) -> CommittedBackend:
    """Prove and verify: `lie` (product index -> committed value), `x_vector` (the vector
    V_x commits, from the honest one), `witnesses` (the triples the batch proves, from
    the honest ones) are the attacker's choices. Returns the verifier's backend."""
    rng = random.Random(21)
    pb = ProverBackend(GENS, rng, lie)
    opened = [pb.fresh(v) for v in values]
    points = [commit(GENS, h) for h in opened]
    for chk in checks(*(Claim(f"c{i}", h) for i, h in enumerate(opened))):
        run_check(chk, pb)
    t = Transcript(b"zk-products-test")
    t.absorb_points("zk-claims", points)
    t.absorb_points("zk-products", pb.products)
    wit = witnesses(list(pb.witnesses)) if witnesses else pb.witnesses
    xs = x_vector([x.v for x, _, _ in pb.witnesses]) if x_vector else None
    tail = prove_tail(GENS, t, pb.zeros, wit, rng, xs)

    vb = CommittedBackend(GENS.g_e, pb.products)
    v = Transcript(b"zk-products-test")
    v.absorb_points("zk-claims", points)
    for chk in checks(*(Claim(f"c{i}", vb.seal(p)) for i, p in enumerate(points))):
        run_check(chk, vb)
    vb.finish()
    v.absorb_points("zk-products", pb.products)
    r = Reader(tail)
    verify_tail(GENS, v, r, vb.linear, vb.triples, [])
    r.finish()
    return vb


def _rejected(**kw) -> str:
    with pytest.raises(VerificationError) as exc:
        _run(**kw)
    return exc.value.check


HONEST = (6, 7, 42, 36)


def test_honest_products_and_inverse_verify_in_one_batch() -> None:
    vb = _run(HONEST)
    assert len(vb.triples) == 3 and len(vb.linear) == 2


def test_a_false_product_with_an_otherwise_honest_batch_is_rejected() -> None:
    # a b committed as 43 with c = 43: the linear check a b - c holds, only the product
    # is false; the batch is made by the honest algorithm for (6, 7, 43)
    assert _rejected(values=(6, 7, 43, 36), lie={0: 43}) == "zk.merged"


def test_an_inverse_of_a_zero_expression_is_rejected() -> None:
    # a = 1: a - 1 == 0 has no inverse; any committed "inverse" (here 5) fails
    assert _rejected(values=(1, 7, 7, 1), lie={2: 5}) == "zk.merged"


def test_v_x_opening_another_vector_in_one_entry_is_rejected() -> None:
    # V_x commits x with entry 1 moved; the rest of the proof is made for that vector,
    # so only the link to the factors' own commitments (delta) can catch it
    def moved(x: list[int]) -> list[int]:
        return [x[0], (x[1] + 1) % R, *x[2:]]

    assert _rejected(values=HONEST, x_vector=moved) == "zk.merged"


def test_swapped_products_are_rejected() -> None:
    # the batch proves the triples in another order than "zk-products" gives them
    def swap(w: list) -> list:
        return [w[1], w[0], *w[2:]]

    assert _rejected(values=HONEST, witnesses=swap) == "zk.merged"


def test_a_wrong_count_is_a_format_error() -> None:
    # a batch over one triple fewer: the verifier reads m of each response, so the
    # proof is short by two scalars (the tail runs out)
    with pytest.raises(ProofFormatError) as exc:
        _run(HONEST, witnesses=lambda w: w[:-1])
    assert exc.value.check == "proof.truncated"
    # a "zk-products" message with one point more than the declarations take
    vb = CommittedBackend(GENS.g_e, [GENS.h, GENS.h, GENS.h, GENS.h])
    for chk in _products(*(Claim(f"c{i}", vb.seal(GENS.g_e)) for i in range(4))):
        run_check(chk, vb)
    with pytest.raises(ProofFormatError) as exc:
        vb.finish()
    assert exc.value.check == "zk.products"

