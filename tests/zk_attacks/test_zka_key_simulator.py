"""The kind-6 simulator (zka_key_simulator; circuits/zk.md "Simulator") is real code: from
the key's public part alone (the circuit, `C_P`'s blinded rows, the generators) it makes a
hiding verifying key that the unchanged pure-Python verifier accepts when its transcript
takes the simulator's programmed challenges, even for rows no one can open. Without the
programmed oracle (or with another one) the same key is rejected, so the acceptance is
the oracle's doing (soundness is untouched)."""

from __future__ import annotations

import hashlib
import inspect

import pytest
from zka_key_simulator import KeyStatement, key_statement, simulate_key
from zka_models import vk_of
from zka_simulator import Oracle, programmed

import zkml.verifier.zk_key as zk_key
from zkml.errors import InvalidKeyError, VerificationError
from zkml.verifier import VerifyingKey
from zkml.verifier.encoding import enc_g1, enc_u32
from zkml.verifier.generators import derive_generator


def test_simulator_is_given_only_the_public_statement(models):
    # its only inputs: the statement (head bytes and seed digest), the oracle and a seed
    assert list(inspect.signature(simulate_key).parameters) == ["st", "oracle", "seed"]
    assert [f for f in KeyStatement.__dataclass_fields__] == ["head", "seed_digest"]
    vk = vk_of(models.a5)
    st = key_statement(vk.data, vk.seed_digest)
    # the head is the key's bytes up to the end of C_P: the circuit, the shape, the rows
    rows = 1 << (vk.num_vars - vk.log_cols)
    assert len(vk.commitment) == rows and vk.data.startswith(st.head)
    assert st.head.endswith(b"".join(enc_g1(p) for p in vk.commitment))
    # nothing after C_P is in it: the key goes on with C_m's count and rows, then the proof
    rest = vk.data[len(st.head):]
    m = vk.multiplicity_commitment
    assert rest.startswith(enc_u32(len(m)) + b"".join(enc_g1(p) for p in m))


def test_simulator_needs_no_opening_of_the_rows(models):
    """A head whose rows are points no one can open (hash-derived generators): no stack,
    let alone a well-formed one, is behind them, and the simulated key still passes."""
    vk = vk_of(models.a5)
    st = key_statement(vk.data, vk.seed_digest)
    rows = len(vk.commitment)
    fake = [derive_generator(b"no stack behind these rows".ljust(32, b"."), i)
            for i in range(rows)]
    head = st.head[:-64 * rows] + b"".join(enc_g1(p) for p in fake)
    oracle = Oracle(21)
    sim = simulate_key(KeyStatement(head, st.seed_digest), oracle, seed=22)
    key = VerifyingKey.from_bytes(sim, trusted_digest=hashlib.sha256(sim).digest())
    assert list(key.commitment) == fake
    with programmed(oracle, zk_key):
        zk_key.verify_zk_wf(key.circuit, key.commitment, key.multiplicity_commitment,
                            key.wf_proof, key.seed_digest)


def test_simulated_kind6_key_is_accepted_under_the_programmed_oracle(models):
    vk = vk_of(models.a5)
    st = key_statement(vk.data, vk.seed_digest)
    oracle = Oracle(11)
    sim = simulate_key(st, oracle, seed=12)
    assert sim.startswith(st.head) and len(sim) == len(vk.data) and sim != vk.data
    # parsed as a key (its proof not checked here: trusted_digest), then checked with the
    # verifier's own verify_zk_wf under the programmed oracle (no process-wide cache)
    key = VerifyingKey.from_bytes(sim, trusted_digest=hashlib.sha256(sim).digest())
    assert key.hiding and key.commitment == vk.commitment
    with programmed(oracle, zk_key):
        zk_key.verify_zk_wf(key.circuit, key.commitment, key.multiplicity_commitment,
                            key.wf_proof, key.seed_digest)
    # the challenges must be the programmed ones: another oracle's reject it
    with programmed(Oracle(13), zk_key), pytest.raises(VerificationError) as e:
        zk_key.verify_zk_wf(key.circuit, key.commitment, key.multiplicity_commitment,
                            key.wf_proof, key.seed_digest)
    assert e.value.check == "zk.merged"
    # the random oracle is what makes it accept: the real transcript rejects the key
    with pytest.raises(InvalidKeyError) as e:
        VerifyingKey.from_bytes(sim)
    assert e.value.check == "zk.merged"
