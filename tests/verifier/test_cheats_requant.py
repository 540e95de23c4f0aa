"""Requantization and clamps (inference.md section 2, nonlinear.md 1), every committed
column, with the reference prover running the honest protocol on a wrong witness; the
linear producers (add, affine, identity) and the batch and statement around them.

A model with every column kind (`clamp_model`): g0 dense shift 2 clipped to [-100, 100]
(`u`, `v`, a 2-bit `rem`, `ep`, `em`), g1 dense with divisor 5 clipped to [-60, 60]
(`rem`, `remc`), g2 add, g3 affine, g4 identity (a clip to [-20, 20]), g5 dense (the
output). Each cheat breaks exactly one relation, and the check named for it rejects:

| column | cheat | check |
|---|---|---|
| `u` | z = q below lo with em = 0 (u < 0) | range (R4) |
| `v` | z = q above hi with ep = 0, u still in its width (v < 0) | range (R4) |
| `v` | the same with an in-range v limb | z + v = hi (R2) |
| `rem` | rem < 0 (q one higher), shift and divisor | range (R4) |
| `rem`, `remc` | rem >= d in its width, remc honest (< 0) or 0 | range; rem + remc = d - 1 |
| `ep` | z = hi where q < hi (ep = q - hi < 0) | range (R4) |
| `ep` | z = q - 1 < hi with ep = 1 (a loose clamp) | zerocheck (R3) |
| `em` | z = lo where q > lo (em < 0) | range (R4) |
| `em` | z = q + 1 > lo with em = 1 | zerocheck (R3, the beta term) |
| acc | one output moved (dense, divisor, add, affine, identity) | the producer's check |

The rem >= d cheats also run on a 3x3 average (winsum, divisor 9).
"""

from __future__ import annotations

import functools
import random

import pytest
from cheats import (
    RANGE,
    ROUND0,
    at,
    first,
    output_moved,
    rejected,
    rem_moved,
    set_q,
    unclamped,
)
from keyed_model import KeyedModel
from reference_cnn import build
from reference_inference import Witness
from reference_model_key import model_stack
from reference_models import gadget
from softmax_models import _fit_excess

from zkml.verifier import verify_inference


def clamp_model(seed: int = 7):
    """input (4, 8 bits) -> g0 dense(bias) shift 2 [-100, 100] -> g1 dense divisor 5
    [-60, 60] -> g2 add(g0, -2 g1) shift 1 -> g3 affine(3 g0 - g2) shift 2 [-100, 100]
    -> g4 identity [-20, 20] -> g5 dense 2 shift 3 (output)."""
    rng = random.Random(seed)
    tensors = {"W0": [[rng.randint(-4, 4) for _ in range(4)] for _ in range(4)],
               "b0": [[rng.randint(-30, 30) for _ in range(4)]],
               "W1": [[rng.randint(-3, 3) for _ in range(4)] for _ in range(4)],
               "W5": [[rng.randint(-3, 3) for _ in range(4)] for _ in range(2)]}
    ms, table = model_stack(tensors)
    gads = [
        gadget({"op": "dense", "x": "input", "weight": "W0", "bias": "b0", "bias_shift": 2},
               4, 2, -100, 100, 20, 20),
        gadget({"op": "dense", "x": 0, "weight": "W1", "bias": None, "bias_shift": 0},
               4, 0, -60, 60, 20, 20, divisor=5),
        gadget({"op": "add", "x": 0, "y": 1, "signs": [1, -1], "lshifts": [0, 1]},
               4, 1, -128, 127, 20, 20),
        gadget({"op": "affine", "terms": [[0, 3], [2, -1]]}, 4, 2, -100, 100, 20, 20),
        gadget({"op": "identity", "x": 3}, 4, 0, -20, 20, 20, 20),
        gadget({"op": "dense", "x": 4, "weight": "W5", "bias": None, "bias_shift": 0},
               2, 3, -128, 127, 20, 20),
    ]
    doc = {"format": "zkml-circuit", "version": 1, "limb_bits": 8,
           "input": {"features": 4, "bits": 8, "frac_bits": 4, "shape": None},
           "output": {"gadget": 5, "features": 2, "argmax": False}, "gadgets": gads,
           "model_stack": ms}

    def inputs(batch: int, s: int = 0) -> list[list[int]]:
        r = random.Random(8000 + s)
        return [[r.randrange(-128, 128) for _ in range(4)] for _ in range(batch)]

    _fit_excess(doc, tensors, inputs(3) + inputs(3, 1), set())
    return doc, tensors, table, inputs


