"""Softmax over grouped rows (circuits/nonlinear.md section 12), tests only.

A row is a pair (group g, batch row b); the softmax input is read in `pad(G)` groups of
`P` positions, feature `f = i + P g`, of which the first `n` are the row's real entries.

`grouped_model(G, n, flat=False)`: a flat tensor reshaped into `[G, n]` (the compiler's
layout, `P = pad(n)`) by a rearrange, then the section 7 pipeline with grouped rows:

    input (G n, 4 bits) -> g0 dense G n in [-8, 7] -> g1 rearrange(g0) to [G, n]
    -> g2 rowmax(g1, n) (G features) -> g3 add(g1, -g2) (y broadcast along i) in [-15, 0]
    -> g4 table Texp (t = 4, T[j] = round(64 exp((j - 15) / 4)), in [0, 64])
    -> g5 spatialsum([G, n]) (G features) in [0, 64 n] -> g6 rowdiv(g4, g5, 7) in [0, 128]

`grouped_model(G, n, flat=True, p_len=P)`: the public input itself, flat of width `G P`
(`P` a power of two, `n <= P`; the positions `n <= i < P` of every group are real input
features that the row ignores), read as `G` groups:

    input (G P, 4 bits) -> g0 rowmax(input, n) -> g1 add(input, -g0) -> g2 table
    -> g3 spatialsum([G, n]) -> g4 rowdiv(g2, g3, 7)

Padded groups (`g >= G`) hold 0 (the rearrange's padding, the input's padded features),
their maximum is 0 and their row sum `64 n >= 1`. Each returns (doc, tensors, stack table,
inputs(batch)); excess widths are the smallest that fit the test inputs.
"""

from __future__ import annotations

import math
import random

from rearrange_models import rearrange
from reference_model_key import model_stack
from reference_models import gadget
from softmax_models import _fit_excess


def _pad(v: int) -> int:
    return 1 << (v - 1).bit_length()


def grouped_model(groups: int = 3, n: int = 5, *, flat: bool = False, p_len: int = 0,
                  limb_bits: int = 8, lshift: int = 7, seed: int = 31):
    rng = random.Random(seed)
    p_len = p_len or _pad(n)
    assert n <= p_len and p_len == _pad(p_len)
    width = _pad(groups) * p_len  # the padded width of every grouped tensor
    tensors = {"Texp": [[round(64 * math.exp((j - 15) / 4)) for j in range(16)]]}
    gads = []
    if flat:
        n_in, x = groups * p_len, "input"
        feats = n_in
    else:
        n_in, feats = groups * n, width
        tensors["W0"] = [[rng.randint(-1, 1) for _ in range(n_in)] for _ in range(n_in)]
        gads += [
            gadget({"op": "dense", "x": "input", "weight": "W0", "bias": None,
                    "bias_shift": 0}, n_in, 1, -8, 7, 20, 20),
            rearrange([0], [[n_in]], [[n_in]], 0, [0], [groups, n], width),
        ]
        x = 1
    k = len(gads)
    rem_bits = (2 * 64 * n - 1).bit_length()
    gads += [
        gadget({"op": "rowmax", "x": x, "n": n, "diff_bits": 4}, groups, 0, -8, 7, 0, 0),
        gadget({"op": "add", "x": x, "y": k, "signs": [1, -1], "lshifts": [0, 0]},
               feats, 0, -15, 0, 20, 20),
        gadget({"op": "table", "x": k + 1, "table": "Texp"}, feats, 0, 0, 64, 0, 0),
        gadget({"op": "spatialsum", "x": k + 2, "in_shape": [groups, n], "lshift": 0},
               groups, 0, 0, 64 * n, 20, 20),
        gadget({"op": "rowdiv", "x": k + 2, "y": k + 3, "lshift": lshift,
                "rem_bits": rem_bits}, feats, 0, 0, 1 << lshift, 20, 20, frac=lshift),
    ]
    ms, table = model_stack(tensors)
    doc = {"format": "zkml-circuit", "version": 1, "limb_bits": limb_bits,
           "input": {"features": n_in, "bits": 4, "frac_bits": 2, "shape": None},
           "output": {"gadget": len(gads) - 1, "features": feats, "argmax": False},
           "gadgets": gads, "model_stack": ms}

    def inputs(batch: int, s: int = 0) -> list[list[int]]:
        r = random.Random(3000 + 97 * groups + n + s)
        return [[r.randrange(-8, 8) for _ in range(n_in)] for _ in range(batch)]

    _fit_excess(doc, tensors, inputs(3) + inputs(3, 1), {"table", "rowmax", "rearrange"})
    return doc, tensors, table, inputs
