"""Hiding inference proofs (kind 5, circuits/zk_inference.md) end to end with the test
prover of zk_inference_prover.py: honest proofs of models covering the gadget ops verify
and state what kind 3 states (plus `hiding`); the parser bounds every size and refuses
the visibility words version 1 does not prove; flipped, truncated, re-committed and
swapped bytes, a wrong key and the other inference kind are refused with a check id; and
cheating provers whose messages are all consistently committed fail the one merged check
(`zk.merged`), at the relation the cheat breaks (the prover's own evaluation names it).
The Rust prover's proofs are checked by test_zk_inference_vectors.py."""

from __future__ import annotations

import hashlib
import random
from functools import cache

import pytest
from concat_models import channel_model
from edits import bump
from mul_models import mul_model
from nonlinear_models import table_model
from rearrange_models import transpose_model
from reference_cnn import build
from reference_inference import example_model, prove_inference, vk_artifact
from softmax_models import softmax_model
from zk_inference_prover import prove_hiding

from zkml.errors import ProofFormatError, TruncatedProofError, VerificationError
from zkml.verifier import InferenceVerifier, Verifier, VerifyingKey, verify_artifact
from zkml.verifier import verify_inference as verify
from zkml.verifier.declarations import Claim
from zkml.verifier.encoding import Reader, enc_g1, enc_u32
from zkml.verifier.generators import DEFAULT_SEED, derive_generator, seed_digest
from zkml.verifier.msm import msm
from zkml.verifier.proofs import KIND_HIDING_INFERENCE, KIND_NAMES, KIND_VERSIONS
from zkml.verifier.zk.backend import Committed, CommittedBackend
from zkml.verifier.zk.forms import Form
from zkml.verifier.zk.pipeline import claim_form
from zkml.verifier.zk.sigma import G_E_INDEX, H_INDEX
from zkml.verifier.zk_inference import parse_hiding_inference

DIGEST = seed_digest(DEFAULT_SEED)
G_E, H = derive_generator(DIGEST, G_E_INDEX), derive_generator(DIGEST, H_INDEX)


def _example(argmax: bool = False):
    doc, tensors, table = example_model(argmax=argmax)

    def inputs(batch: int, s: int = 0) -> list[list[int]]:
        rng = random.Random(s)
        return [[rng.randrange(-128, 128) for _ in range(4)] for _ in range(batch)]

    return doc, tensors, table, inputs


#: models covering dense, add, identity, argmax, table, conv, winmax, maxpool, concat,
#: rearrange, mul, rowmax, rowdiv and spatialsum
MODELS = {
    "example": lambda: _example(),
    "argmax": lambda: _example(argmax=True),
    "table": table_model,
    "winmax": lambda: build([("conv", None, 2, [3, 3], [1, 1], [1, 1], [1, 1]),
                             ("winmax", None, [3, 3], [2, 2], [1, 1], [1, 1]),
                             ("dense", None, 2)], [1, 5, 5]),
    "maxpool": lambda: build([("maxpool", "input", [2, 2]), ("dense", None, 2)], [1, 4, 4]),
    "concat": channel_model,
    "rearrange": transpose_model,
    "mul": mul_model,
    "softmax": softmax_model,
}


class _Model:
    def __init__(self, name: str) -> None:
        self.doc, self.tensors, self.table, self.inputs = MODELS[name]()
        self.vk_bytes = vk_artifact(self.doc, self.table)
        self.vk = VerifyingKey.from_bytes(self.vk_bytes)

    def prove(self, batch: int = 2, **kw) -> bytes:
        return prove_hiding(self.doc, self.tensors, self.table, self.inputs(batch),
                            self.vk_bytes, **kw)

    def prove_clear(self, batch: int = 2) -> bytes:
        return prove_inference(self.doc, self.tensors, self.table, self.inputs(batch),
                               self.vk_bytes)


@cache
def model(name: str) -> _Model:
    return _Model(name)


@cache
def honest(name: str = "example", batch: int = 2) -> bytes:
    return model(name).prove(batch, check_honest=True)


