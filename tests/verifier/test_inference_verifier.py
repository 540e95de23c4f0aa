"""Inference proofs (kind 3) and verifying keys (kind 4) end to end, with the reference
prover of reference_inference.py: honest proofs pass, cheating witnesses and edited
messages are rejected at the check that names them, and the API fails closed."""

from __future__ import annotations

import copy
import hashlib
import random
import threading

import pytest
from cheats import rejected
from edits import bump
from reference_inference import (
    Witness,
    canonical,
    example_model,
    ints,
    prove_inference,
    vk_artifact,
)
from reference_prover import RefStack, container, kind1_artifact, rand_point, rand_table

from zkml.errors import InvalidKeyError, ProofFormatError, VerificationError
from zkml.verifier import (
    InferenceStatement,
    InferenceVerifier,
    Verifier,
    VerifyingKey,
    verify_artifact,
    verify_inference,
)
from zkml.verifier.encoding import enc_u32
from zkml.verifier.field import R
from zkml.verifier.generators import DEFAULT_SEED, seed_digest

DOC, TENSORS, TABLE = example_model()
VK_BYTES = vk_artifact(DOC, TABLE)
VK = VerifyingKey.from_bytes(VK_BYTES)


def inputs(batch, seed=0):
    rng = random.Random(seed)
    return [[rng.randrange(-128, 128) for _ in range(4)] for _ in range(batch)]


def prove(batch=2, seed=0, **kw):
    return prove_inference(DOC, TENSORS, TABLE, inputs(batch, seed), VK_BYTES, **kw)


_HONEST = {b: prove(b) for b in (1, 3)}


def reject(data, match, exc=VerificationError, vk=VK):
    if exc is VerificationError:  # a declared check by its id, others by their message
        with rejected(match):
            verify_inference(data, vk)
        return
    with pytest.raises(exc, match=match):
        verify_inference(data, vk)


@pytest.mark.parametrize("batch", [1, 2, 3, 5])
def test_honest_proofs_verify(batch):
    data = _HONEST.get(batch) or prove(batch, seed=batch)
    st = verify_inference(data, VK)
    assert isinstance(st, InferenceStatement)
    assert (st.kind, st.kind_name, st.batch) == (3, "inference", batch)
    assert st.vk_digest == hashlib.sha256(VK_BYTES).digest() == VK.digest
    assert st.seed_digest == seed_digest(DEFAULT_SEED)
    x = inputs(batch, 0 if batch in _HONEST else batch)
    assert st.input == tuple(tuple(r) for r in x)
    wit = Witness(DOC, TENSORS, x)
    assert st.output == tuple(tuple(wit.z[4][b][:2]) for b in range(batch))
    assert any(v < 0 for row in st.output for v in row) or batch < 3
    assert (st.input_frac_bits, st.output_frac_bits) == (4, 4)


def test_api_entry_points_agree():
    data = _HONEST[3]
    a = verify_artifact(data, vk=VK)
    b = Verifier().verify(data, VK)
    c = Verifier().for_model(VK).verify(data)
    d = InferenceVerifier(VK).verify(bytearray(data))
    e = Verifier().verify_inference(memoryview(data), VK)
    assert a == b == c == d == e
    with pytest.raises(VerificationError, match="needs its verifying key"):
        verify_artifact(data)
    with pytest.raises(VerificationError, match="needs its verifying key"):
        Verifier().verify(data)


def test_other_kinds_with_a_key_are_rejected():
    rng = random.Random(1)
    k1 = kind1_artifact([RefStack(rand_table(rng, 3), 3, 1, [rand_point(rng, 3)])])
    verify_artifact(k1)
    with pytest.raises(VerificationError, match="expected an inference proof"):
        verify_artifact(k1, vk=VK)
    with pytest.raises(VerificationError, match="expected an inference proof"):
        InferenceVerifier(VK).verify(k1)
    with pytest.raises(VerificationError, match="not a proof"):
        verify_artifact(VK_BYTES)
    with pytest.raises(InvalidKeyError, match="not a verifying key"):
        VerifyingKey.from_bytes(k1)
    with pytest.raises(InvalidKeyError, match="must be a VerifyingKey"):
        verify_artifact(_HONEST[1], vk=VK_BYTES)
    with pytest.raises(TypeError):
        InferenceVerifier(VK_BYTES)


