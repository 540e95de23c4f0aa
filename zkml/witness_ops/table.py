"""Witness of the `table` producer (circuits/nonlinear.md section 3): `z = T[x - lo_x]`
over the whole padded tensor (padding included), and the multiplicities `t_g`."""

from __future__ import annotations

import numpy as np

from zkml.compiler.circuit import Circuit, Gadget, ceil_log2
from zkml.compiler.producers import Table
from zkml.errors import ProverError
from zkml.witness_ops.base import Context, Extra, padded, producer_of
from zkml.witness_spatial import layout_input

__all__ = ["table_lookup", "table_multiplicities", "table"]


def table_lookup(table: np.ndarray, x: np.ndarray, lo_x: int, where: str = "table") -> np.ndarray:
    """`z = T[x - lo_x]` elementwise (nonlinear.md section 3) over a whole padded tensor."""
    idx = x - np.int64(lo_x)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= table.size):
        raise ProverError(f"{where}: an operand leaves the table's domain (the circuit's "
                          "bounds are wrong)")
    return table[idx]


def table_multiplicities(circuit: Circuit, tensors: list[np.ndarray], inputs: np.ndarray
                         ) -> list[np.ndarray]:
    """`t_g` for each table gadget in gadget order: `t_g[j]` counts the entries of `g`'s
    padded tensor (all `B' n_g'`, padding included) with `x - lo_x = j`. (The prover
    counts these itself; this is the spec's definition, for tests.)"""
    bp = tensors[0].shape[0] if tensors else 1
    x_in = (padded(inputs, bp, 1 << ceil_log2(circuit.input_features))
            if circuit.input_shape is None else layout_input(inputs, circuit.input_shape, bp))
    out = []
    for i in circuit.table_gadgets():
        g = circuit.gadgets[i]
        x = x_in if g.x == "input" else tensors[int(g.x)]
        lo_x, hi_x = circuit.x_range(g.x)
        out.append(np.bincount((x - lo_x).reshape(-1), minlength=hi_x - lo_x + 1)
                   .astype(np.int64))
    return out


def table(ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
    """The table hook: the lookup of its operand in its model-stack table."""
    p = producer_of(g, Table)
    lo_x = ctx.circuit.x_range(p.x)[0]
    return table_lookup(ctx.matrix(p.table)[0], ctx.value(p.x), lo_x, f"gadget {g.source}"), {}
