"""The plain records of a parsed circuit and the strict field readers (inference.md 6).

A leaf of the verifier's circuit layer: it imports no gadget module, so the gadget
modules (`zkml.verifier.gadgets`, each parsing its own producer into its own frozen
record) and the circuit parser (`circuit.py`, which dispatches to them) both build on it
without an import cycle.

- the readers (`obj`, `int_field`, `str_field`, `dims`, `parse_ref`, ...) accept exactly
  the keys asked for and JSON integers only (not a bool or float) within the limits,
  raising `ProofFormatError("circuit: ...")`;
- `GadgetFields`: the gadget-level fields a producer is checked against, and its context;
- `Producer`: the base of every op's producer record (the one field all of them have);
- `Column`, `ColumnGroup`, `Gadget`, `Tensor`, `ModelStack`: the validated circuit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from zkml.errors import ProofFormatError
from zkml.verifier.circuit_limits import MAX_BITS, MAX_FEATURES
from zkml.verifier.field import R
from zkml.verifier.spatial import pad, padded_size
from zkml.verifier.wiring import Axis

__all__ = ["MAX_SHIFT", "err", "obj", "int_field", "str_field", "dims", "parse_ref",
           "row_length", "geometry", "check_widths", "GadgetFields", "Producer",
           "ColumnSpec", "Column", "ColumnGroup", "Gadget", "Tensor", "ModelStack"]

#: Shifts and lshifts are 0..MAX_BITS.
MAX_SHIFT = MAX_BITS


# --- the strict readers ------------------------------------------------------------


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
    """A reference: "input" (None) or an earlier gadget's index (inference.md 6)."""
    if v == "input" and isinstance(v, str):
        return None
    if type(v) is not int:
        raise err(f"{what} must be \"input\" or a gadget index")
    if not 0 <= v < index:
        raise err(f"{what} = {v} is not an earlier gadget")
    return v


def row_length(what: str, name: str, width: int, groups: int) -> int:
    """P = pad(width) / pad(G) of nonlinear.md 12 for a tensor of `width` features read in
    `G = groups` rows; requires `1 <= G <= width` and `pad(G)` dividing `pad(width)`."""
    if not 1 <= groups <= width or pad(width) % pad(groups):
        raise err(f"{what}: {name} has G = {groups} row values over width {width} (needs "
                  f"1 <= G <= {width} and pad(G) dividing pad(width))")
    return pad(width) // pad(groups)


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


# --- the records ---------------------------------------------------------------------


@dataclass(frozen=True)
class Producer:
    """The base of a validated producer record; each op's record (in its gadget module,
    next to its parser) adds only the fields that op has.

    `x` is the first tensor it reads (None: the public input): a concat's or rearrange's
    first part, an affine's first term's operand.
    """

    x: int | None


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


class ColumnSpec(NamedTuple):
    """One group of a producer's columns after u, v, rem, remc, ep, em (its check class's
    `extra_columns`): a value of `width` bits cut into limbs over `feature_vars`
    variables. `own` is False for columns of x's length (a rowmax's D and S), which are
    not read with the gadget's own columns at its acc point."""

    key: str
    width: int
    feature_vars: int
    own: bool = True


@dataclass(frozen=True)
class Column:
    """One committed limb column of a gadget: `B' 2^feature_vars` entries (the gadget's
    `n_g'`, or x's padded width for a rowmax's `D` and `S`)."""

    index: int
    gadget: int
    kind: str
    limb: int
    width: int
    feature_vars: int


@dataclass(frozen=True)
class ColumnGroup:
    """The limb columns of one `ColumnSpec` (key `D0`, `S0`, .. for one window's)."""

    key: str
    columns: tuple[Column, ...]
    own: bool = True


@dataclass(frozen=True)
class Gadget:
    """A validated gadget: its gadget-level fields, its committed columns and its op's
    producer record (`producer`, defined in the op's gadget module)."""

    index: int
    op: str
    features: int
    log_features: int
    shift: int
    divisor: int
    lo: int
    hi: int
    excess_hi_bits: int
    excess_lo_bits: int
    frac_bits: int
    source: str
    u: tuple[Column, ...]
    v: tuple[Column, ...]
    #: nonlinear.md 1: shift bits, or bits(d - 1) for a divisor d > 1
    rem: tuple[Column, ...]
    #: d > 1 only: the limbs of remc = d - 1 - rem (width bits(d - 1))
    remc: tuple[Column, ...]
    ep: tuple[Column, ...]
    em: tuple[Column, ...]
    #: the producer's own columns (a maxpool's D_w and S_w, a rowmax's D and S, a
    #: rowdiv's R and Rc), in column order
    extra: tuple[ColumnGroup, ...]
    producer: Producer

    @property
    def columns(self) -> tuple[Column, ...]:
        """All columns in column order: u, v, rem, remc, ep, em limbs (low to high), then
        the producer's groups in order."""
        return (self.u + self.v + self.rem + self.remc + self.ep + self.em
                + tuple(c for grp in self.extra for c in grp.columns))

    @property
    def own(self) -> tuple[Column, ...]:
        """The columns of the gadget's own length (all but a rowmax's D and S)."""
        return (self.u + self.v + self.rem + self.remc + self.ep + self.em
                + tuple(c for grp in self.extra if grp.own for c in grp.columns))

    def group(self, key: str) -> tuple[Column, ...]:
        """The columns of the producer's group `key` (KeyError if it has none)."""
        for grp in self.extra:
            if grp.key == key:
                return grp.columns
        raise KeyError(f"gadget {self.index} has no column group {key!r}")

    def numbered(self, kind: str) -> tuple[tuple[Column, ...], ...]:
        """The groups `<kind>0, <kind>1, ..` in order (one per window or tap)."""
        return tuple(grp.columns for grp in self.extra
                     if grp.key.startswith(kind) and grp.key[len(kind):].isdigit())

    def with_clamp_terms(self, term: Any, z: Any, ep: Any, em: Any, beta: int) -> Any:
        """`term + beta (z - hi) e+ + beta^2 (z - lo) e-`, a clamp term dropped when its
        column is absent: the clamp a gadget's own zerocheck carries (rowdiv, max2;
        nonlinear.md 7, max.md). Operands are declaration expressions."""
        if self.ep:
            term = term + beta * (z - self.hi) * ep
        if self.em:
            term = term + (beta * beta % R) * (z - self.lo) * em
        return term


@dataclass(frozen=True)
class Tensor:
    """A model-stack tensor: (rows, cols) padded to powers of two at `offset`."""

    name: str
    rows: int
    cols: int
    offset: int
    log_rows: int
    log_cols: int

    @property
    def log_size(self) -> int:
        return self.log_rows + self.log_cols


@dataclass(frozen=True)
class ModelStack:
    """The model stack of a circuit: its variables, columns, range and tensors."""

    num_vars: int
    log_cols: int
    range_bits: int
    tensors: dict[str, Tensor]
