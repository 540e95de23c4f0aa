"""circuits/vectors/zk_declared.json: real gadget declarations (from honest proofs of
vector models) evaluated over commitments by the Rust prover's HiddenEval, rebuilt from
their canonical JSON here and run through the verifier's CommittedBackend, then the
tail: the linear check and the batched proof of product in one merged check (circuits/zk.md
5.3, 5.5). Both sides must visit the
products in one order, or the honest cases fail."""

from __future__ import annotations

import pytest

from tests.verifier.zk_vectors import load, point
from zkml.errors import VerificationError
from zkml.verifier.declarations import (
    NONZERO,
    Check,
    Claim,
    Expr,
    public,
    run_check,
)
from zkml.verifier.encoding import Reader
from zkml.verifier.generators import seed_digest
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk.backend import CommittedBackend
from zkml.verifier.zk.sigma import Gens
from zkml.verifier.zk.tail import verify_tail

VECTORS = load("zk_declared.json")
GENS = Gens.of(seed_digest(VECTORS["seed"].encode()),
               max(len(c["products"]) for c in VECTORS["cases"]))



def _factor(f: dict, claims: dict[str, Claim]):
    if "expr" in f:
        return _expr(f["expr"], claims)
    if f["committed"]:
        return claims[f["claim"]]
    return public(f["claim"], int(f["value"]))


def _expr(e: dict, claims: dict[str, Claim]) -> Expr:
    terms = [(int(e["const"]), ())] if int(e["const"]) else []
    terms += [(int(t["coeff"]), tuple(_factor(f, claims) for f in t["factors"]))
              for t in e["terms"]]
    return Expr(tuple(terms))


def _verify(case: dict) -> CommittedBackend:
    points = [point(c["point"]) for c in case["claims"]]
    backend = CommittedBackend(GENS.g_e, [point(p) for p in case["products"]])
    claims = {c["name"]: Claim(c["name"], backend.seal(p))
              for c, p in zip(case["claims"], points, strict=True)}
    t = Transcript(VECTORS["tag"].encode())
    t.absorb_points("zk-claims", points)
    for c in case["checks"]:
        kind = NONZERO if c["kind"] == "nonzero" else "zero"
        run_check(Check(c["id"], _expr(c["expr"], claims), kind, c["id"]), backend)
    backend.finish()
    t.absorb_points("zk-products", [point(p) for p in case["products"]])
    r = Reader(bytes.fromhex(case["tail"]))
    verify_tail(GENS, t, r, backend.linear, backend.triples, [])
    r.finish()
    return backend


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"])
def test_vector_case(case: dict) -> None:
    if case["valid"]:
        backend = _verify(case)
        assert backend.linear, "every model has zero checks over commitments"
        return
    with pytest.raises(VerificationError) as exc:
        _verify(case)
    assert exc.value.check == case["check"]


def test_products_and_inverses_are_exercised() -> None:
    by_name = {c["name"]: c for c in VECTORS["cases"]}
    kinds = {c["kind"] for case in VECTORS["cases"] for c in case["checks"]}
    assert kinds == {"zero", "nonzero"}
    assert all(by_name[n]["products"] for n in ("mlp_argmax", "silu", "softmax_head"))
