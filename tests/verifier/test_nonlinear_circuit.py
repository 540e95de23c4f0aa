"""Circuit JSON of nonlinear.md: the required "divisor" key (rem and remc columns), the
"spatialsum" and "table" producers, their checks, columns and layouts."""

from __future__ import annotations

import copy
import functools

import pytest
from nonlinear_models import table_model
from reference_cnn import build
from reference_inference import canonical, example_model

from zkml.errors import ProofFormatError
from zkml.verifier.circuit import parse_circuit


@functools.cache
def _docs():
    tab = table_model(4, 6)[0]
    gap = build([("spatialsum", "input"), ("dense", None, 3)], [3, 5])[0]
    gap2 = build([("conv", None, 2, [1, 1], [1, 1], [1, 1], [0, 0]), ("spatialsum", None),
                  ("dense", None, 2)], [2, 3, 6])[0]
    return {"example": example_model()[0], "table": tab, "gap": gap, "gap2": gap2}


def doc(name: str) -> dict:
    return copy.deepcopy(_docs()[name])


def rejects(d: dict, match: str) -> None:
    with pytest.raises(ProofFormatError, match=match):
        parse_circuit(canonical(d))


# --- divisor ------------------------------------------------------------------------


def test_divisor_is_required_on_every_gadget():
    for gi in range(5):
        d = doc("example")
        del d["gadgets"][gi]["divisor"]
        rejects(d, f"gadget {gi}: missing keys \\['divisor'\\]")


@pytest.mark.parametrize(
    ("value", "match"),
    [(0, "outside"), (-3, "outside"), (1 << 40, "outside"), (True, "must be an integer"),
     (3.0, "must be an integer"), ("3", "must be an integer"), (None, "must be an integer")],
)
def test_divisor_values(value, match):
    d = doc("example")
    d["gadgets"][3]["divisor"] = value
    rejects(d, f"gadget 3 divisor.*{match}|gadget 3 divisor {match}")


def test_divisor_needs_shift_0():
    d = doc("example")
    d["gadgets"][0]["divisor"] = 3  # shift 3
    rejects(d, "gadget 0: a divisor 3 > 1 needs shift 0")


def test_divisor_columns_in_order():
    d = doc("example")
    d["gadgets"][3]["divisor"] = 49  # identity clip [-100, 100], shift 0
    g = parse_circuit(canonical(d)).gadgets[3]
    assert [(k.kind, k.width) for k in g.columns] == [
        ("u", 8), ("v", 8), ("rem", 6), ("remc", 6), ("ep", 6), ("em", 6)]
    d["gadgets"][3]["divisor"] = (1 << 40) - 1
    g = parse_circuit(canonical(d)).gadgets[3]
    assert [(k.kind, k.width) for k in g.rem + g.remc] == [("rem", 8)] * 5 + [("remc", 8)] * 5
    d["gadgets"][3]["divisor"] = 2  # bits(1) = 1: one-bit rem and remc
    g = parse_circuit(canonical(d)).gadgets[3]
    assert [(k.kind, k.width) for k in g.rem + g.remc] == [("rem", 1), ("remc", 1)]
    assert g.divisor == 2
    # d = 1: rem has the shift's width, no remc
    g0 = parse_circuit(canonical(doc("example"))).gadgets[0]
    assert g0.divisor == 1 and g0.remc == () and g0.rem[0].width == 3


def test_maxpool_needs_divisor_1():
    d = build([("maxpool", "input", [2, 2]), ("dense", None, 2)], [1, 4, 4])[0]
    parse_circuit(canonical(d))
    d["gadgets"][0]["divisor"] = 3
    rejects(d, "gadget 0: a maxpool needs shift 0, divisor 1")


# --- spatialsum ---------------------------------------------------------------------


def test_spatialsum_parses():
    c = parse_circuit(canonical(doc("gap")))
    g = c.gadgets[0]
    p = g.producer
    assert (g.op, p.x, p.sum_shape, p.lshift, g.divisor, g.features) == (
        "spatialsum", None, (3, 5), 0, 5, 3)
    assert p.sum_vars == 3
    g2 = parse_circuit(canonical(doc("gap2"))).gadgets[1]
    p2 = g2.producer
    assert (p2.x, p2.sum_shape, g2.divisor, p2.sum_vars) == (0, (2, 3, 6), 18, 5)


def test_spatialsum_may_be_the_output():
    d = build([("dense", "input", 2), ("spatialsum", "input")], [3, 5])[0]
    assert parse_circuit(canonical(d)).output_gadget == 1


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        ({"lshift": 65}, "lshift = 65 outside"),
        ({"lshift": -1}, "lshift = -1 outside"),
        ({"in_shape": [3, 9]},
         "spatialsum input has width 32, in_shape \\[3, 9\\] needs a padded width of 64"),
        ({"in_shape": [3]}, "in_shape must be a list of 2 or 3"),
        ({"in_shape": [3, 5, 1, 1]}, "in_shape must be a list of 2 or 3"),
        ({"in_shape": [4, 5]}, "spatialsum features 3 != channels 4"),
        ({"in_shape": [3, 0]}, "outside"),
        ({"x": 0}, "is not an earlier gadget"),
        ({"extra": 1}, "unknown keys \\['extra'\\]"),
    ],
)
def test_spatialsum_checks(edit, match):
    d = doc("gap")
    d["gadgets"][0]["producer"].update(edit)
    rejects(d, match)


