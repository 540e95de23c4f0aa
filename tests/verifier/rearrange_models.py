"""Small circuits for circuits/rearrange.md (tests only). Every rearrange gadget has
shift 0, divisor 1 and [lo, hi] = [-8, 7], covering its parts (so z = acc).

`transpose_model()`: transposes, one part each, then a flat concat of a flat and a
spatial part:

    input [3, 3, 2] -> g0 conv 1x1 to [5, 3, 2] -> g1 rearrange(g0) to flat (H, W, C) [30]
    -> g2 rearrange(input, views [3, 3, 1, 2], perm [3, 0, 1, 2]) to [2, 3, 3]
    -> g3 rearrange(g1 [30], g2 [2, 3, 3]) flat [48] -> g4 dense 3 (output)

`reshape_model()`: a flat tensor reshaped into channels for a 1-D conv:

    input (15) -> g0 dense 15 -> g1 rearrange(g0) to [3, 5] -> g2 conv 1x1 to [2, 5]
    -> g3 dense 2 (output)

`spatial_model()`: concat along the spatial axis S_1 (parts of 3 and 6 rows):

    input [2, 3, 2] -> g0 conv 1x1 to [2, 3, 2] -> g1 rearrange(input, g0, axis 1) [2, 6, 2]
    -> g2 rearrange(g1, input, axis 1) [2, 9, 2] -> g3 dense 2 (output)

`three_model()`: a three-part concat of a flat and two spatial tensors:

    input [2, 3, 3] -> g0 dense 5 -> g1 conv 1x1 to [3, 3, 3]
    -> g2 rearrange(g0 [5], input [2, 3, 3], g1 [3, 3, 3]) flat [50] -> g3 dense 2 (output)

`tiny_model()`: width-1 parts (instances of 0 variables), a part used twice:

    input (3) -> g0 dense 1 -> g1 rearrange(g0, input, g0; views [1, 1], [1, 3], [1, 1],
    axis 1, perm [1, 0]) [5] -> g2 dense 2 (output)

Each returns (doc, tensors, stack table, inputs(batch)).
"""

from __future__ import annotations

import random

from reference_model_key import model_stack
from reference_models import gadget
from softmax_models import _fit_excess


def _doc(n_in, shape, gads, ms, n_out, limb_bits):
    return {"format": "zkml-circuit", "version": 1, "limb_bits": limb_bits,
            "input": {"features": n_in, "bits": 4, "frac_bits": 2, "shape": shape},
            "output": {"gadget": len(gads) - 1, "features": n_out, "argmax": False},
            "gadgets": gads, "model_stack": ms}


def _inputs(n_in: int, base: int):
    def inputs(batch: int, s: int = 0) -> list[list[int]]:
        r = random.Random(base + s)
        return [[r.randrange(-8, 8) for _ in range(n_in)] for _ in range(batch)]
    return inputs


def rearrange(parts, shapes, views, axis, perm, out_shape, features) -> dict:
    """A rearrange gadget object (shift 0, [-8, 7], no excess)."""
    return gadget({"op": "rearrange", "parts": parts, "shapes": shapes, "views": views,
                   "axis": axis, "perm": perm, "out_shape": out_shape},
                  features, 0, -8, 7, 0, 0)


def _conv(x, weight, in_shape, out_shape, features, shift):
    k = len(in_shape) - 1
    return gadget({"op": "conv", "x": x, "weight": weight, "bias": None, "bias_shift": 0,
                   "in_shape": in_shape, "out_shape": out_shape, "kernel": [1] * k,
                   "strides": [1] * k, "dilations": [1] * k, "pads": [0] * k},
                  features, shift, -8, 7, 0, 0)


def _dense(x, weight, features, shift, lo=-64, hi=63):
    return gadget({"op": "dense", "x": x, "weight": weight, "bias": None, "bias_shift": 0},
                  features, shift, lo, hi, 0, 0)


def _mat(rng, rows, cols, real=None, lo=-2, hi=2):
    real = cols if real is None else real
    return [[rng.randint(lo, hi) if c < real else 0 for c in range(cols)] for _ in range(rows)]


