"""Named axes of a tensor's variables (circuits/pipeline.md, "Axes").

A committed tensor's multilinear extension has its variables grouped into named axes,
low variables first. Kind 3 (inference) lays every activation out as `(features, batch)`:
the entry of batch row `b` and feature `f` sits at `b 2^F + f`. The batch is an ordinary
axis of that layout, not something the pipeline knows about; a kind with other tensors
(the unlearning relations' weight matrices and data sets) names its own axes. Points are
split and joined by name, never by slicing at a remembered offset.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Axes", "FEATURES", "BATCH", "features_batch"]

FEATURES = "features"
BATCH = "batch"


@dataclass(frozen=True)
class Axes:
    """Axis names and their variable counts, lowest variables first."""

    names: tuple[str, ...]
    vars: tuple[int, ...]

    @classmethod
    def of(cls, *axes: tuple[str, int]) -> Axes:
        """Axes from `(name, variables)` pairs, lowest first (names distinct)."""
        names = tuple(n for n, _ in axes)
        if len(set(names)) != len(names) or any(v < 0 for _, v in axes):
            raise ValueError(f"bad axes {axes}")
        return cls(names, tuple(v for _, v in axes))

    @property
    def num_vars(self) -> int:
        """Variables of the whole tensor."""
        return sum(self.vars)

    def part(self, point: Sequence[int], name: str) -> list[int]:
        """The coordinates of `point` on axis `name`."""
        if len(point) != self.num_vars:
            raise ValueError(f"a point of {len(point)} coordinates on {self.num_vars} variables")
        k = self.names.index(name)
        start = sum(self.vars[:k])
        return list(point[start:start + self.vars[k]])

    def split(self, point: Sequence[int]) -> tuple[list[int], ...]:
        """The coordinates of `point` per axis, in axis order."""
        return tuple(self.part(point, n) for n in self.names)

    def join(self, **parts: Sequence[int]) -> list[int]:
        """A point from its coordinates per axis (every axis given, of its length)."""
        if set(parts) != set(self.names):
            raise ValueError(f"axes {sorted(parts)} are not {list(self.names)}")
        out: list[int] = []
        for n, v in zip(self.names, self.vars, strict=True):
            if len(parts[n]) != v:
                raise ValueError(f"axis {n} has {v} variables, not {len(parts[n])}")
            out.extend(parts[n])
        return out


def features_batch(point: Sequence[int], feature_vars: int) -> tuple[list[int], list[int]]:
    """`(r_f, r_b)` of a point on a kind-3 tensor with `feature_vars` feature variables
    (the rest are the batch axis's)."""
    r_f, r_b = Axes.of((FEATURES, feature_vars), (BATCH, len(point) - feature_vars)).split(point)
    return r_f, r_b
