"""Circuit JSON (inference.md section 6): strict parsing, validation, columns, layouts."""

from __future__ import annotations

import copy
import json

import pytest
from reference_inference import canonical, example_model

from zkml.errors import ProofFormatError
from zkml.verifier.circuit import limb_widths, parse_circuit, slot_bits

DOC, _, _ = example_model()


def doc():
    return copy.deepcopy(DOC)


def rejects(d_or_bytes, match):
    data = d_or_bytes if isinstance(d_or_bytes, bytes) else canonical(d_or_bytes)
    with pytest.raises(ProofFormatError, match=match):
        parse_circuit(data)


def test_example_parses_with_its_columns():
    c = parse_circuit(canonical(DOC))
    assert (c.input_features, c.input_bits, c.output_gadget, c.output_features) == (4, 8, 4, 2)
    g0, g1, g2, g3, g4 = c.gadgets
    # ReLU [0, 127]: u 7 bits (no v: 128 values), rem 3, ep 4, em 12 -> limbs 8 + 4
    assert [(k.kind, k.width) for k in g0.columns] == [
        ("u", 7), ("rem", 3), ("ep", 4), ("em", 8), ("em", 4)]
    p1 = g1.producer
    assert (p1.x, p1.y, p1.signs, p1.lshifts) == (None, 0, (1, -1), (1, 0))
    # clip [-100, 100]: 201 values, so v exists; shift 0 -> no rem
    assert [(k.kind, k.width) for k in g3.columns] == [
        ("u", 8), ("v", 8), ("ep", 6), ("em", 6)]
    assert g4.producer.bias is None and g4.producer.weight == "W2"
    assert [k.index for k in c.columns] == list(range(len(c.columns)))
    assert c.model.tensors["b1"].offset == 44
    assert g2.u[0].gadget == 2 and c.u_of(None) == () and c.features_of(None) == 4


def test_limb_widths_and_slot_bits():
    assert limb_widths(0, 8) == () and limb_widths(8, 8) == (8,)
    assert limb_widths(12, 8) == (8, 4) and limb_widths(17, 8) == (8, 8, 1)
    # nonlinear.md 5: 16-bit limbs
    assert limb_widths(0, 16) == () and limb_widths(12, 16) == (12,)
    assert limb_widths(16, 16) == (16,) and limb_widths(17, 16) == (16, 1)
    assert limb_widths(40, 16) == (16, 16, 8)
    assert slot_bits(40, 2, 6) == (0, 1, 0, 1)  # slot 10 of size 4 in 2^6


@pytest.mark.parametrize("batch", [1, 2, 3, 8, 13])
def test_layouts(batch):
    c = parse_circuit(canonical(DOC))
    lay = c.layout(batch)
    assert lay is c.layout(batch)  # cached
    lb = (batch - 1).bit_length()
    assert lay.log_batch == lb
    spans = [(o, o + (1 << m)) for o, m in zip(lay.col_offsets, lay.col_vars, strict=True)]
    spans.append((lay.m_offset, lay.m_offset + 256))
    for (o, _), m in zip(spans, [*lay.col_vars, 8], strict=True):
        assert o % (1 << m) == 0
    spans.sort()
    assert spans[0][0] == 0 and all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))
    total = spans[-1][1]
    assert lay.num_vars == max(1, (total - 1).bit_length())
    assert lay.log_cols == (lay.num_vars + 1) // 2
    # lookup tree: one slot per limb, a second for each limb narrower than 8 bits (the
    # byte table is a tree of its own)
    narrow = sum(1 for k in c.columns if k.width < 8)
    assert len(lay.leaf_slots) == len(c.columns) + narrow
    leaf_total = sum(1 << s.log_size for s in lay.leaf_slots)
    assert lay.leaf_vars == max(1, (leaf_total - 1).bit_length())
    for s in lay.leaf_slots:
        assert s.offset % (1 << s.log_size) == 0
        if s.scale != 1:
            assert s.scale == 1 << (8 - c.columns[s.column].width)
    assert lay.column_point(0, [7] * lay.col_vars[0])[: lay.col_vars[0]] == (7,) * lay.col_vars[0]
    assert len(lay.m_point([1] * 8)) == lay.num_vars


