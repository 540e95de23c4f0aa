"""Final checks declared as data (circuits/checks.md) evaluated through a mock commitment
backend (tests/verifier/mock_commitments.py): every gadget op's declarations run with no
gadget code change, an honest proof's checks all hold, a tampered claim fails the check
that reads it (asserted by id), and the products and linear checks recorded per gadget
are the counts circuits/zk.md's schedule gives.

The proofs are the cross-language vectors (circuits/vectors/inference.json): the models
picked below cover every op in GADGETS and the ArgMax output (asserted).
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from mock_commitments import Handle, MockCommitments

from zkml.errors import VerificationError
from zkml.verifier import InferenceVerifier, VerifyingKey
from zkml.verifier.circuit import Circuit, Gadget
from zkml.verifier.declarations import (
    CLEAR,
    Claim,
    evaluate,
    nonzero_check,
    public,
    run_check,
    zero_check,
)
from zkml.verifier.field import R
from zkml.verifier.gadgets import GADGETS, OutputCheck, checks_for, ordered_instances

PATH = Path(__file__).resolve().parents[2] / "circuits" / "vectors" / "inference.json"


# --- the algebra -------------------------------------------------------------------


def _claims(*vals: int) -> tuple[MockCommitments, list[Claim]]:
    be = MockCommitments()
    return be, [Claim(f"c[{i}]", be.seal(v)) for i, v in enumerate(vals)]


def test_handles_add_and_scale_but_never_multiply_or_read():
    be, (a, b) = _claims(3, 4)
    ha, hb = be.load(a), be.load(b)
    assert isinstance(ha + hb, Handle) and isinstance(ha * 5 - 2, Handle)
    with pytest.raises(TypeError, match="backend.product"):
        ha * hb  # noqa: B018
    with pytest.raises(TypeError):
        int(ha)
    with pytest.raises(TypeError):
        bool(ha)
    with pytest.raises(TypeError):
        a.value  # noqa: B018  a committed claim is read by a backend only
    assert public("p", 7).value == 7


def test_expressions_build_and_never_compute():
    _, (a, b) = _claims(3, 4)
    e = (a + 1) * b
    with pytest.raises(TypeError):
        e % R  # noqa: B018  no modular reduction on a declared value
    with pytest.raises(TypeError):
        e * "x"  # noqa: B018


def test_products_of_several_claims_go_through_proofs_of_product():
    be, (a, b, c) = _claims(3, 4, 5)
    e = 2 * a * b * c + public("p", 10) * a - 7  # 2abc + 10a - 7
    v = evaluate(e, be)
    assert v._v == (2 * 60 + 30 - 7) % R
    assert len(be.products) == 2  # a b, then (a b) c
    assert v.lin == frozenset({"c[0]"})  # a enters linearly too
    x, y, z = (Claim(n, v) for n, v in (("x", 3), ("y", 4), ("z", 5)))
    assert CLEAR.reveal(evaluate(2 * x * y * z + public("p", 10) * x - 7, CLEAR), "t") == 143


def test_linear_forms_are_one_factor_each():
    be, (a, b, c, d) = _claims(1, 2, 3, 4)
    e = (a + 2 * b - 1) * (c - d)  # one product of two committed linear forms
    assert evaluate(e, be)._v == (4 * (R - 1)) % R
    assert len(be.products) == 1
    be2, (a2,) = _claims(6)
    assert evaluate(public("eq", 3) * (a2 << 2), be2)._v == 72 and not be2.products


def test_zero_and_nonzero_checks_carry_their_ids():
    be, (a, b) = _claims(5, 5)
    run_check(zero_check("t.zero", a - b, "a != b"), be)
    run_check(nonzero_check("t.nonzero", a + b, "a + b == 0"), be)
    assert [(c.id, c.kind) for c in be.checks] == [("t.zero", "zero"), ("t.nonzero", "nonzero")]
    assert be.inverses == ["t.nonzero"] and len(be.products) == 1  # (a + b) inv == 1
    with pytest.raises(VerificationError) as info:
        run_check(nonzero_check("t.nonzero", a - b, "a == b"), be)
    assert info.value.check == "t.nonzero"
    with pytest.raises(VerificationError) as info:
        run_check(zero_check("t.zero", a - b + 1, "off by one"), be)
    assert info.value.check == "t.zero"
    # the clear backend: the same declarations over ints
    x, y = Claim("x", 5), Claim("y", 5)
    run_check(zero_check("t.zero", x - y, "x != y"), CLEAR)
    with pytest.raises(VerificationError) as info:
        run_check(nonzero_check("t.nz", x - y, "x == y"), CLEAR)
    assert info.value.check == "t.nz"


def test_a_public_check_is_decided_in_the_clear():
    be = MockCommitments()
    run_check(zero_check("t.pub", public("p", 4) - 4, "p != 4"), be)
    assert not be.checks
    with pytest.raises(VerificationError) as info:
        run_check(zero_check("t.pub", public("p", 4) - 5, "p != 5"), be)
    assert info.value.check == "t.pub"


# --- every gadget through the mock backend -----------------------------------------------


@cache
def _models() -> list[dict]:
    """Models of the vectors, greedily (in file order) covering every op and ArgMax."""
    if not PATH.exists():
        pytest.skip(f"{PATH} not written yet (`make vectors`)")
    picked, covered = [], set()
    for m in json.loads(PATH.read_text())["models"]:
        c = json.loads(m["circuit"])
        ops = {g["producer"]["op"] for g in c["gadgets"]}
        if c["output"].get("argmax"):
            ops.add("<argmax>")
        if ops - covered:
            picked.append(m)
            covered |= ops
    return picked


def _label(m: dict) -> str:
    c = json.loads(m["circuit"])
    return m.get("name") or "+".join(sorted({g["producer"]["op"] for g in c["gadgets"]}))


def test_the_models_cover_every_gadget_op_and_argmax():
    ops = set()
    for m in _models():
        c = json.loads(m["circuit"])
        ops |= {g["producer"]["op"] for g in c["gadgets"]}
        ops |= {"<argmax>"} if c["output"].get("argmax") else set()
    assert ops == set(GADGETS) | {"<argmax>"}


def _committed(ref: int | None) -> bool:
    """A tensor read from the witness (a gadget) is committed; the public input is not."""
    return ref is not None


def expected_products(g: Gadget) -> int:
    """Proofs of product per gadget (circuits/zk.md 3, from the declarations)."""
    op, p = g.op, g.producer
    if op == "maxpool":
        return p.pool.windows  # sum_w S_w D_w
    if op == "winmax":
        return p.window.taps  # sum_t S_t D_t
    if op == "rowmax":
        return 1  # S D
    clamps = bool(g.ep) + bool(g.em)  # (z - hi) e+, u e- (rowdiv: (z - lo) e-)
    if op == "rowdiv":
        return int(_committed(p.y)) + clamps  # y q
    if op in ("dense", "conv"):
        return int(_committed(p.x)) + clamps  # X(s) W(s)
    if op == "mul":
        return int(_committed(p.x) and _committed(p.y)) + clamps  # eq X Y
    if op == "max2":
        return 1 + clamps  # A B
    return clamps


def expected_checks(g: Gadget) -> Counter:
    """Linear checks per gadget (circuits/zk.md 3, from the declarations)."""
    op, n = g.op, Counter()
    if g.v:
        n[f"gadget.{op}.z-plus-v"] += 1
    if g.divisor > 1:
        n[f"gadget.{op}.rem-plus-remc"] += 1
    if op in ("identity", "add", "affine", "addconst", "sumpool"):
        n[f"gadget.{op}.relation"] += 1
    elif op == "maxpool":
        n["gadget.maxpool.difference"] += g.producer.pool.windows
        n["gadget.maxpool.selectors"] += 1
    elif op == "winmax":
        n["gadget.winmax.selectors"] += 1
        if g.v:
            n["gadget.winmax.z-plus-v-a"] += 1
            n["gadget.winmax.z-plus-v-zerocheck"] += 1
    elif op == "rowmax":
        n["gadget.rowmax.selectors"] += 1
    elif op == "rowdiv":
        n["gadget.rowdiv.remainder"] += 1
    elif op == "max2":  # circuits/max.md 3
        n["gadget.max2.relation-x"] += 1
        n["gadget.max2.relation-y"] += 1
    elif op in ("concat", "rearrange"):
        n[f"gadget.{op}.parts"] += 1
    elif op == "table":
        for name in ("lookup-p", "lookup-q", "table-p", "table-q"):
            n[f"gadget.table.{name}"] += 1
    return n


def _owners(c: Circuit, batch: int) -> dict[str, int]:
    """sumcheck-evals[k] -> the gadget whose instance reads it."""
    insts = ordered_instances(checks_for(c), OutputCheck(c), c.layout(batch))
    out, k = {}, 0
    for inst in insts:
        for _ in range(inst.evals):
            out[f"sumcheck-evals[{k}]"] = inst.gadget
            k += 1
    return out


def _gadget_of(name: str, owners: dict[str, int]) -> int:
    if name.startswith("sumcheck-evals["):
        return owners[name]
    return int(name.split("[")[1].split("]")[0])  # acc-evals[g][j], window-e[g][0], ...


def _run(m: dict, proof: bytes, be):
    vk = VerifyingKey.from_bytes(bytes.fromhex(m["vk"]))
    return vk, InferenceVerifier(vk).verify(proof, backend=be)


@pytest.mark.parametrize("m", _models(), ids=_label)
def test_honest_proof_through_the_mock_backend(m):
    honest = next(c for c in m["cases"] if c["valid"])
    proof = bytes.fromhex(honest["proof"])
    be = MockCommitments()
    vk, st = _run(m, proof, be)
    assert st == InferenceVerifier(vk).verify(proof)  # the same statement as in the clear
    c = vk.circuit
    # linear checks: the gadgets' and the output's, then the one final check
    got: dict[int | None, Counter] = {}
    for rec in be.checks:
        got.setdefault(rec.gadget, Counter())[rec.id] += 1
    for g in c.gadgets:
        assert got.get(g.index, Counter()) == expected_checks(g), f"gadget {g.index} ({g.op})"
    assert got[None] == Counter({"inference.final": 1, **({"gadget.argmax.d": 1}
                                                          if c.argmax else {})})
    assert be.checks[-1].id == "inference.final"
    # proofs of product, attributed by the claims they multiply
    owners = _owners(c, st.batch)
    per = Counter(_gadget_of(min(p), owners) for p in be.products)
    for g in c.gadgets:
        assert per[g.index] == expected_products(g), f"gadget {g.index} ({g.op})"
    assert not be.inverses  # no gadget declares a non-zero check
    assert be.reveals["sumcheck-claim"] == len(ordered_instances(
        checks_for(c), OutputCheck(c), c.layout(st.batch)))


@pytest.mark.parametrize("m", _models(), ids=_label)
def test_a_tampered_claim_fails_the_check_that_reads_it(m):
    """For every check id of the honest run: a claim that reaches it linearly and no
    earlier check, moved by one inside the backend, fails exactly that check."""
    honest = next(c for c in m["cases"] if c["valid"])
    proof = bytes.fromhex(honest["proof"])
    be = MockCommitments()
    _run(m, proof, be)
    seen: set[str] = set()
    earlier: set[str] = set()
    tried = 0
    for rec in be.checks:
        fresh = sorted(rec.lin - earlier)
        earlier |= rec.all
        if rec.id in seen or not fresh:
            continue
        seen.add(rec.id)
        with pytest.raises(VerificationError) as info:
            _run(m, proof, MockCommitments(tamper={fresh[0]: 1}))
        assert info.value.check == rec.id, f"{fresh[0]}: {info.value}"
        tried += 1
    assert tried and "inference.final" in seen


@pytest.mark.parametrize("m", _models(), ids=_label)
def test_cheating_vectors_fail_the_same_check_in_both_backends(m):
    vk = VerifyingKey.from_bytes(bytes.fromhex(m["vk"]))
    verifier = InferenceVerifier(vk)
    for case in m["cases"]:
        if case["valid"]:
            continue
        proof = bytes.fromhex(case["proof"])
        with pytest.raises(VerificationError) as clear:
            verifier.verify(proof)
        with pytest.raises(VerificationError) as mock:
            verifier.verify(proof, backend=MockCommitments())
        assert "internal verifier error" not in str(mock.value), case["name"]
        assert (mock.value.check, str(mock.value)) == (clear.value.check, str(clear.value))
