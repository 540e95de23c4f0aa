"""The gadget checks of an inference proof, one class per gadget op (base.py holds the
interface, `GadgetCheck`, and the run context); `GADGETS` maps a circuit op to its
class, as `zkml.onnx_import`'s `HANDLERS` maps an ONNX op to its handler. Each gadget
module defines its ops' producer records next to their parsers; the package imports the
circuit's plain records (`zkml.verifier.records`) and never the circuit parser, which
builds on it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from zkml.verifier.gadgets.base import (
    DENSE,
    OUTPUT,
    ZEROCHECK,
    Claims,
    GadgetCheck,
    Instance,
    RunContext,
)
from zkml.verifier.gadgets.elementwise import Add, AddConst, Affine, Identity, Mul
from zkml.verifier.gadgets.linear import Conv, Dense
from zkml.verifier.gadgets.max2 import Max2
from zkml.verifier.gadgets.output import OutputCheck
from zkml.verifier.gadgets.parts import Concat, Rearrange
from zkml.verifier.gadgets.pool import MaxPool, SpatialSum, SumPool
from zkml.verifier.gadgets.rows import RowDiv, RowMax
from zkml.verifier.gadgets.table import Table
from zkml.verifier.gadgets.window import WinMax, WinSum
from zkml.verifier.layout import Layout
from zkml.verifier.records import Gadget

if TYPE_CHECKING:
    from zkml.verifier.circuit import Circuit

__all__ = ["GADGETS", "GadgetCheck", "Instance", "RunContext", "Claims", "OutputCheck",
           "DENSE", "ZEROCHECK", "OUTPUT", "checks_for", "ordered_instances",
           "instance_table", "acc_count", "instance_evals"]

GADGETS: dict[str, type[GadgetCheck]] = {
    "dense": Dense,
    "conv": Conv,
    "identity": Identity,
    "add": Add,
    "affine": Affine,
    "addconst": AddConst,
    "mul": Mul,
    "table": Table,
    "spatialsum": SpatialSum,
    "sumpool": SumPool,
    "maxpool": MaxPool,
    "winsum": WinSum,
    "winmax": WinMax,
    "rowmax": RowMax,
    "rowdiv": RowDiv,
    "concat": Concat,
    "rearrange": Rearrange,
    "max2": Max2,
}


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