def test_proof_for_another_model():
    doc2 = copy.deepcopy(DOC)
    doc2["gadgets"][0]["source"] = "renamed"
    vk2 = VerifyingKey.from_bytes(vk_artifact(doc2, TABLE))
    reject(_HONEST[1], "proof is for another model", vk=vk2)
    table2 = list(TABLE)
    table2[0] += 1
    vk3 = VerifyingKey.from_bytes(vk_artifact(DOC, table2))
    reject(_HONEST[1], "proof is for another model", vk=vk3)


def test_another_seed_is_rejected():
    # the key's well-formedness proof is checked again for that seed, and fails
    with pytest.raises(InvalidKeyError, match="model stack is not well-formed"):
        verify_inference(_HONEST[1], VK, seed=b"another seed")


def test_verifying_key_parse_is_strict():
    assert VK.circuit.json_bytes == canonical(DOC)
    assert (VK.num_vars, VK.log_cols) == (6, 3) and len(VK.commitment) == 8
    assert len(VK.multiplicity_commitment) == 16  # range_bits 8: 2^4 rows
    assert VK.data == VK_BYTES and "commitment" not in repr(VK)
    bad = [
        (VK_BYTES + b"\x00", "trailing"),
        (VK_BYTES[:-1], "exceeds the remaining|truncated"),
        (VK_BYTES[:7] + enc_u32(1 << 31) + VK_BYTES[11:], "circuit JSON: count .* out of range"),
        (b"ZKMX" + VK_BYTES[4:], "magic"),
        (VK_BYTES[:6] + b"\x09" + VK_BYTES[7:], "unknown artifact kind"),
    ]
    js = canonical(DOC)
    tail = len(js) + 11
    # shape different from the circuit's
    bad.append((VK_BYTES[:tail] + enc_u32(7) + VK_BYTES[tail + 4 :], "differs from the circuit"))
    bad.append((VK_BYTES[:tail] + enc_u32(31) + VK_BYTES[tail + 4 :], "num_vars 31"))
    spaced = js.replace(b'"version":1', b'"version": 1')
    bad.append((container(4, enc_u32(len(spaced)) + spaced + VK_BYTES[tail:]), "not canonical"))
    last_point = tail + 8 + 4 + 7 * 64  # the model commitment's last row
    bad.append((VK_BYTES[:last_point] + bytes(63) + b"\x01" + VK_BYTES[last_point + 64 :],
                "not on the curve"))
    m_pos = tail + 8 + 4 + 8 * 64  # the multiplicity commitment's row count
    bad.append((VK_BYTES[:m_pos] + enc_u32(3) + VK_BYTES[m_pos + 4 :],
                "multiplicity commitment: count"))
    for data, match in bad:
        with pytest.raises(InvalidKeyError, match=match):
            VerifyingKey.from_bytes(data)
    with pytest.raises(InvalidKeyError, match="must be bytes"):
        VerifyingKey.from_bytes("text")


# --- cheating provers: an honest protocol run on a wrong witness --------------------


def _flip_relu(g, vals):
    if g == 0:
        i = next(i for i, z in enumerate(vals["z"]) if z < 127)
        vals["z"][i] += 1  # z no longer the clamp of q


def _rem_out_of_range(g, vals):
    if g == 2:  # shift 4: rem must be < 16; move 2^4 from q into rem (acc unchanged)
        vals["q"][0] -= 1
        vals["rem"][0] += 16
        q = vals["q"][0]
        vals["z"][0] = min(max(q, -128), 127)
        vals["ep"][0], vals["em"][0] = max(q - 127, 0), max(-128 - q, 0)


def _clamp_not_tight(g, vals):
    if g == 3:  # z = q - 1 < hi with e+ = 1: (R1) holds, the zerocheck (R3) fails
        i = next(i for i, q in enumerate(vals["q"]) if -100 < q <= 100)
        vals["z"][i], vals["ep"][i], vals["em"][i] = vals["q"][i] - 1, 1, 0


def _z_above_hi(g, vals):
    if g == 0:  # u = 128 does not fit 7 bits: the scaled lookup 2 * 128 = 256 fails
        vals["z"][0], vals["ep"][0] = 128, max(vals["q"][0] - 128, 0)


@pytest.mark.parametrize(
    ("tamper", "match"),
    [
        (_flip_relu, "inference sumcheck round 0"),
        (_rem_out_of_range, "logup group 0: the fractions do not sum to zero"),
        (_z_above_hi, "logup group 0: the fractions do not sum to zero"),
    ],
)
def test_wrong_witness_is_rejected(tamper, match):
    reject(prove(3, tamper=tamper), match)


