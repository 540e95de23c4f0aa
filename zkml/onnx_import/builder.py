"""What ONNX handlers see: symbolic tensors, constants, and a builder that emits ops.

A handler receives each ONNX input as either a `Sym` (a computed tensor with a static
shape) or a numpy array (a constant), and returns the output value(s) the same way.
Shape ops on constants compute with numpy; everything else emits canonical ops.
"""

from __future__ import annotations

import numpy as np

from zkml.onnx_import.errors import NonConstantWeightError, UnsupportedModelError
from zkml.onnx_import.graph import Graph, Node
from zkml.onnx_import.reference import run_node

__all__ = ["Sym", "Value", "Builder", "HandlerError", "is_const", "const", "unsupported"]


class Sym:
    """A computed tensor of the graph (not a constant)."""

    __slots__ = ("name", "shape")

    def __init__(self, name: str, shape: tuple[int, ...]) -> None:
        self.name = name
        self.shape = tuple(int(d) for d in shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"Sym({self.name!r}, {self.shape})"


Value = Sym | np.ndarray


class HandlerError(Exception):
    """Raised inside a handler; the dispatcher adds the node's name and op."""

    def __init__(self, message: str, kind: type = UnsupportedModelError) -> None:
        super().__init__(message)
        self.kind = kind


def is_const(v: Value | None) -> bool:
    """Whether `v` is a constant (numpy array)."""
    return isinstance(v, np.ndarray)


def as_float(v: Value) -> Value:
    """A constant as float64, the same array object when it already is one: the builder
    names a constant after the ONNX input it *is* (`Builder.constant`), so a handler
    passes an input it does not transform through this, never through a copy."""
    return np.asarray(v, dtype=np.float64) if is_const(v) else v


def const(v: Value | None, what: str) -> np.ndarray:
    """`v` as a constant array, or a non-constant-weight error naming `what`."""
    if isinstance(v, np.ndarray):
        return v
    name = v.name if isinstance(v, Sym) else "missing"
    raise HandlerError(
        f"{what} ('{name}') is computed from the model input, but it must be a constant "
        "(an initializer or Constant node) so that it can be committed as a weight",
        NonConstantWeightError,
    )


def unsupported(message: str) -> HandlerError:
    """An error for a feature of an otherwise supported op."""
    return HandlerError(message, UnsupportedModelError)


class Builder:
    """Appends canonical ops to a Graph, computing each output's static shape."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.source = ""
        self._counter = 0
        self.emitted: list[str] = []
        # The current node's constant inputs by ONNX name, so weights keep their names.
        self.named_inputs: dict[str, np.ndarray] = {}

    def _fresh(self, hint: str) -> str:
        self._counter += 1
        return f"{self.source or hint}#{self._counter}"

    def constant(self, value: np.ndarray, hint: str = "const") -> str:
        """Register a constant and return its tensor name: the ONNX input's name when
        `value` is that input's array (the same object: a handler passed it through
        untransformed), else a fresh name. Never by comparing values: a derived constant
        that happened to equal its input (`1 / d` with `d = 1`, a symmetric weight
        transposed) would otherwise be named differently, and the names are in the
        public circuit (quantization.md, "What the circuit may depend on")."""
        arr = np.asarray(value)
        if arr.dtype.kind == "f":
            arr = np.asarray(arr, dtype=np.float64)
        for onnx_name, orig in self.named_inputs.items():
            if arr is orig or value is orig:
                # An ONNX name always holds the same array (an initializer or a folded
                # constant), so a second registration finds the first one's values.
                self.graph.constants.setdefault(onnx_name, arr)
                return onnx_name
        name = self._fresh(hint)
        self.graph.constants[name] = arr
        return name

    def emit(self, op: str, inputs: list[Value], **attrs) -> Sym:
        """Append `op(inputs; attrs)` and return its output tensor."""
        names, probes = [], []
        for v in inputs:
            if isinstance(v, Sym):
                names.append(v.name)
                probes.append(np.zeros(v.shape))
            else:
                arr = np.asarray(v, dtype=np.float64)
                names.append(self.constant(arr))
                probes.append(arr)
        try:
            shape = run_node(op, probes, attrs).shape
        except (ValueError, IndexError) as exc:
            raise unsupported(f"inconsistent shapes for {op}: {exc}") from exc
        out = self._fresh(op)
        self.graph.nodes.append(Node(op, names, out, dict(attrs), self.source))
        self.graph.shapes[out] = tuple(shape)
        self.emitted.append(out)
        return Sym(out, shape)

    def rename(self, old: str, new: str) -> None:
        """Rename the output of an op emitted by the current ONNX node."""
        for node in self.graph.nodes:
            if node.output == old:
                node.output = new
            node.inputs = [new if i == old else i for i in node.inputs]
        self.graph.shapes[new] = self.graph.shapes.pop(old)
