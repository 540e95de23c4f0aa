"""LogUp-GKR (logup.md): completeness with a reference prover, and soundness cases."""

from __future__ import annotations

import dataclasses
import random

import pytest
from reference_logup import prove_logup, range_leaves

from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier.encoding import Reader, enc_fr, enc_u32
from zkml.verifier.field import R, inv, mle_eval
from zkml.verifier.logup import encode_logup_proof, logup_verify, parse_logup_proof
from zkml.verifier.transcript import Transcript

TAG = "test/logup"


def run(p, q, depth=None, edit=None):
    """Prove leaves (p, q), optionally edit the parsed proof, verify; returns (rho, P, Q)."""
    data, rho_p = prove_logup(Transcript(TAG), p, q)
    depth = depth if depth is not None else len(p).bit_length() - 1
    rd = Reader(data)
    proof = parse_logup_proof(rd, depth)
    rd.finish()
    if edit is not None:
        proof = edit(proof)
    rho, pv, qv = logup_verify(Transcript(TAG), depth, proof)
    assert rho == rho_p
    return rho, pv, qv


def zero_sum_leaves(rng, depth):
    """Random fractions whose sum is zero (the last numerator balances the rest)."""
    n = 1 << depth
    q = [rng.randrange(1, R) for _ in range(n)]
    p = [rng.randrange(R) for _ in range(n - 1)]
    s = sum(a * inv(b) for a, b in zip(p, q, strict=False)) % R
    p.append((-s * q[-1]) % R)
    return p, q


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_complete_generic_leaves(depth):
    p, q = zero_sum_leaves(random.Random(depth), depth)
    rho, pv, qv = run(p, q)
    assert len(rho) == depth
    assert pv == mle_eval(p, rho) and qv == mle_eval(q, rho)


@pytest.mark.parametrize("count", [0, 1, 100, 256])
def test_complete_range_lookups(count):
    rng = random.Random(count)
    values = [rng.randrange(256) for _ in range(count)]
    alpha = rng.randrange(R)
    p, q = range_leaves(values, alpha, 9)
    rho, pv, qv = run(p, q)
    assert pv == mle_eval(p, rho) and qv == mle_eval(q, rho)


@pytest.mark.parametrize("bad", [256, 300, -1, R - 5])
def test_value_outside_the_table_is_rejected(bad):
    values = [3, 7, 255, 0, bad]
    p, q = range_leaves(values, random.Random(1).randrange(R), 9)
    with pytest.raises(VerificationError) as exc_info:
        run(p, q)
    assert exc_info.value.check == "logup.group-sum"


def test_wrong_multiplicity_is_rejected():
    values = [3, 3, 9]
    mult = [0] * 256
    mult[3], mult[9] = 1, 1  # 3 occurs twice
    p, q = range_leaves(values, 12345, 9, multiplicities=mult)
    with pytest.raises(VerificationError) as exc_info:
        run(p, q)
    assert exc_info.value.check == "logup.group-sum"
    mult[3], mult[10] = 2, 1  # an extra table entry
    p, q = range_leaves(values, 12345, 9, multiplicities=mult)
    with pytest.raises(VerificationError) as exc_info:
        run(p, q)
    assert exc_info.value.check == "logup.group-sum"


@pytest.mark.parametrize("layer", [1, 2, 4])
@pytest.mark.parametrize("pos", [0, 1, 2, 3])
def test_tampered_layer_evals_are_rejected(layer, pos):
    p, q = zero_sum_leaves(random.Random(7), 5)

    def edit(proof):
        layers = list(proof.layers)
        e = list(layers[layer - 1].evals)
        e[pos] = (e[pos] + 1) % R
        layers[layer - 1] = dataclasses.replace(layers[layer - 1], evals=tuple(e))
        return dataclasses.replace(proof, layers=tuple(layers))

    with pytest.raises(VerificationError) as exc_info:
        run(p, q, edit=edit)
    assert exc_info.value.check == "logup.layer"


def _edit_round(layer: int, j: int, pos: int):
    """An edit adding 1 to value `pos` (0: g(0), 1: g(2)) of round `j` of layer `layer`."""
    def edit(proof):
        layers = list(proof.layers)
        sc = layers[layer - 1].sumcheck
        rounds = [list(r) for r in sc.rounds]
        rounds[j][pos] = (rounds[j][pos] + 1) % R
        sc = dataclasses.replace(sc, rounds=tuple(tuple(r) for r in rounds))
        layers[layer - 1] = dataclasses.replace(layers[layer - 1], sumcheck=sc)
        return dataclasses.replace(proof, layers=tuple(layers))
    return edit


def test_tampered_round_is_rejected():
    # the eq-factored rounds carry no round-sum check: a changed value moves the claim,
    # and the layer's final check catches it
    p, q = zero_sum_leaves(random.Random(8), 4)
    with pytest.raises(VerificationError) as exc_info:
        run(p, q, edit=_edit_round(3, 1, 1))
    assert exc_info.value.check == "logup.layer"


@pytest.mark.parametrize(("layer", "j"), [(1, 0), (3, 0), (3, 2), (4, 3)])
def test_wrong_g0_is_rejected(layer, j):
    p, q = zero_sum_leaves(random.Random(9), 5)
    with pytest.raises(VerificationError) as exc_info:
        run(p, q, edit=_edit_round(layer, j, 0))
    assert exc_info.value.check == "logup.layer"


