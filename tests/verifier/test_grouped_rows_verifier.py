"""nonlinear.md section 12 (grouped rows) end to end with the reference prover: a softmax
over `[G, n]` rows laid out by a rearrange (G = 3, n = 5, P = 8) and over a flat input of
width `G P` read as groups (G = 6, n = 3, P = 4), batch 1 and 3, 8- and 16-bit limbs;
cheating provers (a selector on a non-maximal or padded entry or in the wrong group, a
maximum below an entry or above all of them, a wrong remainder, a group's row value
changed in the broadcast add or the division) are rejected; every field of a grouped proof
is bound; the parser's checks (G row values over a width whose padding pad(G) must divide,
`n <= P`, the last group's real entries inside width(x), no `y` wider than `x`)."""

from __future__ import annotations

import copy
import functools

import pytest
from edits import field_mutants
from grouped_models import grouped_model
from reference_inference import canonical
from test_softmax_verifier import Model, _row_tamper

from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier import verify_inference
from zkml.verifier.circuit import parse_circuit
from zkml.verifier.gadgets import instance_table as _instances

#: (G, n, flat, P): the rearranged [3, 5] rows and the flat input of 6 groups of 4
SHAPES = {"rearranged": (3, 5, False, 8), "flat": (6, 3, True, 4)}


@functools.cache
def grouped(name: str = "rearranged", limb_bits: int = 8) -> Model:
    g, n, flat, p_len = SHAPES[name]
    m = Model(*grouped_model(g, n, flat=flat, p_len=p_len, limb_bits=limb_bits))
    m.shape = SHAPES[name]  # type: ignore[attr-defined]
    return m


def _gi(m: Model, op: str) -> int:
    return next(i for i, g in enumerate(m.doc["gadgets"]) if g["producer"]["op"] == op)


# --- completeness -----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SHAPES))
@pytest.mark.parametrize("batch", [1, 3])
def test_grouped_softmax(name, batch):
    m = grouped(name)
    groups, n, _, p_len = SHAPES[name]
    c = m.vk.circuit
    rm, rd = c.gadgets[_gi(m, "rowmax")], c.gadgets[_gi(m, "rowdiv")]
    assert rm.features == groups and rm.producer.n == n
    assert (1 << (c.width_of(rm.producer.x) - 1).bit_length()) >> rm.log_features == p_len
    assert c.width_of(rd.producer.y) == groups
    kinds = [k for k, _, _ in _instances(c, c.layout(batch))]
    assert "rowmax" in kinds and "rowdiv" in kinds
    m.check_honest(batch)
    out = m.witness(batch).z[_gi(m, "rowdiv")]
    for b in range(batch):  # every real group of every row is a softmax (sum ~ 2^7)
        for g in range(groups):
            assert abs(sum(out[b][p_len * g : p_len * g + n]) - 128) <= n


@pytest.mark.parametrize("name", list(SHAPES))
def test_grouped_softmax_with_16_bit_limbs(name):
    m = grouped(name, 16)
    assert m.vk.circuit.limb_bits == 16
    m.check_honest(3 if name == "flat" else 1)


def test_one_group_is_section_7():
    """G = 1 through the grouped builder: P = pad(width(x)), the rows as before."""
    m = Model(*grouped_model(1, 5))
    assert m.vk.circuit.gadgets[_gi(m, "rowmax")].features == 1
    m.check_honest(3)


# --- cheating provers -----------------------------------------------------------------------


