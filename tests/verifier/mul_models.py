"""Small circuits for nonlinear.md section 8, elementwise products (tests only).

`mul_model()`: a SiLU-like `x * table(x)` and a product with the public input:

    input (4, 4 bits) -> g0 dense 4 in [-8, 7] -> g1 table Tsig(g0) in [0, 16]
    -> g2 mul(g0, g1) shift 2 in [-24, 24] (SiLU: x * sigmoid(x))
    -> g3 mul(input, g2) shift 3 -> g4 dense 3 (the output)

Returns (doc, tensors, stack table, inputs(batch)); excess widths are the smallest that
fit the test inputs.
"""

from __future__ import annotations

import math
import random

from reference_model_key import model_stack
from reference_models import gadget
from softmax_models import _fit_excess


def mul_model(seed: int = 7, *, limb_bits: int = 8):
    rng = random.Random(seed)
    n_in = 4
    tensors = {
        "W0": [[rng.randint(-2, 2) for _ in range(n_in)] for _ in range(4)],
        "b0": [[rng.randint(-3, 3) for _ in range(4)]],
        "Tsig": [[round(16 / (1 + math.exp(-(j - 8) / 2))) for j in range(16)]],
        "W1": [[rng.randint(-3, 3) for _ in range(4)] for _ in range(3)],
    }
    ms, table = model_stack(tensors)
    gads = [
        gadget({"op": "dense", "x": "input", "weight": "W0", "bias": "b0", "bias_shift": 0},
               4, 1, -8, 7, 20, 20),
        gadget({"op": "table", "x": 0, "table": "Tsig"}, 4, 0, 0, 16, 0, 0),
        gadget({"op": "mul", "x": 0, "y": 1}, 4, 2, -24, 24, 20, 20),
        gadget({"op": "mul", "x": "input", "y": 2}, 4, 3, -20, 20, 20, 20),
        gadget({"op": "dense", "x": 3, "weight": "W1", "bias": None, "bias_shift": 0},
               3, 1, -64, 63, 20, 20),
    ]
    doc = {"format": "zkml-circuit", "version": 1, "limb_bits": limb_bits,
           "input": {"features": n_in, "bits": 4, "frac_bits": 2, "shape": None},
           "output": {"gadget": 4, "features": 3, "argmax": False}, "gadgets": gads,
           "model_stack": ms}

    def inputs(batch: int, s: int = 0) -> list[list[int]]:
        r = random.Random(3000 + s)
        return [[r.randrange(-8, 8) for _ in range(n_in)] for _ in range(batch)]

    _fit_excess(doc, tensors, inputs(3) + inputs(3, 1), {"table"})
    return doc, tensors, table, inputs
