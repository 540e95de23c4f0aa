"""ArgMax outputs (inference.md section 4b) end to end with the reference prover: the
statement is one index per example, the first maximum of the output gadget's row."""

from __future__ import annotations

import copy
import hashlib
import random

import pytest
from cheats import rejected
from edits import bump
from reference_inference import (
    Witness,
    example_model,
    gadget,
    ints,
    model_stack,
    prove_inference,
    vk_artifact,
)
from reference_prover import container

from zkml.errors import InvalidKeyError, ProofFormatError, VerificationError
from zkml.verifier import VerifyingKey, verify_inference
from zkml.verifier.encoding import enc_u32
from zkml.verifier.field import R, mle_eval


def tie_model(lo: int = 0, hi: int = 3):
    """One dense layer into 5 outputs clamped to [lo, hi]: rows with ties are common."""
    rng = random.Random(3)
    tensors = {"W": [[rng.randint(-4, 4) for _ in range(4)] for _ in range(5)],
               "b": [[rng.randint(-20, 20) for _ in range(5)]]}
    ms, table = model_stack(tensors)
    doc = {"format": "zkml-circuit", "version": 1, "limb_bits": 8,
           "input": {"features": 4, "bits": 8, "frac_bits": 4, "shape": None},
           "output": {"gadget": 0, "features": 5, "argmax": True},
           "gadgets": [gadget({"op": "dense", "x": "input", "weight": "W", "bias": "b",
                                       "bias_shift": 0},
                              5, 6, lo, hi, 8, 8)],
           "model_stack": ms}
    return doc, tensors, table


class Model:
    def __init__(self, doc, tensors, table):
        self.doc, self.tensors, self.table = doc, tensors, table
        self.vk_bytes = vk_artifact(doc, table)
        self.vk = VerifyingKey.from_bytes(self.vk_bytes)

    def rows(self, x):
        wit = Witness(self.doc, self.tensors, x)
        L, n = self.doc["output"]["gadget"], self.doc["output"]["features"]  # noqa: N806
        return [wit.z[L][b][:n] for b in range(len(x))]

    def prove(self, x, **kw):
        return prove_inference(self.doc, self.tensors, self.table, x, self.vk_bytes, **kw)


def inputs(batch, seed=0):
    rng = random.Random(seed)
    return [[rng.randrange(-128, 128) for _ in range(4)] for _ in range(batch)]


EX = Model(*example_model(argmax=True))
TIE = Model(*tie_model())


def _tie_inputs():
    """Inputs whose rows have a tied maximum at a later index too."""
    out = []
    for seed in range(200):
        x = inputs(1, seed)[0]
        row = TIE.rows([x])[0]
        if row.count(max(row)) > 1:
            out.append(x)
        if len(out) == 3:
            return out
    raise AssertionError("no tied rows")


TIES = _tie_inputs()


def _edit(stage_name, fn):
    def edit(stage, data):
        return fn(data) if stage == stage_name else data

    return edit


@pytest.mark.parametrize("batch", [1, 2, 3, 5])
def test_honest_argmax_proofs_verify(batch):
    x = inputs(batch, batch)
    st = verify_inference(EX.prove(x), EX.vk)
    rows = EX.rows(x)
    assert st.argmax and st.output == tuple((r.index(max(r)),) for r in rows)
    assert st.input == tuple(tuple(r) for r in x)
    assert st.output_frac_bits == 0 and st.batch == batch


def test_ties_give_the_first_index():
    st = verify_inference(TIE.prove(TIES), TIE.vk)
    rows = TIE.rows(TIES)
    assert st.output == tuple((r.index(max(r)),) for r in rows)
    assert all(r.count(max(r)) > 1 for r in rows)


def test_not_the_first_maximum_is_rejected():
    rows = TIE.rows(TIES)
    later = [[len(r) - 1 - r[::-1].index(max(r))] for r in rows]
    assert later != [[r.index(max(r))] for r in rows]
    # the honest protocol on the claim: some d entry is -1, its limbs leave [0, 2^w)
    data = TIE.prove(TIES, edit=_edit("output", lambda y: later))
    with pytest.raises(VerificationError, match="logup group 0: the fractions do not sum to zero"):
        verify_inference(data, TIE.vk)


def test_not_a_maximum_is_rejected():
    x = inputs(2, 4)
    rows = EX.rows(x)
    wrong = [[1 - r.index(max(r))] for r in rows]
    assert any(rows[b][wrong[b][0]] < max(rows[b]) for b in range(2))
    with pytest.raises(VerificationError, match="logup group 0: the fractions do not sum to zero"):
        verify_inference(EX.prove(x, edit=_edit("output", lambda y: wrong)), EX.vk)


def test_index_out_of_range_is_rejected():
    for model, n_out in ((EX, 2), (TIE, 5)):
        x = ints([1, 2, 3, 4], -128, 127)
        digest = hashlib.sha256(model.vk_bytes).digest()
        for k in (n_out, 127, -1):
            data = container(3, digest + enc_u32(1) + x + ints([k], 0, n_out - 1))
            with pytest.raises(VerificationError, match=f"output index outside \\[0, {n_out}\\)"):
                verify_inference(data, model.vk)
        # one index per example, not n_out values
        data = container(3, digest + enc_u32(1) + x + ints([0] * n_out, 0, n_out - 1))
        with pytest.raises(ProofFormatError, match=f"output: count {n_out}, expected 1"):
            verify_inference(data, model.vk)




