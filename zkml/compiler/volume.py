"""Volumes: 3-D convolution and pooling of `(N, C, D, H, W)` tensors on the 2-D gadgets.

A volume is held in the 2-D spatial layout `(C*D, H, W)` (circuits/conv.md section 1):
row-major over `(C*D, H, W)` is ONNX's order over `(C, D, H, W)`, so the layout moves
nothing. The depth axis then lives in the channel index `c*D + d`, and:

- a 3-D `conv` (kernel `(k_d, k_h, k_w)`, any strides, pads, dilations, groups) is a 2-D
  `conv` gadget over `(H, W)` from `C*D` to `O*D'` channels whose weight carries the
  depth taps: `W'[o*D' + d', c*D + d, i, j] = W[o, c, t, i, j]` for
  `d = d' s_d - p_d + t dil_d` inside `[0, D)` (zero elsewhere: the depth padding), a
  block-banded channel matrix. The verifier's work is the 2-D conv's (the wiring over
  `H`, `W`; the depth in the weight's MLE, opened from the model stack); the price is a
  model stack `D'/k_d`-times larger than the kernel's, bounded by `MAX_VOLUME_WEIGHTS`.
- a 3-D `avgpool` is the same gadget with `2^lshift` in every tap of a depthwise ones
  kernel, requantized by the window's count (one gadget per distinct count and a
  `rearrange` choosing among them when the count varies, as for 2-D averages);
- a 3-D `maxpool` arrives from the quantizer split into a pool over `(H, W)` (depth
  kernel 1) and one over `D` (a `(k_d, 1, 1)` kernel; the maximum is separable): the
  first is a 2-D `winmax` on `(C*D, H, W)`, the second a 2-D `winmax` with kernel
  `(k_d, 1)` on the layout `(C, D, H*W)` (a `rearrange` moves the entries there);
- global pooling and reductions over the volume's axes need nothing here
  (`zkml.compiler.spatial` rearranges them to `(G, n)`).

`HANDLERS` takes `conv`, `avgpool` and `maxpool` for every operand: a volume's op
goes to the 3-D form here, any other to `zkml.compiler.spatial`'s handler (this module
builds on spatial's gadget builders, so spatial never imports it).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from zkml.compiler import rearrange, spatial
from zkml.compiler.circuit import padded_width
from zkml.compiler.shapes import is_volume, volume_layout
from zkml.compiler.spatial import (
    add_conv_gadget,
    check_divisor_classes,
    choose_divisor_class,
    conv_weight_matrix,
    divisor_fields,
    window_max,
)
from zkml.compiler.state import Layout, State, refuse
from zkml.geometry import avgpool_divisor, conv_geometry, pool_geometry
from zkml.quant.executor import accumulator_bound
from zkml.quant.ir import QOp

__all__ = ["HANDLERS", "conv3d", "avgpool3d", "maxpool3d", "MAX_VOLUME_WEIGHTS"]

#: Entries of a 3-D convolution's expanded 2-D weight (`O D' x pad(C D) pad(k_h) pad(k_w)`)
MAX_VOLUME_WEIGHTS = 1 << 22


def _split(values, what: str, op: QOp) -> tuple[int, tuple[int, int]]:
    """`(depth value, (h value, w value))` of a 3-axis attribute."""
    v = [int(x) for x in values]
    if len(v) != 3:
        raise refuse(op, f"{what} {v} is not one value per axis of a volume")
    return v[0], (v[1], v[2])


def _expanded_weight(w: np.ndarray, group: int, depth: int, out_depth: int, stride: int,
                     pad: int, dilation: int) -> np.ndarray:
    """`W'` `(O D', C D, k_h, k_w)` of a 3-D weight `w` `(O, C/group, k_d, k_h, k_w)`."""
    o, cg, kd, kh, kw = w.shape
    c = cg * group
    og = o // group
    full = np.zeros((o, out_depth, c, depth, kh, kw), dtype=np.int64)
    for dd in range(out_depth):
        for t in range(kd):
            d = dd * stride - pad + t * dilation
            if not 0 <= d < depth:
                continue
            for g in range(group):
                full[g * og:(g + 1) * og, dd, g * cg:(g + 1) * cg, d] = \
                    w[g * og:(g + 1) * og, :, t]
    return full.reshape(o * out_depth, c * depth, kh, kw)


def _volume_conv(s: State, op: QOp, x: str | int, shape: tuple[int, ...], w: np.ndarray,
                 group: int, attrs: dict, out_shape: tuple[int, ...], **requant) -> int:
    """A 2-D `conv` gadget computing the 3-D convolution of the volume held by `x`
    (`shape` = its `(N, C, D, H, W)`) by `w` (no bias); returns its index."""
    _, c, depth, h, wd = shape
    o, out_depth, ho, wo = out_shape
    sd, hw_strides = _split(attrs["strides"], "strides", op)
    dd, hw_dil = _split(attrs["dilations"], "dilations", op)
    pads = [int(v) for v in attrs["pads"]]
    if len(pads) != 6:
        raise refuse(op, f"pads {pads} are not a begin and an end per axis of a volume")
    kd, kh, kw = (int(v) for v in w.shape[2:])
    rows = o * out_depth
    cols = padded_width((c * depth, kh, kw))
    if rows * cols > MAX_VOLUME_WEIGHTS:
        raise refuse(op, f"the 3-D kernel as a 2-D one needs {rows} x {cols} weights (the "
                         f"depth taps in the channels); at most {MAX_VOLUME_WEIGHTS}")
    full = _expanded_weight(w, group, depth, out_depth, sd, pads[0], dd)
    hw_pads = (pads[1], pads[2], pads[4], pads[5])
    geom = conv_geometry((h, wd), (kh, kw), hw_strides, hw_pads, hw_dil)
    if geom.out != (ho, wo):
        raise refuse(op, f"output shape {list(out_shape)} differs from the geometry")
    weight = conv_weight_matrix(full, c * depth, 1)
    return add_conv_gadget(s, op, x, (c * depth, h, wd), (rows, ho, wo), weight,
                           (kh, kw), hw_strides, hw_dil, (pads[1], pads[2]), **requant)


def conv3d(s: State, op: QOp) -> None:
    """A 3-D `conv` (module docstring)."""
    m = s.model
    src = op.inputs[0]
    shape = tuple(int(v) for v in m.tensor(src).shape)
    out = m.tensor(op.output)
    out_shape = tuple(int(v) for v in out.shape[1:])
    if op.inputs[1] not in m.constants:
        raise refuse(op, "the weight is not a constant")
    w = m.constants[op.inputs[1]].astype(np.int64)
    a = op.attrs
    geom = conv_geometry(shape[2:], w.shape[2:], a["strides"], a["pads"], a["dilations"])
    if w.ndim != 5 or w.shape[0] != out_shape[0] or geom.out != out_shape[1:]:
        raise refuse(op, f"weight shape {w.shape} does not fit {list(shape)} -> "
                         f"{list(out.shape)}")
    x = rearrange.hold(s, op, src, volume_layout(shape))
    bias, bshift = None, 0
    if len(op.inputs) > 2:
        b = m.constants[op.inputs[2]]
        if b.size != out_shape[0]:
            raise refuse(op, f"bias shape {b.shape} is not one value per output channel")
        row = np.repeat(b.reshape(-1).astype(np.int64), out_shape[1]).reshape(1, -1)
        bias, bshift = s.bias_tensor(op, row)
    index = _volume_conv(s, op, x, shape, w, int(a["group"]), a, out_shape,
                         shift=a["shift"], bias=bias, bias_shift=bshift,
                         bound=accumulator_bound(m, op))
    _register(s, op, index)


def _register(s: State, op: QOp, index: int) -> None:
    """Gadget `index` computes `op`'s output, held in its volume layout."""
    out = s.model.tensor(op.output)
    s.tips[index] = out.name
    s.refs[out.name] = index
    s.layouts[out.name] = volume_layout(out.shape)


