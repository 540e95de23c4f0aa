"""Convolution and pooling ops -> `conv`, `sumpool`, `maxpool` gadgets (circuits/conv.md).

- `conv` (1-D or 2-D, any strides, begin/end pads, dilations, groups) with optional bias
  -> `conv`: the weight is stored as the matrix `(O, pad(C) prod pad(K_a))` with column
  `j + pad(K_2) (i + pad(K_1) c)`, zeros in padded taps and channels; a grouped or
  depthwise convolution is stored as its block-diagonal full weight; the bias as for
  `dense` (16 bits with `bias_shift`). A following Relu/Clip fuses as for dense.
- `avgpool` with window == stride a power of two per axis, no padding, no dilation (a
  ceil-mode pool is accepted only when it has no partial window) -> `sumpool` with
  `shift = log2(window area)`. For a divisor `2^k` the executor's
  `round_div(acc, 2^k) = floor((acc + 2^(k-1)) / 2^k)` is the gadget's round-half-up
  requantization by `k` bits.
- `mean` over exactly the spatial axes (GlobalAveragePool, ReduceMean) of a spatial
  tensor of any sizes -> `spatialsum` (circuits/nonlinear.md section 2): a flat output
  of `C` features, `acc = 2^lshift * (sum over the real map)`, requantized by the
  divisor `d = prod S_a` (`shift = log2 d`, `divisor = 1` when `d` is a power of two;
  else `shift = 0`, `divisor = d`), exactly the executor's `round_div(acc, d)`; `mean`
  and `reduce_max` over any other non-batch axes first `rearrange` the kept axes first
  and the reduced ones last (`(G, n)`, circuits/rearrange.md), then reduce as here.
- `maxpool` under the same geometry rules, and `reduce_max` over the spatial axes
  (GlobalMaxPool) -> `maxpool` (shift 0, the clamp range of its operand, no excess,
  `diff_bits = bits(hi_x - lo_x)`).
- Every other pooling window (conv.md section 5: any kernel, strides, dilations, begin
  and end pads, 1-D or 2-D, ceil_mode; the gadgets read only taps inside the map):
  `maxpool` -> `winmax` (as `maxpool`: shift 0, the operand's clamp range widened to
  hold 0 (padded output positions hold `z = 0`), no excess, `diff_bits = bits(hi_x -
  lo_x)`; padding reads nothing, so it never wins, as the
  executor's padding below the operand's range); `avgpool` whose divisor is the same
  at every output position -> `winsum` with `lshift` from the op, requantized by it (a
  shift when a power of two, else the gadget's divisor); an average whose divisor varies
  (count_include_pad = 0 over padding, a ceil-mode window overhanging the padding) -> one
  `winsum` per distinct divisor (at most `MAX_DIVISOR_CLASSES`) and a `rearrange`
  choosing, per output position, the one with that position's divisor.
  The power-of-two gadgets stay for the windows they cover (cheaper). GlobalMaxPool
  over a map without power-of-two sides is one `winmax` window (kernel = the map).

Every other geometry is refused with a `ModelError` naming the node, the op and why.
A volume `(N, C, D, H, W)` never reaches these handlers: `zkml.compiler.volume.HANDLERS`
routes its `conv`, `avgpool` and `maxpool` to the 3-D forms (built on this module).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import numpy as np

from zkml.compiler import rearrange
from zkml.compiler.circuit import (
    MAX_BITS,
    MAX_DIVISOR,
    MAX_WIRE_LEN,
    MAX_WIRE_STEP,
    bits,
    ceil_log2,
)
from zkml.compiler.producers import Conv, MaxPool, SpatialSum, SumPool, WinMax, WinSum
from zkml.compiler.state import State, refuse, signed_bits
from zkml.geometry import avgpool_divisor, conv_geometry, pool_geometry
from zkml.quant.executor import accumulator_bound
from zkml.quant.ir import QOp

__all__ = ["HANDLERS", "conv_weight_matrix", "divisor_fields"]

def conv_weight_matrix(w: np.ndarray, channels: int, group: int) -> np.ndarray:
    """ONNX conv weight `(O, C/group, K..)` -> the gadget's matrix `(O, pad(C) prod pad(K))`:
    block-diagonal over groups, zero in padded channels and taps."""
    o, cg = w.shape[:2]
    kernel = w.shape[2:]
    og = o // group
    full = np.zeros((o, 1 << ceil_log2(channels), *(1 << ceil_log2(k) for k in kernel)),
                    dtype=np.int64)
    taps = tuple(slice(0, k) for k in kernel)
    for g in range(group):
        full[(slice(g * og, (g + 1) * og), slice(g * cg, (g + 1) * cg), *taps)] = \
            w[g * og : (g + 1) * og]
    return full.reshape(o, -1)


def _spatial_operand(s: State, op: QOp) -> tuple[str | int, tuple[int, ...]]:
    """The operand's gadget and spatial shape `(C, S..)`; refuse a flat operand."""
    src = op.inputs[0]
    return s.ref(op, src), _spatial_operand_of(s, op, src)