def test_layout_limits():
    c = parse_circuit(canonical(DOC))
    for b in (0, 1 << 32):
        with pytest.raises(ProofFormatError, match="batch size"):
            c.layout(b)
    with pytest.raises(ProofFormatError, match="exceeds"):
        c.layout(1 << 29)


def test_non_canonical_json_is_rejected():
    good = canonical(DOC)
    text = good.decode()
    rejects(json.dumps(DOC, sort_keys=True).encode(), "not canonical")  # whitespace
    rejects(json.dumps(DOC, separators=(",", ":")).encode(), "not canonical")  # unsorted
    rejects(good + b"\n", "not canonical")
    rejects(b" " + good, "not canonical")
    rejects(text.replace('"source":"node"', '"source":"n\\u006fde"').encode(), "not canonical")
    rejects(text.replace('"node"', '"n\u00f6de"', 1).encode("utf-8"), "not canonical")
    dup = text.replace('{"bits":8,', '{"bits":9,"bits":8,', 1)
    assert dup != text
    rejects(dup.encode(), "not canonical")
    rejects(text.replace('"bits":8', '"bits":8.0').encode(), "input.bits must be an integer")
    rejects(text.replace('"bits":8', '"bits":8e0').encode(), "not canonical")
    rejects(text.replace('"bits":8', '"bits":NaN').encode(), "non-finite")
    rejects(b"\xff" + good, "not valid JSON")
    rejects(good[:-1], "not valid JSON")
    rejects(b"[" * 100000, "nested deeper than 16")
    rejects(b'{"a":' * 100000, "nested deeper than 16")
    deep = text.replace('"source":"node"', '"source":' + "[" * 20 + "]" * 20, 1)
    rejects(deep.encode(), "nested deeper than 16")
    # brackets inside strings do not count
    rejects(text.replace('"source":"node"', '"source":"' + "[" * 40 + '"', 1).encode() + b"x",
            "not valid JSON")
    rejects(b"1" * 5000, "not valid JSON")
    rejects(b"[]", "root must be an object")


def test_top_level_fields():
    for key in ("format", "gadgets", "model_stack"):
        d = doc()
        del d[key]
        rejects(d, "missing keys")
    d = doc()
    d["extra"] = 1
    rejects(d, "unknown keys")
    d = doc()
    d["format"] = "zkml"
    rejects(d, "format")
    d = doc()
    d["version"] = 2
    rejects(d, "version")
    d = doc()
    d["input"]["bits"] = 63
    rejects(d, "input.bits")
    d = doc()
    d["input"]["features"] = True
    rejects(d, "input.features must be an integer")
    d = doc()
    d["gadgets"] = []
    rejects(d, "gadgets must be a list")


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("features", 0, "features = 0"),
        ("features", (1 << 20) + 1, "features"),
        ("features", "4", "must be an integer"),
        ("shift", 65, "shift = 65"),
        ("shift", -1, "shift"),
        ("excess_hi_bits", 65, "excess_hi_bits"),
        ("excess_lo_bits", 1.5, "must be an integer"),
        ("lo", 200, "lo 200 > hi 127"),
        ("hi", 1 << 62, "hi"),
        ("frac_bits", 2000, "frac_bits"),
        ("source", None, "source must be a string"),
        ("producer", [], "producer must be an object"),
    ],
)
def test_gadget_fields(key, value, match):
    d = doc()
    d["gadgets"][0][key] = value
    rejects(d, f"gadget 0.*{match}")


