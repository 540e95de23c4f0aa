"""nonlinear.md sections 5-7 end to end with the reference prover: 16-bit limbs (a dense
net with two-limb columns, a small CNN), a softmax head (rowmax -> broadcast add -> exp
table -> spatialsum over the row -> rowdiv) at n = 5 and 10, batch 1 and 3; cheating
provers (a row maximum below an input or not one of them, a selector on a padded feature,
two selectors, R >= 2y, R + Rc != 2y - 1, a wrong quotient, a wrong broadcast
subtraction, a 16-bit limb out of range) are rejected at the check that names them; every
field of a softmax proof is bound."""

from __future__ import annotations

import copy
import functools

import pytest
from cheats import rejected
from edits import field_mutants
from keyed_model import KeyedModel
from reference_cnn import build
from reference_inference import example_model
from softmax_models import softmax_model, wide_model

from zkml.errors import VerificationError
from zkml.verifier import verify_inference
from zkml.verifier.gadgets import instance_table as _instances


class Model(KeyedModel):
    def rejects(self, match: str, batch: int = 1, **kw) -> None:
        with rejected(match):
            verify_inference(self.prove(batch, **kw), self.vk)


@functools.cache
def softmax(n: int = 5, clip: bool = False, limb_bits: int = 8) -> Model:
    return Model(*softmax_model(n, clip=clip, limb_bits=limb_bits))


@functools.cache
def wide(limb_bits: int = 16) -> Model:
    return Model(*wide_model(limb_bits))


def _sixteen(doc_tensors_table, inputs) -> Model:
    doc, tensors, table = doc_tensors_table
    doc = copy.deepcopy(doc)
    doc["limb_bits"] = 16
    return Model(doc, tensors, table, inputs)


# --- completeness -------------------------------------------------------------------


@pytest.mark.parametrize("batch", [1, 3])
def test_limb_bits_16_dense(batch):
    m = wide(16)
    c = m.vk.circuit
    assert c.limb_bits == 16
    assert [k.width for k in c.gadgets[0].u] == [16, 2]
    lay = c.layout(batch)
    assert lay.logup_depths[1] == 16 and len(lay.m_point([0] * 16)) == lay.num_vars
    m.check_honest(batch)


def test_limb_bits_8_and_16_prove_the_same_outputs():
    m8, m16 = wide(8), wide(16)
    assert [k.width for k in m8.vk.circuit.gadgets[0].u] == [8, 8, 2]
    a = verify_inference(m8.prove(2), m8.vk).output
    assert a == verify_inference(m16.prove(2), m16.vk).output


def test_limb_bits_16_example_net():
    doc, tensors, table = example_model()

    def inputs(batch):
        return [[(7 * b + 3 * i) % 256 - 128 for i in range(4)] for b in range(batch)]

    _sixteen((doc, tensors, table), inputs).check_honest(1)


@pytest.mark.parametrize("batch", [1, 3])
def test_limb_bits_16_cnn(batch):
    layers = [("conv", None, 2, [3, 3], [1, 1], [1, 1], [1, 1]), ("maxpool", None, [2, 2]),
              ("dense", None, 3)]
    doc, tensors, table, inputs = build(layers, [1, 4, 4])
    m = _sixteen((doc, tensors, table), inputs)
    assert {k.width for k in m.vk.circuit.columns} <= set(range(1, 17))
    m.check_honest(batch)


@pytest.mark.parametrize("n", [5, 10])
@pytest.mark.parametrize("batch", [1, 3])
def test_softmax_head(n, batch):
    m = softmax(n)
    ops = [g.op for g in m.vk.circuit.gadgets]
    assert ops == ["dense", "dense", "rowmax", "add", "table", "spatialsum", "rowdiv"]
    kinds = [k for k, _, _ in _instances(m.vk.circuit, m.vk.circuit.layout(batch))]
    assert "rowmax" in kinds and "rowdiv" in kinds
    m.check_honest(batch)
    wit = m.witness(batch)
    for b in range(batch):  # the proven rows are the softmax of the logits (sum ~ 2^7)
        assert abs(sum(wit.z[6][b][:n]) - 128) <= n


@pytest.mark.parametrize("batch", [1, 3])
def test_softmax_with_a_clamped_rowdiv(batch):
    m = softmax(5, clip=True)
    g = m.vk.circuit.gadgets[6]
    assert g.ep and not g.em  # the rowdiv instance carries the clamp terms
    m.check_honest(batch)


def test_softmax_with_16_bit_limbs():
    softmax(5, limb_bits=16).check_honest(3)


# --- cheating provers: rowmax -----------------------------------------------------------


def _row_tamper(gi, fn):
    def tamper(g, vals):
        if g == gi:
            fn(vals)
    return tamper


