"""The circuit description of an inference proof (inference.md sections 1-3 and 6, conv.md,
nonlinear.md).

`parse_circuit` reads the canonical JSON a verifying key carries, validates every
field (types, limits, references to earlier gadgets only, dense and conv shapes against
the model tensors, consumers against `width(x)`, model-stack slots aligned, disjoint and
inside) and derives each gadget's committed columns with their limb widths (a maxpool's
`D_w` limbs and `S_w` selectors after `em`, a winmax's per tap, conv.md 5; for an ArgMax
output, the `d` limbs of section 4b after all gadget columns; a divisor's `rem` and
`remc` limbs, nonlinear.md 1; a rowmax's `D` limbs and `S` of x's length and a rowdiv's
`R` and `Rc` limbs, nonlinear.md 7), all cut into limbs of the required top-level
`"limb_bits"` (8 or 16, nonlinear.md 5). A producer object is parsed by its op's gadget
class (producers.py) into that op's record; the class also gives the producer's columns,
its lookup table and whether it reads the model stack or may be the output. Each column
has its own number of feature variables (a rowmax's `D` and `S` have x's).
`Circuit.layout(B)` gives the witness-stack and lookup-leaf layouts for batch size `B`
(cached per `B`). The plain records (`Gadget`, `Column`, ...) live in records.py.
"""

from __future__ import annotations

import copy
import json
import threading

from zkml.errors import ProofFormatError
from zkml.verifier.circuit_limits import (
    LIMB_BITS,
    MAX_ABS_BOUND,
    MAX_CIRCUIT_JSON_BYTES,
    MAX_DIVISOR,
    MAX_FEATURES,
    MAX_FRAC_BITS,
    MAX_GADGETS,
    MAX_INPUT_BITS,
    MAX_JSON_DEPTH,
    MAX_RANGE_BITS,
)
from zkml.verifier.circuit_limits import MAX_NUM_VARS as MAX_STACK_VARS
from zkml.verifier.encoding import MAX_NUM_VARS, json_nesting
from zkml.verifier.gadgets import GADGETS
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
from zkml.verifier.producers import parse_producer
from zkml.verifier.records import (
    MAX_SHIFT,
    Column,
    ColumnGroup,
    ColumnSpec,
    Gadget,
    GadgetFields,
    ModelStack,
    Tensor,
    dims,
    err,
    int_field,
    obj,
    str_field,
)
from zkml.verifier.spatial import padded_size

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


