"""Errors of the ONNX import; all are `zkml.errors.ModelError`, one readable line each."""

from __future__ import annotations

from zkml.errors import ModelError

__all__ = [
    "NotOnnxError",
    "UnsupportedModelError",
    "UnsupportedOpError",
    "DynamicShapeError",
    "NonConstantWeightError",
]


class NotOnnxError(ModelError):
    """The file is missing, unreadable, or not a valid ONNX model."""


class UnsupportedModelError(ModelError):
    """The model uses a feature (attribute, data type, op combination) zkml cannot prove."""


class UnsupportedOpError(UnsupportedModelError):
    """A node's op has no handler; the message names the node and lists supported ops."""


class DynamicShapeError(ModelError):
    """An input has dynamic dimensions and no shape was given (`--input-shape`)."""


class NonConstantWeightError(ModelError):
    """A weight-like input (Conv/Gemm weights, BatchNorm statistics, shapes) is computed
    from the model input instead of being a constant."""
