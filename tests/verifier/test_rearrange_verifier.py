"""circuits/rearrange.md with the reference prover: transposes (a spatial tensor to flat
(H, W, C) order, a 4-dim view), a flat tensor reshaped into channels, concats along a
spatial axis and a three-part concat of a flat and two spatial tensors, width-1 parts
(0-variable instances), a per-channel value broadcast over a map, a choice between two
tensors by region, a flat rearrange as the output, at batch 1 and 3 and both limb
widths; cheating provers (parts skewed, two output entries swapped, a padded output
position set, every proof field mutated) are rejected; the index map agrees with the
reference's and Sel_k with the brute-force MLE of the selection matrix; the producer
parses strictly (blocks tiling the index space exactly, corners in range) and a spatial
rearrange is refused as the output."""

from __future__ import annotations

import copy
import functools
import random

import pytest
from cheats import rejected
from edits import drop_key, edit_gadget, field_mutants, parse_doc, set_features, set_key
from keyed_model import KeyedModel
from rearrange_models import (
    CHOICE_REGIONS,
    broadcast_model,
    choice_model,
    output_model,
    rearrange,
    reshape_model,
    spatial_model,
    three_model,
    tiny_model,
    transpose_model,
    view_blocks,
)
from reference_rearrange import layout_width, rearrange_map, views_map

from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier import verify_inference
from zkml.verifier.field import R, eq_table, mle_eval
from zkml.verifier.gadgets import acc_count as _acc_count
from zkml.verifier.gadgets import instance_evals
from zkml.verifier.gadgets import instance_table as _instances
from zkml.verifier.rearrange import Block, RearrangeSpec, layout_positions, selection_eval


class Model(KeyedModel):
    def rearranges(self) -> list[int]:
        return [gi for gi, g in enumerate(self.doc["gadgets"])
                if g["producer"]["op"] == "rearrange"]


BUILDERS = {"transpose": transpose_model, "reshape": reshape_model, "spatial": spatial_model,
            "three": three_model, "tiny": tiny_model, "broadcast": broadcast_model,
            "choice": choice_model, "output": output_model}


@functools.cache
def model(name: str, limb_bits: int = 8) -> Model:
    return Model(*BUILDERS[name](limb_bits=limb_bits))


# --- completeness -------------------------------------------------------------------


@pytest.mark.parametrize("limb_bits", [8, 16])
@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_honest_proofs_verify(name, batch, limb_bits):
    m = model(name, limb_bits)
    st = verify_inference(m.prove(batch), m.vk)
    out = m.doc["output"]
    wit = m.witness(batch)
    assert st.batch == batch
    assert st.output == tuple(tuple(wit.z[out["gadget"]][b][: out["features"]])
                              for b in range(batch))


def _channels(row: list[int], shape: list[int]) -> list:
    """A padded spatial row as nested lists over the real dims."""
    pads = [1 << (d - 1).bit_length() for d in shape]
    if len(shape) == 2:
        return [[row[c * pads[1] + s] for s in range(shape[1])] for c in range(shape[0])]
    return [[[row[(c * pads[1] + h) * pads[2] + w] for w in range(shape[2])]
             for h in range(shape[1])] for c in range(shape[0])]


def test_transpose_layouts():
    """g1 = g0 [5, 3, 2] in (H, W, C) order; g2 = input [3, 3, 2] as [W, C, H] = [2, 3, 3];
    g3 = g1 then g2's real entries in logical order, flat."""
    m = model("transpose")
    wit = m.witness(3)
    for b in range(3):
        x = _channels(wit.x_in[b], [3, 3, 2])
        z0 = _channels(wit.z[0][b], [5, 3, 2])
        assert wit.z[1][b] == [z0[c][h][w] for h in range(3) for w in range(2)
                               for c in range(5)] + [0] * 2
        z2 = _channels(wit.z[2][b], [2, 3, 3])
        assert z2 == [[[x[c][h][w] for h in range(3)] for c in range(3)] for w in range(2)]
        real2 = [v for ch in z2 for row in ch for v in row]
        assert wit.z[3][b] == wit.z[1][b][:30] + real2 + [0] * 16
        assert sum(map(abs, wit.z[2][b])) == sum(map(abs, real2))  # padding is 0


def test_reshape_and_spatial_concat_layouts():
    m = model("reshape")
    wit = m.witness(3)
    for b in range(3):
        flat = wit.z[0][b][:15]
        assert _channels(wit.z[1][b], [3, 5]) == [flat[5 * c : 5 * c + 5] for c in range(3)]
        assert sum(map(abs, wit.z[1][b])) == sum(map(abs, flat))
    m = model("spatial")
    wit = m.witness(3)
    for b in range(3):
        x = _channels(wit.x_in[b], [2, 3, 2])
        z0 = _channels(wit.z[0][b], [2, 3, 2])
        z1 = _channels(wit.z[1][b], [2, 6, 2])
        assert z1 == [x[c] + z0[c] for c in range(2)]
        assert _channels(wit.z[2][b], [2, 9, 2]) == [z1[c] + x[c] for c in range(2)]


