"""Circuit JSON of nonlinear.md sections 5-7: the required top-level "limb_bits" (8 or 16)
and its columns and layouts, add with a one-feature y, the "rowmax" and "rowdiv" producers
with every check of the text, their columns (a rowmax's D and S of x's length)."""

from __future__ import annotations

import copy
import functools

import pytest
from reference_inference import canonical, example_model
from softmax_models import softmax_model

from zkml.errors import ProofFormatError
from zkml.verifier.circuit import parse_circuit
from zkml.verifier.gadgets import checks_for


@functools.cache
def _docs():
    return {"example": example_model()[0], "softmax": softmax_model(5)[0],
            "softmax10": softmax_model(10)[0]}


def doc(name: str = "softmax") -> dict:
    return copy.deepcopy(_docs()[name])


def rejects(d: dict, match: str) -> None:
    with pytest.raises(ProofFormatError, match=match):
        parse_circuit(canonical(d))


# --- limb_bits ---------------------------------------------------------------------------


def test_limb_bits_is_required():
    d = doc("example")
    del d["limb_bits"]
    rejects(d, "root: missing keys \\['limb_bits'\\]")


@pytest.mark.parametrize(
    ("value", "match"),
    [(0, "outside"), (12, "not 8 or 16"), (32, "outside"), (4, "outside"),
     (True, "must be an integer"), (8.0, "must be an integer"), ("8", "must be an integer"),
     (None, "must be an integer"), ([8], "must be an integer")],
)
def test_limb_bits_values(value, match):
    d = doc("example")
    d["limb_bits"] = value
    rejects(d, f"limb_bits.*{match}|limb_bits {match}")


def test_limb_bits_16_columns_and_layout():
    d = doc("example")
    d["gadgets"][2]["excess_lo_bits"] = 20
    c8 = parse_circuit(canonical(d))
    d["limb_bits"] = 16
    c16 = parse_circuit(canonical(d))
    assert c16.limb_bits == 16 and c8.limb_bits == 8
    assert [k.width for k in c8.gadgets[2].em] == [8, 8, 4]
    assert [k.width for k in c16.gadgets[2].em] == [16, 4]
    assert [k.width for k in c16.gadgets[0].u] == [7]
    lay = c16.layout(3)
    assert lay.logup_depths == (lay.leaf_vars, 16) and lay.num_vars >= 17
    # a second scaled slot for every limb narrower than 16 bits, scale 2^(16 - w)
    narrow = [k for k in c16.columns if k.width < 16]
    assert len(lay.leaf_slots) == len(c16.columns) + len(narrow)
    scales = {(s.column, s.scale) for s in lay.leaf_slots if s.scale > 1}
    assert scales == {(k.index, 1 << (16 - k.width)) for k in narrow}
    assert len(lay.m_point([0] * 16)) == lay.num_vars
    assert len(c8.layout(3).m_point([0] * 8)) == c8.layout(3).num_vars


# --- add with a one-feature y --------------------------------------------------------------


def test_add_with_a_one_feature_y():
    c = parse_circuit(canonical(doc()))
    g = c.gadgets[3]
    assert g.op == "add" and c.width_of(g.producer.y) == 1 and g.features == 5
    d = doc()
    d["gadgets"][3]["producer"]["y"] = 0  # 6 features: neither 5 nor 1
    rejects(d, "gadget 3: add inputs have 5 and 6 features: y has G = 6 row values over "
               "width 5")
    d = doc()
    d["gadgets"][3]["producer"]["x"], d["gadgets"][3]["producer"]["y"] = 2, 1  # x one-feature
    rejects(d, "gadget 3: add inputs have 1 and 5 features")


# --- rowmax ------------------------------------------------------------------------------


