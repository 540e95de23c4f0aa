"""circuits/vectors/zk_sumcheck.json through the verifier's committed sumcheck and linear
check (circuits/zk.md 5.2, 5.3): honest batches accept, cheating ones fail with the id
the Rust side gives."""

from __future__ import annotations

import random

import pytest

from tests.verifier.zk_vectors import expect, load, point
from zkml.errors import VerificationError
from zkml.verifier.encoding import Reader
from zkml.verifier.field import R, lagrange_eval, mle_eval
from zkml.verifier.generators import seed_digest
from zkml.verifier.msm import msm
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk.forms import Form
from zkml.verifier.zk.linear import linear_equation
from zkml.verifier.zk.sigma import Gens
from zkml.verifier.zk.sumcheck import lagrange_basis, read_rounds, verify_batched

VECTORS = load("zk_sumcheck.json")
GENS = Gens.of(seed_digest(VECTORS["seed"].encode()), 1)



def _value(inst: dict, point: list[int]) -> int:
    ev = [mle_eval([int(v) for v in t], point) for t in inst["tables"]]
    total = 0
    for term in inst["terms"]:
        prod = int(term["coeff"])
        for m in term["factors"]:
            prod = prod * ev[m] % R
        total += prod
    return total % R


def _degree(inst: dict) -> int:
    return max(len(t["factors"]) for t in inst["terms"])


def _verify(case: dict) -> None:
    insts = case["instances"]
    claims = [point(h) for h in case["claims"]]
    t = Transcript(VECTORS["tag"].encode())
    t.absorb_points("zk-claims", claims)
    nvars = [len(i["tables"][0]).bit_length() - 1 for i in insts]
    n, d = max(nvars), max(_degree(i) for i in insts)
    r = Reader(bytes.fromhex(case["proof"]))
    rounds = read_rounds(r, n, d)
    tau = r.fr("zk-linear-blinder")
    r.finish()
    chal, weights, final = verify_batched(t, [Form.of(c) for c in claims], nvars, d, rounds)
    expected = sum(w * _value(i, chal[n - nv:]) for w, i, nv in zip(weights, insts, nvars,
                                                                        strict=True)) % R
    residue = final - Form({GENS.g_e: expected})
    terms = linear_equation(t, [residue], tau, GENS.h)
    if msm([p for _, p in terms], [s for s, _ in terms]) is not None:
        raise VerificationError("the linear check fails", check="zk.linear")


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"])
def test_vector_case(case: dict) -> None:
    expect(case, _verify)


def test_forms_are_linear() -> None:
    g, h = GENS.g_e, GENS.h
    a, b = Form.of(g), Form.of(h)
    assert len(a - a) == 0
    assert (a.scaled(3) + b) - a == a.scaled(2) + b
    assert Form.combine([(R - 1, a), (1, a)]) == Form()


def test_form_combine_matches_term_by_term() -> None:
    # combine sums unreduced coefficients and reduces once: against one reduction per term
    rng = random.Random(21)
    pts = [GENS.g_e, GENS.h, *GENS.g]
    forms = [Form({p: rng.choice([0, 1, R - 1, rng.randrange(R)])
                   for p in rng.sample(pts, min(4, len(pts)))}) for _ in range(12)]
    for trial in range(30):
        pairs = [(rng.choice([0, 1, R - 1, -5, rng.randrange(R)]), rng.choice(forms))
                 for _ in range(rng.randrange(1, 8))]
        naive: dict = {}
        for c, f in pairs:
            for k, p in f.terms(c):
                naive[p] = (naive.get(p, 0) + k) % R
        want = {p: v for p, v in naive.items() if v}
        got = Form.combine(pairs)
        assert got == Form(want) and all(0 < k < R for k, _ in got.terms()), trial
        s = rng.randrange(R)
        assert pairs[0][1].scaled(s) == Form({p: k for k, p in pairs[0][1].terms(s)})
    assert Form.combine([(R - 1, forms[0]), (1, forms[0])]) == Form()
    assert len(forms[0].scaled(0)) == 0 and len(forms[0].scaled(R)) == 0


@pytest.mark.parametrize("d", range(1, 9))
def test_lagrange_basis_matches_interpolation(d: int) -> None:
    rng = random.Random(d)
    for c in [0, 1, d, d + 1, R - 1, R + 2, *(rng.randrange(R) for _ in range(40))]:
        want = [lagrange_eval([int(j == k) for j in range(d + 1)], c) for k in range(d + 1)]
        assert lagrange_basis(d, c) == want, c