def test_zerocheck_catches_a_loose_clamp():
    # the honest protocol on this witness: the batched claim (0 for the zerocheck) is
    # not the true sum, so the first round already fails
    reject(prove(1, tamper=_clamp_not_tight), "inference sumcheck round 0")


def _edit(stage_name, fn):
    def edit(stage, data):
        return fn(data) if stage == stage_name else data

    return edit




@pytest.mark.parametrize(
    ("stage", "fn", "match"),
    [
        ("output", lambda y: [[y[0][0] + 1, y[0][1]], *y[1:]], "inference sumcheck round 0"),
        ("multiplicities", bump(5), "logup group 0: the fractions do not sum to zero"),
        ("leaf", bump(0), "logup leaves: Q"),
        ("leaf", bump(-1), "logup table"),
        (("acc", 0), bump(0), "inference sumcheck round 0"),
        (("acc", 1), bump(0), "gadget.add.relation"),
        (("acc", 3), bump(1), "gadget.identity.z-plus-v"),
        (("acc", 3), bump(0), "gadget.identity.z-plus-v"),
        (("acc", 3), bump(2), "gadget.identity.relation"),
        (("acc", 4), bump(0), "inference sumcheck round 0"),
        ("claims", bump(0), "inference sumcheck round 0"),
        ("sumcheck-evals", bump(0), "inference.final"),
        ("sumcheck-evals", bump(-1), "inference.final"),
    ],
)
def test_edited_messages_are_rejected(stage, fn, match):
    reject(prove(2, edit=_edit(stage, fn)), match)


def test_acc_eval_lie_consistent_with_relations_is_caught_by_the_opening():
    # Lie about g3's v limb and its u limb by opposite amounts: z + v == hi still holds
    # and the identity check moves too, so only the Hyrax opening can catch it.
    def f(v):
        v = list(v)
        v[0] = (v[0] + 1) % R
        v[1] = (v[1] - 1) % R
        return v

    reject(prove(2, edit=_edit(("acc", 3), f)), "identity accumulator|batch opening|stack 0")


def test_statement_values_are_bound():
    data = bytearray(_HONEST[1])
    # compact integers: 8-bit inputs take one byte each, after digest, batch and count
    pos = 7 + 32 + 4 + 4
    assert data[pos - 4 : pos] == enc_u32(4)
    data[pos] = (data[pos] + 1) % 256
    reject(bytes(data), "logup|sumcheck|opening|stack")
    # the outputs (gadget 4: [-128, 127], one byte each) follow the inputs
    pos = 7 + 32 + 4 + 4 + 4
    assert data[pos : pos + 4] == enc_u32(2)
    data = bytearray(_HONEST[1])
    data[pos + 4] = (data[pos + 4] + 1) % 256
    reject(bytes(data), "logup|sumcheck|opening|stack")


def _prefix(vk_bytes, batch, x_bytes, y_bytes=b""):
    """The start of a kind-3 body: enough for the statement checks to run."""
    digest = hashlib.sha256(vk_bytes).digest()
    return container(3, digest + enc_u32(batch) + x_bytes + y_bytes)


def test_statement_integers_out_of_range_are_rejected():
    # 7-bit inputs and the clip gadget 3 ([-100, 100]) as the output: one byte each,
    # so values outside the ranges are encodable and must be rejected
    doc = copy.deepcopy(DOC)
    doc["input"]["bits"] = 7
    doc["output"] = {"gadget": 3, "features": 3, "argmax": False}
    vk_bytes = vk_artifact(doc, TABLE)
    vk = VerifyingKey.from_bytes(vk_bytes)
    ok_x = ints([1, -64, 63, 0], -64, 63)
    reject(_prefix(vk_bytes, 1, ints([1, 2, 64, 0], -64, 63)), "outside the 7-bit input", vk=vk)
    reject(_prefix(vk_bytes, 1, ints([-65, 2, 3, 0], -64, 63)), "outside the 7-bit input", vk=vk)
    reject(_prefix(vk_bytes, 1, ok_x, ints([0, 101, 0], -100, 100)),
           r"output value outside \[-100, 100\]", vk=vk)
    reject(_prefix(vk_bytes, 1, ok_x, ints([-101, 1, 0], -100, 100)), "output value", vk=vk)
    # widths: the count must match and the bytes must be there
    reject(_prefix(vk_bytes, 1, ok_x[:-1]), "input", ProofFormatError, vk=vk)
    reject(_prefix(vk_bytes, 2, ok_x), "input: count 4, expected 8", ProofFormatError, vk=vk)
    # the honest proof with 7-bit inputs verifies
    x = [[v >> 1 for v in row] for row in inputs(2)]
    st = verify_inference(prove_inference(doc, TENSORS, TABLE, x, vk_bytes), vk)
    wit = Witness(doc, TENSORS, x)
    assert st.output == tuple(tuple(wit.z[3][b][:3]) for b in range(2))


