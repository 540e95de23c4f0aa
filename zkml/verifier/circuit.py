"""The circuit description of an inference proof (inference.md sections 1-3 and 6, conv.md,
nonlinear.md).

`parse_circuit` reads the canonical JSON a verifying key carries, validates every
field (types, limits, references to earlier gadgets only, dense and conv shapes against
the model tensors, consumers against `width(x)`, model-stack slots aligned, disjoint and
inside) and derives each gadget's committed columns with their limb widths (a maxpool's
`D_w` limbs and `S_w` selectors after `em`; for an ArgMax output, the `d` limbs of
section 4b after all gadget columns; a divisor's `rem` and `remc` limbs, nonlinear.md 1).
`Circuit.layout(B)` gives the witness-stack and
lookup-leaf layouts for batch size `B` (cached per `B`).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass

from zkml.errors import ProofFormatError
from zkml.verifier.encoding import MAX_NUM_VARS
from zkml.verifier.layout import (
    Layout,
    LeafSlot,
    TableSlot,
    assign_slots,
    leaf_slots,
    limb_widths,
    log2_ceil,
    slot_bits,
)
from zkml.verifier.spatial import ConvSpec, PoolSpec, padded_size
from zkml.verifier.wiring import Axis

__all__ = [
    "MAX_FEATURES",
    "MAX_GADGETS",
    "Column",
    "Gadget",
    "Tensor",
    "ModelStack",
    "LeafSlot",
    "Layout",
    "Circuit",
    "parse_circuit",
    "canonical_json",
    "limb_widths",
    "log2_ceil",
    "slot_bits",
]

MAX_FEATURES = 1 << 20
MAX_GADGETS = 1 << 16
MAX_SHIFT = 64
#: nonlinear.md 1: a gadget's constant divisor is 1 <= d < 2^40
MAX_DIVISOR = 1 << 40
#: nonlinear.md 3: a function table has 2^t entries, 1 <= t <= 20
MAX_TABLE_BITS = 20
MAX_AFFINE_TERMS = 8
MAX_AFFINE_COEFF = 1 << 40
MAX_BITS = 64
#: Widest model-stack entry: the verifying key's range table has 2^range_bits entries.
MAX_RANGE_BITS = 16
MAX_INPUT_BITS = 62
MAX_FRAC_BITS = 1024
#: |lo| and |hi| stay below 2^62, so every relation's terms stay far below r.
MAX_ABS_BOUND = 1 << 62
#: A circuit nests objects and lists 5 deep; deeper input is refused before parsing, so
#: no input can exhaust the C stack of the JSON scanner.
MAX_JSON_DEPTH = 16
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
#: Column kinds of a gadget, in column order (inference.md section 2).
COLUMN_KINDS = ("u", "v", "rem", "remc", "ep", "em")


def _err(msg: str) -> ProofFormatError:
    return ProofFormatError(f"circuit: {msg}")


def canonical_json(obj: object) -> bytes:
    """The canonical encoding: sorted keys, no whitespace, ASCII escapes (inference.md 6)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode("ascii")


@dataclass(frozen=True)
class Column:
    """One committed limb column of a gadget (length B' * n_g')."""

    index: int
    gadget: int
    kind: str
    limb: int
    width: int


