"""The circuit description of an inference proof (circuits/inference.md, section 6).

A `Circuit` is a list of gadgets over a public input, plus the layout of the model
stack (the committed weights and biases). Its canonical JSON bytes go into the
verifying key, so `to_bytes` is exact and `from_bytes` is strict: it accepts only
what `to_bytes` can write and what the spec's limits allow.

This module uses the standard library only, so the verify and inspect paths can read a
circuit without importing numpy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

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
]

FORMAT = "zkml-circuit"
VERSION = 1
MAX_FEATURES = 1 << 20
MAX_BITS = 64
#: Widest model-stack entry: the verifying key's range table has 2^range_bits entries.
MAX_RANGE_BITS = 16
MAX_NUM_VARS = 30
MAX_TERMS = 8
MAX_COEFF_BITS = 40
#: Producers with spatial tensors (circuits/conv.md); none may be the output gadget.
#: (`spatialsum`, circuits/nonlinear.md, reads a spatial tensor but produces a flat one.)
SPATIAL_OPS = ("conv", "sumpool", "maxpool", "winsum", "winmax")
#: General pooling windows through the wiring MLE (conv.md section 5).
WINDOW_OPS = ("winsum", "winmax")
#: Constant divisors are below 2^40 (nonlinear.md section 1).
MAX_DIVISOR = 1 << 40
#: Function tables have 2^t entries, 1 <= t <= 20 (nonlinear.md section 3).
MAX_TABLE_BITS = 20
#: Limb widths a circuit may use (nonlinear.md section 5).
LIMB_BITS = (8, 16)
#: Row producers of nonlinear.md section 7 (Softmax's maximum and division).
ROW_OPS = ("rowmax", "rowdiv")
#: Wiring limits of one spatial axis (circuits/wiring.md).
MAX_WIRE_LEN = 1 << 24
MAX_WIRE_STEP = 1 << 16


class CircuitFormatError(ModelError):
    """A circuit description is malformed or breaks the spec's limits."""


