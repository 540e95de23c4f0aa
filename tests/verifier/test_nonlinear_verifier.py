"""Function tables, constant divisors and spatial sums (circuits/nonlinear.md) end to end
with the reference prover: honest proofs verify; cheating provers (a wrong table output,
a wrong table multiplicity, a table claim on another model tensor, rem >= d,
rem + remc != d - 1, a wrong spatial sum, a spatial sum over a padded entry) are rejected
at the check that names them; every field of a proof with table gadgets is bound."""

from __future__ import annotations

import functools

import pytest
from cheats import rejected
from edits import bump, field_mutants
from keyed_model import KeyedModel
from nonlinear_models import table_model
from reference_cnn import build
from reference_inference import gadget
from reference_model_key import model_stack

from zkml.errors import VerificationError
from zkml.verifier import verify_inference
from zkml.verifier.gadgets import instance_table as _instances

Model = KeyedModel


@functools.cache
def tables(t_in=4, t_mid=6, divisor=3) -> Model:
    return Model(*table_model(t_in, t_mid, divisor=divisor))


def conv(oc, k, p=0, x=None):
    n = len(k)
    return ("conv", x, oc, list(k), [1] * n, [1] * n, [p] * n)


CNNS = {
    # 7x7 global average pool (divisor 49) of a padded conv, as the circuit's output
    "gap7x7": ([conv(3, (3, 3), p=1), ("dense", "input", 2), ("spatialsum", 0)], [2, 7, 7]),
    # 1-D spatial mean of the input (divisor 5), then a dense layer
    "gap1d": ([("spatialsum", "input"), ("dense", None, 3)], [3, 5]),
    # 2-D 3x6 mean (divisor 18) of a 1x1 conv, then a dense layer
    "gap3x6": ([conv(2, (1, 1)), ("spatialsum", None), ("dense", None, 2)], [2, 3, 6]),
    # a power-of-two region: shift 4, divisor 1
    "gap4x4": ([("spatialsum", "input"), ("dense", None, 2)], [2, 4, 4]),
}


@functools.cache
def cnn(name: str) -> Model:
    layers, shape = CNNS[name]
    return Model(*build(layers, shape))


# --- completeness -------------------------------------------------------------------


@pytest.mark.parametrize("batch", [1, 3])
def test_tables_from_the_input_and_a_gadget(batch):
    m = tables()
    kinds = [g["producer"]["op"] for g in m.doc["gadgets"]]
    assert kinds == ["table", "dense", "table", "dense"]
    assert m.doc["gadgets"][3]["divisor"] == 3
    m.check_honest(batch)


@pytest.mark.parametrize(("t", "batch"), [(4, 1), (5, 1), (6, 1), (7, 1), (8, 1), (4, 3),
                                          (8, 3)])
def test_table_fed_by_a_gadget(t, batch):
    m = tables(None, t)
    assert m.vk.circuit.table_bits == (t,)
    m.check_honest(batch)


@pytest.mark.parametrize(("t", "batch"), [(4, 1), (5, 1), (6, 1), (7, 1), (8, 1), (5, 3)])
def test_table_fed_by_the_input(t, batch):
    m = tables(t, None)
    assert m.vk.circuit.table_bits == (t,) and t == m.vk.circuit.input_bits
    m.check_honest(batch)


@pytest.mark.parametrize("batch", [1, 3])
def test_divisor_49(batch):
    m = tables(4, 6, 49)
    assert [len(m.vk.circuit.gadgets[3].rem), m.vk.circuit.gadgets[3].rem[0].width] == [1, 6]
    m.check_honest(batch)


@pytest.mark.parametrize("name", list(CNNS))
@pytest.mark.parametrize("batch", [1, 3])
def test_spatial_sums(name, batch):
    m = cnn(name)
    insts = _instances(m.vk.circuit, m.vk.circuit.layout(batch))
    assert "spatialsum" in [k for k, _, _ in insts]
    m.check_honest(batch)


def test_cnn_divisors():
    assert cnn("gap7x7").doc["gadgets"][2]["divisor"] == 49
    assert cnn("gap1d").doc["gadgets"][0]["divisor"] == 5
    assert cnn("gap3x6").doc["gadgets"][1]["divisor"] == 18
    g = cnn("gap4x4").doc["gadgets"][0]
    assert (g["divisor"], g["shift"]) == (1, 4)


