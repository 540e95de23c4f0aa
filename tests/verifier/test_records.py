"""Per-op producer records: each op's gadget class parses its producer into its own frozen
record (defined next to its parser), and a check object admits that record only (a
gadget carrying another op's record is refused: fail closed).

The circuits are the cross-language vectors' (circuits/vectors/inference.json), which
cover every op in GADGETS (asserted).
"""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from pathlib import Path

import pytest

from zkml.errors import VerificationError
from zkml.verifier.circuit import Circuit, parse_circuit
from zkml.verifier.gadgets import GADGETS, checks_for
from zkml.verifier.records import Producer

PATH = Path(__file__).resolve().parents[2] / "circuits" / "vectors" / "inference.json"


@cache
def _circuits() -> list[Circuit]:
    if not PATH.exists():
        pytest.skip(f"{PATH} not written yet (`make vectors`)")
    return [parse_circuit(m["circuit"].encode("utf-8"))
            for m in json.loads(PATH.read_text())["models"]]


def test_every_op_parses_into_its_own_frozen_record():
    seen = set()
    for c in _circuits():
        for g in c.gadgets:
            cls = GADGETS[g.op]
            assert type(g.producer) is cls.RECORD and cls.RECORD is not Producer, g.op
            assert dataclasses.is_dataclass(g.producer)
            with pytest.raises(dataclasses.FrozenInstanceError):
                g.producer.x = 0  # type: ignore[misc]
            seen.add(g.op)
    assert seen == set(GADGETS)


def test_records_hold_only_their_ops_fields():
    names = {op: {f.name for f in dataclasses.fields(cls.RECORD)} for op, cls in GADGETS.items()}
    assert names["identity"] == {"x"}
    assert names["dense"] == {"x", "weight", "bias", "bias_shift"}
    assert names["conv"] == names["dense"] | {"conv"}
    assert names["table"] == {"x", "table", "table_bits", "lo_x"}
    assert names["rowdiv"] == {"x", "y", "lshift", "rem_bits"}
    assert names["concat"] == {"x", "parts", "shapes", "axes"}


def test_a_check_refuses_another_ops_record():
    gadgets = [g for c in _circuits() for g in c.gadgets]
    c = next(c for c in _circuits() if any(g.op == "dense" for g in c.gadgets))
    dense = next(g for g in c.gadgets if g.op == "dense")
    for op in ("conv", "table", "identity"):
        other = next(g for g in gadgets if g.op == op)
        forged = dataclasses.replace(dense, producer=other.producer)
        with pytest.raises(VerificationError, match=f"is not a {type(dense.producer).__name__}"):
            GADGETS["dense"](c, forged)
    assert len(checks_for(c)) == len(c.gadgets)  # the parsed gadgets themselves pass