@dataclass(frozen=True)
class Gadget:
    """A validated gadget; `x`/`y` are gadget indices or None for the public input."""

    index: int
    op: str
    x: int | None
    y: int | None
    weight: str | None
    bias: str | None
    bias_shift: int
    signs: tuple[int, int]
    lshifts: tuple[int, int]
    features: int
    log_features: int
    shift: int
    lo: int
    hi: int
    excess_hi_bits: int
    excess_lo_bits: int
    frac_bits: int
    source: str
    u: tuple[Column, ...]
    v: tuple[Column, ...]
    rem: tuple[Column, ...]
    ep: tuple[Column, ...]
    em: tuple[Column, ...]
    #: affine producer: (operand, coefficient) pairs; empty for the other producers
    terms: tuple[tuple[int | None, int], ...] = ()
    #: conv producer only: shapes, kernel and the wiring axes (conv.md section 2)
    conv: ConvSpec | None = None
    #: sumpool / maxpool producer only (conv.md section 3)
    pool: PoolSpec | None = None
    #: maxpool only: per window the limbs of D_w, then per window the selector S_w
    pool_d: tuple[tuple[Column, ...], ...] = ()
    pool_s: tuple[Column, ...] = ()
    #: nonlinear.md 1: the constant divisor d (1: requantization by 2^shift)
    divisor: int = 1
    #: d > 1 only: the limbs of remc = d - 1 - rem (width bits(d - 1))
    remc: tuple[Column, ...] = ()
    #: spatialsum only (nonlinear.md 2): in_shape [C, S_1(, S_2)] and lshift
    sum_shape: tuple[int, ...] | None = None
    lshift: int = 0
    #: table only (nonlinear.md 3): the model tensor, t and x's range [lo_x, hi_x]
    table: str | None = None
    table_bits: int = 0
    lo_x: int = 0

    @property
    def columns(self) -> tuple[Column, ...]:
        """All columns in column order: u, v, rem, remc, ep, em limbs (low to high), then
        for a maxpool every window's D limbs and every window's selector."""
        return (self.u + self.v + self.rem + self.remc + self.ep + self.em
                + tuple(c for d in self.pool_d for c in d) + self.pool_s)

    @property
    def sum_vars(self) -> int:
        """spatialsum: the instance's variables, sum_a log2 pad(S_a)."""
        return sum(log2_ceil(s) for s in (self.sum_shape or (1,))[1:])

    @property
    def has_zerocheck(self) -> bool:
        """True when the gadget has a zerocheck instance (ep/em columns, or a maxpool)."""
        return bool(self.ep or self.em) or self.op == "maxpool"


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
    num_vars: int
    log_cols: int
    range_bits: int
    tensors: dict[str, Tensor]


