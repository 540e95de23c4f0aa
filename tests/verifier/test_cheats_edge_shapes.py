"""Conv, pool, concat and rearrange wiring at edge shapes, with the reference prover:
non-power-of-two spatial sizes (5x7, 13x11), stride larger than the kernel (k 2, s 3),
padding larger than the kernel (k 1 and 2, p 3), dilation 2 and 3, groups (2 and
depthwise), ceil-mode pools with partial windows, a concat of 3 and 5 channels and a
transpose of a 3x5 tensor. For each: the honest proof verifies (its statement the
reference witness's output), and cheating provers are rejected at the check that names
them:

- a prover whose witness *and* sumcheck tables follow a neighbouring geometry (pads,
  strides or dilations off by one, another block order): the verifier evaluates the
  wiring itself, so the final check of the batched sumcheck fails;
- a prover that changes one output (the conv sum, a window maximum read from a tap that
  overhangs the map in ceil mode, a rearranged entry);
- a grouped conv whose prover uses a weight outside its group's block (the key commits
  zeros there): the model-stack opening fails.
"""

from __future__ import annotations

import copy
import functools

import pytest
from cheats import rejected
from keyed_model import KeyedModel
from rearrange_models import _dense, _finish, _mat, gather, view_blocks
from reference_cnn import build
from reference_conv import flat_index
from reference_inference import Witness
from reference_window import win_taps

from zkml.errors import VerificationError
from zkml.verifier import verify_inference

FINAL = "inference.final"
ROUND0 = "inference sumcheck round 0"
ROUND0_CHECK = "sumcheck.round-sum"  # its check id (circuits/soundness.md, "Check ids")


def conv(oc, k, s=1, d=1, p=0, x=None, groups=1):
    n = len(k)
    return ("conv", x, oc, list(k), [s] * n, [d] * n, [p] * n, groups)


def win(op, x, k, s=1, d=1, p=0, divisor=1, ceil=False):
    n = len(k)
    return (op, x, list(k), [s] * n, [d] * n, [p] * n, divisor, ceil)


CNNS = {
    # 5x7 input: a padded 3x3 conv (5x7 in an 8x8 layout), a floor-mode 2x2 maxpool (2x3)
    "5x7": ([conv(2, (3, 3), p=1), ("maxpool", None, [2, 2]), ("dense", None, 2)],
            [1, 5, 7]),
    # 13x11 input: a 3x3 stride-2 conv (6x5), a 2x2 sumpool (3x2)
    "13x11": ([conv(2, (3, 3), s=2), ("sumpool", None, [2, 2]), ("dense", None, 2)],
              [1, 13, 11]),
    # stride 3 > kernel 2 (taps skip inputs): conv, winmax and an average (divisor 4)
    "stride": ([conv(2, (2, 2), s=3, x="input"), win("winmax", "input", (2, 2), s=3),
                win("winsum", "input", (2, 2), s=3, divisor=4), ("dense", 0, 2),
                ("dense", 1, 2), ("dense", 2, 2), ("add", 3, 4), ("add", 6, 5)], [2, 8, 7]),
    # padding 3 > kernel 1 and 2: outputs that read only padding (the bias alone, or 0)
    "pad": ([conv(2, (1, 1), p=3, x="input"), conv(2, (2, 2), p=3, x="input"),
             win("winsum", "input", (2, 2), p=3, divisor=4), ("dense", 0, 2),
             ("dense", 1, 2), ("dense", 2, 2), ("add", 3, 4), ("add", 6, 5)], [1, 3, 2]),
    # dilation 3 (conv) and 2 (winmax), both padded
    "dilation": ([conv(2, (3, 3), d=3, p=2), win("winmax", None, (2, 2), d=2, p=1),
                  ("dense", None, 2)], [1, 7, 6]),
    # groups 2 (4 -> 4 channels) then depthwise (groups 4)
    "groups": ([conv(4, (3, 3), p=1, groups=2), conv(4, (3, 3), p=1, groups=4),
                ("dense", None, 2)], [4, 3, 5]),
    # ceil mode: a 3x3 stride-2 winmax (6x7 -> 3x3, the last row's windows overhang the
    # map) and a 2x2 stride-2 sum (5x7 -> 3x4, partial windows on both axes)
    "ceil": ([win("winmax", "input", (3, 3), s=2, ceil=True),
              win("winsum", "input", (2, 2), s=2, ceil=True), ("dense", 0, 2),
              ("dense", 1, 2), ("add", 2, 3)], [1, 6, 7]),
}


