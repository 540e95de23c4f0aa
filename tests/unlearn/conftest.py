"""Shared scenarios of the unlearning tests: each built once per session (training the
MLPs, compiling the client's model, register, request, apply)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from unlearn_models import Case, Flow, digits_case, run_flow  # noqa: E402


@pytest.fixture(scope="session")
def digits(tmp_path_factory) -> Case:
    """The digits scenario's models and datasets (forget class 3)."""
    return digits_case(tmp_path_factory.mktemp("digits"))


@pytest.fixture(scope="session")
def digits_flow(tmp_path_factory, digits) -> Flow:
    """The first dense layer's flow."""
    return run_flow(tmp_path_factory.mktemp("flow1"), digits, reserve="fc1.weight")


@pytest.fixture(scope="session")
def digits_flow2(tmp_path_factory, digits) -> Flow:
    """The second dense layer's flow (`--layer fc2`): its X is the model's activations."""
    return run_flow(tmp_path_factory.mktemp("flow2"), digits, layer="fc2", reserve="fc2.weight")