class Circuit:
    """A validated circuit; immutable after construction, safe to share between threads."""

    def __init__(
        self,
        data: bytes,
        input_features: int,
        input_bits: int,
        input_frac_bits: int,
        output_gadget: int,
        output_features: int,
        gadgets: tuple[Gadget, ...],
        model: ModelStack,
        argmax: bool = False,
        input_shape: tuple[int, ...] | None = None,
    ) -> None:
        self.json_bytes = data
        self.input_features = input_features
        #: conv.md section 1: None (flat) or [C, S_1(, S_2)]
        self.input_shape = input_shape
        #: width("input"): prod pad(shape) for a shaped input, else features
        self.input_width = input_features if input_shape is None else padded_size(input_shape)
        self.input_log_features = log2_ceil(self.input_width)
        self.input_bits = input_bits
        self.input_frac_bits = input_frac_bits
        self.output_gadget = output_gadget
        self.output_features = output_features
        self.gadgets = gadgets
        self.model = model
        self.argmax = argmax
        first = sum(len(g.columns) for g in gadgets)
        out = gadgets[output_gadget]
        #: ArgMax only: the `d` limbs (width bits(hi_L - lo_L)), after all gadget columns
        self.d: tuple[Column, ...] = tuple(
            Column(first + j, output_gadget, "d", j, w)
            for j, w in enumerate(limb_widths((out.hi - out.lo).bit_length() if argmax else 0))
        )
        self.columns: tuple[Column, ...] = tuple(c for g in gadgets for c in g.columns) + self.d
        #: nonlinear.md 3: the table gadgets, in gadget order (one t_g column and two
        #: LogUp trees each)
        self.tables: tuple[Gadget, ...] = tuple(g for g in gadgets if g.op == "table")
        self._layouts: dict[int, Layout] = {}
        self._lock = threading.Lock()

    def features_of(self, ref: int | None) -> int:
        """Feature count of an input reference (None = the public input)."""
        return self.input_features if ref is None else self.gadgets[ref].features

    def width_of(self, ref: int | None) -> int:
        """width(x) of conv.md section 1: features of a gadget; prod pad(shape) or features
        for the public input."""
        return self.input_width if ref is None else self.gadgets[ref].features

    def u_of(self, ref: int | None) -> tuple[Column, ...]:
        """The `u` limb columns of a reference (none for the public input)."""
        return () if ref is None else self.gadgets[ref].u

    def layout(self, batch: int) -> Layout:
        """The layouts for batch size `batch` (cached); rejects sizes beyond the limits."""
        with self._lock:
            lay = self._layouts.get(batch)
        if lay is None:
            lay = self._layout(batch)
            with self._lock:
                if len(self._layouts) >= 64:
                    self._layouts.clear()
                self._layouts[batch] = lay
        return lay

    def _layout(self, batch: int) -> Layout:
        if not 1 <= batch < 1 << 32:
            raise ProofFormatError(f"batch size {batch} out of range")
        lb = log2_ceil(batch)
        col_vars = [lb + self.gadgets[c.gadget].log_features for c in self.columns]
        if lb + max(g.log_features for g in self.gadgets) > MAX_NUM_VARS:
            raise ProofFormatError(f"batch size {batch}: a tensor exceeds 2^{MAX_NUM_VARS}")
        # witness stack: the limb columns, m, then each table gadget's t_g (nonlinear.md 3)
        t_bits = [g.table_bits for g in self.tables]
        offsets, total = assign_slots([*col_vars, 8, *t_bits])
        num_vars = max(1, log2_ceil(total))
        slots, leaf_vars = leaf_slots(col_vars, [c.width for c in self.columns])
        if num_vars > MAX_NUM_VARS or leaf_vars > MAX_NUM_VARS:
            raise ProofFormatError(f"batch size {batch}: the witness exceeds 2^{MAX_NUM_VARS}")
        nc = len(col_vars)
        tables = []
        for k, g in enumerate(self.tables):
            depth = lb + g.log_features
            if depth < 1:  # logup.md: D >= 1 (the parser already requires features >= 2)
                raise ProofFormatError(f"batch size {batch}: table gadget {g.index} has a "
                                       f"single entry (lookup tree of depth 0)")
            tables.append(TableSlot(g.index, depth, g.table_bits, offsets[nc + 1 + k]))
        return Layout(
            batch,
            lb,
            tuple(col_vars),
            tuple(offsets[:nc]),
            offsets[nc],
            num_vars,
            (num_vars + 1) // 2,
            slots,
            leaf_vars,
            tuple(tables),
        )


# --- strict JSON field readers ------------------------------------------------------


def _obj(v: object, keys: set[str], what: str) -> dict:
    if not isinstance(v, dict):
        raise _err(f"{what} must be an object")
    got = set(v)
    if got != keys:
        missing = sorted(keys - got)
        extra = sorted(got - keys)
        raise _err(f"{what}: missing keys {missing}, unknown keys {extra}")
    return v


def _int(v: object, what: str, lo: int, hi: int) -> int:
    if type(v) is not int:
        raise _err(f"{what} must be an integer")
    if not lo <= v <= hi:
        raise _err(f"{what} = {v} outside [{lo}, {hi}]")
    return v


def _str(v: object, what: str, *, nonempty: bool = True) -> str:
    if not isinstance(v, str) or (nonempty and not v):
        raise _err(f"{what} must be a {'non-empty ' if nonempty else ''}string")
    return v


def _ref(v: object, index: int, what: str) -> int | None:
    if v == "input" and isinstance(v, str):
        return None
    if type(v) is not int:
        raise _err(f"{what} must be \"input\" or a gadget index")
    if not 0 <= v < index:
        raise _err(f"{what} = {v} is not an earlier gadget")
    return v


def _pair(v: object, what: str, allowed: tuple[int, int] | None, lo: int, hi: int) -> tuple:
    if not isinstance(v, list) or len(v) != 2:
        raise _err(f"{what} must be a list of two integers")
    out = tuple(_int(e, f"{what}[{i}]", lo, hi) for i, e in enumerate(v))
    if allowed is not None and any(e not in allowed for e in out):
        raise _err(f"{what} must be +1 or -1")
    return out