def test_three_part_and_tiny_values():
    m = model("three")
    wit = m.witness(3)
    for b in range(3):
        x = _channels(wit.x_in[b], [2, 3, 3])
        z1 = _channels(wit.z[1][b], [3, 3, 3])
        want = (wit.z[0][b][:5] + [v for ch in x for r in ch for v in r]
                + [v for ch in z1 for r in ch for v in r])
        assert wit.z[2][b] == want + [0] * 14
    m = model("tiny")
    wit = m.witness(3)
    for b, row in enumerate(m.inputs(3)):
        z0 = wit.z[0][b][0]
        assert wit.z[1][b] == [z0, *row, z0, 0, 0, 0]


def test_broadcast_choice_and_output_values():
    m = model("broadcast")
    wit = m.witness(3)
    for b in range(3):
        c0, c1 = wit.z[0][b][:2]
        assert _channels(wit.z[1][b], [2, 3, 3]) == [[[c] * 3] * 3 for c in (c0, c1)]
        assert sum(map(abs, wit.z[1][b])) == 9 * (abs(c0) + abs(c1))  # padding is 0
    m = model("choice")
    wit = m.witness(3)
    for b in range(3):
        srcs = [_channels(wit.x_in[b], [2, 4, 4]), _channels(wit.z[0][b], [2, 4, 4])]
        want = [[[None] * 4 for _ in range(4)] for _ in range(2)]
        for k, a, n in CHOICE_REGIONS:
            for c in range(a[0], a[0] + n[0]):
                for h in range(a[1], a[1] + n[1]):
                    for w in range(a[2], a[2] + n[2]):
                        want[c][h][w] = srcs[k][c][h][w]
        assert _channels(wit.z[1][b], [2, 4, 4]) == want
    m = model("output")
    wit = m.witness(3)
    for b in range(3):
        z0 = _channels(wit.z[0][b], [3, 2, 3])
        assert wit.z[1][b] == [z0[c][h][w] for h in range(2) for w in range(3)
                               for c in range(3)] + [0] * 14


def test_instances_and_evals():
    c = model("three").vk.circuit
    insts = _instances(c, c.layout(3))
    assert [i for i in insts if i[0].startswith("rearrange")] == [
        ("rearrange.0", 2, 3), ("rearrange.1", 2, 5), ("rearrange.2", 2, 6)]
    g = c.gadgets[2]
    assert g.producer.parts == (0, None, 1) and _acc_count(c, g) == len(g.own)
    assert instance_evals(c, "rearrange.1", 2) == 0  # the input
    assert instance_evals(c, "rearrange.2", 2) == len(c.gadgets[1].u)
    t = model("tiny").vk.circuit
    assert [i for i in _instances(t, t.layout(1)) if i[0].startswith("rearrange")] == [
        ("rearrange.0", 1, 0), ("rearrange.1", 1, 2), ("rearrange.2", 1, 0)]


# --- the index map and Sel_k --------------------------------------------------------


def _spec(p: dict) -> RearrangeSpec:
    blocks = tuple(Block(b["part"], tuple(b["start"]), tuple(b["size"]), b["offset"],
                         tuple(b["strides"])) for b in p["blocks"])
    return RearrangeSpec(tuple(map(tuple, p["shapes"])), tuple(p["out_shape"]),
                         tuple(p["dims"]), blocks)


def _boxes(rng: random.Random, start: list[int], size: list[int], depth: int = 0) -> list:
    """A random exact tiling of the box (guillotine cuts)."""
    cuttable = [j for j, n in enumerate(size) if n > 1]
    if not cuttable or depth > 3 or rng.random() < 0.3:
        return [(start, size)]
    j = rng.choice(cuttable)
    cut = rng.randint(1, size[j] - 1)
    lo_size, hi_size, hi_start = list(size), list(size), list(start)
    lo_size[j], hi_size[j] = cut, size[j] - cut
    hi_start[j] += cut
    return (_boxes(rng, start, lo_size, depth + 1)
            + _boxes(rng, hi_start, hi_size, depth + 1))


