"""Table gadgets (nonlinear.md 3): no relation at the acc point; their relation is the
pair lookup, checked with the LogUp leaves (`nonlinear.check_table_leaves`)."""

from __future__ import annotations

from collections.abc import Iterator

from zkml.verifier.gadgets.base import GadgetCheck, RunContext
from zkml.verifier.producers import (
    MAX_TABLE_BITS,
    GadgetFields,
    Producer,
    err,
    obj,
    parse_ref,
    str_field,
)

__all__ = ["Table"]


# --- the producer object (strict parsing, producers.py's readers) ---


def _table(prod: dict, what: str, pw: str, x: int | None,
           gf: GadgetFields) -> tuple[str, int, int]:
    """(tensor name, t, lo_x) of a table producer (nonlinear.md 3): x's range [lo_x, hi_x]
    has 2^t values, 1 <= t <= 20, and the tensor is 1 x 2^t."""
    name = str_field(prod["table"], f"{pw} table")
    lo_x, hi_x = gf.range_of(x)
    size = hi_x - lo_x + 1
    t = size.bit_length() - 1
    if size & (size - 1) or not 1 <= t <= MAX_TABLE_BITS:
        raise err(f"{what}: table input range [{lo_x}, {hi_x}] has {size} values, not "
                  f"2^t with 1 <= t <= {MAX_TABLE_BITS}")
    ten = gf.model.tensors.get(name)
    if ten is None:
        raise err(f"{what}: table {name!r} is not a model tensor")
    if ten.rows != 1 or ten.cols != size:
        raise err(f"{what}: table {name!r} is {ten.rows}x{ten.cols}, expected 1x{size}")
    return name, t, lo_x


def _parse_table(prod: dict, what: str, pw: str, gf: GadgetFields) -> Producer:
    """table (nonlinear.md 3)."""
    op, idx, features = prod["op"], gf.index, gf.features
    obj(prod, {"op", "x", "table"}, pw)
    x = parse_ref(prod["x"], idx, f"{pw} x")
    table, table_bits, lo_x = _table(prod, what, pw, x, gf)
    if gf.width(x) != features:
        raise err(f"{what}: table input has width {gf.width(x)}, expected {features}")
    if features < 2:  # its lookup tree has depth log2(B' n') >= 1 for every batch
        raise err(f"{what}: a table gadget needs features >= 2")
    if not gf.plain:
        raise err(f"{what}: a table gadget needs shift 0, divisor 1 and "
                  f"excess_hi_bits = excess_lo_bits = 0")
    return Producer(op, x, table=table, table_bits=table_bits, lo_x=lo_x)


class Table(GadgetCheck):
    """z = T[x - lo_x]: own columns only at the acc point."""

    parse = staticmethod(_parse_table)

    def acc_count(self) -> int:
        """Own columns only."""
        return len(self.g.own)

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[int], acc: int) -> None:
        """Nothing to check at the acc point."""