def _model_stack(v: object) -> ModelStack:
    ms = _obj(v, {"num_vars", "log_cols", "range_bits", "tensors"}, "model_stack")
    n = _int(ms["num_vars"], "model_stack.num_vars", 1, MAX_NUM_VARS)
    c = _int(ms["log_cols"], "model_stack.log_cols", 0, n)
    rb = _int(ms["range_bits"], "model_stack.range_bits", 1, MAX_RANGE_BITS)
    if not isinstance(ms["tensors"], list):
        raise _err("model_stack.tensors must be a list")
    tensors: dict[str, Tensor] = {}
    for i, tv in enumerate(ms["tensors"]):
        what = f"model tensor {i}"
        t = _obj(tv, {"name", "rows", "cols", "offset"}, what)
        name = _str(t["name"], f"{what} name")
        if name in tensors:
            raise _err(f"{what}: duplicate name {name!r}")
        rows = _int(t["rows"], f"{what} rows", 1, MAX_FEATURES)
        cols = _int(t["cols"], f"{what} cols", 1, MAX_FEATURES)
        off = _int(t["offset"], f"{what} offset", 0, (1 << n) - 1)
        ten = Tensor(name, rows, cols, off, log2_ceil(rows), log2_ceil(cols))
        if off % (1 << ten.log_size):
            raise _err(f"{what} ({name}): offset {off} not aligned to its slot size")
        if off + (1 << ten.log_size) > 1 << n:
            raise _err(f"{what} ({name}): slot outside the 2^{n}-entry model stack")
        tensors[name] = ten
    spans = sorted((t.offset, t.offset + (1 << t.log_size), t.name) for t in tensors.values())
    for (_, end, a), (start, _, b) in zip(spans, spans[1:], strict=False):
        if start < end:
            raise _err(f"model tensors {a!r} and {b!r} overlap")
    return ModelStack(n, c, rb, tensors)


def _columns(idx: int, first: int, widths: dict[str, int]) -> dict[str, tuple[Column, ...]]:
    out = {}
    k = first
    for kind in COLUMN_KINDS:
        cols = []
        for j, w in enumerate(limb_widths(widths[kind])):
            cols.append(Column(k, idx, kind, j, w))
            k += 1
        out[kind] = tuple(cols)
    return out


def _dims(v: object, what: str, lengths: tuple[int, ...], lo: int = 1) -> tuple[int, ...]:
    if not isinstance(v, list) or len(v) not in lengths:
        raise _err(f"{what} must be a list of {' or '.join(map(str, lengths))} integers")
    return tuple(_int(e, f"{what}[{i}]", lo, MAX_FEATURES) for i, e in enumerate(v))


def _conv(prod: dict, what: str, pw: str, features: int, width_x: int,
          model: ModelStack) -> ConvSpec:
    in_shape = _dims(prod["in_shape"], f"{pw} in_shape", (2, 3))
    k = len(in_shape) - 1
    out_shape = _dims(prod["out_shape"], f"{pw} out_shape", (k + 1,))
    kernel = _dims(prod["kernel"], f"{pw} kernel", (k,))
    strides = _dims(prod["strides"], f"{pw} strides", (k,))
    dilations = _dims(prod["dilations"], f"{pw} dilations", (k,))
    pads = _dims(prod["pads"], f"{pw} pads", (k,), lo=0)
    axes = []
    for a in range(k):
        try:
            axes.append(Axis(out_shape[a + 1], in_shape[a + 1], kernel[a], strides[a],
                             dilations[a], pads[a]))
        except ProofFormatError as exc:
            raise _err(f"{what}: conv axis {a}: {exc}") from None
    if width_x != padded_size(in_shape):
        raise _err(f"{what}: conv input has width {width_x}, in_shape {list(in_shape)} "
                   f"needs {padded_size(in_shape)}")
    if features != padded_size(out_shape):
        raise _err(f"{what}: conv features {features} != prod pad(out_shape) "
                   f"{padded_size(out_shape)}")
    weight = prod["weight"]
    w = model.tensors[weight]
    cols = padded_size((in_shape[0], *kernel))
    if w.rows != out_shape[0] or w.cols != cols:
        raise _err(f"{what}: conv weight {weight!r} is {w.rows}x{w.cols}, "
                   f"expected {out_shape[0]}x{cols}")
    return ConvSpec(in_shape, out_shape, kernel, tuple(axes))


