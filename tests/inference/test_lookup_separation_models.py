"""The lookup-separation attacks (tests/verifier/test_lookup_separation.py) against real
compiled models: a Softmax head (rowmax, the exp table, row sum, rowdiv) and a GELU MLP,
compiled by `zkml.compile` from ONNX. The pure-Python reference prover proves the
compiled circuit and model stack on a cheating witness against the model's real
verifying key; the verifier must reject at the cheated table's LogUp group."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import onnx
import pytest
from harness import circuit_inputs, compile_float
from inference_models import act_mlp, softmax_mlp
from onnx import helper

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "verifier"))

from keyed_model import KeyedModel  # noqa: E402
from test_lookup_separation import group_totals, total  # noqa: E402

import zkml.verifier.pipeline as pipeline  # noqa: E402
from zkml.errors import VerificationError  # noqa: E402
from zkml.verifier import VerifyingKey, verify_inference  # noqa: E402
from zkml.verifier.field import R  # noqa: E402
from zkml.verifier.logup import logup_verify_trees  # noqa: E402


def gelu_softmax() -> onnx.ModelProto:
    """Gemm, GELU, Gemm, Softmax: two function tables of one size."""
    model = act_mlp(["Gelu"], (6, 8, 5), seed=6)
    model.graph.node[-1].output[0] = "logits"
    model.graph.node.append(helper.make_node("Softmax", ["logits"], ["y"], axis=-1))
    return model


MODELS = {
    "softmax": lambda: softmax_mlp([6, 8, 5], seed=3),
    "gelu": lambda: act_mlp(["Gelu"], (6, 8, 4), seed=4),
    "gelu_softmax": gelu_softmax,
}


class CompiledKeyed(KeyedModel):
    """A KeyedModel over a real compiled model: its circuit, model-stack tensors and real
    verifying key (the reference prover's proofs are checked against that key)."""

    def __init__(self, cm) -> None:
        vk = VerifyingKey.from_bytes(cm.verifying_key)
        n = int.from_bytes(cm.verifying_key[7:11], "big")  # header, u32 len, circuit JSON
        doc = json.loads(cm.verifying_key[11:11 + n])
        stack = [int(v) for v in np.asarray(cm.compiled_circuit.model_stack)]
        tensors = {}
        for t in doc["model_stack"]["tensors"]:
            pc = 1 << (t["cols"] - 1).bit_length()
            tensors[t["name"]] = [stack[t["offset"] + i * pc: t["offset"] + i * pc + t["cols"]]
                                  for i in range(t["rows"])]
        c = vk.circuit

        def inputs(batch: int) -> list[list[int]]:
            return circuit_inputs(c, batch, seed=5).tolist()

        self.doc, self.tensors, self.table, self.inputs = doc, tensors, \
            [v % R for v in stack], inputs
        self.vk_bytes, self.vk = cm.verifying_key, vk


@functools.cache
def _compiled(tmp: str, name: str) -> CompiledKeyed:
    cm, _ = compile_float(Path(tmp), MODELS[name](), name)
    return CompiledKeyed(cm)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("lookup_models"))
    return lambda name: _compiled(tmp, name)


def _table_gadgets(m: CompiledKeyed) -> list[int]:
    return [gi for gi, g in enumerate(m.doc["gadgets"]) if g["producer"]["op"] == "table"]


def _entry_and_index(m: CompiledKeyed, gi: int, ok) -> tuple[int, int]:
    """A real entry of table gadget gi (batch row 0) whose table index `a` fits `ok`."""
    wit = m.witness(BATCH)
    p = m.doc["gadgets"][gi]["producer"]
    lo_x = (m.doc["gadgets"][p["x"]]["lo"] if p["x"] != "input"
            else -(1 << (m.doc["input"]["bits"] - 1)))
    xs = wit.tensor(p["x"])[0]
    for entry in range(m.doc["gadgets"][gi]["features"]):
        a = xs[entry] - lo_x
        if ok(a):
            return entry, a
    pytest.fail(f"no entry of gadget {gi} fits the attack")


#: the batch of the attack proofs (more rows, more entries to choose the cheat from)
BATCH = 4


def _dry_run(m: CompiledKeyed, gi: int) -> dict:
    """Gadget gi's honest values (q, rem, z, ep, em) on BATCH rows."""
    seen: dict = {}

    def record(k, vals):
        if k == gi:
            seen.update({key: list(v) for key, v in vals.items() if key in
                         ("q", "rem", "z", "ep", "em")})

    m.witness(BATCH, tamper=record)
    return seen


def _rank(m: CompiledKeyed, tg: int) -> int:
    """The LogUp group of table gadget tg: 1 + its rank among the table gadgets."""
    return 1 + _table_gadgets(m).index(tg)


