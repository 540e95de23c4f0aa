"""Committed outputs in hiding inference proofs (visibility bit 3, circuits/zk_inference.md
1.6) through the pure-Python verifier, on the Rust prover's vectors (the cases of
circuits/vectors/zk_inference.json whose word has bit 3): every honest case verifies
with no output in its statement, only `C_Y`, which the native commitment of the case's
output and blinders reproduces; the output's values occur in the proof in no encoding.
A cheating prover's attempts, one test each: a `C_Y` of another output, the same
output's `C_Y` under other blinders, a `C_Y` holding an out-of-range output value, a
public-output proof re-labelled as committed, a committed-output proof re-labelled (any
other word), a committed ArgMax output, and `Y~(r_out)` committed to another value (the
vector file's cheating case). `zkml inspect`'s keyless parser reads every case's
statement (private and committed tensors included)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.verifier.zk_vectors import load
from zkml.errors import VerificationError
from zkml.verifier import VerifyingKey, verify_inference
from zkml.verifier.circuit import parse_circuit
from zkml.verifier.encoding import Reader, enc_g1, enc_u32, int_width
from zkml.verifier.field import R
from zkml.verifier.generators import DEFAULT_SEED, derive_generator, seed_digest
from zkml.verifier.zk.sigma import H_INDEX
from zkml.verifier.zk.visibility import (
    INPUT_COMMITTED,
    OUTPUT_COMMITTED,
    check_output,
    is_committed_output,
    output_stack,
)
from zkml.verifier.zk_inference import parse_hiding_inference

CASES = load("zk_inference.json")["cases"]
COMMITTED = [c for c in CASES if c["visibility"] & OUTPUT_COMMITTED]
HONEST = [c for c in COMMITTED if c["valid"]]
H = derive_generator(seed_digest(DEFAULT_SEED), H_INDEX)
#: bytes 7.. of a kind-5 body: vk digest (32), B (4), then V (4)
AT_V = 7 + 32 + 4


def _key(c: dict) -> VerifyingKey:
    return VerifyingKey.from_bytes(bytes.fromhex(c["vk"]))


def _rejected(c: dict, data: bytes) -> VerificationError:
    with pytest.raises(VerificationError) as info:
        verify_inference(data, _key(c))
    assert info.value.check not in (None, "verifier.internal"), info.value
    return info.value


def _label(c: dict) -> str:
    return f"{c['name']}{'' if c['valid'] else '-' + c['check']}"


def _native_c_y(case: dict, outputs: list[int], blinds: bytes) -> bytes:
    from zkml import _native

    return _native.hiding_output_commitment(case["circuit"].encode(),
                                            np.array(outputs, dtype=np.int64),
                                            case["batch"], blinds)


def _blinds(case: dict) -> bytes:
    return b"".join(bytes.fromhex(h) for h in case["output_blinds"])


def _c_y_at(case: dict, data: bytes) -> int:
    """Where `C_Y` (its count first) starts in the proof: after the input's part."""
    p = parse_hiding_inference(Reader(data[7:]), _key(case), 1 << 20)
    at = AT_V + 4 + (4 + 64 * len(p.c_x) if p.c_x else len(p.x_bytes))
    assert data[at:at + 4] == enc_u32(len(p.c_y))
    return at


def _with_c_y(case: dict, c_y: bytes) -> bytes:
    data = bytes.fromhex(case["proof"])
    at = _c_y_at(case, data)
    return data[:at] + c_y + data[at + len(c_y):]


def test_the_vectors_have_committed_outputs_with_each_input():
    inputs = {c["visibility"] & 3 for c in HONEST}
    assert inputs == {0, 1, INPUT_COMMITTED}
    assert any(c["visibility"] & 4 for c in HONEST)
    assert any(not c["valid"] for c in COMMITTED)
    assert is_committed_output(8) and not is_committed_output(7)


@pytest.mark.parametrize("case", HONEST, ids=_label)
def test_a_committed_output_states_its_commitment_only(case):
    data = bytes.fromhex(case["proof"])
    st = verify_inference(data, _key(case))
    assert (st.visibility, st.output) == (case["visibility"], ())
    c_y = _native_c_y(case, case["output"], _blinds(case))
    assert b"".join(enc_g1(p) for p in st.output_commitment) == c_y[4:]
    assert len(st.output_commitment) == output_stack(_key(case).circuit, case["batch"]).rows
    assert _with_c_y(case, c_y) == data


def _encodings(case: dict) -> list[bytes]:
    """The case's output as i64 LE/BE vectors, as the statement's `Ints` body would
    encode it, and each nonzero value as a 32-byte field element (BE and LE)."""
    y = case["output"]
    g = (c := parse_circuit(case["circuit"].encode())).gadgets[c.output_gadget]
    width = int_width(g.lo, g.hi)
    out = [b"".join(v.to_bytes(8, "little", signed=True) for v in y),
           b"".join(v.to_bytes(8, "big", signed=True) for v in y),
           b"".join(v.to_bytes(width, "big", signed=True) for v in y)]
    for v in y:
        if v:
            e = (v % R).to_bytes(32, "big")
            out += [e, e[::-1]]
    return out


@pytest.mark.parametrize("case", HONEST, ids=_label)
def test_the_output_occurs_in_no_encoding(case):
    data = bytes.fromhex(case["proof"])
    assert len(case["output"]) >= 5 and any(case["output"])
    for enc in _encodings(case):
        assert enc not in data, enc.hex()
    # the search is live: the public-output proof of the same model shows its output
    public = next(c for c in CASES if c["valid"] and c["visibility"] == 0
                  and c["vk"] == case["vk"])
    assert _encodings(public)[2] in bytes.fromhex(public["proof"])


