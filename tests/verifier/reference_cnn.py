"""Small CNN circuits for the verifier's conv tests (tests only), built from a layer list.

`build(layers, in_shape, seed)` returns (doc, tensors, stack table, inputs(batch)): conv,
pool, add and dense layers over a shaped input; each gadget's range is a ReLU or a clip
and its excess widths are the smallest that fit the test inputs (found by running the
reference witness with wide excess columns first).
"""

from __future__ import annotations

import random

from reference_conv import clog, conv_weight, pads
from reference_inference import Witness, gadget
from reference_model_key import model_stack


def _width(shape) -> int:
    """width(x): features of a flat tensor, prod pad(dims) of a spatial one."""
    return shape[0] if len(shape) == 1 else _prod(pads(shape))


def _prod(v) -> int:
    out = 1
    for x in v:
        out *= x
    return out


def build(layers: list[tuple], in_shape: list[int], seed: int = 1, bits: int = 4,
          batch_rows: int = 3):
    """layers: ("conv", x, out_ch, kernel, strides, dilations, pads(, groups)) (groups: a
    block-diagonal weight, ONNX `group`; out_ch and the input's channels divisible by it),
    ("sumpool" | "maxpool", x, window), ("add", x, y), ("dense", x, out),
    ("winsum" | "winmax", x, kernel, strides, dilations, pads(, divisor(, ceil)))
    (conv.md 5; `ceil`: ONNX ceil_mode, one more output on an axis whose last window
    overhangs the input, if that window starts inside the input or its begin padding),
    ("spatialsum", x) (nonlinear.md 2: the spatial mean, divisor prod S, or shift log2 of it
    when that is a power of two);
    x, y: "input", an earlier layer index, or None for the previous layer."""
    rng = random.Random(seed)
    tensors: dict = {}
    shapes: dict = {"input": list(in_shape)}
    gads: list[dict] = []
    for li, layer in enumerate(layers):
        op, ref = layer[0], layer[1]
        x = (li - 1 if li else "input") if ref is None else ref
        xs = shapes[x]
        if op == "conv":
            _, _, oc, ks, st, dl, pd = layer[:7]
            groups = layer[7] if len(layer) > 7 else 1
            outs = _outs(xs[1:], ks, st, dl, pd)
            kern = [[_rand_taps(rng, ks) if c * groups // xs[0] == o * groups // oc
                     else _zero_taps(ks) for c in range(xs[0])] for o in range(oc)]
            tensors[f"W{li}"] = conv_weight(kern, xs[0], ks)
            tensors[f"b{li}"] = [[rng.randint(-6, 6) for _ in range(oc)]]
            shape = [oc, *outs]
            prod = {"op": "conv", "x": x, "weight": f"W{li}", "bias": f"b{li}",
                    "bias_shift": 1, "in_shape": xs, "out_shape": shape, "kernel": list(ks),
                    "strides": list(st), "dilations": list(dl), "pads": list(pd)}
            gads.append(gadget(prod, _prod(pads(shape)), 3, 0, 15, 20, 20))
        elif op in ("sumpool", "maxpool"):
            win = layer[2]
            shape = [xs[0], *[s // k for s, k in zip(xs[1:], win, strict=True)]]
            prod = {"op": op, "x": x, "in_shape": xs, "out_shape": shape, "window": list(win)}
            if op == "sumpool":
                prod["lshift"] = 0
                gads.append(gadget(prod, _prod(pads(shape)), clog(_prod(win)), 0, 15, 20, 20))
            else:
                prod["diff_bits"] = 5  # D <= hi - lo = 23; [-8, 15] also has a v column
                gads.append(gadget(prod, _prod(pads(shape)), 0, -8, 15, 0, 0))
        elif op in ("winsum", "winmax"):  # conv.md 5: (op, x, kernel, strides, dils, pads(, d))
            ks, st, dl, pd = layer[2:6]
            outs = _outs(xs[1:], ks, st, dl, pd, len(layer) > 7 and layer[7])
            shape = [xs[0], *outs]
            prod = {"op": op, "x": x, "in_shape": xs, "out_shape": shape, "kernel": list(ks),
                    "strides": list(st), "dilations": list(dl), "pads": list(pd)}
            if op == "winsum":
                prod["lshift"] = 0
                div = layer[6] if len(layer) > 6 else 1
                gads.append(gadget(prod, _prod(pads(shape)), 0, 0, 15, 20, 20, divisor=div))
            else:
                prod["diff_bits"] = 5
                gads.append(gadget(prod, _prod(pads(shape)), 0, -8, 15, 0, 0))
        elif op == "spatialsum":
            shape = [xs[0]]
            area = _prod(xs[1:])
            prod = {"op": "spatialsum", "x": x, "in_shape": xs, "lshift": 0}
            if area & (area - 1):
                gads.append(gadget(prod, xs[0], 0, 0, 15, 20, 20, divisor=area))
            else:
                gads.append(gadget(prod, xs[0], clog(area), 0, 15, 20, 20))
        elif op == "add":
            y = layer[2]
            shape = xs
            prod = {"op": "add", "x": x, "y": y, "signs": [1, 1], "lshifts": [0, 0]}
            gads.append(gadget(prod, _width(shape), 1, 0, 15, 20, 20))
        else:
            n_in = _width(xs)
            tensors[f"W{li}"] = [[rng.randint(-3, 3) for _ in range(n_in)]
                                 for _ in range(layer[2])]
            shape = [layer[2]]
            prod = {"op": "dense", "x": x, "weight": f"W{li}", "bias": None, "bias_shift": 0}
            gads.append(gadget(prod, layer[2], 2, -8, 7, 20, 20))
        shapes[li] = shape
    ms, table = model_stack(tensors)
    n_in = _prod(in_shape)
    doc = {"format": "zkml-circuit", "version": 1, "limb_bits": 8,
           "input": {"features": n_in, "bits": bits, "frac_bits": 2,
                     "shape": list(in_shape) if len(in_shape) > 1 else None},
           "output": {"gadget": len(gads) - 1, "features": gads[-1]["features"],
                      "argmax": False},
           "gadgets": gads, "model_stack": ms}
    half = 1 << (bits - 1)

    def inputs(batch: int, s: int = 0) -> list[list[int]]:
        r = random.Random(1000 + s)
        return [[r.randrange(-half, half) for _ in range(n_in)] for _ in range(batch)]

    # the smallest excess widths that fit every test input (batch <= batch_rows)
    rows = inputs(batch_rows) + inputs(batch_rows, 1)
    seen: dict = {}

    def record(gi: int, vals: dict) -> None:
        seen[gi] = (max(vals["ep"]), max(vals["em"]))

    Witness(doc, tensors, rows, tamper=record)
    for gi, g in enumerate(gads):
        if g["producer"]["op"] not in ("maxpool", "winmax"):
            g["excess_hi_bits"] = seen[gi][0].bit_length()
            g["excess_lo_bits"] = seen[gi][1].bit_length()
    return doc, tensors, table, inputs


def _outs(sizes, ks, st, dl, pd, ceil: bool = False) -> list[int]:
    """Output sizes (ONNX): floor((S + 2p - d(k - 1) - 1) / s) + 1, or with `ceil` the
    ceiling, less one where the last window would start past the input and its padding."""
    out = []
    for s, k, t, d, p in zip(sizes, ks, st, dl, pd, strict=True):
        span = s + 2 * p - d * (k - 1) - 1
        n = (span + t - 1) // t + 1 if ceil else span // t + 1
        if ceil and (n - 1) * t >= s + p:
            n -= 1
        out.append(n)
    return out


def _zero_taps(ks):
    return [0] * ks[0] if len(ks) == 1 else [[0] * ks[1] for _ in range(ks[0])]


def _rand_taps(rng: random.Random, ks):
    if len(ks) == 1:
        return [rng.randint(-3, 3) for _ in range(ks[0])]
    return [[rng.randint(-3, 3) for _ in range(ks[1])] for _ in range(ks[0])]