def _redo_d(vals, n):
    """D = mask (z_b - x) from the (edited) z."""
    xs = vals["x"]
    w = len(xs[0])
    vals["D"] = [(vals["z"][i // w] - v) if i % w < n else 0
                 for i, v in enumerate(v for r in xs for v in r)]


def test_rowmax_below_an_input_is_rejected():
    def fn(vals):
        vals["z"][0] -= 1
        _redo_d(vals, 5)
    softmax().rejects("logup group 0: the fractions do not sum to zero",
                      tamper=_row_tamper(2, fn))


def test_rowmax_not_one_of_the_inputs_is_rejected():
    def fn(vals):
        vals["z"][0] += 1
        _redo_d(vals, 5)
    softmax().rejects("inference sumcheck", tamper=_row_tamper(2, fn))


def test_rowmax_selector_on_a_padded_feature_is_rejected():
    def fn(vals):
        vals["S"][:8] = [0] * 6 + [1, 0]  # feature 6 >= n = 5
    softmax().rejects("inference sumcheck", tamper=_row_tamper(2, fn))


def test_rowmax_two_selectors_are_rejected():
    def fn(vals):
        i = vals["S"].index(1)
        vals["S"][(i + 1) % 5] = 1
    softmax().rejects("gadget.rowmax.selectors",
                      tamper=_row_tamper(2, fn))


def test_rowmax_no_selector_is_rejected():
    def fn(vals):
        vals["S"][vals["S"].index(1)] = 0
    softmax().rejects("gadget.rowmax.selectors", batch=3,
                      tamper=_row_tamper(2, fn))


# --- cheating provers: broadcast add and rowdiv --------------------------------------------


def test_wrong_broadcast_subtraction_is_rejected():
    def fn(vals):
        vals["z"][1] += 1 if vals["z"][1] < 0 else -1
    softmax().rejects("gadget.add.relation", tamper=_row_tamper(3, fn))


def _rowdiv_shift(fix_rc: bool):
    """At one entry R += 2 y_b and q -= 1 (the division relation still holds); Rc is
    2 y_b - 1 - R (negative) or, with `fix_rc`, an in-range 0."""
    def tamper(g, vals):
        if g != 6:
            return
        n, w = 8, 12  # padded features; rem_bits for n = 5 is bits(639) = 10
        y = [r + c + 1 for r, c in zip(vals["R"], vals["Rc"], strict=True)]  # 2 y_b
        i = next(i for i in range(len(y)) if i % n < 5 and vals["q"][i] > 0
                 and vals["R"][i] + y[i] < 1 << (w - 2))
        vals["R"][i] += y[i]
        vals["q"][i] -= 1
        vals["z"][i] = vals["q"][i]
        vals["Rc"][i] = 0 if fix_rc else y[i] - 1 - vals["R"][i]
    return tamper


def test_rowdiv_remainder_at_least_2y_is_rejected():
    softmax().rejects("logup group 0: the fractions do not sum to zero",
                      tamper=_rowdiv_shift(False))
    softmax().rejects("gadget 6: rowdiv R \\+ Rc != 2 y\\(r_grp, r_b\\) - 1",
                      tamper=_rowdiv_shift(True))


def test_rowdiv_r_plus_rc_off_is_rejected():
    def fn(vals):
        vals["Rc"][0] += 1
    softmax().rejects("gadget 6: rowdiv R \\+ Rc != 2 y\\(r_grp, r_b\\) - 1",
                      tamper=_row_tamper(6, fn))


def test_rowdiv_wrong_quotient_is_rejected():
    def fn(vals):
        vals["q"][0] += 1
        vals["z"][0] += 1
    softmax().rejects("inference sumcheck", tamper=_row_tamper(6, fn))


def test_rowdiv_clamp_is_enforced():
    """With an ep column: z below hi with e+ > 0 (q unchanged) breaks the clamp terms."""
    m = softmax(5, clip=True)
    hi = m.doc["gadgets"][6]["hi"]

    def fn(vals):
        i = next(i for i, e in enumerate(vals["ep"]) if e > 0)
        vals["z"][i] -= 1
        vals["ep"][i] += 1
    assert hi == 32
    m.rejects("inference sumcheck", tamper=_row_tamper(6, fn))


# --- 16-bit limbs ---------------------------------------------------------------------------


def _move_limb(gi, kind="u"):
    """A limb column edit: limb 0 += 2^16, limb 1 -= 1 at an entry with limb 1 >= 1 (the
    value is unchanged; limb 0 leaves [0, 2^16))."""
    def edit(stage, data):
        if stage != ("columns", gi):
            return data
        cols = data[kind]
        i = next(i for i, v in enumerate(cols[1]) if v >= 1)
        cols[0][i] += 1 << 16
        cols[1][i] -= 1
        return data
    return edit


def test_16_bit_limb_out_of_range_is_rejected():
    m = wide(16)
    m.rejects("logup group 0: the fractions do not sum to zero", edit=_move_limb(0))


def test_16_bit_limb_at_the_top_of_the_range_is_accepted():
    """65535 is a limb value (an honest wide model has limb-0 entries near 2^16)."""
    m = wide(16)
    wit = m.witness(3)
    assert max(wit.cols[0]["u"][0]) >= 1 << 15
    m.check_honest(3)


# --- every field bound ------------------------------------------------------------------------


def test_every_softmax_proof_field_is_bound():
    """Each field of one softmax proof mutated in turn: every Fr of every vector and of the
    sumcheck, every root and layer element of the LogUp trees, one byte of the rest."""
    m = softmax(5, clip=True)
    parts: list = []
    data = m.prove(1, parts=parts)
    assert verify_inference(data, m.vk)
    mutants = field_mutants(data, parts)
    assert len(mutants) > 150
    for name, bad in mutants:
        with pytest.raises(VerificationError):
            verify_inference(bad, m.vk)
            pytest.fail(f"mutated {name} accepted")