def test_wider_statement_integers():
    # 12-bit inputs take 2 bytes; an output range beyond 2^15 takes 4, beyond 2^31 8
    from zkml.verifier.encoding import int_width

    assert [int_width(-(1 << (b - 1)), (1 << (b - 1)) - 1) for b in (1, 8, 9, 16, 17, 32, 33, 62)] \
        == [1, 1, 2, 2, 4, 4, 8, 8]
    assert int_width(0, 127) == 1 and int_width(0, 128) == 2 and int_width(-129, 0) == 2
    doc = copy.deepcopy(DOC)
    doc["input"]["bits"] = 12
    vk_bytes = vk_artifact(doc, TABLE)
    vk = VerifyingKey.from_bytes(vk_bytes)
    x = inputs(1)
    data = prove_inference(doc, TENSORS, TABLE, x, vk_bytes)
    assert data[7 + 36 : 7 + 40] == enc_u32(4) and len(ints(x[0], -2048, 2047)) == 12
    assert verify_inference(data, vk).input == (tuple(x[0]),)


def test_batch_and_counts_are_checked():
    data = _HONEST[1]
    pos = 7 + 32
    for b, match in ((0, "batch size 0"), (2, "input: count 4, expected 8"),
                     (1 << 31, "batch size")):
        reject(data[:pos] + enc_u32(b) + data[pos + 4 :], match, ProofFormatError)
    reject(data + b"\x00", "trailing", ProofFormatError)
    for cut in (1, 33, 500, len(data) // 2, len(data) - 7):
        with pytest.raises(ProofFormatError):
            verify_inference(data[:cut], VK)
    reject(data[:7] + bytes(32) + data[39:], "proof is for another model")


def test_random_byte_flips_are_rejected():
    data = _HONEST[1]
    rng = random.Random(9)
    for pos in [rng.randrange(7, len(data)) for _ in range(40)]:
        bad = bytearray(data)
        bad[pos] ^= 1 << rng.randrange(8)
        with pytest.raises(VerificationError):
            verify_inference(bytes(bad), VK)


def test_shared_between_threads():
    verifier = InferenceVerifier(VK)
    good, bad = _HONEST[3], prove(3, edit=_edit("leaf", bump(0)))
    errors: list[str] = []

    def work(i):
        try:
            for _ in range(2):
                assert verifier.verify(good).batch == 3
                try:
                    verifier.verify(bad)
                    errors.append("accepted a bad proof")
                except VerificationError:
                    pass
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_non_bytes_and_garbage_fail_closed():
    for data in (None, "text", 5, [1, 2]):
        with pytest.raises(VerificationError):
            verify_inference(data, VK)
    for data in (b"", b"ZKML", b"ZKML\x00\x01\x03", b"ZKML\x00\x01\x03" + bytes(40)):
        with pytest.raises(VerificationError):
            verify_inference(data, VK)


def test_lt_and_public_mle_match_brute_force():
    from zkml.verifier.field import mle_eval
    from zkml.verifier.gadgets.output import public_mle as _public_mle
    from zkml.verifier.layout import lt as _lt

    rng = random.Random(11)
    for m in range(4):
        x = [rng.randrange(R) for _ in range(m)]
        for n in range(1, (1 << m) + 1):
            table = [1 if i < n else 0 for i in range(1 << m)]
            assert _lt(x, n) == mle_eval(table, x), (m, n)
    for rows, cols in ((1, 1), (3, 5), (4, 4), (5, 3)):
        vals = [rng.randrange(R) for _ in range(rows * cols)]
        lr, lc = (rows - 1).bit_length(), (cols - 1).bit_length()
        padded = [0] * (1 << (lr + lc))
        for b in range(rows):
            for i in range(cols):
                padded[(b << lc) + i] = vals[b * cols + i]
        z = [rng.randrange(R) for _ in range(lr + lc)]
        assert _public_mle(vals, rows, cols, z) == mle_eval(padded, z)
