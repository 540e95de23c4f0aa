"""The circuit description of an inference proof (circuits/inference.md, section 6).

A `Circuit` is a list of gadgets over a public input, plus the layout of the model
stack (the committed weights and biases). Its canonical JSON bytes go into the
verifying key, so `to_bytes` is exact and the loader is strict
(`zkml.compiler.circuit_load.circuit_from_bytes`: it accepts only what `to_bytes` can
write and what the spec's limits allow, the core's parser validating; the limits are
`zkml.compiler.limits`).

This module uses the standard library only, so the verify and inspect paths can read a
circuit without importing numpy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from zkml.compiler.limits import (
    LIMB_BITS,
    MAX_AFFINE_COEFF,
    MAX_AFFINE_TERMS,
    MAX_BITS,
    MAX_CONCAT_PARTS,
    MAX_DIVISOR,
    MAX_FEATURES,
    MAX_NUM_VARS,
    MAX_RANGE_BITS,
    MAX_REARRANGE_BLOCKS,
    MAX_REARRANGE_PARTS,
    MAX_REARRANGE_STRIDE,
    MAX_TABLE_BITS,
    MAX_VIEW_DIMS,
    MAX_WIRE_LEN,
    MAX_WIRE_STEP,
)
from zkml.compiler.producers import (
    PRODUCERS,
    Block,
    Producer,
    RowDiv,
    RowMax,
    Table,
    WinMax,
    WinSum,
)
from zkml.compiler.producers.base import bits, ceil_log2, padded_width  # (the gadgets' too)
from zkml.errors import ModelError

__all__ = [
    "FORMAT",
    "VERSION",
    "MAX_FEATURES",
    "MAX_BITS",
    "MAX_TERMS",
    "MAX_COEFF_BITS",
    "Column",
    "Gadget",
    "StackTensor",
    "ModelStack",
    "Circuit",
    "CircuitFormatError",
    "canonical_json",
    "bits",
    "ceil_log2",
    "limb_widths",
    "assign_slots",
    "padded_width",
    "SPATIAL_OPS",
    "WINDOW_OPS",
    "MAX_DIVISOR",
    "MAX_TABLE_BITS",
    "LIMB_BITS",
    "ROW_OPS",
    "MAX_CONCAT_PARTS",
    "MAX_REARRANGE_PARTS",
    "MAX_VIEW_DIMS",
    "MAX_REARRANGE_BLOCKS",
    "MAX_REARRANGE_STRIDE",
    "Block",
    "MAX_RANGE_BITS",
    "MAX_NUM_VARS",
    "MAX_WIRE_LEN",
    "MAX_WIRE_STEP",
]

FORMAT = "zkml-circuit"
VERSION = 1
#: The affine limits under their older names: 1..8 terms, |c_k| < 2^40.
MAX_TERMS = MAX_AFFINE_TERMS
MAX_COEFF_BITS = MAX_AFFINE_COEFF.bit_length() - 1
#: Producers with spatial tensors (circuits/conv.md); none may be the output gadget.
#: (`spatialsum`, circuits/nonlinear.md, reads a spatial tensor but produces a flat one.)
SPATIAL_OPS = tuple(op for op, cls in PRODUCERS.items() if cls.SPATIAL)
#: General pooling windows through the wiring MLE (conv.md section 5).
WINDOW_OPS = (WinSum.op, WinMax.op)
#: Row producers of nonlinear.md section 7 (Softmax's maximum and division).
ROW_OPS = (RowMax.op, RowDiv.op)


class CircuitFormatError(ModelError):
    """A circuit description is malformed or breaks the spec's limits."""


