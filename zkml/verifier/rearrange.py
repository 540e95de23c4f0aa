"""Rearranging tensors (circuits/rearrange.md): transpose, reshape and concat along any
axis as a public 0/1 selection of the parts' entries.

`RearrangeSpec` is a parsed producer (producers.py checks it); its `index_map` lists,
per part, the output positions `dst(j)` and the part's positions `src_pos(j)` of the
real output entries it feeds (section 1). It depends only on the circuit, so it is
computed once per gadget, on first use. The verifier evaluates

    Sel_k(r_o, s) = sum_{j : k(j) = k} eq(r_o, dst(j)) eq(s, src_pos(j))

from eq tables (section 4): O(|out| + pad(width_k)) field operations per part.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from zkml.errors import VerificationError
from zkml.verifier.field import R, eq_table
from zkml.verifier.layout import log2_ceil
from zkml.verifier.spatial import pad, padded_size

if TYPE_CHECKING:
    from zkml.verifier.circuit import Gadget
    from zkml.verifier.inference import _Run

__all__ = ["RearrangeSpec", "layout_width", "layout_positions", "selection_eval",
           "check_rearrange_parts", "rearrange_instance_value"]


def _strided(shape: Sequence[int], strides: Sequence[int], base: int = 0) -> list[int]:
    """`base + sum_d idx_d strides_d` for every multi-index of `shape`, row-major (last
    axis fastest)."""
    out = [base]
    for d, st in zip(shape, strides, strict=True):
        out = [b + t * st for b in out for t in range(d)]
    return out


def layout_width(layout: Sequence[int]) -> int:
    """width of a tensor with this layout: `n` for `[n]`, else `prod pad(dims)`."""
    return layout[0] if len(layout) == 1 else padded_size(layout)


def layout_positions(layout: Sequence[int]) -> list[int]:
    """pos(i) for every real entry in logical order (section 1): row-major over the
    padded dims (conv.md 1); a flat `[n]` has pos(i) = i."""
    strides, acc = [], 1
    for d in reversed(layout):
        strides.append(acc)
        acc *= pad(d)
    return _strided(layout, strides[::-1])


@dataclass(frozen=True)
class RearrangeSpec:
    """A validated rearrange producer: the parts' layouts and views, the concat axis, the
    permutation and the output's layout (rearrange.md 1)."""

    shapes: tuple[tuple[int, ...], ...]
    views: tuple[tuple[int, ...], ...]
    axis: int
    perm: tuple[int, ...]
    out_shape: tuple[int, ...]

    def part_vars(self, k: int) -> int:
        """Variables of part `k`'s instance: log2 pad(width_k)."""
        return log2_ceil(layout_width(self.shapes[k]))

    @cached_property
    def index_map(self) -> tuple[tuple[array, array], ...]:
        """Per part `k`: (dst(j), src_pos(j)) over the real output entries `j` it feeds,
        in output order. Computed once (cached on the spec); unsigned arrays, as a
        2^20-entry map held as tuples of ints would take ~70 MB."""
        m, a = len(self.perm), self.axis
        v_shape = list(self.views[0])
        v_shape[a] = sum(v[a] for v in self.views)
        v_strides, acc = [0] * m, 1
        for d in range(m - 1, -1, -1):
            v_strides[d] = acc
            acc *= v_shape[d]
        # every entry of V (row-major): its part and its position in that part's layout
        v_part, v_pos = array("B", [0]) * acc, array("L", [0]) * acc
        off = 0
        for k, (view, shape) in enumerate(zip(self.views, self.shapes, strict=True)):
            flat = _strided(view, v_strides, off * v_strides[a])
            for f, p in zip(flat, layout_positions(shape), strict=True):
                v_part[f], v_pos[f] = k, p
            off += view[a]
        # O = transpose(V, perm): O's axis j is V's axis perm[j]
        o_to_v = _strided([v_shape[p] for p in self.perm], [v_strides[p] for p in self.perm])
        dsts = [array("L") for _ in self.shapes]
        srcs = [array("L") for _ in self.shapes]
        for d, f in zip(layout_positions(self.out_shape), o_to_v, strict=True):
            k = v_part[f]
            dsts[k].append(d)
            srcs[k].append(v_pos[f])
        return tuple(zip(dsts, srcs, strict=True))


def selection_eval(spec: RearrangeSpec, k: int, e_out: Sequence[int],
                   s: Sequence[int]) -> int:
    """Sel_k(r_o, s) given `e_out = eq_table(r_o)` (section 4)."""
    dst, src = spec.index_map[k]
    e_in = eq_table(s)
    return sum(e_out[d] * e_in[p] for d, p in zip(dst, src, strict=True)) % R


def check_rearrange_parts(g: Gadget, acc: int, parts: Sequence[int]) -> None:
    """rearrange.md 3: the parts' values `E_1..E_K` sum to `acc(r_g)`."""
    if len(parts) != len(g.parts):
        raise VerificationError(f"gadget {g.index}: {len(parts)} rearrange parts, expected "
                                f"{len(g.parts)}")
    if (sum(parts) - acc) % R:
        raise VerificationError(f"gadget {g.index}: rearrange parts do not sum to acc(r_g)")


def rearrange_instance_value(run: _Run, g: Gadget, k: int, r_g: list[int], s: list[int],
                             vals: Iterator[int], e_out: dict[int, list[int]]) -> int:
    """Part `k`'s final value `Sel_k(r_o, s_k) X_k(s_k, r_b)`, X_k from the part's `u`
    limbs (read from `vals`) or the input's MLE; `e_out` caches eq_table(r_o) per gadget
    for the gadget's other parts."""
    spec = g.rearrange
    if spec is None or not 0 <= k < len(g.parts):
        raise VerificationError(f"gadget {g.index}: no rearrange part {k}")
    r_o, r_b = r_g[: g.log_features], r_g[g.log_features :]
    if g.index not in e_out:
        e_out[g.index] = eq_table(r_o)
    xv = run.value(g.parts[k], vals, [*s, *r_b])
    return selection_eval(spec, k, e_out[g.index], s) * xv % R
