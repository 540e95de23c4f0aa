"""nonlinear.md sections 8 and 9 with the reference prover: elementwise products (`mul`,
a SiLU-like `x * table(x)` and a product with the public input) at batch 1 and 3 and both
limb widths; cheating provers (a product changed in one element, before or after its
requantization) are rejected; every field of a mul proof is bound; the mul producer and
the 1024-tap limit of winsum / winmax parse strictly."""

from __future__ import annotations

import copy
import functools

import pytest
from edits import drop_key, edit_gadget, field_mutants, parse_doc, set_features, set_key
from keyed_model import KeyedModel
from mul_models import mul_model
from reference_model_key import model_stack
from reference_models import gadget

from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier import verify_inference
from zkml.verifier.field import R
from zkml.verifier.gadgets import acc_count as _acc_count
from zkml.verifier.gadgets import instance_evals
from zkml.verifier.gadgets import instance_table as _instances

Model = KeyedModel


@functools.cache
def mul(limb_bits: int = 8) -> Model:
    return Model(*mul_model(limb_bits=limb_bits))


def _rq(a: int, k: int) -> int:
    return (a + (1 << (k - 1))) >> k if k else a


# --- completeness -------------------------------------------------------------------


@pytest.mark.parametrize("limb_bits", [8, 16])
@pytest.mark.parametrize("batch", [1, 3])
def test_honest_mul_proofs_verify(batch, limb_bits):
    m = mul(limb_bits)
    st = verify_inference(m.prove(batch), m.vk)
    wit = m.witness(batch)
    assert st.batch == batch
    assert st.output == tuple(tuple(wit.z[4][b][:3]) for b in range(batch))
    rows = m.inputs(batch)
    for b in range(batch):  # the gadgets compute x * T(x) and input * that, requantized
        g = m.doc["gadgets"]
        x0 = wit.z[0][b][:4]
        t = [m.tensors["Tsig"][0][v + 8] for v in x0]
        assert wit.z[1][b][:4] == t
        z2 = [min(max(_rq(a * c, 2), g[2]["lo"]), g[2]["hi"]) for a, c in zip(x0, t, strict=True)]
        assert wit.z[2][b][:4] == z2
        z3 = [min(max(_rq(a * c, 3), g[3]["lo"]), g[3]["hi"]) for a, c in zip(rows[b], z2,
                                                                           strict=True)]
        assert wit.z[3][b][:4] == z3
    assert any(v < 0 for b in range(batch) for v in wit.z[2][b][:4])


def test_mul_instances_and_evals():
    c = mul().vk.circuit
    lay = c.layout(3)
    insts = _instances(c, lay)
    dense_group = [(k, gi) for k, gi, _ in insts if k in ("dense", "mul")]
    assert dense_group == [("dense", 0), ("mul", 2), ("mul", 3), ("dense", 4)]
    assert [n for k, _, n in insts if k == "mul"] == [lay.log_batch + 2] * 2
    g2, g3 = c.gadgets[2], c.gadgets[3]
    p2, p3 = g2.producer, g3.producer
    assert (p2.x, p2.y, p3.x, p3.y) == (0, 1, None, 2)
    assert _acc_count(c, g2) == len(g2.own) and _acc_count(c, g3) == len(g3.own)
    assert instance_evals(c, "mul", 2) == len(c.gadgets[0].u) + len(c.gadgets[1].u)
    assert instance_evals(c, "mul", 3) == len(g2.u)  # none for the input


# --- soundness ----------------------------------------------------------------------


def _product_edit(gi: int, b: int, i: int, delta: int):
    def edit(stage, data):
        if stage == ("mul", gi):
            data = [list(r) for r in data]
            data[b][i] += delta
        return data
    return edit


