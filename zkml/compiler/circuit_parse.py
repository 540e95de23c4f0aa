"""The strict parser of circuit descriptions (circuits/inference.md section 6, conv.md,
nonlinear.md): `Circuit.from_json` calls `parse`. Standard library only."""

from __future__ import annotations

from zkml.compiler.circuit import (
    FORMAT,
    LIMB_BITS,
    MAX_BITS,
    MAX_COEFF_BITS,
    MAX_CONCAT_PARTS,
    MAX_DIVISOR,
    MAX_FEATURES,
    MAX_NUM_VARS,
    MAX_RANGE_BITS,
    MAX_REARRANGE_BLOCKS,
    MAX_REARRANGE_PARTS,
    MAX_REARRANGE_STRIDE,
    MAX_TABLE_BITS,
    MAX_TERMS,
    MAX_VIEW_DIMS,
    MAX_WIRE_LEN,
    MAX_WIRE_STEP,
    SPATIAL_OPS,
    VERSION,
    WINDOW_OPS,
    Block,
    Circuit,
    CircuitFormatError,
    Gadget,
    ModelStack,
    StackTensor,
    ceil_log2,
    padded_width,
)

__all__ = ["parse"]


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
    elif op == "concat":
        if set(p) != {"op", "parts", "shapes"} or not isinstance(p["parts"], list) or \
                not isinstance(p["shapes"], list) or \
                not 2 <= len(p["parts"]) <= MAX_CONCAT_PARTS or \
                len(p["shapes"]) != len(p["parts"]):
            raise CircuitFormatError(f"circuit: gadget {i} has a malformed concat producer")
        x = _ref(p["parts"][0], i, f"gadget {i} part")
    elif op == "rearrange":
        if set(p) != {"op", "parts", "shapes", "out_shape", "dims", "blocks"} or \
                any(not isinstance(p[k], list) for k in ("parts", "shapes", "blocks")) \
                or not 1 <= len(p["parts"]) <= MAX_REARRANGE_PARTS or \
                len(p["shapes"]) != len(p["parts"]):
            raise CircuitFormatError(f"circuit: gadget {i} has a malformed rearrange producer")
        x = _ref(p["parts"][0], i, f"gadget {i} part")
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
        # y may be a row value: G < width(x) features broadcast along the low log2 P
        # feature variables, P = pad(width(x)) / pad(G) (nonlinear.md sections 6, 12).
        if feats_of(x) != feats or not _row_value_of(feats_of(y), feats):
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
        # features = G row values of P = pad(width(x)) / pad(G) entries (nonlinear.md 12)
        if not _row_value_of(feats, feats_of(x)):
            raise CircuitFormatError(f"circuit: gadget {i} (rowmax) has {feats} features for "
                                     f"an operand of width {feats_of(x)}")
        group = (1 << ceil_log2(feats_of(x))) // (1 << ceil_log2(feats))
        kw.update(n=_int(p["n"], f"gadget {i} (rowmax) n", 1, group),
                  diff_bits=_int(p["diff_bits"], f"gadget {i} (rowmax) diff_bits", 1, MAX_BITS))
    elif op == "rowdiv":
        if set(p) != {"op", "x", "y", "lshift", "rem_bits"}:
            raise CircuitFormatError(f"circuit: gadget {i} has a malformed rowdiv producer")
        y = _ref(p["y"], i, f"gadget {i} y")
        kw.update(y=y, lshift=_int(p["lshift"], f"gadget {i} (rowdiv) lshift", 0, MAX_BITS),
                  remainder_bits=_int(p["rem_bits"], f"gadget {i} (rowdiv) rem_bits", 1,
                                      MAX_BITS))
        if feats_of(x) != feats or not _row_value_of(feats_of(y), feats):
            raise CircuitFormatError(f"circuit: gadget {i} (rowdiv) needs width(x) == features "
                                     "and a row value y (nonlinear.md 12)")
    elif op == "mul":
        if set(p) != {"op", "x", "y"}:
            raise CircuitFormatError(f"circuit: gadget {i} has a malformed mul producer")
        y = _ref(p["y"], i, f"gadget {i} y")
        if feats_of(x) != feats or feats_of(y) != feats:
            raise CircuitFormatError(f"circuit: gadget {i} (mul) needs width(x) == width(y) "
                                     "== features")
        kw.update(y=y)
    elif op == "addconst":
        if set(p) != {"op", "x", "c", "lshift"} or not isinstance(p["c"], str):
            raise CircuitFormatError(f"circuit: gadget {i} has a malformed addconst producer")
        if feats_of(x) != feats:
            raise CircuitFormatError(f"circuit: gadget {i} (addconst) has another width than "
                                     "its operand")
        kw.update(const=p["c"], lshift=_int(p["lshift"], f"gadget {i} (addconst) lshift", 0,
                                             MAX_BITS))
    elif op == "concat":
        parts = tuple(_ref(r, i, f"gadget {i} part") for r in p["parts"])
        shapes = tuple(_shape(sh, f"gadget {i} (concat) shape", (1, 2, 3))
                       for sh in p["shapes"])
        if any(sh[1:] != shapes[0][1:] for sh in shapes):
            raise CircuitFormatError(f"circuit: gadget {i} (concat) has parts of other "
                                     "spatial dims")
        # A flat part's width is its feature count C_k; a spatial part's prod pad(shape).
        if any(feats_of(r) != (sh[0] if len(sh) == 1 else padded_width(sh))
               for r, sh in zip(parts, shapes, strict=True)):
            raise CircuitFormatError(f"circuit: gadget {i} (concat) has a part whose width "
                                     "does not fit its shape")
        channels = sum(sh[0] for sh in shapes)
        if channels > MAX_FEATURES or \
                feats != padded_width((channels, *shapes[0][1:])):
            raise CircuitFormatError(f"circuit: gadget {i} (concat) has {feats} features for "
                                     f"{channels} channels of {list(shapes[0][1:])}")
        kw.update(parts=parts, shapes=shapes)
    elif op == "rearrange":
        kw.update(_parse_rearrange(p, i, feats, feats_of))
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


