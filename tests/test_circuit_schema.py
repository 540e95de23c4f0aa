"""The circuit schema (circuits/circuit.schema.json) against the Python code: each side's
limit constants equal the schema's limit table, every circuit of the vectors meets the
schema, the committed mutation corpus is what the generator writes, and both the
verifier's parser and the prover-side loader reject every case (rust/core/tests/
circuit_schema.rs checks the Rust parser on the same corpus)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from circuit_mutations import (  # noqa: E402
    CORPUS,
    VECTORS,
    apply_patch,
    canonical,
    check_document,
    generate,
    load_schema,
    write,
)

import zkml.compiler.limits as prover_limits  # noqa: E402
import zkml.verifier.circuit_limits as verifier_limits  # noqa: E402
from zkml.compiler.circuit import CircuitFormatError  # noqa: E402
from zkml.compiler.circuit_load import circuit_from_bytes
from zkml.errors import ProofFormatError  # noqa: E402
from zkml.verifier.circuit import parse_circuit  # noqa: E402

SCHEMA = load_schema()


def _schema_value(name: str) -> object:
    entry = SCHEMA["limits"][name]
    return tuple(entry["values"]) if "values" in entry else entry["value"]


@pytest.mark.parametrize("module", [prover_limits, verifier_limits],
                         ids=["prover", "verifier"])
def test_limits_equal_the_schema_table(module) -> None:
    assert set(module.__all__) == set(SCHEMA["limits"])
    for name in SCHEMA["limits"]:
        assert getattr(module, name) == _schema_value(name), name


def test_verifier_copies_outside_circuit_limits_agree() -> None:
    """The verifier's reader limits kept in its encoding and wiring modules."""
    from zkml.verifier import encoding, wiring

    assert encoding.MAX_CIRCUIT_JSON_BYTES == verifier_limits.MAX_CIRCUIT_JSON_BYTES
    assert encoding.MAX_NUM_VARS == verifier_limits.MAX_NUM_VARS
    assert (wiring.MAX_LEN, wiring.MAX_STEP) == (verifier_limits.MAX_WIRE_LEN,
                                                 verifier_limits.MAX_WIRE_STEP)


def test_every_vector_circuit_meets_the_schema() -> None:
    models = json.loads(VECTORS.read_text())["models"]
    for i, m in enumerate(models):
        assert check_document(SCHEMA, json.loads(m["circuit"])) == [], i


def test_schema_checker_finds_a_broken_field() -> None:
    doc = json.loads(json.loads(VECTORS.read_text())["models"][0]["circuit"])
    doc["gadgets"][0]["shift"] = 65
    assert check_document(SCHEMA, doc) == ["/gadgets/0/shift: 65 not an integer in [0, 64]"]


def test_corpus_is_what_the_generator_writes() -> None:
    assert CORPUS.read_text() == write(generate())


def _corpus() -> tuple[dict[str, bytes], list[tuple[dict, bytes]]]:
    corpus = json.loads(CORPUS.read_text())
    bases = {k: v.encode() for k, v in corpus["bases"].items()}
    docs = {k: json.loads(v) for k, v in bases.items()}
    cases = [(c, canonical(apply_patch(docs[c["base"]], c["patch"])))
             for c in corpus["cases"]]
    return bases, cases


@pytest.mark.parametrize("parse, error", [(parse_circuit, ProofFormatError),
                                          (circuit_from_bytes, CircuitFormatError)],
                         ids=["verifier", "prover"])
def test_every_mutation_is_rejected(parse, error) -> None:
    bases, cases = _corpus()
    for data in bases.values():
        parse(data)
    assert len(cases) > 500
    accepted = []
    for case, data in cases:
        try:
            parse(data)
        except error:
            continue
        accepted.append(f"{case['base']} [{case['rule']}]: {case['why']}")
    assert accepted == []