# --- cheating provers ---------------------------------------------------------------


def _wrong_table_output(gi):
    def tamper(g, vals):
        if g == gi:
            z = vals["z"][1]
            vals["z"][1] = z + 1 if z < 20 else z - 1
    return tamper


def _rem_ge_d(gi, d, lo, hi, fix_remc):
    """At one entry with rem + d < 2^bits(d-1): rem += d and q -= 1 (acc unchanged, z
    follows the new q); remc is d - 1 - rem (negative) or, with `fix_remc`, an in-range 0."""
    def tamper(g, vals):
        if g != gi:
            return
        width = (d - 1).bit_length()
        i = next(i for i, r in enumerate(vals["rem"]) if r + d < 1 << width)
        vals["rem"][i] += d
        vals["q"][i] -= 1
        q = vals["q"][i]
        vals["remc"][i] = 0 if fix_remc else d - 1 - vals["rem"][i]
        vals["z"][i] = min(max(q, lo), hi)
        vals["ep"][i], vals["em"][i] = max(q - hi, 0), max(lo - q, 0)
    return tamper


def _remc_off(gi):
    def tamper(g, vals):
        if g == gi:
            i = next(i for i, r in enumerate(vals["remc"]) if r < 2)
            vals["remc"][i] += 1
    return tamper


def _mult_moved(gi):
    def edit(stage, data):
        if stage != ("table-mult", gi):
            return data
        data = list(data)
        j = next(j for j, v in enumerate(data) if v)
        data[j] -= 1
        data[(j + 1) % len(data)] += 1
        return data
    return edit


def _table_group_rejects(gi: int) -> str:
    """Table gadgets 0 and 2 have LogUp groups 1 and 2 (group 0 is the range table)."""
    return f"logup group {1 + gi // 2}: the fractions do not sum to zero"


def test_wrong_table_output_is_rejected():
    for gi in (0, 2):  # the input's table and the gadget's
        with pytest.raises(VerificationError, match=_table_group_rejects(gi)):
            verify_inference(tables().prove(1, tamper=_wrong_table_output(gi)), tables().vk)


def test_wrong_table_multiplicity_is_rejected():
    for gi in (0, 2):
        with pytest.raises(VerificationError, match=_table_group_rejects(gi)):
            verify_inference(tables().prove(1, edit=_mult_moved(gi)), tables().vk)


def test_table_claim_on_another_model_tensor_is_rejected():
    """The prover looks z up in "Tdecoy" (a model tensor of the same size) and opens its
    T(rho_gt) claim there; the verifier maps the claim to the circuit's "Tg"."""
    m = tables()
    data = m.prove(1, table_names={2: "Tdecoy"})
    with pytest.raises(VerificationError, match=r"stack \d"):  # the BatchOpen
        verify_inference(data, m.vk)


@pytest.mark.parametrize("fix_remc", [False, True])
def test_rem_at_least_d_is_rejected(fix_remc):
    m = tables()
    match = "gadget.dense.rem-plus-remc" if fix_remc else "logup group 0: the fractions"
    with rejected(match):
        verify_inference(m.prove(3, tamper=_rem_ge_d(3, 3, -512, 511, fix_remc)), m.vk)


@pytest.mark.parametrize("fix_remc", [False, True])
def test_rem_at_least_49_is_rejected(fix_remc):
    m = cnn("gap7x7")
    match = "gadget.spatialsum.rem-plus-remc" if fix_remc else "logup group 0: the fractions"
    with rejected(match):
        verify_inference(m.prove(1, tamper=_rem_ge_d(2, 49, 0, 15, fix_remc)), m.vk)


def test_rem_plus_remc_not_d_minus_1_is_rejected():
    m = tables()
    with rejected("gadget.dense.rem-plus-remc"):
        verify_inference(m.prove(1, tamper=_remc_off(3)), m.vk)


