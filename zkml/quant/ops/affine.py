"""The canonical op `affine` (inputs x, scale, shift; attr axis): the per-channel map
`x * scale + shift` along `axis` that ONNX BatchNormalization imports as.

Graph cleanup (zkml.onnx_import.cleanup) folds it into the Conv or Gemm before it, or
else rewrites it as a `mul` and an `add`, so the quantizer never sees it: it has no
lowering and no IR op.
"""

from __future__ import annotations

from zkml.quant.ops.base import OpSpec


def _affine_reference(x, scale, shift, *, axis):
    shape = [1] * x.ndim
    shape[axis] = -1
    return x * scale.reshape(shape) + shift.reshape(shape)


OPS = (
    OpSpec("affine", inputs=("x", "scale", "shift"), attrs=("axis",),
           reference=_affine_reference),
)
