"""Small circuits for the verifier's tests (tests only): the gadget object helper and
the example dense model (re-exported by reference_inference)."""

from __future__ import annotations

from reference_model_key import model_stack


def gadget(producer: dict, features: int, shift: int, lo: int, hi: int, ehi: int, elo: int,
           frac: int = 4, source: str = "node", divisor: int = 1) -> dict:
    return {"producer": producer, "features": features, "shift": shift, "divisor": divisor,
            "lo": lo, "hi": hi, "excess_hi_bits": ehi, "excess_lo_bits": elo,
            "frac_bits": frac, "source": source}


def example_model(seed: int = 5, argmax: bool = False):
    """A small circuit with every producer: dense (input and gadget x, with and without
    bias), add (of the input and a gadget), identity (a clip with a v column), ReLU.

    Returns (doc, tensors, stack table)."""
    import random

    rng = random.Random(seed)

    def mat(rows, cols, lo=-4, hi=4):
        return [[rng.randint(lo, hi) for _ in range(cols)] for _ in range(rows)]

    tensors = {"W0": mat(4, 4), "b0": mat(1, 4, -20, 20), "W1": mat(3, 4),
               "b1": mat(1, 3, -20, 20), "W2": mat(2, 3)}
    ms, table = model_stack(tensors)
    gads = [
        gadget({"op": "dense", "x": "input", "weight": "W0", "bias": "b0", "bias_shift": 0},
               4, 3, 0, 127, 4, 12),
        gadget({"op": "add", "x": "input", "y": 0, "signs": [1, -1], "lshifts": [1, 0]},
               4, 1, -128, 127, 2, 7),
        gadget({"op": "dense", "x": 1, "weight": "W1", "bias": "b1", "bias_shift": 1},
               3, 4, -128, 127, 8, 8),
        gadget({"op": "identity", "x": 2}, 3, 0, -100, 100, 6, 6),
        gadget({"op": "dense", "x": 3, "weight": "W2", "bias": None, "bias_shift": 0},
               2, 2, -128, 127, 8, 8),
    ]
    doc = {"format": "zkml-circuit", "version": 1, "limb_bits": 8,
           "input": {"features": 4, "bits": 8, "frac_bits": 4, "shape": None},
           "output": {"gadget": 4, "features": 2, "argmax": argmax}, "gadgets": gads,
           "model_stack": ms}
    return doc, tensors, table
