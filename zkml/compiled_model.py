"""The compiled model file with its circuit section (format: zkml/artifacts.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from zkml.artifacts import parse_verifying_key, vk_digest
from zkml.compiler.circuit import Circuit, CircuitFormatError
from zkml.compiler.circuit_load import load_key_circuit
from zkml.errors import FileError, InvalidKeyError, ModelError
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
#: A circuit section whose meta records several inputs or outputs (`inputs` / `outputs`,
#: zkml.compiler.io); a one-input, one-output model is still written as version 1.
CIRCUIT_SECTION_VERSION_MULTI = 2


@dataclass
class CompiledModel(_QuantCompiledModel):
    """A compiled model: quantized IR, fidelity report, and (when provable) its circuit,
    model stack, model commitment and verifying key.

    Attributes (besides those of `zkml.quant.compiled.CompiledModel`):
        compiled_circuit: the circuit and model stack (`zkml.compiler.build`), or None
            for a file written before circuits existed.
        commitment: the model stack's commitment (`Vec<G1>` bytes).
        verifying_key: the verifying-key artifact bytes: kind 4, or kind 6 (hiding:
            blinded rows, circuits/zk_inference.md 4).
        model_blinders: with a kind-6 key, the model stack's row blinders (32-byte
            big-endian field elements, one per row), drawn once at compile time; secret
            like the weights (the file is written 0600), never in the key. Empty with a
            kind-4 key.
        known_files: the files this model was compiled from, loaded from or written to
            (path -> what it is: "ONNX model", "calibration file", "compiled model",
            "verifying key"), not saved in the file. `save` never writes over one of them
            but a compiled model file, and a proof's `ProofResult.save` over none.
    """

    compiled_circuit: object | None = None
    commitment: bytes = b""
    verifying_key: bytes = b""
    model_blinders: bytes = b""
    _vk_cache: dict = field(default_factory=dict, repr=False, compare=False)
    known_files: dict[Path, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def circuit(self) -> Circuit:
        """The circuit description; ModelError if the file has none."""
        return self.require_circuit().circuit

    def require_circuit(self):
        """The `CompiledCircuit`, or a ModelError telling the user to recompile."""
        if self.compiled_circuit is None:
            raise ModelError("this compiled model has no circuit (it was written by an older "
                             "zkml); recompile it (zkml.compile in Python, `zkml compile` on "
                             "the command line)")
        return self.compiled_circuit

    @property
    def hiding(self) -> bool:
        """The key is a hiding (kind-6) key: proofs are hiding (kind 5)."""
        return bool(self.model_blinders)

    @property
    def vk_digest(self) -> bytes:
        """SHA256 of the verifying key."""
        return vk_digest(self.verifying_key)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of the model's (first) input tensor (one run)."""
        return self.model.tensor(self.model.inputs[0]).shape

    @property
    def input_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every model input's shape (one run), in input order."""
        return {name: self.model.tensor(name).shape for name in self.model.inputs}

    @property
    def output_names(self) -> list[str]:
        """The proven outputs' names, in the order the statement holds them."""
        return [p.name for p in self.require_circuit().output_parts]

    def to_sections(self) -> dict[str, Section]:
        """Container sections, with the circuit section when there is a circuit."""
        sections = super().to_sections()
        cc = self.compiled_circuit
        if cc is not None:
            version = CIRCUIT_SECTION_VERSION_MULTI if cc.inputs or cc.outputs else \
                CIRCUIT_SECTION_VERSION
            sections[CIRCUIT_SECTION] = Section(version, False, {
                "circuit/circuit.json": cc.circuit.to_bytes(),
                "circuit/meta.json": json_bytes(cc.meta_json()),
                "circuit/model_stack.npy": npy_bytes(cc.model_stack),
                "circuit/commitment.bin": bytes(self.commitment),
                "circuit/vk.bin": bytes(self.verifying_key),
                **({"circuit/model_blinders.bin": bytes(self.model_blinders)}
                   if self.model_blinders else {}),
            })
        return sections

    def check_circuit(self) -> None:
        """Re-derive the circuit from the quantized model and require the stored circuit,
        model stack and metadata to be identical (CompiledModelError otherwise)."""
        if self.compiled_circuit is not None:
            _check_stack_matches_model(self, self.compiled_circuit, "compiled model")

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the compiled file atomically (`zkml.fileio.write_atomic`; a missing
        directory is created). Refuses, with FileError naming the path, to replace a file
        unless `overwrite` (OutputExistsError), and always to write over a file in
        `known_files` that is not a compiled model (its ONNX model, calibration file or
        verifying key)."""
        from zkml.fileio import check_outputs, write_atomic

        inputs = {p: what for p, what in self.known_files.items() if what != "compiled model"}
        check_outputs({path: "compiled model"}, inputs=inputs, overwrite=overwrite)
        path = write_atomic(path, self.to_bytes(), overwrite=overwrite, inputs=inputs,
                            what="compiled model")
        self.known_files[path] = "compiled model"
        return path

    @classmethod
    def load(cls, path: str | Path) -> CompiledModel:
        """Read a compiled file; checks the circuit section against the model and the key."""
        path = Path(path)
        if not path.exists():
            raise FileError(f"compiled model not found: {path}")
        if path.is_dir():
            raise FileError(f"compiled model is a directory: {path}")
        cm = super().load(path)
        section = cm.extra_sections.pop(CIRCUIT_SECTION, None)
        if section is not None:
            _decode_circuit(cm, section, path)
        cm.known_files[path] = "compiled model"
        return cm


def _decode_circuit(cm: CompiledModel, section: Section, path: Path) -> None:
    from zkml.compiler.build import CompiledCircuit
    from zkml.compiler.io import IOPart

    versions = (CIRCUIT_SECTION_VERSION, CIRCUIT_SECTION_VERSION_MULTI)
    if section.version not in versions:
        raise CompiledModelError(f"{path}: circuit section version {section.version}; this zkml "
                                 f"reads versions {versions[0]} and {versions[1]} (recompile "
                                 "the model)")
    files = section.files
    try:
        cj = files["circuit/circuit.json"]
        circuit = load_key_circuit(cj)  # also the verify path: no native module
        meta = read_json(section, "circuit/meta.json")
        stack = read_npy(section, "circuit/model_stack.npy")
        commitment, vk = files["circuit/commitment.bin"], files["circuit/vk.bin"]
        multi = section.version == CIRCUIT_SECTION_VERSION_MULTI
        allowed = {"gadget_tensors", "input", "output", "rows"} | \
            ({"inputs", "outputs"} if multi else set())
        if not isinstance(meta, dict) or not set(meta) <= allowed or \
                multi != bool(meta.get("inputs") or meta.get("outputs")):
            raise ValueError("unexpected metadata keys")
        parts = {k: [IOPart.from_json(d) for d in meta.get(k, [])] for k in ("inputs",
                                                                               "outputs")}
        cc = CompiledCircuit(circuit, stack, [str(t) for t in meta["gadget_tensors"]],
                             str(meta["input"]), str(meta["output"]), int(meta["rows"]),
                             parts["inputs"], parts["outputs"])
    except (KeyError, TypeError, ValueError, CircuitFormatError) as exc:
        raise CompiledModelError(f"{path}: malformed circuit section: {exc}") from None
    _check_parts(cm, cc, path)
    try:
        info = parse_verifying_key(vk)
    except InvalidKeyError as exc:
        raise CompiledModelError(f"{path}: its verifying key is corrupt: {exc.detail}") from None
    if info.circuit_json != cj or info.commitment != commitment:
        raise CompiledModelError(f"{path}: the verifying key does not match the circuit section")
    blinders = bytes(files.get("circuit/model_blinders.bin", b""))
    rows = 1 << (circuit.model_stack.num_vars - circuit.model_stack.log_cols)
    if info.hiding != bool(blinders) or (blinders and len(blinders) != 32 * rows):
        raise CompiledModelError(f"{path}: the model's row blinders do not match its "
                                 f"{'hiding' if info.hiding else 'non-hiding'} verifying key")
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
    cm.model_blinders = blinders


def _check_parts(cm: CompiledModel, cc, path: Path) -> None:
    """Recorded inputs / outputs: every model input / output once, in model order, side
    by side, filling the circuit's input / output row (no ArgMax among several)."""
    c = cc.circuit
    checks = [(cc.inputs, list(cm.model.inputs), c.input_features),
              (cc.outputs, list(cm.model.outputs), c.output_features)]
    for parts, names, width in checks:
        if not parts:
            continue
        offsets = [sum(p.features for p in parts[:i]) for i in range(len(parts) + 1)]
        # (The compiled file's model keeps the outputs as a JSON map, whose order is not
        # kept: the recorded parts fix the statement's order.)
        if len(parts) < 2 or sorted(p.name for p in parts) != sorted(names) or \
                len(set(names)) != len(names) or offsets[-1] != width or \
                [p.offset for p in parts] != offsets[:-1]:
            raise CompiledModelError(f"{path}: the circuit section's inputs/outputs do not "
                                     "match the model")
    if cc.outputs and (c.argmax or max(p.frac_bits for p in cc.outputs) != c.output.frac_bits):
        raise CompiledModelError(f"{path}: the circuit section's outputs do not match the "
                                 "circuit's output scale")


def _check_stack_matches_model(cm: CompiledModel, cc, path: Path | str) -> None:
    """Recompile the circuit from the IR: the stored circuit and stack must be identical."""
    import numpy as np

    from zkml.compiler.build import compile_circuit

    model = cm.model
    if cc.outputs:  # the statement's output order, as recorded
        from dataclasses import replace

        model = replace(model, outputs={p.name: model.outputs[p.name] for p in cc.outputs})
    try:
        fresh = compile_circuit(model)
    except ModelError as exc:
        raise CompiledModelError(f"{path}: the model no longer compiles to a circuit: {exc}") \
            from None
    if fresh.circuit.to_bytes() != cc.circuit.to_bytes() or \
            not np.array_equal(fresh.model_stack, cc.model_stack) or \
            fresh.meta_json() != cc.meta_json():
        raise CompiledModelError(f"{path}: the circuit section does not match the model (written "
                                 "by another zkml version?); recompile the model")
