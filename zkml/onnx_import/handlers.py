"""The complete handler table: importing this module imports every `handlers_*` module,
whose `@handler` decorators fill `registry.HANDLERS`.

The handler modules build on `registry` (the table, the decorator, the attribute
helpers) and this module builds on them, so the registry never imports a handler.
"""

from __future__ import annotations

from zkml.onnx_import import (  # noqa: F401 (imported for their @handler registrations)
    handlers_elementwise,
    handlers_linear,
    handlers_minmax,
    handlers_pool,
    handlers_shape,
)
from zkml.onnx_import.registry import HANDLERS

__all__ = ["HANDLERS", "supported_ops"]


def supported_ops() -> list[str]:
    """Names of the ONNX ops zkml imports when they act on computed tensors."""
    return sorted(HANDLERS)
