"""Hiding verifying keys (kind 6, circuits/zk_inference.md 4) through
`VerifyingKey.from_bytes`: circuits/vectors/zk_key.json's keys load or are refused with
the id the Rust check gives, and edited keys (flipped bytes, a changed `C_P` row, a
kind-4 key's body presented as kind 6, truncations, wrong counts) are refused with
InvalidKeyError and a check id; sizes are bounded before anything is read."""

from __future__ import annotations

import hashlib
import random

import pytest

from tests.verifier.zk_vectors import load, point
from zkml.errors import InvalidKeyError, VerificationError
from zkml.verifier import VerifyingKey
from zkml.verifier import model_key as mk
from zkml.verifier.encoding import enc_g1, enc_u32
from zkml.verifier.field import R
from zkml.verifier.generators import DEFAULT_SEED, derive_generator, generators, seed_digest
from zkml.verifier.hyrax import commit
from zkml.verifier.msm import msm
from zkml.verifier.proofs import KIND_HIDING_VERIFYING_KEY, KIND_NAMES, parse_artifact
from zkml.verifier.zk.sigma import H_INDEX
from zkml.verifier.zk_key import ZkWellFormednessProof, products_count

VECTORS = load("zk_key.json")
MODEL = VECTORS["models"][0]
KEY = bytes.fromhex(MODEL["cases"][0]["key"])
NOT_WF = "invalid verifying key: model stack is not well-formed"
#: What a malformed key may be refused with (never an internal error).
FORMAT_IDS = {"proof.truncated", "proof.trailing-bytes", "proof.shape", "proof.limits",
              "encoding.point", "encoding.field-element", "logup.shape", "zk.products",
              "key.circuit", "key.model-shape", "key.wf-missing", "proof.header-kind",
              "proof.version", "proof.magic", "sumcheck.shape"}


def load_key(data: bytes, **kw) -> VerifyingKey:
    mk._checked.clear()  # every test checks the proof itself
    return VerifyingKey.from_bytes(data, **kw)


def refused(data: bytes, *checks: str, **kw) -> InvalidKeyError:
    with pytest.raises(InvalidKeyError) as info:
        load_key(data, **kw)
    assert not isinstance(info.value, VerificationError)  # the key is bad, not a proof
    assert info.value.check in checks, info.value
    return info.value


@pytest.mark.parametrize(
    "case", [(m, c) for m in VECTORS["models"] for c in m["cases"]],
    ids=lambda mc: f"{mc[0]['name']}: {mc[1]['name']}")
def test_vector_case(case: tuple[dict, dict]) -> None:
    m, c = case
    data = bytes.fromhex(c["key"])
    if not c["valid"]:
        err = refused(data, c["check"])
        if c["check"] == "zk.merged":
            assert str(err).startswith(NOT_WF)
        return
    vk = load_key(data)
    assert vk.hiding and vk.digest == hashlib.sha256(data).digest()
    k4 = load_key(bytes.fromhex(m["kind4_key"]))
    assert not k4.hiding
    # the same circuit and shapes as the model's kind-4 key; other commitments
    assert vk.circuit.json_bytes == k4.circuit.json_bytes
    assert (vk.num_vars, vk.log_cols) == (k4.num_vars, k4.log_cols)
    assert len(vk.commitment) == len(k4.commitment) == len(m["model_blinders"])
    assert not set(vk.commitment) & set(k4.commitment)
    assert isinstance(vk.wf_proof, ZkWellFormednessProof)
    assert len(vk.wf_proof.products) == products_count(vk.num_vars, vk.circuit.model.range_bits)


def test_the_kind_is_named_and_is_not_a_proof() -> None:
    assert KIND_NAMES[KIND_HIDING_VERIFYING_KEY] == "hiding-verifying-key"
    with pytest.raises(VerificationError) as exc:
        parse_artifact(KEY)
    assert exc.value.check == "proof.header-kind"


def test_blinded_rows_open_with_the_model_blinders() -> None:
    """C_P's row i is the clear Hyrax row plus rho_i H (zk.md 5.4)."""
    vk = load_key(KEY)
    table = [v % R for v in MODEL["model_stack"]]
    sd = seed_digest(DEFAULT_SEED)
    clear = commit(table, vk.num_vars, vk.log_cols, generators(sd, 1 << vk.log_cols))
    h = derive_generator(sd, H_INDEX)
    for row, c, rho in zip(vk.commitment, clear, MODEL["model_blinders"], strict=True):
        terms = [(1, c)] if c is not None else []
        assert row == msm([p for _, p in terms] + [h], [s for s, _ in terms] + [int(rho)])


