"""A nonlinear function of one tensor: the canonical op `func` (input x; attr fn: one of
`FUNCTIONS`) becomes the IR op `table` (inputs x, table; attr fn), a lookup in a table
of every integer of x's domain (zkml.quant.tables, quantization.md Tables).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from zkml.errors import ModelError
from zkml.quant.ops.base import OpSpec
from zkml.quant.rounding import frac_bits_for
from zkml.quant.tables import TABLE_VALUE_BITS, float_values, saturation_radius

if TYPE_CHECKING:
    from zkml.onnx_import.graph import Node
    from zkml.quant.ir import QModel, QOp
    from zkml.quant.lower import Lowering

__all__ = ["FUNCTIONS", "erf"]


def erf(x: np.ndarray) -> np.ndarray:
    """The error function on float64 arrays.

    scipy (which ships with scikit-learn) is imported here, on first use, not at module
    import: it costs about 0.1 s, and `zkml compile` imports this module for every model.
    Without scipy, math.erf element by element.
    """
    try:
        from scipy.special import erf as fast
    except ImportError:  # pragma: no cover - depends on the environment
        fast = np.frompyfunc(math.erf, 1, 1)
    return np.asarray(fast(np.asarray(x, dtype=np.float64)), dtype=np.float64)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # exp of a non-positive argument only, so large |x| neither overflows nor warns.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


#: The float functions of `func`, by the name its `fn` attribute holds.
FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "erf": erf,
    "exp": np.exp,
    "gelu": lambda x: 0.5 * x * (1.0 + erf(x / math.sqrt(2.0))),
    "gelu_tanh": _gelu_tanh,
}


def _table_input(low: Lowering, x: str, radius: float) -> str:
    """`x` saturated (and if needed rescaled) into a table domain of table_bits."""
    tx, tb = low.t(x), low.p.table_bits
    ft = min(frac_bits_for(radius, tb), tx.frac_bits)
    if ft == tx.frac_bits and tx.bits <= tb:
        return x
    return low.rescale(x, ft, tb, tag="table_in")


def _func_lower(low: Lowering, node: Node) -> None:
    fn = node.attrs["fn"]
    a = low.p.activation_bits
    peak = low.stats.max_abs.get(node.inputs[0], 0.0) or 1.0
    # The output scale only bounds how far the domain is worth covering; a provisional
    # scale from the activation width is enough for that.
    radius = min(peak, saturation_radius(fn, a - 2))
    x = _table_input(low, node.inputs[0], radius)
    tx = low.t(x)
    values = float_values(fn, tx.frac_bits, tx.bits)
    finite = values[np.isfinite(values)]
    ob = min(a, TABLE_VALUE_BITS)
    fo = frac_bits_for(float(np.abs(finite).max(initial=0.0)), ob)
    table = low.table(fn, tx.frac_bits, tx.bits, fo, ob)
    low.add_tensor(node.output, low.g.shapes[node.output], fo, ob)
    low.op("table", [x, table], node.output, fn=fn)


def _table_execute(model: QModel, op: QOp, x: np.ndarray, table: np.ndarray):
    tin = model.tensor(op.inputs[0])
    if table.shape != (1 << tin.bits,):
        raise ModelError(f"op {op.name}: table size {table.shape} does not match input bits")
    # Index = x + 2^(bits-1): the table lists outputs for inputs lo, lo+1, ..., hi.
    return table[x - tin.lo], {}


OPS = (
    OpSpec("func", inputs=("x",), attrs=("fn",), reference=lambda x, *, fn: FUNCTIONS[fn](x),
           lower=_func_lower),
    OpSpec("table", inputs=("x", "table"), qattrs=("fn",), execute=_table_execute),
)
