"""Private and committed inputs in hiding inference proofs (visibility words `V = 1`
and `V = 2`, circuits/zk_inference.md 1.3-1.4) through the pure-Python verifier, on the
Rust prover's vectors (`*_private_input`, `*_committed_input` cases of
circuits/vectors/zk_inference.json): every honest case verifies with no input in its
statement (a committed one with its commitment, which the native commitment of the
case's input and blinders reproduces); the input's values occur in the proof in no
encoding; the word cannot be changed; a private proof checked against another key or
with a re-committed input limb fails, and so does a committed proof whose statement
carries another input's commitment or the same input's under other blinders; the
cheating case (an input limb committed to another value) fails the merged check."""

from __future__ import annotations

import numpy as np
import pytest

from tests.verifier.zk_vectors import load
from zkml.errors import VerificationError
from zkml.verifier import VerifyingKey, verify_inference
from zkml.verifier.circuit import parse_circuit
from zkml.verifier.encoding import Reader, enc_g1, enc_u32
from zkml.verifier.field import R
from zkml.verifier.generators import DEFAULT_SEED, derive_generator, seed_digest
from zkml.verifier.layout import limb_widths
from zkml.verifier.msm import msm
from zkml.verifier.zk.sigma import H_INDEX
from zkml.verifier.zk.visibility import (
    INPUT_COMMITTED,
    INPUT_PRIVATE,
    WEIGHTS_PUBLIC,
    check_visibility,
    circuit_for,
    input_name,
    is_private_input,
)
from zkml.verifier.zk_inference import parse_hiding_inference

CASES = load("zk_inference.json")["cases"]
PRIVATE = [c for c in CASES if c["visibility"] == INPUT_PRIVATE]
COMMITTED = [c for c in CASES if c["visibility"] == INPUT_COMMITTED and c["valid"]]
HONEST = [c for c in PRIVATE if c["valid"]]
H = derive_generator(seed_digest(DEFAULT_SEED), H_INDEX)
#: bytes 7.. of a kind-5 body: vk digest (32), B (4), then V (4)
AT_V = 7 + 32 + 4


def _key(c: dict) -> VerifyingKey:
    return VerifyingKey.from_bytes(bytes.fromhex(c["vk"]))


def _rejected(c: dict, data: bytes, vk: VerifyingKey | None = None) -> VerificationError:
    with pytest.raises(VerificationError) as info:
        verify_inference(data, vk or _key(c))
    assert info.value.check not in (None, "verifier.internal"), info.value
    return info.value


def _label(c: dict) -> str:
    return f"{c['name']}{'' if c['valid'] else '-' + c['check']}"


def test_the_vectors_have_private_inputs_and_a_cheat():
    assert {c["name"] for c in HONEST} >= {"mlp_private_input", "win_1d_private_input",
                                           "concat_private_input"}
    assert any(not c["valid"] for c in PRIVATE)
    assert input_name(1) == "private" and is_private_input(1) and not is_private_input(0)


@pytest.mark.parametrize("case", PRIVATE, ids=_label)
def test_private_input_case(case):
    data = bytes.fromhex(case["proof"])
    assert data[AT_V:AT_V + 4] == enc_u32(INPUT_PRIVATE)
    if not case["valid"]:
        assert _rejected(case, data).check == case["check"]
        return
    st = verify_inference(data, _key(case))
    assert (st.kind, st.hiding, st.visibility, st.batch) == (5, True, 1, case["batch"])
    assert st.input == ()
    assert [v for row in st.output for v in row] == case["output"]