@pytest.mark.parametrize("gi", [2, 3])
@pytest.mark.parametrize("batch", [1, 3])
def test_mul_product_changed_in_one_element_is_rejected(gi, batch):
    """The prover requantizes a wrong product in one element (its own columns consistent
    with it): the dense-group instance's claim acc(r_g) is not sum eq X Y."""
    m = mul()
    g = m.doc["gadgets"][gi]
    honest = m.witness(batch)
    row = honest.z[gi][batch - 1]
    i = next(i for i in range(4) if g["lo"] < row[i] < g["hi"])  # not clamped
    edit = _product_edit(gi, batch - 1, i, 1 << g["shift"])
    wit = m.witness(batch, edit=edit)
    assert wit.z[gi] != honest.z[gi]
    with pytest.raises(VerificationError, match="inference sumcheck"):
        verify_inference(m.prove(batch, edit=edit), m.vk)


@pytest.mark.parametrize("gi", [2, 3])
def test_mul_output_changed_after_requantization_is_rejected(gi):
    def tamper(g, vals):
        if g == gi:
            vals["z"][0] += 1 if vals["z"][0] < m.doc["gadgets"][gi]["hi"] else -1

    m = mul()
    with pytest.raises(VerificationError, match="inference sumcheck round 0"):
        verify_inference(m.prove(1, tamper=tamper), m.vk)


def test_mul_operand_changed_is_rejected():
    """The table output (mul's y) changed in one element: the lookup catches it, and the
    mul instance still reads the changed y."""
    def tamper(g, vals):
        if g == 1:
            vals["z"][2] ^= 1

    m = mul()
    with pytest.raises(VerificationError, match="logup group 1: the fractions do not sum"):
        verify_inference(m.prove(1, tamper=tamper), m.vk)


def _bump_stage(stage_name, i):
    def edit(stage, data):
        if stage == stage_name:
            data = list(data)
            data[i] = (data[i] + 1) % R
        return data
    return edit


@pytest.mark.parametrize(("stage", "i"), [(("acc", 2), 0), (("acc", 3), 0),
                                          ("sumcheck-evals", 0)])
def test_edited_mul_messages_are_rejected(stage, i):
    m = mul()
    with pytest.raises(VerificationError):
        verify_inference(m.prove(1, edit=_bump_stage(stage, i)), m.vk)


def test_every_mul_proof_field_is_bound():
    """Each field of one mul proof mutated in turn: every Fr of every vector and of the
    sumcheck, every root and layer element of the LogUp trees, one byte of the rest."""
    m = mul()
    parts: list = []
    data = m.prove(1, parts=parts)
    assert verify_inference(data, m.vk)
    mutants = field_mutants(data, parts)
    assert len(mutants) > 100
    for name, bad in mutants:
        with pytest.raises(VerificationError):
            verify_inference(bad, m.vk)
            pytest.fail(f"mutated {name} accepted")


# --- strict parsing -----------------------------------------------------------------




def _mut(gi, f):
    return edit_gadget(mul().doc, gi, f)








def test_mul_circuit_parses():
    c = parse_doc(copy.deepcopy(mul().doc))
    assert [g.op for g in c.gadgets] == ["dense", "table", "mul", "mul", "dense"]


@pytest.mark.parametrize(
    ("gi", "f", "match"),
    [
        (2, drop_key("y"), "missing keys \\['y'\\]"),
        (2, drop_key("x"), "missing keys \\['x'\\]"),
        (2, set_key("signs", [1, 1]), "unknown keys \\['signs'\\]"),
        (2, set_key("lshift", 0), "unknown keys \\['lshift'\\]"),
        (2, set_key("y", 2), "is not an earlier gadget"),
        (2, set_key("x", 5), "is not an earlier gadget"),
        (2, set_key("y", -1), "is not an earlier gadget"),
        (2, set_key("y", "1"), "must be \"input\" or a gadget index"),
        (2, set_key("y", True), "must be \"input\" or a gadget index"),
        (2, set_key("x", None), "must be \"input\" or a gadget index"),
        (3, set_key("y", 4), "is not an earlier gadget"),
        (2, set_features(2), "mul inputs have 4 and 4 features, expected 2"),
        (2, set_features(8), "mul inputs have 4 and 4 features, expected 8"),
    ],
)
def test_mul_producer_parses_strictly(gi, f, match):
    with pytest.raises(ProofFormatError, match=match):
        parse_doc(_mut(gi, f))


