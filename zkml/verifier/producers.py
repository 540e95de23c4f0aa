"""Strict parsing of a gadget's producer object (inference.md 6, conv.md 2-3, nonlinear.md).

`parse_producer` reads one producer with the strict field readers below (exact keys, JSON
integers only, limits), resolves its references to earlier gadgets or the input, and
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

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zkml.errors import ProofFormatError
from zkml.verifier.rearrange import Block, RearrangeSpec, layout_width, row_strides, strided
from zkml.verifier.spatial import ConvSpec, PoolSpec, WindowSpec, pad, padded_size
from zkml.verifier.wiring import Axis

if TYPE_CHECKING:
    from zkml.verifier.circuit import Gadget, ModelStack

__all__ = ["Producer", "GadgetFields", "parse_producer", "err", "obj", "int_field",
           "str_field", "dims", "row_length", "MAX_FEATURES", "MAX_SHIFT", "MAX_BITS"]

MAX_FEATURES = 1 << 20
MAX_SHIFT = 64
MAX_BITS = 64
#: nonlinear.md 3: a function table has 2^t entries, 1 <= t <= 20
MAX_TABLE_BITS = 20
MAX_AFFINE_TERMS = 8
MAX_AFFINE_COEFF = 1 << 40
#: nonlinear.md 9: a winsum or winmax has at most 1024 taps
MAX_WINDOW_TAPS = 1024
#: nonlinear.md 11: a concat has 2..64 parts
MAX_CONCAT_PARTS = 64
#: rearrange.md 1: 1..64 parts, an index space of 1..6 dims, 1..4096 blocks, offsets
#: and strides below 2^31
MAX_REARRANGE_PARTS = 64
MAX_VIEW_DIMS = 6
MAX_REARRANGE_BLOCKS = 4096
MAX_REARRANGE_STRIDE = 1 << 31


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


def _ref(v: object, index: int, what: str) -> int | None:
    if v == "input" and isinstance(v, str):
        return None
    if type(v) is not int:
        raise err(f"{what} must be \"input\" or a gadget index")
    if not 0 <= v < index:
        raise err(f"{what} = {v} is not an earlier gadget")
    return v


def _pair(v: object, what: str, allowed: tuple[int, int] | None, lo: int, hi: int) -> tuple:
    if not isinstance(v, list) or len(v) != 2:
        raise err(f"{what} must be a list of two integers")
    out = tuple(int_field(e, f"{what}[{i}]", lo, hi) for i, e in enumerate(v))
    if allowed is not None and any(e not in allowed for e in out):
        raise err(f"{what} must be +1 or -1")
    return out


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


def _geometry(prod: dict, what: str, pw: str, op: str
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


def _check_widths(what: str, kind: str, gf: GadgetFields, x: int | None,
                  in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> None:
    """conv.md: `width(x) == prod pad(in_shape)` and `features == prod pad(out_shape)`."""
    if gf.width(x) != padded_size(in_shape):
        raise err(f"{what}: {kind} input has width {gf.width(x)}, in_shape {list(in_shape)} "
                  f"needs {padded_size(in_shape)}")
    if gf.features != padded_size(out_shape):
        raise err(f"{what}: {kind} features {gf.features} != prod pad(out_shape) "
                  f"{padded_size(out_shape)}")


def _conv(prod: dict, what: str, pw: str, gf: GadgetFields, x: int | None) -> ConvSpec:
    in_shape, out_shape, kernel, axes = _geometry(prod, what, pw, "conv")
    _check_widths(what, "conv", gf, x, in_shape, out_shape)
    weight = prod["weight"]
    w = gf.model.tensors[weight]
    cols = padded_size((in_shape[0], *kernel))
    if w.rows != out_shape[0] or w.cols != cols:
        raise err(f"{what}: conv weight {weight!r} is {w.rows}x{w.cols}, "
                  f"expected {out_shape[0]}x{cols}")
    return ConvSpec(in_shape, out_shape, kernel, tuple(axes))


def _pool(prod: dict, what: str, pw: str, gf: GadgetFields, x: int | None) -> PoolSpec:
    in_shape = dims(prod["in_shape"], f"{pw} in_shape", (2, 3))
    k = len(in_shape) - 1
    out_shape = dims(prod["out_shape"], f"{pw} out_shape", (k + 1,))
    window = dims(prod["window"], f"{pw} window", (k,))
    if in_shape[0] != out_shape[0]:
        raise err(f"{what}: pool channels {in_shape[0]} != {out_shape[0]}")
    for a in range(k):
        if window[a] & (window[a] - 1):
            raise err(f"{what}: pool window[{a}] = {window[a]} is not a power of two")
        if window[a] * out_shape[a + 1] > in_shape[a + 1]:
            raise err(f"{what}: pool axis {a}: window {window[a]} x out {out_shape[a + 1]} "
                      f"exceeds in {in_shape[a + 1]}")
    _check_widths(what, "pool", gf, x, in_shape, out_shape)
    if prod["op"] == "sumpool":
        return PoolSpec(in_shape, out_shape, window,
                        lshift=int_field(prod["lshift"], f"{pw} lshift", 0, MAX_SHIFT))
    return PoolSpec(in_shape, out_shape, window,
                    diff_bits=int_field(prod["diff_bits"], f"{pw} diff_bits", 1, MAX_BITS))


def _bias(prod: dict, what: str, pw: str, n: int, model: ModelStack) -> str | None:
    if prod["bias"] is None:
        return None
    bias = str_field(prod["bias"], f"{pw} bias")
    b = model.tensors.get(bias)
    if b is None:
        raise err(f"{what}: bias {bias!r} is not a model tensor")
    if b.rows != 1 or b.cols != n:
        raise err(f"{what}: bias {bias!r} is {b.rows}x{b.cols}, expected 1x{n}")
    return bias


def _weight(prod: dict, what: str, pw: str, model: ModelStack) -> str:
    weight = str_field(prod["weight"], f"{pw} weight")
    if weight not in model.tensors:
        raise err(f"{what}: weight {weight!r} is not a model tensor")
    return weight


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


def row_length(what: str, name: str, width: int, groups: int) -> int:
    """P = pad(width) / pad(G) of nonlinear.md 12 for a tensor of `width` features read in
    `G = groups` rows; requires `1 <= G <= width` and `pad(G)` dividing `pad(width)`."""
    if not 1 <= groups <= width or pad(width) % pad(groups):
        raise err(f"{what}: {name} has G = {groups} row values over width {width} (needs "
                  f"1 <= G <= {width} and pad(G) dividing pad(width))")
    return pad(width) // pad(groups)


def _rowmax(prod: dict, what: str, pw: str, gf: GadgetFields) -> Producer:
    obj(prod, {"op", "x", "n", "diff_bits"}, pw)
    x = _ref(prod["x"], gf.index, f"{pw} x")
    width_x = gf.width(x)
    n = int_field(prod["n"], f"{pw} n", 1, MAX_FEATURES)
    w = int_field(prod["diff_bits"], f"{pw} diff_bits", 1, MAX_BITS)
    groups = gf.features
    p_len = row_length(what, "rowmax x", width_x, groups)
    if n > p_len:
        raise err(f"{what}: rowmax n = {n} exceeds P = {p_len} (G = {groups} groups of "
                  f"width(x) = {width_x})")
    if p_len * (groups - 1) + n > width_x:  # the last real group's real entries are real
        raise err(f"{what}: rowmax n = {n} exceeds width(x) = {width_x} in group "
                  f"{groups - 1} (P = {p_len}: needs P (G - 1) + n <= width(x))")
    if not gf.plain:
        raise err(f"{what}: a rowmax gadget needs shift 0, divisor 1 and excess_hi_bits = "
                  f"excess_lo_bits = 0")
    lo_x, hi_x = gf.range_of(x)
    if gf.lo > lo_x or gf.hi < hi_x:
        raise err(f"{what}: rowmax range [{gf.lo}, {gf.hi}] does not cover x's range "
                  f"[{lo_x}, {hi_x}]")
    return Producer("rowmax", x, row_n=n, diff_bits=w)


def _rowdiv(prod: dict, what: str, pw: str, gf: GadgetFields) -> Producer:
    obj(prod, {"op", "x", "y", "lshift", "rem_bits"}, pw)
    x = _ref(prod["x"], gf.index, f"{pw} x")
    y = _ref(prod["y"], gf.index, f"{pw} y")
    lshift = int_field(prod["lshift"], f"{pw} lshift", 0, MAX_SHIFT)
    w = int_field(prod["rem_bits"], f"{pw} rem_bits", 1, MAX_BITS)
    if gf.width(x) != gf.features:
        raise err(f"{what}: rowdiv x has width {gf.width(x)}, expected {gf.features}")
    row_length(what, "rowdiv y", gf.features, gf.width(y))
    if gf.shift or gf.divisor != 1:
        raise err(f"{what}: a rowdiv gadget needs shift 0 and divisor 1")
    return Producer("rowdiv", x, y=y, lshift=lshift, rem_bits=w)


def _every_output_reads(a: Axis) -> bool:
    """Whether every real output `y < n_out` reads some input through a tap (conv.md 5:
    a winmax's real outputs hold the maximum of their reading taps). Outputs with
    `s y >= p` read through tap 0 iff `s y - p < n_in` (checked at the last one); the
    others, fewer than `p / s + 1 <= 2^16 + 1`, are checked one by one."""
    s, d, p, n = a.stride, a.dilation, a.pad, a.n_in
    last = a.n_out - 1
    if s * last >= p and s * last - p >= n:
        return False
    for y in range(min(a.n_out, (p + s - 1) // s)):  # s y < p
        i0 = (p - s * y + d - 1) // d
        if i0 >= a.k or s * y + d * i0 - p >= n:
            return False
    return True


def _window(prod: dict, what: str, pw: str, gf: GadgetFields) -> Producer:
    """winsum / winmax (conv.md 5): the axes of conv.md 2 with window taps."""
    op = prod["op"]
    extra = "lshift" if op == "winsum" else "diff_bits"
    obj(prod, {"op", "x", "in_shape", "out_shape", "kernel", "strides", "dilations", "pads",
               extra}, pw)
    x = _ref(prod["x"], gf.index, f"{pw} x")
    in_shape, out_shape, kernel, axes = _geometry(prod, what, pw, op)
    taps = 1
    for kk in kernel:
        taps *= kk
    if taps > MAX_WINDOW_TAPS:  # nonlinear.md 9
        raise err(f"{what}: {op} has {taps} taps, more than {MAX_WINDOW_TAPS}")
    if in_shape[0] != out_shape[0]:
        raise err(f"{what}: {op} channels {in_shape[0]} != {out_shape[0]}")
    _check_widths(what, op, gf, x, in_shape, out_shape)
    if op == "winsum":
        lshift = int_field(prod["lshift"], f"{pw} lshift", 0, MAX_SHIFT)
        spec = WindowSpec(in_shape, out_shape, kernel, tuple(axes), lshift=lshift)
        return Producer(op, x, window=spec, lshift=lshift)
    w = int_field(prod["diff_bits"], f"{pw} diff_bits", 1, MAX_BITS)
    if not gf.plain:
        raise err(f"{what}: a winmax needs shift 0, divisor 1 and excess_hi_bits = "
                  f"excess_lo_bits = 0")
    for a, axis in enumerate(axes):
        if not _every_output_reads(axis):
            raise err(f"{what}: winmax axis {a} has an output whose window reads only padding")
    spec = WindowSpec(in_shape, out_shape, kernel, tuple(axes), diff_bits=w)
    return Producer(op, x, window=spec, diff_bits=w)


def _addconst(prod: dict, what: str, pw: str, gf: GadgetFields) -> Producer:
    """addconst (nonlinear.md 10): acc = 2^l x + C, C a 1 x width(x) model tensor."""
    obj(prod, {"op", "x", "c", "lshift"}, pw)
    x = _ref(prod["x"], gf.index, f"{pw} x")
    name = str_field(prod["c"], f"{pw} c")
    lshift = int_field(prod["lshift"], f"{pw} lshift", 0, MAX_SHIFT)
    width_x = gf.width(x)
    if width_x != gf.features:
        raise err(f"{what}: addconst input has width {width_x}, expected {gf.features}")
    ten = gf.model.tensors.get(name)
    if ten is None:
        raise err(f"{what}: constant {name!r} is not a model tensor")
    if ten.rows != 1 or ten.cols != width_x:
        raise err(f"{what}: constant {name!r} is {ten.rows}x{ten.cols}, expected 1x{width_x}")
    return Producer("addconst", x, lshift=lshift, constant=name)


def _concat(prod: dict, what: str, pw: str, gf: GadgetFields) -> Producer:
    """concat (nonlinear.md 11): channel c of the output is channel c - off_k of part k."""
    obj(prod, {"op", "parts", "shapes"}, pw)
    raw_parts, raw_shapes = prod["parts"], prod["shapes"]
    if not isinstance(raw_parts, list) or not 2 <= len(raw_parts) <= MAX_CONCAT_PARTS:
        raise err(f"{pw} parts must be a list of 2..{MAX_CONCAT_PARTS} references")
    if not isinstance(raw_shapes, list) or len(raw_shapes) != len(raw_parts):
        raise err(f"{pw} shapes must be a list of {len(raw_parts)} shapes (one per part)")
    parts = tuple(_ref(v, gf.index, f"{pw} parts[{k}]") for k, v in enumerate(raw_parts))
    shapes = tuple(dims(v, f"{pw} shapes[{k}]", (1, 2, 3)) for k, v in enumerate(raw_shapes))
    spatial = shapes[0][1:]
    for k, (ref, shape) in enumerate(zip(parts, shapes, strict=True)):
        if shape[1:] != spatial:
            raise err(f"{what}: concat shapes[{k}] {list(shape)} has other spatial dims than "
                      f"shapes[0] {list(shapes[0])}")
        need = shape[0] if len(shape) == 1 else padded_size(shape)  # a flat part: C_k
        if gf.width(ref) != need:
            raise err(f"{what}: concat part {k} has width {gf.width(ref)}, shape "
                      f"{list(shape)} needs {need}")
    channels = sum(shape[0] for shape in shapes)
    if gf.features != padded_size((channels, *spatial)):
        raise err(f"{what}: concat features {gf.features} != pad(C) prod pad(S) = "
                  f"{padded_size((channels, *spatial))} (C = {channels})")
    axes, off = [], 0
    for k, shape in enumerate(shapes):
        try:
            axes.append(Axis(channels, shape[0], 1, 1, 1, off))
        except ProofFormatError as exc:
            raise err(f"{what}: concat part {k} wiring: {exc.detail}") from None
        off += shape[0]
    return Producer("concat", parts[0], parts=parts, part_shapes=shapes, part_axes=tuple(axes))


def _layout(v: object, what: str, pw: str, name: str) -> tuple[int, ...]:
    """A rearrange layout `[n]`, `[C, S_1]` or `[C, S_1, S_2]` of padded width <= 2^20."""
    shape = dims(v, f"{pw} {name}", (1, 2, 3))
    if layout_width(shape) > MAX_FEATURES:
        raise err(f"{what}: rearrange {name} {list(shape)} has padded width "
                  f"{layout_width(shape)} > {MAX_FEATURES}")
    return shape


def _block(v: object, b: int, m: int, n_parts: int, space: tuple[int, ...], pw: str
           ) -> Block:
    """One block object (rearrange.md 1): exact keys, its box inside `space`."""
    bw = f"{pw} blocks[{b}]"
    obj(v, {"part", "start", "size", "offset", "strides"}, bw)
    part = int_field(v["part"], f"{bw} part", 0, n_parts - 1)
    for key in ("start", "size", "strides"):
        if not isinstance(v[key], list) or len(v[key]) != m:
            raise err(f"{bw} {key} must be a list of {m} integers (the rank of dims)")
    start = tuple(int_field(e, f"{bw} start[{j}]", 0, space[j] - 1)
                  for j, e in enumerate(v["start"]))
    size = tuple(int_field(e, f"{bw} size[{j}]", 1, space[j] - start[j])
                 for j, e in enumerate(v["size"]))
    strides = tuple(int_field(e, f"{bw} strides[{j}]", 0, MAX_REARRANGE_STRIDE - 1)
                    for j, e in enumerate(v["strides"]))
    offset = int_field(v["offset"], f"{bw} offset", 0, MAX_REARRANGE_STRIDE - 1)
    return Block(part, start, size, offset, strides)


def _check_tiling(what: str, space: tuple[int, ...], blocks: tuple[Block, ...]) -> None:
    """rearrange.md 1: the blocks' volumes sum to prod dims and no index is covered twice
    (a bitmap of prod dims <= 2^20 bytes, marked one last-axis run at a time)."""
    total = math.prod(space)
    volume = sum(b.volume for b in blocks)
    if volume != total:
        raise err(f"{what}: rearrange blocks cover {volume} indices, dims "
                  f"{list(space)} has {total}")
    o_strides = row_strides(space)
    covered = bytearray(total)
    for bi, b in enumerate(blocks):
        run = b.size[-1]
        ones = b"\x01" * run
        base = sum(a * t for a, t in zip(b.start, o_strides, strict=True))
        for row in strided(b.size[:-1], o_strides[:-1], base):
            if 1 in covered[row : row + run]:
                raise err(f"{what}: rearrange blocks[{bi}] overlaps an earlier block")
            covered[row : row + run] = ones


def _rearrange(prod: dict, what: str, pw: str, gf: GadgetFields) -> Producer:
    """rearrange (rearrange.md 1): the output is a public gather of the parts' entries,
    described by blocks tiling the index space `dims`."""
    obj(prod, {"op", "parts", "shapes", "out_shape", "dims", "blocks"}, pw)
    raw_parts, raw_shapes, raw_blocks = prod["parts"], prod["shapes"], prod["blocks"]
    if not isinstance(raw_parts, list) or not 1 <= len(raw_parts) <= MAX_REARRANGE_PARTS:
        raise err(f"{pw} parts must be a list of 1..{MAX_REARRANGE_PARTS} references")
    n = len(raw_parts)
    if not isinstance(raw_shapes, list) or len(raw_shapes) != n:
        raise err(f"{pw} shapes must be a list of {n} layouts (one per part)")
    parts = tuple(_ref(v, gf.index, f"{pw} parts[{k}]") for k, v in enumerate(raw_parts))
    shapes = tuple(_layout(v, what, pw, f"shapes[{k}]") for k, v in enumerate(raw_shapes))
    for k, (ref, shape) in enumerate(zip(parts, shapes, strict=True)):
        if gf.width(ref) != layout_width(shape):
            raise err(f"{what}: rearrange part {k} has width {gf.width(ref)}, layout "
                      f"{list(shape)} needs {layout_width(shape)}")
    out_shape = _layout(prod["out_shape"], what, pw, "out_shape")
    if gf.features != layout_width(out_shape):
        raise err(f"{what}: rearrange features {gf.features} != width of out_shape "
                  f"{list(out_shape)} = {layout_width(out_shape)}")
    space = dims(prod["dims"], f"{pw} dims", tuple(range(1, MAX_VIEW_DIMS + 1)))
    out_real = math.prod(out_shape)
    if math.prod(space) != out_real:
        raise err(f"{what}: rearrange dims {list(space)} has {math.prod(space)} entries, "
                  f"out_shape {list(out_shape)} has {out_real}")
    if not isinstance(raw_blocks, list) or not 1 <= len(raw_blocks) <= MAX_REARRANGE_BLOCKS:
        raise err(f"{pw} blocks must be a list of 1..{MAX_REARRANGE_BLOCKS} blocks")
    blocks = tuple(_block(v, b, len(space), n, space, pw) for b, v in enumerate(raw_blocks))
    for bi, b in enumerate(blocks):
        real = math.prod(shapes[b.part])
        if b.corner >= real:
            raise err(f"{what}: rearrange blocks[{bi}] reads index {b.corner} of part "
                      f"{b.part}, which has {real} real entries")
    _check_tiling(what, space, blocks)
    spec = RearrangeSpec(shapes, out_shape, space, blocks)
    return Producer("rearrange", parts[0], parts=parts, part_shapes=shapes, rearrange=spec)


def parse_producer(prod: object, gf: GadgetFields) -> Producer:
    """Strictly parse gadget `gf.index`'s producer object and check it (module doc)."""
    what = f"gadget {gf.index}"
    pw = f"{what} producer"
    if not isinstance(prod, dict):
        raise err(f"{what} producer must be an object")
    op = prod.get("op")
    idx, features, model = gf.index, gf.features, gf.model
    if op == "dense":
        obj(prod, {"op", "x", "weight", "bias", "bias_shift"}, pw)
        bias_shift = int_field(prod["bias_shift"], f"{pw} bias_shift", 0, MAX_SHIFT)
        x = _ref(prod["x"], idx, f"{pw} x")
        weight = _weight(prod, what, pw, model)
        w = model.tensors[weight]
        if w.cols != gf.width(x) or w.rows != features:
            raise err(f"{what}: weight {weight!r} is {w.rows}x{w.cols}, "
                      f"expected {features}x{gf.width(x)}")
        bias = _bias(prod, what, pw, features, model)
        return Producer(op, x, weight=weight, bias=bias, bias_shift=bias_shift)
    if op == "conv":
        obj(prod, {"op", "x", "weight", "bias", "bias_shift", "in_shape", "out_shape",
                   "kernel", "strides", "dilations", "pads"}, pw)
        bias_shift = int_field(prod["bias_shift"], f"{pw} bias_shift", 0, MAX_SHIFT)
        x = _ref(prod["x"], idx, f"{pw} x")
        weight = _weight(prod, what, pw, model)
        conv = _conv(prod, what, pw, gf, x)
        bias = _bias(prod, what, pw, conv.out_shape[0], model)
        return Producer(op, x, weight=weight, bias=bias, bias_shift=bias_shift, conv=conv)
    if op in ("sumpool", "maxpool"):
        extra = "lshift" if op == "sumpool" else "diff_bits"
        obj(prod, {"op", "x", "in_shape", "out_shape", "window", extra}, pw)
        x = _ref(prod["x"], idx, f"{pw} x")
        pool = _pool(prod, what, pw, gf, x)
        if op == "maxpool" and not gf.plain:
            raise err(f"{what}: a maxpool needs shift 0, divisor 1 and excess_hi_bits = "
                      f"excess_lo_bits = 0")
        return Producer(op, x, pool=pool)
    if op == "spatialsum":
        obj(prod, {"op", "x", "in_shape", "lshift"}, pw)
        x = _ref(prod["x"], idx, f"{pw} x")
        sum_shape = dims(prod["in_shape"], f"{pw} in_shape", (2, 3))
        lshift = int_field(prod["lshift"], f"{pw} lshift", 0, MAX_SHIFT)
        # nonlinear.md 7: pad(width(x)) == prod pad(in_shape) (a flat row of n features
        # has the layout of [1, n]; spatial widths are powers of two already)
        if pad(gf.width(x)) != padded_size(sum_shape):
            raise err(f"{what}: spatialsum input has width {gf.width(x)}, in_shape "
                      f"{list(sum_shape)} needs a padded width of {padded_size(sum_shape)}")
        if features != sum_shape[0]:
            raise err(f"{what}: spatialsum features {features} != channels {sum_shape[0]}")
        return Producer(op, x, sum_shape=sum_shape, lshift=lshift)
    if op == "table":
        obj(prod, {"op", "x", "table"}, pw)
        x = _ref(prod["x"], idx, f"{pw} x")
        table, table_bits, lo_x = _table(prod, what, pw, x, gf)
        if gf.width(x) != features:
            raise err(f"{what}: table input has width {gf.width(x)}, expected {features}")
        if features < 2:  # its lookup tree has depth log2(B' n') >= 1 for every batch
            raise err(f"{what}: a table gadget needs features >= 2")
        if not gf.plain:
            raise err(f"{what}: a table gadget needs shift 0, divisor 1 and "
                      f"excess_hi_bits = excess_lo_bits = 0")
        return Producer(op, x, table=table, table_bits=table_bits, lo_x=lo_x)
    if op == "add":
        obj(prod, {"op", "x", "y", "signs", "lshifts"}, pw)
        x = _ref(prod["x"], idx, f"{pw} x")
        y = _ref(prod["y"], idx, f"{pw} y")
        signs = _pair(prod["signs"], f"{pw} signs", (1, -1), -1, 1)
        lshifts = _pair(prod["lshifts"], f"{pw} lshifts", None, 0, MAX_SHIFT)
        if gf.width(x) != features:
            raise err(f"{what}: add inputs have {gf.width(x)} and {gf.width(y)} features, "
                      f"expected {features} for x")
        if gf.width(y) != features:  # nonlinear.md 6, 12: y's row values broadcast
            row_length(f"{what}: add inputs have {gf.width(x)} and {gf.width(y)} features",
                       "y", features, gf.width(y))
        return Producer(op, x, y=y, signs=signs, lshifts=lshifts)
    if op == "mul":  # nonlinear.md 8: acc = x y elementwise
        obj(prod, {"op", "x", "y"}, pw)
        x = _ref(prod["x"], idx, f"{pw} x")
        y = _ref(prod["y"], idx, f"{pw} y")
        if gf.width(x) != features or gf.width(y) != features:
            raise err(f"{what}: mul inputs have {gf.width(x)} and {gf.width(y)} features, "
                      f"expected {features}")
        return Producer(op, x, y=y)
    if op == "identity":
        obj(prod, {"op", "x"}, pw)
        x = _ref(prod["x"], idx, f"{pw} x")
        if gf.width(x) != features:
            raise err(f"{what}: identity input has {gf.width(x)} features, expected {features}")
        return Producer(op, x)
    if op == "affine":
        obj(prod, {"op", "terms"}, pw)
        raw = prod["terms"]
        if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_AFFINE_TERMS:
            raise err(f"{pw} terms must be a list of 1..{MAX_AFFINE_TERMS} [x, coeff] pairs")
        parsed = []
        for k, term in enumerate(raw):
            if not isinstance(term, list) or len(term) != 2:
                raise err(f"{pw} term {k} must be [x, coeff]")
            xk = _ref(term[0], idx, f"{pw} term {k} x")
            ck = int_field(term[1], f"{pw} term {k} coeff", -MAX_AFFINE_COEFF + 1,
                           MAX_AFFINE_COEFF - 1)
            if gf.width(xk) != features:
                raise err(f"{what}: affine term {k} has {gf.width(xk)} features, expected "
                          f"{features}")
            parsed.append((xk, ck))
        return Producer(op, parsed[0][0], terms=tuple(parsed))
    if op in ("winsum", "winmax"):
        return _window(prod, what, pw, gf)
    if op == "rowmax":
        return _rowmax(prod, what, pw, gf)
    if op == "rowdiv":
        return _rowdiv(prod, what, pw, gf)
    if op == "addconst":
        return _addconst(prod, what, pw, gf)
    if op == "concat":
        return _concat(prod, what, pw, gf)
    if op == "rearrange":
        return _rearrange(prod, what, pw, gf)
    raise err(f"{what}: unknown producer op {op!r}")
