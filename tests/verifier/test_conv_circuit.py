"""Circuit JSON of conv.md: the shaped input, conv / sumpool / maxpool producers and
`width(x)`: every key is required, every check of the spec refuses a bad value."""

from __future__ import annotations

import copy

import pytest
from reference_cnn import build
from reference_inference import canonical

from zkml.errors import ProofFormatError
from zkml.verifier.circuit import parse_circuit
from zkml.verifier.field import R, mle_eval
from zkml.verifier.gadgets import checks_for
from zkml.verifier.spatial import input_mle, padded_size

# 0 conv (input [2,6,6] -> [3,6,6]), 1 maxpool -> [3,3,3], 2 conv 3x3 s2 -> [2,2,2],
# 3 sumpool -> [2,1,1], 4 dense
LAYERS = [("conv", None, 3, [3, 3], [1, 1], [1, 1], [1, 1]), ("maxpool", None, [2, 2]),
          ("conv", None, 2, [3, 3], [2, 2], [1, 1], [1, 1]), ("sumpool", None, [2, 2]),
          ("dense", None, 3)]
DOC = build(LAYERS, [2, 6, 6])[0]


def doc():
    return copy.deepcopy(DOC)


def rejects(d, match):
    with pytest.raises(ProofFormatError, match=match):
        parse_circuit(canonical(d))


def test_cnn_circuit_parses():
    c = parse_circuit(canonical(DOC))
    assert c.input_shape == (2, 6, 6) and c.input_features == 72 and c.input_width == 128
    assert c.width_of(None) == 128 and c.width_of(0) == 256
    g0, g1, g2, g3, _ = c.gadgets
    conv0, pool1, pool3 = g0.producer.conv, g1.producer.pool, g3.producer.pool
    assert conv0.num_vars == 3 + 3 + 2 + 2 + 1
    assert [a.pad for a in conv0.axes] == [1, 1]
    assert pool1.windows == 4 and checks_for(c)[1].zerocheck_instances(c.layout(1))
    assert pool3.lshift == 0 and not g3.extra  # a sumpool: no D_w, S_w
    assert g2.producer.conv.out_shape == (2, 2, 2)
    assert [grp.key for grp in g1.extra] == ["D0", "D1", "D2", "D3", "S0", "S1", "S2", "S3"]
    # maxpool columns after em: D limbs per window, then the selectors
    kinds = [k.kind for k in g1.columns]
    assert kinds == ["u", "v", "D", "D", "D", "D", "S", "S", "S", "S"]
    assert [k.index for k in c.columns] == list(range(len(c.columns)))


def test_flat_input_and_shape_key():
    d = doc()
    del d["input"]["shape"]
    rejects(d, r"input: missing keys \['shape'\]")
    for bad, match in [([2, 36], None), ([72], "input.shape must be a list of 2 or 3"),
                       ([2, 6, 6, 1], "input.shape must be a list of 2 or 3"),
                       ([2, 6, 7], "has 84 entries, features is 72"),
                       ([0, 6, 6], r"input.shape\[0\] = 0"), ("2x6x6", "must be a list"),
                       ([2, 6, True], r"input.shape\[2\] must be an integer")]:
        d = doc()
        d["input"]["shape"] = bad
        if match is None:  # conv.md compares widths only: [2, 36] has width 2 * 64 = 128
            assert parse_circuit(canonical(d)).input_width == 128
        else:
            rejects(d, match)


def test_padded_input_width_limit():
    d = doc()  # 3 * 513 * 512 < 2^20 entries pad to 4 * 1024 * 512 = 2^21
    d["input"]["features"] = 3 * 513 * 512
    d["input"]["shape"] = [3, 513, 512]
    rejects(d, "padded width 2097152 exceeds 1048576")


def _prod(gi, **kw):
    d = doc()
    d["gadgets"][gi]["producer"].update(kw)
    return d


