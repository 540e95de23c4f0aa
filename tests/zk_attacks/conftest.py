"""Fixtures of the zero-knowledge attack tests: one small MLP, its twin with the hidden
units permuted (the same function, other weights), each compiled hiding (kind 5) and not
(kind 3). Compiling takes about a second per model, so the models are session-scoped."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for p in (HERE, HERE.parent / "inference"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from zka_models import Models, build_models  # noqa: E402


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> Models:
    """The twin MLPs, each compiled with and without hiding (zka_models.build_models)."""
    return build_models(tmp_path_factory.mktemp("zka"))