def test_rowmax_columns_have_x_length():
    for name, n in (("softmax", 5), ("softmax10", 10)):
        c = parse_circuit(canonical(doc(name)))
        g = c.gadgets[2]
        assert g.op == "rowmax" and g.producer.n == n and g.features == 1
        assert checks_for(c)[2].zerocheck_instances(c.layout(1))
        fx = (n - 1).bit_length()
        assert [(k.kind, k.width, k.feature_vars) for k in g.columns] == [
            ("u", 6, 0), ("D", 6, fx), ("S", 1, fx)]
        assert g.own == g.u
        lay = c.layout(3)
        assert [lay.col_vars[k.index] for k in g.columns] == [2, 2 + fx, 2 + fx]


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda p: p.pop("n"), "missing keys \\['n'\\]"),
        (lambda p: p.update(extra=1), "unknown keys \\['extra'\\]"),
        (lambda p: p.update(n=0), "producer n = 0 outside"),
        (lambda p: p.update(n=6), "rowmax n = 6 exceeds width\\(x\\) = 5"),
        (lambda p: p.update(n=True), "n must be an integer"),
        (lambda p: p.update(diff_bits=0), "diff_bits = 0 outside"),
        (lambda p: p.update(diff_bits=65), "diff_bits = 65 outside"),
        (lambda p: p.update(x=2), "x = 2 is not an earlier gadget"),
        (lambda p: p.update(x="in"), "must be \"input\" or a gadget index"),
    ],
)
def test_rowmax_producer_fields(edit, match):
    d = doc()
    edit(d["gadgets"][2]["producer"])
    rejects(d, f"gadget 2.*{match}")


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [("features", 2, "rowmax n = 5 exceeds P = 4"), ("features", 6, "x has G = 6 row values"),
     ("shift", 1, "needs shift 0, divisor 1"), ("divisor", 3, "needs shift 0, divisor 1"),
     ("excess_hi_bits", 1, "needs shift 0"), ("excess_lo_bits", 1, "needs shift 0"),
     ("lo", -31, "does not cover x's range \\[-32, 31\\]"),
     ("hi", 30, "does not cover x's range")],
)
def test_rowmax_gadget_fields(key, value, match):
    d = doc()
    d["gadgets"][2][key] = value
    rejects(d, f"gadget 2: .*{match}")


def test_rowmax_wider_range_and_input_operand():
    d = doc()
    d["gadgets"][2]["lo"], d["gadgets"][2]["hi"] = -40, 40  # covering is enough
    g = parse_circuit(canonical(d)).gadgets[2]
    assert [k.kind for k in g.own] == ["u", "v"]
    d = doc()
    d["gadgets"][2]["producer"].update(x="input", n=4)  # input: 4 features, 4 bits
    d["gadgets"][2].update(lo=-8, hi=7)
    d["gadgets"][2]["producer"]["diff_bits"] = 4
    g = parse_circuit(canonical(d)).gadgets[2]  # a rowmax of the input: D, S of its width
    assert [(k.kind, k.feature_vars) for k in g.columns] == [("u", 0), ("D", 2), ("S", 2)]


# --- rowdiv ------------------------------------------------------------------------------


def test_rowdiv_columns():
    c = parse_circuit(canonical(doc()))
    g = c.gadgets[6]
    assert g.op == "rowdiv" and g.producer.lshift == 7
    assert checks_for(c)[6].zerocheck_instances(c.layout(1))
    assert [(k.kind, k.width) for k in g.columns] == [
        ("u", 8), ("v", 8), ("R", 8), ("R", 2), ("Rc", 8), ("Rc", 2)]
    assert {k.feature_vars for k in g.columns} == {3}


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda p: p.pop("rem_bits"), "missing keys \\['rem_bits'\\]"),
        (lambda p: p.update(lshift=65), "lshift = 65 outside"),
        (lambda p: p.update(lshift=-1), "lshift = -1 outside"),
        (lambda p: p.update(rem_bits=0), "rem_bits = 0 outside"),
        (lambda p: p.update(rem_bits=65), "rem_bits = 65 outside"),
        (lambda p: p.update(y=0), "rowdiv y has G = 6 row values over width 5"),
        (lambda p: p.update(x=5), "rowdiv x has width 1, expected 5"),
        (lambda p: p.update(y=6), "y = 6 is not an earlier gadget"),
    ],
)
def test_rowdiv_producer_fields(edit, match):
    d = doc()
    edit(d["gadgets"][6]["producer"])
    rejects(d, f"gadget 6.*{match}")


@pytest.mark.parametrize("key", ["shift", "divisor"])
def test_rowdiv_needs_shift_0_divisor_1(key):
    d = doc()
    d["gadgets"][6][key] = 2
    rejects(d, "gadget 6: a rowdiv gadget needs shift 0 and divisor 1")


# --- spatialsum over a softmax row -------------------------------------------------------


def test_row_sum_over_a_flat_row():
    c = parse_circuit(canonical(doc()))
    assert c.gadgets[5].producer.sum_shape == (1, 5) and c.width_of(4) == 5
    d = doc()
    d["gadgets"][5]["producer"]["in_shape"] = [1, 6]  # pad(5) == pad(6): the text's check
    assert parse_circuit(canonical(d)).gadgets[5].producer.sum_shape == (1, 6)
    d["gadgets"][5]["producer"]["in_shape"] = [1, 9]
    rejects(d, "gadget 5: spatialsum input has width 5, in_shape \\[1, 9\\] needs a padded "
               "width of 16")
    d["gadgets"][5]["producer"]["in_shape"] = [1, 4]
    rejects(d, "gadget 5: spatialsum input has width 5")
