"""Lookup separation (circuits/soundness.md, lookup separation; logup.md groups): the
three multiplicity attacks on a proof whose LogUp trees need only balance together.

Each attack is the honest protocol (the reference prover) run on a cheating witness
with a false output, whose multiplicities are moved between tables so that the sum over
ALL trees stays zero: `test_attacks_balance_in_total` shows each would pass a single
total check; the verifier rejects each at the group of the table that was cheated.

1. table -> range: a table lookup `(a, z = 0)` encodes like entry `a` of the byte range
   table (`alpha - a`); the prover claims `z = 0` whatever `T[a]` is and moves one count
   from the table's multiplicity `t_g[a]` to the range multiplicity `m[a]`.
2. range -> table zero entry: an out-of-range limb `f >= 2^L` (a requantization
   remainder `rem + 768` with the output three lower) is paid for by a table's zero entry
   at index `f` (`alpha - f - beta * 0`).
3. table -> table: a lookup of table gadget 2 returns `T0[a]` (another table's value)
   and is paid for by table gadget 0's entry `a`.
"""

from __future__ import annotations

import functools
import random

import pytest
from keyed_model import KeyedModel
from nonlinear_models import table_model
from reference_inference import Witness, gadget
from reference_model_key import model_stack

from zkml.errors import VerificationError
from zkml.verifier import verify_inference
from zkml.verifier.field import R
from zkml.verifier.inference import _parse_kind3
from zkml.verifier.logup import logup_verify_trees
from zkml.verifier.proofs import read_header


def _fraction(root) -> tuple[int, int]:
    return (root[0] * root[3] + root[1] * root[2]) % R, root[2] * root[3] % R


def group_totals(data: bytes, m: KeyedModel) -> list[int]:
    """The numerator of each LogUp group's root sum (range group, then one per table)."""
    _, rd = read_header(data)
    parsed = _parse_kind3(rd, m.vk, 1 << 10)
    fr = [_fraction(t.root) for t in parsed.logup]
    nums = []
    for k in range(0, len(fr), 2):
        (pa, qa), (pb, qb) = fr[k], fr[k + 1]
        nums.append((pa * qb + pb * qa) % R)
    return nums


def total(data: bytes, m: KeyedModel) -> int:
    """The numerator of the sum over all trees (what a single total check would test)."""
    _, rd = read_header(data)
    parsed = _parse_kind3(rd, m.vk, 1 << 10)
    num, den = 0, 1
    for t in parsed.logup:
        p, q = _fraction(t.root)
        num, den = (num * q + p * den) % R, den * q % R
    return num


# --- the models ---------------------------------------------------------------------


@functools.cache
def two_tables() -> KeyedModel:
    """Table gadget 0 (on the input, values in [-20, 20]), a dense, table gadget 2 (values
    in [0, 100]), a dense; both tables have 2^6 entries."""
    return KeyedModel(*table_model(6, 6, divisor=1, decoy=False))


@functools.cache
def zero_tail() -> KeyedModel:
    """input (5 features, 4 bits) -> dense to 4 features (shift 8: `rem` is one 8-bit limb),
    range [-512, 511] -> a 2^10-entry table, zero from index 768 on (like exp or sigmoid
    tables at balanced precision; the honest lookups sit near index 512) -> dense to 3
    features."""
    rng = random.Random(7)
    tensors = {
        "W1": [[rng.randint(-60, 60) for _ in range(5)] for _ in range(4)],
        "b1": [[rng.randint(-99, 99) for _ in range(4)]],
        "T": [[j % 50 + 1 if j < 768 else 0 for j in range(1024)]],
        "W3": [[rng.randint(-4, 4) for _ in range(4)] for _ in range(3)],
    }
    gads = [
        gadget({"op": "dense", "x": "input", "weight": "W1", "bias": "b1", "bias_shift": 0},
               4, 8, -512, 511, 0, 0),
        gadget({"op": "table", "x": 0, "table": "T"}, 4, 0, 0, 50, 0, 0),
        gadget({"op": "dense", "x": 1, "weight": "W3", "bias": None, "bias_shift": 0},
               3, 0, -512, 511, 10, 10),
    ]
    ms, table = model_stack(tensors)
    doc = {"format": "zkml-circuit", "version": 1, "limb_bits": 8,
           "input": {"features": 5, "bits": 4, "frac_bits": 2, "shape": None},
           "output": {"gadget": 2, "features": 3, "argmax": False},
           "gadgets": gads, "model_stack": ms}

    def inputs(batch: int) -> list[list[int]]:
        r = random.Random(11)
        return [[r.randrange(-8, 8) for _ in range(5)] for _ in range(batch)]

    return KeyedModel(doc, tensors, table, inputs)


