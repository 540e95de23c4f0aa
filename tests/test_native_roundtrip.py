"""The Rust prover's artifacts, checked by the pure-Python verifier (both directions
of the cross-language contract beyond the JSON vectors)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from zkml import prover
from zkml.errors import (
    InputError,
    ProverArgumentError,
    ProverError,
    ProverFormatError,
    VerificationError,
)
from zkml.verifier import Verifier, verify_artifact
from zkml.verifier.field import R, mle_eval

rng = np.random.default_rng(11)


def _points(prng: random.Random, n: int, k: int) -> list[list[int]]:
    return [[prng.randrange(R) for _ in range(n)] for _ in range(k)]


@pytest.mark.parametrize("n,log_cols,k", [(0, None, 1), (3, 1, 2), (8, None, 5), (11, 7, 3)])
def test_batch_opening_verifies_with_true_values(n, log_cols, k):
    prng = random.Random(n)
    table = rng.integers(-(2**15), 2**15, size=1 << n, dtype=np.int64)
    points = _points(prng, n, k)
    st = verify_artifact(prover.prove_batch_opening([(table, log_cols, points)]))
    (stack,) = st.stacks
    as_field = [int(v) % R for v in table]
    for (z, v), want_z in zip(stack.claims, points, strict=True):
        assert list(z) == want_z
        assert v == mle_eval(as_field, want_z)


def test_field_tables_and_several_stacks():
    prng = random.Random(5)
    a = [prng.randrange(R) for _ in range(64)]
    b = rng.integers(-3, 3, size=16, dtype=np.int64)
    st = verify_artifact(
        prover.prove_batch_opening([(a, 2, _points(prng, 6, 2)), (b, None, _points(prng, 4, 1))])
    )
    assert [s.num_vars for s in st.stacks] == [6, 4]
    assert st.stacks[0].commitment_bytes() == prover.commit(a, 2)


def test_product_sumcheck_states_the_true_sum():
    f = rng.integers(-100, 100, size=512, dtype=np.int64)
    g = rng.integers(-100, 100, size=512, dtype=np.int64)
    st = verify_artifact(prover.prove_product_sumcheck(f, g))
    assert st.claimed_sum == int(np.dot(f, g)) % R


def test_every_byte_of_a_native_proof_is_bound():
    f = rng.integers(-8, 8, size=16, dtype=np.int64)
    data = prover.prove_product_sumcheck(f, f[::-1].copy())
    verifier = Verifier()
    for i in range(len(data)):
        bad = bytearray(data)
        bad[i] ^= 0x80
        with pytest.raises(VerificationError):
            verifier.verify(bytes(bad))


def test_other_seed_is_rejected_and_accepted_by_its_own_verifier():
    f = rng.integers(-8, 8, size=16, dtype=np.int64)
    data = prover.prove_product_sumcheck(f, f, seed=b"another seed")
    with pytest.raises(VerificationError, match="seed|generators"):
        verify_artifact(data)
    assert verify_artifact(data, seed=b"another seed").claimed_sum == int(np.dot(f, f))


@pytest.mark.parametrize(
    "call",
    [
        lambda: prover.commit(np.zeros(3, dtype=np.int64)),
        lambda: prover.commit(np.zeros(4, dtype=np.float32)),
        lambda: prover.prove_batch_opening([(np.zeros(4, dtype=np.int64), None, [[1, 2, 3]])]),
        lambda: prover.prove_product_sumcheck(
            np.zeros(4, dtype=np.int64), np.zeros(8, dtype=np.int64)
        ),
        lambda: prover.commit(np.zeros(4, dtype=np.int64), 5),
    ],
)
def test_bad_prover_input_raises_prover_error(call):
    with pytest.raises(ProverError):
        call()


def test_a_rust_argument_error_arrives_as_its_class_with_the_cores_message():
    # Error::InvalidArgument: the caller's sizes; no check failed, so no check id
    with pytest.raises(ProverArgumentError) as info:
        prover.commit(np.zeros(4, dtype=np.int64), 5)
    exc = info.value
    assert isinstance(exc, ProverError) and isinstance(exc, InputError)
    assert exc.check is None
    assert str(exc) == "proving failed: invalid argument: shape (2 vars, 5 column bits) " \
                       "out of limits"
    # the binding's own argument checks raise the same class
    with pytest.raises(ProverArgumentError, match="not a power of two"):
        prover.commit(np.zeros(3, dtype=np.int64))


def test_a_rust_format_error_arrives_with_its_check_id():
    # Error::Format from the core's strict reader: 32 bytes >= r are no field element
    from zkml import _native

    with pytest.raises(ProverFormatError) as info:
        _native.prove_product_sumcheck(b"\xff" * 128, bytes(128))
    exc = info.value
    assert isinstance(exc, ProverError) and isinstance(exc, InputError)
    assert exc.check == "encoding.field-element"
    assert exc.detail == "malformed input: field element: non-canonical field element (>= r)"


def test_a_circuit_the_native_prover_cannot_read_is_a_format_error():
    # Circuit::parse refuses at key.circuit, the Python verifier's id for the same check
    from zkml import _native

    for data in (b"{", b'{"format": "zkml-circuit", "version": 2}'):
        with pytest.raises(ProverFormatError) as info:
            _native.build_verifying_key(data, np.zeros(2, dtype=np.int64))
        assert info.value.check == "key.circuit"
        assert "circuit" in info.value.detail


def test_the_python_verifier_names_the_check_a_tampered_native_proof_fails():
    f = rng.integers(-8, 8, size=16, dtype=np.int64)
    data = bytearray(prover.prove_product_sumcheck(f, f[::-1].copy()))
    data[5] ^= 1  # the version's low byte ("ZKML" || u16 version || u8 kind)
    with pytest.raises(VerificationError) as info:
        Verifier().verify(bytes(data))
    assert info.value.check == "proof.version"

