"""Window pooling over the spatial axes of an (N, C, ...) tensor: `maxpool` and `avgpool`.

| op | inputs | attrs (graph) | attrs (IR, besides the graph's) |
|---|---|---|---|
| maxpool | x | kernel, strides, pads, dilations, ceil_mode | |
| avgpool | x | kernel, strides, pads, dilations, ceil_mode, count_include_pad | lshift |

A maximum keeps the input's scale (padding never wins a window); a window mean is a
rounded division of the window sum by its divisor (quantization.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from zkml.geometry import avgpool_divisor, pool_geometry, windows
from zkml.quant.ops.base import Mag, OpSpec, checked
from zkml.quant.rounding import round_div, saturate

if TYPE_CHECKING:
    from zkml.onnx_import.graph import Node
    from zkml.quant.ir import QModel, QOp
    from zkml.quant.lower import Lowering

_WINDOW = ("kernel", "strides", "pads", "dilations", "ceil_mode")


def _maxpool_reference(x, *, kernel, strides, pads, dilations, ceil_mode):
    g = pool_geometry(x.shape[2:], kernel, strides, pads, dilations, ceil_mode)
    return windows(x, g, -np.inf).max(axis=-1)


def _avgpool_reference(x, *, kernel, strides, pads, dilations, ceil_mode, count_include_pad):
    g = pool_geometry(x.shape[2:], kernel, strides, pads, dilations, ceil_mode)
    total = windows(x, g, 0.0).sum(axis=-1)
    return total / avgpool_divisor(g, count_include_pad)


def _maxpool_lower(low: Lowering, node: Node) -> None:
    a = node.attrs
    k, st, p, dl = (list(a[key]) for key in ("kernel", "strides", "pads", "dilations"))
    ceil = bool(a["ceil_mode"])
    if len(k) == 3 and k[0] * st[0] * dl[0] > 1 and max(k[1:] + st[1:]) > 1:
        # A 3-D maximum is separable: over each (H, W) plane, then along the depth
        # (quantization.md, Ops: maxpool), so a circuit pools one 2-D map at a time.
        x = low.t(node.inputs[0])
        g = pool_geometry(x.shape[3:], k[1:], st[1:], [p[1], p[2], p[4], p[5]], dl[1:],
                          ceil)
        mid = low.add_tensor(low.fresh(node.output, "planes"),
                             (*x.shape[:3], *g.out), x.frac_bits, x.bits)
        low.op("maxpool", [x.name], mid, kernel=[1, *k[1:]], strides=[1, *st[1:]],
               pads=[0, p[1], p[2], 0, p[4], p[5]], dilations=[1, *dl[1:]],
               ceil_mode=ceil)
        low.add_tensor(node.output, low.g.shapes[node.output], x.frac_bits, x.bits)
        low.op("maxpool", [mid], node.output, kernel=[k[0], 1, 1], strides=[st[0], 1, 1],
               pads=[p[0], 0, 0, p[3], 0, 0], dilations=[dl[0], 1, 1], ceil_mode=ceil)
        return
    low.same_scale(node, "maxpool", kernel=k, strides=st, pads=p, dilations=dl,
                   ceil_mode=ceil)


def _avgpool_lower(low: Lowering, node: Node) -> None:
    a = node.attrs
    low.averaging(node, "avgpool", kernel=list(a["kernel"]), strides=list(a["strides"]),
                  pads=list(a["pads"]), dilations=list(a["dilations"]),
                  ceil_mode=bool(a["ceil_mode"]),
                  count_include_pad=bool(a["count_include_pad"]))


def _maxpool_execute(model: QModel, op: QOp, x: np.ndarray):
    a = op.attrs
    g = pool_geometry(x.shape[2:], a["kernel"], a["strides"], a["pads"], a["dilations"],
                      a["ceil_mode"])
    # Padding sits below the input's range, so it never wins a window.
    win = windows(x, g, model.tensor(op.inputs[0]).lo - 1)
    sel = np.argmax(win, axis=-1)
    return np.take_along_axis(win, sel[..., None], axis=-1)[..., 0], {"selector": sel}


def _avgpool_bound(model: QModel, op: QOp, mag: Mag) -> int:
    return (mag(0) * int(np.prod(op.attrs["kernel"]))) << op.attrs["lshift"]


def _avgpool_execute(model: QModel, op: QOp, x: np.ndarray):
    a = op.attrs
    g = pool_geometry(x.shape[2:], a["kernel"], a["strides"], a["pads"], a["dilations"],
                      a["ceil_mode"])
    checked(model, op, _avgpool_bound)
    total = windows(x, g, 0).sum(axis=-1) << np.int64(a["lshift"])
    d = avgpool_divisor(g, a["count_include_pad"])
    q, rem = round_div(total, d)
    y = saturate(q, model.tensor(op.output).bits)
    return y, {"sum": total, "divisor": d, "quotient": q, "remainder": rem}


OPS = (
    OpSpec("maxpool", inputs=("x",), attrs=_WINDOW, reference=_maxpool_reference,
           lower=_maxpool_lower, qattrs=_WINDOW, execute=_maxpool_execute),
    OpSpec("avgpool", inputs=("x",), attrs=(*_WINDOW, "count_include_pad"),
           reference=_avgpool_reference, lower=_avgpool_lower,
           qattrs=(*_WINDOW, "count_include_pad", "lshift"), execute=_avgpool_execute,
           bound=_avgpool_bound, saturating=True),
)
