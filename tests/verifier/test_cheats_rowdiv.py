"""Rowdiv with a divisor y_b <= 0 (nonlinear.md section 7; circuits/soundness.md 4.10):
no honest quotient exists, and the verifier relies on no compiler promise that y_b >= 1.
The check is `R + Rc == 2 y - 1` at the gadget's point with both `R` and `Rc` range-checked,
so `R + Rc = 2 y_b - 1 >= 0` over the integers (rule 3: every term is far below r / 2).

Two reference circuits whose divisor is honestly 0 on some inputs (a row sum, as in
Softmax, but of values that can all be 0), every other gadget honest:

- `relu`: input (4, 4 bits) -> g0 dense 5 ReLU [0, 15] -> g1 spatialsum [0, 75] (y)
  -> g2 rowdiv(g0, g1, l = 7) [0, 128]. An input killing every ReLU gives y_b = 0, so
  x = 0 and the zerocheck `2^(l+1) x + y - 2 y q - R = 0` leaves the quotient free.
- `signed`: g0 dense 5 in [-16, 15] (no ReLU) -> g1 spatialsum [-80, 75] -> g2
  rowdiv(g0, g1, l = 4) [-128, 127]: a row with y_b = 0 and x != 0, and a row with
  y_b < 0.

The cheating prover claims `q` = its choice on the rows with y_b <= 0 (the honest quotient
elsewhere). With R and Rc from the relations (the zerocheck and `R + Rc = 2 y - 1` hold
pointwise), one of them is negative: the range group rejects. With R and Rc moved into
their range, `R + Rc != 2 y - 1` rejects (after the range group has passed); a verifier
without that comparison accepts the relu cheat's false output.
"""

from __future__ import annotations

import functools
import random
from unittest import mock

import pytest
import reference_inference
from cheats import RANGE_CHECK, rejected
from keyed_model import KeyedModel
from reference_model_key import model_stack
from reference_models import gadget
from reference_rows import broadcast
from softmax_models import _fit_excess

from zkml.errors import VerificationError
from zkml.verifier import verify_inference
from zkml.verifier.gadgets import rows as gadget_rows
from zkml.verifier.rows import row_vars

R_PLUS_RC = "gadget.rowdiv.remainder"
N = 5


def _honest_or_claim(claim: int):
    """rowdiv_acc of the reference prover, but `claim` where y_b <= 0 (no honest q)."""
    def acc(p, x, y):
        sh = p["lshift"] + 1
        return [[((v << sh) + yv) // (2 * yv) if yv >= 1 else claim
                 for v, yv in zip(xr, broadcast(yr, len(xr)), strict=True)]
                for xr, yr in zip(x, y, strict=True)]
    return acc


def _claiming(claim: int):
    return mock.patch.object(reference_inference, "rowdiv_acc", _honest_or_claim(claim))


def _dense(w, b, row, lo, hi):
    """Gadget g0 on one input row: clamp(round((W x + 4 b) / 4), lo, hi)."""
    return [min(max((sum(a * c for a, c in zip(wr, row, strict=True)) + 4 * bb + 2) >> 2,
                    lo), hi) for wr, bb in zip(w, b, strict=True)]