def _spatial_operand_of(s: State, op: QOp, src: str) -> tuple[int, ...]:
    """The spatial shape `(C, S..)` of `op`'s operand `src`; refuse a flat operand."""
    layout = s.layout(src)
    t = s.model.tensor(src)
    if layout is None or tuple(t.shape[1:]) != layout or t.shape[0] != s.rows:
        raise refuse(op, f"operand {src!r} of shape {t.shape} is not a spatial (N, C, ...) "
                         "tensor (reshaping a flat tensor into channels is not supported)")
    if len(layout) not in (2, 3):
        raise refuse(op, f"operand {src!r} has {len(layout) - 1} spatial axes; only 1-D and "
                         "2-D tensors are supported")
    return layout


def _check_axes(op: QOp, what: str, values: tuple[int, ...], lo: int, hi: int) -> None:
    if any(not lo <= v <= hi for v in values):
        raise refuse(op, f"{what} {list(values)} outside the supported range [{lo}, {hi}]")


def _conv(s: State, op: QOp) -> None:
    m = s.model
    x, layout = _spatial_operand(s, op)
    if op.inputs[1] not in m.constants:
        raise refuse(op, "the weight is not a constant")
    w = m.constants[op.inputs[1]].astype(np.int64)
    a = op.attrs
    n = len(layout) - 1
    out = m.tensor(op.output)
    out_shape = tuple(int(v) for v in out.shape[1:])
    kernel = tuple(int(k) for k in w.shape[2:])
    strides, dilations = tuple(a["strides"]), tuple(a["dilations"])
    pads = tuple(a["pads"][:n])
    if len(kernel) != n or len(out_shape) != n + 1 or w.shape[0] != out_shape[0]:
        raise refuse(op, f"weight shape {w.shape} does not fit {layout} -> {out_shape}")
    geom = conv_geometry(layout[1:], kernel, strides, a["pads"], dilations)
    if geom.out != out_shape[1:]:
        raise refuse(op, f"output shape {out_shape} differs from the geometry {geom.out}")
    bias, bshift = None, 0
    if len(op.inputs) > 2:
        b = m.constants[op.inputs[2]]
        if b.size != out_shape[0]:
            raise refuse(op, f"bias shape {b.shape} is not one value per output channel")
        row = b.reshape(1, -1).astype(np.int64)
        bias, bshift = s.bias_tensor(op, row)
    add_conv_gadget(s, op, x, layout, out_shape, conv_weight_matrix(w, layout[0], a["group"]),
                    kernel, strides, dilations, pads, shift=a["shift"], bias=bias,
                    bias_shift=bshift, bound=accumulator_bound(m, op),
                    form=("conv", layout[0], a["group"]))


