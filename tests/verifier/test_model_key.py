"""Verifying keys (kind 4) with the model's well-formedness proof (inference.md section 7),
built by reference_model_key.py: honest keys load, keys whose stack leaves the range or
is nonzero in padding are refused, and so is any edited message of the proof."""

from __future__ import annotations

import copy
import hashlib
import random

import pytest
from edits import bump
from reference_inference import canonical, example_model, prove_inference
from reference_model_key import vk_artifact
from reference_prover import container

from zkml.errors import InvalidKeyError, VerificationError
from zkml.verifier import InferenceVerifier, Verifier, VerifyingKey, verify_inference
from zkml.verifier import model_key as mk
from zkml.verifier.encoding import enc_u32
from zkml.verifier.field import R, mle_eval
from zkml.verifier.generators import DEFAULT_SEED, seed_digest
from zkml.verifier.hyrax import commit

DOC, TENSORS, TABLE = example_model()
VK_BYTES = vk_artifact(DOC, TABLE)
NOT_WF = "invalid verifying key: model stack is not well-formed"


def refused(data, *checks):
    """The key is refused as not well-formed, at one of the checks `checks`."""
    with pytest.raises(InvalidKeyError) as info:
        VerifyingKey.from_bytes(data)
    assert not isinstance(info.value, VerificationError)  # the key is bad, not a proof
    assert str(info.value).startswith(NOT_WF)  # the words the user reads
    assert info.value.check in checks, info.value


def _edit(stage_name, fn):
    def edit(stage, data):
        return fn(data) if stage == stage_name else data

    return edit




def with_range_bits(rb):
    doc = copy.deepcopy(DOC)
    doc["model_stack"]["range_bits"] = rb
    return doc


