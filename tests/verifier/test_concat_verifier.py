"""nonlinear.md sections 10 and 11 with the reference prover: adding a constant (on a
gadget and on the input) and concatenation along channels (spatial parts of C = 3 and 5,
and a flat concat of the input and gadgets) at batch 1 and 3 and both limb widths;
cheating provers (a concat or addconst output changed, a wrong split of the parts' sum,
a claim on another constant tensor) are rejected; every field of a concat proof is
bound; the addconst and concat producers parse strictly."""

from __future__ import annotations

import copy
import functools

import pytest
from cheats import rejected
from concat_models import channel_model, flat_model
from edits import drop_key, edit_gadget, parse_doc, set_features, set_key
from keyed_model import KeyedModel
from reference_models import gadget

from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier import verify_inference
from zkml.verifier.field import R
from zkml.verifier.gadgets import acc_count as _acc_count
from zkml.verifier.gadgets import instance_evals
from zkml.verifier.gadgets import instance_table as _instances

Model = KeyedModel


@functools.cache
def channel(limb_bits: int = 8) -> Model:
    return Model(*channel_model(limb_bits=limb_bits))


@functools.cache
def flat(limb_bits: int = 8) -> Model:
    return Model(*flat_model(limb_bits=limb_bits))


MODELS = {"channel": channel, "flat": flat}


def _rq(a: int, k: int) -> int:
    return (a + (1 << (k - 1))) >> k if k else a


def _clamp(v: int, g: dict) -> int:
    return min(max(v, g["lo"]), g["hi"])


# --- completeness -------------------------------------------------------------------


@pytest.mark.parametrize("limb_bits", [8, 16])
@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("name", ["channel", "flat"])
def test_honest_proofs_verify(name, batch, limb_bits):
    m = MODELS[name](limb_bits)
    st = verify_inference(m.prove(batch), m.vk)
    out = m.doc["output"]
    wit = m.witness(batch)
    assert st.batch == batch
    assert st.output == tuple(tuple(wit.z[out["gadget"]][b][: out["features"]])
                              for b in range(batch))


def test_channel_concat_layout():
    """g1 = concat(input [3, 2, 3], g0 [5, 2, 3]); g2 = concat(g0, input, g0), C = 13:
    channel c of the output is channel c - off_k of part k, channels >= C are 0."""
    m = channel()
    wit = m.witness(3)
    g = m.doc["gadgets"]
    for b in range(3):
        x, z0 = wit.x_in[b], wit.z[0][b]
        ch = [x[c * 8 : c * 8 + 8] for c in range(3)]
        c0 = [z0[c * 8 : c * 8 + 8] for c in range(5)]
        z1 = [wit.z[1][b][c * 8 : c * 8 + 8] for c in range(8)]
        assert z1 == ch + c0
        z2 = [wit.z[2][b][c * 8 : c * 8 + 8] for c in range(16)]
        want = c0 + ch + c0
        assert z2[:13] == [[_clamp(_rq(v, 1), g[2]) for v in row] for row in want]
        assert z2[13:] == [[0] * 8] * 3


def test_flat_addconst_and_concat_values():
    m = flat()
    wit = m.witness(3)
    g, c0, c1 = m.doc["gadgets"], m.tensors["c0"][0], m.tensors["c1"][0]
    for b, row in enumerate(m.inputs(3)):
        z0 = wit.z[0][b][:3]
        assert wit.z[1][b][:3] == [_clamp(_rq((v << 1) + c, 1), g[1])
                                   for v, c in zip(z0, c0, strict=True)]
        assert wit.z[2][b][:3] == [_clamp((v << 2) + c, g[2])
                                   for v, c in zip(row, c1, strict=True)]
        assert wit.z[3][b] == row + wit.z[1][b][:3] + wit.z[2][b][:3] + [0] * 7


def test_instances_and_evals():
    c = channel().vk.circuit
    lay = c.layout(3)
    insts = _instances(c, lay)
    assert [(k, gi, n) for k, gi, n in insts if k.startswith("concat")] == [
        ("concat.0", 1, 2), ("concat.1", 1, 3),
        ("concat.0", 2, 3), ("concat.1", 2, 2), ("concat.2", 2, 3)]
    g1 = c.gadgets[1]
    assert g1.producer.parts == (None, 0) and _acc_count(c, g1) == len(g1.own)
    assert instance_evals(c, "concat.0", 1) == 0  # the input
    assert instance_evals(c, "concat.1", 1) == len(c.gadgets[0].u)
    assert [(a.n_out, a.n_in, a.k, a.pad) for a in c.gadgets[2].producer.axes] == [
        (13, 5, 1, 0), (13, 3, 1, 5), (13, 5, 1, 8)]
    f = flat().vk.circuit
    assert _acc_count(f, f.gadgets[1]) == len(f.gadgets[1].own) + len(f.gadgets[0].u) + 1
    assert _acc_count(f, f.gadgets[2]) == len(f.gadgets[2].own) + 1  # input: its MLE


