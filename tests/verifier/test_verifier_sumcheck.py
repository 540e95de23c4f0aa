"""Sumcheck verifier: honest proofs pass, tampered ones fail, batched and zerocheck forms."""

from __future__ import annotations

import random

import pytest
from reference_prover import _round_values, prove_sumcheck, rand_table

from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier.encoding import Reader
from zkml.verifier.field import R, eq_table, mle_eval
from zkml.verifier.sumcheck import (
    SumcheckProof,
    batched_sumcheck_verify,
    encode_sumcheck_proof,
    parse_sumcheck_proof,
    sumcheck_verify,
)
from zkml.verifier.transcript import Transcript


def g_sum(tables, terms):
    n = len(tables[0])
    total = 0
    for i in range(n):
        for coeff, factors in terms:
            prod = coeff
            for m in factors:
                prod = prod * tables[m][i] % R
            total += prod
    return total % R


def g_at(tables, terms, point):
    vals = [mle_eval(t, point) for t in tables]
    acc = 0
    for coeff, factors in terms:
        prod = coeff
        for m in factors:
            prod = prod * vals[m] % R
        acc += prod
    return acc % R


CASES = [
    ("product", 4, 2, [(1, [0, 1])]),
    ("cubic", 3, 3, [(5, [0, 1, 2]), (R - 1, [1])]),
    ("quartic", 3, 4, [(1, [0, 1, 2, 3]), (7, [0, 0])]),
    ("linear", 5, 1, [(3, [0])]),
    ("zero-vars", 0, 2, [(1, [0, 1])]),
]


@pytest.mark.parametrize("name,n,d,terms", CASES)
def test_honest_sumcheck(name, n, d, terms):
    rng = random.Random(name)
    tables = [rand_table(rng, n) for _ in range(4)]
    claim = g_sum(tables, terms)
    proof, point = prove_sumcheck(Transcript(name), tables, terms, n, d, claim)
    got_point, final = sumcheck_verify(Transcript(name), claim, n, d, proof)
    assert got_point == point
    assert final == g_at(tables, terms, point)
    # bytes round trip with the fixed shape
    raw = encode_sumcheck_proof(proof)
    rd = Reader(raw)
    assert parse_sumcheck_proof(rd, n, d) == proof
    rd.finish()


def _honest(n=4, seed="t"):
    rng = random.Random(seed)
    tables = [rand_table(rng, n), rand_table(rng, n)]
    claim = g_sum(tables, [(1, [0, 1])])
    proof, _ = prove_sumcheck(Transcript("t"), tables, [(1, [0, 1])], n, 2, claim)
    return tables, claim, proof


def test_wrong_claim_rejected():
    _, claim, proof = _honest()
    with pytest.raises(VerificationError) as exc_info:
        sumcheck_verify(Transcript("t"), claim + 1, 4, 2, proof)
    assert exc_info.value.check == "sumcheck.round-sum"


def test_tampered_round_keeps_sum_but_fails_later():
    tables, claim, proof = _honest()
    rounds = [list(e) for e in proof.rounds]
    rounds[1][0] = (rounds[1][0] + 1) % R
    rounds[1][1] = (rounds[1][1] - 1) % R  # p(0) + p(1) still matches
    bad = SumcheckProof(4, 2, tuple(tuple(e) for e in rounds))
    try:
        point, final = sumcheck_verify(Transcript("t"), claim, 4, 2, bad)
    except VerificationError as exc:
        assert "round 2" in str(exc)
    else:
        assert final != g_at(tables, [(1, [0, 1])], point)


def test_tampered_last_round_changes_final():
    tables, claim, proof = _honest()
    rounds = [list(e) for e in proof.rounds]
    rounds[3][2] = (rounds[3][2] + 1) % R
    bad = SumcheckProof(4, 2, tuple(tuple(e) for e in rounds))
    point, final = sumcheck_verify(Transcript("t"), claim, 4, 2, bad)
    assert final != g_at(tables, [(1, [0, 1])], point)


def test_shape_mismatch():
    _, claim, proof = _honest()
    with pytest.raises(VerificationError) as exc_info:
        sumcheck_verify(Transcript("t"), claim, 5, 2, proof)
    assert exc_info.value.check == "sumcheck.shape"
    raw = encode_sumcheck_proof(proof)
    with pytest.raises(ProofFormatError) as exc_info:
        parse_sumcheck_proof(Reader(raw), 3, 2)
    assert exc_info.value.check == "sumcheck.shape"
    with pytest.raises(ProofFormatError) as exc_info:
        parse_sumcheck_proof(Reader(raw), 4, 3)
    assert exc_info.value.check == "sumcheck.shape"
    with pytest.raises(ProofFormatError) as exc_info:
        parse_sumcheck_proof(Reader(raw[:-1]), 4, 2)
    assert exc_info.value.check == "proof.truncated"
    # degree 0 and 5 are outside the limits even if a caller asked for them
    for d in (0, 5):
        bad = SumcheckProof(1, d, ((0,) * (d + 1),))
        with pytest.raises(ProofFormatError):
            parse_sumcheck_proof(Reader(encode_sumcheck_proof(bad)), 1, d)


