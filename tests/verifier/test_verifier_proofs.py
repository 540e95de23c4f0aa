"""Kinds 1 and 2 end to end: honest artifacts pass, every kind of cheating is rejected."""

from __future__ import annotations

import dataclasses
import random

import pytest
from reference_prover import (
    RefStack,
    encode_kind1,
    encode_kind2,
    kind1_artifact,
    kind2_artifact,
    rand_point,
    rand_table,
)

import zkml.verifier.proofs as proofs_mod
from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier import (
    BatchOpeningStatement,
    ProductSumcheckStatement,
    Verifier,
    verify_artifact,
    verify_batch_opening,
    verify_product_sumcheck,
)
from zkml.verifier.encoding import enc_fr, enc_g1, enc_u32
from zkml.verifier.field import P, R, eq_table, mle_eval
from zkml.verifier.generators import DEFAULT_SEED, generators, seed_digest
from zkml.verifier.hyrax import commit
from zkml.verifier.proofs import parse_artifact
from zkml.verifier.sumcheck import SumcheckProof

GENS = generators(seed_digest(DEFAULT_SEED), 64)


def make_kind1(seed=1, shapes=((4, 2), (3, 1)), claims=3):
    rng = random.Random(seed)
    stacks = [
        RefStack(rand_table(rng, n), n, c, [rand_point(rng, n) for _ in range(claims)])
        for n, c in shapes
    ]
    return stacks, kind1_artifact(stacks)


def make_kind2(seed=2, n=4, c=2):
    rng = random.Random(seed)
    f, g = rand_table(rng, n), rand_table(rng, n, small=True)
    return f, g, kind2_artifact(f, g, n, c)


def reject(data, check=None, exc=VerificationError, **kw):
    """`data` is rejected with `exc`, at the check `check` when given."""
    with pytest.raises(exc) as exc_info:
        verify_artifact(data, **kw)
    if check is not None:
        assert exc_info.value.check == check, exc_info.value


# -- acceptance ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shapes", [((4, 2), (3, 1)), ((0, 0),), ((1, 1), (1, 0)), ((6, 3), (2, 2), (5, 0), (6, 6))]
)
def test_kind1_accepts(shapes):
    stacks, data = make_kind1(shapes=shapes)
    st = verify_artifact(data)
    assert isinstance(st, BatchOpeningStatement)
    assert (st.kind, st.kind_name) == (1, "pcs-batch-opening")
    assert st.seed_digest == seed_digest(DEFAULT_SEED)
    assert [(s.num_vars, s.log_cols) for s in st.stacks] == list(shapes)
    for ss, rs in zip(st.stacks, stacks, strict=True):
        assert [list(z) for z, _ in ss.claims] == rs.points
        assert [v for _, v in ss.claims] == rs.values
        assert list(ss.commitment) == rs.commitment
        assert ss.commitment_bytes()[:4] == enc_u32(len(rs.commitment))
    assert verify_batch_opening(data) == st


def test_kind1_many_claims_and_small_values():
    rng = random.Random(3)
    table = rand_table(rng, 5, small=True)
    table[7] = 0
    st = RefStack(table, 5, 2, [rand_point(rng, 5) for _ in range(20)])
    # a claim at a hypercube point and a zero row
    st.points.append([1, 1, 1, 0, 0])
    verify_artifact(kind1_artifact([st]))
    zero = RefStack([0] * 16, 4, 2, [rand_point(rng, 4)])
    assert zero_commitment_is_infinity(zero)
    verify_artifact(kind1_artifact([zero]))


def zero_commitment_is_infinity(st):
    return commit(st.table, st.num_vars, st.log_cols, GENS) == [None] * 4


@pytest.mark.parametrize("n,c", [(4, 2), (0, 0), (3, 3), (5, 1)])
def test_kind2_accepts(n, c):
    f, g, data = make_kind2(n=n, c=c)
    st = verify_artifact(data)
    assert isinstance(st, ProductSumcheckStatement)
    assert (st.kind_name, st.num_vars, st.log_cols) == ("product-sumcheck", n, c)
    assert st.claimed_sum == sum(a * b for a, b in zip(f, g, strict=True)) % R
    assert verify_product_sumcheck(data) == st


def test_kind_confusion_rejected():
    _, data1 = make_kind1()
    _, _, data2 = make_kind2()
    with pytest.raises(VerificationError) as exc_info:
        verify_product_sumcheck(data1)
    assert exc_info.value.check == "proof.header-kind"
    with pytest.raises(VerificationError) as exc_info:
        verify_batch_opening(data2)
    assert exc_info.value.check == "proof.header-kind"