# --- soundness ----------------------------------------------------------------------


def _acc_edit(stage_name, b: int, i: int, delta: int):
    def edit(stage, data):
        if stage == stage_name:
            data = [list(r) for r in data]
            data[b][i] += delta
        return data
    return edit


@pytest.mark.parametrize(("name", "gi", "i"), [("channel", 1, 9), ("channel", 2, 50),
                                               ("flat", 3, 5)])
@pytest.mark.parametrize("batch", [1, 3])
def test_concat_output_changed_in_one_element_is_rejected(name, gi, i, batch):
    """The prover's concat output differs in one element (its own columns consistent with
    it, the parts' values honest): sum E_k != acc(r_g)."""
    m = MODELS[name]()
    g = m.doc["gadgets"][gi]
    edit = _acc_edit(("concat", gi), batch - 1, i, 1 << g["shift"])
    assert m.witness(batch, edit=edit).z[gi] != m.witness(batch).z[gi]
    with rejected("gadget.concat.parts"):
        verify_inference(m.prove(batch, edit=edit), m.vk)


@pytest.mark.parametrize(("name", "gi"), [("channel", 1), ("channel", 2), ("flat", 3)])
def test_wrong_split_with_the_same_sum_is_rejected(name, gi):
    def edit(stage, data):
        if stage == ("concat-parts", gi):
            data = list(data)
            data[0] = (data[0] + 1) % R
            data[-1] = (data[-1] - 1) % R
        return data

    m = MODELS[name]()
    with pytest.raises(VerificationError, match="inference sumcheck"):
        verify_inference(m.prove(1, edit=edit), m.vk)


@pytest.mark.parametrize("gi", [1, 2])
@pytest.mark.parametrize("batch", [1, 3])
def test_addconst_output_changed_is_rejected(gi, batch):
    m = flat()
    g = m.doc["gadgets"][gi]
    edit = _acc_edit(("addconst", gi), batch - 1, 2, 1 << g["shift"])
    assert m.witness(batch, edit=edit).z[gi] != m.witness(batch).z[gi]
    with rejected("gadget.addconst.relation"):
        verify_inference(m.prove(batch, edit=edit), m.vk)


@pytest.mark.parametrize("gi", [1, 2, 3])
def test_output_changed_after_requantization_is_rejected(gi):
    def tamper(g, vals):
        if g == gi:
            vals["z"][0] += 1 if vals["z"][0] < m.doc["gadgets"][gi]["hi"] else -1

    m = flat()
    op = m.doc["gadgets"][gi]["producer"]["op"]
    match = "gadget.addconst.relation" if op == "addconst" else "gadget.concat.parts"
    with rejected(match):
        verify_inference(m.prove(1, tamper=tamper), m.vk)


@pytest.mark.parametrize(("gi", "other"), [(1, "c1"), (2, "c0")])
def test_claim_on_the_wrong_constant_tensor_is_rejected(gi, other):
    """The prover adds (and claims) another 1 x 4 model tensor: the model-stack opening
    at the constant's slot fails."""
    m = flat()
    assert m.witness(1, table_names={gi: other}).z[gi] != m.witness(1).z[gi]
    with pytest.raises(VerificationError, match=r"stack \d sumcheck"):  # the BatchOpen
        verify_inference(m.prove(1, table_names={gi: other}), m.vk)


def _bump_stage(stage_name, i):
    def edit(stage, data):
        if stage == stage_name:
            data = list(data)
            data[i] = (data[i] + 1) % R
        return data
    return edit


@pytest.mark.parametrize(("stage", "i"), [(("acc", 1), 0), (("acc", 1), -1), (("acc", 2), -1),
                                          (("acc", 3), 0), (("concat-parts", 3), 1),
                                          ("sumcheck-evals", 0)])
def test_edited_messages_are_rejected(stage, i):
    m = flat()
    with pytest.raises(VerificationError):
        verify_inference(m.prove(1, edit=_bump_stage(stage, i)), m.vk)