def rowdiv_model(signed: bool, seed: int = 3):
    """(doc, tensors, table, inputs, cheat rows): `inputs(batch)` are rows with y_b >= 1
    (so is a padded batch row, input 0); the cheat rows have y_b = 0 (signed: with
    x != 0) and, signed, y_b < 0."""
    rng = random.Random(seed)
    lo0, hi0 = (-16, 15) if signed else (0, 15)
    w = [[rng.randint(-3, 3) if signed else rng.randint(1, 3) for _ in range(4)]
         for _ in range(N)]
    b = [rng.randint(-4, 4) if signed else rng.randint(1, 4) for _ in range(N)]
    tensors = {"W0": w, "b0": [b]}
    ms, table = model_stack(tensors)
    lo_y, hi_y = N * lo0, N * hi0
    lshift, (lo, hi) = (4, (-128, 127)) if signed else (7, (0, 128))
    gads = [
        gadget({"op": "dense", "x": "input", "weight": "W0", "bias": "b0", "bias_shift": 2},
               N, 2, lo0, hi0, 20, 20),
        gadget({"op": "spatialsum", "x": 0, "in_shape": [1, N], "lshift": 0}, 1, 0, lo_y,
               hi_y, 0, 0),
        gadget({"op": "rowdiv", "x": 0, "y": 1, "lshift": lshift,
                "rem_bits": (2 * hi_y - 1).bit_length()}, N, 0, lo, hi, 20, 20, frac=lshift),
    ]
    doc = {"format": "zkml-circuit", "version": 1, "limb_bits": 8,
           "input": {"features": 4, "bits": 4, "frac_bits": 2, "shape": None},
           "output": {"gadget": 2, "features": N, "argmax": False}, "gadgets": gads,
           "model_stack": ms}
    by_y: dict[int, list[list[int]]] = {}
    r = random.Random(seed + 100)
    for _ in range(4000):
        row = [r.randrange(-8, 8) for _ in range(4)]
        xs = _dense(w, b, row, lo0, hi0)
        by_y.setdefault(sum(xs), []).append(row)
    honest = sorted(y for y in by_y if y >= 1)
    assert sum(_dense(w, b, [0] * 4, lo0, hi0)) >= 1  # the padded batch rows divide too
    if signed:
        zero = next(row for row in by_y[0] if any(_dense(w, b, row, lo0, hi0)))
        cheat = [zero, by_y[min(by_y)][0]]
    else:
        cheat = [by_y[0][0]]

    def inputs(batch: int) -> list[list[int]]:
        return [by_y[honest[(7 * i + 3) % len(honest)]][0] for i in range(batch)]

    with _claiming(hi):  # excess widths that fit the honest rows and the cheat's claim
        _fit_excess(doc, tensors, inputs(3) + cheat, {"spatialsum"})
    return doc, tensors, table, inputs, cheat


def _no_tamper(gi: int, vals: dict) -> None:
    """A hook that changes nothing (the reference prover then skips its width checks)."""


class Model(KeyedModel):
    def __init__(self, signed: bool) -> None:
        doc, tensors, table, inputs, self.cheat = rowdiv_model(signed)
        super().__init__(doc, tensors, table, inputs)

    def prove_cheat(self, claim: int, tamper=None) -> bytes:
        """Rows: honest, every cheat row, honest (batch 2 + len(cheat))."""
        rows = self.inputs(2)
        rows[1:1] = self.cheat
        with _claiming(claim):
            return reference_inference.prove_inference(self.doc, self.tensors, self.table,
                                                       rows, self.vk_bytes,
                                                       tamper=tamper or _no_tamper)

    def cheat_values(self, claim: int) -> dict:
        rows = self.inputs(2)
        rows[1:1] = self.cheat
        seen: dict = {}

        def record(gi, vals):
            if gi == 2:
                seen.update(vals)
        with _claiming(claim):
            wit = reference_inference.Witness(self.doc, self.tensors, rows, tamper=record)
        seen["y"] = [row[0] for row in wit.z[1]]
        seen["x"] = [v for row in wit.z[0] for v in row]
        return seen


@functools.cache
def model(signed: bool) -> Model:
    return Model(signed)


KINDS = [False, True]
IDS = ["relu", "signed"]


def _claim(m: Model) -> int:
    return m.doc["gadgets"][2]["hi"]  # every quotient of a cheat row claimed at hi


@pytest.mark.parametrize("signed", KINDS, ids=IDS)
@pytest.mark.parametrize("batch", [1, 3])
def test_honest_rows_verify(signed, batch):
    model(signed).check_honest(batch)


