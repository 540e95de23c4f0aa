"""The quantized IR: integer tensors with power-of-two scales and proven bit bounds.

A tensor `t` holds integers q with `-2^(bits-1) <= q < 2^(bits-1)` that stand for the
reals `q * 2^-frac_bits`. Every op is an explicit integer operation (circuits/
quantization.md states each one); `zkml.quant.executor` runs them. Weights and function
tables are constants of the model, stored as int64 arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from zkml.quant.ops import SPECS

__all__ = ["QTensor", "QOp", "QModel", "ROLES", "QOPS"]

ROLES = ("input", "weight", "table", "activation")

#: op -> attribute names (all JSON-serializable ints, bools, strings or int lists): each
#: IR op's `qattrs` in its zkml.quant.ops module; a compiled file's ops are checked
#: against it.
QOPS: dict[str, tuple[str, ...]] = {
    name: spec.qattrs for name, spec in SPECS.items() if spec.qattrs is not None
}


@dataclass(frozen=True)
class QTensor:
    """Shape, scale `2^-frac_bits` and signed bit bound of one integer tensor."""

    name: str
    shape: tuple[int, ...]
    frac_bits: int
    bits: int
    role: str = "activation"

    @property
    def scale(self) -> float:
        """The real value of one integer step."""
        return 2.0**-self.frac_bits

    @property
    def lo(self) -> int:
        """Smallest integer in the bound."""
        return -(1 << (self.bits - 1))

    @property
    def hi(self) -> int:
        """Largest integer in the bound."""
        return (1 << (self.bits - 1)) - 1

    def to_json(self) -> dict:
        """JSON form (compiled file)."""
        return {"name": self.name, "shape": list(self.shape), "frac_bits": self.frac_bits,
                "bits": self.bits, "role": self.role}

    @classmethod
    def from_json(cls, d: dict) -> QTensor:
        """Inverse of to_json."""
        return cls(str(d["name"]), tuple(int(x) for x in d["shape"]), int(d["frac_bits"]),
                   int(d["bits"]), str(d["role"]))


@dataclass
class QOp:
    """One integer operation: `output = op(inputs; attrs)`. `source` is the ONNX node."""

    op: str
    name: str
    inputs: tuple[str, ...]
    output: str
    attrs: dict
    source: str = ""

    def to_json(self) -> dict:
        """JSON form (compiled file)."""
        return {"op": self.op, "name": self.name, "inputs": list(self.inputs),
                "output": self.output, "attrs": _jsonable(self.attrs), "source": self.source}

    @classmethod
    def from_json(cls, d: dict) -> QOp:
        """Inverse of to_json."""
        return cls(str(d["op"]), str(d["name"]), tuple(d["inputs"]), str(d["output"]),
                   dict(d["attrs"]), str(d.get("source", "")))


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


@dataclass
class QModel:
    """A quantized model: tensors, ops in execution order, integer constants.

    `outputs` maps public output names to tensors. `constants` holds the int64 arrays of
    weights (role "weight") and function tables (role "table").
    """

    tensors: dict[str, QTensor]
    ops: list[QOp]
    inputs: list[str]
    outputs: dict[str, str]
    constants: dict[str, np.ndarray]
    precision: dict = field(default_factory=dict)
    # Per-op static bounds computed by the executor on first use (never serialized).
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    def tensor(self, name: str) -> QTensor:
        """The tensor called `name`."""
        return self.tensors[name]

    @property
    def weight_count(self) -> int:
        """Number of committed weight entries (tables excluded)."""
        return sum(
            int(self.constants[n].size) for n, t in self.tensors.items() if t.role == "weight"
        )

    def summary(self) -> dict:
        """Counts for reports: ops by kind, weights, tables, widest tensor."""
        kinds: dict[str, int] = {}
        for op in self.ops:
            kinds[op.op] = kinds.get(op.op, 0) + 1
        acts = [t for t in self.tensors.values() if t.role in ("activation", "input")]
        return {
            "ops": kinds,
            "weights": self.weight_count,
            "tables": sorted(n for n, t in self.tensors.items() if t.role == "table"),
            "max_activation_bits": max((t.bits for t in acts), default=0),
        }