@functools.cache
def model() -> KeyedModel:
    return KeyedModel(*clamp_model())


@functools.cache
def average() -> KeyedModel:
    """A 3x3 average (winsum, divisor 9) of the shaped input, then a dense head."""
    return KeyedModel(*build([("winsum", "input", [3, 3], [1, 1], [1, 1], [0, 0], 9),
                              ("dense", None, 2)], [2, 5, 5]))


def g(gi: int, m: KeyedModel | None = None) -> dict:
    return (m or model()).doc["gadgets"][gi]


def rejects(match: str, batch: int = 1, m: KeyedModel | None = None, **kw) -> None:
    m = m or model()
    with rejected(match):
        verify_inference(m.prove(batch, **kw), m.vk)


@pytest.mark.parametrize("batch", [1, 3])
def test_honest_proofs_verify(batch):
    model().check_honest(batch)
    average().check_honest(batch)


def test_every_column_kind_is_present():
    c = model().vk.circuit
    kinds = [sorted({k.kind for k in gd.columns}) for gd in c.gadgets]
    assert kinds[0] == ["em", "ep", "rem", "u", "v"]
    assert kinds[1] == ["em", "ep", "rem", "remc", "u", "v"]
    assert (g(0)["shift"], g(1)["divisor"], g(4)["excess_lo_bits"]) == (2, 5, 6)
    assert average().doc["gadgets"][0]["divisor"] == 9


# --- u and v ------------------------------------------------------------------------


def _unclamp(gi: int, pick):
    """z = q at an entry whose q is outside [lo, hi] (ep = em = 0; R1 and R3 hold)."""
    def fn(vals):
        i = first(vals, pick)
        vals["z"][i], vals["ep"][i], vals["em"][i] = vals["q"][i], 0, 0
    return at(gi, fn)


def test_u_below_its_range_is_rejected():
    rejects(RANGE, tamper=_unclamp(0, lambda i, v: v["q"][i] < -100))


def _above_hi_u_fits(gi: int):
    lo, hi = g(gi)["lo"], g(gi)["hi"]
    width = (hi - lo).bit_length()
    return _unclamp(gi, lambda i, v: hi < v["q"][i] < lo + (1 << width))


def test_v_below_zero_is_rejected():
    """z above hi, u = z - lo still inside its 6 bits: only v = hi - z (< 0) is out."""
    rejects(RANGE, batch=3, tamper=_above_hi_u_fits(4))


def test_v_not_hi_minus_z_is_rejected():
    """The same z above hi with the v limb an in-range 0: z + v != hi."""
    def edit(stage, data):
        if stage == ("columns", 4):
            data = dict(data)
            data["v"] = [[0] * len(data["v"][0])]
        return data
    rejects("gadget.identity.z-plus-v", batch=3, tamper=_above_hi_u_fits(4), edit=edit)


# --- rem and remc ---------------------------------------------------------------------


@pytest.mark.parametrize("gi", [0, 1])
def test_negative_rem_is_rejected(gi):
    """rem - 2^k (or - d), q one higher: the accumulator holds, rem < 0."""
    rejects(RANGE, tamper=rem_moved(gi, g(gi), -1))


def _fits(gi: int, m: KeyedModel | None = None):
    """pick: rem + d still fits bits(d - 1) (so only remc's range or rem + remc sees it)."""
    gd = g(gi, m)
    d, (lo, hi) = gd["divisor"], (gd["lo"], gd["hi"])
    width = (d - 1).bit_length()
    return lambda i, v: v["rem"][i] + d < 1 << width and lo < v["q"][i] <= hi


