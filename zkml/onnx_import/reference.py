"""Float (float64) semantics of the canonical ops; used for shapes and calibration.

Each op's semantics is the `reference` of its `OpSpec`, in its module of zkml.quant.ops;
`run_node` and `run_graph` (defined there, beside the table they read) evaluate one node
or a whole graph with them, and `FUNCTIONS` are the functions of the `func` op.
"""

from __future__ import annotations

from zkml.quant.ops import run_graph, run_node
from zkml.quant.ops.func import FUNCTIONS

__all__ = ["FUNCTIONS", "run_node", "run_graph"]
