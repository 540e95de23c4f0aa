"""The compiled model file with its circuit section (format: zkml/artifacts.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from zkml.artifacts import parse_verifying_key, vk_digest
from zkml.compiler.circuit import Circuit, CircuitFormatError
from zkml.errors import ModelError, ProofFormatError
from zkml.quant.compiled import CompiledModel as _QuantCompiledModel
from zkml.quant.container import (
    CompiledModelError,
    Section,
    json_bytes,
    npy_bytes,
    read_json,
    read_npy,
)

__all__ = ["CompiledModel", "CompiledModelError", "CIRCUIT_SECTION"]

CIRCUIT_SECTION = "circuit"
CIRCUIT_SECTION_VERSION = 1


@dataclass
class CompiledModel(_QuantCompiledModel):
    """A compiled model: quantized IR, fidelity report, and (when provable) its circuit,
    model stack, model commitment and verifying key.

    Attributes (besides those of `zkml.quant.compiled.CompiledModel`):
        compiled_circuit: the circuit and model stack (`zkml.compiler.build`), or None
            for a file written before circuits existed.
        commitment: the model stack's commitment (`Vec<G1>` bytes).
        verifying_key: the kind-4 verifying-key artifact bytes.
    """

    compiled_circuit: object | None = None
    commitment: bytes = b""
    verifying_key: bytes = b""
    _vk_cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def circuit(self) -> Circuit:
        """The circuit description; ModelError if the file has none."""
        return self.require_circuit().circuit

    def require_circuit(self):
        """The `CompiledCircuit`, or a ModelError telling the user to recompile."""
        if self.compiled_circuit is None:
            raise ModelError("this compiled model has no circuit (it was written by an older "
                             "zkml); recompile it with `zkml compile`")
        return self.compiled_circuit

    @property
    def vk_digest(self) -> bytes:
        """SHA256 of the verifying key."""
        return vk_digest(self.verifying_key)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of the model's input tensor (one run)."""
        return self.model.tensor(self.model.inputs[0]).shape

    def to_sections(self) -> dict[str, Section]:
        """Container sections, with the circuit section when there is a circuit."""
        sections = super().to_sections()
        cc = self.compiled_circuit
        if cc is not None:
            sections[CIRCUIT_SECTION] = Section(CIRCUIT_SECTION_VERSION, False, {
                "circuit/circuit.json": cc.circuit.to_bytes(),
                "circuit/meta.json": json_bytes(cc.meta_json()),
                "circuit/model_stack.npy": npy_bytes(cc.model_stack),
                "circuit/commitment.bin": bytes(self.commitment),
                "circuit/vk.bin": bytes(self.verifying_key),
            })
        return sections

    def check_circuit(self) -> None:
        """Re-derive the circuit from the quantized model and require the stored circuit,
        model stack and metadata to be identical (CompiledModelError otherwise)."""
        if self.compiled_circuit is not None:
            _check_stack_matches_model(self, self.compiled_circuit, "compiled model")

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the compiled file atomically; refuses to replace a file unless `overwrite`."""
        from zkml.fileio import OutputExistsError

        path = Path(path)
        if path.exists() and not overwrite:
            raise OutputExistsError(f"{path} exists; choose another output path or pass --force")
        return super().save(path)

    @classmethod
    def load(cls, path: str | Path) -> CompiledModel:
        """Read a compiled file; checks the circuit section against the model and the key."""
        path = Path(path)
        if not path.exists():
            raise CompiledModelError(f"compiled model not found: {path}")
        if path.is_dir():
            raise CompiledModelError(f"compiled model path is a directory: {path}")
        cm = super().load(path)
        section = cm.extra_sections.pop(CIRCUIT_SECTION, None)
        if section is not None:
            _decode_circuit(cm, section, path)
        return cm


def _decode_circuit(cm: CompiledModel, section: Section, path: Path) -> None:
    from zkml.compiler.build import CompiledCircuit

    if section.version != CIRCUIT_SECTION_VERSION:
        raise CompiledModelError(f"{path}: circuit section version {section.version}; this zkml "
                                 f"reads version {CIRCUIT_SECTION_VERSION} (recompile the model)")
    files = section.files
    try:
        cj = files["circuit/circuit.json"]
        circuit = Circuit.from_bytes(cj)
        meta = read_json(section, "circuit/meta.json")
        stack = read_npy(section, "circuit/model_stack.npy")
        commitment, vk = files["circuit/commitment.bin"], files["circuit/vk.bin"]
        cc = CompiledCircuit(circuit, stack, [str(t) for t in meta["gadget_tensors"]],
                             str(meta["input"]), str(meta["output"]), int(meta["rows"]))
    except (KeyError, TypeError, ValueError, CircuitFormatError) as exc:
        raise CompiledModelError(f"{path}: malformed circuit section: {exc}") from None
    try:
        info = parse_verifying_key(vk)
    except ProofFormatError as exc:
        raise CompiledModelError(f"{path}: bad verifying key: {exc}") from None
    if info.circuit_json != cj or info.commitment != commitment:
        raise CompiledModelError(f"{path}: the verifying key does not match the circuit section")
    if stack.shape != (1 << circuit.model_stack.num_vars,):
        raise CompiledModelError(f"{path}: model stack has the wrong length")
    if len(cc.gadget_tensors) != len(circuit.gadgets) or \
            any(t not in cm.model.tensors for t in cc.gadget_tensors) or \
            cc.input_name not in cm.model.inputs or cc.output_name not in cm.model.outputs:
        raise CompiledModelError(f"{path}: circuit section does not match the model")
    # The stored circuit and stack are not re-derived from the IR here (that costs a
    # compile on every `zkml prove`): the witness builder compares every gadget with the
    # integer executor's run of the IR, so a stack that disagrees with the model is
    # refused when proving, and `CompiledModel.check_circuit()` re-derives on demand.
    cm.compiled_circuit, cm.commitment, cm.verifying_key = cc, bytes(commitment), bytes(vk)


def _check_stack_matches_model(cm: CompiledModel, cc, path: Path | str) -> None:
    """Recompile the circuit from the IR: the stored circuit and stack must be identical."""
    import numpy as np

    from zkml.compiler.build import compile_circuit

    try:
        fresh = compile_circuit(cm.model)
    except ModelError as exc:
        raise CompiledModelError(f"{path}: the model no longer compiles to a circuit: {exc}") \
            from None
    if fresh.circuit.to_bytes() != cc.circuit.to_bytes() or \
            not np.array_equal(fresh.model_stack, cc.model_stack) or \
            fresh.meta_json() != cc.meta_json():
        raise CompiledModelError(f"{path}: the circuit section does not match the model (written "
                                 "by another zkml version?); recompile the model")