@pytest.mark.parametrize(
    ("stage", "fn", "match"),
    [
        ("argmax-evals", bump(0), "gadget.argmax.d"),
        ("argmax-evals", bump(-2), "gadget.argmax.d"),
        ("argmax-evals", bump(-1), "gadget.argmax.d"),
        ("sumcheck-evals", bump(-1), "inference.final"),
        ("sumcheck-evals", bump(-2), "inference.final"),
        ("claims", bump(-1), "inference sumcheck round 0"),
    ],
)
def test_edited_argmax_messages_are_rejected(stage, fn, match):
    with rejected(match):
        verify_inference(EX.prove(inputs(3), edit=_edit(stage, fn)), EX.vk)


def test_d_must_be_zero_in_padding():
    # batch 3 pads to 4 rows and 2 features stay 2; TIE's 5 features pad to 8
    def pad(dv):
        dv = list(dv)
        dv[5] += 1  # row 0, feature 5: padding
        return dv

    with rejected("gadget.argmax.d"):
        verify_inference(TIE.prove(inputs(3), edit=_edit("d", pad)), TIE.vk)


def test_d_lie_balanced_in_the_d_check_is_caught_by_the_sumcheck():
    # d(r_d) + 1 and C - 1 keep the d(r_d) identity (C enters with -1); the masked
    # instance's claim C is then false
    def f(v):
        v = list(v)
        v[0] = (v[0] + 1) % R
        v[-1] = (v[-1] - 1) % R
        return v

    with pytest.raises(VerificationError, match="inference sumcheck round 0"):
        verify_inference(EX.prove(inputs(2), edit=_edit("argmax-evals", f)), EX.vk)


def test_constant_output_has_no_d_columns():
    model = Model(*tie_model(lo=2, hi=2))
    assert model.vk.circuit.d == () and model.vk.circuit.gadgets[0].u == ()
    x = inputs(2, 1)
    st = verify_inference(model.prove(x), model.vk)
    assert st.output == ((0,), (0,))
    with rejected("gadget.argmax.d"):
        verify_inference(model.prove(x, edit=_edit("output", lambda y: [[0], [3]])), model.vk)


def test_columns_and_layout():
    c = EX.vk.circuit
    out = c.gadgets[c.output_gadget]
    assert c.argmax and [k.kind for k in c.d] == ["d"] and c.d[0].width == 8
    assert c.columns[-1] is c.d[-1] and c.d[0].index == sum(len(g.columns) for g in c.gadgets)
    assert c.d[0].gadget == out.index
    lay = c.layout(3)
    assert lay.col_vars[c.d[0].index] == lay.log_batch + out.log_features
    doc = copy.deepcopy(EX.doc)
    doc["output"]["argmax"] = 1
    bad = vk_artifact(doc, EX.table)
    with pytest.raises(InvalidKeyError, match="output.argmax must be true or false"):
        VerifyingKey.from_bytes(bad)
    del doc["output"]["argmax"]
    with pytest.raises(InvalidKeyError, match="missing keys \\['argmax'\\]"):
        VerifyingKey.from_bytes(vk_artifact(doc, EX.table))


def test_select_and_masked_weights_match_brute_force():
    from zkml.verifier.argmax import check_argmax_d, masked_weight, select_weight
    from zkml.verifier.field import eq_eval, eq_table

    rng = random.Random(4)
    batch, n_out, fv, lb = 3, 5, 3, 2
    ks = [4, 0, 2]
    s = [rng.randrange(R) for _ in range(fv + lb)]
    r_b = [rng.randrange(R) for _ in range(lb)]
    sel = [1 if (i >> fv) < batch and (i & 7) == ks[i >> fv] else 0 for i in range(32)]
    assert select_weight(r_b, s, fv, ks) == eq_eval(r_b, s[fv:]) * mle_eval(sel, s) % R
    mask = [1 if (i & 7) < n_out and (i >> fv) < batch else 0 for i in range(32)]
    r_d = [rng.randrange(R) for _ in range(fv + lb)]
    assert masked_weight(r_d, s, fv, n_out, batch) == eq_eval(r_d, s) * mle_eval(mask, s) % R
    er = eq_table(s)
    z = [rng.randrange(100) for _ in range(32)]
    c_val = sum(e * m * v for e, m, v in zip(er, mask, z, strict=True)) % R
    # the d identity on an honest table
    d = [0] * 32
    for b in range(batch):
        m = z[(b << fv) + ks[b]]
        for i in range(n_out):
            d[(b << fv) + i] = m - z[(b << fv) + i] - (i < ks[b])
    a_val = sum(eb2 * v for eb2, v in zip([eq_table(s[fv:])[i >> fv] for i in range(32)],
                                           [sel[i] * z[i] for i in range(32)], strict=True)) % R
    check_argmax_d(s, fv, n_out, ks, mle_eval([v % R for v in d], s), a_val, c_val)
    with pytest.raises(VerificationError):
        check_argmax_d(s, fv, n_out, ks, mle_eval([v % R for v in d], s) + 1, a_val, c_val)