def _layout_width(sh: tuple[int, ...]) -> int:
    """`width` of a rearrange layout: `n` for a flat `[n]`, `prod pad(sh)` otherwise."""
    return sh[0] if len(sh) == 1 else padded_width(sh)


def _parse_rearrange(p: dict, i: int, feats: int, feats_of) -> dict:
    """The producer fields of a rearrange gadget (circuits/rearrange.md section 1)."""
    what = f"gadget {i} (rearrange)"
    parts = tuple(_ref(r, i, f"gadget {i} part") for r in p["parts"])
    shapes = tuple(_shape(sh, f"{what} shape", (1, 2, 3)) for sh in p["shapes"])
    out_shape = _shape(p["out_shape"], f"{what} out_shape", (1, 2, 3))
    for sh in (*shapes, out_shape):
        # Each layout's padded width is at most 2^20 (a flat [n] pads to pad(n)).
        if (1 << ceil_log2(sh[0]) if len(sh) == 1 else padded_width(sh)) > MAX_FEATURES:
            raise CircuitFormatError(f"circuit: {what} has a layout {list(sh)} wider than "
                                     f"2^20")
    if any(feats_of(r) != _layout_width(sh) for r, sh in zip(parts, shapes, strict=True)):
        raise CircuitFormatError(f"circuit: {what} has a part whose width does not fit its "
                                 "shape")
    if feats != _layout_width(out_shape):
        raise CircuitFormatError(f"circuit: {what} has {feats} features for the layout "
                                 f"{list(out_shape)}")
    dims = _shape(p["dims"], f"{what} dims", tuple(range(1, MAX_VIEW_DIMS + 1)), 1, None)
    if _prod(dims) != _prod(out_shape):
        raise CircuitFormatError(f"circuit: {what} has dims {list(dims)} of {_prod(dims)} "
                                 f"indices for an output of {_prod(out_shape)} entries")
    if not 1 <= len(p["blocks"]) <= MAX_REARRANGE_BLOCKS:
        raise CircuitFormatError(f"circuit: {what} has {len(p['blocks'])} blocks; 1 to "
                                 f"{MAX_REARRANGE_BLOCKS} are allowed")
    blocks = tuple(_parse_block(v, f"{what} block {b}", dims, len(parts))
                   for b, v in enumerate(p["blocks"]))
    for b, blk in enumerate(blocks):
        if blk.corner >= _prod(shapes[blk.part]):
            raise CircuitFormatError(f"circuit: {what} block {b} reads entry {blk.corner} "
                                     f"of part {blk.part}, which has "
                                     f"{_prod(shapes[blk.part])}")
    _check_tiling(what, dims, blocks)
    return dict(parts=parts, shapes=shapes, out_shape=out_shape, dims=dims, blocks=blocks)