# --- the attacks: (tamper, edit) for the reference prover ----------------------------


def _table_index(m: KeyedModel, gi: int, entry: int) -> int:
    """`x - lo_x` of table gadget gi's entry (the honest witness)."""
    wit = m.witness(1)
    p = m.doc["gadgets"][gi]["producer"]
    xs = [v for row in wit.tensor(p["x"]) for v in row]
    lo_x = m.doc["gadgets"][p["x"]]["lo"] if p["x"] != "input" else \
        -(1 << (m.doc["input"]["bits"] - 1))
    return xs[entry] - lo_x


def _pick(m: KeyedModel, gi: int, ok) -> tuple[int, int]:
    """The first entry of table gadget gi whose table index satisfies `ok(a)`."""
    n = 1 << (m.doc["gadgets"][gi]["features"] - 1).bit_length()
    for entry in range(n):
        a = _table_index(m, gi, entry)
        if ok(a):
            return entry, a
    raise AssertionError("no entry fits the attack")


def table_to_range(m: KeyedModel, gi: int):
    """Attack 1 on table gadget gi (whose range holds 0): z = 0 at an entry whose table
    value is not 0, one count moved from t_g[a] to the range table's m[a]."""
    tab = m.tensors[m.doc["gadgets"][gi]["producer"]["table"]][0]
    entry, a = _pick(m, gi, lambda a: tab[a] != 0 and a < 256)

    def tamper(g, vals):
        if g == gi:
            vals["z"][entry] = 0

    def edit(stage, data):
        if stage == ("table-mult", gi):
            data = list(data)
            data[a] -= 1
        if stage == "multiplicities":
            data = list(data)
            data[a] += 1
        return data

    return tamper, edit


def range_to_table_zero(m: KeyedModel):
    """Attack 2 on `zero_tail`: the dense gadget's remainder at entry 0 is rem + 3 * 256
    (an out-of-range 8-bit limb) and its output three lower; the limb's lookup is paid
    for by the table's zero entry at index rem + 768."""
    rem0 = []

    def tamper(g, vals):
        if g == 0:
            rem0.append(vals["rem"][0])
            vals["rem"][0] += 768
            vals["q"][0] -= 3
            vals["z"][0] -= 3

    def edit(stage, data):
        if stage == ("table-mult", 1):
            data = list(data)
            data[rem0[0] + 768] += 1
        return data

    return tamper, edit


def table_to_table(m: KeyedModel):
    """Attack 3 on `two_tables`: table gadget 2 returns T0[a] (table gadget 0's value) at
    one entry and moves that lookup's count to gadget 0's entry a."""
    t0 = m.tensors["Tin"][0]
    t2 = m.tensors["Tg"][0]
    entry, a = _pick(m, 2, lambda a: 0 <= t0[a] <= 100 and t0[a] != t2[a])

    def tamper(g, vals):
        if g == 2:
            vals["z"][entry] = t0[a]

    def edit(stage, data):
        if stage in (("table-mult", 2), ("table-mult", 0)):
            data = list(data)
            data[a] += -1 if stage == ("table-mult", 2) else 1
        return data

    return tamper, edit


