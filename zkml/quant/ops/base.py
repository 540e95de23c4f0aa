"""What an op module declares (`OpSpec`) and the helpers its integer executor shares.

An op module imports this module, never the `zkml.quant.ops` package by name: the
package imports every op module while it initializes, so its own names are not there
yet when an op module runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from zkml.quant.rounding import check_bound, round_shift, saturate

if TYPE_CHECKING:
    from zkml.onnx_import.graph import Node
    from zkml.quant.ir import QModel, QOp, QTensor
    from zkml.quant.lower import Lowering

__all__ = [
    "OpSpec", "Aux", "Mag", "Bound", "Executor", "Reference", "Lower", "magnitude",
    "requant", "op_bound", "checked",
]  # fmt: skip

#: An executor's auxiliary arrays: what a prover commits to beside the output
#: (circuits/quantization.md names each op's keys).
Aux = dict[str, np.ndarray]
#: `mag(i)`: the largest magnitude input `i` of an op may hold.
Mag = Callable[[int], int]
#: A static accumulator bound: `(model, op, mag)` -> max |acc|.
Bound = Callable[["QModel", "QOp", Mag], int]
#: The integer semantics: `(model, op, *input arrays)` -> (int64 output, aux).
Executor = Callable[..., "tuple[np.ndarray, Aux]"]
#: The float64 semantics: `(*input arrays, **attrs)` -> output array.
Reference = Callable[..., Any]
#: The quantization: `(lowering, node)` appends the node's integer ops to the lowering.
Lower = Callable[["Lowering", "Node"], None]


@dataclass(frozen=True)
class OpSpec:
    """Everything about one op, by name. An op has a canonical side (it appears in the
    imported float graph), a quantized side (it appears in the integer IR), or both.

    Canonical side, present when `reference` is set:

    - `inputs`: input names in order; `name?` is optional (None or left off), `*name`
      takes any number;
    - `attrs`: the attribute names of a graph node;
    - `reference(*inputs, **attrs)`: the float64 semantics (shapes at import, calibration);
    - `lower(lowering, node)`: appends the node's integer ops to a `zkml.quant.lower.
      Lowering`; None for an op that graph cleanup always removes first.

    Quantized side, present when `execute` is set:

    - `qattrs`: the attribute names of an IR op (exactly those a compiled file holds);
    - `execute(model, op, *inputs)`: the exact integer semantics, `(output, aux)`;
    - `bound(model, op, mag)`: the static worst case of |acc| (None: the largest input
      magnitude, `mag(0)`), which sizes a circuit's columns, so from the inputs'
      formats (`mag`), shapes and attributes only, never a constant's values;
    - `saturating`: the output is `saturate(aux["quotient"])`, so the fidelity report
      counts the values that saturated.

    `inputs` may also describe a quantized-only op's inputs.
    """

    name: str
    inputs: tuple[str, ...] = ()
    attrs: tuple[str, ...] = ()
    reference: Reference | None = None
    lower: Lower | None = None
    qattrs: tuple[str, ...] | None = None
    execute: Executor | None = None
    bound: Bound | None = None
    saturating: bool = False

    def __post_init__(self) -> None:
        # A malformed declaration fails when its module is imported, naming the op.
        problem = None
        if not self.canonical and not self.quantized:
            problem = "neither a reference (canonical op) nor an executor (IR op)"
        elif (self.qattrs is None) != (self.execute is None):
            problem = "qattrs and execute go together (the IR side)"
        elif not self.canonical and (self.attrs or self.lower is not None):
            problem = "attrs and lower need a reference (the canonical side)"
        elif not self.quantized and (self.bound is not None or self.saturating):
            problem = "bound and saturating need an executor (the IR side)"
        if problem:
            raise ValueError(f"op {self.name!r}: {problem}")

    @property
    def canonical(self) -> bool:
        """Whether the op appears in the imported float graph."""
        return self.reference is not None

    @property
    def quantized(self) -> bool:
        """Whether the op appears in the integer IR."""
        return self.execute is not None


def magnitude(t: QTensor) -> int:
    """Largest magnitude a tensor may hold."""
    return 1 << (t.bits - 1)


def requant(acc: np.ndarray, shift: int, out: QTensor) -> tuple[np.ndarray, Aux]:
    """`acc` rounded half up by `2^shift` and saturated to `out`'s bound, with the aux of
    a requantizing op (acc, quotient before saturation, remainder)."""
    q, rem = round_shift(acc, shift)
    return saturate(q, out.bits), {"acc": acc, "quotient": q, "remainder": rem}


def op_bound(model: QModel, op: QOp, bound: Bound | None) -> int:
    """`bound` of `op` (None: the largest input magnitude), cached on the model under
    the op's name: `zkml.quant.executor.accumulator_bound` reads the same entry."""
    key = ("bound", op.name)
    if key in model.cache:
        return model.cache[key]

    def mag(i: int) -> int:
        return magnitude(model.tensor(op.inputs[i]))

    value = bound(model, op, mag) if bound is not None else mag(0)
    model.cache[key] = value
    return value


def checked(model: QModel, op: QOp, bound: Bound | None) -> int:
    """The op's accumulator bound (`op_bound`), refused if it (with the rounding offset
    `2^shift`) nears 2^62: an executor calls this before it forms a product or sum."""
    value = op_bound(model, op, bound)
    check_bound(value + (1 << op.attrs.get("shift", 0)), f"op {op.name}")
    return value