def _pool(prod: dict, what: str, pw: str, features: int, width_x: int) -> PoolSpec:
    in_shape = _dims(prod["in_shape"], f"{pw} in_shape", (2, 3))
    k = len(in_shape) - 1
    out_shape = _dims(prod["out_shape"], f"{pw} out_shape", (k + 1,))
    window = _dims(prod["window"], f"{pw} window", (k,))
    if in_shape[0] != out_shape[0]:
        raise _err(f"{what}: pool channels {in_shape[0]} != {out_shape[0]}")
    for a in range(k):
        if window[a] & (window[a] - 1):
            raise _err(f"{what}: pool window[{a}] = {window[a]} is not a power of two")
        if window[a] * out_shape[a + 1] > in_shape[a + 1]:
            raise _err(f"{what}: pool axis {a}: window {window[a]} x out {out_shape[a + 1]} "
                       f"exceeds in {in_shape[a + 1]}")
    if width_x != padded_size(in_shape):
        raise _err(f"{what}: pool input has width {width_x}, in_shape {list(in_shape)} "
                   f"needs {padded_size(in_shape)}")
    if features != padded_size(out_shape):
        raise _err(f"{what}: pool features {features} != prod pad(out_shape) "
                   f"{padded_size(out_shape)}")
    if prod["op"] == "sumpool":
        return PoolSpec(in_shape, out_shape, window,
                        lshift=_int(prod["lshift"], f"{pw} lshift", 0, MAX_SHIFT))
    return PoolSpec(in_shape, out_shape, window,
                    diff_bits=_int(prod["diff_bits"], f"{pw} diff_bits", 1, MAX_BITS))


def _bias(prod: dict, what: str, pw: str, n: int, model: ModelStack) -> str | None:
    if prod["bias"] is None:
        return None
    bias = _str(prod["bias"], f"{pw} bias")
    b = model.tensors.get(bias)
    if b is None:
        raise _err(f"{what}: bias {bias!r} is not a model tensor")
    if b.rows != 1 or b.cols != n:
        raise _err(f"{what}: bias {bias!r} is {b.rows}x{b.cols}, expected 1x{n}")
    return bias


def _weight(prod: dict, what: str, pw: str, model: ModelStack) -> str:
    weight = _str(prod["weight"], f"{pw} weight")
    if weight not in model.tensors:
        raise _err(f"{what}: weight {weight!r} is not a model tensor")
    return weight