def test_zerocheck():
    # C(x) = a(x) * b(x) - c(x) vanishes on the cube; sum_x eq(tau, x) C(x) = 0
    rng = random.Random(3)
    n = 4
    a, b = rand_table(rng, n), rand_table(rng, n)
    c = [x * y % R for x, y in zip(a, b, strict=True)]
    terms = [(1, [0, 1, 2]), (R - 1, [0, 3])]

    def run(c_tab, prove_claim):
        tp = Transcript("zc")
        tau = [tp.squeeze("zerocheck-tau") for _ in range(n)]
        tables = [eq_table(tau), a, b, c_tab]
        proof, _ = prove_sumcheck(tp, tables, terms, n, 3, prove_claim)
        tv = Transcript("zc")
        tau_v = [tv.squeeze("zerocheck-tau") for _ in range(n)]
        point, final = sumcheck_verify(tv, 0, n, 3, proof)
        vals = [mle_eval(t, point) for t in (a, b, c_tab)]
        tab0 = mle_eval(eq_table(tau_v), point)
        return final == tab0 * (vals[0] * vals[1] - vals[2]) % R

    assert run(c, 0)
    bad = list(c)
    bad[5] = (bad[5] + 1) % R
    with pytest.raises(VerificationError):
        run(bad, 0)


def _batched_prove(t, instances, n, d):
    """Front-padded batched prover: instances are (tables, terms, n_i, claim_i)."""
    for *_, claim in instances:
        t.absorb_fr("batch-claim", claim)
    beta = t.squeeze("sumcheck-batch")
    scaled = [claim * 2 ** (n - ni) % R for _, _, ni, claim in instances]
    total = sum(pow(beta, i, R) * s for i, s in enumerate(scaled)) % R
    tabs = [[list(tb) for tb in tables] for tables, *_ in instances]
    t.absorb_u32("sumcheck-vars", n)
    t.absorb_u32("sumcheck-degree", d)
    t.absorb_fr("sumcheck-claim", total)
    rounds = []
    inv2 = pow(2, -1, R)
    for j in range(n):
        vals = [0] * (d + 1)
        per = []
        for i, (_, terms, ni, _) in enumerate(instances):
            if j < n - ni:
                e = [scaled[i] * inv2 % R] * (d + 1)
            else:
                e = _round_values(tabs[i], terms, d)
            per.append(e)
            for k in range(d + 1):
                vals[k] = (vals[k] + pow(beta, i, R) * e[k]) % R
        t.absorb_frs("sumcheck-round", vals)
        ch = t.squeeze("sumcheck-challenge")
        rounds.append(tuple(vals))
        for i, (_, _, ni, _) in enumerate(instances):
            if j < n - ni:
                scaled[i] = scaled[i] * inv2 % R
            else:
                tabs[i] = [
                    [(lo + ch * (hi - lo)) % R for lo, hi in zip(tb[0::2], tb[1::2], strict=True)]
                    for tb in tabs[i]
                ]
    return SumcheckProof(n, d, tuple(rounds))


def test_batched_sumcheck():
    rng = random.Random(4)
    specs = [(4, [(1, [0, 1])], 2), (2, [(1, [0, 1, 2])], 3), (3, [(2, [0])], 1)]
    instances = []
    for ni, terms, _ in specs:
        tables = [rand_table(rng, ni) for _ in range(3)]
        instances.append((tables, terms, ni, g_sum(tables, terms)))
    n, d = 4, 3
    proof = _batched_prove(Transcript("b"), instances, n, d)
    res = batched_sumcheck_verify(
        Transcript("b"),
        [x[3] for x in instances],
        [s[0] for s in specs],
        [s[2] for s in specs],
        proof,
    )
    values = [
        g_at(tb, terms, pt) for (tb, terms, _, _), pt in zip(instances, res.points, strict=True)
    ]
    assert [len(p) for p in res.points] == [4, 2, 3]
    assert res.points[1] == res.point[2:]
    assert res.final == res.combine(values)
    # a wrong claim for one instance breaks the combined claim
    with pytest.raises(VerificationError):
        batched_sumcheck_verify(
            Transcript("b"),
            [instances[0][3], instances[1][3] + 1, instances[2][3]],
            [4, 2, 3],
            [2, 3, 1],
            proof,
        )
    with pytest.raises(VerificationError):
        batched_sumcheck_verify(Transcript("b"), [], [], [], proof)