@pytest.mark.parametrize("signed", KINDS, ids=IDS)
def test_the_cheat_rows_have_no_honest_divisor(signed):
    """y_b = 0 (signed: with x != 0 in that row) and y_b < 0; the relations other than
    the ranges of R and Rc hold on the cheat's witness, and the claim is the prover's."""
    m = model(signed)
    v = m.cheat_values(_claim(m))
    g = m.doc["gadgets"][2]
    width = 1 << 3  # padded features of x
    ys = v["y"][1 : 1 + len(m.cheat)]
    assert ys[0] == 0 and (not signed or ys[1] < 0)
    if signed:
        assert any(v["x"][width : width + N])
    sh = g["producer"]["lshift"] + 1
    for i, (xv, q, rr, rc) in enumerate(zip(v["x"], v["q"], v["R"], v["Rc"], strict=True)):
        yb = v["y"][i // width]
        assert (xv << sh) + yb - 2 * yb * q - rr == 0  # the zerocheck's relation
        assert rr + rc == 2 * yb - 1  # the relation checked at r_g
        if yb <= 0:
            assert q == v["z"][i] == g["hi"] and min(rr, rc) < 0


@pytest.mark.parametrize("signed", KINDS, ids=IDS)
def test_zero_divisor_is_rejected_by_the_range_of_r_and_rc(signed):
    m = model(signed)
    with pytest.raises(VerificationError) as exc_info:
        verify_inference(m.prove_cheat(_claim(m)), m.vk)
    assert exc_info.value.check == RANGE_CHECK


def _into_range(m: Model):
    """R and Rc of the rows with y_b <= 0 moved into [0, 2^rem_bits) (mod 2^rem_bits)."""
    w = m.doc["gadgets"][2]["producer"]["rem_bits"]

    def tamper(gi, vals):
        if gi == 2:
            vals["R"] = [v % (1 << w) for v in vals["R"]]
            vals["Rc"] = [v % (1 << w) for v in vals["Rc"]]
    return tamper


@pytest.mark.parametrize("signed", KINDS, ids=IDS)
def test_zero_divisor_with_r_and_rc_in_range_is_rejected_by_r_plus_rc(signed):
    """Past the range group (R, Rc in their width), R + Rc = 2 y_b - 1 (mod 2^w) fails."""
    m = model(signed)
    with rejected(R_PLUS_RC):
        verify_inference(m.prove_cheat(_claim(m), tamper=_into_range(m)), m.vk)


@pytest.mark.parametrize("claim", [0, 64])
def test_any_claimed_quotient_is_rejected(claim):
    """The quotient is free where y_b = 0; every claim meets the same check."""
    m = model(False)
    with pytest.raises(VerificationError) as exc_info:
        verify_inference(m.prove_cheat(claim), m.vk)
    assert exc_info.value.check == RANGE_CHECK
    with rejected(R_PLUS_RC):
        verify_inference(m.prove_cheat(claim, tamper=_into_range(m)), m.vk)


def _reads_y_only(run, g, r_g, vals, cv):
    """check_rowdiv without its comparison (y's limbs still read from the proof)."""
    run.value(g.producer.y, vals, r_g[row_vars(run, g) :])


def test_without_the_r_plus_rc_check_the_cheat_is_accepted():
    """The relu cheat with R = 0 (its zerocheck holds) and Rc = 2^w - 1 in range: a
    verifier without the comparison R + Rc == 2 y - 1 accepts the false output (hi at
    every entry of a row with y_b = 0); the verifier rejects it there."""
    m = model(False)
    hi = _claim(m)
    proof = m.prove_cheat(hi, tamper=_into_range(m))
    with mock.patch.object(gadget_rows, "check_rowdiv", _reads_y_only):
        st = verify_inference(proof, m.vk)
    assert st.output[1] == (hi,) * N
    with rejected(R_PLUS_RC):
        verify_inference(proof, m.vk)
