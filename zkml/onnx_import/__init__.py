"""ONNX import: from a model file to the canonical float graph that zkml quantizes.

Pipeline (each step its own module):

1. `loader`: read and validate the file, convert it to one opset (TARGET_OPSET) with
   onnx's version converter, fix the input shapes, run shape inference, pick outputs.
2. `convert`: walk the nodes; a node whose inputs are all constants (initializers,
   Constant nodes, shapes of static tensors) is folded with onnx's reference evaluator;
   every other node goes to its handler (`handlers_*.py`, one function per ONNX op,
   found by `handlers`), which emits canonical ops (`graph`; each declared, with its
   float semantics, in its module of zkml.quant.ops).
3. `cleanup`: fold BatchNormalization and constant adds into the preceding Conv/Gemm,
   drop dead code (Identity and Dropout never reach the graph).

onnx is imported only when `import_onnx` runs, so `import zkml.onnx_import` stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zkml.onnx_import.errors import (
    DynamicShapeError,
    NonConstantWeightError,
    NotOnnxError,
    UnsupportedModelError,
    UnsupportedOpError,
)
from zkml.onnx_import.graph import Graph

if TYPE_CHECKING:
    from zkml.onnx_import.loader import InputShapes, LoadedModel

__all__ = [
    "ImportedModel",
    "import_onnx",
    "supported_ops",
    "Graph",
    "NotOnnxError",
    "UnsupportedModelError",
    "UnsupportedOpError",
    "DynamicShapeError",
    "NonConstantWeightError",
]


@dataclass
class ImportedModel:
    """The canonical graph plus the normalized ONNX model it came from (the float
    reference that onnxruntime runs for the fidelity report)."""

    graph: Graph
    loaded: LoadedModel

    def reference_model(self) -> Any:
        """The normalized ONNX model restricted to the chosen outputs."""
        from zkml.onnx_import.loader import reference_model

        return reference_model(self.loaded)


def import_onnx(
    path: str | Path,
    input_shape: InputShapes = None,
    outputs: list[str] | None = None,
) -> ImportedModel:
    """Import an ONNX file.

    Args:
        path: the .onnx file.
        input_shape: shape of the single input, or a mapping input name -> shape; needed
            when an input has dynamic dimensions.
        outputs: names of the outputs to keep (default: every numeric output); any
            intermediate tensor name is accepted too.

    Raises:
        NotOnnxError, UnsupportedOpError, UnsupportedModelError, DynamicShapeError,
        NonConstantWeightError: all subclasses of `zkml.errors.ModelError`.
    """
    from zkml.onnx_import.cleanup import cleanup
    from zkml.onnx_import.convert import to_graph
    from zkml.onnx_import.loader import load_onnx

    loaded = load_onnx(path, input_shape, outputs)
    graph = cleanup(to_graph(loaded))
    return ImportedModel(graph, loaded)


def supported_ops() -> list[str]:
    """The ONNX ops zkml imports on computed tensors."""
    from zkml.onnx_import.handlers import supported_ops as _supported

    return _supported()
