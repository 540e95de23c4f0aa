"""The cross-language vectors in circuits/vectors/, recomputed by the Python verifier.

The Rust side writes these files (`make vectors`); each test skips only while its file
does not exist yet.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier import Verifier, verify_artifact
from zkml.verifier.encoding import Reader, enc_g1s
from zkml.verifier.field import R, eq_table, mle_eval
from zkml.verifier.generators import DEFAULT_SEED, generators, seed_digest
from zkml.verifier.hyrax import commit
from zkml.verifier.proofs import parse_artifact
from zkml.verifier.sumcheck import parse_sumcheck_proof, sumcheck_verify
from zkml.verifier.transcript import Transcript

VECTORS = Path(__file__).resolve().parents[2] / "circuits" / "vectors"


def load(name: str) -> dict:
    path = VECTORS / name
    if not path.exists():
        pytest.skip(f"{path} not written yet (run `make vectors` on the Rust side)")
    return json.loads(path.read_text())


def fe(s) -> int:
    """A field element or coordinate from a vector (decimal string or int)."""
    return int(s)


def fes(v) -> list[int]:
    return [fe(s) for s in v]


def test_transcript_vectors():
    cases = load("transcript.json")["cases"]
    assert cases
    for case in cases:
        t = Transcript(case["tag"].encode("ascii"))
        for op in case["ops"]:
            if op["op"] == "absorb":
                t.absorb(op["label"], bytes.fromhex(op["data"]))
            elif op["op"] == "squeeze":
                assert t.squeeze(op["label"]) == fe(op["challenge"]), (case["tag"], op)
            else:
                pytest.fail(f"unknown transcript op {op['op']!r}")
        assert t.state.hex() == case["final_state"], case["tag"]


def test_encoding_vectors():
    v = load("encoding.json")
    for c in v["fr_valid"]:
        rd = Reader(bytes.fromhex(c["hex"]))
        assert rd.fr() == fe(c["value"])
        rd.finish()
    for c in v["fr_invalid"]:
        with pytest.raises(ProofFormatError):
            rd = Reader(bytes.fromhex(c["hex"]))
            rd.fr()
            rd.finish()
    for c in v["g1_valid"]:
        rd = Reader(bytes.fromhex(c["hex"]))
        pt = rd.g1()
        rd.finish()
        if c["infinity"]:
            assert pt is None
        else:
            assert pt == (fe(c["x"]), fe(c["y"]))
    for c in v["g1_invalid"]:
        with pytest.raises(ProofFormatError):
            rd = Reader(bytes.fromhex(c["hex"]))
            rd.g1()
            rd.finish()


def test_generator_vectors():
    v = load("generators.json")
    seed = v["seed"].encode("ascii")
    assert seed == DEFAULT_SEED
    digest = seed_digest(seed)
    assert digest.hex() == v["seed_digest"]
    top = max(g["index"] for g in v["generators"])
    gens = generators(digest, top + 1)
    for g in v["generators"]:
        assert gens[g["index"]] == (fe(g["x"]), fe(g["y"])), g["index"]
    other = v.get("other_seed")
    if other is not None:
        og = generators(seed_digest(other["seed"].encode("ascii")), other["index"] + 1)
        assert og[other["index"]] == (fe(other["x"]), fe(other["y"]))


def test_mle_vectors():
    cases = load("mle.json")["cases"]
    assert cases
    for c in cases:
        table, point = fes(c["table"]), fes(c["point"])
        assert eq_table(point) == fes(c["eq_table"])
        assert mle_eval(table, point) == fe(c["value"])


def test_sumcheck_vectors():
    cases = load("sumcheck.json")["cases"]
    assert cases
    for c in cases:
        n, d = c["num_vars"], c["degree"]
        t = Transcript(c["tag"].encode("ascii"))
        tables = [fes(tab) for tab in c["tables"]]
        if "tau" in c:
            tau = [t.squeeze("zerocheck-tau") for _ in range(n)]
            assert tau == fes(c["tau"]), c["name"]
            assert tables[0] == eq_table(tau), c["name"]
        rd = Reader(bytes.fromhex(c["proof"]))
        proof = parse_sumcheck_proof(rd, n, d)
        rd.finish()
        point, final = sumcheck_verify(t, fe(c["claim"]), n, d, proof)
        assert point == fes(c["challenges"]), c["name"]
        assert final == fe(c["final"]), c["name"]
        vals = [mle_eval(tab, point) for tab in tables]
        expect = 0
        for term in c["terms"]:
            prod = fe(term["coeff"])
            for m in term["factors"]:
                prod = prod * vals[m] % R
            expect += prod
        assert final == expect % R, c["name"]
        # the claim is the hypercube sum, and a wrong claim is rejected
        with pytest.raises(VerificationError):
            t2 = Transcript(c["tag"].encode("ascii"))
            for _ in range(n if "tau" in c else 0):
                t2.squeeze("zerocheck-tau")
            sumcheck_verify(t2, fe(c["claim"]) + 1, n, d, proof)


def test_hyrax_vectors():
    cases = load("hyrax.json")["cases"]
    assert cases
    gens = generators(seed_digest(DEFAULT_SEED), max(1 << c["log_cols"] for c in cases))
    for c in cases:
        com = commit(fes(c["table"]), c["num_vars"], c["log_cols"], gens)
        assert enc_g1s(com).hex() == c["commitment"], (c["num_vars"], c["log_cols"])
        rd = Reader(bytes.fromhex(c["commitment"]))
        assert rd.g1_vec("commitment", expected=1 << (c["num_vars"] - c["log_cols"])) == com
        rd.finish()


def test_proof_vectors():
    cases = load("proofs.json")["cases"]
    assert cases
    assert any(c["valid"] for c in cases) and any(not c["valid"] for c in cases)
    verifier = Verifier()
    for c in cases:
        data = bytes.fromhex(c["artifact"])
        if c["valid"]:
            st = verify_artifact(data)
            assert st.kind == c["kind"], c["name"]
            assert verifier.verify(data) == st
            kind, _ = parse_artifact(data)
            assert kind == c["kind"]
        else:
            with pytest.raises(VerificationError):
                verify_artifact(data)
            if "seed 'other'" in c["why"]:
                # made honestly for another seed: accepted there, and only there
                assert Verifier(seed=b"other").verify(data).kind == c["kind"]
