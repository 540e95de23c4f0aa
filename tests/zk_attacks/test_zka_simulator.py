"""The simulator (zka_simulator; circuits/zk.md "Simulator") is real code: from the
statement alone it makes kind-5 proofs that the unchanged pure-Python verifier accepts
when its transcript takes the simulator's programmed challenges. It uses no witness: it
does the same for a false statement. Without the programmed oracle the same bytes are
rejected (soundness is untouched), and a simulator that only commits to zero (no values
solved for the linear check) is rejected even with it."""

from __future__ import annotations

import pytest
from zka_models import inputs, prove, vk_of
from zka_simulator import Oracle, programmed, simulate, statement_bytes

from zkml.errors import VerificationError
from zkml.verifier.inference import InferenceVerifier


def _false(statement: bytes) -> bytes:
    """The statement with its last output value changed by one (still in range)."""
    b = bytearray(statement)
    b[-1] ^= 1
    return bytes(b)


def test_simulated_kind5_proof_is_accepted_under_the_programmed_oracle(models):
    vk = vk_of(models.a5)
    real = prove(models.a5, inputs(1, seed=31)[0])
    statement = statement_bytes(real, vk)
    oracle = Oracle(1)
    sim = simulate(vk, statement, oracle, seed=2)
    assert sim[:len(statement)] == statement and len(sim) == len(real) and sim != real
    with programmed(oracle):
        got = InferenceVerifier(vk).verify(sim)
    assert got.hiding and got.output == InferenceVerifier(vk).verify(real).output
    # the random oracle is what makes it accept: the real transcript rejects it
    with pytest.raises(VerificationError) as e:
        InferenceVerifier(vk).verify(sim)
    assert e.value.check == "zk.merged"


def test_simulator_needs_no_witness_and_needs_its_linear_solve(models):
    vk = vk_of(models.a5)
    statement = _false(statement_bytes(prove(models.a5, inputs(1, seed=32)[0]), vk))
    oracle = Oracle(3)
    sim = simulate(vk, statement, oracle, seed=4)
    with programmed(oracle):
        assert InferenceVerifier(vk).verify(sim).hiding  # a false output, accepted
    # committing to zero everywhere is not enough: the linear check's public constants
    # (X_in, Y(r_out), the tables' MLEs) need values chosen knowing the challenges
    zeros_oracle = Oracle(5)
    zeros = simulate(vk, statement, zeros_oracle, seed=6, solve=False)
    with programmed(zeros_oracle), pytest.raises(VerificationError) as e:
        InferenceVerifier(vk).verify(zeros)
    assert e.value.check == "zk.merged"
