"""circuits/vectors/unlearning.json is what tests/unlearn/unlearn_vectors.py writes, and its
cases hold: the request parses to itself, each malformed one is refused, the lineage's
heads chain."""

from __future__ import annotations

import json

import pytest
import unlearn_vectors as vectors

from zkml.unlearn.lineage import Lineage
from zkml.unlearn.request import Request, RequestFormatError


def test_file_is_the_generators_output():
    assert vectors.OUT.read_text() == vectors.text(), \
        "regenerate with .venv/bin/python tests/unlearn/unlearn_vectors.py"


def test_cases_hold():
    doc = json.loads(vectors.OUT.read_text())
    data = bytes.fromhex(doc["request"]["hex"])
    req = Request.from_bytes(data)
    assert req.to_bytes() == data and req.c_req.hex() == doc["request"]["c_req"]
    assert [list(a) for a in req.affected()] == doc["request"]["affected"]
    for case in doc["request_invalid"]:
        with pytest.raises(RequestFormatError):
            Request.from_bytes(bytes.fromhex(case["hex"]), case["why"])
    lin = Lineage.from_bytes(json.dumps(doc["lineage"]).encode())
    assert len(lin.records) == 2 and lin.head.c_req == doc["request"]["c_req"]
