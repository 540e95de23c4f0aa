"""circuits/vectors/zk_sumcheck.json through the verifier's committed sumcheck and linear
check (circuits/zk.md 5.2, 5.3): honest batches accept, cheating ones fail with the id
the Rust side gives."""

from __future__ import annotations

import pytest

from tests.verifier.zk_vectors import expect, load, point
from zkml.errors import VerificationError
from zkml.verifier.encoding import Reader
from zkml.verifier.field import R, mle_eval
from zkml.verifier.generators import seed_digest
from zkml.verifier.msm import msm
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk.forms import Form
from zkml.verifier.zk.linear import linear_equation
from zkml.verifier.zk.sigma import Gens
from zkml.verifier.zk.sumcheck import read_rounds, verify_batched

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