@pytest.mark.parametrize(
    ("g", "edit", "match"),
    [
        (2, {"x": 2}, "not an earlier gadget"),  # itself
        (2, {"x": 4}, "not an earlier gadget"),  # forward
        (0, {"x": 0}, "not an earlier gadget"),
        (1, {"y": 1}, "not an earlier gadget"),
        (2, {"x": -1}, "not an earlier gadget"),
        (2, {"x": "Input"}, "must be \"input\" or a gadget index"),
        (2, {"x": True}, "must be \"input\" or a gadget index"),
        (0, {"op": "convolution"}, "unknown producer op"),
        (0, {"weight": "nope"}, "not a model tensor"),
        (0, {"bias": "nope"}, "not a model tensor"),
        (0, {"bias": 3}, "bias must be a non-empty string"),
        (0, {"weight": "W1"}, "weight 'W1' is 3x4, expected 4x4"),  # rows != features
        (2, {"weight": "W2"}, "weight 'W2' is 2x3, expected 3x4"),
        (2, {"bias": "b0"}, "bias 'b0' is 1x4, expected 1x3"),
        (2, {"bias": "W1"}, "bias 'W1' is 3x4, expected 1x3"),
        (1, {"signs": [1, 2]}, "signs"),
        (1, {"signs": [1]}, "signs must be a list of two"),
        (1, {"lshifts": [0, 65]}, "lshifts"),
        (1, {"y": 2}, "not an earlier gadget"),
        (0, {"extra": 1}, "unknown keys"),
    ],
)
def test_producer_references_and_shapes(g, edit, match):
    d = doc()
    d["gadgets"][g]["producer"].update(edit)
    rejects(d, f"gadget {g}.*{match}" if "earlier" not in match else match)


def test_feature_mismatches():
    d = doc()
    d["gadgets"][3]["producer"]["x"] = 1  # identity of 4 features into 3
    rejects(d, "identity input has 4 features, expected 3")
    d = doc()
    d["gadgets"][1]["producer"]["y"] = "input"
    d["input"]["features"] = 5
    rejects(d, "weight 'W0' is 4x4, expected 4x5")
    d = doc()
    d["gadgets"].append({**copy.deepcopy(d["gadgets"][1]),
                         "producer": {"op": "add", "x": 2, "y": 1, "signs": [1, 1],
                                      "lshifts": [0, 0]}})
    rejects(d, "add inputs have 3 and 4 features")
    d = doc()
    d["output"]["features"] = 3
    rejects(d, "output.features 3 != features 2 of gadget 4")
    d = doc()
    d["output"]["gadget"] = 5
    rejects(d, "output.gadget")


def test_at_least_one_model_stack_reader():
    d = doc()
    d["gadgets"] = [d["gadgets"][1]]
    d["gadgets"][0]["producer"]["y"] = "input"
    d["output"] = {"gadget": 0, "features": 4}
    rejects(d, "at least one gadget must read the model stack")


def test_model_stack_offsets():
    d = doc()
    d["model_stack"]["tensors"][4]["offset"] = 36  # W2 (4x4 slot = 16) not aligned
    rejects(d, "W2.*not aligned")
    d = doc()
    d["model_stack"]["tensors"][3]["offset"] = 40  # b1 on top of b0
    rejects(d, "'b0' and 'b1' overlap")
    d = doc()
    d["model_stack"]["tensors"][2]["offset"] = 0  # W1 on top of W0
    rejects(d, "'W0' and 'W1' overlap")
    d = doc()
    d["model_stack"]["tensors"][0]["offset"] = 64  # outside 2^6
    rejects(d, "model tensor 0 offset = 64 outside")
    d = doc()
    d["model_stack"]["tensors"][0]["offset"] = 32  # W0 (16 entries) covers W2 (8 at 32)
    rejects(d, "'W2' and 'W0' overlap")
    d = doc()
    d["model_stack"]["tensors"][0]["offset"] = 48  # free space: fine
    parse_circuit(canonical(d))
    d = doc()
    d["model_stack"]["tensors"][0]["rows"] = 32  # 128 entries in a 2^6 stack
    rejects(d, "W0.*outside the 2\\^6-entry model stack")
    d = doc()
    d["model_stack"]["log_cols"] = 7
    rejects(d, "log_cols")
    d = doc()
    d["model_stack"]["num_vars"] = 31
    rejects(d, "num_vars")
    d = doc()
    d["model_stack"]["tensors"][1]["name"] = "W0"
    rejects(d, "duplicate name 'W0'")
    d = doc()
    d["model_stack"]["tensors"][1]["rows"] = 0
    rejects(d, "rows")
    d = doc()
    d["model_stack"]["tensors"][1]["name"] = ""
    rejects(d, "name must be a non-empty string")
    d = doc()
    d["model_stack"]["tensors"] = {}
    rejects(d, "tensors must be a list")
    d = doc()
    d["model_stack"]["range_bits"] = 65
    rejects(d, "range_bits")