def _redo_d(m, vals) -> None:
    """D = mask(i) (z_gb - x) from the (edited) z."""
    _, n, _, p_len = m.shape
    xs = [v for r in vals["x"] for v in r]
    vals["D"] = [(vals["z"][f // p_len] - v) if f % p_len < n else 0
                 for f, v in enumerate(xs)]


def _rowmax_cheat(m: Model, fn):
    return _row_tamper(_gi(m, "rowmax"), lambda vals: fn(m, vals))


def _group_sel(m, vals, g) -> tuple[int, int]:
    """(first position, the set selector) of group g of batch row 0."""
    start = m.shape[3] * g
    return start, vals["S"].index(1, start)


@pytest.mark.parametrize("name", list(SHAPES))
def test_selector_on_a_non_maximal_entry_is_rejected(name):
    def fn(m, vals):
        start, i = _group_sel(m, vals, 1)
        j = next(j for j in range(start, start + m.shape[1]) if vals["D"][j] > 0)
        vals["S"][i], vals["S"][j] = 0, 1
    m = grouped(name)
    m.rejects("inference sumcheck", tamper=_rowmax_cheat(m, fn))


@pytest.mark.parametrize("name", list(SHAPES))
def test_selector_on_a_padded_position_is_rejected(name):
    def fn(m, vals):
        start, i = _group_sel(m, vals, 2)
        vals["S"][i], vals["S"][start + m.shape[3] - 1] = 0, 1  # position P - 1 >= n
    m = grouped(name)
    m.rejects("inference sumcheck", tamper=_rowmax_cheat(m, fn))


@pytest.mark.parametrize("name", list(SHAPES))
def test_selector_in_another_group_is_rejected(name):
    """Group 0's selector moved into group 1 (the count of selectors unchanged): the sums
    per (group, row) are checked at (1/2.., r_grp, r_b)."""
    def fn(m, vals):
        _, i = _group_sel(m, vals, 0)
        start, k = _group_sel(m, vals, 1)
        vals["S"][i] = 0
        vals["S"][start if k != start else start + 1] = 1
    m = grouped(name)
    m.rejects("gadget.rowmax.selectors", tamper=_rowmax_cheat(m, fn))


@pytest.mark.parametrize("name", list(SHAPES))
def test_maximum_below_an_entry_is_rejected(name):
    def fn(m, vals):
        vals["z"][1] -= 1  # group 1 of batch row 0
        _redo_d(m, vals)
    m = grouped(name)
    m.rejects("logup group 0: the fractions do not sum to zero", tamper=_rowmax_cheat(m, fn))


@pytest.mark.parametrize("name", list(SHAPES))
def test_maximum_not_an_entry_is_rejected(name):
    def fn(m, vals):
        g = next(g for g in range(m.shape[0]) if vals["z"][g] < 7)  # batch row 0
        vals["z"][g] += 1  # still within [lo, hi]
        _redo_d(m, vals)
    m = grouped(name)
    m.rejects("inference sumcheck", tamper=_rowmax_cheat(m, fn))


@pytest.mark.parametrize("name", list(SHAPES))
def test_a_group_row_value_changed_in_the_add_is_rejected(name):
    """The add subtracts, on group 1 of batch row 0, a maximum other than its own."""
    m = grouped(name)
    _, n, _, p_len = m.shape

    def fn(vals):
        for f in range(p_len, p_len + n):
            vals["z"][f] += 1 if vals["z"][f] < 0 else -1
    gi = _gi(m, "add")
    m.rejects("gadget.add.relation", tamper=_row_tamper(gi, fn))


@pytest.mark.parametrize("name", list(SHAPES))
def test_division_by_another_group_sum_is_rejected(name):
    """The rowdiv of group 1 uses group 0's row sum (R, Rc and q recomputed with it)."""
    m = grouped(name)
    _, n, _, p_len = m.shape
    gi = _gi(m, "rowdiv")

    def fn(vals):
        ys = [r + c + 1 for r, c in zip(vals["R"], vals["Rc"], strict=True)]  # 2 y
        y0 = ys[0] // 2
        assert y0 != ys[p_len] // 2  # the two groups' sums differ
        sh = m.doc["gadgets"][gi]["producer"]["lshift"] + 1
        for f in range(p_len, p_len + n):
            x = (vals["R"][f] + 2 * (ys[f] // 2) * vals["q"][f] - ys[f] // 2) >> sh
            q = ((x << sh) + y0) // (2 * y0)
            vals["q"][f] = vals["z"][f] = q
            vals["R"][f] = (x << sh) + y0 - 2 * y0 * q
            vals["Rc"][f] = 2 * y0 - 1 - vals["R"][f]
    m.rejects(f"gadget {gi}: rowdiv R \\+ Rc != 2 y\\(r_grp, r_b\\) - 1|inference sumcheck",
              tamper=_row_tamper(gi, fn))


@pytest.mark.parametrize("name", list(SHAPES))
def test_wrong_remainder_is_rejected(name):
    m = grouped(name)
    gi = _gi(m, "rowdiv")
    p_len = m.shape[3]

    def shift(fix_rc):
        def fn(vals):  # R += 2 y, q -= 1 at a real entry of group 1 (division still holds)
            y2 = [r + c + 1 for r, c in zip(vals["R"], vals["Rc"], strict=True)]
            f = next(f for f in range(p_len, 2 * p_len) if vals["q"][f] > 0)
            vals["R"][f] += y2[f]
            vals["q"][f] -= 1
            vals["z"][f] = vals["q"][f]
            vals["Rc"][f] = 0 if fix_rc else y2[f] - 1 - vals["R"][f]
        return fn
    m.rejects("logup group 0: the fractions do not sum to zero",
              tamper=_row_tamper(gi, shift(False)))
    m.rejects(f"gadget {gi}: rowdiv R \\+ Rc != 2 y\\(r_grp, r_b\\) - 1",
              tamper=_row_tamper(gi, shift(True)))

    def off(vals):
        vals["Rc"][p_len] += 1
    m.rejects(f"gadget {gi}: rowdiv R \\+ Rc", tamper=_row_tamper(gi, off))


# --- every field bound ---------------------------------------------------------------------


def test_every_grouped_proof_field_is_bound():
    """Each Fr of every evals vector and of the sumcheck, every LogUp element, one byte of
    the rest of a grouped proof, mutated in turn: all rejected."""
    m = grouped("flat")
    parts: list = []
    data = m.prove(1, parts=parts)
    assert verify_inference(data, m.vk)
    mutants = field_mutants(data, parts)
    assert len(mutants) > 150
    for name, bad in mutants:
        with pytest.raises(VerificationError):
            verify_inference(bad, m.vk)
            pytest.fail(f"mutated {name} accepted")


# --- parsing ---------------------------------------------------------------------------------


def _doc(name: str) -> dict:
    return copy.deepcopy(grouped(name).doc)


def _rejects(d: dict, match: str) -> None:
    with pytest.raises(ProofFormatError, match=match):
        parse_circuit(canonical(d))


def _gadget(d: dict, op: str) -> dict:
    return next(g for g in d["gadgets"] if g["producer"]["op"] == op)


def test_grouped_columns():
    c = parse_circuit(canonical(_doc("rearranged")))
    rm = c.gadgets[2]
    assert rm.op == "rowmax" and rm.features == 3 and rm.log_features == 2
    assert [(k.kind, k.feature_vars) for k in rm.columns] == [("u", 2), ("D", 5), ("S", 5)]
    rd = c.gadgets[6]
    assert rd.op == "rowdiv" and rd.features == 32 and c.width_of(rd.producer.y) == 3


@pytest.mark.parametrize(
    ("name", "edit", "match"),
    [
        # rowmax: n <= P (P = 8 for [3, 5], 4 for the flat 6 x 4)
        ("rearranged", lambda d: _gadget(d, "rowmax")["producer"].update(n=9),
         "rowmax n = 9 exceeds P = 8"),
        ("flat", lambda d: _gadget(d, "rowmax")["producer"].update(n=5),
         "rowmax n = 5 exceeds P = 4"),
        # G = 7 over the flat 24: P = 4 but group 6's entries pass width(x)
        ("flat", lambda d: _gadget(d, "rowmax").update(features=7),
         "rowmax n = 3 exceeds width\\(x\\) = 24 in group 6"),
        # G = 33 over width 32 (pad(G) = 64 does not divide 32)
        ("rearranged", lambda d: _gadget(d, "rowmax").update(features=33),
         "x has G = 33 row values over width 32"),
        # add: y wider than x
        ("rearranged", lambda d: _gadget(d, "add")["producer"].update(x=2, y=1),
         "add inputs have 3 and 32 features, expected 32 for x"),
        ("rearranged", lambda d: (_gadget(d, "add").update(features=3),
                                  _gadget(d, "add")["producer"].update(x=2, y=1)),
         "add inputs have 3 and 32 features: y has G = 32 row values over width 3"),
        # rowdiv: y of more row values than features
        ("rearranged", lambda d: (_gadget(d, "rowdiv").update(features=3),
                                  _gadget(d, "rowdiv")["producer"].update(x=2, y=1)),
         "rowdiv y has G = 32 row values over width 3"),
    ],
)
def test_grouped_parser_rejections(name, edit, match):
    d = _doc(name)
    edit(d)
    _rejects(d, match)


def test_a_group_count_of_a_power_of_two_padding_is_accepted():
    """G = 4 over the rearranged 32 (pad(G) = 4 = the real 3 groups' padding) parses."""
    d = _doc("rearranged")
    _gadget(d, "rowmax").update(features=4)
    assert parse_circuit(canonical(d)).gadgets[2].features == 4