def canonical_json(doc: object) -> bytes:
    """Canonical JSON: UTF-8, sorted keys, no whitespace (inference.md section 6)."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def bits(m: int) -> int:
    """Bit length of a non-negative integer (`bits(0) = 0`)."""
    return int(m).bit_length()


def ceil_log2(n: int) -> int:
    """Smallest `e >= 0` with `2^e >= n` (n >= 1)."""
    return max(int(n) - 1, 0).bit_length()


def padded_width(shape: tuple[int, ...] | list[int]) -> int:
    """`prod pad(v)` over the dims of a spatial tensor (its width, conv.md section 1)."""
    out = 1
    for v in shape:
        out <<= ceil_log2(v)
    return out


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
    """One gadget: a producer (dense, add, identity, affine, conv, sumpool, maxpool,
    spatialsum, table, rowmax, rowdiv, mul), then requantize (by `2^shift`, or by a constant
    `divisor`) and clamp.

    `x` and `y` are `"input"` or the index of an earlier gadget. An `affine` gadget's
    producer is `terms`, pairs `(x_k, c_k)`; its `x` is the first term's operand. The
    spatial producers (circuits/conv.md) use `in_shape`, `out_shape` and, for `conv`,
    `kernel`, `strides`, `dilations`, `pads` (begin pads) with `weight`, `bias`,
    `bias_shift`; for pooling `window` and `lshift` (sumpool) or `diff_bits` (maxpool);
    `winsum` / `winmax` (section 5) use `kernel`, `strides`, `dilations`, `pads` with
    `lshift` / `diff_bits`.
    `spatialsum` (circuits/nonlinear.md) uses `in_shape` and `lshift`; `table` names its
    model-stack table in `table`. `divisor` is 1 (requantize by `2^shift`) or `d > 1` with
    `shift = 0` (requantize by `d`, committing `rem` and `remc = d - 1 - rem`).
    An `add` may read a one-feature `y` broadcast along the features (nonlinear.md
    section 6). `rowmax` (section 7) uses `n` (real entries per row) and `diff_bits`;
    `rowdiv` uses `y` (one feature), `lshift` and `remainder_bits` (the JSON's
    `rem_bits`, the width of `R` and `Rc`). `mul` (section 8) multiplies `x` and `y`
    (both of width `features`) elementwise.
    """

    op: str
    x: str | int
    features: int
    shift: int
    lo: int
    hi: int
    excess_hi_bits: int
    excess_lo_bits: int
    frac_bits: int
    source: str = ""
    weight: str | None = None
    bias: str | None = None
    bias_shift: int = 0
    y: str | int | None = None
    signs: tuple[int, int] = (1, 1)
    lshifts: tuple[int, int] = (0, 0)
    terms: tuple[tuple[str | int, int], ...] = ()
    in_shape: tuple[int, ...] = ()
    out_shape: tuple[int, ...] = ()
    kernel: tuple[int, ...] = ()
    strides: tuple[int, ...] = ()
    dilations: tuple[int, ...] = ()
    pads: tuple[int, ...] = ()
    window: tuple[int, ...] = ()
    lshift: int = 0
    diff_bits: int = 0
    table: str | None = None
    divisor: int = 1
    n: int = 0
    remainder_bits: int = 0

    @property
    def windows(self) -> int:
        """Entries per pooling window (`prod window`; 0 for other producers)."""
        n = 1
        for k in self.window:
            n *= k
        return n if self.window else 0

    @property
    def taps(self) -> int:
        """Taps of a winsum / winmax window (`prod kernel`; 0 for other producers)."""
        if self.op not in WINDOW_OPS:
            return 0
        n = 1
        for k in self.kernel:
            n *= k
        return n

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
        if self.op == "maxpool":
            out += [(f"D{w}", self.diff_bits) for w in range(self.windows)]
            out += [(f"S{w}", 1) for w in range(self.windows)]
        elif self.op == "winmax":
            out += [(f"D{t}", self.diff_bits) for t in range(self.taps)]
            out += [(f"S{t}", 1) for t in range(self.taps)]
        elif self.op == "rowmax":
            out += [("D", self.diff_bits), ("S", 1)]
        elif self.op == "rowdiv":
            out += [("R", self.remainder_bits), ("Rc", self.remainder_bits)]
        return [(name, w) for name, w in out if w > 0]

    def producer_json(self) -> dict:
        """The `producer` object of the circuit JSON."""
        if self.op == "dense":
            return {"op": "dense", "x": self.x, "weight": self.weight, "bias": self.bias,
                    "bias_shift": self.bias_shift}
        if self.op == "add":
            return {"op": "add", "x": self.x, "y": self.y, "signs": list(self.signs),
                    "lshifts": list(self.lshifts)}
        if self.op == "affine":
            return {"op": "affine", "terms": [[x, c] for x, c in self.terms]}
        if self.op == "conv":
            return {"op": "conv", "x": self.x, "weight": self.weight, "bias": self.bias,
                    "bias_shift": self.bias_shift, "in_shape": list(self.in_shape),
                    "out_shape": list(self.out_shape), "kernel": list(self.kernel),
                    "strides": list(self.strides), "dilations": list(self.dilations),
                    "pads": list(self.pads)}
        if self.op == "sumpool":
            return {"op": "sumpool", "x": self.x, "in_shape": list(self.in_shape),
                    "out_shape": list(self.out_shape), "window": list(self.window),
                    "lshift": self.lshift}
        if self.op == "maxpool":
            return {"op": "maxpool", "x": self.x, "in_shape": list(self.in_shape),
                    "out_shape": list(self.out_shape), "window": list(self.window),
                    "diff_bits": self.diff_bits}
        if self.op in WINDOW_OPS:
            last = ("lshift", self.lshift) if self.op == "winsum" else \
                ("diff_bits", self.diff_bits)
            return {"op": self.op, "x": self.x, "in_shape": list(self.in_shape),
                    "out_shape": list(self.out_shape), "kernel": list(self.kernel),
                    "strides": list(self.strides), "dilations": list(self.dilations),
                    "pads": list(self.pads), last[0]: last[1]}
        if self.op == "spatialsum":
            return {"op": "spatialsum", "x": self.x, "in_shape": list(self.in_shape),
                    "lshift": self.lshift}
        if self.op == "table":
            return {"op": "table", "x": self.x, "table": self.table}
        if self.op == "rowmax":
            return {"op": "rowmax", "x": self.x, "n": self.n, "diff_bits": self.diff_bits}
        if self.op == "rowdiv":
            return {"op": "rowdiv", "x": self.x, "y": self.y, "lshift": self.lshift,
                    "rem_bits": self.remainder_bits}
        if self.op == "mul":
            return {"op": "mul", "x": self.x, "y": self.y}
        return {"op": "identity", "x": self.x}

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

    def to_json(self) -> dict:
        """The JSON document."""
        shape = None if self.input_shape is None else list(self.input_shape)
        return {
            "format": FORMAT, "version": VERSION,
            "input": {"features": self.input_features, "bits": self.input_bits,
                      "frac_bits": self.input_frac_bits, "shape": shape},
            "output": {"gadget": self.output_gadget, "features": self.output_features,
                       "argmax": self.argmax},
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

        Spatial producers give their `out_shape`; `add`, `identity`, `affine`, `table` and
        `rowdiv` keep their (first) operand's layout; `dense`, `spatialsum` and `rowmax`
        are flat.
        """
        while ref != "input":
            g = self.gadgets[int(ref)]
            if g.op in SPATIAL_OPS:
                return g.out_shape
            if g.op in ("dense", "spatialsum", "rowmax"):
                return None
            ref = g.x
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
        return [i for i, g in enumerate(self.gadgets) if g.op == "table"]

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
        if g.op == "rowmax" and col.value in ("D", "S"):
            width = self.width_of(g.x)
        return bp << ceil_log2(width)

    def witness_size(self, batch: int, limb_bits: int | None = None) -> int:
        """Entries of the witness for `batch` rows with `limb_bits`-bit limbs (default:
        the circuit's): every limb column plus the `2^L`-entry multiplicity column `m`
        (the table multiplicities `t_g` do not depend on `L` and are left out)."""
        lb = self.limb_bits if limb_bits is None else limb_bits
        return sum(self.column_length(c, batch) for c in self.columns_with(lb)) + (1 << lb)

    @classmethod
    def from_bytes(cls, data: bytes) -> Circuit:
        """Parse and validate; the bytes must be exactly the canonical encoding."""
        try:
            doc = json.loads(bytes(data).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise CircuitFormatError(f"circuit description is not JSON: {exc}") from None
        circuit = cls.from_json(doc)
        if circuit.to_bytes() != bytes(data):
            raise CircuitFormatError("circuit description is not in canonical form")
        return circuit

    @classmethod
    def from_json(cls, doc: object) -> Circuit:
        """Parse a JSON document and check every rule of section 6."""
        try:
            return _parse(doc)
        except CircuitFormatError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise CircuitFormatError(f"malformed circuit description: {exc!r}") from None


def _int(v: object, what: str, lo: int | None = None, hi: int | None = None) -> int:
    if not isinstance(v, int) or isinstance(v, bool):
        raise CircuitFormatError(f"circuit: {what} must be an integer")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise CircuitFormatError(f"circuit: {what} = {v} out of range [{lo}, {hi}]")
    return v


def _ref(v: object, n: int, what: str) -> str | int:
    if v == "input":
        return "input"
    return _int(v, what, 0, n - 1)


def _shape(v: object, what: str, lengths: tuple[int, ...], lo: int = 1,
           hi: int = MAX_FEATURES) -> tuple[int, ...]:
    if not isinstance(v, list) or len(v) not in lengths:
        raise CircuitFormatError(f"circuit: {what} must be a list of {lengths} integers")
    return tuple(_int(e, what, lo, hi) for e in v)


def _parse_gadget(d: dict, i: int, gadgets: list[Gadget], width_in: int) -> Gadget:
    p = d["producer"]
    op = p["op"]
    terms: tuple[tuple[str | int, int], ...] = ()
    if op == "affine":
        if set(p) != {"op", "terms"} or not isinstance(p["terms"], list) or \
                not 1 <= len(p["terms"]) <= MAX_TERMS or \
                any(not isinstance(t, list) or len(t) != 2 for t in p["terms"]):
            raise CircuitFormatError(f"circuit: gadget {i} has a malformed affine producer")
        lim = (1 << MAX_COEFF_BITS) - 1
        terms = tuple((_ref(t[0], i, f"gadget {i} term"),
                       _int(t[1], f"gadget {i} coefficient", -lim, lim)) for t in p["terms"])
        x = terms[0][0]
    else:
        x = _ref(p["x"], i, f"gadget {i} x")
    feats = _int(d["features"], f"gadget {i} features", 1, MAX_FEATURES)
    lo, hi = _int(d["lo"], f"gadget {i} lo"), _int(d["hi"], f"gadget {i} hi")
    if lo > hi or max(abs(lo), abs(hi)) >= 1 << 62:
        raise CircuitFormatError(f"circuit: gadget {i} has an invalid clamp range")
    kw = dict(
        op=op, x=x, features=feats, shift=_int(d["shift"], f"gadget {i} shift", 0, MAX_BITS),
        lo=lo, hi=hi,
        excess_hi_bits=_int(d["excess_hi_bits"], f"gadget {i} excess_hi_bits", 0, MAX_BITS),
        excess_lo_bits=_int(d["excess_lo_bits"], f"gadget {i} excess_lo_bits", 0, MAX_BITS),
        frac_bits=_int(d["frac_bits"], f"gadget {i} frac_bits", -1024, 1024),
        source=d["source"],
        divisor=_int(d["divisor"], f"gadget {i} divisor", 1, MAX_DIVISOR - 1),
    )
    if kw["divisor"] > 1 and kw["shift"]:
        raise CircuitFormatError(f"circuit: gadget {i} divides by {kw['divisor']} and has "
                                 "a nonzero shift")
    if not isinstance(kw["source"], str) or set(d) != {
            "producer", "features", "shift", "divisor", "lo", "hi", "excess_hi_bits",
            "excess_lo_bits", "frac_bits", "source"}:
        raise CircuitFormatError(f"circuit: gadget {i} has unexpected keys or a bad source")

    def feats_of(ref: str | int) -> int:
        return width_in if ref == "input" else gadgets[int(ref)].features

    if op == "dense":
        if set(p) != {"op", "x", "weight", "bias", "bias_shift"} \
                or not isinstance(p["weight"], str) \
                or not (p["bias"] is None or isinstance(p["bias"], str)):
            raise CircuitFormatError(f"circuit: gadget {i} has a malformed dense producer")
        kw.update(weight=p["weight"], bias=p["bias"],
                  bias_shift=_int(p["bias_shift"], f"gadget {i} bias_shift", 0, MAX_BITS))
    elif op == "add":
        if set(p) != {"op", "x", "y", "signs", "lshifts"}:
            raise CircuitFormatError(f"circuit: gadget {i} has a malformed add producer")
        y = _ref(p["y"], i, f"gadget {i} y")
        signs = tuple(_int(s, f"gadget {i} sign") for s in p["signs"])
        lsh = tuple(_int(s, f"gadget {i} lshift", 0, MAX_BITS) for s in p["lshifts"])
        if len(signs) != 2 or len(lsh) != 2 or any(s not in (1, -1) for s in signs):
            raise CircuitFormatError(f"circuit: gadget {i} has bad signs or lshifts")
        # y may have one feature: broadcast along the features (nonlinear.md section 6).
        if feats_of(x) != feats or feats_of(y) not in (feats, 1):
            raise CircuitFormatError(f"circuit: gadget {i} adds tensors of other widths")
        kw.update(y=y, signs=signs, lshifts=lsh)
    elif op == "identity":
        if set(p) != {"op", "x"} or feats_of(x) != feats:
            raise CircuitFormatError(f"circuit: gadget {i} has a malformed identity producer")
    elif op == "affine":
        if any(feats_of(t) != feats for t, _ in terms):
            raise CircuitFormatError(f"circuit: gadget {i} combines tensors of other widths")
        kw.update(terms=terms)
    elif op in SPATIAL_OPS:
        kw.update(_parse_spatial(p, i, op))
        if feats_of(x) != padded_width(kw["in_shape"]) or \
                feats != padded_width(kw["out_shape"]):
            raise CircuitFormatError(f"circuit: gadget {i} ({op}) has widths that do not fit "
                                     "its shapes")
    elif op == "spatialsum":
        if set(p) != {"op", "x", "in_shape", "lshift"}:
            raise CircuitFormatError(f"circuit: gadget {i} has a malformed spatialsum producer")
        in_shape = _shape(p["in_shape"], f"gadget {i} (spatialsum) in_shape", (2, 3))
        kw.update(in_shape=in_shape,
                  lshift=_int(p["lshift"], f"gadget {i} (spatialsum) lshift", 0, MAX_BITS))
        # pad(width(x)): a flat n-feature row read as in_shape [1, n] (nonlinear.md 7)
        # has width n and padded width pad(n) (spatial tensors' widths are powers of two).
        if 1 << ceil_log2(feats_of(x)) != padded_width(in_shape) or feats != in_shape[0]:
            raise CircuitFormatError(f"circuit: gadget {i} (spatialsum) has widths that do "
                                     "not fit its shape")
    elif op == "table":
        if set(p) != {"op", "x", "table"} or not isinstance(p["table"], str):
            raise CircuitFormatError(f"circuit: gadget {i} has a malformed table producer")
        if feats_of(x) != feats:
            raise CircuitFormatError(f"circuit: gadget {i} (table) has another width than "
                                     "its operand")
        kw.update(table=p["table"])
    elif op == "rowmax":
        if set(p) != {"op", "x", "n", "diff_bits"}:
            raise CircuitFormatError(f"circuit: gadget {i} has a malformed rowmax producer")
        kw.update(n=_int(p["n"], f"gadget {i} (rowmax) n", 1, feats_of(x)),
                  diff_bits=_int(p["diff_bits"], f"gadget {i} (rowmax) diff_bits", 1, MAX_BITS))
        if feats != 1:
            raise CircuitFormatError(f"circuit: gadget {i} (rowmax) must have one feature")
    elif op == "rowdiv":
        if set(p) != {"op", "x", "y", "lshift", "rem_bits"}:
            raise CircuitFormatError(f"circuit: gadget {i} has a malformed rowdiv producer")
        y = _ref(p["y"], i, f"gadget {i} y")
        kw.update(y=y, lshift=_int(p["lshift"], f"gadget {i} (rowdiv) lshift", 0, MAX_BITS),
                  remainder_bits=_int(p["rem_bits"], f"gadget {i} (rowdiv) rem_bits", 1,
                                      MAX_BITS))
        if feats_of(x) != feats or feats_of(y) != 1:
            raise CircuitFormatError(f"circuit: gadget {i} (rowdiv) needs width(x) == features "
                                     "and a one-feature y")
    elif op == "mul":
        if set(p) != {"op", "x", "y"}:
            raise CircuitFormatError(f"circuit: gadget {i} has a malformed mul producer")
        y = _ref(p["y"], i, f"gadget {i} y")
        if feats_of(x) != feats or feats_of(y) != feats:
            raise CircuitFormatError(f"circuit: gadget {i} (mul) needs width(x) == width(y) "
                                     "== features")
        kw.update(y=y)
    else:
        raise CircuitFormatError(f"circuit: gadget {i} has unknown producer {op!r}")
    gadget = Gadget(**kw)
    if op in ("maxpool", "winmax", "table", "rowmax") and (gadget.shift or gadget.divisor != 1 or
                                                 gadget.excess_hi_bits or gadget.excess_lo_bits):
        raise CircuitFormatError(f"circuit: {op} gadget {i} must have shift 0, divisor 1 "
                                 "and no excess")
    if op == "rowdiv" and (gadget.shift or gadget.divisor != 1):
        raise CircuitFormatError(f"circuit: rowdiv gadget {i} must have shift 0 and divisor 1")
    return gadget


def _parse_spatial(p: dict, i: int, op: str) -> dict:
    """The producer fields of a conv, sumpool, maxpool, winsum or winmax gadget (conv.md
    sections 2, 3 and 5)."""
    what = f"gadget {i} ({op})"
    keys = {"op", "x", "in_shape", "out_shape"}
    geometry = {"kernel", "strides", "dilations", "pads"}
    if op == "conv":
        keys |= {"weight", "bias", "bias_shift"} | geometry
    elif op in WINDOW_OPS:
        keys |= geometry | {"lshift" if op == "winsum" else "diff_bits"}
    else:
        keys |= {"window", "lshift" if op == "sumpool" else "diff_bits"}
    if set(p) != keys:
        raise CircuitFormatError(f"circuit: {what} has a malformed producer")
    in_shape = _shape(p["in_shape"], f"{what} in_shape", (2, 3))
    n = len(in_shape) - 1
    out_shape = _shape(p["out_shape"], f"{what} out_shape", (n + 1,))
    if op == "conv" or op in WINDOW_OPS:
        for v in (*in_shape[1:], *out_shape[1:]):
            _int(v, f"{what} spatial length", 1, MAX_WIRE_LEN)
        fields = dict(
            in_shape=in_shape, out_shape=out_shape,
            kernel=_shape(p["kernel"], f"{what} kernel", (n,), 1, MAX_WIRE_LEN),
            strides=_shape(p["strides"], f"{what} strides", (n,), 1, MAX_WIRE_STEP),
            dilations=_shape(p["dilations"], f"{what} dilations", (n,), 1, MAX_WIRE_STEP),
            pads=_shape(p["pads"], f"{what} pads", (n,), 0, MAX_WIRE_STEP))
        if op == "winsum":
            fields["lshift"] = _int(p["lshift"], f"{what} lshift", 0, MAX_BITS)
        elif op == "winmax":
            fields["diff_bits"] = _int(p["diff_bits"], f"{what} diff_bits", 1, MAX_BITS)
        if op in WINDOW_OPS:
            if in_shape[0] != out_shape[0]:
                raise CircuitFormatError(f"circuit: {what} changes the channel count")
            return fields
        if not isinstance(p["weight"], str) or \
                not (p["bias"] is None or isinstance(p["bias"], str)):
            raise CircuitFormatError(f"circuit: {what} has a malformed producer")
        return dict(weight=p["weight"], bias=p["bias"],
                    bias_shift=_int(p["bias_shift"], f"{what} bias_shift", 0, MAX_BITS),
                    **fields)
    window = _shape(p["window"], f"{what} window", (n,))
    if in_shape[0] != out_shape[0]:
        raise CircuitFormatError(f"circuit: {what} changes the channel count")
    for k, t, s in zip(window, out_shape[1:], in_shape[1:], strict=True):
        if k & (k - 1) or k * t > s:
            raise CircuitFormatError(f"circuit: {what} window {k} is not a power of two or "
                                     f"does not fit {t} outputs into {s} inputs")
    fields: dict = dict(in_shape=in_shape, out_shape=out_shape, window=window)
    if op == "sumpool":
        fields["lshift"] = _int(p["lshift"], f"{what} lshift", 0, MAX_BITS)
    else:
        fields["diff_bits"] = _int(p["diff_bits"], f"{what} diff_bits", 1, MAX_BITS)
    return fields


def _parse_stack(d: dict) -> ModelStack:
    n = _int(d["num_vars"], "model_stack num_vars", 1, MAX_NUM_VARS)
    c = _int(d["log_cols"], "model_stack log_cols", 0, n)
    r = _int(d["range_bits"], "model_stack range_bits", 1, MAX_RANGE_BITS)
    tensors, names, spans = [], set(), []
    for j, t in enumerate(d["tensors"]):
        if set(t) != {"name", "rows", "cols", "offset"} or not isinstance(t["name"], str) \
                or not t["name"]:
            raise CircuitFormatError(f"circuit: model stack tensor {j} is malformed")
        st = StackTensor(t["name"], _int(t["rows"], "tensor rows", 1, MAX_FEATURES),
                         _int(t["cols"], "tensor cols", 1, MAX_FEATURES),
                         _int(t["offset"], "tensor offset", 0, (1 << n) - 1))
        if st.name in names:
            raise CircuitFormatError(f"circuit: model stack tensor {st.name!r} listed twice")
        if st.offset % st.size or st.offset + st.size > 1 << n:
            raise CircuitFormatError(f"circuit: tensor {st.name!r} is misaligned or too large")
        names.add(st.name)
        spans.append((st.offset, st.offset + st.size))
        tensors.append(st)
    spans.sort()
    if any(a[1] > b[0] for a, b in zip(spans, spans[1:], strict=False)):
        raise CircuitFormatError("circuit: model stack tensors overlap")
    return ModelStack(n, c, r, tuple(tensors))


def _parse(doc: object) -> Circuit:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CircuitFormatError("not a zkml circuit description")
    if doc.get("version") != VERSION:
        raise CircuitFormatError(f"circuit version {doc.get('version')!r} is not {VERSION}")
    if set(doc) != {"format", "version", "input", "output", "gadgets", "model_stack",
                    "limb_bits"}:
        raise CircuitFormatError("circuit description has unexpected or missing keys "
                                 "(limb_bits is required)")
    limb_bits = _int(doc["limb_bits"], "limb_bits")
    if limb_bits not in LIMB_BITS:
        raise CircuitFormatError(f"circuit: limb_bits = {limb_bits} is not 8 or 16")
    inp, out, ms = doc["input"], doc["output"], doc["model_stack"]
    if set(inp) != {"features", "bits", "frac_bits", "shape"} or \
            set(out) != {"gadget", "features", "argmax"} or not isinstance(out["argmax"], bool) \
            or set(ms) != {"num_vars", "log_cols", "range_bits", "tensors"}:
        raise CircuitFormatError("circuit description has unexpected keys")
    n_in = _int(inp["features"], "input features", 1, MAX_FEATURES)
    in_bits = _int(inp["bits"], "input bits", 1, 62)
    in_frac = _int(inp["frac_bits"], "input frac_bits", -1024, 1024)
    in_shape = None
    width_in = n_in
    if inp["shape"] is not None:
        in_shape = _shape(inp["shape"], "input shape", (2, 3))
        width_in = padded_width(in_shape)
        if _prod(in_shape) != n_in or width_in > MAX_FEATURES:
            raise CircuitFormatError("circuit: input shape does not fit its features")
    stack = _parse_stack(doc["model_stack"])
    gadgets: list[Gadget] = []
    for i, gd in enumerate(doc["gadgets"]):
        g = _parse_gadget(gd, i, gadgets, width_in)
        if g.op in ("dense", "conv"):
            _check_weights(g, i, stack, width_in if g.x == "input" else gadgets[int(g.x)].features)
        if g.op == "table":
            lo_x, hi_x = ((-(1 << (in_bits - 1)), (1 << (in_bits - 1)) - 1) if g.x == "input"
                          else (gadgets[int(g.x)].lo, gadgets[int(g.x)].hi))
            _check_table(g, i, stack, hi_x - lo_x + 1)
        if g.op == "rowmax":
            lo_x, hi_x = ((-(1 << (in_bits - 1)), (1 << (in_bits - 1)) - 1) if g.x == "input"
                          else (gadgets[int(g.x)].lo, gadgets[int(g.x)].hi))
            if g.lo > lo_x or g.hi < hi_x:
                raise CircuitFormatError(f"circuit: rowmax gadget {i} has a clamp range "
                                         f"[{g.lo}, {g.hi}] that does not cover its operand's "
                                         f"[{lo_x}, {hi_x}]")
        gadgets.append(g)
    if not gadgets:
        raise CircuitFormatError("circuit has no gadgets")
    og = _int(out["gadget"], "output gadget", 0, len(gadgets) - 1)
    of = _int(out["features"], "output features", 1, MAX_FEATURES)
    if of != gadgets[og].features:
        raise CircuitFormatError("circuit: output features differ from the output gadget's")
    if gadgets[og].op in SPATIAL_OPS:
        raise CircuitFormatError(f"circuit: the output gadget may not be a {gadgets[og].op}")
    return Circuit(n_in, in_bits, in_frac, og, of, tuple(gadgets), stack, out["argmax"],
                   in_shape, limb_bits)


def _prod(shape: tuple[int, ...]) -> int:
    n = 1
    for v in shape:
        n *= v
    return n


def _check_weights(g: Gadget, i: int, stack: ModelStack, n_x: int) -> None:
    """Dense: `weight (features, width(x))`; conv: `weight (O, pad(C) prod pad(K_a))`,
    bias `1 x O` (inference.md section 6, conv.md section 2)."""
    try:
        w = stack.tensor(str(g.weight))
        b = None if g.bias is None else stack.tensor(g.bias)
    except KeyError as exc:
        raise CircuitFormatError(f"circuit: gadget {i} names unknown tensor {exc}") from None
    if g.op == "conv":
        rows, cols = g.out_shape[0], padded_width((g.in_shape[0], *g.kernel))
    else:
        rows, cols = g.features, n_x
    if w.cols != cols or w.rows != rows:
        raise CircuitFormatError(f"circuit: gadget {i} weight shape does not fit")
    if b is not None and (b.rows != 1 or b.cols != rows):
        raise CircuitFormatError(f"circuit: gadget {i} bias shape does not fit")


def _check_table(g: Gadget, i: int, stack: ModelStack, size: int) -> None:
    """A table gadget's tensor is `1 x 2^t` with `2^t = hi_x - lo_x + 1`, `1 <= t <= 20`
    (nonlinear.md section 3)."""
    try:
        t = stack.tensor(str(g.table))
    except KeyError as exc:
        raise CircuitFormatError(f"circuit: gadget {i} names unknown tensor {exc}") from None
    if t.rows != 1 or t.cols != size or size & (size - 1) or \
            not 2 <= size <= 1 << MAX_TABLE_BITS:
        raise CircuitFormatError(f"circuit: gadget {i} (table) has a {t.rows} x {t.cols} table "
                                 f"for an operand range of {size} values (must be 1 x 2^t, "
                                 f"1 <= t <= {MAX_TABLE_BITS})")
