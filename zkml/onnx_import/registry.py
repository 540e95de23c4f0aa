"""The handler table (one function per ONNX op, named after it) and shared attribute helpers.

The table fills as the `handlers_*` modules are imported; `zkml.onnx_import.handlers`
finds and imports them all (use its `HANDLERS` and `supported_ops` for the complete
table).

Handlers follow tinygrad's ONNX importer: `def Conv(b, X, W, B=None, *, auto_pad="NOTSET",
...)` takes the builder, the node's inputs positionally (None for an omitted optional
input) and the op's attributes as keyword arguments whose defaults are the ONNX defaults
of the target opset (loader.TARGET_OPSET).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from zkml.onnx_import.builder import unsupported

__all__ = ["HANDLERS", "handler", "norm_axis", "resolve_pads", "spatial_attr"]

HANDLERS: dict[str, Callable] = {}


def handler(fn: Callable) -> Callable:
    """Register `fn` as the handler of the ONNX op with the same name; a second handler
    of one op raises (two modules would otherwise silently race for it)."""
    known = HANDLERS.get(fn.__name__)
    if known is not None and known is not fn:
        raise ValueError(f"ONNX op {fn.__name__!r} has two handlers: in {known.__module__} "
                         f"and in {fn.__module__}")
    HANDLERS[fn.__name__] = fn
    return fn


def norm_axis(axis: int, ndim: int) -> int:
    """A non-negative axis, or an error for an axis outside the tensor."""
    if not -ndim <= axis < ndim:
        raise unsupported(f"axis {axis} is out of range for a rank-{ndim} tensor")
    return axis % ndim


def spatial_attr(value: Sequence[int] | None, n: int, default: int, name: str) -> tuple[int, ...]:
    """A per-spatial-axis attribute (strides, dilations) with its ONNX default."""
    if value is None:
        return (default,) * n
    if len(value) != n:
        raise unsupported(f"{name} has {len(value)} entries for {n} spatial axes")
    return tuple(int(v) for v in value)


def resolve_pads(
    auto_pad: str,
    pads: Sequence[int] | None,
    spatial: Sequence[int],
    kernel: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
) -> tuple[int, ...]:
    """Explicit `[begin..., end...]` pads from ONNX `pads` / `auto_pad`."""
    n = len(spatial)
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    if auto_pad in ("NOTSET", ""):
        if pads is None:
            return (0,) * (2 * n)
        if len(pads) != 2 * n:
            raise unsupported(f"pads has {len(pads)} entries for {n} spatial axes")
        if min(pads) < 0:
            raise unsupported("negative pads are not supported")
        return tuple(int(p) for p in pads)
    if auto_pad == "VALID":
        return (0,) * (2 * n)
    if auto_pad not in ("SAME_UPPER", "SAME_LOWER"):
        raise unsupported(f"auto_pad {auto_pad!r} is not supported")
    begin, end = [], []
    for i in range(n):
        out = math.ceil(spatial[i] / strides[i])
        total = max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - spatial[i])
        small, large = total // 2, total - total // 2
        begin.append(small if auto_pad == "SAME_UPPER" else large)
        end.append(large if auto_pad == "SAME_UPPER" else small)
    return tuple(begin + end)