def _gadget(v: object, idx: int, first_col: int, prev: list[Gadget], model: ModelStack,
            in_width: int, in_bits: int) -> Gadget:
    what = f"gadget {idx}"
    keys = {"producer", "features", "shift", "divisor", "lo", "hi", "excess_hi_bits",
            "excess_lo_bits", "frac_bits", "source"}
    g = _obj(v, keys, what)
    features = _int(g["features"], f"{what} features", 1, MAX_FEATURES)
    shift = _int(g["shift"], f"{what} shift", 0, MAX_SHIFT)
    divisor = _int(g["divisor"], f"{what} divisor", 1, MAX_DIVISOR - 1)
    if divisor > 1 and shift:
        raise _err(f"{what}: a divisor {divisor} > 1 needs shift 0 (shift is {shift})")
    lo = _int(g["lo"], f"{what} lo", 1 - MAX_ABS_BOUND, MAX_ABS_BOUND - 1)
    hi = _int(g["hi"], f"{what} hi", 1 - MAX_ABS_BOUND, MAX_ABS_BOUND - 1)
    if lo > hi:
        raise _err(f"{what}: lo {lo} > hi {hi}")
    e_hi = _int(g["excess_hi_bits"], f"{what} excess_hi_bits", 0, MAX_SHIFT)
    e_lo = _int(g["excess_lo_bits"], f"{what} excess_lo_bits", 0, MAX_SHIFT)
    frac = _int(g["frac_bits"], f"{what} frac_bits", -MAX_FRAC_BITS, MAX_FRAC_BITS)
    source = _str(g["source"], f"{what} source", nonempty=False)

    prod = g["producer"]
    if not isinstance(prod, dict):
        raise _err(f"{what} producer must be an object")
    op = prod.get("op")
    pw = f"{what} producer"
    y = weight = bias = None
    bias_shift = 0
    signs, lshifts = (1, 1), (0, 0)
    terms: tuple[tuple[int | None, int], ...] = ()

    def feats(ref: int | None) -> int:  # width(x), conv.md section 1
        return in_width if ref is None else prev[ref].features

    conv = pool = None
    sum_shape: tuple[int, ...] | None = None
    lshift = table_bits = lo_x = 0
    table = None
    if op == "dense":
        _obj(prod, {"op", "x", "weight", "bias", "bias_shift"}, pw)
        bias_shift = _int(prod["bias_shift"], f"{pw} bias_shift", 0, MAX_SHIFT)
        x = _ref(prod["x"], idx, f"{pw} x")
        weight = _weight(prod, what, pw, model)
        w = model.tensors[weight]
        if w.cols != feats(x) or w.rows != features:
            raise _err(
                f"{what}: weight {weight!r} is {w.rows}x{w.cols}, "
                f"expected {features}x{feats(x)}"
            )
        bias = _bias(prod, what, pw, features, model)
    elif op == "conv":
        _obj(prod, {"op", "x", "weight", "bias", "bias_shift", "in_shape", "out_shape",
                    "kernel", "strides", "dilations", "pads"}, pw)
        bias_shift = _int(prod["bias_shift"], f"{pw} bias_shift", 0, MAX_SHIFT)
        x = _ref(prod["x"], idx, f"{pw} x")
        weight = _weight(prod, what, pw, model)
        conv = _conv(prod, what, pw, features, feats(x), model)
        bias = _bias(prod, what, pw, conv.out_shape[0], model)
    elif op in ("sumpool", "maxpool"):
        extra = "lshift" if op == "sumpool" else "diff_bits"
        _obj(prod, {"op", "x", "in_shape", "out_shape", "window", extra}, pw)
        x = _ref(prod["x"], idx, f"{pw} x")
        pool = _pool(prod, what, pw, features, feats(x))
        if op == "maxpool" and (shift or e_hi or e_lo or divisor != 1):
            raise _err(f"{what}: a maxpool needs shift 0, divisor 1 and excess_hi_bits = "
                       f"excess_lo_bits = 0")
    elif op == "spatialsum":
        _obj(prod, {"op", "x", "in_shape", "lshift"}, pw)
        x = _ref(prod["x"], idx, f"{pw} x")
        sum_shape = _dims(prod["in_shape"], f"{pw} in_shape", (2, 3))
        lshift = _int(prod["lshift"], f"{pw} lshift", 0, MAX_SHIFT)
        if feats(x) != padded_size(sum_shape):
            raise _err(f"{what}: spatialsum input has width {feats(x)}, in_shape "
                       f"{list(sum_shape)} needs {padded_size(sum_shape)}")
        if features != sum_shape[0]:
            raise _err(f"{what}: spatialsum features {features} != channels {sum_shape[0]}")
    elif op == "table":
        _obj(prod, {"op", "x", "table"}, pw)
        x = _ref(prod["x"], idx, f"{pw} x")
        table, table_bits, lo_x = _table(prod, what, pw, x, prev, in_bits, model)
        if feats(x) != features:
            raise _err(f"{what}: table input has width {feats(x)}, expected {features}")
        if features < 2:  # its lookup tree has depth log2(B' n') >= 1 for every batch
            raise _err(f"{what}: a table gadget needs features >= 2")
        if shift or divisor != 1 or e_hi or e_lo:
            raise _err(f"{what}: a table gadget needs shift 0, divisor 1 and "
                       f"excess_hi_bits = excess_lo_bits = 0")
    elif op == "add":
        _obj(prod, {"op", "x", "y", "signs", "lshifts"}, pw)
        x = _ref(prod["x"], idx, f"{pw} x")
        y = _ref(prod["y"], idx, f"{pw} y")
        signs = _pair(prod["signs"], f"{pw} signs", (1, -1), -1, 1)
        lshifts = _pair(prod["lshifts"], f"{pw} lshifts", None, 0, MAX_SHIFT)
        if feats(x) != features or feats(y) != features:
            raise _err(f"{what}: add inputs have {feats(x)} and {feats(y)} features, "
                       f"expected {features}")
    elif op == "identity":
        _obj(prod, {"op", "x"}, pw)
        x = _ref(prod["x"], idx, f"{pw} x")
        if feats(x) != features:
            raise _err(f"{what}: identity input has {feats(x)} features, expected {features}")
    elif op == "affine":
        _obj(prod, {"op", "terms"}, pw)
        raw = prod["terms"]
        if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_AFFINE_TERMS:
            raise _err(f"{pw} terms must be a list of 1..{MAX_AFFINE_TERMS} [x, coeff] pairs")
        parsed = []
        for k, term in enumerate(raw):
            if not isinstance(term, list) or len(term) != 2:
                raise _err(f"{pw} term {k} must be [x, coeff]")
            xk = _ref(term[0], idx, f"{pw} term {k} x")
            ck = _int(term[1], f"{pw} term {k} coeff", -MAX_AFFINE_COEFF + 1, MAX_AFFINE_COEFF - 1)
            if feats(xk) != features:
                raise _err(f"{what}: affine term {k} has {feats(xk)} features, expected {features}")
            parsed.append((xk, ck))
        terms = tuple(parsed)
        x = parsed[0][0]
    else:
        raise _err(f"{what}: unknown producer op {op!r}")

    span = hi - lo
    wz = span.bit_length()
    has_v = (span + 1) & span != 0
    wd = (divisor - 1).bit_length() if divisor > 1 else 0  # nonlinear.md 1: bits(d - 1)
    cols = _columns(idx, first_col, {"u": wz, "v": wz if has_v else 0,
                                     "rem": wd if divisor > 1 else shift, "remc": wd,
                                     "ep": e_hi, "em": e_lo})
    pool_d: list[tuple[Column, ...]] = []
    pool_s: list[Column] = []
    if op == "maxpool" and pool is not None:
        k = first_col + sum(len(c) for c in cols.values())
        for _ in range(pool.windows):
            d = []
            for j, w in enumerate(limb_widths(pool.diff_bits)):
                d.append(Column(k, idx, "D", j, w))
                k += 1
            pool_d.append(tuple(d))
        for _ in range(pool.windows):
            pool_s.append(Column(k, idx, "S", 0, 1))
            k += 1
    return Gadget(idx, op, x, y, weight, bias, bias_shift, signs, lshifts, features,
                  log2_ceil(features), shift, lo, hi, e_hi, e_lo, frac, source, cols["u"],
                  cols["v"], cols["rem"], cols["ep"], cols["em"], terms, conv, pool,
                  tuple(pool_d), tuple(pool_s), divisor, cols["remc"], sum_shape, lshift,
                  table, table_bits, lo_x)