def canonical_json(obj: object) -> bytes:
    """The canonical encoding: sorted keys, no whitespace, ASCII escapes (inference.md 6)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode("ascii")


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
        limb_bits: int = 8,
        argmax_last: bool = False,
        table_bits: dict[int, int] | None = None,
    ) -> None:
        self.json_bytes = data
        #: L (nonlinear.md 5): limb width, range table [0, 2^L)
        self.limb_bits = limb_bits
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
        #: inference.md 4b: the statement's indices are the last maxima
        self.argmax_last = argmax_last
        first = sum(len(g.columns) for g in gadgets)
        out = gadgets[output_gadget]
        #: ArgMax only: the `d` limbs (width bits(hi_L - lo_L)), after all gadget columns
        self.d: tuple[Column, ...] = tuple(
            Column(first + j, output_gadget, "d", j, w, out.log_features)
            for j, w in enumerate(limb_widths((out.hi - out.lo).bit_length() if argmax else 0,
                                              limb_bits))
        )
        self.columns: tuple[Column, ...] = tuple(c for g in gadgets for c in g.columns) + self.d
        #: a private input's `u` limbs, after every other column (zk_inference.md 1.3);
        #: none for the public input (`with_private_input` makes the variant)
        self.input_u: tuple[Column, ...] = ()
        #: the input's range floor `-2^(bits-1)` (`u = x - input_lo`)
        self.input_lo = -(1 << (input_bits - 1))
        lookups = table_bits or {}
        #: nonlinear.md 3: the gadgets owning a lookup table, in gadget order (one t_g
        #: column and two LogUp trees each), and each one's t (t_g has 2^t entries)
        self.tables: tuple[Gadget, ...] = tuple(g for g in gadgets if g.index in lookups)
        self.table_bits: tuple[int, ...] = tuple(lookups[g.index] for g in self.tables)
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
        """The `u` limb columns of a reference (none for a public input)."""
        return self.input_u if ref is None else self.gadgets[ref].u

    def with_private_input(self) -> Circuit:
        """This circuit for a statement whose input is private (zk_inference.md 1.3):
        the input's `u = x - input_lo` limbs (`input_bits` wide, over the input's padded
        table) are witness columns after every other, range-checked like them, and every
        read of the input reads them. The key and its JSON are the same."""
        if self.input_u:
            return self
        out = copy.copy(self)
        first = len(self.columns)
        out.input_u = tuple(Column(first + j, -1, "u", j, w, self.input_log_features)
                            for j, w in enumerate(limb_widths(self.input_bits,
                                                              self.limb_bits)))
        out.columns = self.columns + out.input_u
        out._layouts = {}
        out._lock = threading.Lock()
        return out

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
            raise ProofFormatError(f"batch size {batch} out of range", check="proof.limits")
        lb = log2_ceil(batch)
        col_vars = [lb + c.feature_vars for c in self.columns]
        if lb + max(g.log_features for g in self.gadgets) > MAX_NUM_VARS or (
                col_vars and max(col_vars) > MAX_NUM_VARS):
            raise ProofFormatError(f"batch size {batch}: a tensor exceeds 2^{MAX_NUM_VARS}",
                                   check="proof.limits")
        # witness stack: the limb columns, m (2^L entries), then each table gadget's t_g
        t_bits = list(self.table_bits)
        big = self.limb_bits
        offsets, total = assign_slots([*col_vars, big, *t_bits])
        num_vars = max(1, log2_ceil(total))
        slots, leaf_vars = leaf_slots(col_vars, [c.width for c in self.columns], big)
        if num_vars > MAX_NUM_VARS or leaf_vars > MAX_NUM_VARS:
            raise ProofFormatError(f"batch size {batch}: the witness exceeds 2^{MAX_NUM_VARS}",
                                   check="proof.limits")
        nc = len(col_vars)
        tables = []
        for k, (g, t) in enumerate(zip(self.tables, t_bits, strict=True)):
            depth = lb + g.log_features
            if depth < 1:  # logup.md: D >= 1 (the parser already requires features >= 2)
                raise ProofFormatError(f"batch size {batch}: table gadget {g.index} has a "
                                       f"single entry (lookup tree of depth 0)",
                                       check="proof.limits")
            tables.append(TableSlot(g.index, depth, t, offsets[nc + 1 + k]))
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
            big,
        )


def _model_stack(v: object) -> ModelStack:
    ms = obj(v, {"num_vars", "log_cols", "range_bits", "tensors"}, "model_stack")
    n = int_field(ms["num_vars"], "model_stack.num_vars", 1, MAX_STACK_VARS)
    c = int_field(ms["log_cols"], "model_stack.log_cols", 0, n)
    rb = int_field(ms["range_bits"], "model_stack.range_bits", 1, MAX_RANGE_BITS)
    if not isinstance(ms["tensors"], list):
        raise err("model_stack.tensors must be a list")
    tensors: dict[str, Tensor] = {}
    for i, tv in enumerate(ms["tensors"]):
        what = f"model tensor {i}"
        t = obj(tv, {"name", "rows", "cols", "offset"}, what)
        name = str_field(t["name"], f"{what} name")
        if name in tensors:
            raise err(f"{what}: duplicate name {name!r}")
        rows = int_field(t["rows"], f"{what} rows", 1, MAX_FEATURES)
        cols = int_field(t["cols"], f"{what} cols", 1, MAX_FEATURES)
        off = int_field(t["offset"], f"{what} offset", 0, (1 << n) - 1)
        ten = Tensor(name, rows, cols, off, log2_ceil(rows), log2_ceil(cols))
        if off % (1 << ten.log_size):
            raise err(f"{what} ({name}): offset {off} not aligned to its slot size")
        if off + (1 << ten.log_size) > 1 << n:
            raise err(f"{what} ({name}): slot outside the 2^{n}-entry model stack")
        tensors[name] = ten
    spans = sorted((t.offset, t.offset + (1 << t.log_size), t.name) for t in tensors.values())
    for (_, end, a), (start, _, b) in zip(spans, spans[1:], strict=False):
        if start < end:
            raise err(f"model tensors {a!r} and {b!r} overlap")
    return ModelStack(n, c, rb, tensors)


def _columns(idx: int, first: int, specs: list[ColumnSpec],
             limb_bits: int) -> list[ColumnGroup]:
    """The limb columns of each spec in order, numbered from `first`; the column kind is
    the key without a window number (a maxpool's D0, D1.. are "D")."""
    out = []
    k = first
    for key, width, fv, own in specs:
        cols = []
        kind = key.rstrip("0123456789")
        for j, w in enumerate(limb_widths(width, limb_bits)):
            cols.append(Column(k, idx, kind, j, w, fv))
            k += 1
        out.append(ColumnGroup(key, tuple(cols), own))
    return out


def _gadget(v: object, idx: int, first_col: int, prev: list[Gadget], model: ModelStack,
            in_width: int, in_bits: int, limb_bits: int) -> Gadget:
    what = f"gadget {idx}"
    keys = {"producer", "features", "shift", "divisor", "lo", "hi", "excess_hi_bits",
            "excess_lo_bits", "frac_bits", "source"}
    g = obj(v, keys, what)
    features = int_field(g["features"], f"{what} features", 1, MAX_FEATURES)
    shift = int_field(g["shift"], f"{what} shift", 0, MAX_SHIFT)
    divisor = int_field(g["divisor"], f"{what} divisor", 1, MAX_DIVISOR - 1)
    if divisor > 1 and shift:
        raise err(f"{what}: a divisor {divisor} > 1 needs shift 0 (shift is {shift})")
    lo = int_field(g["lo"], f"{what} lo", 1 - MAX_ABS_BOUND, MAX_ABS_BOUND - 1)
    hi = int_field(g["hi"], f"{what} hi", 1 - MAX_ABS_BOUND, MAX_ABS_BOUND - 1)
    if lo > hi:
        raise err(f"{what}: lo {lo} > hi {hi}")
    e_hi = int_field(g["excess_hi_bits"], f"{what} excess_hi_bits", 0, MAX_SHIFT)
    e_lo = int_field(g["excess_lo_bits"], f"{what} excess_lo_bits", 0, MAX_SHIFT)
    frac = int_field(g["frac_bits"], f"{what} frac_bits", -MAX_FRAC_BITS, MAX_FRAC_BITS)
    source = str_field(g["source"], f"{what} source", nonempty=False)
    gf = GadgetFields(idx, features, shift, divisor, lo, hi, e_hi, e_lo, prev, model,
                      in_width, in_bits)
    op, p = parse_producer(g["producer"], gf)

    span = hi - lo
    wz = span.bit_length()
    has_v = (span + 1) & span != 0
    wd = (divisor - 1).bit_length() if divisor > 1 else 0  # nonlinear.md 1: bits(d - 1)
    fv = log2_ceil(features)
    specs = [ColumnSpec("u", wz, fv), ColumnSpec("v", wz if has_v else 0, fv),
             ColumnSpec("rem", wd if divisor > 1 else shift, fv), ColumnSpec("remc", wd, fv),
             ColumnSpec("ep", e_hi, fv), ColumnSpec("em", e_lo, fv)]
    # then the producer's groups (a maxpool's D_w, S_w; a rowmax's D, S; a rowdiv's R, Rc)
    groups = _columns(idx, first_col, specs + GADGETS[op].extra_columns(p, gf, fv), limb_bits)
    u, v_, rem, remc, ep, em = (grp.columns for grp in groups[:6])
    return Gadget(idx, op, features, fv, shift, divisor, lo, hi, e_hi, e_lo, frac, source,
                  u, v_, rem, remc, ep, em, tuple(groups[6:]), p)


def parse_circuit(data: bytes) -> Circuit:
    """Strictly parse and validate canonical circuit JSON; raises ProofFormatError."""
    if len(data) > MAX_CIRCUIT_JSON_BYTES:
        raise err(f"circuit JSON of {len(data)} bytes exceeds {MAX_CIRCUIT_JSON_BYTES}")
    data = bytes(data)
    try:
        text = data.decode("utf-8")
        _check_depth(text)
        doc = json.loads(text, parse_constant=_reject_constant)
        canonical = canonical_json(doc)
    except ProofFormatError:
        raise
    except (ValueError, RecursionError, UnicodeError) as exc:
        raise err(f"not valid JSON ({type(exc).__name__})") from None
    if canonical != data:
        raise err("JSON is not canonical (sorted keys, no whitespace, ASCII escapes)")
    top = obj(doc, {"format", "version", "input", "output", "gadgets", "model_stack",
                    "limb_bits"}, "root")
    if top["format"] != "zkml-circuit":
        raise err("format must be \"zkml-circuit\"")
    int_field(top["version"], "version", 1, 1)
    limb_bits = int_field(top["limb_bits"], "limb_bits", 8, 16)
    if limb_bits not in LIMB_BITS:
        raise err(f"limb_bits = {limb_bits} is not 8 or 16")
    inp = obj(top["input"], {"features", "bits", "frac_bits", "shape"}, "input")
    n_in = int_field(inp["features"], "input.features", 1, MAX_FEATURES)
    shape = None
    if inp["shape"] is not None:
        shape = dims(inp["shape"], "input.shape", (2, 3))
        prod_shape = 1
        for d in shape:
            prod_shape *= d
        if prod_shape != n_in:
            raise err(f"input.shape {list(shape)} has {prod_shape} entries, "
                       f"features is {n_in}")
    width_in = n_in if shape is None else padded_size(shape)
    if width_in > MAX_FEATURES:
        raise err(f"input.shape {list(shape or ())}: padded width {width_in} exceeds "
                   f"{MAX_FEATURES}")
    b_in = int_field(inp["bits"], "input.bits", 1, MAX_INPUT_BITS)
    f_in = int_field(inp["frac_bits"], "input.frac_bits", -MAX_FRAC_BITS, MAX_FRAC_BITS)
    model = _model_stack(top["model_stack"])
    if not isinstance(top["gadgets"], list) or not 1 <= len(top["gadgets"]) <= MAX_GADGETS:
        raise err(f"gadgets must be a list of 1..{MAX_GADGETS} gadgets")
    gadgets: list[Gadget] = []
    ncols = 0
    for i, gv in enumerate(top["gadgets"]):
        g = _gadget(gv, i, ncols, gadgets, model, width_in, b_in, limb_bits)
        gadgets.append(g)
        ncols += len(g.columns)
    # The model stack must receive a claim (its opening binds the proof to the key).
    if not any(GADGETS[g.op].READS_MODEL for g in gadgets):
        raise err("at least one gadget must read the model stack (a dense, conv, table "
                  "or addconst gadget)")
    keys = {"gadget", "features", "argmax"}
    if isinstance(top["output"], dict) and "argmax_last" in top["output"]:
        keys = keys | {"argmax_last"}
    out = obj(top["output"], keys, "output")
    L = int_field(out["gadget"], "output.gadget", 0, len(gadgets) - 1)  # noqa: N806
    n_out = int_field(out["features"], "output.features", 1, MAX_FEATURES)
    if n_out != gadgets[L].features:
        raise err(f"output.features {n_out} != features {gadgets[L].features} of gadget {L}")
    if type(out["argmax"]) is not bool:
        raise err("output.argmax must be true or false")
    if "argmax_last" in out and (out["argmax_last"] is not True or not out["argmax"]):
        raise err("output.argmax_last, when present, must be true with argmax true")
    padded = GADGETS[gadgets[L].op].padded_output(gadgets[L])
    if padded is not None:
        raise err(f"output.gadget {L} is a {padded} (its statement would carry padding)")
    lookups = {g.index: t for g in gadgets if (t := GADGETS[g.op].lookup_table(g.producer))}
    return Circuit(data, n_in, b_in, f_in, L, n_out, tuple(gadgets), model, out["argmax"],
                   shape, limb_bits, "argmax_last" in out, lookups)


def _check_depth(text: str) -> None:
    """Refuse nesting deeper than MAX_JSON_DEPTH before decoding (encoding.json_nesting)."""
    if json_nesting(text) > MAX_JSON_DEPTH:
        raise err(f"JSON nested deeper than {MAX_JSON_DEPTH}")


def _reject_constant(name: str) -> object:
    raise err(f"non-finite number {name}")