@pytest.mark.parametrize("case", HONEST, ids=_label)
def test_attack_c_y_of_another_output(case):
    other = [v + 1 if v < 100 else v - 1 for v in case["output"]]
    bad = _with_c_y(case, _native_c_y(case, other, _blinds(case)))
    assert _rejected(case, bad).check == "zk.merged"


@pytest.mark.parametrize("case", HONEST, ids=_label)
def test_attack_c_y_with_other_blinders(case):
    blinds = _blinds(case)
    bad = _with_c_y(case, _native_c_y(case, case["output"], blinds[32:] + blinds[:32]))
    assert _rejected(case, bad).check == "zk.merged"


@pytest.mark.parametrize("case", HONEST, ids=_label)
def test_attack_out_of_range_output_value(case):
    """`C_Y` holding a value outside the output gadget's range (its limbs could not
    hold it), and one differing by 2^40: the stack is tied to the range-checked output
    gadget's values at `r_out`, so neither opens."""
    c = _key(case).circuit
    g = c.gadgets[c.output_gadget]
    for v in (g.hi + 1, case["output"][0] + (1 << 40)):
        y = [v, *case["output"][1:]]
        bad = _with_c_y(case, _native_c_y(case, y, _blinds(case)))
        assert _rejected(case, bad).check == "zk.merged"


def test_attack_public_output_proof_relabelled_committed():
    """A proof made with a public output, its word given bit 3: read as is, the output's
    `Ints` are taken for `C_Y`; rewritten as a committed statement (the output's `C_Y`
    in the output's place and an `output-evals` point inserted before the sumcheck), the
    transcript and the opening no longer agree."""
    from zkml import _native

    case = next(c for c in CASES if c["valid"] and c["name"] == "mlp")
    assert case["visibility"] == 0
    data = bytes.fromhex(case["proof"])
    v8 = data[:AT_V] + enc_u32(8) + data[AT_V + 4:]
    _rejected(case, v8)
    p = parse_hiding_inference(Reader(data[7:]), _key(case), 1 << 20)
    at_y = AT_V + 4 + len(p.x_bytes)
    blinds = _native.draw_output_blinders(case["circuit"].encode(), case["batch"])
    c_y = _native_c_y(case, case["output"], blinds)
    body = v8[:at_y] + c_y + v8[at_y + len(p.y_bytes):]
    at_sc = body.index(enc_g1(p.sumcheck[0][0]))
    at_zp = body.index(enc_g1(p.products[0])) - 4
    n = output_stack(_key(case).circuit, case["batch"]).num_vars
    forged = (body[:at_sc] + enc_u32(1) + enc_g1(H) + body[at_sc:at_zp]
              + enc_g1(H) * (2 * n + 1) + body[at_zp:])
    # the sigma batch grows by the output stack's dot product: pad it out until the
    # parser is satisfied, so the check reached is the merged one, not a length check
    for k in range(40):
        err = _rejected(case, forged + enc_g1(H) * k)
        if err.check != "proof.truncated":
            break
    assert err.check == "zk.merged"


@pytest.mark.parametrize("case", HONEST, ids=_label)
def test_attack_relabelled_word(case):
    """Bit 3 cleared (`C_Y` read as the output's `Ints`), bit 2 toggled (a kind-4 key
    allows it: the transcript differs), another input word, an unknown bit."""
    data = bytes.fromhex(case["proof"])
    v = case["visibility"]
    for word in (v & ~OUTPUT_COMMITTED, v ^ 1, v ^ 2):
        _rejected(case, data[:AT_V] + enc_u32(word) + data[AT_V + 4:])
    assert _rejected(case, data[:AT_V] + enc_u32(v ^ 4) + data[AT_V + 4:]).check == \
        "zk.merged"
    for word in (v | 3, v | 16):
        assert _rejected(case, data[:AT_V] + enc_u32(word) + data[AT_V + 4:]).check == \
            "zk.visibility"


def test_attack_committed_argmax_output():
    case = next(c for c in CASES if c["valid"] and c["name"] == "mlp_argmax")
    data = bytes.fromhex(case["proof"])
    bad = data[:AT_V] + enc_u32(case["visibility"] | OUTPUT_COMMITTED) + data[AT_V + 4:]
    assert _rejected(case, bad).check == "zk.visibility"
    with pytest.raises(VerificationError):
        check_output(_key(case).circuit, OUTPUT_COMMITTED)


def test_attack_recommitted_output_eval_is_the_vector_cheat():
    cheat = next(c for c in COMMITTED if not c["valid"])
    assert "output" in cheat["why"]
    assert _rejected(cheat, bytes.fromhex(cheat["proof"])).check == cheat["check"]


@pytest.mark.parametrize("case", [c for c in CASES if c["valid"]], ids=_label)
def test_inspect_reads_each_statement_without_the_key(case):
    """`zkml inspect`'s parser (`zkml.artifacts.parse_proof_statement`, no key): a public
    tensor's values, a private input's nothing, a committed tensor's `Vec<G1>` bytes."""
    from zkml.artifacts import parse_proof_statement

    data = bytes.fromhex(case["proof"])
    st = parse_proof_statement(data)
    v = case["visibility"]
    assert list(st.inputs) == ([] if v & 3 else case["input"])
    assert list(st.outputs) == ([] if v & OUTPUT_COMMITTED else case["output"])
    assert (len(st.input_commitment) > 0) == (v & 3 == INPUT_COMMITTED)
    assert st.output_commitment == (_native_c_y(case, case["output"], _blinds(case))
                                    if v & OUTPUT_COMMITTED else b"")
    assert st.output_commitment in data
