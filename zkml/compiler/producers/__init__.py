"""The prover side's gadget producers, one frozen record class per circuit op
(`base.Producer` is the interface); `PRODUCERS` maps a circuit op to its class, as
`zkml.verifier.gadgets.GADGETS` maps it to its check. A new gadget is a record here (and
its witness hook in `zkml.witness_ops`). Standard library only: `zkml.compiler.circuit`
imports this package on the verify path."""

from __future__ import annotations

from zkml.compiler.producers.base import Producer, Ref, Shape
from zkml.compiler.producers.elementwise import Add, AddConst, Affine, Identity, Mul
from zkml.compiler.producers.linear import Conv, Dense
from zkml.compiler.producers.max2 import Max2
from zkml.compiler.producers.parts import Block, Concat, Rearrange
from zkml.compiler.producers.pool import MaxPool, SpatialSum, SumPool
from zkml.compiler.producers.rows import RowDiv, RowMax
from zkml.compiler.producers.table import Table
from zkml.compiler.producers.window import WinMax, WinSum

__all__ = ["PRODUCERS", "Producer", "Ref", "Shape", "Block", "producer_from_json",
           "Dense", "Conv", "Identity", "Add", "Affine", "AddConst", "Mul", "Table",
           "SpatialSum", "SumPool", "MaxPool", "WinSum", "WinMax", "RowMax", "RowDiv",
           "Concat", "Rearrange", "Max2"]

PRODUCERS: dict[str, type[Producer]] = {
    cls.op: cls
    for cls in (Dense, Conv, Identity, Add, Affine, AddConst, Mul, Table, SpatialSum,
                SumPool, MaxPool, WinSum, WinMax, RowMax, RowDiv, Concat, Rearrange, Max2)
}


def producer_from_json(p: dict) -> Producer:
    """The record of a producer object the core's parser has accepted."""
    return PRODUCERS[p["op"]].from_json(p)
