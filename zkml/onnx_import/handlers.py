"""The complete handler table: importing this module imports every `handlers_*` module
of this package (found on disk, in name order), whose `@handler` decorators fill
`registry.HANDLERS`; an ONNX op handled twice raises then.

The handler modules build on `registry` (the table, the decorator, the attribute
helpers) and this module builds on them, so the registry never imports a handler. A new
handler module needs no line here: naming it `handlers_<topic>.py` is enough.
"""

from __future__ import annotations

import importlib
import pkgutil

import zkml.onnx_import as _package
from zkml.onnx_import.registry import HANDLERS

__all__ = ["HANDLERS", "supported_ops"]



def _import_handler_modules(prefix: str = "handlers_") -> None:
    for info in sorted(pkgutil.iter_modules(_package.__path__), key=lambda m: m.name):
        if info.name.startswith(prefix):
            importlib.import_module(f"{_package.__name__}.{info.name}")


_import_handler_modules()


def supported_ops() -> list[str]:
    """Names of the ONNX ops zkml imports when they act on computed tensors."""
    return sorted(HANDLERS)
