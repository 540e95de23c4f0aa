"""ArgMax cheats with the reference prover, beside test_argmax.py (the first maximum in
the statement form): the last maximum in the statement form (inference.md section 4b,
`"argmax_last": true`), and the index tensor built from existing gadgets
(`zkml/compiler/argmax.py`: `x' = 2^t x + c`, two row maxima, their difference), first
and last. Honest proofs verify with the right index; a prover claiming another index is
rejected where the text says:

- statement form, last maximum: a tied earlier maximum or a non-maximum makes some
  `d = M - z - GT` entry negative (range);
- index tensor: the index moved at the end of the chain (the addconst `n - 1 - r`, the
  affine `r = m' - 2^t m`), the constant `c` of the other rule (first for last), or a
  row maximum below an entry (`x'` or `x`): each gadget's own check.
"""

from __future__ import annotations

import functools
import random

import pytest
from cheats import RANGE, ROUND0, at, rejected
from keyed_model import KeyedModel
from reference_model_key import model_stack
from reference_models import gadget
from reference_rows import rowmax_extras

from zkml.verifier import verify_inference

N = 5  # entries per row
T = (N - 1).bit_length()  # the index's bits in 2^t x + c


def _dense_rows(seed: int, lo: int, hi: int) -> tuple[dict, list[dict]]:
    """input (4, 4 bits) -> g0 dense to N entries clamped to [lo, hi] (ties common)."""
    rng = random.Random(seed)
    tensors = {"W": [[rng.randint(-3, 3) for _ in range(4)] for _ in range(N)],
               "b": [[rng.randint(-6, 6) for _ in range(N)]]}
    g0 = gadget({"op": "dense", "x": "input", "weight": "W", "bias": "b", "bias_shift": 0},
                N, 1, lo, hi, 8, 8)
    return tensors, [g0]


def _tied_inputs(doc: dict, tensors: dict, base: int):
    """inputs(batch): rows of 4-bit inputs whose g0 row has a tied maximum at two indices
    (found once from a fixed seed), so first and last differ."""
    from reference_inference import Witness

    rng = random.Random(base)
    tied = []
    while len(tied) < 3:
        x = [rng.randrange(-8, 8) for _ in range(4)]
        row = Witness(doc, tensors, [x]).z[0][0][:N]
        if row.count(max(row)) > 1:
            tied.append(x)

    def inputs(batch: int, s: int = 0) -> list[list[int]]:
        return [list(tied[(b + s) % 3]) for b in range(batch)]
    return inputs


def _doc(gads, ms, out: int, features: int, argmax: dict | None = None) -> dict:
    output = {"gadget": out, "features": features, "argmax": False}
    output.update(argmax or {})
    return {"format": "zkml-circuit", "version": 1, "limb_bits": 8,
            "input": {"features": 4, "bits": 4, "frac_bits": 2, "shape": None},
            "output": output, "gadgets": gads, "model_stack": ms}


@functools.cache
def statement_last() -> KeyedModel:
    """g0 as the output, `"argmax": true, "argmax_last": true`."""
    tensors, gads = _dense_rows(3, 0, 3)
    ms, table = model_stack(tensors)
    doc = _doc(gads, ms, 0, N, {"argmax": True, "argmax_last": True})
    return KeyedModel(doc, tensors, table, _tied_inputs(doc, tensors, 17))


@functools.cache
def index_tensor(last: bool) -> KeyedModel:
    """g0 dense [-8, 7] -> g1 addconst(g0, c, lshift t) -> g2 rowmax(g1) -> g3 rowmax(g0)
    -> g4 affine(g2 - 2^t g3) = r; last: k = r (the output); first: g5 affine(-r),
    g6 addconst(g5, n - 1) = k (the output)."""
    tensors, gads = _dense_rows(5, -8, 7)
    c = list(range(N)) if last else [N - 1 - i for i in range(N)]
    tensors["C"] = [c]
    lo_p, hi_p = -8 << T, (7 << T) + N - 1
    gads += [
        gadget({"op": "addconst", "x": 0, "c": "C", "lshift": T}, N, 0, lo_p, hi_p, 0, 0),
        gadget({"op": "rowmax", "x": 1, "n": N, "diff_bits": (hi_p - lo_p).bit_length()},
               1, 0, lo_p, hi_p, 0, 0),
        gadget({"op": "rowmax", "x": 0, "n": N, "diff_bits": 4}, 1, 0, -8, 7, 0, 0),
        gadget({"op": "affine", "terms": [[2, 1], [3, -(1 << T)]]}, 1, 0, 0, N - 1, 0, 0),
    ]
    if not last:
        tensors["top"] = [[N - 1]]
        gads += [gadget({"op": "affine", "terms": [[4, -1]]}, 1, 0, -(N - 1), 0, 0, 0),
                 gadget({"op": "addconst", "x": 5, "c": "top", "lshift": 0}, 1, 0, 0, N - 1,
                        0, 0)]
    ms, table = model_stack(tensors)
    doc = _doc(gads, ms, len(gads) - 1, 1)
    return KeyedModel(doc, tensors, table, _tied_inputs(doc, tensors, 23))


def _rows(m: KeyedModel, batch: int) -> list[list[int]]:
    wit = m.witness(batch)
    return [wit.z[0][b][:N] for b in range(batch)]


def _first_max(row):
    return row.index(max(row))