@pytest.mark.parametrize("name", ["flat", "channel"])
def test_every_concat_proof_field_is_bound(name):
    """Each field of one proof mutated in turn: every Fr of every vector (the concat parts
    included) and of the sumcheck, every root and layer element of the LogUp trees, one
    byte of the rest."""
    m = MODELS[name]()
    parts: list = []
    data = m.prove(1, parts=parts)
    assert verify_inference(data, m.vk)
    assert any(n.startswith("concat-parts") for n, _ in parts)
    head = len(data) - sum(len(b) for _, b in parts)
    mutants = []
    pos = head
    for pname, raw in parts:
        skip = 4 if pname.endswith("evals") or pname.startswith(("acc-evals", "concat")) else (
            8 if pname == "sumcheck" else None)
        if skip is not None:
            for k in range((len(raw) - skip) // 32):
                at = pos + skip + 32 * k
                v = (int.from_bytes(data[at : at + 32], "big") + 1) % R
                mutants.append((pname, data[:at] + v.to_bytes(32, "big") + data[at + 32 :]))
        elif pname == "logup":
            for at in range(pos + 4, pos + len(raw) - 31, 32):
                mutants.append((pname, data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]))
        else:
            at = pos + len(raw) - 1
            mutants.append((pname, data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]))
        pos += len(raw)
    assert sum(n.startswith("concat-parts") for n, _ in mutants) >= 2
    for pname, bad in mutants:
        with pytest.raises(VerificationError):
            verify_inference(bad, m.vk)
            pytest.fail(f"mutated {pname} accepted")


def test_truncated_or_extended_parts_are_rejected():
    m = flat()
    parts: list = []
    data = m.prove(1, parts=parts)
    head = len(data) - sum(len(b) for _, b in parts)
    pos = head
    for pname, raw in parts:
        if pname == "concat-parts 3":
            break
        pos += len(raw)
    n = int.from_bytes(data[pos : pos + 4], "big")
    assert n == 3
    for k in (2, 4):
        bad = data[:pos] + k.to_bytes(4, "big") + data[pos + 4 :]
        with pytest.raises(VerificationError):
            verify_inference(bad, m.vk)
    shorter = data[:pos] + (2).to_bytes(4, "big") + data[pos + 4 : pos + 4 + 64] + data[
        pos + 4 + 96 :]
    with pytest.raises(VerificationError):
        verify_inference(shorter, m.vk)


# --- strict parsing -----------------------------------------------------------------




def _mut(model, gi, f):
    return edit_gadget(model().doc, gi, f)








def _tensor_cols(name, cols):
    def f(p, g, doc):
        for t in doc["model_stack"]["tensors"]:
            if t["name"] == name:
                t["cols"] = cols
    return f


def test_circuits_parse():
    assert [g.op for g in parse_doc(copy.deepcopy(flat().doc)).gadgets] == [
        "dense", "addconst", "addconst", "concat", "dense"]
    c = parse_doc(copy.deepcopy(channel().doc))
    assert [g.op for g in c.gadgets] == ["conv", "concat", "concat", "dense"]
    assert c.gadgets[2].producer.shapes == ((5, 2, 3), (3, 2, 3), (5, 2, 3))


@pytest.mark.parametrize(
    ("gi", "f", "match"),
    [
        (1, drop_key("c"), "missing keys \\['c'\\]"),
        (1, drop_key("lshift"), "missing keys \\['lshift'\\]"),
        (1, drop_key("x"), "missing keys \\['x'\\]"),
        (1, set_key("y", 0), "unknown keys \\['y'\\]"),
        (1, set_key("x", 1), "is not an earlier gadget"),
        (1, set_key("x", None), "must be \"input\" or a gadget index"),
        (1, set_key("c", "nope"), "constant 'nope' is not a model tensor"),
        (1, set_key("c", ""), "c must be a non-empty string"),
        (1, set_key("c", 3), "c must be a non-empty string"),
        (1, set_key("c", "W0"), "constant 'W0' is 3x3, expected 1x3"),
        (1, _tensor_cols("c0", 4), "constant 'c0' is 1x4, expected 1x3"),
        (1, set_key("lshift", -1), "lshift = -1 outside \\[0, 64\\]"),
        (1, set_key("lshift", 65), "lshift = 65 outside \\[0, 64\\]"),
        (1, set_key("lshift", 1.0), "lshift must be an integer"),
        (1, set_key("lshift", True), "lshift must be an integer"),
        (1, set_features(4), "addconst input has width 3, expected 4"),
        (2, set_features(2), "addconst input has width 3, expected 2"),
    ],
)
def test_addconst_parses_strictly(gi, f, match):
    with pytest.raises(ProofFormatError, match=match):
        parse_doc(_mut(flat, gi, f))