def _encodings(case: dict) -> list[bytes]:
    """Every encoding of the case's input we look for: the whole vector as i64 LE and
    BE and as the statement's `Ints` body, and each value and its limb value `x - lo`
    as a 32-byte field element (big- and little-endian, negatives mod r)."""
    x = case["input"]
    c = parse_circuit(case["circuit"].encode())
    out = [b"".join(v.to_bytes(8, "little", signed=True) for v in x),
           b"".join(v.to_bytes(8, "big", signed=True) for v in x)]
    width = max(1, -(-c.input_bits // 8))
    out.append(b"".join(v.to_bytes(width, "big", signed=True) for v in x))
    for v in x:
        for e in (v % R, v - c.input_lo):
            if e:  # a zero element is 32 zero bytes: no value of its own to find
                out += [e.to_bytes(32, "big"), e.to_bytes(32, "little")]
    return out


@pytest.mark.parametrize("case", HONEST, ids=_label)
def test_the_input_occurs_in_no_encoding(case):
    data = bytes.fromhex(case["proof"])
    assert len(case["input"]) >= 6
    for enc in _encodings(case):
        assert enc not in data, enc.hex()


@pytest.mark.parametrize("case", HONEST, ids=_label)
def test_the_word_is_bound(case):
    data = bytes.fromhex(case["proof"])
    # read as public: the output's bytes become the input's and the transcript differs
    _rejected(case, data[:AT_V] + enc_u32(0) + data[AT_V + 4:])
    # read as committed: the output's count is read as the commitment's
    _rejected(case, data[:AT_V] + enc_u32(2) + data[AT_V + 4:])
    # read with public weights (the key is kind 4, so the word is allowed): the
    # transcript differs
    assert _rejected(case, data[:AT_V] + enc_u32(case["visibility"] ^ 4)
                     + data[AT_V + 4:]).check == "zk.merged"
    # read with a committed output: the output's count is read as C_Y's
    _rejected(case, data[:AT_V] + enc_u32(case["visibility"] | 8) + data[AT_V + 4:])
    for v in (3, 7, 11, 15, 16, 17):
        assert _rejected(case, data[:AT_V] + enc_u32(v) + data[AT_V + 4:]).check == \
            "zk.visibility"


def test_a_public_proof_read_as_private_is_refused():
    public = next(c for c in CASES if c["valid"] and c["visibility"] == 0
                  and c["vk"] == HONEST[0]["vk"])
    data = bytes.fromhex(public["proof"])
    _rejected(public, data[:AT_V] + enc_u32(INPUT_PRIVATE) + data[AT_V + 4:])


def test_a_private_proof_for_another_key_is_refused():
    case = HONEST[0]
    other = next(c for c in CASES
                 if c["vk"] != case["vk"] and c["name"] != "mlp_blinded_model")
    assert _rejected(case, bytes.fromhex(case["proof"]), _key(other)).check == "proof.vk"


@pytest.mark.parametrize("case", HONEST, ids=_label)
def test_a_recommitted_input_limb_fails_the_merged_check(case):
    """The input's limbs are the last witness columns: their leaf evals are the last
    before `m`; re-committing one (a limb of another input) fails."""
    data = bytes.fromhex(case["proof"])
    vk = _key(case)
    p = parse_hiding_inference(Reader(data[7:]), vk, 1 << 20)
    c = circuit_for(vk.circuit, INPUT_PRIVATE)
    n_in = len(c.input_u)
    assert n_in == len(limb_widths(c.input_bits, c.limb_bits))
    first = len(c.columns) - n_in
    for point in (p.leaf_evals[first], p.leaf_evals[first + n_in - 1]):
        i = data.index(enc_g1(point))
        moved = enc_g1(msm([point, H], [1, 1]))
        assert _rejected(case, data[:i] + moved + data[i + 64:]).check == "zk.merged"


def test_a_private_circuit_adds_the_input_limbs_after_every_column():
    vk = _key(HONEST[0])
    c = vk.circuit
    p = circuit_for(c, INPUT_PRIVATE)
    assert circuit_for(c, 0) is c and p.with_private_input() is p
    assert p.columns[:len(c.columns)] == c.columns
    assert [col.index for col in p.input_u] == list(range(len(c.columns), len(p.columns)))
    assert p.u_of(None) == p.input_u and c.u_of(None) == ()
    assert p.layout(2).num_vars >= c.layout(2).num_vars


# --- committed inputs (V = 2) -----------------------------------------------------------


def _native_commitment(case: dict, inputs: list[int], blinds: bytes) -> bytes:
    from zkml import _native

    return _native.hiding_input_commitment(case["circuit"].encode(),
                                           np.array(inputs, dtype=np.int64),
                                           case["batch"], blinds)


def _blinds(case: dict) -> bytes:
    return b"".join(bytes.fromhex(h) for h in case["input_blinds"])


def _with_c_x(case: dict, c_x: bytes) -> bytes:
    data = bytes.fromhex(case["proof"])
    at = AT_V + 4
    assert data[at:at + len(c_x)][:4] == c_x[:4]
    return data[:at] + c_x + data[at + len(c_x):]


@pytest.mark.parametrize("case", COMMITTED, ids=_label)
def test_a_committed_input_states_its_commitment(case):
    data = bytes.fromhex(case["proof"])
    st = verify_inference(data, _key(case))
    assert (st.visibility, st.input) == (INPUT_COMMITTED, ())
    c_x = _native_commitment(case, case["input"], _blinds(case))
    assert b"".join(enc_g1(p) for p in st.input_commitment) == c_x[4:]
    assert _with_c_x(case, c_x) == data
    for enc in _encodings(case):
        assert enc not in data


@pytest.mark.parametrize("case", COMMITTED, ids=_label)
def test_another_committed_input_is_refused(case):
    """The statement's `C_X` swapped for another input's (same blinders), or for the
    same input's under other blinders: the proof no longer opens it."""
    other = [v + 1 if v < 100 else v - 1 for v in case["input"]]
    blinds = _blinds(case)
    for c_x in (_native_commitment(case, other, blinds),
                _native_commitment(case, case["input"], blinds[32:] + blinds[:32])):
        assert _rejected(case, _with_c_x(case, c_x)).check == "zk.merged"


@pytest.mark.parametrize("case", COMMITTED, ids=_label)
def test_a_committed_proof_read_as_private_is_refused(case):
    data = bytes.fromhex(case["proof"])
    _rejected(case, data[:AT_V] + enc_u32(INPUT_PRIVATE) + data[AT_V + 4:])


# --- public weights (bit 2) -------------------------------------------------------------


def test_public_weights_with_a_kind_4_key():
    case = next(c for c in CASES if c["name"] == "mlp_private_input_public_weights")
    assert case["visibility"] == INPUT_PRIVATE | WEIGHTS_PUBLIC
    vk = _key(case)
    assert not vk.hiding
    st = verify_inference(bytes.fromhex(case["proof"]), vk)
    assert (st.visibility, st.input) == (5, ())
    assert check_visibility(5, hiding_key=False) == 5
    with pytest.raises(VerificationError) as info:
        check_visibility(5, hiding_key=True)
    assert info.value.check == "zk.visibility"
