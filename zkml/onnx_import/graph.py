"""The imported float graph: a handful of canonical ops with static shapes.

ONNX handlers (handlers_*.py) translate ONNX nodes into these ops; the quantizer
(zkml/quant/lower.py) turns each into explicit integer operations. Every canonical op is
declared in its module of zkml.quant.ops: its inputs, attributes (with their meaning, in
the module's docstring), float semantics and lowering. `CANONICAL_OPS` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from zkml.quant.ops import SPECS

__all__ = ["Node", "Graph", "CANONICAL_OPS"]

#: The ops a graph node may have: every op of zkml.quant.ops with a float reference.
CANONICAL_OPS: tuple[str, ...] = tuple(name for name, spec in SPECS.items() if spec.canonical)


@dataclass
class Node:
    """One canonical op with one output; `source` names the ONNX node it came from."""

    op: str
    inputs: list[str]
    output: str
    attrs: dict
    source: str


@dataclass
class Graph:
    """Float graph with static shapes.

    `inputs` maps input names to shapes; `outputs` maps the model's public output names
    to the tensors that hold them; `constants` holds weights (float64, or int64 for index
    data); `shapes` holds the shape of every computed tensor and input.
    """

    inputs: dict[str, tuple[int, ...]] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    constants: dict[str, np.ndarray] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def producer(self, name: str) -> Node | None:
        """The node computing `name`, or None for inputs and constants."""
        for node in self.nodes:
            if node.output == name:
                return node
        return None

    def consumers(self, name: str) -> list[Node]:
        """Nodes reading `name` (a node reading it twice is listed once)."""
        return [node for node in self.nodes if name in node.inputs]

    def is_output(self, name: str) -> bool:
        """Whether `name` is one of the model's outputs."""
        return name in self.outputs.values()

    def prune(self) -> None:
        """Drop nodes and constants that no output depends on."""
        live = set(self.outputs.values())
        kept: list[Node] = []
        for node in reversed(self.nodes):
            if node.output in live:
                kept.append(node)
                live.update(node.inputs)
        self.nodes = kept[::-1]
        self.constants = {k: v for k, v in self.constants.items() if k in live}
        self.shapes = {k: v for k, v in self.shapes.items() if k in live or k in self.inputs}