def _transpose_model(limb_bits: int = 8):
    """input (15) -> g0 dense 15 -> g1 rearrange: the 3x5 tensor g0 transposed, flat
    [15] -> g2 dense 2 (output)."""
    import random

    rng = random.Random(41)
    tensors = {"W0": _mat(rng, 15, 15, lo=-1, hi=1), "W1": _mat(rng, 2, 15)}
    dims, blocks = view_blocks([[3, 5]], 0, [1, 0])
    gads = [_dense("input", "W0", 15, 1, -8, 7), gather([0], [[15]], [15], dims, blocks, 15),
            _dense(1, "W1", 2, 2)]
    return _finish(15, None, gads, tensors, 2, limb_bits, 7000)


def _concat_model(limb_bits: int = 8):
    """input [3, 2, 3] -> g0 conv 1x1 to [5, 2, 3] -> g1 rearrange: concat of the input
    (3 channels) and g0 (5 channels) along the channels, [8, 2, 3] -> g2 dense 2."""
    import random

    from rearrange_models import _conv

    rng = random.Random(42)
    tensors = {"Wc": _mat(rng, 5, 4, 3), "W1": _mat(rng, 2, 64)}
    dims, blocks = view_blocks([[3, 2, 3], [5, 2, 3]], 0, [0, 1, 2])
    gads = [_conv("input", "Wc", [3, 2, 3], [5, 2, 3], 8 * 2 * 4, 2),
            gather(["input", 0], [[3, 2, 3], [5, 2, 3]], [8, 2, 3], dims, blocks, 64),
            _dense(1, "W1", 2, 3)]
    return _finish(18, [3, 2, 3], gads, tensors, 2, limb_bits, 7100)


OTHERS = {"transpose3x5": _transpose_model, "concat3+5": _concat_model}


@functools.cache
def model(name: str) -> KeyedModel:
    if name in OTHERS:
        return KeyedModel(*OTHERS[name]())
    layers, shape = CNNS[name]
    return KeyedModel(*build(layers, shape))


def _ops(name: str) -> list[str]:
    return [g["producer"]["op"] for g in model(name).doc["gadgets"]]


@pytest.mark.parametrize(("name", "batch"), [(n, 1) for n in [*CNNS, *OTHERS]] + [
    (n, 3) for n in ("5x7", "13x11", "stride", "ceil", "transpose3x5", "concat3+5")])
def test_honest_edge_shape_proofs_verify(name, batch):
    model(name).check_honest(batch)