def _random_producer(rng: random.Random) -> dict:
    """A random valid rearrange producer: an index space of 1..4 dims tiled by random
    boxes, each reading a random part with random strides (0 included: broadcasts) and
    offset; parts sized to hold every corner (some with unread entries), with random
    layouts (flat or spatial), a random output layout."""
    dims = [rng.randint(1, 4) for _ in range(rng.randint(1, 4))]
    n_parts = rng.randint(1, 3)
    blocks, need = [], [1] * n_parts
    for start, size in _boxes(rng, [0] * len(dims), dims):
        k = rng.randrange(n_parts)
        strides = [rng.choice([0, 1, 2, 3, 5, 7]) for _ in dims]
        offset = rng.randint(0, 4)
        corner = offset + sum((n - 1) * t for n, t in zip(size, strides, strict=True))
        need[k] = max(need[k], corner + 1)
        blocks.append({"part": k, "start": start, "size": size, "offset": offset,
                       "strides": strides})
    rng.shuffle(blocks)
    shapes = [_layout_of(rng, n + rng.randint(0, 2)) for n in need]
    return {"op": "rearrange", "parts": ["input"] * n_parts, "shapes": shapes,
            "out_shape": _layout_of(rng, _prod(dims)), "dims": dims, "blocks": blocks}


def _prod(v):
    out = 1
    for d in v:
        out *= d
    return out


