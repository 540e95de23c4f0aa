"""Small circuits with function tables and divisors (nonlinear.md) for the verifier's tests.

`table_model(...)` returns (doc, tensors, stack table, inputs(batch)): dense and table
gadgets over a flat input, every gadget's excess widths the smallest that fit the test
inputs (found by a first witness run with wide excess columns, as reference_cnn does).
"""

from __future__ import annotations

import random

from reference_inference import Witness, gadget
from reference_model_key import model_stack


def _table(rng: random.Random, t: int, lo: int, hi: int) -> list[list[int]]:
    """A 1 x 2^t table: a monotone ramp with noise, clipped to [lo, hi]."""
    n = 1 << t
    return [[min(hi, max(lo, lo + (hi - lo) * j // (n - 1) + rng.randint(-3, 3)))
             for j in range(n)]]


def table_model(t_in: int | None = 4, t_mid: int | None = 6, *, divisor: int = 3,
                n_in: int = 5, seed: int = 1, decoy: bool = True):
    """input (flat, n_in features, bits t_in or 4)
    -> [table on the input (t = t_in), if t_in]
    -> dense to 4 features, clipped to [-2^(t_mid-1), 2^(t_mid-1)) (2^t_mid values)
    -> [table on that gadget (t = t_mid), values in [0, 100], if t_mid]
    -> dense to 3 features with the constant divisor `divisor` (shift 0).

    With `decoy`, the model stack also holds "Tdecoy", a second 1 x 2^t_mid table."""
    rng = random.Random(seed)
    bits = t_in or 4
    tensors: dict = {}
    gads: list[dict] = []
    x: object = "input"
    width = n_in
    if t_in:
        tensors["Tin"] = _table(rng, t_in, -20, 20)
        gads.append(gadget({"op": "table", "x": "input", "table": "Tin"}, n_in, 0, -20, 20,
                           0, 0))
        x = 0
    tm = t_mid or 6
    tensors["W1"] = [[rng.randint(-3, 3) for _ in range(width)] for _ in range(4)]
    tensors["b1"] = [[rng.randint(-9, 9) for _ in range(4)]]
    gads.append(gadget({"op": "dense", "x": x, "weight": "W1", "bias": "b1", "bias_shift": 0},
                       4, 1, -(1 << (tm - 1)), (1 << (tm - 1)) - 1, 20, 20))
    x = len(gads) - 1
    if t_mid:
        tensors["Tg"] = _table(rng, t_mid, 0, 100)
        if decoy:
            tensors["Tdecoy"] = _table(rng, t_mid, 0, 100)
        gads.append(gadget({"op": "table", "x": x, "table": "Tg"}, 4, 0, 0, 100, 0, 0))
        x = len(gads) - 1
    tensors["W3"] = [[rng.randint(-4, 4) for _ in range(4)] for _ in range(3)]
    gads.append(gadget({"op": "dense", "x": x, "weight": "W3", "bias": None, "bias_shift": 0},
                       3, 0, -512, 511, 20, 20, divisor=divisor))
    ms, table = model_stack(tensors)
    doc = {"format": "zkml-circuit", "version": 1, "limb_bits": 8,
           "input": {"features": n_in, "bits": bits, "frac_bits": 2, "shape": None},
           "output": {"gadget": len(gads) - 1, "features": 3, "argmax": False},
           "gadgets": gads, "model_stack": ms}
    half = 1 << (bits - 1)

    def inputs(batch: int, s: int = 0) -> list[list[int]]:
        r = random.Random(1000 + s)
        return [[r.randrange(-half, half) for _ in range(n_in)] for _ in range(batch)]

    seen: dict = {}

    def record(gi: int, vals: dict) -> None:
        seen[gi] = (max(vals["ep"]), max(vals["em"]))

    Witness(doc, tensors, inputs(3) + inputs(3, 1), tamper=record)
    for gi, g in enumerate(gads):
        if g["producer"]["op"] != "table":
            g["excess_hi_bits"] = seen[gi][0].bit_length()
            g["excess_lo_bits"] = seen[gi][1].bit_length()
    return doc, tensors, table, inputs