def test_edge_geometries():
    """The models have the shapes their names promise."""
    def p(name, gi):
        return model(name).doc["gadgets"][gi]["producer"]

    assert p("5x7", 0)["out_shape"] == [2, 5, 7] and p("5x7", 1)["out_shape"] == [2, 2, 3]
    assert p("13x11", 0)["out_shape"] == [2, 6, 5]
    assert [p("stride", gi)["out_shape"] for gi in range(3)] == [[2, 3, 2]] * 3
    assert p("pad", 0)["out_shape"] == [2, 9, 8] and p("pad", 1)["out_shape"] == [2, 8, 7]
    assert p("pad", 2)["out_shape"] == [1, 8, 7]
    assert p("dilation", 0)["out_shape"] == [2, 5, 4]
    assert p("ceil", 0)["out_shape"] == [1, 3, 3] and p("ceil", 1)["out_shape"] == [1, 3, 4]
    w = model("groups").tensors
    # groups 2: output channel o reads input channels 2 (o // 2) .. + 1 only; depthwise:
    # channel o alone (each channel's taps a block of 16 columns of the padded layout)
    for o in range(4):
        blocks = [any(w["W0"][o][16 * c : 16 * c + 16]) for c in range(4)]
        assert blocks == [c // 2 == o // 2 for c in range(4)]
        assert [any(w["W1"][o][16 * c : 16 * c + 16]) for c in range(4)] == [
            c == o for c in range(4)]
    assert _ops("transpose3x5") == ["dense", "rearrange", "dense"]


# --- a prover following a neighbouring geometry ---------------------------------------


def _neighbour(name: str, gi: int, **changes) -> dict:
    doc = copy.deepcopy(model(name).doc)
    doc["gadgets"][gi]["producer"].update(changes)
    return doc


def _swap_blocks(name: str, gi: int) -> dict:
    """The rearrange's parts placed in the other order (part 1's block first)."""
    doc = copy.deepcopy(model(name).doc)
    p = doc["gadgets"][gi]["producer"]
    a, b = p["blocks"]
    n1 = b["size"][0]
    a["start"], b["start"] = [n1, *a["start"][1:]], [0, *b["start"][1:]]
    return doc


def _transposed_back(name: str, gi: int) -> dict:
    """A reshape in place of the transpose: output j reads input j."""
    doc = copy.deepcopy(model(name).doc)
    p = doc["gadgets"][gi]["producer"]
    p["dims"], p["blocks"] = view_blocks([[15]], 0, [0])
    return doc


WIRING = [
    ("5x7", 0, {"pads": [1, 0]}),          # the conv shifted by one column
    ("13x11", 0, {"strides": [2, 1]}),     # stride 1 along the width
    ("13x11", 0, {"pads": [0, 1]}),
    ("stride", 0, {"strides": [3, 2]}),    # conv, winmax, winsum: stride 2 for 3
    ("stride", 1, {"strides": [2, 3]}),
    ("stride", 2, {"strides": [3, 2]}),
    ("pad", 0, {"pads": [2, 3]}),          # padding 2 for 3
    ("pad", 1, {"pads": [2, 3]}),
    ("pad", 2, {"pads": [3, 2]}),
    ("dilation", 0, {"dilations": [3, 2]}),
    ("dilation", 1, {"dilations": [2, 1]}),
    ("groups", 0, {"pads": [1, 0]}),
    ("ceil", 0, {"pads": [1, 0]}),         # the partial windows moved inside the map
    ("ceil", 1, {"strides": [2, 1]}),
]


@pytest.mark.parametrize(("name", "gi", "changes"), WIRING)
def test_neighbouring_wiring_is_rejected(name, gi, changes):
    """The prover's witness and sumcheck tables follow the changed geometry (same
    shapes); the verifier's own wiring evaluation at the final point differs."""
    m = model(name)
    doc = _neighbour(name, gi, **changes)
    assert m.witness(1).z[gi] != Witness(doc, m.tensors, m.inputs(1)).z[gi]
    with rejected(FINAL):
        verify_inference(m.prove_as(doc), m.vk)


@pytest.mark.parametrize(("name", "gi", "make"), [("concat3+5", 1, _swap_blocks),
                                                   ("transpose3x5", 1, _transposed_back)])
def test_rearrange_with_another_index_map_is_rejected(name, gi, make):
    m = model(name)
    doc = make(name, gi)
    assert m.witness(1).z[gi] != Witness(doc, m.tensors, m.inputs(1)).z[gi]
    with rejected(FINAL):
        verify_inference(m.prove_as(doc), m.vk)


# --- one output changed ---------------------------------------------------------------


def _first(vals, pred):
    return next(i for i, z in enumerate(vals["z"]) if pred(i, z))


def _output_plus_one(gi, hi=15):
    def tamper(g, vals):
        if g == gi:  # one output (and its q) one higher: acc no longer the producer's
            i = _first(vals, lambda i, z: z < hi and vals["q"][i] == z)
            vals["z"][i] += 1
            vals["q"][i] += 1
    return tamper


@pytest.mark.parametrize(("name", "gi", "match"), [
    ("5x7", 0, ROUND0), ("13x11", 0, ROUND0), ("stride", 0, ROUND0), ("stride", 2, ROUND0),
    ("pad", 0, ROUND0), ("pad", 1, ROUND0), ("pad", 2, ROUND0), ("dilation", 0, ROUND0),
    ("groups", 0, ROUND0), ("groups", 1, ROUND0), ("ceil", 1, ROUND0),
    ("13x11", 1, "gadget.sumpool.relation"),
])
def test_changed_output_is_rejected(name, gi, match):
    m = model(name)
    with rejected(match):
        verify_inference(m.prove(1, tamper=_output_plus_one(gi)), m.vk)


@pytest.mark.parametrize(("name", "gi", "pos", "match"), [
    ("5x7", 0, [0, 0, 7], ROUND0),       # conv: column 7 of a 5x7 map in an 8x8 layout
    ("5x7", 0, [1, 6, 0], ROUND0),       # conv: row 6
    ("5x7", 1, [0, 0, 3], ROUND0),       # maxpool (2x3 in 2x4), its D_w moved along
    ("13x11", 1, [0, 0, 2], "gadget.sumpool.relation"),
    ("ceil", 1, [0, 3, 0], ROUND0),      # winsum: 3x4 in 4x4
    ("transpose3x5", 0, [15], ROUND0),   # dense: feature 15 of 15 in 16
])
def test_padded_output_position_is_constrained(name, gi, pos, match):
    """A value at a padded position of a gadget's layout (the producer gives its own
    value there: the bias, 0) moved by one: the relation covers padding too."""
    m = model(name)
    g = m.doc["gadgets"][gi]
    shape = g["producer"].get("out_shape")
    if shape is None:  # a flat gadget: feature pos[0] of `features`
        i = pos[0]
        assert i >= g["features"]
    else:
        i = flat_index(shape, pos)
        assert any(q >= n for q, n in zip(pos[1:], shape[1:], strict=True))

    def tamper(g, vals):
        if g == gi:
            vals["z"][i] += 1
            vals["q"][i] += 1
            for d in vals.get("D", []):
                d[i] += 1
    with rejected(match):
        verify_inference(m.prove(1, tamper=tamper), m.vk)


def test_maxpool_on_a_non_power_of_two_map_above_its_window_is_rejected():
    def tamper(g, vals):
        if g == 1:  # z above every entry of its window (all D_w >= 1), S one-hot
            i = _first(vals, lambda i, z: z < 15)
            vals["z"][i] += 1
            for d in vals["D"]:
                d[i] += 1
    m = model("5x7")
    with pytest.raises(VerificationError) as exc_info:
        verify_inference(m.prove(1, tamper=tamper), m.vk)
    assert exc_info.value.check == ROUND0_CHECK


@pytest.mark.parametrize(("name", "gi"), [("ceil", 0), ("dilation", 1)])
def test_maximum_from_a_tap_outside_the_map_is_rejected(name, gi):
    """A window that overhangs the map (ceil mode, padding): the prover claims a maximum
    one above every real tap, held by a tap that reads nothing (D_t = 0 there, since
    V_t = 0): S_t (1 - V_t) = 0 fails."""
    m = model(name)
    p = m.doc["gadgets"][gi]["producer"]
    x = m.witness(1).tensor(p["x"])
    taps = [ts for xr in x for ts in win_taps(p, xr)]

    def tamper(g, vals):
        if g != gi:
            return
        i = next(i for i, ts in enumerate(taps) if any(rd for rd, _ in ts)
                 and not all(rd for rd, _ in ts) and vals["z"][i] < 15)
        vals["z"][i] += 1
        for t, (rd, _) in enumerate(taps[i]):
            vals["D"][t][i] += 1 if rd else 0
            vals["S"][t][i] = 0
        vals["S"][next(t for t, (rd, _) in enumerate(taps[i]) if not rd)][i] = 1

    with pytest.raises(VerificationError) as exc_info:
        verify_inference(m.prove(1, tamper=tamper), m.vk)
    assert exc_info.value.check == ROUND0_CHECK


def _selectors(name: str, gi: int, how: str):
    """A winmax's selectors at one output: a second one on another reading tap, none,
    or one at a padded output position (no tap reads there, outside Rg)."""
    m = model(name)
    p = m.doc["gadgets"][gi]["producer"]
    taps = [ts for xr in m.witness(1).tensor(p["x"]) for ts in win_taps(p, xr)]

    def tamper(g, vals):
        if g != gi:
            return
        if how == "padded":
            i = next(i for i, ts in enumerate(taps) if not any(rd for rd, _ in ts))
            vals["S"][0][i] = 1
            return
        i = next(i for i, ts in enumerate(taps) if sum(rd for rd, _ in ts) > 1)
        on = next(t for t, s in enumerate(vals["S"]) if s[i])
        if how == "none":
            vals["S"][on][i] = 0
        else:
            other = next(t for t, (rd, _) in enumerate(taps[i]) if rd and t != on)
            vals["S"][other][i] = 1
    return tamper


def test_winmax_difference_at_a_tap_outside_the_map_is_rejected():
    """D_t = V_t (z - X_t) is 0 at a tap that reads nothing (an overhanging ceil-mode
    window); a 1 there moves instance (a)'s claim E + sum_t c_t D_t."""
    m = model("ceil")
    p = m.doc["gadgets"][0]["producer"]
    taps = [ts for xr in m.witness(1).tensor(p["x"]) for ts in win_taps(p, xr)]
    i = next(i for i, ts in enumerate(taps) if any(rd for rd, _ in ts)
             and not all(rd for rd, _ in ts))
    t = next(t for t, (rd, _) in enumerate(taps[i]) if not rd)

    def tamper(g, vals):
        if g == 0:
            vals["D"][t][i] = 1
    with pytest.raises(VerificationError) as exc_info:
        verify_inference(m.prove(1, tamper=tamper), m.vk)
    assert exc_info.value.check == ROUND0_CHECK


@pytest.mark.parametrize("how", ["two", "none", "padded"])
def test_winmax_selector_count_is_rejected(how):
    """ceil: 3x3 outputs in a 4x4 layout, so padded positions exist."""
    m = model("ceil")
    with rejected("gadget.winmax.selectors"):
        verify_inference(m.prove(1, tamper=_selectors("ceil", 0, how)), m.vk)


def test_weight_outside_the_group_is_rejected():
    """Groups 2: the prover computes with (and claims) a weight outside output channel
    0's group; the key commits 0 there, so the opening of the model stack (stack 1 of the
    batch opening) fails."""
    m = model("groups")
    tensors = copy.deepcopy(m.tensors)
    row = tensors["W0"][0]
    col = 16 * 2 + 5  # input channel 2 (the other group), tap (1, 1)
    assert row[col] == 0
    row[col] = 2
    assert Witness(m.doc, tensors, m.inputs(1)).z[0] != m.witness(1).z[0]
    with pytest.raises(VerificationError) as exc_info:
        verify_inference(m.prove_as(m.doc, tensors=tensors), m.vk)
    assert exc_info.value.check == ROUND0_CHECK  # the model stack's (stack 1) BatchOpen


@pytest.mark.parametrize(("name", "gi"), [("transpose3x5", 1), ("concat3+5", 1)])
def test_swapped_rearranged_entries_are_rejected(name, gi):
    """Two real entries of different values swapped in the rearrange's output (its own
    columns consistent, the parts honest): sum E_k != acc(r_g)."""
    m = model(name)
    row = m.witness(1).z[gi][0]
    p = m.doc["gadgets"][gi]["producer"]
    from zkml.verifier.rearrange import layout_positions

    dsts = sorted(layout_positions(p["out_shape"]))
    a, b = next((a, b) for a in dsts for b in dsts if row[a] != row[b])

    def edit(stage, data):
        if stage == ("rearrange", gi):
            data = [list(r) for r in data]
            data[0][a], data[0][b] = data[0][b], data[0][a]
        return data

    with rejected("gadget.rearrange.parts"):
        verify_inference(m.prove(1, edit=edit), m.vk)
