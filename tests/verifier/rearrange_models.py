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

`broadcast_model()`: a per-channel value spread over a map (strides [1, 0, 0]):

    input [2, 3, 3] -> g0 dense 2 -> g1 rearrange(g0 [2]) to [2, 3, 3]
    -> g2 add(input, g1) -> g3 dense 2 (output)

`choice_model()`: a choice between two same-shaped tensors by region (4 blocks):

    input [2, 4, 4] -> g0 conv 1x1 to [2, 4, 4] -> g1 rearrange(input, g0) to [2, 4, 4]
    (rows 0-1: input; rows 2-3, columns 0-1: g0; rows 2-3, columns 2-3: input in channel
    0, g0 in channel 1) -> g2 dense 2 (output)

`output_model()`: a rearrange as the circuit's output (a flat out_shape):

    input [2, 2, 3] -> g0 conv 1x1 to [3, 2, 3] -> g1 rearrange(g0) to flat (H, W, C) [18]

The producers of the first five are the first version's views, axis and perm converted to
blocks (`view_blocks`). Each returns (doc, tensors, stack table, inputs(batch)).
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


def view_blocks(views, axis, perm) -> tuple[list[int], list[dict]]:
    """(dims, blocks) of `transpose(concat_axis(views), perm)` (rearrange.md 1's examples:
    one block per part at the running offset along `axis`, the part's row-major strides
    permuted)."""
    v_shape = list(views[0])
    v_shape[axis] = sum(v[axis] for v in views)
    blocks, off = [], 0
    for k, view in enumerate(views):
        rs = [1] * len(view)
        for a in range(len(view) - 2, -1, -1):
            rs[a] = rs[a + 1] * view[a + 1]
        blocks.append({"part": k, "start": [off if q == axis else 0 for q in perm],
                       "size": [view[q] for q in perm], "offset": 0,
                       "strides": [rs[q] for q in perm]})
        off += view[axis]
    return [v_shape[q] for q in perm], blocks


def gather(parts, shapes, out_shape, dims, blocks, features) -> dict:
    """A rearrange gadget object (shift 0, [-8, 7], no excess)."""
    return gadget({"op": "rearrange", "parts": parts, "shapes": shapes,
                   "out_shape": out_shape, "dims": dims, "blocks": blocks},
                  features, 0, -8, 7, 0, 0)


def rearrange(parts, shapes, views, axis, perm, out_shape, features) -> dict:
    """A rearrange gadget of a transpose of a concat of views, as blocks."""
    dims, blocks = view_blocks(views, axis, perm)
    return gather(parts, shapes, out_shape, dims, blocks, features)


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


#: choice_model's regions: (part, start, size) over dims [2, 4, 4]
CHOICE_REGIONS = [(0, [0, 0, 0], [2, 2, 4]), (1, [0, 2, 0], [2, 2, 2]),
                  (0, [0, 2, 2], [1, 2, 2]), (1, [1, 2, 2], [1, 2, 2])]


def broadcast_model(seed: int = 29, *, limb_bits: int = 8):
    rng = random.Random(seed)
    tensors = {"W0": _mat(rng, 2, 32), "W1": _mat(rng, 2, 32)}
    block = {"part": 0, "start": [0, 0, 0], "size": [2, 3, 3], "offset": 0,
             "strides": [1, 0, 0]}
    gads = [
        _dense("input", "W0", 2, 3, -8, 7),
        gather([0], [[2]], [2, 3, 3], [2, 3, 3], [block], 32),
        gadget({"op": "add", "x": "input", "y": 1, "signs": [1, 1], "lshifts": [0, 0]},
               32, 0, -16, 15, 0, 0),
        _dense(2, "W1", 2, 3),
    ]
    return _finish(18, [2, 3, 3], gads, tensors, 2, limb_bits, 9600)


def choice_model(seed: int = 27, *, limb_bits: int = 8):
    rng = random.Random(seed)
    tensors = {"Wc": _mat(rng, 2, 2), "W1": _mat(rng, 2, 32)}
    blocks = [{"part": k, "start": a, "size": n, "offset": 16 * a[0] + 4 * a[1] + a[2],
               "strides": [16, 4, 1]} for k, a, n in CHOICE_REGIONS]
    gads = [
        _conv("input", "Wc", [2, 4, 4], [2, 4, 4], 32, 1),
        gather(["input", 0], [[2, 4, 4], [2, 4, 4]], [2, 4, 4], [2, 4, 4], blocks, 32),
        _dense(1, "W1", 2, 3),
    ]
    return _finish(32, [2, 4, 4], gads, tensors, 2, limb_bits, 9700)


def output_model(seed: int = 28, *, limb_bits: int = 8):
    rng = random.Random(seed)
    tensors = {"Wc": _mat(rng, 3, 2)}
    gads = [
        _conv("input", "Wc", [2, 2, 3], [3, 2, 3], 4 * 2 * 4, 1),
        rearrange([0], [[3, 2, 3]], [[3, 2, 3]], 0, [1, 2, 0], [18], 18),
    ]
    return _finish(12, [2, 2, 3], gads, tensors, 18, limb_bits, 9800)
