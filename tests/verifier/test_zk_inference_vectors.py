"""circuits/vectors/zk_inference.json: the Rust prover's hiding inference proofs (kind 5,
circuits/zk_inference.md) through the Python verifier. Every honest case verifies and
states its input and output; the cheating case fails at its check; and mutations of the
Rust proofs are refused with a check id: flipped bytes, truncation, a re-committed
acc-eval, sumcheck-eval or product, swapped proofs of product, another key, and the
clear kind (inference.json's kind-3 proof of the same key) taken for the hiding one and
back."""

from __future__ import annotations

import hashlib
import json
import random
from functools import cache

import pytest

from tests.verifier.zk_vectors import VECTORS_DIR, load
from zkml.errors import ProofFormatError, TruncatedProofError, VerificationError
from zkml.verifier import VerifyingKey, verify_inference
from zkml.verifier.encoding import Reader, enc_g1, enc_u32
from zkml.verifier.generators import DEFAULT_SEED, derive_generator, seed_digest
from zkml.verifier.msm import msm
from zkml.verifier.zk.sigma import H_INDEX
from zkml.verifier.zk_inference import parse_hiding_inference

VECTORS = load("zk_inference.json")
CASES = VECTORS["cases"]
HONEST = [c for c in CASES if c["valid"]]
H = derive_generator(seed_digest(DEFAULT_SEED), H_INDEX)


@cache
def _key(vk_hex: str) -> VerifyingKey:
    """The case's key: checked, or (a blinded model commitment, whose well-formedness
    proof cannot hold) trusted by its digest as the vector file says."""
    data = bytes.fromhex(vk_hex)
    try:
        return VerifyingKey.from_bytes(data)
    except Exception:  # noqa: BLE001 (the blinded key; checked below)
        return VerifyingKey.from_bytes(data, trusted_digest=hashlib.sha256(data).digest())


def _label(c: dict) -> str:
    return f"{c['name']}{'' if c['valid'] else '-' + c['check']}"


def _verify(c: dict, data: bytes | None = None):
    return verify_inference(bytes.fromhex(c["proof"]) if data is None else data,
                            _key(c["vk"]))


def _rejected(c: dict, data: bytes, check: str, exc=VerificationError) -> None:
    with pytest.raises(exc) as info:
        _verify(c, data)
    assert info.value.check == check, info.value


def test_the_vectors_cover_argmax_tables_windows_parts_rows_and_a_blinded_key():
    names = {c["name"] for c in HONEST}
    assert {"mlp", "mlp_argmax", "silu", "win_1d", "concat_flat", "softmax_head",
            "mlp_blinded_model"} <= names
    assert any(not c["valid"] for c in CASES)
    blinded = next(c for c in HONEST if c["name"] == "mlp_blinded_model")
    with pytest.raises(Exception):  # noqa: B017 (its well-formedness proof fails)
        VerifyingKey.from_bytes(bytes.fromhex(blinded["vk"]))


@pytest.mark.parametrize("case", CASES, ids=_label)
def test_vector_case(case):
    if not case["valid"]:
        _rejected(case, bytes.fromhex(case["proof"]), case["check"])
        return
    st = _verify(case)
    assert (st.kind, st.hiding, st.batch) == (5, True, case["batch"])
    assert st.vk_digest.hex() == case["vk_digest"]
    assert st.visibility == case["visibility"]
    if case["visibility"] & 3:  # a private input is not in the statement
        assert st.input == ()
    else:
        assert [v for row in st.input for v in row] == case["input"]
    if case["visibility"] & 8:  # a committed output is its commitment only (1.6)
        assert st.output == () and len(st.output_commitment) > 0
    else:
        assert [v for row in st.output for v in row] == case["output"]


def _parsed(c: dict, data: bytes):
    p = parse_hiding_inference(Reader(data[7:]), _key(c["vk"]), 1 << 20)
    return p, 7 + p.tail.position


def _replace(data: bytes, point) -> bytes:
    i = data.index(enc_g1(point))
    return data[:i] + enc_g1(msm([point, H], [1, 1])) + data[i + 64:]