def _parse_block(v: object, what: str, dims: tuple[int, ...], n_parts: int) -> Block:
    """One block object: exact keys, its box inside the index space `dims`."""
    if not isinstance(v, dict) or set(v) != {"part", "start", "size", "offset", "strides"}:
        raise CircuitFormatError(f"circuit: {what} is malformed")
    m = len(dims)
    part = _int(v["part"], f"{what} part", 0, n_parts - 1)
    start = _shape(v["start"], f"{what} start", (m,), 0, None)
    size = _shape(v["size"], f"{what} size", (m,), 1, None)
    strides = _shape(v["strides"], f"{what} strides", (m,), 0, MAX_REARRANGE_STRIDE - 1)
    offset = _int(v["offset"], f"{what} offset", 0, MAX_REARRANGE_STRIDE - 1)
    if any(a + n > d for a, n, d in zip(start, size, dims, strict=True)):
        raise CircuitFormatError(f"circuit: {what} (start {list(start)}, size {list(size)}) "
                                 f"leaves the index space {list(dims)}")
    return Block(part, start, size, offset, strides)


def _check_tiling(what: str, dims: tuple[int, ...], blocks: tuple[Block, ...]) -> None:
    """The blocks tile the index space exactly: their volumes sum to `prod dims` and no
    index is covered twice. A bitmap of `prod dims <= 2^20` bytes is marked one run at a
    time (a run: the box's indices contiguous in row-major order), so the work is at most
    one step per index even for adversarial boxes (it stops at the first overlap)."""
    total = _prod(dims)
    volume = sum(b.volume for b in blocks)
    if volume != total:
        raise CircuitFormatError(f"circuit: {what} has blocks covering {volume} indices of "
                                 f"the {total} of dims {list(dims)}")
    m = len(dims)
    rs = [_prod(dims[j + 1:]) for j in range(m)]
    covered = bytearray(total)
    for bi, b in enumerate(blocks):
        # Trailing axes the box spans fully join the run.
        p = m - 1
        while p > 0 and b.start[p] == 0 and b.size[p] == dims[p]:
            p -= 1
        run = b.size[p] * rs[p]
        ones = b"\x01" * run
        rows = [b.start[p] * rs[p]]
        for j in range(p):
            rows = [r + (b.start[j] + o) * rs[j] for r in rows for o in range(b.size[j])]
        for r in rows:
            if covered.find(1, r, r + run) != -1:
                raise CircuitFormatError(f"circuit: {what} block {bi} overlaps an earlier "
                                         "block")
            covered[r : r + run] = ones


def _row_value_of(g: int, width: int) -> bool:
    """`g` features are a row value of a `width`-feature tensor (nonlinear.md section 12):
    `1 <= g <= width` and `pad(g)` divides `pad(width)` (powers of two: `pad(g) <=
    pad(width)`); `g == width` is the elementwise case."""
    return 1 <= g <= width and ceil_log2(g) <= ceil_log2(width)


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


def parse(doc: object) -> Circuit:
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
            set(out) - {"argmax_last"} != {"gadget", "features", "argmax"} or \
            not isinstance(out["argmax"], bool) or \
            ("argmax_last" in out and (out["argmax_last"] is not True or not out["argmax"])) \
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
        if g.op == "addconst":
            _check_const(g, i, stack, width_in if g.x == "input" else gadgets[int(g.x)].features)
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
    if gadgets[og].op == "rearrange" and len(gadgets[og].out_shape) != 1:
        # circuits/rearrange.md section 5: the statement holds a flat tensor's entries.
        raise CircuitFormatError("circuit: the output gadget may not be a spatial rearrange")
    return Circuit(n_in, in_bits, in_frac, og, of, tuple(gadgets), stack, out["argmax"],
                   in_shape, limb_bits, "argmax_last" in out)


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


def _check_const(g: Gadget, i: int, stack: ModelStack, width: int) -> None:
    """An addconst's constant is a `1 x width(x)` tensor (nonlinear.md section 10)."""
    try:
        t = stack.tensor(str(g.const))
    except KeyError as exc:
        raise CircuitFormatError(f"circuit: gadget {i} names unknown tensor {exc}") from None
    if t.rows != 1 or t.cols != width:
        raise CircuitFormatError(f"circuit: gadget {i} (addconst) has a {t.rows} x {t.cols} "
                                 f"constant for an operand of width {width}")


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
