"""The prover side's gadgets: one module per gadget (or family of gadgets), each holding,
per circuit op, its frozen producer record with its witness hook (`base.Producer`), and,
when it lowers quantized-IR ops to its gadget alone, its `LOWERINGS`.

The registries are found, not written: `PRODUCERS` maps every circuit op to the record
class declaring it (its `op`), `LOWERINGS` every IR op to the lowering a module exports,
collected from the package's modules in name order when the package is imported (an op
declared twice fails the import). So a new gadget is one module here, and its verifier
check one module in `zkml.verifier.gadgets` (which shares no code with this side).

Standard library only at import: `zkml.compiler.circuit` imports this package on the
verify path; the hooks and lowerings import numpy and the compiler when they run.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from zkml.compiler.producers.base import Lowering, Producer

# Re-exported: what the rest of the compiler and the witness import from the package.
from zkml.compiler.producers.elementwise import Add, AddConst, Affine, Identity, Mul
from zkml.compiler.producers.linear import Conv, Dense
from zkml.compiler.producers.parts import Block, Concat, Rearrange
from zkml.compiler.producers.pool import MaxPool, SpatialSum, SumPool
from zkml.compiler.producers.rows import RowDiv, RowMax
from zkml.compiler.producers.table import Table
from zkml.compiler.producers.window import WinMax, WinSum

__all__ = ["PRODUCERS", "LOWERINGS", "Producer", "producer_from_json", "Block", "Dense",
           "Conv", "Identity", "Add", "Affine", "AddConst", "Mul", "Table", "SpatialSum",
           "SumPool", "MaxPool", "WinSum", "WinMax", "RowMax", "RowDiv", "Concat",
           "Rearrange"]


def _modules() -> list[ModuleType]:
    """Every module of the package, in name order."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


def _declare(table: dict, key: str, value: object, module: ModuleType, what: str) -> None:
    if key in table:
        raise RuntimeError(f"{module.__name__}: {what} {key!r} is already declared by "
                           f"{table[key].__module__}")
    table[key] = value


def _collect() -> tuple[dict[str, type[Producer]], dict[str, Lowering]]:
    """(`PRODUCERS`, `LOWERINGS`) from the modules' declarations: each `Producer` subclass
    a module defines with an `op` of its own, and each module's `LOWERINGS`."""
    producers: dict[str, type[Producer]] = {}
    lowerings: dict[str, Lowering] = {}
    for module in _modules():
        for obj in vars(module).values():
            if (isinstance(obj, type) and issubclass(obj, Producer)
                    and obj.__module__ == module.__name__ and obj.__dict__.get("op")):
                _declare(producers, obj.op, obj, module, "circuit op")
        for op, lower in getattr(module, "LOWERINGS", {}).items():
            _declare(lowerings, op, lower, module, "lowering of IR op")
    return producers, lowerings


#: Circuit op -> its producer record class.
PRODUCERS: dict[str, type[Producer]]
#: Quantized-IR op -> the lowering a gadget module exports for it (`zkml.compiler.build`
#: adds them to its own table).
LOWERINGS: dict[str, Lowering]
PRODUCERS, LOWERINGS = _collect()


def producer_from_json(p: dict) -> Producer:
    """The record of a producer object the core's parser has accepted."""
    return PRODUCERS[p["op"]].from_json(p)