def _width_doc(wx: int, wy: int) -> dict:
    """input (4) -> g0 dense wx -> g1 dense wy -> g2 mul(g0, g1) of 4 features -> dense."""
    tensors = {"A": [[1] * 4] * wx, "B": [[1] * 4] * wy, "C": [[1] * 4]}
    ms, _ = model_stack(tensors)
    gads = [
        gadget({"op": "dense", "x": "input", "weight": "A", "bias": None, "bias_shift": 0},
               wx, 0, -64, 63, 0, 0),
        gadget({"op": "dense", "x": "input", "weight": "B", "bias": None, "bias_shift": 0},
               wy, 0, -64, 63, 0, 0),
        gadget({"op": "mul", "x": 0, "y": 1}, 4, 6, -64, 63, 0, 0),
        gadget({"op": "dense", "x": 2, "weight": "C", "bias": None, "bias_shift": 0},
               1, 0, -64, 63, 0, 0),
    ]
    return {"format": "zkml-circuit", "version": 1, "limb_bits": 8,
            "input": {"features": 4, "bits": 4, "frac_bits": 0, "shape": None},
            "output": {"gadget": 3, "features": 1, "argmax": False}, "gadgets": gads,
            "model_stack": ms}


@pytest.mark.parametrize(("wx", "wy"), [(4, 2), (2, 4), (8, 4), (4, 1), (1, 4), (4, 3)])
def test_mul_operand_widths_must_equal_features(wx, wy):
    parse_doc(_width_doc(4, 4))
    with pytest.raises(ProofFormatError, match=f"mul inputs have {wx} and {wy} features"):
        parse_doc(_width_doc(wx, wy))


def test_mul_of_the_input_needs_its_width():
    doc = _width_doc(4, 4)
    doc["input"]["features"] = 3
    for t in doc["model_stack"]["tensors"]:
        if t["name"] in ("A", "B"):
            t["cols"] = 3
    doc["gadgets"][2]["producer"] = {"op": "mul", "x": "input", "y": 1}
    with pytest.raises(ProofFormatError, match="mul inputs have 3 and 4 features"):
        parse_doc(doc)


# --- nonlinear.md 9: at most 1024 window taps ---------------------------------------


def _window_doc(op: str, kernel: list[int]) -> dict:
    """input [1, S..] (the window's own size) -> g0 op with one output -> dense 1."""
    in_shape = [1, *kernel]
    n_in = 1
    for k in kernel:
        n_in *= k
    tensors = {"W": [[1]]}
    ms, _ = model_stack(tensors)
    k = len(kernel)
    extra = {"lshift": 0} if op == "winsum" else {"diff_bits": 8}
    prod = {"op": op, "x": "input", "in_shape": in_shape, "out_shape": [1] + [1] * k,
            "kernel": kernel, "strides": [1] * k, "dilations": [1] * k, "pads": [0] * k,
            **extra}
    gads = [
        gadget(prod, 1, 0, -128, 127, 0, 0),
        gadget({"op": "dense", "x": 0, "weight": "W", "bias": None, "bias_shift": 0},
               1, 0, -128, 127, 0, 0),
    ]
    return {"format": "zkml-circuit", "version": 1, "limb_bits": 8,
            "input": {"features": n_in, "bits": 8, "frac_bits": 0, "shape": in_shape},
            "output": {"gadget": 1, "features": 1, "argmax": False}, "gadgets": gads,
            "model_stack": ms}


@pytest.mark.parametrize("op", ["winsum", "winmax"])
@pytest.mark.parametrize("kernel", [[1024], [32, 32], [2, 512], [1, 1024]])
def test_windows_of_1024_taps_parse(op, kernel):
    c = parse_doc(_window_doc(op, kernel))
    assert c.gadgets[0].producer.window.taps == 1024


@pytest.mark.parametrize("op", ["winsum", "winmax"])
@pytest.mark.parametrize("kernel", [[1025], [5, 205], [41, 25], [32, 33], [1024, 2]])
def test_windows_of_more_than_1024_taps_are_refused(op, kernel):
    taps = kernel[0] * (kernel[1] if len(kernel) > 1 else 1)
    with pytest.raises(ProofFormatError, match=f"{op} has {taps} taps, more than 1024"):
        parse_doc(_window_doc(op, kernel))
