"""The ops of zkml's front end, one home each: every fact about an op is in its module here.

An op module (one op, or a small family of closely related ops) declares a tuple `OPS`
of `OpSpec` records (`zkml.quant.ops.base`), one per op: the canonical name; its inputs
and attributes in the imported float graph and its float64 reference; its lowering to
the integer IR; its IR attributes, integer executor and accumulator bound; and whether
its output saturates. An op is canonical (it appears in the float graph), an IR op, or
both (the docstring of `OpSpec` says which fields belong to which side).

This package imports every module in it when it is imported, in name order (a module
whose name starts with `_`, and `base`, hold no ops), and collects their records in
`SPECS`; an op declared twice raises then. Every shared table is built from `SPECS`:
the canonical op list (`zkml.onnx_import.graph.CANONICAL_OPS`), the float evaluation
(`run_node`, `run_graph`, re-exported by `zkml.onnx_import.reference`), the IR's
attribute table (`zkml.quant.ir.QOPS`, which a compiled file is checked against), the
lowering dispatch (`zkml.quant.lower`), the executor and bound tables
(`zkml.quant.executor`) and the saturation count (`zkml.quant.fidelity`).

A new op, on the import and quantization side:

1. one module `zkml/quant/ops/<op>.py` declaring `OPS = (OpSpec("<op>", ...),)`, with
   its reference, lowering, executor and bound beside it as module functions (a
   lowering takes the `zkml.quant.lower.Lowering` as its first argument). It imports
   `zkml.quant.ops.base` and leaf modules (`zkml.quant.rounding`, `zkml.quant.tables`,
   `zkml.geometry`), never this package nor a module that builds a table from it;
2. if an ONNX op imports as it: its handler, a function named after the ONNX op and
   decorated with `zkml.onnx_import.registry.handler`, in a module
   `zkml/onnx_import/handlers_<topic>.py` (an existing one, or a new one: those modules
   are found the same way).

No line in any shared file names the op. Its circuit (`zkml.compiler`) is separate.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from zkml.quant.ops.base import OpSpec

if TYPE_CHECKING:
    from zkml.onnx_import.graph import Graph

__all__ = ["OpSpec", "SPECS", "discover", "run_node", "run_graph"]

#: Modules of this package that declare no ops.
_NOT_OP_MODULES = frozenset({"base"})


def discover(path: Iterable[str], package: str) -> dict[str, OpSpec]:
    """Import every op module of the package `package` at `path` (sorted by name, so
    the tables' order is deterministic) and collect their `OPS` by op name.

    Raises TypeError for a module without an `OPS` tuple of OpSpec, ValueError for an
    op declared twice (naming both modules)."""
    found: dict[str, OpSpec] = {}
    home: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(path), key=lambda m: m.name):
        if info.name.startswith("_") or info.name in _NOT_OP_MODULES:
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        ops = getattr(module, "OPS", None)
        if not isinstance(ops, tuple) or not ops or \
                not all(isinstance(s, OpSpec) for s in ops):
            raise TypeError(f"{module.__name__} must declare OPS, a tuple of OpSpec")
        for spec in ops:
            if spec.name in found:
                raise ValueError(f"op {spec.name!r} is declared twice: in {home[spec.name]} "
                                 f"and in {module.__name__}")
            found[spec.name] = spec
            home[spec.name] = module.__name__
    return found


#: Every op by name, read-only.
SPECS: Mapping[str, OpSpec] = MappingProxyType(discover(__path__, __name__))

_REFERENCES = {name: s.reference for name, s in SPECS.items() if s.reference is not None}


def run_node(op: str, inputs: list[np.ndarray], attrs: dict) -> np.ndarray:
    """Evaluate one canonical op in float64."""
    return np.asarray(_REFERENCES[op](*inputs, **attrs))


def run_graph(graph: Graph, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Run the whole graph; returns every computed tensor and the inputs (not constants)."""
    values: dict[str, np.ndarray] = {k: np.asarray(v, dtype=np.float64) for k, v in feeds.items()}

    def get(name: str) -> np.ndarray:
        return values[name] if name in values else graph.constants[name]

    for node in graph.nodes:
        values[node.output] = run_node(node.op, [get(i) for i in node.inputs], node.attrs)
    return values
