"""Small circuits for nonlinear.md sections 10 and 11 (tests only).

`channel_model()`: concatenation along channels of spatial parts (C = 3 and 5):

    input [3, 2, 3] (4 bits) -> g0 conv 1x1 to [5, 2, 3] -> g1 concat(input, g0), C = 8
    -> g2 concat(g0, input, g0), C = 13 (padded channels 13..15) -> g3 dense 3 (output)

`flat_model()`: constants and a flat concatenation of the input and gadgets:

    input (3, 4 bits) -> g0 dense 3 -> g1 addconst(g0, c0, lshift 1) shift 1
    -> g2 addconst(input, c1, lshift 2) -> g3 concat(input [3], g1 [3], g2 [3]), C = 9
    -> g4 dense 2 (output)

Each returns (doc, tensors, stack table, inputs(batch)); excess widths are the smallest
that fit the test inputs.
"""

from __future__ import annotations

import random

from reference_model_key import model_stack
from reference_models import gadget
from softmax_models import _fit_excess


def _doc(n_in, shape, gads, ms, out, n_out, limb_bits):
    return {"format": "zkml-circuit", "version": 1, "limb_bits": limb_bits,
            "input": {"features": n_in, "bits": 4, "frac_bits": 2, "shape": shape},
            "output": {"gadget": out, "features": n_out, "argmax": False}, "gadgets": gads,
            "model_stack": ms}


def _inputs(n_in: int, base: int):
    def inputs(batch: int, s: int = 0) -> list[list[int]]:
        r = random.Random(base + s)
        return [[r.randrange(-8, 8) for _ in range(n_in)] for _ in range(batch)]
    return inputs


def channel_model(seed: int = 11, *, limb_bits: int = 8):
    rng = random.Random(seed)
    shape = [3, 2, 3]
    tensors = {
        "Wc": [[rng.randint(-2, 2) for _ in range(3)] + [0] for _ in range(5)],
        "W1": [[rng.randint(-2, 2) for _ in range(128)] for _ in range(3)],
    }
    ms, table = model_stack(tensors)
    conv = {"op": "conv", "x": "input", "weight": "Wc", "bias": None, "bias_shift": 0,
            "in_shape": shape, "out_shape": [5, 2, 3], "kernel": [1, 1], "strides": [1, 1],
            "dilations": [1, 1], "pads": [0, 0]}
    gads = [
        gadget(conv, 8 * 2 * 4, 2, -8, 7, 0, 0),
        gadget({"op": "concat", "parts": ["input", 0], "shapes": [shape, [5, 2, 3]]},
               8 * 2 * 4, 0, -8, 7, 0, 0),
        gadget({"op": "concat", "parts": [0, "input", 0],
                "shapes": [[5, 2, 3], shape, [5, 2, 3]]}, 16 * 2 * 4, 1, -4, 3, 0, 0),
        gadget({"op": "dense", "x": 2, "weight": "W1", "bias": None, "bias_shift": 0},
               3, 3, -64, 63, 0, 0),
    ]
    doc = _doc(18, shape, gads, ms, 3, 3, limb_bits)
    inputs = _inputs(18, 4000)
    _fit_excess(doc, tensors, inputs(3) + inputs(3, 1), set())
    return doc, tensors, table, inputs


def flat_model(seed: int = 13, *, limb_bits: int = 8):
    rng = random.Random(seed)
    tensors = {
        "W0": [[rng.randint(-2, 2) for _ in range(3)] for _ in range(3)],
        "b0": [[rng.randint(-3, 3) for _ in range(3)]],
        "c0": [[rng.randint(-20, 20) for _ in range(3)]],
        "c1": [[rng.randint(-20, 20) for _ in range(3)]],
        "W1": [[rng.randint(-3, 3) for _ in range(16)] for _ in range(2)],
    }
    ms, table = model_stack(tensors)
    gads = [
        gadget({"op": "dense", "x": "input", "weight": "W0", "bias": "b0", "bias_shift": 0},
               3, 1, -8, 7, 0, 0),
        gadget({"op": "addconst", "x": 0, "c": "c0", "lshift": 1}, 3, 1, -16, 15, 0, 0),
        gadget({"op": "addconst", "x": "input", "c": "c1", "lshift": 2}, 3, 0, -64, 63, 0, 0),
        gadget({"op": "concat", "parts": ["input", 1, 2], "shapes": [[3], [3], [3]]},
               16, 0, -64, 63, 0, 0),
        gadget({"op": "dense", "x": 3, "weight": "W1", "bias": None, "bias_shift": 0},
               2, 2, -128, 127, 0, 0),
    ]
    doc = _doc(3, None, gads, ms, 4, 2, limb_bits)
    inputs = _inputs(3, 5000)
    _fit_excess(doc, tensors, inputs(3) + inputs(3, 1), set())
    return doc, tensors, table, inputs