def rejected(data: bytes, check: str, vk: VerifyingKey | None = None,
             exc: type[VerificationError] = VerificationError) -> VerificationError:
    """`data` is refused with `exc` at `check` (never as an internal error)."""
    with pytest.raises(exc) as info:
        verify(data, vk or model("example").vk)
    assert info.value.check == check, info.value
    return info.value


def _layout(data: bytes, vk: VerifyingKey):
    """The parsed proof and the body offset of its `tau` (the tail)."""
    p = parse_hiding_inference(Reader(data[7:]), vk, 1 << 20)
    return p, 7 + p.tail.position


def _other(point) -> tuple[int, int]:
    """Another valid commitment (`point + H`)."""
    return msm([point, H], [1, 1])


def _replace(data: bytes, point, new) -> bytes:
    i = data.index(enc_g1(point))
    return data[:i] + enc_g1(new) + data[i + 64:]


# --- honest proofs ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MODELS))
def test_honest_hiding_proofs_verify_and_state_what_kind_3_states(name):
    m = model(name)
    st = verify(honest(name), m.vk)
    clear = verify(m.prove_clear(), m.vk)
    assert (st.kind, st.kind_name, st.hiding) == (5, "hiding-inference", True)
    assert not clear.hiding
    assert (st.batch, st.input, st.output, st.argmax) == \
        (clear.batch, clear.input, clear.output, clear.argmax)
    assert (st.input_frac_bits, st.output_frac_bits) == \
        (clear.input_frac_bits, clear.output_frac_bits)


def test_batch_one_and_a_blinded_model_commitment():
    """A key whose model rows are blinded (kind-4 format; its well-formedness proof no
    longer holds, so it is trusted by digest) verifies proofs opened with the blinders."""
    m = model("example")
    rng = random.Random(9)
    blinds = [rng.randrange(1, 1 << 60) for _ in m.vk.commitment]

    def blind(stage, data):
        if stage != "commitments":
            return data
        c_p, c_m = data
        return [msm([p, H], [1, b]) for p, b in zip(c_p, blinds, strict=True)], c_m

    vk_bytes = vk_artifact(m.doc, m.table, edit=blind)
    vk = VerifyingKey.from_bytes(vk_bytes, trusted_digest=hashlib.sha256(vk_bytes).digest())
    proof = prove_hiding(m.doc, m.tensors, m.table, m.inputs(1), vk_bytes,
                         model_blinds=blinds, check_honest=True)
    assert verify(proof, vk).batch == 1
    # the same proof opened without the blinders' help fails
    bad = prove_hiding(m.doc, m.tensors, m.table, m.inputs(1), vk_bytes)
    rejected(bad, "zk.merged", vk)


def test_every_entry_point_accepts_kind_5_with_its_key():
    m, data = model("example"), honest()
    st = verify(data, m.vk)
    assert InferenceVerifier(m.vk).verify(data) == st
    assert verify_artifact(data, vk=m.vk) == st
    assert Verifier().verify(data, m.vk) == st
    with pytest.raises(VerificationError) as info:  # a hiding proof needs its key too
        verify_artifact(data)
    assert info.value.check == "proof.header-kind"
    assert KIND_NAMES[KIND_HIDING_INFERENCE] == "hiding-inference"
    assert KIND_VERSIONS[KIND_HIDING_INFERENCE] == 1


def test_the_api_and_the_command_line_verify_kind_5(tmp_path, capsys):
    from zkml.api import Verifier as ApiVerifier
    from zkml.cli.main import main

    m, data = model("example"), honest()
    got = ApiVerifier(m.vk_bytes).verify(data)
    assert got.statement.hiding and got.batch == 2
    (tmp_path / "p.proof").write_bytes(data)
    (tmp_path / "m.vk").write_bytes(m.vk_bytes)
    assert main(["verify", str(tmp_path / "p.proof"), "--vk", str(tmp_path / "m.vk")]) == 0
    assert "valid hiding inference proof" in capsys.readouterr().out


# --- the parser ------------------------------------------------------------------------


