"""Shared reading of the zero-knowledge vector files (circuits/vectors/sigma.json,
zk_*.json): load a file, decode a point, and check a case against its expected outcome
(accepted, or rejected with its check id)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from zkml.errors import VerificationError
from zkml.verifier.encoding import Reader
from zkml.verifier.msm import G1Point

VECTORS_DIR = Path(__file__).parents[2] / "circuits/vectors"


def load(name: str) -> dict:
    """The parsed vector file `circuits/vectors/<name>`."""
    return json.loads((VECTORS_DIR / name).read_text())


def point(h: str) -> G1Point:
    """A strictly decoded G1 point from hex."""
    r = Reader(bytes.fromhex(h))
    p = r.g1()
    r.finish()
    return p


def expect(case: dict, verify: Callable[[dict], object]) -> None:
    """`verify(case)` accepts a valid case and rejects an invalid one with its `check`."""
    if case["valid"]:
        verify(case)
        return
    with pytest.raises(VerificationError) as exc:
        verify(case)
    assert exc.value.check == case["check"]
