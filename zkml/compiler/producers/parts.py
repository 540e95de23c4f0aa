"""Producers gathering the entries of several parts: `concat` along the channels
(circuits/nonlinear.md section 11) copies each part's real channels (with their padded
spatial slabs) to channels `off_k + c'` of its output, zero past `C`; `rearrange`
(circuits/rearrange.md) copies every real entry of its parts to the position the public
index map gives (`rearrange_index`), zero at the output's padded positions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar, TypeVar

from zkml.compiler.producers.base import (
    Context,
    Extra,
    Producer,
    Ref,
    Shape,
    ceil_log2,
    padded_width,
    producer_of,
    ref_label,
    shape_label,
    tuples,
)

if TYPE_CHECKING:
    import numpy as np

    from zkml.compiler.circuit import Gadget

__all__ = ["Block", "Concat", "Rearrange", "concat_acc", "layout_positions",
           "rearrange_sources", "rearrange_index", "rearrange_acc", "rearrange_logical"]

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

    def witness(self, ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
        """`concat_acc` of the parts."""
        return concat_acc(g, [ctx.value(p) for p in self.parts]), {}


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

    def witness(self, ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
        """`rearrange_acc` of the parts."""
        return rearrange_acc(g, [ctx.value(p) for p in self.parts]), {}

    @classmethod
    def from_json(cls, p: dict) -> Rearrange:
        """The record, its blocks as `Block`s."""
        blocks = tuple(Block(b["part"], tuple(b["start"]), tuple(b["size"]), b["offset"],
                             tuple(b["strides"])) for b in p["blocks"])
        return cls(parts=tuples(p["parts"]), shapes=tuples(p["shapes"]),  # type: ignore[arg-type]
                   out_shape=tuple(p["out_shape"]), dims=tuple(p["dims"]), blocks=blocks)


# --- the witness (numpy, imported when called) ---


def concat_acc(g: Gadget, parts: list[np.ndarray]) -> np.ndarray:
    """A concat gadget (nonlinear.md section 11): channel `off_k + c'` of the output is
    channel `c' < C_k` of part `k` (its whole padded spatial slab), channels `c >= C` are
    0; parts `(B', prod pad(shape_k))`, output `(B', pad(C) prod pad(S))`."""
    import numpy as np

    from zkml.witness_spatial import padded_dims

    p = producer_of(g, Concat)
    shape = p.concat_shape
    pdims = padded_dims(shape)
    out = np.zeros((parts[0].shape[0], *pdims), dtype=np.int64)
    off = 0
    for x, sh in zip(parts, p.shapes, strict=True):
        view = x.reshape(x.shape[0], *padded_dims(sh))
        out[:, off : off + sh[0]] = view[:, : sh[0]]
        off += sh[0]
    return out.reshape(out.shape[0], -1)


def layout_positions(shape: tuple[int, ...]) -> np.ndarray:
    """`pos(i)` for every real entry `i` (logical order) of a rearrange layout
    (circuits/rearrange.md section 1): `i` for a flat `[n]`, else the row-major index
    over the padded dims of the entry's multi-index (conv.md section 1)."""
    import numpy as np

    from zkml.witness_spatial import padded_dims

    if len(shape) == 1:
        return np.arange(shape[0], dtype=np.int64)
    pdims = padded_dims(shape)
    grid = np.arange(int(np.prod(pdims)), dtype=np.int64).reshape(pdims)
    return grid[tuple(slice(0, v) for v in shape)].reshape(-1)


def rearrange_sources(g: Gadget) -> tuple[np.ndarray, np.ndarray]:
    """For every real output entry `j` of a rearrange gadget (logical order), the part
    `k(j)` and the logical index `i(j)` of the part's real entry it takes
    (circuits/rearrange.md section 1): each block's box of the index space, row-major,
    reads `offset + sum_j (o_j - start_j) strides_j`."""
    import numpy as np

    p = producer_of(g, Rearrange)
    dims = p.dims
    m = len(dims)
    rs = [int(np.prod(dims[j + 1:], dtype=np.int64)) for j in range(m)]
    total = int(np.prod(dims, dtype=np.int64))
    part = np.full(total, -1, dtype=np.int64)
    src = np.zeros(total, dtype=np.int64)
    for b in p.blocks:
        # Broadcast one arange per axis over the box: its output indices and the entries
        # they read, both row-major over the box.
        dst = np.zeros(b.size, dtype=np.int64)
        idx = np.full(b.size, b.offset, dtype=np.int64)
        for j in range(m):
            shape = [1] * m
            shape[j] = b.size[j]
            o = np.arange(b.size[j], dtype=np.int64).reshape(shape)
            dst = dst + (b.start[j] + o) * rs[j]
            idx = idx + o * b.strides[j]
        part[dst.reshape(-1)] = b.part
        src[dst.reshape(-1)] = idx.reshape(-1)
    if (part < 0).any():
        raise AssertionError("rearrange blocks do not cover the index space")
    return part, src


def rearrange_index(g: Gadget) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The public index map of a rearrange gadget (circuits/rearrange.md section 1): for
    every real output entry `j` in logical order, `(dst(j), k(j), pos_k(i(j)))`."""
    import numpy as np

    p = producer_of(g, Rearrange)
    part, src = rearrange_sources(g)
    # Every part's real positions side by side: part k's logical index i sits at
    # base[k] + i.
    counts = [int(np.prod(sh, dtype=np.int64)) for sh in p.shapes]
    base = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    positions = np.concatenate([layout_positions(sh) for sh in p.shapes])
    return layout_positions(p.out_shape), part, positions[base[part] + src]


def rearrange_acc(g: Gadget, parts: list[np.ndarray]) -> np.ndarray:
    """A rearrange gadget's acc (circuits/rearrange.md section 2) over the padded output
    `(B', pad(features))`: `acc[b][dst(j)] = X_k(j)[b][pos(i(j))]`, 0 at padded positions;
    `parts` are the parts' padded tables `(B', width_k)`."""
    import numpy as np

    dst, part, pos = rearrange_index(g)
    shapes = producer_of(g, Rearrange).shapes
    widths = [v[0] if len(v) == 1 else padded_width(v) for v in shapes]
    # Only the first width_k columns of a part are its tensor (a flat part's table may be
    # wider when padded to a power of two elsewhere).
    table = np.concatenate([x[:, :w] for x, w in zip(parts, widths, strict=True)], axis=1)
    base = np.concatenate([[0], np.cumsum(widths)]).astype(np.int64)
    # The table is padded to pad(features) like every gadget's (a flat [n] output too).
    out = np.zeros((table.shape[0], 1 << ceil_log2(g.features)), dtype=np.int64)
    out[:, dst] = table[:, base[part] + pos]
    return out


def rearrange_logical(g: Gadget, parts: list[np.ndarray]) -> np.ndarray:
    """A rearrange's real entries `(n, prod out_shape)` in logical order from its parts'
    real entries `(n, prod shape_k)` in logical order: output entry `j` is part `k(j)`'s
    entry `i(j)` (circuits/rearrange.md section 1, independently of the layouts)."""
    import numpy as np

    part, src = rearrange_sources(g)
    counts = [x.shape[1] for x in parts]
    base = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return np.concatenate(parts, axis=1)[:, base[part] + src]