def add_conv_gadget(s: State, op: QOp, x: str | int, in_shape: tuple[int, ...],
                    out_shape: tuple[int, ...], weight: np.ndarray, kernel: tuple[int, ...],
                    strides: tuple[int, ...], dilations: tuple[int, ...],
                    pads: tuple[int, ...], *, bound: int, bias: str | None = None,
                    bias_shift: int = 0, form: Hashable = None, **requant) -> int:
    """Append a `conv` gadget computing `op`'s output (held in `out_shape`) with the weight
    matrix `weight` (`conv_weight_matrix`'s form; `form` says how it follows from the
    op's weight: `State.stack_tensor`) and return its index; `requant` is the gadget's
    `shift` (and `divisor`)."""
    _check_axes(op, "spatial lengths", (*in_shape[1:], *out_shape[1:], *kernel), 1,
                MAX_WIRE_LEN)
    _check_axes(op, "strides", tuple(strides), 1, MAX_WIRE_STEP)
    _check_axes(op, "dilations", tuple(dilations), 1, MAX_WIRE_STEP)
    _check_axes(op, "pads", tuple(pads), 0, MAX_WIRE_STEP)
    if len(op.inputs) > 1:  # a conv's weight, at its format's width
        name = s.stack_tensor(op.inputs[1], weight, s.model.tensor(op.inputs[1]).bits, form)
    else:  # a pooling window's ones (public)
        name = s.stack_tensor(f"{op.source or op.name}:ones", weight, signed_bits(weight))
    conv = Conv(x, name, bias, bias_shift, in_shape=tuple(in_shape),
                out_shape=tuple(out_shape), kernel=tuple(kernel), strides=tuple(strides),
                dilations=tuple(dilations), pads=tuple(pads))
    s.add_gadget(op, s.model.tensor(op.output), bound, conv, tuple(out_shape), **requant)
    return len(s.gadgets) - 1


def channel_scale(s: State, op: QOp, x_name: str, c_name: str) -> None:
    """`x * c[channel]` on a spatial tensor: a depthwise 1x1 `conv` gadget (groups = C,
    stride 1, no padding, no bias) with the op's shift. A scalar `c` is repeated for every
    channel: it stays in the model stack, never a public coefficient (quantization.md,
    "What the circuit may depend on")."""
    depthwise_scale(s, op, s.ref(op, x_name), _spatial_operand_of(s, op, x_name), c_name)


def depthwise_scale(s: State, op: QOp, x: str | int, layout: tuple[int, ...],
                    c_name: str) -> None:
    """The depthwise 1x1 `conv` gadget of `channel_scale` on operand `x` held in the
    spatial `layout` `(C, S..)`, computing `op`'s output in that layout."""
    n = len(layout) - 1
    ones = (1,) * n
    c = np.asarray(s.model.constants[c_name]).astype(np.int64).reshape(-1)
    w = np.broadcast_to(c, (layout[0],)).reshape(layout[0], 1, *ones)
    weight = s.stack_tensor(c_name, conv_weight_matrix(w, layout[0], layout[0]),
                            s.model.tensor(c_name).bits, ("depthwise", len(layout)))
    conv = Conv(x, weight, in_shape=layout, out_shape=layout, kernel=ones, strides=ones,
                dilations=ones, pads=(0,) * n)
    s.add_gadget(op, s.model.tensor(op.output), accumulator_bound(s.model, op), conv, layout,
                 shift=op.attrs["shift"])


