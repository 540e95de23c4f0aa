"""Strict parsing of a gadget's producer object (inference.md 6, conv.md 2-3, nonlinear.md).

`parse_producer` reads one producer with the strict field readers below (exact keys, JSON
integers only, limits) through its op's gadget class (`zkml.verifier.gadgets`, each
class's `parse`), which resolves its references to earlier gadgets or the input and
checks it against the gadget's own fields and against `width(x)` (conv.md 1):

- dense / conv / sumpool / maxpool / table / identity / affine as before;
- spatialsum: `pad(width(x)) == prod pad(in_shape)` (nonlinear.md 7: a flat row of `n`
  features, a softmax's row sum over `in_shape = [1, n]`, has the layout of `[1, n]`);
- add: `width(x) == features`, `1 <= width(y) <= features` with `pad(width(y))`
  dividing `pad(features)` (nonlinear.md 6 and 12: a `y` of `G < features` row values is
  broadcast along the low `log2 P` feature variables, `P = pad(features) / pad(G)`);
- rowmax (nonlinear.md 7, 12): `features = G >= 1` with `pad(G)` dividing `pad(width(x))`,
  `P = pad(width(x)) / pad(G)`, `1 <= n <= P` and `P (G - 1) + n <= width(x)` (the real
  entries of the real groups are real features; `n <= width(x)` when `G = 1`),
  `1 <= diff_bits <= 64`, shift 0, divisor 1, no excess, and `[lo, hi]` covering `x`'s
  range;
- winsum / winmax (conv.md 5): wiring axes as for conv, channel counts equal,
  `width(x) == prod pad(in_shape)`, `features == prod pad(out_shape)`, `0 <= lshift <= 64`
  (winsum), `1 <= diff_bits <= 64`, shift 0, divisor 1, no excess and every real output
  reading some tap (winmax);
- rowdiv (nonlinear.md 7, 12): `1 <= width(y) = G <= features` with `pad(G)` dividing
  `pad(features)`, `width(x) == features`, `0 <= lshift <= 64`,
  `1 <= rem_bits <= 64`, shift 0, divisor 1;
- mul (nonlinear.md 8): `width(x) == width(y) == features`;
- winsum / winmax (nonlinear.md 9): at most 1024 taps (`prod K_a <= 1024`);
- addconst (nonlinear.md 10): `width(x) == features`, `0 <= lshift <= 64`, the constant a
  `1 x width(x)` model tensor;
- concat (nonlinear.md 11): `2 <= K <= 64` parts, shapes `[C_k, S..]` with the same
  spatial dims (none for flat parts), `width(part_k) == prod pad(shape_k)` (a flat
  part: `width(part_k) == C_k`),
  `features == pad(C) prod pad(S_a)` (`C = sum C_k`) and each part's wiring axis
  `(C, C_k, 1, 1, 1, off_k)` within wiring.md's limits;
- rearrange (rearrange.md 1): `1 <= K <= 64` parts with layouts `[n]` (`width == n`) or
  `[C, S..]` (`width == prod pad`), `features` the output layout's width, padded widths
  <= 2^20, `dims` of 1..6 dims with `prod dims == prod out_shape`, 1..4096 blocks, each a
  box inside `dims` with offset and strides in [0, 2^31) whose corner reads a real entry
  of its part, tiling `dims` exactly (volumes summing to `prod dims`, no overlap).

The result is a `Producer`; circuit.py derives the gadget's columns from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zkml.errors import ProofFormatError

# The limits live in circuit_limits (one place, checked against circuits/circuit.schema.json)
# and are re-exported here, where the gadget modules import them from.
from zkml.verifier.circuit_limits import (
    MAX_AFFINE_COEFF,
    MAX_AFFINE_TERMS,
    MAX_BITS,
    MAX_CONCAT_PARTS,
    MAX_FEATURES,
    MAX_REARRANGE_BLOCKS,
    MAX_REARRANGE_PARTS,
    MAX_REARRANGE_STRIDE,
    MAX_TABLE_BITS,
    MAX_VIEW_DIMS,
    MAX_WINDOW_TAPS,
)
from zkml.verifier.rearrange import RearrangeSpec
from zkml.verifier.spatial import ConvSpec, PoolSpec, WindowSpec, pad, padded_size
from zkml.verifier.wiring import Axis

if TYPE_CHECKING:
    from zkml.verifier.circuit import Gadget, ModelStack
    from zkml.verifier.gadgets.base import GadgetCheck

__all__ = ["Producer", "GadgetFields", "parse_producer", "err", "obj", "int_field",
           "str_field", "dims", "row_length", "gadget_class", "parse_ref", "geometry",
           "check_widths", "MAX_FEATURES", "MAX_SHIFT", "MAX_BITS", "MAX_TABLE_BITS",
           "MAX_AFFINE_TERMS", "MAX_AFFINE_COEFF", "MAX_WINDOW_TAPS", "MAX_CONCAT_PARTS",
           "MAX_REARRANGE_PARTS", "MAX_VIEW_DIMS", "MAX_REARRANGE_BLOCKS",
           "MAX_REARRANGE_STRIDE"]

#: Shifts and lshifts are 0..MAX_BITS (the gadget modules import this name).
MAX_SHIFT = MAX_BITS


def err(msg: str) -> ProofFormatError:
    """A circuit format error."""
    return ProofFormatError(f"circuit: {msg}")


def obj(v: object, keys: set[str], what: str) -> dict:
    """`v` as an object with exactly `keys`."""
    if not isinstance(v, dict):
        raise err(f"{what} must be an object")
    got = set(v)
    if got != keys:
        missing = sorted(keys - got)
        extra = sorted(got - keys)
        raise err(f"{what}: missing keys {missing}, unknown keys {extra}")
    return v


def int_field(v: object, what: str, lo: int, hi: int) -> int:
    """`v` as a JSON integer (not a bool or float) in [lo, hi]."""
    if type(v) is not int:
        raise err(f"{what} must be an integer")
    if not lo <= v <= hi:
        raise err(f"{what} = {v} outside [{lo}, {hi}]")
    return v


def str_field(v: object, what: str, *, nonempty: bool = True) -> str:
    """`v` as a (non-empty) string."""
    if not isinstance(v, str) or (nonempty and not v):
        raise err(f"{what} must be a {'non-empty ' if nonempty else ''}string")
    return v


def dims(v: object, what: str, lengths: tuple[int, ...], lo: int = 1) -> tuple[int, ...]:
    """A list of integers in [lo, 2^20] of one of the given lengths."""
    if not isinstance(v, list) or len(v) not in lengths:
        raise err(f"{what} must be a list of {' or '.join(map(str, lengths))} integers")
    return tuple(int_field(e, f"{what}[{i}]", lo, MAX_FEATURES) for i, e in enumerate(v))


def parse_ref(v: object, index: int, what: str) -> int | None:
    if v == "input" and isinstance(v, str):
        return None
    if type(v) is not int:
        raise err(f"{what} must be \"input\" or a gadget index")
    if not 0 <= v < index:
        raise err(f"{what} = {v} is not an earlier gadget")
    return v




@dataclass(frozen=True)
class GadgetFields:
    """The gadget-level fields a producer is checked against, and its context."""

    index: int
    features: int
    shift: int
    divisor: int
    lo: int
    hi: int
    excess_hi_bits: int
    excess_lo_bits: int
    prev: Sequence[Gadget]
    model: ModelStack
    input_width: int
    input_bits: int

    def width(self, ref: int | None) -> int:
        """width(x) of conv.md 1 (the input's padded width, or a gadget's features)."""
        return self.input_width if ref is None else self.prev[ref].features

    def range_of(self, ref: int | None) -> tuple[int, int]:
        """[lo_x, hi_x]: a gadget's [lo, hi], or the input's [-2^(b-1), 2^(b-1) - 1]."""
        if ref is None:
            half = 1 << (self.input_bits - 1)
            return -half, half - 1
        return self.prev[ref].lo, self.prev[ref].hi

    @property
    def plain(self) -> bool:
        """shift 0, divisor 1 and no excess columns (z = acc)."""
        return not (self.shift or self.excess_hi_bits or self.excess_lo_bits
                    or self.divisor != 1)


@dataclass(frozen=True)
class Producer:
    """A validated producer; fields a producer does not use keep their defaults."""

    op: str
    x: int | None
    y: int | None = None
    weight: str | None = None
    bias: str | None = None
    bias_shift: int = 0
    signs: tuple[int, int] = (1, 1)
    lshifts: tuple[int, int] = (0, 0)
    terms: tuple[tuple[int | None, int], ...] = ()
    conv: ConvSpec | None = None
    pool: PoolSpec | None = None
    window: WindowSpec | None = None
    sum_shape: tuple[int, ...] | None = None
    lshift: int = 0
    table: str | None = None
    table_bits: int = 0
    lo_x: int = 0
    #: rowmax: the row's real entries n and the D width; rowdiv: the R / Rc width
    row_n: int = 0
    diff_bits: int = 0
    rem_bits: int = 0
    #: addconst only (nonlinear.md 10): the constant's model tensor
    constant: str | None = None
    #: concat only (nonlinear.md 11): the parts, their shapes [C_k, S..] and wiring axes
    parts: tuple[int | None, ...] = ()
    part_shapes: tuple[tuple[int, ...], ...] = ()
    part_axes: tuple[Axis, ...] = ()
    #: rearrange only (rearrange.md 1): layouts, out_shape, dims and blocks
    rearrange: RearrangeSpec | None = None
    #: max2 only (max.md 1): +1 for a maximum, -1 for a minimum
    dir: int = 1


def geometry(prod: dict, what: str, pw: str, op: str
              ) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], list[Axis]]:
    """in_shape, out_shape, kernel and the wiring axes of a conv or window producer."""
    in_shape = dims(prod["in_shape"], f"{pw} in_shape", (2, 3))
    k = len(in_shape) - 1
    out_shape = dims(prod["out_shape"], f"{pw} out_shape", (k + 1,))
    kernel = dims(prod["kernel"], f"{pw} kernel", (k,))
    strides = dims(prod["strides"], f"{pw} strides", (k,))
    dilations = dims(prod["dilations"], f"{pw} dilations", (k,))
    pads = dims(prod["pads"], f"{pw} pads", (k,), lo=0)
    axes = []
    for a in range(k):
        try:
            axes.append(Axis(out_shape[a + 1], in_shape[a + 1], kernel[a], strides[a],
                             dilations[a], pads[a]))
        except ProofFormatError as exc:
            raise err(f"{what}: {op} axis {a}: {exc.detail}") from None
    return in_shape, out_shape, kernel, axes


def check_widths(what: str, kind: str, gf: GadgetFields, x: int | None,
                  in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> None:
    """conv.md: `width(x) == prod pad(in_shape)` and `features == prod pad(out_shape)`."""
    if gf.width(x) != padded_size(in_shape):
        raise err(f"{what}: {kind} input has width {gf.width(x)}, in_shape {list(in_shape)} "
                  f"needs {padded_size(in_shape)}")
    if gf.features != padded_size(out_shape):
        raise err(f"{what}: {kind} features {gf.features} != prod pad(out_shape) "
                  f"{padded_size(out_shape)}")












def row_length(what: str, name: str, width: int, groups: int) -> int:
    """P = pad(width) / pad(G) of nonlinear.md 12 for a tensor of `width` features read in
    `G = groups` rows; requires `1 <= G <= width` and `pad(G)` dividing `pad(width)`."""
    if not 1 <= groups <= width or pad(width) % pad(groups):
        raise err(f"{what}: {name} has G = {groups} row values over width {width} (needs "
                  f"1 <= G <= {width} and pad(G) dividing pad(width))")
    return pad(width) // pad(groups)


def gadget_class(op: str) -> type[GadgetCheck]:
    """The gadget class of a (parsed) op, from `zkml.verifier.gadgets.GADGETS`."""
    from zkml.verifier.gadgets import GADGETS  # the gadget modules use these readers

    return GADGETS[op]


def parse_producer(prod: object, gf: GadgetFields) -> Producer:
    """Strictly parse gadget `gf.index`'s producer object and check it (module doc) with
    its op's gadget class (`zkml.verifier.gadgets.GADGETS`)."""
    from zkml.verifier.gadgets import GADGETS

    what = f"gadget {gf.index}"
    pw = f"{what} producer"
    if not isinstance(prod, dict):
        raise err(f"{what} producer must be an object")
    op = prod.get("op")
    cls = GADGETS.get(op) if isinstance(op, str) else None
    if cls is None:
        raise err(f"{what}: unknown producer op {op!r}")
    return cls.parse(prod, what, pw, gf)