def _table(prod: dict, what: str, pw: str, x: int | None, prev: list[Gadget], in_bits: int,
           model: ModelStack) -> tuple[str, int, int]:
    """(tensor name, t, lo_x) of a table producer (nonlinear.md 3): x's range [lo_x, hi_x]
    has 2^t values, 1 <= t <= 20, and the tensor is 1 x 2^t."""
    name = _str(prod["table"], f"{pw} table")
    if x is None:
        lo_x, hi_x = -(1 << (in_bits - 1)), (1 << (in_bits - 1)) - 1
    else:
        lo_x, hi_x = prev[x].lo, prev[x].hi
    size = hi_x - lo_x + 1
    t = size.bit_length() - 1
    if size & (size - 1) or not 1 <= t <= MAX_TABLE_BITS:
        raise _err(f"{what}: table input range [{lo_x}, {hi_x}] has {size} values, not "
                   f"2^t with 1 <= t <= {MAX_TABLE_BITS}")
    ten = model.tensors.get(name)
    if ten is None:
        raise _err(f"{what}: table {name!r} is not a model tensor")
    if ten.rows != 1 or ten.cols != size:
        raise _err(f"{what}: table {name!r} is {ten.rows}x{ten.cols}, expected 1x{size}")
    return name, t, lo_x