def test_wrong_spatial_sum_is_rejected():
    def tamper(g, vals):
        if g == 2:
            vals["z"][0] += 1 if vals["z"][0] < 15 else -1
    m = cnn("gap7x7")
    with pytest.raises(VerificationError, match="inference sumcheck round 0"):
        verify_inference(m.prove(1, tamper=tamper), m.vk)


@pytest.mark.parametrize(("name", "gi", "pos"), [("gap7x7", 2, 7), ("gap1d", 0, 5),
                                                 ("gap3x6", 1, 6)])
def test_spatial_sum_over_a_padded_entry_is_rejected(name, gi, pos):
    """A prover whose sum (witness and sumcheck alike) also reads one padded entry."""
    def edit(stage, data):
        if stage != ("mask", gi):
            return data
        data = list(data)
        assert data[pos] == 0
        data[pos] = 1
        return data
    m = cnn(name)
    with rejected("inference.final"):
        verify_inference(m.prove(1, edit=edit), m.vk)


@pytest.mark.parametrize(
    ("i", "match"),
    [
        (-1, "gadget.table.table-q"),  # T(rho_gt)
        (-2, "gadget.table.table-p"),  # t_g(rho_gt)
        (-3, "gadget.table.lookup-q"),  # u of g at rho_g
        (-4, "gadget.table.lookup-q"),  # u of x at rho_g
        (-5, "gadget.table.table-q"),
        (-6, "gadget.table.table-p"),
        (-7, "gadget.table.lookup-q"),
    ],
)
def test_edited_table_leaf_evals_are_rejected(i, match):
    m = tables()
    edit = bump(i)
    with rejected(match):
        verify_inference(m.prove(1, edit=lambda s, d: edit(d) if s == "leaf" else d), m.vk)


def test_every_proof_field_is_bound():
    """Each field of one proof with two table gadgets and a divisor mutated in turn: every
    Fr of every vector and of the sumcheck, one byte of every other field."""
    m = tables()
    parts: list = []
    data = m.prove(1, parts=parts)
    assert verify_inference(data, m.vk)
    mutants = field_mutants(data, parts)
    assert len(mutants) > 100
    for name, bad in mutants:
        with pytest.raises(VerificationError):
            verify_inference(bad, m.vk)
            pytest.fail(f"mutated {name} accepted")


# --- affine (the reference prover's support for inference.md's affine producer) -------


@functools.cache
def affine_model() -> Model:
    """LeakyRelu-style: dense, y+ = clip(x, 0, 31), then affine [(dense, 3), (y+, -2)] with
    shift 2 and the divisor 1, then a dense head."""
    tensors = {"W0": [[1, -2, 3], [2, 2, -1], [-3, 1, 1], [0, 1, -2]],
               "W3": [[1, -1, 2, 0], [2, 1, -1, 1]]}
    ms, table = model_stack(tensors)
    gads = [
        gadget({"op": "dense", "x": "input", "weight": "W0", "bias": None, "bias_shift": 0},
               4, 0, -32, 31, 6, 6),
        gadget({"op": "identity", "x": 0}, 4, 0, 0, 31, 0, 6),
        gadget({"op": "affine", "terms": [[0, 3], [1, -2]]}, 4, 2, -32, 31, 6, 6),
        gadget({"op": "dense", "x": 2, "weight": "W3", "bias": None, "bias_shift": 0},
               2, 1, -64, 63, 6, 6),
    ]
    doc = {"format": "zkml-circuit", "version": 1, "limb_bits": 8,
           "input": {"features": 3, "bits": 4, "frac_bits": 2, "shape": None},
           "output": {"gadget": 3, "features": 2, "argmax": False}, "gadgets": gads,
           "model_stack": ms}

    def inputs(batch: int) -> list[list[int]]:
        return [[(5 * b + 3 * i) % 16 - 8 for i in range(3)] for b in range(batch)]

    return Model(doc, tensors, table, inputs)


@pytest.mark.parametrize("batch", [1, 3])
def test_affine_gadget(batch):
    affine_model().check_honest(batch)


def test_edited_affine_operand_is_rejected():
    m = affine_model()
    edit = bump(-1)  # the last operand's u limb at r_g
    with rejected("gadget.affine.relation"):
        verify_inference(m.prove(1, edit=lambda s, d: edit(d) if s == ("acc", 2) else d), m.vk)