ATTACKS = {
    # name: (model, attack, the LogUp groups it unbalances: the range group is 0, table
    # gadget k's group is 1 + its rank among the table gadgets)
    "table_to_range": (two_tables, lambda m: table_to_range(m, 2), [0, 2]),
    "range_to_table_zero": (zero_tail, range_to_table_zero, [0, 1]),
    "table_to_table": (two_tables, table_to_table, [1, 2]),
}


@functools.cache
def attack_proof(name: str) -> tuple[bytes, KeyedModel]:
    model, attack, _ = ATTACKS[name]
    m = model()
    tamper, edit = attack(m)
    return m.prove(1, tamper=tamper, edit=edit), m


@pytest.mark.parametrize("model", [two_tables, zero_tail])
def test_honest_proofs_verify(model):
    model().check_honest(1)
    model().check_honest(3)


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attacks_balance_in_total(name):
    """Each cheating proof's trees sum to zero together: only the per-group check stops it."""
    data, m = attack_proof(name)
    assert total(data, m) == 0
    unbalanced = [k for k, num in enumerate(group_totals(data, m)) if num]
    assert unbalanced == ATTACKS[name][2]


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_passes_a_verifier_with_one_total(name, monkeypatch):
    """The attack is real: a verifier that checks one total over all trees (format 1)
    accepts the cheating proof, false output and all."""
    import zkml.verifier.pipeline as pipeline

    def one_total(t, depths, proofs, what="logup", groups=None):
        return logup_verify_trees(t, depths, proofs, what)

    monkeypatch.setattr(pipeline, "logup_verify_trees", one_total)
    data, m = attack_proof(name)
    verify_inference(data, m.vk)


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_is_rejected_at_its_group(name):
    data, m = attack_proof(name)
    group = ATTACKS[name][2][0]  # the verifier checks the groups in order
    with pytest.raises(VerificationError) as exc_info:
        verify_inference(data, m.vk)
    assert exc_info.value.check == "logup.group-sum"
    assert exc_info.value.detail.startswith(f"logup group {group}:")  # the table's own group


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_claims_a_false_output(name):
    """The cheating witness's output differs from the model's: a false statement."""
    model, attack, _ = ATTACKS[name]
    m = model()
    tamper, _ = attack(m)
    out = m.doc["output"]

    def rows(wit: Witness):
        return [wit.z[out["gadget"]][0][: out["features"]]]

    assert rows(m.witness(1, tamper=tamper)) != rows(m.witness(1))


def test_the_rust_provers_attack_vector(monkeypatch):
    """circuits/vectors/inference.json holds attack 1 made by the Rust prover (the
    `tables` model): it balances in total, passes a one-total verifier, and is rejected
    at the range group."""
    import json
    from pathlib import Path

    import zkml.verifier.pipeline as pipeline
    from zkml.verifier import VerifyingKey

    doc = json.loads((Path(__file__).resolve().parents[2] / "circuits" / "vectors"
                      / "inference.json").read_text())
    found = [(m, case) for m in doc["models"] for case in m["cases"]
             if case["name"] == "table pair (a, 0) paid by the range table"]
    assert found
    for m, case in found:
        vk = VerifyingKey.from_bytes(bytes.fromhex(m["vk"]))
        data = bytes.fromhex(case["proof"])
        model = KeyedModel.__new__(KeyedModel)
        model.vk = vk
        assert total(data, model) == 0 and group_totals(data, model)[:2] != [0, 0]
        with pytest.raises(VerificationError) as exc_info:
            verify_inference(data, vk)
        assert exc_info.value.check == "logup.group-sum"
        assert exc_info.value.detail.startswith("logup group 0:")
        with monkeypatch.context() as mp:
            mp.setattr(pipeline, "logup_verify_trees",
                       lambda t, d, p, what="logup", groups=None: logup_verify_trees(t, d, p))
            verify_inference(data, vk)