def parse_circuit(data: bytes) -> Circuit:
    """Strictly parse and validate canonical circuit JSON; raises ProofFormatError."""
    data = bytes(data)
    try:
        text = data.decode("utf-8")
        _check_depth(text)
        obj = json.loads(text, parse_constant=_reject_constant)
        canonical = canonical_json(obj)
    except ProofFormatError:
        raise
    except (ValueError, RecursionError, UnicodeError) as exc:
        raise _err(f"not valid JSON ({type(exc).__name__})") from None
    if canonical != data:
        raise _err("JSON is not canonical (sorted keys, no whitespace, ASCII escapes)")
    top = _obj(obj, {"format", "version", "input", "output", "gadgets", "model_stack"}, "root")
    if top["format"] != "zkml-circuit":
        raise _err("format must be \"zkml-circuit\"")
    _int(top["version"], "version", 1, 1)
    inp = _obj(top["input"], {"features", "bits", "frac_bits", "shape"}, "input")
    n_in = _int(inp["features"], "input.features", 1, MAX_FEATURES)
    shape = None
    if inp["shape"] is not None:
        shape = _dims(inp["shape"], "input.shape", (2, 3))
        prod_shape = 1
        for d in shape:
            prod_shape *= d
        if prod_shape != n_in:
            raise _err(f"input.shape {list(shape)} has {prod_shape} entries, "
                       f"features is {n_in}")
    width_in = n_in if shape is None else padded_size(shape)
    if width_in > MAX_FEATURES:
        raise _err(f"input.shape {list(shape or ())}: padded width {width_in} exceeds "
                   f"{MAX_FEATURES}")
    b_in = _int(inp["bits"], "input.bits", 1, MAX_INPUT_BITS)
    f_in = _int(inp["frac_bits"], "input.frac_bits", -MAX_FRAC_BITS, MAX_FRAC_BITS)
    model = _model_stack(top["model_stack"])
    if not isinstance(top["gadgets"], list) or not 1 <= len(top["gadgets"]) <= MAX_GADGETS:
        raise _err(f"gadgets must be a list of 1..{MAX_GADGETS} gadgets")
    gadgets: list[Gadget] = []
    ncols = 0
    for i, gv in enumerate(top["gadgets"]):
        g = _gadget(gv, i, ncols, gadgets, model, width_in, b_in)
        gadgets.append(g)
        ncols += len(g.columns)
    if not any(g.op == "dense" for g in gadgets):
        raise _err("at least one dense gadget is required")
    out = _obj(top["output"], {"gadget", "features", "argmax"}, "output")
    L = _int(out["gadget"], "output.gadget", 0, len(gadgets) - 1)  # noqa: N806
    n_out = _int(out["features"], "output.features", 1, MAX_FEATURES)
    if n_out != gadgets[L].features:
        raise _err(f"output.features {n_out} != features {gadgets[L].features} of gadget {L}")
    if type(out["argmax"]) is not bool:
        raise _err("output.argmax must be true or false")
    if gadgets[L].op in ("conv", "sumpool", "maxpool"):
        raise _err(f"output.gadget {L} is a {gadgets[L].op} gadget (its statement would "
                   f"carry padding)")
    return Circuit(data, n_in, b_in, f_in, L, n_out, tuple(gadgets), model, out["argmax"],
                   shape)


def _check_depth(text: str) -> None:
    """Refuse nesting deeper than MAX_JSON_DEPTH (strings removed, brackets counted)."""
    depth = 0
    for ch in _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)):
        depth += 1 if ch in "[{" else -1
        if depth > MAX_JSON_DEPTH:
            raise _err(f"JSON nested deeper than {MAX_JSON_DEPTH}")


def _reject_constant(name: str) -> object:
    raise _err(f"non-finite number {name}")