def _layout_of(rng: random.Random, size: int) -> list[int]:
    divs = [d for d in range(1, size + 1) if size % d == 0]
    kind = rng.randrange(3)
    if kind == 0:
        return [size]
    c = rng.choice(divs)
    if kind == 1:
        return [c, size // c]
    s1 = rng.choice([d for d in divs if (size // c) % d == 0])
    return [c, s1, size // c // s1]


def _spec_map(spec: RearrangeSpec) -> list:
    return sorted((d, k, s) for k, (ds, ss) in enumerate(spec.index_map)
                  for d, s in zip(ds, ss, strict=True))


@pytest.mark.parametrize("seed", range(40))
def test_index_map_matches_the_reference(seed):
    p = _random_producer(random.Random(seed))
    spec = _spec(p)
    want = rearrange_map(p)
    assert _spec_map(spec) == sorted(want)
    # one source per real output position; every source a real position of its part
    assert sorted(d for d, _, _ in want) == sorted(layout_positions(spec.out_shape))
    for k, shape in enumerate(spec.shapes):
        assert {s for _, kk, s in want if kk == k} <= set(layout_positions(shape))
    # and the parser accepts it
    doc = _wide_doc([1], [1], 1, 1)
    doc["input"]["features"] = 64
    p["shapes"] = [[64]] * len(p["shapes"])
    for b in p["blocks"]:
        b["strides"] = [min(t, 2) for t in b["strides"]]
        b["offset"] = min(b["offset"], 2)
    p["out_shape"] = [_prod(p["dims"])]
    doc["gadgets"][0]["producer"] = p
    doc["gadgets"][0]["features"] = _prod(p["dims"])
    doc["model_stack"]["tensors"][0]["cols"] = _prod(p["dims"])
    assert _spec_map(parse_doc(doc).gadgets[0].producer.spec) == sorted(rearrange_map(p))


@pytest.mark.parametrize("seed", range(20))
def test_view_blocks_match_the_transpose_of_a_concat(seed):
    """The test models' producers (the first version's views, axis and perm as blocks)
    select what the first version's semantics selected."""
    rng = random.Random(300 + seed)
    m = rng.randint(1, 4)
    base = [rng.randint(1, 3) for _ in range(m)]
    axis = rng.randrange(m)
    views, shapes = [], []
    for _ in range(rng.randint(1, 3)):
        v = list(base)
        v[axis] = rng.randint(1, 3)
        views.append(v)
        shapes.append(_layout_of(rng, _prod(v)))
    perm = list(range(m))
    rng.shuffle(perm)
    out_shape = _layout_of(rng, sum(_prod(v) for v in views))
    dims, blocks = view_blocks(views, axis, perm)
    p = {"shapes": shapes, "out_shape": out_shape, "dims": dims, "blocks": blocks}
    assert sorted(rearrange_map(p)) == sorted(views_map(shapes, views, axis, perm, out_shape))
    assert _spec_map(_spec(p)) == sorted(rearrange_map(p))


def test_index_maps_of_the_models_match_the_reference():
    for name in BUILDERS:
        c = model(name).vk.circuit
        for gi in model(name).rearranges():
            got = _spec_map(c.gadgets[gi].producer.spec)
            assert got == sorted(rearrange_map(model(name).doc["gadgets"][gi]["producer"]))


@pytest.mark.parametrize("seed", range(12))
def test_selection_matches_the_brute_force_mle(seed):
    """Sel_k(r_o, s) is the MLE of the 0/1 matrix Sel_k[o][i] (o over pad(features), i over
    pad(width_k)) at (r_o, s)."""
    rng = random.Random(100 + seed)
    p = _random_producer(rng)
    spec = _spec(p)
    n_o = (layout_width(p["out_shape"]) - 1).bit_length()
    r_o = [rng.randrange(R) for _ in range(n_o)]
    e_out = eq_table(r_o)
    for k, shape in enumerate(p["shapes"]):
        n_i = (layout_width(shape) - 1).bit_length()
        assert spec.part_vars(k) == n_i
        matrix = [0] * (1 << (n_i + n_o))
        for d, kk, src in rearrange_map(p):
            if kk == k:
                matrix[(d << n_i) | src] = 1
        s = [rng.randrange(R) for _ in range(n_i)]
        assert selection_eval(spec, k, e_out, s) == mle_eval(matrix, [*s, *r_o])
        # on the hypercube it is the matrix itself
        o = rng.randrange(1 << n_o)
        i = rng.randrange(1 << n_i)
        bits_o = [(o >> j) & 1 for j in range(n_o)]
        bits_i = [(i >> j) & 1 for j in range(n_i)]
        assert selection_eval(spec, k, eq_table(bits_o), bits_i) == matrix[(o << n_i) | i]


# --- soundness ----------------------------------------------------------------------


def _acc_edit(gi: int, f):
    def edit(stage, data):
        if stage == ("rearrange", gi):
            data = [list(r) for r in data]
            f(data)
        return data
    return edit


@pytest.mark.parametrize(("name", "gi"), [("transpose", 1), ("transpose", 2), ("transpose", 3),
                                          ("reshape", 1), ("spatial", 2), ("three", 2),
                                          ("tiny", 1), ("broadcast", 1), ("choice", 1),
                                          ("output", 1)])
@pytest.mark.parametrize("batch", [1, 3])
def test_swapped_output_entries_are_rejected(name, gi, batch):
    """Two real output entries with different values swapped (z and acc consistent, the
    parts' values honest): sum E_k != acc(r_g)."""
    m = model(name)
    p = m.doc["gadgets"][gi]["producer"]
    dsts = sorted(layout_positions(p["out_shape"]))
    row = m.witness(batch).z[gi][batch - 1]
    a, b = next((a, b) for a in dsts for b in dsts if row[a] != row[b])

    def swap(data):
        data[batch - 1][a], data[batch - 1][b] = data[batch - 1][b], data[batch - 1][a]

    edit = _acc_edit(gi, swap)
    assert m.witness(batch, edit=edit).z[gi] != m.witness(batch).z[gi]
    with rejected("gadget.rearrange.parts"):
        verify_inference(m.prove(batch, edit=edit), m.vk)


@pytest.mark.parametrize(("name", "gi"), [("transpose", 1), ("transpose", 2), ("reshape", 1),
                                          ("spatial", 1), ("three", 2), ("tiny", 1),
                                          ("broadcast", 1), ("output", 1)])
@pytest.mark.parametrize("batch", [1, 3])
def test_padded_output_position_set_is_rejected(name, gi, batch):
    m = model(name)
    g = m.doc["gadgets"][gi]
    real = set(layout_positions(g["producer"]["out_shape"]))
    f = max(set(range(1 << (g["features"] - 1).bit_length())) - real)

    def set_one(data):
        data[0][f] = 1

    edit = _acc_edit(gi, set_one)
    assert m.witness(batch, edit=edit).z[gi][0][f] == 1
    with rejected("gadget.rearrange.parts"):
        verify_inference(m.prove(batch, edit=edit), m.vk)


def _parts_edit(gi: int, f):
    def edit(stage, data):
        if stage == ("rearrange-parts", gi):
            data = list(data)
            f(data)
        return data
    return edit


@pytest.mark.parametrize(("name", "gi"), [("transpose", 3), ("spatial", 1), ("spatial", 2),
                                          ("three", 2), ("tiny", 1), ("choice", 1)])
@pytest.mark.parametrize("d", [1, 12345])
def test_skewed_parts_with_the_same_sum_are_rejected(name, gi, d):
    def skew(data):
        data[0] = (data[0] + d) % R
        data[1] = (data[1] - d) % R

    m = model(name)
    with pytest.raises(VerificationError, match="inference sumcheck"):
        verify_inference(m.prove(1, edit=_parts_edit(gi, skew)), m.vk)


@pytest.mark.parametrize(("name", "gi"), [("transpose", 1), ("tiny", 1), ("broadcast", 1)])
def test_one_part_off_is_rejected(name, gi):
    def bump(data):
        data[-1] = (data[-1] + 1) % R

    m = model(name)
    with rejected("gadget.rearrange.parts"):
        verify_inference(m.prove(1, edit=_parts_edit(gi, bump)), m.vk)


@pytest.mark.parametrize("gi", [1, 3])
def test_output_changed_after_requantization_is_rejected(gi):
    def tamper(g, vals):
        if g == gi:
            vals["z"][0] += 1 if vals["z"][0] < 7 else -1

    m = model("transpose")
    with rejected("gadget.rearrange.parts"):
        verify_inference(m.prove(1, tamper=tamper), m.vk)


@pytest.mark.parametrize("name", ["tiny", "spatial", "three", "broadcast", "choice"])
def test_every_rearrange_proof_field_is_bound(name):
    """Each field of one proof mutated in turn: every Fr of every vector (the rearrange
    parts included) and of the sumcheck, every root and layer element of the LogUp
    trees, one byte of the rest."""
    m = model(name)
    parts: list = []
    data = m.prove(1, parts=parts)
    assert verify_inference(data, m.vk)
    assert any(n.startswith("rearrange-parts") for n, _ in parts)
    mutants = field_mutants(data, parts)
    want = 1 if name == "broadcast" else 2  # one part: one E_k
    assert sum(n.startswith("rearrange-parts") for n, _ in mutants) >= want
    for pname, bad in mutants:
        with pytest.raises(VerificationError):
            verify_inference(bad, m.vk)
            pytest.fail(f"mutated {pname} accepted")


def test_truncated_or_extended_parts_are_rejected():
    m = model("three")
    parts: list = []
    data = m.prove(1, parts=parts)
    pos = len(data) - sum(len(b) for _, b in parts)
    for pname, raw in parts:
        if pname == "rearrange-parts 2":
            break
        pos += len(raw)
    assert int.from_bytes(data[pos : pos + 4], "big") == 3
    for k in (0, 2, 4, 1 << 31):
        bad = data[:pos] + k.to_bytes(4, "big") + data[pos + 4 :]
        with pytest.raises(VerificationError):
            verify_inference(bad, m.vk)
    shorter = data[:pos] + (2).to_bytes(4, "big") + data[pos + 4 : pos + 68] + data[pos + 100 :]
    with pytest.raises(VerificationError):
        verify_inference(shorter, m.vk)


# --- strict parsing -----------------------------------------------------------------




def _mut(name, gi, f):
    return edit_gadget(model(name).doc, gi, f)








def test_circuits_parse():
    c = parse_doc(copy.deepcopy(model("transpose").doc))
    assert [g.op for g in c.gadgets] == ["conv", "rearrange", "rearrange", "rearrange", "dense"]
    g = c.gadgets[2]
    assert g.producer.parts == (None,) and g.producer.shapes == ((3, 3, 2),)
    assert g.producer.spec == RearrangeSpec(((3, 3, 2),), (2, 3, 3), (2, 3, 3, 1),
                                            (Block(0, (0, 0, 0, 0), (2, 3, 3, 1), 0,
                                                   (1, 6, 2, 2)),))
    b = parse_doc(copy.deepcopy(model("broadcast").doc)).gadgets[1].producer.spec
    assert b.blocks == (Block(0, (0, 0, 0), (2, 3, 3), 0, (1, 0, 0)),)


def _block(b, key, value):
    def f(p, g, doc):
        p["blocks"][b][key] = value
    return f


def _blocks(blocks):
    return set_key("blocks", blocks)


def _box(part, start, size, offset, strides):
    return {"part": part, "start": start, "size": size, "offset": offset,
            "strides": strides}


#: choice_model's g1: dims [2, 4, 4], parts input and g0 (32 real entries each)
_ROW = [16, 4, 1]


@pytest.mark.parametrize(
    ("name", "gi", "f", "match"),
    [
        ("three", 2, drop_key("dims"), "missing keys \\['dims'\\]"),
        ("three", 2, drop_key("blocks"), "missing keys \\['blocks'\\]"),
        ("three", 2, drop_key("out_shape"), "missing keys \\['out_shape'\\]"),
        ("three", 2, set_key("views", [[5], [18], [27]]), "unknown keys \\['views'\\]"),
        ("three", 2, set_key("x", 0), "unknown keys \\['x'\\]"),
        ("three", 2, set_key("parts", []), "parts must be a list of 1..64"),
        ("three", 2, set_key("parts", "input"), "parts must be a list of 1..64"),
        ("three", 2, set_key("parts", ["input"] * 65), "parts must be a list of 1..64"),
        ("three", 2, set_key("parts", [0, "input", 2]), "is not an earlier gadget"),
        ("three", 2, set_key("parts", [0, None, 1]), "must be \"input\" or a gadget index"),
        ("three", 2, set_key("parts", [0, "input", 1.0]), "must be \"input\" or a gadget index"),
        ("three", 2, set_key("shapes", [[5], [2, 3, 3]]), "shapes must be a list of 3 layouts"),
        ("three", 2, set_key("shapes", [[5], [2, 3, 3], []]), "1 or 2 or 3 integers"),
        ("three", 2, set_key("shapes", [[5], [2, 3, 3], [3, 3, 3, 1]]), "1 or 2 or 3 integers"),
        ("three", 2, set_key("shapes", [[5.0], [2, 3, 3], [3, 3, 3]]), "must be an integer"),
        ("three", 2, set_key("shapes", [[0], [2, 3, 3], [3, 3, 3]]), "outside \\[1, 1048576\\]"),
        # widths of parts against their layouts
        ("three", 2, set_key("shapes", [[4], [2, 3, 3], [3, 3, 3]]),
         "part 0 has width 5, layout \\[4\\] needs 4"),
        ("three", 2, set_key("shapes", [[5], [18], [3, 3, 3]]),
         "part 1 has width 32, layout \\[18\\] needs 18"),
        ("three", 2, set_key("shapes", [[5], [2, 3, 3], [27]]),
         "part 2 has width 64, layout \\[27\\] needs 27"),
        # a layout of the same width with fewer real entries: block 2's corner is 26
        ("three", 2, set_key("shapes", [[5], [2, 3, 3], [1, 5, 5]]),
         "blocks\\[2\\] reads index 26 of part 2, which has 25 real entries"),
        # the output and the index space
        ("three", 2, set_key("out_shape", [49]), "features 50 != width of out_shape \\[49\\]"),
        ("three", 2, set_key("out_shape", [5, 10]), "features 50 != width of out_shape"),
        ("three", 2, set_key("out_shape", [50, 1, 1, 1]), "1 or 2 or 3 integers"),
        ("three", 2, set_key("out_shape", None), "1 or 2 or 3 integers"),
        ("three", 2, set_features(64), "features 64 != width of out_shape \\[50\\] = 50"),
        ("spatial", 1, set_features(24), "features 24 != width of out_shape \\[2, 6, 2\\] = 32"),
        ("three", 2, set_key("dims", [49]), "dims \\[49\\] has 49 entries, out_shape \\[50\\] "
         "has 50"),
        ("three", 2, set_key("dims", []), "1 or 2 or 3 or 4 or 5 or 6 integers"),
        ("three", 2, set_key("dims", [50, 1, 1, 1, 1, 1, 1]),
         "1 or 2 or 3 or 4 or 5 or 6 integers"),
        ("three", 2, set_key("dims", [50, 0]), "outside \\[1, 1048576\\]"),
        ("three", 2, set_key("dims", [True]), "must be an integer"),
        ("three", 2, set_key("dims", 50), "1 or 2 or 3 or 4 or 5 or 6 integers"),
        ("three", 2, set_key("dims", [1 << 20, 1 << 20, 1 << 20]), "has 1152921504606846976 "
         "entries"),
        ("three", 2, set_key("dims", [5, 10]), "blocks\\[0\\] start must be a list of 2"),
        # blocks: the list and each object
        ("three", 2, _blocks([]), "blocks must be a list of 1..4096 blocks"),
        ("three", 2, _blocks(None), "blocks must be a list of 1..4096 blocks"),
        ("three", 2, _blocks([_box(0, [0], [1], 0, [0])] * 4097),
         "blocks must be a list of 1..4096 blocks"),
        ("three", 2, _blocks([[0, [0], [50], 0, [1]]]), "blocks\\[0\\] must be an object"),
        ("three", 2, _block(1, "extra", 0), "blocks\\[1\\]: missing keys \\[\\], unknown "
         "keys \\['extra'\\]"),
        ("three", 2, lambda p, g, doc: p["blocks"][1].pop("offset"),
         "blocks\\[1\\]: missing keys \\['offset'\\]"),
        ("three", 2, _block(1, "part", 3), "blocks\\[1\\] part = 3 outside \\[0, 2\\]"),
        ("three", 2, _block(1, "part", -1), "blocks\\[1\\] part = -1 outside"),
        ("three", 2, _block(1, "part", "1"), "blocks\\[1\\] part must be an integer"),
        ("three", 2, _block(1, "part", True), "blocks\\[1\\] part must be an integer"),
        ("three", 2, _block(1, "start", [5, 0]), "start must be a list of 1 integers"),
        ("three", 2, _block(1, "start", 5), "start must be a list of 1 integers"),
        ("three", 2, _block(1, "size", []), "size must be a list of 1 integers"),
        ("three", 2, _block(1, "strides", [1, 1]), "strides must be a list of 1 integers"),
        ("three", 2, _block(1, "start", [50]), "start\\[0\\] = 50 outside \\[0, 49\\]"),
        ("three", 2, _block(1, "start", [-1]), "start\\[0\\] = -1 outside"),
        ("three", 2, _block(1, "start", [5.0]), "start\\[0\\] must be an integer"),
        ("three", 2, _block(1, "size", [0]), "size\\[0\\] = 0 outside \\[1, 45\\]"),
        ("three", 2, _block(1, "size", [46]), "size\\[0\\] = 46 outside \\[1, 45\\]"),
        ("three", 2, _block(1, "strides", [-1]), "strides\\[0\\] = -1 outside "
         "\\[0, 2147483647\\]"),
        ("three", 2, _block(1, "strides", [1 << 31]), "strides\\[0\\] = 2147483648 outside"),
        ("three", 2, _block(1, "strides", [False]), "strides\\[0\\] must be an integer"),
        ("three", 2, _block(1, "offset", 1 << 31), "offset = 2147483648 outside "
         "\\[0, 2147483647\\]"),
        ("three", 2, _block(1, "offset", -1), "offset = -1 outside"),
        ("three", 2, _block(1, "offset", 0.0), "offset must be an integer"),
        # a corner out of range (offset, stride, or a huge stride that would not fit)
        ("three", 2, _block(1, "offset", 1), "blocks\\[1\\] reads index 18 of part 1, which "
         "has 18 real entries"),
        ("three", 2, _block(1, "strides", [2]), "blocks\\[1\\] reads index 34 of part 1"),
        ("three", 2, _block(0, "strides", [(1 << 31) - 1]), "blocks\\[0\\] reads index "
         "8589934588 of part 0, which has 5"),
        ("choice", 1, _block(2, "offset", 27), "blocks\\[2\\] reads index 32 of part 0, "
         "which has 32 real entries"),
        # the tiling: overlaps, gaps
        ("choice", 1, _block(1, "start", [0, 1, 0]), "blocks\\[1\\] overlaps an earlier "
         "block"),
        ("choice", 1, _block(3, "start", [1, 2, 1]), "blocks\\[3\\] overlaps an earlier "
         "block"),
        ("choice", 1, _block(1, "size", [2, 2, 1]), "blocks cover 28 indices, dims "
         "\\[2, 4, 4\\] has 32"),
        ("choice", 1, _block(1, "size", [2, 2, 3]), "blocks cover 36 indices"),
        ("choice", 1, lambda p, g, doc: p["blocks"].pop(), "blocks cover 28 indices"),
        # the same volume, a gap and an overlap: block 0 shifted by one row
        ("choice", 1, _blocks([_box(0, [0, 1, 0], [2, 2, 4], 0, _ROW),
                               _box(1, [0, 2, 0], [2, 2, 2], 0, _ROW),
                               _box(0, [0, 2, 2], [2, 2, 2], 0, _ROW)]),
         "blocks\\[1\\] overlaps an earlier block"),
        ("choice", 1, _blocks([_box(1, [0, 0, 0], [2, 4, 4], 0, _ROW),
                               _box(0, [0, 0, 0], [1, 1, 1], 0, _ROW)]),
         "blocks cover 33 indices"),
        ("choice", 1, _blocks([_box(1, [0, 0, 0], [2, 4, 4], 0, _ROW)] * 2),
         "blocks cover 64 indices"),
    ],
)
def test_rearrange_parses_strictly(name, gi, f, match):
    with pytest.raises(ProofFormatError, match=f"gadget {gi}.*{match}"):
        parse_doc(_mut(name, gi, f))


def test_tilings_in_any_order_and_broadcasts_parse():
    """The blocks may come in any order and split the index space anyhow; strides 0 and
    parts read twice or not at all are fine; an empty part read nowhere is fine."""
    def f(p, g, doc):
        p["blocks"] = [_box(1, [0, 2, 2], [2, 2, 2], 0, [0, 0, 0]),
                       _box(0, [0, 0, 0], [2, 2, 4], 31, [0, 0, 0]),
                       _box(1, [0, 2, 0], [2, 2, 2], 3, [5, 1, 7])]
    spec = parse_doc(_mut("choice", 1, f)).gadgets[1].producer.spec
    got = _spec_map(spec)
    assert len(got) == 32 and {k for _, k, _ in got} == {0, 1}
    assert _spec_map(spec) == sorted(rearrange_map(_mut("choice", 1, f)["gadgets"][1]
                                                   ["producer"]))


def test_equivalent_output_layout_with_the_same_width_parses():
    """out_shape [3, 8] or [2, 12] (24 entries) has the width of [2, 6, 2] (32): the layout
    is the producer's choice; the index map follows it."""
    for value in ([3, 8], [2, 12]):
        spec = parse_doc(_mut("spatial", 1, set_key("out_shape", value))).gadgets[1].producer.spec
        assert spec.out_shape == tuple(value)


def test_a_spatial_rearrange_is_not_the_output():
    """rearrange.md 5: a flat rearrange may be the output gadget, a spatial one not."""
    assert parse_doc(copy.deepcopy(model("output").doc)).output_gadget == 1
    for name, gi in [("choice", 1), ("broadcast", 1), ("spatial", 2), ("reshape", 1)]:
        doc = copy.deepcopy(model(name).doc)
        doc["gadgets"] = doc["gadgets"][: gi + 1]
        doc["output"] = {"gadget": gi, "features": doc["gadgets"][gi]["features"],
                         "argmax": False}
        if not any(g["producer"]["op"] in ("dense", "conv") for g in doc["gadgets"]):
            continue
        with pytest.raises(ProofFormatError, match=f"output.gadget {gi} is a rearrange with "
                           "spatial out_shape"):
            parse_doc(doc)
    # the same gadgets with a flat output layout are accepted
    doc = _mut("choice", 1, set_key("out_shape", [32]))
    doc["gadgets"] = doc["gadgets"][:2]
    doc["output"] = {"gadget": 1, "features": 32, "argmax": False}
    assert parse_doc(doc).gadgets[1].producer.spec.out_shape == (32,)


def _wide_doc(shape: list[int], out: list[int], features: int, n_in: int) -> dict:
    """input (flat n_in) -> g0 rearrange(input) -> g1 dense 1 (parse-only)."""
    ms = {"num_vars": 22, "log_cols": 11, "range_bits": 8,
          "tensors": [{"name": "W", "rows": 1, "cols": features, "offset": 0}]}
    gads = [rearrange(["input"], [shape], [[n_in]], 0, [0], out, features),
            {"producer": {"op": "dense", "x": 0, "weight": "W", "bias": None,
                          "bias_shift": 0}, "features": 1, "shift": 0, "divisor": 1,
             "lo": -8, "hi": 7, "excess_hi_bits": 0, "excess_lo_bits": 0, "frac_bits": 0,
             "source": "n"}]
    return {"format": "zkml-circuit", "version": 1, "limb_bits": 8,
            "input": {"features": n_in, "bits": 4, "frac_bits": 0, "shape": None},
            "output": {"gadget": 1, "features": 1, "argmax": False}, "gadgets": gads,
            "model_stack": ms}


def test_padded_widths_are_limited():
    n = 1 << 19
    assert parse_doc(_wide_doc([n], [n], n, n)).gadgets[0].features == n
    # 2^19 + 1 real entries padded to 2^20: fine; [2^19 + 1, 2] pads to 2^21
    m = n + 1
    assert parse_doc(_wide_doc([m], [1, m], 1 << 20, m)).gadgets[0].features == 1 << 20
    with pytest.raises(ProofFormatError, match="out_shape \\[2, 524289\\] has padded width "
                       "2097152 > 1048576"):
        parse_doc(_wide_doc([m], [2, m], 1 << 20, m))


_JUNK = [None, True, 0, 1, 2, 3, -1, 1.5, "input", "", [], [0], [1], [2, 1, 0], [[1]], [[]],
         {"a": 1}, 1 << 21, [1 << 21], [[1 << 21]]]


@pytest.mark.parametrize("seed", range(8))
def test_random_producer_mutations_fail_closed(seed):
    """Random values in random producer keys, whole-list entries and block fields (small
    integer nudges included): the parser either accepts a consistent producer or raises
    ProofFormatError, never anything else; an accepted producer's index map gives every
    real output position one source, a real entry of its part."""
    rng = random.Random(seed)
    for _ in range(80):
        name, gi = rng.choice([("three", 2), ("spatial", 1), ("spatial", 2), ("tiny", 1),
                               ("transpose", 2), ("broadcast", 1), ("choice", 1)])
        doc = copy.deepcopy(model(name).doc)
        p = doc["gadgets"][gi]["producer"]
        for _ in range(rng.randint(1, 3)):
            key = rng.choice(sorted(p))
            r = rng.random()
            blocks = p[key] if key == "blocks" and isinstance(p[key], list) else []
            if r < 0.7 and any(isinstance(b, dict) and b for b in blocks):
                b = rng.choice([b for b in blocks if isinstance(b, dict) and b])
                field = rng.choice(sorted(b))
                if isinstance(b[field], list) and b[field] and rng.random() < 0.7:
                    j = rng.randrange(len(b[field]))
                    b[field][j] = (b[field][j] + rng.choice([-1, 1, 2]) if rng.random() < 0.6
                                   else rng.choice(_JUNK))
                elif type(b[field]) is int and rng.random() < 0.6:
                    b[field] += rng.choice([-1, 1, 2])
                else:
                    b[field] = rng.choice(_JUNK)
            elif key != "op" and isinstance(p[key], list) and p[key] and r < 0.5:
                p[key][rng.randrange(len(p[key]))] = rng.choice(_JUNK)
            else:
                p[key] = rng.choice(_JUNK)
        try:
            g = parse_doc(doc).gadgets[gi]
        except ProofFormatError:
            continue
        spec = g.producer.spec
        got = sorted(d for ds, _ in spec.index_map for d in ds)
        assert got == sorted(layout_positions(spec.out_shape))
        for k, (_, ss) in enumerate(spec.index_map):
            assert set(ss) <= set(layout_positions(spec.shapes[k]))
        assert _spec_map(spec) == sorted(rearrange_map(p))
