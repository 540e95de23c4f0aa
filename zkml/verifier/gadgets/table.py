"""Table gadgets (nonlinear.md 3): no relation at the acc point; their relation is the
pair lookup, checked with the LogUp leaves (`nonlinear.check_table_leaves`)."""

from __future__ import annotations

from collections.abc import Iterator

from zkml.verifier.gadgets.base import GadgetCheck, RunContext

__all__ = ["Table"]


class Table(GadgetCheck):
    """z = T[x - lo_x]: own columns only at the acc point."""

    def acc_count(self) -> int:
        """Own columns only."""
        return len(self.g.own)

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[int], acc: int) -> None:
        """Nothing to check at the acc point."""