# -- cheating provers ---------------------------------------------------------------------


def test_wrong_claimed_sum():
    rng = random.Random(4)
    f, g = rand_table(rng, 3), rand_table(rng, 3)
    sigma = (sum(a * b for a, b in zip(f, g, strict=True)) + 1) % R
    reject(kind2_artifact(f, g, 3, 1, sigma=sigma), "sumcheck.round-sum")


def test_wrong_evaluations_kind2():
    rng = random.Random(5)
    f, g = rand_table(rng, 3), rand_table(rng, 3)
    # a * b != final
    reject(kind2_artifact(f, g, 3, 1, evals=(1, 2)), "product.final")


def test_wrong_opened_value():
    stacks, _ = make_kind1()
    stacks[1].values[2] = (stacks[1].values[2] + 1) % R
    reject(kind1_artifact(stacks), "sumcheck.round-sum")


def test_wrong_stack_eval():
    stacks, _ = make_kind1()
    stacks[0].extra["eval"] = 12345
    reject(kind1_artifact(stacks), "batch-open.combination")


def test_wrong_w_inner_product():
    stacks, _ = make_kind1()
    stacks[0].extra["w"] = [1, 2, 3, 4]
    reject(kind1_artifact(stacks), "hyrax.eval")


def test_w_consistent_with_eval_but_wrong():
    # w + delta with <delta, E_lo> = 0 passes the inner product and must fail the MSM
    stacks, data = make_kind1()
    _, parsed = parse_artifact(data)
    op = parsed.openings[0]
    r = list(_stack_point(data, 0))
    e_lo = eq_table(r[:2])
    w = list(op.w)
    w[0] = (w[0] + e_lo[1]) % R
    w[1] = (w[1] - e_lo[0]) % R
    ops = list(parsed.openings)
    ops[0] = dataclasses.replace(op, w=tuple(w))
    reject(encode_kind1(dataclasses.replace(parsed, openings=ops)), "hyrax.opening")


def _stack_point(data, s):
    # rerun the verifier's transcript up to stack s's sumcheck point via a spy
    seen = {}
    orig = proofs_mod.batch_open_verify

    def spy(t, stacks, openings, gens):
        import zkml.verifier.hyrax as hy

        real = hy.sumcheck_verify
        calls = []

        def rec(*a, **k):
            out = real(*a, **k)
            calls.append(out[0])
            return out

        hy.sumcheck_verify = rec
        try:
            orig(t, stacks, openings, gens)
        finally:
            hy.sumcheck_verify = real
        seen["points"] = calls

    proofs_mod.batch_open_verify = spy
    try:
        verify_artifact(data)
    finally:
        proofs_mod.batch_open_verify = orig
    return seen["points"][s]


def test_wrong_commitment_point():
    stacks, _ = make_kind1()
    com = commit(stacks[0].table, 4, 2, GENS)
    com[2] = GENS[9]  # a valid point, but not this row's commitment
    stacks[0].commitment = com
    reject(kind1_artifact(stacks), "hyrax.opening")


def test_commitment_to_other_table():
    rng = random.Random(6)
    stacks, _ = make_kind1()
    stacks[1].commitment = commit(rand_table(rng, 3), 3, 1, GENS)
    reject(kind1_artifact(stacks), "hyrax.opening")


def test_commitment_swapped_between_stacks_kind2():
    rng = random.Random(7)
    f, g = rand_table(rng, 4), rand_table(rng, 4)
    cf, cg = commit(f, 4, 2, GENS), commit(g, 4, 2, GENS)
    reject(kind2_artifact(f, g, 4, 2, commitments=(cg, cf)), "hyrax.opening")


def test_swapped_claim_points():
    stacks, data = make_kind1()
    _, parsed = parse_artifact(data)
    st = parsed.stacks[0]
    claims = list(st.claims)
    (z0, v0), (z1, v1) = claims[0], claims[1]
    claims[0], claims[1] = (z1, v0), (z0, v1)
    new_stacks = (dataclasses.replace(st, claims=tuple(claims)),) + parsed.stacks[1:]
    reject(encode_kind1(dataclasses.replace(parsed, stacks=new_stacks)))


