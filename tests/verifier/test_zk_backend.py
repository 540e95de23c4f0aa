"""Declarations over commitments (circuits/zk.md 5.3): the same checks run through the
verifier's CommittedBackend and the test prover's twin, then the linear check and the
proofs of product decide. Honest values pass; each lie fails at the check that pins it."""

from __future__ import annotations

import random

import pytest

from tests.verifier.zk_prover import Opened, ProverBackend, commit, prove_tail
from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier.declarations import Claim, nonzero_check, run_check, zero_check
from zkml.verifier.encoding import Reader
from zkml.verifier.generators import DEFAULT_SEED, seed_digest
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk.backend import CommittedBackend
from zkml.verifier.zk.sigma import Gens
from zkml.verifier.zk.tail import verify_tail

GENS = Gens.of(seed_digest(DEFAULT_SEED), 4)


def _checks(a, b, c):
    """a b c == c (a product of three), a - 1 != 0, 2a + 3 - (b + 8) == 0, (a + b) b - 91 == 0."""
    return [zero_check("t.prod", a * b * a - c * 6, "a b a != 6 c"),
            nonzero_check("t.nz", a - 1, "a == 1"),
            zero_check("t.lin", 2 * a + 3 - (b + 8), "linear"),
            zero_check("t.sum-prod", (a + b) * b - 91, "(a + b) b != 91")]


def _run(values=(6, 7, 42), lie=None, drop_product=False, checks=_checks):
    rng = random.Random(11)
    pb = ProverBackend(GENS, rng, lie)
    opened = [pb.fresh(v) for v in values]
    points = [commit(GENS, h) for h in opened]
    for chk in checks(*(Claim(f"c{i}", h) for i, h in enumerate(opened))):
        run_check(chk, pb)
    t = Transcript(b"zk-backend-test")
    t.absorb_points("zk-claims", points)
    t.absorb_points("zk-products", pb.products)
    tail = prove_tail(GENS, t, pb.zeros, pb.witnesses, rng)

    products = pb.products[:-1] if drop_product else pb.products
    vb = CommittedBackend(GENS.g_e, products)
    v = Transcript(b"zk-backend-test")
    v.absorb_points("zk-claims", points)
    for chk in checks(*(Claim(f"c{i}", vb.seal(p)) for i, p in enumerate(points))):
        run_check(chk, vb)
    vb.finish()
    v.absorb_points("zk-products", products)
    r = Reader(tail)
    verify_tail(GENS, v, r, vb.linear, vb.triples, [])
    r.finish()
    return vb


def test_honest_values_pass_with_the_declared_costs() -> None:
    vb = _run()
    # a b a: two products; a - 1 != 0: one inverse; (a + b) b: one product.
    assert len(vb.triples) == 4
    assert vb.linear_ids == ["t.prod", "t.lin", "t.sum-prod"]


def test_false_value_fails_the_linear_check() -> None:
    with pytest.raises(VerificationError) as exc:
        _run(values=(6, 7, 43))
    assert exc.value.check == "zk.merged"


def test_lying_product_fails_its_proof_of_product() -> None:
    # product 1 (a b a = 252) committed as 258 = 6 * 43 so that the linear check holds
    with pytest.raises(VerificationError) as exc:
        _run(values=(6, 7, 43), lie={1: 258})
    assert exc.value.check == "zk.merged"


def test_zero_has_no_inverse() -> None:
    # a = 1: a - 1 == 0, and any committed "inverse" fails its proof of product
    def only_nonzero(a, b, c):
        return [nonzero_check("t.nz", a - 1, "a == 1")]

    assert len(_run(values=(2, 7, 7), checks=only_nonzero).triples) == 1
    with pytest.raises(VerificationError) as exc:
        _run(values=(1, 7, 7), lie={0: 5}, checks=only_nonzero)
    assert exc.value.check == "zk.merged"


def test_missing_product_commitment_is_a_format_error() -> None:
    with pytest.raises(ProofFormatError) as exc:
        _run(drop_product=True)
    assert exc.value.check == "zk.products"


def test_reveal_is_refused() -> None:
    vb = CommittedBackend(GENS.g_e, [])
    with pytest.raises(TypeError):
        vb.reveal(vb.seal(GENS.h), "opening")


def test_opened_arithmetic() -> None:
    x = Opened(5, 9)
    assert (x * 3 - 2).v == 13 and (x * 3 - 2).t == 27
