"""Small circuits for nonlinear.md sections 5-7 (tests only).

- `softmax_model(n)`: a dense net with a softmax head over `n` logits, lowered as the text
  says: rowmax -> broadcast add (x - m) -> exp table -> spatialsum over the row
  (`in_shape = [1, n]`) -> rowdiv.
- `wide_model(limb_bits)`: a dense gadget with an 18-bit `u` column (two limbs at either
  limb width), for the 16-bit range tests.

Each returns (doc, tensors, stack table, inputs(batch)); excess widths are the smallest
that fit the test inputs (a first witness run with wide excess columns).
"""

from __future__ import annotations

import math
import random

from reference_inference import Witness, gadget
from reference_model_key import model_stack


def _fit_excess(doc: dict, tensors: dict, rows: list[list[int]], skip: set[str]) -> None:
    seen: dict = {}

    def record(gi: int, vals: dict) -> None:
        seen[gi] = (max(vals["ep"]), max(vals["em"]))

    Witness(doc, tensors, rows, tamper=record)
    for gi, g in enumerate(doc["gadgets"]):
        if g["producer"]["op"] not in skip:
            g["excess_hi_bits"] = seen[gi][0].bit_length()
            g["excess_lo_bits"] = seen[gi][1].bit_length()


def softmax_model(n: int = 5, *, limb_bits: int = 8, lshift: int = 7, clip: bool = False,
                  seed: int = 2, n_in: int = 4):
    """input (n_in, 4 bits) -> dense 6 (ReLU [0, 15]) -> dense n logits [-32, 31]
    -> g2 rowmax (n, diff_bits 6) -> g3 add(x=g1, y=g2, signs [1, -1]) in [-63, 0]
    -> g4 table Texp (t = 6, T[j] = round(64 exp((j - 63) / 8)), in [0, 64])
    -> g5 spatialsum([1, n]) in [0, 64 n] -> g6 rowdiv(g4, g5, lshift) in [0, 2^l]
    (`clip`: [0, 2^l / 4], so the rowdiv gadget clamps and needs an ep column)."""
    rng = random.Random(seed)
    tensors = {
        "W0": [[rng.randint(-3, 3) for _ in range(n_in)] for _ in range(6)],
        "b0": [[rng.randint(-6, 6) for _ in range(6)]],
        "W1": [[rng.randint(-3, 3) for _ in range(6)] for _ in range(n)],
        "b1": [[rng.randint(-9, 9) for _ in range(n)]],
        "Texp": [[round(64 * math.exp((j - 63) / 8)) for j in range(64)]],
    }
    ms, table = model_stack(tensors)
    rem_bits = (2 * 64 * n - 1).bit_length()
    hi = (1 << lshift) >> (2 if clip else 0)
    gads = [
        gadget({"op": "dense", "x": "input", "weight": "W0", "bias": "b0", "bias_shift": 0},
               6, 2, 0, 15, 20, 20),
        gadget({"op": "dense", "x": 0, "weight": "W1", "bias": "b1", "bias_shift": 0},
               n, 1, -32, 31, 20, 20),
        gadget({"op": "rowmax", "x": 1, "n": n, "diff_bits": 6}, 1, 0, -32, 31, 0, 0),
        gadget({"op": "add", "x": 1, "y": 2, "signs": [1, -1], "lshifts": [0, 0]},
               n, 0, -63, 0, 20, 20),
        gadget({"op": "table", "x": 3, "table": "Texp"}, n, 0, 0, 64, 0, 0),
        gadget({"op": "spatialsum", "x": 4, "in_shape": [1, n], "lshift": 0}, 1, 0, 0,
               64 * n, 20, 20),
        gadget({"op": "rowdiv", "x": 4, "y": 5, "lshift": lshift, "rem_bits": rem_bits},
               n, 0, 0, hi, 20, 20, frac=lshift),
    ]
    doc = {"format": "zkml-circuit", "version": 1, "limb_bits": limb_bits,
           "input": {"features": n_in, "bits": 4, "frac_bits": 2, "shape": None},
           "output": {"gadget": 6, "features": n, "argmax": False}, "gadgets": gads,
           "model_stack": ms}

    def inputs(batch: int, s: int = 0) -> list[list[int]]:
        r = random.Random(1000 + s)
        return [[r.randrange(-8, 8) for _ in range(n_in)] for _ in range(batch)]

    _fit_excess(doc, tensors, inputs(3) + inputs(3, 1), {"table", "rowmax"})
    return doc, tensors, table, inputs


def wide_model(limb_bits: int = 16, seed: int = 4):
    """input (3, 8 bits) -> dense 4 with shift 0 in [-2^17, 2^17) (u: 18 bits, two limbs)
    -> dense 2 with shift 12 in [-128, 127]."""
    rng = random.Random(seed)
    tensors = {"W0": [[rng.randint(-200, 200) for _ in range(3)] for _ in range(4)],
               "W1": [[rng.randint(-50, 50) for _ in range(4)] for _ in range(2)]}
    ms, table = model_stack(tensors, range_bits=9)
    gads = [
        gadget({"op": "dense", "x": "input", "weight": "W0", "bias": None, "bias_shift": 0},
               4, 0, -(1 << 17), (1 << 17) - 1, 20, 20),
        gadget({"op": "dense", "x": 0, "weight": "W1", "bias": None, "bias_shift": 0},
               2, 12, -128, 127, 20, 20),
    ]
    doc = {"format": "zkml-circuit", "version": 1, "limb_bits": limb_bits,
           "input": {"features": 3, "bits": 8, "frac_bits": 2, "shape": None},
           "output": {"gadget": 1, "features": 2, "argmax": False}, "gadgets": gads,
           "model_stack": ms}

    def inputs(batch: int, s: int = 0) -> list[list[int]]:
        r = random.Random(2000 + s)
        return [[r.randrange(-128, 128) for _ in range(3)] for _ in range(batch)]

    _fit_excess(doc, tensors, inputs(3) + inputs(3, 1), set())
    return doc, tensors, table, inputs