def _pow2_window(s: State, op: QOp, layout: tuple[int, ...]) -> tuple[int, ...] | None:
    """The window when a power-of-two pooling gadget (conv.md section 3) proves the op:
    window == stride a power of two per axis, no padding, no dilation, no partial
    ceil-mode window; None otherwise (the general window gadgets of section 5)."""
    a = op.attrs
    n = len(layout) - 1
    kernel, strides = tuple(a["kernel"]), tuple(a["strides"])
    if any(a["pads"]) or any(d != 1 for d in a["dilations"]) or kernel != strides or \
            any(k & (k - 1) for k in kernel):
        return None
    if a.get("ceil_mode") and any(layout[1 + i] % kernel[i] for i in range(n)):
        return None
    out = tuple(s.model.tensor(op.output).shape[2:])
    if out != tuple(layout[1 + i] // kernel[i] for i in range(n)):
        return None
    return kernel


def _window_geometry(s: State, op: QOp, layout: tuple[int, ...]):
    """The pool's geometry for a `winsum` / `winmax` gadget (conv.md section 5); refuses
    wiring limits and an output shape that disagrees."""
    a = op.attrs
    n = len(layout) - 1
    spatial = layout[1:]
    kernel, strides, dilations = tuple(a["kernel"]), tuple(a["strides"]), tuple(a["dilations"])
    pads = tuple(a["pads"])
    if len(kernel) != n or len(strides) != n or len(dilations) != n or len(pads) != 2 * n:
        raise refuse(op, f"window {list(kernel)} does not fit a {n}-D operand")
    try:
        # A ceil-mode partial last window needs nothing special: the gadget reads only
        # taps inside the input (conv.md section 5), which is MaxPool's rule for the
        # overhang; an average's divisor there is checked below.
        geom = pool_geometry(spatial, kernel, strides, pads, dilations, bool(a.get("ceil_mode")))
    except ValueError as exc:
        raise refuse(op, str(exc)) from None
    out = tuple(int(v) for v in s.model.tensor(op.output).shape[2:])
    if out != geom.out:
        raise refuse(op, f"output shape {list(out)} differs from the window geometry "
                         f"{list(geom.out)}")
    _check_axes(op, "spatial lengths", (*spatial, *geom.out, *kernel), 1, MAX_WIRE_LEN)
    _check_axes(op, "strides", strides, 1, MAX_WIRE_STEP)
    _check_axes(op, "dilations", dilations, 1, MAX_WIRE_STEP)
    _check_axes(op, "pads", pads[:n], 0, MAX_WIRE_STEP)
    # Every real output must read at least one input entry (a window entirely in the
    # padding is ONNX's -inf / 0-of-0 average: nothing to prove).
    for i in range(n):
        reads = np.zeros(geom.out[i], dtype=bool)
        ys = np.arange(geom.out[i]) * strides[i] - pads[i]
        for t in range(kernel[i]):
            pos = ys + dilations[i] * t
            reads |= (pos >= 0) & (pos < spatial[i])
        if not reads.all():
            raise refuse(op, f"axis {i}: an output window lies entirely in the padding")
    return geom


def _window_gadget(s: State, qop: QOp, x: str | int, layout: tuple[int, ...], geom,
                   kind: type[WinSum | WinMax], last: int, **requant) -> None:
    """A `kind` gadget over `geom`'s windows; `last` is its `lshift` or `diff_bits`."""
    n = len(layout) - 1
    out = s.model.tensor(qop.output)
    out_shape = (layout[0], *geom.out)
    s.add_gadget(qop, out, accumulator_bound(s.model, qop),
                 kind(x, layout, out_shape, tuple(geom.kernel), tuple(geom.strides),
                      tuple(geom.dilations), tuple(geom.pads_begin[:n]), last), out_shape,
                 **requant)


def _add_pool(s: State, qop: QOp, x: str | int, layout: tuple[int, ...],
              window: tuple[int, ...], kind: type[SumPool | MaxPool], last: int,
              **requant) -> None:
    """A `kind` gadget over `window`s; `last` is its `lshift` or `diff_bits`."""
    out = s.model.tensor(qop.output)
    out_shape = (layout[0], *(v // k for v, k in zip(layout[1:], window, strict=True)))
    s.add_gadget(qop, out, accumulator_bound(s.model, qop),
                 kind(x, layout, out_shape, window, last), out_shape, **requant)


def _sumpool(s: State, op: QOp, x: str | int, layout: tuple[int, ...],
             window: tuple[int, ...]) -> None:
    area = int(np.prod(window))  # a power of two: the divisor of every window
    _add_pool(s, op, x, layout, window, SumPool, op.attrs["lshift"], shift=ceil_log2(area))


def _max_range(s: State, x: str | int) -> dict:
    lo, hi = s.clamp_range(x)
    return {"lo": lo, "hi": hi, "diff_bits": max(1, bits(hi - lo))}


def _maxpool_gadget(s: State, op: QOp, x: str | int, layout: tuple[int, ...],
                    window: tuple[int, ...]) -> None:
    r = _max_range(s, x)
    _add_pool(s, op, x, layout, window, MaxPool, r["diff_bits"], shift=0)
    # z is the window maximum itself: it keeps the operand's range (no clamp, no excess).
    s.gadgets[-1]["lo"], s.gadgets[-1]["hi"] = r["lo"], r["hi"]


def window_max(s: State, op: QOp, x: str | int, layout: tuple[int, ...], geom) -> int:
    """A `winmax` gadget (conv.md section 5) computing `op`'s output; its index."""
    _check_axes(op, "spatial lengths", (*layout[1:], *geom.out, *geom.kernel), 1,
                MAX_WIRE_LEN)
    _winmax(s, op, x, layout, geom)
    return len(s.gadgets) - 1


def _winmax(s: State, op: QOp, x: str | int, layout: tuple[int, ...], geom) -> None:
    r = _max_range(s, x)
    if r["diff_bits"] > MAX_BITS:
        raise refuse(op, f"the operand's range needs {r['diff_bits']} bits")
    _window_gadget(s, op, x, layout, geom, WinMax, r["diff_bits"], shift=0)
    # As maxpool: z is the maximum over the reading taps, within the operand's range; a
    # padded output position holds z = 0 (conv.md section 5: z (1 - Rg) = 0), so the
    # clamp range also holds 0. (diff_bits stays bits(hi_x - lo_x): D_t is 0 there.)
    s.gadgets[-1]["lo"], s.gadgets[-1]["hi"] = min(r["lo"], 0), max(r["hi"], 0)


def _avgpool(s: State, op: QOp) -> None:
    x, layout = _spatial_operand(s, op)
    a = op.attrs
    whole = tuple(a["kernel"]) == tuple(layout[1:]) and not any(a["pads"]) and \
        all(d == 1 for d in a["dilations"])
    if whole and any(k & (k - 1) for k in a["kernel"]):
        # One window over the whole map (e.g. AvgPool2d(7) on a 7x7 map): a spatial sum.
        _spatial_sum(s, op, x, layout)
        return
    window = _pow2_window(s, op, layout)
    if window is not None:
        _sumpool(s, op, x, layout, window)
        return
    geom = _window_geometry(s, op, layout)
    divisors = avgpool_divisor(geom, bool(a["count_include_pad"]))
    values = sorted({int(d) for d in np.unique(divisors)})
    if values[-1] >= MAX_DIVISOR:
        raise refuse(op, f"window area {values[-1]} is too large a divisor")
    if len(values) == 1:
        _window_gadget(s, op, x, layout, geom, WinSum, a["lshift"],
                       **divisor_fields(values[0]))
        return
    _varying_average(s, op, x, layout, geom, divisors, values)


#: An average whose divisor varies per output position (count_include_pad = 0 with
#: padding, a ceil-mode partial window) takes one window sum per distinct divisor.
MAX_DIVISOR_CLASSES = 16


def _varying_average(s: State, op: QOp, x: str | int, layout: tuple[int, ...], geom,
                     divisors: np.ndarray, values: list[int]) -> None:
    """One `winsum` gadget per distinct divisor `d` (each averages every window by `d`),
    then the choice among them by position (`choose_divisor_class`)."""
    check_divisor_classes(op, values)
    classes = []
    for d in values:
        _window_gadget(s, op, x, layout, geom, WinSum, op.attrs["lshift"],
                       **divisor_fields(d))
        classes.append(len(s.gadgets) - 1)
    choose_divisor_class(s, op, classes, values, divisors, layout[0],
                         tuple(s.gadgets[classes[0]]["layout"]))


def check_divisor_classes(op: QOp, values: list[int]) -> None:
    """Refuse an average whose divisor takes more than `MAX_DIVISOR_CLASSES` values."""
    if len(values) > MAX_DIVISOR_CLASSES:
        raise refuse(op, f"the average's divisor takes {len(values)} values over the output "
                         f"positions; at most {MAX_DIVISOR_CLASSES} are supported")


def choose_divisor_class(s: State, op: QOp, classes: list[int], values: list[int],
                         divisors: np.ndarray, channels: int, layout: tuple[int, ...]) -> None:
    """`op`'s output: at every position the class gadget (one per divisor in `values`, each
    averaging every window by its divisor) whose divisor is that position's `divisors`
    entry, same for every channel: a `rearrange` choosing by region (circuits/rearrange.md;
    the regions are border strips and the interior, so a few boxes)."""
    out = s.model.tensor(op.output)
    for i in classes:
        s.tips[i] = out.name
    index = np.searchsorted(np.array(values), divisors)  # (out spatial dims)
    region = np.broadcast_to(index, (channels, *index.shape))
    rearrange.choose(s, op, [out.name] * len(classes), np.ascontiguousarray(region), layout,
                     out, gadgets=classes)


def _maxpool(s: State, op: QOp) -> None:
    x, layout = _spatial_operand(s, op)
    window = _pow2_window(s, op, layout)
    if window is not None:
        _maxpool_gadget(s, op, x, layout, window)
        return
    _winmax(s, op, x, layout, _window_geometry(s, op, layout))


def _global_window(layout: tuple[int, ...]) -> tuple[int, ...] | None:
    """The whole spatial map as one window (GlobalMaxPool): power-of-two sides for a
    `maxpool` gadget, else None (a `winmax` with the map as its kernel)."""
    window = tuple(layout[1:])
    if any(k & (k - 1) for k in window):
        return None
    return window


def _reduced_operand(s: State, op: QOp) -> tuple[str | int, tuple[int, ...]]:
    """The operand of a reduction over `op.attrs["axes"]` as a spatial `(G, S..)` tensor
    whose spatial axes are exactly the reduced ones: the operand itself when it is held
    spatially and the axes are its spatial axes (global pooling); otherwise a
    `rearrange` moving the kept axes first (G = their product, in ONNX order) and the
    reduced ones last, flattened into one axis (circuits/rearrange.md)."""
    src = op.inputs[0]
    t = s.model.tensor(src)
    rank = len(t.shape)
    axes = sorted({int(v) % rank for v in op.attrs["axes"]}) if rank else []
    if not axes or axes[0] == 0:
        raise refuse(op, f"a reduction over axes {list(op.attrs['axes'])} of {list(t.shape)}: "
                         "the batch axis is never reduced")
    layout = s.layout(src)
    if layout is not None and tuple(t.shape[1:]) == layout and len(layout) in (2, 3) and \
            axes == list(range(2, rank)):
        return s.ref(op, src), layout
    dims = tuple(int(v) for v in t.shape[1:])
    kept = [a - 1 for a in range(1, rank) if a not in axes]
    red = [a - 1 for a in axes]
    groups = int(np.prod([dims[a] for a in kept], dtype=np.int64))
    n = int(np.prod([dims[a] for a in red], dtype=np.int64))
    grouped = (groups, n)
    x = rearrange.move(s, op, [src], [dims], 0, kept + red, grouped)
    return x, grouped


def divisor_fields(d: int) -> dict[str, int]:
    """Requantization by the constant `d` (nonlinear.md section 1): a power of two stays a
    shift (`shift = log2 d`, `divisor = 1`); anything else is `shift = 0`, `divisor = d`."""
    if d < 1 or d >= MAX_DIVISOR:
        raise ValueError(f"divisor {d} out of range")
    if d & (d - 1) == 0:
        return {"shift": d.bit_length() - 1, "divisor": 1}
    return {"shift": 0, "divisor": d}


def _mean(s: State, op: QOp) -> None:
    """GlobalAveragePool / ReduceMean over the spatial axes -> `spatialsum` (flat output of
    C features; the divisor is the map's area)."""
    x, layout = _reduced_operand(s, op)
    _spatial_sum(s, op, x, layout)


def _spatial_sum(s: State, op: QOp, x: str | int, layout: tuple[int, ...]) -> None:
    """A `spatialsum` gadget averaging each channel of `x` over its whole real map."""
    out = s.model.tensor(op.output)
    channels = layout[0]
    if not out.shape or out.shape[0] != s.rows or int(np.prod(out.shape[1:])) != channels:
        raise refuse(op, f"output shape {out.shape} is not {s.rows} row(s) of {channels} "
                         "channels")
    area = int(np.prod(layout[1:]))
    s.add_gadget(op, out, accumulator_bound(s.model, op),
                 SpatialSum(x, layout, op.attrs["lshift"]), None, features=channels,
                 **divisor_fields(area))


def _reduce_max(s: State, op: QOp) -> None:
    x, layout = _reduced_operand(s, op)
    window = _global_window(layout)
    if window is not None:
        _maxpool_gadget(s, op, x, layout, window)
        return
    # Any other map: one winmax window over it (stride 1, no padding, a 1x1 output).
    n = len(layout) - 1
    spatial = tuple(layout[1:])
    _check_axes(op, "spatial lengths", spatial, 1, MAX_WIRE_LEN)
    out = s.model.tensor(op.output)
    if int(np.prod(out.shape)) != s.rows * layout[0]:
        raise refuse(op, f"output shape {out.shape} is not one maximum per channel")
    geom = conv_geometry(spatial, spatial, (1,) * n, (0,) * (2 * n), (1,) * n)
    _winmax(s, op, x, layout, geom)


HANDLERS: dict[str, Callable[[State, QOp], None]] = {
    "conv": _conv, "avgpool": _avgpool, "maxpool": _maxpool, "mean": _mean,
    "reduce_max": _reduce_max,
}
