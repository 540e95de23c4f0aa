"""The max2 gadget (circuits/max.md: Max, Min, Abs) against cheating provers, through the
pure-Python verifier.

The proofs are the Rust prover's (circuits/vectors/inference.json, model "minmax":
`rust/core/tests/support/vectors_max.rs`): honest at batch 1 and 3, and at batch 1 the
honest prover run on cheating witnesses, each case's `why` starting with the id of the
check it must fail (`cheats.rejected`). A cheating prover that edits a message instead
(an operand's or a difference's evaluation at the acc point) is made here from the
honest proof: the acc-evals vector is rewritten in place, the transcript absorbing the
edited values, as a prover sending them would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cheats import rejected

import zkml.verifier.inference as inference
from zkml.verifier import InferenceVerifier, VerifyingKey
from zkml.verifier.encoding import enc_frs
from zkml.verifier.field import R

PATH = Path(__file__).resolve().parents[2] / "circuits" / "vectors" / "inference.json"
#: gadget 2 of the model is max(h, k) (testkit_max.rs::minmax)
MAX_GADGET = 2


def _models() -> list[dict]:
    return [m for m in json.loads(PATH.read_text())["models"] if m.get("name") == "minmax"]


MODELS = _models()
CHEATS = [(m, c) for m in MODELS for c in m["cases"] if not c["valid"]]


def _verifier(m: dict) -> InferenceVerifier:
    return InferenceVerifier(VerifyingKey.from_bytes(bytes.fromhex(m["vk"])))


def test_the_vectors_hold_the_minmax_model_with_every_direction():
    assert [m["batch"] for m in MODELS] == [1, 3]
    c = json.loads(MODELS[0]["circuit"])
    prods = [g["producer"] for g in c["gadgets"] if g["producer"]["op"] == "max2"]
    assert sorted(p["dir"] for p in prods) == [-1, -1, 1, 1]
    assert any(p["x"] == p["y"] == "input" and p["signs"] == [1, -1] for p in prods)  # Abs
    assert len(CHEATS) >= 6


@pytest.mark.parametrize("m", MODELS, ids=lambda m: f"batch{m['batch']}")
def test_honest_proofs_verify(m):
    (honest,) = [c for c in m["cases"] if c["valid"]]
    st = _verifier(m).verify(bytes.fromhex(honest["proof"]))
    assert [v for row in st.output for v in row] == m["output"]
    assert st.batch == m["batch"]


@pytest.mark.parametrize(("m", "case"), CHEATS, ids=[c["name"] for _, c in CHEATS])
def test_a_cheating_witness_fails_its_check(m, case):
    check = case["why"].split(":")[0]
    with rejected(check):
        _verifier(m).verify(bytes.fromhex(case["proof"]))


def _acc_evals(m: dict, proof: bytes) -> list[list[int]]:
    """The honest proof's acc-evals per gadget, as the verifier reads them."""
    seen: list = []
    real = inference._read_gadget_evals

    def recording(rd, checks):
        out = real(rd, checks)
        seen.append(out[0])
        return out

    inference._read_gadget_evals = recording
    try:
        _verifier(m).verify(proof)
    finally:
        inference._read_gadget_evals = real
    return seen[0]


def _edited(proof: bytes, acc: list[int], k: int) -> bytes:
    """The proof with acc-evals entry `k` of one gadget raised by one."""
    old = enc_frs(acc)
    assert proof.count(old) == 1
    new = list(acc)
    new[k] = (new[k] + 1) % R
    return proof.replace(old, enc_frs(new))


@pytest.mark.parametrize(("what", "offset", "check"), [
    ("x's first limb", 0, "gadget.max2.relation-x"),
    ("y's first limb", 1, "gadget.max2.relation-y"),
    ("A's first limb", -2, "gadget.max2.relation-x"),
    ("B's first limb", -1, "gadget.max2.relation-y"),
])
def test_an_edited_evaluation_at_the_acc_point_fails_its_relation(what, offset, check):
    m = MODELS[0]
    (honest,) = [c for c in m["cases"] if c["valid"]]
    proof = bytes.fromhex(honest["proof"])
    vk = VerifyingKey.from_bytes(bytes.fromhex(m["vk"]))
    g = vk.circuit.gadgets[MAX_GADGET]
    assert g.op == "max2" and g.producer.dir == 1
    acc = _acc_evals(m, proof)[MAX_GADGET]
    own = len(g.own)
    # acc-evals: own columns (.., A limbs, B limbs), x's u limbs, y's u limbs
    n_x = len(vk.circuit.gadgets[g.producer.x].u)
    n_a, n_b = len(g.group("A")), len(g.group("B"))
    k = {0: own, 1: own + n_x, -2: own - n_b - n_a, -1: own - n_b}[offset]
    with rejected(check):
        _verifier(m).verify(_edited(proof, acc, k))