@pytest.mark.parametrize(
    ("gi", "edit", "match"),
    [
        (0, {"kernel": [3]}, "gadget 0 producer kernel must be a list of 2"),
        (0, {"strides": [1, 0]}, r"strides\[1\] = 0"),
        (0, {"pads": [-1, 1]}, r"pads\[0\] = -1"),
        (0, {"dilations": [1, 1 << 17]}, "gadget 0: conv axis 1: wiring: dilation"),
        (0, {"in_shape": [2, 6]}, "out_shape must be a list of 2"),
        (0, {"in_shape": [2, 6, 9]}, "conv input has width 128"),
        (0, {"out_shape": [3, 6, 9]}, r"conv features 256 != prod pad\(out_shape\) 512"),
        (0, {"out_shape": [5, 6, 6]}, "conv features 256"),
        (0, {"in_shape": [3, 6, 6]}, "conv input has width 128"),
        (0, {"kernel": [3, 5]}, "conv weight 'W0' is 3x32, expected 3x64"),
        (0, {"bias": "W0"}, "bias 'W0' is 3x32, expected 1x3"),
        (0, {"weight": "nope"}, "weight 'nope' is not a model tensor"),
        (0, {"bias_shift": 65}, "bias_shift = 65"),
        (0, {"x": 1}, "not an earlier gadget"),
        (2, {"x": "input"}, "conv input has width 128, in_shape"),
        (1, {"window": [3, 2]}, r"window\[0\] = 3 is not a power of two"),
        (1, {"window": [2]}, "window must be a list of 2"),
        (1, {"out_shape": [2, 3, 3]}, "pool channels 3 != 2"),
        (1, {"out_shape": [3, 4, 3]}, "window 2 x out 4 exceeds in 6"),
        (1, {"diff_bits": 0}, "diff_bits = 0"),
        (1, {"diff_bits": 65}, "diff_bits = 65"),
        (1, {"in_shape": [3, 6, 9]}, "pool input has width 256, in_shape"),
        (3, {"lshift": 65}, "lshift = 65"),
        (3, {"lshift": 1.0}, "lshift must be an integer"),
        (3, {"out_shape": [2, 1, 2]}, "window 2 x out 2 exceeds in 2"),
    ],
)
def test_spatial_producer_checks(gi, edit, match):
    rejects(_prod(gi, **edit), match)


@pytest.mark.parametrize("gi", [0, 1, 3])
def test_spatial_producer_keys_are_exact(gi):
    d = doc()
    d["gadgets"][gi]["producer"]["extra"] = 1
    rejects(d, r"unknown keys \['extra'\]")
    d = doc()
    del d["gadgets"][gi]["producer"]["in_shape"]
    rejects(d, r"missing keys \['in_shape'\]")
    d = doc()
    key = {0: "lshift", 1: "lshift", 3: "diff_bits"}[gi]
    d["gadgets"][gi]["producer"][key] = 1  # the other pooling kind's key
    rejects(d, "unknown keys")


def test_maxpool_needs_no_shift_and_no_excess():
    for key in ("shift", "excess_hi_bits", "excess_lo_bits"):
        d = doc()
        d["gadgets"][1][key] = 1
        rejects(d, "gadget 1: a maxpool needs shift 0")


def test_consumers_compare_with_width():
    d = doc()  # the dense head reads the sumpool's padded width 2 (= its features)
    d["model_stack"]["tensors"][-1]["cols"] = 3
    with pytest.raises(ProofFormatError):
        parse_circuit(canonical(d))
    d = doc()  # add of the input (width 128) and a gadget of 128 features: accepted
    d["gadgets"][4] = copy.deepcopy(d["gadgets"][4])
    d["gadgets"].append({**d["gadgets"][4], "producer": {
        "op": "add", "x": "input", "y": "input", "signs": [1, 1], "lshifts": [0, 0]},
        "features": 72})
    rejects(d, "add inputs have 128 and 128 features, expected 72")


def test_output_may_not_be_spatial():
    for gi in (0, 1, 3):
        d = doc()
        d["output"] = {"gadget": gi, "features": d["gadgets"][gi]["features"], "argmax": False}
        rejects(d, f"output.gadget {gi} is a")


def test_shaped_input_mle_matches_the_padded_table():
    for shape in ([3, 5], [2, 3, 5], [1, 4, 4]):
        n = 1
        for v in shape:
            n *= v
        width = padded_size(shape)
        rows = [[(7 * b + 3 * i) % 11 - 5 for i in range(n)] for b in range(3)]
        table = [0] * (4 * width)
        for b, row in enumerate(rows):
            for f, v in enumerate(row):
                idx, rest = [], f
                for dim in reversed(shape):
                    idx.append(rest % dim)
                    rest //= dim
                pos = 0
                for dim, i in zip(shape, reversed(idx), strict=True):
                    pos = pos * (1 << (dim - 1).bit_length()) + i
                table[b * width + pos] = v % R
        point = [(1234567 * (k + 3)) % R for k in range((4 * width - 1).bit_length())]
        flat = [v for row in rows for v in row]
        assert input_mle(flat, 3, n, tuple(shape), point) == mle_eval(table, point)