def _overflows(v: dict, g: dict, k: int, lb: int, tab: list[int]):
    """(entry e, c, f, top): rem + 2^k c written as low limb f (>= 2^L, a zero of the
    table) plus 2^L times a top limb `top` inside its width, for a gadget whose remainder
    has two limbs (L < k <= 2L), or one full limb (k == L, top None)."""
    tops = [None] if k == lb else range(1 << (k - lb))
    for e in range(len(v["rem"])):
        if v["ep"][e] or v["em"][e]:
            continue
        for c in range(1, 5):
            if v["z"][e] - c < g["lo"]:
                break
            for top in tops:
                f = v["rem"][e] + (c << k) - (top or 0) * (1 << lb)
                if 1 << lb <= f < len(tab) and tab[f] == 0:
                    return e, c, f, top
    raise AssertionError("no entry fits the attack")


def limb_overflow(m: CompiledKeyed, gi: int, tg: int):
    """Attack 2: gadget gi takes remainder rem + 2^k c with its output c lower; the low
    L-bit limb carries a value f >= 2^L (the top limb stays in range), and f's lookup is
    paid for by table gadget tg's zero entry at index f."""
    g = m.doc["gadgets"][gi]
    k, lb = g["shift"], m.doc["limb_bits"]
    assert lb <= k <= 2 * lb
    tab = m.tensors[m.doc["gadgets"][tg]["producer"]["table"]][0]
    e, c, f, top = _overflows(_dry_run(m, gi), g, k, lb, tab)

    def tamper(j, vals):
        if j == gi:
            vals["rem"][e] += c << k
            vals["q"][e] -= c
            vals["z"][e] -= c

    def edit(stage, data):
        if stage == ("columns", gi):
            data["rem"][0][e] = f
            if top is not None:
                data["rem"][1][e] = top
        if stage == ("table-mult", tg):
            data = list(data)
            data[f] += 1
        return data

    return tamper, edit, [0, _rank(m, tg)]


def table_to_table(m: CompiledKeyed, t_from: int, t_to: int):
    """Attack 3: table gadget t_to returns t_from's value T_from[a] at one entry, and that
    lookup's count moves from t_to's multiplicity to t_from's."""
    gf, gt = m.doc["gadgets"][t_from], m.doc["gadgets"][t_to]
    tf = m.tensors[gf["producer"]["table"]][0]
    tt = m.tensors[gt["producer"]["table"]][0]
    assert len(tf) == len(tt)
    entry, a = _entry_and_index(
        m, t_to, lambda a: tf[a] != tt[a] and gt["lo"] <= tf[a] <= gt["hi"])

    def tamper(j, vals):
        if j == t_to:
            vals["z"][entry] = tf[a]

    def edit(stage, data):
        if stage in (("table-mult", t_to), ("table-mult", t_from)):
            data = list(data)
            data[a] += -1 if stage == ("table-mult", t_to) else 1
        return data

    return tamper, edit, sorted([_rank(m, t_from), _rank(m, t_to)])


def _reject(m: CompiledKeyed, attack) -> None:
    tamper, edit, groups = attack
    data = m.prove(BATCH, tamper=tamper, edit=edit)
    assert total(data, m) == 0
    assert [k for k, num in enumerate(group_totals(data, m)) if num] == groups
    with mock.patch.object(pipeline, "logup_verify_trees", one_total):
        verify_inference(data, m.vk)  # a verifier with one total accepts the false output
    with pytest.raises(VerificationError, match=f"logup group {groups[0]}: the fractions do"):
        verify_inference(data, m.vk)


def one_total(t, depths, proofs, what="logup", groups=None):
    """LogUp checked as one total over all trees (format 1's rule)."""
    return logup_verify_trees(t, depths, proofs, what)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_real_model_has_tables_and_proves_honestly(model, name):
    m = model(name)
    assert _table_gadgets(m)
    m.check_honest(1)


@pytest.mark.parametrize(("name", "gi"), [("softmax", 1), ("gelu", 0),
                                          ("gelu", 3)])
def test_requantization_bypass_paid_by_a_zero_table_entry_is_rejected(model, name, gi):
    """The exp and GELU tables (2^12 entries, hundreds of zeros past index 2^8) could pay
    for an out-of-range 8-bit remainder limb of any requantizing gadget."""
    m = model(name)
    assert m.doc["limb_bits"] == 8 and m.doc["gadgets"][gi]["shift"] >= 8
    for tg in _table_gadgets(m):
        _reject(m, limb_overflow(m, gi, tg))


def test_a_lookup_paid_by_another_tables_entries_is_rejected(model):
    """GELU then Softmax: the exp gadget returns a GELU value, paid by the GELU table."""
    m = model("gelu_softmax")
    gelu, exp = _table_gadgets(m)
    _reject(m, table_to_table(m, gelu, exp))
    _reject(m, table_to_table(m, exp, gelu))