def canonical_json(doc: object) -> bytes:
    """Canonical JSON: UTF-8, sorted keys, no whitespace (inference.md section 6)."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def limb_widths(width: int, limb_bits: int = 8) -> list[int]:
    """Widths of the `limb_bits`-bit limbs of a `width`-bit value, low limb first
    (`min(L, W - L j)` for `j < ceil(W / L)`, nonlinear.md section 5)."""
    lb = limb_bits
    return [min(lb, width - lb * j) for j in range((width + lb - 1) // lb)]


def assign_slots(sizes: list[int]) -> list[int]:
    """Offsets of power-of-two slots: largest first (ties keep order), consecutive from 0.

    Every offset is a multiple of its slot's size because sizes only decrease.
    """
    order = sorted(range(len(sizes)), key=lambda i: -sizes[i])
    offsets = [0] * len(sizes)
    pos = 0
    for i in order:
        offsets[i] = pos
        pos += sizes[i]
    return offsets


@dataclass(frozen=True)
class Column:
    """One committed limb column of a gadget: which value, which limb, its width."""

    gadget: int
    value: str  # "u", "v", "rem", "remc", "ep", "em"; maxpool "D<w>", "S<w>" (winmax: one
    # per tap); rowmax "D",
    # "S"; rowdiv "R", "Rc"; ArgMax "d"
    limb: int
    width: int

    @property
    def name(self) -> str:
        """A short label such as `g0.u[1]`."""
        return f"g{self.gadget}.{self.value}[{self.limb}]"


@dataclass(frozen=True)
class Gadget:
    """One gadget: a producer (`producer`, one record class per op:
    `zkml.compiler.producers`), then requantize (by `2^shift`, or by a constant
    `divisor`) and clamp to `[lo, hi]`.

    `divisor` is 1 (requantize by `2^shift`) or `d > 1` with `shift = 0` (requantize by
    `d`, committing `rem` and `remc = d - 1 - rem`, nonlinear.md section 4). Operands are
    `"input"` or the index of an earlier gadget.
    """

    producer: Producer
    features: int
    shift: int
    lo: int
    hi: int
    excess_hi_bits: int
    excess_lo_bits: int
    frac_bits: int
    source: str = ""
    divisor: int = 1

    @property
    def op(self) -> str:
        """The producer's circuit op."""
        return self.producer.op

    @property
    def x(self) -> str | int:
        """The producer's first operand."""
        return self.producer.operands()[0]

    @property
    def u_bits(self) -> int:
        """Width of `u = z - lo` (and of `v = hi - z`)."""
        return bits(self.hi - self.lo)

    @property
    def has_v(self) -> bool:
        """`v` is committed when `hi - lo + 1` is not a power of two."""
        n = self.hi - self.lo + 1
        return n & (n - 1) != 0

    @property
    def rem_bits(self) -> int:
        """Width of `rem` (and of `remc` when dividing): `shift`, or `bits(d - 1)`."""
        return self.shift if self.divisor == 1 else bits(self.divisor - 1)

    def value_widths(self) -> list[tuple[str, int]]:
        """The committed values in column order with their bit widths (0 = absent)."""
        out = [("u", self.u_bits)]
        if self.has_v:
            out.append(("v", self.u_bits))
        out.append(("rem", self.rem_bits))
        if self.divisor > 1:
            out.append(("remc", self.rem_bits))
        out += [("ep", self.excess_hi_bits), ("em", self.excess_lo_bits)]
        out += self.producer.extra_widths()
        return [(name, w) for name, w in out if w > 0]

    def producer_json(self) -> dict:
        """The `producer` object of the circuit JSON."""
        return self.producer.to_json()

    def to_json(self) -> dict:
        """The gadget object of the circuit JSON."""
        return {"producer": self.producer_json(), "features": self.features,
                "shift": self.shift, "divisor": self.divisor, "lo": self.lo, "hi": self.hi,
                "excess_hi_bits": self.excess_hi_bits, "excess_lo_bits": self.excess_lo_bits,
                "frac_bits": self.frac_bits, "source": self.source}


@dataclass(frozen=True)
class StackTensor:
    """A tensor of the model stack: `rows x cols` padded to powers of two, at `offset`."""

    name: str
    rows: int
    cols: int
    offset: int

    @property
    def size(self) -> int:
        """Slot size: padded rows times padded cols."""
        return (1 << ceil_log2(self.rows)) * (1 << ceil_log2(self.cols))

    @property
    def num_vars(self) -> int:
        """Variables of the padded tensor."""
        return ceil_log2(self.rows) + ceil_log2(self.cols)


@dataclass(frozen=True)
class ModelStack:
    """Layout of the committed model stack."""

    num_vars: int
    log_cols: int
    range_bits: int
    tensors: tuple[StackTensor, ...]

    def tensor(self, name: str) -> StackTensor:
        """The stack tensor called `name`."""
        for t in self.tensors:
            if t.name == name:
                return t
        raise KeyError(name)

    def to_json(self) -> dict:
        """The `model_stack` object of the circuit JSON."""
        return {"num_vars": self.num_vars, "log_cols": self.log_cols,
                "range_bits": self.range_bits,
                "tensors": [{"name": t.name, "rows": t.rows, "cols": t.cols, "offset": t.offset}
                            for t in self.tensors]}


