"""`CompiledModel`: the quantized model, its fidelity report and provenance, on disk as one
container file (zkml/quant/container.py). Loading needs numpy only, not onnx.

Sections written by this version (container.py describes the container):

- model v1, required: model/graph.json (tensors, ops, inputs, outputs, precision, and
  the file of each constant) and model/constants/<i>.npy (int64 weights and tables);
- fidelity v1, optional: fidelity/report.json (fidelity.py);
- source v1, optional: source/source.json (ONNX file name and SHA-256, opsets, input
  shapes, outputs, calibration file SHA-256).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import zkml
from zkml.quant.container import (
    CompiledModelError,
    Section,
    container_bytes,
    json_bytes,
    npy_bytes,
    read_container,
    read_json,
    read_npy,
    write_container,
)
from zkml.quant.executor import Trace, dequantize, execute, quantize_inputs
from zkml.quant.ir import QOPS, ROLES, QModel, QOp, QTensor
from zkml.quant.rounding import QuantOverflowError, check_range

__all__ = ["CompiledModel", "CompiledModelError", "KNOWN_SECTIONS"]

KNOWN_SECTIONS: dict[str, set[int]] = {"model": {1}, "fidelity": {1}, "source": {1}}


@dataclass
class CompiledModel:
    """A compiled model.

    Attributes:
        model: the quantized IR (tensors, integer ops, weights and tables).
        fidelity: the fidelity report (float vs quantized), or {} if none was made.
        source: provenance of the ONNX file (name, SHA-256, opsets, shapes, outputs).
        extra_sections: sections written by newer features, kept unchanged on save.
    """

    model: QModel
    fidelity: dict = field(default_factory=dict)
    source: dict = field(default_factory=dict)
    extra_sections: dict[str, Section] = field(default_factory=dict)

    # -- running ---------------------------------------------------------------------
    def quantize_inputs(self, inputs: Mapping[str, np.ndarray] | np.ndarray) -> dict:
        """Float inputs to integers at the input scales (round half up, saturate)."""
        return quantize_inputs(self.model, inputs)

    def execute(self, int_inputs: Mapping[str, np.ndarray] | np.ndarray) -> Trace:
        """Run the integer reference executor; returns the full trace."""
        return execute(self.model, int_inputs)

    def run(self, inputs: Mapping[str, np.ndarray] | np.ndarray) -> dict[str, np.ndarray]:
        """Float in, float out: quantize, execute, dequantize."""
        return dequantize(self.model, self.execute(self.quantize_inputs(inputs)))

    # -- persistence -----------------------------------------------------------------
    def to_sections(self) -> dict[str, Section]:
        """The container sections of this model (extra sections included)."""
        m = self.model
        names = sorted(m.constants)
        files = {f"model/constants/{i}.npy": npy_bytes(m.constants[n]) for i, n in enumerate(names)}
        graph = {
            "tensors": [t.to_json() for t in m.tensors.values()],
            "ops": [op.to_json() for op in m.ops],
            "inputs": list(m.inputs),
            "outputs": dict(m.outputs),
            "precision": dict(m.precision),
            "constants": {n: f"model/constants/{i}.npy" for i, n in enumerate(names)},
        }
        files["model/graph.json"] = json_bytes(graph)
        sections = dict(self.extra_sections)
        sections["model"] = Section(1, True, files)
        if self.fidelity:
            sections["fidelity"] = Section(1, False, {"fidelity/report.json":
                                                      json_bytes(self.fidelity)})
        if self.source:
            sections["source"] = Section(1, False, {"source/source.json": json_bytes(self.source)})
        return sections

    def to_bytes(self) -> bytes:
        """The compiled file's bytes, as `save` writes them."""
        return container_bytes(self.to_sections(), f"zkml {zkml.__version__}")

    def save(self, path: str | Path) -> Path:
        """Write the compiled file atomically (temporary file, then rename)."""
        path = Path(path)
        write_container(path, self.to_sections(), f"zkml {zkml.__version__}")
        return path

    @classmethod
    def load(cls, path: str | Path) -> CompiledModel:
        """Read and validate a compiled file; raises CompiledModelError on any problem."""
        _, sections = read_container(path, KNOWN_SECTIONS)
        if "model" not in sections:
            raise CompiledModelError(f"{path}: no model section")
        model = _decode_model(sections["model"])
        fidelity = read_json(sections["fidelity"], "fidelity/report.json") \
            if "fidelity" in sections else {}
        source = read_json(sections["source"], "source/source.json") if "source" in sections else {}
        extra = {k: v for k, v in sections.items() if k not in KNOWN_SECTIONS}
        return cls(model, fidelity, source, extra)


def _decode_model(section: Section) -> QModel:
    doc = read_json(section, "model/graph.json")
    try:
        tensors = {d["name"]: QTensor.from_json(d) for d in doc["tensors"]}
        ops = [QOp.from_json(d) for d in doc["ops"]]
        constants = {name: read_npy(section, f) for name, f in doc["constants"].items()}
        model = QModel(tensors, ops, list(doc["inputs"]), dict(doc["outputs"]), constants,
                       dict(doc["precision"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise CompiledModelError(f"malformed model section: {exc!r}") from exc
    unlisted = set(section.files) - {"model/graph.json"} - set(doc["constants"].values())
    if unlisted:
        raise CompiledModelError(f"model section has unreferenced file {sorted(unlisted)[0]}")
    _validate(model)
    return model


def _validate(m: QModel) -> None:
    """Structural checks, so a loaded model cannot make the executor misbehave."""
    for t in m.tensors.values():
        if t.role not in ROLES or not 1 <= t.bits <= 62 or min(t.shape, default=1) < 0:
            raise CompiledModelError(f"tensor {t.name!r} has an invalid role, bit width or shape")
    defined = set(m.inputs)
    for name, arr in m.constants.items():
        t = m.tensors.get(name)
        if t is None or t.role not in ("weight", "table") or tuple(arr.shape) != t.shape:
            raise CompiledModelError(f"constant {name!r} does not match its tensor")
        try:
            check_range(arr, t.bits, f"constant {name!r}")
        except QuantOverflowError as exc:
            raise CompiledModelError(str(exc)) from exc
        defined.add(name)
    for name in m.inputs:
        if m.tensors.get(name) is None or m.tensors[name].role != "input":
            raise CompiledModelError(f"input {name!r} is not an input tensor")
    for op in m.ops:
        if op.op not in QOPS or set(op.attrs) != set(QOPS[op.op]):
            raise CompiledModelError(f"op {op.name!r} has unknown kind or attributes")
        for i in op.inputs:
            if i not in defined:
                raise CompiledModelError(f"op {op.name!r} reads {i!r} before it is defined")
        if op.output in defined or op.output not in m.tensors:
            raise CompiledModelError(f"op {op.name!r} writes {op.output!r} twice or undeclared")
        defined.add(op.output)
    for name, t in m.outputs.items():
        if t not in defined:
            raise CompiledModelError(f"output {name!r} is never computed")