def test_the_visibility_word_is_zero():
    data = honest()
    at = 7 + 32 + 4
    assert data[at:at + 4] == enc_u32(0)
    for v in (3, 7, 11, 16, 1 << 31):
        rejected(data[:at] + enc_u32(v) + data[at + 4:], "zk.visibility")
    # bit 3 (a committed output, zk_inference.md 1.6) is a word: the output's bytes
    # are then read as C_Y's count
    rejected(data[:at] + enc_u32(8) + data[at + 4:], "proof.shape", exc=ProofFormatError)


def test_truncations_are_format_errors():
    data = honest()
    for cut in sorted({*range(7, len(data), 997), len(data) - 1, len(data) - 32, 40, 48}):
        with pytest.raises(ProofFormatError) as info:
            verify(data[:cut], model("example").vk)
        assert info.value.check is not None
    rejected(data + b"\0", "proof.trailing-bytes", exc=ProofFormatError)


def test_zk_products_are_bounded_by_the_bytes_left_and_counted_by_the_declarations():
    m, data = model("example"), honest()
    p, tail = _layout(data, m.vk)
    n = len(p.products)
    at = tail - 4 - 64 * n  # the count of "zk-products"
    assert data[at:at + 4] == enc_u32(n) and n > 0
    # a count beyond the bytes left: refused before anything is read
    rejected(data[:at] + enc_u32(len(data)) + data[at + 4:], "proof.truncated",
             exc=TruncatedProofError)
    # one point less, one point more: the evaluation's count differs
    short = data[:at] + enc_u32(n - 1) + data[at + 4:tail - 64] + data[tail:]
    rejected(short, "zk.products", exc=ProofFormatError)
    long = data[:at] + enc_u32(n + 1) + data[at + 4:tail] + enc_g1(G_E) + data[tail:]
    rejected(long, "zk.products", exc=ProofFormatError)


def test_the_logup_depths_and_vector_counts_are_the_statements():
    data = honest()
    p, _ = _layout(data, model("example").vk)
    i = data.index(enc_g1s_count(p.leaf_evals))
    rejected(data[:i] + enc_u32(len(p.leaf_evals) + 1) + data[i + 4:], "proof.shape",
             exc=ProofFormatError)
    at = data.index(enc_g1(p.logup[0].root[0])) - 4  # tree 0's depth
    d = p.logup[0].depth
    rejected(data[:at] + enc_u32(d + 1) + data[at + 4:], "logup.shape", exc=ProofFormatError)


def enc_g1s_count(points) -> bytes:
    """A Vec<G1>'s count and first point (to find it in the bytes)."""
    return enc_u32(len(points)) + enc_g1(points[0])


# --- mutations -------------------------------------------------------------------------


def test_flipped_bytes_are_refused_with_a_check_id():
    data = honest()
    rng = random.Random(3)
    for at in sorted({7, 7 + 32, 7 + 36, *(rng.randrange(7, len(data)) for _ in range(40))}):
        bad = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]
        with pytest.raises(VerificationError) as info:
            verify(bad, model("example").vk)
        assert info.value.check is not None and info.value.check != "verifier.internal", \
            (at, info.value)


@pytest.mark.parametrize("what", ["acc-evals", "sumcheck-evals", "zk-products", "leaf",
                                  "logup-root", "witness-row"])