@pytest.mark.parametrize(("layer", "j"), [(1, 0), (2, 1), (4, 0), (4, 3)])
def test_wrong_g2_is_rejected(layer, j):
    p, q = zero_sum_leaves(random.Random(10), 5)
    with pytest.raises(VerificationError) as exc_info:
        run(p, q, edit=_edit_round(layer, j, 1))
    assert exc_info.value.check == "logup.layer"


class _ZeroMu(Transcript):
    """A transcript whose second `logup-mu` is 0: layer 2's eq point then has a zero
    coordinate (the degenerate challenge, probability 1/r per coordinate)."""

    def __init__(self, tag: str) -> None:
        super().__init__(tag)
        self.mus = 0

    def squeeze(self, label: str) -> int:
        v = super().squeeze(label)
        if label == "logup-mu":
            self.mus += 1
            return 0 if self.mus == 2 else v
        return v


def test_degenerate_eq_point_is_rejected():
    p, q = zero_sum_leaves(random.Random(11), 4)
    data, _ = prove_logup(_ZeroMu(TAG), p, q)
    proof = parse_logup_proof(Reader(data), 4)
    with pytest.raises(VerificationError) as exc_info:
        logup_verify(_ZeroMu(TAG), 4, proof)
    assert exc_info.value.check == "sumcheck.eq-degenerate"
    assert "layer 2" in str(exc_info.value)


def _old_layout(proof) -> bytes:
    """The proof in the layout before the eq factor was split off: per layer
    `SumcheckProof(k, 3)`, four values per round (here g(0), g(1), g(2), g(2))."""
    out = [enc_u32(proof.num_vars)] + [enc_fr(v) for v in proof.root]
    for layer in proof.layers:
        out += [enc_u32(layer.sumcheck.num_vars), enc_u32(3)]
        out += [enc_fr(v) for rd in layer.sumcheck.rounds for v in (rd[0], 0, rd[1], rd[1])]
        out += [enc_fr(v) for v in layer.evals]
    return b"".join(out)


def test_old_three_value_rounds_are_rejected():
    p, q = zero_sum_leaves(random.Random(12), 4)
    data, _ = prove_logup(Transcript(TAG), p, q)
    old = _old_layout(parse_logup_proof(Reader(data), 4))
    assert len(old) > len(data)
    with pytest.raises(ProofFormatError) as exc_info:
        parse_logup_proof(Reader(old), 4)
    assert exc_info.value.check == "sumcheck.shape"
    # with the degree word rewritten to 2, the longer rounds misalign every later field
    # and the bytes do not end where the tree does
    rewritten = old.replace(enc_u32(1) + enc_u32(3), enc_u32(1) + enc_u32(2), 1)
    with pytest.raises(ProofFormatError):
        rd = Reader(rewritten)
        parse_logup_proof(rd, 4)
        rd.finish()


def test_lying_root_is_caught_below():
    # A prover that claims a zero-sum root for leaves that do not sum to zero must
    # fail at a later layer (the root no longer matches the tree).
    p, q = range_leaves([1, 2, 999], 777, 9)
    data, _ = prove_logup(Transcript(TAG), p, q)
    proof = parse_logup_proof(Reader(data), 9)
    r = list(proof.root)
    r[0] = (-r[1] * r[2] * inv(r[3])) % R  # forces p0 q1 + p1 q0 = 0
    forged = dataclasses.replace(proof, root=tuple(r))
    with pytest.raises(VerificationError) as exc_info:
        logup_verify(Transcript(TAG), 9, forged)
    assert exc_info.value.check == "logup.layer"


def test_zero_denominator_root_is_rejected():
    p, q = [0, 0], [0, 5]
    data, _ = prove_logup(Transcript(TAG), p, q)
    with pytest.raises(VerificationError) as exc_info:
        logup_verify(Transcript(TAG), 1, parse_logup_proof(Reader(data), 1))
    assert exc_info.value.check == "logup.root-denominator"


def test_transcript_binds_the_tag():
    p, q = zero_sum_leaves(random.Random(3), 3)
    data, _ = prove_logup(Transcript(TAG), p, q)
    with pytest.raises(VerificationError):
        logup_verify(Transcript("other"), 3, parse_logup_proof(Reader(data), 3))


def test_parse_is_strict():
    p, q = zero_sum_leaves(random.Random(4), 3)
    data, _ = prove_logup(Transcript(TAG), p, q)
    proof = parse_logup_proof(Reader(data), 3)
    assert encode_logup_proof(proof) == data
    with pytest.raises(ProofFormatError) as exc_info:
        parse_logup_proof(Reader(data), 4)
    assert exc_info.value.check == "logup.shape"
    with pytest.raises(ProofFormatError) as exc_info:
        parse_logup_proof(Reader(data[:-1]), 3)
    assert exc_info.value.check == "proof.truncated"
    with pytest.raises(ProofFormatError) as exc_info:
        parse_logup_proof(Reader(bytes(4)), 0)
    assert exc_info.value.check == "proof.limits"
    with pytest.raises(ProofFormatError) as exc_info:
        parse_logup_proof(Reader((30).to_bytes(4, "big") + data[4:]), 30)
    assert exc_info.value.check == "proof.truncated"
    bad = data[:4] + R.to_bytes(32, "big") + data[36:]
    with pytest.raises(ProofFormatError) as exc_info:
        parse_logup_proof(Reader(bad), 3)
    assert exc_info.value.check == "encoding.field-element"
    with pytest.raises(VerificationError) as exc_info:
        logup_verify(Transcript(TAG), 4, proof)
    assert exc_info.value.check == "logup.shape"