@dataclass(frozen=True)
class Circuit:
    """A whole circuit description (inference.md section 6)."""

    input_features: int
    input_bits: int
    input_frac_bits: int
    output_gadget: int
    output_features: int
    gadgets: tuple[Gadget, ...]
    model_stack: ModelStack
    argmax: bool = False
    #: `[C, S_1(, S_2)]` when the input is a spatial tensor (conv.md section 1), else None.
    input_shape: tuple[int, ...] | None = None
    #: Width L of every committed limb, 8 or 16 (nonlinear.md section 5).
    limb_bits: int = 8
    #: ArgMax output of the last maximum (ONNX select_last_index = 1; inference.md 4b).
    argmax_last: bool = False

    def to_json(self) -> dict:
        """The JSON document."""
        shape = None if self.input_shape is None else list(self.input_shape)
        return {
            "format": FORMAT, "version": VERSION,
            "input": {"features": self.input_features, "bits": self.input_bits,
                      "frac_bits": self.input_frac_bits, "shape": shape},
            "output": {"gadget": self.output_gadget, "features": self.output_features,
                       "argmax": self.argmax,
                       **({"argmax_last": True} if self.argmax_last else {})},
            "gadgets": [g.to_json() for g in self.gadgets],
            "model_stack": self.model_stack.to_json(),
            "limb_bits": self.limb_bits,
        }

    def to_bytes(self) -> bytes:
        """Canonical JSON bytes (what the verifying key carries)."""
        return canonical_json(self.to_json())

    @property
    def output(self) -> Gadget:
        """The gadget whose tensor is the public output."""
        return self.gadgets[self.output_gadget]

    def features_of(self, ref: str | int) -> int:
        """Features of `"input"` or of gadget `ref`."""
        return self.input_features if ref == "input" else self.gadgets[int(ref)].features

    @property
    def input_width(self) -> int:
        """Width of the input tensor: `prod pad(shape)` when shaped, else its features."""
        if self.input_shape is None:
            return self.input_features
        return padded_width(self.input_shape)

    def width_of(self, ref: str | int) -> int:
        """`width(x)` of conv.md section 1: the input's width or gadget `ref`'s features."""
        return self.input_width if ref == "input" else self.gadgets[int(ref)].features

    def layout_of(self, ref: str | int) -> tuple[int, ...] | None:
        """The spatial shape whose padded layout `ref`'s tensor has (None: flat).

        Spatial producers give their `out_shape`; `add`, `identity`, `affine`, `table`,
        `rowdiv`, `mul` and `addconst` keep their (first) operand's layout; `dense`,
        `spatialsum` and `rowmax` are flat; a `concat` gives `[C, S..]` (`[C]` for flat
        parts: its `pad(C)` features hold `C` real ones); a `rearrange` gives its
        `out_shape` (None for a flat `[n]`).
        """
        while ref != "input":
            p = self.gadgets[int(ref)].producer
            if not p.KEEPS_LAYOUT:
                return p.layout()
            ref = p.operands()[0]
        return self.input_shape

    def x_range(self, ref: str | int) -> tuple[int, int]:
        """`[lo_x, hi_x]` of a table operand (nonlinear.md section 3): a gadget's clamp
        range, or the input's `[-2^(b-1), 2^(b-1) - 1]`."""
        if ref == "input":
            return -(1 << (self.input_bits - 1)), (1 << (self.input_bits - 1)) - 1
        g = self.gadgets[int(ref)]
        return g.lo, g.hi

    def table_gadgets(self) -> list[int]:
        """Indices of the table gadgets, in gadget order (one `t_g` column each)."""
        return [i for i, g in enumerate(self.gadgets) if isinstance(g.producer, Table)]

    @property
    def d_bits(self) -> int:
        """Width of the ArgMax difference column `d` (0 without ArgMax), section 4b."""
        return self.output.u_bits if self.argmax else 0

    @property
    def statement_outputs(self) -> int:
        """Output values per row in the statement: 1 (the index) with ArgMax."""
        return 1 if self.argmax else self.output_features

    def columns(self) -> list[Column]:
        """Every committed limb column, in witness order (section 2 table, then the
        ArgMax `d` limbs of section 4b), split into `limb_bits`-bit limbs."""
        return self.columns_with(self.limb_bits)

    def columns_with(self, limb_bits: int) -> list[Column]:
        """The committed limb columns this circuit would have with `limb_bits`-bit limbs."""
        cols = []
        for i, g in enumerate(self.gadgets):
            for value, width in g.value_widths():
                cols += [Column(i, value, j, w)
                         for j, w in enumerate(limb_widths(width, limb_bits))]
        cols += [Column(self.output_gadget, "d", j, w)
                 for j, w in enumerate(limb_widths(self.d_bits, limb_bits))]
        return cols

    def column_length(self, col: Column, batch: int) -> int:
        """Entries of a committed column for `batch` rows: `B' n_g'` (the gadget's padded
        tensor), except a rowmax's `D`, `S` (of its operand's length `B' width(x)`,
        nonlinear.md section 7)."""
        bp = 1 << ceil_log2(batch)
        g = self.gadgets[col.gadget]
        width = g.features
        if col.value in g.producer.OPERAND_COLUMNS:
            width = self.width_of(g.x)
        return bp << ceil_log2(width)

    def witness_size(self, batch: int, limb_bits: int | None = None) -> int:
        """Entries of the witness for `batch` rows with `limb_bits`-bit limbs (default:
        the circuit's): every limb column plus the `2^L`-entry multiplicity column `m`
        (the table multiplicities `t_g` do not depend on `L` and are left out)."""
        lb = self.limb_bits if limb_bits is None else limb_bits
        return sum(self.column_length(c, batch) for c in self.columns_with(lb)) + (1 << lb)