def test_trusted_digest_skips_the_proof_for_both_kinds() -> None:
    bad = bytes.fromhex(MODEL["cases"][1]["key"])  # a dishonest key
    refused(bad, "zk.merged")
    vk = load_key(bad, trusted_digest=hashlib.sha256(bad).digest())
    assert vk.hiding
    k4 = bytes.fromhex(MODEL["kind4_key"])
    assert not load_key(k4, trusted_digest=hashlib.sha256(k4).digest()).hiding


def test_another_generator_seed_refuses_the_key() -> None:
    refused(KEY, "zk.merged", seed=b"another seed")


class Layout:
    """Byte offsets of a kind-6 key's parts (zk_inference.md 4)."""

    def __init__(self, data: bytes) -> None:
        vk = load_key(data)
        n, c, rb = vk.num_vars, vk.log_cols, vk.circuit.model.range_bits
        self.c_p = 7 + 4 + len(vk.circuit.json_bytes) + 8
        self.c_m = self.c_p + 4 + 64 * (1 << (n - c))
        self.logup = self.c_m + 4 + 64 * (1 << (rb - rb // 2))
        trees = sum(4 + 64 * (4 * d + d * (d - 1)) for d in (n, rb, 1))  # 2 points a round
        self.leaf = self.logup + trees
        self.opening = self.leaf + 4 + 2 * 64
        self.products = self.opening + 64 * (2 * n + 1 + 2 * rb + 1)
        self.tail = self.products + 4 + 64 * products_count(n, rb)


LAYOUT = Layout(KEY)


def _replace(data: bytes, at: int, new: bytes) -> bytes:
    return data[:at] + new + data[at + len(new):]


def test_a_changed_model_commitment_row_is_refused() -> None:
    rows = [KEY[LAYOUT.c_p + 4 + 64 * i:LAYOUT.c_p + 4 + 64 * (i + 1)] for i in range(2)]
    refused(_replace(KEY, LAYOUT.c_p + 4, rows[1]), "zk.merged")
    g0 = enc_g1(generators(seed_digest(DEFAULT_SEED), 1)[0])
    refused(_replace(KEY, LAYOUT.c_p + 4, g0), "zk.merged")
    # a multiplicity row, a leaf evaluation, a product: each bound by the merged check
    for at in (LAYOUT.c_m + 4, LAYOUT.leaf + 4, LAYOUT.products + 4):
        refused(_replace(KEY, at, rows[0]), "zk.merged")


def test_a_kind_4_keys_body_as_kind_6_is_refused() -> None:
    k4 = bytes.fromhex(MODEL["kind4_key"])
    refused(_replace(k4, 6, bytes([KIND_HIDING_VERIFYING_KEY])), "encoding.point")
    # and the other way round: a kind-6 body does not parse as kind 4
    err = refused(_replace(KEY, 6, bytes([4])), *FORMAT_IDS)
    assert err.check != "verifier.internal"


def test_flipped_bytes_are_refused() -> None:
    rng = random.Random(6)
    for pos in sorted(rng.sample(range(LAYOUT.c_p, len(KEY)), 60)):
        bad = bytearray(KEY)
        bad[pos] ^= 1 << rng.randrange(8)
        refused(bytes(bad), "zk.merged", *FORMAT_IDS)


def test_truncations_are_refused() -> None:
    refused(KEY[:LAYOUT.c_m], "key.wf-missing")
    for cut in (LAYOUT.c_m + 1, LAYOUT.logup + 100, LAYOUT.leaf + 3, LAYOUT.opening + 64,
                LAYOUT.products + 2, LAYOUT.tail + 40, len(KEY) - 1):
        refused(KEY[:cut], "proof.truncated")
    refused(KEY + b"\x00", "proof.trailing-bytes")


def test_counts_are_checked_before_anything_is_read() -> None:
    n = products_count(load_key(KEY).num_vars, load_key(KEY).circuit.model.range_bits)
    assert KEY[LAYOUT.products:LAYOUT.products + 4] == enc_u32(n)
    refused(_replace(KEY, LAYOUT.products, enc_u32(n - 1)), "zk.products")
    refused(_replace(KEY, LAYOUT.products, enc_u32(2**32 - 1)), "proof.truncated")
    refused(_replace(KEY, LAYOUT.leaf, enc_u32(3)), "proof.shape")
    refused(_replace(KEY, LAYOUT.logup, enc_u32(3)), "logup.shape")
    refused(_replace(KEY, LAYOUT.c_m, enc_u32(1)), "proof.shape")


def test_the_leaf_points_are_the_vectors() -> None:
    vk = load_key(KEY)
    assert vk.wf_proof.leaf_evals == (point(KEY[LAYOUT.leaf + 4:LAYOUT.leaf + 68].hex()),
                                      point(KEY[LAYOUT.leaf + 68:LAYOUT.opening].hex()))