def _finish(n_in, shape, gads, tensors, n_out, limb_bits, base):
    ms, table = model_stack(tensors)
    doc = _doc(n_in, shape, gads, ms, n_out, limb_bits)
    inputs = _inputs(n_in, base)
    _fit_excess(doc, tensors, inputs(3) + inputs(3, 1), {"rearrange"})
    return doc, tensors, table, inputs


def transpose_model(seed: int = 21, *, limb_bits: int = 8):
    rng = random.Random(seed)
    tensors = {"Wc": _mat(rng, 5, 4, 3), "W1": _mat(rng, 3, 48)}
    gads = [
        _conv("input", "Wc", [3, 3, 2], [5, 3, 2], 8 * 4 * 2, 2),
        rearrange([0], [[5, 3, 2]], [[5, 3, 2]], 0, [1, 2, 0], [30], 30),
        rearrange(["input"], [[3, 3, 2]], [[3, 3, 1, 2]], 2, [3, 0, 1, 2], [2, 3, 3], 32),
        rearrange([1, 2], [[30], [2, 3, 3]], [[30], [18]], 0, [0], [48], 48),
        _dense(3, "W1", 3, 3),
    ]
    return _finish(18, [3, 3, 2], gads, tensors, 3, limb_bits, 6000)


def reshape_model(seed: int = 22, *, limb_bits: int = 8):
    rng = random.Random(seed)
    tensors = {"W0": _mat(rng, 15, 15, lo=-1, hi=1), "Wc": _mat(rng, 2, 4, 3),
               "W1": _mat(rng, 2, 16)}
    gads = [
        _dense("input", "W0", 15, 2, -8, 7),
        rearrange([0], [[15]], [[15]], 0, [0], [3, 5], 32),
        _conv(1, "Wc", [3, 5], [2, 5], 16, 1),
        _dense(2, "W1", 2, 2),
    ]
    return _finish(15, None, gads, tensors, 2, limb_bits, 7000)


def spatial_model(seed: int = 23, *, limb_bits: int = 8):
    rng = random.Random(seed)
    tensors = {"Wc": _mat(rng, 2, 2), "W1": _mat(rng, 2, 64)}
    gads = [
        _conv("input", "Wc", [2, 3, 2], [2, 3, 2], 16, 1),
        rearrange(["input", 0], [[2, 3, 2], [2, 3, 2]], [[2, 3, 2], [2, 3, 2]], 1,
                  [0, 1, 2], [2, 6, 2], 32),
        rearrange([1, "input"], [[2, 6, 2], [2, 3, 2]], [[2, 6, 2], [2, 3, 2]], 1,
                  [0, 1, 2], [2, 9, 2], 64),
        _dense(2, "W1", 2, 3),
    ]
    return _finish(12, [2, 3, 2], gads, tensors, 2, limb_bits, 8000)


def three_model(seed: int = 24, *, limb_bits: int = 8):
    rng = random.Random(seed)
    tensors = {"W0": _mat(rng, 5, 32), "Wc": _mat(rng, 3, 2), "W1": _mat(rng, 2, 50)}
    gads = [
        _dense("input", "W0", 5, 3, -8, 7),
        _conv("input", "Wc", [2, 3, 3], [3, 3, 3], 64, 1),
        rearrange([0, "input", 1], [[5], [2, 3, 3], [3, 3, 3]], [[5], [18], [27]], 0, [0],
                  [50], 50),
        _dense(2, "W1", 2, 3),
    ]
    return _finish(18, [2, 3, 3], gads, tensors, 2, limb_bits, 9000)


def tiny_model(seed: int = 25, *, limb_bits: int = 8):
    rng = random.Random(seed)
    tensors = {"W0": _mat(rng, 1, 3), "W1": _mat(rng, 2, 5)}
    gads = [
        _dense("input", "W0", 1, 1, -8, 7),
        rearrange([0, "input", 0], [[1], [3], [1]], [[1, 1], [1, 3], [1, 1]], 1, [1, 0],
                  [5], 5),
        _dense(1, "W1", 2, 1),
    ]
    return _finish(3, None, gads, tensors, 2, limb_bits, 9500)