def avgpool3d(s: State, op: QOp) -> None:
    """A 3-D `avgpool`: a depthwise conv of `2^lshift` taps, requantized by the window's
    count (one gadget per distinct count, then a choice by region when it varies)."""
    m = s.model
    src = op.inputs[0]
    shape = tuple(int(v) for v in m.tensor(src).shape)
    out = m.tensor(op.output)
    a = op.attrs
    try:
        geom = pool_geometry(shape[2:], a["kernel"], a["strides"], a["pads"], a["dilations"],
                             bool(a.get("ceil_mode")))
    except ValueError as exc:
        raise refuse(op, str(exc)) from None
    out_shape = (shape[1], *geom.out)
    if tuple(int(v) for v in out.shape[1:]) != out_shape:
        raise refuse(op, f"output shape {list(out.shape)} differs from the window geometry")
    divisors = avgpool_divisor(geom, bool(a["count_include_pad"]))
    values = sorted({int(d) for d in np.unique(divisors)})
    check_divisor_classes(op, values)
    c = shape[1]
    ones = np.zeros((c, 1, *geom.kernel), dtype=np.int64)
    ones[:] = 1 << int(a["lshift"])
    # The executor's window geometry pads the end for a ceil-mode overhang; a conv reads
    # only inside the map either way, so the begin pads and the output size are all it
    # needs (the end pads fix nothing else).
    attrs = {"strides": geom.strides, "dilations": geom.dilations,
             "pads": (*geom.pads_begin, *(max(0, e) for e in geom.pads_end))}
    x = rearrange.hold(s, op, src, volume_layout(shape))
    bound = accumulator_bound(m, op)
    classes = [_volume_conv(s, op, x, shape, ones, c, attrs, out_shape, bound=bound,
                            bias=None, bias_shift=0, **divisor_fields(d)) for d in values]
    if len(classes) == 1:
        _register(s, op, classes[0])
        return
    choose_divisor_class(s, op, classes, values, divisors, c, volume_layout(out.shape))