def test_spatialsum_keys_are_required():
    for key in ("x", "in_shape", "lshift"):
        d = doc("gap")
        del d["gadgets"][0]["producer"][key]
        rejects(d, f"missing keys \\['{key}'\\]")


def test_spatialsum_features_must_match_channels():
    d = doc("gap")
    d["gadgets"][0]["features"] = 4
    rejects(d, "spatialsum features 4 != channels 3")


# --- table --------------------------------------------------------------------------


def test_table_parses_with_its_slots():
    c = parse_circuit(canonical(doc("table")))
    g0, g2 = c.gadgets[0], c.gadgets[2]
    p0, p2 = g0.producer, g2.producer
    assert (g0.op, p0.x, p0.table, p0.table_bits, p0.lo_x) == ("table", None, "Tin", 4, -8)
    assert (p2.x, p2.table, p2.table_bits, p2.lo_x) == (1, "Tg", 6, -32)
    assert c.tables == (g0, g2) and c.table_bits == (4, 6)
    for batch in (1, 3):
        lay = c.layout(batch)
        lb = (batch - 1).bit_length()
        assert lay.logup_depths == (lay.leaf_vars, 8, lb + 3, 4, lb + 2, 6)
        # t_g slots after m, sized 2^t, disjoint from every other slot
        spans = [(o, o + (1 << m)) for o, m in zip(lay.col_offsets, lay.col_vars, strict=True)]
        spans += [(lay.m_offset, lay.m_offset + 256)]
        spans += [(s.offset, s.offset + (1 << s.bits)) for s in lay.tables]
        spans.sort()
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
        assert spans[-1][1] <= 1 << lay.num_vars
        assert len(lay.table_point(1, [0] * 6)) == lay.num_vars


@pytest.mark.parametrize(
    ("gi", "key", "value", "match"),
    [
        (2, "shift", 1, "a table gadget needs shift 0, divisor 1"),
        (2, "divisor", 3, "a table gadget needs shift 0, divisor 1"),
        (2, "excess_hi_bits", 1, "a table gadget needs shift 0, divisor 1"),
        (2, "excess_lo_bits", 1, "a table gadget needs shift 0, divisor 1"),
        (2, "features", 3, "table input has width 4, expected 3"),
    ],
)
def test_table_gadget_checks(gi, key, value, match):
    d = doc("table")
    d["gadgets"][gi][key] = value
    rejects(d, match)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        ({"table": "nope"}, "table 'nope' is not a model tensor"),
        ({"table": "W1"}, "table 'W1' is 4x5, expected 1x64"),
        ({"table": "b1"}, "table 'b1' is 1x4, expected 1x64"),
        ({"table": "Tin"}, "table 'Tin' is 1x16, expected 1x64"),
        ({"table": ""}, "table must be a non-empty string"),
        ({"table": 3}, "table must be a non-empty string"),
        ({"extra": 1}, "unknown keys \\['extra'\\]"),
        ({"x": 2}, "is not an earlier gadget"),
        ({"x": 0}, "table input range \\[-20, 20\\] has 41 values"),
    ],
)
def test_table_producer_checks(edit, match):
    d = doc("table")
    d["gadgets"][2]["producer"].update(edit)
    rejects(d, match)


def test_table_keys_are_required():
    for key in ("x", "table"):
        d = doc("table")
        del d["gadgets"][2]["producer"][key]
        rejects(d, f"missing keys \\['{key}'\\]")


def test_table_input_range():
    d = doc("table")
    d["gadgets"][1]["hi"] = 32  # [-32, 32]: 65 values
    rejects(d, "gadget 2: table input range \\[-32, 32\\] has 65 values")
    d = doc("table")
    d["gadgets"][1]["lo"], d["gadgets"][1]["hi"] = 0, 0  # one value: t = 0
    rejects(d, "gadget 2: table input range \\[0, 0\\] has 1 values")
    d = doc("table")
    d["input"]["bits"] = 21  # the input's table would have 2^21 entries
    rejects(d, "gadget 0: table input range \\[-1048576, 1048575\\]")
    d = doc("table")
    d["input"]["bits"] = 5  # Tin has 16 entries, the input's range 32
    rejects(d, "gadget 0: table 'Tin' is 1x16, expected 1x32")


def test_single_entry_table_gadget_is_rejected():
    """nonlinear.md 3: features >= 2, so the lookup tree has depth >= 1 at batch 1."""
    d = doc("table")
    d["gadgets"][0]["features"] = 1
    d["input"]["features"] = 1
    w1 = next(t for t in d["model_stack"]["tensors"] if t["name"] == "W1")
    w1["cols"] = 1
    rejects(d, "gadget 0: a table gadget needs features >= 2")
