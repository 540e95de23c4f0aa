"""The gadget checks of an inference proof, one class per gadget op (base.py holds the
interface, `GadgetCheck`, and the run context); `output.py` the output's check.

`GADGETS` maps a circuit op to its class. It is found, not written: every `GadgetCheck`
subclass a module of this package defines with an `OP` of its own, collected in module
name order when the package is imported (an op declared twice fails the import). So a
new gadget's verifier side is one module here: its check class and, next to its parser,
its op's producer record. The package imports the circuit's plain records
(`zkml.verifier.records`) and never the circuit parser, which builds on it; like the rest
of the verifier it shares no code with the prover (`zkml.compiler.producers` finds its
records the same way, with its own code).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

from zkml.verifier.gadgets.base import (
    DENSE,
    ZEROCHECK,
    GadgetCheck,
    Instance,
    RunContext,
)
from zkml.verifier.gadgets.output import OutputCheck
from zkml.verifier.layout import Layout
from zkml.verifier.records import Gadget

if TYPE_CHECKING:
    from zkml.verifier.circuit import Circuit

__all__ = ["GADGETS", "GadgetCheck", "Instance", "RunContext", "OutputCheck", "ZEROCHECK",
           "checks_for", "ordered_instances", "instance_table", "acc_count",
           "instance_evals"]


def _modules() -> list[ModuleType]:
    """Every module of the package, in name order."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


def _collect() -> dict[str, type[GadgetCheck]]:
    """Op -> check class, from each module's `GadgetCheck` subclasses with an `OP` of
    their own (a subclass of another op's check names its own op)."""
    found: dict[str, type[GadgetCheck]] = {}
    for module in _modules():
        for obj in vars(module).values():
            if not (isinstance(obj, type) and issubclass(obj, GadgetCheck)
                    and obj.__module__ == module.__name__ and obj.__dict__.get("OP")):
                continue
            if obj.OP in found:
                raise RuntimeError(f"{module.__name__}: circuit op {obj.OP!r} is already "
                                   f"checked by {found[obj.OP].__module__}")
            found[obj.OP] = obj
    return found


#: Circuit op -> its check class.
GADGETS: dict[str, type[GadgetCheck]] = _collect()


def checks_for(circuit: Circuit) -> list[GadgetCheck]:
    """One fresh check object per gadget, in gadget order."""
    return [GADGETS[g.op](circuit, g) for g in circuit.gadgets]


def ordered_instances(checks: Sequence[GadgetCheck], output: OutputCheck, lay: Layout
                      ) -> list[Instance]:
    """The batched sumcheck's instances in order: the dense group, the zerocheck group
    (each in gadget order), then the output group (inference.md 5)."""
    decl = [i for chk in checks for i in chk.instances(lay)]
    dense = [i for i in decl if i.group == DENSE]
    return dense + [i for i in decl if i.group == ZEROCHECK] + output.instances(lay)


def instance_table(circuit: Circuit, lay: Layout) -> list[tuple[str, int, int]]:
    """(name, gadget, variables) of every instance, in order (for tests and tools)."""
    insts = ordered_instances(checks_for(circuit), OutputCheck(circuit), lay)
    return [(i.name, i.gadget, i.num_vars) for i in insts]


def acc_count(circuit: Circuit, g: Gadget) -> int:
    """How many acc-evals gadget `g` sends."""
    return GADGETS[g.op](circuit, g).acc_count()


def instance_evals(circuit: Circuit, name: str, gadget: int) -> int:
    """How many sumcheck-evals gadget `gadget`'s instance `name` sends."""
    insts = ordered_instances(checks_for(circuit), OutputCheck(circuit), circuit.layout(1))
    (inst,) = [i for i in insts if i.name == name and i.gadget == gadget]
    return inst.evals
