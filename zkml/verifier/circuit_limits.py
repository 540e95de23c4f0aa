"""Every limit of the circuit description in the verifier (circuits/inference.md
section 6, conv.md, nonlinear.md, rearrange.md, wiring.md), in one place.

The values equal the named table `limits` of `circuits/circuit.schema.json`
(tests/test_circuit_schema.py checks each one). The prover side keeps its own copy
(`zkml/compiler/limits.py`): the verifier shares no code with it. Standard
library only.
"""

from __future__ import annotations

__all__ = [
    "MAX_FEATURES",
    "MAX_BITS",
    "MAX_INPUT_BITS",
    "MAX_FRAC_BITS",
    "MAX_ABS_BOUND",
    "MAX_DIVISOR",
    "LIMB_BITS",
    "MAX_RANGE_BITS",
    "MAX_NUM_VARS",
    "MAX_GADGETS",
    "MAX_AFFINE_TERMS",
    "MAX_AFFINE_COEFF",
    "MAX_TABLE_BITS",
    "MAX_WINDOW_TAPS",
    "MAX_WIRE_LEN",
    "MAX_WIRE_STEP",
    "MAX_CONCAT_PARTS",
    "MAX_REARRANGE_PARTS",
    "MAX_VIEW_DIMS",
    "MAX_REARRANGE_BLOCKS",
    "MAX_REARRANGE_STRIDE",
    "MAX_CIRCUIT_JSON_BYTES",
    "MAX_JSON_DEPTH",
]

#: Features of a tensor, model tensor rows and cols, a shape's entries and padded width.
MAX_FEATURES = 1 << 20
#: Shifts, lshifts, bias shifts, excess bits, diff and rem bits, a gadget's value width.
MAX_BITS = 64
#: `input.bits` is 1..62.
MAX_INPUT_BITS = 62
#: `|frac_bits| <= 1024`.
MAX_FRAC_BITS = 1024
#: A clamp bound: `|lo|, |hi| < 2^62`.
MAX_ABS_BOUND = 1 << 62
#: Constant divisors are below 2^40 (nonlinear.md section 1).
MAX_DIVISOR = 1 << 40
#: Limb widths a circuit may use (nonlinear.md section 5).
LIMB_BITS = (8, 16)
#: Widest model-stack entry: the verifying key's range table has 2^range_bits entries.
MAX_RANGE_BITS = 16
#: `model_stack.num_vars`: every committed table has at most 2^30 entries.
MAX_NUM_VARS = 30
#: Gadgets per circuit.
MAX_GADGETS = 1 << 16
#: An affine has 1..8 terms with `|c_k| < 2^40`.
MAX_AFFINE_TERMS = 8
MAX_AFFINE_COEFF = 1 << 40
#: Function tables have 2^t entries, 1 <= t <= 20 (nonlinear.md section 3).
MAX_TABLE_BITS = 20
#: Taps `prod kernel` of a winsum or winmax (nonlinear.md section 9).
MAX_WINDOW_TAPS = 1024
#: Wiring limits of one spatial axis (circuits/wiring.md): lengths and kernel; stride,
#: dilation and pad.
MAX_WIRE_LEN = 1 << 24
MAX_WIRE_STEP = 1 << 16
#: Parts of a concat gadget, 2 <= K <= 64 (nonlinear.md section 11).
MAX_CONCAT_PARTS = 64
#: Parts of a rearrange gadget, 1 <= K <= 64, dims of its index space, 1 to 6, blocks,
#: 1 to 4096, and the bound on a block's offset and strides (circuits/rearrange.md 1).
MAX_REARRANGE_PARTS = 64
MAX_VIEW_DIMS = 6
MAX_REARRANGE_BLOCKS = 4096
MAX_REARRANGE_STRIDE = 1 << 31
#: The circuit JSON's size in bytes and its nesting depth (a circuit nests 5 deep).
MAX_CIRCUIT_JSON_BYTES = 1 << 25
MAX_JSON_DEPTH = 16
