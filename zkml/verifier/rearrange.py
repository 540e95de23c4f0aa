"""Rearranging tensors (circuits/rearrange.md): a public gather. The output's real
entries, read as a row-major tensor of shape `dims`, are tiled by boxes ("blocks"); an
index `o` in block `b` takes part `k_b`'s real entry `offset_b + sum_j (o_j - a_j) t_j`
(section 1: strides may be 0, a broadcast; part entries may be read several times or not
at all).

`RearrangeSpec` is a parsed rearrange producer's gather (gadgets/parts.py checks it: the
blocks tile `dims` exactly and every box's corner reads a real entry); its `index_map`
lists, per part, the output positions `dst(j)` and the part's positions `src(j)` of the
real output entries it feeds. It depends only on the circuit, so it is computed once per
gadget, on first use.
The verifier evaluates

    Sel_k(r_o, s) = sum_{j : src(j) = (k, i_j)} eq(r_o, dst(j)) eq(s, i_j)

from eq tables (section 4): O(|out| + pad(width_k)) field operations per part.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, cast

from zkml.errors import VerificationError
from zkml.verifier.axes import features_batch
from zkml.verifier.declarations import Claim, Expr, public
from zkml.verifier.field import R, eq_table
from zkml.verifier.layout import log2_ceil
from zkml.verifier.spatial import pad, padded_size

if TYPE_CHECKING:
    from zkml.verifier.gadgets.base import RunContext
    from zkml.verifier.gadgets.parts import RearrangeProducer
    from zkml.verifier.records import Gadget

__all__ = ["RearrangeSpec", "Block", "strided", "layout_width", "layout_positions", "row_strides",
           "selection_eval", "rearrange_instance_value"]


def strided(shape: Sequence[int], strides: Sequence[int], base: int = 0) -> list[int]:
    """`base + sum_d idx_d strides_d` for every multi-index of `shape`, row-major (last
    axis fastest)."""
    out = [base]
    for d, st in zip(shape, strides, strict=True):
        out = [b + t * st for b in out for t in range(d)]
    return out


def row_strides(shape: Sequence[int]) -> list[int]:
    """Row-major strides of `shape` (last axis fastest)."""
    out, acc = [0] * len(shape), 1
    for d in range(len(shape) - 1, -1, -1):
        out[d] = acc
        acc *= shape[d]
    return out


def layout_width(layout: Sequence[int]) -> int:
    """width of a tensor with this layout: `n` for `[n]`, else `prod pad(dims)`."""
    return layout[0] if len(layout) == 1 else padded_size(layout)


def layout_positions(layout: Sequence[int]) -> list[int]:
    """pos(i) for every real entry in logical order (section 1): row-major over the
    padded dims (conv.md 1); a flat `[n]` has pos(i) = i."""
    return _positions(layout, range(math.prod(layout)))


def _positions(layout: Sequence[int], idx: Sequence[int]) -> list[int]:
    """pos(i) for each logical index `i` of `idx` (all below real(layout))."""
    if len(layout) == 1:
        return list(idx)
    if len(layout) == 2:
        s1, p1 = layout[1], pad(layout[1])
        return [i + (i // s1) * (p1 - s1) for i in idx]
    s1, s2 = layout[1], layout[2]
    p2, p12, s12 = pad(s2), pad(s1) * pad(s2), s1 * s2
    return [(i // s12) * p12 + ((i % s12) // s2) * p2 + i % s2 for i in idx]


@dataclass(frozen=True)
class Block:
    """One box of the index space (section 1): it covers `start <= o < start + size`
    and reads part `part` at `offset + sum_j (o_j - start_j) strides_j`."""

    part: int
    start: tuple[int, ...]
    size: tuple[int, ...]
    offset: int
    strides: tuple[int, ...]

    @property
    def volume(self) -> int:
        return math.prod(self.size)

    @property
    def corner(self) -> int:
        """The largest logical index the block reads (strides are non-negative)."""
        return self.offset + sum((n - 1) * t for n, t in zip(self.size, self.strides,
                                                             strict=True))


@dataclass(frozen=True)
class RearrangeSpec:
    """A validated rearrange producer: the parts' layouts, the output's layout, the index
    space `dims` and its blocks (rearrange.md 1)."""

    shapes: tuple[tuple[int, ...], ...]
    out_shape: tuple[int, ...]
    dims: tuple[int, ...]
    blocks: tuple[Block, ...]

    def part_vars(self, k: int) -> int:
        """Variables of part `k`'s instance: log2 pad(width_k)."""
        return log2_ceil(layout_width(self.shapes[k]))

    @cached_property
    def index_map(self) -> tuple[tuple[array, array], ...]:
        """Per part `k`: (dst(j), src(j)) over the real output entries `j` it feeds, block
        by block. Computed once (cached on the spec); unsigned arrays, as a 2^20-entry
        map held as tuples of ints would take ~70 MB."""
        o_strides = row_strides(self.dims)
        dsts = [array("L") for _ in self.shapes]
        srcs = [array("L") for _ in self.shapes]
        for b in self.blocks:
            base = sum(a * t for a, t in zip(b.start, o_strides, strict=True))
            dsts[b.part].extend(_positions(self.out_shape,
                                           strided(b.size, o_strides, base)))
            srcs[b.part].extend(_positions(self.shapes[b.part],
                                           strided(b.size, b.strides, b.offset)))
        return tuple(zip(dsts, srcs, strict=True))


def selection_eval(spec: RearrangeSpec, k: int, e_out: Sequence[int],
                   s: Sequence[int]) -> int:
    """Sel_k(r_o, s) given `e_out = eq_table(r_o)` (section 4)."""
    dst, src = spec.index_map[k]
    e_in = eq_table(s)
    return sum(e_out[d] * e_in[p] for d, p in zip(dst, src, strict=True)) % R


def rearrange_instance_value(run: RunContext, g: Gadget, k: int, r_g: list[int], s: list[int],
                             vals: Iterator[Claim], e_out: dict[int, list[int]]) -> Expr:
    """Part `k`'s final value `Sel_k(r_o, s_k) X_k(s_k, r_b)` (Sel_k public), X_k from the
    part's `u` limbs (read from `vals`) or the input's MLE; `e_out` caches eq_table(r_o)
    per gadget for the gadget's other parts (`g` a rearrange: its check class,
    `Rearrange`, admits no other record)."""
    p = cast("RearrangeProducer", g.producer)
    spec = p.spec
    if not 0 <= k < len(p.parts):
        raise VerificationError(f"gadget {g.index}: no rearrange part {k}")
    r_o, r_b = features_batch(r_g, g.log_features)
    if g.index not in e_out:
        e_out[g.index] = eq_table(r_o)
    xv = run.value(p.parts[k], vals, [*s, *r_b])
    return public(f"g{g.index}.sel[{k}](s)", selection_eval(spec, k, e_out[g.index], s)) * xv