def maxpool3d(s: State, op: QOp) -> None:
    """One half of a 3-D `maxpool` split by the quantizer (module docstring): a depth
    kernel of 1 pools each `(H, W)` plane on `(C*D, H, W)`; a `(k_d, 1, 1)` kernel pools
    along the depth on `(C, D, H*W)`."""
    m = s.model
    src = op.inputs[0]
    shape = tuple(int(v) for v in m.tensor(src).shape)
    out = m.tensor(op.output)
    a = op.attrs
    kd, (kh, kw) = _split(a["kernel"], "kernel", op)
    sd, (sh, sw) = _split(a["strides"], "strides", op)
    dd, (dh, dw) = _split(a["dilations"], "dilations", op)
    p = [int(v) for v in a["pads"]]
    _, c, depth, h, w = shape
    ceil = bool(a.get("ceil_mode"))
    if kd == 1 and sd == 1 and p[0] == p[3] == 0:
        layout: tuple[int, ...] = (c * depth, h, w)
        window = ((kh, kw), (sh, sw), (p[1], p[2], p[4], p[5]), (dh, dw))
        held_out: Layout = volume_layout(out.shape)
    elif (kh, kw, sh, sw) == (1, 1, 1, 1) and p[1] == p[2] == p[4] == p[5] == 0:
        layout = (c, depth, h * w)
        window = ((kd, 1), (sd, 1), (p[0], 0, p[3], 0), (dd, 1))
        held_out = (c, int(out.shape[2]), h * w)
    else:
        raise refuse(op, "internal: a 3-D max pool reaches the compiler unsplit")
    x = rearrange.hold(s, op, src, layout)
    kernel, strides, pads, dilations = window
    try:
        geom = pool_geometry(layout[1:], kernel, strides, pads, dilations, ceil)
    except ValueError as exc:
        raise refuse(op, str(exc)) from None
    index = window_max(s, op, x, layout, geom)
    s.tips[index] = out.name
    s.refs[out.name] = index
    s.layouts[out.name] = held_out


def _by_operand(three_d: Callable[[State, QOp], None], op_name: str
                ) -> Callable[[State, QOp], None]:
    """`three_d` for a volume operand, spatial's handler of `op_name` for any other."""
    flat = spatial.HANDLERS[op_name]

    def handler(s: State, op: QOp) -> None:
        if is_volume(s.model.tensor(op.inputs[0]).shape):
            three_d(s, op)
        else:
            flat(s, op)

    return handler


HANDLERS: dict[str, Callable[[State, QOp], None]] = {
    "conv": _by_operand(conv3d, "conv"),
    "avgpool": _by_operand(avgpool3d, "avgpool"),
    "maxpool": _by_operand(maxpool3d, "maxpool"),
}
