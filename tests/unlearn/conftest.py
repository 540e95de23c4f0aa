"""Shared scenarios of the unlearning tests: each built once per session (training the
MLPs, compiling the client's model, register, request, apply)."""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from setup_models import Case, digits_case  # noqa: E402


@dataclass
class Flow:
    """One register -> request -> apply run and everything it wrote."""

    case: Case
    dir: Path
    compiled: Path
    request: Path
    record: Path
    result: object


def run_flow(tmp: Path, case: Case, layer: str | None = None, fraction: float = 0.10,
             reserve: str | None = None) -> Flow:
    """Compile the client's ONNX (hiding; with `reserve`, that weight keeps its extra bit:
    `--unlearnable`), register its data, make the provider's request for `layer` and
    apply it."""
    import zkml
    from zkml.unlearn.apply import apply_update
    from zkml.unlearn.data import load_dataset
    from zkml.unlearn.register import register
    from zkml.unlearn.request import make_request

    compiled = tmp / "client.zkmlc"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zkml.compile(case.client_onnx, calibration=case.client_data[0][:300].astype(np.float32),
                     output_path=compiled, vk_path=tmp / "client.vk",
                     unlearnable=[reserve] if reserve else [])
    _, record, _ = register(compiled, case.client)
    req = make_request(case.provider_onnx, load_dataset(case.forget, "forget set"),
                       load_dataset(case.retain, "retain set"), layer=layer,
                       fraction=fraction)
    req_path = tmp / "request.bin"
    req_path.write_bytes(req.to_bytes())
    result = apply_update(compiled, req_path, case.client, record, tmp / "update")
    return Flow(case, tmp, compiled, req_path, record, result)


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