def test_a_changed_commitment_fails_the_merged_check(what):
    m, data = model("example"), honest()
    p, _ = _layout(data, m.vk)
    point = {"acc-evals": p.acc_evals[1][0], "sumcheck-evals": p.sc_evals[-1],
             "zk-products": p.products[len(p.products) // 2], "leaf": p.leaf_evals[0],
             "logup-root": p.logup[0].root[2], "witness-row": p.c_w[0]}[what]
    rejected(_replace(data, point, _other(point)), "zk.merged")


def test_swapped_product_responses_fail_the_merged_check():
    m, data = model("example"), honest()
    _, tail = _layout(data, m.vk)
    at = tail + 2 * 64  # V_x, V_y, then tau
    start, size = at + 32 + 6 * 64, 32  # the batched proof of product's f_x[0], f_x[1]
    a, b = data[start:start + size], data[start + size:start + 2 * size]
    assert a != b
    swapped = data[:start] + b + a + data[start + 2 * size:]
    rejected(swapped, "zk.merged")
    tau = data[at:at + 32]
    rejected(data[:at] + bytes(31) + b"\x01" + data[at + 32:], "zk.merged")
    assert tau != bytes(31) + b"\x01"


def test_a_proof_for_another_key_is_refused():
    rejected(honest(), "proof.vk", model("table").vk)


def test_kind_3_and_kind_5_are_not_taken_for_each_other():
    m = model("example")
    clear, hiding = m.prove_clear(), honest()
    as_5 = clear[:4] + (1).to_bytes(2, "big") + bytes([5]) + clear[7:]
    as_3 = hiding[:4] + (2).to_bytes(2, "big") + bytes([3]) + hiding[7:]
    # kind 3's input count sits where kind 5's visibility word is, and vice versa (this
    # proof's count, 8, reads as bit 3, a committed output: the input's bytes are then
    # read as a count)
    assert clear[7 + 32 + 4:7 + 32 + 8] == enc_u32(8)
    rejected(as_5, "proof.shape", exc=ProofFormatError)
    rejected(as_3, "proof.shape", exc=ProofFormatError)
    # the header version is the kind's
    rejected(hiding[:4] + (2).to_bytes(2, "big") + hiding[6:], "proof.version",
             exc=ProofFormatError)


# --- cheating provers (every message committed consistently) ---------------------------


def _edit(stage_name, fn):
    def edit(stage, data):
        return fn(data) if stage == stage_name else data

    return edit


@pytest.mark.parametrize(
    ("stage", "fn", "breaks"),
    [
        ("output", lambda y: [[y[0][0] + 1, y[0][1]], *y[1:]], "inference.final"),
        ("multiplicities", bump(5), "logup.group-sum"),
        ("leaf", bump(0), "logup.leaf-denominators"),
        ("leaf", bump(-1), "logup.table-claims"),
        (("acc", 0), bump(0), "inference.final"),
        (("acc", 1), bump(0), "gadget.add.relation"),
        (("acc", 3), bump(1), "gadget.identity.z-plus-v"),
        (("acc", 3), bump(2), "gadget.identity.relation"),
        ("sumcheck-evals", bump(0), "inference.final"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_a_cheating_prover_fails_the_merged_check_at_the_relation_it_breaks(stage, fn, breaks):
    failed: list[str] = []
    data = model("example").prove(1, edit=_edit(stage, fn), failed=failed)
    assert breaks in failed, failed
    rejected(data, "zk.merged")


def test_a_false_output_with_every_message_recommitted_fails():
    """The prover proves a false ArgMax output honestly from there on: every commitment
    opens to what the honest protocol computes from the edited statement, so only the
    relations the output enters can catch it (here the range lookups of d = M - z - LT,
    negative at the true maximum), inside the one merged check."""
    failed: list[str] = []
    data = model("argmax").prove(2, edit=_edit("output", lambda y: [[1 - y[0][0]], *y[1:]]),
                                 failed=failed)
    assert "logup.group-sum" in failed, failed
    rejected(data, "zk.merged", model("argmax").vk)


def test_a_lying_product_fails_the_merged_check():
    """A product commitment to a false value: its proof of product fails, and so does the
    linear check that reads it."""
    failed: list[str] = []
    data = model("example").prove(1, lie={0: 12345}, failed=failed)
    assert "logup.group-sum" in failed  # the first product is the range group's fold
    rejected(data, "zk.merged")


def test_a_claim_that_multiplies_commitments_is_refused():
    be = CommittedBackend(G_E, [])
    a, b = (Claim(n, Committed(Form.of(p), G_E)) for n, p in (("a", G_E), ("b", H)))
    assert claim_form(a + 3 * b, be, "linear") == Form({G_E: 1, H: 3})
    assert claim_form(7, be, "public") == Form({G_E: 7})
    with pytest.raises(VerificationError) as info:
        claim_form(a * b, be, "instance 0")
    assert info.value.check == "zk.claim-linear"


def test_the_verifiers_column_limit_applies_to_kind_5():
    m = model("example")
    with pytest.raises(VerificationError) as info:
        InferenceVerifier(m.vk, max_log_cols=1).verify(honest())
    assert info.value.check == "verifier.column-limit"
