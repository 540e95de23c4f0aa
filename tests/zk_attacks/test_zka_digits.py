"""The realistic case (slow): the digits MLP (artifacts/digits_mlp.onnx, 3466 weights and
biases in a 4096-entry model stack). 64 kind-3 proofs give back every weight exactly
from their opening vectors alone; 66 kind-5 proofs of the same inputs leave the same
system without a solution. Its statement is also simulated: the simulator's proof is
accepted under its programmed oracle."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from zka_capture import observe_kind3, observe_kind5
from zka_models import model_stack, prove, vk_of
from zka_simulator import Oracle, programmed, simulate, statement_bytes
from zka_weights import recover_by_columns

import zkml
from zkml.verifier.inference import InferenceVerifier

ART = Path(__file__).resolve().parents[2] / "artifacts"


def _compile(hiding: bool):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return zkml.compile(ART / "digits_mlp.onnx",
                            calibration=np.load(ART / "digits_calibration.npy"), hiding=hiding)


def _inputs(n: int) -> list[np.ndarray]:
    cal = np.load(ART / "digits_calibration.npy").reshape(-1, 64)
    return [cal[k % len(cal)] * (1 + 0.01 * (k // len(cal))) for k in range(n)]


@pytest.mark.slow
def test_digits_weight_recovery_kind3_exact_kind5_nothing():
    t0 = time.perf_counter()
    cm3, cm5 = _compile(False), _compile(True)
    vk3, vk5 = vk_of(cm3), vk_of(cm5)
    rows = 1 << (vk3.num_vars - vk3.log_cols)
    views3 = [observe_kind3(vk3, prove(cm3, x))[1] for x in _inputs(rows)]
    assert recover_by_columns(views3, 3) == model_stack(cm3)
    t3 = time.perf_counter() - t0
    views5 = [observe_kind5(vk5, prove(cm5, x))[1] for x in _inputs(rows + 2)]
    assert recover_by_columns(views5[:rows], 5) != model_stack(cm5)
    assert recover_by_columns(views5, 5) is None  # no solution with two proofs more
    print(f"\nzk-attacks digits: kind 3 weights recovered from {rows} proofs ({t3:.0f} s); "
          f"kind 5: {rows + 2} proofs, no solution ({time.perf_counter() - t0 - t3:.0f} s)")


@pytest.mark.slow
def test_digits_simulated_proof_is_accepted_under_the_programmed_oracle():
    t0 = time.perf_counter()
    cm5 = _compile(True)
    vk = vk_of(cm5)
    x = np.array(json.loads((ART / "digits_input.json").read_text())["input_data"][0])
    real = prove(cm5, x)
    oracle = Oracle(11)
    sim = simulate(vk, statement_bytes(real, vk), oracle, seed=12)
    want = InferenceVerifier(vk).verify(real).output
    with programmed(oracle):
        assert InferenceVerifier(vk).verify(sim).output == want
    print(f"\nzk-attacks digits: simulated proof ({len(sim)} bytes) accepted under the "
          f"programmed oracle ({time.perf_counter() - t0:.0f} s)")