def test_honest_key_loads():
    vk = VerifyingKey.from_bytes(VK_BYTES)
    assert vk.digest == hashlib.sha256(VK_BYTES).digest()
    assert vk.seed_digest == seed_digest(DEFAULT_SEED)
    rb = DOC["model_stack"]["range_bits"]
    assert len(vk.multiplicity_commitment) == 1 << (rb - rb // 2)
    assert len(vk.wf_proof.leaf_evals) == 2


@pytest.mark.parametrize("rb", [1, 2, 5, 8, 11])
def test_range_bits_bound_every_entry(rb):
    half = 1 << (rb - 1)
    table = [0] * len(TABLE)
    table[0], table[1], table[2] = (-half) % R, half - 1, (half // 2) % R
    VerifyingKey.from_bytes(vk_artifact(with_range_bits(rb), table))
    for bad in (half, -half - 1, R // 2):
        t2 = list(table)
        t2[3] = bad % R
        refused(vk_artifact(with_range_bits(rb), t2), "logup.group-sum")


def test_nonzero_padding_and_gaps_are_refused():
    # W1 is 3x4 in a 4x4 slot at 16: row 3 is padding; b1 (1x3) pads to 4; 60..63 a gap
    doc_ms = {t["name"]: t for t in DOC["model_stack"]["tensors"]}
    w1, b1 = doc_ms["W1"]["offset"], doc_ms["b1"]["offset"]
    for pos in (w1 + 12, w1 + 15, b1 + 3, 63, 60):
        table = list(TABLE)
        assert table[pos] == 0
        table[pos] = 1
        refused(vk_artifact(DOC, table), "logup.group-sum")
    table = list(TABLE)
    table[w1 + 11] = (table[w1 + 11] + 1) % R  # inside W1's real region: fine
    VerifyingKey.from_bytes(vk_artifact(DOC, table))


@pytest.mark.parametrize(
    ("stage", "fn", "checks"),
    [
        ("multiplicities", bump(3), ("logup.group-sum",)),
        ("leaf", bump(0), ("key.range-leaves",)),
        ("leaf", bump(1), ("key.table-leaves",)),
        # claim one padding entry fewer (a nonzero padding entry then has nowhere to go)
        ("padding", lambda pq: ([(pq[0][0] + 1) % R, 0], pq[1]),
         ("logup.group-sum", "key.padding-leaves")),
    ],
)
def test_edited_messages_are_refused(stage, fn, checks):
    refused(vk_artifact(DOC, TABLE, edit=_edit(stage, fn)), *checks)


def test_lookups_of_another_stack_are_refused():
    # the range lookups prove a stack P' (one entry changed, still in range) while the
    # commitment and the openings are of P: the leaf claims no longer match P(rho)
    def other(leaves):
        p, q = leaves
        q = list(q)
        q[5] = (q[5] - 1) % R
        return p, q

    def mults(m):
        m = list(m)
        half = 1 << (DOC["model_stack"]["range_bits"] - 1)
        v = (TABLE[5] + half) % R
        m[v] -= 1
        m[v + 1] += 1
        return m

    def edit(stage, data):
        return {"leaves": other, "multiplicities": mults}.get(stage, lambda d: d)(data)

    refused(vk_artifact(DOC, TABLE, edit=edit), "key.range-leaves")


def test_commitment_to_another_stack_is_refused():
    # a proof about P with the commitment of P' (one entry changed): only the merged
    # Hyrax check can see it
    ms = DOC["model_stack"]
    other = list(TABLE)
    other[1] = (other[1] + 1) % R

    def swap(coms):
        from zkml.verifier.generators import generators

        gens = generators(seed_digest(DEFAULT_SEED), 1 << ms["log_cols"])
        return commit(other, ms["num_vars"], ms["log_cols"], gens), coms[1]

    refused(vk_artifact(DOC, TABLE, edit=_edit("commitments", swap)),
            "hyrax.opening")


def test_tampered_proof_bytes_are_refused():
    start = len(VK_BYTES) - len(vk_artifact(DOC, TABLE, edit=_edit("proof", lambda p: p[:0])))
    rng = random.Random(2)
    for pos in sorted(rng.sample(range(start + 4, len(VK_BYTES)), 40)):
        bad = bytearray(VK_BYTES)
        bad[pos] ^= 1 << rng.randrange(8)
        with pytest.raises(InvalidKeyError):
            VerifyingKey.from_bytes(bytes(bad))
    # commitments too
    for pos in (200, start - 70, start - 1):
        bad = bytearray(VK_BYTES)
        bad[pos] ^= 1
        with pytest.raises(InvalidKeyError):
            VerifyingKey.from_bytes(bytes(bad))


def test_strict_layout():
    js = canonical(DOC)
    ms = DOC["model_stack"]
    rb = ms["range_bits"]
    head = 7 + 4 + len(js) + 8
    rows = 1 << (ms["num_vars"] - ms["log_cols"])
    m_pos = head + 4 + rows * 64
    m_rows = 1 << (rb - rb // 2)
    assert VK_BYTES[head : head + 4] == enc_u32(rows)
    assert VK_BYTES[m_pos : m_pos + 4] == enc_u32(m_rows)
    cases = [
        (VK_BYTES[:head] + enc_u32(rows + 1) + VK_BYTES[head + 4 :], "proof.shape"),
        (VK_BYTES[:m_pos] + enc_u32(m_rows // 2) + VK_BYTES[m_pos + 4 :], "proof.shape"),
        (VK_BYTES[:-32], "proof.truncated"),
        (VK_BYTES + bytes(32), "proof.trailing-bytes"),
    ]
    for data, check in cases:
        with pytest.raises(InvalidKeyError) as exc_info:
            VerifyingKey.from_bytes(data)
        assert exc_info.value.check == check
    legacy = VK_BYTES[:m_pos]  # the format before the well-formedness proof
    with pytest.raises(InvalidKeyError) as exc_info:
        VerifyingKey.from_bytes(legacy)
    assert exc_info.value.check == "key.wf-missing"
    for bad_rb in (0, 17):
        doc = with_range_bits(bad_rb)
        data = container(4, enc_u32(len(canonical(doc))) + canonical(doc)
                         + VK_BYTES[7 + 4 + len(js):])
        with pytest.raises(InvalidKeyError) as exc_info:
            VerifyingKey.from_bytes(data)
        assert exc_info.value.check == "key.circuit"


def test_zero_outside_matches_brute_force():
    from reference_model_key import _zero_table

    vk = VerifyingKey.from_bytes(VK_BYTES)
    ms = vk.circuit.model
    rng = random.Random(5)
    z_tab = _zero_table(DOC["model_stack"])
    for _ in range(3):
        s = [rng.randrange(R) for _ in range(ms.num_vars)]
        assert mk.zero_outside(ms, s) == mle_eval(z_tab, s)
    for i in (0, 17, 44, 63):
        bits = [(i >> k) & 1 for k in range(ms.num_vars)]
        assert mk.zero_outside(ms, bits) == z_tab[i]


def test_checked_once_per_process_and_trusted_digest(monkeypatch):
    calls = []
    real = mk._verify_wf
    monkeypatch.setattr(mk, "_verify_wf", lambda vk, d: (calls.append(d), real(vk, d))[1])
    table = list(TABLE)
    table[0] = 3
    data = vk_artifact(DOC, table)
    VerifyingKey.from_bytes(data)
    VerifyingKey.from_bytes(bytearray(data))
    assert len(calls) == 1
    # a key that is not well-formed is refused every time (failures are not remembered)
    table[63] = 1
    bad = vk_artifact(DOC, table)
    for _ in range(2):
        refused(bad, "logup.group-sum")
    assert len(calls) == 3
    # a caller that vouches for exactly these bytes skips the check; any other digest
    # does not
    VerifyingKey.from_bytes(bad, trusted_digest=hashlib.sha256(bad).digest())
    assert len(calls) == 3
    refused_digest = hashlib.sha256(data).digest()
    with pytest.raises(InvalidKeyError, match=NOT_WF):
        VerifyingKey.from_bytes(bad, trusted_digest=refused_digest)
    for wrong in ("digest", hashlib.sha256(bad).digest()[:31], 5):
        with pytest.raises(TypeError, match="trusted_digest"):
            VerifyingKey.from_bytes(bad, trusted_digest=wrong)


def test_generator_seed_binds_the_key():
    other = b"another seed"
    data = vk_artifact(DOC, TABLE, seed=other)
    # another seed's challenges from the first squeeze: the first LogUp layer's final
    # check fails (its eq-factored rounds have no round-sum check: sumcheck.md)
    refused(data, "logup.layer")
    vk = VerifyingKey.from_bytes(data, seed=other)
    assert vk.seed_digest == seed_digest(other)
    x = [[1, -2, 3, -4]]
    proof = prove_inference(DOC, TENSORS, TABLE, x, data, seed=other)
    assert Verifier(other).verify_inference(proof, vk).input == ((1, -2, 3, -4),)
    # a verifier of the default seed checks the key again, for its seed, and refuses it
    with pytest.raises(InvalidKeyError, match=NOT_WF):
        InferenceVerifier(vk)
    with pytest.raises(InvalidKeyError):
        verify_inference(proof, vk)


def test_non_bytes_fail_closed():
    for data in (None, "text", 5):
        with pytest.raises(InvalidKeyError) as exc_info:
            VerifyingKey.from_bytes(data)
        assert exc_info.value.check == "api.argument-type"
    for data in (b"", b"ZKML\x00\x01\x04", b"ZKML\x00\x01\x04" + bytes(64)):
        with pytest.raises(InvalidKeyError):
            VerifyingKey.from_bytes(data)
