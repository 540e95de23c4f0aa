"""What every gadget's witness hook reads: the circuit, the model stack and the padded
tensors computed so far (circuits/inference.md sections 1-2)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from zkml.compiler.circuit import Circuit, Gadget, ceil_log2
from zkml.compiler.producers import Producer

__all__ = ["Context", "Hook", "Extra", "padded", "stack_matrix", "maxabs", "producer_of"]

#: The values of a gadget's extra committed columns, by name (a maxpool's `D_w`, `S_w`).
Extra = dict[str, np.ndarray]

P = TypeVar("P", bound=Producer)


def producer_of(g: Gadget, cls: type[P]) -> P:
    """`g`'s producer, a `cls` (the registry hands each hook its own op's gadgets)."""
    p = g.producer
    assert isinstance(p, cls), (g.op, cls.op)
    return p


def padded(arr: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """`arr` in the top-left corner of a zero `(rows, cols)` int64 array."""
    out = np.zeros((rows, cols), dtype=np.int64)
    out[: arr.shape[0], : arr.shape[1]] = arr
    return out


def stack_matrix(circuit: Circuit, stack: np.ndarray, name: str) -> np.ndarray:
    """A model-stack tensor as its padded (rows', cols') matrix."""
    t = circuit.model_stack.tensor(name)
    width = 1 << ceil_log2(t.cols)
    return stack[t.offset : t.offset + t.size].reshape(-1, width)


def maxabs(a: np.ndarray) -> int:
    """`max |a|` (0 for an empty array)."""
    return int(np.abs(a).max()) if a.size else 0


@dataclass
class Context:
    """One evaluation of a circuit: its padded input `x_in` `(B', width)` and the padded
    tensors `z_g` of the gadgets evaluated so far, in gadget order."""

    circuit: Circuit
    stack: np.ndarray
    x_in: np.ndarray
    tensors: list[np.ndarray] = field(default_factory=list)

    def value(self, ref: str | int) -> np.ndarray:
        """The padded tensor of `"input"` or of gadget `ref`."""
        return self.x_in if ref == "input" else self.tensors[int(ref)]

    def matrix(self, name: str) -> np.ndarray:
        """The model-stack tensor `name` as its padded matrix."""
        return stack_matrix(self.circuit, self.stack, name)


#: A gadget's witness hook: its accumulator over the whole padded tensor (`acc`, before
#: requantizing and clamping) and the values of its extra committed columns.
Hook = Callable[[Context, Gadget], tuple[np.ndarray, Extra]]
