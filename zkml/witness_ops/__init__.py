"""The witness of each gadget op (numpy), kept apart from the standard-library records
of `zkml.compiler.producers` (the verify path reads circuits without numpy). `HOOKS` maps
a circuit op to its hook (`base.Hook`): the gadget's accumulator over the whole padded
tensor and the values of its extra committed columns, as `zkml.compiler.producers.PRODUCERS`
maps the op to its record. A new gadget is a hook here and one line in `HOOKS`."""

from __future__ import annotations

import numpy as np

from zkml.compiler.circuit import Gadget
from zkml.witness_ops import elementwise, linear, max2, parts, pool, rows, table
from zkml.witness_ops.base import Context, Extra, Hook

__all__ = ["HOOKS", "Context", "Hook", "accumulate"]

HOOKS: dict[str, Hook] = {
    "dense": linear.dense,
    "conv": linear.conv,
    "identity": elementwise.identity,
    "add": elementwise.add,
    "affine": elementwise.affine,
    "addconst": elementwise.addconst,
    "mul": elementwise.mul,
    "table": table.table,
    "spatialsum": pool.spatialsum,
    "sumpool": pool.sumpool,
    "maxpool": pool.maxpool,
    "winsum": pool.winsum,
    "winmax": pool.winmax,
    "rowmax": rows.rowmax,
    "rowdiv": rows.rowdiv,
    "concat": parts.concat,
    "rearrange": parts.rearrange,
    "max2": max2.max2,
}


def accumulate(ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
    """Gadget `g`'s accumulator and extra committed values, by its op's hook."""
    return HOOKS[g.op](ctx, g)
