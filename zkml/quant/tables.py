"""Function tables: a nonlinear function as a lookup over every integer of a bounded domain.

A table for function F with input scale 2^-fin and signed input width `in_bits` lists,
for each integer v in [-2^(in_bits-1), 2^(in_bits-1) - 1] in increasing order,

    table[v + 2^(in_bits-1)] = saturate(floor(F(v * 2^-fin) * 2^fout + 1/2), out_bits)

Inputs are saturated to the domain before the lookup (by the preceding requantization),
so every input has an entry. The table is computed once at compile time and stored in
the compiled model: the stored integers, not a float library, define the semantics.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from zkml.quant.rounding import quantize_float, signed_range

__all__ = ["TABLE_FUNCTIONS", "TABLE_VALUE_BITS", "saturation_radius", "table_inputs", "make_table"]


#: A table's values are committed in the model stack, whose entries are at most 16 bits
#: wide (circuits/inference.md section 7), so a table's output has at most 16 bits at
#: any precision (quantization.md, Tables).
TABLE_VALUE_BITS = 16

def _erf(x: np.ndarray) -> np.ndarray:
    # math.erf element by element: exact to double precision and independent of scipy.
    return np.array([math.erf(v) for v in x.tolist()], dtype=np.float64).reshape(x.shape)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _exp(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return np.exp(x)


TABLE_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "erf": _erf,
    "exp": _exp,
    "gelu": lambda x: 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0))),
    "gelu_tanh": lambda x: 0.5 * x * (
        1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3))
    ),
}


def saturation_radius(fn: str, out_frac: int) -> float:
    """|x| beyond which F is constant to within half an output step (inf if never).

    The table domain need not reach further, so its resolution goes where F changes.
    """
    half_step = (out_frac + 1) * math.log(2.0)
    if fn == "sigmoid":
        return half_step + 1.0
    if fn == "tanh":
        return half_step / 2.0 + 1.0
    if fn == "erf":
        return math.sqrt(half_step) + 1.0
    return math.inf


def table_inputs(in_bits: int) -> np.ndarray:
    """Every input integer of a table, in table order."""
    lo, hi = signed_range(in_bits)
    return np.arange(lo, hi + 1, dtype=np.int64)


def float_values(fn: str, in_frac: int, in_bits: int) -> np.ndarray:
    """F at every table input, in float (before output quantization)."""
    x = np.ldexp(table_inputs(in_bits).astype(np.float64), -in_frac)
    return TABLE_FUNCTIONS[fn](x)


def make_table(fn: str, in_frac: int, in_bits: int, out_frac: int, out_bits: int) -> np.ndarray:
    """The int64 table (see the module docstring)."""
    y = float_values(fn, in_frac, in_bits)
    lo, hi = signed_range(out_bits)
    # Saturate infinities and huge values in float so that quantization sees finite input.
    limit = math.ldexp(float(hi) + 1.0, -out_frac)
    y = np.clip(np.nan_to_num(y, nan=0.0, posinf=limit, neginf=-limit), -limit * 2, limit * 2)
    return quantize_float(y, out_frac, out_bits)
