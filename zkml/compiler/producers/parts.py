"""Producers gathering the entries of several parts: `concat` along the channels
(circuits/nonlinear.md section 11) and `rearrange` (circuits/rearrange.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import ClassVar, TypeVar

from zkml.compiler.producers.base import Producer, Ref, Shape, ref_label, shape_label, tuples

__all__ = ["Block", "Concat", "Rearrange"]

P = TypeVar("P", bound="_Parts")


@dataclass(frozen=True)
class Block:
    """One block of a rearrange (circuits/rearrange.md section 1): the box
    `start_j <= o_j < start_j + size_j` of the index space, whose entry `o` reads part
    `part`'s real entry `offset + sum_j (o_j - start_j) strides_j` (logical order)."""

    part: int
    start: tuple[int, ...]
    size: tuple[int, ...]
    offset: int
    strides: tuple[int, ...]

    @property
    def volume(self) -> int:
        """Indices in the box (`prod size`)."""
        n = 1
        for v in self.size:
            n *= v
        return n

    @property
    def corner(self) -> int:
        """The largest logical index the block reads (at `o_j = start_j + size_j - 1`)."""
        return self.offset + sum((n - 1) * t for n, t in zip(self.size, self.strides,
                                                              strict=True))

    def to_json(self) -> dict:
        """The block object of the producer JSON."""
        return {"part": self.part, "start": list(self.start), "size": list(self.size),
                "offset": self.offset, "strides": list(self.strides)}


@dataclass(frozen=True)
class _Parts(Producer):
    """A producer reading `parts` (layouts `shapes`) instead of one `x`."""

    parts: tuple[Ref, ...]
    shapes: tuple[Shape, ...]

    @property
    def x(self) -> Ref:
        """The first part."""
        return self.parts[0]

    def operands(self) -> tuple[Ref, ...]:
        """The parts."""
        return self.parts

    def remap(self: P, f: Callable[[Ref], Ref]) -> P:
        """The same producer over remapped parts."""
        return replace(self, parts=tuple(f(p) for p in self.parts))

    def _parts_label(self) -> str:
        return ", ".join(f"{ref_label(p)} {shape_label(sh)}"
                         for p, sh in zip(self.parts, self.shapes, strict=True))


@dataclass(frozen=True)
class Concat(_Parts):
    """Channel `off_k + c'` of the output is channel `c' < C_k` of part `k`; `shapes` are
    the parts' `[C_k, S..]`."""

    op: ClassVar[str] = "concat"

    @property
    def concat_shape(self) -> Shape:
        """The output shape `[sum C_k, S..]`."""
        return (sum(sh[0] for sh in self.shapes), *self.shapes[0][1:])

    def layout(self) -> Shape:
        """`[C, S..]` (`[C]` for flat parts: its `pad(C)` features hold `C` real ones)."""
        return self.concat_shape

    def describe(self, width_of: Callable[[Ref], int], features: int) -> str:
        """The parts and their shapes."""
        return f"concat({self._parts_label()})"


@dataclass(frozen=True)
class Rearrange(_Parts):
    """The real entries of `parts` (layouts `shapes`) gathered into the layout
    `out_shape`: its real entries, read as the row-major index space `dims`, are tiled by
    `blocks`, each reading one part at an offset plus strides."""

    op: ClassVar[str] = "rearrange"
    out_shape: Shape = ()
    dims: Shape = ()
    blocks: tuple[Block, ...] = ()

    def layout(self) -> Shape | None:
        """`out_shape`, None for a flat `[n]`."""
        return None if len(self.out_shape) == 1 else self.out_shape

    def describe(self, width_of: Callable[[Ref], int], features: int) -> str:
        """The parts, the output shape and the number of blocks."""
        n = len(self.blocks)
        return (f"rearrange({self._parts_label()} -> {shape_label(self.out_shape)}, {n} "
                f"block{'s' if n != 1 else ''})")

    @classmethod
    def from_json(cls, p: dict) -> Rearrange:
        """The record, its blocks as `Block`s."""
        blocks = tuple(Block(b["part"], tuple(b["start"]), tuple(b["size"]), b["offset"],
                             tuple(b["strides"])) for b in p["blocks"])
        return cls(parts=tuples(p["parts"]), shapes=tuples(p["shapes"]),  # type: ignore[arg-type]
                   out_shape=tuple(p["out_shape"]), dims=tuple(p["dims"]), blocks=blocks)