def test_tampered_round_polynomial_in_bytes():
    _, data = make_kind1()
    _, parsed = parse_artifact(data)
    op = parsed.openings[1]
    rounds = [list(e) for e in op.sumcheck.rounds]
    rounds[1][2] = (rounds[1][2] + 1) % R
    sc = SumcheckProof(op.sumcheck.num_vars, 2, tuple(tuple(e) for e in rounds))
    ops = list(parsed.openings)
    ops[1] = dataclasses.replace(op, sumcheck=sc)
    reject(encode_kind1(dataclasses.replace(parsed, openings=ops)), "sumcheck.round-sum")
    _, _, data2 = make_kind2()
    _, p2 = parse_artifact(data2)
    rounds = [list(e) for e in p2.sumcheck.rounds]
    rounds[0][0], rounds[0][1] = (rounds[0][0] + 5) % R, (rounds[0][1] - 5) % R
    sc = SumcheckProof(4, 2, tuple(tuple(e) for e in rounds))
    reject(encode_kind2(dataclasses.replace(p2, sumcheck=sc)))


def test_zero_knowledge_free_cheat_false_value_with_consistent_proof():
    # The prover commits to f but "proves" a claim about f' (same shape): every local
    # check of its proof is honest for f', so only the commitment binding catches it.
    rng = random.Random(8)
    f, f2 = rand_table(rng, 4), rand_table(rng, 4)
    z = rand_point(rng, 4)
    st = RefStack(f2, 4, 2, [z], [mle_eval(f2, z)], commit(f, 4, 2, GENS))
    reject(kind1_artifact([st]), "hyrax.opening")


def test_other_seed():
    stacks, data = make_kind1()
    with pytest.raises(VerificationError) as exc_info:
        Verifier(seed=b"other").verify(data)
    assert exc_info.value.check == "proof.generator-seed"
    reject(data, "proof.generator-seed", seed=b"other")
    # an artifact made for another seed verifies only there
    rng = random.Random(9)
    stacks2 = [RefStack(rand_table(rng, 3), 3, 2, [rand_point(rng, 3)])]
    other = kind1_artifact(stacks2, seed=b"other")
    assert Verifier(seed=b"other").verify(other).seed_digest == seed_digest(b"other")
    reject(other, "proof.generator-seed")


def test_right_digest_but_other_generators():
    # commitments made with another seed's generators under the default digest
    rng = random.Random(10)
    table = rand_table(rng, 4)
    other = generators(seed_digest(b"other"), 4)
    st = RefStack(table, 4, 2, [rand_point(rng, 4)], commitment=commit(table, 4, 2, other))
    reject(kind1_artifact([st]), "hyrax.opening")


# -- malformed bytes ----------------------------------------------------------------------


def test_every_truncation_rejected():
    _, data = make_kind1(shapes=((3, 1),), claims=2)
    for k in range(len(data)):
        reject(data[:k], exc=ProofFormatError)


def test_trailing_bytes():
    _, data = make_kind1()
    reject(data + b"\x00", "proof.trailing-bytes", ProofFormatError)
    _, _, data2 = make_kind2()
    reject(data2 + b"\x01" * 32, "proof.trailing-bytes", ProofFormatError)


def test_header():
    _, data = make_kind1()
    reject(b"ZKMl" + data[4:], "proof.magic", ProofFormatError)
    for v in (0, 2, 0xFFFF):
        reject(data[:4] + v.to_bytes(2, "big") + data[6:], "proof.version", ProofFormatError)
    for k in (0, 200, 255):
        reject(data[:6] + bytes([k]) + data[7:], "proof.header-kind", ProofFormatError)
    # a hiding inference proof (kind 5) is known, but needs its verifying key
    reject(data[:6] + bytes([5]) + data[7:], "proof.header-kind", VerificationError)
    reject(b"", exc=ProofFormatError)


def test_non_canonical_fr():
    stacks, data = make_kind1()
    v = stacks[0].values[1]
    assert v + R < 2**256
    i = data.index(enc_fr(v))
    reject(
        data[:i] + (v + R).to_bytes(32, "big") + data[i + 32 :], "encoding.field-element",
        ProofFormatError,
    )


def test_bad_points():
    stacks, data = make_kind1()
    pt = stacks[0].commitment[1]
    i = data.index(enc_g1(pt))
    x, y = pt
    off = x.to_bytes(32, "big") + ((y + 1) % P).to_bytes(32, "big")
    reject(data[:i] + off + data[i + 64 :], "encoding.point", ProofFormatError)
    big = (x + P).to_bytes(32, "big") + y.to_bytes(32, "big")
    reject(data[:i] + big + data[i + 64 :], "encoding.point", ProofFormatError)
    # the negated point is valid: parsing passes, the (now unbound) proof fails
    negp = x.to_bytes(32, "big") + (P - y).to_bytes(32, "big")
    reject(data[:i] + negp + data[i + 64 :], "sumcheck.round-sum")