@pytest.mark.parametrize(
    ("model", "gi", "f", "match"),
    [
        (flat, 3, drop_key("shapes"), "missing keys \\['shapes'\\]"),
        (flat, 3, drop_key("parts"), "missing keys \\['parts'\\]"),
        (flat, 3, set_key("x", 0), "unknown keys \\['x'\\]"),
        (flat, 3, set_key("parts", ["input"]), "parts must be a list of 2..64"),
        (flat, 3, set_key("parts", "input"), "parts must be a list of 2..64"),
        (flat, 3, set_key("parts", ["input"] * 65), "parts must be a list of 2..64"),
        (flat, 3, set_key("shapes", [[3], [3]]), "shapes must be a list of 3 shapes"),
        (flat, 3, set_key("shapes", {"a": 1}), "shapes must be a list of 3 shapes"),
        (flat, 3, set_key("parts", ["input", 1, 3]), "is not an earlier gadget"),
        (flat, 3, set_key("parts", ["input", 1, None]), "must be \"input\" or a gadget index"),
        (flat, 3, set_key("parts", ["input", 1, True]), "must be \"input\" or a gadget index"),
        (flat, 3, set_key("shapes", [[3], [3], [0]]), "outside \\[1, 1048576\\]"),
        (flat, 3, set_key("shapes", [[3], [3], 3]), "must be a list of 1 or 2 or 3 integers"),
        (flat, 3, set_key("shapes", [[3], [3], []]), "must be a list of 1 or 2 or 3 integers"),
        (flat, 3, set_key("shapes", [[3], [3], [3, 1, 1, 1]]), "1 or 2 or 3 integers"),
        (flat, 3, set_key("shapes", [[3], [3], [3.0]]), "must be an integer"),
        (flat, 3, set_key("shapes", [[3], [3], [2]]), "part 2 has width 3, shape \\[2\\] needs 2"),
        (flat, 3, set_key("shapes", [[3], [3], [4]]), "part 2 has width 3, shape \\[4\\] needs 4"),
        (flat, 3, set_key("shapes", [[4], [3], [3]]), "part 0 has width 3, shape \\[4\\] needs 4"),
        (flat, 3, set_key("shapes", [[3], [3], [3, 1]]), "other spatial dims"),
        (flat, 3, set_features(32), "concat features 32 != pad\\(C\\) prod pad\\(S\\) = 16"),
        (flat, 3, set_features(11), "concat features 11 != pad\\(C\\) prod pad\\(S\\) = 16"),
        (channel, 1, set_key("shapes", [[3, 2, 3], [5, 3, 2]]), "other spatial dims"),
        (channel, 1, set_key("shapes", [[3, 2, 3], [5, 2]]), "other spatial dims"),
        (channel, 1, set_key("shapes", [[3, 2, 3], [9, 2, 3]]), "part 1 has width 64"),
        (channel, 1, set_features(128), "concat features 128 != pad\\(C\\) prod pad\\(S\\) = 64"),
        (channel, 2, set_key("shapes", [[8, 2, 3], [3, 2, 3], [8, 2, 3]]),
         "concat features 128 != pad\\(C\\) prod pad\\(S\\) = 256"),
    ],
)
def test_concat_parses_strictly(model, gi, f, match):
    with pytest.raises(ProofFormatError, match=match):
        parse_doc(_mut(model, gi, f))


def test_concat_part_widths():
    """A flat part's width is C_k (nonlinear.md 11: a flat input of 3 features is a part
    of 3 channels); a spatial part may have more channels than C_k (pad(C_k) equal)."""
    c = parse_doc(copy.deepcopy(flat().doc))
    assert c.input_width == 3 and c.gadgets[3].producer.shapes == ((3,), (3,), (3,))
    doc = copy.deepcopy(channel().doc)
    doc["gadgets"][1]["producer"]["shapes"] = [[3, 2, 3], [6, 2, 3]]  # C = 9: 16 channels
    doc["gadgets"][1]["features"] = 16 * 8
    assert parse_doc(doc).gadgets[1].producer.shapes[1] == (6, 2, 3)


def _wide_doc(n: int) -> dict:
    """input (n, flat) -> g0 concat(input, input) -> g1 dense 1 (parse-only)."""
    ms = copy.deepcopy(flat().doc["model_stack"])
    ms["num_vars"], ms["log_cols"] = 21, 10
    ms["tensors"] = [{"name": "W", "rows": 1, "cols": 2 * n, "offset": 0}]
    gads = [gadget({"op": "concat", "parts": ["input", "input"], "shapes": [[n], [n]]},
                   2 * n, 0, -8, 7, 0, 0),
            gadget({"op": "dense", "x": 0, "weight": "W", "bias": None, "bias_shift": 0},
                   1, 0, -8, 7, 0, 0)]
    return {"format": "zkml-circuit", "version": 1, "limb_bits": 8,
            "input": {"features": n, "bits": 4, "frac_bits": 0, "shape": None},
            "output": {"gadget": 1, "features": 1, "argmax": False}, "gadgets": gads,
            "model_stack": ms}


def test_concat_offset_beyond_the_wiring_limit_is_refused():
    """off_k is the wiring axis's pad, at most 2^16 (wiring.md)."""
    assert parse_doc(_wide_doc(1 << 16)).gadgets[0].producer.axes[1].pad == 1 << 16
    with pytest.raises(ProofFormatError, match="concat part 1 wiring: .*pad = 131072 outside"):
        parse_doc(_wide_doc(1 << 17))