@pytest.mark.parametrize("which", ["dense", "winsum"])
@pytest.mark.parametrize(("fix_remc", "match"), [(False, RANGE), (True, "gadget.{}.rem-plus-remc")])
def test_rem_at_least_d_within_its_width_is_rejected(which, fix_remc, match):
    m = model() if which == "dense" else average()
    gi = 1 if which == "dense" else 0
    rejects(match.format(which), m=m,
            tamper=rem_moved(gi, g(gi, m), 1, fix_remc, pick=_fits(gi, m)))


# --- ep and em ------------------------------------------------------------------------


def _pin(gi: int, to: str):
    """z pinned to hi (or lo) at an unclamped entry, ep (or em) the negative rest."""
    lo, hi = g(gi)["lo"], g(gi)["hi"]

    def fn(vals):
        i = first(vals, unclamped(lo, hi))
        q = vals["q"][i]
        if to == "hi":
            vals["z"][i], vals["ep"][i], vals["em"][i] = hi, q - hi, 0
        else:
            vals["z"][i], vals["ep"][i], vals["em"][i] = lo, 0, lo - q
    return at(gi, fn)


@pytest.mark.parametrize("to", ["hi", "lo"])
def test_clamp_to_a_bound_q_does_not_reach_is_rejected(to):
    """R1 and R3 hold ((z - hi) ep = 0 since z = hi); ep (em) < 0 fails the range."""
    rejects(RANGE, tamper=_pin(0, to))


def _loose(gi: int, side: str):
    """z one inside q's value with ep (em) = 1 making up the difference: R1 holds, the
    clamp is not tight (z != hi while ep > 0)."""
    lo, hi = g(gi)["lo"], g(gi)["hi"]

    def fn(vals):
        i = first(vals, unclamped(lo, hi, 2))
        if side == "hi":
            vals["z"][i], vals["ep"][i] = vals["q"][i] - 1, 1
        else:
            vals["z"][i], vals["em"][i] = vals["q"][i] + 1, 1
    return at(gi, fn)


@pytest.mark.parametrize("side", ["hi", "lo"])
@pytest.mark.parametrize("gi", [0, 4])
def test_loose_clamp_is_rejected(gi, side):
    rejects(ROUND0, tamper=_loose(gi, side))


# --- the producers' accumulators ------------------------------------------------------


@pytest.mark.parametrize(("gi", "match"), [
    (0, ROUND0),                                        # dense: its sumcheck instance
    (1, ROUND0),                                        # dense, divisor 5
    (2, "gadget.add.relation"),
    (3, "gadget.affine.relation"),
    (4, "gadget.identity.relation"),
])
@pytest.mark.parametrize("delta", [1, -1])
def test_moved_output_is_rejected(gi, match, delta):
    rejects(match, tamper=output_moved(gi, g(gi), delta))


# --- the batch and the statement ------------------------------------------------------


def test_padded_batch_row_is_constrained():
    """Batch 3 (padded to 4): a value in the padded row 3 changed (g0's acc there is
    its bias alone): the dense instance covers every padded row too."""
    inside = unclamped(-100, 100)

    def fn(vals):
        i = first(vals, lambda i, v: i >= 3 * 4 and inside(i, v))
        set_q(vals, i, vals["q"][i] + 1, -100, 100)
    assert model().witness(3).z[0][3] != [0] * 4  # the padded row is not all zero
    rejects(ROUND0, batch=3, tamper=at(0, fn))


def test_outputs_of_two_examples_swapped_are_rejected():
    rows = model().witness(3).z[5]
    assert rows[0][:2] != rows[1][:2]

    def edit(stage, data):
        return [data[1], data[0], data[2]] if stage == "output" else data
    rejects(ROUND0, batch=3, edit=edit)


def test_witness_of_another_input_is_rejected():
    """The statement holds input X; every gadget's values (and so the output) are those
    of another input X': the dense instance reading X (the verifier evaluates X's MLE
    itself) does not sum to g0's accumulator."""
    m = model()
    other = m.inputs(1, 5)
    assert other != m.inputs(1)
    theirs: dict = {}
    Witness(m.doc, m.tensors, other,
            tamper=lambda gi, vals: theirs.__setitem__(gi, {k: list(v) for k, v in vals.items()}))

    def tamper(gi, vals):
        vals.update({k: list(v) for k, v in theirs[gi].items()})
    rejects(ROUND0, tamper=tamper)