def _kind1_header(n, c, rows_count, extra=b""):
    return (
        b"ZKML\x00\x01\x01"
        + seed_digest(DEFAULT_SEED)
        + enc_u32(1)
        + enc_u32(n)
        + enc_u32(c)
        + enc_u32(rows_count)
        + extra
    )


def test_counts_inconsistent_with_statement():
    _, data = make_kind1(shapes=((4, 2),), claims=1)
    _, parsed = parse_artifact(data)
    st = parsed.stacks[0]
    cases = [
        dataclasses.replace(
            parsed, stacks=(dataclasses.replace(st, commitment=st.commitment[:3]),)
        ),
        dataclasses.replace(
            parsed, stacks=(dataclasses.replace(st, claims=((st.claims[0][0][:3], 1),)),)
        ),
        dataclasses.replace(parsed, stacks=(dataclasses.replace(st, claims=()),)),
        dataclasses.replace(
            parsed, openings=[dataclasses.replace(parsed.openings[0], w=(1, 2, 3))]
        ),
    ]
    for p in cases:
        reject(encode_kind1(p), exc=ProofFormatError)
    # the shape fields: log_cols > num_vars, num_vars > 30, S = 0, S = 65
    reject(_kind1_header(3, 4, 1), "proof.limits", ProofFormatError)
    reject(_kind1_header(31, 31, 1), "proof.limits", ProofFormatError)
    reject(
        b"ZKML\x00\x01\x01" + seed_digest(DEFAULT_SEED) + enc_u32(0),
        "proof.limits",
        ProofFormatError,
    )
    reject(
        b"ZKML\x00\x01\x01" + seed_digest(DEFAULT_SEED) + enc_u32(65),
        "proof.limits",
        ProofFormatError,
    )
    # sumcheck proof with the wrong round count or degree
    body = data[: len(data) - len(_openings_bytes(parsed))]
    sc = parsed.openings[0].sumcheck
    for n, d in [(3, 2), (4, 3), (4, 1)]:
        raw = enc_u32(n) + enc_u32(d) + b"".join(enc_fr(x) for e in sc.rounds for x in e)
        reject(body + raw, exc=ProofFormatError)


def _openings_bytes(parsed):
    from reference_prover import encode_openings

    return encode_openings(parsed.openings)


def test_huge_counts_do_not_allocate():
    import tracemalloc

    digest = seed_digest(DEFAULT_SEED)
    cases = [
        _kind1_header(30, 0, 1 << 30),  # 2^30 rows announced, none present
        _kind1_header(30, 30, 1, bytes(64) + enc_u32(1 << 16)),  # 2^16 claims, no bytes
        _kind1_header(30, 30, 1, bytes(64) + enc_u32((1 << 16) + 1)),
        _kind1_header(2, 1, 2, bytes(128) + enc_u32(0)),
        b"ZKML\x00\x01\x01" + digest + enc_u32(2**32 - 1),
        b"ZKML\x00\x01\x02" + digest + enc_u32(30) + enc_u32(0) + enc_u32(1 << 30),
        _kind1_header(1, 1, 1, bytes(64) + enc_u32(1) + enc_u32(2**32 - 1)),
    ]
    tracemalloc.start()
    try:
        for data in cases:
            reject(data, exc=ProofFormatError)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_random_byte_flips_only_raise_verification_errors():
    rng = random.Random(12)
    _, data = make_kind1(shapes=((3, 1), (2, 2)), claims=2)
    _, _, data2 = make_kind2(n=3, c=1)
    for blob in (data, data2):
        for _ in range(150):
            i = rng.randrange(len(blob))
            flipped = blob[:i] + bytes([blob[i] ^ (1 << rng.randrange(8))]) + blob[i + 1 :]
            reject(flipped)


def test_garbage_inputs():
    rng = random.Random(13)
    for _ in range(200):
        n = rng.randrange(0, 400)
        head = rng.choice([b"", b"ZKML\x00\x01\x01", b"ZKML\x00\x01\x02"])
        reject(head + bytes(rng.randrange(256) for _ in range(n)))
    for bad in ["text", None, 12, [1, 2]]:
        reject(bad)
    reject(b"ZKML", seed="not-bytes")


def test_internal_errors_fail_closed(monkeypatch):
    _, data = make_kind1()

    def boom(*a, **k):
        raise KeyError("boom")

    monkeypatch.setattr("zkml.verifier.verify_parsed", boom)
    with pytest.raises(VerificationError) as exc_info:
        verify_artifact(data)
    assert exc_info.value.check == "verifier.internal"
