"""The prover's declarations agree with the verifier's (circuits/checks.md 5).

`circuits/vectors/declarations.json` is written by the Rust prover (rust/core/tests/
declarations.rs): for each model, the honest proof's checks as its gadgets declare them,
in canonical form. Here the Python verifier verifies the same proof (found in
inference.json by its SHA-256) and every check it runs is put in the same canonical form:
ids, kinds, terms, factor order, committed flags, public claims' names and values, and
coefficients must all be equal. The final check carries every instance's value.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

import zkml.verifier.gadgets.base as base
import zkml.verifier.pipeline as pipeline
from zkml.verifier import InferenceVerifier, VerifyingKey
from zkml.verifier.declarations import Check, Claim, Expr, run_check
from zkml.verifier.field import R

VECTORS = Path(__file__).resolve().parents[2] / "circuits" / "vectors"

def canonical(e: Expr) -> dict:
    """The canonical form of declare.rs (`Expr::canonical`)."""
    const, terms = 0, []
    for c, fs in e.terms:
        if not fs:
            const += c
            continue
        terms.append({"coeff": str(c % R), "factors": [_factor(f) for f in fs]})
    return {"const": str(const % R), "terms": terms}


def _factor(f: Claim | Expr) -> dict:
    if isinstance(f, Claim):
        value = None if f.committed else str(f.value % R)
        return {"claim": f.name, "committed": f.committed, "value": value}
    live = [t for t in f.terms if t[1]]
    lone = len(live) == 1 and all(t[1] or t[0] % R == 0 for t in f.terms)
    if lone and live[0][0] % R == 1 and len(live[0][1]) == 1:
        return _factor(live[0][1][0])
    return {"expr": canonical(f), "committed": f.committed}


def _rust_checks(decl: dict) -> list[dict]:
    """The prover's checks in the verifier's order (checks.md 4): the table gadgets'
    leaf checks, each gadget's at its acc point, the output's, those made while the
    instances' values are read, the final check."""
    out = decl["leaves"] + [c for g in decl["gadgets"] for c in g["checks"]]
    return out + decl["output"]["checks"] + decl["values"] + [decl["final"]]


def _load() -> tuple[list[dict], dict[str, dict]]:
    path = VECTORS / "declarations.json"
    if not path.exists():
        pytest.skip(f"{path} not written yet (`make vectors`)")
    by_hash = {}
    for m in json.loads((VECTORS / "inference.json").read_text())["models"]:
        for case in m["cases"]:
            if case["valid"]:
                by_hash[hashlib.sha256(bytes.fromhex(case["proof"])).hexdigest()] = (m, case)
    return json.loads(path.read_text())["models"], by_hash


MODELS, PROOFS = _load()


@pytest.mark.parametrize("entry", MODELS, ids=lambda e: e["name"])
def test_prover_and_verifier_declare_the_same_checks(entry: dict, monkeypatch: Any) -> None:
    m, case = PROOFS[entry["proof_sha256"]]  # the prover's proof is a vector's proof
    seen: list[Check] = []

    def recording(check: Check, backend: Any) -> None:
        seen.append(check)
        run_check(check, backend)

    monkeypatch.setattr(base, "run_check", recording)
    monkeypatch.setattr(pipeline, "run_check", recording)
    vk = VerifyingKey.from_bytes(bytes.fromhex(m["vk"]))
    InferenceVerifier(vk).verify(bytes.fromhex(case["proof"]))
    py = [{"id": c.id, "kind": c.kind, "expr": canonical(c.expr)} for c in seen]
    rust = _rust_checks(entry["declarations"])
    assert [c["id"] for c in py] == [c["id"] for c in rust]
    for p, r in zip(py, rust, strict=True):
        assert p == r, p["id"]
    assert py[-1]["id"] == "inference.final"


def test_the_vector_names_every_instance_of_the_verifier() -> None:
    """The prover's instance names per gadget are the verifier's (base.py, gadgets/)."""
    from zkml.verifier.gadgets import instance_table

    for entry in MODELS:
        m, _ = PROOFS[entry["proof_sha256"]]
        vk = VerifyingKey.from_bytes(bytes.fromhex(m["vk"]))
        decl = entry["declarations"]
        rust = [(i["name"], i["gadget"]) for g in decl["gadgets"] for i in g["instances"]]
        rust += [(i["name"], i["gadget"]) for i in decl["output"]["instances"]]
        py = [(n, g) for n, g, _ in instance_table(vk.circuit, vk.circuit.layout(entry["batch"]))]
        assert sorted(rust) == sorted(py), entry["name"]


def test_the_vector_covers_every_gadget_op_and_argmax() -> None:
    """declarations.json holds the covering set of test_declarations.py (and more)."""
    from zkml.verifier.gadgets import GADGETS

    ops = set()
    for entry in MODELS:
        c = json.loads(PROOFS[entry["proof_sha256"]][0]["circuit"])
        ops |= {g["producer"]["op"] for g in c["gadgets"]}
        ops |= {"<argmax>"} if c["output"].get("argmax") else set()
    assert ops == set(GADGETS) | {"<argmax>"}