@pytest.mark.parametrize("case", HONEST[:4], ids=_label)
def test_flipped_bytes_and_truncations_are_refused_with_a_check_id(case):
    data = bytes.fromhex(case["proof"])
    rng = random.Random(case["name"])
    for at in sorted({7, 39, 43, *(rng.randrange(7, len(data)) for _ in range(12))}):
        bad = data[:at] + bytes([data[at] ^ 0x80]) + data[at + 1:]
        with pytest.raises(VerificationError) as info:
            _verify(case, bad)
        assert info.value.check not in (None, "verifier.internal"), (at, info.value)
    for cut in (8, 50, len(data) // 3, len(data) // 2, len(data) - 1):
        with pytest.raises(ProofFormatError) as info:
            _verify(case, data[:cut])
        assert info.value.check is not None
    _rejected(case, data + b"\0", "proof.trailing-bytes", ProofFormatError)


@pytest.mark.parametrize("case", HONEST, ids=_label)
def test_a_recommitted_message_fails_the_merged_check(case):
    data = bytes.fromhex(case["proof"])
    p, _ = _parsed(case, data)
    for point in (p.acc_evals[0][0], p.sc_evals[0], p.products[0], p.products[-1],
                  p.leaf_evals[-1]):
        _rejected(case, _replace(data, point), "zk.merged")


@pytest.mark.parametrize("case", HONEST[:3], ids=_label)
def test_swapped_product_responses_fail_the_merged_check(case):
    data = bytes.fromhex(case["proof"])
    _, tail = _parsed(case, data)
    # V_x, V_y, tau, the batched proof's six points, then f_x: swap f_x[0] and f_x[1]
    start, size = tail + 2 * 64 + 32 + 6 * 64, 32
    a, b = data[start:start + size], data[start + size:start + 2 * size]
    _rejected(case, data[:start] + b + a + data[start + 2 * size:], "zk.merged")


def test_the_products_count_is_the_declarations():
    case = HONEST[0]
    data = bytes.fromhex(case["proof"])
    p, tail = _parsed(case, data)
    n = len(p.products)
    at = tail - 4 - 64 * n
    assert data[at:at + 4] == enc_u32(n)
    _rejected(case, data[:at] + enc_u32(n - 1) + data[at + 4:tail - 64] + data[tail:],
              "zk.products", ProofFormatError)
    _rejected(case, data[:at] + enc_u32(1 << 30) + data[at + 4:], "proof.truncated",
              TruncatedProofError)


def test_a_proof_checked_with_another_key_is_refused():
    a, b = HONEST[0], next(c for c in HONEST if c["vk"] != HONEST[0]["vk"])
    with pytest.raises(VerificationError) as info:
        verify_inference(bytes.fromhex(a["proof"]), _key(b["vk"]))
    assert info.value.check == "proof.vk"


def _clear_proofs() -> dict[str, bytes]:
    """inference.json's honest kind-3 proof for each key of the vectors."""
    out: dict[str, bytes] = {}
    for m in json.loads((VECTORS_DIR / "inference.json").read_text())["models"]:
        for c in m["cases"]:
            if c["valid"]:
                out.setdefault(m["vk"], bytes.fromhex(c["proof"]))
    return out


def test_the_clear_and_the_hiding_kind_are_not_taken_for_each_other():
    clear = _clear_proofs()
    cases = [c for c in HONEST if c["vk"] in clear]
    assert cases
    for case in cases:
        kind3, kind5 = clear[case["vk"]], bytes.fromhex(case["proof"])
        assert verify_inference(kind3, _key(case["vk"])).hiding is False
        as_5 = kind3[:4] + (1).to_bytes(2, "big") + bytes([5]) + kind3[7:]
        as_3 = kind5[:4] + (2).to_bytes(2, "big") + bytes([3]) + kind5[7:]
        # kind 3's input count is read as kind 5's visibility word: a word no kind-5
        # proof has, or (a count of 6 = committed input with public weights) a word
        # whose commitment's count is then the output's
        with pytest.raises(VerificationError) as info:
            _verify(case, as_5)
        assert info.value.check in ("zk.visibility", "proof.shape"), info.value
        _rejected(case, as_3, "proof.shape", ProofFormatError)


def test_one_msm_per_proof(monkeypatch):
    """zk.md 5.5: the linear check and every sigma equation are folded into one MSM,
    and nothing else of a hiding proof touches the curve."""
    import zkml.verifier.hyrax as hyrax
    import zkml.verifier.zk.sigma as sigma

    calls: list[int] = []
    real = sigma.msm

    def counting(points, scalars):
        calls.append(len(points))
        return real(points, scalars)

    def refused(points, scalars):
        raise AssertionError("a clear opening's MSM in a hiding proof")

    monkeypatch.setattr(sigma, "msm", counting)
    monkeypatch.setattr(hyrax, "msm", refused)
    for case in HONEST[:2]:
        calls.clear()
        _verify(case)
        assert len(calls) == 1
