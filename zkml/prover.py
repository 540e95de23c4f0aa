"""Python API over the native prover (`zkml._native`): commit, prove, batch-open.

Tables are numpy ``int64`` arrays (quantized values: the fast commit path) or
sequences of Python ints taken mod r. Points are sequences of ints. Every failure
raises :class:`zkml.errors.ProverError` with the prover's message.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from zkml.errors import ProverError
from zkml.verifier.field import R

Table = np.ndarray | Sequence[int]
Point = Sequence[int]


def _native():
    try:
        from zkml import _native
    except ImportError as exc:  # pragma: no cover - only without a build
        raise ProverError(f"the native prover is not built ({exc}); run `make build`") from exc
    return _native


def _frs_bytes(values: Sequence[int]) -> bytes:
    return b"".join((int(v) % R).to_bytes(32, "big") for v in values)


def _table_arg(table: Table):
    if isinstance(table, np.ndarray):
        if table.ndim != 1:
            table = table.reshape(-1)
        if table.dtype.kind in "iub":
            return np.ascontiguousarray(table, dtype=np.int64)
        raise ProverError(f"table dtype {table.dtype} is not an integer type")
    return _frs_bytes(table)


def commit(table: Table, log_cols: int | None = None, *, seed: bytes | None = None) -> bytes:
    """Hyrax commitment to `table` (length a power of two), as `Vec<G1>` bytes."""
    return _native().commit(_table_arg(table), log_cols, seed)


def prove_batch_opening(
    stacks: Sequence[tuple[Table, int | None, Sequence[Point]]], *, seed: bytes | None = None
) -> bytes:
    """A `pcs-batch-opening` artifact: each table's evaluations at its points.

    `stacks` lists `(table, log_cols or None, points)`; the claimed values are the
    tables' true evaluations (the verifier returns them).
    """
    args = [(_table_arg(t), c, [_frs_bytes(p) for p in pts]) for t, c, pts in stacks]
    return _native().prove_batch_opening(args, seed)


def prove_product_sumcheck(
    f: Table, g: Table, log_cols: int | None = None, *, seed: bytes | None = None
) -> bytes:
    """A `product-sumcheck` artifact for `sum_x f(x) g(x)` over committed f and g."""
    return _native().prove_product_sumcheck(_table_arg(f), _table_arg(g), log_cols, seed)