def _last_max(row):
    return len(row) - 1 - row[::-1].index(max(row))


def rejects(m: KeyedModel, match: str, batch: int = 1, **kw) -> None:
    with rejected(match):
        verify_inference(m.prove(batch, **kw), m.vk)


# --- the statement form, last maximum -------------------------------------------------


def _claim(m: KeyedModel, batch: int, pick):
    """An edit claiming index pick(row) per example, with the d values
    `M - z - GT` (`GT[i] = [k < i]`) of that claim (the reference prover writes LT's)."""
    rows = _rows(m, batch)
    ks = [pick(r) for r in rows]

    def edit(stage, data):
        if stage == "output":
            return [[k] for k in ks]
        if stage == "d":
            npo = len(data) // (1 << (batch - 1).bit_length())
            data = [0] * len(data)
            for b, (row, k) in enumerate(zip(rows, ks, strict=True)):
                for i in range(N):
                    data[b * npo + i] = row[k] - row[i] - (k < i)
        return data
    return edit, ks


@pytest.mark.parametrize("batch", [1, 3])
def test_honest_last_maximum_verifies(batch):
    m = statement_last()
    edit, ks = _claim(m, batch, _last_max)
    st = verify_inference(m.prove(batch, edit=edit), m.vk)
    rows = _rows(m, batch)
    assert st.argmax and st.output == tuple((k,) for k in ks)
    assert all(r.count(max(r)) > 1 and k != _first_max(r) for r, k in zip(rows, ks, strict=True))


def test_last_maximum_claiming_the_first_is_rejected():
    """A tied earlier maximum k: d[k_last] = M - z - 1 = -1."""
    edit, _ = _claim(statement_last(), 1, _first_max)
    rejects(statement_last(), RANGE, edit=edit)


def test_last_maximum_claiming_a_non_maximum_is_rejected():
    m = statement_last()
    row = _rows(m, 1)[0]
    edit, _ = _claim(m, 1, lambda r: r.index(min(r)))
    assert min(row) < max(row)
    rejects(m, RANGE, edit=edit)


# --- the index tensor -----------------------------------------------------------------


@pytest.mark.parametrize("last", [False, True])
@pytest.mark.parametrize("batch", [1, 3])
def test_honest_index_tensor_verifies(last, batch):
    m = index_tensor(last)
    st = verify_inference(m.prove(batch), m.vk)
    want = [(_last_max if last else _first_max)(r) for r in _rows(m, batch)]
    assert st.output == tuple((k,) for k in want)
    assert all(r.count(max(r)) > 1 for r in _rows(m, batch))


def _index_moved(gi: int):
    def fn(vals):
        k = vals["z"][0]
        vals["z"][0] = vals["q"][0] = k + 1 if k < N - 1 else k - 1
    return at(gi, fn)


@pytest.mark.parametrize(("last", "gi", "op"), [(False, 6, "addconst"), (False, 4, "affine"),
                                                (True, 4, "affine")])
def test_index_moved_is_rejected(last, gi, op):
    rejects(index_tensor(last), f"gadget.{op}.relation",
            tamper=_index_moved(gi))


@pytest.mark.parametrize("last", [False, True])
def test_constant_of_the_other_rule_is_rejected(last):
    """x' computed with the other rule's c (the prover's accumulator, its columns
    consistent; the claim on C honest): 2^t x(r) + C(r) != acc(r)."""
    m = index_tensor(last)
    other = [N - 1 - i for i in range(N)] if last else list(range(N))
    shift = [o - c for o, c in zip(other, m.tensors["C"][0], strict=True)]

    def edit(stage, data):
        if stage == ("addconst", 1):
            data = [[v + (shift[f] if f < N else 0) for f, v in enumerate(r)] for r in data]
        return data
    assert m.witness(1, edit=edit).z[1] != m.witness(1).z[1]
    rejects(m, "gadget.addconst.relation", edit=edit)


@pytest.mark.parametrize(("gi", "last"), [(2, False), (2, True), (3, False)])
def test_row_maximum_below_an_entry_is_rejected(gi, last):
    """m' (or m) one below the true maximum, D recomputed from it: the winning entry's
    D = -1 fails the range (the index would move by the difference)."""
    m = index_tensor(last)

    def fn(vals):
        vals["z"][0] -= 1
        vals["D"], vals["S"] = rowmax_extras(m.doc["gadgets"][gi]["producer"], vals["x"],
                                             vals["z"])
    rejects(m, RANGE, tamper=at(gi, fn))


def test_row_maximum_above_every_entry_is_rejected():
    """m' one above every x' (all D >= 1), the selector kept: sum S D != 0."""
    def fn(vals):
        vals["z"][0] += 1
        for i in range(N):  # batch row 0's real entries
            vals["D"][i] += 1
    rejects(index_tensor(False), ROUND0, tamper=at(2, fn))


def test_row_maximum_difference_on_a_padded_entry_is_rejected():
    """rowmax's D over x's length: D = mask (z - x) is 0 at the padded entries i >= n
    (here 5..7 of a width-8 row); a 1 there fails the zerocheck."""
    m = index_tensor(False)
    width = len(m.witness(1).tensor(0)[0])
    assert width > N

    def fn(vals):
        vals["D"][N] = 1
    rejects(m, ROUND0, tamper=at(3, fn))
